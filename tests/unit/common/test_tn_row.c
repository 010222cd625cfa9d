/*
 * Unit tests for osd/tn_row.c: the canonical row encoding (exact layout, round trip, every
 * malformed input), the row CRC, the version order and the digest entries.
 */
#include <errno.h>
#include <isa-l/crc.h>
#include "tn_row.h"
#include "test.h"

static uint32_t ref_crc32c(const void *buf, size_t len)
{
    return crc32_iscsi((unsigned char *)(uintptr_t)buf, (int)len, 0xFFFFFFFFu) ^ 0xFFFFFFFFu;
}

static uint8_t big_inline[TN_ROW_MAX_INLINE + 1];
static uint8_t big_value[TN_ROW_MAX_VALUE + 1];
static uint8_t enc[TN_ROW_MAX_ENCODED + 16];

static tn_row_t sample(void)
{
    tn_row_t r;
    memset(&r, 0, sizeof(r));
    r.pool = 0x01020304;
    r.pg = 0x0A0B0C0D;
    r.ns = 0x1122334455667788ull;
    r.key = (const uint8_t *)"photos/\xc3\xa9t\xc3\xa9.jpg";
    r.key_len = strlen((const char *)r.key);
    r.ver.hlc = 0xAABBCCDDEEFF0011ull;
    r.ver.origin = 7;
    for (int i = 0; i < TN_ROW_VID_LEN; i++)
        r.ver.vid[i] = (uint8_t)(0xF0 + i);
    r.flags = TN_ROW_TOMBSTONE | 0x80000000u;
    r.value = (const uint8_t *)"value-bytes";
    r.value_len = 11;
    r.inl = (const uint8_t *)"inline!";
    r.inl_len = 7;
    return r;
}

static void test_layout(void)
{
    tn_row_t r = sample();
    is_int(tn_row_seal(&r), 0, "seal");
    size_t len = 0;
    is_int(tn_row_encode(&r, enc, sizeof(enc), &len), 0, "encode");
    size_t k = r.key_len;
    is_uint(len, 64 + k + 11 + 7, "size = 64 + K + V + I");
    is_uint(tn_row_encoded_size(&r), len, "encoded_size");
    is_uint(enc[0], 1, "version byte");
    is_uint(enc[1], 0, "reserved");
    is_uint(enc[2] | (enc[3] << 8), k, "key length LE16");
    static const uint8_t pool_le[4] = {4, 3, 2, 1}, pg_le[4] = {0x0D, 0x0C, 0x0B, 0x0A};
    is_mem(enc + 4, pool_le, 4, "pool LE32 at 4");
    is_mem(enc + 8, pg_le, 4, "pg LE32 at 8");
    static const uint8_t ns_le[8] = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
    is_mem(enc + 12, ns_le, 8, "ns LE64 at 12");
    static const uint8_t hlc_le[8] = {0x11, 0x00, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA};
    is_mem(enc + 20, hlc_le, 8, "hlc LE64 at 20");
    is_uint(enc[28], 7, "origin at 28");
    is_mem(enc + 32, r.ver.vid, 16, "vid at 32");
    static const uint8_t flags_le[4] = {1, 0, 0, 0x80};
    is_mem(enc + 48, flags_le, 4, "flags at 48");
    is_uint(enc[52], 11, "value length at 52");
    is_uint(enc[56], 7, "inline length at 56");
    is_mem(enc + 60, r.key, k, "key at 60");
    is_mem(enc + 60 + k, "value-bytes", 11, "value");
    is_mem(enc + 60 + k + 11, "inline!", 7, "inline");
    uint32_t crc = ref_crc32c(enc, len - 4);
    is_uint(r.crc, crc, "crc = CRC32C of bytes before it");
    uint8_t crc_le[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
                         (uint8_t)(crc >> 24)};
    is_mem(enc + len - 4, crc_le, 4, "crc LE32 at the end");
}

static void test_round_trip(void)
{
    tn_row_t r = sample(), d;
    tn_row_seal(&r);
    size_t len, used = 0;
    tn_row_encode(&r, enc, sizeof(enc), &len);
    enc[len] = 0x55; /* trailing bytes are not part of the row */
    is_int(tn_row_decode(enc, len + 1, &d, &used), 0, "decode");
    is_uint(used, len, "used");
    is_uint(d.pool, r.pool, "pool");
    is_uint(d.pg, r.pg, "pg");
    is_uint(d.ns, r.ns, "ns");
    is_uint(d.key_len, r.key_len, "key_len");
    is_mem(d.key, r.key, r.key_len, "key");
    is_int(tn_row_ver_cmp(&d.ver, &r.ver), 0, "version");
    is_uint(d.flags, r.flags, "flags");
    is_uint(d.value_len, 11, "value_len");
    is_mem(d.value, "value-bytes", 11, "value");
    is_mem(d.inl, "inline!", 7, "inline");
    is_uint(d.crc, r.crc, "crc");
    is_int(tn_row_verify(&d), 0, "decoded row verifies");

    /* empty value and inline; max sizes */
    tn_row_t e = sample();
    e.value = NULL;
    e.value_len = 0;
    e.inl = NULL;
    e.inl_len = 0;
    tn_row_seal(&e);
    tn_row_encode(&e, enc, sizeof(enc), &len);
    is_uint(len, 64 + e.key_len, "minimal size");
    is_int(tn_row_decode(enc, len, &d, NULL), 0, "decode empty value/inline");
    ok(d.value == NULL && d.inl == NULL && d.value_len == 0 && d.inl_len == 0, "empty fields");

    static uint8_t maxkey[TN_ROW_MAX_KEY];
    memset(maxkey, 0xFF, sizeof(maxkey));
    for (size_t i = 0; i < sizeof(big_inline); i++)
        big_inline[i] = (uint8_t)(i * 7);
    tn_row_t m = sample();
    m.key = maxkey;
    m.key_len = TN_ROW_MAX_KEY;
    m.value = big_value;
    m.value_len = TN_ROW_MAX_VALUE;
    m.inl = big_inline;
    m.inl_len = TN_ROW_MAX_INLINE;
    is_int(tn_row_seal(&m), 0, "seal max row");
    is_int(tn_row_encode(&m, enc, sizeof(enc), &len), 0, "encode max row");
    is_uint(len, TN_ROW_MAX_ENCODED, "max encoded size");
    is_int(tn_row_decode(enc, len, &d, NULL), 0, "decode max row");
    is_mem(d.inl, big_inline, TN_ROW_MAX_INLINE, "max inline intact");
    is_int(tn_row_encode(&m, enc, len - 1, &len), -ENOBUFS, "buffer one short");
}

static void test_check(void)
{
    tn_row_t r = sample();
    r.key_len = 0;
    is_int(tn_row_check(&r), -EINVAL, "empty key");
    r = sample();
    r.key = NULL;
    is_int(tn_row_check(&r), -EINVAL, "NULL key");
    r = sample();
    r.value = NULL;
    is_int(tn_row_check(&r), -EINVAL, "NULL value with length");
    r = sample();
    r.inl = NULL;
    is_int(tn_row_check(&r), -EINVAL, "NULL inline with length");
    r = sample();
    r.key = big_value;
    r.key_len = TN_ROW_MAX_KEY + 1;
    is_int(tn_row_check(&r), TN_ERR_TOO_BIG, "key too long");
    r = sample();
    r.value = big_value;
    r.value_len = TN_ROW_MAX_VALUE + 1;
    is_int(tn_row_check(&r), TN_ERR_TOO_BIG, "value too long");
    is_int(tn_row_seal(&r), TN_ERR_TOO_BIG, "seal refuses");
    size_t len;
    is_int(tn_row_encode(&r, enc, sizeof(enc), &len), TN_ERR_TOO_BIG, "encode refuses");
    r = sample();
    r.inl = big_inline;
    r.inl_len = TN_ROW_MAX_INLINE + 1;
    is_int(tn_row_check(&r), TN_ERR_TOO_BIG, "inline too long");
}

/* Every field is covered by the CRC: changing any one makes verify fail. */
static void test_crc_covers_everything(void)
{
    tn_row_t base = sample();
    tn_row_seal(&base);
    is_int(tn_row_verify(&base), 0, "sealed row verifies");
    tn_row_t r;
    uint8_t key2[64], val2[16], inl2[16];
#define MUTATE(stmt, what)                                                                         \
    do {                                                                                           \
        r = base;                                                                                  \
        stmt;                                                                                      \
        is_int(tn_row_verify(&r), TN_ERR_CHECKSUM, what);                                          \
    } while (0)
    MUTATE(r.pool ^= 1, "pool");
    MUTATE(r.pg ^= 0x100, "pg");
    MUTATE(r.ns ^= 1ull << 63, "ns");
    memcpy(key2, base.key, base.key_len);
    key2[3] ^= 1;
    MUTATE(r.key = key2, "key byte");
    MUTATE(r.key_len--, "key length");
    MUTATE(r.ver.hlc++, "hlc");
    MUTATE(r.ver.origin++, "origin");
    MUTATE(r.ver.vid[15] ^= 1, "vid");
    MUTATE(r.flags ^= 2, "flags");
    memcpy(val2, base.value, base.value_len);
    val2[0] ^= 0x20;
    MUTATE(r.value = val2, "value byte");
    MUTATE(r.value_len--, "value length");
    memcpy(inl2, base.inl, base.inl_len);
    inl2[6] ^= 1;
    MUTATE(r.inl = inl2, "inline byte");
    MUTATE(r.inl_len = 0, "inline length");
    MUTATE(r.crc ^= 1, "crc itself");
#undef MUTATE
}

static void test_malformed(void)
{
    tn_row_t r = sample(), d;
    tn_row_seal(&r);
    size_t len;
    tn_row_encode(&r, enc, sizeof(enc), &len);
    uint8_t copy[256];
    memcpy(copy, enc, len);

    for (size_t n = 0; n < len; n++)
        if (tn_row_decode(enc, n, &d, NULL) != TN_ERR_CORRUPT) {
            ok(0, "every truncation is TN_ERR_CORRUPT");
            break;
        }
    ok(1, "truncations checked");
    /* Flipping any single bit is detected (structure or checksum), never a silent success. */
    int silent = 0;
    for (size_t i = 0; i < len; i++)
        for (int b = 0; b < 8; b++) {
            memcpy(enc, copy, len);
            enc[i] ^= (uint8_t)(1u << b);
            int rc = tn_row_decode(enc, len, &d, NULL);
            if (rc == 0)
                silent++;
            else if (rc != TN_ERR_CORRUPT && rc != TN_ERR_CHECKSUM && rc != TN_ERR_UNSUPPORTED)
                silent += 1000;
        }
    is_int(silent, 0, "every bit flip is an error");

    memcpy(enc, copy, len);
    enc[0] = 2;
    is_int(tn_row_decode(enc, len, &d, NULL), TN_ERR_UNSUPPORTED, "version 2");
    enc[0] = 0;
    is_int(tn_row_decode(enc, len, &d, NULL), TN_ERR_CORRUPT, "version 0");
    memcpy(enc, copy, len);
    enc[1] = 1;
    is_int(tn_row_decode(enc, len, &d, NULL), TN_ERR_CORRUPT, "reserved byte");
    memcpy(enc, copy, len);
    enc[2] = enc[3] = 0;
    is_int(tn_row_decode(enc, len, &d, NULL), TN_ERR_CORRUPT, "key length 0");
    memcpy(enc, copy, len);
    enc[2] = 0x01;
    enc[3] = 0x04; /* 1025 */
    is_int(tn_row_decode(enc, sizeof(enc), &d, NULL), TN_ERR_CORRUPT, "key length 1025");
    memcpy(enc, copy, len);
    enc[52] = 0x01;
    enc[53] = 0x00;
    enc[54] = 0x01; /* 65537 */
    is_int(tn_row_decode(enc, sizeof(enc), &d, NULL), TN_ERR_CORRUPT, "value length 65537");
    memcpy(enc, copy, len);
    enc[56] = enc[57] = enc[58] = enc[59] = 0xFF;
    is_int(tn_row_decode(enc, sizeof(enc), &d, NULL), TN_ERR_CORRUPT, "inline length 4G");
    memcpy(enc, copy, len);
    enc[56] = 0x01;
    enc[58] = 0x10; /* 1 MiB + 1 */
    is_int(tn_row_decode(enc, sizeof(enc), &d, NULL), TN_ERR_CORRUPT, "inline length 1MiB+1");
    memcpy(enc, copy, len);
    enc[len - 1] ^= 0x80;
    is_int(tn_row_decode(enc, len, &d, NULL), TN_ERR_CHECKSUM, "crc byte");
    memcpy(enc, copy, len);
    enc[61] ^= 1;
    is_int(tn_row_decode(enc, len, &d, NULL), TN_ERR_CHECKSUM, "key byte");
}

static void test_order(void)
{
    tn_row_ver_t a = {.hlc = 10, .origin = 1}, b = a;
    is_int(tn_row_ver_cmp(&a, &b), 0, "equal");
    b.hlc = 11;
    is_int(tn_row_ver_cmp(&a, &b), -1, "hlc first");
    b.hlc = 10;
    b.origin = 2;
    a.vid[0] = 0xFF;
    is_int(tn_row_ver_cmp(&a, &b), -1, "origin before vid");
    b.origin = 1;
    is_int(tn_row_ver_cmp(&a, &b), 1, "vid last, unsigned bytes");
    a.hlc = UINT64_MAX;
    is_int(tn_row_ver_cmp(&a, &b), 1, "hlc unsigned");
    is_int(tn_row_key_cmp("a", 1, "ab", 2), -1, "prefix first");
    is_int(tn_row_key_cmp("\xff", 1, "a", 1), 1, "bytes unsigned");
    is_int(tn_row_key_cmp("", 0, "", 0), 0, "empty keys");
    is_int(tn_row_key_cmp("b", 1, "", 0), 1, "empty first");
}

static void test_digest(void)
{
    tn_row_ver_t v = {.hlc = 5, .origin = 2};
    uint8_t e[64];
    size_t n = tn_row_digest_entry(0x0102, "ab", 2, &v, 1, e);
    is_uint(n, 44, "entry size");
    is_uint(tn_row_digest_entry_size(2), 44, "entry_size");
    is_uint(e[0], 2, "ns LE");
    is_uint(e[1], 1, "ns LE byte 1");
    is_uint(e[8], 2, "key length");
    is_mem(e + 10, "ab", 2, "key");
    is_uint(e[12], 5, "hlc");
    is_uint(e[20], 2, "origin");
    is_uint(e[40], 1, "flags");

    tn_row_digest_t a = {0}, b = {0};
    tn_row_digest_add(&a, 1, "x", 1, &v, 0);
    tn_row_digest_add(&b, 1, "x", 1, &v, 0);
    ok(a.count == 1 && a.h1 == b.h1 && a.h2 == b.h2, "same input, same digest");
    tn_row_digest_add(&b, 1, "y", 1, &v, 0);
    ok(b.count == 2 && b.h1 != a.h1 && b.h2 != a.h2, "extra row changes it");
    tn_row_digest_t c = {0};
    tn_row_digest_add(&c, 1, "x", 1, &v, TN_ROW_TOMBSTONE);
    ok(c.h1 != a.h1 && c.h2 != a.h2, "flags change it");
    /* Entries are length-delimited: ("ab", ...) differs from ("a", "b"...) splits. */
    tn_row_digest_t d1 = {0}, d2 = {0};
    tn_row_digest_add(&d1, 1, "ab", 2, &v, 0);
    tn_row_digest_add(&d2, 1, "a", 1, &v, 0);
    ok(d1.h1 != d2.h1, "key length is part of the entry");
    unsigned bk = tn_row_digest_bucket("key", 3);
    is_uint(bk, ref_crc32c("key", 3) >> 28, "bucket = crc32c >> 28");
    ok(bk < TN_ROW_DIGEST_BUCKETS, "bucket in range");
}

int main(void)
{
    subtest("encoding layout", test_layout);
    subtest("round trip", test_round_trip);
    subtest("limits", test_check);
    subtest("crc covers every field", test_crc_covers_everything);
    subtest("malformed input", test_malformed);
    subtest("version and key order", test_order);
    subtest("digest entries", test_digest);
    return tt_done();
}
