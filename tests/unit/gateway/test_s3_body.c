/* test_s3_body.c — the one-pass request-body checks: header plans and their errors, the
 * Content-Encoding without aws-chunked, plain bodies (MD5, each checksum, signed SHA-256,
 * SHA-256 computed once when both want it), aws-chunked bodies decoded in place in every
 * step size (unsigned with trailers, signed, signed with a signed trailer), and each
 * verdict: tampered signatures, truncation, wrong or missing trailers, BadDigest texts. */
#include <errno.h>
#include "test.h"
#include "s3_body.h"
#include "tn_hex.h"

#define DATE  "20260101T000000Z"
#define SCOPE "20260101/us-east-1/s3/aws4_request"

static uint8_t key[32], seed[32];
#define HASH_NONE ((tn_slice_t){NULL, 0})

typedef struct {
    uint8_t *p;
    size_t len, cap;
} bbuf_t;

static void bb_add(bbuf_t *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void bb_str(bbuf_t *b, const char *s)
{
    bb_add(b, s, strlen(s));
}

static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n + 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

static void b64(s3_cksum_alg_t alg, const void *data, size_t len, char out[S3_CKSUM_MAX_TEXT])
{
    uint8_t raw[S3_CKSUM_MAX_RAW];
    size_t n = s3_checksum_oneshot(alg, data, len, raw);
    s3_checksum_text(raw, n, 0, out);
}

#define H(n, v) ((s3_header_t){TN_SLICE_LIT(n), {(v), strlen(v)}})

static s3_err_t plan_of(const s3_header_t *h, size_t n, s3_payload_kind_t kind, uint64_t body_len,
                        s3_body_plan_t *plan, s3_why_t *why)
{
    return s3_body_plan(h, n, kind, HASH_NONE, body_len, 1, plan, why);
}

static void test_plan_errors(void)
{
    s3_body_plan_t p;
    s3_why_t why;
    char crc[S3_CKSUM_MAX_TEXT], sha1[S3_CKSUM_MAX_TEXT];
    b64(S3_CKSUM_CRC32, "x", 1, crc);
    b64(S3_CKSUM_SHA1, "x", 1, sha1);

    s3_header_t h1[] = {H("Content-MD5", "not-base64!")};
    is_int(plan_of(h1, 1, S3_PAYLOAD_UNSIGNED, 1, &p, &why), S3_ERR_INVALID_DIGEST,
           "malformed Content-MD5: InvalidDigest");
    s3_header_t h1b[] = {H("content-md5", "AAAA")};
    is_int(plan_of(h1b, 1, S3_PAYLOAD_UNSIGNED, 1, &p, &why), S3_ERR_INVALID_DIGEST,
           "Content-MD5 of 3 bytes: InvalidDigest");

    s3_header_t h2[] = {H("x-amz-checksum-crc32", "AAAAAAAA")};
    is_int(plan_of(h2, 1, S3_PAYLOAD_UNSIGNED, 1, &p, &why), S3_ERR_INVALID_REQUEST,
           "malformed checksum: InvalidRequest");
    is_str(why.message, "Value for x-amz-checksum-crc32 header is invalid.", "AWS's text");

    s3_header_t h3[] = {H("x-amz-checksum-crc32", crc), H("X-Amz-Checksum-Sha1", sha1)};
    is_int(plan_of(h3, 2, S3_PAYLOAD_UNSIGNED, 1, &p, &why), S3_ERR_INVALID_REQUEST,
           "two checksum headers: InvalidRequest");
    has_str(why.message, "Multiple checksum Types", "AWS's text");

    s3_header_t h4[] = {H("x-amz-sdk-checksum-algorithm", "CRC32")};
    is_int(plan_of(h4, 1, S3_PAYLOAD_UNSIGNED, 1, &p, &why), S3_ERR_INVALID_REQUEST,
           "sdk algorithm without a checksum: InvalidRequest");
    has_str(why.message, "no corresponding x-amz-checksum-*", "AWS's text");
    s3_header_t h5[] = {H("x-amz-sdk-checksum-algorithm", "SHA1"), H("x-amz-checksum-crc32", crc)};
    is_int(plan_of(h5, 2, S3_PAYLOAD_UNSIGNED, 1, &p, &why), S3_ERR_INVALID_REQUEST,
           "sdk algorithm naming another checksum: InvalidRequest");
    s3_header_t h6[] = {H("x-amz-sdk-checksum-algorithm", "XXH3")};
    is_int(plan_of(h6, 1, S3_PAYLOAD_UNSIGNED, 1, &p, &why), S3_ERR_INVALID_REQUEST,
           "unknown sdk algorithm: InvalidRequest");

    s3_header_t h7[] = {H("x-amz-trailer", "x-amz-checksum-crc32"),
                        H("x-amz-decoded-content-length", "1")};
    is_int(plan_of(h7, 2, S3_PAYLOAD_UNSIGNED, 10, &p, &why), S3_ERR_INVALID_REQUEST,
           "x-amz-trailer without a trailer payload: InvalidRequest");
    is_int(plan_of(h7, 2, S3_PAYLOAD_STREAMING_SIGNED, 10, &p, &why), S3_ERR_INVALID_REQUEST,
           "x-amz-trailer with signed chunks without trailer: InvalidRequest");
    s3_header_t h8[] = {H("x-amz-trailer", "x-amz-meta-foo"),
                        H("x-amz-decoded-content-length", "1")};
    is_int(plan_of(h8, 2, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, 10, &p, &why),
           S3_ERR_INVALID_REQUEST, "non-checksum trailer: InvalidRequest");
    s3_header_t h9[] = {H("x-amz-trailer", "x-amz-checksum-crc32"), H("x-amz-checksum-crc32", crc),
                        H("x-amz-decoded-content-length", "1")};
    is_int(plan_of(h9, 3, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, 10, &p, &why),
           S3_ERR_INVALID_REQUEST, "checksum header and trailer: InvalidRequest");
    s3_header_t h9b[] = {H("x-amz-trailer", "x-amz-checksum-crc32, x-amz-checksum-sha1"),
                         H("x-amz-decoded-content-length", "1")};
    is_int(plan_of(h9b, 2, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, 10, &p, &why),
           S3_ERR_INVALID_REQUEST, "two checksum trailers: InvalidRequest");

    is_int(plan_of(NULL, 0, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, 10, &p, &why),
           S3_ERR_MISSING_CONTENT_LENGTH, "aws-chunked without decoded length");
    const char *bad_len[] = {"", "-1", "1x", "0x10", "99999999999999999999999", " "};
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad_len); i++) {
        s3_header_t h[] = {H("x-amz-decoded-content-length", bad_len[i])};
        is_int(plan_of(h, 1, S3_PAYLOAD_STREAMING_SIGNED, 10, &p, &why), S3_ERR_INVALID_ARGUMENT,
               bad_len[i]);
    }
    s3_header_t h10[] = {H("x-amz-decoded-content-length", "11")};
    is_int(plan_of(h10, 1, S3_PAYLOAD_STREAMING_SIGNED, 10, &p, &why), S3_ERR_INCOMPLETE_BODY,
           "decoded length over the body: IncompleteBody");
    s3_header_t h11[] = {H("x-amz-decoded-content-length", "1"),
                         H("x-amz-decoded-content-length", "1")};
    is_int(plan_of(h11, 2, S3_PAYLOAD_STREAMING_SIGNED, 10, &p, &why), S3_ERR_INVALID_ARGUMENT,
           "two decoded lengths: InvalidArgument");
    is_int(s3_body_plan(NULL, 0, S3_PAYLOAD_SHA256, TN_SLICE_LIT("zz"), 0, 0, &p, &why),
           S3_ERR_INVALID_ARGUMENT, "payload hash not hex");
}

static void test_plan_ok(void)
{
    s3_body_plan_t p;
    s3_why_t why;
    char crc[S3_CKSUM_MAX_TEXT];
    b64(S3_CKSUM_CRC32C, "x", 1, crc);
    is_int(s3_body_plan(NULL, 0, S3_PAYLOAD_UNSIGNED, HASH_NONE, 5, 0, &p, &why), S3_OK,
           "nothing asked");
    ok(!s3_body_plan_needs_pass(&p), "no pass for an unsigned body of a non-storing op");
    is_int(s3_body_plan(NULL, 0, S3_PAYLOAD_UNSIGNED, HASH_NONE, 5, 1, &p, &why), S3_OK, "store");
    ok(s3_body_plan_needs_pass(&p) && p.want_md5, "storing ops always get the MD5");
    s3_header_t h[] = {H("X-Amz-Sdk-Checksum-Algorithm", "crc32c"),
                       H("x-amz-checksum-crc32c", crc)};
    is_int(s3_body_plan(h, 2, S3_PAYLOAD_UNSIGNED, HASH_NONE, 1, 0, &p, &why), S3_OK,
           "sdk algorithm with its header (any case)");
    ok(p.cksum_alg == S3_CKSUM_CRC32C && !p.cksum_in_trailer && !p.want_md5, "plan fields");
    /* CompleteMultipartUpload: the header is the object's checksum, not the body's */
    is_int(s3_body_plan(h, 2, S3_PAYLOAD_UNSIGNED, HASH_NONE, 1, S3_BODY_OBJECT_CKSUM, &p, &why),
           S3_OK, "object checksum header");
    ok(p.cksum_alg == S3_CKSUM_NONE && !s3_body_plan_needs_pass(&p),
       "object checksum: not computed over the body");
    char comp[S3_CKSUM_MAX_TEXT + 8];
    snprintf(comp, sizeof comp, "%s-12", crc);
    s3_header_t hc[] = {H("x-amz-checksum-crc32c", comp)};
    is_int(s3_body_plan(hc, 1, S3_PAYLOAD_UNSIGNED, HASH_NONE, 1, S3_BODY_OBJECT_CKSUM, &p, &why),
           S3_OK, "object checksum in composite form");
    is_int(s3_body_plan(hc, 1, S3_PAYLOAD_UNSIGNED, HASH_NONE, 1, 0, &p, &why),
           S3_ERR_INVALID_REQUEST, "composite form is no body checksum");
    s3_header_t hb[] = {H("x-amz-checksum-crc32c", "nope")};
    is_int(s3_body_plan(hb, 1, S3_PAYLOAD_UNSIGNED, HASH_NONE, 1, S3_BODY_OBJECT_CKSUM, &p, &why),
           S3_ERR_INVALID_REQUEST, "object checksum still validated in form");
    s3_header_t t[] = {H("x-amz-trailer", " x-amz-checksum-crc64nvme "),
                       H("x-amz-sdk-checksum-algorithm", "CRC64NVME"),
                       H("x-amz-decoded-content-length", " 7 ")};
    is_int(s3_body_plan(t, 3, S3_PAYLOAD_STREAMING_SIGNED_TRAILER, HASH_NONE, 100, 1, &p, &why),
           S3_OK, "signed trailer plan");
    ok(p.streaming && p.cksum_alg == S3_CKSUM_CRC64NVME && p.cksum_in_trailer &&
           p.decoded_length == 7,
       "trailer plan fields");
}

static void test_content_encoding(void)
{
    static const char *const cases[][2] = {
        {"aws-chunked", ""},
        {"aws-chunked,gzip", "gzip"},
        {"gzip, aws-chunked", "gzip"},
        {"gzip,AWS-Chunked , br", "gzip,br"},
        {"", ""},
        {" , ,", ""},
        {"identity", "identity"},
        {"aws-chunkedx,aws-chunked", "aws-chunkedx"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(cases); i++) {
        char out[64];
        size_t n = s3_body_content_encoding(cases[i][0], strlen(cases[i][0]), out);
        out[n] = '\0';
        is_str(out, cases[i][1], cases[i][0]);
    }
}

/* Runs a whole pass over a copy of in with steps of `step` input bytes. */
static s3_err_t pass(const s3_body_plan_t *plan, const uint8_t *in, size_t len, size_t step,
                     uint8_t **outbuf, s3_body_result_t *res, s3_why_t *why)
{
    uint8_t *buf = malloc(len + 1);
    memcpy(buf, in, len);
    s3_body_t b;
    s3_body_keys_t keys = {key, DATE, TN_SLICE_LIT(SCOPE), seed};
    s3_err_t e = S3_ERR_INTERNAL_ERROR;
    if (s3_body_init(&b, plan, &keys, buf, len) == TN_OK) {
        int done = 0;
        for (int guard = 0; !done && guard < 10000000; guard++)
            s3_body_step(&b, step, &done);
        e = s3_body_finish(&b, res, why);
    }
    s3_body_free(&b);
    if (outbuf != NULL)
        *outbuf = buf;
    else
        free(buf);
    return e;
}

static void test_plain(void)
{
    size_t n = 100000;
    uint8_t *data = pattern(n);
    s3_body_plan_t p;
    s3_body_result_t res;
    s3_why_t why;
    uint8_t md5[S3_CKSUM_MAX_RAW];
    s3_checksum_oneshot(S3_CKSUM_MD5, data, n, md5);
    for (int a = S3_CKSUM_CRC32; a <= S3_CKSUM_SHA256; a++) {
        char v[S3_CKSUM_MAX_TEXT], md5t[S3_CKSUM_MAX_TEXT];
        b64((s3_cksum_alg_t)a, data, n, v);
        b64(S3_CKSUM_MD5, data, n, md5t);
        s3_header_t h[] = {
            {{s3_checksum_header((s3_cksum_alg_t)a), strlen(s3_checksum_header((s3_cksum_alg_t)a))},
             {v, strlen(v)}},
            H("content-md5", md5t)};
        is_int(s3_body_plan(h, 2, S3_PAYLOAD_UNSIGNED, HASH_NONE, n, 1, &p, &why), S3_OK, "plan");
        is_int(pass(&p, data, n, 4096, NULL, &res, &why), S3_OK, s3_checksum_name(a));
        ok(res.len == n && res.has_md5 && memcmp(res.md5, md5, 16) == 0, "MD5 and length");
        ok(res.cksum_alg == (s3_cksum_alg_t)a, "checksum algorithm kept");
        uint8_t want[S3_CKSUM_MAX_RAW];
        s3_checksum_oneshot((s3_cksum_alg_t)a, data, n, want);
        is_mem(res.cksum, want, s3_checksum_size((s3_cksum_alg_t)a), "checksum value kept");
        data[5] ^= 1; /* same length, other bytes */
        is_int(pass(&p, data, n, n, NULL, &res, &why), S3_ERR_BAD_DIGEST, "changed body");
        is_str(s3_why_message(&why),
               "The Content-MD5 you specified did not match what we received.",
               "Content-MD5 checked first");
        data[5] ^= 1;
        /* checksum only: the message names the algorithm */
        is_int(s3_body_plan(h, 1, S3_PAYLOAD_UNSIGNED, HASH_NONE, n - 1, 0, &p, &why), S3_OK,
               "plan");
        is_int(pass(&p, data, n - 1, 1 << 20, NULL, &res, &why), S3_ERR_BAD_DIGEST, "short body");
        char msg[128];
        snprintf(msg, sizeof msg, "The %s you specified did not match the calculated checksum.",
                 s3_checksum_name(a));
        is_str(why.message, msg, "BadDigest names the algorithm");
    }
    /* signed SHA-256, alone and together with x-amz-checksum-sha256 (one digest) */
    uint8_t sha[32];
    char hex[65], sha_b64[S3_CKSUM_MAX_TEXT];
    s3_sha256(data, n, sha);
    tn_hex_encode(hex, sha, 32);
    b64(S3_CKSUM_SHA256, data, n, sha_b64);
    s3_header_t hs[] = {H("x-amz-checksum-sha256", sha_b64)};
    for (size_t k = 0; k < 2; k++) {
        is_int(s3_body_plan(hs, k, S3_PAYLOAD_SHA256, (tn_slice_t){hex, 64}, n, 0, &p, &why), S3_OK,
               "sha256 plan");
        is_int(pass(&p, data, n, 777, NULL, &res, &why), S3_OK, "signed sha256 matches");
        is_int(pass(&p, data, n - 1, 777, NULL, &res, &why), S3_ERR_CONTENT_SHA256_MISMATCH,
               "signed sha256 mismatch before the checksum");
    }
    free(data);
}

/* An unsigned aws-chunked body: chunks of `cs` bytes, then trailer lines (raw text). */
static void unsigned_body(bbuf_t *b, const uint8_t *d, size_t n, size_t cs, const char *trailers)
{
    char line[64];
    for (size_t off = 0; off < n; off += cs) {
        size_t k = TN_MIN(cs, n - off);
        snprintf(line, sizeof line, "%zx\r\n", k);
        bb_str(b, line);
        bb_add(b, d + off, k);
        bb_str(b, "\r\n");
    }
    bb_str(b, "0\r\n");
    bb_str(b, trailers);
    bb_str(b, "\r\n");
}

static void test_unsigned_trailer(void)
{
    size_t n = 70000;
    uint8_t *data = pattern(n);
    char crc[S3_CKSUM_MAX_TEXT], tr[128], dl[32];
    b64(S3_CKSUM_CRC32, data, n, crc);
    snprintf(tr, sizeof tr, "x-amz-checksum-crc32:%s\r\n", crc);
    snprintf(dl, sizeof dl, "%zu", n);
    bbuf_t body = {0};
    unsigned_body(&body, data, n, 8192, tr);
    s3_header_t h[] = {H("x-amz-trailer", "x-amz-checksum-crc32"),
                       H("x-amz-decoded-content-length", dl)};
    s3_body_plan_t p;
    s3_body_result_t res;
    s3_why_t why;
    is_int(
        s3_body_plan(h, 2, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, HASH_NONE, body.len, 1, &p, &why),
        S3_OK, "plan");
    static const size_t steps[] = {1, 2, 3, 7, 8191, 8192, 8193, 65536, 1u << 20};
    for (size_t i = 0; i < TN_ARRAY_SIZE(steps); i++) {
        uint8_t *out = NULL;
        s3_err_t e = pass(&p, body.p, body.len, steps[i], &out, &res, &why);
        char what[64];
        snprintf(what, sizeof what, "decoded in place, steps of %zu", steps[i]);
        ok(e == S3_OK && res.len == n && memcmp(out, data, n) == 0, what);
        free(out);
    }
    uint8_t md5[S3_CKSUM_MAX_RAW];
    s3_checksum_oneshot(S3_CKSUM_MD5, data, n, md5);
    is_mem(res.md5, md5, 16, "MD5 of the decoded bytes");
    ok(res.cksum_alg == S3_CKSUM_CRC32, "trailer checksum reported");

    /* wrong trailer value */
    bbuf_t bad = {0};
    char wrong[S3_CKSUM_MAX_TEXT];
    b64(S3_CKSUM_CRC32, "other", 5, wrong);
    snprintf(tr, sizeof tr, "x-amz-checksum-crc32:%s\r\n", wrong);
    unsigned_body(&bad, data, n, 8192, tr);
    is_int(pass(&p, bad.p, bad.len, 4096, NULL, &res, &why), S3_ERR_BAD_DIGEST, "wrong trailer");
    is_str(why.message, "The CRC32 you specified did not match the calculated checksum.", "text");
    /* malformed trailer value */
    bad.len = 0;
    unsigned_body(&bad, data, n, 8192, "x-amz-checksum-crc32:!!!!\r\n");
    is_int(pass(&p, bad.p, bad.len, 4096, NULL, &res, &why), S3_ERR_INVALID_REQUEST,
           "malformed trailer value");
    /* another trailer than announced */
    bad.len = 0;
    b64(S3_CKSUM_CRC32C, data, n, wrong);
    snprintf(tr, sizeof tr, "x-amz-checksum-crc32c:%s\r\n", wrong);
    unsigned_body(&bad, data, n, 8192, tr);
    is_int(pass(&p, bad.p, bad.len, 4096, NULL, &res, &why), S3_ERR_MALFORMED_TRAILER,
           "trailer not announced");
    /* announced trailer missing */
    bad.len = 0;
    unsigned_body(&bad, data, n, 8192, "");
    is_int(pass(&p, bad.p, bad.len, 4096, NULL, &res, &why), S3_ERR_MALFORMED_TRAILER,
           "announced trailer missing");
    /* no x-amz-trailer but a trailer sent */
    is_int(s3_body_plan(h + 1, 1, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, HASH_NONE, body.len, 1, &p,
                        &why),
           S3_OK, "plan without x-amz-trailer");
    is_int(pass(&p, body.p, body.len, 4096, NULL, &res, &why), S3_ERR_MALFORMED_TRAILER,
           "trailer without x-amz-trailer");
    /* truncated */
    is_int(
        s3_body_plan(h, 2, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, HASH_NONE, body.len, 1, &p, &why),
        S3_OK, "plan");
    for (size_t cut = 1; cut < body.len - n; cut += 97) {
        s3_err_t e = pass(&p, body.p, body.len - cut, 5000, NULL, &res, &why);
        if (e != S3_ERR_INCOMPLETE_BODY) {
            is_int(e, S3_ERR_INCOMPLETE_BODY, "truncated");
            break;
        }
    }
    ok(1, "every truncation: IncompleteBody");
    /* decoded length one off */
    snprintf(dl, sizeof dl, "%zu", n - 1);
    s3_header_t hl[] = {H("x-amz-trailer", "x-amz-checksum-crc32"),
                        H("x-amz-decoded-content-length", dl)};
    is_int(s3_body_plan(hl, 2, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, HASH_NONE, body.len, 1, &p,
                        &why),
           S3_OK, "plan");
    is_int(pass(&p, body.p, body.len, 4096, NULL, &res, &why), S3_ERR_INVALID_ARGUMENT,
           "more data than the decoded length");
    snprintf(dl, sizeof dl, "%zu", n + 1);
    s3_header_t hm[] = {H("x-amz-trailer", "x-amz-checksum-crc32"),
                        H("x-amz-decoded-content-length", dl)};
    is_int(s3_body_plan(hm, 2, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, HASH_NONE, body.len, 1, &p,
                        &why),
           S3_OK, "plan");
    is_int(pass(&p, body.p, body.len, 4096, NULL, &res, &why), S3_ERR_INCOMPLETE_BODY,
           "less data than the decoded length");
    free(body.p);
    free(bad.p);
    free(data);
}

/* A signed body (chunk sizes given, 0-terminated list), optional signed trailer. */
static void signed_body(bbuf_t *b, const uint8_t *d, const size_t *sizes, const char *trailer,
                        int bad_chunk, int bad_trailer)
{
    uint8_t prev[32], sig[32], sha[32];
    memcpy(prev, seed, 32);
    size_t off = 0;
    for (int i = 0;; i++) {
        size_t k = sizes[i];
        s3_sha256(d + off, k, sha);
        s3_sigv4_chunk_signature(key, DATE, TN_SLICE_LIT(SCOPE), prev, sha, sig);
        memcpy(prev, sig, 32);
        if (i == bad_chunk)
            sig[3] ^= 1;
        char hex[65], line[128];
        tn_hex_encode(hex, sig, 32);
        snprintf(line, sizeof line, "%zx;chunk-signature=%s\r\n", k, hex);
        bb_str(b, line);
        if (k == 0)
            break;
        bb_add(b, d + off, k);
        bb_str(b, "\r\n");
        off += k;
    }
    if (trailer != NULL) {
        char canon[128];
        snprintf(canon, sizeof canon, "%s\n", trailer);
        s3_sha256(canon, strlen(canon), sha);
        s3_sigv4_trailer_signature(key, DATE, TN_SLICE_LIT(SCOPE), prev, sha, sig);
        if (bad_trailer)
            sig[0] ^= 0x10;
        char hex[65];
        tn_hex_encode(hex, sig, 32);
        bb_str(b, trailer);
        bb_str(b, "\r\nx-amz-trailer-signature:");
        bb_add(b, hex, 64);
        bb_str(b, "\r\n");
    }
    bb_str(b, "\r\n");
}

static void test_signed(void)
{
    size_t sizes[] = {20000, 8192, 9000, 0}, n = 37192;
    uint8_t *data = pattern(n);
    char dl[32], crc[S3_CKSUM_MAX_TEXT], tr[96];
    snprintf(dl, sizeof dl, "%zu", n);
    b64(S3_CKSUM_SHA1, data, n, crc);
    snprintf(tr, sizeof tr, "x-amz-checksum-sha1:%s", crc);
    s3_body_plan_t p;
    s3_body_result_t res;
    s3_why_t why;
    s3_header_t h[] = {H("x-amz-decoded-content-length", dl),
                       H("x-amz-trailer", "x-amz-checksum-sha1")};
    for (int trailer = 0; trailer < 2; trailer++) {
        s3_payload_kind_t kind =
            trailer ? S3_PAYLOAD_STREAMING_SIGNED_TRAILER : S3_PAYLOAD_STREAMING_SIGNED;
        const char *t = trailer ? tr : NULL;
        bbuf_t body = {0};
        signed_body(&body, data, sizes, t, -1, 0);
        is_int(s3_body_plan(h, 1 + (size_t)trailer, kind, HASH_NONE, body.len, 1, &p, &why), S3_OK,
               "plan");
        uint8_t *out = NULL;
        is_int(pass(&p, body.p, body.len, 3333, &out, &res, &why), S3_OK, "signed body");
        ok(res.len == n && memcmp(out, data, n) == 0, "decoded in place");
        free(out);
        for (int bad = 0; bad < 4; bad++) {
            bbuf_t b2 = {0};
            signed_body(&b2, data, sizes, t, bad, 0);
            is_int(pass(&p, b2.p, b2.len, 65536, NULL, &res, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
                   "tampered chunk signature");
            free(b2.p);
        }
        if (trailer) {
            bbuf_t b3 = {0};
            signed_body(&b3, data, sizes, t, -1, 1);
            is_int(pass(&p, b3.p, b3.len, 65536, NULL, &res, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
                   "tampered trailer signature");
            free(b3.p);
        }
        /* small middle chunk */
        size_t small[] = {20000, 100, 17092, 0};
        bbuf_t b4 = {0};
        signed_body(&b4, data, small, t, -1, 0);
        is_int(pass(&p, b4.p, b4.len, 65536, NULL, &res, &why), S3_ERR_INVALID_CHUNK_SIZE,
               "small middle chunk");
        free(b4.p);
        free(body.p);
    }
    free(data);
}

static void test_init(void)
{
    s3_body_plan_t p;
    s3_why_t why;
    s3_header_t h[] = {H("x-amz-decoded-content-length", "0")};
    is_int(s3_body_plan(h, 1, S3_PAYLOAD_STREAMING_SIGNED, HASH_NONE, 10, 1, &p, &why), S3_OK,
           "plan");
    s3_body_t b;
    uint8_t buf[10];
    is_int(s3_body_init(&b, &p, NULL, buf, sizeof buf), -EINVAL, "signed needs keys");
    s3_body_free(&b);
    s3_body_free(&b);
    ok(1, "free twice is safe");
    /* an empty aws-chunked body is incomplete */
    s3_body_result_t res;
    is_int(s3_body_plan(h, 1, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, HASH_NONE, 0, 1, &p, &why),
           S3_OK, "plan");
    is_int(pass(&p, (const uint8_t *)"", 0, 10, NULL, &res, &why), S3_ERR_INCOMPLETE_BODY,
           "empty aws-chunked body");
    /* an empty body with nothing but a zero chunk */
    const char *z = "0\r\n\r\n";
    is_int(pass(&p, (const uint8_t *)z, strlen(z), 1, NULL, &res, &why), S3_OK, "zero-length");
    ok(res.len == 0 && res.has_md5, "empty object MD5");
}

int main(void)
{
    s3_sigv4_signing_key(TN_STRLIT("secret"), "20260101", "us-east-1", "s3", key);
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 7 + 1);
    subtest("plan errors", test_plan_errors);
    subtest("plan", test_plan_ok);
    subtest("Content-Encoding without aws-chunked", test_content_encoding);
    subtest("plain bodies", test_plain);
    subtest("unsigned aws-chunked with trailers", test_unsigned_trailer);
    subtest("signed aws-chunked", test_signed);
    subtest("init and empty bodies", test_init);
    return tt_done();
}
