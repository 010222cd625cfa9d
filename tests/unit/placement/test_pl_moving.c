/*
 * test_pl_moving.c — moving PGs (rebalance): planning what a map change moves (marking an OSD
 * out, adding one, chained changes, changing back), the holders set, clearing entries, and the
 * codec's moving section (round trip, unchanged encoding without entries, malformed entries),
 * the completion decision (pl_map_finish_moves, with fake probes) and replacing a disk
 * (pl_map_replace_osd).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "placement.h"
#include "pl_test_util.h"

static pl_map_t *six_osds(void)
{
    pl_map_t *m = pl_map_create();
    for (int h = 0; h < 3; h++) {
        char name[16];
        snprintf(name, sizeof(name), "h%d", h);
        int hi = pl_map_add_host(m, name);
        pl_map_add_osd(m, h * 2, hi, PL_WEIGHT_ONE, "127.0.0.1:1");
        pl_map_add_osd(m, h * 2 + 1, hi, PL_WEIGHT_ONE, "127.0.0.1:2");
    }
    pl_map_add_pool(m, 1, "data", 64, 3, 2, 2, PL_FD_HOST);
    pl_map_add_pool(m, 0, "meta", 8, 3, 2, 2, PL_FD_HOST);
    pl_map_rebalance(m);
    m->epoch = 1;
    return m;
}

static int in_set(const int32_t *s, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (s[i] == id)
            return 1;
    return 0;
}

static void test_plan_out(void)
{
    pl_map_t *a = six_osds(), *b = pl_map_clone(a);
    b->epoch = 2;
    ok(pl_map_set_osd_in(b, 3, 0) == TN_OK, "out");
    ok(pl_map_rebalance(b) == TN_OK, "rebalance");
    ok(pl_map_plan_moves(a, b) == TN_OK, "plan");
    void *work = aligned_alloc(8, (pl_work_size(b) + 7) / 8 * 8);
    uint32_t moved = 0, want = 0;
    for (uint32_t p = 0; p < b->n_pools; p++) {
        const pl_pool_t *pool = &b->pools[p];
        for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
            int32_t before[PL_MAX_SIZE], after[PL_MAX_SIZE], hold[PL_MAX_HOLDERS];
            int na = pl_pg_osds(a, pool, pg, before, PL_MAX_SIZE, work);
            int nb = pl_pg_osds(b, pool, pg, after, PL_MAX_SIZE, work);
            int changed = 0;
            for (int i = 0; i < nb; i++)
                changed |= !in_set(before, na, after[i]);
            want += changed;
            const pl_moving_t *e = pl_map_moving(b, pool->id, pg);
            ok((e != NULL) == changed, "an entry exactly for changed PGs");
            if (e == NULL)
                continue;
            moved++;
            is_int(e->n, na, "old set size");
            for (int i = 0; i < na; i++)
                is_int(e->old[i], before[i], "old set in order");
            int ncur = 0;
            int nh = pl_pg_holders(b, pool, pg, hold, PL_MAX_HOLDERS, &ncur, work);
            is_int(ncur, nb, "current part");
            ok(nh == nb + 1, "holders = current + the out OSD");
            ok(in_set(hold, nh, 3), "the out OSD still holds it");
            for (int i = 0; i < nb; i++)
                is_int(hold[i], after[i], "current first");
        }
    }
    ok(moved > 0, "something moved");
    is_int(moved, want, "entries == changed PGs");
    is_int(b->n_moving, moved, "n_moving");

    /* a second change keeps the complete (first) old set; changing back drops entries */
    pl_map_t *c = pl_map_clone(b);
    c->epoch = 3;
    pl_map_set_osd_in(c, 3, 1);
    pl_map_rebalance(c);
    ok(pl_map_plan_moves(b, c) == TN_OK, "plan back");
    is_int(c->n_moving, 0, "in again: nothing moves relative to the complete sets");

    pl_map_t *d = pl_map_clone(b);
    d->epoch = 3;
    pl_map_set_osd_in(d, 5, 0);
    pl_map_rebalance(d);
    ok(pl_map_plan_moves(b, d) == TN_OK, "plan chained");
    for (uint32_t i = 0; i < b->n_moving; i++) {
        const pl_moving_t *e = &b->moving[i], *f = pl_map_moving(d, e->pool, e->pg);
        ok(f != NULL && f->n == e->n && memcmp(f->old, e->old, e->n * sizeof(int32_t)) == 0,
           "a still-moving PG keeps its original old set");
    }
    ok(d->n_moving > b->n_moving, "more PGs move");

    /* clear */
    uint32_t n0 = b->n_moving;
    pl_moving_t first = b->moving[0];
    ok(pl_map_clear_moving(b, first.pool, first.pg) == TN_OK, "clear");
    ok(pl_map_moving(b, first.pool, first.pg) == NULL, "cleared");
    is_int(b->n_moving, n0 - 1, "one fewer");
    is_int(pl_map_clear_moving(b, first.pool, first.pg), TN_ERR_NOT_FOUND, "clear twice");

    free(work);
    pl_map_destroy(a);
    pl_map_destroy(b);
    pl_map_destroy(c);
    pl_map_destroy(d);
}

static void test_plan_add(void)
{
    pl_map_t *a = six_osds(), *b = pl_map_clone(a);
    b->epoch = 2;
    ok(pl_map_add_osd(b, 6, 1, PL_WEIGHT_ONE, "127.0.0.1:3") >= 0, "add");
    pl_map_rebalance(b);
    ok(pl_map_plan_moves(a, b) == TN_OK, "plan");
    ok(b->n_moving > 0, "PGs move to the new OSD");
    void *work = aligned_alloc(8, (pl_work_size(b) + 7) / 8 * 8);
    for (uint32_t i = 0; i < b->n_moving; i++) {
        const pl_moving_t *e = &b->moving[i];
        int32_t cur[PL_MAX_SIZE];
        int n = pl_pg_osds(b, pl_map_find_pool(b, e->pool), e->pg, cur, PL_MAX_SIZE, work);
        ok(in_set(cur, n, 6), "every moving PG gained the new OSD");
        ok(!in_set(e->old, e->n, 6), "which is not in its old set");
    }
    free(work);
    pl_map_destroy(a);
    pl_map_destroy(b);
}

static void test_codec(void)
{
    pl_map_t *a = six_osds();
    size_t la = 0, lb = 0;
    pl_map_encode(a, NULL, 0, &la);
    uint8_t *ea = malloc(la);
    ok(pl_map_encode(a, ea, la, &la) == TN_OK, "encode without moving");
    is_int(ea[6], 0, "flags 0 without moving PGs");
    pl_map_t *b = pl_map_clone(a);
    pl_map_set_osd_in(b, 0, 0);
    pl_map_rebalance(b);
    pl_map_plan_moves(a, b);
    ok(b->n_moving > 0, "moving");
    pl_map_encode(b, NULL, 0, &lb);
    uint8_t *eb = malloc(lb);
    ok(pl_map_encode(b, eb, lb, &lb) == TN_OK, "encode with moving");
    is_int(eb[6], 1, "flag bit 0");
    pl_map_t *c = NULL;
    ok(pl_map_decode(eb, lb, &c) == TN_OK, "decode");
    ok(c != NULL && c->n_moving == b->n_moving &&
           memcmp(c->moving, b->moving, b->n_moving * sizeof(pl_moving_t)) == 0,
       "moving entries round trip");
    ok(pl_map_hash(c) == pl_map_hash(b) && pl_map_hash(b) != pl_map_hash(a), "hash covers them");
    /* invalid entries are refused by validate (and so by encode) */
    pl_map_t *d = pl_map_clone(b);
    d->moving[0].old[0] = 99;
    ok(pl_map_validate(d, NULL, 0) == TN_ERR_CORRUPT, "unknown OSD refused");
    d->moving[0] = b->moving[0];
    if (d->n_moving > 1) {
        d->moving[1] = d->moving[0];
        ok(pl_map_validate(d, NULL, 0) == TN_ERR_CORRUPT, "duplicate entry refused");
    }
    d->moving[0].old[1] = d->moving[0].old[0];
    ok(pl_map_validate(d, NULL, 0) == TN_ERR_CORRUPT, "OSD twice refused");
    pl_map_destroy(c);
    pl_map_destroy(d);
    /* every truncation of the moving encoding fails cleanly */
    for (size_t cut = la - 4; cut < lb; cut += 3) {
        c = NULL;
        ok(pl_map_decode(eb, cut, &c) != TN_OK && c == NULL, "truncated");
    }
    free(ea);
    free(eb);
    pl_map_destroy(a);
    pl_map_destroy(b);
}

/* A fake cluster for pl_map_finish_moves: epochs per OSD id and a "content" per (osd, pg). */
typedef struct {
    uint64_t epoch[8];   /* 0 = does not answer */
    uint32_t lacking[8]; /* osd lacks data of PGs with pg % 7 == lacking - 1 (0: none) */
    int down_digest[8];  /* PG_DIGEST fails */
    unsigned epoch_asks, digest_asks;
} fake_t;

static uint64_t fake_epoch(void *arg, int32_t osd)
{
    fake_t *f = arg;
    f->epoch_asks++;
    return f->epoch[osd];
}

static int fake_digest(void *arg, int32_t osd, uint32_t pool, uint32_t pg, pl_pg_digest_t *out)
{
    fake_t *f = arg;
    f->digest_asks++;
    if (f->down_digest[osd] || f->epoch[osd] == 0)
        return -ECONNREFUSED;
    memset(out, 0, sizeof(*out));
    out->v[0] = pool * 1000u + pg;
    if (f->lacking[osd] != 0 && pg % 7 == f->lacking[osd] - 1)
        out->v[1] = 1;
    return 0;
}

static void test_finish(void)
{
    pl_map_t *a = six_osds(), *b = pl_map_clone(a);
    b->epoch = 2;
    pl_map_set_osd_in(b, 3, 0);
    pl_map_rebalance(b);
    pl_map_plan_moves(a, b);
    ok(b->n_moving > 0, "moves");
    fake_t f = {0};
    for (int i = 0; i < 6; i++)
        f.epoch[i] = 2;
    pl_finish_probe_t pr = {fake_epoch, fake_digest, &f};
    pl_map_t *next = NULL;
    int32_t behind = 0;
    uint64_t bep = 0;

    /* nothing moving: nothing asked */
    f.epoch_asks = 0;
    is_int(pl_map_finish_moves(a, &pr, &next, &behind, &bep), 0, "no moves");
    ok(next == NULL && f.epoch_asks == 0, "nothing asked");

    /* an answering OSD at another epoch blocks everything */
    f.epoch[4] = 1;
    is_int(pl_map_finish_moves(b, &pr, &next, &behind, &bep), 0, "one OSD behind");
    is_int(behind, 4, "names it");
    is_int(bep, 1, "and its epoch");
    ok(next == NULL, "no map");
    f.epoch[4] = 0; /* not answering at all is fine for (a) ... */
    f.digest_asks = 0;
    int n = pl_map_finish_moves(b, &pr, &next, &behind, &bep);
    is_int(behind, PL_ITEM_NONE, "nobody behind");
    /* ... but a PG holder that does not answer keeps its PG moving */
    void *work = aligned_alloc(8, (pl_work_size(b) + 7) / 8 * 8);
    int with4 = 0;
    for (uint32_t i = 0; i < b->n_moving; i++) {
        int32_t hold[PL_MAX_HOLDERS];
        const pl_moving_t *e = &b->moving[i];
        int nh =
            pl_pg_holders(b, pl_map_find_pool(b, e->pool), e->pg, hold, PL_MAX_HOLDERS, NULL, work);
        with4 += in_set(hold, nh, 4);
    }
    is_int(n, (long long)b->n_moving - with4, "PGs held by a silent OSD stay moving");
    ok(next != NULL && next->epoch == 3, "next epoch");
    if (next != NULL)
        is_int(next->n_moving, with4, "the rest is removed");
    ok(pl_map_validate(next, NULL, 0) == TN_OK, "valid");
    pl_map_destroy(next);
    next = NULL;

    /* a holder that lacks data keeps the PG moving */
    f.epoch[4] = 2;
    f.lacking[3] = 3; /* the old holder differs on pg % 7 == 2 */
    n = pl_map_finish_moves(b, &pr, &next, NULL, NULL);
    int differ = 0;
    for (uint32_t i = 0; i < b->n_moving; i++)
        differ += b->moving[i].pg % 7 == 2;
    is_int(n, (long long)b->n_moving - differ, "differing PGs stay");
    for (uint32_t i = 0; next != NULL && i < next->n_moving; i++)
        ok(next->moving[i].pg % 7 == 2, "only differing PGs left");
    pl_map_destroy(next);
    next = NULL;
    f.lacking[3] = 0;
    n = pl_map_finish_moves(b, &pr, &next, NULL, NULL);
    is_int(n, b->n_moving, "all complete");
    ok(next != NULL && next->n_moving == 0, "none left");
    pl_map_destroy(next);
    free(work);
    pl_map_destroy(a);
    pl_map_destroy(b);
}

static void test_replace(void)
{
    pl_map_t *a = six_osds();
    void *work = aligned_alloc(8, (pl_work_size(a) + 7) / 8 * 8);
    uint32_t nm = 0;
    is_int(pl_map_replace_osd(a, 9, 1, &nm), TN_ERR_NOT_FOUND, "no such OSD");
    ok(pl_map_replace_osd(a, 2, 0x1234, &nm) == TN_OK, "replace osd.2");
    is_int(pl_map_find_osd(a, 2)->incarnation, 0x1234, "incarnation recorded");
    ok(pl_map_validate(a, NULL, 0) == TN_OK, "valid");
    uint32_t held = 0;
    for (uint32_t p = 0; p < a->n_pools; p++) {
        const pl_pool_t *pool = &a->pools[p];
        for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
            int32_t cur[PL_MAX_SIZE];
            int n = pl_pg_osds(a, pool, pg, cur, PL_MAX_SIZE, work);
            const pl_moving_t *e = pl_map_moving(a, pool->id, pg);
            if (!in_set(cur, n, 2)) {
                ok(e == NULL, "a PG without osd.2 does not move");
                continue;
            }
            held++;
            ok(e != NULL && e->n == n - 1 && !in_set(e->old, e->n, 2),
               "a PG of osd.2 moves; its old set is the others");
            for (int i = 0; e != NULL && i < e->n; i++)
                ok(in_set(cur, n, e->old[i]), "old set within the current one");
        }
    }
    is_int(nm, held, "n_moves == PGs held");
    ok(held > 0, "osd.2 held PGs");
    /* a later change keeps those old sets; pl_map_finish_moves ends them */
    pl_map_t *b = pl_map_clone(a);
    b->epoch = 2;
    pl_map_set_osd_in(b, 5, 0);
    pl_map_rebalance(b);
    pl_map_plan_moves(a, b);
    for (uint32_t i = 0; i < a->n_moving; i++) {
        const pl_moving_t *f = pl_map_moving(b, a->moving[i].pool, a->moving[i].pg);
        ok(f != NULL && !in_set(f->old, f->n, 2), "old sets still exclude osd.2");
    }
    /* replacing an OSD that is in an old set drops it from there */
    pl_map_t *c = pl_map_clone(b);
    ok(pl_map_replace_osd(c, 5, 77, NULL) == TN_OK, "replace the out osd.5");
    for (uint32_t i = 0; i < c->n_moving; i++)
        ok(!in_set(c->moving[i].old, c->moving[i].n, 5), "osd.5 in no old set");
    ok(pl_map_validate(c, NULL, 0) == TN_OK, "valid");
    free(work);
    pl_map_destroy(a);
    pl_map_destroy(b);
    pl_map_destroy(c);
}

int main(void)
{
    subtest("plan out", test_plan_out);
    subtest("plan add", test_plan_add);
    subtest("codec", test_codec);
    subtest("finish", test_finish);
    subtest("replace", test_replace);
    return tt_done();
}
