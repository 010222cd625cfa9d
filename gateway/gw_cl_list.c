/*
 * gw_cl_list.c — quorum listings (gw_cl_row_list): ROW_LIST from read_quorum replicas
 * (replacement and hedging as for row reads), merged by key with the newest version per key,
 * tombstones kept, the page cut at the smallest last key of the replicas that said "more"
 * (DESIGN.md rule 8, "listings merge honestly"). Contract in gw_cluster.h.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include "gw_cl_internal.h"
#include "tn_log.h"

/* What one replica returned: its frames' payloads (copied) and entries pointing into them. */
typedef struct {
    uint8_t **blocks;
    size_t nblocks;
    gw_cl_entry_t *ents;
    size_t n, cap;
    int more;
} list_rep_t;

typedef struct {
    gw_cl_op_t op;
    uint32_t pool, pg;
    uint64_t ns;
    uint8_t *prefix, *start;
    size_t prefix_len, start_len;
    uint32_t limit;
    gw_cl_list_cb cb;
    void *arg;
    gw_cl_rset_t rs;
    list_rep_t reps[PL_MAX_SIZE];
    gw_cl_entry_t *out;
    size_t nout;
    int more;
    int replaced;
} list_op_t;

static void rep_clear(list_rep_t *r)
{
    for (size_t i = 0; i < r->nblocks; i++)
        free(r->blocks[i]);
    free(r->blocks);
    free(r->ents);
    memset(r, 0, sizeof(*r));
}

static void list_complete(gw_cl_op_t *op)
{
    list_op_t *l = (list_op_t *)op;
    l->cb(l->arg, op->err, op->err == 0 ? l->out : NULL, op->err == 0 ? l->nout : 0, l->more);
}

static void list_ask(list_op_t *l);
static void list_check(list_op_t *l);

static void list_restart(gw_cl_op_t *op)
{
    list_op_t *l = (list_op_t *)op;
    op->attempt++;
    for (int i = 0; i < PL_MAX_SIZE; i++)
        rep_clear(&l->reps[i]);
    int rc = gw_cl__placement(op->cl, l->pool, l->pg, &l->rs, NULL, GW_PL_READ);
    if (rc != 0) {
        gw_cl__fire(op, rc);
        return;
    }
    list_ask(l);
    list_check(l);
}

static void list_release(gw_cl_op_t *op)
{
    list_op_t *l = (list_op_t *)op;
    if (op->err == 0 && l->replaced)
        op->st->degraded++;
    for (int i = 0; i < PL_MAX_SIZE; i++)
        rep_clear(&l->reps[i]);
    free(l->out);
    free(l->prefix);
    free(l->start);
}

static const gw_cl_op_vt_t list_vt = {list_complete, list_restart, list_release};

/* Key ascending, then version descending (newest first). */
static int ent_cmp(const void *a, const void *b)
{
    const gw_cl_entry_t *x = a, *y = b;
    int c = tn_row_key_cmp(x->key.base, x->key.len, y->key.base, y->key.len);
    return c != 0 ? c : -tn_row_ver_cmp(&x->ver, &y->ver);
}

/* Merges the answering replicas' pages into l->out. */
static int list_merge(list_op_t *l)
{
    size_t total = 0;
    int answered = 0;
    const tn_slice_t *bound = NULL;
    l->more = 0;
    for (int i = 0; i < l->rs.n; i++) {
        if (l->rs.state[i] != GW_RS_ANSWERED)
            continue;
        list_rep_t *r = &l->reps[i];
        answered++;
        total += r->n;
        if (!r->more)
            continue;
        l->more = 1;
        if (r->n == 0)
            continue; /* "more" with an empty page says nothing about where it stops */
        const tn_slice_t *last = &r->ents[r->n - 1].key;
        if (bound == NULL || tn_row_key_cmp(last->base, last->len, bound->base, bound->len) < 0)
            bound = last;
    }
    gw_cl_entry_t *all = malloc((total ? total : 1) * sizeof(*all));
    if (all == NULL)
        return -ENOMEM;
    size_t k = 0;
    for (int i = 0; i < l->rs.n; i++)
        if (l->rs.state[i] == GW_RS_ANSWERED && l->reps[i].n) {
            memcpy(all + k, l->reps[i].ents, l->reps[i].n * sizeof(*all));
            k += l->reps[i].n;
        }
    qsort(all, total, sizeof(*all), ent_cmp);
    size_t out = 0;
    int divergent = 0;
    for (size_t i = 0; i < total;) {
        size_t j = i + 1;
        uint8_t agree = 1;
        for (; j < total && tn_row_key_cmp(all[j].key.base, all[j].key.len, all[i].key.base,
                                           all[i].key.len) == 0;
             j++)
            if (tn_row_ver_cmp(&all[j].ver, &all[i].ver) == 0)
                agree++;
        if (bound != NULL &&
            tn_row_key_cmp(all[i].key.base, all[i].key.len, bound->base, bound->len) > 0)
            break;
        if (agree < answered)
            divergent = 1;
        all[out] = all[i];
        all[out].agree = agree;
        out++;
        i = j;
    }
    if (out > l->limit) {
        out = l->limit;
        l->more = 1;
    }
    if (divergent)
        l->op.st->divergent++;
    l->out = all;
    l->nout = out;
    return 0;
}

static void list_check(list_op_t *l)
{
    if (l->op.fired)
        return;
    if (l->rs.n_answered >= l->rs.r) {
        gw_cl__fire(&l->op, list_merge(l));
    } else if (l->rs.n_pending == 0 && l->rs.next >= l->rs.n) {
        gw_cl__log_replicas(&l->op, l->pool, l->pg, &l->rs);
        gw_cl__fire(&l->op, TN_ERR_QUORUM);
    }
}

static void list_failed(list_op_t *l, int idx, int err)
{
    rep_clear(&l->reps[idx]);
    l->rs.state[idx] = GW_RS_FAILED;
    l->rs.errs[idx] = err;
    l->rs.n_failed++;
    l->replaced = 1;
    l->op.st->retries++;
}

static void on_list(void *arg, int err, const tn_osdc_reply_t *rep, uint8_t more_rows, uint32_t n,
                    tn_proto_iter_t *it);
static void on_list_hedge(void *arg, tn_osdc_req_t *req);

static void list_send(list_op_t *l, int i)
{
    gw_cl_rq_t *rq = gw_cl__rq_new(&l->op, i, l->rs.osds[i]);
    tn_row_list_req_t m = {l->pool,
                           l->pg,
                           l->ns,
                           {(const char *)l->prefix, l->prefix_len},
                           {(const char *)l->start, l->start_len},
                           l->limit,
                           0};
    int rc =
        rq == NULL ? -ENOMEM : tn_osdc_row_list(l->op.cl->osdc, rq->osd, &m, on_list, rq, &rq->h);
    if (rc != 0) {
        if (rq != NULL)
            gw_cl__rq_done(rq);
        list_failed(l, i, rc);
        return;
    }
    l->rs.state[i] = GW_RS_ASKED;
    l->rs.n_pending++;
    tn_osdc_hedge(rq->h, on_list_hedge, rq);
}

static void list_ask(list_op_t *l)
{
    while (l->rs.n_answered + l->rs.n_pending < l->rs.r && l->rs.next < l->rs.n)
        list_send(l, l->rs.next++);
}

static void on_list_hedge(void *arg, tn_osdc_req_t *req)
{
    (void)req;
    gw_cl_rq_t *rq = arg;
    list_op_t *l = (list_op_t *)rq->op;
    if (l->op.fired || rq->attempt != l->op.attempt || l->rs.next >= l->rs.n)
        return;
    l->op.st->hedges++;
    list_send(l, l->rs.next++);
    list_check(l);
}

/* Copies one reply frame and appends its entries (keys must ascend across the replica's page). */
static int rep_add_frame(list_rep_t *r, const tn_osdc_reply_t *rep)
{
    uint8_t *b = malloc(rep->payload.len ? rep->payload.len : 1);
    uint8_t **nb = realloc(r->blocks, (r->nblocks + 1) * sizeof(*nb));
    if (b == NULL || nb == NULL) {
        free(b);
        if (nb != NULL)
            r->blocks = nb;
        return -ENOMEM;
    }
    r->blocks = nb;
    r->blocks[r->nblocks++] = b;
    memcpy(b, rep->payload.base, rep->payload.len);
    tn_proto_iter_t it;
    uint8_t more = 0;
    uint32_t n = 0;
    if (tn_proto_dec_row_list_rep(b, rep->payload.len, &it, &more, &n) != 0)
        return TN_ERR_PROTO;
    r->more = more;
    tn_row_entry_t e;
    int rc;
    while ((rc = tn_proto_next_row_entry(&it, &e)) == 1) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 64;
            gw_cl_entry_t *ne = realloc(r->ents, cap * sizeof(*ne));
            if (ne == NULL)
                return -ENOMEM;
            r->ents = ne;
            r->cap = cap;
        }
        if (e.key.len == 0 ||
            (r->n > 0 && tn_row_key_cmp(r->ents[r->n - 1].key.base, r->ents[r->n - 1].key.len,
                                        e.key.base, e.key.len) >= 0))
            return TN_ERR_PROTO;
        gw_cl_entry_t *x = &r->ents[r->n++];
        memset(x, 0, sizeof(*x));
        x->key = e.key;
        x->ver.hlc = e.ver.hlc;
        x->ver.origin = e.ver.origin;
        memcpy(x->ver.vid, e.ver.vid, sizeof(x->ver.vid));
        x->flags = e.flags;
        x->value = e.value;
        x->inline_len = e.inline_len;
    }
    return rc == 0 ? 0 : TN_ERR_PROTO;
}

static void on_list(void *arg, int err, const tn_osdc_reply_t *rep, uint8_t more_rows, uint32_t n,
                    tn_proto_iter_t *it)
{
    (void)more_rows;
    (void)n;
    (void)it;
    gw_cl_rq_t *rq = arg;
    gw_cl_op_t *op = rq->op;
    list_op_t *l = (list_op_t *)op;
    int final = err != 0 || !rep->more;
    if (rq->attempt != op->attempt || op->fired || l->rs.state[rq->idx] != GW_RS_ASKED)
        goto out;
    if (err == 0)
        err = rep_add_frame(&l->reps[rq->idx], rep);
    if (err == 0 && !final)
        return;
    if (!final) { /* a bad frame in the middle: later frames of this reply are ignored */
        l->rs.n_pending--;
        list_failed(l, rq->idx, err);
        list_ask(l);
        list_check(l);
        return;
    }
    l->rs.n_pending--;
    if (err == 0) {
        l->rs.state[rq->idx] = GW_RS_ANSWERED;
        l->rs.n_answered++;
    } else if (err == TN_ERR_STALE_EPOCH && rep->has_hdr &&
               gw_cl__epoch_fix(op, rq->osd, rep->epoch) == 0) {
        goto out;
    } else {
        list_failed(l, rq->idx, err);
        list_ask(l);
    }
    list_check(l);
out:
    if (final) {
        gw_cl__rq_done(rq);
        gw_cl__maybe_free(op);
    }
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    if (b != NULL && n)
        memcpy(b, p, n);
    return b;
}

int gw_cl_row_list(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, uint64_t ns, const void *prefix,
                   size_t prefix_len, const void *start_after, size_t start_after_len,
                   uint32_t limit, gw_cl_list_cb cb, void *arg)
{
    if (cb == NULL || limit == 0 || limit > TN_PROTO_MAX_LIST || prefix_len > TN_ROW_MAX_KEY ||
        start_after_len > TN_ROW_MAX_KEY || (prefix == NULL && prefix_len) ||
        (start_after == NULL && start_after_len))
        return -EINVAL;
    if (cl->destroying)
        return -ESHUTDOWN;
    uint8_t *pfx = dup_bytes(prefix, prefix_len), *st = dup_bytes(start_after, start_after_len);
    list_op_t *l =
        pfx && st ? gw_cl__op_new(cl, sizeof(*l), &list_vt, "row_list", &cl->st.row_list) : NULL;
    if (l == NULL) {
        free(pfx);
        free(st);
        return -ENOMEM;
    }
    l->pool = pool_id;
    l->pg = pg;
    l->ns = ns;
    l->prefix = pfx;
    l->prefix_len = prefix_len;
    l->start = st;
    l->start_len = start_after_len;
    l->limit = limit;
    l->cb = cb;
    l->arg = arg;
    list_restart(&l->op);
    gw_cl__op_started(&l->op);
    return 0;
}
