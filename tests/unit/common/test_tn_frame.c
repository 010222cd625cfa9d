/*
 * Unit tests for common/tn_frame.c: the exact header bytes (a golden vector, so an accidental
 * layout change fails here), round trips, incomplete input at every length, each rejection
 * reason, payload CRC, and the error ↔ wire status mapping.
 */
#include <errno.h>
#include "tn_crc.h"
#include "tn_frame.h"
#include "test.h"

static tn_frame_hdr_t sample(void)
{
    tn_frame_hdr_t h;
    memset(&h, 0, sizeof(h));
    h.flags = TN_FRAME_F_REPLY | TN_FRAME_F_MORE;
    h.op = TN_OP_BLOB_GET;
    h.status = TN_FRAME_ST_NOT_FOUND;
    h.req_id = 0x0102030405060708ull;
    h.epoch = 0x1112131415161718ull;
    h.hlc = 0x2122232425262728ull;
    tn_frame_set_payload(&h, "hello", 5);
    return h;
}

static int hdr_eq(const tn_frame_hdr_t *a, const tn_frame_hdr_t *b)
{
    return a->version == b->version && a->flags == b->flags && a->op == b->op &&
           a->status == b->status && a->payload_len == b->payload_len && a->req_id == b->req_id &&
           a->epoch == b->epoch && a->hlc == b->hlc && a->payload_crc == b->payload_crc &&
           a->hdr_crc == b->hdr_crc;
}

static void test_layout(void)
{
    tn_frame_hdr_t h = sample();
    uint8_t b[TN_FRAME_HDR_SIZE];
    tn_frame_encode_header(&h, b);
    uint32_t pcrc = tn_crc32c(0, "hello", 5);
    uint8_t want[TN_FRAME_HDR_SIZE] = {'T',
                                       'E',
                                       'R',
                                       'N',
                                       1,
                                       0x03,
                                       0x23,
                                       0x00,
                                       0x04,
                                       0x00,
                                       0x00,
                                       0x00,
                                       0x05,
                                       0x00,
                                       0x00,
                                       0x00,
                                       0x08,
                                       0x07,
                                       0x06,
                                       0x05,
                                       0x04,
                                       0x03,
                                       0x02,
                                       0x01,
                                       0x18,
                                       0x17,
                                       0x16,
                                       0x15,
                                       0x14,
                                       0x13,
                                       0x12,
                                       0x11,
                                       0x28,
                                       0x27,
                                       0x26,
                                       0x25,
                                       0x24,
                                       0x23,
                                       0x22,
                                       0x21,
                                       (uint8_t)pcrc,
                                       (uint8_t)(pcrc >> 8),
                                       (uint8_t)(pcrc >> 16),
                                       (uint8_t)(pcrc >> 24)};
    uint32_t hcrc = tn_crc32c(0, want, 44);
    want[44] = (uint8_t)hcrc;
    want[45] = (uint8_t)(hcrc >> 8);
    want[46] = (uint8_t)(hcrc >> 16);
    want[47] = (uint8_t)(hcrc >> 24);
    is_mem(b, want, sizeof(want), "header bytes match the documented layout");
    is_uint(h.hdr_crc, hcrc, "encode stores the header CRC");
    is_uint(h.version, TN_FRAME_VERSION, "encode sets the version");
    is_uint(pcrc, 0x9a71bb4c, "crc32c(\"hello\") golden value");
    is_uint(TN_FRAME_MAGIC,
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24,
            "TN_FRAME_MAGIC is the first 4 bytes read as a little-endian u32");
}

static void test_roundtrip(void)
{
    tn_frame_hdr_t h = sample(), d;
    uint8_t b[TN_FRAME_HDR_SIZE + 8], again[TN_FRAME_HDR_SIZE];
    tn_frame_encode_header(&h, b);
    tn_frame_why_t why = TN_FRAME_WHY_MAGIC;
    is_int(tn_frame_decode_header(b, sizeof(b), TN_FRAME_MAX_PAYLOAD, &d, &why), TN_FRAME_HDR_SIZE,
           "decodes (extra bytes after the header are not its business)");
    is_int(why, TN_FRAME_WHY_NONE, "why is NONE on success");
    ok(hdr_eq(&h, &d), "every field round-trips");
    tn_frame_encode_header(&d, again);
    is_mem(again, b, TN_FRAME_HDR_SIZE, "encode(decode(x)) == x");

    /* a request: zero status, no flags, empty payload */
    tn_frame_hdr_t q;
    memset(&q, 0, sizeof(q));
    q.op = TN_OP_PING;
    q.req_id = 1;
    tn_frame_set_payload(&q, NULL, 0);
    is_uint(q.payload_crc, 0, "empty payload CRC is 0");
    tn_frame_encode_header(&q, b);
    is_int(tn_frame_decode_header(b, TN_FRAME_HDR_SIZE, 0, &d, NULL), TN_FRAME_HDR_SIZE,
           "request with empty payload under max_payload 0");
    is_int(tn_frame_check_payload(&d, NULL), TN_OK, "empty payload checks");
}

static void test_incomplete(void)
{
    tn_frame_hdr_t h = sample(), d;
    uint8_t b[TN_FRAME_HDR_SIZE];
    tn_frame_encode_header(&h, b);
    int bad = 0;
    for (size_t n = 0; n < TN_FRAME_HDR_SIZE; n++)
        bad += tn_frame_decode_header(b, n, TN_FRAME_MAX_PAYLOAD, &d, NULL) != TN_PARSE_INCOMPLETE;
    is_int(bad, 0, "every proper prefix is INCOMPLETE");
    is_int(tn_frame_decode_header(NULL, 0, 100, &d, NULL), TN_PARSE_INCOMPLETE, "empty input");

    tn_frame_why_t why;
    is_int(tn_frame_decode_header((const uint8_t *)"TX", 2, 100, &d, &why), TN_PARSE_ERROR,
           "bad magic seen after 2 bytes");
    is_int(why, TN_FRAME_WHY_MAGIC, "reason: magic");
    is_int(tn_frame_decode_header((const uint8_t *)"G", 1, 100, &d, &why), TN_PARSE_ERROR,
           "e.g. an HTTP request is refused at its first byte");
    is_int(tn_frame_decode_header((const uint8_t *)"TERN\x02", 5, 100, &d, &why), TN_PARSE_ERROR,
           "version 2 refused after 5 bytes");
    is_int(why, TN_FRAME_WHY_VERSION, "reason: version");
}

/* Re-encodes a header with one byte changed and a fresh header CRC, so the check under test
 * is reached rather than the CRC. */
static ssize_t decode_patched(size_t off, uint8_t val, size_t max, tn_frame_why_t *why)
{
    tn_frame_hdr_t h = sample(), d;
    uint8_t b[TN_FRAME_HDR_SIZE];
    tn_frame_encode_header(&h, b);
    b[off] = val;
    uint32_t c = tn_crc32c(0, b, 44);
    for (int i = 0; i < 4; i++)
        b[44 + i] = (uint8_t)(c >> (8 * i));
    return tn_frame_decode_header(b, sizeof(b), max, &d, why);
}

static void test_rejections(void)
{
    tn_frame_why_t why;
    is_int(decode_patched(0, 'X', 100, &why), TN_PARSE_ERROR, "magic");
    is_int(why, TN_FRAME_WHY_MAGIC, "why magic");
    is_int(decode_patched(4, 0, 100, &why), TN_PARSE_ERROR, "version 0");
    is_int(why, TN_FRAME_WHY_VERSION, "why version");
    is_int(decode_patched(5, 0x04 | TN_FRAME_F_REPLY, 100, &why), TN_PARSE_ERROR, "flag bit 2");
    is_int(why, TN_FRAME_WHY_FLAGS, "why flags");
    is_int(decode_patched(5, 0x80 | TN_FRAME_F_REPLY, 100, &why), TN_PARSE_ERROR, "flag bit 7");
    is_int(why, TN_FRAME_WHY_FLAGS, "why flags");
    is_int(decode_patched(11, 1, 100, &why), TN_PARSE_ERROR, "reserved field");
    is_int(why, TN_FRAME_WHY_RESERVED, "why reserved");
    is_int(decode_patched(5, 0, 100, &why), TN_PARSE_ERROR, "request with a status");
    is_int(why, TN_FRAME_WHY_STATUS, "why status");
    is_int(decode_patched(12, 101, 100, &why), TN_PARSE_ERROR, "payload 101 > max 100");
    is_int(why, TN_FRAME_WHY_TOO_BIG, "why too big");
    is_int(decode_patched(12, 100, 100, &why), TN_FRAME_HDR_SIZE, "payload 100 == max 100");
    is_int(decode_patched(5, TN_FRAME_F_REPLY, 100, &why), TN_FRAME_HDR_SIZE,
           "reply without MORE is fine");
    /* MORE without REPLY: status must be 0 too, so patch both */
    tn_frame_hdr_t m = sample(), dm;
    m.flags = TN_FRAME_F_MORE;
    m.status = 0;
    uint8_t mb[TN_FRAME_HDR_SIZE];
    tn_frame_encode_header(&m, mb);
    is_int(tn_frame_decode_header(mb, sizeof(mb), 100, &dm, &why), TN_PARSE_ERROR,
           "MORE in a request");
    is_int(why, TN_FRAME_WHY_FLAGS, "why flags (MORE in a request)");

    /* any single bit flip in bytes 5..47 is caught by the header CRC (or magic/version) */
    tn_frame_hdr_t h = sample(), d;
    uint8_t b[TN_FRAME_HDR_SIZE];
    tn_frame_encode_header(&h, b);
    int missed = 0, wrong_why = 0;
    for (size_t bit = 0; bit < 8 * TN_FRAME_HDR_SIZE; bit++) {
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (tn_frame_decode_header(b, sizeof(b), TN_FRAME_MAX_PAYLOAD, &d, &why) != TN_PARSE_ERROR)
            missed++;
        else if (bit >= 40 && why != TN_FRAME_WHY_HDR_CRC)
            wrong_why++;
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    is_int(missed, 0, "every single-bit flip is rejected");
    is_int(wrong_why, 0, "flips past the version are reported as header CRC mismatches");
    is_str(tn_frame_why_str(TN_FRAME_WHY_HDR_CRC), "header checksum mismatch", "why_str");
}

static void test_payload(void)
{
    tn_frame_hdr_t h;
    memset(&h, 0, sizeof(h));
    uint8_t p[1000];
    for (size_t i = 0; i < sizeof(p); i++)
        p[i] = (uint8_t)(i * 7);
    is_int(tn_frame_set_payload(&h, p, sizeof(p)), TN_OK, "set payload");
    is_uint(h.payload_len, sizeof(p), "length");
    is_int(tn_frame_check_payload(&h, p), TN_OK, "intact payload passes");
    p[999] ^= 0x10;
    is_int(tn_frame_check_payload(&h, p), TN_ERR_CHECKSUM, "flipped bit fails");
    p[999] ^= 0x10;
    /* chained CRC over pieces == one-buffer CRC, as a sender of iovecs would compute it */
    uint32_t c = tn_crc32c(tn_crc32c(0, p, 300), p + 300, 700);
    is_uint(c, h.payload_crc, "chained payload CRC");
    is_int(tn_frame_set_payload(&h, p, (size_t)UINT32_MAX + 1), TN_ERR_TOO_BIG, "over 4 GiB");
}

static void test_status(void)
{
    static const int errs[] = {TN_OK,
                               TN_ERR_CHECKSUM,
                               TN_ERR_CORRUPT,
                               TN_ERR_NOT_FOUND,
                               TN_ERR_PROTO,
                               TN_ERR_TOO_BIG,
                               TN_ERR_STALE_EPOCH,
                               TN_ERR_QUORUM,
                               TN_ERR_TIMEOUT,
                               TN_ERR_CONFIG,
                               TN_ERR_STALE_TS,
                               TN_ERR_CLOCK,
                               TN_ERR_UNSUPPORTED,
                               -EIO,
                               -ENOSPC,
                               -ENOMEM,
                               -EINVAL,
                               -EAGAIN,
                               -EEXIST,
                               -ENOENT,
                               -EACCES,
                               -EROFS,
                               -ECANCELED,
                               -ESHUTDOWN,
                               -ENAMETOOLONG};
    int bad = 0;
    for (size_t i = 0; i < TN_ARRAY_SIZE(errs); i++) {
        bad += tn_frame_status_to_err(tn_frame_status_from_err(errs[i])) != errs[i];
        for (size_t k = 0; k < i; k++)
            bad += tn_frame_status_from_err(errs[i]) == tn_frame_status_from_err(errs[k]);
    }
    is_int(bad, 0, "every mapped error round-trips and has its own code");
    for (int e = TN_ERR_BASE - 1; e >= TN_ERR_LAST; e--)
        ok(tn_frame_status_from_err(e) != TN_FRAME_ST_INTERNAL, "every TN_ERR_* has a code");
    /* stable numbers: these are on the wire and must never change */
    is_uint(tn_frame_status_from_err(TN_OK), 0, "OK is 0");
    is_uint(tn_frame_status_from_err(TN_ERR_STALE_EPOCH), 7, "STALE_EPOCH is 7");
    is_uint(tn_frame_status_from_err(TN_ERR_STALE_TS), 11, "STALE_TS is 11");
    is_uint(tn_frame_status_from_err(-ENOSPC), 33, "ENOSPC is 33");
    is_uint(tn_frame_status_from_err(-EDQUOT), TN_FRAME_ST_NOSPC, "EDQUOT folds into NOSPC");
    is_uint(tn_frame_status_from_err(-EPERM), TN_FRAME_ST_ACCES, "EPERM folds into ACCES");
    is_uint(tn_frame_status_from_err(-EBUSY), TN_FRAME_ST_AGAIN, "EBUSY folds into AGAIN");
    is_uint(tn_frame_status_from_err(-ENOTDIR), TN_FRAME_ST_INTERNAL, "unmapped → INTERNAL");
    is_int(tn_frame_status_to_err(TN_FRAME_ST_INTERNAL), -EIO, "INTERNAL → -EIO");
    is_int(tn_frame_status_to_err(9999), -EIO, "unknown code → -EIO");
}

static void test_ops(void)
{
    is_str(tn_frame_op_name(TN_OP_PING), "PING", "PING");
    is_str(tn_frame_op_name(TN_OP_BLOB_PUT_DATA), "BLOB_PUT_DATA", "BLOB_PUT_DATA");
    is_str(tn_frame_op_name(TN_OP_PG_PUSH), "PG_PUSH", "PG_PUSH");
    is_str(tn_frame_op_name(TN_OP_KICK), "KICK", "KICK");
    ok(tn_frame_op_name(0) == NULL, "op 0 has no name");
    ok(tn_frame_op_name(0x7777) == NULL, "unknown op has no name");
    int named = 0;
    for (unsigned op = 0; op < 0x100; op++)
        named += tn_frame_op_name((uint16_t)op) != NULL;
    is_int(named, 18, "18 planned ops");
}

int main(void)
{
    subtest("layout", test_layout);
    subtest("round trip", test_roundtrip);
    subtest("incomplete", test_incomplete);
    subtest("rejections", test_rejections);
    subtest("payload", test_payload);
    subtest("status codes", test_status);
    subtest("ops", test_ops);
    return tt_done();
}
