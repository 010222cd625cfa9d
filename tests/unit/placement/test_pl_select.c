/*
 * test_pl_select.c — properties of PG -> OSD mapping over random maps from a seeded PRNG:
 * distinct hosts, never an out OSD, argument handling, independence from array order and from
 * the up flag; balance (standard deviation of per-OSD counts against the binomial ideal); and
 * data movement when an OSD goes out, a host is added, or an OSD joins a host, compared with
 * the optimum and with the classic two-level rule; and the same balance and movement limits
 * with draw factors and ghosts (pl_map_rebalance after every change). Prints the measured
 * ratios (docs/BENCHMARKS.md quotes them).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "placement.h"
#include "pl_test_util.h"

static void *work_for(const pl_map_t *m)
{
    size_t a = pl_work_size(m), b = pl__work_size_two_level(m);
    return malloc(a > b ? a : b);
}

/* Checks every PG of pool 1: distinct hosts, only in OSDs with weight, the expected count,
 * NONE padding. Returns the number of bad PGs. */
static int check_all_pgs(const pl_map_t *m, const pl_pool_t *pool, void *work)
{
    uint32_t live_hosts = 0;
    for (uint32_t h = 0; h < m->n_hosts; h++) {
        int live = 0;
        for (uint32_t i = 0; i < m->n_osds; i++)
            live |= m->osds[i].host == (int32_t)h && m->osds[i].in && m->osds[i].weight > 0;
        live_hosts += (uint32_t)live;
    }
    int want = (int)TN_MIN(live_hosts, pool->size), bad = 0;
    for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
        int32_t out[PL_MAX_SIZE + 1];
        out[pool->size] = 12345; /* must stay untouched */
        int n = pl_pg_osds(m, pool, pg, out, pool->size, work);
        int pg_bad = n != want || out[pool->size] != 12345;
        for (int i = 0; i < pool->size && !pg_bad; i++) {
            if (i >= n) {
                pg_bad |= out[i] != PL_ITEM_NONE;
                continue;
            }
            const pl_osd_t *o = pl_map_find_osd(m, out[i]);
            pg_bad |= o == NULL || !o->in || o->weight == 0;
            for (int j = 0; j < i && !pg_bad; j++)
                pg_bad |= pl_map_find_osd(m, out[j])->host == o->host;
        }
        bad += pg_bad;
    }
    return bad;
}

static void test_basic(void)
{
    pl_map_t *m = pl_map_create();
    for (int h = 0; h < 3; h++) {
        char name[8];
        snprintf(name, sizeof(name), "h%d", h);
        pl_map_add_host(m, name);
        pl_map_add_osd(m, h * 2, h, PL_WEIGHT_ONE, NULL);
        pl_map_add_osd(m, h * 2 + 1, h, 2 * PL_WEIGHT_ONE, NULL);
    }
    pl_map_add_pool(m, 1, "data", 128, 3, 2, 2, PL_FD_HOST);
    pl_map_add_pool(m, 2, "flat", 128, 3, 2, 2, PL_FD_OSD);
    void *work = work_for(m);
    const pl_pool_t *pool = &m->pools[0];
    is_int(check_all_pgs(m, pool, work), 0, "3 hosts x 2: every PG on all 3 hosts");
    int32_t out[PL_MAX_SIZE];
    is_int(pl_pg_osds(m, pool, 128, out, 3, work), -EINVAL, "pg >= pg_num");
    is_int(pl_pg_osds(m, pool, 0, out, -1, work), -EINVAL, "negative out_max");
    is_int(pl_pg_osds(NULL, pool, 0, out, 3, work), -EINVAL, "NULL map");
    is_int(pl_pg_osds(m, pool, 0, out, 3, NULL), -EINVAL, "NULL work");
    int32_t full[3], two[2];
    is_int(pl_pg_osds(m, pool, 5, full, 3, work), 3, "3 placed");
    is_int(pl_pg_osds(m, pool, 5, two, 2, work), 2, "out_max 2 places 2");
    ok(two[0] == full[0] && two[1] == full[1], "a shorter output is a prefix");

    pl_map_set_osd_in(m, 0, 0);
    pl_map_set_osd_weight(m, 3, 0);
    is_int(check_all_pgs(m, pool, work), 0, "out and weight-0 OSDs never chosen");
    pl_map_set_osd_in(m, 4, 0);
    pl_map_set_osd_in(m, 5, 0);
    is_int(check_all_pgs(m, pool, work), 0, "host 2 fully out: 2 OSDs + PL_ITEM_NONE");
    is_int(pl_pg_osds(m, pool, 9, out, 3, work), 2, "returns 2");
    is_int(out[2], PL_ITEM_NONE, "third slot is NONE");

    /* failure domain OSD: distinct OSDs, may share hosts (in: 1 on h0, 2 on h1, 4 and 5 on h2) */
    pl_map_set_osd_in(m, 4, 1);
    pl_map_set_osd_in(m, 5, 1);
    const pl_pool_t *fp = &m->pools[1];
    int distinct = 1, shared_host = 0;
    for (uint32_t pg = 0; pg < fp->pg_num; pg++) {
        int n = pl_pg_osds(m, fp, pg, out, 3, work);
        distinct &= n == 3 && out[0] != out[1] && out[1] != out[2] && out[0] != out[2];
        if (!distinct)
            break;
        for (int i = 0; i < n; i++)
            distinct &= out[i] != 0 && out[i] != 3;
        shared_host |= pl_map_find_osd(m, out[0])->host == pl_map_find_osd(m, out[1])->host ||
                       pl_map_find_osd(m, out[1])->host == pl_map_find_osd(m, out[2])->host ||
                       pl_map_find_osd(m, out[0])->host == pl_map_find_osd(m, out[2])->host;
    }
    ok(distinct, "PL_FD_OSD: 3 distinct in-OSDs");
    ok(shared_host, "PL_FD_OSD: two replicas may share a host");
    free(work);
    pl_map_destroy(m);

    pl_map_t *e = pl_map_create();
    pl_map_add_pool(e, 1, "data", 8, 3, 2, 2, PL_FD_HOST);
    void *ew = work_for(e);
    is_int(pl_pg_osds(e, &e->pools[0], 0, out, 3, ew), 0, "empty map places nothing");
    ok(out[0] == PL_ITEM_NONE && out[2] == PL_ITEM_NONE, "all NONE");
    free(ew);
    pl_map_destroy(e);
}

/* Same placement whatever the order of the OSD array, and whatever the up flags. */
static void test_invariance(void)
{
    uint64_t s = 5;
    pl_map_t *m = plt_random_map(&s, 5, 20, 6, 512);
    pl_map_t *shuf = pl_map_clone(m);
    for (uint32_t i = shuf->n_osds - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(plt_next(&s) % (i + 1));
        pl_osd_t t = shuf->osds[i];
        shuf->osds[i] = shuf->osds[j];
        shuf->osds[j] = t;
    }
    pl_map_t *down = pl_map_clone(m);
    for (uint32_t i = 0; i < down->n_osds; i += 2)
        down->osds[i].up = 0;
    down->epoch = 99;
    void *w1 = work_for(m), *w2 = work_for(m);
    int same_shuf = 1, same_down = 1;
    for (uint32_t pg = 0; pg < 512; pg++) {
        int32_t a[3], b[3], c[3];
        int na = pl_pg_osds(m, &m->pools[0], pg, a, 3, w1);
        int nb = pl_pg_osds(shuf, &shuf->pools[0], pg, b, 3, w2);
        int nc = pl_pg_osds(down, &down->pools[0], pg, c, 3, w2);
        same_shuf &= na == nb && memcmp(a, b, sizeof(a)) == 0;
        same_down &= na == nc && memcmp(a, c, sizeof(a)) == 0;
    }
    ok(same_shuf, "OSD array order does not change placement");
    ok(same_down, "up/down flags and the epoch do not change placement");
    free(w1);
    free(w2);
    pl_map_destroy(m);
    pl_map_destroy(shuf);
    pl_map_destroy(down);
}

static void test_random_properties(void)
{
    uint64_t s = 1234;
    int maps = PLT_ASAN ? 6 : 40, bad = 0;
    for (int t = 0; t < maps; t++) {
        pl_map_t *m = plt_random_map(&s, 3, 100, 12, 256);
        for (uint32_t i = 0; i < m->n_osds; i++)
            if (plt_next(&s) % 20 == 0)
                m->osds[i].in = 0;
        if (t % 5 == 0) /* now and then a whole host out */
            for (uint32_t i = 0; i < m->n_osds; i++)
                if (m->osds[i].host == 0)
                    m->osds[i].in = 0;
        void *work = work_for(m);
        bad += check_all_pgs(m, &m->pools[0], work);
        free(work);
        pl_map_destroy(m);
    }
    is_int(bad, 0, "random maps: distinct hosts, never out, full when possible");
}

/*
 * The exact expected host inclusion of the rule for size 3 (top-3 of an exponential race
 * = weighted sampling without replacement): P(h first) + P(h second) + P(h third).
 */
static void sampling_inclusion(const double *p, uint32_t n, double *pi)
{
    for (uint32_t h = 0; h < n; h++)
        pi[h] = p[h];
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] <= 0)
            continue;
        for (uint32_t j = 0; j < n; j++) {
            if (j == i || p[j] <= 0)
                continue;
            double q = p[i] * p[j] / (1 - p[i]); /* i first, j second */
            pi[j] += q;
            double rest = 1 - p[i] - p[j];
            if (rest <= 1e-12)
                continue;
            for (uint32_t h = 0; h < n; h++)
                if (h != i && h != j)
                    pi[h] += q * p[h] / rest;
        }
    }
}

/* stddev of counts against the rule's exact expectation, and the binomial ideal for it. */
static void stddev_vs_expected(const pl_map_t *m, const pl_stats_t *st, double *sd, double *bin)
{
    uint32_t nh = m->n_hosts;
    double *w = calloc(nh, sizeof(double)), *p = calloc(nh, sizeof(double));
    double *pi = calloc(nh, sizeof(double)), tot = 0;
    for (uint32_t i = 0; i < m->n_osds; i++)
        if (m->osds[i].in && m->osds[i].weight)
            w[m->osds[i].host] += m->osds[i].weight;
    for (uint32_t h = 0; h < nh; h++)
        tot += w[h];
    for (uint32_t h = 0; h < nh; h++)
        p[h] = w[h] / tot;
    sampling_inclusion(p, nh, pi);
    double pgn = m->pools[0].pg_num, s2 = 0, v = 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        if (!o->in || !o->weight)
            continue;
        double e = pgn * pi[o->host] * o->weight / w[o->host];
        s2 += (st->count[i] - e) * (st->count[i] - e);
        v += e * (1 - e / pgn);
        n++;
    }
    *sd = sqrt(s2 / n);
    *bin = sqrt(v / n);
    free(w);
    free(p);
    free(pi);
}

static void test_balance(void)
{
    uint64_t s = 777;
    int maps = PLT_ASAN ? 2 : 10, checked = 0, within = 0, bal_within = 0;
    double worst_exact = 0, worst_capped = 0, worst_bal = 0;
    for (int t = 0; t < maps; t++) {
        pl_map_t *m = plt_random_map(&s, 3, PLT_ASAN ? 8 : 40, 12, 1);
        uint32_t need = (200 * m->n_osds + 2) / 3;
        m->pools[0].pg_num = need < 1024 ? 1024 : need;
        if (m->pools[0].pg_num > PL_MAX_PG_NUM) {
            pl_map_destroy(m);
            continue;
        }
        pl_stats_t st;
        if (pl_stats_compute(m, &m->pools[0], &st) != TN_OK) {
            ok(0, "stats");
            pl_map_destroy(m);
            continue;
        }
        double sd, bin;
        stddev_vs_expected(m, &st, &sd, &bin);
        double r_exact = sd / bin, r_capped = st.stddev / st.ideal_stddev;
        /* the same map with draw factors */
        pl_map_t *b = pl_map_clone(m);
        pl_stats_t sb;
        double r_bal = 99;
        if (pl_map_rebalance(b) == TN_OK && pl_stats_compute(b, &b->pools[0], &sb) == TN_OK) {
            r_bal = sb.stddev / sb.ideal_stddev;
            pl_stats_free(&sb);
        }
        pl_map_destroy(b);
        bal_within += r_bal <= 1.25;
        worst_bal = fmax(worst_bal, r_bal);
        printf("# balance: %3u hosts %4u OSDs pg_num %5u: stddev/binomial vs rule's "
               "expectation %.3f, vs capped ideal %.3f; with draw factors vs capped ideal "
               "%.3f\n",
               m->n_hosts, m->n_osds, m->pools[0].pg_num, r_exact, r_capped, r_bal);
        worst_exact = fmax(worst_exact, r_exact);
        worst_capped = fmax(worst_capped, r_capped);
        checked++;
        within += r_exact <= 1.25;
        is_uint(st.unplaced, 0, "all slots placed");
        pl_stats_free(&st);
        pl_map_destroy(m);
    }
    printf("# balance: worst stddev ratio vs rule's expectation %.3f, vs capped ideal %.3f; "
           "with draw factors vs capped ideal %.3f\n",
           worst_exact, worst_capped, worst_bal);
    ok(checked >= maps / 2, "enough maps checked");
    is_int(within, checked, "stddev within 1.25x binomial of the rule's expectation");
    is_int(bal_within, checked, "draw factors: stddev within 1.25x binomial of the capped ideal");

    /* Maps that lived: 30 changes (out, in, reweight, new OSD), pl_map_rebalance after each. */
    int ev_maps = PLT_ASAN ? 1 : 6, ev_within = 0;
    double worst_ev = 0;
    for (int t = 0; t < ev_maps; t++) {
        pl_map_t *m = plt_random_map(&s, 3, PLT_ASAN ? 8 : 30, 12, 1);
        uint32_t need = (200 * m->n_osds + 2) / 3;
        m->pools[0].pg_num = need < 1024 ? 1024 : need;
        pl_map_rebalance(m);
        int32_t next = (int32_t)m->n_osds;
        for (int c = 0; c < 30; c++) {
            uint64_t kind = plt_next(&s) % 4;
            int32_t v = (int32_t)(plt_next(&s) % (uint64_t)next);
            if (kind == 0)
                pl_map_set_osd_in(m, v, 0);
            else if (kind == 1)
                pl_map_set_osd_in(m, v, 1);
            else if (kind == 2)
                pl_map_set_osd_weight(m, v, plt_weight(&s));
            else { /* two statements: argument evaluation order is unspecified */
                int h = (int)(plt_next(&s) % m->n_hosts);
                pl_map_add_osd(m, next++, h, plt_weight(&s), NULL);
            }
            pl_map_rebalance(m);
        }
        pl_stats_t st;
        pl_stats_compute(m, &m->pools[0], &st);
        double r = st.stddev / st.ideal_stddev;
        printf("# balance after 30 changes: %3u hosts %4u OSDs pg_num %5u: %.3f\n", m->n_hosts,
               m->n_osds, m->pools[0].pg_num, r);
        worst_ev = fmax(worst_ev, r);
        ev_within += r <= 1.25;
        pl_stats_free(&st);
        pl_map_destroy(m);
    }
    printf("# balance after 30 changes: worst %.3f\n", worst_ev);
    is_int(ev_within, ev_maps, "draw factors after 30 changes: within 1.25x binomial");

    /* Equal hosts (same OSD weights on every host): the capped ideal is the expectation. */
    int eq_maps = PLT_ASAN ? 2 : 6, eq_within = 0;
    for (int t = 0; t < eq_maps; t++) {
        uint32_t nh = plt_range(&s, 3, PLT_ASAN ? 6 : 30), per = plt_range(&s, 1, 12);
        uint32_t wts[12];
        for (uint32_t j = 0; j < per; j++)
            wts[j] = plt_weight(&s);
        pl_map_t *m = pl_map_create();
        int32_t id = 0;
        for (uint32_t h = 0; h < nh; h++) {
            char name[16];
            snprintf(name, sizeof(name), "e%u", h);
            int hi = pl_map_add_host(m, name);
            for (uint32_t j = 0; j < per; j++)
                pl_map_add_osd(m, id++, hi, wts[j], NULL);
        }
        uint32_t need = (200 * m->n_osds + 2) / 3;
        pl_map_add_pool(m, 1, "data", need < 1024 ? 1024 : TN_MIN(need, PL_MAX_PG_NUM), 3, 2, 2,
                        PL_FD_HOST);
        pl_stats_t st;
        pl_stats_compute(m, &m->pools[0], &st);
        double r = st.stddev / st.ideal_stddev;
        printf("# balance, equal hosts: %2u hosts x %2u OSDs pg_num %5u: stddev/binomial vs "
               "capped ideal %.3f\n",
               nh, per, m->pools[0].pg_num, r);
        eq_within += r <= 1.25;
        pl_stats_free(&st);
        pl_map_destroy(m);
    }
    is_int(eq_within, eq_maps, "equal hosts: stddev within 1.25x binomial of the capped ideal");
}

static void test_capped_ideal(void)
{
    /* hosts of weight 4, 1, 1 with size 3: every host holds every PG */
    pl_map_t *m = pl_map_create();
    pl_map_add_host(m, "a");
    pl_map_add_host(m, "b");
    pl_map_add_host(m, "c");
    pl_map_add_host(m, "d");
    pl_map_add_osd(m, 0, 0, 3 * PL_WEIGHT_ONE, NULL);
    pl_map_add_osd(m, 1, 0, PL_WEIGHT_ONE, NULL);
    pl_map_add_osd(m, 2, 1, PL_WEIGHT_ONE, NULL);
    pl_map_add_osd(m, 3, 2, PL_WEIGHT_ONE, NULL);
    pl_map_add_pool(m, 1, "data", 100, 3, 2, 2, PL_FD_HOST);
    double ideal[4];
    is_int(pl_ideal_counts(m, &m->pools[0], ideal), TN_OK, "ideal counts");
    ok(fabs(ideal[0] - 75) < 1e-9 && fabs(ideal[1] - 25) < 1e-9, "3 hosts size 3: host a capped at "
                                                                 "pg_num, split 3:1");
    ok(fabs(ideal[2] - 100) < 1e-9 && fabs(ideal[3] - 100) < 1e-9, "hosts b, c: pg_num each");
    pl_map_add_osd(m, 4, 3, 2 * PL_WEIGHT_ONE, NULL); /* d: weight 2 of total 8 */
    double ideal2[5];
    pl_ideal_counts(m, &m->pools[0], ideal2);
    /* a (4/8 > 1/3) capped at 100; 200 left over b, c, d by 1:1:2 -> 50, 50, 100 */
    ok(fabs(ideal2[0] + ideal2[1] - 100) < 1e-9 && fabs(ideal2[2] - 50) < 1e-9 &&
           fabs(ideal2[3] - 50) < 1e-9 && fabs(ideal2[4] - 100) < 1e-9,
       "iterative capping: a capped, then d reaches exactly its cap");
    pl_map_set_osd_in(m, 4, 0);
    pl_ideal_counts(m, &m->pools[0], ideal2);
    ok(ideal2[4] == 0 && fabs(ideal2[2] - 100) < 1e-9, "out OSD has ideal 0");
    pl_map_destroy(m);
}

typedef struct {
    double moved, opt;
} agg_t;

static void test_movement(void)
{
    uint64_t s = 4242;
    int maps = PLT_ASAN ? 3 : 16;
    uint32_t pgn = PLT_ASAN ? 1024 : 4096;
    agg_t out = {0, 0}, host = {0, 0}, osd = {0, 0}, osd2 = {0, 0}, out2 = {0, 0};
    int exact_out = 0, exact_host = 0, exact_osd = 0, out_ok = 0;
    double worst_out = 0;
    for (int t = 0; t < maps; t++) {
        pl_map_t *m = plt_random_map(&s, 3, PLT_ASAN ? 12 : 100, 12, pgn);
        int32_t next = (int32_t)m->n_osds;
        uint64_t mv, opt, mv2, opt2;
        pl_stats_t st;

        /* one OSD out: moves exactly its replicas */
        pl_map_t *a = pl_map_clone(m);
        int32_t victim = (int32_t)(plt_next(&s) % m->n_osds);
        pl_map_set_osd_in(a, victim, 0);
        pl_movement(m, a, 1, 0, &mv, &opt);
        pl_movement(m, a, 1, 1, &mv2, &opt2);
        pl_stats_compute(m, &m->pools[0], &st);
        exact_out += mv == st.count[victim];
        pl_stats_free(&st);
        double r_out = (double)mv / (double)opt;
        worst_out = fmax(worst_out, r_out);
        out_ok += r_out <= 1.2;
        out.moved += (double)mv;
        out.opt += (double)opt;
        out2.moved += (double)mv2;
        out2.opt += (double)opt2;
        pl_map_destroy(a);

        /* a new host: everything that moves lands on it */
        a = pl_map_clone(m);
        int32_t nid = next;
        uint32_t nnew = plt_range(&s, 1, 12);
        plt_add_host(a, &s, "new-host", nnew, &nid);
        pl_movement(m, a, 1, 0, &mv, &opt);
        pl_stats_compute(a, &a->pools[0], &st);
        uint64_t arrived = 0;
        for (uint32_t i = m->n_osds; i < a->n_osds; i++)
            arrived += st.count[i];
        exact_host += mv == arrived;
        pl_stats_free(&st);
        double r_host = (double)mv / (double)opt;
        host.moved += (double)mv;
        host.opt += (double)opt;
        pl_map_destroy(a);

        /* one OSD joins an existing host */
        a = pl_map_clone(m);
        int h = (int)(plt_next(&s) % m->n_hosts);
        pl_map_add_osd(a, next, h, plt_weight(&s), NULL);
        pl_movement(m, a, 1, 0, &mv, &opt);
        pl_movement(m, a, 1, 1, &mv2, &opt2);
        pl_stats_compute(a, &a->pools[0], &st);
        exact_osd += mv == st.count[a->n_osds - 1];
        pl_stats_free(&st);
        double r_osd = (double)mv / (double)opt, r_osd2 = (double)mv2 / (double)opt2;
        osd.moved += (double)mv;
        osd.opt += (double)opt;
        osd2.moved += (double)mv2;
        osd2.opt += (double)opt2;
        printf("# movement: %3u hosts %4u OSDs: out %.3f, add host (%2u OSDs) %.3f, add OSD "
               "%.3f (two-level %.3f)\n",
               m->n_hosts, m->n_osds, r_out, nnew, r_host, r_osd, r_osd2);
        pl_map_destroy(a);
        pl_map_destroy(m);
    }
    double ro = out.moved / out.opt, rh = host.moved / host.opt, rs = osd.moved / osd.opt;
    double rs2 = osd2.moved / osd2.opt, ro2 = out2.moved / out2.opt;
    printf("# movement totals over %d maps (moved / optimal): out %.3f (two-level %.3f), "
           "add host %.3f, add OSD %.3f (two-level %.3f)\n",
           maps, ro, ro2, rh, rs, rs2);
    is_int(exact_out, maps, "marking an OSD out moves exactly the replicas it held");
    is_int(out_ok, maps, "marking an OSD out: moved <= 1.2x optimal on every map");
    is_int(exact_host, maps, "adding a host: every moved replica lands on the new host");
    ok(rh <= 1.2, "adding a host: total moved <= 1.2x optimal");
    is_int(exact_osd, maps, "adding an OSD: every moved replica lands on the new OSD");
    ok(rs < 2.2, "adding an OSD: total moved < 2.2x optimal");
    ok(rs < rs2, "adding an OSD: the flat rule moves less than the two-level rule");
}

/*
 * Movement with draw factors: each map is rebalanced, then changed, then rebalanced again
 * (what ternctl does for every epoch), and pl_movement compares the two. Fills the totals,
 * the worst per-map ratios and the number of maps whose out ratio exceeded 1.2.
 */
typedef struct {
    agg_t out, host, osd;
    double worst_out, worst_host, worst_osd;
    int out_over, out_over_7; /* maps with out > 1.2x: all, and those with >= 7 hosts */
} bal_move_t;

static void balanced_movement(uint64_t *s, int maps, uint32_t hmin, uint32_t hmax, uint32_t pgn,
                              bal_move_t *r)
{
    memset(r, 0, sizeof(*r));
    for (int t = 0; t < maps; t++) {
        pl_map_t *m = plt_random_map(s, hmin, hmax, 12, pgn);
        pl_map_rebalance(m);
        int32_t next = (int32_t)m->n_osds;
        uint64_t mv, opt;

        pl_map_t *a = pl_map_clone(m);
        pl_map_set_osd_in(a, (int32_t)(plt_next(s) % m->n_osds), 0);
        pl_map_rebalance(a);
        pl_movement(m, a, 1, 0, &mv, &opt);
        double r_out = (double)mv / (double)opt;
        r->out.moved += (double)mv;
        r->out.opt += (double)opt;
        r->worst_out = fmax(r->worst_out, r_out);
        r->out_over += r_out > 1.2;
        r->out_over_7 += r_out > 1.2 && m->n_hosts >= 7;
        pl_map_destroy(a);

        a = pl_map_clone(m);
        int32_t nid = next;
        uint32_t nnew = plt_range(s, 1, 12);
        plt_add_host(a, s, "new-host", nnew, &nid);
        pl_map_rebalance(a);
        pl_movement(m, a, 1, 0, &mv, &opt);
        double r_host = (double)mv / (double)opt;
        r->host.moved += (double)mv;
        r->host.opt += (double)opt;
        r->worst_host = fmax(r->worst_host, r_host);
        pl_map_destroy(a);

        a = pl_map_clone(m);
        int h = (int)(plt_next(s) % m->n_hosts); /* before plt_weight: evaluation order */
        pl_map_add_osd(a, next, h, plt_weight(s), NULL);
        pl_map_rebalance(a);
        pl_movement(m, a, 1, 0, &mv, &opt);
        double r_osd = (double)mv / (double)opt;
        r->osd.moved += (double)mv;
        r->osd.opt += (double)opt;
        r->worst_osd = fmax(r->worst_osd, r_osd);
        printf("# balanced movement: %3u hosts %4u OSDs: out %.3f, add host (%2u OSDs) %.3f, "
               "add OSD %.3f\n",
               m->n_hosts, m->n_osds, r_out, nnew, r_host, r_osd);
        pl_map_destroy(a);
        pl_map_destroy(m);
    }
}

static void test_movement_balanced(void)
{
    uint64_t s = 4242;
    bal_move_t r;
    int maps = PLT_ASAN ? 3 : 16;
    balanced_movement(&s, maps, PLT_ASAN ? 7 : 3, PLT_ASAN ? 14 : 100, PLT_ASAN ? 1024 : 4096, &r);
    printf("# balanced movement, 3..100 hosts, %d maps: out total %.3f worst %.3f; add host "
           "total %.3f worst %.3f; add OSD total %.3f worst %.3f\n",
           maps, r.out.moved / r.out.opt, r.worst_out, r.host.moved / r.host.opt, r.worst_host,
           r.osd.moved / r.osd.opt, r.worst_osd);
    is_int(r.out_over_7, 0,
           "draw factors: marking an OSD out moves <= 1.2x optimal on every map "
           "of >= 7 hosts");
    ok(r.host.moved / r.host.opt <= 1.2, "draw factors: adding a host: total <= 1.2x optimal");
    ok(r.osd.moved / r.osd.opt < 2.2, "draw factors: adding an OSD: total < 2.2x optimal");

    /* Small clusters (4..6 hosts), where the 1.2x limit on marking out is NOT met on many maps
     * (placement.h, "MEASURED"): reported, and guarded against getting worse than measured
     * (1.3x in total). Same maps under ASan (they are cheap). */
    int small = 16;
    uint64_t s2 = 9090;
    balanced_movement(&s2, small, 4, 6, 4096, &r);
    printf("# balanced movement, 4..6 hosts, %d maps: out total %.3f worst %.3f (%d maps over "
           "1.2); add host total %.3f worst %.3f; add OSD total %.3f worst %.3f\n",
           small, r.out.moved / r.out.opt, r.worst_out, r.out_over, r.host.moved / r.host.opt,
           r.worst_host, r.osd.moved / r.osd.opt, r.worst_osd);
    ok(r.out.moved / r.out.opt <= 1.3, "4..6 hosts: marking out: total <= 1.3x optimal");
    ok(r.host.moved / r.host.opt <= 1.2, "4..6 hosts: adding a host: total <= 1.2x optimal");
    ok(r.osd.moved / r.osd.opt < 2.2, "4..6 hosts: adding an OSD: total < 2.2x optimal");
}

int main(void)
{
    subtest("basic", test_basic);
    subtest("invariance", test_invariance);
    subtest("random maps", test_random_properties);
    subtest("capped ideal", test_capped_ideal);
    subtest("balance", test_balance);
    subtest("movement", test_movement);
    subtest("movement with draw factors", test_movement_balanced);
    return tt_done();
}
