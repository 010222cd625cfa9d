/* Unit tests for gateway/s3_sigv4.c: AWS's generic SigV4 vectors (canonical request, string
 * to sign, signature), the S3 documentation's examples (header auth, presigned URL, chunk and
 * trailer signatures), and the checks: skew, expiry, scope, unsigned headers, tampering. */
#include <pthread.h>
#include <openssl/evp.h>
#include "tn_hex.h"
#include "tn_time.h"
#include "s3_sigv4.h"
#include "test.h"

#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_NOW    1369353600 /* 2013-05-24T00:00:00Z */
#define GEN_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define GEN_NOW    1440938160 /* 2015-08-30T12:36:00Z */

typedef struct {
    s3_header_t h[48];
    size_t nh;
    s3_param_t p[S3_ROUTE_MAX_PARAMS];
    size_t np;
    char work[8192];
    char strs[16384]; /* copies of header names/values */
    size_t used;
    char hash_hex[65];
    s3_sigv4_req_t req;
} treq_t;

static const char *keep(treq_t *t, const char *s, size_t n)
{
    char *d = t->strs + t->used;
    memcpy(d, s, n);
    d[n] = '\0';
    t->used += n + 1;
    return d;
}

static void treq_init(treq_t *t, const char *method, const char *target)
{
    memset(t, 0, sizeof *t);
    const char *m = keep(t, method, strlen(method));
    size_t tl = strlen(target);
    const char *tg = keep(t, target, tl);
    const char *q = memchr(tg, '?', tl);
    size_t pl = q ? (size_t)(q - tg) : tl;
    t->req.method = (tn_slice_t){m, strlen(m)};
    t->req.path = (tn_slice_t){tg, pl};
    if (q != NULL) {
        s3_err_t e = s3_query_parse(q + 1, tl - pl - 1, t->p, S3_ROUTE_MAX_PARAMS, &t->np, t->work,
                                    sizeof t->work);
        is_int(e, S3_OK, "query parses");
    }
    t->req.params = t->p;
    t->req.n_params = t->np;
    t->req.headers = t->h;
}

static void treq_header_n(treq_t *t, const char *name, size_t nl, const char *value, size_t vl)
{
    const char *n = keep(t, name, nl), *v = keep(t, value, vl);
    t->h[t->nh++] = (s3_header_t){{n, nl}, {v, vl}};
    t->req.n_headers = t->nh;
}

static void treq_header(treq_t *t, const char *name, const char *value)
{
    treq_header_n(t, name, strlen(name), value, strlen(value));
}

static char *load(const char *dir, const char *name, const char *ext, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/sigv4/%s/%s.%s", tt_data_dir(), name, name, ext);
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    (void)dir;
    char *buf = malloc(65536);
    size_t n = fread(buf, 1, 65535, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Parses an .sreq file ("METHOD target HTTP/1.1", "Name:value" lines, blank line, body). */
static int parse_sreq(treq_t *t, const char *text, size_t len)
{
    const char *eol = memchr(text, '\n', len);
    if (eol == NULL)
        return -1;
    const char *sp1 = memchr(text, ' ', (size_t)(eol - text));
    const char *sp2 = eol;
    while (sp2 > sp1 && *sp2 != ' ')
        sp2--;
    if (sp1 == NULL || sp2 <= sp1)
        return -1;
    char method[16], target[1024];
    snprintf(method, sizeof method, "%.*s", (int)(sp1 - text), text);
    snprintf(target, sizeof target, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
    treq_init(t, method, target);
    const char *p = eol + 1, *end = text + len;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t l = e ? (size_t)(e - p) : (size_t)(end - p);
        if (l == 0) {
            p++;
            break;
        }
        const char *colon = memchr(p, ':', l);
        if (colon == NULL)
            return -1;
        treq_header_n(t, p, (size_t)(colon - p), colon + 1, l - (size_t)(colon - p) - 1);
        p += l + (e ? 1 : 0);
        if (e == NULL)
            p = end;
    }
    uint8_t h[32];
    s3_sha256(p, (size_t)(end - p), h);
    tn_hex_encode(t->hash_hex, h, 32);
    t->req.payload_hash = (tn_slice_t){t->hash_hex, 64};
    return 0;
}

static const char *const generic_cases[] = {
    "get-header-key-duplicate",
    "get-header-value-order",
    "get-header-value-trim",
    "get-unreserved",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-key",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-order-value",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-header-after",
    "post-sts-header-before",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
};

static treq_t T; /* large: keep off the stack */

static void test_generic_vectors(void)
{
    uint8_t key[32];
    is_int(s3_sigv4_signing_key(GEN_SECRET, strlen(GEN_SECRET), "20150830", "us-east-1", "service",
                                key),
           TN_OK, "signing key");
    for (size_t i = 0; i < TN_ARRAY_SIZE(generic_cases); i++) {
        const char *name = generic_cases[i];
        size_t rl = 0, al = 0, cl = 0, tl = 0;
        char *req = load(NULL, name, "req", &rl), *authz = load(NULL, name, "authz", &al),
             *creq = load(NULL, name, "creq", &cl), *sts = load(NULL, name, "sts", &tl);
        if (!ok(req && authz && creq && sts, name)) {
            free(req), free(authz), free(creq), free(sts);
            continue;
        }
        ok(parse_sreq(&T, req, rl) == 0, name);
        treq_header(&T, "Authorization", authz);
        s3_sigv4_auth_t auth;
        s3_why_t why;
        is_int(s3_sigv4_parse(&T.req, &auth, &why), S3_OK, name);
        is_int(auth.kind, S3_AUTH_HEADER, name);
        /* The two post-x-www-form-urlencoded cases of this copy of the suite are internally
         * inconsistent: their .sts is not the hash of their .creq, and one .authz signs
         * other headers than its .creq. Check only their canonical request (with the .creq's
         * SignedHeaders); every other case is checked end to end. */
        int stale = strncmp(name, "post-x-www-form-urlencoded", 26) == 0;
        const char *last_nl = strrchr(creq, '\n');
        const char *prev_nl = last_nl;
        while (prev_nl > creq && prev_nl[-1] != '\n')
            prev_nl--;
        size_t shl = (size_t)(last_nl - prev_nl);
        if (stale) {
            memcpy(auth.signed_headers, prev_nl, shl);
            auth.signed_headers[shl] = '\0';
            auth.signed_headers_len = shl;
        }
        char out[8192];
        size_t n;
        is_int(
            s3_sigv4_canonical_request(&T.req, &auth, S3_SIGV4_URI_CANONICAL, out, sizeof out, &n),
            TN_OK, name);
        is_str(out, creq, name);
        char s[256];
        s3_sigv4_string_to_sign(&T.req, &auth, S3_SIGV4_URI_CANONICAL, s, sizeof s);
        if (!stale) {
            is_str(s, sts, name);
            is_int(s3_sigv4_verify(&T.req, &auth, key, &why), S3_OK, name);
            s3_err_t want =
                strcmp(name, "post-sts-header-before") == 0 ? S3_ERR_NOT_IMPLEMENTED : S3_OK;
            is_int(s3_sigv4_check(&T.req, &auth, "us-east-1", "service", GEN_NOW, &why), want,
                   name);
        }
        auth.signature[31] ^= 1;
        is_int(s3_sigv4_verify(&T.req, &auth, key, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
               "tampered signature fails");
        free(req), free(authz), free(creq), free(sts);
    }
}

static void test_signing_key(void)
{
    /* AWS general reference example: 20150830/us-east-1/iam */
    uint8_t key[32];
    char hex[65];
    s3_sigv4_signing_key(GEN_SECRET, strlen(GEN_SECRET), "20150830", "us-east-1", "iam", key);
    tn_hex_encode(hex, key, 32);
    is_str(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
           "documented signing key");
    char big[300];
    memset(big, 'x', sizeof big);
    is_int(s3_sigv4_signing_key(big, sizeof big, "20150830", "us-east-1", "s3", key),
           TN_ERR_TOO_BIG, "oversized secret refused");
}

static void doc_key(uint8_t key[32])
{
    s3_sigv4_signing_key(DOC_SECRET, strlen(DOC_SECRET), "20130524", "us-east-1", "s3", key);
}

static s3_err_t parse_verify(treq_t *t, int64_t now, s3_sigv4_auth_t *auth, s3_why_t *why)
{
    uint8_t key[32];
    doc_key(key);
    s3_err_t e = s3_sigv4_parse(&t->req, auth, why);
    if (e != S3_OK)
        return e;
    s3_payload_kind_t pk;
    e = s3_sigv4_payload(&t->req, auth->kind, &t->req.payload_hash, &pk, why);
    if (e != S3_OK)
        return e;
    e = s3_sigv4_check(&t->req, auth, "us-east-1", "s3", now, why);
    if (e != S3_OK)
        return e;
    return s3_sigv4_verify(&t->req, auth, key, why);
}

#define EMPTY S3_SIGV4_EMPTY_SHA256
#define AUTH_PREFIX                                                                                \
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"

static void doc_get_range(treq_t *t, const char *authz)
{
    treq_init(t, "GET", "/test.txt");
    treq_header(t, "Host", "examplebucket.s3.amazonaws.com");
    treq_header(t, "Range", "bytes=0-9");
    treq_header(t, "x-amz-content-sha256", EMPTY);
    treq_header(t, "x-amz-date", "20130524T000000Z");
    treq_header(t, "Authorization", authz);
}

static void test_s3_doc_examples(void)
{
    s3_sigv4_auth_t auth;
    s3_why_t why;
    /* GET Object with Range */
    doc_get_range(&T,
                  AUTH_PREFIX "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c"
                              "6036bdb41");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, "GET object with Range");
    char sts[256];
    s3_sigv4_string_to_sign(&T.req, &auth, S3_SIGV4_URI_CANONICAL, sts, sizeof sts);
    has_str(sts, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            "documented canonical request hash");
    is_str(auth.access_key, "AKIAIOSFODNN7EXAMPLE", "access key");
    is_str(auth.scope, "20130524/us-east-1/s3/aws4_request", "scope");

    /* PUT Object, key "test$file.text": sent raw and sent encoded both verify */
    const char *put_authz =
        AUTH_PREFIX "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
                    "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd";
    const char *targets[] = {"/test$file.text", "/test%24file.text"};
    for (int i = 0; i < 2; i++) {
        treq_init(&T, "PUT", targets[i]);
        treq_header(&T, "Host", "examplebucket.s3.amazonaws.com");
        treq_header(&T, "Date", "Fri, 24 May 2013 00:00:00 GMT");
        treq_header(&T, "Authorization", put_authz);
        treq_header(&T, "x-amz-date", "20130524T000000Z");
        treq_header(&T, "x-amz-storage-class", "REDUCED_REDUNDANCY");
        treq_header(&T, "x-amz-content-sha256",
                    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
        is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, targets[i]);
    }

    /* GET ?lifecycle */
    treq_init(&T, "GET", "/?lifecycle");
    treq_header(&T, "Host", "examplebucket.s3.amazonaws.com");
    treq_header(&T, "x-amz-date", "20130524T000000Z");
    treq_header(&T, "x-amz-content-sha256", EMPTY);
    treq_header(&T, "Authorization",
                AUTH_PREFIX "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
                            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, "GET ?lifecycle");

    /* GET bucket list with prefix, parameters sent out of order */
    treq_init(&T, "GET", "/?prefix=J&max-keys=2");
    treq_header(&T, "Host", "examplebucket.s3.amazonaws.com");
    treq_header(&T, "x-amz-date", "20130524T000000Z");
    treq_header(&T, "x-amz-content-sha256", EMPTY);
    treq_header(&T, "Authorization",
                AUTH_PREFIX "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
                            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, "list objects, query sorted");
    char creq[1024];
    size_t n;
    s3_sigv4_canonical_request(&T.req, &auth, S3_SIGV4_URI_CANONICAL, creq, sizeof creq, &n);
    has_str(creq, "\nmax-keys=2&prefix=J\n", "canonical query sorted");
}

#define PRESIGNED                                                                                  \
    "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%" \
    "2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"       \
    "SignedHeaders=host&X-Amz-Signature="                                                          \
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

static void test_presigned(void)
{
    s3_sigv4_auth_t auth;
    s3_why_t why;
    treq_init(&T, "GET", PRESIGNED);
    treq_header(&T, "Host", "examplebucket.s3.amazonaws.com");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, "documented presigned URL");
    is_int(auth.kind, S3_AUTH_PRESIGNED, "kind");
    is_int(auth.expires, 86400, "expires");
    char creq[1024];
    size_t n;
    s3_sigv4_canonical_request(&T.req, &auth, S3_SIGV4_URI_CANONICAL, creq, sizeof creq, &n);
    ok(strstr(creq, "X-Amz-Signature") == NULL, "signature excluded from canonical query");
    has_str(creq, "\nUNSIGNED-PAYLOAD", "presigned payload is UNSIGNED-PAYLOAD");
    uint8_t h[32];
    char hex[65];
    s3_sha256(creq, n, h);
    tn_hex_encode(hex, h, 32);
    is_str(hex, "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04",
           "documented canonical request hash");

    is_int(parse_verify(&T, DOC_NOW + 86400, &auth, &why), S3_OK, "valid at the last second");
    is_int(parse_verify(&T, DOC_NOW + 86401, &auth, &why), S3_ERR_REQUEST_EXPIRED, "expired");
    is_str(s3_err_code(S3_ERR_REQUEST_EXPIRED), "AccessDenied", "expiry is AccessDenied");
    is_str(s3_why_message(&why), "Request has expired", "AWS message");
    is_int(parse_verify(&T, DOC_NOW - 901, &auth, &why), S3_ERR_REQUEST_NOT_YET_VALID,
           "not yet valid");
    is_int(parse_verify(&T, DOC_NOW - 900, &auth, &why), S3_OK, "skew allowed before start");

    /* tampering with a signed part of the URL */
    treq_init(&T, "GET", PRESIGNED);
    treq_header(&T, "Host", "otherbucket.s3.amazonaws.com");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH, "host");
    /* an extra unsigned query parameter is part of the canonical query */
    treq_init(&T, "GET", PRESIGNED "&response-content-type=text/html");
    treq_header(&T, "Host", "examplebucket.s3.amazonaws.com");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH, "extra param");

    /* parameter errors */
    static const struct {
        const char *target;
        s3_err_t err;
        const char *msg;
    } bad[] = {
        {"/k?X-Amz-Algorithm=AWS4-HMAC-SHA256", S3_ERR_AUTH_QUERY_PARAMS, "requires the"},
        {"/k?X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=a%2F20130524%2Fus-east-1%2Fs3%"
         "2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host&"
         "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
         S3_ERR_AUTH_QUERY_PARAMS, "only supports"},
        {"/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fus-east-1%2Fs3%"
         "2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders="
         "host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
         S3_ERR_AUTH_QUERY_PARAMS, "604800"},
        {"/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fus-east-1%2Fs3%"
         "2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=0&X-Amz-SignedHeaders="
         "host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
         S3_ERR_AUTH_QUERY_PARAMS, "non-negative"},
        {"/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fus-east-1%2Fs3%"
         "2Faws4_request&X-Amz-Date=20130524&X-Amz-Expires=10&X-Amz-SignedHeaders="
         "host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
         S3_ERR_AUTH_QUERY_PARAMS, "ISO8601"},
        {"/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fus-east-1%2Fs3&"
         "X-Amz-Date=20130524T000000Z&X-Amz-Expires=10&X-Amz-SignedHeaders="
         "host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
         S3_ERR_AUTH_QUERY_PARAMS, "mal-formed"},
        {"/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Algorithm=AWS4-HMAC-SHA256",
         S3_ERR_AUTH_QUERY_PARAMS, "more than once"},
        {"/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=x", S3_ERR_NOT_IMPLEMENTED,
         "Session tokens"},
        {"/k?AWSAccessKeyId=a&Expires=1&Signature=x", S3_ERR_UNSUPPORTED_SIGNATURE, "AWS4"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        treq_init(&T, "GET", bad[i].target);
        treq_header(&T, "Host", "h");
        is_int(s3_sigv4_parse(&T.req, &auth, &why), bad[i].err, bad[i].target);
        has_str(s3_why_message(&why), bad[i].msg, bad[i].target);
    }
    /* header and query auth together */
    treq_init(&T, "GET", PRESIGNED);
    treq_header(&T, "Authorization", AUTH_PREFIX "SignedHeaders=host,Signature=00");
    is_int(s3_sigv4_parse(&T.req, &auth, &why), S3_ERR_INVALID_ARGUMENT, "two mechanisms");
}

static void hash_a(size_t n, uint8_t out[32])
{
    char *buf = malloc(n + 1);
    memset(buf, 'a', n);
    s3_sha256(buf, n, out);
    free(buf);
}

static void test_chunked(void)
{
    s3_sigv4_auth_t auth;
    s3_why_t why;
    uint8_t key[32], sig[32], h[32];
    char hex[65];
    doc_key(key);
    /* the seed request */
    treq_init(&T, "PUT", "/examplebucket/chunkObject.txt");
    treq_header(&T, "Host", "s3.amazonaws.com");
    treq_header(&T, "x-amz-date", "20130524T000000Z");
    treq_header(&T, "x-amz-storage-class", "REDUCED_REDUNDANCY");
    treq_header(&T, "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    treq_header(&T, "Content-Encoding", "aws-chunked");
    treq_header(&T, "x-amz-decoded-content-length", "66560");
    treq_header(&T, "Content-Length", "66824");
    treq_header(&T, "Authorization",
                AUTH_PREFIX "SignedHeaders=content-encoding;content-length;host;x-amz-content-"
                            "sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
                            "Signature="
                            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, "seed signature");
    s3_payload_kind_t pk;
    s3_sigv4_payload(&T.req, auth.kind, &T.req.payload_hash, &pk, &why);
    is_int(pk, S3_PAYLOAD_STREAMING_SIGNED, "streaming payload kind");

    static const struct {
        size_t n;
        const char *sig;
    } chunks[] = {
        {65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"},
        {1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"},
        {0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"},
    };
    uint8_t prev[32];
    memcpy(prev, auth.signature, 32);
    tn_slice_t scope = {auth.scope, auth.scope_len};
    for (size_t i = 0; i < 3; i++) {
        hash_a(chunks[i].n, h);
        s3_sigv4_chunk_signature(key, auth.amz_date, scope, prev, h, sig);
        tn_hex_encode(hex, sig, 32);
        is_str(hex, chunks[i].sig, "documented chunk signature");
        memcpy(prev, sig, 32);
    }

    /* trailer variant: seed, chunks, then the trailer signature */
    treq_init(&T, "PUT", "/examplebucket/chunkObject.txt");
    treq_header(&T, "Host", "s3.amazonaws.com");
    treq_header(&T, "x-amz-date", "20130524T000000Z");
    treq_header(&T, "x-amz-storage-class", "REDUCED_REDUNDANCY");
    treq_header(&T, "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
    treq_header(&T, "Content-Encoding", "aws-chunked");
    treq_header(&T, "x-amz-decoded-content-length", "66560");
    treq_header(&T, "x-amz-trailer", "x-amz-checksum-crc32c");
    treq_header(&T, "Authorization",
                AUTH_PREFIX "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;"
                            "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"
                            "Signature="
                            "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, "trailer seed signature");
    static const char *const tsigs[] = {
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"};
    memcpy(prev, auth.signature, 32);
    for (size_t i = 0; i < 3; i++) {
        hash_a(chunks[i].n, h);
        s3_sigv4_chunk_signature(key, auth.amz_date, scope, prev, h, sig);
        tn_hex_encode(hex, sig, 32);
        is_str(hex, tsigs[i], "documented trailer-mode chunk signature");
        memcpy(prev, sig, 32);
    }
    const char *trailer = "x-amz-checksum-crc32c:sOO8/Q==\n";
    s3_sha256(trailer, strlen(trailer), h);
    tn_hex_encode(hex, h, 32);
    is_str(hex, "1e376db7e1a34a8ef1c4bcee131a2d60a1cb62503747488624e10995f448d774", "trailer hash");
    s3_sigv4_trailer_signature(key, auth.amz_date, scope, prev, h, sig);
    tn_hex_encode(hex, sig, 32);
    is_str(hex, "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
           "documented trailer signature");
}

/* Replaces "%C" with cred and "%S" with sig (avoids non-literal printf formats). */
static void subst(char *out, size_t cap, const char *tmpl, const char *cred, const char *sig)
{
    size_t n = 0;
    for (const char *p = tmpl; *p && n + 1 < cap; p++) {
        const char *rep = NULL;
        if (p[0] == '%' && p[1] == 'C')
            rep = cred;
        else if (p[0] == '%' && p[1] == 'S')
            rep = sig;
        if (rep != NULL) {
            size_t l = strlen(rep);
            if (n + l >= cap)
                break;
            memcpy(out + n, rep, l);
            n += l;
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static void test_header_parse(void)
{
    s3_sigv4_auth_t a;
    s3_why_t why;
    const char *sig = "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    const char *cred = "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";
    char v[512];
    /* order and spacing tolerated */
    snprintf(v, sizeof v, "AWS4-HMAC-SHA256   %s ,SignedHeaders=host;x-amz-date,   %s  ", sig,
             cred);
    is_int(s3_sigv4_parse_header(v, strlen(v), &a, &why), S3_OK, "any order, spaces");
    is_str(a.signed_headers, "host;x-amz-date", "signed headers");
    is_str(a.region, "us-east-1", "region");
    is_str(a.service, "s3", "service");
    is_str(a.date, "20130524", "date");
    static const struct {
        const char *fmt;
        s3_err_t err;
        const char *msg;
    } bad[] = {
        {"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", S3_ERR_UNSUPPORTED_SIGNATURE,
         "AWS4-HMAC-SHA256"},
        {"AWS4-ECDSA-P256-SHA256 %C, SignedHeaders=host, %S", S3_ERR_UNSUPPORTED_SIGNATURE, ""},
        {"AWS4-HMAC-SHA256x %C, SignedHeaders=host, %S", S3_ERR_UNSUPPORTED_SIGNATURE, ""},
        {"AWS4-HMAC-SHA256 %C, %S", S3_ERR_AUTH_HEADER_MALFORMED, "three components"},
        {"AWS4-HMAC-SHA256 %C, SignedHeaders=host, SignedHeaders=host, %S",
         S3_ERR_AUTH_HEADER_MALFORMED, "duplicate"},
        {"AWS4-HMAC-SHA256 %C,, SignedHeaders=host, %S", S3_ERR_AUTH_HEADER_MALFORMED, "empty"},
        {"AWS4-HMAC-SHA256 %C, SignedHeaders=Host, %S", S3_ERR_AUTH_HEADER_MALFORMED,
         "SignedHeaders"},
        {"AWS4-HMAC-SHA256 %C, SignedHeaders=host;;x, %S", S3_ERR_AUTH_HEADER_MALFORMED,
         "SignedHeaders"},
        {"AWS4-HMAC-SHA256 %C, SignedHeaders=host, Foo=bar, %S", S3_ERR_AUTH_HEADER_MALFORMED,
         "unknown component"},
        {"AWS4-HMAC-SHA256 %C, SignedHeaders=host, %S0", S3_ERR_AUTH_HEADER_MALFORMED,
         "64 hexadecimal"},
        {"AWS4-HMAC-SHA256 %C/x, SignedHeaders=host, %S", S3_ERR_AUTH_HEADER_MALFORMED,
         "mal-formed"},
        {"AWS4-HMAC-SHA256 %CX, SignedHeaders=host, %S", S3_ERR_AUTH_HEADER_MALFORMED, "terminal"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        subst(v, sizeof v, bad[i].fmt, cred, sig);
        is_int(s3_sigv4_parse_header(v, strlen(v), &a, &why), bad[i].err, bad[i].fmt);
        has_str(s3_why_message(&why), bad[i].msg, bad[i].fmt);
    }
    const char *creds[] = {"Credential=/20130524/us-east-1/s3/aws4_request",
                           "Credential=AK/2013052/us-east-1/s3/aws4_request",
                           "Credential=AK/20130532/us-east-1/s3/aws4_request",
                           "Credential=AK/20130524//s3/aws4_request",
                           "Credential=AK/20130524/us-east-1//aws4_request",
                           "Credential=A K/20130524/us-east-1/s3/aws4_request",
                           /* fuzz regression: control bytes in the region broke the scope */
                           "Credential=AK/20130524/us-ea\x06st-1/s3/aws4_request",
                           "Credential=AK/20130524/us-east-1/\x7fs3/aws4_request"};
    for (size_t i = 0; i < TN_ARRAY_SIZE(creds); i++) {
        snprintf(v, sizeof v, "AWS4-HMAC-SHA256 %s, SignedHeaders=host, %s", creds[i], sig);
        is_int(s3_sigv4_parse_header(v, strlen(v), &a, &why), S3_ERR_AUTH_HEADER_MALFORMED,
               creds[i]);
    }
}

static const char *range_authz =
    AUTH_PREFIX "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature="
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

static void test_checks(void)
{
    s3_sigv4_auth_t auth;
    s3_why_t why;
    doc_get_range(&T, range_authz);
    is_int(parse_verify(&T, DOC_NOW + 900, &auth, &why), S3_OK, "900 s skew ok");
    is_int(parse_verify(&T, DOC_NOW - 900, &auth, &why), S3_OK, "-900 s skew ok");
    is_int(parse_verify(&T, DOC_NOW + 901, &auth, &why), S3_ERR_REQUEST_TIME_TOO_SKEWED, "late");
    is_int(parse_verify(&T, DOC_NOW - 901, &auth, &why), S3_ERR_REQUEST_TIME_TOO_SKEWED, "early");

    s3_sigv4_parse(&T.req, &auth, &why);
    is_int(s3_sigv4_check(&T.req, &auth, "eu-west-1", "s3", DOC_NOW, &why),
           S3_ERR_AUTH_HEADER_MALFORMED, "wrong region");
    has_str(why.message, "the region 'us-east-1' is wrong; expecting 'eu-west-1'",
            "AWS region message");
    is_int(s3_sigv4_check(&T.req, &auth, "us-east-1", "iam", DOC_NOW, &why),
           S3_ERR_AUTH_HEADER_MALFORMED, "wrong service");
    has_str(why.message, "incorrect service 's3'", "service message");

    /* credential day differs from x-amz-date */
    doc_get_range(&T, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130523/us-east-1/s3/"
                      "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_ERR_AUTH_HEADER_MALFORMED, "date scope");
    has_str(why.message, "Invalid credential date", "date message");

    /* an unsigned x-amz-* header */
    doc_get_range(&T, range_authz);
    treq_header(&T, "X-Amz-Meta-Evil", "1");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_ERR_HEADERS_NOT_SIGNED, "unsigned x-amz");
    is_int(s3_err_status(S3_ERR_HEADERS_NOT_SIGNED), 403, "403");
    /* an extra unsigned ordinary header is fine; a changed signed one is not */
    doc_get_range(&T, range_authz);
    treq_header(&T, "User-Agent", "curl");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, "unsigned ordinary header ok");
    doc_get_range(&T, range_authz);
    T.h[1].value = (tn_slice_t){"bytes=0-8", 9};
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH, "range");
    /* whitespace in a signed value is canonicalized */
    doc_get_range(&T, range_authz);
    T.h[1].value = (tn_slice_t){" \tbytes=0-9  ", 13};
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, "trimmed value");
    /* host not signed */
    doc_get_range(&T,
                  AUTH_PREFIX "SignedHeaders=range;x-amz-content-sha256;x-amz-date,Signature="
                              "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_ERR_AUTH_HEADER_MALFORMED, "host unsigned");
    /* missing x-amz-content-sha256 */
    treq_init(&T, "GET", "/test.txt");
    treq_header(&T, "Host", "examplebucket.s3.amazonaws.com");
    treq_header(&T, "x-amz-date", "20130524T000000Z");
    treq_header(&T, "Authorization",
                AUTH_PREFIX "SignedHeaders=host;x-amz-date,Signature="
                            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48"
                            "dd91039c6036bdb41");
    is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_ERR_INVALID_REQUEST, "content-sha256");
    has_str(why.message, "x-amz-content-sha256", "names the header");
    /* no date at all */
    treq_init(&T, "GET", "/test.txt");
    treq_header(&T, "Authorization", range_authz);
    is_int(s3_sigv4_parse(&T.req, &auth, &why), S3_ERR_ACCESS_DENIED, "no date");
    /* Date header as the request time */
    treq_init(&T, "GET", "/test.txt");
    treq_header(&T, "Date", "Fri, 24 May 2013 00:00:00 GMT");
    treq_header(&T, "Authorization", range_authz);
    is_int(s3_sigv4_parse(&T.req, &auth, &why), S3_OK, "Date header");
    is_str(auth.amz_date, "20130524T000000Z", "from Date");
    /* anonymous */
    treq_init(&T, "GET", "/test.txt");
    is_int(s3_sigv4_parse(&T.req, &auth, &why), S3_OK, "anonymous");
    is_int(auth.kind, S3_AUTH_NONE, "anonymous kind");
}

static void test_payload(void)
{
    tn_slice_t h;
    s3_payload_kind_t k;
    s3_why_t why;
    static const struct {
        const char *v;
        s3_err_t err;
        s3_payload_kind_t kind;
    } cases[] = {
        {EMPTY, S3_OK, S3_PAYLOAD_SHA256},
        {"UNSIGNED-PAYLOAD", S3_OK, S3_PAYLOAD_UNSIGNED},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", S3_OK, S3_PAYLOAD_STREAMING_SIGNED},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", S3_OK, S3_PAYLOAD_STREAMING_SIGNED_TRAILER},
        {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", S3_OK, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER},
        {"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", S3_ERR_NOT_IMPLEMENTED, 0},
        {"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
         S3_ERR_INVALID_ARGUMENT, 0},
        {"e3b0", S3_ERR_INVALID_ARGUMENT, 0},
        {"unsigned-payload", S3_ERR_INVALID_ARGUMENT, 0},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(cases); i++) {
        treq_init(&T, "PUT", "/b/k");
        treq_header(&T, "X-Amz-Content-SHA256", cases[i].v);
        is_int(s3_sigv4_payload(&T.req, S3_AUTH_HEADER, &h, &k, &why), cases[i].err, cases[i].v);
        if (cases[i].err == S3_OK) {
            is_int(k, cases[i].kind, cases[i].v);
            ok(h.len == strlen(cases[i].v), "hash slice is the header value");
        }
    }
    treq_init(&T, "GET", "/b/k");
    is_int(s3_sigv4_payload(&T.req, S3_AUTH_PRESIGNED, &h, &k, &why), S3_OK, "presigned");
    ok(h.len == 16 && memcmp(h.base, "UNSIGNED-PAYLOAD", 16) == 0, "presigned default");
}

/* A key sent with characters some clients leave unescaped: both signings verify. */
static void test_uri_modes(void)
{
    s3_sigv4_auth_t auth;
    s3_why_t why;
    uint8_t key[32], sig[32];
    char hex[65], authz[512], creq[1024];
    size_t n;
    doc_key(key);
    for (int mode = 0; mode < 2; mode++) {
        treq_init(&T, "GET", "/b/a=b!c%7e+d%2fe f//../x");
        treq_header(&T, "Host", "h");
        treq_header(&T, "x-amz-date", "20130524T000000Z");
        treq_header(&T, "x-amz-content-sha256", EMPTY);
        treq_header(&T, "Authorization",
                    AUTH_PREFIX "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
                                "0000000000000000000000000000000000000000000000000000000000000000");
        is_int(s3_sigv4_parse(&T.req, &auth, &why), S3_OK, "dummy signature parses");
        T.req.payload_hash = (tn_slice_t){EMPTY, 64};
        s3_sigv4_canonical_request(&T.req, &auth, (s3_sigv4_uri_mode_t)mode, creq, sizeof creq, &n);
        if (mode == S3_SIGV4_URI_CANONICAL)
            has_str(creq, "GET\n/b/a%3Db%21c~%2Bd/e%20f//../x\n",
                    "canonical path (%2f is a slash)");
        else
            has_str(creq, "GET\n/b/a=b!c%7e+d%2fe f//../x\n", "path as sent");
        s3_sigv4_signature(&T.req, &auth, (s3_sigv4_uri_mode_t)mode, key, sig);
        tn_hex_encode(hex, sig, 32);
        snprintf(authz, sizeof authz,
                 AUTH_PREFIX "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=%s",
                 hex);
        treq_init(&T, "GET", "/b/a=b!c%7e+d%2fe f//../x");
        treq_header(&T, "Host", "h");
        treq_header(&T, "x-amz-date", "20130524T000000Z");
        treq_header(&T, "x-amz-content-sha256", EMPTY);
        treq_header(&T, "Authorization", authz);
        is_int(parse_verify(&T, DOC_NOW, &auth, &why), S3_OK, mode ? "as sent" : "canonical");
    }
}

/* The per-thread cache of a signing key's padded HMAC states follows the key: signatures
 * under A, B, A again, and from a new thread, agree with each other as they must. */
static void *sign_in_thread(void *arg)
{
    uint8_t *sig = arg, key[32], zero[32] = {0};
    memset(key, 'A', sizeof key);
    s3_sigv4_chunk_signature(key, "20130524T000000Z", (tn_slice_t){"s", 1}, zero, zero, sig);
    return NULL;
}

static void test_key_cache(void)
{
    uint8_t a[32], b[32], zero[32] = {0}, s1[32], s2[32], s3[32], s4[32];
    memset(a, 'A', sizeof a);
    memset(b, 'B', sizeof b);
    tn_slice_t scope = {"s", 1};
    s3_sigv4_chunk_signature(a, "20130524T000000Z", scope, zero, zero, s1);
    s3_sigv4_chunk_signature(b, "20130524T000000Z", scope, zero, zero, s2);
    s3_sigv4_chunk_signature(a, "20130524T000000Z", scope, zero, zero, s3);
    ok(memcmp(s1, s3, 32) == 0, "key A again: same signature");
    ok(memcmp(s1, s2, 32) != 0, "key B: another signature");
    pthread_t t;
    ok(pthread_create(&t, NULL, sign_in_thread, s4) == 0 && pthread_join(t, NULL) == 0,
       "thread ran");
    ok(memcmp(s1, s4, 32) == 0, "another thread: same signature");
}

int main(void)
{
    subtest("signing key", test_signing_key);
    subtest("generic vectors", test_generic_vectors);
    subtest("S3 doc examples", test_s3_doc_examples);
    subtest("presigned", test_presigned);
    subtest("chunked", test_chunked);
    subtest("header parse", test_header_parse);
    subtest("checks", test_checks);
    subtest("payload", test_payload);
    subtest("uri modes", test_uri_modes);
    subtest("key cache", test_key_cache);
    return tt_done();
}
