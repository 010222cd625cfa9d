/*
 * osd_ops_pg.c — this file implements the placement-group repair ops (docs/PROTOCOL.md §5.5):
 * PG_DIGEST and PG_ENUM on a worker, PG_PUSH through the index's one merge function.
 *
 * The local PG views (digest, enumeration pages) are osd_pg.c's.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "osd_pg.h"
#include "osd_srv_internal.h"
#include "tn_log.h"
#include "tn_row.h"
#include "tn_wire.h"

/* ---- PG_DIGEST ---- */

static void digest_run(osd_req_t *req, osd_wctx_t *ctx)
{
    tn_pg_req_t in;
    if (tn_proto_dec_pg_req(req->payload, req->hdr.payload_len, &in) != 0) {
        req->status = TN_ERR_PROTO;
        return;
    }
    tn_pg_digest_rep_t rep;
    int rc = osd_pg_digest(req->srv->bs, ctx->rd, in.pool, in.pg, in.cutoff, &rep);
    if (rc != 0) {
        req->status = rc;
        return;
    }
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

static void enum_run(osd_req_t *req, osd_wctx_t *ctx)
{
    tn_pg_enum_req_t in;
    if (tn_proto_dec_pg_enum_req(req->payload, req->hdr.payload_len, &in) != 0 || in.limit == 0 ||
        in.limit > TN_PROTO_MAX_LIST) {
        req->status = TN_ERR_PROTO;
        return;
    }
    osd_pg_page_t page;
    int rc;
    if (in.what == TN_PROTO_ENUM_ROWS)
        rc = osd_pg_enum_rows(ctx->rd, in.pool, in.pg, in.cursor, in.limit, &page);
    else if (in.what == TN_PROTO_ENUM_BLOBS)
        rc = osd_pg_enum_blobs(req->srv->bs, in.pool, in.pg, in.cursor, in.limit, &page);
    else
        rc = TN_ERR_PROTO;
    if (rc != 0) {
        req->status = rc;
        return;
    }
    size_t hdr_len = 1 + 4 + page.cursor_len + 4;
    osd_out_t *o = osd_out_new(hdr_len + page.len);
    if (o == NULL) {
        free(page.buf);
        req->status = -ENOMEM;
        return;
    }
    tn_wire_w_t w;
    tn_wire_w_init(&w, osd_out_body(o), hdr_len);
    tn_proto_enc_pg_enum_rep_begin(
        &w, (uint8_t)page.more, (tn_slice_t){(const char *)page.cursor, page.cursor_len}, page.n);
    if (page.len)
        memcpy(osd_out_body(o) + hdr_len, page.buf, page.len);
    free(page.buf);
    osd_out_finish(o, hdr_len + page.len);
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
