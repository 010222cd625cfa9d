/*
 * s3c_sign.c — SigV4 signing of the tools' S3 requests over gateway/s3_sigv4 (see s3c_sign.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "s3c_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3_router.h"
#include "s3_sigv4.h"
#include "tn_hex.h"

#define S3C_MAX_PARAMS 16

static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

int s3c_signer_init(s3c_signer_t *s, const char *access_key, const char *secret, const char *region)
{
    memset(s, 0, sizeof *s);
    if (copy_str(s->access_key, sizeof s->access_key, access_key) != 0 ||
        copy_str(s->secret, sizeof s->secret, secret) != 0 ||
        copy_str(s->region, sizeof s->region, region) != 0)
        return -1;
    return 0;
}

void s3c_amz_date(int64_t t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int hdr_cmp(const void *a, const void *b)
{
    return strcmp(((const s3_header_t *)a)->name.base, ((const s3_header_t *)b)->name.base);
}

size_t s3c_sign(s3c_signer_t *s, const char *method, const char *path, const char *query,
                const char *host, const char *amz_date, const char *payload_hash, char *out,
                size_t cap)
{
    return s3c_sign_ext(s, method, path, query, host, amz_date, payload_hash, NULL, 0, out, cap);
}

size_t s3c_sign_ext(s3c_signer_t *s, const char *method, const char *path, const char *query,
                    const char *host, const char *amz_date, const char *payload_hash,
                    const s3c_hdr_t *extra, size_t n_extra, char *out, size_t cap)
{
    s3_param_t params[S3C_MAX_PARAMS];
    size_t n_params = 0;
    char work[512];
    size_t qlen = strlen(query);
    if (n_extra > S3C_SIGN_MAX_EXTRA)
        return 0;
    if (qlen > 0 &&
        s3_query_parse(query, qlen, params, S3C_MAX_PARAMS, &n_params, work, sizeof work) != S3_OK)
        return 0;
    s3_header_t headers[3 + S3C_SIGN_MAX_EXTRA] = {
        {{"host", 4}, {host, strlen(host)}},
        {{"x-amz-content-sha256", 20}, {payload_hash, strlen(payload_hash)}},
        {{"x-amz-date", 10}, {amz_date, strlen(amz_date)}},
    };
    size_t nh = 3;
    for (size_t i = 0; i < n_extra; i++, nh++) {
        headers[nh].name = (tn_slice_t){extra[i].name, strlen(extra[i].name)};
        headers[nh].value = (tn_slice_t){extra[i].value, strlen(extra[i].value)};
    }
    /* names are NUL-terminated C strings: strcmp order = SigV4's byte order */
    qsort(headers, nh, sizeof headers[0], hdr_cmp);
    char signed_list[S3_SIGV4_MAX_SIGNED_HEADERS + 1];
    size_t sl = 0;
    for (size_t i = 0; i < nh; i++) {
        size_t l = headers[i].name.len;
        if (sl + l + 1 > S3_SIGV4_MAX_SIGNED_HEADERS)
            return 0;
        if (i > 0)
            signed_list[sl++] = ';';
        memcpy(signed_list + sl, headers[i].name.base, l);
        sl += l;
    }
    signed_list[sl] = '\0';
    s3_sigv4_req_t req = {
        .method = {method, strlen(method)},
        .path = {path, strlen(path)},
        .params = params,
        .n_params = n_params,
        .headers = headers,
        .n_headers = nh,
        .payload_hash = {payload_hash, strlen(payload_hash)},
    };
    s3_sigv4_auth_t auth;
    memset(&auth, 0, sizeof auth);
    auth.kind = S3_AUTH_HEADER;
    if (strlen(amz_date) != 16)
        return 0;
    memcpy(auth.amz_date, amz_date, 17);
    memcpy(auth.date, amz_date, 8);
    auth.date[8] = '\0';
    int n = snprintf(auth.scope, sizeof auth.scope, "%s/%s/s3/aws4_request", auth.date, s->region);
    if (n < 0 || (size_t)n >= sizeof auth.scope)
        return 0;
    auth.scope_len = (size_t)n;
    memcpy(auth.signed_headers, signed_list, sl + 1);
    auth.signed_headers_len = sl;
    if (strcmp(s->key_date, auth.date) != 0) {
        if (s3_sigv4_signing_key(s->secret, strlen(s->secret), auth.date, s->region, "s3",
                                 s->key) != TN_OK)
            return 0;
        memcpy(s->key_date, auth.date, 9);
    }
    uint8_t sig[32];
    if (s3_sigv4_signature(&req, &auth, S3_SIGV4_URI_CANONICAL, s->key, sig) != TN_OK)
        return 0;
    char hex[65];
    tn_hex_encode(hex, sig, 32); /* 32 snprintf calls were ~20k instructions per request */
    hex[64] = '\0';
    n = snprintf(out, cap, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                 S3_SIGV4_ALGORITHM, s->access_key, auth.scope, signed_list, hex);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}
