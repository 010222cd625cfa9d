/*
 * osd_ops_pg.c — this file implements the placement-group repair ops (docs/PROTOCOL.md §5.5):
 * PG_DIGEST and PG_ENUM on a worker, PG_PUSH through the index's one merge function.
 *
 * Blob ids in digests and cursors: the 20 bytes (16-byte version, u32 part). blob_hash is
 * CRC-64/XZ (ISA-L crc64_ecma_refl) over the ids sorted by (version bytes, part), each with
 * its part little-endian. The PG_ENUM blob cursor is the last id sent with its part
 * big-endian (so that memcmp order is the sort order); the row cursor is u64 ns
 * (little-endian) followed by the last key sent. Both are opaque to clients.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/crc64.h>
#include "osd_srv_internal.h"
#include "tn_log.h"
#include "tn_row.h"
#include "tn_wire.h"

#define ENUM_MAX_BYTES (6u << 20) /* a PG_ENUM reply stays below the 8 MiB frame limit */

/* ---- blob lists ---- */

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

static int list_sorted(osd_srv_t *srv, uint32_t pool, uint32_t pg, id_list_t *l)
{
    int rc = osd_bs_list_pg(srv->bs, pool, pg, collect_id, l);
    if (rc == 0 && l->n > 1)
        qsort(l->ids, l->n, sizeof(*l->ids), id_cmp);
    return rc;
}

/* ---- PG_DIGEST ---- */

static void digest_run(osd_req_t *req, osd_wctx_t *ctx)
{
    tn_pg_req_t in;
    if (tn_proto_dec_pg_req(req->payload, req->hdr.payload_len, &in) != 0) {
        req->status = TN_ERR_PROTO;
        return;
    }
    if (ctx->rd == NULL) {
        req->status = -EIO;
        return;
    }
    osd_idx_digest_t d;
    int rc = osd_idx_digest(ctx->rd, in.pool, in.pg, &d);
    if (rc != 0) {
        req->status = rc;
        return;
    }
    id_list_t l = {0};
    rc = list_sorted(req->srv, in.pool, in.pg, &l);
    if (rc != 0) {
        free(l.ids);
        req->status = rc;
        return;
    }
    tn_pg_digest_rep_t rep;
    rep.all = (tn_proto_digest_t){d.all.count, d.all.h1, d.all.h2};
    for (int i = 0; i < TN_PROTO_DIGEST_BUCKETS; i++)
        rep.bucket[i] = (tn_proto_digest_t){d.bucket[i].count, d.bucket[i].h1, d.bucket[i].h2};
    rep.blob_count = l.n;
    rep.blob_hash = 0;
    for (size_t i = 0; i < l.n; i++) {
        uint8_t id[20];
        memcpy(id, l.ids[i].version, 16);
        id[16] = (uint8_t)l.ids[i].part;
        id[17] = (uint8_t)(l.ids[i].part >> 8);
        id[18] = (uint8_t)(l.ids[i].part >> 16);
        id[19] = (uint8_t)(l.ids[i].part >> 24);
        rep.blob_hash = crc64_ecma_refl(rep.blob_hash, id, sizeof(id));
    }
    free(l.ids);
    uint8_t buf[8 * 3 * (TN_PROTO_DIGEST_BUCKETS + 1) + 16];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof(buf));
    tn_proto_enc_pg_digest_rep(&w, &rep);
    req->status = w.err ? w.err : osd_req_add_out(req, buf, (size_t)(w.p - buf));
}

void osd_op_pg_digest(osd_req_t *req)
{
    osd_req_submit(req, digest_run, osd_req_finish);
}

/* ---- PG_ENUM ---- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    uint32_t n;
    int stopped;
    int err;
    osd_idx_cursor_t last; /* last row accepted */
} enum_ctx_t;

static int buf_reserve(enum_ctx_t *ec, size_t need)
{
    if (ec->len + need <= ec->cap)
        return 0;
    size_t cap = TN_MAX(ec->cap * 2, ec->len + need);
    cap = TN_MAX(cap, (size_t)4096);
    uint8_t *nb = realloc(ec->buf, cap);
    if (nb == NULL)
        return -ENOMEM;
    ec->buf = nb;
    ec->cap = cap;
    return 0;
}

static int enum_row_cb(void *arg, const tn_row_t *row)
{
    enum_ctx_t *ec = arg;
    size_t sz = tn_row_encoded_size(row);
    if (ec->len + 4 + sz > ENUM_MAX_BYTES && ec->n != 0) {
        ec->stopped = 1;
        return 1;
    }
    if ((ec->err = buf_reserve(ec, 4 + sz)) != 0)
        return 1;
    tn_wire_w_t w;
    tn_wire_w_init(&w, ec->buf + ec->len, 4);
    tn_wire_put_u32(&w, (uint32_t)sz);
    size_t used = 0;
    if ((ec->err = tn_row_encode(row, ec->buf + ec->len + 4, sz, &used)) != 0)
        return 1;
    ec->len += 4 + sz;
    ec->n++;
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

static void enum_run(osd_req_t *req, osd_wctx_t *ctx)
{
    tn_pg_enum_req_t in;
    if (tn_proto_dec_pg_enum_req(req->payload, req->hdr.payload_len, &in) != 0 || in.limit == 0 ||
        in.limit > TN_PROTO_MAX_LIST) {
        req->status = TN_ERR_PROTO;
        return;
    }
    enum_ctx_t ec = {0};
    int more = 0, rc = 0;
    uint8_t cursor[8 + TN_ROW_MAX_KEY];
    size_t cursor_len = 0;
    if (in.what == TN_PROTO_ENUM_ROWS) {
        if (ctx->rd == NULL) {
            req->status = -EIO;
            return;
        }
        osd_idx_cursor_t cur = {0};
        if (in.cursor.len != 0) {
            if (in.cursor.len < 9 || in.cursor.len > 8 + TN_ROW_MAX_KEY) {
                req->status = TN_ERR_PROTO;
                return;
            }
            tn_wire_r_t r;
            tn_wire_r_init(&r, in.cursor.base, 8);
            cur.valid = 1;
            cur.ns = tn_wire_get_u64(&r);
            cur.key_len = in.cursor.len - 8;
            memcpy(cur.key, in.cursor.base + 8, cur.key_len);
        }
        ec.last = cur;
        rc = osd_idx_enumerate(ctx->rd, in.pool, in.pg, &cur, in.limit, enum_row_cb, &ec, &more);
        if (rc == 1 && ec.stopped && ec.err == 0) {
            rc = 0;
            more = 1;
        } else if (rc == 1) {
            rc = ec.err ? ec.err : -EIO;
        }
        if (rc == 0 && ec.last.valid) {
            tn_wire_w_t w;
            tn_wire_w_init(&w, cursor, 8);
            tn_wire_put_u64(&w, ec.last.ns);
            memcpy(cursor + 8, ec.last.key, ec.last.key_len);
            cursor_len = 8 + ec.last.key_len;
        }
    } else if (in.what == TN_PROTO_ENUM_BLOBS) {
        if (in.cursor.len != 0 && in.cursor.len != 20) {
            req->status = TN_ERR_PROTO;
            return;
        }
        id_list_t l = {0};
        rc = list_sorted(req->srv, in.pool, in.pg, &l);
        size_t i = 0;
        if (rc == 0 && in.cursor.len == 20) {
            memcpy(cursor, in.cursor.base, 20);
            cursor_len = 20;
            for (; i < l.n; i++) {
                uint8_t k[20];
                memcpy(k, l.ids[i].version, 16);
                put_be32(k + 16, l.ids[i].part);
                if (memcmp(k, cursor, 20) > 0)
                    break;
            }
        }
        for (; rc == 0 && i < l.n && ec.n < in.limit; i++) {
            uint64_t length = 0;
            int exists = 0;
            rc = osd_bs_stat(req->srv->bs, in.pool, in.pg, &l.ids[i], &length, &exists);
            if (rc != 0)
                break;
            if (!exists)
                continue; /* deleted meanwhile */
            if ((rc = buf_reserve(&ec, 28)) != 0)
                break;
            tn_wire_w_t w;
            tn_wire_w_init(&w, ec.buf + ec.len, 28);
            tn_blob_item_t item = {.part = l.ids[i].part, .length = length};
            memcpy(item.version, l.ids[i].version, 16);
            tn_proto_enc_blob_item(&w, &item);
            ec.len += 28;
            ec.n++;
            memcpy(cursor, l.ids[i].version, 16);
            put_be32(cursor + 16, l.ids[i].part);
            cursor_len = 20;
        }
        more = rc == 0 && i < l.n;
        free(l.ids);
    } else {
        rc = TN_ERR_PROTO;
    }
    if (rc != 0) {
        free(ec.buf);
        req->status = rc;
        return;
    }
    size_t hdr_len = 1 + 4 + cursor_len + 4;
    osd_out_t *o = osd_out_new(hdr_len + ec.len);
    if (o == NULL) {
        free(ec.buf);
        req->status = -ENOMEM;
        return;
    }
    tn_wire_w_t w;
    tn_wire_w_init(&w, osd_out_body(o), hdr_len);
    tn_proto_enc_pg_enum_rep_begin(&w, (uint8_t)more,
                                   (tn_slice_t){(const char *)cursor, cursor_len}, ec.n);
    if (ec.len)
        memcpy(osd_out_body(o) + hdr_len, ec.buf, ec.len);
    free(ec.buf);
    osd_out_finish(o, hdr_len + ec.len);
    *req->outs_tail = o;
    req->outs_tail = &o->next;
    req->status = 0;
}

void osd_op_pg_enum(osd_req_t *req)
{
    osd_req_submit(req, enum_run, osd_req_finish);
}

/* ---- PG_PUSH ---- */

typedef struct {
    osd_req_t *req;
    _Atomic unsigned pending; /* submitted requests not completed, + 1 held by the loop */
    uint32_t n;
    osd_idx_req_t *irs;
} push_t;

static void push_done(osd_job_t *job)
{
    osd_req_t *req = osd_req_of_job(job);
    push_t *p = req->op;
    uint32_t applied = 0, ignored = 0;
    int err = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        osd_idx_req_t *ir = &p->irs[i];
        if (ir->status != 0) {
            if (err == 0)
                err = ir->status;
        } else if (ir->result == OSD_IDX_APPLIED) {
            applied++;
        } else {
            ignored++;
        }
    }
    free(p->irs);
    free(p);
    req->op = NULL;
    osd_srv_note_write(req->srv, err);
    if (err != 0) {
        osd_req_reply_status(req, err);
        return;
    }
    uint8_t buf[8];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof(buf));
    tn_proto_enc_pg_push_rep(&w, applied, ignored);
    osd_req_add_out(req, buf, sizeof(buf));
    osd_req_finish(req);
}

static void push_release(push_t *p, unsigned k)
{
    if (atomic_fetch_sub(&p->pending, k) == k) {
        p->req->job.done = push_done;
        h2o_multithread_send_message(&p->req->srv->recv, &p->req->job.msg);
    }
}

static void push_cb(osd_idx_req_t *ir)
{
    push_release(ir->data, 1);
}

void osd_op_pg_push(osd_req_t *req)
{
    tn_proto_iter_t it;
    uint32_t n = 0;
    if (tn_proto_dec_pg_push(req->payload, req->hdr.payload_len, &it, &n) != 0) {
        osd_req_reply_status(req, TN_ERR_PROTO);
        return;
    }
    push_t *p = calloc(1, sizeof(*p));
    osd_idx_req_t *irs = n ? calloc(n, sizeof(*irs)) : NULL;
    if (p == NULL || (n != 0 && irs == NULL)) {
        free(p);
        free(irs);
        osd_req_reply_status(req, -ENOMEM);
        return;
    }
    /* Verify every row first: a bad one fails the whole push and nothing is applied. */
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        tn_slice_t row;
        int got = tn_proto_next_row(&it, &row);
        if (got != 1) {
            rc = TN_ERR_PROTO;
            break;
        }
        size_t used = 0;
        rc = tn_row_decode(row.base, row.len, &irs[i].row, &used);
        if (rc != 0 && rc != TN_ERR_CHECKSUM)
            rc = TN_ERR_PROTO;
        else if (rc == 0 && used != row.len)
            rc = TN_ERR_PROTO;
    }
    if (rc == 0) {
        tn_slice_t extra;
        if (tn_proto_next_row(&it, &extra) != 0)
            rc = TN_ERR_PROTO;
    }
    if (rc != 0) {
        free(p);
        free(irs);
        osd_req_reply_status(req, rc);
        return;
    }
    p->req = req;
    p->n = n;
    p->irs = irs;
    atomic_init(&p->pending, n + 1);
    req->op = p;
    uint32_t i = 0;
    for (; i < n; i++) {
        irs[i].op = OSD_IDX_MERGE;
        irs[i].cb = push_cb;
        irs[i].data = p;
        int src = osd_idx_submit(req->srv->idx, &irs[i]);
        if (src != 0) {
            for (uint32_t j = i; j < n; j++)
                irs[j].status = src;
            break;
        }
    }
    push_release(p, 1 + (n - i));
}
