/*
 * gw_cluster.c — the per-loop replication client (gw_cl_t): creation and destruction, following
 * the shared map holder (OSD addresses, epoch), the lifetime of operations (deferred completion,
 * freeing once background replies are in), the STALE_EPOCH fix (MAP_GET from a newer OSD,
 * MAP_OFFER to an older one) and gw_cl_map_refresh. The operations themselves are in
 * gw_cl_row.c, gw_cl_list.c and gw_cl_blob.c.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gw_cl_internal.h"
#include "tn_log.h"

void gw_cl_opts_default(gw_cl_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->connect_timeout_ms = 500;
    o->request_timeout_ms = 2000;
    o->hedge_ms = 50;
    o->backoff_ms = 200;
    o->backoff_max_ms = 2000;
    o->read_repair = 1;
}

uint64_t gw_cl__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void gw_cl__sync(gw_cl_t *cl)
{
    uint64_t gen = gw_map_generation(cl->maph);
    if (gen == cl->gen && cl->snap != NULL)
        return;
    gw_map_snap_t *s = gw_map_snap_get(cl->maph);
    const pl_map_t *m = s->map;
    const pl_map_t *prev = cl->snap != NULL ? cl->snap->map : NULL;
    for (uint32_t i = 0; i < m->n_osds; i++) {
        if (m->osds[i].addr[0] == '\0')
            continue;
        /* tn_osdc_set_osd resolves names synchronously: only for new or changed addresses */
        const pl_osd_t *was = prev != NULL ? pl_map_find_osd(prev, m->osds[i].id) : NULL;
        if (was != NULL && strcmp(was->addr, m->osds[i].addr) == 0)
            continue;
        int rc = tn_osdc_set_osd(cl->osdc, m->osds[i].id, m->osds[i].addr);
        if (rc != 0)
            tn_log_warn("msg=\"OSD address unusable\" osd=%d addr=\"%s\" err=\"%s\"",
                        (int)m->osds[i].id, m->osds[i].addr, tn_strerror(rc));
    }
    tn_osdc_set_epoch(cl->osdc, s->epoch);
    gw_map_snap_put(cl->snap);
    cl->snap = s;
    cl->gen = gen;
}

gw_cl_t *gw_cl_create(h2o_evloop_t *loop, gw_map_t *map, tn_hlc_t *hlc, uint32_t origin_id,
                      const gw_cl_opts_t *opts)
{
    gw_cl_t *cl = calloc(1, sizeof(*cl));
    if (cl == NULL)
        return NULL;
    if (opts != NULL)
        cl->opts = *opts;
    else
        gw_cl_opts_default(&cl->opts);
    cl->loop = loop;
    cl->maph = map;
    cl->hlc = hlc;
    cl->origin = origin_id;
    tn_osdc_opts_t oo;
    tn_osdc_opts_default(&oo);
    if (cl->opts.connect_timeout_ms)
        oo.connect_timeout_ms = cl->opts.connect_timeout_ms;
    if (cl->opts.request_timeout_ms)
        oo.request_timeout_ms = cl->opts.request_timeout_ms;
    if (cl->opts.hedge_ms)
        oo.hedge_ms = cl->opts.hedge_ms;
    if (cl->opts.backoff_ms)
        oo.backoff_ms = cl->opts.backoff_ms;
    if (cl->opts.backoff_max_ms)
        oo.backoff_max_ms = cl->opts.backoff_max_ms;
    oo.hlc = hlc;
    oo.epoch = gw_map_epoch(map);
    cl->osdc = tn_osdc_create(loop, &oo);
    if (cl->osdc == NULL) {
        free(cl);
        return NULL;
    }
    h2o_timeout_init(loop, &cl->zero, 0);
    cl->ops.next = cl->ops.prev = &cl->ops;
    gw_cl__sync(cl);
    return cl;
}

void gw_cl_destroy(gw_cl_t *cl)
{
    if (cl == NULL)
        return;
    cl->destroying = 1;
    /* Every request fails with -ECANCELED inside this; ops fire and mostly free themselves. */
    tn_osdc_destroy(cl->osdc);
    cl->osdc = NULL;
    gw_cl__pace_destroy(cl);
    while (cl->ops.next != &cl->ops) {
        gw_cl_op_t *op = cl->ops.next;
        if (h2o_timeout_is_linked(&op->defer))
            h2o_timeout_unlink(&op->defer);
        op->in_start = 0;
        op->nreq = 0; /* their callbacks ran inside tn_osdc_destroy */
        if (!op->fired) {
            op->fired = 1;
            op->err = -ECANCELED;
            op->st->other_fail++;
            op->vt->complete(op);
        }
        gw_cl__maybe_free(op);
        if (cl->ops.next == op) { /* cannot happen: maybe_free unlinks a fired idle op */
            op->prev->next = op->next;
            op->next->prev = op->prev;
        }
    }
    h2o_timeout_dispose(cl->loop, &cl->zero);
    gw_map_snap_put(cl->snap);
    free(cl);
}

void gw_cl_stats(const gw_cl_t *cl, gw_cl_stats_t *out)
{
    *out = cl->st;
}

tn_osdc_t *gw_cl_osdc(gw_cl_t *cl)
{
    return cl->osdc;
}

void gw_cl_sync(gw_cl_t *cl)
{
    gw_cl__sync(cl);
}

/* ---- operation lifetime ---- */

void *gw_cl__op_new(gw_cl_t *cl, size_t size, const gw_cl_op_vt_t *vt, const char *name,
                    gw_cl_op_stats_t *st)
{
    gw_cl_op_t *op = calloc(1, size);
    if (op == NULL)
        return NULL;
    op->cl = cl;
    op->vt = vt;
    op->name = name;
    op->st = st;
    op->in_start = 1;
    op->next = &cl->ops;
    op->prev = cl->ops.prev;
    cl->ops.prev->next = op;
    cl->ops.prev = op;
    st->started++;
    return op;
}

static void on_deferred(h2o_timeout_entry_t *e)
{
    gw_cl_op_t *op = (gw_cl_op_t *)((char *)e - offsetof(gw_cl_op_t, defer));
    op->vt->complete(op);
    gw_cl__maybe_free(op);
}

void gw_cl__op_started(gw_cl_op_t *op)
{
    op->in_start = 0;
    gw_cl__maybe_free(op);
}

void gw_cl__fire(gw_cl_op_t *op, int err)
{
    if (op->fired)
        return;
    op->fired = 1;
    if (err != 0 && op->cl->destroying)
        err = -ECANCELED;
    op->err = err;
    if (err == 0 || err == TN_ERR_NOT_FOUND)
        op->st->ok++;
    else if (err == TN_ERR_QUORUM)
        op->st->quorum_fail++;
    else
        op->st->other_fail++;
    if (op->in_start && !op->cl->destroying) {
        op->defer.cb = on_deferred;
        h2o_timeout_link(op->cl->loop, &op->cl->zero, &op->defer);
        return;
    }
    op->vt->complete(op);
}

void gw_cl__maybe_free(gw_cl_op_t *op)
{
    if (!op->fired || op->nreq != 0 || op->in_start || h2o_timeout_is_linked(&op->defer))
        return;
    op->prev->next = op->next;
    op->next->prev = op->prev;
    op->vt->release(op);
    free(op);
}

gw_cl_rq_t *gw_cl__rq_new(gw_cl_op_t *op, int idx, int32_t osd)
{
    gw_cl_rq_t *rq = calloc(1, sizeof(*rq));
    if (rq == NULL)
        return NULL;
    rq->op = op;
    rq->attempt = op->attempt;
    rq->idx = idx;
    rq->osd = osd;
    op->nreq++;
    return rq;
}

void gw_cl__rq_done(gw_cl_rq_t *rq)
{
    rq->op->nreq--;
    gw_map_snap_put(rq->snap);
    free(rq);
}

/* ---- placement ---- */

static int rs_add(gw_cl_rset_t *rs, int32_t osd, uint8_t bit)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->osds[i] == osd) {
            rs->set[i] |= bit;
            return 0;
        }
    if (rs->n >= PL_MAX_SIZE)
        return 0; /* pools of size > 8 moving: the union is capped (quorums still counted) */
    rs->osds[rs->n] = osd;
    rs->set[rs->n++] = bit;
    return 1;
}

int gw_cl__placement(gw_cl_t *cl, uint32_t pool, uint32_t pg, gw_cl_rset_t *rs, int *w, int mode)
{
    gw_cl__sync(cl);
    memset(rs, 0, sizeof(*rs));
    const pl_pool_t *p = NULL;
    int32_t cur[PL_MAX_SIZE];
    int n = gw_map_pg_osds(cl->snap, pool, pg, cur, &p);
    if (n < 0)
        return n;
    rs->r = p->read_quorum;
    if (w != NULL)
        *w = p->write_quorum;
    const pl_moving_t *mv = pl_map_moving(cl->snap->map, pool, pg);
    rs->moving = mv != NULL;
    if (mv != NULL && mode != GW_PL_WRITE)
        for (int i = 0; i < mv->n; i++)
            rs_add(rs, mv->old[i], GW_SET_OLD);
    if (mv == NULL || mode != GW_PL_READ)
        for (int i = 0; i < n; i++)
            rs_add(rs, cur[i], GW_SET_CUR);
    if (mv != NULL && mode == GW_PL_WRITE)
        for (int i = 0; i < mv->n; i++)
            rs_add(rs, mv->old[i], GW_SET_OLD);
    for (int i = 0; i < PL_MAX_SIZE; i++)
        if (i >= rs->n)
            rs->osds[i] = PL_ITEM_NONE;
    for (int i = 0; i < rs->n; i++) {
        rs->n_cur += (rs->set[i] & GW_SET_CUR) != 0;
        rs->n_old += (rs->set[i] & GW_SET_OLD) != 0;
    }
    return 0;
}

int gw_cl__write_quorum(const gw_cl_rset_t *rs, int w)
{
    int ok_c = 0, ok_o = 0, bad_c = 0, bad_o = 0;
    for (int i = 0; i < rs->n; i++) {
        int ok = rs->state[i] == GW_RS_ANSWERED, bad = rs->state[i] == GW_RS_FAILED;
        if (rs->set[i] & GW_SET_CUR) {
            ok_c += ok;
            bad_c += bad;
        }
        if (rs->set[i] & GW_SET_OLD) {
            ok_o += ok;
            bad_o += bad;
        }
    }
    /* a short set never lowers the quorum */
    if (bad_c > rs->n_cur - w || (rs->moving && bad_o > rs->n_old - w))
        return -1;
    if (ok_c >= w && (!rs->moving || ok_o >= w))
        return 1;
    return 0;
}

void gw_cl__log_replicas(const gw_cl_op_t *op, uint32_t pool, uint32_t pg, const gw_cl_rset_t *rs)
{
    if (tn_log_get_level() > TN_LOG_DEBUG)
        return;
    char buf[512];
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < rs->n && o < sizeof(buf) - 64; i++) {
        const char *what = rs->state[i] == GW_RS_ANSWERED ? "ok"
                           : rs->state[i] == GW_RS_FAILED ? tn_strerror(rs->errs[i])
                           : rs->state[i] == GW_RS_ASKED  ? "pending"
                                                          : "not-asked";
        int k = snprintf(buf + o, sizeof(buf) - o, "%sosd.%d=\"%s\"", i ? " " : "",
                         (int)rs->osds[i], what);
        if (k < 0)
            break;
        o += (size_t)k < sizeof(buf) - o ? (size_t)k : sizeof(buf) - o - 1;
    }
    tn_log_debug("msg=\"quorum not reached\" op=%s pool=%u pg=%u %s", op->name, pool, pg, buf);
}

/* ---- STALE_EPOCH ---- */

static void fix_done(gw_cl_rq_t *rq)
{
    gw_cl_op_t *op = rq->op;
    gw_cl__rq_done(rq);
    if (!op->fired)
        op->vt->restart(op);
    gw_cl__maybe_free(op);
}

static void on_fix_map_get(void *arg, int err, const tn_osdc_reply_t *rep,
                           const tn_map_get_rep_t *m)
{
    (void)rep;
    gw_cl_rq_t *rq = arg;
    gw_cl_t *cl = rq->op->cl;
    if (err == 0) {
        pl_map_t *map = NULL;
        err = pl_map_decode((const uint8_t *)m->map.base, m->map.len, &map);
        if (err == 0) {
            err = gw_map_adopt(cl->maph, map);
            if (err == 1)
                cl->st.map_adopted++;
        }
    }
    if (err < 0)
        tn_log_warn("msg=\"map fetch failed\" osd=%d err=\"%s\"", (int)rq->osd, tn_strerror(err));
    /* Restart either way: a failed fetch leaves the replica to fail again, bounded by
     * epoch_retries. */
    fix_done(rq);
}

static void on_fix_map_offer(void *arg, int err, const tn_osdc_reply_t *rep,
                             const tn_map_offer_rep_t *m)
{
    (void)rep;
    (void)m;
    gw_cl_rq_t *rq = arg;
    if (err != 0)
        tn_log_warn("msg=\"map offer failed\" osd=%d err=\"%s\"", (int)rq->osd, tn_strerror(err));
    fix_done(rq);
}

int gw_cl__epoch_fix(gw_cl_op_t *op, int32_t osd, uint64_t their_epoch)
{
    gw_cl_t *cl = op->cl;
    if (cl->destroying)
        return -ECANCELED;
    if (op->fix_attempt == op->attempt + 1)
        return 0; /* another replica of this attempt started a fix: its restart covers us */
    if (op->epoch_retries >= GW_CL_MAX_EPOCH_RETRY)
        return TN_ERR_STALE_EPOCH;
    op->epoch_retries++;
    op->st->epoch_refreshes++;
    gw_cl__sync(cl);
    uint64_t ours = cl->snap->epoch;
    if (their_epoch == ours) { /* someone already caught up: just try again */
        op->vt->restart(op);
        return 0;
    }
    gw_cl_rq_t *rq = gw_cl__rq_new(op, -1, osd);
    if (rq == NULL)
        return -ENOMEM;
    op->fix_attempt = op->attempt + 1;
    int rc;
    if (their_epoch > ours) {
        tn_log_info("msg=\"OSD has a newer map: fetching\" osd=%d ours=%llu theirs=%llu", (int)osd,
                    (unsigned long long)ours, (unsigned long long)their_epoch);
        rc = tn_osdc_map_get(cl->osdc, osd, 0, on_fix_map_get, rq, &rq->h);
    } else {
        tn_log_info("msg=\"OSD has an older map: offering ours\" osd=%d ours=%llu theirs=%llu",
                    (int)osd, (unsigned long long)ours, (unsigned long long)their_epoch);
        rq->snap = cl->snap;
        atomic_fetch_add(&cl->snap->refs, 1);
        tn_map_offer_req_t m = {
            TN_PROTO_MAP_PROPAGATE, 0, {(const char *)rq->snap->enc, rq->snap->enc_len}};
        rc = tn_osdc_map_offer(cl->osdc, osd, &m, on_fix_map_offer, rq, &rq->h);
        if (rc == 0)
            cl->st.map_offered++;
    }
    if (rc != 0) {
        op->fix_attempt = 0;
        gw_cl__rq_done(rq);
    }
    return rc;
}

/* ---- gw_cl_map_refresh ---- */

typedef struct {
    gw_cl_op_t op;
    gw_cl_done_cb cb;
    void *arg;
    int answered;
    int last_err;
} refresh_op_t;

static void refresh_complete(gw_cl_op_t *op)
{
    refresh_op_t *r = (refresh_op_t *)op;
    r->cb(r->arg, op->err);
}

static void refresh_restart(gw_cl_op_t *op)
{
    (void)op;
}

static void refresh_release(gw_cl_op_t *op)
{
    (void)op;
}

static const gw_cl_op_vt_t refresh_vt = {refresh_complete, refresh_restart, refresh_release};

static void refresh_check(refresh_op_t *r)
{
    if (r->op.nreq == 0 && !r->op.fired) {
        gw_cl__sync(r->op.cl);
        gw_cl__fire(&r->op, r->answered ? 0 : (r->last_err ? r->last_err : TN_ERR_QUORUM));
    }
}

static void on_refresh_map(void *arg, int err, const tn_osdc_reply_t *rep,
                           const tn_map_get_rep_t *m)
{
    (void)rep;
    gw_cl_rq_t *rq = arg;
    refresh_op_t *r = (refresh_op_t *)rq->op;
    gw_cl_t *cl = r->op.cl;
    if (err == 0) {
        pl_map_t *map = NULL;
        err = pl_map_decode((const uint8_t *)m->map.base, m->map.len, &map);
        if (err == 0) {
            err = gw_map_adopt(cl->maph, map);
            if (err == 1)
                cl->st.map_adopted++;
        }
    }
    if (err >= 0)
        r->answered++;
    else
        r->last_err = err;
    gw_cl__rq_done(rq);
    refresh_check(r);
    gw_cl__maybe_free(&r->op);
}

int gw_cl_map_refresh(gw_cl_t *cl, gw_cl_done_cb cb, void *arg)
{
    if (cb == NULL)
        return -EINVAL;
    if (cl->destroying)
        return -ESHUTDOWN;
    refresh_op_t *r =
        gw_cl__op_new(cl, sizeof(*r), &refresh_vt, "map_refresh", &cl->st.map_refresh);
    if (r == NULL)
        return -ENOMEM;
    r->cb = cb;
    r->arg = arg;
    gw_cl__sync(cl);
    const pl_map_t *m = cl->snap->map;
    int asked = 0;
    for (uint32_t i = 0; i < m->n_osds && asked < GW_CL_REFRESH_OSDS; i++) {
        if (m->osds[i].addr[0] == '\0' || !m->osds[i].in)
            continue;
        gw_cl_rq_t *rq = gw_cl__rq_new(&r->op, -1, m->osds[i].id);
        if (rq == NULL)
            break;
        int rc = tn_osdc_map_get(cl->osdc, m->osds[i].id, 0, on_refresh_map, rq, &rq->h);
        if (rc != 0) {
            r->last_err = rc;
            gw_cl__rq_done(rq);
            continue;
        }
        asked++;
    }
    refresh_check(r);
    gw_cl__op_started(&r->op);
    return 0;
}
