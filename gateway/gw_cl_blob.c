/*
 * gw_cl_blob.c — blob writes at quorum (gw_cl_blob_put: every replica of the blob's PG, W
 * acknowledgements, a second notification once no request references the caller's data) and
 * blob reads from one replica with fall-back and hedging (gw_cl_blob_get). Contracts in
 * gw_cluster.h.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include "gw_cl_internal.h"
#include "tn_log.h"

/* ---- put ---- */

typedef struct {
    gw_cl_op_t op;
    tn_blobref_t ref;
    const void *data;
    uint64_t len;
    gw_cl_done_cb cb;
    gw_cl_release_cb all_done;
    void *arg;
    gw_cl_rset_t rs;
    int w;
    int n_ok, n_fail;
    gw_cl_rq_t *waiting[PL_MAX_SIZE]; /* this attempt's requests still in a pace queue */
} bput_op_t;

static void bput_send_all(bput_op_t *p);
static void bput_failed(bput_op_t *p, int idx, int err);
static void bput_check(bput_op_t *p);
static void on_bput(void *arg, int err, const tn_osdc_reply_t *rep);

/* ---- pacing: GW_CL_PUT_ACTIVE puts per OSD in the OSD client, the rest wait in order ---- */

static gw_cl_pace_t *pace_of(gw_cl_t *cl, int32_t osd)
{
    if (osd < 0)
        return NULL;
    if ((uint32_t)osd >= cl->npace) {
        uint32_t n = (uint32_t)osd + 16;
        gw_cl_pace_t *t = realloc(cl->pace, n * sizeof(*t));
        if (t == NULL)
            return NULL;
        memset(t + cl->npace, 0, (n - cl->npace) * sizeof(*t));
        /* queued requests point at each other, never at the table: moving it is safe */
        cl->pace = t;
        cl->npace = n;
    }
    return &cl->pace[osd];
}

static void pace_unlink(gw_cl_pace_t *q, gw_cl_rq_t *rq)
{
    bput_op_t *p = (bput_op_t *)rq->op;
    if (rq->qprev != NULL)
        rq->qprev->qnext = rq->qnext;
    else
        q->head = rq->qnext;
    if (rq->qnext != NULL)
        rq->qnext->qprev = rq->qprev;
    else
        q->tail = rq->qprev;
    rq->qprev = rq->qnext = NULL;
    rq->queued = 0;
    q->waiting--;
    if (rq->background) {
        q->bg_bytes -= p->len;
        p->op.cl->bg_total -= p->len;
        rq->background = 0;
    }
    if (rq->idx >= 0 && p->waiting[rq->idx] == rq)
        p->waiting[rq->idx] = NULL;
}

/* Hands rq to the OSD client now. 0, or the client's refusal (rq untouched). */
static int pace_start(gw_cl_pace_t *q, gw_cl_rq_t *rq)
{
    bput_op_t *p = (bput_op_t *)rq->op;
    int rc =
        tn_osdc_blob_put(p->op.cl->osdc, rq->osd, &p->ref, p->data, p->len, on_bput, rq, &rq->h);
    if (rc == 0 && q != NULL) {
        q->active++;
        rq->active = 1;
    }
    return rc;
}

/* Starts waiting puts while the OSD has free slots. Runs from callbacks: every request is
 * unlinked before anything that may re-enter (a user callback starting new puts). */
static void pace_kick(gw_cl_t *cl, int32_t osd)
{
    for (;;) {
        /* re-read every turn: a callback below may grow (move) the table */
        gw_cl_pace_t *q = pace_of(cl, osd);
        if (cl->destroying || q == NULL || q->active >= GW_CL_PUT_ACTIVE || q->head == NULL)
            return;
        gw_cl_rq_t *rq = q->head;
        bput_op_t *p = (bput_op_t *)rq->op;
        pace_unlink(q, rq);
        int rc = pace_start(q, rq);
        if (rc != 0) {
            bput_failed(p, rq->idx, rc);
            bput_check(p);
            gw_cl__rq_done(rq);
            gw_cl__maybe_free(&p->op);
        }
    }
}

/* Sends rq now if its OSD has a free slot and nobody waits, else queues it. 0 or a refusal. */
static int pace_submit(gw_cl_t *cl, gw_cl_rq_t *rq)
{
    gw_cl_pace_t *q = pace_of(cl, rq->osd);
    if (q == NULL || (q->active < GW_CL_PUT_ACTIVE && q->head == NULL))
        return pace_start(q, rq); /* no table (out of memory): unpaced, still correct */
    bput_op_t *p = (bput_op_t *)rq->op;
    rq->queued = 1;
    rq->qprev = q->tail;
    rq->qnext = NULL;
    if (q->tail != NULL)
        q->tail->qnext = rq;
    else
        q->head = rq;
    q->tail = rq;
    q->waiting++;
    p->waiting[rq->idx] = rq;
    cl->st.put_waited++;
    return 0;
}

/* The op fired: waiting requests of a failed op are dropped (nothing will reference the
 * blob); those of a successful op become background, dropped past GW_CL_PUT_LAG per OSD or
 * GW_CL_PUT_LAG_TOTAL for the whole client (thread). */
static void pace_op_fired(bput_op_t *p)
{
    gw_cl_t *cl = p->op.cl;
    for (int i = 0; i < p->rs.n; i++) {
        gw_cl_rq_t *rq = p->waiting[i];
        if (rq == NULL || cl->destroying)
            continue;
        gw_cl_pace_t *q = pace_of(cl, rq->osd);
        if (p->op.err == 0 && q->bg_bytes + p->len <= GW_CL_PUT_LAG &&
            cl->bg_total + p->len <= GW_CL_PUT_LAG_TOTAL) {
            rq->background = 1;
            q->bg_bytes += p->len;
            cl->bg_total += p->len;
            continue;
        }
        pace_unlink(q, rq);
        if (p->op.err == 0) {
            cl->st.put_lag_dropped++;
            tn_log_debug("msg=\"lagging replica: background blob write dropped\" osd=%d "
                         "waiting=%u",
                         (int)rq->osd, q->waiting);
        }
        bput_failed(p, i, -ECANCELED);
        gw_cl__rq_done(rq);
    }
}

/* A new attempt (epoch fix): the old attempt's waiting requests go. */
static void pace_drop_waiting(bput_op_t *p)
{
    for (int i = 0; i < PL_MAX_SIZE; i++) {
        gw_cl_rq_t *rq = p->waiting[i];
        if (rq == NULL)
            continue;
        pace_unlink(pace_of(p->op.cl, rq->osd), rq);
        gw_cl__rq_done(rq);
    }
}

void gw_cl__pace_destroy(gw_cl_t *cl)
{
    for (uint32_t i = 0; i < cl->npace; i++) {
        gw_cl_pace_t *q = &cl->pace[i];
        while (q->head != NULL) {
            gw_cl_rq_t *rq = q->head;
            pace_unlink(q, rq);
            gw_cl__rq_done(rq);
        }
    }
    free(cl->pace);
    cl->pace = NULL;
    cl->npace = 0;
}

static void bput_complete(gw_cl_op_t *op)
{
    bput_op_t *p = (bput_op_t *)op;
    p->cb(p->arg, op->err);
}

static void bput_restart(gw_cl_op_t *op)
{
    bput_send_all((bput_op_t *)op);
}

static void bput_release(gw_cl_op_t *op)
{
    bput_op_t *p = (bput_op_t *)op;
    if (op->err == 0 && p->n_ok < p->rs.n)
        op->st->degraded++;
    if (p->all_done != NULL)
        p->all_done(p->arg);
}

static const gw_cl_op_vt_t bput_vt = {bput_complete, bput_restart, bput_release};

static void bput_check(bput_op_t *p)
{
    if (p->op.fired)
        return;
    int q = gw_cl__write_quorum(&p->rs, p->w);
    if (q > 0) {
        gw_cl__fire(&p->op, 0);
        pace_op_fired(p);
    } else if (q < 0) {
        gw_cl__log_replicas(&p->op, p->ref.pool, p->ref.pg, &p->rs);
        gw_cl__fire(&p->op, TN_ERR_QUORUM);
        pace_op_fired(p);
    }
}

static void bput_failed(bput_op_t *p, int idx, int err)
{
    p->rs.state[idx] = GW_RS_FAILED;
    p->rs.errs[idx] = err;
    p->n_fail++;
    if (p->op.fired && err != -ECANCELED)
        tn_log_debug("msg=\"background replica write failed\" op=%s osd=%d err=\"%s\"", p->op.name,
                     (int)p->rs.osds[idx], tn_strerror(err));
}

static void on_bput(void *arg, int err, const tn_osdc_reply_t *rep)
{
    gw_cl_rq_t *rq = arg;
    gw_cl_op_t *op = rq->op;
    gw_cl_t *cl = op->cl;
    bput_op_t *p = (bput_op_t *)op;
    int32_t osd = rq->osd;
    int was_active = rq->active;
    if (was_active)
        pace_of(cl, osd)->active--;
    if (rq->attempt != op->attempt)
        goto out;
    if (err == 0) {
        p->rs.state[rq->idx] = GW_RS_ANSWERED;
        p->n_ok++;
    } else if (err == TN_ERR_STALE_EPOCH && !op->fired && rep->has_hdr) {
        int rc = gw_cl__epoch_fix(op, rq->osd, rep->epoch);
        if (rc == 0)
            goto out;
        bput_failed(p, rq->idx, rc);
    } else {
        bput_failed(p, rq->idx, err);
    }
    bput_check(p);
out:
    gw_cl__rq_done(rq);
    gw_cl__maybe_free(op);
    if (was_active)
        pace_kick(cl, osd);
}

static void bput_send_all(bput_op_t *p)
{
    gw_cl_t *cl = p->op.cl;
    pace_drop_waiting(p);
    p->op.attempt++;
    p->n_ok = p->n_fail = 0;
    int rc = gw_cl__placement(cl, p->ref.pool, p->ref.pg, &p->rs, &p->w, GW_PL_WRITE);
    if (rc != 0) {
        gw_cl__fire(&p->op, rc);
        return;
    }
    for (int i = 0; i < p->rs.n; i++) {
        gw_cl_rq_t *rq = gw_cl__rq_new(&p->op, i, p->rs.osds[i]);
        rc = rq == NULL ? -ENOMEM : pace_submit(cl, rq);
        if (rc != 0) {
            if (rq != NULL)
                gw_cl__rq_done(rq);
            bput_failed(p, i, rc);
        } else {
            p->rs.state[i] = GW_RS_ASKED;
        }
    }
    bput_check(p);
}

int gw_cl_blob_put(gw_cl_t *cl, const tn_blobref_t *ref, const void *data, uint64_t len,
                   gw_cl_done_cb cb, gw_cl_release_cb all_done, void *arg)
{
    if (cb == NULL || ref == NULL || (data == NULL && len != 0))
        return -EINVAL;
    if (cl->destroying)
        return -ESHUTDOWN;
    bput_op_t *p = gw_cl__op_new(cl, sizeof(*p), &bput_vt, "blob_put", &cl->st.blob_put);
    if (p == NULL)
        return -ENOMEM;
    p->ref = *ref;
    p->data = data;
    p->len = len;
    p->cb = cb;
    p->all_done = all_done;
    p->arg = arg;
    bput_send_all(p);
    gw_cl__op_started(&p->op);
    return 0;
}

/* ---- get ---- */

typedef struct {
    gw_cl_op_t op;
    tn_blob_get_req_t m;
    gw_cl_data_cb on_data;
    gw_cl_blob_done_cb cb;
    void *arg;
    gw_cl_rset_t rs;
    int w;
    gw_cl_rq_t *rqs[PL_MAX_SIZE]; /* reads in flight, by replica index */
    gw_cl_rq_t *winner;           /* the read whose frames are being delivered */
    uint64_t delivered;
    int last_err; /* of the latest read that failed after data (the outcome if none is left) */
    int n_not_found;
    int fell_back;
} bget_op_t;

static void bget_complete(gw_cl_op_t *op)
{
    bget_op_t *g = (bget_op_t *)op;
    g->cb(g->arg, op->err, g->delivered);
}

static void bget_restart(gw_cl_op_t *op)
{
    (void)op; /* BLOB_GET does not check epochs */
}

static void bget_release(gw_cl_op_t *op)
{
    bget_op_t *g = (bget_op_t *)op;
    if (op->err == 0 && g->fell_back)
        op->st->degraded++;
}

static const gw_cl_op_vt_t bget_vt = {bget_complete, bget_restart, bget_release};

static void on_bget(void *arg, int err, const tn_osdc_reply_t *rep, const tn_blob_get_rep_t *d);
static void on_bget_hedge(void *arg, tn_osdc_req_t *req);

/* Asks the next replicas until one request is in flight (or none is left), for the range not
 * delivered yet (a read taking over from a stalled or failed one resumes where it stopped). */
static void bget_ask_next(bget_op_t *g)
{
    tn_blob_get_req_t m = g->m;
    m.offset += g->delivered;
    if (m.len != 0)
        m.len -= g->delivered;
    while (g->rs.next < g->rs.n) {
        int i = g->rs.next++;
        gw_cl_rq_t *rq = gw_cl__rq_new(&g->op, i, g->rs.osds[i]);
        int rc = rq == NULL ? -ENOMEM
                            : tn_osdc_blob_get(g->op.cl->osdc, rq->osd, &m, on_bget, rq, &rq->h);
        if (rc == 0) {
            g->rs.state[i] = GW_RS_ASKED;
            g->rs.n_pending++;
            g->rqs[i] = rq;
            tn_osdc_hedge(rq->h, on_bget_hedge, rq);
            return;
        }
        if (rq != NULL)
            gw_cl__rq_done(rq);
        g->rs.state[i] = GW_RS_FAILED;
        g->rs.errs[i] = rc;
        g->fell_back = 1;
    }
}

static void bget_check(bget_op_t *g)
{
    if (g->op.fired || g->winner != NULL || g->rs.n_pending > 0)
        return;
    /* Absent only if enough replicas say so that no write acknowledged at quorum can exist
     * (n - W + 1 of them); otherwise the blob may be on the replicas we could not read. */
    gw_cl__log_replicas(&g->op, g->m.ref.pool, g->m.ref.pg, &g->rs);
    if (g->delivered > 0 && g->last_err != 0)
        gw_cl__fire(&g->op, g->last_err); /* bytes went out: the caller resumes */
    else
        gw_cl__fire(&g->op, g->n_not_found > 0 && g->n_not_found >= g->rs.n - g->w + 1
                                ? TN_ERR_NOT_FOUND
                                : TN_ERR_QUORUM);
}

/* A read is slow: no first frame hedge_ms after it was sent, or (the winner) no next frame
 * hedge_ms after its last one — a replica that stops mid-transfer (SIGSTOP, a stuck disk)
 * would otherwise hold the caller for request_timeout_ms and then fail it. Another replica
 * is asked for the rest; the first of them to deliver a frame goes on, the other is
 * cancelled. A hedge adds a replica; it never cancels the slow one by itself. */
static void on_bget_hedge(void *arg, tn_osdc_req_t *req)
{
    (void)req;
    gw_cl_rq_t *rq = arg;
    bget_op_t *g = (bget_op_t *)rq->op;
    if (g->op.fired || g->rs.next >= g->rs.n)
        return;
    g->op.st->hedges++;
    bget_ask_next(g);
}

/* A frame came from winner: every other read in flight is cancelled (at most one other: a
 * hedge, or the stalled winner it took over from). */
static void bget_pick(bget_op_t *g, gw_cl_rq_t *winner)
{
    g->winner = winner;
    for (int i = 0; i < g->rs.n; i++) {
        gw_cl_rq_t *rq = g->rqs[i];
        if (rq == NULL || rq == winner)
            continue;
        tn_osdc_cancel(rq->h);
        g->rqs[i] = NULL;
        g->rs.n_pending--;
        g->rs.state[i] = GW_RS_UNASKED;
        gw_cl__rq_done(rq);
    }
    if (winner->idx != 0)
        g->fell_back = 1;
}

static void on_bget(void *arg, int err, const tn_osdc_reply_t *rep, const tn_blob_get_rep_t *d)
{
    gw_cl_rq_t *rq = arg;
    gw_cl_op_t *op = rq->op;
    bget_op_t *g = (bget_op_t *)op;
    int final = err != 0 || !rep->more;
    if (op->fired)
        goto out;
    if (err == 0 && (g->winner != rq || g->rs.n_pending > 1))
        bget_pick(g, rq);
    if (err == 0 && d->offset != g->m.offset + g->delivered)
        err = TN_ERR_PROTO; /* the client library checks framing, not continuity */
    if (err == 0) {
        if (d->data.len > 0)
            g->on_data(g->arg, d->blob_len, d->offset, d->data.base, d->data.len);
        g->delivered += d->data.len;
        if (final)
            gw_cl__fire(op, 0);
        else
            tn_osdc_hedge(rq->h, on_bget_hedge, rq); /* stall detection: from this frame */
    } else if (g->winner == rq) {
        /* failed after data: the rest from another replica (one may already be asked) */
        tn_log_debug("msg=\"blob read failed after data; resuming from another replica\" "
                     "osd=%d delivered=%llu err=\"%s\"",
                     (int)rq->osd, (unsigned long long)g->delivered, tn_strerror(err));
        if (!final)
            tn_osdc_cancel(rq->h); /* our own PROTO verdict: stop the stream */
        final = 1;
        g->winner = NULL;
        g->rqs[rq->idx] = NULL;
        g->rs.n_pending--;
        g->rs.state[rq->idx] = GW_RS_FAILED;
        g->rs.errs[rq->idx] = err;
        g->last_err = err;
        g->fell_back = 1;
        if (g->rs.n_pending == 0)
            bget_ask_next(g);
        bget_check(g);
    } else {
        g->rqs[rq->idx] = NULL;
        g->rs.n_pending--;
        g->rs.state[rq->idx] = GW_RS_FAILED;
        g->rs.errs[rq->idx] = err;
        g->n_not_found += err == TN_ERR_NOT_FOUND;
        g->fell_back = 1;
        if (g->rs.n_pending == 0)
            bget_ask_next(g);
        bget_check(g);
    }
out:
    if (final) {
        if (g->rqs[rq->idx] == rq)
            g->rqs[rq->idx] = NULL;
        gw_cl__rq_done(rq);
        gw_cl__maybe_free(op);
    }
}

int gw_cl_blob_get(gw_cl_t *cl, const tn_blobref_t *ref, uint64_t offset, uint64_t len,
                   gw_cl_data_cb on_data, gw_cl_blob_done_cb cb, void *arg)
{
    if (cb == NULL || on_data == NULL || ref == NULL)
        return -EINVAL;
    if (cl->destroying)
        return -ESHUTDOWN;
    bget_op_t *g = gw_cl__op_new(cl, sizeof(*g), &bget_vt, "blob_get", &cl->st.blob_get);
    if (g == NULL)
        return -ENOMEM;
    g->m.ref = *ref;
    g->m.offset = offset;
    g->m.len = len;
    g->on_data = on_data;
    g->cb = cb;
    g->arg = arg;
    int rc = gw_cl__placement(cl, ref->pool, ref->pg, &g->rs, &g->w, GW_PL_BLOB_READ);
    if (rc != 0) {
        gw_cl__fire(&g->op, rc);
    } else {
        bget_ask_next(g);
        bget_check(g);
    }
    gw_cl__op_started(&g->op);
    return 0;
}
