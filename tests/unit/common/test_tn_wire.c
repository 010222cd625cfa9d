/*
 * Unit tests for common/tn_wire.c: exact little-endian bytes, round trips, and every overrun
 * boundary of a mixed message for both writer (no byte written past the buffer or after the
 * failing field) and reader (sticky error, zeros after it, trailing bytes refused).
 */
#include "tn_wire.h"
#include "test.h"

static void test_layout(void)
{
    uint8_t buf[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof(buf));
    tn_wire_put_u8(&w, 0xa1);
    tn_wire_put_u16(&w, 0xb2b1);
    tn_wire_put_u32(&w, 0xc4c3c2c1);
    tn_wire_put_u64(&w, 0xd8d7d6d5d4d3d2d1ull);
    tn_wire_put_bytes(&w, "xyz", 3);
    tn_wire_put_str(&w, "");
    tn_wire_put_raw(&w, "\x01\x02", 2);
    is_int(w.err, TN_OK, "no error");
    static const uint8_t want[] = {0xa1, 0xb1, 0xb2, 0xc1, 0xc2, 0xc3, 0xc4, 0xd1, 0xd2, 0xd3,
                                   0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 3,    0,    0,    0,    'x',
                                   'y',  'z',  0,    0,    0,    0,    1,    2};
    is_int(w.p - buf, sizeof(want), "length");
    is_mem(buf, want, sizeof(want), "little-endian bytes, u32 length prefixes");
    is_uint(tn_wire_w_left(&w), sizeof(buf) - sizeof(want), "left");

    tn_wire_r_t r;
    tn_wire_r_init(&r, want, sizeof(want));
    is_uint(tn_wire_get_u8(&r), 0xa1, "u8");
    is_uint(tn_wire_get_u16(&r), 0xb2b1, "u16");
    is_uint(tn_wire_get_u32(&r), 0xc4c3c2c1, "u32");
    is_uint(tn_wire_get_u64(&r), 0xd8d7d6d5d4d3d2d1ull, "u64");
    tn_slice_t s = tn_wire_get_bytes(&r);
    ok(s.len == 3 && memcmp(s.base, "xyz", 3) == 0, "bytes");
    ok(s.base == (const char *)want + 19, "slice points into the buffer");
    s = tn_wire_get_bytes(&r);
    ok(s.len == 0 && s.base != NULL, "empty string is a valid, empty slice");
    is_uint(tn_wire_r_left(&r), 2, "two raw bytes left");
    is_int(tn_wire_r_finish(&r), TN_ERR_PROTO, "finish refuses trailing bytes");
    uint8_t raw[2];
    tn_wire_get_raw(&r, raw, 2);
    ok(raw[0] == 1 && raw[1] == 2, "raw");
    is_int(tn_wire_r_finish(&r), TN_OK, "fully consumed");
}

/* The message used for the boundary tests: field sizes 1,2,4,8,(4+5),(4+0),16,4 = 48 bytes. */
static const size_t field_end[] = {1, 3, 7, 15, 24, 28, 44, 48};
#define MSG_LEN 48

static void encode(tn_wire_w_t *w)
{
    uint8_t id[16];
    for (int i = 0; i < 16; i++)
        id[i] = (uint8_t)(0xf0 + i);
    tn_wire_put_u8(w, 0x11);
    tn_wire_put_u16(w, 0x2222);
    tn_wire_put_u32(w, 0x33333333);
    tn_wire_put_u64(w, 0x4444444444444444ull);
    tn_wire_put_str(w, "hello");
    tn_wire_put_bytes(w, NULL, 0);
    tn_wire_put_raw(w, id, 16);
    tn_wire_put_u32(w, 0x55555555);
}

static size_t fitting_prefix(size_t n)
{
    size_t fit = 0;
    for (size_t i = 0; i < TN_ARRAY_SIZE(field_end) && field_end[i] <= n; i++)
        fit = field_end[i];
    return fit;
}

static void test_writer_boundaries(void)
{
    uint8_t full[MSG_LEN];
    tn_wire_w_t w;
    tn_wire_w_init(&w, full, sizeof(full));
    encode(&w);
    is_int(w.err, TN_OK, "exact-size buffer is enough");
    is_int(w.p - full, MSG_LEN, "48 bytes");

    int bad_err = 0, bad_len = 0, bad_canary = 0, bad_bytes = 0;
    for (size_t n = 0; n <= MSG_LEN + 2; n++) {
        uint8_t buf[MSG_LEN + 16];
        memset(buf, 0xee, sizeof(buf));
        tn_wire_w_init(&w, buf, n);
        encode(&w);
        int want_err = n < MSG_LEN ? TN_ERR_TOO_BIG : TN_OK;
        bad_err += w.err != want_err;
        size_t fit = fitting_prefix(n);
        bad_len += (size_t)(w.p - buf) != fit; /* stops at the first field that did not fit */
        for (size_t i = fit; i < sizeof(buf); i++)
            bad_canary += buf[i] != 0xee; /* nothing written past it, not even a prefix */
        bad_bytes += memcmp(buf, full, fit) != 0;
    }
    is_int(bad_err, 0, "error set exactly when the buffer is short");
    is_int(bad_len, 0, "writer stops at the failing field");
    is_int(bad_canary, 0, "no byte written after the failing field");
    is_int(bad_bytes, 0, "fields before it are intact");

    tn_wire_w_init(&w, NULL, 0);
    tn_wire_put_bytes(&w, NULL, 0);
    is_int(w.err, TN_ERR_TOO_BIG, "empty bytes still need their 4-byte prefix");
    tn_wire_w_init(&w, NULL, 0);
    tn_wire_put_raw(&w, NULL, 0);
    is_int(w.err, TN_OK, "zero raw bytes fit in a zero-length buffer");
    uint8_t small[8];
    tn_wire_w_init(&w, small, sizeof(small));
    tn_wire_put_bytes(&w, small, (size_t)UINT32_MAX + 1);
    is_int(w.err, TN_ERR_TOO_BIG, "length over u32 refused");
    tn_wire_put_u8(&w, 1);
    is_int(w.p - small, 0, "sticky: later puts do nothing");
}

static void test_reader_boundaries(void)
{
    uint8_t full[MSG_LEN];
    tn_wire_w_t w;
    tn_wire_w_init(&w, full, sizeof(full));
    encode(&w);
    int bad = 0;
    for (size_t n = 0; n <= MSG_LEN; n++) {
        tn_wire_r_t r;
        tn_wire_r_init(&r, full, n);
        /* each value is right if its field fits in n, zero (or empty) if not */
        uint8_t a = tn_wire_get_u8(&r);
        uint16_t b = tn_wire_get_u16(&r);
        uint32_t c = tn_wire_get_u32(&r);
        uint64_t d = tn_wire_get_u64(&r);
        tn_slice_t e = tn_wire_get_bytes(&r);
        tn_slice_t f = tn_wire_get_bytes(&r);
        uint8_t id[16];
        memset(id, 0xaa, sizeof(id));
        tn_wire_get_raw(&r, id, 16);
        uint32_t g = tn_wire_get_u32(&r);
        bad += a != (n >= 1 ? 0x11 : 0);
        bad += b != (n >= 3 ? 0x2222 : 0);
        bad += c != (n >= 7 ? 0x33333333 : 0);
        bad += d != (n >= 15 ? 0x4444444444444444ull : 0);
        bad += n >= 24 ? (e.len != 5 || memcmp(e.base, "hello", 5) != 0)
                       : (e.len != 0 || e.base != NULL);
        bad += n >= 28 ? (f.len != 0 || f.base == NULL) : (f.base != NULL);
        bad += id[0] != (n >= 44 ? 0xf0 : 0) || id[15] != (n >= 44 ? 0xff : 0);
        bad += g != (n >= 48 ? 0x55555555u : 0);
        int want = n == MSG_LEN ? TN_OK : TN_ERR_PROTO;
        bad += r.err != want;
        bad += tn_wire_r_finish(&r) != want;
    }
    is_int(bad, 0, "every truncation: values before it right, zeros after, sticky error");

    /* a length prefix that claims more than is there */
    static const uint8_t lie[] = {0xff, 0xff, 0xff, 0xff, 'a', 'b'};
    tn_wire_r_t r;
    tn_wire_r_init(&r, lie, sizeof(lie));
    tn_slice_t s = tn_wire_get_bytes(&r);
    ok(s.base == NULL && s.len == 0, "lying length gives an empty slice");
    is_int(r.err, TN_ERR_PROTO, "and an error");
    is_uint(tn_wire_get_u8(&r), 0, "sticky: nothing more is read");

    tn_wire_r_init(&r, NULL, 0);
    is_int(tn_wire_r_finish(&r), TN_OK, "empty message, nothing read: fine");
    tn_wire_get_u8(&r);
    is_int(tn_wire_r_finish(&r), TN_ERR_PROTO, "reading from empty fails");
}

int main(void)
{
    subtest("layout and round trip", test_layout);
    subtest("writer boundaries", test_writer_boundaries);
    subtest("reader boundaries", test_reader_boundaries);
    return tt_done();
}
