/* test_tn_tenant.c — tenant records (users, keys, buckets v1/v2), secret sealing, id and
 * secret generation, user name rules (common/tn_tenant.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include "tn_tenant.h"
#include "tn_wire.h"
#include "../test.h"

static const uint8_t KEY[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t NONCE[12] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1};

static void test_user(void)
{
    tn_user_rec_t u = {.created_ms = 1700000000123ull, .status = 0}, v;
    uint8_t buf[TN_TENANT_REC_MAX];
    int n = tn_user_rec_encode(&u, buf, sizeof buf);
    is_int(n, 13, "user record is 13 bytes");
    is_int(tn_user_rec_decode(buf, (size_t)n, &v), TN_OK, "decodes");
    is_uint(v.created_ms, u.created_ms, "created");
    is_int(tn_user_rec_decode(buf, (size_t)n - 1, &v), TN_ERR_CORRUPT, "short: corrupt");
    buf[0] = 2;
    is_int(tn_user_rec_decode(buf, (size_t)n, &v), TN_ERR_CORRUPT, "unknown format: corrupt");
    is_int(tn_user_rec_encode(&u, buf, 5), TN_ERR_TOO_BIG, "small buffer: too big");
}

static void fill_key(tn_key_rec_t *k)
{
    memset(k, 0, sizeof *k);
    strcpy(k->user, "site-a");
    k->scope = TN_KEY_SCOPE_BUCKET;
    k->allow = TN_KEY_ALLOW_READ;
    strcpy(k->bucket, "site-a-media");
    k->bucket_id = 0x1122334455667788ull;
    k->created_ms = 42;
    int n = tn_tenant_seal(KEY, "TNAAAAAAAAAAAAAAAAAA", NONCE, "secret-secret-secret", 20,
                           k->sealed, sizeof k->sealed);
    k->sealed_len = n > 0 ? (size_t)n : 0;
}

static void test_key(void)
{
    tn_key_rec_t k, d;
    fill_key(&k);
    is_uint(k.sealed_len, 12 + 20 + 16, "sealed = nonce + secret + tag");
    uint8_t buf[TN_TENANT_REC_MAX];
    int n = tn_key_rec_encode(&k, buf, sizeof buf);
    ok(n > 0, "key encodes");
    is_int(tn_key_rec_decode(buf, (size_t)n, &d), TN_OK, "key decodes");
    is_str(d.user, "site-a", "user");
    is_str(d.bucket, "site-a-media", "bucket");
    is_uint(d.bucket_id, k.bucket_id, "bucket id");
    is_int(d.scope, TN_KEY_SCOPE_BUCKET, "scope");
    is_int(d.allow, TN_KEY_ALLOW_READ, "allow");
    is_mem(d.sealed, k.sealed, k.sealed_len, "sealed bytes");
    for (int cut = 0; cut < n; cut++)
        if (tn_key_rec_decode(buf, (size_t)cut, &d) != TN_ERR_CORRUPT) {
            ok(0, "every truncation is corrupt");
            break;
        }
    /* bad scope, bad allow, bucket scope without bucket */
    k.scope = 7;
    n = tn_key_rec_encode(&k, buf, sizeof buf);
    is_int(tn_key_rec_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "bad scope: corrupt");
    fill_key(&k);
    k.allow = 0;
    n = tn_key_rec_encode(&k, buf, sizeof buf);
    is_int(tn_key_rec_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "allow 0: corrupt");
    fill_key(&k);
    k.bucket[0] = '\0';
    n = tn_key_rec_encode(&k, buf, sizeof buf);
    is_int(tn_key_rec_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "bucket key without bucket");
    fill_key(&k);
    k.scope = TN_KEY_SCOPE_USER;
    k.bucket[0] = '\0';
    k.allow = TN_KEY_ALLOW_RW;
    n = tn_key_rec_encode(&k, buf, sizeof buf);
    is_int(tn_key_rec_decode(buf, (size_t)n, &d), TN_OK, "user key decodes");
    /* an embedded NUL in the user name is refused */
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof buf);
    tn_wire_put_u32(&w, 1);
    tn_wire_put_bytes(&w, "a\0b", 3);
    tn_wire_put_u8(&w, 1);
    tn_wire_put_u8(&w, 3);
    tn_wire_put_bytes(&w, "", 0);
    tn_wire_put_u64(&w, 0);
    tn_wire_put_u64(&w, 0);
    tn_wire_put_u8(&w, 0);
    tn_wire_put_bytes(&w, "", 0);
    is_int(tn_key_rec_decode(buf, sizeof buf - tn_wire_w_left(&w), &d), TN_ERR_CORRUPT,
           "NUL inside a name: corrupt");
}

static void test_bucket(void)
{
    tn_bucket_rec_t b = {.id = 77, .created_ms = 1234, .max_bytes = 5ull << 30, .max_objects = 9},
                    d;
    strcpy(b.owner, "TNOWNER");
    strcpy(b.user, "site-a");
    uint8_t buf[TN_TENANT_REC_MAX];
    int n = tn_bucket_rec_encode(&b, buf, sizeof buf);
    is_int(n, 4 + 8 + 8 + 4 + 7 + 4 + 6 + 8 + 8 + 1 + 4 + 4, "v3 length (no policy, no CORS)");
    is_int(tn_bucket_rec_decode(buf, (size_t)n, &d), TN_OK, "v3 decodes");
    is_str(d.user, "site-a", "user");
    is_str(d.owner, "TNOWNER", "owner");
    is_uint(d.max_bytes, 5ull << 30, "quota bytes");
    is_uint(d.max_objects, 9, "quota objects");
    /* a format 1 record (as written before users existed) */
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof buf);
    tn_wire_put_u32(&w, 1);
    tn_wire_put_u64(&w, 5);
    tn_wire_put_u64(&w, 6);
    tn_wire_put_bytes(&w, "AKIAOLD", 7);
    size_t l1 = sizeof buf - tn_wire_w_left(&w);
    is_int(tn_bucket_rec_decode(buf, l1, &d), TN_OK, "v1 decodes");
    is_uint(d.id, 5, "v1 id");
    is_str(d.owner, "AKIAOLD", "v1 owner");
    is_str(d.user, "", "v1: no user (an admin bucket)");
    is_uint(d.max_bytes, 0, "v1: no quota");
    is_int(tn_bucket_rec_decode(buf, l1 + 1, &d), TN_ERR_CORRUPT, "trailing byte: corrupt");
    buf[0] = 4;
    is_int(tn_bucket_rec_decode(buf, l1, &d), TN_ERR_CORRUPT, "format 4: corrupt");
}

static void test_seal(void)
{
    uint8_t sealed[TN_TENANT_SEALED_MAX];
    const char *ak = "TN0123456789ABCDEFGH", *secret = "abcdefghijABCDEFGHIJ0123456789abcdefghij";
    int n = tn_tenant_seal(KEY, ak, NONCE, secret, 40, sealed, sizeof sealed);
    is_int(n, 68, "sealed length");
    is_mem(sealed, NONCE, 12, "nonce first");
    ok(memmem(sealed, (size_t)n, "abcdefghij", 10) == NULL, "no plaintext in the sealed bytes");
    char out[TN_TENANT_SECRET_MAX + 1];
    is_int(tn_tenant_open(KEY, ak, sealed, (size_t)n, out, sizeof out), 40, "opens");
    is_str(out, secret, "same secret");
    uint8_t k2[32];
    memcpy(k2, KEY, 32);
    k2[31] ^= 1;
    is_int(tn_tenant_open(k2, ak, sealed, (size_t)n, out, sizeof out), TN_ERR_CHECKSUM,
           "another cluster key does not open it");
    is_int(tn_tenant_open(KEY, "TN0123456789ABCDEFGX", sealed, (size_t)n, out, sizeof out),
           TN_ERR_CHECKSUM, "another access key id (AAD) does not open it");
    for (int i = 0; i < n; i++) {
        sealed[i] ^= 0x40;
        int rc = tn_tenant_open(KEY, ak, sealed, (size_t)n, out, sizeof out);
        sealed[i] ^= 0x40;
        if (rc != TN_ERR_CHECKSUM) {
            ok(0, "every flipped byte is detected");
            break;
        }
    }
    is_int(tn_tenant_open(KEY, ak, sealed, 28, out, sizeof out), TN_ERR_CORRUPT, "too short");
    is_int(tn_tenant_seal(KEY, ak, NONCE, secret, 0, sealed, sizeof sealed), -EINVAL,
           "empty secret refused");
    is_int(tn_tenant_seal(KEY, ak, NONCE, secret, 40, sealed, 60), TN_ERR_TOO_BIG, "small cap");
    /* a different nonce gives different bytes */
    uint8_t s2[TN_TENANT_SEALED_MAX], n2[12] = {0};
    tn_tenant_seal(KEY, ak, n2, secret, 40, s2, sizeof s2);
    ok(memcmp(s2 + 12, sealed + 12, 40) != 0, "nonce changes the ciphertext");
}

static void test_gen(void)
{
    uint8_t rnd[64];
    for (int i = 0; i < 64; i++)
        rnd[i] = (uint8_t)(i * 37 + 255);
    char ak[TN_TENANT_AKID_LEN + 1], sk[TN_TENANT_SECRET_LEN + 1];
    tn_tenant_make_akid(rnd, ak);
    tn_tenant_make_secret(rnd, sk);
    is_int((int)strlen(ak), 20, "akid length");
    is_int((int)strlen(sk), 40, "secret length");
    ok(ak[0] == 'T' && ak[1] == 'N', "akid prefix");
    int okc = 1;
    for (int i = 2; i < 20; i++)
        okc &= (ak[i] >= 'A' && ak[i] <= 'Z') || (ak[i] >= '0' && ak[i] <= '9');
    ok(okc, "akid alphabet [A-Z0-9] (what the config accepts too)");
    ok(tn_tenant_user_name_valid("site-a"), "site-a valid");
    ok(tn_tenant_user_name_valid("a.b_c-9"), "a.b_c-9 valid");
    ok(!tn_tenant_user_name_valid(""), "empty invalid");
    ok(!tn_tenant_user_name_valid("-a"), "leading dash invalid");
    ok(!tn_tenant_user_name_valid("Site"), "upper case invalid");
    ok(!tn_tenant_user_name_valid("a/b"), "slash invalid");
    char long_name[80];
    memset(long_name, 'a', sizeof long_name);
    long_name[65] = '\0';
    ok(!tn_tenant_user_name_valid(long_name), "65 chars invalid");
    long_name[64] = '\0';
    ok(tn_tenant_user_name_valid(long_name), "64 chars valid");
}

int main(void)
{
    subtest("user records", test_user);
    subtest("key records", test_key);
    subtest("bucket records v1 and v2", test_bucket);
    subtest("secret sealing", test_seal);
    subtest("ids, secrets, names", test_gen);
    return tt_done();
}
