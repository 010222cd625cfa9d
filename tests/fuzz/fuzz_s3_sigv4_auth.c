/* Fuzz target for gateway/s3_sigv4.c: input lines = Authorization value, request-target
 * (query = presigned parameters), then "name:value" headers. Parses both auth forms, and if
 * one parses, runs the checks, canonicalization and verification with a fixed key. */
#include <stdlib.h>
#include <string.h>
#include "s3_sigv4.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void check_auth(const s3_sigv4_auth_t *a)
{
    CHECK(strlen(a->access_key) > 0 && strlen(a->access_key) <= S3_SIGV4_MAX_AKID);
    CHECK(strlen(a->date) == 8 && strlen(a->scope) == a->scope_len);
    CHECK(a->signed_headers_len > 0 && strlen(a->signed_headers) == a->signed_headers_len);
    CHECK(a->signed_headers_len <= S3_SIGV4_MAX_SIGNED_HEADERS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    const char *line[34];
    size_t len[34], nl = 0;
    while (p <= end && nl < 34) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t l = e ? (size_t)(e - p) : (size_t)(end - p);
        line[nl] = p;
        len[nl++] = l;
        if (e == NULL)
            break;
        p = e + 1;
    }
    s3_sigv4_auth_t auth;
    s3_why_t why;
    /* 1. the header value alone */
    if (s3_sigv4_parse_header(line[0], len[0], &auth, &why) == S3_OK)
        check_auth(&auth);
    else
        CHECK(why.err != S3_OK);

    /* 2. a whole request */
    s3_param_t *params = calloc(S3_ROUTE_MAX_PARAMS, sizeof *params);
    char *work = malloc(size + 1);
    s3_header_t headers[33];
    size_t nh = 0, np = 0;
    tn_slice_t path = {"/", 1};
    if (params == NULL || work == NULL)
        goto out;
    if (nl > 1) {
        const char *q = memchr(line[1], '?', len[1]);
        path = (tn_slice_t){line[1], q ? (size_t)(q - line[1]) : len[1]};
        if (q != NULL && s3_query_parse(q + 1, len[1] - path.len - 1, params, S3_ROUTE_MAX_PARAMS,
                                        &np, work, size + 1) != S3_OK)
            goto out;
    }
    headers[nh++] = (s3_header_t){{"authorization", 13}, {line[0], len[0]}};
    for (size_t i = 2; i < nl; i++) {
        const char *c = memchr(line[i], ':', len[i]);
        if (c == NULL)
            continue;
        headers[nh++] = (s3_header_t){{line[i], (size_t)(c - line[i])},
                                      {c + 1, len[i] - (size_t)(c - line[i]) - 1}};
    }
    s3_sigv4_req_t req = {{"GET", 3}, path, params, np, headers, nh, {"", 0}};
    if (s3_sigv4_parse(&req, &auth, &why) != S3_OK || auth.kind == S3_AUTH_NONE)
        goto out;
    check_auth(&auth);
    CHECK(strlen(auth.amz_date) == 16);
    s3_payload_kind_t pk;
    if (s3_sigv4_payload(&req, auth.kind, &req.payload_hash, &pk, &why) != S3_OK)
        req.payload_hash = (tn_slice_t){"UNSIGNED-PAYLOAD", 16};
    (void)s3_sigv4_check(&req, &auth, "us-east-1", "s3", auth.request_time, &why);
    static char creq[1 << 16];
    size_t n;
    if (s3_sigv4_canonical_request(&req, &auth, S3_SIGV4_URI_CANONICAL, creq, sizeof creq, &n) ==
        TN_OK)
        CHECK(strlen(creq) <= n); /* header values may contain NUL bytes */
    uint8_t key[32] = {1, 2, 3};
    s3_err_t v = s3_sigv4_verify(&req, &auth, key, &why);
    CHECK(v == S3_OK || v == S3_ERR_SIGNATURE_DOES_NOT_MATCH || v == S3_ERR_INVALID_ARGUMENT);
out:
    free(params);
    free(work);
    return 0;
}
