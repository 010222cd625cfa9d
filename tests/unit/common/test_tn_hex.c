/* Unit tests for common/tn_hex.c: hex, base64 (RFC 4648 vectors, strictness) and SigV4 URI
 * percent-encoding/decoding. */
#include "tn_hex.h"
#include "test.h"

static void test_hex(void)
{
    char out[16];
    tn_hex_encode(out, "\x01\xab\xff", 3);
    is_str(out, "01abff", "lower");
    tn_hex_encode_upper(out, "\x01\xab\xff", 3);
    is_str(out, "01ABFF", "upper");
    tn_hex_encode(out, "", 0);
    is_str(out, "", "empty");

    uint8_t b[4];
    size_t n = 99;
    is_int(tn_hex_decode("01aBfF", 6, b, sizeof b, &n), TN_OK, "decode mixed case");
    is_uint(n, 3, "decoded length");
    is_mem(b, "\x01\xab\xff", 3, "decoded bytes");
    is_int(tn_hex_decode("0", 1, b, sizeof b, &n), TN_ERR_CORRUPT, "odd length");
    is_int(tn_hex_decode("0g", 2, b, sizeof b, &n), TN_ERR_CORRUPT, "bad digit");
    is_int(tn_hex_decode(" 0", 2, b, sizeof b, &n), TN_ERR_CORRUPT, "space");
    is_int(tn_hex_decode("0011223344", 10, b, sizeof b, &n), TN_ERR_TOO_BIG, "too big");
    is_int(tn_hex_decode("", 0, b, sizeof b, &n), TN_OK, "empty ok");
    is_uint(n, 0, "empty length");
}

static void test_base64(void)
{
    /* RFC 4648 section 10 vectors */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char out[16];
        size_t len = tn_base64_encode(out, plain[i], strlen(plain[i]));
        is_str(out, enc[i], "encode vector");
        is_uint(len, strlen(enc[i]), "encode length");
        is_uint(TN_BASE64_ENCODED_LEN(strlen(plain[i])), strlen(enc[i]), "length macro");
        uint8_t dec[16];
        size_t n = 99;
        is_int(tn_base64_decode(enc[i], strlen(enc[i]), dec, sizeof dec, &n), TN_OK, "decode");
        is_uint(n, strlen(plain[i]), "decode length");
        is_mem(dec, plain[i], n, "decode bytes");
    }
    /* Content-MD5 of "" is 1B2M2Y8AsgTpgAmY7PhCfg== */
    uint8_t md5[16];
    size_t n;
    is_int(tn_base64_decode("1B2M2Y8AsgTpgAmY7PhCfg==", 24, md5, sizeof md5, &n), TN_OK, "md5");
    is_uint(n, 16, "md5 is 16 bytes");
    is_mem(md5, "\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e", 16,
           "md5 value");
    /* all 256 byte values round-trip, with '+' and '/' used */
    uint8_t all[256], back[256];
    char text[TN_BASE64_ENCODED_LEN(256) + 1];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    size_t tl = tn_base64_encode(text, all, 256);
    ok(strchr(text, '+') != NULL && strchr(text, '/') != NULL, "standard alphabet");
    is_int(tn_base64_decode(text, tl, back, sizeof back, &n), TN_OK, "round trip");
    is_uint(n, 256, "round trip length");
    is_mem(back, all, 256, "round trip bytes");

    uint8_t d[16];
    const char *bad[] = {"Zg=",  "Zg",   "Z===", "====",     "Zm9v\n", "Zm9-",
                         "Zm_v", "Zh==", "Zm9=", "Zg==Zg==", "Z=g=",   " Zg=="};
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++)
        is_int(tn_base64_decode(bad[i], strlen(bad[i]), d, sizeof d, &n), TN_ERR_CORRUPT, bad[i]);
    is_int(tn_base64_decode("Zm9vYmFy", 8, d, 5, &n), TN_ERR_TOO_BIG, "small buffer");
    is_int(tn_base64_decode("Zm9vYmE=", 8, d, 5, &n), TN_OK, "exact buffer");
}

static void test_uri_encode(void)
{
    char out[64];
    size_t n = tn_uri_encode("a b+c/d~e_f.g-h%", 16, out, sizeof out, 0);
    is_str(out, "a%20b%2Bc/d~e_f.g-h%25", "path mode keeps /");
    is_uint(n, strlen(out), "length");
    tn_uri_encode("a/b=c&d", 7, out, sizeof out, 1);
    is_str(out, "a%2Fb%3Dc%26d", "query mode encodes /");
    tn_uri_encode("\xe2\x82\xac\x00\xff", 5, out, sizeof out, 1);
    is_str(out, "%E2%82%AC%00%FF", "utf-8 and NUL bytes, uppercase hex");
    /* snprintf-like truncation */
    n = tn_uri_encode("  ", 2, out, 4, 1);
    is_uint(n, 6, "needed length reported");
    ok(strlen(out) < 4, "truncated output still terminated");
    is_uint(tn_uri_encode("abc", 3, NULL, 0, 1), 3, "measure with cap 0");
    ok(tn_uri_unreserved('~') && !tn_uri_unreserved('+') && !tn_uri_unreserved('*'), "set");
}

static void test_uri_decode(void)
{
    char out[64];
    size_t n;
    is_int(tn_uri_decode("a%20b+c%2fd%2F", 14, out, sizeof out, 0, &n), TN_OK, "decode");
    is_str(out, "a b+c/d/", "plus kept, either hex case");
    is_int(tn_uri_decode("a+b", 3, out, sizeof out, 1, &n), TN_OK, "form mode");
    is_str(out, "a b", "plus is space");
    is_int(tn_uri_decode("%zz", 3, out, sizeof out, 0, &n), TN_ERR_CORRUPT, "bad escape");
    is_int(tn_uri_decode("a%2", 3, out, sizeof out, 0, &n), TN_ERR_CORRUPT, "truncated escape");
    is_int(tn_uri_decode("a%", 2, out, sizeof out, 0, &n), TN_ERR_CORRUPT, "lone percent");
    is_int(tn_uri_decode("%2g", 3, out, sizeof out, 0, &n), TN_ERR_CORRUPT, "bad low digit");
    is_int(tn_uri_decode("a%00b", 5, out, sizeof out, 0, &n), TN_OK, "NUL byte");
    is_uint(n, 3, "NUL counted");
    is_mem(out, "a\0b", 3, "NUL decoded");
    is_int(tn_uri_decode("abcdef", 6, out, 3, 0, &n), TN_ERR_TOO_BIG, "small buffer");
    char inplace[] = "x%41y%2541";
    is_int(tn_uri_decode(inplace, 10, inplace, sizeof inplace, 0, &n), TN_OK, "in place");
    is_str(inplace, "xAy%41", "decoded exactly once");
    /* encode(decode(x)) == canonical form */
    char enc[64];
    tn_uri_decode("%7e%41b", 7, out, sizeof out, 0, &n);
    tn_uri_encode(out, n, enc, sizeof enc, 1);
    is_str(enc, "~Ab", "canonicalization unescapes unreserved");
}

int main(void)
{
    subtest("hex", test_hex);
    subtest("base64", test_base64);
    subtest("uri_encode", test_uri_encode);
    subtest("uri_decode", test_uri_decode);
    return tt_done();
}
