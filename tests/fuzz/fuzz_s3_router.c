/* Fuzz target for gateway/s3_router.c: input = method selector byte, then "host\n" and the
 * raw request-target. Checks the route's invariants on success. */
#include <stdlib.h>
#include <string.h>
#include "s3_router.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static int within(tn_slice_t s, const char *base, size_t len)
{
    return s.len == 0 || (s.base >= base && s.base + s.len <= base + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "X"};
    static const tn_slice_t domains[] = {{"s3.local", 8}, {"example.com", 11}};
    if (size < 1)
        return 0;
    const char *m = methods[data[0] % 7];
    int copy = data[0] & 0x80;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    const char *nl = memchr(p, '\n', n);
    const char *host = NULL, *target = p;
    size_t host_len = 0, target_len = n;
    if (nl != NULL) {
        host = p;
        host_len = (size_t)(nl - p);
        target = nl + 1;
        target_len = n - host_len - 1;
    }
    size_t cap = target_len + host_len + 2;
    char *work = malloc(cap);
    s3_route_t *r = malloc(sizeof *r);
    if (work == NULL || r == NULL) {
        free(work);
        free(r);
        return 0;
    }
    s3_route_in_t in = {m, strlen(m), host, host_len, target, target_len, domains, 2, copy};
    s3_err_t err = s3_route(&in, r, work, cap);
    CHECK(err != S3_ERR_INTERNAL_ERROR); /* the documented workspace size always suffices */
    if (err == S3_OK) {
        CHECK(r->op > S3_OP_NONE && r->op < S3_OP__COUNT);
        CHECK(r->key.len <= S3_KEY_MAX);
        CHECK(memchr(r->key.base, '\0', r->key.len) == NULL);
        CHECK(r->bucket.len == 0 || s3_bucket_name_valid(r->bucket.base, r->bucket.len));
        CHECK(r->key.len == 0 || r->bucket.len > 0);
        CHECK(within(r->bucket, work, cap) && within(r->key, work, cap));
        CHECK(within(r->raw_path, target, target_len) || within(r->raw_path, host, host_len));
        CHECK(r->n_params <= S3_ROUTE_MAX_PARAMS);
        for (size_t i = 0; i < r->n_params; i++) {
            CHECK(within(r->params[i].name, work, cap) && within(r->params[i].value, work, cap));
            CHECK(r->params[i].name.len <= r->params[i].raw_name.len);
            CHECK(r->params[i].value.len <= r->params[i].raw_value.len);
        }
        CHECK(strcmp(s3_op_name(r->op), "Unknown") != 0);
    }
    free(work);
    free(r);
    return 0;
}
