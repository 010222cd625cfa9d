/*
 * tn_gcref.c — this file implements the garbage collector's reference codecs (tn_gcref.h):
 * intent rows, and reading just enough of head rows and upload rows to know what they name.
 */
#include <errno.h>
#include <string.h>
#include "tn_endian.h"
#include "tn_gcref.h"

size_t tn_gcref_intent_len(size_t key_len)
{
    return TN_GCREF_INTENT_FIXED + key_len;
}

int tn_gcref_intent_encode(const tn_gcref_intent_t *it, uint8_t *buf, size_t cap)
{
    if ((it->kind != TN_GCREF_OBJECT && it->kind != TN_GCREF_PART) || it->key.len == 0 ||
        it->key.len > TN_ROW_MAX_KEY || it->key.base == NULL ||
        (it->size > 0 && it->chunk_size == 0))
        return -EINVAL;
    size_t need = tn_gcref_intent_len(it->key.len);
    if (cap < need)
        return TN_ERR_TOO_BIG;
    uint8_t *p = buf;
    tn_put_le32(p, TN_GCREF_INTENT_VERSION);
    p[4] = it->kind;
    p[5] = 0;
    tn_put_le64(p + 6, it->bucket_id);
    tn_put_le64(p + 14, it->expiry_ms);
    tn_put_le32(p + 22, it->data_pool);
    tn_put_le64(p + 26, it->size);
    tn_put_le32(p + 34, it->chunk_size);
    memcpy(p + 38, it->upload_id, 16);
    tn_put_le16(p + 54, (uint16_t)it->key.len);
    memcpy(p + 56, it->key.base, it->key.len);
    return (int)need;
}

int tn_gcref_intent_decode(const void *buf, size_t len, tn_gcref_intent_t *it)
{
    const uint8_t *p = buf;
    if (buf == NULL || len < TN_GCREF_INTENT_FIXED)
        return TN_ERR_CORRUPT;
    if (tn_get_le32(p) != TN_GCREF_INTENT_VERSION ||
        (p[4] != TN_GCREF_OBJECT && p[4] != TN_GCREF_PART) || p[5] != 0)
        return TN_ERR_CORRUPT;
    size_t klen = tn_get_le16(p + 54);
    if (klen == 0 || klen > TN_ROW_MAX_KEY || len != TN_GCREF_INTENT_FIXED + klen)
        return TN_ERR_CORRUPT;
    it->kind = p[4];
    it->bucket_id = tn_get_le64(p + 6);
    it->expiry_ms = tn_get_le64(p + 14);
    it->data_pool = tn_get_le32(p + 22);
    it->size = tn_get_le64(p + 26);
    it->chunk_size = tn_get_le32(p + 34);
    if (it->size > 0 && it->chunk_size == 0)
        return TN_ERR_CORRUPT;
    memcpy(it->upload_id, p + 38, 16);
    it->key.base = (const char *)p + 56;
    it->key.len = klen;
    return TN_OK;
}

uint32_t tn_gcref_chunks(const tn_gcref_intent_t *it)
{
    if (it->size == 0 || it->chunk_size == 0)
        return 0;
    return (uint32_t)((it->size + it->chunk_size - 1) / it->chunk_size);
}

uint64_t tn_gcref_chunk_len(const tn_gcref_intent_t *it, uint32_t i)
{
    uint64_t off = (uint64_t)i * it->chunk_size;
    if (off >= it->size)
        return 0;
    uint64_t left = it->size - off;
    return left < it->chunk_size ? left : it->chunk_size;
}

/* A bounded reader over a head row's value. */
typedef struct {
    const uint8_t *p;
    size_t left;
    int err;
} rd_t;

static const uint8_t *take(rd_t *r, size_t n)
{
    if (r->err || r->left < n) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    r->left -= n;
    return q;
}

static uint32_t take32(rd_t *r)
{
    const uint8_t *q = take(r, 4);
    return q ? tn_get_le32(q) : 0;
}

static void skip_str(rd_t *r)
{
    uint32_t n = take32(r);
    take(r, n);
}

#define OBJPARTS_HEADER 8u
#define OBJPARTS_REC    88u
#define OBJPARTS_VID    24u

int tn_gcref_head_names(const tn_row_t *row, const uint8_t vid[16])
{
    if (row->flags & TN_ROW_TOMBSTONE)
        return 0;
    rd_t r = {row->value, row->value_len, 0};
    uint32_t format = take32(&r);
    if (format != 1 && format != 2)
        return TN_ERR_CORRUPT;
    take(&r, 8 + 16 + 8); /* size, MD5, mtime */
    for (int i = 0; i < 5; i++)
        skip_str(&r);
    uint32_t nmeta = take32(&r);
    if (nmeta > 256)
        return TN_ERR_CORRUPT;
    for (uint32_t i = 0; i < nmeta && !r.err; i++) {
        skip_str(&r);
        skip_str(&r);
    }
    const uint8_t *layout = take(&r, 1);
    take(&r, 8); /* chunk size, chunk count */
    const uint8_t *dvid = take(&r, 16);
    if (r.err)
        return TN_ERR_CORRUPT;
    if (*layout == 0) /* CHUNKED */
        return memcmp(dvid, vid, 16) == 0;
    if (*layout == 1) /* INLINE */
        return 0;
    if (*layout != 2 || format != 2)
        return TN_ERR_CORRUPT;
    /* MULTIPART: the part table in the inline field */
    if (row->inl_len < OBJPARTS_HEADER || tn_get_le32(row->inl) != 1)
        return TN_ERR_CORRUPT;
    uint32_t n = tn_get_le32(row->inl + 4);
    if (row->inl_len != OBJPARTS_HEADER + (size_t)n * OBJPARTS_REC)
        return TN_ERR_CORRUPT;
    for (uint32_t i = 0; i < n; i++)
        if (memcmp(row->inl + OBJPARTS_HEADER + (size_t)i * OBJPARTS_REC + OBJPARTS_VID, vid, 16) ==
            0)
            return 1;
    return 0;
}

int tn_gcref_upload_active(const tn_row_t *row)
{
    if (row->flags & TN_ROW_TOMBSTONE)
        return 0;
    if (row->value_len < 5 || tn_get_le32(row->value) != 1 || row->value[4] > 1)
        return TN_ERR_CORRUPT;
    return row->value[4] == 0;
}

int tn_gcref_upload_initiated(const tn_row_t *row, uint64_t *ms)
{
    if ((row->flags & TN_ROW_TOMBSTONE) || row->value_len < 13 || tn_get_le32(row->value) != 1)
        return TN_ERR_CORRUPT;
    *ms = tn_get_le64(row->value + 5);
    return TN_OK;
}

size_t tn_gcref_upload_key(uint8_t *out, size_t cap, const void *key, size_t key_len,
                           const uint8_t upload_id[16])
{
    size_t n = key_len + 17;
    if (key_len == 0 || n > TN_ROW_MAX_KEY || n > cap)
        return 0;
    memcpy(out, key, key_len);
    out[key_len] = 0;
    memcpy(out + key_len + 1, upload_id, 16);
    return n;
}

void tn_gcref_gone_key(uint8_t out[TN_GCREF_GONE_KEY_LEN], const uint8_t vid[16], uint32_t part)
{
    memcpy(out, vid, 16);
    tn_put_le32(out + 16, part);
}

int tn_gcref_deadbkt_encode(const void *name, size_t len, uint8_t *buf, size_t cap)
{
    if (name == NULL || len == 0 || len > TN_GCREF_BUCKET_NAME_MAX)
        return -EINVAL;
    if (cap < 6 + len)
        return TN_ERR_TOO_BIG;
    tn_put_le32(buf, 1);
    tn_put_le16(buf + 4, (uint16_t)len);
    memcpy(buf + 6, name, len);
    return (int)(6 + len);
}

int tn_gcref_deadbkt_decode(const void *buf, size_t len, tn_slice_t *name)
{
    const uint8_t *p = buf;
    if (buf == NULL || len < 7 || tn_get_le32(p) != 1)
        return TN_ERR_CORRUPT;
    size_t n = tn_get_le16(p + 4);
    if (n == 0 || n > TN_GCREF_BUCKET_NAME_MAX || len != 6 + n)
        return TN_ERR_CORRUPT;
    name->base = (const char *)p + 6;
    name->len = n;
    return TN_OK;
}

int tn_gcref_part_key_is(const uint8_t *key, size_t len, const uint8_t upload_id[16],
                         const uint8_t vid[16])
{
    return len == TN_GCREF_PART_KEY_LEN && memcmp(key, upload_id, 16) == 0 &&
           memcmp(key + 20, vid, 16) == 0;
}

int tn_gcref_bucket_says(const tn_row_t *r, uint64_t rec_id, uint64_t id)
{
    if (r == NULL)
        return 2;
    if (r->flags & TN_ROW_TOMBSTONE)
        return 1;
    return rec_id == id ? 0 : 1;
}
