/* s3_sigv4.c — PURE AWS Signature Version 4 for S3 (see s3_sigv4.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "tn_hex.h"
#include "tn_time.h"
#include "s3_sigv4.h"

#define MALFORMED   "The authorization header is malformed; "
#define CRED_FORMAT "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\""

static const char hex_upper[] = "0123456789ABCDEF";

/* SHA-256 fetched once per process. OpenSSL 3 looks an algorithm up in its provider store on
 * every EVP_sha256()-based init and on every one-shot HMAC() (EVP_Q_mac fetches and configures
 * a MAC each call): that was ~24k of the gateway's ~145k instructions per 4 KiB GET. The
 * pointer is published with a compare-and-swap, so racing threads free their duplicate; it
 * stays reachable from this static for the life of the process. */
static _Atomic(EVP_MD *) sha256_md;

static const EVP_MD *sha256(void)
{
    EVP_MD *md = atomic_load_explicit(&sha256_md, memory_order_acquire);
    if (md != NULL)
        return md;
    EVP_MD *mine = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (mine == NULL)
        return EVP_sha256(); /* the implicit fetch still works */
    EVP_MD *expected = NULL;
    if (!atomic_compare_exchange_strong(&sha256_md, &expected, mine)) {
        EVP_MD_free(mine);
        return expected;
    }
    return mine;
}

void s3_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    if (!EVP_Digest(data, len, out, &n, sha256(), NULL))
        memset(out, 0, 32); /* cannot happen with the default provider; never matches */
}

/* HMAC-SHA256 (RFC 2104) over the cached digest: two hashes with one context. */
static void hmac(const void *key, size_t klen, const void *data, size_t dlen, uint8_t out[32])
{
    uint8_t k0[64] = {0}, pad[64], inner[32];
    unsigned int n = 32;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL;
    if (ok && klen > sizeof k0)
        ok = EVP_Digest(key, klen, k0, &n, sha256(), NULL);
    else if (ok)
        memcpy(k0, key, klen);
    for (size_t i = 0; ok && i < sizeof pad; i++)
        pad[i] = k0[i] ^ 0x36;
    ok = ok && EVP_DigestInit_ex2(ctx, sha256(), NULL) && EVP_DigestUpdate(ctx, pad, sizeof pad) &&
         EVP_DigestUpdate(ctx, data, dlen) && EVP_DigestFinal_ex(ctx, inner, &n);
    for (size_t i = 0; ok && i < sizeof pad; i++)
        pad[i] = k0[i] ^ 0x5c;
    ok = ok && EVP_DigestInit_ex2(ctx, sha256(), NULL) && EVP_DigestUpdate(ctx, pad, sizeof pad) &&
         EVP_DigestUpdate(ctx, inner, sizeof inner) && EVP_DigestFinal_ex(ctx, out, &n);
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(k0, sizeof k0);
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok)
        memset(out, 0, 32); /* never matches */
}

/* HMAC-SHA256 under a 32-byte signing key, with the key's two padded blocks hashed once per
 * key and thread: a per-thread cache holds the SHA-256 states after (key ^ ipad) and
 * (key ^ opad) of the last signing key seen, so a signature (string to sign, chunk or trailer)
 * hashes two blocks fewer and allocates nothing (~4k of the ~25k instructions SigV4 cost per
 * request, on the gateway and in tern-bench alike). Freed at thread exit (key destructor);
 * without a cache (allocation failure) it falls back to hmac(). */
typedef struct {
    uint8_t key[32];
    int valid;
    EVP_MD_CTX *in, *out, *work;
} hkey_t;

static pthread_key_t hkey_tls;
static pthread_once_t hkey_once = PTHREAD_ONCE_INIT;
static int hkey_ready;

static void hkey_free(void *p)
{
    hkey_t *h = p;
    EVP_MD_CTX_free(h->in);
    EVP_MD_CTX_free(h->out);
    EVP_MD_CTX_free(h->work);
    OPENSSL_cleanse(h->key, sizeof h->key);
    free(h);
}

static void hkey_init(void)
{
    hkey_ready = pthread_key_create(&hkey_tls, hkey_free) == 0;
}

static hkey_t *hkey_get(const uint8_t key[32])
{
    if (pthread_once(&hkey_once, hkey_init) != 0 || !hkey_ready)
        return NULL;
    hkey_t *h = pthread_getspecific(hkey_tls);
    if (h == NULL) {
        if ((h = calloc(1, sizeof *h)) == NULL)
            return NULL;
        h->in = EVP_MD_CTX_new();
        h->out = EVP_MD_CTX_new();
        h->work = EVP_MD_CTX_new();
        if (h->in == NULL || h->out == NULL || h->work == NULL ||
            pthread_setspecific(hkey_tls, h) != 0) {
            hkey_free(h);
            return NULL;
        }
    }
    if (h->valid && CRYPTO_memcmp(h->key, key, 32) == 0)
        return h;
    uint8_t pad[64];
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = (uint8_t)((i < 32 ? key[i] : 0) ^ 0x36);
    int ok = EVP_DigestInit_ex2(h->in, sha256(), NULL) && EVP_DigestUpdate(h->in, pad, sizeof pad);
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = (uint8_t)((i < 32 ? key[i] : 0) ^ 0x5c);
    ok = ok && EVP_DigestInit_ex2(h->out, sha256(), NULL) &&
         EVP_DigestUpdate(h->out, pad, sizeof pad);
    OPENSSL_cleanse(pad, sizeof pad);
    h->valid = ok;
    if (!ok)
        return NULL;
    memcpy(h->key, key, 32);
    return h;
}

static void hmac_key32(const uint8_t key[32], const void *data, size_t dlen, uint8_t out[32])
{
    hkey_t *h = hkey_get(key);
    uint8_t inner[32];
    unsigned int n = 32;
    if (h != NULL && EVP_MD_CTX_copy_ex(h->work, h->in) && EVP_DigestUpdate(h->work, data, dlen) &&
        EVP_DigestFinal_ex(h->work, inner, &n) && EVP_MD_CTX_copy_ex(h->work, h->out) &&
        EVP_DigestUpdate(h->work, inner, sizeof inner) && EVP_DigestFinal_ex(h->work, out, &n))
        return;
    hmac(key, 32, data, dlen, out);
}

static int slice_eq(tn_slice_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.base, lit, n) == 0;
}

static int name_ieq(tn_slice_t s, const char *lower, size_t n)
{
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s.base[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lower[i])
            return 0;
    }
    return 1;
}

/* First header with that (lowercase) name, or NULL. */
static const s3_header_t *find_header(const s3_sigv4_req_t *req, const char *lower)
{
    size_t n = strlen(lower);
    for (size_t i = 0; i < req->n_headers; i++)
        if (name_ieq(req->headers[i].name, lower, n))
            return &req->headers[i];
    return NULL;
}

static const s3_param_t *find_param(const s3_param_t *p, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (slice_eq(p[i].name, name))
            return &p[i];
    return NULL;
}

static size_t count_param(const s3_param_t *p, size_t n, const char *name)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += slice_eq(p[i].name, name);
    return c;
}

/* Copies s into a NUL-terminated field; -1 if it does not fit or is empty. */
static int copy_field(char *dst, size_t cap, const char *s, size_t len)
{
    if (len == 0 || len >= cap)
        return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

/* "AK/20150830/us-east-1/s3/aws4_request" */
static int parse_credential(const char *s, size_t len, s3_sigv4_auth_t *out)
{
    const char *part[5];
    size_t plen[5];
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '/') {
            if (k == 5)
                return -1;
            part[k] = s + start;
            plen[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    if (k != 5)
        return -1;
    for (size_t k2 = 0; k2 < 4; k2++) /* printable ASCII only: no spaces, controls, NULs */
        for (size_t i = 0; i < plen[k2]; i++)
            if ((unsigned char)part[k2][i] <= ' ' || (unsigned char)part[k2][i] >= 0x7f)
                return -1;
    int64_t t;
    if (copy_field(out->access_key, sizeof out->access_key, part[0], plen[0]) < 0 ||
        tn_time_parse_date8(part[1], plen[1], &t) != TN_OK ||
        copy_field(out->date, sizeof out->date, part[1], plen[1]) < 0 ||
        copy_field(out->region, sizeof out->region, part[2], plen[2]) < 0 ||
        copy_field(out->service, sizeof out->service, part[3], plen[3]) < 0)
        return -1;
    if (plen[4] != 12 || memcmp(part[4], "aws4_request", 12) != 0)
        return -2;
    size_t sl = (size_t)(part[4] + plen[4] - part[1]);
    memcpy(out->scope, part[1], sl); /* date/region/service/aws4_request fits 8+64+32+12+3 */
    out->scope[sl] = '\0';
    out->scope_len = sl;
    return 0;
}

/* "host;x-amz-date": lowercase names, ';'-separated, no empty names. */
static int parse_signed_headers(const char *s, size_t len, s3_sigv4_auth_t *out)
{
    if (len == 0 || len > S3_SIGV4_MAX_SIGNED_HEADERS)
        return -1;
    size_t names = 1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ';') {
            if (i == 0 || i == len - 1 || s[i - 1] == ';')
                return -1;
            names++;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                     c == '.')) {
            return -1;
        }
    }
    if (names > S3_SIGV4_MAX_SIGNED_NAMES)
        return -1;
    memcpy(out->signed_headers, s, len);
    out->signed_headers[len] = '\0';
    out->signed_headers_len = len;
    return 0;
}

static int parse_signature(const char *s, size_t len, s3_sigv4_auth_t *out)
{
    size_t n;
    if (len != 64 || tn_hex_decode(s, len, out->signature, 32, &n) != TN_OK)
        return -1;
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

s3_err_t s3_sigv4_parse_header(const char *v, size_t len, s3_sigv4_auth_t *out, s3_why_t *why)
{
    memset(out, 0, sizeof *out);
    while (len > 0 && is_ws(v[0])) /* optional whitespace around a field value */
        v++, len--;
    while (len > 0 && is_ws(v[len - 1]))
        len--;
    size_t alen = strlen(S3_SIGV4_ALGORITHM);
    if (len < alen || memcmp(v, S3_SIGV4_ALGORITHM, alen) != 0 || (len > alen && !is_ws(v[alen])))
        return s3_why_set(why, S3_ERR_UNSUPPORTED_SIGNATURE, NULL);
    out->kind = S3_AUTH_HEADER;
    int have_cred = 0, have_sh = 0, have_sig = 0;
    size_t i = alen;
    while (i < len) {
        while (i < len && is_ws(v[i]))
            i++;
        size_t start = i;
        while (i < len && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && is_ws(v[end - 1]))
            end--;
        if (i < len)
            i++; /* skip ',' */
        if (end == start) {
            if (i == len && v[len - 1] != ',')
                break; /* trailing whitespace only */
            return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED,
                              MALFORMED "it contains an empty component.");
        }
        const char *c = v + start;
        size_t clen = end - start;
        const char *eq = memchr(c, '=', clen);
        if (eq == NULL)
            return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED,
                              MALFORMED "each component must be Name=Value.");
        tn_slice_t key = {c, (size_t)(eq - c)};
        const char *val = eq + 1;
        size_t vlen = clen - key.len - 1;
        if (slice_eq(key, "Credential")) {
            if (have_cred++)
                goto duplicate;
            int r = parse_credential(val, vlen, out);
            if (r == -2)
                return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED,
                                  MALFORMED "incorrect terminal. This endpoint uses "
                                            "'aws4_request'.");
            if (r < 0)
                return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED,
                                  MALFORMED "the Credential is mal-formed; expecting " CRED_FORMAT
                                            ".");
        } else if (slice_eq(key, "SignedHeaders")) {
            if (have_sh++)
                goto duplicate;
            if (parse_signed_headers(val, vlen, out) < 0)
                return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED,
                                  MALFORMED "SignedHeaders must be lowercase header names "
                                            "separated by ';'.");
        } else if (slice_eq(key, "Signature")) {
            if (have_sig++)
                goto duplicate;
            if (parse_signature(val, vlen, out) < 0)
                return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED,
                                  MALFORMED "the Signature must be 64 hexadecimal characters.");
        } else {
            return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED,
                              MALFORMED "unknown component '%.*s'.", (int)TN_MIN(key.len, 64),
                              key.base);
        }
    }
    if (!have_cred || !have_sh || !have_sig)
        return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED,
                          MALFORMED "the authorization header requires three components: "
                                    "Credential, SignedHeaders, and Signature.");
    return s3_why_set(why, S3_OK, NULL);
duplicate:
    return s3_why_set(why, S3_ERR_AUTH_HEADER_MALFORMED, MALFORMED "duplicate component.");
}

s3_err_t s3_sigv4_parse_presigned(const s3_param_t *p, size_t n, s3_sigv4_auth_t *out,
                                  s3_why_t *why)
{
    static const char *const required[] = {"X-Amz-Algorithm",     "X-Amz-Credential",
                                           "X-Amz-Date",          "X-Amz-Expires",
                                           "X-Amz-SignedHeaders", "X-Amz-Signature"};
    memset(out, 0, sizeof *out);
    out->kind = S3_AUTH_PRESIGNED;
    if (find_param(p, n, "X-Amz-Security-Token") != NULL)
        return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                          "Session tokens (X-Amz-Security-Token) are not supported.");
    for (size_t i = 0; i < TN_ARRAY_SIZE(required); i++) {
        size_t c = count_param(p, n, required[i]);
        if (c == 0)
            return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS,
                              "Query-string authentication version 4 requires the "
                              "X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, "
                              "X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
        if (c > 1)
            return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS, "%s is given more than once.",
                              required[i]);
    }
    if (!slice_eq(find_param(p, n, "X-Amz-Algorithm")->value, S3_SIGV4_ALGORITHM))
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS,
                          "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    tn_slice_t cred = find_param(p, n, "X-Amz-Credential")->value;
    int r = parse_credential(cred.base, cred.len, out);
    if (r == -2)
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS,
                          "Error parsing the X-Amz-Credential parameter; incorrect terminal. "
                          "This endpoint uses 'aws4_request'.");
    if (r < 0)
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS,
                          "Error parsing the X-Amz-Credential parameter; the Credential is "
                          "mal-formed; expecting " CRED_FORMAT ".");
    tn_slice_t date = find_param(p, n, "X-Amz-Date")->value;
    if (tn_time_parse_amz(date.base, date.len, &out->request_time) != TN_OK)
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS,
                          "X-Amz-Date must be in the ISO8601 Long Format "
                          "\"yyyyMMdd'T'HHmmss'Z'\"");
    memcpy(out->amz_date, date.base, 16);
    out->amz_date[16] = '\0';
    tn_slice_t exp = find_param(p, n, "X-Amz-Expires")->value;
    int64_t e = 0;
    for (size_t i = 0; i < exp.len; i++) {
        if (exp.base[i] < '0' || exp.base[i] > '9' || e > S3_SIGV4_MAX_EXPIRES) {
            e = -1;
            break;
        }
        e = e * 10 + (exp.base[i] - '0');
    }
    if (exp.len == 0 || e < 0)
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS, "X-Amz-Expires should be a number");
    if (e < 1)
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS, "X-Amz-Expires must be non-negative");
    if (e > S3_SIGV4_MAX_EXPIRES)
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS,
                          "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    out->expires = e;
    tn_slice_t sh = find_param(p, n, "X-Amz-SignedHeaders")->value;
    if (parse_signed_headers(sh.base, sh.len, out) < 0)
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS,
                          "X-Amz-SignedHeaders must be lowercase header names separated by ';'.");
    tn_slice_t sig = find_param(p, n, "X-Amz-Signature")->value;
    if (parse_signature(sig.base, sig.len, out) < 0)
        return s3_why_set(why, S3_ERR_AUTH_QUERY_PARAMS,
                          "X-Amz-Signature must be 64 hexadecimal characters.");
    return s3_why_set(why, S3_OK, NULL);
}

s3_err_t s3_sigv4_parse(const s3_sigv4_req_t *req, s3_sigv4_auth_t *out, s3_why_t *why)
{
    memset(out, 0, sizeof *out);
    const s3_header_t *authz = find_header(req, "authorization");
    int query_v4 = find_param(req->params, req->n_params, "X-Amz-Algorithm") != NULL;
    int query_v2 = find_param(req->params, req->n_params, "Signature") != NULL ||
                   find_param(req->params, req->n_params, "AWSAccessKeyId") != NULL;
    if (authz != NULL && (query_v4 || query_v2))
        return s3_why_set(why, S3_ERR_INVALID_ARGUMENT,
                          "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                          "parameter, Signature query string parameter or the Authorization "
                          "header should be specified");
    if (query_v4)
        return s3_sigv4_parse_presigned(req->params, req->n_params, out, why);
    if (query_v2)
        return s3_why_set(why, S3_ERR_UNSUPPORTED_SIGNATURE, NULL);
    if (authz == NULL) {
        out->kind = S3_AUTH_NONE;
        return s3_why_set(why, S3_OK, NULL);
    }
    s3_err_t err = s3_sigv4_parse_header(authz->value.base, authz->value.len, out, why);
    if (err != S3_OK)
        return err;
    const s3_header_t *xd = find_header(req, "x-amz-date");
    if (xd != NULL) {
        if (tn_time_parse_amz(xd->value.base, xd->value.len, &out->request_time) != TN_OK)
            goto no_date;
    } else {
        const s3_header_t *d = find_header(req, "date");
        if (d == NULL ||
            tn_time_parse_http(d->value.base, d->value.len, &out->request_time) != TN_OK)
            goto no_date;
    }
    if (tn_time_format_amz(out->request_time, out->amz_date) != TN_OK)
        goto no_date;
    return s3_why_set(why, S3_OK, NULL);
no_date:
    return s3_why_set(why, S3_ERR_ACCESS_DENIED,
                      "AWS authentication requires a valid Date or x-amz-date header");
}

/* Is lowercase name in the ';'-separated list? */
static int signed_has(const s3_sigv4_auth_t *auth, const char *name, size_t n)
{
    const char *s = auth->signed_headers, *end = s + auth->signed_headers_len;
    while (s < end) {
        const char *semi = memchr(s, ';', (size_t)(end - s));
        size_t l = semi ? (size_t)(semi - s) : (size_t)(end - s);
        if (l == n && memcmp(s, name, n) == 0)
            return 1;
        s += l + 1;
    }
    return 0;
}

s3_err_t s3_sigv4_check(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth, const char *region,
                        const char *service, int64_t now, s3_why_t *why)
{
    int pre = auth->kind == S3_AUTH_PRESIGNED;
    s3_err_t bad = pre ? S3_ERR_AUTH_QUERY_PARAMS : S3_ERR_AUTH_HEADER_MALFORMED;
    const char *prefix = pre ? "Error parsing the X-Amz-Credential parameter; " : MALFORMED;
    if (auth->kind == S3_AUTH_NONE)
        return s3_why_set(why, S3_OK, NULL);
    if (strcmp(auth->region, region) != 0)
        return s3_why_set(why, bad, "%sthe region '%s' is wrong; expecting '%s'", prefix,
                          auth->region, region);
    if (strcmp(auth->service, service) != 0)
        return s3_why_set(why, bad, "%sincorrect service '%s'. This endpoint belongs to '%s'.",
                          prefix, auth->service, service);
    if (memcmp(auth->date, auth->amz_date, 8) != 0)
        return s3_why_set(why, bad,
                          "%sInvalid credential date \"%s\". This date is not the same as "
                          "X-Amz-Date: \"%.8s\".",
                          prefix, auth->date, auth->amz_date);
    if (pre) {
        if (auth->request_time > now + S3_SIGV4_MAX_SKEW)
            return s3_why_set(why, S3_ERR_REQUEST_NOT_YET_VALID, NULL);
        if (now > auth->request_time + auth->expires)
            return s3_why_set(why, S3_ERR_REQUEST_EXPIRED, NULL);
    } else {
        int64_t d = auth->request_time - now;
        if (d > S3_SIGV4_MAX_SKEW || d < -S3_SIGV4_MAX_SKEW)
            return s3_why_set(why, S3_ERR_REQUEST_TIME_TOO_SKEWED, NULL);
    }
    if (!signed_has(auth, "host", 4))
        return s3_why_set(why, bad, "%s",
                          pre ? "X-Amz-SignedHeaders must contain host"
                              : MALFORMED "SignedHeaders must contain host.");
    for (size_t i = 0; i < req->n_headers; i++) {
        tn_slice_t name = req->headers[i].name;
        char lower[64];
        if (name.len < 6 || !name_ieq((tn_slice_t){name.base, 6}, "x-amz-", 6))
            continue;
        if (name_ieq(name, "x-amz-security-token", 20))
            return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                              "Session tokens (x-amz-security-token) are not supported.");
        if (name.len >= sizeof lower)
            return s3_why_set(why, S3_ERR_HEADERS_NOT_SIGNED, NULL);
        for (size_t k = 0; k < name.len; k++) {
            char c = name.base[k];
            lower[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        if (!signed_has(auth, lower, name.len))
            return s3_why_set(why, S3_ERR_HEADERS_NOT_SIGNED,
                              "There were headers present in the request which were not "
                              "signed: %.*s",
                              (int)name.len, lower);
    }
    return s3_why_set(why, S3_OK, NULL);
}

s3_err_t s3_sigv4_payload(const s3_sigv4_req_t *req, s3_auth_kind_t kind, tn_slice_t *hash,
                          s3_payload_kind_t *payload, s3_why_t *why)
{
    static const struct {
        const char *name;
        s3_payload_kind_t kind;
    } consts[] = {
        {"UNSIGNED-PAYLOAD", S3_PAYLOAD_UNSIGNED},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", S3_PAYLOAD_STREAMING_SIGNED},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", S3_PAYLOAD_STREAMING_SIGNED_TRAILER},
        {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER},
    };
    const s3_header_t *h = find_header(req, "x-amz-content-sha256");
    if (h == NULL) {
        if (kind == S3_AUTH_HEADER)
            return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                              "Missing required header for this request: x-amz-content-sha256");
        *hash = (tn_slice_t){"UNSIGNED-PAYLOAD", 16};
        *payload = S3_PAYLOAD_UNSIGNED;
        return s3_why_set(why, S3_OK, NULL);
    }
    tn_slice_t v = h->value;
    *hash = v;
    for (size_t i = 0; i < TN_ARRAY_SIZE(consts); i++) {
        if (slice_eq(v, consts[i].name)) {
            *payload = consts[i].kind;
            return s3_why_set(why, S3_OK, NULL);
        }
    }
    if (v.len >= 26 && memcmp(v.base, "STREAMING-AWS4-ECDSA-P256-", 26) == 0)
        return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                          "SigV4a (ECDSA) streaming signatures are not supported.");
    int hex = v.len == 64;
    for (size_t i = 0; hex && i < 64; i++)
        hex = (v.base[i] >= '0' && v.base[i] <= '9') || (v.base[i] >= 'a' && v.base[i] <= 'f');
    if (!hex)
        return s3_why_set(why, S3_ERR_INVALID_ARGUMENT,
                          "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-*, or a "
                          "valid sha256 value.");
    *payload = S3_PAYLOAD_SHA256;
    return s3_why_set(why, S3_OK, NULL);
}

int s3_sigv4_signing_key(const char *secret, size_t secret_len, const char *date8,
                         const char *region, const char *service, uint8_t key[32])
{
    uint8_t k[32];
    char first[4 + 256];
    if (secret_len > 256)
        return TN_ERR_TOO_BIG;
    memcpy(first, "AWS4", 4);
    memcpy(first + 4, secret, secret_len);
    hmac(first, 4 + secret_len, date8, strlen(date8), k);
    OPENSSL_cleanse(first, sizeof first);
    hmac(k, 32, region, strlen(region), k);
    hmac(k, 32, service, strlen(service), k);
    hmac(k, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(k, sizeof k);
    return TN_OK;
}

/* ---- canonical request ---------------------------------------------------------------- */

/* Output that goes to a buffer and/or a running SHA-256. Bytes for the hash are staged and
 * hashed in runs of up to sizeof stage: a canonical request is ~30 small pieces, and each
 * EVP_DigestUpdate costs a few hundred instructions besides the hashing. */
typedef struct {
    char *buf;
    size_t cap, len;
    EVP_MD_CTX *md;
    int failed;
    size_t staged;
    char stage[1024];
} sink_t;

static void flush(sink_t *s)
{
    if (s->staged > 0 && !EVP_DigestUpdate(s->md, s->stage, s->staged))
        s->failed = 1;
    s->staged = 0;
}

static void put(sink_t *s, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (s->md != NULL) {
        if (s->staged + n > sizeof s->stage)
            flush(s);
        if (n > sizeof s->stage) {
            if (!EVP_DigestUpdate(s->md, p, n))
                s->failed = 1;
        } else {
            memcpy(s->stage + s->staged, p, n);
            s->staged += n;
        }
    }
    if (s->buf != NULL) {
        if (s->len + n < s->cap)
            memcpy(s->buf + s->len, p, n);
        else
            s->failed = 1;
    }
    s->len += n;
}

static void putc_(sink_t *s, char c)
{
    put(s, &c, 1);
}

/* Iterates the canonical (decoded once, then SigV4-encoded) bytes of a raw string. A '%'
 * not followed by two hex digits is taken literally (as %25). */
typedef struct {
    const char *p;
    size_t len, i;
    int plus_is_space, keep_slash;
    char pend[2];
    int np;
} cit_t;

static int cit_next(cit_t *it)
{
    if (it->np > 0) {
        char c = it->pend[2 - it->np];
        it->np--;
        return (unsigned char)c;
    }
    if (it->i >= it->len)
        return -1;
    unsigned char c = (unsigned char)it->p[it->i];
    if (c == '%' && it->len - it->i >= 3 && tn_hex_digit((unsigned char)it->p[it->i + 1]) >= 0 &&
        tn_hex_digit((unsigned char)it->p[it->i + 2]) >= 0) {
        c = (unsigned char)(tn_hex_digit((unsigned char)it->p[it->i + 1]) << 4 |
                            tn_hex_digit((unsigned char)it->p[it->i + 2]));
        it->i += 3;
    } else {
        if (c == '+' && it->plus_is_space)
            c = ' ';
        it->i++;
    }
    if (tn_uri_unreserved(c) || (c == '/' && it->keep_slash))
        return c;
    it->pend[0] = hex_upper[c >> 4];
    it->pend[1] = hex_upper[c & 15];
    it->np = 2;
    return '%';
}

static cit_t cit(tn_slice_t s, int plus_is_space, int keep_slash)
{
    cit_t it = {s.base, s.len, 0, plus_is_space, keep_slash, {0, 0}, 0};
    return it;
}

static void put_canonical(sink_t *s, tn_slice_t raw, int plus_is_space, int keep_slash)
{
    char tmp[256];
    size_t n = 0;
    cit_t it = cit(raw, plus_is_space, keep_slash);
    int c;
    while ((c = cit_next(&it)) >= 0) {
        tmp[n++] = (char)c;
        if (n == sizeof tmp) {
            put(s, tmp, n);
            n = 0;
        }
    }
    put(s, tmp, n);
}

static int cmp_canonical(tn_slice_t a, tn_slice_t b)
{
    cit_t x = cit(a, 1, 0), y = cit(b, 1, 0);
    for (;;) {
        int c = cit_next(&x), d = cit_next(&y);
        if (c != d)
            return c < d ? -1 : 1;
        if (c < 0)
            return 0;
    }
}

static int cmp_param(const s3_param_t *a, const s3_param_t *b)
{
    int r = cmp_canonical(a->raw_name, b->raw_name);
    return r != 0 ? r : cmp_canonical(a->raw_value, b->raw_value);
}

/* Header value trimmed, inner runs of SP/HT collapsed to one SP. */
static void put_header_value(sink_t *s, tn_slice_t v)
{
    size_t i = 0, end = v.len;
    while (i < end && is_ws(v.base[i]))
        i++;
    while (end > i && is_ws(v.base[end - 1]))
        end--;
    size_t run = i;
    while (i < end) {
        if (is_ws(v.base[i])) {
            put(s, v.base + run, i - run);
            putc_(s, ' ');
            while (i < end && is_ws(v.base[i]))
                i++;
            run = i;
        } else {
            i++;
        }
    }
    put(s, v.base + run, end - run);
}

static int write_canonical(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                           s3_sigv4_uri_mode_t mode, sink_t *s)
{
    put(s, req->method.base, req->method.len);
    putc_(s, '\n');
    if (req->path.len == 0)
        putc_(s, '/');
    else if (mode == S3_SIGV4_URI_AS_SENT)
        put(s, req->path.base, req->path.len);
    else
        put_canonical(s, req->path, 0, 1);
    putc_(s, '\n');

    /* query: sort indices (insertion sort; n is bounded) */
    size_t idx[S3_SIGV4_MAX_QUERY], n = 0;
    for (size_t i = 0; i < req->n_params; i++) {
        if (auth->kind == S3_AUTH_PRESIGNED && slice_eq(req->params[i].name, "X-Amz-Signature"))
            continue;
        if (n == S3_SIGV4_MAX_QUERY)
            return TN_ERR_TOO_BIG;
        size_t j = n++;
        while (j > 0 && cmp_param(&req->params[idx[j - 1]], &req->params[i]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    for (size_t k = 0; k < n; k++) {
        const s3_param_t *p = &req->params[idx[k]];
        if (k > 0)
            putc_(s, '&');
        put_canonical(s, p->raw_name, 1, 0);
        putc_(s, '=');
        put_canonical(s, p->raw_value, 1, 0);
    }
    putc_(s, '\n');

    /* headers, in SignedHeaders order */
    const char *sh = auth->signed_headers, *end = sh + auth->signed_headers_len;
    while (sh < end) {
        const char *semi = memchr(sh, ';', (size_t)(end - sh));
        size_t l = semi ? (size_t)(semi - sh) : (size_t)(end - sh);
        put(s, sh, l);
        putc_(s, ':');
        int first = 1;
        for (size_t i = 0; i < req->n_headers; i++) {
            if (!name_ieq(req->headers[i].name, sh, l))
                continue;
            if (!first)
                putc_(s, ',');
            put_header_value(s, req->headers[i].value);
            first = 0;
        }
        putc_(s, '\n');
        sh += l + 1;
    }
    putc_(s, '\n');
    put(s, auth->signed_headers, auth->signed_headers_len);
    putc_(s, '\n');
    put(s, req->payload_hash.base, req->payload_hash.len);
    return s->failed ? TN_ERR_TOO_BIG : TN_OK;
}

int s3_sigv4_canonical_request(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                               s3_sigv4_uri_mode_t mode, char *out, size_t cap, size_t *len)
{
    sink_t s = {.buf = out, .cap = cap};
    int err = write_canonical(req, auth, mode, &s);
    *len = s.len;
    if (err != TN_OK || s.len >= cap)
        return TN_ERR_TOO_BIG;
    out[s.len] = '\0';
    return TN_OK;
}

static int canonical_hash(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                          s3_sigv4_uri_mode_t mode, uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return -ENOMEM;
    int err = TN_ERR_TOO_BIG;
    unsigned int n = 32;
    sink_t s;
    s.buf = NULL;
    s.cap = s.len = s.staged = 0;
    s.md = md;
    s.failed = 0;
    if (EVP_DigestInit_ex2(md, sha256(), NULL) && write_canonical(req, auth, mode, &s) == TN_OK &&
        (flush(&s), !s.failed) && EVP_DigestFinal_ex(md, out, &n))
        err = TN_OK;
    EVP_MD_CTX_free(md);
    return err;
}

static size_t build_sts(const char *algo, const char *amz_date, tn_slice_t scope,
                        const uint8_t *prev, const uint8_t *mid, const uint8_t *last, char *out,
                        size_t cap)
{
    char hex[65];
    size_t need = strlen(algo) + 1 + 16 + 1 + scope.len + (prev ? 65 : 0) + (mid ? 65 : 0) + 65;
    if (need > cap || strlen(amz_date) != 16)
        return 0;
    size_t n = 0;
    memcpy(out + n, algo, strlen(algo));
    n += strlen(algo);
    out[n++] = '\n';
    memcpy(out + n, amz_date, 16);
    n += 16;
    out[n++] = '\n';
    memcpy(out + n, scope.base, scope.len);
    n += scope.len;
    const uint8_t *parts[3] = {prev, mid, last};
    for (int i = 0; i < 3; i++) {
        if (parts[i] == NULL)
            continue;
        out[n++] = '\n';
        tn_hex_encode(hex, parts[i], 32);
        memcpy(out + n, hex, 64);
        n += 64;
    }
    out[n] = '\0';
    return n;
}

size_t s3_sigv4_string_to_sign(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                               s3_sigv4_uri_mode_t mode, char *out, size_t cap)
{
    uint8_t h[32];
    if (canonical_hash(req, auth, mode, h) != TN_OK)
        return 0;
    return build_sts(S3_SIGV4_ALGORITHM, auth->amz_date, (tn_slice_t){auth->scope, auth->scope_len},
                     NULL, NULL, h, out, cap);
}

int s3_sigv4_signature(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                       s3_sigv4_uri_mode_t mode, const uint8_t key[32], uint8_t sig[32])
{
    char sts[256];
    size_t n = s3_sigv4_string_to_sign(req, auth, mode, sts, sizeof sts);
    if (n == 0)
        return TN_ERR_TOO_BIG;
    hmac_key32(key, sts, n, sig);
    return TN_OK;
}

/* Does the canonical form of the path differ from the bytes sent? */
static int path_is_canonical(tn_slice_t path)
{
    cit_t it = cit(path, 0, 1);
    size_t i = 0;
    int c;
    while ((c = cit_next(&it)) >= 0) {
        if (i >= path.len || (unsigned char)path.base[i] != c)
            return 0;
        i++;
    }
    return i == path.len;
}

s3_err_t s3_sigv4_verify(const s3_sigv4_req_t *req, const s3_sigv4_auth_t *auth,
                         const uint8_t key[32], s3_why_t *why)
{
    uint8_t sig[32];
    if (s3_sigv4_signature(req, auth, S3_SIGV4_URI_CANONICAL, key, sig) != TN_OK)
        return s3_why_set(why, S3_ERR_INVALID_ARGUMENT, "Too many query parameters.");
    if (CRYPTO_memcmp(sig, auth->signature, 32) == 0)
        return s3_why_set(why, S3_OK, NULL);
    if (req->path.len > 0 && !path_is_canonical(req->path) &&
        s3_sigv4_signature(req, auth, S3_SIGV4_URI_AS_SENT, key, sig) == TN_OK &&
        CRYPTO_memcmp(sig, auth->signature, 32) == 0)
        return s3_why_set(why, S3_OK, NULL);
    return s3_why_set(why, S3_ERR_SIGNATURE_DOES_NOT_MATCH, NULL);
}

void s3_sigv4_chunk_signature(const uint8_t key[32], const char *amz_date, tn_slice_t scope,
                              const uint8_t prev[32], const uint8_t chunk_sha256[32],
                              uint8_t sig[32])
{
    static const uint8_t empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                      0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                      0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                      0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    char sts[512];
    size_t n = build_sts("AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, empty, chunk_sha256,
                         sts, sizeof sts);
    if (n == 0) {
        memset(sig, 0, 32);
        return;
    }
    hmac_key32(key, sts, n, sig);
}

void s3_sigv4_trailer_signature(const uint8_t key[32], const char *amz_date, tn_slice_t scope,
                                const uint8_t prev[32], const uint8_t trailer_sha256[32],
                                uint8_t sig[32])
{
    char sts[512];
    size_t n = build_sts("AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev, NULL, trailer_sha256,
                         sts, sizeof sts);
    if (n == 0) {
        memset(sig, 0, 32);
        return;
    }
    hmac_key32(key, sts, n, sig);
}
