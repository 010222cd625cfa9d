/*
 * tb_sign.c — SigV4 signing of tern-bench requests over gateway/s3_sigv4 (see tb_sign.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "tb_sign.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "s3_router.h"
#include "s3_sigv4.h"

#define TB_SIGNED_HEADERS "host;x-amz-content-sha256;x-amz-date"
#define TB_MAX_PARAMS     16

static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

int tb_signer_init(tb_signer_t *s, const char *access_key, const char *secret, const char *region)
{
    memset(s, 0, sizeof *s);
    if (copy_str(s->access_key, sizeof s->access_key, access_key) != 0 ||
        copy_str(s->secret, sizeof s->secret, secret) != 0 ||
        copy_str(s->region, sizeof s->region, region) != 0)
        return -1;
    return 0;
}

void tb_amz_date(int64_t t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

size_t tb_sign(tb_signer_t *s, const char *method, const char *path, const char *query,
               const char *host, const char *amz_date, const char *payload_hash, char *out,
               size_t cap)
{
    s3_param_t params[TB_MAX_PARAMS];
    size_t n_params = 0;
    char work[512];
    size_t qlen = strlen(query);
    if (qlen > 0 &&
        s3_query_parse(query, qlen, params, TB_MAX_PARAMS, &n_params, work, sizeof work) != S3_OK)
        return 0;
    s3_header_t headers[3] = {
        {{"host", 4}, {host, strlen(host)}},
        {{"x-amz-content-sha256", 20}, {payload_hash, strlen(payload_hash)}},
        {{"x-amz-date", 10}, {amz_date, strlen(amz_date)}},
    };
    s3_sigv4_req_t req = {
        .method = {method, strlen(method)},
        .path = {path, strlen(path)},
        .params = params,
        .n_params = n_params,
        .headers = headers,
        .n_headers = 3,
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
    memcpy(auth.signed_headers, TB_SIGNED_HEADERS, sizeof TB_SIGNED_HEADERS);
    auth.signed_headers_len = sizeof TB_SIGNED_HEADERS - 1;
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
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sig[i]);
    n = snprintf(out, cap, "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                 S3_SIGV4_ALGORITHM, s->access_key, auth.scope, TB_SIGNED_HEADERS, hex);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}
