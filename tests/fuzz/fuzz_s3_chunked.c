/* Fuzz target for gateway/s3_chunked.c. Input: byte 0 = mode (bits 0-1: signed, signed
 * trailer, unsigned trailer), bit 2 = decoded length known (then bytes 1-2, little endian,
 * are that length), bits 3-7 = piece size for the second pass; the rest is the body, signed
 * with the AWS documentation's key and seed. The body is decoded twice, whole and in pieces:
 * both passes must agree on the outcome and the payload, and every return value must keep
 * the API contract (progress, slices inside the consumed input, sticky errors). */
#include <stdlib.h>
#include <string.h>
#include "s3_chunked.h"
#include "tn_crc.h"
#include "tn_hex.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static const char seed_hex[] = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
static const char scope[] = "20130524/us-east-1/s3/aws4_request";

typedef struct {
    s3_err_t err;
    uint64_t total;
    uint32_t crc;
    int done;
} outcome_t;

static outcome_t pass(s3_payload_kind_t mode, uint64_t dlen, const uint8_t *body, size_t len,
                      size_t piece, const uint8_t key[32], const uint8_t seed[32])
{
    outcome_t o = {S3_OK, 0, 0, 0};
    s3_chunked_t st;
    s3_why_t why;
    int rc = s3_chunked_init(&st, mode, key, "20130524T000000Z", (tn_slice_t){scope, strlen(scope)},
                             seed, dlen);
    CHECK(rc == TN_OK);
    size_t off = 0;
    int failed = 0;
    while (off < len && !failed) {
        size_t n = piece == 0 ? len - off : TN_MIN(piece, len - off);
        const uint8_t *p = body + off;
        size_t left = n;
        while (left > 0) {
            tn_slice_t d;
            ssize_t r = s3_chunked_decode(&st, p, left, &d, &why);
            if (r == TN_PARSE_ERROR) {
                CHECK(why.err != S3_OK);
                s3_why_t again;
                CHECK(s3_chunked_decode(&st, p, left, &d, &again) == TN_PARSE_ERROR);
                CHECK(again.err == why.err);
                failed = 1;
                break;
            }
            if (r == TN_PARSE_INCOMPLETE) {
                CHECK(d.len == 0);
                break;
            }
            CHECK(r > 0 && (size_t)r <= left);
            if (d.len > 0) {
                CHECK((const uint8_t *)d.base >= p && (const uint8_t *)d.base + d.len <= p + r);
                o.crc = tn_crc32c(o.crc, d.base, d.len);
                o.total += d.len;
            }
            CHECK(o.total <= st.decoded);
            p += r;
            left -= (size_t)r;
        }
        off += n;
    }
    o.err = s3_chunked_finish(&st, &why);
    CHECK(o.err == why.err);
    o.done = s3_chunked_done(&st);
    if (o.err == S3_OK) {
        CHECK(o.done && o.total == st.decoded);
        CHECK(dlen == S3_CHUNKED_LENGTH_UNKNOWN || o.total == dlen);
        CHECK(st.n_trailers <= S3_CHUNKED_MAX_TRAILERS);
        for (size_t i = 0; i < st.n_trailers; i++) {
            char name[S3_CHUNKED_MAX_LINE + 1];
            size_t nl = st.trailers[i].name.len;
            CHECK(nl > 0 && nl <= S3_CHUNKED_MAX_LINE);
            memcpy(name, st.trailers[i].name.base, nl);
            name[nl] = '\0';
            CHECK(s3_chunked_trailer(&st, name) == &st.trailers[i].value); /* no duplicates */
        }
    }
    s3_chunked_free(&st);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t key[32];
    static int have_key;
    if (!have_key) {
        s3_sigv4_signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 40, "20130524",
                             "us-east-1", "s3", key);
        have_key = 1;
    }
    if (size < 3)
        return 0;
    static const s3_payload_kind_t modes[4] = {
        S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, S3_PAYLOAD_STREAMING_SIGNED,
        S3_PAYLOAD_STREAMING_SIGNED_TRAILER, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER};
    s3_payload_kind_t mode = modes[data[0] & 3];
    uint64_t dlen =
        (data[0] & 4) ? (uint64_t)data[1] | (uint64_t)data[2] << 8 : S3_CHUNKED_LENGTH_UNKNOWN;
    size_t piece = 1 + (data[0] >> 3);
    uint8_t seed[32];
    size_t n;
    tn_hex_decode(seed_hex, 64, seed, 32, &n);
    const uint8_t *body = data + 3;
    size_t len = size - 3;
    outcome_t a = pass(mode, dlen, body, len, 0, key, seed);
    outcome_t b = pass(mode, dlen, body, len, piece, key, seed);
    CHECK(a.err == b.err && a.done == b.done);
    CHECK(a.total == b.total && a.crc == b.crc);
    return 0;
}
