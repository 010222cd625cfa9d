/* test_s3_checksum.c — S3 checksums: check values over "123456789" in base64 wire form,
 * incremental = one-shot, names and header names, strict decoding, composite and
 * full-object multipart forms, the multi-hash helper. */
#include <errno.h>
#include "test.h"
#include "s3_checksum.h"
#include "tn_hex.h"

static const char check[] = "123456789";

static void test_check_values(void)
{
    static const struct {
        s3_cksum_alg_t alg;
        const char *b64;
        const char *hex;
    } v[] = {
        {S3_CKSUM_CRC32, "y/Q5Jg==", "cbf43926"},
        {S3_CKSUM_CRC32C, "4waSgw==", "e3069283"},
        {S3_CKSUM_CRC64NVME, "rosUhgp5mIg=", "ae8b14860a799888"},
        {S3_CKSUM_SHA1, "98O8HYCOBHMq32eZZczDTKeuNEE=", "f7c3bc1d808e04732adf679965ccc34ca7ae3441"},
        {S3_CKSUM_SHA256, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
         "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"},
        {S3_CKSUM_MD5, "JfnnlDI7RTiF9RgfG2JNCw==", "25f9e794323b453885f5181f1b624d0b"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(v); i++) {
        uint8_t raw[S3_CKSUM_MAX_RAW], raw2[S3_CKSUM_MAX_RAW];
        char text[S3_CKSUM_MAX_TEXT], hex[65];
        const char *name = s3_checksum_name(v[i].alg);
        size_t n = s3_checksum_oneshot(v[i].alg, check, 9, raw);
        is_uint(n, s3_checksum_size(v[i].alg), name);
        tn_hex_encode(hex, raw, n);
        is_str(hex, v[i].hex, name);
        s3_checksum_text(raw, n, 0, text);
        is_str(text, v[i].b64, name);
        /* incremental, one byte at a time, then reuse after final */
        s3_checksum_t c;
        is_int(s3_checksum_init(&c, v[i].alg), TN_OK, "init");
        for (size_t k = 0; k < 9; k++)
            s3_checksum_update(&c, check + k, 1);
        is_uint(c.len, 9, "length counted");
        is_uint(s3_checksum_final(&c, raw2), n, "final size");
        is_mem(raw2, raw, n, "byte-at-a-time = one-shot");
        s3_checksum_update(&c, check, 4);
        s3_checksum_update(&c, check + 4, 5);
        is_uint(s3_checksum_final(&c, raw2), n, "final after reuse");
        is_mem(raw2, raw, n, "final resets the state");
        s3_checksum_update(&c, "junk", 4);
        s3_checksum_reset(&c);
        s3_checksum_update(&c, check, 9);
        s3_checksum_final(&c, raw2);
        is_mem(raw2, raw, n, "reset discards data");
        s3_checksum_free(&c);
        s3_checksum_free(&c); /* idempotent */
        /* decode round trip */
        uint8_t dec[S3_CKSUM_MAX_RAW];
        is_int(s3_checksum_decode(v[i].alg, v[i].b64, strlen(v[i].b64), dec), TN_OK, "decode");
        is_mem(dec, raw, n, "decoded bytes");
    }
    /* empty input: MD5 of "" is the empty-object ETag */
    uint8_t raw[S3_CKSUM_MAX_RAW];
    char hex[65];
    is_uint(s3_checksum_oneshot(S3_CKSUM_MD5, NULL, 0, raw), 16, "md5 of nothing");
    tn_hex_encode(hex, raw, 16);
    is_str(hex, "d41d8cd98f00b204e9800998ecf8427e", "empty ETag");
    is_uint(s3_checksum_oneshot(S3_CKSUM_CRC32, NULL, 0, raw), 4, "crc of nothing");
    is_mem(raw, "\0\0\0\0", 4, "crc32 of nothing is 0");
}

static void test_names(void)
{
    is_int(s3_checksum_parse_name(TN_STRLIT("CRC32")), S3_CKSUM_CRC32, "CRC32");
    is_int(s3_checksum_parse_name(TN_STRLIT("CRC32C")), S3_CKSUM_CRC32C, "CRC32C");
    is_int(s3_checksum_parse_name(TN_STRLIT("crc64nvme")), S3_CKSUM_CRC64NVME, "lowercase");
    is_int(s3_checksum_parse_name(TN_STRLIT("SHA1")), S3_CKSUM_SHA1, "SHA1");
    is_int(s3_checksum_parse_name(TN_STRLIT("SHA256")), S3_CKSUM_SHA256, "SHA256");
    is_int(s3_checksum_parse_name(TN_STRLIT("MD5")), S3_CKSUM_NONE, "MD5 is not an S3 checksum");
    is_int(s3_checksum_parse_name(TN_STRLIT("CRC3")), S3_CKSUM_NONE, "prefix");
    is_int(s3_checksum_parse_name(TN_STRLIT("CRC32CX")), S3_CKSUM_NONE, "longer");
    is_int(s3_checksum_parse_name(TN_STRLIT("")), S3_CKSUM_NONE, "empty");
    is_int(s3_checksum_parse_header(TN_STRLIT("X-Amz-Checksum-CRC32C")), S3_CKSUM_CRC32C,
           "header any case");
    is_int(s3_checksum_parse_header(TN_STRLIT("x-amz-checksum-sha256")), S3_CKSUM_SHA256,
           "sha256 header");
    is_int(s3_checksum_parse_header(TN_STRLIT("x-amz-checksum-algorithm")), S3_CKSUM_NONE,
           "algorithm header is not a checksum");
    is_int(s3_checksum_parse_header(TN_STRLIT("x-amz-checksum-type")), S3_CKSUM_NONE, "type");
    is_str(s3_checksum_header(S3_CKSUM_CRC64NVME), "x-amz-checksum-crc64nvme", "header name");
    ok(s3_checksum_header(S3_CKSUM_MD5) == NULL, "no MD5 header");
    is_str(s3_checksum_xml_name(S3_CKSUM_SHA1), "ChecksumSHA1", "XML name");
    is_str(s3_checksum_name(S3_CKSUM_NONE), "", "NONE");
    is_str(s3_checksum_name((s3_cksum_alg_t)99), "", "out of range");
    is_uint(s3_checksum_size((s3_cksum_alg_t)99), 0, "out of range size");
    s3_checksum_t c;
    is_int(s3_checksum_init(&c, S3_CKSUM_NONE), -EINVAL, "init NONE");
    s3_checksum_free(&c);
}

static void test_decode_strict(void)
{
    uint8_t raw[S3_CKSUM_MAX_RAW];
    is_int(s3_checksum_decode(S3_CKSUM_CRC32, TN_STRLIT("y/Q5Jg=="), raw), TN_OK, "good");
    is_int(s3_checksum_decode(S3_CKSUM_CRC32, TN_STRLIT("y/Q5Jg="), raw), TN_ERR_CORRUPT, "short");
    is_int(s3_checksum_decode(S3_CKSUM_CRC32, TN_STRLIT("y/Q5Jh=="), raw), TN_ERR_CORRUPT,
           "non-canonical padding bits");
    is_int(s3_checksum_decode(S3_CKSUM_CRC32C, TN_STRLIT("rosUhgp5mIg="), raw), TN_ERR_CORRUPT,
           "8 bytes for a 4-byte CRC");
    is_int(s3_checksum_decode(S3_CKSUM_CRC32, TN_STRLIT(" y/Q5Jg="), raw), TN_ERR_CORRUPT, "space");
    is_int(s3_checksum_decode(S3_CKSUM_NONE, TN_STRLIT(""), raw), TN_ERR_CORRUPT, "NONE");
    unsigned parts = 99;
    is_int(s3_checksum_decode_object(S3_CKSUM_CRC32, TN_STRLIT("y/Q5Jg=="), raw, &parts), TN_OK,
           "object: plain");
    is_int((int)parts, 0, "no suffix: parts 0");
    is_int(s3_checksum_decode_object(S3_CKSUM_CRC32, TN_STRLIT("y/Q5Jg==-10000"), raw, &parts),
           TN_OK, "object: composite");
    is_int((int)parts, 10000, "parts from the suffix");
    is_int(raw[0], 0xcb, "digest decoded");
    static const char *const bad[] = {"y/Q5Jg==-",      "y/Q5Jg==-0",  "y/Q5Jg==-01",
                                      "y/Q5Jg==-10001", "y/Q5Jg==-2x", "y/Q5Jg==-2-3",
                                      "y/Q5Jg=-2",      "-2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        is_int(s3_checksum_decode_object(S3_CKSUM_CRC32, bad[i], strlen(bad[i]), raw, &parts),
               TN_ERR_CORRUPT, bad[i]);
}

static void test_composite_and_combine(void)
{
    /* COMPOSITE of three parts "aaaaa", "bbbbbbb", "c" with CRC32 (values from zlib) */
    const char *parts[] = {"aaaaa", "bbbbbbb", "c"};
    uint8_t praw[3][S3_CKSUM_MAX_RAW], raw[S3_CKSUM_MAX_RAW], acc[8];
    char text[S3_CKSUM_MAX_TEXT];
    s3_checksum_t comp;
    is_int(s3_checksum_init(&comp, S3_CKSUM_CRC32), TN_OK, "init composite");
    for (int i = 0; i < 3; i++) {
        s3_checksum_oneshot(S3_CKSUM_CRC32, parts[i], strlen(parts[i]), praw[i]);
        s3_checksum_update(&comp, praw[i], 4);
    }
    size_t n = s3_checksum_final(&comp, raw);
    s3_checksum_free(&comp);
    is_uint(s3_checksum_text(raw, n, 3, text), strlen("ta7OkA==-3"), "composite length");
    is_str(text, "ta7OkA==-3", "composite text");
    s3_checksum_text(raw, n, 10000, text);
    is_str(text, "ta7OkA==-10000", "composite 10000 parts");

    /* FULL_OBJECT: combine part CRCs = CRC of the whole object */
    memcpy(acc, praw[0], 4);
    is_int(s3_checksum_combine(S3_CKSUM_CRC32, acc, praw[1], 7, acc), TN_OK, "combine 1");
    is_int(s3_checksum_combine(S3_CKSUM_CRC32, acc, praw[2], 1, acc), TN_OK, "combine 2");
    s3_checksum_text(acc, 4, 0, text);
    is_str(text, "+qS/GA==", "full-object CRC32 of aaaaabbbbbbbc");

    static const s3_cksum_alg_t crcs[] = {S3_CKSUM_CRC32C, S3_CKSUM_CRC64NVME};
    for (size_t i = 0; i < 2; i++) {
        uint8_t a[S3_CKSUM_MAX_RAW], b[S3_CKSUM_MAX_RAW], whole[S3_CKSUM_MAX_RAW], out[8];
        size_t sz = s3_checksum_oneshot(crcs[i], check, 4, a);
        s3_checksum_oneshot(crcs[i], check + 4, 5, b);
        s3_checksum_oneshot(crcs[i], check, 9, whole);
        is_int(s3_checksum_combine(crcs[i], a, b, 5, out), TN_OK, "combine");
        is_mem(out, whole, sz, s3_checksum_name(crcs[i]));
    }
    is_int(s3_checksum_combine(S3_CKSUM_SHA256, raw, raw, 1, acc), -EINVAL, "combine SHA256");
}

static void test_multihash(void)
{
    s3_multihash_t m;
    uint8_t raw[S3_CKSUM_MAX_RAW];
    char text[S3_CKSUM_MAX_TEXT];
    /* 200 KiB of a pattern: crosses the 64 KiB slice boundary */
    size_t len = 200 * 1024;
    uint8_t *buf = malloc(len);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    is_int(s3_multihash_init(&m, 1, S3_CKSUM_CRC64NVME, 1), TN_OK, "init all three");
    s3_multihash_update(&m, buf, 1000);
    s3_multihash_update(&m, buf + 1000, len - 1000);
    uint8_t want[S3_CKSUM_MAX_RAW];
    static const s3_cksum_alg_t a[] = {S3_CKSUM_MD5, S3_CKSUM_CRC64NVME, S3_CKSUM_SHA256};
    s3_checksum_t *cs[] = {&m.md5, &m.extra, &m.sha256};
    for (int i = 0; i < 3; i++) {
        size_t n = s3_checksum_oneshot(a[i], buf, len, want);
        is_uint(s3_checksum_final(cs[i], raw), n, "size");
        is_mem(raw, want, n, s3_checksum_name(a[i]));
    }
    s3_multihash_free(&m);
    /* subset: only an extra CRC32 */
    is_int(s3_multihash_init(&m, 0, S3_CKSUM_CRC32, 0), TN_OK, "init crc only");
    ok(m.md5.alg == S3_CKSUM_NONE && m.sha256.alg == S3_CKSUM_NONE, "unwanted digests off");
    s3_multihash_update(&m, check, 9);
    s3_checksum_text(raw, s3_checksum_final(&m.extra, raw), 0, text);
    is_str(text, "y/Q5Jg==", "crc32 through multihash");
    s3_multihash_free(&m);
    free(buf);
}

int main(void)
{
    subtest("check values", test_check_values);
    subtest("names", test_names);
    subtest("strict decode", test_decode_strict);
    subtest("composite and combine", test_composite_and_combine);
    subtest("multihash", test_multihash);
    return tt_done();
}
