/*
 * osd_ops_row.c — this file implements the row ops (docs/PROTOCOL.md §5.4): ROW_PUT and
 * ROW_DELETE go to the index writer (answered after the group commit that made them durable),
 * ROW_GET and ROW_LIST read through a worker's index reader.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "osd_nowait.h"
#include "osd_srv_internal.h"
#include "tn_log.h"
#include "tn_row.h"
#include "tn_wire.h"

#define LIST_FRAME_BYTES (1u << 20)  /* split ROW_LIST replies into frames of about this */
#define LIST_TOTAL_BYTES (16u << 20) /* a page larger than this ends early with more = 1 */

/* ---- ROW_PUT, ROW_DELETE ---- */

/* Refusals that are decisions, not failures: the write path worked. STALE_TS and EXIST carry
 * the stored version; PRECONDITION carries it when a row is stored, else nothing. */
static int is_refusal(int status)
{
    return status == TN_ERR_STALE_TS || status == -EEXIST || status == TN_ERR_PRECONDITION;
}

static void row_write_done(osd_job_t *job)
{
    osd_req_t *req = osd_req_of_job(job);
    osd_idx_req_t *ir = req->op;
    osd_srv_note_write(req->srv, is_refusal(ir->status) ? 0 : ir->status);
    if (is_refusal(ir->status)) {
        uint8_t buf[32];
        tn_wire_w_t w;
        tn_wire_w_init(&w, buf, sizeof(buf));
        tn_proto_ver_t v = {.hlc = ir->stored.hlc, .origin = ir->stored.origin};
        memcpy(v.vid, ir->stored.vid, sizeof(v.vid));
        if (ir->status != TN_ERR_PRECONDITION || ir->stored_exists)
            tn_proto_enc_row_put_stale(&w, &v);
        int status = ir->status;
        osd_out_t *o = osd_out_new(sizeof(buf));
        if (o == NULL) {
            free(ir);
            req->op = NULL;
            osd_req_reply_status(req, -ENOMEM);
            return;
        }
        memcpy(osd_out_body(o), buf, (size_t)(w.p - buf));
        osd_out_finish(o, (size_t)(w.p - buf));
        osd_conn_send(req->conn, &req->hdr, o, status, 0);
        free(ir);
        req->op = NULL;
        osd_req_free(req);
        return;
    }
    if (ir->status != 0) {
        if (ir->status != TN_ERR_CHECKSUM)
            tn_log_error("msg=\"index write failed\" op=0x%04x err=\"%s\"", req->hdr.op,
                         tn_strerror(ir->status));
        int st = ir->status;
        free(ir);
        req->op = NULL;
        osd_req_reply_status(req, st);
        return;
    }
    uint8_t result = (uint8_t)ir->result;
    free(ir);
    req->op = NULL;
    osd_req_add_out(req, &result, 1);
    osd_req_finish(req);
}

static void row_write_cb(osd_idx_req_t *ir)
{
    osd_req_t *req = ir->data;
    req->job.done = row_write_done;
    h2o_multithread_send_message(&req->srv->recv, &req->job.msg);
}

static void row_submit(osd_req_t *req, osd_idx_req_t *ir)
{
    ir->cb = row_write_cb;
    ir->data = req;
    req->op = ir;
    int rc = osd_idx_submit(req->srv->idx, ir);
    if (rc != 0) {
        osd_srv_note_write(req->srv, rc);
        free(ir);
        req->op = NULL;
        osd_req_reply_status(req, rc);
    }
}

/* Decodes one row that must fill buf exactly: 0, TN_ERR_CHECKSUM or TN_ERR_PROTO. */
static int decode_row_exact(tn_slice_t buf, tn_row_t *row)
{
    size_t used = 0;
    int rc = tn_row_decode(buf.base, buf.len, row, &used);
    if (rc == TN_ERR_CHECKSUM)
        return rc;
    if (rc != 0 || used != buf.len)
        return TN_ERR_PROTO;
    return 0;
}

void osd_op_row_put(osd_req_t *req)
{
    tn_row_put_req_t in;
    tn_proto_ver_t expect;
    if (tn_proto_dec_row_put_any(req->payload, req->hdr.payload_len, &in, &expect) != 0 ||
        in.mode > TN_PROTO_ROW_MODE_MAX) {
        osd_req_reply_status(req, TN_ERR_PROTO);
        return;
    }
    osd_idx_req_t *ir = calloc(1, sizeof(*ir));
    if (ir == NULL) {
        osd_req_reply_status(req, -ENOMEM);
        return;
    }
    int rc = decode_row_exact(in.row, &ir->row);
    if (rc != 0) {
        free(ir);
        osd_req_reply_status(req, rc);
        return;
    }
    switch (in.mode) {
    case TN_PROTO_ROW_MERGE: ir->op = OSD_IDX_MERGE; break;
    case TN_PROTO_ROW_CREATE: ir->op = OSD_IDX_CREATE; break;
    case TN_PROTO_ROW_IF_VERSION:
        ir->op = OSD_IDX_IF_VERSION;
        ir->expect.hlc = expect.hlc;
        ir->expect.origin = expect.origin;
        memcpy(ir->expect.vid, expect.vid, sizeof(ir->expect.vid));
        break;
    default: ir->op = OSD_IDX_PUT; break;
    }
    row_submit(req, ir);
}

void osd_op_row_delete(osd_req_t *req)
{
    tn_row_delete_req_t in;
    if (tn_proto_dec_row_delete_req(req->payload, req->hdr.payload_len, &in) != 0) {
        osd_req_reply_status(req, TN_ERR_PROTO);
        return;
    }
    osd_idx_req_t *ir = calloc(1, sizeof(*ir));
    if (ir == NULL) {
        osd_req_reply_status(req, -ENOMEM);
        return;
    }
    ir->op = OSD_IDX_PURGE;
    ir->row.pool = in.pool;
    ir->row.pg = in.pg;
    ir->row.ns = in.ns;
    ir->row.key = (const uint8_t *)in.key.base;
    ir->row.key_len = in.key.len;
    ir->row.ver.hlc = in.ver.hlc;
    ir->row.ver.origin = in.ver.origin;
    memcpy(ir->row.ver.vid, in.ver.vid, sizeof(ir->row.ver.vid));
    row_submit(req, ir);
}

/* ---- ROW_GET ---- */

static void row_get_run(osd_req_t *req, osd_wctx_t *ctx)
{
    tn_row_get_req_t in;
    if (tn_proto_dec_row_get_req(req->payload, req->hdr.payload_len, &in) != 0) {
        req->status = TN_ERR_PROTO;
        return;
    }
    if (ctx->rd == NULL) {
        req->status = -EIO;
        return;
    }
    tn_row_t *row = NULL;
    int rc = osd_idx_get(ctx->rd, in.pool, in.pg, in.ns, in.key.base, in.key.len, &row);
    if (rc != 0) {
        req->status = rc;
        return;
    }
    size_t sz = tn_row_encoded_size(row);
    osd_out_t *o = osd_out_new(4 + sz);
    if (o == NULL) {
        free(row);
        req->status = -ENOMEM;
        return;
    }
    tn_wire_w_t w;
    tn_wire_w_init(&w, osd_out_body(o), 4);
    tn_wire_put_u32(&w, (uint32_t)sz);
    size_t len = 0;
    rc = tn_row_encode(row, osd_out_body(o) + 4, sz, &len);
    free(row);
    if (rc != 0) {
        osd_out_free(o);
        req->status = rc;
        return;
    }
    osd_out_finish(o, 4 + len);
    *req->outs_tail = o;
    req->outs_tail = &o->next;
    req->status = 0;
}

/* On the loop first when its reader is open (osd_nowait.h): a row whose pages are in memory
 * is answered without the hand-off to a worker and back; one that would wait for the disk,
 * a busy database or an I/O error is read again by a worker, which answers for good. */
void osd_op_row_get(osd_req_t *req)
{
    osd_srv_t *srv = req->srv;
    if (srv->loop_rd != NULL && osd_nowait_supported()) {
        osd_wctx_t ctx = {srv->loop_rd};
        osd_nowait_begin();
        row_get_run(req, &ctx);
        int blocked = osd_nowait_end();
        if (!blocked && req->status != -EIO && req->status != -EBUSY) {
            srv->c.row_get_loop++;
            osd_req_finish(req);
            return;
        }
        srv->c.row_get_loop_retried++;
        req->status = 0; /* row_get_run adds its output only on success */
    }
    osd_req_submit(req, row_get_run, osd_req_finish);
}

/* ---- ROW_LIST ---- */

typedef struct {
    osd_req_t *req;
    int with_inline;
    uint8_t *buf; /* current frame: u8 more, u32 n, entries */
    size_t len, cap;
    uint32_t n;
    size_t total;
    int budget_hit;
    int err;
} list_ctx_t;

static int list_frame_close(list_ctx_t *lc)
{
    if (lc->buf == NULL)
        return 0;
    lc->buf[0] = 0;
    tn_wire_w_t w;
    tn_wire_w_init(&w, lc->buf + 1, 4);
    tn_wire_put_u32(&w, lc->n);
    int rc = osd_req_add_out(lc->req, lc->buf, lc->len);
    free(lc->buf);
    lc->buf = NULL;
    lc->len = lc->cap = 0;
    lc->n = 0;
    return rc;
}

static int list_reserve(list_ctx_t *lc, size_t need)
{
    if (lc->buf == NULL) {
        lc->cap = TN_MAX((size_t)4096, 5 + need);
        lc->buf = malloc(lc->cap);
        if (lc->buf == NULL)
            return -ENOMEM;
        lc->len = 5;
    }
    if (lc->len + need > lc->cap) {
        size_t cap = TN_MAX(lc->cap * 2, lc->len + need);
        uint8_t *nb = realloc(lc->buf, cap);
        if (nb == NULL)
            return -ENOMEM;
        lc->buf = nb;
        lc->cap = cap;
    }
    return 0;
}

static int list_cb(void *arg, const tn_row_t *row)
{
    list_ctx_t *lc = arg;
    tn_row_entry_t e = {0};
    size_t need;
    if (lc->with_inline) {
        need = 4 + tn_row_encoded_size(row);
    } else {
        e.key = (tn_slice_t){(const char *)row->key, row->key_len};
        e.ver.hlc = row->ver.hlc;
        e.ver.origin = row->ver.origin;
        memcpy(e.ver.vid, row->ver.vid, sizeof(e.ver.vid));
        e.flags = row->flags;
        e.value = (tn_slice_t){(const char *)row->value, row->value_len};
        e.inline_len = (uint32_t)row->inl_len;
        need = tn_proto_row_entry_size(&e);
    }
    if (lc->total + need > LIST_TOTAL_BYTES && lc->total != 0) {
        lc->budget_hit = 1;
        return 1;
    }
    if (lc->buf != NULL && lc->len + need > LIST_FRAME_BYTES && lc->n != 0) {
        if ((lc->err = list_frame_close(lc)) != 0)
            return 1;
    }
    if ((lc->err = list_reserve(lc, need)) != 0)
        return 1;
    tn_wire_w_t w;
    tn_wire_w_init(&w, lc->buf + lc->len, need);
    if (lc->with_inline) {
        size_t sz = tn_row_encoded_size(row), used = 0;
        tn_wire_put_u32(&w, (uint32_t)sz);
        if ((lc->err = tn_row_encode(row, lc->buf + lc->len + 4, sz, &used)) != 0)
            return 1;
    } else {
        tn_proto_enc_row_entry(&w, &e);
        if (w.err != 0) {
            lc->err = w.err;
            return 1;
        }
    }
    lc->len += need;
    lc->total += need;
    lc->n++;
    return 0;
}

static void row_list_run(osd_req_t *req, osd_wctx_t *ctx)
{
    tn_row_list_req_t in;
    if (tn_proto_dec_row_list_req(req->payload, req->hdr.payload_len, &in) != 0) {
        req->status = TN_ERR_PROTO;
        return;
    }
    if (ctx->rd == NULL) {
        req->status = -EIO;
        return;
    }
    list_ctx_t lc = {.req = req, .with_inline = (in.flags & TN_PROTO_LIST_WITH_INLINE) != 0};
    int more = 0;
    int rc = osd_idx_list(ctx->rd, in.pool, in.pg, in.ns, in.prefix.base, in.prefix.len,
                          in.start_after.len ? in.start_after.base : NULL, in.start_after.len,
                          in.limit, list_cb, &lc, &more);
    if (rc == 1 && lc.budget_hit && lc.err == 0) {
        rc = 0;
        more = 1;
    } else if (rc == 1) {
        rc = lc.err ? lc.err : -EIO;
    }
    if (rc == 0 && lc.buf == NULL && req->outs == NULL)
        rc = list_reserve(&lc, 0); /* an empty page is one frame with n = 0 */
    if (rc == 0)
        rc = list_frame_close(&lc);
    free(lc.buf);
    if (rc != 0) {
        req->status = rc;
        return;
    }
    /* `more` is meaningful in the last frame. */
    osd_out_t *last = req->outs;
    while (last->next != NULL)
        last = last->next;
    osd_out_body(last)[0] = (uint8_t)(more ? 1 : 0);
    osd_out_finish(last, last->body_len);
    req->status = 0;
}

void osd_op_row_list(osd_req_t *req)
{
    osd_req_submit(req, row_list_run, osd_req_finish);
}
