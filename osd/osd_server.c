/*
 * osd_server.c — this file implements tern-osd's network server (osd_server.h): the listener,
 * connections (frame decoding, reply queue, back-pressure), request dispatch, and shutdown.
 * The op handlers live in osd_ops_*.c.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "osd_nowait.h"
#include "osd_srv_internal.h"
#include "tn_admin.h"
#include "tn_crc.h"
#include "tn_log.h"

#define WRITE_BATCH 64
/* largest emptied input buffer a connection keeps (a 1 MiB blob piece's), and how long it keeps
 * one that no frame used */
#define KEEP_INPUT_MAX     ((size_t)4 << 20)
#define KEEP_INPUT_IDLE_MS 1000
/* SO_RCVBUF of the listening socket, inherited by every accepted connection (the kernel doubles
 * it: ~2 MiB). h2o 2.2.5 reads a socket until a read leaves room in its buffer, doubling the
 * buffer as it goes, so with the kernel's autotuned window (up to tcp_rmem's max, 32 MiB here)
 * four pipelined 4 MiB chunks grew an input buffer past KEEP_INPUT_MAX, and it was freed and
 * grown again from 4 KiB for the next burst: page faults and copies. Bounded, it stays within
 * KEEP_INPUT_MAX and is kept. 32 MiB PUT: OSD page faults per request 29-49k -> 9-12k, OSD CPU
 * -13 to -24 % (docs/BENCHMARKS.md, "OSD input buffers"). 2 MiB is well above the
 * bandwidth-delay product of a LAN (10 Gbit/s x 0.2 ms = 250 KB); replies and pulled blobs
 * flow the other way, into the peer's own (autotuned) receive buffer. */
#define LISTEN_RCVBUF (1 << 20)

struct st_osd_conn_t {
    osd_srv_t *srv;
    h2o_socket_t *sock;
    osd_conn_t *prev, *next; /* all open connections of the server */
    unsigned refs;
    int closed;
    int writing;
    int paused;                 /* reading stopped for back-pressure */
    int processing;             /* inside process_input */
    osd_out_t *q_head, *q_tail; /* waiting to be written */
    osd_out_t *w_head;          /* handed to h2o_socket_write */
    h2o_iovec_t iov[WRITE_BATCH];
    uint64_t queued_data;
    uint64_t inflight;
    osd_stream_t *streams;
    uint64_t id;
    h2o_timeout_entry_t resume_entry; /* linked (holding a reference) while a resume is due */
    h2o_timeout_entry_t idle_entry;   /* frees a kept input buffer (KEEP_INPUT_IDLE_MS) */
    int input_used;                   /* a frame went through the kept buffer since the last look */
};

static osd_conn_t *g_conns; /* open connections (loop thread only; one server per process) */
static uint64_t g_conn_seq;

uint64_t osd_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Blob pieces (1 MiB and a prefix) are the large buffers of the data path: request payloads
 * and reply frames of that size come in PIECE_BUF buffers, and up to PIECE_KEEP freed ones of
 * each kind are kept for the next frames. A fresh 1 MiB allocation per frame is an mmap
 * (glibc's fixed 128 KiB threshold, osd_main.c) whose pages fault and are zeroed on first
 * touch, then unmapped (docs/BENCHMARKS.md, "One large PUT and GET"). At most 2 x PIECE_KEEP
 * such buffers stay allocated when idle. */
#define PIECE_MIN  ((size_t)64 << 10)
#define PIECE_BUF  (((size_t)1 << 20) + 4096)
#define PIECE_KEEP 4

/* ---- outgoing frames ---- */

/* reply frames are built on workers and freed on the loop: the cache has a lock */
static pthread_mutex_t g_out_lock = PTHREAD_MUTEX_INITIALIZER;
static osd_out_t *g_out_bufs[PIECE_KEEP];
static unsigned g_n_out_bufs;

osd_out_t *osd_out_new(size_t body_cap)
{
    int pooled = body_cap >= PIECE_MIN && body_cap <= PIECE_BUF;
    osd_out_t *o = NULL;
    if (pooled) {
        pthread_mutex_lock(&g_out_lock);
        if (g_n_out_bufs > 0)
            o = g_out_bufs[--g_n_out_bufs];
        pthread_mutex_unlock(&g_out_lock);
    }
    if (o == NULL)
        o = malloc(sizeof(*o) + TN_FRAME_HDR_SIZE + (pooled ? PIECE_BUF : body_cap));
    if (o == NULL)
        return NULL;
    o->pooled = pooled;
    o->next = NULL;
    o->on_sent = NULL;
    o->arg = NULL;
    o->body_len = 0;
    o->body_crc = 0;
    return o;
}

void osd_out_free(osd_out_t *o)
{
    if (o != NULL && o->pooled) {
        pthread_mutex_lock(&g_out_lock);
        if (g_n_out_bufs < PIECE_KEEP) {
            g_out_bufs[g_n_out_bufs++] = o;
            o = NULL;
        }
        pthread_mutex_unlock(&g_out_lock);
    }
    free(o);
}

void osd_out_finish(osd_out_t *o, size_t body_len)
{
    o->body_len = body_len;
    o->body_crc = body_len ? tn_crc32c(0, osd_out_body(o), body_len) : 0;
}

static void out_drop(osd_out_t *o, int ok)
{
    if (o->on_sent != NULL)
        o->on_sent(o->arg, ok);
    osd_out_free(o);
}

static void conn_close(osd_conn_t *c, const char *why);
static void conn_flush(osd_conn_t *c);

static void on_written(h2o_socket_t *sock, const char *err)
{
    osd_conn_t *c = sock->data;
    if (c == NULL)
        return;
    c->writing = 0;
    osd_out_t *o = c->w_head;
    c->w_head = NULL;
    while (o != NULL) {
        osd_out_t *next = o->next;
        out_drop(o, err == NULL);
        o = next;
    }
    if (err != NULL) {
        conn_close(c, err);
        return;
    }
    conn_flush(c);
}

static void conn_flush(osd_conn_t *c)
{
    if (c->writing || c->closed || c->q_head == NULL)
        return;
    size_t n = 0;
    osd_out_t **tail = &c->w_head;
    while (c->q_head != NULL && n < WRITE_BATCH) {
        osd_out_t *o = c->q_head;
        c->q_head = o->next;
        o->next = NULL;
        *tail = o;
        tail = &o->next;
        c->iov[n++] = h2o_iovec_init(o->bytes, TN_FRAME_HDR_SIZE + o->body_len);
        c->srv->c.bytes_out += TN_FRAME_HDR_SIZE + o->body_len;
    }
    if (c->q_head == NULL)
        c->q_tail = NULL;
    c->writing = 1;
    h2o_socket_write(c->sock, c->iov, n, on_written);
}

void osd_conn_send(osd_conn_t *c, const tn_frame_hdr_t *req, osd_out_t *o, int err, uint8_t flags)
{
    osd_srv_t *srv = c->srv;
    if (c->closed) {
        out_drop(o, 0);
        return;
    }
    tn_frame_hdr_t h = {0};
    h.flags = (uint8_t)(TN_FRAME_F_REPLY | flags);
    h.op = req->op;
    h.status = tn_frame_status_from_err(err);
    h.req_id = req->req_id;
    h.epoch = osd_ms_epoch(srv->ms);
    h.hlc = tn_hlc_now(&srv->hlc, osd_wall_ms());
    h.payload_len = (uint32_t)o->body_len;
    h.payload_crc = o->body_crc;
    tn_frame_encode_header(&h, o->bytes);
    srv->c.replies++;
    if (err != 0)
        srv->c.errors++;
    if (c->q_tail != NULL)
        c->q_tail->next = o;
    else
        c->q_head = o;
    c->q_tail = o;
    o->next = NULL;
    conn_flush(c);
}

void osd_conn_reply_status(osd_conn_t *c, const tn_frame_hdr_t *hdr, int err)
{
    osd_out_t *o = osd_out_new(0);
    if (o == NULL) {
        conn_close(c, "out of memory");
        return;
    }
    osd_conn_send(c, hdr, o, err, 0);
}

int osd_conn_closed(const osd_conn_t *c)
{
    return c->closed;
}

osd_stream_t **osd_conn_streams(osd_conn_t *c)
{
    return &c->streams;
}

void osd_conn_ref(osd_conn_t *c)
{
    c->refs++;
}

void osd_conn_unref(osd_conn_t *c)
{
    if (--c->refs != 0)
        return;
    free(c);
}

/* ---- requests ---- */

/* Payloads of blob pieces (a 1 MiB DATA frame and its prefix): see PIECE_BUF above. Loop
 * thread only, as req_new and osd_req_free. */
static void *g_piece_bufs[PIECE_KEEP];
static unsigned g_n_piece_bufs;

static void *payload_alloc(size_t len)
{
    if (len < PIECE_MIN || len > PIECE_BUF)
        return malloc(len);
    if (g_n_piece_bufs > 0)
        return g_piece_bufs[--g_n_piece_bufs];
    return malloc(PIECE_BUF);
}

static void payload_free(void *p, size_t len)
{
    if (p != NULL && len >= PIECE_MIN && len <= PIECE_BUF && g_n_piece_bufs < PIECE_KEEP)
        g_piece_bufs[g_n_piece_bufs++] = p;
    else
        free(p);
}

static osd_req_t *req_new(osd_conn_t *c, const tn_frame_hdr_t *hdr, const uint8_t *payload)
{
    osd_req_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    if (hdr->payload_len != 0) {
        r->payload = payload_alloc(hdr->payload_len);
        if (r->payload == NULL) {
            free(r);
            return NULL;
        }
        memcpy(r->payload, payload, hdr->payload_len);
    }
    r->srv = c->srv;
    r->conn = c;
    r->hdr = *hdr;
    r->outs_tail = &r->outs;
    osd_conn_ref(c);
    c->inflight++;
    c->srv->inflight++;
    return r;
}

static void conn_maybe_resume(osd_conn_t *c);

void osd_req_free(osd_req_t *req)
{
    osd_out_t *o = req->outs;
    while (o != NULL) {
        osd_out_t *next = o->next;
        osd_out_free(o);
        o = next;
    }
    payload_free(req->payload, req->hdr.payload_len);
    osd_conn_t *c = req->conn;
    c->inflight--;
    req->srv->inflight--;
    free(req);
    conn_maybe_resume(c);
    osd_conn_unref(c);
}

int osd_req_add_out(osd_req_t *req, const void *body, size_t len)
{
    osd_out_t *o = osd_out_new(len);
    if (o == NULL)
        return -ENOMEM;
    if (len)
        memcpy(osd_out_body(o), body, len);
    osd_out_finish(o, len);
    *req->outs_tail = o;
    req->outs_tail = &o->next;
    return 0;
}

void osd_req_finish(osd_req_t *req)
{
    if (req->status < 0) {
        osd_req_reply_status(req, req->status);
        return;
    }
    osd_out_t *o = req->outs;
    req->outs = NULL;
    req->outs_tail = &req->outs;
    if (o == NULL) {
        osd_req_reply_status(req, 0);
        return;
    }
    while (o != NULL) {
        osd_out_t *next = o->next;
        osd_conn_send(req->conn, &req->hdr, o, 0, next != NULL ? TN_FRAME_F_MORE : 0);
        o = next;
    }
    osd_req_free(req);
}

void osd_req_reply_status(osd_req_t *req, int err)
{
    osd_conn_reply_status(req->conn, &req->hdr, err);
    osd_req_free(req);
}

static void req_job_run(osd_job_t *job, osd_wctx_t *ctx)
{
    osd_req_t *req = osd_req_of_job(job);
    req->run_(req, ctx);
}

static void req_job_done(osd_job_t *job)
{
    osd_req_t *req = osd_req_of_job(job);
    req->done_(req);
}

void osd_req_submit(osd_req_t *req, void (*run)(osd_req_t *req, osd_wctx_t *ctx),
                    void (*done)(osd_req_t *req))
{
    req->run_ = run;
    req->done_ = done;
    req->job.run = req_job_run;
    req->job.done = req_job_done;
    osd_srv_t *srv = req->srv;
    if (srv->work == NULL) { /* shutting down: the pool is gone */
        osd_wctx_t ctx = {NULL};
        run(req, &ctx);
        done(req);
        return;
    }
    osd_work_submit(srv->work, &req->job);
}

void osd_srv_note_write(osd_srv_t *srv, int err)
{
    if (err == -ENOSPC || err == -EDQUOT)
        srv->nospc_until_ms = osd_wall_ms() + 10000;
    else if (err == 0)
        srv->nospc_until_ms = 0;
}

/* ---- connections: input ---- */

static void on_read(h2o_socket_t *sock, const char *err);
static void process_input(osd_conn_t *c);

static int conn_over_limits(const osd_conn_t *c)
{
    return c->queued_data > OSD_SRV_MAX_QUEUED_DATA || c->inflight > OSD_SRV_MAX_INFLIGHT;
}

/* The input already buffered is processed on the next loop turn, never from here: this runs
 * inside request completions (osd_req_free, osd_conn_add_queued), often while a handler walks
 * its own state (a blob stream dropping its queue, or between a failed write and marking its
 * stream failed). Dispatching frames from inside would re-enter that handler: a DATA frame
 * would reach a stream whose writer is already gone, or an END would free the stream under the
 * caller (the double free and NULL writer crashes seen when a disk filled under concurrent
 * puts). */
static void on_resume(h2o_timeout_entry_t *e)
{
    osd_conn_t *c = H2O_STRUCT_FROM_MEMBER(osd_conn_t, resume_entry, e);
    if (!c->closed && !c->paused && !c->processing)
        process_input(c);
    osd_conn_unref(c);
}

static void conn_maybe_resume(osd_conn_t *c)
{
    if (!c->paused || c->closed)
        return;
    if (c->queued_data > OSD_SRV_MAX_QUEUED_DATA / 2 || c->inflight > OSD_SRV_MAX_INFLIGHT / 2)
        return;
    c->paused = 0;
    h2o_socket_read_start(c->sock, on_read);
    if (!c->processing && !h2o_timeout_is_linked(&c->resume_entry)) {
        osd_conn_ref(c);
        h2o_timeout_link(c->srv->loop, &c->srv->t_zero, &c->resume_entry);
    }
}

void osd_conn_add_queued(osd_conn_t *c, int64_t delta)
{
    c->queued_data = (uint64_t)((int64_t)c->queued_data + delta);
    if (delta < 0)
        conn_maybe_resume(c);
}

static int is_epoch_op(uint16_t op)
{
    return op == TN_OP_ROW_PUT || op == TN_OP_ROW_GET || op == TN_OP_ROW_LIST;
}

/* Everything but the control ops (PING, STATS, KICK, MAP_GET, MAP_OFFER). */
static int is_data_op(uint16_t op)
{
    return op != TN_OP_PING && op != TN_OP_STATS && op != TN_OP_KICK && op != TN_OP_MAP_GET &&
           op != TN_OP_MAP_OFFER;
}

static void dispatch(osd_conn_t *c, const tn_frame_hdr_t *hdr, const uint8_t *payload)
{
    osd_srv_t *srv = c->srv;
    srv->c.requests++;
    if (hdr->op < OSD_NOPS)
        srv->c.by_op[hdr->op]++;
    osd_req_t *req = req_new(c, hdr, payload);
    if (req == NULL) {
        conn_close(c, "out of memory");
        return;
    }
    int early = 0;
    if (tn_frame_check_payload(hdr, payload) != 0) {
        srv->c.payload_crc_errors++;
        early = TN_ERR_CHECKSUM;
    } else if (tn_hlc_update(&srv->hlc, hdr->hlc, osd_wall_ms(), OSD_SRV_CLOCK_AHEAD_MS, NULL) !=
               0) {
        srv->c.clock_refused++;
        tn_log_warn("msg=\"request clock too far ahead, refused\" conn=%" PRIu64
                    " op=0x%04x remote_ms=%" PRIu64 " wall_ms=%" PRIu64,
                    c->id, hdr->op, tn_hlc_physical_ms(hdr->hlc), osd_wall_ms());
        early = TN_ERR_CLOCK;
    } else if (srv->stopping) {
        early = -ESHUTDOWN;
    } else if (is_data_op(hdr->op) && osd_ms_admission(srv->ms) == OSD_MS_NOT_ADMITTED) {
        /* rule 4: a replaced or wiped disk serves nothing until `ternctl osd replace` */
        srv->c.not_admitted++;
        early = TN_ERR_CONFIG;
    }
    switch (hdr->op) {
    case TN_OP_BLOB_PUT_BEGIN:
    case TN_OP_BLOB_PUT_DATA:
    case TN_OP_BLOB_PUT_END: osd_op_blob_stream_frame(req, early); return;
    default: break;
    }
    if (early != 0) {
        osd_req_reply_status(req, early);
        return;
    }
    if (is_epoch_op(hdr->op) && hdr->epoch != osd_ms_epoch(srv->ms)) {
        srv->c.stale_epoch++;
        osd_req_reply_status(req, TN_ERR_STALE_EPOCH);
        return;
    }
    switch (hdr->op) {
    case TN_OP_PING: osd_op_ping(req); break;
    case TN_OP_STATS: osd_op_stats(req); break;
    case TN_OP_KICK: osd_op_kick(req); break;
    case TN_OP_MAP_GET: osd_op_map_get(req); break;
    case TN_OP_MAP_OFFER: osd_op_map_offer(req); break;
    case TN_OP_BLOB_GET: osd_op_blob_get(req); break;
    case TN_OP_BLOB_STAT: osd_op_blob_stat(req); break;
    case TN_OP_BLOB_DELETE: osd_op_blob_delete(req); break;
    case TN_OP_ROW_PUT: osd_op_row_put(req); break;
    case TN_OP_ROW_GET: osd_op_row_get(req); break;
    case TN_OP_ROW_LIST: osd_op_row_list(req); break;
    case TN_OP_ROW_DELETE: osd_op_row_delete(req); break;
    case TN_OP_PG_DIGEST: osd_op_pg_digest(req); break;
    case TN_OP_PG_ENUM: osd_op_pg_enum(req); break;
    case TN_OP_PG_PUSH: osd_op_pg_push(req); break;
    default:
        srv->c.unsupported++;
        osd_req_reply_status(req, TN_ERR_UNSUPPORTED);
        break;
    }
}

static void process_input(osd_conn_t *c)
{
    osd_conn_ref(c);
    c->processing = 1;
    while (!c->closed && !c->paused) {
        h2o_buffer_t *in = c->sock->input;
        tn_frame_hdr_t hdr;
        tn_frame_why_t why = TN_FRAME_WHY_NONE;
        ssize_t rc = tn_frame_decode_header((const uint8_t *)in->bytes, in->size,
                                            TN_FRAME_MAX_PAYLOAD, &hdr, &why);
        if (rc == TN_PARSE_INCOMPLETE)
            break;
        if (rc < 0) {
            c->srv->c.conns_bad_frame++;
            tn_log_warn("msg=\"bad frame header, closing connection\" conn=%" PRIu64 " why=\"%s\"",
                        c->id, tn_frame_why_str(why));
            conn_close(c, NULL);
            break;
        }
        size_t total = TN_FRAME_HDR_SIZE + (size_t)hdr.payload_len;
        if (in->size < total) {
            /* Room for the whole frame now (the header bounds it): growing by doubling as
             * bytes arrive took ~8 fresh allocations, copies and unmaps per 1 MiB blob
             * piece (docs/BENCHMARKS.md, "One large PUT and GET"). */
            if (h2o_buffer_reserve(&c->sock->input, total - in->size).base == NULL) {
                conn_close(c, "out of memory");
            }
            break;
        }
        c->srv->c.bytes_in += total;
        dispatch(c, &hdr, (const uint8_t *)in->bytes + TN_FRAME_HDR_SIZE);
        if (c->closed)
            break;
        in = c->sock->input;
        if (in->size == total && in->_fd == -1 && in->capacity <= KEEP_INPUT_MAX) {
            /* Keep the emptied buffer instead of freeing it, so the next frame lands in memory
             * already mapped (no page faults, zeroing and unmaps per 1 MiB DATA frame).
             * Keeping it only while a blob stream was open still freed it at every chunk's
             * END and between PUTs: ~15 % of the OSDs' CPU of a 32 MiB PUT was page faults
             * of fresh buffers (docs/BENCHMARKS.md, "OSD input buffers"). on_input_idle frees
             * it once no frame used it for KEEP_INPUT_IDLE_MS. */
            in->size = 0;
            in->bytes = in->_buf;
            c->input_used = 1;
            if (in->capacity > H2O_SOCKET_INITIAL_INPUT_BUFFER_SIZE &&
                !h2o_timeout_is_linked(&c->idle_entry))
                h2o_timeout_link(c->srv->loop, &c->srv->t_input_idle, &c->idle_entry);
        } else {
            h2o_buffer_consume(&c->sock->input, total);
        }
        if (conn_over_limits(c)) {
            c->paused = 1;
            h2o_socket_read_stop(c->sock);
        }
    }
    c->processing = 0;
    osd_conn_unref(c);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    osd_conn_t *c = sock->data;
    if (c == NULL)
        return;
    if (err != NULL) {
        conn_close(c, err == h2o_socket_error_closed ? NULL : err);
        return;
    }
    process_input(c);
}

/* A kept input buffer (process_input): looked at every KEEP_INPUT_IDLE_MS, freed once no frame
 * used it since the last look. */
static void on_input_idle(h2o_timeout_entry_t *e)
{
    osd_conn_t *c = H2O_STRUCT_FROM_MEMBER(osd_conn_t, idle_entry, e);
    if (c->closed || c->sock == NULL)
        return;
    h2o_buffer_t *in = c->sock->input;
    if (c->input_used || in->size != 0) {
        c->input_used = 0; /* in use, or a frame is arriving: look again later */
        h2o_timeout_link(c->srv->loop, &c->srv->t_input_idle, &c->idle_entry);
        return;
    }
    h2o_buffer_dispose(&c->sock->input);
    h2o_buffer_init(&c->sock->input, &h2o_socket_buffer_prototype);
    c->srv->c.input_trims++;
}

static void conn_close(osd_conn_t *c, const char *why)
{
    if (c->closed)
        return;
    c->closed = 1;
    osd_srv_t *srv = c->srv;
    srv->c.conns_open--;
    if (why != NULL)
        tn_log_info("msg=\"connection closed\" conn=%" PRIu64 " err=\"%s\"", c->id, why);
    else
        tn_log_debug("msg=\"connection closed\" conn=%" PRIu64, c->id);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        g_conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    if (h2o_timeout_is_linked(&c->resume_entry)) {
        h2o_timeout_unlink(&c->resume_entry);
        osd_conn_unref(c); /* cannot be the last reference: the connection's own is below */
    }
    if (h2o_timeout_is_linked(&c->idle_entry))
        h2o_timeout_unlink(&c->idle_entry);
    c->sock->data = NULL;
    h2o_socket_close(c->sock);
    c->sock = NULL;
    /* The socket is closed: nothing queued or handed to it will be written. */
    osd_out_t *o = c->w_head;
    c->w_head = NULL;
    while (o != NULL) {
        osd_out_t *next = o->next;
        out_drop(o, 0);
        o = next;
    }
    o = c->q_head;
    c->q_head = c->q_tail = NULL;
    while (o != NULL) {
        osd_out_t *next = o->next;
        out_drop(o, 0);
        o = next;
    }
    osd_blob_streams_abort(c);
    osd_conn_unref(c);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    osd_srv_t *srv = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return;
    osd_conn_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        h2o_socket_close(sock);
        return;
    }
    c->srv = srv;
    c->sock = sock;
    c->refs = 1;
    c->id = ++g_conn_seq;
    c->resume_entry.cb = on_resume;
    c->idle_entry.cb = on_input_idle;
    c->next = g_conns;
    if (g_conns != NULL)
        g_conns->prev = c;
    g_conns = c;
    sock->data = c;
    srv->c.conns_total++;
    srv->c.conns_open++;
    tn_log_debug("msg=\"connection accepted\" conn=%" PRIu64, c->id);
    h2o_socket_read_start(sock, on_read);
}

/* ---- signals and lifetime ---- */

static void on_signal_pipe(h2o_socket_t *sock, const char *err)
{
    osd_srv_t *srv = sock->data;
    if (err == NULL)
        h2o_buffer_consume(&sock->input, sock->input->size);
    if (srv->stopping)
        return;
    srv->stopping = 1;
    srv->stop_at_ms = mono_ms() + OSD_SRV_DRAIN_MS;
    tn_log_info("msg=\"stopping: no new connections, finishing requests in flight\" "
                "inflight=%" PRIu64,
                srv->inflight);
    if (srv->listener != NULL) {
        h2o_socket_read_stop(srv->listener);
        h2o_socket_close(srv->listener);
        srv->listener = NULL;
    }
}

void osd_srv_request_stop(osd_srv_t *srv)
{
    char b = 1;
    ssize_t n = write(srv->sigpipe[1], &b, 1);
    (void)n;
}

static int listen_on(const char *host, uint16_t port, int *out)
{
    char pstr[8];
    snprintf(pstr, sizeof(pstr), "%u", (unsigned)port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int gai = getaddrinfo(host, pstr, &hints, &res);
    if (gai != 0) {
        tn_log_error("msg=\"cannot resolve listen address\" host=\"%s\" err=\"%s\"", host,
                     gai_strerror(gai));
        return -EINVAL;
    }
    int rc = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        int rcvbuf = LISTEN_RCVBUF;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0)
            tn_log_warn("msg=\"cannot bound the receive buffer; using the kernel's\" err=\"%s\"",
                        strerror(errno));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0 ||
            fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
            rc = -errno;
            close(fd);
            continue;
        }
        *out = fd;
        rc = 0;
        break;
    }
    freeaddrinfo(res);
    if (rc != 0)
        tn_log_error("msg=\"cannot listen\" host=\"%s\" port=%u err=\"%s\"", host, (unsigned)port,
                     tn_strerror(rc));
    return rc;
}

int osd_srv_create(const osd_srv_opts_t *opts, osd_bs_t *bs, osd_idx_t *idx, osd_mapstore_t *ms,
                   osd_srv_t **out)
{
    osd_srv_t *srv = calloc(1, sizeof(*srv));
    if (srv == NULL)
        return -ENOMEM;
    srv->opts = *opts;
    srv->bs = bs;
    srv->idx = idx;
    srv->ms = ms;
    srv->sigpipe[0] = srv->sigpipe[1] = -1;
    tn_hlc_init(&srv->hlc, 0);
    srv->holds = osd_holds_create((int32_t)opts->osd_id, ms);
    if (srv->holds == NULL) {
        free(srv);
        return -ENOMEM;
    }
    int fd = -1;
    int rc = listen_on(opts->host, opts->port, &fd);
    if (rc != 0) {
        osd_holds_destroy(srv->holds);
        free(srv);
        return rc;
    }
    if (pipe(srv->sigpipe) != 0) {
        rc = -errno;
        close(fd);
        osd_holds_destroy(srv->holds);
        free(srv);
        return rc;
    }
    fcntl(srv->sigpipe[0], F_SETFL, O_NONBLOCK);
    fcntl(srv->sigpipe[1], F_SETFL, O_NONBLOCK);
    fcntl(srv->sigpipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(srv->sigpipe[1], F_SETFD, FD_CLOEXEC);
    srv->loop = h2o_evloop_create();
    h2o_timeout_init(srv->loop, &srv->t_zero, 0);
    h2o_timeout_init(srv->loop, &srv->t_input_idle, KEEP_INPUT_IDLE_MS);
    srv->queue = h2o_multithread_create_queue(srv->loop);
    h2o_multithread_register_receiver(srv->queue, &srv->recv, osd_work_on_messages);
    rc = osd_work_create(opts->workers ? opts->workers : 1, idx, &srv->recv, &srv->work);
    if (rc != 0) {
        close(fd);
        osd_srv_destroy(srv);
        return rc;
    }
    /* ROW_GETs on the loop: through the no-wait VFS only (osd_nowait.h), so never waiting for
     * the disk; an index opened with a VFS of its own (tests) keeps every read on workers */
    if (opts->loop_reads && idx != NULL && osd_idx_vfs(idx) == NULL && osd_nowait_register() == 0 &&
        osd_idx_reader_open_vfs(idx, OSD_NOWAIT_VFS, &srv->loop_rd) != 0)
        srv->loop_rd = NULL;
    srv->listener = h2o_evloop_socket_create(srv->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    srv->listener->data = srv;
    h2o_socket_read_start(srv->listener, on_accept);
    srv->sigsock = h2o_evloop_socket_create(srv->loop, srv->sigpipe[0], H2O_SOCKET_FLAG_DONT_READ);
    srv->sigpipe[0] = -1; /* owned by the socket now */
    srv->sigsock->data = srv;
    h2o_socket_read_start(srv->sigsock, on_signal_pipe);
    *out = srv;
    return 0;
}

/* 1 when every reply was handed to the kernel. */
static int replies_flushed(void)
{
    for (osd_conn_t *c = g_conns; c != NULL; c = c->next)
        if (c->writing || c->q_head != NULL)
            return 0;
    return 1;
}

int osd_srv_run(osd_srv_t *srv)
{
    for (;;) {
        h2o_evloop_run(srv->loop, srv->stopping ? 10 : 100);
        if (srv->stopping &&
            ((srv->inflight == 0 && replies_flushed()) || mono_ms() > srv->stop_at_ms))
            break;
    }
    if (srv->inflight != 0)
        tn_log_warn("msg=\"stopping with requests still in flight\" inflight=%" PRIu64,
                    srv->inflight);
    return 0;
}

tn_hlc_t *osd_srv_hlc(osd_srv_t *srv)
{
    return &srv->hlc;
}

int osd_srv_admin_listen(osd_srv_t *srv, const char *host, uint16_t port)
{
    char err[256];
    int fd = tn_admin_listen(host, port, err, sizeof err);
    if (fd < 0) {
        tn_log_error("msg=\"cannot open the admin port\" reason=\"%s\"", err);
        return fd;
    }
    int rc = tn_admin_start(srv->loop, fd, osd_metrics_render, srv, &srv->admin);
    if (rc != 0)
        return rc;
    tn_log_info("msg=\"admin port\" addr=\"%s:%u\"", host, (unsigned)port);
    return 0;
}

void osd_srv_set_recovery(osd_srv_t *srv, osd_rec_t *rec)
{
    srv->rec = rec;
}

void osd_srv_destroy(osd_srv_t *srv)
{
    if (srv == NULL)
        return;
    if (srv->loop != NULL) {
        while (g_conns != NULL)
            conn_close(g_conns, NULL);
        /* Let workers and the index finish what was queued (stream aborts, commits). */
        uint64_t until = mono_ms() + 2000;
        while ((srv->work != NULL && osd_work_pending(srv->work) != 0) || srv->inflight != 0) {
            h2o_evloop_run(srv->loop, 10);
            if (mono_ms() > until)
                break;
        }
    }
    osd_work_t *w = srv->work;
    srv->work = NULL;
    osd_work_destroy(w);
    osd_idx_reader_close(srv->loop_rd);
    srv->loop_rd = NULL;
    if (srv->loop != NULL) {
        h2o_evloop_run(srv->loop, 0);
        tn_admin_stop(srv->admin);
        srv->admin = NULL;
        if (srv->listener != NULL)
            h2o_socket_close(srv->listener);
        if (srv->sigsock != NULL)
            h2o_socket_close(srv->sigsock);
        h2o_evloop_run(srv->loop, 0);
        h2o_multithread_unregister_receiver(srv->queue, &srv->recv);
        h2o_multithread_destroy_queue(srv->queue);
        free(srv->queue); /* h2o 2.2.5's evloop variant does not free the queue itself */
        h2o_evloop_run(srv->loop, 0);
        h2o_timeout_dispose(srv->loop, &srv->t_zero); /* every connection unlinked at close */
        h2o_timeout_dispose(srv->loop, &srv->t_input_idle);
        h2o_evloop_destroy(srv->loop);
    }
    if (srv->sigpipe[0] >= 0)
        close(srv->sigpipe[0]);
    if (srv->sigpipe[1] >= 0)
        close(srv->sigpipe[1]);
    osd_holds_destroy(srv->holds);
    free(srv);
}

void osd_srv_set_gc(osd_srv_t *srv, osd_gc_t *gc)
{
    srv->gc = gc;
}
