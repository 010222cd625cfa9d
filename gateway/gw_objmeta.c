/* gw_objmeta.c — encoding of object head rows and multipart part tables (gw_objmeta.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "tn_endian.h"
#include "tn_hex.h"
#include "tn_wire.h"
#include "gw_objmeta.h"
#include "s3_etag.h"

static const tn_slice_t *str_field(const gw_objmeta_t *m, int i)
{
    const tn_slice_t *f[5] = {&m->content_type, &m->cache_control, &m->content_disposition,
                              &m->content_encoding, &m->expires};
    return f[i];
}

static int is_s3_alg(s3_cksum_alg_t a)
{
    return a >= S3_CKSUM_CRC32 && a <= S3_CKSUM_SHA256;
}

size_t gw_objmeta_encoded_len(const gw_objmeta_t *m)
{
    size_t n = 4 + 8 + 16 + 8 + 5 * 4 + 4 + 1 + 4 + 4 + 16; /* as format 1 */
    n += 4 + 1 + 1 + 1 + 4;                                 /* parts, alg, type, acl, n tags */
    for (int i = 0; i < 5; i++)
        n += str_field(m, i)->len;
    for (size_t i = 0; i < m->n_meta && i < GW_OBJMETA_MAX_META; i++)
        n += 8 + m->meta[i].name.len + m->meta[i].value.len;
    if (is_s3_alg(m->cksum_alg))
        n += s3_checksum_size(m->cksum_alg);
    for (size_t i = 0; i < m->n_tags && i < GW_OBJMETA_MAX_TAGS; i++)
        n += 8 + m->tags[i].name.len + m->tags[i].value.len;
    return n;
}

size_t gw_objmeta_meta_bytes(const gw_objmeta_t *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_meta; i++)
        n += m->meta[i].name.len + m->meta[i].value.len;
    return n;
}

int gw_objmeta_encode(const gw_objmeta_t *m, uint8_t *buf, size_t cap)
{
    if ((m->is_inline && m->is_multipart) ||
        (m->cksum_alg != S3_CKSUM_NONE && !is_s3_alg(m->cksum_alg)) ||
        (m->cksum_alg == S3_CKSUM_NONE) != (m->cksum_type == GW_CKTYPE_NONE) ||
        (unsigned)m->cksum_type > GW_CKTYPE_COMPOSITE || (unsigned)m->acl >= GW_ACL__COUNT)
        return -EINVAL;
    if (m->n_meta > GW_OBJMETA_MAX_META || m->n_tags > GW_OBJMETA_MAX_TAGS)
        return TN_ERR_TOO_BIG;
    size_t need = gw_objmeta_encoded_len(m);
    if (need > cap || need > INT32_MAX)
        return TN_ERR_TOO_BIG;
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, cap);
    tn_wire_put_u32(&w, GW_OBJMETA_VERSION);
    tn_wire_put_u64(&w, m->size);
    tn_wire_put_raw(&w, m->md5, 16);
    tn_wire_put_u64(&w, m->mtime_ms);
    for (int i = 0; i < 5; i++)
        tn_wire_put_bytes(&w, str_field(m, i)->base, str_field(m, i)->len);
    tn_wire_put_u32(&w, (uint32_t)m->n_meta);
    for (size_t i = 0; i < m->n_meta; i++) {
        tn_wire_put_bytes(&w, m->meta[i].name.base, m->meta[i].name.len);
        tn_wire_put_bytes(&w, m->meta[i].value.base, m->meta[i].value.len);
    }
    tn_wire_put_u8(&w, m->is_multipart ? GW_LAYOUT_MULTIPART
                                       : (m->is_inline ? GW_LAYOUT_INLINE : GW_LAYOUT_CHUNKED));
    tn_wire_put_u32(&w, m->chunk_size);
    tn_wire_put_u32(&w, m->chunk_count);
    tn_wire_put_raw(&w, m->data_vid, 16);
    tn_wire_put_u32(&w, m->part_count);
    tn_wire_put_u8(&w, (uint8_t)m->cksum_alg);
    tn_wire_put_u8(&w, (uint8_t)m->cksum_type);
    if (is_s3_alg(m->cksum_alg))
        tn_wire_put_raw(&w, m->cksum, s3_checksum_size(m->cksum_alg));
    tn_wire_put_u8(&w, (uint8_t)m->acl);
    tn_wire_put_u32(&w, (uint32_t)m->n_tags);
    for (size_t i = 0; i < m->n_tags; i++) {
        tn_wire_put_bytes(&w, m->tags[i].name.base, m->tags[i].name.len);
        tn_wire_put_bytes(&w, m->tags[i].value.base, m->tags[i].value.len);
    }
    if (w.err != TN_OK)
        return TN_ERR_TOO_BIG;
    return (int)need;
}

int gw_objmeta_decode(const void *buf, size_t len, gw_objmeta_t *m)
{
    tn_wire_r_t r;
    /* Everything but the unused entries of meta[] and tags[] (8 KiB of the ~10 KiB struct:
     * zeroing them was ~10k instructions of a 4 KiB GET): entries past n_meta / n_tags are
     * never read. */
    memset(m, 0, offsetof(gw_objmeta_t, meta));
    memset(&m->n_meta, 0, offsetof(gw_objmeta_t, tags) - offsetof(gw_objmeta_t, n_meta));
    memset(&m->n_tags, 0, sizeof *m - offsetof(gw_objmeta_t, n_tags));
    tn_wire_r_init(&r, buf, len);
    uint32_t fmt = tn_wire_get_u32(&r);
    if (fmt != 1 && fmt != GW_OBJMETA_VERSION)
        return TN_ERR_CORRUPT;
    m->format = fmt;
    m->size = tn_wire_get_u64(&r);
    tn_wire_get_raw(&r, m->md5, 16);
    m->mtime_ms = tn_wire_get_u64(&r);
    tn_slice_t *f[5] = {&m->content_type, &m->cache_control, &m->content_disposition,
                        &m->content_encoding, &m->expires};
    for (int i = 0; i < 5; i++)
        *f[i] = tn_wire_get_bytes(&r);
    uint32_t n = tn_wire_get_u32(&r);
    if (r.err != TN_OK || n > GW_OBJMETA_MAX_META)
        return TN_ERR_CORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        m->meta[i].name = tn_wire_get_bytes(&r);
        m->meta[i].value = tn_wire_get_bytes(&r);
    }
    m->n_meta = n;
    uint8_t layout = tn_wire_get_u8(&r);
    m->chunk_size = tn_wire_get_u32(&r);
    m->chunk_count = tn_wire_get_u32(&r);
    tn_wire_get_raw(&r, m->data_vid, 16);
    if (fmt == GW_OBJMETA_VERSION) {
        m->part_count = tn_wire_get_u32(&r);
        uint8_t alg = tn_wire_get_u8(&r), type = tn_wire_get_u8(&r);
        if (alg != S3_CKSUM_NONE && !is_s3_alg((s3_cksum_alg_t)alg))
            return TN_ERR_CORRUPT;
        if (type > GW_CKTYPE_COMPOSITE || (alg == S3_CKSUM_NONE) != (type == GW_CKTYPE_NONE))
            return TN_ERR_CORRUPT;
        m->cksum_alg = (s3_cksum_alg_t)alg;
        m->cksum_type = (gw_cktype_t)type;
        if (alg != S3_CKSUM_NONE)
            tn_wire_get_raw(&r, m->cksum, s3_checksum_size(m->cksum_alg));
        uint8_t acl = tn_wire_get_u8(&r);
        if (acl >= GW_ACL__COUNT)
            return TN_ERR_CORRUPT;
        m->acl = (gw_acl_t)acl;
        uint32_t nt = tn_wire_get_u32(&r);
        if (r.err != TN_OK || nt > GW_OBJMETA_MAX_TAGS)
            return TN_ERR_CORRUPT;
        for (uint32_t i = 0; i < nt; i++) {
            m->tags[i].name = tn_wire_get_bytes(&r);
            m->tags[i].value = tn_wire_get_bytes(&r);
        }
        m->n_tags = nt;
    }
    if (tn_wire_r_finish(&r) != TN_OK || layout > (fmt == 1 ? 1 : GW_LAYOUT_MULTIPART))
        return TN_ERR_CORRUPT;
    m->is_inline = layout == GW_LAYOUT_INLINE;
    m->is_multipart = layout == GW_LAYOUT_MULTIPART;
    if (m->is_multipart) {
        if (m->part_count == 0 || m->part_count > GW_OBJMETA_MAX_PARTS || m->chunk_size != 0 ||
            m->chunk_count != 0)
            return TN_ERR_CORRUPT;
        return TN_OK;
    }
    if (m->part_count != 0 || m->cksum_type == GW_CKTYPE_COMPOSITE)
        return TN_ERR_CORRUPT;
    if (m->is_inline && m->chunk_count != 0)
        return TN_ERR_CORRUPT;
    if (!m->is_inline && m->size > 0 &&
        (m->chunk_size == 0 ||
         (m->size + m->chunk_size - 1) / m->chunk_size != (uint64_t)m->chunk_count))
        return TN_ERR_CORRUPT;
    return TN_OK;
}

size_t gw_objmeta_etag(const gw_objmeta_t *m, char out[48])
{
    return s3_etag_format(m->md5, m->is_multipart ? m->part_count : 0, out);
}

/* ---- part table ---- */

size_t gw_objparts_len(uint32_t n)
{
    return GW_OBJPARTS_HEADER + (size_t)n * GW_OBJPARTS_REC;
}

void gw_objparts_init(uint8_t *tbl, uint32_t n)
{
    tn_put_le32(tbl, 1);
    tn_put_le32(tbl + 4, n);
}

void gw_objparts_put(uint8_t *tbl, uint32_t i, const gw_objpart_t *p)
{
    uint8_t *r = tbl + GW_OBJPARTS_HEADER + (size_t)i * GW_OBJPARTS_REC;
    tn_put_le32(r, p->number);
    tn_put_le32(r + 4, p->chunk_size);
    tn_put_le64(r + 8, p->offset);
    tn_put_le64(r + 16, p->size);
    memcpy(r + 24, p->vid, 16);
    memcpy(r + 40, p->md5, 16);
    memcpy(r + 56, p->cksum, GW_OBJPARTS_CKSUM_MAX);
}

void gw_objparts_get(const uint8_t *tbl, uint32_t i, gw_objpart_t *p)
{
    const uint8_t *r = tbl + GW_OBJPARTS_HEADER + (size_t)i * GW_OBJPARTS_REC;
    p->number = tn_get_le32(r);
    p->chunk_size = tn_get_le32(r + 4);
    p->offset = tn_get_le64(r + 8);
    p->size = tn_get_le64(r + 16);
    memcpy(p->vid, r + 24, 16);
    memcpy(p->md5, r + 40, 16);
    memcpy(p->cksum, r + 56, GW_OBJPARTS_CKSUM_MAX);
}

int gw_objparts_check(const gw_objmeta_t *m, const uint8_t *tbl, size_t len)
{
    if (!m->is_multipart || len < GW_OBJPARTS_HEADER || tn_get_le32(tbl) != 1)
        return TN_ERR_CORRUPT;
    uint32_t n = tn_get_le32(tbl + 4);
    if (n != m->part_count || n == 0 || n > GW_OBJMETA_MAX_PARTS || len != gw_objparts_len(n))
        return TN_ERR_CORRUPT;
    uint64_t off = 0;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        gw_objpart_t p;
        gw_objparts_get(tbl, i, &p);
        if (p.number <= prev || p.number > GW_OBJMETA_MAX_PARTS || p.offset != off ||
            p.size > m->size - off || (p.size > 0 && p.chunk_size == 0))
            return TN_ERR_CORRUPT;
        prev = p.number;
        off += p.size;
    }
    return off == m->size ? TN_OK : TN_ERR_CORRUPT;
}

uint32_t gw_objparts_find(const uint8_t *tbl, uint32_t n, uint64_t off)
{
    /* the largest i with offset(i) <= off: never an empty part, since the part after an empty
     * one starts at the same offset */
    uint32_t lo = 0, hi = n; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        const uint8_t *r = tbl + GW_OBJPARTS_HEADER + (size_t)mid * GW_OBJPARTS_REC;
        if (tn_get_le64(r + 8) <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void gw_objmeta_locate(const gw_objmeta_t *m, const uint8_t *tbl, uint64_t off, gw_objloc_t *out)
{
    if (m->is_multipart) {
        uint32_t i = gw_objparts_find(tbl, m->part_count, off);
        const uint8_t *r = tbl + GW_OBJPARTS_HEADER + (size_t)i * GW_OBJPARTS_REC;
        uint64_t cs = tn_get_le32(r + 4), poff = tn_get_le64(r + 8), psize = tn_get_le64(r + 16);
        uint64_t in = off - poff;
        out->vid = r + 24;
        out->chunk = (uint32_t)(in / cs);
        out->coff = in % cs;
        out->avail = TN_MIN(cs - out->coff, psize - in);
        return;
    }
    uint64_t cs = m->chunk_size;
    out->vid = m->data_vid;
    out->chunk = (uint32_t)(off / cs);
    out->coff = off % cs;
    out->avail = TN_MIN(cs - out->coff, m->size - off);
}
