/*
 * tn_osdc.c — the asynchronous OSD client (contract in tn_osdc.h, protocol in docs/PROTOCOL.md).
 *
 * Structure. A client holds one conn_t per OSD id (sorted array, binary search). A conn holds
 * the h2o socket, a hash table of its requests by id (every accepted request is in it until
 * its final outcome), and a write queue: the requests that still have a frame to send,
 * threaded through the requests themselves. flush() takes the head requests' next frames (one
 * frame per request per write, so a streamed put's pieces interleave with other requests),
 * builds one iovec array (header and inline body from the request struct, bulk data straight
 * from the caller's memory) and issues the single outstanding h2o_socket_write (h2o 2.2.5
 * asserts that no write is pending when another starts). When it completes, a put advances to
 * its next piece and goes back to the tail of the queue.
 *
 * Lifetimes. A request is freed (returned to the free list) once its final outcome is known
 * and h2o no longer references it: if its frame is still part of the outstanding write, the
 * struct stays ("dead") until on_write. A put's early error reply that arrives while one of its
 * data pieces (caller memory) is still being written is "held" and delivered from on_write,
 * so the caller never frees memory h2o is still sending from. On connection failure every
 * request of the conn is detached into a list and failed from there; failures decided inside
 * an API call (cancel, set_osd) are delivered from a zero-delay timer instead, so callbacks
 * never run inside those calls.
 *
 * Reading. on_read takes ownership of the socket's input buffer for the duration of the
 * callback (leaving h2o an empty one), so a callback that closes the connection cannot free
 * the bytes a reply payload points into.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <h2o/socket.h>
#include <h2o/timeout.h>
#include "tn_crc.h"
#include "tn_log.h"
#include "tn_osdc.h"
#include "tn_wire.h"

#define BATCH_MAX   32
#define FLUSH_BYTES (1u << 20)
#define FREE_KEEP   256
/* largest emptied input buffer a connection keeps (a GET piece's: 1 MiB + framing), and how
 * long it keeps one with nothing in flight */
#define KEEP_INPUT_MAX     ((size_t)4 << 20)
#define KEEP_INPUT_IDLE_MS 1000

/* Input buffers of OSD connections never spill to an mmap'd temp file: replies are bounded by
 * max_payload (a GET piece is 1 MiB), while the process-wide threshold
 * (h2o_socket_buffer_mmap_settings) may be set low by the gateway so that request bodies spill
 * early (gw_server.c). Per thread, like h2o's own prototype (its recycling allocator is not
 * thread-safe). */
static _Thread_local h2o_buffer_prototype_t reply_proto = {
    .allocator = {.max = 16},
    ._initial_buf = {.capacity = H2O_SOCKET_INITIAL_INPUT_BUFFER_SIZE * 2},
    .mmap_settings = NULL};

enum { K_SIMPLE = 0, K_PUT = 1 };
/* Next frame to send. */
enum { PH_BEGIN = 0, PH_DATA, PH_END, PH_WAIT };
enum { ST_IDLE = 0, ST_CONNECTING, ST_UP };

typedef struct st_conn_t conn_t;
typedef int (*adapter_fn)(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep);

struct st_tn_osdc_req_t {
    tn_osdc_t *c;
    conn_t *conn;
    tn_osdc_req_t *hnext; /* hash chain */
    tn_osdc_req_t *wnext; /* write queue, free list or failure list */
    uint64_t id;
    uint16_t op;
    uint8_t kind, phase;
    uint8_t in_table, in_wq, in_write, write_bulk;
    uint8_t cancelled, dead, held, detached, put_abort, timed_out, orphan;
    int fail_err; /* detached or held: the outcome to deliver */
    tn_osdc_reply_t held_rep;
    tn_osdc_cb cb;
    adapter_fn adapt;
    void (*ucb)(void);
    void *arg;
    h2o_timeout_entry_t tmo, hedge;
    tn_osdc_hedge_cb hedge_cb;
    void *hedge_arg;
    /* body: prefix (inline or heap) then bulk (caller memory) */
    uint8_t hdr[TN_FRAME_HDR_SIZE];
    uint8_t small[TN_OSDC_INLINE];
    size_t small_len;
    uint8_t *heap;
    size_t heap_len;
    const uint8_t *bulk;
    size_t bulk_len;
    /* streamed put */
    tn_blobref_t ref;
    const uint8_t *data;
    uint64_t data_len, off;
    uint32_t crc;
    size_t piece;
    uint64_t start_ms; /* submitted (loop time): bounds waiting on a busy OSD */
    uint64_t wrote_ms; /* a frame of it was last written (loop time) */
};

struct st_conn_t {
    tn_osdc_t *c;
    int32_t osd_id;
    char *addr_str;
    struct sockaddr_storage sa;
    socklen_t salen;
    h2o_socket_t *sock;
    int state;
    int ever_connected;
    uint64_t backoff_until;
    uint32_t backoff_ms;
    h2o_timeout_entry_t ctmo;
    h2o_timeout_entry_t idle; /* frees a kept input buffer (KEEP_INPUT_IDLE_MS) */
    tn_osdc_req_t **buckets;
    uint32_t mask;
    uint32_t inflight;
    tn_osdc_req_t *wq_head, *wq_tail;
    uint64_t progress_ms; /* last time the OSD took bytes of ours or answered (loop time) */
    int writing;
    size_t nbatch;
    tn_osdc_req_t *batch[BATCH_MAX];
    h2o_iovec_t iov[BATCH_MAX * 3];
};

struct st_tn_osdc_t {
    h2o_evloop_t *loop;
    tn_osdc_opts_t o;
    uint64_t epoch;
    uint64_t next_id;
    conn_t **conns;
    size_t nconns, capconns;
    tn_osdc_req_t *free;
    size_t nfree;
    tn_osdc_req_t *deferred, *deferred_tail;
    h2o_timeout_t t_req, t_ack, t_conn, t_hedge, t_zero, t_idle;
    h2o_timeout_entry_t zero_entry, kick_entry;
    tn_osdc_stats_t st;
    int destroying;
};

/* ---------- small helpers ---------- */

static uint64_t wall_now(tn_osdc_t *c)
{
    if (c->o.wall_ms != NULL)
        return c->o.wall_ms(c->o.wall_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void unlink_timer(h2o_timeout_entry_t *e)
{
    if (h2o_timeout_is_linked(e))
        h2o_timeout_unlink(e);
}

void tn_osdc_opts_default(tn_osdc_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->connect_timeout_ms = 500;
    o->request_timeout_ms = 2000;
    o->ack_timeout_ms = 10000;
    o->hedge_ms = 50;
    o->max_inflight = 1024;
    o->backoff_ms = 200;
    o->backoff_max_ms = 2000;
    o->max_payload = TN_FRAME_MAX_PAYLOAD;
    o->max_ahead_ms = 5000;
}

static conn_t *find_conn(const tn_osdc_t *c, int32_t osd_id, size_t *pos)
{
    size_t lo = 0, hi = c->nconns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->conns[mid]->osd_id < osd_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos != NULL)
        *pos = lo;
    return (lo < c->nconns && c->conns[lo]->osd_id == osd_id) ? c->conns[lo] : NULL;
}

/* ---------- request table and write queue ---------- */

static void table_insert(conn_t *cn, tn_osdc_req_t *r)
{
    tn_osdc_req_t **b = &cn->buckets[r->id & cn->mask];
    r->hnext = *b;
    *b = r;
    r->in_table = 1;
    cn->inflight++;
}

static void table_remove(tn_osdc_req_t *r)
{
    if (!r->in_table)
        return;
    conn_t *cn = r->conn;
    tn_osdc_req_t **p = &cn->buckets[r->id & cn->mask];
    while (*p != r)
        p = &(*p)->hnext;
    *p = r->hnext;
    r->hnext = NULL;
    r->in_table = 0;
    cn->inflight--;
}

static tn_osdc_req_t *table_find(conn_t *cn, uint64_t id)
{
    tn_osdc_req_t *r = cn->buckets[id & cn->mask];
    while (r != NULL && r->id != id)
        r = r->hnext;
    return r;
}

static void wq_push(conn_t *cn, tn_osdc_req_t *r)
{
    r->wnext = NULL;
    if (cn->wq_tail != NULL)
        cn->wq_tail->wnext = r;
    else
        cn->wq_head = r;
    cn->wq_tail = r;
    r->in_wq = 1;
}

static void wq_remove(tn_osdc_req_t *r)
{
    if (!r->in_wq)
        return;
    conn_t *cn = r->conn;
    tn_osdc_req_t **p = &cn->wq_head, *prev = NULL;
    while (*p != r) {
        prev = *p;
        p = &(*p)->wnext;
    }
    *p = r->wnext;
    if (cn->wq_tail == r)
        cn->wq_tail = prev;
    r->wnext = NULL;
    r->in_wq = 0;
}

/* ---------- request allocation ---------- */

static void req_free(tn_osdc_req_t *r)
{
    tn_osdc_t *c = r->c;
    unlink_timer(&r->tmo);
    unlink_timer(&r->hedge);
    free(r->heap);
    r->heap = NULL;
    if (c->nfree < FREE_KEEP) {
        r->wnext = c->free;
        c->free = r;
        c->nfree++;
    } else {
        free(r);
    }
}

static void count_final(tn_osdc_t *c, int err, int from_status)
{
    if (err == 0)
        c->st.completed_ok++;
    else if (err == -ECONNREFUSED || err == -ECONNRESET)
        c->st.fail_conn++;
    else if (err == TN_ERR_TIMEOUT && !from_status)
        c->st.fail_timeout++;
    else if (err == TN_ERR_PROTO && !from_status)
        c->st.fail_proto++;
    else if (err == TN_ERR_CHECKSUM && !from_status)
        c->st.fail_checksum++;
    else if (err == TN_ERR_CLOCK && !from_status)
        c->st.fail_clock++;
    else
        c->st.fail_status++;
}

/* Calls the user's callback (through the typed adapter, if any). final: count it. */
static void deliver(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep, int final)
{
    tn_osdc_reply_t empty;
    if (rep == NULL) {
        memset(&empty, 0, sizeof(empty));
        empty.osd_id = r->conn->osd_id;
        rep = &empty;
    }
    if (r->cancelled)
        return;
    if (r->adapt != NULL)
        err = r->adapt(r, err, rep);
    else
        r->cb(r->arg, err, rep);
    if (final)
        count_final(r->c, err, rep->status != 0);
}

/* A put whose BEGIN went out and whose END did not: the OSD waits for END to forget the
 * stream (PROTOCOL.md §5.3), so a put that ends early (error reply, timeout) still sends one. */
static int put_needs_end(const tn_osdc_req_t *r)
{
    if (r->kind != K_PUT || r->phase == PH_WAIT)
        return 0;
    if (r->phase == PH_END && r->in_write)
        return 0; /* END is being written */
    return r->phase != PH_BEGIN || r->in_write;
}

static void wq_push(conn_t *cn, tn_osdc_req_t *r);

/* Turns a finished put into an "orphan" that only sends its (refused) END, then is freed. It
 * is in no table, runs no timer and delivers nothing; its memory is inline (no caller data). */
static void make_orphan(tn_osdc_req_t *r)
{
    r->orphan = 1;
    r->cancelled = 1;
    r->put_abort = 1;
    unlink_timer(&r->tmo);
    if (!r->in_write) {
        r->phase = PH_END;
        wq_push(r->conn, r);
    }
}

/*
 * The request's final outcome is known (a reply, a timeout, a local failure). Removes it from
 * the table and queue, then delivers now, or holds the outcome while a put's data piece is
 * still being written, or delivers now and keeps the struct "dead" until the write ends.
 */
static void req_finish(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    table_remove(r);
    wq_remove(r);
    unlink_timer(&r->hedge);
    if (r->kind == K_PUT && r->in_write && r->write_bulk) {
        /* an early error while one of our data pieces is still being written: hold it (its
         * body is empty by protocol) until h2o has finished with the caller's memory. A reply
         * to a simple request proves the OSD read all of it, so h2o holds no reference any
         * more (h2o reports the read before the write completion of the same loop turn). */
        r->held = 1;
        r->c->st.held_replies++;
        r->fail_err = err;
        if (rep != NULL) {
            r->held_rep = *rep;
            r->held_rep.payload = (tn_slice_t){NULL, 0};
        } else {
            memset(&r->held_rep, 0, sizeof(r->held_rep));
            r->held_rep.osd_id = r->conn->osd_id;
        }
        return; /* the request timer stays linked: a stuck write resets the connection */
    }
    unlink_timer(&r->tmo);
    h2o_socket_t *sock = r->conn->sock;
    deliver(r, err, rep, 1);
    if (put_needs_end(r) && r->conn->sock == sock && sock != NULL) {
        make_orphan(r);
        return;
    }
    if (r->in_write)
        r->dead = 1;
    else
        req_free(r);
}

/* ---------- connection failure ---------- */

static void flush(conn_t *cn);
static void deliver_list(tn_osdc_t *c, tn_osdc_req_t *list);

static void detach(tn_osdc_req_t *r, int err, tn_osdc_req_t ***tailp)
{
    table_remove(r);
    r->in_wq = 0;
    unlink_timer(&r->tmo);
    unlink_timer(&r->hedge);
    r->detached = 1;
    r->fail_err = r->timed_out ? TN_ERR_TIMEOUT : err;
    r->wnext = NULL;
    **tailp = r;
    *tailp = &r->wnext;
}

/*
 * Closes the connection and fails every request on it with err (TN_ERR_TIMEOUT for a request
 * whose own timer caused this; its held outcome for a held request). defer: deliver from the
 * zero timer (we are inside an API call); else deliver now (we are in a loop event).
 */
static void conn_fail(conn_t *cn, int err, int defer)
{
    tn_osdc_t *c = cn->c;
    tn_osdc_req_t *list = NULL, **tail = &list;

    if (cn->sock != NULL) {
        h2o_socket_close(cn->sock); /* h2o drops its references to our buffers here */
        cn->sock = NULL;
    }
    unlink_timer(&cn->ctmo);
    unlink_timer(&cn->idle);
    cn->state = ST_IDLE;
    /* requests in the outstanding write: dead ones are just freed, held ones delivered */
    for (size_t i = 0; i < cn->nbatch; i++) {
        tn_osdc_req_t *r = cn->batch[i];
        r->in_write = 0;
        r->write_bulk = 0;
        if (r->dead || r->orphan) {
            r->in_wq = 0;
            req_free(r);
        } else if (r->held) {
            int e = r->fail_err;
            r->held = 0;
            detach(r, e, &tail);
            r->fail_err = e;
        }
    }
    cn->nbatch = 0;
    cn->writing = 0;
    /* queued orphans are in no table: free them here; the others are detached below */
    for (tn_osdc_req_t *r = cn->wq_head, *next; r != NULL; r = next) {
        next = r->wnext;
        r->in_wq = 0;
        r->wnext = NULL;
        if (r->orphan)
            req_free(r);
    }
    cn->wq_head = cn->wq_tail = NULL;
    for (uint32_t b = 0; b <= cn->mask; b++) {
        while (cn->buckets[b] != NULL)
            detach(cn->buckets[b], err, &tail);
    }
    if (list == NULL)
        return;
    if (defer) {
        if (c->deferred_tail != NULL)
            c->deferred_tail->wnext = list;
        else
            c->deferred = list;
        tn_osdc_req_t *last = list;
        while (last->wnext != NULL)
            last = last->wnext;
        c->deferred_tail = last;
        if (!h2o_timeout_is_linked(&c->zero_entry))
            h2o_timeout_link(c->loop, &c->t_zero, &c->zero_entry);
    } else {
        deliver_list(c, list);
    }
}

static void deliver_list(tn_osdc_t *c, tn_osdc_req_t *list)
{
    (void)c;
    while (list != NULL) {
        tn_osdc_req_t *r = list;
        list = r->wnext;
        r->wnext = NULL;
        tn_osdc_reply_t rep;
        memset(&rep, 0, sizeof(rep));
        rep.osd_id = r->conn->osd_id;
        deliver(r, r->fail_err, r->held_rep.has_hdr ? &r->held_rep : &rep, 1);
        req_free(r);
    }
}

static void on_zero(h2o_timeout_entry_t *e)
{
    tn_osdc_t *c = H2O_STRUCT_FROM_MEMBER(tn_osdc_t, zero_entry, e);
    tn_osdc_req_t *list = c->deferred;
    c->deferred = c->deferred_tail = NULL;
    deliver_list(c, list);
}

static void on_kick(h2o_timeout_entry_t *e)
{
    (void)e; /* its only job was to make the loop's poll return (see flush) */
}

static void connect_failed(conn_t *cn, int err)
{
    tn_osdc_t *c = cn->c;
    c->st.connect_fails++;
    cn->backoff_ms = cn->backoff_ms == 0 ? c->o.backoff_ms : cn->backoff_ms * 2;
    if (cn->backoff_ms > c->o.backoff_max_ms)
        cn->backoff_ms = c->o.backoff_max_ms;
    cn->backoff_until = h2o_now(c->loop) + cn->backoff_ms;
    conn_fail(cn, err, 0);
}

/* ---------- reading ---------- */

static int op_matches(const tn_osdc_req_t *r, uint16_t op)
{
    if (r->kind == K_PUT)
        return op == TN_OP_BLOB_PUT_BEGIN || op == TN_OP_BLOB_PUT_DATA || op == TN_OP_BLOB_PUT_END;
    return op == r->op;
}

/* One complete reply frame. */
static void handle_frame(conn_t *cn, const tn_frame_hdr_t *h, const uint8_t *payload)
{
    tn_osdc_t *c = cn->c;
    tn_osdc_req_t *r = table_find(cn, h->req_id);

    c->st.frames_in++;
    c->st.bytes_in += TN_FRAME_HDR_SIZE + (uint64_t)h->payload_len;
    if (r == NULL) {
        c->st.unknown_replies++;
        return;
    }
    cn->progress_ms = h2o_now(c->loop);
    tn_osdc_reply_t rep = {
        .op = h->op,
        .status = h->status,
        .flags = h->flags,
        .more = (h->flags & TN_FRAME_F_MORE) != 0,
        .has_hdr = 1,
        .epoch = h->epoch,
        .hlc = h->hlc,
        .osd_id = cn->osd_id,
        .payload = {(const char *)payload, h->payload_len},
    };
    int err = TN_OK;
    if (c->o.hlc != NULL && h->hlc != 0 &&
        tn_hlc_update(c->o.hlc, h->hlc, wall_now(c), c->o.max_ahead_ms, NULL) != TN_OK)
        err = TN_ERR_CLOCK;
    else if (tn_frame_check_payload(h, payload) != TN_OK)
        err = TN_ERR_CHECKSUM;
    else if (!op_matches(r, h->op))
        err = TN_ERR_PROTO;
    if (err != TN_OK) {
        rep.more = 0;
        rep.payload = (tn_slice_t){NULL, 0};
        req_finish(r, err, &rep); /* later frames of it count as unknown */
        return;
    }
    if (h->status != TN_FRAME_ST_OK) {
        rep.more = 0;
        req_finish(r, tn_frame_status_to_err(h->status), &rep);
        return;
    }
    if (r->kind == K_PUT) {
        /* a put's only OK reply answers END, once END has been handed to the socket (its
         * write may not have been reported complete yet: h2o reports reads first) */
        int end_sent = r->phase == PH_WAIT || (r->phase == PH_END && r->in_write);
        if (rep.more || h->op != TN_OP_BLOB_PUT_END || !end_sent) {
            rep.more = 0;
            req_finish(r, TN_ERR_PROTO, &rep);
            return;
        }
        req_finish(r, TN_OK, &rep);
        return;
    }
    if (rep.more) {
        /* progress restarts the inactivity timer */
        unlink_timer(&r->tmo);
        h2o_timeout_link(c->loop, &c->t_req, &r->tmo);
        deliver(r, TN_OK, &rep, 0);
        return;
    }
    req_finish(r, TN_OK, &rep);
}

static void on_read(h2o_socket_t *sock, const char *errstr)
{
    conn_t *cn = sock->data;
    tn_osdc_t *c = cn->c;

    if (errstr != NULL) {
        conn_fail(cn, -ECONNRESET, 0);
        return;
    }
    /* own the input while callbacks run (see the file comment) */
    h2o_buffer_t *in = sock->input;
    h2o_buffer_init(&sock->input, &reply_proto);
    for (;;) {
        tn_frame_hdr_t h;
        tn_frame_why_t why = TN_FRAME_WHY_NONE;
        ssize_t n = tn_frame_decode_header((const uint8_t *)in->bytes, in->size, c->o.max_payload,
                                           &h, &why);
        if (n == TN_PARSE_INCOMPLETE)
            break;
        if (n == TN_PARSE_ERROR || (h.flags & TN_FRAME_F_REPLY) == 0) {
            tn_log_warn("msg=\"bad reply header, closing\" osd=%d why=\"%s\"", (int)cn->osd_id,
                        n == TN_PARSE_ERROR ? tn_frame_why_str(why) : "not a reply");
            conn_fail(cn, TN_ERR_PROTO, 0);
            break;
        }
        size_t flen = TN_FRAME_HDR_SIZE + (size_t)h.payload_len;
        if (in->size < flen) {
            /* Room for the whole reply now (max_payload bounds it): growing by doubling as
             * bytes arrive took ~8 fresh allocations, copies and unmaps per 1 MiB GET piece
             * (docs/BENCHMARKS.md, "One large PUT and GET"). Out of memory: the reads below
             * grow it as before. */
            (void)h2o_buffer_reserve(&in, flen - in->size);
            break;
        }
        handle_frame(cn, &h, (const uint8_t *)in->bytes + TN_FRAME_HDR_SIZE);
        if (cn->sock != sock) /* a callback closed or replaced the connection */
            break;
        if (in->size == flen && in->capacity <= KEEP_INPUT_MAX) {
            /* Keep the emptied buffer, so the next reply lands in memory already mapped.
             * Freeing it made every 1 MiB piece a fresh allocation that page-faulted, copied
             * while it doubled and was unmapped again: over half of the gateway's CPU of a
             * large GET (docs/BENCHMARKS.md, "One large PUT and GET"). A GET asks for its
             * next piece only once a buffer of its own is free, so often nothing is in flight
             * when a piece is consumed: keeping the buffer only while more replies were
             * outstanding still cost ~25 % of the GET's gateway CPU ("Large GET: the input
             * buffer"). With nothing in flight, on_input_idle frees it after
             * KEEP_INPUT_IDLE_MS, so an idle connection holds no large buffer. */
            in->size = 0;
            in->bytes = in->_buf;
            if (cn->inflight == 0 && in->capacity > reply_proto._initial_buf.capacity &&
                !h2o_timeout_is_linked(&cn->idle))
                h2o_timeout_link(c->loop, &c->t_idle, &cn->idle);
        } else {
            h2o_buffer_consume(&in, flen);
        }
    }
    if (cn->sock == sock) {
        h2o_buffer_dispose(&sock->input); /* the empty one we left: nothing was read meanwhile */
        sock->input = in;
    } else {
        h2o_buffer_dispose(&in);
    }
}

/* A kept input buffer (on_read) with nothing in flight for KEEP_INPUT_IDLE_MS: freed. */
static void on_input_idle(h2o_timeout_entry_t *e)
{
    conn_t *cn = H2O_STRUCT_FROM_MEMBER(conn_t, idle, e);
    h2o_socket_t *sock = cn->sock;
    if (sock == NULL || sock->input->size != 0)
        return; /* closed, or a reply is arriving: on_read keeps or consumes it */
    if (cn->inflight > 0) {
        h2o_timeout_link(cn->c->loop, &cn->c->t_idle, &cn->idle); /* busy: look again later */
        return;
    }
    h2o_buffer_dispose(&sock->input);
    h2o_buffer_init(&sock->input, &reply_proto);
    cn->c->st.input_trims++;
}

/* ---------- writing ---------- */

static void put_frame(tn_osdc_t *c, tn_osdc_req_t *r, uint16_t op, const uint8_t *bulk,
                      size_t bulk_len, uint32_t payload_crc)
{
    tn_frame_hdr_t h;
    memset(&h, 0, sizeof(h));
    h.op = op;
    h.req_id = r->id;
    h.epoch = c->epoch;
    h.hlc = c->o.hlc != NULL ? tn_hlc_now(c->o.hlc, wall_now(c)) : 0;
    h.payload_len = (uint32_t)(r->small_len + bulk_len);
    h.payload_crc = payload_crc;
    tn_frame_encode_header(&h, r->hdr);
    r->bulk = bulk;
    r->bulk_len = bulk_len;
}

/* Prepares r's next frame in r->hdr / r->small / r->bulk. */
static void build_frame(tn_osdc_t *c, tn_osdc_req_t *r)
{
    tn_wire_w_t w;
    if (r->kind == K_SIMPLE) {
        const uint8_t *pre = r->heap != NULL ? r->heap : r->small;
        size_t plen = r->heap != NULL ? r->heap_len : r->small_len;
        uint32_t crc = tn_crc32c(0, pre, plen);
        crc = tn_crc32c(crc, r->bulk, r->bulk_len);
        if (plen + r->bulk_len == 0)
            crc = 0;
        tn_frame_hdr_t h;
        memset(&h, 0, sizeof(h));
        h.op = r->op;
        h.req_id = r->id;
        h.epoch = c->epoch;
        h.hlc = c->o.hlc != NULL ? tn_hlc_now(c->o.hlc, wall_now(c)) : 0;
        h.payload_len = (uint32_t)(plen + r->bulk_len);
        h.payload_crc = crc;
        tn_frame_encode_header(&h, r->hdr);
        return;
    }
    switch (r->phase) {
    case PH_BEGIN: {
        tn_blob_put_begin_t b = {.ref = r->ref, .total_len = r->data_len};
        tn_wire_w_init(&w, r->small, sizeof(r->small));
        tn_proto_enc_blob_put_begin(&w, &b);
        r->small_len = (size_t)(w.p - r->small);
        put_frame(c, r, TN_OP_BLOB_PUT_BEGIN, NULL, 0, tn_crc32c(0, r->small, r->small_len));
        break;
    }
    case PH_DATA: {
        uint64_t left = r->data_len - r->off;
        r->piece = left < TN_OSDC_PUT_PIECE ? (size_t)left : TN_OSDC_PUT_PIECE;
        const uint8_t *p = r->data + r->off;
        tn_wire_w_init(&w, r->small, sizeof(r->small));
        tn_proto_enc_blob_put_data_prefix(&w, r->off, (uint32_t)r->piece);
        r->small_len = (size_t)(w.p - r->small);
        uint32_t piece_crc = tn_crc32c(0, p, r->piece);
        r->crc = tn_crc32c_combine(r->crc, piece_crc, r->piece);
        uint32_t pcrc =
            tn_crc32c_combine(tn_crc32c(0, r->small, r->small_len), piece_crc, r->piece);
        put_frame(c, r, TN_OP_BLOB_PUT_DATA, p, r->piece, pcrc);
        break;
    }
    default: {
        /* an aborted stream sends a CRC the OSD is sure to refuse */
        tn_blob_put_end_t e = {.crc32c = r->put_abort ? ~r->crc : r->crc};
        tn_wire_w_init(&w, r->small, sizeof(r->small));
        tn_proto_enc_blob_put_end(&w, &e);
        r->small_len = (size_t)(w.p - r->small);
        put_frame(c, r, TN_OP_BLOB_PUT_END, NULL, 0, tn_crc32c(0, r->small, r->small_len));
        break;
    }
    }
}

static void on_write(h2o_socket_t *sock, const char *errstr);

/* Ops whose answer waits for a commit or fsync on the OSD (they get ack_timeout_ms once
 * written; a streamed put gets it once its END is written). */
static int is_durable_write(uint16_t op)
{
    return op == TN_OP_ROW_PUT || op == TN_OP_ROW_DELETE || op == TN_OP_BLOB_DELETE ||
           op == TN_OP_PG_PUSH;
}

static void flush(conn_t *cn)
{
    tn_osdc_t *c = cn->c;
    if (cn->state != ST_UP || cn->writing || cn->wq_head == NULL)
        return;
    size_t n = 0, niov = 0, bytes = 0;
    while (cn->wq_head != NULL && n < BATCH_MAX && bytes < FLUSH_BYTES) {
        tn_osdc_req_t *r = cn->wq_head;
        cn->wq_head = r->wnext;
        if (cn->wq_head == NULL)
            cn->wq_tail = NULL;
        r->wnext = NULL;
        r->in_wq = 0;
        build_frame(c, r);
        cn->iov[niov++] = h2o_iovec_init(r->hdr, TN_FRAME_HDR_SIZE);
        size_t plen = r->heap != NULL && r->kind == K_SIMPLE ? r->heap_len : r->small_len;
        const uint8_t *pre = r->heap != NULL && r->kind == K_SIMPLE ? r->heap : r->small;
        if (plen != 0)
            cn->iov[niov++] = h2o_iovec_init(pre, plen);
        if (r->bulk_len != 0)
            cn->iov[niov++] = h2o_iovec_init(r->bulk, r->bulk_len);
        r->in_write = 1;
        r->write_bulk = r->bulk_len != 0;
        cn->batch[n++] = r;
        bytes += TN_FRAME_HDR_SIZE + plen + r->bulk_len;
    }
    cn->nbatch = n;
    cn->writing = 1;
    c->st.frames_out += n;
    c->st.bytes_out += bytes;
    h2o_socket_write(cn->sock, cn->iov, niov, on_write);
    /* h2o 2.2.5 reports a completed write only after the loop's next poll returns, and the
     * poll does not look at that pending list: a write started outside a loop callback (a
     * call from main, the sync wrapper) would wait for some unrelated event or timer. A
     * zero-delay timer makes the next poll return at once. */
    if (!h2o_timeout_is_linked(&c->kick_entry))
        h2o_timeout_link(c->loop, &c->t_zero, &c->kick_entry);
}

static void on_write(h2o_socket_t *sock, const char *errstr)
{
    conn_t *cn = sock->data;
    tn_osdc_t *c = cn->c;
    tn_osdc_req_t *done[BATCH_MAX];
    size_t n = cn->nbatch;

    if (errstr != NULL) {
        conn_fail(cn, -ECONNRESET, 0);
        return;
    }
    memcpy(done, cn->batch, n * sizeof(done[0]));
    cn->nbatch = 0;
    cn->writing = 0;
    cn->progress_ms = h2o_now(c->loop);
    for (size_t i = 0; i < n; i++) {
        done[i]->in_write = 0;
        done[i]->write_bulk = 0;
        done[i]->wrote_ms = cn->progress_ms;
    }
    for (size_t i = 0; i < n; i++) {
        tn_osdc_req_t *r = done[i];
        if (r->dead) {
            req_free(r);
        } else if (r->orphan) {
            if (r->phase == PH_END) {
                req_free(r); /* the frame just written (r->phase) was its END */
            } else {
                r->phase = PH_END;
                wq_push(cn, r);
            }
        } else if (r->held) {
            r->held = 0;
            unlink_timer(&r->tmo);
            deliver(r, r->fail_err, &r->held_rep, 1);
            if (put_needs_end(r) && cn->sock == sock)
                make_orphan(r);
            else
                req_free(r);
        } else if (r->detached || !r->in_table) {
            continue; /* owned by a failure list */
        } else if (r->kind == K_PUT) {
            if (r->phase == PH_BEGIN)
                r->phase = r->data_len == 0 || r->put_abort ? PH_END : PH_DATA;
            else if (r->phase == PH_DATA) {
                r->off += r->piece;
                if (r->off == r->data_len || r->put_abort)
                    r->phase = PH_END;
            } else
                r->phase = PH_WAIT;
            /* progress restarts the inactivity timer; once END is out, the durable answer
             * (fsync, rename) gets the write window */
            unlink_timer(&r->tmo);
            h2o_timeout_link(c->loop, r->phase == PH_WAIT ? &c->t_ack : &c->t_req, &r->tmo);
            if (r->phase != PH_WAIT)
                wq_push(cn, r);
        } else {
            r->phase = PH_WAIT;
            if (is_durable_write(r->op)) {
                unlink_timer(&r->tmo);
                h2o_timeout_link(c->loop, &c->t_ack, &r->tmo);
            }
        }
    }
    if (cn->sock == sock)
        flush(cn);
}

/* ---------- connecting ---------- */

static void on_connect(h2o_socket_t *sock, const char *errstr)
{
    conn_t *cn = sock->data;
    tn_osdc_t *c = cn->c;
    unlink_timer(&cn->ctmo);
    if (errstr != NULL) {
        connect_failed(cn, -ECONNREFUSED);
        return;
    }
    /* h2o sets TCP_NODELAY on accepted sockets only. Without it, a request's frames (a small
     * row request, a put's END after its last piece) wait for the ACK of the previous
     * segment (Nagle + delayed ACK): tens of ms per round trip under light load. Failure is
     * harmless (the connection works, slower). */
    int one = 1;
    int fd = h2o_socket_get_fd(sock);
    if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        tn_log_debug("msg=\"TCP_NODELAY not set on an OSD connection\" errno=%d", errno);
    cn->state = ST_UP;
    cn->backoff_ms = 0;
    cn->backoff_until = 0;
    c->st.connects++;
    if (cn->ever_connected)
        c->st.reconnects++;
    cn->ever_connected = 1;
    h2o_socket_read_start(sock, on_read);
    flush(cn);
}

static void on_connect_timeout(h2o_timeout_entry_t *e)
{
    conn_t *cn = H2O_STRUCT_FROM_MEMBER(conn_t, ctmo, e);
    connect_failed(cn, TN_ERR_TIMEOUT);
}

/* Starts connecting if idle. Returns 0 or -ECONNREFUSED (back-off, or connect() failed). */
static int conn_ensure(conn_t *cn)
{
    tn_osdc_t *c = cn->c;
    if (cn->state != ST_IDLE)
        return 0;
    if (cn->backoff_until != 0 && h2o_now(c->loop) < cn->backoff_until) {
        c->st.fast_fail++;
        return -ECONNREFUSED;
    }
    h2o_socket_t *s =
        h2o_socket_connect(c->loop, (struct sockaddr *)&cn->sa, cn->salen, on_connect);
    if (s == NULL) {
        c->st.connect_fails++;
        cn->backoff_ms = cn->backoff_ms == 0 ? c->o.backoff_ms : cn->backoff_ms * 2;
        if (cn->backoff_ms > c->o.backoff_max_ms)
            cn->backoff_ms = c->o.backoff_max_ms;
        cn->backoff_until = h2o_now(c->loop) + cn->backoff_ms;
        return -ECONNREFUSED;
    }
    s->data = cn;
    h2o_buffer_set_prototype(&s->input, &reply_proto);
    cn->sock = s;
    cn->state = ST_CONNECTING;
    h2o_timeout_link(c->loop, &c->t_conn, &cn->ctmo);
    return 0;
}

/* ---------- timers ---------- */

static void on_req_timeout(h2o_timeout_entry_t *e)
{
    tn_osdc_req_t *r = H2O_STRUCT_FROM_MEMBER(tn_osdc_req_t, tmo, e);
    tn_osdc_t *c = r->c;
    uint64_t now = h2o_now(c->loop);
    /* Busy, not hung: the OSD took bytes of ours or answered something on this connection
     * within the last request timeout, later than this request's own last frame (its own
     * write says nothing about the OSD), so this request waits behind other work the OSD is
     * doing (its disk writing other large bodies, its back-pressure holding our data in the
     * socket). Failing it would only fail a write the OSD is about to take (and, mid-frame,
     * reset every request of the connection). It waits while that stays true, at most
     * TN_OSDC_BUSY_FACTOR x ack_timeout_ms in all; an OSD that stops moving still fails its
     * requests one request timeout after its last sign of life. */
    if (r->conn->state == ST_UP && r->conn->progress_ms > r->wrote_ms &&
        now - r->conn->progress_ms < c->o.request_timeout_ms &&
        now - r->start_ms < (uint64_t)c->o.ack_timeout_ms * TN_OSDC_BUSY_FACTOR) {
        c->st.busy_waits++;
        h2o_timeout_link(c->loop, &c->t_req, &r->tmo);
        return;
    }
    tn_log_debug("msg=\"OSD request timed out\" osd=%d op=%u phase=%s sent=%llu/%llu",
                 (int)r->conn->osd_id, (unsigned)r->op,
                 r->kind != K_PUT       ? "reply"
                 : r->phase == PH_WAIT  ? "awaiting-ack"
                 : r->phase == PH_BEGIN ? "begin"
                                        : "data",
                 (unsigned long long)r->off, (unsigned long long)r->data_len);
    if (r->in_write && r->write_bulk) {
        /* our bytes are stuck in the socket: only closing it releases them */
        r->timed_out = 1;
        r->c->st.cancel_resets++;
        conn_fail(r->conn, -ECONNRESET, 0);
        return;
    }
    req_finish(r, TN_ERR_TIMEOUT, NULL);
}

static void on_hedge(h2o_timeout_entry_t *e)
{
    tn_osdc_req_t *r = H2O_STRUCT_FROM_MEMBER(tn_osdc_req_t, hedge, e);
    if (!r->cancelled && r->hedge_cb != NULL)
        r->hedge_cb(r->hedge_arg, r);
}

/* ---------- client ---------- */

tn_osdc_t *tn_osdc_create(h2o_evloop_t *loop, const tn_osdc_opts_t *opts)
{
    tn_osdc_t *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    tn_osdc_opts_t d;
    tn_osdc_opts_default(&d);
    if (opts != NULL) {
        c->o = *opts;
        if (c->o.connect_timeout_ms == 0)
            c->o.connect_timeout_ms = d.connect_timeout_ms;
        if (c->o.request_timeout_ms == 0)
            c->o.request_timeout_ms = d.request_timeout_ms;
        if (c->o.ack_timeout_ms == 0)
            c->o.ack_timeout_ms = d.ack_timeout_ms;
        if (c->o.ack_timeout_ms < c->o.request_timeout_ms)
            c->o.ack_timeout_ms = c->o.request_timeout_ms;
        if (c->o.hedge_ms == 0)
            c->o.hedge_ms = d.hedge_ms;
        if (c->o.max_inflight == 0)
            c->o.max_inflight = d.max_inflight;
        if (c->o.backoff_ms == 0)
            c->o.backoff_ms = d.backoff_ms;
        if (c->o.backoff_max_ms < c->o.backoff_ms)
            c->o.backoff_max_ms = TN_MAX(d.backoff_max_ms, c->o.backoff_ms);
        if (c->o.max_payload == 0)
            c->o.max_payload = d.max_payload;
        if (c->o.max_ahead_ms == 0)
            c->o.max_ahead_ms = d.max_ahead_ms;
    } else {
        c->o = d;
    }
    c->loop = loop;
    c->epoch = c->o.epoch;
    c->next_id = 1;
    h2o_timeout_init(loop, &c->t_req, c->o.request_timeout_ms);
    h2o_timeout_init(loop, &c->t_ack, c->o.ack_timeout_ms);
    h2o_timeout_init(loop, &c->t_conn, c->o.connect_timeout_ms);
    h2o_timeout_init(loop, &c->t_hedge, c->o.hedge_ms);
    h2o_timeout_init(loop, &c->t_zero, 0);
    h2o_timeout_init(loop, &c->t_idle, KEEP_INPUT_IDLE_MS);
    c->zero_entry.cb = on_zero;
    c->kick_entry.cb = on_kick;
    return c;
}

void tn_osdc_destroy(tn_osdc_t *c)
{
    if (c == NULL)
        return;
    c->destroying = 1;
    for (size_t i = 0; i < c->nconns; i++)
        conn_fail(c->conns[i], -ECANCELED, 0);
    unlink_timer(&c->zero_entry);
    unlink_timer(&c->kick_entry);
    tn_osdc_req_t *list = c->deferred;
    c->deferred = c->deferred_tail = NULL;
    deliver_list(c, list);
    for (size_t i = 0; i < c->nconns; i++) {
        free(c->conns[i]->buckets);
        free(c->conns[i]->addr_str);
        free(c->conns[i]);
    }
    free(c->conns);
    while (c->free != NULL) {
        tn_osdc_req_t *r = c->free;
        c->free = r->wnext;
        free(r);
    }
    h2o_timeout_dispose(c->loop, &c->t_req);
    h2o_timeout_dispose(c->loop, &c->t_ack);
    h2o_timeout_dispose(c->loop, &c->t_conn);
    h2o_timeout_dispose(c->loop, &c->t_hedge);
    h2o_timeout_dispose(c->loop, &c->t_zero);
    h2o_timeout_dispose(c->loop, &c->t_idle);
    free(c);
}

/* Parses host_port and resolves it. */
static int resolve(const char *hp, struct sockaddr_storage *sa, socklen_t *salen)
{
    char host[256];
    const char *port;
    if (hp == NULL || *hp == '\0')
        return -EINVAL;
    if (hp[0] == '[') {
        const char *e = strchr(hp, ']');
        if (e == NULL || e[1] != ':' || (size_t)(e - hp - 1) >= sizeof(host))
            return -EINVAL;
        memcpy(host, hp + 1, (size_t)(e - hp - 1));
        host[e - hp - 1] = '\0';
        port = e + 2;
    } else {
        const char *e = strrchr(hp, ':');
        if (e == NULL || (size_t)(e - hp) >= sizeof(host) || e == hp)
            return -EINVAL;
        if (memchr(hp, ':', (size_t)(e - hp)) != NULL)
            return -EINVAL; /* a bare IPv6 address needs brackets */
        memcpy(host, hp, (size_t)(e - hp));
        host[e - hp] = '\0';
        port = e + 1;
    }
    if (*port == '\0' || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
        atoi(port) < 1 || atoi(port) > 65535)
        return -EINVAL;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || res == NULL)
        return rc == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
    if (res->ai_addrlen > sizeof(*sa)) {
        freeaddrinfo(res);
        return -EINVAL;
    }
    memset(sa, 0, sizeof(*sa));
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *salen = (socklen_t)res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int tn_osdc_set_osd(tn_osdc_t *c, int32_t osd_id, const char *host_port)
{
    struct sockaddr_storage sa;
    socklen_t salen = 0;
    int rc = resolve(host_port, &sa, &salen);
    if (rc != 0)
        return rc;
    size_t pos;
    conn_t *cn = find_conn(c, osd_id, &pos);
    if (cn != NULL) {
        if (cn->salen == salen && memcmp(&cn->sa, &sa, salen) == 0)
            return 0;
        char *s = strdup(host_port);
        if (s == NULL)
            return -ENOMEM;
        free(cn->addr_str);
        cn->addr_str = s;
        conn_fail(cn, -ECONNRESET, 1);
        cn->sa = sa;
        cn->salen = salen;
        cn->backoff_ms = 0;
        cn->backoff_until = 0;
        return 0;
    }
    if (c->nconns == c->capconns) {
        size_t cap = c->capconns ? c->capconns * 2 : 8;
        conn_t **n = realloc(c->conns, cap * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        c->conns = n;
        c->capconns = cap;
    }
    cn = calloc(1, sizeof(*cn));
    if (cn == NULL)
        return -ENOMEM;
    uint32_t nb = 16; /* chains of about 8 at a full max_inflight */
    while (nb < c->o.max_inflight / 8 && nb < 4096)
        nb *= 2;
    cn->buckets = calloc(nb, sizeof(*cn->buckets));
    cn->addr_str = strdup(host_port);
    if (cn->buckets == NULL || cn->addr_str == NULL) {
        free(cn->buckets);
        free(cn->addr_str);
        free(cn);
        return -ENOMEM;
    }
    cn->mask = nb - 1;
    cn->c = c;
    cn->osd_id = osd_id;
    cn->sa = sa;
    cn->salen = salen;
    cn->ctmo.cb = on_connect_timeout;
    cn->idle.cb = on_input_idle;
    memmove(&c->conns[pos + 1], &c->conns[pos], (c->nconns - pos) * sizeof(*c->conns));
    c->conns[pos] = cn;
    c->nconns++;
    return 0;
}

void tn_osdc_set_epoch(tn_osdc_t *c, uint64_t epoch)
{
    c->epoch = epoch;
}

uint64_t tn_osdc_epoch(const tn_osdc_t *c)
{
    return c->epoch;
}

void tn_osdc_stats(const tn_osdc_t *c, tn_osdc_stats_t *out)
{
    *out = c->st;
}

uint32_t tn_osdc_inflight(const tn_osdc_t *c, int32_t osd_id)
{
    conn_t *cn = find_conn(c, osd_id, NULL);
    return cn != NULL ? cn->inflight : 0;
}

/* ---------- requests ---------- */

/* A new request on osd (in the table, not yet queued), or NULL with *err set. */
static tn_osdc_req_t *req_new(tn_osdc_t *c, int32_t osd, uint16_t op, int *err)
{
    conn_t *cn = find_conn(c, osd, NULL);
    if (c->destroying) {
        *err = -ESHUTDOWN;
        return NULL;
    }
    if (cn == NULL) {
        *err = -ENOENT;
        return NULL;
    }
    if (cn->inflight >= c->o.max_inflight) {
        *err = -EAGAIN;
        return NULL;
    }
    tn_osdc_req_t *r = c->free;
    if (r != NULL) {
        c->free = r->wnext;
        c->nfree--;
    } else if ((r = malloc(sizeof(*r))) == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    /* connect before committing, so a refused connect leaves nothing behind */
    int rc = conn_ensure(cn);
    if (rc != 0) {
        r->wnext = c->free;
        c->free = r;
        c->nfree++;
        *err = rc;
        return NULL;
    }
    memset(r, 0, sizeof(*r));
    r->c = c;
    r->conn = cn;
    r->op = op;
    r->id = c->next_id++;
    r->tmo.cb = on_req_timeout;
    r->hedge.cb = on_hedge;
    table_insert(cn, r);
    return r;
}

/* Drops a request that was never queued (an encoding failed). */
static int req_drop(tn_osdc_req_t *r, int err)
{
    table_remove(r);
    req_free(r);
    return err;
}

static int req_submit(tn_osdc_req_t *r, tn_osdc_req_t **handle)
{
    tn_osdc_t *c = r->c;
    size_t plen = (r->heap != NULL ? r->heap_len : r->small_len) + r->bulk_len;
    if (r->kind == K_SIMPLE && plen > TN_FRAME_MAX_PAYLOAD)
        return req_drop(r, TN_ERR_TOO_BIG);
    c->st.requests++;
    r->start_ms = h2o_now(c->loop);
    h2o_timeout_link(c->loop, &c->t_req, &r->tmo);
    wq_push(r->conn, r);
    if (handle != NULL)
        *handle = r;
    flush(r->conn);
    return 0;
}

int tn_osdc_call(tn_osdc_t *c, int32_t osd_id, uint16_t op, const void *payload, size_t len,
                 tn_osdc_cb cb, void *arg, tn_osdc_req_t **handle)
{
    int err = 0;
    if (cb == NULL || (payload == NULL && len != 0))
        return -EINVAL;
    if (len > TN_FRAME_MAX_PAYLOAD)
        return TN_ERR_TOO_BIG;
    tn_osdc_req_t *r = req_new(c, osd_id, op, &err);
    if (r == NULL)
        return err;
    r->cb = cb;
    r->arg = arg;
    if (len <= TN_OSDC_INLINE) {
        if (len != 0)
            memcpy(r->small, payload, len);
        r->small_len = len;
    } else {
        r->bulk = payload;
        r->bulk_len = len;
    }
    return req_submit(r, handle);
}

void tn_osdc_cancel(tn_osdc_req_t *r)
{
    if (r == NULL || r->cancelled)
        return;
    tn_osdc_t *c = r->c;
    r->cancelled = 1;
    c->st.cancelled++;
    unlink_timer(&r->hedge);
    if (r->detached || r->held || r->dead)
        return; /* delivery is suppressed; the struct is freed by its owner */
    if (r->in_write && r->write_bulk) {
        c->st.cancel_resets++;
        conn_fail(r->conn, -ECONNRESET, 1); /* r itself is freed quietly on delivery */
        return;
    }
    if (r->kind == K_PUT && r->phase != PH_WAIT && (r->phase != PH_BEGIN || r->in_write)) {
        /* the OSD has (or is getting) BEGIN: end the stream with an END it will refuse */
        r->put_abort = 1;
        if (!r->in_write)
            r->phase = PH_END;
        return; /* stays in the table to absorb the refusal */
    }
    if (!r->in_write && r->phase == PH_BEGIN) {
        /* nothing was sent yet */
        table_remove(r);
        wq_remove(r);
        req_free(r);
        return;
    }
    /* sent (or being sent): wait quietly for the reply or the timeout */
}

void tn_osdc_hedge(tn_osdc_req_t *r, tn_osdc_hedge_cb cb, void *arg)
{
    if (r == NULL || r->cancelled || r->detached || r->held || r->dead)
        return;
    r->hedge_cb = cb;
    r->hedge_arg = arg;
    unlink_timer(&r->hedge);
    h2o_timeout_link(r->c->loop, &r->c->t_hedge, &r->hedge);
}

/* ---------- typed helpers ---------- */

/* Body buffer of at most bound bytes: the inline one, or a heap one the request owns. */
static uint8_t *body_buf(tn_osdc_req_t *r, size_t bound)
{
    if (bound <= TN_OSDC_INLINE)
        return r->small;
    r->heap = malloc(bound);
    return r->heap;
}

/* Finishes an encoded body in buf (from body_buf) and submits the request. */
static int submit_body(tn_osdc_req_t *r, tn_wire_w_t *w, uint8_t *buf, tn_osdc_req_t **h)
{
    if (buf == NULL)
        return req_drop(r, -ENOMEM);
    if (w->err != TN_OK)
        return req_drop(r, w->err);
    size_t len = (size_t)(w->p - buf);
    if (buf == r->small)
        r->small_len = len;
    else
        r->heap_len = len;
    return req_submit(r, h);
}

static tn_osdc_req_t *typed_new(tn_osdc_t *c, int32_t osd, uint16_t op, adapter_fn ad,
                                void (*ucb)(void), void *arg, int *err)
{
    if (ucb == NULL) {
        *err = -EINVAL;
        return NULL;
    }
    tn_osdc_req_t *r = req_new(c, osd, op, err);
    if (r != NULL) {
        r->adapt = ad;
        r->ucb = ucb;
        r->arg = arg;
    }
    return r;
}

#define PL(rep) (rep)->payload.base, (rep)->payload.len

static int ad_plain(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    ((tn_osdc_cb)r->ucb)(r->arg, err, rep);
    return err;
}

static int ad_ping(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_ping_rep_t m;
    if (err == 0 && tn_proto_dec_ping_rep(PL(rep), &m) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_ping_cb)r->ucb)(r->arg, err, rep, err == 0 ? &m : NULL);
    return err;
}

int tn_osdc_ping(tn_osdc_t *c, int32_t osd, tn_osdc_ping_cb cb, void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    tn_osdc_req_t *r = typed_new(c, osd, TN_OP_PING, ad_ping, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    tn_ping_req_t m = {.wall_ms = wall_now(c)};
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, 8);
    tn_wire_w_init(&w, b, 8);
    tn_proto_enc_ping_req(&w, &m);
    return submit_body(r, &w, b, h);
}

static int ad_stats(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_proto_iter_t it;
    uint32_t n;
    if (err == 0 && tn_proto_dec_stats_rep(PL(rep), &it, &n) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_iter_cb)r->ucb)(r->arg, err, rep, err == 0 ? &it : NULL);
    return err;
}

int tn_osdc_stats_get(tn_osdc_t *c, int32_t osd, tn_osdc_iter_cb cb, void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    tn_osdc_req_t *r = typed_new(c, osd, TN_OP_STATS, ad_stats, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    return req_submit(r, h);
}

static int ad_map_get(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_map_get_rep_t m;
    if (err == 0 && tn_proto_dec_map_get_rep(PL(rep), &m) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_map_get_cb)r->ucb)(r->arg, err, rep, err == 0 ? &m : NULL);
    return err;
}

int tn_osdc_map_get(tn_osdc_t *c, int32_t osd, uint64_t epoch, tn_osdc_map_get_cb cb, void *arg,
                    tn_osdc_req_t **h)
{
    int err = 0;
    tn_osdc_req_t *r = typed_new(c, osd, TN_OP_MAP_GET, ad_map_get, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    tn_map_get_req_t m = {.epoch = epoch};
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, 8);
    tn_wire_w_init(&w, b, 8);
    tn_proto_enc_map_get_req(&w, &m);
    return submit_body(r, &w, b, h);
}

static int ad_map_offer(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_map_offer_rep_t m;
    int have = 0;
    if (err == 0 || (err == TN_ERR_STALE_EPOCH && rep->payload.len != 0)) {
        if (tn_proto_dec_map_offer_rep(PL(rep), &m) == TN_OK)
            have = 1;
        else
            err = TN_ERR_PROTO;
    }
    ((tn_osdc_map_offer_cb)r->ucb)(r->arg, err, rep, have ? &m : NULL);
    return err;
}

int tn_osdc_map_offer(tn_osdc_t *c, int32_t osd, const tn_map_offer_req_t *m,
                      tn_osdc_map_offer_cb cb, void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (m == NULL || m->map.len > UINT32_MAX || (m->map.base == NULL && m->map.len != 0))
        return -EINVAL;
    tn_osdc_req_t *r =
        typed_new(c, osd, TN_OP_MAP_OFFER, ad_map_offer, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    /* zero copy: encode the fixed fields and the map's length prefix (tn_proto's layout for an
     * empty map is exactly that prefix), then send the map bytes as the bulk */
    tn_map_offer_req_t pre = *m;
    pre.map = (tn_slice_t){NULL, 0};
    tn_wire_w_t w;
    tn_wire_w_init(&w, r->small, sizeof(r->small));
    tn_proto_enc_map_offer_req(&w, &pre);
    if (w.err != TN_OK)
        return req_drop(r, w.err);
    r->small_len = (size_t)(w.p - r->small);
    /* patch the u32 length (the last 4 bytes) with the real map length */
    tn_wire_w_t lw;
    tn_wire_w_init(&lw, r->small + r->small_len - 4, 4);
    tn_wire_put_u32(&lw, (uint32_t)m->map.len);
    r->bulk = (const uint8_t *)m->map.base;
    r->bulk_len = m->map.len;
    return req_submit(r, h);
}

int tn_osdc_blob_put(tn_osdc_t *c, int32_t osd, const tn_blobref_t *ref, const void *data,
                     uint64_t len, tn_osdc_cb cb, void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (ref == NULL || cb == NULL || (data == NULL && len != 0))
        return -EINVAL;
    tn_osdc_req_t *r = req_new(c, osd, TN_OP_BLOB_PUT_BEGIN, &err);
    if (r == NULL)
        return err;
    r->cb = cb;
    r->arg = arg;
    r->kind = K_PUT;
    r->phase = PH_BEGIN;
    r->ref = *ref;
    r->data = data;
    r->data_len = len;
    return req_submit(r, h);
}

static int ad_blob_get(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_blob_get_rep_t m;
    if (err == 0 && tn_proto_dec_blob_get_rep(PL(rep), &m) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_blob_get_cb)r->ucb)(r->arg, err, rep, err == 0 ? &m : NULL);
    return err;
}

int tn_osdc_blob_get(tn_osdc_t *c, int32_t osd, const tn_blob_get_req_t *m, tn_osdc_blob_get_cb cb,
                     void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (m == NULL)
        return -EINVAL;
    tn_osdc_req_t *r =
        typed_new(c, osd, TN_OP_BLOB_GET, ad_blob_get, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, TN_PROTO_BLOBREF_LEN + 16);
    tn_wire_w_init(&w, b, TN_PROTO_BLOBREF_LEN + 16);
    tn_proto_enc_blob_get_req(&w, m);
    return submit_body(r, &w, b, h);
}

static int ad_blob_stat(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_blob_stat_rep_t m;
    if (err == 0 && tn_proto_dec_blob_stat_rep(PL(rep), &m) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_blob_stat_cb)r->ucb)(r->arg, err, rep, err == 0 ? &m : NULL);
    return err;
}

static int blobref_call(tn_osdc_t *c, int32_t osd, uint16_t op, const tn_blobref_t *ref,
                        adapter_fn ad, void (*ucb)(void), void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (ref == NULL)
        return -EINVAL;
    tn_osdc_req_t *r = typed_new(c, osd, op, ad, ucb, arg, &err);
    if (r == NULL)
        return err;
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, TN_PROTO_BLOBREF_LEN);
    tn_wire_w_init(&w, b, TN_PROTO_BLOBREF_LEN);
    tn_proto_enc_blobref(&w, ref);
    return submit_body(r, &w, b, h);
}

int tn_osdc_blob_stat(tn_osdc_t *c, int32_t osd, const tn_blobref_t *ref, tn_osdc_blob_stat_cb cb,
                      void *arg, tn_osdc_req_t **h)
{
    return blobref_call(c, osd, TN_OP_BLOB_STAT, ref, ad_blob_stat, (void (*)(void))cb, arg, h);
}

int tn_osdc_blob_delete(tn_osdc_t *c, int32_t osd, const tn_blobref_t *ref, tn_osdc_cb cb,
                        void *arg, tn_osdc_req_t **h)
{
    return blobref_call(c, osd, TN_OP_BLOB_DELETE, ref, ad_plain, (void (*)(void))cb, arg, h);
}

static int ad_row_put(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_row_put_rep_t m;
    int have = 0;
    if (r->op == TN_OP_ROW_PUT && err == TN_ERR_PRECONDITION) {
        if (tn_proto_dec_row_put_precondition(PL(rep), &m) == TN_OK)
            have = 1;
        else
            err = TN_ERR_PROTO;
    } else if (err == 0 || err == TN_ERR_STALE_TS || (r->op == TN_OP_ROW_PUT && err == -EEXIST)) {
        int stale = err != 0;
        if (r->op == TN_OP_ROW_DELETE && !stale) {
            memset(&m, 0, sizeof(m));
            if (tn_proto_dec_result(PL(rep), &m.result) == TN_OK)
                have = 1;
        } else if (tn_proto_dec_row_put_rep(PL(rep), stale, &m) == TN_OK) {
            have = 1;
        }
        if (!have)
            err = TN_ERR_PROTO;
    }
    ((tn_osdc_row_put_cb)r->ucb)(r->arg, err, rep, have ? &m : NULL);
    return err;
}

int tn_osdc_row_put(tn_osdc_t *c, int32_t osd, uint8_t mode, const void *row, size_t rowlen,
                    tn_osdc_row_put_cb cb, void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if ((mode != TN_PROTO_ROW_PUT && mode != TN_PROTO_ROW_MERGE && mode != TN_PROTO_ROW_CREATE) ||
        (row == NULL && rowlen != 0) || rowlen > UINT32_MAX)
        return -EINVAL;
    tn_osdc_req_t *r = typed_new(c, osd, TN_OP_ROW_PUT, ad_row_put, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    /* zero copy: tn_proto's encoding of an empty row is mode + the u32 length prefix; patch
     * the length and send the row as the bulk */
    tn_row_put_req_t pre = {.mode = mode, .row = {NULL, 0}};
    tn_wire_w_t w;
    tn_wire_w_init(&w, r->small, sizeof(r->small));
    tn_proto_enc_row_put_req(&w, &pre);
    if (w.err != TN_OK)
        return req_drop(r, w.err);
    r->small_len = (size_t)(w.p - r->small);
    tn_wire_w_t lw;
    tn_wire_w_init(&lw, r->small + r->small_len - 4, 4);
    tn_wire_put_u32(&lw, (uint32_t)rowlen);
    r->bulk = row;
    r->bulk_len = rowlen;
    return req_submit(r, h);
}

int tn_osdc_row_put_if(tn_osdc_t *c, int32_t osd, const void *row, size_t rowlen,
                       const tn_proto_ver_t *expect, tn_osdc_row_put_cb cb, void *arg,
                       tn_osdc_req_t **h)
{
    int err = 0;
    if (expect == NULL || (row == NULL && rowlen != 0) || rowlen > UINT32_MAX - 64)
        return -EINVAL;
    tn_osdc_req_t *r = typed_new(c, osd, TN_OP_ROW_PUT, ad_row_put, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    /* the expected version follows the row, so the body is copied (not zero copy) */
    size_t bound = tn_proto_row_put_req_size(TN_PROTO_ROW_IF_VERSION, rowlen);
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, bound);
    tn_wire_w_init(&w, b, b != NULL ? bound : 0);
    tn_proto_enc_row_put_if_req(&w, (tn_slice_t){(const char *)row, rowlen}, expect);
    return submit_body(r, &w, b, h);
}

static int ad_row(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_slice_t row;
    if (err == 0 && tn_proto_dec_row(PL(rep), &row) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_row_cb)r->ucb)(r->arg, err, rep, err == 0 ? &row : NULL);
    return err;
}

int tn_osdc_row_get(tn_osdc_t *c, int32_t osd, const tn_row_get_req_t *m, tn_osdc_row_cb cb,
                    void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (m == NULL)
        return -EINVAL;
    tn_osdc_req_t *r = typed_new(c, osd, TN_OP_ROW_GET, ad_row, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    size_t bound = 20 + m->key.len;
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, bound);
    tn_wire_w_init(&w, b, b != NULL ? bound : 0);
    tn_proto_enc_row_get_req(&w, m);
    return submit_body(r, &w, b, h);
}

static int ad_row_list(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_proto_iter_t it;
    uint8_t more = 0;
    uint32_t n = 0;
    if (err == 0 && tn_proto_dec_row_list_rep(PL(rep), &it, &more, &n) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_row_list_cb)r->ucb)(r->arg, err, rep, more, n, err == 0 ? &it : NULL);
    return err;
}

int tn_osdc_row_list(tn_osdc_t *c, int32_t osd, const tn_row_list_req_t *m, tn_osdc_row_list_cb cb,
                     void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (m == NULL)
        return -EINVAL;
    tn_osdc_req_t *r =
        typed_new(c, osd, TN_OP_ROW_LIST, ad_row_list, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    size_t bound = 16 + 4 + m->prefix.len + 4 + m->start_after.len + 5;
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, bound);
    tn_wire_w_init(&w, b, b != NULL ? bound : 0);
    tn_proto_enc_row_list_req(&w, m);
    return submit_body(r, &w, b, h);
}

int tn_osdc_row_delete(tn_osdc_t *c, int32_t osd, const tn_row_delete_req_t *m,
                       tn_osdc_row_put_cb cb, void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (m == NULL)
        return -EINVAL;
    tn_osdc_req_t *r =
        typed_new(c, osd, TN_OP_ROW_DELETE, ad_row_put, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    size_t bound = 20 + m->key.len + 28;
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, bound);
    tn_wire_w_init(&w, b, b != NULL ? bound : 0);
    tn_proto_enc_row_delete_req(&w, m);
    return submit_body(r, &w, b, h);
}

static int ad_pg_digest(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_pg_digest_rep_t m;
    if (err == 0 && tn_proto_dec_pg_digest_rep(PL(rep), &m) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_pg_digest_cb)r->ucb)(r->arg, err, rep, err == 0 ? &m : NULL);
    return err;
}

int tn_osdc_pg_digest(tn_osdc_t *c, int32_t osd, uint32_t pool, uint32_t pg, uint64_t cutoff,
                      tn_osdc_pg_digest_cb cb, void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    tn_osdc_req_t *r =
        typed_new(c, osd, TN_OP_PG_DIGEST, ad_pg_digest, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    tn_pg_req_t m = {.pool = pool, .pg = pg, .cutoff = cutoff};
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, 16);
    tn_wire_w_init(&w, b, b != NULL ? 16 : 0);
    tn_proto_enc_pg_req(&w, &m);
    return submit_body(r, &w, b, h);
}

static int ad_pg_enum(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    tn_proto_iter_t it;
    uint8_t more = 0;
    tn_slice_t cursor = {NULL, 0};
    uint32_t n = 0;
    if (err == 0 && tn_proto_dec_pg_enum_rep(PL(rep), &it, &more, &cursor, &n) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_pg_enum_cb)r->ucb)(r->arg, err, rep, more, cursor, n, err == 0 ? &it : NULL);
    return err;
}

int tn_osdc_pg_enum(tn_osdc_t *c, int32_t osd, const tn_pg_enum_req_t *m, tn_osdc_pg_enum_cb cb,
                    void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (m == NULL)
        return -EINVAL;
    tn_osdc_req_t *r = typed_new(c, osd, TN_OP_PG_ENUM, ad_pg_enum, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    size_t bound = 9 + 4 + m->cursor.len + 4;
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, bound);
    tn_wire_w_init(&w, b, b != NULL ? bound : 0);
    tn_proto_enc_pg_enum_req(&w, m);
    return submit_body(r, &w, b, h);
}

static int ad_pg_push(tn_osdc_req_t *r, int err, const tn_osdc_reply_t *rep)
{
    uint32_t applied = 0, ignored = 0;
    if (err == 0 && tn_proto_dec_pg_push_rep(PL(rep), &applied, &ignored) != TN_OK)
        err = TN_ERR_PROTO;
    ((tn_osdc_pg_push_cb)r->ucb)(r->arg, err, rep, applied, ignored);
    return err;
}

int tn_osdc_pg_push(tn_osdc_t *c, int32_t osd, const tn_slice_t *rows, uint32_t n,
                    tn_osdc_pg_push_cb cb, void *arg, tn_osdc_req_t **h)
{
    int err = 0;
    if (rows == NULL && n != 0)
        return -EINVAL;
    size_t bound = 4;
    for (uint32_t i = 0; i < n; i++) {
        bound += 4 + rows[i].len;
        if (bound > TN_FRAME_MAX_PAYLOAD)
            return TN_ERR_TOO_BIG;
    }
    tn_osdc_req_t *r = typed_new(c, osd, TN_OP_PG_PUSH, ad_pg_push, (void (*)(void))cb, arg, &err);
    if (r == NULL)
        return err;
    tn_wire_w_t w;
    uint8_t *b = body_buf(r, bound);
    tn_wire_w_init(&w, b, b != NULL ? bound : 0);
    tn_proto_enc_pg_push_begin(&w, n);
    for (uint32_t i = 0; i < n; i++)
        tn_proto_enc_row(&w, rows[i]);
    return submit_body(r, &w, b, h);
}
