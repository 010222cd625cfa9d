/* tn_tenant.c — PURE: tenant metadata records, secret sealing, id generation (tn_tenant.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include "tn_wire.h"
#include "tn_tenant.h"

/* ---- users ---- */

int tn_user_rec_encode(const tn_user_rec_t *u, uint8_t *buf, size_t cap)
{
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, cap);
    tn_wire_put_u32(&w, 1);
    tn_wire_put_u64(&w, u->created_ms);
    tn_wire_put_u8(&w, u->status);
    return w.err != TN_OK ? TN_ERR_TOO_BIG : (int)(cap - tn_wire_w_left(&w));
}

int tn_user_rec_decode(const void *buf, size_t len, tn_user_rec_t *u)
{
    tn_wire_r_t r;
    memset(u, 0, sizeof *u);
    tn_wire_r_init(&r, buf, len);
    if (tn_wire_get_u32(&r) != 1)
        return TN_ERR_CORRUPT;
    u->created_ms = tn_wire_get_u64(&r);
    u->status = tn_wire_get_u8(&r);
    return tn_wire_r_finish(&r) == TN_OK ? TN_OK : TN_ERR_CORRUPT;
}

/* ---- keys ---- */

int tn_key_rec_encode(const tn_key_rec_t *k, uint8_t *buf, size_t cap)
{
    size_t ul = strnlen(k->user, TN_TENANT_NAME_MAX + 1);
    size_t bl = strnlen(k->bucket, TN_TENANT_BUCKET_MAX + 1);
    if (ul > TN_TENANT_NAME_MAX || bl > TN_TENANT_BUCKET_MAX ||
        k->sealed_len > TN_TENANT_SEALED_MAX)
        return TN_ERR_TOO_BIG;
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, cap);
    tn_wire_put_u32(&w, 1);
    tn_wire_put_bytes(&w, k->user, ul);
    tn_wire_put_u8(&w, k->scope);
    tn_wire_put_u8(&w, k->allow);
    tn_wire_put_bytes(&w, k->bucket, bl);
    tn_wire_put_u64(&w, k->bucket_id);
    tn_wire_put_u64(&w, k->created_ms);
    tn_wire_put_u8(&w, k->status);
    tn_wire_put_bytes(&w, k->sealed, k->sealed_len);
    return w.err != TN_OK ? TN_ERR_TOO_BIG : (int)(cap - tn_wire_w_left(&w));
}

/* Copies a length-checked byte field into a NUL-terminated string without embedded NULs. */
static int get_str(tn_slice_t s, char *out, size_t max)
{
    if (s.len > max || (s.len > 0 && memchr(s.base, '\0', s.len) != NULL))
        return TN_ERR_CORRUPT;
    if (s.len > 0)
        memcpy(out, s.base, s.len);
    out[s.len] = '\0';
    return TN_OK;
}

int tn_key_rec_decode(const void *buf, size_t len, tn_key_rec_t *k)
{
    tn_wire_r_t r;
    memset(k, 0, sizeof *k);
    tn_wire_r_init(&r, buf, len);
    if (tn_wire_get_u32(&r) != 1)
        return TN_ERR_CORRUPT;
    tn_slice_t user = tn_wire_get_bytes(&r);
    k->scope = tn_wire_get_u8(&r);
    k->allow = tn_wire_get_u8(&r);
    tn_slice_t bucket = tn_wire_get_bytes(&r);
    k->bucket_id = tn_wire_get_u64(&r);
    k->created_ms = tn_wire_get_u64(&r);
    k->status = tn_wire_get_u8(&r);
    tn_slice_t sealed = tn_wire_get_bytes(&r);
    if (tn_wire_r_finish(&r) != TN_OK || get_str(user, k->user, TN_TENANT_NAME_MAX) != TN_OK ||
        get_str(bucket, k->bucket, TN_TENANT_BUCKET_MAX) != TN_OK ||
        sealed.len > TN_TENANT_SEALED_MAX ||
        (k->scope != TN_KEY_SCOPE_USER && k->scope != TN_KEY_SCOPE_BUCKET) ||
        k->allow < TN_KEY_ALLOW_READ || k->allow > TN_KEY_ALLOW_RW ||
        (k->scope == TN_KEY_SCOPE_BUCKET && k->bucket[0] == '\0'))
        goto corrupt;
    memcpy(k->sealed, sealed.base, sealed.len);
    k->sealed_len = sealed.len;
    return TN_OK;
corrupt:
    memset(k, 0, sizeof *k);
    return TN_ERR_CORRUPT;
}

/* ---- buckets ---- */

int tn_bucket_rec_encode(const tn_bucket_rec_t *b, uint8_t *buf, size_t cap)
{
    size_t ol = strnlen(b->owner, TN_BUCKET_OWNER_MAX + 1);
    size_t ul = strnlen(b->user, TN_TENANT_NAME_MAX + 1);
    if (ol > TN_BUCKET_OWNER_MAX || ul > TN_TENANT_NAME_MAX ||
        b->policy_len > TN_BUCKET_POLICY_MAX || b->cors_len > TN_BUCKET_CORS_MAX ||
        b->acl >= TN_BUCKET_ACL_LIMIT)
        return TN_ERR_TOO_BIG;
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, cap);
    tn_wire_put_u32(&w, TN_BUCKET_FORMAT);
    tn_wire_put_u64(&w, b->id);
    tn_wire_put_u64(&w, b->created_ms);
    tn_wire_put_bytes(&w, b->owner, ol);
    tn_wire_put_bytes(&w, b->user, ul);
    tn_wire_put_u64(&w, b->max_bytes);
    tn_wire_put_u64(&w, b->max_objects);
    tn_wire_put_u8(&w, b->acl);
    tn_wire_put_bytes(&w, b->policy, b->policy_len);
    tn_wire_put_bytes(&w, b->cors, b->cors_len);
    return w.err != TN_OK ? TN_ERR_TOO_BIG : (int)(cap - tn_wire_w_left(&w));
}

int tn_bucket_rec_decode(const void *buf, size_t len, tn_bucket_rec_t *b)
{
    tn_wire_r_t r;
    memset(b, 0, sizeof *b);
    tn_wire_r_init(&r, buf, len);
    uint32_t fmt = tn_wire_get_u32(&r);
    if (fmt < 1 || fmt > 3)
        return TN_ERR_CORRUPT;
    b->id = tn_wire_get_u64(&r);
    b->created_ms = tn_wire_get_u64(&r);
    tn_slice_t owner = tn_wire_get_bytes(&r);
    tn_slice_t user = {NULL, 0};
    tn_slice_t pol = {NULL, 0}, cors = {NULL, 0};
    if (fmt >= 2) {
        user = tn_wire_get_bytes(&r);
        b->max_bytes = tn_wire_get_u64(&r);
        b->max_objects = tn_wire_get_u64(&r);
    }
    if (fmt >= 3) {
        b->acl = tn_wire_get_u8(&r);
        pol = tn_wire_get_bytes(&r);
        cors = tn_wire_get_bytes(&r);
    }
    if (tn_wire_r_finish(&r) != TN_OK || get_str(owner, b->owner, TN_BUCKET_OWNER_MAX) != TN_OK ||
        get_str(user, b->user, TN_TENANT_NAME_MAX) != TN_OK || b->acl >= TN_BUCKET_ACL_LIMIT ||
        pol.len > TN_BUCKET_POLICY_MAX || cors.len > TN_BUCKET_CORS_MAX) {
        memset(b, 0, sizeof *b);
        return TN_ERR_CORRUPT;
    }
    if (pol.len > 0)
        memcpy(b->policy, pol.base, pol.len);
    b->policy_len = (uint32_t)pol.len;
    if (cors.len > 0)
        memcpy(b->cors, cors.base, cors.len);
    b->cors_len = (uint32_t)cors.len;
    return TN_OK;
}

/* ---- sealing ---- */

int tn_tenant_seal(const uint8_t key[32], const char *akid, const uint8_t nonce[12],
                   const char *secret, size_t secret_len, uint8_t *out, size_t cap)
{
    if (secret_len == 0 || secret_len > TN_TENANT_SECRET_MAX)
        return -EINVAL;
    size_t need = TN_TENANT_NONCE_LEN + secret_len + TN_TENANT_TAG_LEN;
    if (cap < need)
        return TN_ERR_TOO_BIG;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return -ENOMEM;
    int ok = 0, n = 0, fin = 0;
    memcpy(out, nonce, TN_TENANT_NONCE_LEN);
    uint8_t *ct = out + TN_TENANT_NONCE_LEN;
    if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, TN_TENANT_NONCE_LEN, NULL) == 1 &&
        EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) == 1 &&
        EVP_EncryptUpdate(c, NULL, &n, (const uint8_t *)akid, (int)strlen(akid)) == 1 &&
        EVP_EncryptUpdate(c, ct, &n, (const uint8_t *)secret, (int)secret_len) == 1 &&
        EVP_EncryptFinal_ex(c, ct + n, &fin) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TN_TENANT_TAG_LEN, ct + secret_len) == 1)
        ok = 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? (int)need : -EINVAL;
}

int tn_tenant_open(const uint8_t key[32], const char *akid, const uint8_t *sealed, size_t len,
                   char *out, size_t cap)
{
    if (len <= TN_TENANT_NONCE_LEN + TN_TENANT_TAG_LEN || len > TN_TENANT_SEALED_MAX)
        return TN_ERR_CORRUPT;
    size_t sl = len - TN_TENANT_NONCE_LEN - TN_TENANT_TAG_LEN;
    if (cap < sl + 1)
        return TN_ERR_TOO_BIG;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return -ENOMEM;
    uint8_t tag[TN_TENANT_TAG_LEN];
    memcpy(tag, sealed + len - TN_TENANT_TAG_LEN, sizeof tag);
    int ok = 0, n = 0, fin = 0;
    if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, TN_TENANT_NONCE_LEN, NULL) == 1 &&
        EVP_DecryptInit_ex(c, NULL, NULL, key, sealed) == 1 &&
        EVP_DecryptUpdate(c, NULL, &n, (const uint8_t *)akid, (int)strlen(akid)) == 1 &&
        EVP_DecryptUpdate(c, (uint8_t *)out, &n, sealed + TN_TENANT_NONCE_LEN, (int)sl) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TN_TENANT_TAG_LEN, tag) == 1 &&
        EVP_DecryptFinal_ex(c, (uint8_t *)out + n, &fin) == 1)
        ok = 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        memset(out, 0, cap);
        return TN_ERR_CHECKSUM;
    }
    out[sl] = '\0';
    return (int)sl;
}

/* ---- generation ---- */

static const char upper36[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char alnum62[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

void tn_tenant_make_akid(const uint8_t rnd[TN_TENANT_AKID_RAND], char *out)
{
    out[0] = 'T';
    out[1] = 'N';
    /* 252 = 7 * 36: modulo 36 of a byte is biased by < 2 % for 252..255; ids need uniqueness,
     * not uniformity (90+ bits either way) */
    for (size_t i = 0; i < TN_TENANT_AKID_RAND; i++)
        out[2 + i] = upper36[rnd[i] % 36u];
    out[TN_TENANT_AKID_LEN] = '\0';
}

void tn_tenant_make_secret(const uint8_t rnd[TN_TENANT_SECRET_RAND], char *out)
{
    /* 62 does not divide 256: bytes >= 248 map twice as often to the first 8 symbols; the
     * secret keeps > 235 bits of entropy */
    for (size_t i = 0; i < TN_TENANT_SECRET_LEN; i++)
        out[i] = alnum62[rnd[i] % 62u];
    out[TN_TENANT_SECRET_LEN] = '\0';
}

int tn_tenant_user_name_valid(const char *name)
{
    size_t n = strnlen(name, TN_TENANT_NAME_MAX + 1);
    if (n == 0 || n > TN_TENANT_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
            return 0;
    }
    return 1;
}
