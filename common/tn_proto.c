/* tn_proto.c — the OSD protocol's op bodies (tn_proto.h, docs/PROTOCOL.md §5). */
#include <string.h>
#include "tn_proto.h"
#include "tn_hlc.h"

/* ---- helpers ---- */

static int finish(const tn_wire_r_t *r)
{
    return tn_wire_r_finish(r) == TN_OK ? TN_OK : TN_ERR_PROTO;
}

static void put_blobref(tn_wire_w_t *w, const tn_blobref_t *ref)
{
    tn_wire_put_u32(w, ref->pool);
    tn_wire_put_u32(w, ref->pg);
    tn_wire_put_raw(w, ref->version, TN_PROTO_VID_LEN);
    tn_wire_put_u32(w, ref->part);
}

static void get_blobref(tn_wire_r_t *r, tn_blobref_t *ref)
{
    ref->pool = tn_wire_get_u32(r);
    ref->pg = tn_wire_get_u32(r);
    tn_wire_get_raw(r, ref->version, TN_PROTO_VID_LEN);
    ref->part = tn_wire_get_u32(r);
}

static void put_ver(tn_wire_w_t *w, const tn_proto_ver_t *v)
{
    tn_wire_put_u64(w, v->hlc);
    tn_wire_put_u32(w, v->origin);
    tn_wire_put_raw(w, v->vid, TN_PROTO_VID_LEN);
}

static void get_ver(tn_wire_r_t *r, tn_proto_ver_t *v)
{
    v->hlc = tn_wire_get_u64(r);
    v->origin = tn_wire_get_u32(r);
    tn_wire_get_raw(r, v->vid, TN_PROTO_VID_LEN);
}

static void put_digest(tn_wire_w_t *w, const tn_proto_digest_t *d)
{
    tn_wire_put_u64(w, d->count);
    tn_wire_put_u64(w, d->h1);
    tn_wire_put_u64(w, d->h2);
}

static void get_digest(tn_wire_r_t *r, tn_proto_digest_t *d)
{
    d->count = tn_wire_get_u64(r);
    d->h1 = tn_wire_get_u64(r);
    d->h2 = tn_wire_get_u64(r);
}

/* Starts a list iterator over what remains of r, expecting n entries. Entries take at least
 * min_entry bytes, so a count that cannot fit is refused before anyone loops over it. */
static int iter_start(const tn_wire_r_t *r, uint32_t n, size_t min_entry, tn_proto_iter_t *it)
{
    if (r->err != TN_OK || (size_t)n > tn_wire_r_left(r) / min_entry)
        return TN_ERR_PROTO;
    it->r = *r;
    it->left = n;
    return TN_OK;
}

/* Common tail of every next_*: 0 at the end (and then no bytes may remain). */
static int iter_end(const tn_proto_iter_t *it)
{
    return tn_wire_r_left(&it->r) == 0 && it->r.err == TN_OK ? 0 : TN_ERR_PROTO;
}

/* ---- PING, STATS ---- */

void tn_proto_enc_ping_req(tn_wire_w_t *w, const tn_ping_req_t *m)
{
    tn_wire_put_u64(w, m->wall_ms);
}

int tn_proto_dec_ping_req(const void *buf, size_t len, tn_ping_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->wall_ms = tn_wire_get_u64(&r);
    return finish(&r);
}

void tn_proto_enc_ping_rep(tn_wire_w_t *w, const tn_ping_rep_t *m)
{
    tn_wire_put_u32(w, m->osd_id);
    tn_wire_put_u64(w, m->incarnation);
    tn_wire_put_u64(w, m->wall_ms);
    tn_wire_put_u32(w, m->state);
}

int tn_proto_dec_ping_rep(const void *buf, size_t len, tn_ping_rep_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->osd_id = tn_wire_get_u32(&r);
    m->incarnation = tn_wire_get_u64(&r);
    m->wall_ms = tn_wire_get_u64(&r);
    m->state = tn_wire_get_u32(&r);
    return finish(&r);
}

void tn_proto_enc_stats_rep_begin(tn_wire_w_t *w, uint32_t n)
{
    tn_wire_put_u32(w, n);
}

void tn_proto_enc_stats_rep_entry(tn_wire_w_t *w, const char *name, uint64_t value)
{
    tn_wire_put_str(w, name);
    tn_wire_put_u64(w, value);
}

int tn_proto_dec_stats_rep(const void *buf, size_t len, tn_proto_iter_t *it, uint32_t *n)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    *n = tn_wire_get_u32(&r);
    return iter_start(&r, *n, 4 + 8, it);
}

int tn_proto_next_stat(tn_proto_iter_t *it, tn_slice_t *name, uint64_t *value)
{
    if (it->left == 0)
        return iter_end(it);
    *name = tn_wire_get_bytes(&it->r);
    *value = tn_wire_get_u64(&it->r);
    if (it->r.err != TN_OK || name->len == 0)
        return TN_ERR_PROTO;
    it->left--;
    return 1;
}

/* ---- MAP_GET, MAP_OFFER ---- */

void tn_proto_enc_map_get_req(tn_wire_w_t *w, const tn_map_get_req_t *m)
{
    tn_wire_put_u64(w, m->epoch);
}

int tn_proto_dec_map_get_req(const void *buf, size_t len, tn_map_get_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->epoch = tn_wire_get_u64(&r);
    return finish(&r);
}

void tn_proto_enc_map_get_rep(tn_wire_w_t *w, const tn_map_get_rep_t *m)
{
    tn_wire_put_bytes(w, m->map.base, m->map.len);
}

int tn_proto_dec_map_get_rep(const void *buf, size_t len, tn_map_get_rep_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->map = tn_wire_get_bytes(&r);
    return finish(&r);
}

void tn_proto_enc_map_offer_req(tn_wire_w_t *w, const tn_map_offer_req_t *m)
{
    tn_wire_put_u8(w, m->mode);
    tn_wire_put_u64(w, m->base_epoch);
    tn_wire_put_bytes(w, m->map.base, m->map.len);
}

int tn_proto_dec_map_offer_req(const void *buf, size_t len, tn_map_offer_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->mode = tn_wire_get_u8(&r);
    m->base_epoch = tn_wire_get_u64(&r);
    m->map = tn_wire_get_bytes(&r);
    if (m->mode != TN_PROTO_MAP_PROPAGATE && m->mode != TN_PROTO_MAP_CAS)
        return TN_ERR_PROTO;
    return finish(&r);
}

void tn_proto_enc_map_offer_rep(tn_wire_w_t *w, const tn_map_offer_rep_t *m)
{
    tn_wire_put_u64(w, m->epoch);
    tn_wire_put_u64(w, m->hash);
}

int tn_proto_dec_map_offer_rep(const void *buf, size_t len, tn_map_offer_rep_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->epoch = tn_wire_get_u64(&r);
    m->hash = tn_wire_get_u64(&r);
    return finish(&r);
}

/* ---- BLOB_* ---- */

void tn_proto_enc_blob_put_begin(tn_wire_w_t *w, const tn_blob_put_begin_t *m)
{
    put_blobref(w, &m->ref);
    tn_wire_put_u64(w, m->total_len);
}

int tn_proto_dec_blob_put_begin(const void *buf, size_t len, tn_blob_put_begin_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    get_blobref(&r, &m->ref);
    m->total_len = tn_wire_get_u64(&r);
    return finish(&r);
}

void tn_proto_enc_blob_put_data_prefix(tn_wire_w_t *w, uint64_t offset, uint32_t data_len)
{
    tn_wire_put_u64(w, offset);
    tn_wire_put_u32(w, data_len);
}

int tn_proto_dec_blob_put_data(const void *buf, size_t len, tn_blob_put_data_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->offset = tn_wire_get_u64(&r);
    m->data = tn_wire_get_bytes(&r);
    if (m->offset > UINT64_MAX - m->data.len)
        return TN_ERR_PROTO;
    return finish(&r);
}

void tn_proto_enc_blob_put_end(tn_wire_w_t *w, const tn_blob_put_end_t *m)
{
    tn_wire_put_u32(w, m->crc32c);
}

int tn_proto_dec_blob_put_end(const void *buf, size_t len, tn_blob_put_end_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->crc32c = tn_wire_get_u32(&r);
    return finish(&r);
}

void tn_proto_enc_blob_get_req(tn_wire_w_t *w, const tn_blob_get_req_t *m)
{
    put_blobref(w, &m->ref);
    tn_wire_put_u64(w, m->offset);
    tn_wire_put_u64(w, m->len);
}

int tn_proto_dec_blob_get_req(const void *buf, size_t len, tn_blob_get_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    get_blobref(&r, &m->ref);
    m->offset = tn_wire_get_u64(&r);
    m->len = tn_wire_get_u64(&r);
    return finish(&r);
}

void tn_proto_enc_blob_get_rep_prefix(tn_wire_w_t *w, uint64_t blob_len, uint64_t offset,
                                      uint32_t data_len)
{
    tn_wire_put_u64(w, blob_len);
    tn_wire_put_u64(w, offset);
    tn_wire_put_u32(w, data_len);
}

int tn_proto_dec_blob_get_rep(const void *buf, size_t len, tn_blob_get_rep_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->blob_len = tn_wire_get_u64(&r);
    m->offset = tn_wire_get_u64(&r);
    m->data = tn_wire_get_bytes(&r);
    if (r.err == TN_OK && (m->offset > m->blob_len || m->data.len > m->blob_len - m->offset))
        return TN_ERR_PROTO;
    return finish(&r);
}

void tn_proto_enc_blobref(tn_wire_w_t *w, const tn_blobref_t *ref)
{
    put_blobref(w, ref);
}

int tn_proto_dec_blobref(const void *buf, size_t len, tn_blobref_t *ref)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    get_blobref(&r, ref);
    return finish(&r);
}

void tn_proto_enc_blob_stat_rep(tn_wire_w_t *w, const tn_blob_stat_rep_t *m)
{
    tn_wire_put_u8(w, m->exists);
    tn_wire_put_u64(w, m->length);
}

int tn_proto_dec_blob_stat_rep(const void *buf, size_t len, tn_blob_stat_rep_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->exists = tn_wire_get_u8(&r);
    m->length = tn_wire_get_u64(&r);
    if (m->exists > 1)
        return TN_ERR_PROTO;
    return finish(&r);
}

/* ---- ROW_* ---- */

#define VER_SIZE (8 + 4 + TN_PROTO_VID_LEN)

size_t tn_proto_row_put_req_size(uint8_t mode, size_t row_len)
{
    return 1 + 4 + row_len + (mode == TN_PROTO_ROW_IF_VERSION ? VER_SIZE : 0);
}

void tn_proto_enc_row_put_req(tn_wire_w_t *w, const tn_row_put_req_t *m)
{
    tn_wire_put_u8(w, m->mode);
    tn_wire_put_bytes(w, m->row.base, m->row.len);
}

void tn_proto_enc_row_put_if_req(tn_wire_w_t *w, tn_slice_t row, const tn_proto_ver_t *expect)
{
    tn_wire_put_u8(w, TN_PROTO_ROW_IF_VERSION);
    tn_wire_put_bytes(w, row.base, row.len);
    put_ver(w, expect);
}

int tn_proto_dec_row_put_any(const void *buf, size_t len, tn_row_put_req_t *m,
                             tn_proto_ver_t *expect)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    memset(expect, 0, sizeof(*expect));
    m->mode = tn_wire_get_u8(&r);
    m->row = tn_wire_get_bytes(&r);
    if (m->mode > TN_PROTO_ROW_MODE_MAX)
        return TN_ERR_PROTO;
    if (m->mode == TN_PROTO_ROW_IF_VERSION)
        get_ver(&r, expect);
    return finish(&r);
}

int tn_proto_dec_row_put_req(const void *buf, size_t len, tn_row_put_req_t *m)
{
    tn_proto_ver_t expect;
    int rc = tn_proto_dec_row_put_any(buf, len, m, &expect);
    if (rc == TN_OK && m->mode == TN_PROTO_ROW_IF_VERSION)
        return TN_ERR_PROTO;
    return rc;
}

void tn_proto_enc_row_put_rep(tn_wire_w_t *w, uint8_t result)
{
    tn_wire_put_u8(w, result);
}

void tn_proto_enc_row_put_stale(tn_wire_w_t *w, const tn_proto_ver_t *stored)
{
    put_ver(w, stored);
}

static int result_valid(uint8_t result)
{
    return result >= TN_PROTO_RESULT_APPLIED && result <= TN_PROTO_RESULT_NOT_PURGED;
}

int tn_proto_dec_row_put_rep(const void *buf, size_t len, int stale, tn_row_put_rep_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->has_stored = stale != 0;
    m->result = 0;
    if (stale) {
        get_ver(&r, &m->stored);
    } else {
        m->result = tn_wire_get_u8(&r);
        if (r.err == TN_OK && !result_valid(m->result))
            return TN_ERR_PROTO;
    }
    return finish(&r);
}

int tn_proto_dec_row_put_precondition(const void *buf, size_t len, tn_row_put_rep_t *m)
{
    m->result = 0;
    m->has_stored = 0;
    memset(&m->stored, 0, sizeof(m->stored));
    if (len == 0)
        return TN_OK;
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    get_ver(&r, &m->stored);
    m->has_stored = 1;
    return finish(&r);
}

int tn_proto_dec_result(const void *buf, size_t len, uint8_t *result)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    *result = tn_wire_get_u8(&r);
    if (r.err == TN_OK && !result_valid(*result))
        return TN_ERR_PROTO;
    return finish(&r);
}

void tn_proto_enc_row_get_req(tn_wire_w_t *w, const tn_row_get_req_t *m)
{
    tn_wire_put_u32(w, m->pool);
    tn_wire_put_u32(w, m->pg);
    tn_wire_put_u64(w, m->ns);
    tn_wire_put_bytes(w, m->key.base, m->key.len);
}

int tn_proto_dec_row_get_req(const void *buf, size_t len, tn_row_get_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->pool = tn_wire_get_u32(&r);
    m->pg = tn_wire_get_u32(&r);
    m->ns = tn_wire_get_u64(&r);
    m->key = tn_wire_get_bytes(&r);
    if (r.err == TN_OK && m->key.len == 0)
        return TN_ERR_PROTO;
    return finish(&r);
}

void tn_proto_enc_row(tn_wire_w_t *w, tn_slice_t row)
{
    tn_wire_put_bytes(w, row.base, row.len);
}

int tn_proto_dec_row(const void *buf, size_t len, tn_slice_t *row)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    *row = tn_wire_get_bytes(&r);
    return finish(&r);
}

void tn_proto_enc_row_list_req(tn_wire_w_t *w, const tn_row_list_req_t *m)
{
    tn_wire_put_u32(w, m->pool);
    tn_wire_put_u32(w, m->pg);
    tn_wire_put_u64(w, m->ns);
    tn_wire_put_bytes(w, m->prefix.base, m->prefix.len);
    tn_wire_put_bytes(w, m->start_after.base, m->start_after.len);
    tn_wire_put_u32(w, m->limit);
    tn_wire_put_u8(w, m->flags);
}

int tn_proto_dec_row_list_req(const void *buf, size_t len, tn_row_list_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->pool = tn_wire_get_u32(&r);
    m->pg = tn_wire_get_u32(&r);
    m->ns = tn_wire_get_u64(&r);
    m->prefix = tn_wire_get_bytes(&r);
    m->start_after = tn_wire_get_bytes(&r);
    m->limit = tn_wire_get_u32(&r);
    m->flags = tn_wire_get_u8(&r);
    if (r.err == TN_OK && (m->limit == 0 || m->limit > TN_PROTO_MAX_LIST ||
                           (m->flags & ~TN_PROTO_LIST_WITH_INLINE) != 0))
        return TN_ERR_PROTO;
    return finish(&r);
}

void tn_proto_enc_row_list_rep_begin(tn_wire_w_t *w, uint8_t more, uint32_t n)
{
    tn_wire_put_u8(w, more);
    tn_wire_put_u32(w, n);
}

void tn_proto_enc_row_entry(tn_wire_w_t *w, const tn_row_entry_t *e)
{
    tn_wire_put_bytes(w, e->key.base, e->key.len);
    put_ver(w, &e->ver);
    tn_wire_put_u32(w, e->flags);
    tn_wire_put_bytes(w, e->value.base, e->value.len);
    tn_wire_put_u32(w, e->inline_len);
}

#define ROW_ENTRY_FIXED (4 + 8 + 4 + TN_PROTO_VID_LEN + 4 + 4 + 4)

size_t tn_proto_row_entry_size(const tn_row_entry_t *e)
{
    return ROW_ENTRY_FIXED + e->key.len + e->value.len;
}

int tn_proto_dec_row_list_rep(const void *buf, size_t len, tn_proto_iter_t *it, uint8_t *more,
                              uint32_t *n)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    *more = tn_wire_get_u8(&r);
    *n = tn_wire_get_u32(&r);
    if (r.err == TN_OK && (*more > 1 || *n > TN_PROTO_MAX_LIST))
        return TN_ERR_PROTO;
    return iter_start(&r, *n, 4, it);
}

int tn_proto_next_row_entry(tn_proto_iter_t *it, tn_row_entry_t *e)
{
    if (it->left == 0)
        return iter_end(it);
    e->key = tn_wire_get_bytes(&it->r);
    get_ver(&it->r, &e->ver);
    e->flags = tn_wire_get_u32(&it->r);
    e->value = tn_wire_get_bytes(&it->r);
    e->inline_len = tn_wire_get_u32(&it->r);
    if (it->r.err != TN_OK || e->key.len == 0)
        return TN_ERR_PROTO;
    it->left--;
    return 1;
}

int tn_proto_next_row(tn_proto_iter_t *it, tn_slice_t *row)
{
    if (it->left == 0)
        return iter_end(it);
    *row = tn_wire_get_bytes(&it->r);
    if (it->r.err != TN_OK || row->len == 0)
        return TN_ERR_PROTO;
    it->left--;
    return 1;
}

void tn_proto_enc_row_delete_req(tn_wire_w_t *w, const tn_row_delete_req_t *m)
{
    tn_wire_put_u32(w, m->pool);
    tn_wire_put_u32(w, m->pg);
    tn_wire_put_u64(w, m->ns);
    tn_wire_put_bytes(w, m->key.base, m->key.len);
    put_ver(w, &m->ver);
}

int tn_proto_dec_row_delete_req(const void *buf, size_t len, tn_row_delete_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->pool = tn_wire_get_u32(&r);
    m->pg = tn_wire_get_u32(&r);
    m->ns = tn_wire_get_u64(&r);
    m->key = tn_wire_get_bytes(&r);
    get_ver(&r, &m->ver);
    if (r.err == TN_OK && m->key.len == 0)
        return TN_ERR_PROTO;
    return finish(&r);
}

/* ---- PG_* ---- */

void tn_proto_enc_pg_req(tn_wire_w_t *w, const tn_pg_req_t *m)
{
    tn_wire_put_u32(w, m->pool);
    tn_wire_put_u32(w, m->pg);
    if (m->cutoff != 0)
        tn_wire_put_u64(w, m->cutoff);
}

int tn_proto_dec_pg_req(const void *buf, size_t len, tn_pg_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->pool = tn_wire_get_u32(&r);
    m->pg = tn_wire_get_u32(&r);
    m->cutoff = 0;
    if (r.err == TN_OK && tn_wire_r_left(&r) > 0) {
        m->cutoff = tn_wire_get_u64(&r);
        if (r.err == TN_OK && m->cutoff == 0)
            return TN_ERR_PROTO; /* 0 is "none": sent as no field */
    }
    return finish(&r);
}

uint64_t tn_proto_digest_cutoff(uint64_t wall_ms)
{
    uint64_t ms = wall_ms > TN_PROTO_DIGEST_CUTOFF_MS ? wall_ms - TN_PROTO_DIGEST_CUTOFF_MS : 1;
    if (ms > TN_HLC_PHYSICAL_MAX)
        ms = TN_HLC_PHYSICAL_MAX;
    return tn_hlc_make(ms, TN_HLC_LOGICAL_MAX);
}

void tn_proto_enc_pg_digest_rep(tn_wire_w_t *w, const tn_pg_digest_rep_t *m)
{
    put_digest(w, &m->all);
    for (int i = 0; i < TN_PROTO_DIGEST_BUCKETS; i++)
        put_digest(w, &m->bucket[i]);
    tn_wire_put_u64(w, m->blob_count);
    tn_wire_put_u64(w, m->blob_hash);
}

int tn_proto_dec_pg_digest_rep(const void *buf, size_t len, tn_pg_digest_rep_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    get_digest(&r, &m->all);
    for (int i = 0; i < TN_PROTO_DIGEST_BUCKETS; i++)
        get_digest(&r, &m->bucket[i]);
    m->blob_count = tn_wire_get_u64(&r);
    m->blob_hash = tn_wire_get_u64(&r);
    return finish(&r);
}

void tn_proto_enc_pg_enum_req(tn_wire_w_t *w, const tn_pg_enum_req_t *m)
{
    tn_wire_put_u32(w, m->pool);
    tn_wire_put_u32(w, m->pg);
    tn_wire_put_u8(w, m->what);
    tn_wire_put_bytes(w, m->cursor.base, m->cursor.len);
    tn_wire_put_u32(w, m->limit);
}

int tn_proto_dec_pg_enum_req(const void *buf, size_t len, tn_pg_enum_req_t *m)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    m->pool = tn_wire_get_u32(&r);
    m->pg = tn_wire_get_u32(&r);
    m->what = tn_wire_get_u8(&r);
    m->cursor = tn_wire_get_bytes(&r);
    m->limit = tn_wire_get_u32(&r);
    if (r.err == TN_OK &&
        (m->what > TN_PROTO_ENUM_BLOBS || m->limit == 0 || m->limit > TN_PROTO_MAX_LIST))
        return TN_ERR_PROTO;
    return finish(&r);
}

void tn_proto_enc_pg_enum_rep_begin(tn_wire_w_t *w, uint8_t more, tn_slice_t cursor, uint32_t n)
{
    tn_wire_put_u8(w, more);
    tn_wire_put_bytes(w, cursor.base, cursor.len);
    tn_wire_put_u32(w, n);
}

void tn_proto_enc_blob_item(tn_wire_w_t *w, const tn_blob_item_t *b)
{
    tn_wire_put_raw(w, b->version, TN_PROTO_VID_LEN);
    tn_wire_put_u32(w, b->part);
    tn_wire_put_u64(w, b->length);
}

int tn_proto_dec_pg_enum_rep(const void *buf, size_t len, tn_proto_iter_t *it, uint8_t *more,
                             tn_slice_t *cursor, uint32_t *n)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    *more = tn_wire_get_u8(&r);
    *cursor = tn_wire_get_bytes(&r);
    *n = tn_wire_get_u32(&r);
    if (r.err == TN_OK && (*more > 1 || *n > TN_PROTO_MAX_LIST))
        return TN_ERR_PROTO;
    return iter_start(&r, *n, 4, it);
}

int tn_proto_next_blob_item(tn_proto_iter_t *it, tn_blob_item_t *b)
{
    if (it->left == 0)
        return iter_end(it);
    tn_wire_get_raw(&it->r, b->version, TN_PROTO_VID_LEN);
    b->part = tn_wire_get_u32(&it->r);
    b->length = tn_wire_get_u64(&it->r);
    if (it->r.err != TN_OK)
        return TN_ERR_PROTO;
    it->left--;
    return 1;
}

void tn_proto_enc_pg_push_begin(tn_wire_w_t *w, uint32_t n)
{
    tn_wire_put_u32(w, n);
}

int tn_proto_dec_pg_push(const void *buf, size_t len, tn_proto_iter_t *it, uint32_t *n)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    *n = tn_wire_get_u32(&r);
    if (r.err == TN_OK && *n > TN_PROTO_MAX_LIST)
        return TN_ERR_PROTO;
    return iter_start(&r, *n, 4, it);
}

void tn_proto_enc_pg_push_rep(tn_wire_w_t *w, uint32_t applied, uint32_t ignored)
{
    tn_wire_put_u32(w, applied);
    tn_wire_put_u32(w, ignored);
}

int tn_proto_dec_pg_push_rep(const void *buf, size_t len, uint32_t *applied, uint32_t *ignored)
{
    tn_wire_r_t r;
    tn_wire_r_init(&r, buf, len);
    *applied = tn_wire_get_u32(&r);
    *ignored = tn_wire_get_u32(&r);
    return finish(&r);
}
