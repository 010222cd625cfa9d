/*
 * gw_cl_row.c — quorum row writes (gw_cl_row_put: all replicas, W acknowledgements, STALE_TS
 * re-stamping) and quorum row reads (gw_cl_row_get: R answers, replacement of failed replicas,
 * hedging, newest version wins, read repair by MERGE; gw_cl_row_get_degraded's R = 1 fallback).
 * Contracts in gw_cluster.h.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include "gw_cl_internal.h"
#include "tn_crc.h"
#include "tn_endian.h"
#include "tn_log.h"

#define ROW_HLC_OFFSET 20 /* tn_row.h canonical encoding */

/* Answers served from fewer than read_quorum replicas, process-wide (gw_cl_degraded_reads). */
static _Atomic uint64_t degraded_reads;

uint64_t gw_cl_degraded_reads(void)
{
    return degraded_reads;
}

/* ---- put ---- */

typedef struct {
    gw_cl_op_t op;
    uint32_t pool, pg;
    uint8_t mode;
    gw_cl_put_cb cb;
    void *arg;
    gw_cl_rset_t rs;
    int w;
    int n_ok, n_fail;
    int restamps;
    uint8_t *bufs[GW_CL_MAX_RESTAMP + 1]; /* one encoding per attempt's version; bufs[nbufs-1] */
    int nbufs;
    size_t len;
    tn_row_ver_t ver;
} put_op_t;

static void put_send_all(put_op_t *p);

static void put_complete(gw_cl_op_t *op)
{
    put_op_t *p = (put_op_t *)op;
    p->cb(p->arg, op->err, &p->ver);
}

static void put_restart(gw_cl_op_t *op)
{
    put_send_all((put_op_t *)op);
}

static void put_release(gw_cl_op_t *op)
{
    put_op_t *p = (put_op_t *)op;
    if (op->err == 0 && p->n_ok < p->rs.n)
        op->st->degraded++;
    for (int i = 0; i < p->nbufs; i++)
        free(p->bufs[i]);
}

static const gw_cl_op_vt_t put_vt = {put_complete, put_restart, put_release};

static int put_fail_err(const put_op_t *p)
{
    for (int i = 0; i < p->rs.n; i++)
        if (p->rs.state[i] == GW_RS_FAILED && p->rs.errs[i] == TN_ERR_STALE_TS)
            return TN_ERR_STALE_TS;
    return TN_ERR_QUORUM;
}

static void put_check(put_op_t *p)
{
    if (p->op.fired)
        return;
    int q = gw_cl__write_quorum(&p->rs, p->w);
    if (q > 0) {
        gw_cl__fire(&p->op, 0);
    } else if (q < 0) {
        gw_cl__log_replicas(&p->op, p->pool, p->pg, &p->rs);
        gw_cl__fire(&p->op, put_fail_err(p));
    }
}

static void put_replica_failed(put_op_t *p, int idx, int err)
{
    p->rs.state[idx] = GW_RS_FAILED;
    p->rs.errs[idx] = err;
    p->n_fail++;
    if (p->op.fired)
        tn_log_debug("msg=\"background replica write failed\" op=%s osd=%d err=\"%s\"", p->op.name,
                     (int)p->rs.osds[idx], tn_strerror(err));
}

/* A new version: hlc = max(now, stored + 1), re-sealed in a new buffer (the old one may still
 * be referenced by requests of the previous attempt). */
static int put_restamp(put_op_t *p, uint64_t stored_hlc)
{
    uint64_t now = tn_hlc_now(p->op.cl->hlc, gw_cl__wall_ms());
    uint64_t hlc = now > stored_hlc ? now : stored_hlc + 1;
    uint8_t *b = malloc(p->len);
    if (b == NULL)
        return -ENOMEM;
    memcpy(b, p->bufs[p->nbufs - 1], p->len);
    tn_put_le64(b + ROW_HLC_OFFSET, hlc);
    tn_put_le32(b + p->len - 4, tn_crc32c(0, b, p->len - 4));
    p->bufs[p->nbufs++] = b;
    p->ver.hlc = hlc;
    p->restamps++;
    p->op.st->retries++;
    return 0;
}

static void on_put(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    gw_cl_rq_t *rq = arg;
    gw_cl_op_t *op = rq->op;
    put_op_t *p = (put_op_t *)op;
    if (rq->attempt != op->attempt)
        goto out;
    if (err == 0) {
        uint8_t res = r->result;
        if (res == TN_PROTO_RESULT_APPLIED || res == TN_PROTO_RESULT_UNCHANGED ||
            (p->mode == TN_PROTO_ROW_MERGE && res == TN_PROTO_RESULT_IGNORED)) {
            p->rs.state[rq->idx] = GW_RS_ANSWERED;
            p->n_ok++;
        } else {
            put_replica_failed(p, rq->idx, TN_ERR_PROTO);
        }
    } else if (err == TN_ERR_STALE_TS && !op->fired && r != NULL && r->has_stored &&
               p->mode == TN_PROTO_ROW_PUT && p->restamps < GW_CL_MAX_RESTAMP) {
        tn_log_debug("msg=\"stale timestamp: re-stamping\" osd=%d stored=%llu ours=%llu",
                     (int)rq->osd, (unsigned long long)r->stored.hlc,
                     (unsigned long long)p->ver.hlc);
        int rc = put_restamp(p, r->stored.hlc);
        if (rc == 0) {
            put_send_all(p);
            goto out;
        }
        put_replica_failed(p, rq->idx, rc);
    } else if (err == TN_ERR_STALE_EPOCH && !op->fired && rep->has_hdr) {
        int rc = gw_cl__epoch_fix(op, rq->osd, rep->epoch);
        if (rc == 0)
            goto out;
        put_replica_failed(p, rq->idx, rc);
    } else {
        put_replica_failed(p, rq->idx, err);
    }
    put_check(p);
out:
    gw_cl__rq_done(rq);
    gw_cl__maybe_free(op);
}

static void put_send_all(put_op_t *p)
{
    gw_cl_t *cl = p->op.cl;
    p->op.attempt++;
    p->n_ok = p->n_fail = 0;
    int rc = gw_cl__placement(cl, p->pool, p->pg, &p->rs, &p->w, GW_PL_WRITE);
    if (rc != 0) {
        gw_cl__fire(&p->op, rc);
        return;
    }
    for (int i = 0; i < p->rs.n; i++) {
        gw_cl_rq_t *rq = gw_cl__rq_new(&p->op, i, p->rs.osds[i]);
        rc = rq == NULL ? -ENOMEM
                        : tn_osdc_row_put(cl->osdc, p->rs.osds[i], p->mode, p->bufs[p->nbufs - 1],
                                          p->len, on_put, rq, &rq->h);
        if (rc != 0) {
            if (rq != NULL)
                gw_cl__rq_done(rq);
            put_replica_failed(p, i, rc);
        } else {
            p->rs.state[i] = GW_RS_ASKED;
        }
    }
    put_check(p);
}

int gw_cl_row_put(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, const tn_row_t *row, uint8_t mode,
                  gw_cl_put_cb cb, void *arg)
{
    if (cb == NULL || row == NULL || row->pool != pool_id || row->pg != pg ||
        (mode != TN_PROTO_ROW_PUT && mode != TN_PROTO_ROW_MERGE))
        return -EINVAL;
    if (cl->destroying)
        return -ESHUTDOWN;
    tn_row_t r = *row;
    if (r.ver.hlc == 0)
        r.ver.hlc = tn_hlc_now(cl->hlc, gw_cl__wall_ms());
    if (r.ver.origin == 0)
        r.ver.origin = cl->origin;
    int rc = tn_row_seal(&r);
    if (rc != 0)
        return rc;
    size_t len = tn_row_encoded_size(&r);
    uint8_t *buf = malloc(len);
    if (buf == NULL)
        return -ENOMEM;
    if (tn_row_encode(&r, buf, len, &len) != 0) {
        free(buf);
        return -EINVAL;
    }
    put_op_t *p = gw_cl__op_new(cl, sizeof(*p), &put_vt, "row_put", &cl->st.row_put);
    if (p == NULL) {
        free(buf);
        return -ENOMEM;
    }
    p->pool = pool_id;
    p->pg = pg;
    p->mode = mode;
    p->cb = cb;
    p->arg = arg;
    p->bufs[0] = buf;
    p->nbufs = 1;
    p->len = len;
    p->ver = r.ver;
    put_send_all(p);
    gw_cl__op_started(&p->op);
    return 0;
}

/* ---- get ---- */

typedef struct {
    gw_cl_op_t op;
    uint32_t pool, pg;
    uint64_t ns;
    uint8_t *key;
    size_t key_len;
    gw_cl_row_cb cb;
    gw_cl_row_dcb dcb; /* gw_cl_row_get_degraded (cb NULL) */
    void *arg;
    int degraded_ok; /* R = 1 fallback allowed */
    int degraded;    /* the answer came from fewer than R replicas */
    gw_cl_rset_t rs;
    uint8_t found[PL_MAX_SIZE];
    tn_row_ver_t vers[PL_MAX_SIZE];
    uint8_t *best; /* the newest row's encoding (owned) */
    size_t best_len;
    tn_row_t best_row; /* decoded from best */
    int replaced;
} get_op_t;

static void get_complete(gw_cl_op_t *op)
{
    get_op_t *g = (get_op_t *)op;
    if (g->dcb != NULL)
        g->dcb(g->arg, op->err, op->err == 0 ? &g->best_row : NULL, g->degraded);
    else
        g->cb(g->arg, op->err, op->err == 0 ? &g->best_row : NULL);
}

static void get_ask(get_op_t *g);
static void get_check(get_op_t *g);

static void get_restart(gw_cl_op_t *op)
{
    get_op_t *g = (get_op_t *)op;
    op->attempt++;
    free(g->best);
    g->best = NULL;
    int rc = gw_cl__placement(op->cl, g->pool, g->pg, &g->rs, NULL, GW_PL_READ);
    if (rc != 0) {
        gw_cl__fire(op, rc);
        return;
    }
    get_ask(g);
    get_check(g);
}

static void get_release(gw_cl_op_t *op)
{
    get_op_t *g = (get_op_t *)op;
    if (op->err == 0 || op->err == TN_ERR_NOT_FOUND)
        if (g->replaced)
            op->st->degraded++;
    free(g->best);
    free(g->key);
}

static const gw_cl_op_vt_t get_vt = {get_complete, get_restart, get_release};

static void get_failed(get_op_t *g, int idx, int err)
{
    g->rs.state[idx] = GW_RS_FAILED;
    g->rs.errs[idx] = err;
    g->rs.n_failed++;
    g->replaced = 1;
    g->op.st->retries++;
}

static void on_repair(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    (void)rep;
    (void)r;
    gw_cl_rq_t *rq = arg;
    gw_cl_op_t *op = rq->op;
    if (err != 0)
        tn_log_debug("msg=\"read repair failed\" osd=%d err=\"%s\"", (int)rq->osd,
                     tn_strerror(err));
    gw_cl__rq_done(rq);
    gw_cl__maybe_free(op);
}

/* R answers are in: count divergence, send repairs, answer. */
static void get_finish(get_op_t *g)
{
    gw_cl_t *cl = g->op.cl;
    int have = g->best != NULL, divergent = 0;
    for (int i = 0; i < g->rs.n; i++) {
        if (g->rs.state[i] != GW_RS_ANSWERED)
            continue;
        if (g->found[i] != have || (have && tn_row_ver_cmp(&g->vers[i], &g->best_row.ver) != 0))
            divergent = 1;
    }
    if (divergent) {
        g->op.st->divergent++;
        for (int i = 0; have && cl->opts.read_repair && i < g->rs.n; i++) {
            if (g->rs.state[i] != GW_RS_ANSWERED ||
                (g->found[i] && tn_row_ver_cmp(&g->vers[i], &g->best_row.ver) >= 0))
                continue;
            gw_cl_rq_t *rq = gw_cl__rq_new(&g->op, i, g->rs.osds[i]);
            if (rq == NULL)
                break;
            int rc = tn_osdc_row_put(cl->osdc, rq->osd, TN_PROTO_ROW_MERGE, g->best, g->best_len,
                                     on_repair, rq, &rq->h);
            if (rc != 0)
                gw_cl__rq_done(rq);
            else
                g->op.st->repairs++;
        }
    }
    gw_cl__fire(&g->op, have ? 0 : TN_ERR_NOT_FOUND);
}

static void get_check(get_op_t *g)
{
    if (g->op.fired)
        return;
    if (g->rs.n_answered >= g->rs.r) {
        get_finish(g);
    } else if (g->rs.n_pending == 0 && g->rs.next >= g->rs.n) {
        gw_cl__log_replicas(&g->op, g->pool, g->pg, &g->rs);
        if (g->degraded_ok && g->best != NULL) {
            /* every other replica failed; one answered with a row (rule 8: plain GET/HEAD) */
            g->degraded = 1;
            degraded_reads++;
            tn_log_debug("msg=\"degraded read: answering from %d of %d replicas\" pool=%u pg=%u",
                         g->rs.n_answered, g->rs.r, g->pool, g->pg);
            gw_cl__fire(&g->op, 0);
            return;
        }
        gw_cl__fire(&g->op, TN_ERR_QUORUM);
    }
}

static void on_get(void *arg, int err, const tn_osdc_reply_t *rep, const tn_slice_t *row);
static void on_get_hedge(void *arg, tn_osdc_req_t *req);

static void get_send(get_op_t *g, int i)
{
    gw_cl_rq_t *rq = gw_cl__rq_new(&g->op, i, g->rs.osds[i]);
    tn_row_get_req_t m = {g->pool, g->pg, g->ns, {(const char *)g->key, g->key_len}};
    int rc =
        rq == NULL ? -ENOMEM : tn_osdc_row_get(g->op.cl->osdc, rq->osd, &m, on_get, rq, &rq->h);
    if (rc != 0) {
        if (rq != NULL)
            gw_cl__rq_done(rq);
        get_failed(g, i, rc);
        return;
    }
    g->rs.state[i] = GW_RS_ASKED;
    g->rs.n_pending++;
    tn_osdc_hedge(rq->h, on_get_hedge, rq);
}

static void get_ask(get_op_t *g)
{
    while (g->rs.n_answered + g->rs.n_pending < g->rs.r && g->rs.next < g->rs.n)
        get_send(g, g->rs.next++);
}

static void on_get_hedge(void *arg, tn_osdc_req_t *req)
{
    (void)req;
    gw_cl_rq_t *rq = arg;
    get_op_t *g = (get_op_t *)rq->op;
    if (g->op.fired || rq->attempt != g->op.attempt || g->rs.next >= g->rs.n)
        return;
    g->op.st->hedges++;
    get_send(g, g->rs.next++);
    get_check(g);
}

/* Decodes and checks an answer; keeps it if it is the newest so far. */
static int get_take(get_op_t *g, int idx, const tn_slice_t *row)
{
    tn_row_t r;
    int rc = tn_row_decode(row->base, row->len, &r, NULL);
    if (rc != 0)
        return rc;
    if (r.pool != g->pool || r.pg != g->pg || r.ns != g->ns ||
        tn_row_key_cmp(r.key, r.key_len, g->key, g->key_len) != 0)
        return TN_ERR_PROTO;
    g->found[idx] = 1;
    g->vers[idx] = r.ver;
    if (g->best != NULL && tn_row_ver_cmp(&r.ver, &g->best_row.ver) <= 0)
        return 0;
    uint8_t *b = malloc(row->len);
    if (b == NULL)
        return -ENOMEM;
    memcpy(b, row->base, row->len);
    free(g->best);
    g->best = b;
    g->best_len = row->len;
    return tn_row_decode(b, row->len, &g->best_row, NULL);
}

static void on_get(void *arg, int err, const tn_osdc_reply_t *rep, const tn_slice_t *row)
{
    gw_cl_rq_t *rq = arg;
    gw_cl_op_t *op = rq->op;
    get_op_t *g = (get_op_t *)op;
    if (rq->attempt != op->attempt || op->fired)
        goto out;
    g->rs.n_pending--;
    if (err == 0)
        err = get_take(g, rq->idx, row);
    if (err == 0 || err == TN_ERR_NOT_FOUND) {
        g->rs.state[rq->idx] = GW_RS_ANSWERED;
        g->rs.n_answered++;
    } else if (err == TN_ERR_STALE_EPOCH && rep->has_hdr &&
               gw_cl__epoch_fix(op, rq->osd, rep->epoch) == 0) {
        goto out;
    } else {
        get_failed(g, rq->idx, err);
        get_ask(g);
    }
    get_check(g);
out:
    gw_cl__rq_done(rq);
    gw_cl__maybe_free(op);
}

static int get_start(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, uint64_t ns, const void *key,
                     size_t key_len, gw_cl_row_cb cb, gw_cl_row_dcb dcb, void *arg)
{
    if ((cb == NULL && dcb == NULL) || key == NULL || key_len == 0 || key_len > TN_ROW_MAX_KEY)
        return -EINVAL;
    if (cl->destroying)
        return -ESHUTDOWN;
    get_op_t *g = gw_cl__op_new(cl, sizeof(*g), &get_vt, "row_get", &cl->st.row_get);
    if (g == NULL)
        return -ENOMEM;
    g->key = malloc(key_len);
    if (g->key == NULL) {
        g->op.fired = 1; /* never started: free quietly */
        g->op.in_start = 0;
        cl->st.row_get.started--;
        gw_cl__maybe_free(&g->op);
        return -ENOMEM;
    }
    memcpy(g->key, key, key_len);
    g->key_len = key_len;
    g->pool = pool_id;
    g->pg = pg;
    g->ns = ns;
    g->cb = cb;
    g->dcb = dcb;
    g->degraded_ok = dcb != NULL;
    g->arg = arg;
    get_restart(&g->op);
    gw_cl__op_started(&g->op);
    return 0;
}

int gw_cl_row_get(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, uint64_t ns, const void *key,
                  size_t key_len, gw_cl_row_cb cb, void *arg)
{
    return get_start(cl, pool_id, pg, ns, key, key_len, cb, NULL, arg);
}

int gw_cl_row_get_degraded(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, uint64_t ns, const void *key,
                           size_t key_len, gw_cl_row_dcb cb, void *arg)
{
    return get_start(cl, pool_id, pg, ns, key, key_len, NULL, cb, arg);
}
