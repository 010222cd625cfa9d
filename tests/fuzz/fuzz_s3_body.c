/* Fuzz target for gateway/s3_body.c. Input: byte 0 = payload kind (low 3 bits, mod 5), byte 1 =
 * step size for the second pass (1..256); then header lines "name:value\n" up to an empty
 * line; the rest is the body. The plan must not crash; when it passes, the body is processed
 * twice (one step, and small steps) on separate copies: both must reach the same verdict and,
 * on success, the same decoded bytes, never longer than the input. Every header value also
 * goes through s3_body_content_encoding, whose output never grows and keeps no aws-chunked. */
#include <stdlib.h>
#include <string.h>
#include "s3_body.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)
#define MAX_H 16

static s3_err_t run(const s3_body_plan_t *plan, const uint8_t *in, size_t len, size_t step,
                    uint8_t **out, s3_body_result_t *res)
{
    static const uint8_t key[32] = {1}, seed[32] = {2};
    s3_body_keys_t keys = {key, "20130524T000000Z",
                           TN_SLICE_LIT("20130524/us-east-1/s3/aws4_request"), seed};
    uint8_t *buf = malloc(len + 1);
    CHECK(buf != NULL);
    memcpy(buf, in, len);
    s3_body_t b;
    s3_why_t why;
    CHECK(s3_body_init(&b, plan, &keys, buf, len) == TN_OK);
    int done = 0;
    size_t guard = 0;
    while (!done) {
        s3_body_step(&b, step, &done);
        CHECK(++guard <= len + 2);
        CHECK(b.out <= b.in && b.in <= len);
    }
    s3_err_t e = s3_body_finish(&b, res, &why);
    CHECK(e == why.err);
    if (e == S3_OK)
        CHECK(res->len <= len);
    s3_body_free(&b);
    *out = buf;
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    s3_payload_kind_t kind = (s3_payload_kind_t)((data[0] & 7) % 5);
    size_t step = (size_t)data[1] + 1;
    const char *p = (const char *)data + 2, *end = (const char *)data + size;
    s3_header_t h[MAX_H];
    size_t n = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            nl = end;
        if (nl == p) {
            p = nl + 1;
            break;
        }
        const char *colon = memchr(p, ':', (size_t)(nl - p));
        if (colon != NULL && n < MAX_H) {
            h[n].name = (tn_slice_t){p, (size_t)(colon - p)};
            h[n].value = (tn_slice_t){colon + 1, (size_t)(nl - colon - 1)};
            char ce[256];
            if (h[n].value.len <= sizeof ce) {
                size_t k = s3_body_content_encoding(h[n].value.base, h[n].value.len, ce);
                CHECK(k <= h[n].value.len);
            }
            n++;
        }
        p = nl < end ? nl + 1 : end;
    }
    const uint8_t *body = (const uint8_t *)p;
    size_t len = (size_t)(end - p);
    static const char hash[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    s3_body_plan_t plan;
    s3_why_t why;
    if (s3_body_plan(h, n, kind, TN_SLICE_LIT(hash), len, (data[0] >> 6) & 3 /* S3_BODY_* flags */,
                     &plan, &why) != S3_OK) {
        CHECK(why.err != S3_OK);
        return 0;
    }
    uint8_t *o1, *o2;
    s3_body_result_t r1, r2;
    s3_err_t e1 = run(&plan, body, len, len + 1, &o1, &r1);
    s3_err_t e2 = run(&plan, body, len, step, &o2, &r2);
    CHECK(e1 == e2);
    if (e1 == S3_OK) {
        CHECK(r1.len == r2.len && memcmp(o1, o2, r1.len) == 0);
        CHECK(r1.has_md5 == r2.has_md5 && memcmp(r1.md5, r2.md5, 16) == 0);
        CHECK(r1.cksum_alg == r2.cksum_alg && memcmp(r1.cksum, r2.cksum, sizeof r1.cksum) == 0);
        if (!plan.streaming)
            CHECK(r1.len == len && memcmp(o1, body, len) == 0);
    }
    free(o1);
    free(o2);
    return 0;
}
