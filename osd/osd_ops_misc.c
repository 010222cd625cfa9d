/*
 * osd_ops_misc.c — this file implements the OSD's liveness and map ops (docs/PROTOCOL.md §5.1,
 * §5.2): PING and STATS answered on the loop, MAP_GET from memory, MAP_OFFER on a worker (it
 * persists an adopted map before the reply).
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "osd_srv_internal.h"
#include "tn_log.h"
#include "tn_wire.h"

void osd_op_ping(osd_req_t *req)
{
    osd_srv_t *srv = req->srv;
    tn_ping_req_t in;
    if (tn_proto_dec_ping_req(req->payload, req->hdr.payload_len, &in) != 0) {
        osd_req_reply_status(req, TN_ERR_PROTO);
        return;
    }
    osd_bs_stats_t bs;
    osd_idx_stats_t ix;
    osd_bs_stats(srv->bs, &bs);
    osd_idx_stats(srv->idx, &ix);
    uint64_t now = osd_wall_ms();
    tn_ping_rep_t rep = {.osd_id = srv->opts.osd_id,
                         .incarnation = srv->opts.incarnation,
                         .wall_ms = now,
                         .state = TN_PROTO_STATE_CLOCK_OK};
    if (osd_idx_is_healthy(srv->idx))
        rep.state |= TN_PROTO_STATE_INDEX_HEALTHY;
    if (!bs.fsync_failed && !ix.write_failed && now >= srv->nospc_until_ms)
        rep.state |= TN_PROTO_STATE_WRITABLE;
    uint8_t buf[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof(buf));
    tn_proto_enc_ping_rep(&w, &rep);
    osd_req_add_out(req, buf, (size_t)(w.p - buf));
    osd_req_finish(req);
}

static const char *op_stat_name(unsigned op)
{
    switch (op) {
    case TN_OP_PING: return "srv.req.ping";
    case TN_OP_STATS: return "srv.req.stats";
    case TN_OP_MAP_GET: return "srv.req.map_get";
    case TN_OP_MAP_OFFER: return "srv.req.map_offer";
    case TN_OP_BLOB_PUT_BEGIN: return "srv.req.blob_put_begin";
    case TN_OP_BLOB_PUT_DATA: return "srv.req.blob_put_data";
    case TN_OP_BLOB_PUT_END: return "srv.req.blob_put_end";
    case TN_OP_BLOB_GET: return "srv.req.blob_get";
    case TN_OP_BLOB_STAT: return "srv.req.blob_stat";
    case TN_OP_BLOB_DELETE: return "srv.req.blob_delete";
    case TN_OP_ROW_PUT: return "srv.req.row_put";
    case TN_OP_ROW_GET: return "srv.req.row_get";
    case TN_OP_ROW_LIST: return "srv.req.row_list";
    case TN_OP_ROW_DELETE: return "srv.req.row_delete";
    case TN_OP_PG_DIGEST: return "srv.req.pg_digest";
    case TN_OP_PG_ENUM: return "srv.req.pg_enum";
    case TN_OP_PG_PUSH: return "srv.req.pg_push";
    case TN_OP_KICK: return "srv.req.kick";
    default: return NULL;
    }
}

void osd_op_stats(osd_req_t *req)
{
    osd_srv_t *srv = req->srv;
    if (req->hdr.payload_len != 0) {
        osd_req_reply_status(req, TN_ERR_PROTO);
        return;
    }
    osd_bs_stats_t bs;
    osd_idx_stats_t ix;
    osd_bs_stats(srv->bs, &bs);
    osd_idx_stats(srv->idx, &ix);
    const osd_srv_counters_t *c = &srv->c;
    struct {
        const char *name;
        uint64_t v;
    } e[128];
    unsigned n = 0;
#define ADD(nm, val) (e[n].name = (nm), e[n].v = (uint64_t)(val), n++)
    ADD("blob.puts", bs.puts);
    ADD("blob.put_errors", bs.put_errors);
    ADD("blob.gets", bs.gets);
    ADD("blob.checksum_errors", bs.checksum_errors);
    ADD("blob.corrupt_errors", bs.corrupt_errors);
    ADD("blob.temp_removed", bs.temp_removed);
    ADD("blob.fsync_failed", bs.fsync_failed);
    ADD("idx.batches", ix.batches);
    ADD("idx.batched_reqs", ix.batched_reqs);
    ADD("idx.max_batch", ix.max_batch);
    ADD("idx.applied", ix.applied);
    ADD("idx.unchanged", ix.unchanged);
    ADD("idx.stale", ix.stale);
    ADD("idx.exist", ix.exist);
    ADD("idx.precondition", ix.precondition);
    ADD("idx.ignored", ix.ignored);
    ADD("idx.purged", ix.purged);
    ADD("idx.not_purged", ix.not_purged);
    ADD("idx.failed_reqs", ix.failed_reqs);
    ADD("idx.checksum_errors", ix.checksum_errors);
    ADD("idx.corrupt_errors", ix.corrupt_errors);
    ADD("idx.write_failed", ix.write_failed);
    ADD("idx.healthy", ix.healthy);
    ADD("map.epoch", osd_ms_epoch(srv->ms));
    ADD("srv.conns_open", c->conns_open);
    ADD("srv.conns_total", c->conns_total);
    ADD("srv.conns_bad_frame", c->conns_bad_frame);
    ADD("srv.requests", c->requests);
    ADD("srv.replies", c->replies);
    ADD("srv.errors", c->errors);
    ADD("srv.payload_crc_errors", c->payload_crc_errors);
    ADD("srv.clock_refused", c->clock_refused);
    ADD("srv.stale_epoch", c->stale_epoch);
    ADD("srv.not_admitted", c->not_admitted);
    ADD("map.admission", osd_ms_admission(srv->ms));
    ADD("srv.unsupported", c->unsupported);
    ADD("srv.bytes_in", c->bytes_in);
    ADD("srv.bytes_out", c->bytes_out);
    ADD("srv.blob_streams_aborted", c->blob_streams_aborted);
    ADD("srv.input_trims", c->input_trims);
    ADD("srv.blob_not_holder", c->blob_not_holder);
    ADD("srv.row_get_loop", c->row_get_loop);
    ADD("srv.row_get_loop_retried", c->row_get_loop_retried);
    ADD("srv.inflight", srv->inflight);
    if (srv->rec != NULL) {
        osd_rec_stats_t r;
        osd_rec_stats(srv->rec, &r);
        ADD("recovery.passes", r.passes);
        ADD("recovery.running", r.running);
        ADD("recovery.pass_pgs", r.pass_pgs);
        ADD("recovery.pass_done", r.pass_done);
        ADD("recovery.last_pass_ms", r.last_pass_ms);
        ADD("recovery.pgs_checked", r.pgs_checked);
        ADD("recovery.pgs_clean", r.pgs_clean);
        ADD("recovery.pgs_degraded", r.pgs_degraded);
        ADD("recovery.pgs_inconsistent", r.pgs_inconsistent);
        ADD("recovery.rows_pulled", r.rows_pulled);
        ADD("recovery.rows_pushed", r.rows_pushed);
        ADD("recovery.blobs_pulled", r.blobs_pulled);
        ADD("recovery.bytes", r.bytes);
        ADD("recovery.errors", r.errors);
        ADD("recovery.peers_up", r.peers_up);
        ADD("recovery.moves_completed", r.moves_completed);
        ADD("scrub.deep_passes", r.deep_passes);
        ADD("scrub.blobs_checked", r.scrub_blobs);
        ADD("scrub.rows_checked", r.scrub_rows);
        ADD("scrub.bytes", r.scrub_bytes);
        ADD("scrub.errors_found", r.scrub_errors);
        ADD("scrub.errors_repaired", r.scrub_repaired);
        ADD("disk.total_bytes", r.disk_total);
        ADD("disk.avail_bytes", r.disk_avail);
    }
    if (srv->gc != NULL) {
        osd_gc_stats_t g;
        osd_gc_stats(srv->gc, &g);
        ADD("gc.runs", g.runs);
        ADD("gc.running", g.running);
        ADD("gc.last_run_ms", g.last_run_ms);
        ADD("gc.intents_seen", g.intents_seen);
        ADD("gc.intents_live", g.intents_live);
        ADD("gc.intents_pending", g.intents_pending);
        ADD("gc.intents_waiting", g.intents_waiting);
        ADD("gc.intents_collected", g.intents_collected);
        ADD("gc.blobs_deleted", g.blobs_deleted);
        ADD("gc.bytes_reclaimed", g.bytes_reclaimed);
        ADD("gc.uploads_aborted", g.uploads_aborted);
        ADD("gc.tombstones_purged", g.tombstones_purged);
        ADD("gc.gone_purged", g.gone_purged);
        ADD("gc.dead_rows_buried", g.dead_rows_buried);
        ADD("gc.buckets_collected", g.buckets_collected);
        ADD("gc.errors", g.errors);
    }
    for (unsigned op = 0; op < OSD_NOPS && n < TN_ARRAY_SIZE(e); op++)
        if (op_stat_name(op) != NULL)
            ADD(op_stat_name(op), c->by_op[op]);
#undef ADD
    uint8_t buf[6144];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof(buf));
    tn_proto_enc_stats_rep_begin(&w, n);
    for (unsigned i = 0; i < n; i++)
        tn_proto_enc_stats_rep_entry(&w, e[i].name, e[i].v);
    if (w.err != 0) {
        osd_req_reply_status(req, w.err);
        return;
    }
    osd_req_add_out(req, buf, (size_t)(w.p - buf));
    osd_req_finish(req);
}

void osd_op_map_get(osd_req_t *req)
{
    tn_map_get_req_t in;
    if (tn_proto_dec_map_get_req(req->payload, req->hdr.payload_len, &in) != 0) {
        osd_req_reply_status(req, TN_ERR_PROTO);
        return;
    }
    uint8_t *map = NULL;
    size_t len = 0;
    int rc = osd_ms_get(req->srv->ms, in.epoch, &map, &len);
    if (rc != 0) {
        osd_req_reply_status(req, rc);
        return;
    }
    osd_out_t *o = osd_out_new(4 + len);
    if (o == NULL) {
        free(map);
        osd_req_reply_status(req, -ENOMEM);
        return;
    }
    tn_wire_w_t w;
    tn_wire_w_init(&w, osd_out_body(o), 4 + len);
    tn_map_get_rep_t rep = {.map = {(const char *)map, len}};
    tn_proto_enc_map_get_rep(&w, &rep);
    osd_out_finish(o, (size_t)(w.p - osd_out_body(o)));
    free(map);
    *req->outs_tail = o;
    req->outs_tail = &o->next;
    osd_req_finish(req);
}

static void map_offer_run(osd_req_t *req, osd_wctx_t *ctx)
{
    (void)ctx;
    tn_map_offer_req_t in;
    if (tn_proto_dec_map_offer_req(req->payload, req->hdr.payload_len, &in) != 0) {
        req->status = TN_ERR_PROTO;
        return;
    }
    tn_map_offer_rep_t rep = {0};
    int adopted = 0;
    int rc = osd_ms_offer(req->srv->ms, in.mode, in.base_epoch, (const uint8_t *)in.map.base,
                          in.map.len, &rep.epoch, &rep.hash, &adopted);
    req->status = rc;
    if (rc == 0 || rc == TN_ERR_STALE_EPOCH) {
        uint8_t buf[16];
        tn_wire_w_t w;
        tn_wire_w_init(&w, buf, sizeof(buf));
        tn_proto_enc_map_offer_rep(&w, &rep);
        if (osd_req_add_out(req, buf, sizeof(buf)) != 0)
            req->status = -ENOMEM;
    }
}

static void map_offer_done(osd_req_t *req)
{
    if (req->status == TN_ERR_STALE_EPOCH && req->outs != NULL) {
        /* CAS refused: the reply still carries the OSD's epoch and hash. */
        osd_out_t *o = req->outs;
        req->outs = NULL;
        req->outs_tail = &req->outs;
        osd_conn_send(req->conn, &req->hdr, o, TN_ERR_STALE_EPOCH, 0);
        osd_req_free(req);
        return;
    }
    osd_req_finish(req);
}

void osd_op_map_offer(osd_req_t *req)
{
    osd_req_submit(req, map_offer_run, map_offer_done);
}

void osd_op_kick(osd_req_t *req)
{
    osd_srv_t *srv = req->srv;
    if (req->hdr.payload_len != 1) {
        osd_req_reply_status(req, TN_ERR_PROTO);
        return;
    }
    uint8_t what = req->payload[0];
    if (what == TN_PROTO_KICK_SCRUB || what == TN_PROTO_KICK_DEEP) {
        if (srv->rec == NULL) {
            osd_req_reply_status(req, TN_ERR_UNSUPPORTED);
            return;
        }
        tn_log_info("msg=\"kick: %s scrub requested\"",
                    what == TN_PROTO_KICK_DEEP ? "deep" : "light");
        osd_rec_kick(srv->rec, what == TN_PROTO_KICK_DEEP);
    } else if (what == TN_PROTO_KICK_GC) {
        if (srv->gc == NULL) {
            osd_req_reply_status(req, TN_ERR_UNSUPPORTED);
            return;
        }
        tn_log_info("msg=\"kick: garbage collection requested\"");
        osd_gc_kick(srv->gc);
    } else {
        osd_req_reply_status(req, TN_ERR_PROTO);
        return;
    }
    osd_req_finish(req);
}
