/*
 * test_pl_balance.c — the draw factors and ghosts (pl_balance.c, placement.h "DRAW FACTORS"):
 * the inclusion integral against closed forms and a simulation, the solver's convergence and
 * speed, determinism of pl_map_rebalance, and pl_pg_osds with factors and ghosts against a
 * slow reference implementation of the rule written from its definition.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "test.h"
#include "placement.h"
#include "pl_balance.h"
#include "pl_test_util.h"

/* Exact inclusion of weighted sampling without replacement of 3 (= top 3 of the race). */
static void sampling_inclusion(const double *p, uint32_t n, double *pi)
{
    for (uint32_t h = 0; h < n; h++)
        pi[h] = p[h];
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            double q = p[i] * p[j] / (1 - p[i]);
            pi[j] += q;
            double rest = 1 - p[i] - p[j];
            for (uint32_t h = 0; h < n; h++)
                if (h != i && h != j)
                    pi[h] += q * p[h] / rest;
        }
}

static void test_inclusion(void)
{
    uint64_t s = 31;
    double worst = 0;
    for (int t = 0; t < 20; t++) {
        uint32_t n = plt_range(&s, 4, 40);
        double r[40], p[40], pi[40], pe[40], tot = 0;
        for (uint32_t i = 0; i < n; i++) {
            r[i] = 0.1 + (double)(plt_next(&s) % 1000) / 10.0; /* 0.1 .. 100: 3 decades */
            tot += r[i];
        }
        for (uint32_t i = 0; i < n; i++)
            p[i] = r[i] / tot;
        pl__inclusion(r, NULL, n, 3, pi, NULL);
        sampling_inclusion(p, n, pe);
        for (uint32_t i = 0; i < n; i++)
            worst = fmax(worst, fabs(pi[i] - pe[i]));
    }
    printf("# inclusion: worst |quadrature - exact| for k=3 over 20 rate sets: %.2e\n", worst);
    ok(worst < 1e-9, "quadrature matches the closed form to 1e-9");

    /* k = 1: pi = rate / total */
    double r1[3] = {1, 2, 5}, pi1[3];
    pl__inclusion(r1, NULL, 3, 1, pi1, NULL);
    ok(fabs(pi1[0] - 0.125) < 1e-12 && fabs(pi1[2] - 0.625) < 1e-12, "k=1: proportional");
    pl__inclusion(r1, NULL, 3, 3, pi1, NULL);
    ok(pi1[0] == 1 && pi1[1] == 1 && pi1[2] == 1, "k >= n: everyone always in");
    is_int(pl__inclusion(r1, NULL, 3, 0, pi1, NULL), -EINVAL, "k = 0 refused");

    /* eligibility (ghosts): against a simulation of the race */
    double rate[5] = {3, 1, 2, 0.5, 4}, elig[5] = {0.6, 1, 1, 1, 0.8}, pg[5], sim[5] = {0};
    pl__inclusion(rate, elig, 5, 2, pg, NULL);
    uint64_t z = 99;
    int trials = PLT_ASAN ? 20000 : 200000;
    for (int tr = 0; tr < trials; tr++) {
        double key[5];
        int ok_e[5];
        for (int i = 0; i < 5; i++) {
            double u = ((double)(plt_next(&z) >> 11) + 0.5) / 9007199254740992.0;
            key[i] = -log(u) / rate[i];
            ok_e[i] = ((double)(plt_next(&z) >> 11) / 9007199254740992.0) < elig[i];
        }
        int taken = 0;
        for (int round = 0; round < 5 && taken < 2; round++) {
            int best = -1;
            for (int i = 0; i < 5; i++)
                if (key[i] >= 0 && (best < 0 || key[i] < key[best]))
                    best = i;
            if (ok_e[best]) {
                sim[best] += 1;
                taken++;
            }
            key[best] = -1;
        }
    }
    double we = 0;
    for (int i = 0; i < 5; i++)
        we = fmax(we, fabs(sim[i] / trials - pg[i]));
    printf("# inclusion with eligibility vs simulation (%d races): worst diff %.4f\n", trials, we);
    ok(we < (PLT_ASAN ? 0.015 : 0.005), "eligibility: quadrature matches a simulation");
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_solver(void)
{
    uint64_t s = 5150;
    int maps = PLT_ASAN ? 4 : 20, conv = 0;
    double worst_err = 0, slowest = 0;
    for (int t = 0; t < maps; t++) {
        pl_map_t *m = plt_random_map(&s, 3, t == 0 ? 100 : (PLT_ASAN ? 20 : 100), 12, 1024);
        if (t == 0) /* the benchmark's worst case: 100 hosts */
            while (m->n_hosts < 100) {
                int32_t id = (int32_t)m->n_osds;
                char name[16];
                snprintf(name, sizeof(name), "x%u", m->n_hosts);
                plt_add_host(m, &s, name, 10, &id);
            }
        uint32_t n = m->n_hosts;
        double *w = calloc(n, sizeof(double)), *rate = calloc(n, sizeof(double));
        double *pi = calloc(n, sizeof(double)), *ideal = calloc(m->n_osds, sizeof(double));
        uint8_t *capped = calloc(n, 1);
        for (uint32_t i = 0; i < m->n_osds; i++)
            w[m->osds[i].host] += m->osds[i].weight;
        int it = 0;
        double t0 = now_sec();
        int rc = pl__solve_rates(w, NULL, n, 3, rate, capped, &it);
        double dt = now_sec() - t0;
        slowest = fmax(slowest, dt);
        conv += rc == TN_OK && it < PL__SOLVE_MAX_ITER;
        /* uncapped hosts: inclusion equals the capped target share */
        pl_ideal_counts(m, &m->pools[0], ideal);
        double *hs = calloc(n, sizeof(double));
        for (uint32_t i = 0; i < m->n_osds; i++)
            hs[m->osds[i].host] += ideal[i] / m->pools[0].pg_num;
        double *ru = calloc(n, sizeof(double));
        uint32_t nu = 0, nc = 0, *ix = calloc(n, sizeof(uint32_t));
        for (uint32_t h = 0; h < n; h++) {
            if (capped[h]) {
                nc++;
                continue;
            }
            ix[nu] = h;
            ru[nu++] = rate[h];
        }
        if (nu > 3 - nc) {
            pl__inclusion(ru, NULL, nu, 3 - (int)nc, pi, NULL);
            for (uint32_t i = 0; i < nu; i++)
                worst_err = fmax(worst_err, fabs(pi[i] / hs[ix[i]] - 1));
        }
        if (t == 0)
            printf("# solver: 100 hosts, %u OSDs: %d iterations, %.1f ms\n", m->n_osds, it,
                   dt * 1e3);
        free(w);
        free(rate);
        free(pi);
        free(ideal);
        free(capped);
        free(hs);
        free(ru);
        free(ix);
        pl_map_destroy(m);
    }
    printf("# solver: worst relative inclusion error %.2e, slowest %.1f ms\n", worst_err,
           slowest * 1e3);
    is_int(conv, maps, "solver converges on every map");
    ok(worst_err < 1e-8, "inclusion equals the capped target share");
    if (!PLT_ASAN)
        ok(slowest < 2.0, "factors for 100 hosts in well under 2 s");
}

/* pl_pg_osds from its definition: every drawing OSD's straw as an exact rational, the best per
 * host, hosts whose best is a ghost skipped, then the `size` longest. */
typedef struct {
    int64_t mag; /* straw = -mag / w */
    unsigned __int128 w;
    int32_t id;
    int ghost, host;
} ref_straw_t;

static int ref_longer(const ref_straw_t *a, const ref_straw_t *b)
{
    /* a longer than b <=> a.mag / a.w < b.mag / b.w (ties: smaller id) */
    unsigned __int128 x = (unsigned __int128)a->mag * b->w, y = (unsigned __int128)b->mag * a->w;
    return x < y || (x == y && a->id < b->id);
}

static int ref_pg_osds(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, int32_t *out,
                       int *filled)
{
    ref_straw_t best[64], real[64]; /* per host: longest straw of all, longest real one */
    int have[64] = {0}, have_real[64] = {0};
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        if (o->weight == 0)
            continue;
        unsigned __int128 w = (unsigned __int128)o->weight * m->hosts[o->host].draw[pool->size - 1];
        int ghost = 0;
        if (!o->in) {
            if (o->ghost[pool->size - 1] == 0)
                continue;
            w = (w * o->ghost[pool->size - 1]) >> 16;
            if (w == 0)
                continue;
            ghost = 1;
        }
        uint32_t u = pl_hash_draw(pool->id, pg, 0, (uint32_t)o->id) & 0xffff;
        ref_straw_t st = {-pl_ln(u), w, o->id, ghost, o->host};
        if (!have[o->host] || ref_longer(&st, &best[o->host])) {
            best[o->host] = st;
            have[o->host] = 1;
        }
        if (!ghost && (!have_real[o->host] || ref_longer(&st, &real[o->host]))) {
            real[o->host] = st;
            have_real[o->host] = 1;
        }
    }
    int n = 0, taken[64] = {0};
    for (int r = 0; r < pool->size; r++) { /* eligible hosts: their longest straw is real */
        int pick = -1;
        for (uint32_t h = 0; h < m->n_hosts; h++)
            if (have[h] && !taken[h] && !best[h].ghost &&
                (pick < 0 || ref_longer(&best[h], &best[pick])))
                pick = (int)h;
        if (pick < 0)
            break;
        out[n++] = best[pick].id;
        taken[pick] = 1;
    }
    while (n < pool->size) { /* then ghost-blocked hosts, by their longest real straw */
        int pick = -1;
        for (uint32_t h = 0; h < m->n_hosts; h++)
            if (have_real[h] && !taken[h] && (pick < 0 || ref_longer(&real[h], &real[pick])))
                pick = (int)h;
        if (pick < 0)
            break;
        out[n++] = real[pick].id;
        taken[pick] = 1;
        *filled = 1;
    }
    return n;
}

static void test_reference(void)
{
    uint64_t s = 606;
    int maps = PLT_ASAN ? 8 : 24, bad = 0, pgs = 0, ghosts = 0, filled = 0;
    for (int t = 0; t < maps; t++) {
        int small = t % 4 == 3; /* few hosts, many outs: ghost-blocked hosts must fill in */
        pl_map_t *m = plt_random_map(&s, small ? 4 : 3, small ? 5 : 40, small ? 3 : 8, 256);
        if (t % 3 != 2) /* a third of the maps stay without factors */
            pl_map_rebalance(m);
        for (uint32_t i = 0; i < m->n_osds; i++)
            if (plt_next(&s) % (small ? 3 : 6) == 0)
                pl_map_set_osd_in(m, m->osds[i].id, 0);
        if (t % 2 == 0) /* partial ghosts */
            pl_map_rebalance(m);
        for (uint32_t i = 0; i < m->n_osds; i++)
            ghosts += m->osds[i].ghost[2] != 0;
        void *work = malloc(pl_work_size(m));
        for (uint32_t pg = 0; pg < 256; pg++) {
            int32_t a[3], b[3];
            int na = pl_pg_osds(m, &m->pools[0], pg, a, 3, work);
            int fill = 0;
            int nb = ref_pg_osds(m, &m->pools[0], pg, b, &fill);
            filled += fill;
            int same = na == nb;
            for (int i = 0; i < na && same; i++)
                same = a[i] == b[i];
            int live = 0;
            for (uint32_t h = 0; h < m->n_hosts; h++) {
                int any = 0;
                for (uint32_t i = 0; i < m->n_osds; i++)
                    any |= m->osds[i].host == (int32_t)h && m->osds[i].in && m->osds[i].weight;
                live += any;
            }
            bad += na != (live < 3 ? live : 3); /* always full when possible */
            bad += !same;
            pgs++;
        }
        free(work);
        pl_map_destroy(m);
    }
    printf("# reference: %d PGs compared, %d ghost weights in play, %d PGs filled with a "
           "ghost-blocked host\n",
           pgs, ghosts, filled);
    ok(ghosts > 0, "some maps have ghosts");
    is_int(bad, 0, "pl_pg_osds equals the reference rule (factors, ghosts, pruning), full");
    ok(filled > 0, "some PGs needed a ghost-blocked host to be full");
}

static void test_determinism(void)
{
    uint64_t s = 77;
    pl_map_t *m = plt_random_map(&s, 10, 30, 10, 2048);
    pl_map_add_pool(m, 2, "two", 512, 2, 1, 1, PL_FD_HOST);
    pl_map_t *c = pl_map_clone(m);
    is_int(pl_map_rebalance(m), TN_OK, "rebalance");
    pl_map_rebalance(c);
    ok(pl_map_hash(m) == pl_map_hash(c), "same map, same factors");
    int sized = 1;
    for (uint32_t h = 0; h < m->n_hosts; h++)
        for (int z = 0; z < PL_MAX_SIZE; z++)
            sized &= z == 1 || z == 2 || m->hosts[h].draw[z] == PL_WEIGHT_ONE;
    ok(sized, "factors only for the sizes by-host pools use");
    uint64_t before = pl_map_hash(m);
    pl_map_rebalance(m);
    ok(pl_map_hash(m) == before, "rebalancing a balanced map changes nothing");
    /* the factors of a fixed map, frozen (the exact path; a diff changes placement) */
    pl_map_t *g = pl_map_create();
    static const uint32_t wt[5] = {0x10000, 0x30000, 0x18000, 0x40000, 0x8000};
    for (int h = 0; h < 5; h++) {
        char name[8];
        snprintf(name, sizeof(name), "g%d", h);
        pl_map_add_host(g, name);
        for (int j = 0; j <= h; j++)
            pl_map_add_osd(g, h * 10 + j, h, wt[(h + j) % 5], NULL);
    }
    pl_map_add_pool(g, 1, "data", 1024, 3, 2, 2, PL_FD_HOST);
    pl_map_rebalance(g);
    char got[128];
    int len = 0;
    for (int h = 0; h < 5; h++)
        len += snprintf(got + len, sizeof(got) - (size_t)len, "%u ", g->hosts[h].draw[2]);
    printf("# frozen factors: %s\n", got);
    is_str(got, "308026 329833 345545 524288 213043029 ", "factors of the fixed map");
    pl_map_destroy(g);
    pl_map_destroy(m);
    pl_map_destroy(c);
}

/* Marking an OSD out of a balanced map (its full ghost, before any rebalance) moves exactly the
 * replicas it held, and in every PG that held it, it is the only OSD that changes; with ghosts
 * its host is skipped where the ghost is the host's longest straw. */
static void test_ghost_moves(void)
{
    uint64_t s = 2718;
    int maps = PLT_ASAN ? 3 : 12, exact = 0, only_victim = 0, host_left = 0;
    for (int t = 0; t < maps; t++) {
        pl_map_t *m = plt_random_map(&s, 4, 30, 8, 1024);
        pl_map_rebalance(m);
        pl_map_t *a = pl_map_clone(m);
        int32_t victim = (int32_t)(plt_next(&s) % m->n_osds);
        pl_map_set_osd_in(a, victim, 0);
        uint64_t mv, opt;
        pl_movement(m, a, 1, 0, &mv, &opt);
        void *wm = malloc(pl_work_size(m)), *wa = malloc(pl_work_size(a));
        uint64_t held = 0;
        int bad = 0;
        for (uint32_t pg = 0; pg < 1024; pg++) {
            int32_t b[3], c[3];
            int nb = pl_pg_osds(m, &m->pools[0], pg, b, 3, wm);
            int nc = pl_pg_osds(a, &a->pools[0], pg, c, 3, wa);
            int had = 0, diff = 0;
            for (int i = 0; i < nb; i++)
                had |= b[i] == victim;
            for (int i = 0; i < nc; i++) {
                int found = 0;
                for (int j = 0; j < nb; j++)
                    found |= c[i] == b[j];
                diff += !found;
            }
            held += (uint64_t)had;
            bad += had ? diff != 1 : diff != 0 || nb != nc;
            if (had && diff == 1) { /* did the victim's host keep the PG? */
                int32_t vh = m->osds[victim].host, kept = 0;
                for (int i = 0; i < nc; i++)
                    kept |= a->osds[c[i]].host == vh;
                host_left += !kept;
            }
        }
        exact += mv == held;
        only_victim += bad == 0;
        free(wm);
        free(wa);
        pl_map_destroy(a);
        pl_map_destroy(m);
    }
    is_int(exact, maps, "out with a ghost: moved == the replicas the OSD held");
    is_int(only_victim, maps, "only PGs that held it change, by exactly one OSD");
    ok(host_left > 0, "with a ghost, its host leaves PGs it used to keep");
}

int main(void)
{
    subtest("inclusion", test_inclusion);
    subtest("solver", test_solver);
    subtest("reference", test_reference);
    subtest("determinism", test_determinism);
    subtest("ghost moves", test_ghost_moves);
    return tt_done();
}
