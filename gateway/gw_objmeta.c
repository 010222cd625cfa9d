/* gw_objmeta.c — encoding of object head rows (gw_objmeta.h). */
#include <string.h>
#include "tn_wire.h"
#include "gw_objmeta.h"

static const tn_slice_t *str_field(const gw_objmeta_t *m, int i)
{
    const tn_slice_t *f[5] = {&m->content_type, &m->cache_control, &m->content_disposition,
                              &m->content_encoding, &m->expires};
    return f[i];
}

size_t gw_objmeta_encoded_len(const gw_objmeta_t *m)
{
    size_t n = 4 + 8 + 16 + 8 + 5 * 4 + 4 + 1 + 4 + 4 + 16;
    for (int i = 0; i < 5; i++)
        n += str_field(m, i)->len;
    for (size_t i = 0; i < m->n_meta; i++)
        n += 8 + m->meta[i].name.len + m->meta[i].value.len;
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
    size_t need = gw_objmeta_encoded_len(m);
    if (need > cap || need > INT32_MAX || m->n_meta > GW_OBJMETA_MAX_META)
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
    tn_wire_put_u8(&w, m->is_inline ? 1 : 0);
    tn_wire_put_u32(&w, m->chunk_size);
    tn_wire_put_u32(&w, m->chunk_count);
    tn_wire_put_raw(&w, m->data_vid, 16);
    if (w.err != TN_OK)
        return TN_ERR_TOO_BIG;
    return (int)need;
}

int gw_objmeta_decode(const void *buf, size_t len, gw_objmeta_t *m)
{
    tn_wire_r_t r;
    memset(m, 0, sizeof *m);
    tn_wire_r_init(&r, buf, len);
    if (tn_wire_get_u32(&r) != GW_OBJMETA_VERSION)
        return TN_ERR_CORRUPT;
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
    uint8_t inl = tn_wire_get_u8(&r);
    m->chunk_size = tn_wire_get_u32(&r);
    m->chunk_count = tn_wire_get_u32(&r);
    tn_wire_get_raw(&r, m->data_vid, 16);
    if (tn_wire_r_finish(&r) != TN_OK || inl > 1)
        return TN_ERR_CORRUPT;
    m->is_inline = inl;
    if (inl && m->chunk_count != 0)
        return TN_ERR_CORRUPT;
    if (!inl && m->size > 0 &&
        (m->chunk_size == 0 ||
         (m->size + m->chunk_size - 1) / m->chunk_size != (uint64_t)m->chunk_count))
        return TN_ERR_CORRUPT;
    return TN_OK;
}
