/*
 * s3_sigv4.h — PURE AWS Signature Version 4 for S3: Authorization-header and presigned
 * (query) authentication, canonical request, string to sign, signing key, signature check,
 * time/scope checks, and the chunk/trailer signatures of aws-chunked uploads.
 * Time and secrets are parameters; nothing here does I/O. Crypto: OpenSSL (one-shot HMAC,
 * EVP digests), constant-time comparison with CRYPTO_memcmp.
 *
 * Flow for a request (the gateway glue does the lookups in between):
 *   1. s3_sigv4_parse(req, &auth, &why)           which kind, credential, signed headers, date
 *   2. s3_sigv4_check(req, &auth, region, "s3", now, &why)   scope, clock skew / expiry,
 *                                                   every x-amz-* header signed
 *   3. look up auth.access_key -> secret (InvalidAccessKeyId if unknown)
 *   4. s3_sigv4_signing_key(secret, auth.date, region, "s3", key)   (cacheable per day)
 *   5. s3_sigv4_payload(req, auth.kind, &req.payload_hash, &kind, &why)
 *   6. s3_sigv4_verify(&req, &auth, key, &why)      SignatureDoesNotMatch or S3_OK
 *   7. after the body: compare the payload hash (XAmzContentSHA256Mismatch) or decode the
 *      aws-chunked body with s3_sigv4_chunk_signature() starting from auth.signature.
 *
 * Canonical URI (S3 rules: no dot-segment removal, no double encoding). Clients encode the
 * key once: botocore with quote(key, safe='/~'), the JS v3 and Go v2 SDKs with SigV4's own
 * escaping, all signing the path they send. A path that a client sent without escaping some
 * reserved characters ('=', '!', '@', ...) or with lowercase hex is signed by some clients
 * as sent and by others in canonical form, so verify tries the canonical form first (the
 * path percent-decoded once, '+' literal, then every byte except unreserved and '/' encoded
 * as %XX) and, only if it differs from the bytes sent, the path exactly as sent.
 *
 * Canonical query: every parameter, names and values decoded ('+' as space, as S3 reads
 * query strings; well-behaved clients send '+' as %2B and space as %20 so this only matters
 * for hand-made URLs) and re-encoded, sorted by encoded name then encoded value, "name="
 * for a parameter without a value; X-Amz-Signature is left out for presigned requests.
 *
 * Canonical headers: for each name in SignedHeaders (in the order given), every request
 * header with that name (case-insensitive) in arrival order, values trimmed and inner runs
 * of spaces/tabs collapsed to one space, joined with ','. A signed header that is absent
 * contributes "name:" (the signature then only matches if the client signed it so).
 *
 * Limits: access key <= 128 bytes, region <= 63, service <= 31, SignedHeaders <= 2047 bytes
 * and <= 64 names, query <= 128 parameters (more -> AuthorizationHeaderMalformed /
 * AuthorizationQueryParametersError / InvalidArgument). The canonical request is hashed as
 * it is produced, so its size needs no buffer; s3_sigv4_canonical_request() writes it into a
 * caller buffer for tests and debugging.
 */
#ifndef S3_SIGV4_H
#define S3_SIGV4_H

#include "tern.h"
#include "s3_error.h"
#include "s3_router.h"

#define S3_SIGV4_ALGORITHM          "AWS4-HMAC-SHA256"
#define S3_SIGV4_MAX_SKEW           900    /* seconds: x-amz-date vs now */
#define S3_SIGV4_MAX_EXPIRES        604800 /* seconds: X-Amz-Expires */
#define S3_SIGV4_MAX_AKID           128
#define S3_SIGV4_MAX_REGION         63
#define S3_SIGV4_MAX_SERVICE        31
#define S3_SIGV4_MAX_SIGNED_HEADERS 2047 /* bytes of the SignedHeaders value */
#define S3_SIGV4_MAX_SIGNED_NAMES   64
#define S3_SIGV4_MAX_QUERY          128
#define S3_SIGV4_EMPTY_SHA256       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
    tn_slice_t name; /* any case */
    tn_slice_t value;
} s3_header_t;

typedef struct {
    tn_slice_t method;
    tn_slice_t path;          /* raw path as sent, without the query */
    const s3_param_t *params; /* query parameters, raw and decoded (s3_query_parse/s3_route) */
    size_t n_params;
    const s3_header_t *headers;
    size_t n_headers;
    tn_slice_t payload_hash; /* last line of the canonical request (see s3_sigv4_payload) */
} s3_sigv4_req_t;

typedef enum {
    S3_AUTH_NONE = 0,  /* anonymous request */
    S3_AUTH_HEADER,    /* Authorization: AWS4-HMAC-SHA256 ... */
    S3_AUTH_PRESIGNED, /* X-Amz-Algorithm=AWS4-HMAC-SHA256&... */
} s3_auth_kind_t;

typedef struct {
    s3_auth_kind_t kind;
    char access_key[S3_SIGV4_MAX_AKID + 1];
    char date[9]; /* credential scope date, YYYYMMDD */
    char region[S3_SIGV4_MAX_REGION + 1];
    char service[S3_SIGV4_MAX_SERVICE + 1];
    char scope[128]; /* "date/region/service/aws4_request" */
    size_t scope_len;
    char signed_headers[S3_SIGV4_MAX_SIGNED_HEADERS + 1]; /* "host;x-amz-date" */
    size_t signed_headers_len;
    uint8_t signature[32];
    char amz_date[17];    /* request time as signed, "20150830T123600Z" (set by s3_sigv4_parse) */
    int64_t request_time; /* the same, Unix seconds */
    int64_t expires;      /* presigned: X-Amz-Expires seconds */
} s3_sigv4_auth_t;

typedef enum {
    S3_PAYLOAD_SHA256 = 0,                 /* hex SHA-256 of the body, checked after reading */
    S3_PAYLOAD_UNSIGNED,                   /* UNSIGNED-PAYLOAD */
    S3_PAYLOAD_STREAMING_SIGNED,           /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    S3_PAYLOAD_STREAMING_SIGNED_TRAILER,   /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
    S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
} s3_payload_kind_t;

typedef enum {
    S3_SIGV4_URI_CANONICAL = 0, /* decode once, re-encode (see above) */
    S3_SIGV4_URI_AS_SENT,       /* the raw path bytes */
} s3_sigv4_uri_mode_t;

/* Parses an Authorization header value. Components Credential=, SignedHeaders=, Signature=
 * in any order, separated by ',' with optional spaces. Other algorithms (AWS v2 "AWS ...",
 * SigV4a) -> InvalidRequest (unsupported); anything malformed ->
 * AuthorizationHeaderMalformed with AWS's wording. Sets kind, credential fields, scope,
 * signed headers and signature (not the date). */
s3_err_t s3_sigv4_parse_header(const char *value, size_t len, s3_sigv4_auth_t *out, s3_why_t *why);

/* Parses presigned query parameters (decoded names, case-sensitive): X-Amz-Algorithm,
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires (1..604800), X-Amz-SignedHeaders,
 * X-Amz-Signature, each exactly once (AuthorizationQueryParametersError otherwise);
 * X-Amz-Security-Token -> NotImplemented (no session tokens). Sets everything including
 * amz_date/request_time/expires. */
s3_err_t s3_sigv4_parse_presigned(const s3_param_t *params, size_t n, s3_sigv4_auth_t *out,
                                  s3_why_t *why);

/* Detects the kind and parses it. Header auth takes the time from x-amz-date, else from
 * the Date header (IMF-fixdate and the obsolete forms); neither -> AccessDenied. Both a
 * header and query auth -> InvalidArgument; SigV2 query auth -> InvalidRequest. Anonymous
 * requests give S3_OK with kind S3_AUTH_NONE. */
s3_err_t s3_sigv4_parse(const s3_sigv4_req_t *req, s3_sigv4_auth_t *out, s3_why_t *why);

/* Scope and time: region and service must equal the configured ones (AWS's messages name
 * the expected region), the credential date must be the request's UTC day; header auth:
 * |request_time - now| <= 900 s else RequestTimeTooSkewed; presigned: request_time <=
 * now + 900 s (else AccessDenied "Request is not valid yet") and now <= request_time +
 * expires (else AccessDenied "Request has expired"). Also: SignedHeaders must contain host,
 * every x-amz-* request header must be signed (AccessDenied "There were headers present in
 * the request which were not signed"), and x-amz-security-token -> NotImplemented. */
s3_err_t s3_sigv4_check(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth, const char *region,
                        const char *service, int64_t now, s3_why_t *why);

/* Picks the payload-hash line for the canonical request: header auth needs
 * x-amz-content-sha256 (InvalidRequest if missing) with a 64-hex-digit lowercase SHA-256,
 * UNSIGNED-PAYLOAD or a STREAMING-* constant (ECDSA streaming -> NotImplemented; anything
 * else -> InvalidArgument). Presigned: that header if present, else UNSIGNED-PAYLOAD.
 * *hash points into the request's header or at a static string. */
s3_err_t s3_sigv4_payload(const s3_sigv4_req_t *req, s3_auth_kind_t kind, tn_slice_t *hash,
                          s3_payload_kind_t *payload, s3_why_t *why);

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date8), region), service), "aws4_request").
 * Returns TN_OK, or TN_ERR_TOO_BIG for a secret over 256 bytes. */
int s3_sigv4_signing_key(const char *secret, size_t secret_len, const char *date8,
                         const char *region, const char *service, uint8_t key[32]);

/* Writes the canonical request (no trailing newline) into out[cap] with a NUL; *len is its
 * length. TN_ERR_TOO_BIG if it does not fit, TN_ERR_TOO_BIG also for too many parameters. */
int s3_sigv4_canonical_request(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                               s3_sigv4_uri_mode_t mode, char *out, size_t cap, size_t *len);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical request)>" into out
 * (256 bytes suffice); returns its length or 0 on error. */
size_t s3_sigv4_string_to_sign(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                               s3_sigv4_uri_mode_t mode, char *out, size_t cap);

/* The signature the request should carry (for tests, tools and clients). */
int s3_sigv4_signature(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                       s3_sigv4_uri_mode_t mode, const uint8_t key[32], uint8_t sig[32]);

/* Compares auth->signature with the computed one (canonical URI, then as sent if that
 * differs), in constant time. S3_OK or SignatureDoesNotMatch. Does not repeat the checks of
 * s3_sigv4_check. */
s3_err_t s3_sigv4_verify(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                         const uint8_t key[32], s3_why_t *why);

/* aws-chunked: signature of one chunk, chained from the previous one (the seed is the
 * request's signature). String to sign:
 *   "AWS4-HMAC-SHA256-PAYLOAD\n" amz_date "\n" scope "\n" hex(prev) "\n"
 *   hex(sha256("")) "\n" hex(chunk_sha256)                                          */
void s3_sigv4_chunk_signature(const uint8_t key[32], const char *amz_date, tn_slice_t scope,
                              const uint8_t prev[32], const uint8_t chunk_sha256[32],
                              uint8_t sig[32]);
/* The trailer signature: "AWS4-HMAC-SHA256-TRAILER\n" amz_date "\n" scope "\n" hex(prev)
 * "\n" hex(sha256(trailer lines, each "name:value\n")). */
void s3_sigv4_trailer_signature(const uint8_t key[32], const char *amz_date, tn_slice_t scope,
                                const uint8_t prev[32], const uint8_t trailer_sha256[32],
                                uint8_t sig[32]);

/* SHA-256 helper (EVP one-shot). */
void s3_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
