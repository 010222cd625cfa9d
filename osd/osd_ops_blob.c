/*
 * osd_ops_blob.c — this file implements the blob ops (docs/PROTOCOL.md §4, §5.3): streamed
 * puts (BEGIN/DATA/END, one stream per request id per connection, pieces applied strictly in
 * order by one worker at a time), BLOB_GET with back-pressure (the next piece is read only
 * after the previous reply frame was written), BLOB_STAT and BLOB_DELETE.
 *
 * A stream's state lives on the loop thread; its writer and CRC are touched only by the one
 * job of the stream that is running (busy). A stream that failed (an early error reply was
 * sent, or its connection closed) drops its queued frames, aborts its writer on a worker and
 * is freed once its END arrived or the connection closed.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "osd_srv_internal.h"
#include "tn_crc.h"
#include "tn_log.h"
#include "tn_wire.h"

struct st_osd_stream_t {
    osd_stream_t *next;
    osd_conn_t *conn; /* a reference */
    osd_srv_t *srv;
    uint64_t req_id;
    tn_blobref_t ref;
    uint64_t total_len;
    uint64_t next_off;  /* bytes accepted so far (loop) */
    uint32_t crc;       /* CRC32C of the bytes written (worker, while busy) */
    osd_bs_writer_t *w; /* worker while busy, loop otherwise */
    osd_req_t *q_head, *q_tail;
    int busy;
    int failed;   /* answered (error or success): ignore further frames */
    int end_seen; /* END arrived (or will never matter) */
    int not_held; /* END refused: the PG is no longer held (counted on the loop) */
    osd_job_t abort_job;
};

static void stream_pump(osd_stream_t *s);

static osd_blob_id_t blob_id_of(const tn_blobref_t *ref)
{
    osd_blob_id_t id;
    memcpy(id.version, ref->version, sizeof(id.version));
    id.part = ref->part;
    return id;
}

static void stream_req_drop(osd_stream_t *s, osd_req_t *req)
{
    if (req->hdr.op == TN_OP_BLOB_PUT_DATA)
        osd_conn_add_queued(s->conn, -(int64_t)req->hdr.payload_len);
    osd_req_free(req);
}

static void stream_free(osd_stream_t *s)
{
    osd_stream_t **pp = osd_conn_streams(s->conn);
    while (*pp != NULL && *pp != s)
        pp = &(*pp)->next;
    if (*pp == s)
        *pp = s->next;
    osd_conn_unref(s->conn);
    free(s);
}

static void stream_fail(osd_stream_t *s, osd_req_t *req, int err)
{
    if (!s->failed) {
        s->failed = 1;
        s->srv->c.blob_streams_aborted++;
        tn_log_debug("msg=\"blob stream failed\" req=%llu err=\"%s\"",
                     (unsigned long long)s->req_id, tn_strerror(err));
        osd_req_reply_status(req, err);
    } else {
        osd_req_free(req);
    }
    stream_pump(s);
}

static void abort_run(osd_job_t *job, osd_wctx_t *ctx)
{
    (void)ctx;
    osd_stream_t *s = H2O_STRUCT_FROM_MEMBER(osd_stream_t, abort_job, job);
    osd_bs_put_abort(s->w);
    s->w = NULL;
}

static void abort_done(osd_job_t *job)
{
    osd_stream_t *s = H2O_STRUCT_FROM_MEMBER(osd_stream_t, abort_job, job);
    s->busy = 0;
    stream_pump(s);
}

static void stream_run(osd_req_t *req, osd_wctx_t *ctx)
{
    (void)ctx;
    osd_stream_t *s = req->op;
    osd_srv_t *srv = req->srv;
    int rc = 0;
    switch (req->hdr.op) {
    case TN_OP_BLOB_PUT_BEGIN: {
        osd_blob_id_t id = blob_id_of(&s->ref);
        s->crc = 0;
        rc = osd_bs_put_begin(srv->bs, s->ref.pool, s->ref.pg, &id, s->total_len, &s->w);
        if (rc != 0)
            s->w = NULL;
        break;
    }
    case TN_OP_BLOB_PUT_DATA: {
        tn_blob_put_data_t d;
        if (s->w == NULL) { /* cannot happen: a stream whose writer is gone is failed */
            rc = -EIO;
            break;
        }
        tn_proto_dec_blob_put_data(req->payload, req->hdr.payload_len, &d);
        rc = osd_bs_put_data(s->w, d.data.base, d.data.len);
        if (rc == 0) {
            s->crc = tn_crc32c(s->crc, d.data.base, d.data.len);
        } else {
            osd_bs_put_abort(s->w);
            s->w = NULL;
        }
        break;
    }
    case TN_OP_BLOB_PUT_END: {
        tn_blob_put_end_t e;
        tn_proto_dec_blob_put_end(req->payload, req->hdr.payload_len, &e);
        if (s->w == NULL) { /* cannot happen, as for DATA */
            rc = -EIO;
        } else if (e.crc32c != s->crc) {
            osd_bs_put_abort(s->w);
            rc = TN_ERR_CHECKSUM;
        } else if (osd_holds_pg(srv->holds, s->ref.pool, s->ref.pg) != 1) {
            /* the map changed while the blob streamed and this OSD gave the PG away (or
             * cannot tell): the file must not appear after the PG's copy was dropped */
            osd_bs_put_abort(s->w);
            s->not_held = 1;
            rc = TN_ERR_STALE_EPOCH;
        } else {
            rc = osd_bs_put_end(s->w);
        }
        s->w = NULL;
        break;
    }
    default: rc = -EINVAL; break;
    }
    req->status = rc;
}

static void stream_done(osd_req_t *req)
{
    osd_stream_t *s = req->op;
    s->busy = 0;
    int rc = req->status;
    if (rc != 0 && rc != TN_ERR_CHECKSUM && rc != TN_ERR_STALE_EPOCH)
        osd_srv_note_write(s->srv, rc);
    if (s->not_held) {
        s->not_held = 0;
        s->srv->c.blob_not_holder++;
    }
    if (rc != 0) {
        if (rc == -ENOSPC || rc == -EIO)
            tn_log_error("msg=\"blob write failed\" pool=%u pg=%u err=\"%s\"", s->ref.pool,
                         s->ref.pg, tn_strerror(rc));
        if (req->hdr.op == TN_OP_BLOB_PUT_DATA)
            osd_conn_add_queued(s->conn, -(int64_t)req->hdr.payload_len);
        stream_fail(s, req, rc);
        return;
    }
    if (req->hdr.op == TN_OP_BLOB_PUT_END) {
        osd_srv_note_write(s->srv, 0);
        s->failed = 1; /* answered: nothing more to do */
        osd_req_reply_status(req, 0);
    } else {
        stream_req_drop(s, req);
    }
    stream_pump(s);
}

static void stream_pump(osd_stream_t *s)
{
    if (s->busy)
        return;
    if (s->failed || osd_conn_closed(s->conn)) {
        s->failed = 1;
        while (s->q_head != NULL) {
            osd_req_t *r = s->q_head;
            s->q_head = r->link;
            stream_req_drop(s, r);
        }
        s->q_tail = NULL;
        if (s->w != NULL) {
            s->busy = 1;
            s->abort_job.run = abort_run;
            s->abort_job.done = abort_done;
            if (s->srv->work != NULL) {
                osd_work_submit(s->srv->work, &s->abort_job);
            } else {
                abort_run(&s->abort_job, NULL);
                abort_done(&s->abort_job);
            }
            return;
        }
        if (s->end_seen || osd_conn_closed(s->conn))
            stream_free(s);
        return;
    }
    if (s->q_head == NULL)
        return;
    osd_req_t *r = s->q_head;
    s->q_head = r->link;
    if (s->q_head == NULL)
        s->q_tail = NULL;
    s->busy = 1;
    osd_req_submit(r, stream_run, stream_done);
}

static void stream_enqueue(osd_stream_t *s, osd_req_t *req)
{
    req->op = s;
    req->link = NULL;
    if (s->q_tail != NULL)
        s->q_tail->link = req;
    else
        s->q_head = req;
    s->q_tail = req;
    if (req->hdr.op == TN_OP_BLOB_PUT_DATA)
        osd_conn_add_queued(s->conn, (int64_t)req->hdr.payload_len);
    stream_pump(s);
}

void osd_op_blob_stream_frame(osd_req_t *req, int early)
{
    osd_conn_t *c = req->conn;
    osd_stream_t *s = *osd_conn_streams(c);
    while (s != NULL && s->req_id != req->hdr.req_id)
        s = s->next;
    if (s != NULL && req->hdr.op == TN_OP_BLOB_PUT_BEGIN) {
        /* A second BEGIN for a live request id: fail that stream (one reply), drop this. */
        stream_fail(s, req, TN_ERR_PROTO);
        return;
    }
    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s == NULL) {
            osd_req_reply_status(req, -ENOMEM);
            return;
        }
        s->conn = c;
        s->srv = req->srv;
        osd_conn_ref(c);
        s->req_id = req->hdr.req_id;
        s->next = *osd_conn_streams(c);
        *osd_conn_streams(c) = s;
        if (req->hdr.op != TN_OP_BLOB_PUT_BEGIN) {
            /* DATA or END without a stream: one PROTO reply, the rest is ignored. */
            if (req->hdr.op == TN_OP_BLOB_PUT_END)
                s->end_seen = 1;
            stream_fail(s, req, TN_ERR_PROTO);
            return;
        }
    }
    osd_srv_t *srv = req->srv;
    switch (req->hdr.op) {
    case TN_OP_BLOB_PUT_BEGIN: {
        tn_blob_put_begin_t b;
        if (early != 0) {
            stream_fail(s, req, early);
            return;
        }
        if (tn_proto_dec_blob_put_begin(req->payload, req->hdr.payload_len, &b) != 0) {
            stream_fail(s, req, TN_ERR_PROTO);
            return;
        }
        if (req->hdr.epoch != osd_ms_epoch(srv->ms)) {
            srv->c.stale_epoch++;
            stream_fail(s, req, TN_ERR_STALE_EPOCH);
            return;
        }
        /* rule 3: a blob only on a holder of its PG under this OSD's map. The sender's epoch
         * may be ours while its placement is not (a put placed under the previous epoch and
         * sent after its gateway adopted this one): "update your map" and place again. */
        int held = osd_holds_pg(srv->holds, b.ref.pool, b.ref.pg);
        if (held != 1) {
            srv->c.blob_not_holder++;
            stream_fail(s, req, held < 0 ? held : TN_ERR_STALE_EPOCH);
            return;
        }
        if (b.total_len > OSD_BS_MAX_LEN) {
            stream_fail(s, req, TN_ERR_TOO_BIG);
            return;
        }
        s->ref = b.ref;
        s->total_len = b.total_len;
        stream_enqueue(s, req);
        return;
    }
    case TN_OP_BLOB_PUT_DATA: {
        tn_blob_put_data_t d;
        if (s->failed) {
            osd_req_free(req);
            return;
        }
        if (early != 0) {
            stream_fail(s, req, early);
            return;
        }
        if (tn_proto_dec_blob_put_data(req->payload, req->hdr.payload_len, &d) != 0 ||
            d.offset != s->next_off || d.data.len > s->total_len - s->next_off) {
            stream_fail(s, req, TN_ERR_PROTO);
            return;
        }
        s->next_off += d.data.len;
        stream_enqueue(s, req);
        return;
    }
    default: { /* END */
        tn_blob_put_end_t e;
        s->end_seen = 1;
        if (s->failed) {
            osd_req_free(req);
            stream_pump(s);
            return;
        }
        if (early != 0) {
            stream_fail(s, req, early);
            return;
        }
        if (tn_proto_dec_blob_put_end(req->payload, req->hdr.payload_len, &e) != 0 ||
            s->next_off != s->total_len) {
            stream_fail(s, req, TN_ERR_PROTO);
            return;
        }
        stream_enqueue(s, req);
        return;
    }
    }
}

void osd_blob_streams_abort(osd_conn_t *c)
{
    osd_stream_t *s = *osd_conn_streams(c);
    while (s != NULL) {
        osd_stream_t *next = s->next;
        if (!s->failed)
            s->srv->c.blob_streams_aborted++;
        s->failed = 1;
        stream_pump(s);
        s = next;
    }
}

/* ---- BLOB_GET ---- */

typedef struct {
    tn_blobref_t ref;
    uint64_t off, end, blob_len;
    int started;
    int last;
    osd_out_t *piece;
} blob_get_t;

static void get_run(osd_req_t *req, osd_wctx_t *ctx)
{
    (void)ctx;
    blob_get_t *g = req->op;
    osd_srv_t *srv = req->srv;
    osd_blob_id_t id = blob_id_of(&g->ref);
    int rc;
    if (!g->started) {
        tn_blob_get_req_t in;
        if (tn_proto_dec_blob_get_req(req->payload, req->hdr.payload_len, &in) != 0) {
            req->status = TN_ERR_PROTO;
            return;
        }
        g->ref = in.ref;
        id = blob_id_of(&g->ref);
        int exists = 0;
        rc = osd_bs_stat(srv->bs, g->ref.pool, g->ref.pg, &id, &g->blob_len, &exists);
        if (rc == 0 && !exists)
            rc = TN_ERR_NOT_FOUND;
        if (rc == 0 && in.offset > g->blob_len)
            rc = -EINVAL;
        if (rc != 0) {
            req->status = rc;
            return;
        }
        g->off = in.offset;
        g->end =
            (in.len == 0 || in.len > g->blob_len - in.offset) ? g->blob_len : in.offset + in.len;
        g->started = 1;
    }
    size_t n = (size_t)TN_MIN((uint64_t)TN_PROTO_GET_PIECE, g->end - g->off);
    osd_out_t *o = osd_out_new(TN_PROTO_GET_REP_PREFIX + n);
    if (o == NULL) {
        req->status = -ENOMEM;
        return;
    }
    size_t got = 0;
    rc = n ? osd_bs_get(srv->bs, g->ref.pool, g->ref.pg, &id, g->off, n,
                        osd_out_body(o) + TN_PROTO_GET_REP_PREFIX, &got)
           : 0;
    if (rc == 0 && got != n)
        rc = TN_ERR_CORRUPT; /* the blob shrank under us */
    if (rc != 0) {
        osd_out_free(o);
        req->status = rc;
        return;
    }
    tn_wire_w_t w;
    tn_wire_w_init(&w, osd_out_body(o), TN_PROTO_GET_REP_PREFIX);
    tn_proto_enc_blob_get_rep_prefix(&w, g->blob_len, g->off, (uint32_t)n);
    osd_out_finish(o, TN_PROTO_GET_REP_PREFIX + n);
    g->off += n;
    g->last = g->off >= g->end;
    g->piece = o;
    req->status = 0;
}

static void get_done(osd_req_t *req);

static void get_free(osd_req_t *req)
{
    free(req->op);
    req->op = NULL;
    osd_req_free(req);
}

static void get_sent(void *arg, int ok)
{
    osd_req_t *req = arg;
    if (!ok) {
        get_free(req);
        return;
    }
    osd_req_submit(req, get_run, get_done);
}

static void get_done(osd_req_t *req)
{
    blob_get_t *g = req->op;
    if (req->status != 0) {
        if (req->status == TN_ERR_CHECKSUM || req->status == TN_ERR_CORRUPT)
            tn_log_error("msg=\"blob read failed verification\" pool=%u pg=%u err=\"%s\"",
                         g->ref.pool, g->ref.pg, tn_strerror(req->status));
        osd_conn_reply_status(req->conn, &req->hdr, req->status);
        get_free(req);
        return;
    }
    osd_out_t *o = g->piece;
    g->piece = NULL;
    if (g->last) {
        osd_conn_send(req->conn, &req->hdr, o, 0, 0);
        get_free(req);
        return;
    }
    o->on_sent = get_sent;
    o->arg = req;
    osd_conn_send(req->conn, &req->hdr, o, 0, TN_FRAME_F_MORE);
}

void osd_op_blob_get(osd_req_t *req)
{
    blob_get_t *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        osd_req_reply_status(req, -ENOMEM);
        return;
    }
    req->op = g;
    osd_req_submit(req, get_run, get_done);
}

/* ---- BLOB_STAT, BLOB_DELETE ---- */

static void stat_run(osd_req_t *req, osd_wctx_t *ctx)
{
    (void)ctx;
    tn_blobref_t ref;
    if (tn_proto_dec_blobref(req->payload, req->hdr.payload_len, &ref) != 0) {
        req->status = TN_ERR_PROTO;
        return;
    }
    osd_blob_id_t id = blob_id_of(&ref);
    int exists = 0;
    tn_blob_stat_rep_t rep = {0};
    req->status = osd_bs_stat(req->srv->bs, ref.pool, ref.pg, &id, &rep.length, &exists);
    if (req->status != 0)
        return;
    rep.exists = (uint8_t)exists;
    uint8_t buf[16];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof(buf));
    tn_proto_enc_blob_stat_rep(&w, &rep);
    req->status = osd_req_add_out(req, buf, (size_t)(w.p - buf));
}

void osd_op_blob_stat(osd_req_t *req)
{
    osd_req_submit(req, stat_run, osd_req_finish);
}

static void delete_run(osd_req_t *req, osd_wctx_t *ctx)
{
    (void)ctx;
    tn_blobref_t ref;
    if (tn_proto_dec_blobref(req->payload, req->hdr.payload_len, &ref) != 0) {
        req->status = TN_ERR_PROTO;
        return;
    }
    osd_blob_id_t id = blob_id_of(&ref);
    req->status = osd_bs_delete(req->srv->bs, ref.pool, ref.pg, &id);
}

static void delete_done(osd_req_t *req)
{
    if (req->status == 0)
        req->srv->nospc_until_ms = 0; /* space was freed */
    osd_req_finish(req);
}

void osd_op_blob_delete(osd_req_t *req)
{
    osd_req_submit(req, delete_run, delete_done);
}
