/*
 * tn_osdc.h — the asynchronous OSD client: speaks the binary protocol of docs/PROTOCOL.md to
 * many OSDs from one h2o 2.2.5 event loop (the gateway has one client per loop thread; ternctl
 * and tests use the synchronous wrapper in tn_osdc_sync.h). docs/PROTOCOL.md §9 describes it
 * for users; this header is the contract.
 *
 * Model
 *   - One TCP connection per OSD (TCP_NODELAY), opened lazily by the first call, reused by every
 *     later call, many requests in flight on it, replies matched by request id in any order.
 *   - Threads: none. A client belongs to its loop's thread; every function, and every callback,
 *     runs on that thread. Nothing here is thread-safe (the tn_hlc_t passed in is, by itself).
 *   - Calls are asynchronous: tn_osdc_call() (and every typed helper) returns 0 when the request
 *     was accepted, and then its callback runs exactly once with the final outcome (plus once per
 *     earlier frame of a multi-frame reply, see below), never from inside the call itself. A
 *     negative return means the request was refused up front and the callback will never run:
 *       -ENOENT        no address set for that OSD id
 *       -ECONNREFUSED  the OSD is in connect back-off (fast failure, see below)
 *       -EAGAIN        max_inflight requests already in flight on that connection
 *       -ENOMEM        out of memory
 *       TN_ERR_TOO_BIG a body over the frame limit
 *       -EINVAL        bad argument (a NULL callback, a bad mode)
 *       -ESHUTDOWN     called from a callback run by tn_osdc_destroy
 *   - The callback's err: 0; a local error TN_ERR_* / -errno converted from the reply's wire
 *     status (tn_frame_status_to_err); or a transport outcome:
 *       -ECONNREFUSED  the connection could not be established
 *       -ECONNRESET    the connection was lost (or reset, see tn_osdc_cancel) with the request
 *                      in flight; every request on it fails this way, exactly once each
 *       TN_ERR_TIMEOUT no reply within request_timeout_ms (ack_timeout_ms for a written write,
 *                      see Timers), or the connect timed out
 *       TN_ERR_PROTO   the reply violated the protocol: a malformed header closes the
 *                      connection and fails every request on it with TN_ERR_PROTO; a malformed
 *                      body fails that request only
 *       TN_ERR_CHECKSUM the reply's payload CRC did not match (that request only)
 *       TN_ERR_CLOCK   the reply's HLC is more than max_ahead_ms ahead of the local wall clock
 *       -ECANCELED     the client was destroyed with the request in flight
 *
 * Epochs (PROTOCOL.md §3). Every frame carries the epoch set with tn_osdc_set_epoch(). A reply
 * with status STALE_EPOCH reaches the callback as TN_ERR_STALE_EPOCH with the OSD's epoch in
 * rep->epoch: if it is newer, fetch the map (MAP_GET) and retry; if older, offer yours
 * (MAP_OFFER) and retry. The library never retries anything by itself.
 *
 * Clock. With opts.hlc set, every frame is stamped with tn_hlc_now() and every reply's HLC is
 * folded in with tn_hlc_update(max_ahead_ms); a reply too far ahead fails its request with
 * TN_ERR_CLOCK (the clock is left unchanged).
 *
 * Fast failure. A failed connect (refused, unreachable, or connect_timeout_ms passed) puts the
 * OSD in back-off: for backoff_ms (doubling on every consecutive failure up to backoff_max_ms,
 * reset by a successful connect) calls to it return -ECONNREFUSED at once, without touching the
 * network. After the back-off, the next call tries to connect again. Losing an established
 * connection does not start a back-off: the next call reconnects at once.
 *
 * Memory rules (who owns what, until when)
 *   - A request's callback and arg must stay valid until its final callback, or until
 *     tn_osdc_cancel() returns.
 *   - Request bodies up to TN_OSDC_INLINE bytes (tn_osdc_call) and the encoded fields of typed
 *     requests are copied into the request: the caller's buffers may be reused as soon as the
 *     call returns. Typed helpers whose encoded body exceeds TN_OSDC_INLINE and has no
 *     zero-copy form (long keys or cursors in ROW_GET/ROW_LIST/ROW_DELETE/PG_ENUM, PG_PUSH)
 *     encode it into one heap buffer that the request owns and frees.
 *   - Zero copy: a tn_osdc_call payload over TN_OSDC_INLINE bytes, the row of ROW_PUT, the map
 *     of MAP_OFFER and the data of BLOB_PUT are sent straight from the caller's memory, which
 *     must stay valid and unchanged until the request's final callback, or until
 *     tn_osdc_cancel() returns. The library guarantees that when the final callback runs (or
 *     cancel returns) it no longer references that memory: an early error reply to a put that
 *     arrives while one of its data pieces is still being written is held back until that
 *     write has finished; a reply to any other request proves the OSD has read the whole
 *     request (an OSD that answers before reading all of a request breaks this assumption).
 *   - A reply's payload (rep->payload, and every slice or iterator a typed callback gets) points
 *     into the connection's input buffer and is valid only during the callback. Large replies
 *     are delivered frame by frame (at most one frame is buffered), never accumulated.
 *   - Request structs come from a per-client free list; the write queue is a list threaded
 *     through them. Apart from those and the heap bodies above, a request allocates nothing.
 *
 * Process requirements (h2o 2.2.5)
 *   - SIGPIPE must be ignored: h2o writes with writev(2), so a write to a connection the OSD
 *     has closed raises SIGPIPE (tn_osdc_sync_create ignores it if it is at its default).
 *   - h2o's timers count from the loop's cached clock, refreshed when the loop runs. Calls made
 *     from loop callbacks (the gateway) are fine; after a pause outside the loop, run
 *     h2o_evloop_run(loop, 0) once before calling, or timers and back-off start in the past.
 *
 * Multi-frame replies (BLOB_GET, ROW_LIST): the callback runs once per reply frame with
 * rep->more = 1 while more frames will follow; the call with rep->more = 0 is the final one. An
 * error ends the request whatever the flags say (later frames of it are dropped).
 *
 * Timers. request_timeout_ms runs from the call; each reply frame of a multi-frame reply and each
 * written piece of a streamed put restart it (so it bounds inactivity, not the total duration
 * of a long transfer). A request that times out while its own bytes are still in the socket's
 * write (a stuck connection) resets the connection. A write whose answer waits for the OSD's
 * commit or fsync (ROW_PUT, ROW_DELETE, BLOB_DELETE, PG_PUSH once written; a streamed put once
 * its END is written) waits ack_timeout_ms instead: an fsync on a busy disk can take seconds,
 * and failing a write that is merely slow turns a slow disk into failed PUTs (measured: 1 GiB
 * PUTs failing at quorum with 2 s on a loaded machine), while a hung OSD still shows up
 * quickly wherever it matters (stuck writes, reads, connects). A timer that expires while the
 * OSD is busy rather than hung (it took bytes of ours or answered a request on the connection
 * within the last request_timeout_ms, after the request's own last frame) is re-armed instead:
 * the request waits behind the OSD's
 * other work, up to TN_OSDC_BUSY_FACTOR x ack_timeout_ms from the call in all (measured: 32 MiB
 * PUTs at 64 clients failing with 503 because a bucket lookup or a 4 MiB chunk queued behind
 * other chunks on a connection the OSD was draining at disk speed). Callers bound how much
 * they queue per OSD (the gateway: GW_CL_PUT_ACTIVE puts per OSD and thread), so this wait is
 * back-pressure, not an unbounded queue. The hedge timer (tn_osdc_hedge) only
 * notifies: the request goes on.
 */
#ifndef TN_OSDC_H
#define TN_OSDC_H

#include <stddef.h>
#include <stdint.h>
#include <h2o/socket.h>
#include "tern.h"
#include "tn_frame.h"
#include "tn_hlc.h"
#include "tn_proto.h"

/* Bodies up to this size are copied into the request. */
#define TN_OSDC_INLINE 128
/* A streamed put sends DATA pieces of at most this many bytes. */
#define TN_OSDC_PUT_PIECE   (1u << 20)
#define TN_OSDC_BUSY_FACTOR 3 /* a busy OSD's requests wait at most 3 x ack_timeout_ms */

typedef struct st_tn_osdc_t tn_osdc_t;
typedef struct st_tn_osdc_req_t tn_osdc_req_t;

typedef struct {
    uint32_t connect_timeout_ms; /* default 500 */
    uint32_t request_timeout_ms; /* default 2000 */
    uint32_t ack_timeout_ms;     /* writes, once fully written; default 10000 (>= request) */
    uint32_t hedge_ms;           /* tn_osdc_hedge's delay; 0 = default 50 */
    uint32_t max_inflight;       /* per connection; default 1024 */
    uint32_t backoff_ms;         /* first back-off after a failed connect; default 200 */
    uint32_t backoff_max_ms;     /* default 2000 */
    size_t max_payload;          /* reply payload limit; default TN_FRAME_MAX_PAYLOAD */
    tn_hlc_t *hlc;               /* may be NULL: frames carry HLC 0 and replies are not folded */
    uint64_t max_ahead_ms;       /* HLC bound; default 5000 */
    uint64_t epoch;              /* initial map epoch (tn_osdc_set_epoch changes it) */
    /* Wall clock in ms since the Unix epoch; NULL = clock_gettime(CLOCK_REALTIME). For tests. */
    uint64_t (*wall_ms)(void *ctx);
    void *wall_ctx;
} tn_osdc_opts_t;

/* What a callback learns about a reply frame. Everything is valid during the callback only. */
typedef struct {
    uint16_t op;     /* the reply's op (a put's reply repeats BEGIN, DATA or END) */
    uint16_t status; /* wire status (tn_frame_status_t); 0 for transport errors */
    uint8_t flags;   /* TN_FRAME_F_* of the reply header */
    int more;        /* 1: more frames of this reply will follow (not final) */
    int has_hdr;     /* 0 for transport outcomes (no reply header: fields below are 0) */
    uint64_t epoch;  /* the OSD's map epoch */
    uint64_t hlc;    /* the OSD's HLC */
    int32_t osd_id;
    tn_slice_t payload; /* reply body (empty for transport outcomes) */
} tn_osdc_reply_t;

typedef void (*tn_osdc_cb)(void *arg, int err, const tn_osdc_reply_t *rep);
typedef void (*tn_osdc_hedge_cb)(void *arg, tn_osdc_req_t *req);

typedef struct {
    uint64_t requests;        /* accepted requests */
    uint64_t completed_ok;    /* final callbacks with err 0 */
    uint64_t fail_status;     /* final callbacks with an error status from the OSD */
    uint64_t fail_conn;       /* -ECONNREFUSED / -ECONNRESET outcomes */
    uint64_t fail_timeout;    /* TN_ERR_TIMEOUT outcomes */
    uint64_t fail_proto;      /* TN_ERR_PROTO outcomes (bad header or body) */
    uint64_t fail_checksum;   /* TN_ERR_CHECKSUM from a bad payload CRC */
    uint64_t fail_clock;      /* TN_ERR_CLOCK */
    uint64_t fast_fail;       /* calls refused with -ECONNREFUSED during back-off */
    uint64_t cancelled;       /* tn_osdc_cancel() of a live request */
    uint64_t cancel_resets;   /* cancels/timeouts that had to reset a connection mid-write */
    uint64_t busy_waits;      /* timer expiries re-armed: the OSD was busy, not hung */
    uint64_t unknown_replies; /* replies for no request in flight (dropped) */
    uint64_t held_replies;    /* put early errors held until a data write drained */
    uint64_t connects;        /* connections established */
    uint64_t connect_fails;   /* connects that failed */
    uint64_t reconnects;      /* connects after an earlier connection to the same OSD */
    uint64_t bytes_out;       /* frame bytes handed to sockets */
    uint64_t bytes_in;        /* frame bytes received */
    uint64_t frames_out, frames_in;
    uint64_t
        input_trims; /* kept input buffers freed after KEEP_INPUT_IDLE_MS with nothing in flight */
} tn_osdc_stats_t;

/* Fills opts with the defaults above. */
void tn_osdc_opts_default(tn_osdc_opts_t *opts);

/* A client on loop (opts NULL = defaults). NULL on allocation failure. */
tn_osdc_t *tn_osdc_create(h2o_evloop_t *loop, const tn_osdc_opts_t *opts);
/* Closes every connection and fails every request still in flight with -ECANCELED (callbacks
 * run inside this call). Not from inside one of this client's callbacks. */
void tn_osdc_destroy(tn_osdc_t *c);

/*
 * Sets or changes an OSD's address: "1.2.3.4:7000", "[::1]:7000" or "host.name:7000". A
 * hostname is resolved here, synchronously, with getaddrinfo (first result; AF_UNSPEC) — call
 * this at start-up or map-change time, not on a hot path. A changed address closes the old
 * connection (its requests fail with -ECONNRESET) and clears the back-off; setting the same
 * address again changes nothing. Returns 0, -EINVAL (unparsable), -EHOSTUNREACH (no such
 * host) or -ENOMEM. May be called from callbacks.
 */
int tn_osdc_set_osd(tn_osdc_t *c, int32_t osd_id, const char *host_port);
/* The map epoch sent in every later frame. */
void tn_osdc_set_epoch(tn_osdc_t *c, uint64_t epoch);
uint64_t tn_osdc_epoch(const tn_osdc_t *c);
void tn_osdc_stats(const tn_osdc_t *c, tn_osdc_stats_t *out);
/* Requests in flight on one OSD's connection (queued, writing or awaiting a reply). */
uint32_t tn_osdc_inflight(const tn_osdc_t *c, int32_t osd_id);

/*
 * The generic call: sends op with payload (len bytes; see the memory rules) to osd_id. handle
 * (may be NULL) receives the request for tn_osdc_cancel / tn_osdc_hedge; it is valid until the
 * final callback starts or until cancel returns.
 */
int tn_osdc_call(tn_osdc_t *c, int32_t osd_id, uint16_t op, const void *payload, size_t len,
                 tn_osdc_cb cb, void *arg, tn_osdc_req_t **handle);

/* The callback will not be called any more. A reply that comes later is dropped quietly.
 * If the request's zero-copy bytes are being written at that moment, the connection is reset
 * (its other requests fail with -ECONNRESET), because a write cannot be taken back in h2o.
 * A streamed put that has started is ended with an END frame the OSD refuses, so its temp
 * file goes away. */
void tn_osdc_cancel(tn_osdc_req_t *req);

/* "Tell me if no reply after hedge_ms": cb(arg, req) runs once, hedge_ms after this call, if
 * the request has not finished by then; the request continues either way (the gateway may then
 * ask another replica and cancel the loser). */
void tn_osdc_hedge(tn_osdc_req_t *req, tn_osdc_hedge_cb cb, void *arg);

/* ---- typed helpers (PROTOCOL.md §5). Each returns what tn_osdc_call returns. ----
 * Typed callbacks get (arg, err, rep, decoded): decoded is non-NULL when err is 0 (and for the
 * error replies that carry a body: ROW_PUT STALE_TS, EXIST and PRECONDITION, MAP_OFFER
 * STALE_EPOCH), NULL otherwise.
 * A body that does not decode exactly fails the request with TN_ERR_PROTO. */

typedef void (*tn_osdc_ping_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                const tn_ping_rep_t *ping);
int tn_osdc_ping(tn_osdc_t *c, int32_t osd, tn_osdc_ping_cb cb, void *arg, tn_osdc_req_t **h);

/* STATS: iterate entries with tn_proto_next_stat(it, ...). */
typedef void (*tn_osdc_iter_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                tn_proto_iter_t *it);
int tn_osdc_stats_get(tn_osdc_t *c, int32_t osd, tn_osdc_iter_cb cb, void *arg, tn_osdc_req_t **h);

typedef void (*tn_osdc_map_get_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                   const tn_map_get_rep_t *m);
int tn_osdc_map_get(tn_osdc_t *c, int32_t osd, uint64_t epoch, tn_osdc_map_get_cb cb, void *arg,
                    tn_osdc_req_t **h);
typedef void (*tn_osdc_map_offer_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                     const tn_map_offer_rep_t *m);
/* m->map is sent zero-copy. */
int tn_osdc_map_offer(tn_osdc_t *c, int32_t osd, const tn_map_offer_req_t *m,
                      tn_osdc_map_offer_cb cb, void *arg, tn_osdc_req_t **h);

/* Streamed put (PROTOCOL.md §4): BEGIN, DATA pieces of <= TN_OSDC_PUT_PIECE bytes taken from
 * data (valid until the final callback), END with the CRC32C of the whole blob. The callback
 * runs once: when the OSD answered END (0: durable) or sent an early error. A stream that ends
 * early (early error, timeout) is still closed with an END carrying a wrong CRC, sent from
 * inline memory after the callback, so the OSD can forget it. */
int tn_osdc_blob_put(tn_osdc_t *c, int32_t osd, const tn_blobref_t *ref, const void *data,
                     uint64_t len, tn_osdc_cb cb, void *arg, tn_osdc_req_t **h);
/* Per reply frame: g->data is the piece at g->offset (rep->more says whether more follow). */
typedef void (*tn_osdc_blob_get_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                    const tn_blob_get_rep_t *g);
int tn_osdc_blob_get(tn_osdc_t *c, int32_t osd, const tn_blob_get_req_t *m, tn_osdc_blob_get_cb cb,
                     void *arg, tn_osdc_req_t **h);
typedef void (*tn_osdc_blob_stat_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                     const tn_blob_stat_rep_t *st);
int tn_osdc_blob_stat(tn_osdc_t *c, int32_t osd, const tn_blobref_t *ref, tn_osdc_blob_stat_cb cb,
                      void *arg, tn_osdc_req_t **h);
/* BLOB_DELETE: empty reply; the plain callback. */
int tn_osdc_blob_delete(tn_osdc_t *c, int32_t osd, const tn_blobref_t *ref, tn_osdc_cb cb,
                        void *arg, tn_osdc_req_t **h);

/* ROW_PUT (row sent zero-copy), mode TN_PROTO_ROW_PUT, _MERGE or _CREATE (IF_VERSION: use
 * tn_osdc_row_put_if; here it is -EINVAL). With err TN_ERR_STALE_TS or (CREATE) -EEXIST,
 * r->has_stored is 1 and r->stored is the OSD's stored version. ROW_DELETE's result comes the
 * same way (r->result). */
typedef void (*tn_osdc_row_put_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                   const tn_row_put_rep_t *r);
int tn_osdc_row_put(tn_osdc_t *c, int32_t osd, uint8_t mode, const void *row, size_t rowlen,
                    tn_osdc_row_put_cb cb, void *arg, tn_osdc_req_t **h);
/* ROW_PUT mode IF_VERSION: store row iff the OSD holds exactly *expect. The body (row and
 * expected version) is copied into the request, row need not outlive the call. With err
 * TN_ERR_PRECONDITION, r is non-NULL and r->has_stored says whether a row is stored
 * (r->stored); with TN_ERR_STALE_TS r->stored is the stored version. */
int tn_osdc_row_put_if(tn_osdc_t *c, int32_t osd, const void *row, size_t rowlen,
                       const tn_proto_ver_t *expect, tn_osdc_row_put_cb cb, void *arg,
                       tn_osdc_req_t **h);
typedef void (*tn_osdc_row_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                               const tn_slice_t *row);
int tn_osdc_row_get(tn_osdc_t *c, int32_t osd, const tn_row_get_req_t *m, tn_osdc_row_cb cb,
                    void *arg, tn_osdc_req_t **h);
/* ROW_LIST, per reply frame: *more_rows is the frame's "more" byte (meaningful in the final
 * frame); iterate it with tn_proto_next_row (m->flags has WITH_INLINE) or
 * tn_proto_next_row_entry (it does not). */
typedef void (*tn_osdc_row_list_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                    uint8_t more_rows, uint32_t n, tn_proto_iter_t *it);
int tn_osdc_row_list(tn_osdc_t *c, int32_t osd, const tn_row_list_req_t *m, tn_osdc_row_list_cb cb,
                     void *arg, tn_osdc_req_t **h);
int tn_osdc_row_delete(tn_osdc_t *c, int32_t osd, const tn_row_delete_req_t *m,
                       tn_osdc_row_put_cb cb, void *arg, tn_osdc_req_t **h);

typedef void (*tn_osdc_pg_digest_cb)(void *arg, int err, const tn_osdc_reply_t *rep,
                                     const tn_pg_digest_rep_t *d);
/* cutoff: tn_pg_req_t's (0 = every row). */
int tn_osdc_pg_digest(tn_osdc_t *c, int32_t osd, uint32_t pool, uint32_t pg, uint64_t cutoff,
                      tn_osdc_pg_digest_cb cb, void *arg, tn_osdc_req_t **h);
/* PG_ENUM: iterate with tn_proto_next_row (rows) or tn_proto_next_blob_item (blobs). */
typedef void (*tn_osdc_pg_enum_cb)(void *arg, int err, const tn_osdc_reply_t *rep, uint8_t more,
                                   tn_slice_t cursor, uint32_t n, tn_proto_iter_t *it);
int tn_osdc_pg_enum(tn_osdc_t *c, int32_t osd, const tn_pg_enum_req_t *m, tn_osdc_pg_enum_cb cb,
                    void *arg, tn_osdc_req_t **h);
/* PG_PUSH of n rows (canonical encodings); the body is encoded into a heap buffer. */
typedef void (*tn_osdc_pg_push_cb)(void *arg, int err, const tn_osdc_reply_t *rep, uint32_t applied,
                                   uint32_t ignored);
int tn_osdc_pg_push(tn_osdc_t *c, int32_t osd, const tn_slice_t *rows, uint32_t n,
                    tn_osdc_pg_push_cb cb, void *arg, tn_osdc_req_t **h);

#endif
