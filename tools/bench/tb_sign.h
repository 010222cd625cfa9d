/*
 * tb_sign.h — SigV4 Authorization headers for the requests tern-bench builds: a thin
 * client-side wrapper over the gateway's pure signer (gateway/s3_sigv4.h, linked as
 * tern_s3), so the load generator and the server share one canonicalisation.
 *
 * Every request is signed over host;x-amz-content-sha256;x-amz-date; the path must already
 * be in canonical form (tern-bench only sends unreserved characters and '/'), the query is
 * given raw ("list-type=2&prefix=tb-") and canonicalised here. The signing key is derived
 * once per UTC day and cached in the signer.
 */
#ifndef TB_SIGN_H
#define TB_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define TB_SIGN_MAX_KEY 128

typedef struct {
    char access_key[TB_SIGN_MAX_KEY + 1];
    char secret[257];
    char region[64];
    char key_date[9]; /* date8 of the cached signing key, "" if none */
    uint8_t key[32];
} tb_signer_t;

/* 0, or -1 if a value is too long. */
int tb_signer_init(tb_signer_t *s, const char *access_key, const char *secret, const char *region);

/* Formats Unix time t as the x-amz-date value "YYYYMMDDTHHMMSSZ" (out: 17 bytes). */
void tb_amz_date(int64_t t, char out[17]);

/* Writes the Authorization header value for the request into out[cap] (NUL-terminated).
 * host is the Host header value as sent, amz_date the x-amz-date value, payload_hash the
 * x-amz-content-sha256 value. Returns its length, or 0 if something does not fit. */
size_t tb_sign(tb_signer_t *s, const char *method, const char *path, const char *query,
               const char *host, const char *amz_date, const char *payload_hash, char *out,
               size_t cap);

#endif
