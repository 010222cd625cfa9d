/*
 * osd_pg.c — this file implements the OSD's local view of a placement group (osd_pg.h):
 * digest, sorted blob list and PG_ENUM pages, for the repair ops and for repair itself.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/crc64.h>
#include "osd_pg.h"
#include "tn_wire.h"

typedef struct {
    osd_blob_id_t *ids;
    size_t n, cap;
} id_list_t;

static int collect_id(void *arg, const osd_blob_id_t *id)
{
    id_list_t *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        osd_blob_id_t *ni = realloc(l->ids, cap * sizeof(*ni));
        if (ni == NULL)
            return -ENOMEM;
        l->ids = ni;
        l->cap = cap;
    }
    l->ids[l->n++] = *id;
    return 0;
}

static int id_cmp(const void *a, const void *b)
{
    const osd_blob_id_t *x = a, *y = b;
    int c = memcmp(x->version, y->version, sizeof(x->version));
    if (c != 0)
        return c;
    return x->part < y->part ? -1 : x->part > y->part;
}

int osd_pg_blob_ids(osd_bs_t *bs, uint32_t pool, uint32_t pg, osd_blob_id_t **ids, size_t *n)
{
    id_list_t l = {0};
    int rc = osd_bs_list_pg(bs, pool, pg, collect_id, &l);
    if (rc != 0) {
        free(l.ids);
        *ids = NULL;
        *n = 0;
        return rc;
    }
    if (l.n > 1)
        qsort(l.ids, l.n, sizeof(*l.ids), id_cmp);
    *ids = l.ids;
    *n = l.n;
    return 0;
}

int osd_pg_digest(osd_bs_t *bs, osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t cutoff,
                  tn_pg_digest_rep_t *rep)
{
    if (rd == NULL)
        return -EIO;
    osd_idx_digest_t d;
    int rc = osd_idx_digest(rd, pool, pg, cutoff, &d);
    if (rc != 0)
        return rc;
    osd_blob_id_t *ids = NULL;
    size_t n = 0;
    if ((rc = osd_pg_blob_ids(bs, pool, pg, &ids, &n)) != 0)
        return rc;
    rep->all = (tn_proto_digest_t){d.all.count, d.all.h1, d.all.h2};
    for (int i = 0; i < TN_PROTO_DIGEST_BUCKETS; i++)
        rep->bucket[i] = (tn_proto_digest_t){d.bucket[i].count, d.bucket[i].h1, d.bucket[i].h2};
    rep->blob_count = n;
    rep->blob_hash = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t id[20];
        memcpy(id, ids[i].version, 16);
        id[16] = (uint8_t)ids[i].part;
        id[17] = (uint8_t)(ids[i].part >> 8);
        id[18] = (uint8_t)(ids[i].part >> 16);
        id[19] = (uint8_t)(ids[i].part >> 24);
        rep->blob_hash = crc64_ecma_refl(rep->blob_hash, id, sizeof(id));
    }
    free(ids);
    return 0;
}

typedef struct {
    osd_pg_page_t *p;
    size_t cap;
    int stopped;
    int err;
    osd_idx_cursor_t last; /* last row accepted */
} enum_ctx_t;

static int buf_reserve(enum_ctx_t *ec, size_t need)
{
    osd_pg_page_t *p = ec->p;
    if (p->len + need <= ec->cap)
        return 0;
    size_t cap = TN_MAX(ec->cap * 2, p->len + need);
    cap = TN_MAX(cap, (size_t)4096);
    uint8_t *nb = realloc(p->buf, cap);
    if (nb == NULL)
        return -ENOMEM;
    p->buf = nb;
    ec->cap = cap;
    return 0;
}

static int enum_row_cb(void *arg, const tn_row_t *row)
{
    enum_ctx_t *ec = arg;
    osd_pg_page_t *p = ec->p;
    size_t sz = tn_row_encoded_size(row);
    if (p->len + 4 + sz > OSD_PG_ENUM_MAX_BYTES && p->n != 0) {
        ec->stopped = 1;
        return 1;
    }
    if ((ec->err = buf_reserve(ec, 4 + sz)) != 0)
        return 1;
    tn_wire_w_t w;
    tn_wire_w_init(&w, p->buf + p->len, 4);
    tn_wire_put_u32(&w, (uint32_t)sz);
    size_t used = 0;
    if ((ec->err = tn_row_encode(row, p->buf + p->len + 4, sz, &used)) != 0)
        return 1;
    p->len += 4 + sz;
    p->n++;
    ec->last.valid = 1;
    ec->last.ns = row->ns;
    ec->last.key_len = row->key_len;
    memcpy(ec->last.key, row->key, row->key_len);
    return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int page_fail(osd_pg_page_t *out, int rc)
{
    free(out->buf);
    memset(out, 0, sizeof(*out));
    return rc;
}

int osd_pg_enum_rows(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, tn_slice_t cursor,
                     uint32_t limit, osd_pg_page_t *out)
{
    memset(out, 0, sizeof(*out));
    if (limit == 0 || limit > TN_PROTO_MAX_LIST)
        return TN_ERR_PROTO;
    if (rd == NULL)
        return -EIO;
    enum_ctx_t ec = {.p = out};
    osd_idx_cursor_t *cur = malloc(sizeof(*cur));
    if (cur == NULL)
        return -ENOMEM;
    cur->valid = 0;
    if (cursor.len != 0) {
        if (cursor.len < 9 || cursor.len > OSD_PG_CURSOR_MAX) {
            free(cur);
            return TN_ERR_PROTO;
        }
        tn_wire_r_t r;
        tn_wire_r_init(&r, cursor.base, 8);
        cur->valid = 1;
        cur->ns = tn_wire_get_u64(&r);
        cur->key_len = cursor.len - 8;
        memcpy(cur->key, cursor.base + 8, cur->key_len);
    }
    ec.last = *cur;
    int more = 0;
    int rc = osd_idx_enumerate(rd, pool, pg, cur, limit, enum_row_cb, &ec, &more);
    free(cur);
    if (rc == 1 && ec.stopped && ec.err == 0) {
        rc = 0;
        more = 1;
    } else if (rc == 1) {
        rc = ec.err ? ec.err : -EIO;
    }
    if (rc != 0)
        return page_fail(out, rc);
    out->more = more;
    if (ec.last.valid) {
        tn_wire_w_t w;
        tn_wire_w_init(&w, out->cursor, 8);
        tn_wire_put_u64(&w, ec.last.ns);
        memcpy(out->cursor + 8, ec.last.key, ec.last.key_len);
        out->cursor_len = 8 + ec.last.key_len;
    }
    return 0;
}

int osd_pg_enum_blobs(osd_bs_t *bs, uint32_t pool, uint32_t pg, tn_slice_t cursor, uint32_t limit,
                      osd_pg_page_t *out)
{
    memset(out, 0, sizeof(*out));
    if (limit == 0 || limit > TN_PROTO_MAX_LIST || (cursor.len != 0 && cursor.len != 20))
        return TN_ERR_PROTO;
    enum_ctx_t ec = {.p = out};
    osd_blob_id_t *ids = NULL;
    size_t n = 0, i = 0;
    int rc = osd_pg_blob_ids(bs, pool, pg, &ids, &n);
    if (rc == 0 && cursor.len == 20) {
        memcpy(out->cursor, cursor.base, 20);
        out->cursor_len = 20;
        for (; i < n; i++) {
            uint8_t k[20];
            memcpy(k, ids[i].version, 16);
            put_be32(k + 16, ids[i].part);
            if (memcmp(k, out->cursor, 20) > 0)
                break;
        }
    }
    for (; rc == 0 && i < n && out->n < limit; i++) {
        uint64_t length = 0;
        int exists = 0;
        rc = osd_bs_stat(bs, pool, pg, &ids[i], &length, &exists);
        if (rc != 0)
            break;
        if (!exists)
            continue; /* deleted meanwhile */
        if ((rc = buf_reserve(&ec, 28)) != 0)
            break;
        tn_wire_w_t w;
        tn_wire_w_init(&w, out->buf + out->len, 28);
        tn_blob_item_t item = {.part = ids[i].part, .length = length};
        memcpy(item.version, ids[i].version, 16);
        tn_proto_enc_blob_item(&w, &item);
        out->len += 28;
        out->n++;
        memcpy(out->cursor, ids[i].version, 16);
        put_be32(out->cursor + 16, ids[i].part);
        out->cursor_len = 20;
    }
    out->more = rc == 0 && i < n;
    free(ids);
    return rc != 0 ? page_fail(out, rc) : 0;
}

void osd_pg_page_iter(const osd_pg_page_t *p, tn_proto_iter_t *it)
{
    tn_wire_r_init(&it->r, p->buf, p->len);
    it->left = p->n;
}
