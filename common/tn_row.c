/*
 * tn_row.c — this file implements the canonical encoding of OSD index rows, their CRC, the
 * version order and the PG digest entries specified in tn_row.h. Pure: no I/O, no malloc.
 */
#include <errno.h>
#include <string.h>
#include <isa-l/crc64.h>
#include "tn_row.h"
#include "tn_endian.h"
#include "tn_crc.h"

#define DIGEST_ENTRY_FIXED 42

int tn_row_ver_cmp(const tn_row_ver_t *a, const tn_row_ver_t *b)
{
    if (a->hlc != b->hlc)
        return a->hlc < b->hlc ? -1 : 1;
    if (a->origin != b->origin)
        return a->origin < b->origin ? -1 : 1;
    int c = memcmp(a->vid, b->vid, TN_ROW_VID_LEN);
    return (c > 0) - (c < 0);
}

int tn_row_key_cmp(const void *a, size_t a_len, const void *b, size_t b_len)
{
    size_t n = a_len < b_len ? a_len : b_len;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0)
        return (c > 0) - (c < 0);
    return (a_len > b_len) - (a_len < b_len);
}

int tn_row_check(const tn_row_t *r)
{
    if (r->key_len == 0 || r->key == NULL)
        return -EINVAL;
    if ((r->value == NULL && r->value_len != 0) || (r->inl == NULL && r->inl_len != 0))
        return -EINVAL;
    if (r->key_len > TN_ROW_MAX_KEY || r->value_len > TN_ROW_MAX_VALUE ||
        r->inl_len > TN_ROW_MAX_INLINE)
        return TN_ERR_TOO_BIG;
    return 0;
}

static void header_encode(const tn_row_t *r, uint8_t h[TN_ROW_HEADER_SIZE])
{
    h[0] = TN_ROW_ENCODING_VERSION;
    h[1] = 0;
    tn_put_le16(h + 2, (uint16_t)r->key_len);
    tn_put_le32(h + 4, r->pool);
    tn_put_le32(h + 8, r->pg);
    tn_put_le64(h + 12, r->ns);
    tn_put_le64(h + 20, r->ver.hlc);
    tn_put_le32(h + 28, r->ver.origin);
    memcpy(h + 32, r->ver.vid, TN_ROW_VID_LEN);
    tn_put_le32(h + 48, r->flags);
    tn_put_le32(h + 52, (uint32_t)r->value_len);
    tn_put_le32(h + 56, (uint32_t)r->inl_len);
}

uint32_t tn_row_crc(const tn_row_t *r)
{
    uint8_t h[TN_ROW_HEADER_SIZE];
    header_encode(r, h);
    uint32_t c = tn_crc32c(0, h, sizeof(h));
    c = tn_crc32c(c, r->key, r->key_len);
    if (r->value_len > 0)
        c = tn_crc32c(c, r->value, r->value_len);
    if (r->inl_len > 0)
        c = tn_crc32c(c, r->inl, r->inl_len);
    return c;
}

int tn_row_seal(tn_row_t *r)
{
    int rc = tn_row_check(r);
    if (rc != 0)
        return rc;
    r->crc = tn_row_crc(r);
    return 0;
}

int tn_row_verify(const tn_row_t *r)
{
    int rc = tn_row_check(r);
    if (rc != 0)
        return rc;
    return tn_row_crc(r) == r->crc ? 0 : TN_ERR_CHECKSUM;
}

size_t tn_row_encoded_size(const tn_row_t *r)
{
    return TN_ROW_OVERHEAD + r->key_len + r->value_len + r->inl_len;
}

int tn_row_encode(const tn_row_t *r, void *buf, size_t cap, size_t *len)
{
    int rc = tn_row_check(r);
    if (rc != 0)
        return rc;
    size_t need = tn_row_encoded_size(r);
    if (cap < need)
        return -ENOBUFS;
    uint8_t *p = buf;
    header_encode(r, p);
    p += TN_ROW_HEADER_SIZE;
    memcpy(p, r->key, r->key_len);
    p += r->key_len;
    if (r->value_len > 0)
        memcpy(p, r->value, r->value_len);
    p += r->value_len;
    if (r->inl_len > 0)
        memcpy(p, r->inl, r->inl_len);
    p += r->inl_len;
    tn_put_le32(p, r->crc);
    *len = need;
    return 0;
}

int tn_row_decode(const void *buf, size_t len, tn_row_t *out, size_t *used)
{
    const uint8_t *h = buf;
    if (len < TN_ROW_OVERHEAD)
        return TN_ERR_CORRUPT;
    if (h[0] != TN_ROW_ENCODING_VERSION)
        return h[0] == 0 ? TN_ERR_CORRUPT : TN_ERR_UNSUPPORTED;
    if (h[1] != 0)
        return TN_ERR_CORRUPT;
    size_t klen = tn_get_le16(h + 2), vlen = tn_get_le32(h + 52), ilen = tn_get_le32(h + 56);
    if (klen == 0 || klen > TN_ROW_MAX_KEY || vlen > TN_ROW_MAX_VALUE || ilen > TN_ROW_MAX_INLINE)
        return TN_ERR_CORRUPT;
    size_t total = TN_ROW_OVERHEAD + klen + vlen + ilen; /* bounded: no overflow */
    if (len < total)
        return TN_ERR_CORRUPT;
    out->pool = tn_get_le32(h + 4);
    out->pg = tn_get_le32(h + 8);
    out->ns = tn_get_le64(h + 12);
    out->ver.hlc = tn_get_le64(h + 20);
    out->ver.origin = tn_get_le32(h + 28);
    memcpy(out->ver.vid, h + 32, TN_ROW_VID_LEN);
    out->flags = tn_get_le32(h + 48);
    out->key = h + TN_ROW_HEADER_SIZE;
    out->key_len = klen;
    out->value = vlen > 0 ? out->key + klen : NULL;
    out->value_len = vlen;
    out->inl = ilen > 0 ? h + TN_ROW_HEADER_SIZE + klen + vlen : NULL;
    out->inl_len = ilen;
    out->crc = tn_get_le32(h + total - 4);
    if (tn_crc32c(0, h, total - 4) != out->crc)
        return TN_ERR_CHECKSUM;
    if (used != NULL)
        *used = total;
    return 0;
}

size_t tn_row_digest_entry_size(size_t key_len)
{
    return DIGEST_ENTRY_FIXED + key_len;
}

size_t tn_row_digest_entry(uint64_t ns, const void *key, size_t key_len, const tn_row_ver_t *ver,
                           uint32_t flags, uint8_t *buf)
{
    tn_put_le64(buf, ns);
    tn_put_le16(buf + 8, (uint16_t)key_len);
    if (key_len > 0)
        memcpy(buf + 10, key, key_len);
    uint8_t *p = buf + 10 + key_len;
    tn_put_le64(p, ver->hlc);
    tn_put_le32(p + 8, ver->origin);
    memcpy(p + 12, ver->vid, TN_ROW_VID_LEN);
    tn_put_le32(p + 28, flags);
    return DIGEST_ENTRY_FIXED + key_len;
}

void tn_row_digest_add(tn_row_digest_t *d, uint64_t ns, const void *key, size_t key_len,
                       const tn_row_ver_t *ver, uint32_t flags)
{
    uint8_t e[DIGEST_ENTRY_FIXED + TN_ROW_MAX_KEY];
    if (key_len > TN_ROW_MAX_KEY)
        key_len = TN_ROW_MAX_KEY; /* callers guarantee the limit; never overflow e */
    size_t n = tn_row_digest_entry(ns, key, key_len, ver, flags, e);
    d->count++;
    d->h1 = crc64_ecma_refl(d->h1, e, n);
    d->h2 = crc64_iso_refl(d->h2, e, n);
}

unsigned tn_row_digest_bucket(const void *key, size_t key_len)
{
    return (unsigned)(tn_crc32c(0, key, key_len) >> 28);
}
