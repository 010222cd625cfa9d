/*
 * s3c_sign.h — SigV4 Authorization headers for the S3 requests the tools build (tern-bench,
 * tern-migrate): a thin client-side wrapper over the gateway's pure signer
 * (gateway/s3_sigv4.h, linked as tern_s3), so the clients and the server share one
 * canonicalisation. Part of tern_s3c, the tools' small S3 client library (tools/s3c/).
 *
 * Every request is signed over host;x-amz-content-sha256;x-amz-date plus any extra headers
 * given (the gateway, like S3, requires every x-amz-* header to be signed). The path must
 * already be in canonical form (s3c_uri_encode_path), the query is given raw
 * ("list-type=2&prefix=tb-") and canonicalised here. The signing key is derived once per UTC
 * day and cached in the signer (not thread-safe: one signer per thread, or a lock).
 */
#ifndef S3C_SIGN_H
#define S3C_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define S3C_SIGN_MAX_KEY 128

typedef struct {
    char access_key[S3C_SIGN_MAX_KEY + 1];
    char secret[257];
    char region[64];
    char key_date[9]; /* date8 of the cached signing key, "" if none */
    uint8_t key[32];
} s3c_signer_t;

/* 0, or -1 if a value is too long. */
int s3c_signer_init(s3c_signer_t *s, const char *access_key, const char *secret,
                    const char *region);

/* Formats Unix time t as the x-amz-date value "YYYYMMDDTHHMMSSZ" (out: 17 bytes). */
void s3c_amz_date(int64_t t, char out[17]);

/* Writes the Authorization header value for the request into out[cap] (NUL-terminated).
 * host is the Host header value as sent, amz_date the x-amz-date value, payload_hash the
 * x-amz-content-sha256 value. Returns its length, or 0 if something does not fit. */
size_t s3c_sign(s3c_signer_t *s, const char *method, const char *path, const char *query,
                const char *host, const char *amz_date, const char *payload_hash, char *out,
                size_t cap);

/* An extra header to sign: name in lower case, value as sent (trimmed). */
typedef struct {
    const char *name;
    const char *value;
} s3c_hdr_t;

#define S3C_SIGN_MAX_EXTRA 12

/* s3c_sign plus extra[n_extra] headers (any order, names distinct from the three above,
 * n_extra <= S3C_SIGN_MAX_EXTRA). The SignedHeaders list goes into the Authorization value. */
size_t s3c_sign_ext(s3c_signer_t *s, const char *method, const char *path, const char *query,
                    const char *host, const char *amz_date, const char *payload_hash,
                    const s3c_hdr_t *extra, size_t n_extra, char *out, size_t cap);

#endif
