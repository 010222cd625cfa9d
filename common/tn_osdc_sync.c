/*
 * tn_osdc_sync.c — blocking wrappers over tn_osdc (contract in tn_osdc_sync.h): each call
 * issues the asynchronous request on the private loop and runs the loop until the request's
 * final callback, copying what the caller asked for into malloc'd memory on the way.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <h2o/socket.h>
#include "tn_osdc_sync.h"

struct st_tn_osdc_sync_t {
    h2o_evloop_t *loop;
    tn_osdc_t *c;
    uint16_t last_status;
    uint64_t last_epoch, last_hlc;
};

/* One blocking call's state. */
typedef struct {
    tn_osdc_sync_t *s;
    int done;
    int err;
    /* accumulated bytes */
    uint8_t *buf;
    size_t len, cap;
    int nomem;
    /* typed outputs */
    void *out;
    uint32_t n_total;
    uint8_t more;
    uint64_t blob_len;
    uint32_t a, b;
} wait_t;

tn_osdc_sync_t *tn_osdc_sync_create(const tn_osdc_opts_t *opts)
{
    tn_osdc_sync_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    /* h2o writes with writev: a closed peer must not kill a tool (tn_osdc.h) */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
    s->loop = h2o_evloop_create();
    s->c = tn_osdc_create(s->loop, opts);
    if (s->c == NULL) {
        h2o_evloop_destroy(s->loop);
        free(s);
        return NULL;
    }
    return s;
}

void tn_osdc_sync_destroy(tn_osdc_sync_t *s)
{
    if (s == NULL)
        return;
    tn_osdc_destroy(s->c);
    /* let the loop free the sockets closed above */
    h2o_evloop_run(s->loop, 0);
    h2o_evloop_destroy(s->loop);
    free(s);
}

tn_osdc_t *tn_osdc_sync_client(tn_osdc_sync_t *s)
{
    return s->c;
}

void tn_osdc_sync_last(const tn_osdc_sync_t *s, uint16_t *status, uint64_t *epoch, uint64_t *hlc)
{
    if (status != NULL)
        *status = s->last_status;
    if (epoch != NULL)
        *epoch = s->last_epoch;
    if (hlc != NULL)
        *hlc = s->last_hlc;
}

static void w_init(wait_t *w, tn_osdc_sync_t *s, void *out)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
    w->out = out;
    s->last_status = 0;
    s->last_epoch = 0;
    s->last_hlc = 0;
    /* h2o's clock only moves when the loop runs: refresh it before timers are armed */
    h2o_evloop_run(s->loop, 0);
}

static void w_append(wait_t *w, const void *p, size_t n)
{
    if (n == 0 || w->nomem)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *nb = realloc(w->buf, cap);
        if (nb == NULL) {
            w->nomem = 1;
            return;
        }
        w->buf = nb;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void w_note(wait_t *w, int err, const tn_osdc_reply_t *rep)
{
    if (rep->has_hdr) {
        w->s->last_status = rep->status;
        w->s->last_epoch = rep->epoch;
        w->s->last_hlc = rep->hlc;
    }
    if (!rep->more) {
        w->done = 1;
        w->err = err;
    }
}

/* Runs the loop until the request completes; rc is what the call returned. */
static int w_run(wait_t *w, int rc)
{
    if (rc != 0) {
        free(w->buf);
        w->buf = NULL;
        return rc;
    }
    while (!w->done)
        h2o_evloop_run(w->s->loop, INT32_MAX);
    if (w->err == 0 && w->nomem)
        w->err = -ENOMEM;
    if (w->err != 0) {
        free(w->buf);
        w->buf = NULL;
        w->len = 0;
    }
    return w->err;
}

/* Hands the accumulated buffer to the caller. */
static void w_give(wait_t *w, uint8_t **out, size_t *len)
{
    if (w->len == 0) {
        free(w->buf);
        w->buf = NULL;
    }
    *out = w->buf;
    *len = w->len;
    w->buf = NULL;
}

static void on_bytes(void *arg, int err, const tn_osdc_reply_t *rep)
{
    wait_t *w = arg;
    if (err == 0)
        w_append(w, rep->payload.base, rep->payload.len);
    w_note(w, err, rep);
}

int tn_osdc_sync_call(tn_osdc_sync_t *s, int32_t osd, uint16_t op, const void *payload, size_t len,
                      uint8_t **out, size_t *outlen)
{
    wait_t w;
    w_init(&w, s, NULL);
    int rc = w_run(&w, tn_osdc_call(s->c, osd, op, payload, len, on_bytes, &w, NULL));
    if (rc == 0)
        w_give(&w, out, outlen);
    return rc;
}

static void on_ping(void *arg, int err, const tn_osdc_reply_t *rep, const tn_ping_rep_t *p)
{
    wait_t *w = arg;
    if (p != NULL)
        *(tn_ping_rep_t *)w->out = *p;
    w_note(w, err, rep);
}

int tn_osdc_sync_ping(tn_osdc_sync_t *s, int32_t osd, tn_ping_rep_t *out)
{
    wait_t w;
    w_init(&w, s, out);
    return w_run(&w, tn_osdc_ping(s->c, osd, on_ping, &w, NULL));
}

static void on_stats(void *arg, int err, const tn_osdc_reply_t *rep, tn_proto_iter_t *it)
{
    (void)it;
    on_bytes(arg, err, rep);
}

int tn_osdc_sync_stats(tn_osdc_sync_t *s, int32_t osd, uint8_t **body, size_t *len)
{
    wait_t w;
    w_init(&w, s, NULL);
    int rc = w_run(&w, tn_osdc_stats_get(s->c, osd, on_stats, &w, NULL));
    if (rc == 0)
        w_give(&w, body, len);
    return rc;
}

static void on_map_get(void *arg, int err, const tn_osdc_reply_t *rep, const tn_map_get_rep_t *m)
{
    wait_t *w = arg;
    if (m != NULL)
        w_append(w, m->map.base, m->map.len);
    w_note(w, err, rep);
}

int tn_osdc_sync_map_get(tn_osdc_sync_t *s, int32_t osd, uint64_t epoch, uint8_t **map, size_t *len)
{
    wait_t w;
    w_init(&w, s, NULL);
    int rc = w_run(&w, tn_osdc_map_get(s->c, osd, epoch, on_map_get, &w, NULL));
    if (rc == 0)
        w_give(&w, map, len);
    return rc;
}

static void on_map_offer(void *arg, int err, const tn_osdc_reply_t *rep,
                         const tn_map_offer_rep_t *m)
{
    wait_t *w = arg;
    if (m != NULL)
        *(tn_map_offer_rep_t *)w->out = *m;
    w_note(w, err, rep);
}

int tn_osdc_sync_map_offer(tn_osdc_sync_t *s, int32_t osd, const tn_map_offer_req_t *m,
                           tn_map_offer_rep_t *out)
{
    wait_t w;
    w_init(&w, s, out);
    return w_run(&w, tn_osdc_map_offer(s->c, osd, m, on_map_offer, &w, NULL));
}

static void on_plain(void *arg, int err, const tn_osdc_reply_t *rep)
{
    w_note(arg, err, rep);
}

int tn_osdc_sync_blob_put(tn_osdc_sync_t *s, int32_t osd, const tn_blobref_t *ref, const void *data,
                          uint64_t len)
{
    wait_t w;
    w_init(&w, s, NULL);
    return w_run(&w, tn_osdc_blob_put(s->c, osd, ref, data, len, on_plain, &w, NULL));
}

static void on_blob_get(void *arg, int err, const tn_osdc_reply_t *rep, const tn_blob_get_rep_t *g)
{
    wait_t *w = arg;
    if (g != NULL) {
        w->blob_len = g->blob_len;
        w_append(w, g->data.base, g->data.len);
    }
    w_note(w, err, rep);
}

int tn_osdc_sync_blob_get(tn_osdc_sync_t *s, int32_t osd, const tn_blob_get_req_t *m,
                          uint8_t **data, size_t *len, uint64_t *blob_len)
{
    wait_t w;
    w_init(&w, s, NULL);
    int rc = w_run(&w, tn_osdc_blob_get(s->c, osd, m, on_blob_get, &w, NULL));
    if (rc == 0) {
        w_give(&w, data, len);
        if (blob_len != NULL)
            *blob_len = w.blob_len;
    }
    return rc;
}

static void on_blob_stat(void *arg, int err, const tn_osdc_reply_t *rep,
                         const tn_blob_stat_rep_t *st)
{
    wait_t *w = arg;
    if (st != NULL)
        *(tn_blob_stat_rep_t *)w->out = *st;
    w_note(w, err, rep);
}

int tn_osdc_sync_blob_stat(tn_osdc_sync_t *s, int32_t osd, const tn_blobref_t *ref,
                           tn_blob_stat_rep_t *out)
{
    wait_t w;
    w_init(&w, s, out);
    return w_run(&w, tn_osdc_blob_stat(s->c, osd, ref, on_blob_stat, &w, NULL));
}

int tn_osdc_sync_blob_delete(tn_osdc_sync_t *s, int32_t osd, const tn_blobref_t *ref)
{
    wait_t w;
    w_init(&w, s, NULL);
    return w_run(&w, tn_osdc_blob_delete(s->c, osd, ref, on_plain, &w, NULL));
}

static void on_row_put(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    wait_t *w = arg;
    if (r != NULL && w->out != NULL)
        *(tn_row_put_rep_t *)w->out = *r;
    w_note(w, err, rep);
}

int tn_osdc_sync_row_put(tn_osdc_sync_t *s, int32_t osd, uint8_t mode, const void *row,
                         size_t rowlen, tn_row_put_rep_t *out)
{
    wait_t w;
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    w_init(&w, s, out);
    return w_run(&w, tn_osdc_row_put(s->c, osd, mode, row, rowlen, on_row_put, &w, NULL));
}

int tn_osdc_sync_row_put_if(tn_osdc_sync_t *s, int32_t osd, const void *row, size_t rowlen,
                            const tn_proto_ver_t *expect, tn_row_put_rep_t *out)
{
    wait_t w;
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    w_init(&w, s, out);
    return w_run(&w, tn_osdc_row_put_if(s->c, osd, row, rowlen, expect, on_row_put, &w, NULL));
}

static void on_row(void *arg, int err, const tn_osdc_reply_t *rep, const tn_slice_t *row)
{
    wait_t *w = arg;
    if (row != NULL)
        w_append(w, row->base, row->len);
    w_note(w, err, rep);
}

int tn_osdc_sync_row_get(tn_osdc_sync_t *s, int32_t osd, const tn_row_get_req_t *m, uint8_t **row,
                         size_t *len)
{
    wait_t w;
    w_init(&w, s, NULL);
    int rc = w_run(&w, tn_osdc_row_get(s->c, osd, m, on_row, &w, NULL));
    if (rc == 0)
        w_give(&w, row, len);
    return rc;
}

/* Appends a frame's entries (the bytes left in the iterator) and sums the counts. */
static void on_row_list(void *arg, int err, const tn_osdc_reply_t *rep, uint8_t more, uint32_t n,
                        tn_proto_iter_t *it)
{
    wait_t *w = arg;
    if (it != NULL) {
        if (w->len == 0) {
            uint8_t room[5] = {0};
            w_append(w, room, sizeof(room)); /* the merged body's fixed part, filled at the end */
        }
        w_append(w, it->r.p, (size_t)(it->r.end - it->r.p));
        w->n_total += n;
        w->more = more;
    }
    w_note(w, err, rep);
}

int tn_osdc_sync_row_list(tn_osdc_sync_t *s, int32_t osd, const tn_row_list_req_t *m,
                          uint8_t **body, size_t *len)
{
    wait_t w;
    w_init(&w, s, NULL);
    int rc = w_run(&w, tn_osdc_row_list(s->c, osd, m, on_row_list, &w, NULL));
    if (rc != 0)
        return rc;
    if (w.len == 0) {
        uint8_t room[5] = {0};
        w_append(&w, room, sizeof(room));
        if (w.nomem)
            return -ENOMEM;
    }
    tn_wire_w_t wr;
    tn_wire_w_init(&wr, w.buf, 5);
    tn_proto_enc_row_list_rep_begin(&wr, w.more, w.n_total);
    w_give(&w, body, len);
    return 0;
}

int tn_osdc_sync_row_delete(tn_osdc_sync_t *s, int32_t osd, const tn_row_delete_req_t *m,
                            uint8_t *result)
{
    wait_t w;
    tn_row_put_rep_t r;
    memset(&r, 0, sizeof(r));
    w_init(&w, s, &r);
    int rc = w_run(&w, tn_osdc_row_delete(s->c, osd, m, on_row_put, &w, NULL));
    if (rc == 0 && result != NULL)
        *result = r.result;
    return rc;
}

static void on_pg_digest(void *arg, int err, const tn_osdc_reply_t *rep,
                         const tn_pg_digest_rep_t *d)
{
    wait_t *w = arg;
    if (d != NULL)
        *(tn_pg_digest_rep_t *)w->out = *d;
    w_note(w, err, rep);
}

int tn_osdc_sync_pg_digest(tn_osdc_sync_t *s, int32_t osd, uint32_t pool, uint32_t pg,
                           uint64_t cutoff, tn_pg_digest_rep_t *out)
{
    wait_t w;
    w_init(&w, s, out);
    return w_run(&w, tn_osdc_pg_digest(s->c, osd, pool, pg, cutoff, on_pg_digest, &w, NULL));
}

static void on_pg_enum(void *arg, int err, const tn_osdc_reply_t *rep, uint8_t more,
                       tn_slice_t cursor, uint32_t n, tn_proto_iter_t *it)
{
    (void)more;
    (void)cursor;
    (void)n;
    (void)it;
    on_bytes(arg, err, rep);
}

int tn_osdc_sync_pg_enum(tn_osdc_sync_t *s, int32_t osd, const tn_pg_enum_req_t *m, uint8_t **body,
                         size_t *len)
{
    wait_t w;
    w_init(&w, s, NULL);
    int rc = w_run(&w, tn_osdc_pg_enum(s->c, osd, m, on_pg_enum, &w, NULL));
    if (rc == 0)
        w_give(&w, body, len);
    return rc;
}

static void on_pg_push(void *arg, int err, const tn_osdc_reply_t *rep, uint32_t applied,
                       uint32_t ignored)
{
    wait_t *w = arg;
    w->a = applied;
    w->b = ignored;
    w_note(w, err, rep);
}

int tn_osdc_sync_pg_push(tn_osdc_sync_t *s, int32_t osd, const tn_slice_t *rows, uint32_t n,
                         uint32_t *applied, uint32_t *ignored)
{
    wait_t w;
    w_init(&w, s, NULL);
    int rc = w_run(&w, tn_osdc_pg_push(s->c, osd, rows, n, on_pg_push, &w, NULL));
    if (rc == 0) {
        if (applied != NULL)
            *applied = w.a;
        if (ignored != NULL)
            *ignored = w.b;
    }
    return rc;
}
