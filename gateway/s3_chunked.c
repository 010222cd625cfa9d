/* s3_chunked.c — PURE aws-chunked body decoder: a byte-driven state machine over chunk
 * lines, chunk data (handed out as slices of the input) and trailer lines, checking the
 * chunk-signature chain and the trailer signature as it goes. Format in s3_chunked.h. */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include "s3_chunked.h"
#include "tn_hex.h"

enum {
    CH_LINE = 0, /* reading a chunk-size line */
    CH_DATA,     /* inside chunk data */
    CH_DATA_CR,  /* expecting the CR after chunk data */
    CH_DATA_LF,  /* expecting the LF after chunk data */
    CH_TRAILER,  /* reading trailer lines (the final empty line included) */
    CH_DONE,
    CH_ERROR,
};

#define SIG_EXT "chunk-signature="

static int is_signed(const s3_chunked_t *st)
{
    return st->mode == S3_PAYLOAD_STREAMING_SIGNED ||
           st->mode == S3_PAYLOAD_STREAMING_SIGNED_TRAILER;
}

int s3_chunked_init(s3_chunked_t *st, s3_payload_kind_t mode, const uint8_t signing_key[32],
                    const char *amz_date, tn_slice_t scope, const uint8_t seed_signature[32],
                    uint64_t decoded_length)
{
    memset(st, 0, sizeof(*st));
    st->state = CH_ERROR;
    s3_why_set(&st->error, S3_ERR_INTERNAL_ERROR, "aws-chunked decoder not initialised");
    st->mode = mode;
    st->decoded_length = decoded_length;
    switch (mode) {
    case S3_PAYLOAD_STREAMING_SIGNED:
    case S3_PAYLOAD_STREAMING_SIGNED_TRAILER:
        if (signing_key == NULL || amz_date == NULL || strlen(amz_date) != 16 ||
            seed_signature == NULL || scope.base == NULL || scope.len >= sizeof(st->scope))
            return -EINVAL;
        memcpy(st->key, signing_key, 32);
        memcpy(st->amz_date, amz_date, 17);
        memcpy(st->scope, scope.base, scope.len);
        st->scope_len = scope.len;
        memcpy(st->prev_sig, seed_signature, 32);
        if (s3_checksum_init(&st->sha, S3_CKSUM_SHA256) != TN_OK ||
            s3_checksum_init(&st->trailer_sha, S3_CKSUM_SHA256) != TN_OK)
            return -ENOMEM;
        break;
    case S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER: break;
    default: return -EINVAL;
    }
    st->state = CH_LINE;
    st->error.err = S3_OK;
    st->error.message[0] = '\0';
    return TN_OK;
}

void s3_chunked_free(s3_chunked_t *st)
{
    s3_checksum_free(&st->sha);
    s3_checksum_free(&st->trailer_sha);
}

int s3_chunked_done(const s3_chunked_t *st)
{
    return st->state == CH_DONE;
}

/* Marks st dead (the reason is already in st->error) and reports it. */
static ssize_t dead(s3_chunked_t *st, s3_why_t *why)
{
    st->state = CH_ERROR;
    if (why != NULL)
        *why = st->error;
    return TN_PARSE_ERROR;
}

#define FAIL(st, why, err, ...) (s3_why_set(&(st)->error, (err), __VA_ARGS__), dead((st), (why)))

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality of two byte strings. */
static int ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int is_tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Appends bytes of in to st->line until a CRLF ends it. Returns the bytes consumed (the
 * CRLF included) and sets *complete, or -1 (framing error, st->error set).
 */
static ssize_t read_line(s3_chunked_t *st, const uint8_t *in, size_t len, int *complete)
{
    *complete = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        if (st->line_cr) {
            if (c != '\n') {
                s3_why_set(&st->error, S3_ERR_INCOMPLETE_BODY,
                           "aws-chunked: CR not followed by LF in a chunk or trailer line");
                return -1;
            }
            st->line_cr = 0;
            *complete = 1;
            return (ssize_t)(i + 1);
        }
        if (c == '\r') {
            st->line_cr = 1;
        } else if (c == '\n') {
            s3_why_set(&st->error, S3_ERR_INCOMPLETE_BODY,
                       "aws-chunked: line ended by a bare LF (CRLF required)");
            return -1;
        } else if (st->line_len == sizeof(st->line)) {
            s3_why_set(&st->error, S3_ERR_INCOMPLETE_BODY,
                       "aws-chunked: chunk or trailer line longer than %d bytes",
                       S3_CHUNKED_MAX_LINE);
            return -1;
        } else {
            st->line[st->line_len++] = (char)c;
        }
    }
    return (ssize_t)len;
}

static int verify_chunk(s3_chunked_t *st)
{
    uint8_t h[S3_CKSUM_MAX_RAW], sig[32];
    if (s3_checksum_final(&st->sha, h) != 32) {
        s3_why_set(&st->error, S3_ERR_INTERNAL_ERROR, "SHA-256 failed");
        return -1;
    }
    s3_sigv4_chunk_signature(st->key, st->amz_date, (tn_slice_t){st->scope, st->scope_len},
                             st->prev_sig, h, sig);
    if (CRYPTO_memcmp(sig, st->want_sig, 32) != 0) {
        s3_why_set(&st->error, S3_ERR_SIGNATURE_DOES_NOT_MATCH,
                   "aws-chunked: chunk %llu has a wrong chunk-signature",
                   (unsigned long long)st->n_chunks);
        return -1;
    }
    memcpy(st->prev_sig, sig, 32);
    return 0;
}

/* A complete chunk-size line is in st->line. */
static int chunk_line(s3_chunked_t *st)
{
    const char *p = st->line, *end = st->line + st->line_len;
    uint64_t size = 0;
    size_t digits = 0;
    int d;
    while (p < end && (d = tn_hex_digit((unsigned char)*p)) >= 0) {
        if (++digits > 16)
            break;
        size = (size << 4) | (uint64_t)d;
        p++;
    }
    if (digits == 0 || digits > 16) {
        s3_why_set(&st->error, S3_ERR_INCOMPLETE_BODY, "aws-chunked: bad chunk size");
        return -1;
    }
    if (is_signed(st)) {
        size_t ext = sizeof(SIG_EXT) - 1;
        size_t outlen = 0;
        if (end - p != (ptrdiff_t)(1 + ext + 64) || *p != ';' || memcmp(p + 1, SIG_EXT, ext) != 0 ||
            tn_hex_decode(p + 1 + ext, 64, st->want_sig, 32, &outlen) != TN_OK) {
            s3_why_set(&st->error, S3_ERR_INCOMPLETE_BODY,
                       "aws-chunked: chunk line is not <hex-size>;chunk-signature=<64 hex>");
            return -1;
        }
    } else if (p != end) {
        s3_why_set(&st->error, S3_ERR_INCOMPLETE_BODY,
                   "aws-chunked: unexpected characters after the chunk size");
        return -1;
    }
    st->n_chunks++;
    if (size > S3_CHUNKED_MAX_CHUNK) {
        s3_why_set(&st->error, S3_ERR_ENTITY_TOO_LARGE, "aws-chunked: chunk of %llu bytes",
                   (unsigned long long)size);
        return -1;
    }
    if (st->decoded_length != S3_CHUNKED_LENGTH_UNKNOWN &&
        size > st->decoded_length - st->decoded) {
        s3_why_set(&st->error, S3_ERR_INVALID_ARGUMENT,
                   "aws-chunked: more data than x-amz-decoded-content-length (%llu)",
                   (unsigned long long)st->decoded_length);
        return -1;
    }
    if (is_signed(st) && size > 0) {
        if (st->prev_small) {
            s3_why_set(&st->error, S3_ERR_INVALID_CHUNK_SIZE, NULL);
            return -1;
        }
        st->prev_small = size < S3_CHUNKED_MIN_SIGNED;
    }
    st->decoded += size;
    st->chunk_size = size;
    if (size > 0) {
        st->remaining = size;
        st->state = CH_DATA;
        return 0;
    }
    /* the final, empty chunk */
    if (st->decoded_length != S3_CHUNKED_LENGTH_UNKNOWN && st->decoded != st->decoded_length) {
        s3_why_set(&st->error, S3_ERR_INCOMPLETE_BODY,
                   "aws-chunked: %llu bytes decoded, x-amz-decoded-content-length is %llu",
                   (unsigned long long)st->decoded, (unsigned long long)st->decoded_length);
        return -1;
    }
    if (is_signed(st) && verify_chunk(st) != 0)
        return -1;
    st->state = CH_TRAILER;
    return 0;
}

/* Orders two trailer names as their lowercase forms compare (SigV4 canonical order). */
static int name_cmp(tn_slice_t a, tn_slice_t b)
{
    size_t n = TN_MIN(a.len, b.len);
    for (size_t i = 0; i < n; i++) {
        int x = lower((unsigned char)a.base[i]), y = lower((unsigned char)b.base[i]);
        if (x != y)
            return x - y;
    }
    return a.len < b.len ? -1 : a.len > b.len;
}

/* SHA-256 of the canonical trailers: sorted by lowercase name, "<name>:<value>\n" each,
 * names lowercased (values are already trimmed). */
static int hash_trailers(s3_chunked_t *st, uint8_t h[S3_CKSUM_MAX_RAW])
{
    size_t order[S3_CHUNKED_MAX_TRAILERS];
    for (size_t i = 0; i < st->n_trailers; i++) {
        size_t k = i;
        while (k > 0 && name_cmp(st->trailers[order[k - 1]].name, st->trailers[i].name) > 0) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    s3_checksum_reset(&st->trailer_sha);
    for (size_t i = 0; i < st->n_trailers; i++) {
        const s3_chunked_trailer_t *t = &st->trailers[order[i]];
        char name[S3_CHUNKED_MAX_LINE];
        for (size_t k = 0; k < t->name.len; k++)
            name[k] = (char)lower((unsigned char)t->name.base[k]);
        s3_checksum_update(&st->trailer_sha, name, t->name.len);
        s3_checksum_update(&st->trailer_sha, ":", 1);
        s3_checksum_update(&st->trailer_sha, t->value.base, t->value.len);
        s3_checksum_update(&st->trailer_sha, "\n", 1);
    }
    return s3_checksum_final(&st->trailer_sha, h) == 32 ? 0 : -1;
}

static int trailer_signature(s3_chunked_t *st, const char *v, size_t vlen)
{
    uint8_t want[32], h[S3_CKSUM_MAX_RAW], sig[32];
    size_t outlen = 0;
    if (st->mode != S3_PAYLOAD_STREAMING_SIGNED_TRAILER) {
        s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER,
                   "aws-chunked: x-amz-trailer-signature in an unsigned body");
        return -1;
    }
    if (vlen != 64 || tn_hex_decode(v, 64, want, 32, &outlen) != TN_OK) {
        s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER,
                   "aws-chunked: x-amz-trailer-signature is not 64 hex digits");
        return -1;
    }
    if (hash_trailers(st, h) != 0) {
        s3_why_set(&st->error, S3_ERR_INTERNAL_ERROR, "SHA-256 failed");
        return -1;
    }
    s3_sigv4_trailer_signature(st->key, st->amz_date, (tn_slice_t){st->scope, st->scope_len},
                               st->prev_sig, h, sig);
    if (CRYPTO_memcmp(sig, want, 32) != 0) {
        s3_why_set(&st->error, S3_ERR_SIGNATURE_DOES_NOT_MATCH,
                   "aws-chunked: wrong x-amz-trailer-signature");
        return -1;
    }
    memcpy(st->prev_sig, sig, 32);
    st->trailer_signed = 1;
    return 0;
}

/* A complete trailer line (possibly empty) is in st->line. */
static int trailer_line(s3_chunked_t *st)
{
    const char *p = st->line, *end = st->line + st->line_len;
    if (p == end) {
        if (st->mode == S3_PAYLOAD_STREAMING_SIGNED_TRAILER && !st->trailer_signed) {
            s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER,
                       "aws-chunked: missing x-amz-trailer-signature");
            return -1;
        }
        st->state = CH_DONE;
        return 0;
    }
    if (st->mode == S3_PAYLOAD_STREAMING_SIGNED) {
        s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER,
                   "aws-chunked: trailer in a body without trailers");
        return -1;
    }
    if (st->trailer_signed) {
        s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER,
                   "aws-chunked: trailer after x-amz-trailer-signature");
        return -1;
    }
    const char *name = p;
    while (p < end && is_tchar((unsigned char)*p))
        p++;
    size_t nlen = (size_t)(p - name);
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (nlen == 0 || p == end || *p != ':') {
        s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER,
                   "aws-chunked: trailer line is not <name>:<value>");
        return -1;
    }
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *v = p;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER,
                       "aws-chunked: control character in a trailer value");
            return -1;
        }
    }
    if (ieq(name, nlen, TN_STRLIT("x-amz-trailer-signature")))
        return trailer_signature(st, v, vlen);
    for (size_t i = 0; i < st->n_trailers; i++)
        if (ieq(st->trailers[i].name.base, st->trailers[i].name.len, name, nlen)) {
            s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER, "aws-chunked: trailer %.*s sent twice",
                       (int)TN_MIN(nlen, 64), name);
            return -1;
        }
    if (st->n_trailers == S3_CHUNKED_MAX_TRAILERS ||
        nlen + vlen > sizeof(st->tbuf) - st->tbuf_len) {
        s3_why_set(&st->error, S3_ERR_MALFORMED_TRAILER, "aws-chunked: too many trailers");
        return -1;
    }
    s3_chunked_trailer_t *t = &st->trailers[st->n_trailers++];
    char *dst = st->tbuf + st->tbuf_len;
    memcpy(dst, name, nlen);
    memcpy(dst + nlen, v, vlen);
    t->name = (tn_slice_t){dst, nlen};
    t->value = (tn_slice_t){dst + nlen, vlen};
    st->tbuf_len += nlen + vlen;
    return 0;
}

ssize_t s3_chunked_decode(s3_chunked_t *st, const uint8_t *in, size_t len, tn_slice_t *data,
                          s3_why_t *why)
{
    data->base = NULL;
    data->len = 0;
    if (st->state == CH_ERROR)
        return dead(st, why);
    size_t i = 0;
    while (i < len) {
        switch (st->state) {
        case CH_DATA: {
            size_t n = (size_t)TN_MIN((uint64_t)(len - i), st->remaining);
            if (is_signed(st))
                s3_checksum_update(&st->sha, in + i, n);
            data->base = (const char *)in + i;
            data->len = n;
            st->remaining -= n;
            if (st->remaining == 0)
                st->state = CH_DATA_CR;
            return (ssize_t)(i + n);
        }
        case CH_DATA_CR:
            if (in[i] != '\r')
                return FAIL(st, why, S3_ERR_INCOMPLETE_BODY,
                            "aws-chunked: chunk data longer than its size (no CRLF after %llu "
                            "bytes)",
                            (unsigned long long)st->chunk_size);
            i++;
            st->state = CH_DATA_LF;
            break;
        case CH_DATA_LF:
            if (in[i] != '\n')
                return FAIL(st, why, S3_ERR_INCOMPLETE_BODY,
                            "aws-chunked: CR not followed by LF after chunk data");
            i++;
            if (is_signed(st) && verify_chunk(st) != 0)
                return dead(st, why);
            st->state = CH_LINE;
            break;
        case CH_LINE:
        case CH_TRAILER: {
            int complete;
            ssize_t r = read_line(st, in + i, len - i, &complete);
            if (r < 0)
                return dead(st, why);
            i += (size_t)r;
            if (!complete)
                break;
            int rc = st->state == CH_LINE ? chunk_line(st) : trailer_line(st);
            st->line_len = 0;
            if (rc != 0)
                return dead(st, why);
            if (st->state == CH_DONE)
                return (ssize_t)i;
            break;
        }
        case CH_DONE:
            return FAIL(st, why, S3_ERR_INCOMPLETE_BODY,
                        "aws-chunked: data after the end of the body");
        default: return dead(st, why);
        }
    }
    return TN_PARSE_INCOMPLETE;
}

s3_err_t s3_chunked_finish(s3_chunked_t *st, s3_why_t *why)
{
    if (st->state == CH_TRAILER && st->line_len == 0 && !st->line_cr &&
        (st->mode != S3_PAYLOAD_STREAMING_SIGNED_TRAILER || st->trailer_signed))
        st->state = CH_DONE; /* liberal: the closing empty line is missing */
    if (st->state == CH_DONE) {
        if (why != NULL)
            s3_why_set(why, S3_OK, NULL);
        return S3_OK;
    }
    if (st->state != CH_ERROR) {
        s3_why_set(&st->error, S3_ERR_INCOMPLETE_BODY,
                   "aws-chunked: the body ended before its final chunk");
        st->state = CH_ERROR;
    }
    if (why != NULL)
        *why = st->error;
    return st->error.err;
}

const tn_slice_t *s3_chunked_trailer(const s3_chunked_t *st, const char *name)
{
    for (size_t i = 0; i < st->n_trailers; i++)
        if (ieq(st->trailers[i].name.base, st->trailers[i].name.len, name, strlen(name)))
            return &st->trailers[i].value;
    return NULL;
}
