/* test_s3_chunked.c — the aws-chunked decoder: the AWS documentation's signed and
 * signed-trailer examples (literal signatures), botocore-style unsigned bodies with a CRC32
 * trailer, every kind of split, tampering with each signature, truncation at every byte,
 * malformed framing, limits, decoded-length checks and the liberal endings. */
#include <errno.h>
#include "test.h"
#include "s3_chunked.h"
#include "s3_checksum.h"
#include "tn_hex.h"

#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_DATE   "20130524T000000Z"
#define DOC_SCOPE  "20130524/us-east-1/s3/aws4_request"
#define DOC_SEED   "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define DOC_TSEED  "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"

static uint8_t doc_key[32];

/* A growable byte buffer for building bodies and collecting output. */
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

static void bb_free(bbuf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static void unhex32(const char *hex, uint8_t out[32])
{
    size_t n;
    tn_hex_decode(hex, 64, out, 32, &n);
}

/* The documentation's body: 65536 + 1024 'a' then the final chunk, with the given literal
 * chunk signatures and what follows the final chunk line. */
static void doc_body(bbuf_t *b, const char *const sigs[3], const char *tail)
{
    static const size_t sizes[] = {65536, 1024, 0};
    char line[128];
    for (int i = 0; i < 3; i++) {
        snprintf(line, sizeof(line), "%zx;chunk-signature=%s\r\n", sizes[i], sigs[i]);
        bb_str(b, line);
        for (size_t k = 0; k < sizes[i]; k++)
            bb_add(b, "a", 1);
        if (sizes[i] > 0)
            bb_str(b, "\r\n");
    }
    bb_str(b, tail);
}

static const char *const doc_sigs[3] = {
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"};
static const char *const doc_tsigs[3] = {
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"};
#define DOC_TRAILER                                                                                \
    "x-amz-checksum-crc32c:sOO8/Q==\r\n"                                                           \
    "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n" \
    "\r\n"

typedef struct {
    s3_payload_kind_t mode;
    const char *seed_hex; /* NULL: unsigned */
    uint64_t decoded_length;
} cfg_t;

static int init_cfg(s3_chunked_t *st, const cfg_t *c)
{
    uint8_t seed[32];
    if (c->seed_hex == NULL)
        return s3_chunked_init(st, c->mode, NULL, NULL, (tn_slice_t){NULL, 0}, NULL,
                               c->decoded_length);
    unhex32(c->seed_hex, seed);
    return s3_chunked_init(st, c->mode, doc_key, DOC_DATE, TN_SLICE_LIT(DOC_SCOPE), seed,
                           c->decoded_length);
}

/* Next piece length: 0 = all at once, 1 = byte at a time, else pseudo-random 1..split. */
static size_t piece(size_t split, uint32_t *rng, size_t left)
{
    if (split == 0)
        return left;
    if (split == 1)
        return 1;
    *rng = *rng * 1103515245u + 12345u;
    return TN_MIN(left, 1 + (*rng >> 8) % split);
}

/* Feeds body in pieces, collects the payload; returns the final error (finish included). */
static s3_err_t run(const cfg_t *c, const uint8_t *body, size_t len, size_t split, uint32_t seed,
                    bbuf_t *out, s3_chunked_t *st, s3_why_t *why)
{
    uint32_t rng = seed;
    if (init_cfg(st, c) != TN_OK)
        return S3_ERR_INTERNAL_ERROR;
    size_t off = 0;
    while (off < len) {
        size_t n = piece(split, &rng, len - off);
        const uint8_t *p = body + off;
        size_t left = n;
        while (left > 0) {
            tn_slice_t d;
            ssize_t r = s3_chunked_decode(st, p, left, &d, why);
            if (r == TN_PARSE_ERROR)
                return why->err;
            if (r == TN_PARSE_INCOMPLETE) {
                if (d.len != 0)
                    return S3_ERR_INTERNAL_ERROR; /* contract: no data with INCOMPLETE */
                break;
            }
            if (r == 0 || (size_t)r > left)
                return S3_ERR_INTERNAL_ERROR; /* contract: progress, within bounds */
            if (d.len > 0) {
                if ((const uint8_t *)d.base < p || (const uint8_t *)d.base + d.len > p + r)
                    return S3_ERR_INTERNAL_ERROR; /* slice outside the consumed bytes */
                bb_add(out, d.base, d.len);
            }
            p += r;
            left -= (size_t)r;
        }
        off += n;
    }
    return s3_chunked_finish(st, why);
}

static int all_a(const bbuf_t *b, size_t n)
{
    if (b->len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (b->p[i] != 'a')
            return 0;
    return 1;
}

static void test_doc_signed(void)
{
    bbuf_t body = {0};
    doc_body(&body, doc_sigs, "\r\n");
    is_uint(body.len, 66824, "the documented Content-Length");
    cfg_t c = {S3_PAYLOAD_STREAMING_SIGNED, DOC_SEED, 66560};
    static const size_t splits[] = {0, 1, 7, 100, 5000, 70000};
    for (size_t s = 0; s < TN_ARRAY_SIZE(splits); s++) {
        for (uint32_t seed = 1; seed <= (splits[s] > 1 ? 5u : 1u); seed++) {
            s3_chunked_t st;
            s3_why_t why;
            bbuf_t out = {0};
            s3_err_t e = run(&c, body.p, body.len, splits[s], seed, &out, &st, &why);
            is_int(e, S3_OK, "documented signed body decodes");
            if (e != S3_OK)
                fprintf(stderr, "    split %zu: %s\n", splits[s], s3_why_message(&why));
            ok(all_a(&out, 66560), "payload is 66560 'a'");
            ok(s3_chunked_done(&st), "done");
            is_uint(st.n_chunks, 3, "three chunks");
            is_uint(st.n_trailers, 0, "no trailers");
            s3_chunked_free(&st);
            bb_free(&out);
        }
    }
    /* every two-piece split around the chunk boundaries */
    size_t cuts[600], nc = 0;
    for (size_t k = 0; k < 200; k++)
        cuts[nc++] = k;
    for (size_t k = 65536 + 80; k < 65536 + 200; k++)
        cuts[nc++] = k;
    for (size_t k = body.len - 200; k < body.len; k++)
        cuts[nc++] = k;
    int bad = 0;
    for (size_t k = 0; k < nc; k++) {
        s3_chunked_t st;
        s3_why_t why;
        tn_slice_t d;
        uint64_t got = 0;
        init_cfg(&st, &c);
        const uint8_t *p = body.p;
        size_t parts[2] = {cuts[k], body.len - cuts[k]};
        for (int j = 0; j < 2; j++) {
            size_t left = parts[j];
            while (left > 0) {
                ssize_t r = s3_chunked_decode(&st, p, left, &d, &why);
                if (r < 0) {
                    if (r == TN_PARSE_ERROR)
                        bad++;
                    p += left;
                    break;
                }
                got += d.len;
                p += r;
                left -= (size_t)r;
            }
        }
        if (s3_chunked_finish(&st, &why) != S3_OK || got != 66560)
            bad++;
        s3_chunked_free(&st);
    }
    is_int(bad, 0, "two-piece splits near boundaries");
    bb_free(&body);
}

static void test_doc_trailer(void)
{
    bbuf_t body = {0};
    doc_body(&body, doc_tsigs, DOC_TRAILER);
    cfg_t c = {S3_PAYLOAD_STREAMING_SIGNED_TRAILER, DOC_TSEED, 66560};
    static const size_t splits[] = {0, 1, 3, 64, 9000};
    for (size_t s = 0; s < TN_ARRAY_SIZE(splits); s++) {
        s3_chunked_t st;
        s3_why_t why;
        bbuf_t out = {0};
        s3_err_t e = run(&c, body.p, body.len, splits[s], 42, &out, &st, &why);
        is_int(e, S3_OK, "documented trailer body decodes");
        if (e != S3_OK)
            fprintf(stderr, "    %s\n", s3_why_message(&why));
        ok(all_a(&out, 66560), "payload");
        is_uint(st.n_trailers, 1, "one trailer (the signature is not one)");
        const tn_slice_t *v = s3_chunked_trailer(&st, "X-Amz-Checksum-CRC32C");
        ok(v != NULL && v->len == 8 && memcmp(v->base, "sOO8/Q==", 8) == 0, "trailer value");
        ok(s3_chunked_trailer(&st, "x-amz-trailer-signature") == NULL, "signature not exposed");
        ok(st.trailer_signed, "trailer signature verified");
        /* what the caller does next: compare the trailer checksum with the data */
        uint8_t raw[S3_CKSUM_MAX_RAW], want[S3_CKSUM_MAX_RAW];
        s3_checksum_oneshot(S3_CKSUM_CRC32C, out.p, out.len, raw);
        if (v != NULL) {
            is_int(s3_checksum_decode(S3_CKSUM_CRC32C, v->base, v->len, want), TN_OK,
                   "trailer checksum decodes");
            is_mem(raw, want, 4, "documented CRC32C matches the payload");
        }
        s3_chunked_free(&st);
        bb_free(&out);
    }
    bb_free(&body);
}

/* Replaces the first occurrence of what in b with with (same length). */
static int patch(bbuf_t *b, const char *what, const char *with)
{
    size_t n = strlen(what);
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->p + i, what, n) == 0) {
            memcpy(b->p + i, with, n);
            return 1;
        }
    return 0;
}

static void flip_hex(char *s)
{
    s[10] = s[10] == '0' ? '1' : '0';
}

static void test_tamper(void)
{
    /* each chunk signature */
    for (int i = 0; i < 3; i++) {
        char sig[3][65];
        const char *sigs[3];
        for (int k = 0; k < 3; k++) {
            strcpy(sig[k], doc_sigs[k]);
            sigs[k] = sig[k];
        }
        flip_hex(sig[i]);
        bbuf_t body = {0}, out = {0};
        doc_body(&body, sigs, "\r\n");
        cfg_t c = {S3_PAYLOAD_STREAMING_SIGNED, DOC_SEED, 66560};
        s3_chunked_t st;
        s3_why_t why;
        is_int(run(&c, body.p, body.len, 1000, 3, &out, &st, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
               "tampered chunk signature");
        has_str(s3_why_message(&why), "chunk-signature", "message names the chunk signature");
        /* the error is sticky */
        tn_slice_t d;
        is_int(s3_chunked_decode(&st, (const uint8_t *)"x", 1, &d, &why), TN_PARSE_ERROR,
               "dead after error");
        is_int(why.err, S3_ERR_SIGNATURE_DOES_NOT_MATCH, "same error again");
        s3_chunked_free(&st);
        bb_free(&out);
        bb_free(&body);
    }
    /* a data byte; the seed; the trailer value; the trailer signature */
    {
        bbuf_t body = {0}, out = {0};
        doc_body(&body, doc_sigs, "\r\n");
        body.p[66000] = 'b'; /* inside the second chunk */
        cfg_t c = {S3_PAYLOAD_STREAMING_SIGNED, DOC_SEED, 66560};
        s3_chunked_t st;
        s3_why_t why;
        is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
               "tampered data");
        s3_chunked_free(&st);
        bb_free(&out);
        c.seed_hex = DOC_TSEED;
        doc_body(&out, doc_sigs, "\r\n");
        is_int(run(&c, out.p, out.len, 0, 0, &body, &st, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
               "wrong seed");
        s3_chunked_free(&st);
        bb_free(&out);
        bb_free(&body);
    }
    {
        bbuf_t body = {0}, out = {0};
        doc_body(&body, doc_tsigs, DOC_TRAILER);
        ok(patch(&body, "sOO8/Q==", "sOO8/R=="), "patched");
        cfg_t c = {S3_PAYLOAD_STREAMING_SIGNED_TRAILER, DOC_TSEED, 66560};
        s3_chunked_t st;
        s3_why_t why;
        is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
               "tampered trailer value");
        has_str(s3_why_message(&why), "trailer-signature", "names the trailer signature");
        s3_chunked_free(&st);
        bb_free(&out);
        bb_free(&body);
        doc_body(&body, doc_tsigs, DOC_TRAILER);
        ok(patch(&body, ":d81f82fc35", ":d81f82fc36"), "patched");
        is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
               "tampered trailer signature");
        s3_chunked_free(&st);
        bb_free(&out);
        bb_free(&body);
        /* the final chunk's signature in trailer mode */
        doc_body(&body, doc_tsigs, DOC_TRAILER);
        ok(patch(&body, "0;chunk-signature=2ca2", "0;chunk-signature=2ca3"), "patched");
        is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
               "tampered final chunk signature");
        s3_chunked_free(&st);
        bb_free(&out);
        bb_free(&body);
        /* signature removed */
        doc_body(&body, doc_tsigs, "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n");
        is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_ERR_MALFORMED_TRAILER,
               "missing trailer signature");
        s3_chunked_free(&st);
        bb_free(&out);
        bb_free(&body);
    }
}

/* Builds a signed body over data with the given chunk sizes (the last one must be 0),
 * signing with the doc key from seed; tail follows the final chunk line. */
static void build_signed(bbuf_t *b, const uint8_t *data, const size_t *sizes, size_t n,
                         const char *seed_hex, const char *tail)
{
    uint8_t prev[32], h[32], sig[32];
    char hex[65], line[128];
    unhex32(seed_hex, prev);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        s3_sha256(data + off, sizes[i], h);
        s3_sigv4_chunk_signature(doc_key, DOC_DATE, TN_SLICE_LIT(DOC_SCOPE), prev, h, sig);
        tn_hex_encode(hex, sig, 32);
        snprintf(line, sizeof(line), "%zx;chunk-signature=%s\r\n", sizes[i], hex);
        bb_str(b, line);
        bb_add(b, data + off, sizes[i]);
        if (sizes[i] > 0)
            bb_str(b, "\r\n");
        off += sizes[i];
        memcpy(prev, sig, 32);
    }
    bb_str(b, tail);
}

/* What botocore's AwsChunkedWrapper emits: "<hex len>\r\n<data>\r\n" per read of
 * chunk_size bytes, then "0\r\n<name>:<b64 checksum>\r\n\r\n". */
static void build_botocore(bbuf_t *b, const uint8_t *data, size_t len, size_t chunk_size,
                           s3_cksum_alg_t alg)
{
    char line[128], text[S3_CKSUM_MAX_TEXT];
    uint8_t raw[S3_CKSUM_MAX_RAW];
    for (size_t off = 0; off < len; off += chunk_size) {
        size_t n = TN_MIN(chunk_size, len - off);
        snprintf(line, sizeof(line), "%zx\r\n", n);
        bb_str(b, line);
        bb_add(b, data + off, n);
        bb_str(b, "\r\n");
    }
    s3_checksum_text(raw, s3_checksum_oneshot(alg, data, len, raw), 0, text);
    snprintf(line, sizeof(line), "0\r\n%s:%s\r\n\r\n", s3_checksum_header(alg), text);
    bb_str(b, line);
}

static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n + 1);
    uint32_t x = 7;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (uint8_t)(x >> 24);
    }
    return p;
}

static void test_unsigned_botocore(void)
{
    size_t len = 2 * 1024 * 1024 + 12345;
    uint8_t *data = pattern(len);
    bbuf_t body = {0};
    build_botocore(&body, data, len, 1024 * 1024, S3_CKSUM_CRC32);
    cfg_t c = {S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, NULL, len};
    static const size_t splits[] = {0, 16384, 64};
    for (size_t s = 0; s < TN_ARRAY_SIZE(splits); s++) {
        s3_chunked_t st;
        s3_why_t why;
        bbuf_t out = {0};
        is_int(run(&c, body.p, body.len, splits[s], 9, &out, &st, &why), S3_OK,
               "botocore unsigned body");
        ok(out.len == len && memcmp(out.p, data, len) == 0, "payload intact");
        const tn_slice_t *v = s3_chunked_trailer(&st, "x-amz-checksum-crc32");
        ok(v != NULL, "crc32 trailer");
        uint8_t want[S3_CKSUM_MAX_RAW], got[S3_CKSUM_MAX_RAW];
        if (v != NULL) {
            is_int(s3_checksum_decode(S3_CKSUM_CRC32, v->base, v->len, want), TN_OK, "decode");
            s3_checksum_oneshot(S3_CKSUM_CRC32, out.p, out.len, got);
            is_mem(got, want, 4, "checksum matches");
        }
        s3_chunked_free(&st);
        bb_free(&out);
    }
    bb_free(&body);
    /* JS v3 style: small, uneven chunks are fine without signatures; uppercase hex too */
    bb_str(&body,
           "5\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-amz-checksum-crc32c: abc= \r\n\r\n");
    c.decoded_length = 16;
    s3_chunked_t st;
    s3_why_t why;
    bbuf_t out = {0};
    is_int(run(&c, body.p, body.len, 1, 0, &out, &st, &why), S3_OK, "small unsigned chunks");
    ok(out.len == 16 && memcmp(out.p, "hello 0123456789", 16) == 0, "payload");
    const tn_slice_t *v = s3_chunked_trailer(&st, "x-amz-checksum-crc32c");
    ok(v != NULL && v->len == 4 && memcmp(v->base, "abc=", 4) == 0, "value trimmed");
    s3_chunked_free(&st);
    bb_free(&out);
    bb_free(&body);
    /* no trailer at all, and the liberal ending without the closing CRLF */
    c.decoded_length = 5;
    bb_str(&body, "5\r\nhello\r\n0\r\n");
    is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_OK, "ends after 0-chunk");
    is_uint(st.n_trailers, 0, "no trailers");
    s3_chunked_free(&st);
    bb_free(&out);
    bb_str(&body, "x-amz-checksum-crc32:AAAAAA==\r\n");
    is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_OK, "ends after last trailer");
    is_uint(st.n_trailers, 1, "one trailer");
    s3_chunked_free(&st);
    bb_free(&out);
    bb_free(&body);
    free(data);
}

/* Every strict prefix of a body must end in IncompleteBody, except ok_at (the body without
 * its closing empty line, which the liberal ending accepts). */
static void truncations(const cfg_t *c, const bbuf_t *body, size_t ok_at, const char *what)
{
    int bad = 0;
    for (size_t cut = 0; cut < body->len; cut++) {
        s3_chunked_t st;
        s3_why_t why;
        bbuf_t out = {0};
        s3_err_t e =
            run(c, body->p, cut, cut % 7 == 0 ? 1 + cut % 5 : 0, (uint32_t)cut, &out, &st, &why);
        s3_err_t want = cut == ok_at ? S3_OK : S3_ERR_INCOMPLETE_BODY;
        if (e != want) {
            if (bad++ < 3)
                fprintf(stderr, "    %s: cut %zu: got %d want %d (%s)\n", what, cut, e, want,
                        s3_why_message(&why));
        }
        s3_chunked_free(&st);
        bb_free(&out);
    }
    is_int(bad, 0, what);
}

static void test_truncated(void)
{
    uint8_t *data = pattern(9000);
    static const size_t sizes[] = {8192, 808, 0};
    bbuf_t body = {0};
    build_signed(&body, data, sizes, 3, DOC_SEED, "\r\n");
    cfg_t c = {S3_PAYLOAD_STREAMING_SIGNED, DOC_SEED, 9000};
    truncations(&c, &body, body.len - 2, "signed body prefixes");
    bb_free(&body);
    /* signed trailer: the body may end after the trailer signature line */
    char tail[256], hex[65];
    uint8_t prev[32], h[32], sig[32], last[32];
    /* the final chunk's signature is needed to sign the trailer: rebuild it */
    unhex32(DOC_SEED, prev);
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        s3_sha256(data + off, sizes[i], h);
        s3_sigv4_chunk_signature(doc_key, DOC_DATE, TN_SLICE_LIT(DOC_SCOPE), prev, h, sig);
        memcpy(prev, sig, 32);
        off += sizes[i];
    }
    memcpy(last, prev, 32);
    const char *tl = "x-amz-checksum-sha256:abc\n";
    s3_sha256(tl, strlen(tl), h);
    s3_sigv4_trailer_signature(doc_key, DOC_DATE, TN_SLICE_LIT(DOC_SCOPE), last, h, sig);
    tn_hex_encode(hex, sig, 32);
    snprintf(tail, sizeof(tail), "X-Amz-Checksum-SHA256 :abc\r\nx-amz-trailer-signature:%s\r\n\r\n",
             hex);
    build_signed(&body, data, sizes, 3, DOC_SEED, tail);
    c.mode = S3_PAYLOAD_STREAMING_SIGNED_TRAILER;
    {
        s3_chunked_t st;
        s3_why_t why;
        bbuf_t out = {0};
        is_int(run(&c, body.p, body.len, 1, 0, &out, &st, &why), S3_OK,
               "trailer name canonicalised (lowercase, no space) for the signature");
        s3_chunked_free(&st);
        bb_free(&out);
    }
    truncations(&c, &body, body.len - 2, "signed trailer prefixes");
    /* every single-bit corruption of a signed body is caught, or changes nothing the
     * signatures cover (case of hex digits, whitespace before ':') */
    int missed = 0;
    for (size_t i = 0; i < body.len; i++) {
        for (int bit = 0; bit < 8; bit += 5) { /* 0x01 and 0x20 (letter case) */
            s3_chunked_t st;
            s3_why_t why;
            bbuf_t out = {0};
            body.p[i] ^= (uint8_t)(1u << bit);
            s3_err_t e = run(&c, body.p, body.len, 0, 0, &out, &st, &why);
            body.p[i] ^= (uint8_t)(1u << bit);
            if (e == S3_OK) {
                const tn_slice_t *v = s3_chunked_trailer(&st, "x-amz-checksum-sha256");
                if (out.len != 9000 || memcmp(out.p, data, 9000) != 0 || v == NULL || v->len != 3 ||
                    memcmp(v->base, "abc", 3) != 0) {
                    if (missed++ < 3)
                        fprintf(stderr, "    byte %zu bit %d accepted with other content\n", i,
                                bit);
                }
            }
            s3_chunked_free(&st);
            bb_free(&out);
        }
    }
    is_int(missed, 0, "no corruption changes the decoded content unnoticed");
    bb_free(&body);
    /* unsigned: acceptable after the 0-chunk line, after each trailer line */
    bb_str(&body, "a\r\n0123456789\r\n0\r\n");
    size_t after0 = body.len;
    bb_str(&body, "x-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    cfg_t u = {S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, NULL, 10};
    int bad = 0;
    for (size_t cut = 0; cut < body.len; cut++) {
        s3_chunked_t st;
        s3_why_t why;
        bbuf_t out = {0};
        s3_err_t e = run(&u, body.p, cut, 0, 0, &out, &st, &why);
        int accept = cut == after0 || cut == body.len - 2;
        if (e != (accept ? S3_OK : S3_ERR_INCOMPLETE_BODY))
            bad++;
        s3_chunked_free(&st);
        bb_free(&out);
    }
    is_int(bad, 0, "unsigned prefixes");
    bb_free(&body);
    free(data);
}

typedef struct {
    const char *body;
    s3_err_t err;
    const char *what;
} bad_t;

static void run_bad(const cfg_t *c, const bad_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t split = 0; split <= 1; split++) {
            s3_chunked_t st;
            s3_why_t why;
            bbuf_t out = {0};
            s3_err_t e =
                run(c, (const uint8_t *)b[i].body, strlen(b[i].body), split, 0, &out, &st, &why);
            is_int(e, b[i].err, b[i].what);
            s3_chunked_free(&st);
            bb_free(&out);
        }
    }
}

static void test_malformed_unsigned(void)
{
    cfg_t c = {S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, NULL, S3_CHUNKED_LENGTH_UNKNOWN};
    static const bad_t bad[] = {
        {"3\r\nabc\r\n0\r\n\r\n", S3_OK, "control: valid"},
        {"0003\r\nabc\r\n0\r\n\r\n", S3_OK, "leading zeros"},
        {"g\r\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "bad hex"},
        {"\r\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "empty size"},
        {"+3\r\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "sign"},
        {" 3\r\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "leading space"},
        {"3 \r\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "trailing space"},
        {"3;x=y\r\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "extension on unsigned chunk"},
        {"00000000000000003\r\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "17 digits"},
        {"3\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "bare LF"},
        {"3\rabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "bare CR"},
        {"3\r\nabcd\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "data longer than size"},
        {"3\r\nabc\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "LF only after data"},
        {"3\r\nabc\rx0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "CR then junk after data"},
        {"3\r\nabc\r\n0\r\n\r\nX", S3_ERR_INCOMPLETE_BODY, "bytes after the end"},
        {"ffffffffffffffff\r\n", S3_ERR_ENTITY_TOO_LARGE, "huge chunk"},
        {"3\r\nabc\r\n0\r\nnocolon\r\n\r\n", S3_ERR_MALFORMED_TRAILER, "trailer without colon"},
        {"3\r\nabc\r\n0\r\n:v\r\n\r\n", S3_ERR_MALFORMED_TRAILER, "empty trailer name"},
        {"3\r\nabc\r\n0\r\nba d:v\r\n\r\n", S3_ERR_MALFORMED_TRAILER, "space in name"},
        {"3\r\nabc\r\n0\r\na:1\r\nA:2\r\n\r\n", S3_ERR_MALFORMED_TRAILER, "duplicate trailer"},
        {"3\r\nabc\r\n0\r\na:\x01\r\n\r\n", S3_ERR_MALFORMED_TRAILER, "control char in value"},
        {"3\r\nabc\r\n0\r\nx-amz-trailer-signature:00\r\n\r\n", S3_ERR_MALFORMED_TRAILER,
         "trailer signature in unsigned mode"},
        {"3\r\nabc\r\n0\r\na:1\r\nb:1\r\nc:1\r\nd:1\r\ne:1\r\nf:1\r\ng:1\r\nh:1\r\ni:1\r\n\r\n",
         S3_ERR_MALFORMED_TRAILER, "nine trailers"},
        {"3\r\nabc\r\n0\r\na:\r\n\r\n", S3_OK, "empty trailer value"},
        {"3\r\nab", S3_ERR_INCOMPLETE_BODY, "truncated in data"},
    };
    run_bad(&c, bad, TN_ARRAY_SIZE(bad));
    /* over-long line */
    bbuf_t b = {0};
    for (int i = 0; i < S3_CHUNKED_MAX_LINE + 1; i++)
        bb_add(&b, "0", 1);
    bb_str(&b, "\r\n");
    s3_chunked_t st;
    s3_why_t why;
    bbuf_t out = {0};
    is_int(run(&c, b.p, b.len, 0, 0, &out, &st, &why), S3_ERR_INCOMPLETE_BODY, "line too long");
    has_str(s3_why_message(&why), "longer than", "says so");
    s3_chunked_free(&st);
    bb_free(&b);
    /* decoded length */
    c.decoded_length = 4;
    static const bad_t len4[] = {
        {"3\r\nabc\r\n0\r\n\r\n", S3_ERR_INCOMPLETE_BODY, "less than decoded length"},
        {"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", S3_ERR_INVALID_ARGUMENT, "more than decoded length"},
        {"4\r\nabcd\r\n0\r\n\r\n", S3_OK, "exact"},
    };
    run_bad(&c, len4, TN_ARRAY_SIZE(len4));
}

static void test_signed_rules(void)
{
    uint8_t *data = pattern(20000);
    cfg_t c = {S3_PAYLOAD_STREAMING_SIGNED, DOC_SEED, S3_CHUNKED_LENGTH_UNKNOWN};
    s3_chunked_t st;
    s3_why_t why;
    bbuf_t body = {0}, out = {0};
    /* a small chunk in the middle */
    static const size_t small_mid[] = {100, 8192, 0};
    build_signed(&body, data, small_mid, 3, DOC_SEED, "\r\n");
    is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_ERR_INVALID_CHUNK_SIZE,
           "small middle chunk");
    s3_chunked_free(&st);
    bb_free(&body);
    bb_free(&out);
    /* small last data chunk is fine; so is a single small chunk */
    static const size_t small_last[] = {8192, 8192, 5, 0};
    build_signed(&body, data, small_last, 4, DOC_SEED, "\r\n");
    is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_OK, "small last chunk");
    ok(out.len == 16389 && memcmp(out.p, data, out.len) == 0, "payload");
    s3_chunked_free(&st);
    bb_free(&body);
    bb_free(&out);
    /* empty object: only the final chunk */
    static const size_t empty[] = {0};
    build_signed(&body, data, empty, 1, DOC_SEED, "\r\n");
    c.decoded_length = 0;
    is_int(run(&c, body.p, body.len, 1, 0, &out, &st, &why), S3_OK, "empty object");
    is_uint(out.len, 0, "no payload");
    s3_chunked_free(&st);
    bb_free(&body);
    /* trailers are not allowed without -TRAILER */
    build_signed(&body, data, empty, 1, DOC_SEED, "a:b\r\n\r\n");
    is_int(run(&c, body.p, body.len, 0, 0, &out, &st, &why), S3_ERR_MALFORMED_TRAILER,
           "trailer in plain signed mode");
    s3_chunked_free(&st);
    bb_free(&body);
    /* chunk line shapes: prefix, how many signature digits, suffix */
    static const struct {
        const char *pre;
        size_t n;
        const char *post;
    } shapes[] = {
        {"0;chunk-signature=", 64, " \r\n\r\n"},
        {"0;chunk-signature =", 64, "\r\n\r\n"},
        {"0;Chunk-Signature=", 64, "\r\n\r\n"},
        {"0 ;chunk-signature=", 64, "\r\n\r\n"},
        {"0", 0, "\r\n\r\n"},
        {"0;chunk-signature=", 63, "\r\n\r\n"},
        {"0;chunk-signature=", 64, "0\r\n\r\n"},
        {"0;chunk-signature=", 64, ";a=b\r\n\r\n"},
    };
    uint8_t prev[32], h[32], sig[32];
    char hex[65];
    unhex32(DOC_SEED, prev);
    s3_sha256("", 0, h);
    s3_sigv4_chunk_signature(doc_key, DOC_DATE, TN_SLICE_LIT(DOC_SCOPE), prev, h, sig);
    tn_hex_encode(hex, sig, 32);
    for (size_t i = 0; i < TN_ARRAY_SIZE(shapes); i++) {
        bbuf_t l = {0};
        bb_str(&l, shapes[i].pre);
        bb_add(&l, hex, shapes[i].n);
        bb_str(&l, shapes[i].post);
        is_int(run(&c, l.p, l.len, 0, 0, &out, &st, &why), S3_ERR_INCOMPLETE_BODY,
               (const char *)l.p);
        s3_chunked_free(&st);
        bb_free(&l);
    }
    /* uppercase signature hex is accepted */
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    bbuf_t l = {0};
    bb_str(&l, "0;chunk-signature=");
    bb_str(&l, hex);
    bb_str(&l, "\r\n\r\n");
    is_int(run(&c, l.p, l.len, 0, 0, &out, &st, &why), S3_OK, "uppercase signature hex");
    s3_chunked_free(&st);
    bb_free(&l);
    bb_free(&out);
    free(data);
}

/* Signs two trailers over the given canonical text; the body sends them in arrival order
 * "x-amz-meta-b" then "X-Amz-Checksum-CRC32". */
static s3_err_t two_trailers(const char *canonical)
{
    uint8_t *data = pattern(10);
    static const size_t sizes[] = {10, 0};
    uint8_t prev[32], h[32], sig[32];
    unhex32(DOC_SEED, prev);
    for (int i = 0; i < 2; i++) {
        s3_sha256(data, sizes[i], h);
        s3_sigv4_chunk_signature(doc_key, DOC_DATE, TN_SLICE_LIT(DOC_SCOPE), prev, h, sig);
        memcpy(prev, sig, 32);
    }
    s3_sha256(canonical, strlen(canonical), h);
    s3_sigv4_trailer_signature(doc_key, DOC_DATE, TN_SLICE_LIT(DOC_SCOPE), prev, h, sig);
    char hex[65];
    tn_hex_encode(hex, sig, 32);
    bbuf_t tail = {0}, body = {0}, out = {0};
    bb_str(&tail, "x-amz-meta-b:2\r\nX-Amz-Checksum-CRC32:abc\r\nx-amz-trailer-signature:");
    bb_str(&tail, hex);
    bb_str(&tail, "\r\n\r\n");
    build_signed(&body, data, sizes, 2, DOC_SEED, (const char *)tail.p);
    cfg_t c = {S3_PAYLOAD_STREAMING_SIGNED_TRAILER, DOC_SEED, 10};
    s3_chunked_t st;
    s3_why_t why;
    s3_err_t e = run(&c, body.p, body.len, 0, 0, &out, &st, &why);
    if (e == S3_OK && st.n_trailers != 2)
        e = S3_ERR_INTERNAL_ERROR;
    s3_chunked_free(&st);
    bb_free(&out);
    bb_free(&body);
    bb_free(&tail);
    free(data);
    return e;
}

static void test_trailer_order(void)
{
    is_int(two_trailers("x-amz-checksum-crc32:abc\nx-amz-meta-b:2\n"), S3_OK,
           "trailers hashed sorted by lowercase name");
    is_int(two_trailers("x-amz-meta-b:2\nx-amz-checksum-crc32:abc\n"),
           S3_ERR_SIGNATURE_DOES_NOT_MATCH, "arrival order is not the canonical order");
    is_int(two_trailers("X-Amz-Checksum-CRC32:abc\nx-amz-meta-b:2\n"),
           S3_ERR_SIGNATURE_DOES_NOT_MATCH, "names are lowercased");
}

static void test_init(void)
{
    s3_chunked_t st;
    uint8_t seed[32] = {0};
    is_int(s3_chunked_init(&st, S3_PAYLOAD_SHA256, doc_key, DOC_DATE, TN_SLICE_LIT(DOC_SCOPE), seed,
                           0),
           -EINVAL, "not a streaming mode");
    s3_chunked_free(&st);
    is_int(s3_chunked_init(&st, S3_PAYLOAD_STREAMING_SIGNED, doc_key, "2013",
                           TN_SLICE_LIT(DOC_SCOPE), seed, 0),
           -EINVAL, "bad date");
    tn_slice_t d;
    s3_why_t why;
    is_int(s3_chunked_decode(&st, (const uint8_t *)"0", 1, &d, &why), TN_PARSE_ERROR,
           "unusable after a failed init");
    s3_chunked_free(&st);
    is_int(s3_chunked_init(&st, S3_PAYLOAD_STREAMING_SIGNED, NULL, DOC_DATE,
                           TN_SLICE_LIT(DOC_SCOPE), seed, 0),
           -EINVAL, "signed needs a key");
    s3_chunked_free(&st);
    is_int(s3_chunked_init(&st, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, NULL, NULL,
                           (tn_slice_t){NULL, 0}, NULL, 0),
           TN_OK, "unsigned needs nothing");
    is_int(s3_chunked_decode(&st, (const uint8_t *)"", 0, &d, &why), TN_PARSE_INCOMPLETE,
           "len 0: need more");
    is_int(s3_chunked_decode(&st, (const uint8_t *)"0\r", 2, &d, &why), TN_PARSE_INCOMPLETE,
           "partial line kept");
    ok(d.base == NULL && d.len == 0, "no data");
    is_int(s3_chunked_decode(&st, (const uint8_t *)"\n\r\n", 3, &d, &why), 3, "done");
    ok(s3_chunked_done(&st), "done flag");
    is_int(s3_chunked_finish(&st, &why), S3_OK, "finish");
    s3_chunked_free(&st);
}

int main(void)
{
    s3_sigv4_signing_key(DOC_SECRET, strlen(DOC_SECRET), "20130524", "us-east-1", "s3", doc_key);
    subtest("documented signed example", test_doc_signed);
    subtest("documented trailer example", test_doc_trailer);
    subtest("tampering", test_tamper);
    subtest("unsigned, botocore layout", test_unsigned_botocore);
    subtest("truncation", test_truncated);
    subtest("malformed unsigned framing", test_malformed_unsigned);
    subtest("signed rules", test_signed_rules);
    subtest("signed trailers in canonical order", test_trailer_order);
    subtest("init and return values", test_init);
    return tt_done();
}
