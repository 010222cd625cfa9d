/*
 * osd_srv_internal.h — types shared by the server (osd_server.c) and the op handlers
 * (osd_ops_*.c); not for use outside osd/.
 *
 * Ownership: a request (osd_req_t) is created by the server for every frame it dispatches and
 * holds a reference to its connection; it owns a copy of the frame's payload. The handler
 * either answers on the spot (osd_req_reply*) and frees it, or hands it to a worker or the
 * index and answers from the completion. Replies to a connection that has closed are dropped.
 * Everything here runs on the loop thread except job->run (workers) and index callbacks.
 */
#ifndef OSD_SRV_INTERNAL_H
#define OSD_SRV_INTERNAL_H

#include <stdint.h>
#include <h2o/socket.h>
#include <h2o/socket/evloop.h>
#include <h2o/timeout.h>
#include "osd_holds.h"
#include "osd_server.h"
#include "osd_work.h"
#include "tn_frame.h"
#include "tn_hlc.h"
#include "tn_proto.h"

typedef struct st_osd_conn_t osd_conn_t;
typedef struct st_osd_stream_t osd_stream_t;

/* An outgoing frame: the 48-byte header (filled when queued) then the body. */
typedef struct st_osd_out_t {
    struct st_osd_out_t *next;
    void (*on_sent)(void *arg, int ok); /* after the socket took it (ok 1) or it was dropped */
    void *arg;
    size_t body_len;
    uint32_t body_crc;
    int pooled;      /* a blob-piece-sized buffer: osd_out_free may keep it for reuse */
    uint8_t bytes[]; /* TN_FRAME_HDR_SIZE + body capacity */
} osd_out_t;

#define OSD_NOPS 0x50 /* op numbers below this are counted per op */

typedef struct {
    uint64_t conns_total, conns_open, conns_bad_frame, conns_closed_busy;
    uint64_t requests, replies, errors, payload_crc_errors, clock_refused, stale_epoch;
    uint64_t not_admitted; /* data requests refused: incarnation not admitted (rule 4) */
    uint64_t unsupported, bytes_in, bytes_out, blob_streams_aborted;
    uint64_t input_trims;          /* kept input buffers freed after KEEP_INPUT_IDLE_MS unused */
    uint64_t blob_not_holder;      /* blob puts refused: PG not held under the current map */
    uint64_t row_get_loop;         /* ROW_GETs answered on the loop (osd_nowait.h) */
    uint64_t row_get_loop_retried; /* ... that would have waited: retried on a worker */
    uint64_t by_op[OSD_NOPS];
} osd_srv_counters_t;

struct st_osd_srv_t {
    h2o_evloop_t *loop;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t recv;
    osd_work_t *work;
    osd_bs_t *bs;
    osd_idx_t *idx;
    osd_mapstore_t *ms;
    osd_srv_opts_t opts;
    tn_hlc_t hlc;
    h2o_socket_t *listener;
    int sigpipe[2];
    h2o_socket_t *sigsock;
    int stopping;
    uint64_t stop_at_ms;
    uint64_t inflight;          /* requests not yet answered and freed */
    uint64_t nospc_until_ms;    /* a write failed with ENOSPC recently: not WRITABLE until then */
    osd_rec_t *rec;             /* repair, for STATS (may be NULL) */
    osd_gc_t *gc;               /* garbage collector, for STATS and KICK (may be NULL) */
    osd_holds_t *holds;         /* PGs held under the current map (blob puts, osd_holds.h) */
    osd_idx_reader_t *loop_rd;  /* the loop's reader through "tern-nowait" (NULL: none) */
    h2o_timeout_t t_zero;       /* next loop turn: resumed connections process their input */
    h2o_timeout_t t_input_idle; /* connections' kept input buffers (osd_server.c) */
    osd_srv_counters_t c;
    struct tn_admin *admin; /* the admin HTTP port (NULL: none) */
};

/* Renders the OSD's metrics (osd_metrics.c; a tn_admin_render_cb, data = the osd_srv_t). */
void osd_metrics_render(void *data, tn_mbuf_t *b);

typedef struct st_osd_req_t osd_req_t;
struct st_osd_req_t {
    osd_job_t job; /* for workers and index completions */
    osd_srv_t *srv;
    osd_conn_t *conn; /* a reference */
    tn_frame_hdr_t hdr;
    uint8_t *payload; /* malloc'd copy, hdr.payload_len bytes (NULL when empty) */
    int status;       /* result of run(), for done() */
    osd_out_t *outs;  /* reply frames built by run(), sent in order by done() */
    osd_out_t **outs_tail;
    void *op;                                      /* op-specific state, owned by the handler */
    osd_req_t *link;                               /* for a handler's queues (blob streams) */
    void (*run_)(osd_req_t *req, osd_wctx_t *ctx); /* private: osd_req_submit */
    void (*done_)(osd_req_t *req);
};

/* ---- server services for handlers (loop thread unless said) ---- */
uint64_t osd_wall_ms(void);
/* A new outgoing frame with room for body_cap body bytes; NULL on ENOMEM. Any thread. */
osd_out_t *osd_out_new(size_t body_cap);
/* Frees o (any thread); up to a few blob-piece-sized ones are kept for the next replies. */
void osd_out_free(osd_out_t *o);
static inline uint8_t *osd_out_body(osd_out_t *o)
{
    return o->bytes + TN_FRAME_HDR_SIZE;
}
/* Sets the body length and its CRC. Any thread. */
void osd_out_finish(osd_out_t *o, size_t body_len);
/* Queues o as a reply to hdr with status (0 = OK) and flags (TN_FRAME_F_MORE or 0). */
void osd_conn_send(osd_conn_t *c, const tn_frame_hdr_t *hdr, osd_out_t *o, int err, uint8_t flags);
/* Replies with an empty body and the status of err (0 = OK). */
void osd_conn_reply_status(osd_conn_t *c, const tn_frame_hdr_t *hdr, int err);
/* Appends a reply frame to req->outs (worker side); the body is copied. 0 or -ENOMEM. */
int osd_req_add_out(osd_req_t *req, const void *body, size_t len);
/* Sends req->outs (MORE on all but the last), or an error reply when req->status < 0, then
 * frees req. */
void osd_req_finish(osd_req_t *req);
/* Replies with err (empty body) and frees req. */
void osd_req_reply_status(osd_req_t *req, int err);
/* Frees req (payload, outs, conn reference) without replying. */
void osd_req_free(osd_req_t *req);
/* Submits req to a worker: run on the worker, then done on the loop. */
void osd_req_submit(osd_req_t *req, void (*run)(osd_req_t *req, osd_wctx_t *ctx),
                    void (*done)(osd_req_t *req));
/* The request's op from its embedded job. */
static inline osd_req_t *osd_req_of_job(osd_job_t *job)
{
    return (osd_req_t *)job;
}
/* Records the outcome of a write for the WRITABLE state bit. */
void osd_srv_note_write(osd_srv_t *srv, int err);
/* 1 if the connection is closed (replies would be dropped). */
int osd_conn_closed(const osd_conn_t *c);
/* Counts queued blob data of a connection (may stop/resume reading). delta may be negative. */
void osd_conn_add_queued(osd_conn_t *c, int64_t delta);
/* Stream bookkeeping of a connection (osd_ops_blob.c owns the streams). */
osd_stream_t **osd_conn_streams(osd_conn_t *c);
void osd_conn_ref(osd_conn_t *c);
void osd_conn_unref(osd_conn_t *c);

/* ---- handlers (osd_ops_*.c) ---- */
void osd_op_ping(osd_req_t *req);
void osd_op_stats(osd_req_t *req);
void osd_op_kick(osd_req_t *req);
void osd_op_map_get(osd_req_t *req);
void osd_op_map_offer(osd_req_t *req);
/* Blob stream frames. payload_err is the result of the payload CRC check / HLC fold (0 or an
 * error to fail the stream with). */
void osd_op_blob_stream_frame(osd_req_t *req, int early_err);
void osd_op_blob_get(osd_req_t *req);
void osd_op_blob_stat(osd_req_t *req);
void osd_op_blob_delete(osd_req_t *req);
void osd_op_row_put(osd_req_t *req);
void osd_op_row_get(osd_req_t *req);
void osd_op_row_list(osd_req_t *req);
void osd_op_row_delete(osd_req_t *req);
void osd_op_pg_digest(osd_req_t *req);
void osd_op_pg_enum(osd_req_t *req);
void osd_op_pg_push(osd_req_t *req);
/* Aborts every stream of a closing connection. */
void osd_blob_streams_abort(osd_conn_t *c);

#endif
