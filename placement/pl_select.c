/*
 * pl_select.c — PG -> OSDs: straw2 draws and the placement rule (top-k failure domains by
 * longest OSD straw; see placement.h for the definition and why), plus the classic two-level
 * rule kept only for measurement. Pure, no allocation: the map is read as const and
 * scratch space comes from the caller.
 */
#include <errno.h>

#include "placement.h"
#include "pl_internal.h"
#include "pl_ln_impl.h"

/* The running best straw: magnitude of its (negative) straw numerator and its weight; the
 * straw is -mag / weight, so the longest straw has the smallest mag / weight. */
typedef struct {
    int idx;    /* index of the winner so far, -1 before the first candidate */
    int32_t id; /* its item id (tie break: smaller id wins) */
    uint64_t mag, weight;
} straw_best_t;

/* Offers candidate (idx, id) with straw numerator magnitude mag and weight w (> 0). */
static inline void straw_offer(straw_best_t *b, int idx, int32_t id, uint64_t mag, uint64_t w)
{
    if (b->idx >= 0) {
        /* candidate better iff mag / w < b->mag / b->weight  <=>  mag * b->weight < b->mag * w */
        int c = pl__cmp_products(mag, b->weight, b->mag, w);
        if (c > 0 || (c == 0 && id > b->id))
            return;
    }
    b->idx = idx;
    b->id = id;
    b->mag = mag;
    b->weight = w;
}

/* A candidate of the flat rule, gathered once per call into the caller's workspace: only OSDs
 * that are in and have weight, with the item-dependent half of the MurmurHash3 block step
 * precomputed. */
typedef struct {
    uint32_t kmix;   /* murmur3 block constant mix of the id (k * c1, rotl 15, * c2) */
    int32_t id;      /* OSD id */
    uint32_t index;  /* index in m->osds */
    int32_t next;    /* ghosts: the next ghost of the same host (see choose_top), 0 = none */
    uint64_t weight; /* straw weight: OSD weight x its host's draw factor (both 16.16) */
} cand_t;

/*
 * Pruning. -log2(x) >= (1 - x) / ln 2, so for x = (u + 1) / 65536,
 *     pl__neg_ln(u) >= (65535 - u) * 2^32 / ln 2 - E
 * where E < 2^24 bounds pl_ln's approximation error (the unit test checks both claims for
 * every u). A candidate whose lower bound already gives a shorter straw than the best so far
 * cannot win, so its exact logarithm is not computed. The test is done in double precision
 * with generous margins (relative 1e-9, absolute 2^27), so it only ever skips sure losers: the
 * winner is always decided by the exact integer comparison and results do not depend on the
 * floating-point unit.
 */
#define PRUNE_SLOPE 6196328017.0 /* floor(2^32 / ln 2) - 1 */
#define PRUNE_SLACK 134217728.0  /* 2^27 */

/* One entry of the running top-k: a failure domain and its longest straw so far. */
typedef struct {
    int32_t dom;  /* failure domain (host index, or OSD index for PL_FD_OSD) */
    uint32_t ci;  /* candidate index of the domain's best OSD */
    int32_t id;   /* its OSD id */
    uint64_t mag; /* its straw is -mag / weight */
    uint64_t weight;
} top_t;

/* Is straw (mag, w, id) longer than entry e? (exact; ties: smaller id is longer) */
static inline int longer(uint64_t mag, uint64_t w, int32_t id, const top_t *e)
{
    int c = pl__cmp_products(mag, e->weight, e->mag, w);
    return c < 0 || (c == 0 && id < e->id);
}

/* Moves entry i up while it is longer than its predecessor (top[] sorted longest first). */
static void bubble_up(top_t *top, int i)
{
    while (i > 0 && longer(top[i].mag, top[i].weight, top[i].id, &top[i - 1])) {
        top_t t = top[i - 1];
        top[i - 1] = top[i];
        top[i] = t;
        i--;
    }
}

/* The 16-bit straw draw of candidate c under the draw-hash prefix pre. */
static inline uint32_t cand_u(uint32_t pre, const cand_t *c)
{
    uint32_t h = pre ^ c->kmix;
    h = pl__rotl32(h, 13) * 5 + 0xe6546b64u;
    return pl__fmix32(h ^ 16u) & 0xffffu;
}

/* Is the real straw (mag, w, id) of host dom beaten by one of its ghosts? Ghost straws are
 * computed here, lazily: only hosts about to enter the top are ever asked about. */
static int ghosted(const cand_t *gc, const int32_t *ghost_head, uint32_t pre, int32_t dom,
                   uint64_t mag, uint64_t w, int32_t id)
{
    for (int32_t j = ghost_head[dom]; j != 0; j = gc[-j].next) {
        top_t g = {dom, 0, gc[-j].id, pl__neg_ln(cand_u(pre, &gc[-j])), gc[-j].weight};
        if (!longer(mag, w, id, &g))
            return 1;
    }
    return 0;
}

/*
 * The rule: every in-OSD (and every ghost) draws one straw for (pool, pg); each failure
 * domain's straw is its longest; domains whose longest straw is a ghost's are skipped; the k
 * remaining domains with the longest straws are chosen, longest first, each contributing its
 * longest-straw OSD. Real candidates are c[0..n); ghosts (by-host pools only) are gc[-j] for
 * j = ghost_head[host], then j = gc[-j].next, until 0 (ghost_head NULL: no ghosts). A ghost's
 * straw only matters when a real OSD of its host is about to enter the top, so it is computed
 * only then and pruning stays as it was. Fills top[0..return) and returns how many (< k only
 * if fewer domains are eligible).
 */
static int choose_top(const cand_t *c, uint32_t n, const cand_t *gc, const int32_t *ghost_head,
                      const pl_osd_t *osds, uint32_t pool_id, uint32_t pg, int by_host, int k,
                      top_t *top)
{
    uint32_t pre = pl__draw_prefix(pool_id, pg, 0);
    int nt = 0;
    double thr = 1e300; /* > (k-th best mag / weight) once top[] is full, with margin */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t u = cand_u(pre, &c[i]);
        if ((double)(65535u - u) * PRUNE_SLOPE - PRUNE_SLACK > thr * (double)c[i].weight)
            continue; /* surely shorter than the k-th best domain: cannot matter */
        uint64_t mag = pl__neg_ln(u), w = c[i].weight;
        int32_t dom = by_host ? osds[c[i].index].host : (int32_t)c[i].index;
        int pos = -1;
        for (int j = 0; j < nt; j++)
            if (top[j].dom == dom) {
                pos = j;
                break;
            }
        if (pos >= 0) { /* the domain is in the top: improve its straw? */
            if (!longer(mag, w, c[i].id, &top[pos]))
                continue;
        } else if (nt < k) { /* room: append */
            pos = nt;
        } else { /* full: replace the shortest if longer */
            if (!longer(mag, w, c[i].id, &top[nt - 1]))
                continue;
            pos = nt - 1;
        }
        if (ghost_head != NULL && ghosted(gc, ghost_head, pre, dom, mag, w, c[i].id))
            continue; /* a ghost of its host is longer: the host cannot take it */
        if (pos == nt)
            nt++;
        top[pos] = (top_t){dom, i, c[i].id, mag, w};
        bubble_up(top, pos);
        if (nt == k)
            thr = (double)top[nt - 1].mag / (double)top[nt - 1].weight * (1 + 1e-9) + 1.0;
    }
    return nt;
}

size_t pl_work_size(const pl_map_t *m)
{
    return sizeof(cand_t) * (m->n_osds > 0 ? m->n_osds : 1) +
           sizeof(int32_t) * (m->n_hosts > 0 ? m->n_hosts : 1);
}

/* Validates the common arguments of the rule functions. */
static int args_ok(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, const int32_t *out,
                   int out_max)
{
    return m != NULL && pool != NULL && out != NULL && out_max >= 0 && pool->pg_num >= 1 &&
           pg < pool->pg_num;
}

/* Is domain d among the first n of doms? */
static int dom_used(const int32_t *doms, int n, int32_t d)
{
    for (int i = 0; i < n; i++)
        if (doms[i] == d)
            return 1;
    return 0;
}

int pl_pg_osds(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, int32_t *out, int out_max,
               void *work)
{
    if (!args_ok(m, pool, pg, out, out_max) || work == NULL)
        return -EINVAL;
    cand_t *c = work;
    uint32_t nc = 0, ng = 0, n_osds = m->n_osds;
    int by_host = pool->fd == PL_FD_HOST, size = pool->size;
    if (size < 1 || size > PL_MAX_SIZE)
        return -EINVAL;
    /* ghosts fill the workspace from its end, linked per host from ghost_head[] */
    cand_t *gc = c + (n_osds > 0 ? n_osds : 1);
    int32_t *ghost_head = (int32_t *)(void *)gc;
    for (uint32_t i = 0; i < n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        if (o->weight == 0)
            continue;
        uint64_t w =
            (uint64_t)o->weight * (by_host ? m->hosts[o->host].draw[size - 1] : PL_WEIGHT_ONE);
        cand_t *x;
        if (o->in) {
            x = &c[nc++];
        } else if (by_host && o->ghost[size - 1] != 0) {
            uint64_t hi, lo; /* straw weight x ghost / 2^16 */
            pl__mul64(w, o->ghost[size - 1], &hi, &lo);
            w = hi << 48 | lo >> 16;
            if (w == 0)
                continue;
            if (ng == 0)
                for (uint32_t h = 0; h < m->n_hosts; h++)
                    ghost_head[h] = 0;
            ng++;
            x = gc - ng;
            x->next = ghost_head[o->host];
            ghost_head[o->host] = (int32_t)ng;
        } else {
            continue;
        }
        uint32_t k = (uint32_t)o->id * 0xcc9e2d51u;
        x->kmix = pl__rotl32(k, 15) * 0x1b873593u;
        x->id = o->id;
        x->index = i;
        x->weight = w;
    }
    int want = TN_MIN((int)pool->size, out_max);
    if (want > PL_MAX_SIZE)
        want = PL_MAX_SIZE;
    top_t top[PL_MAX_SIZE];
    int n = choose_top(c, nc, gc, ng > 0 ? ghost_head : NULL, m->osds, pool->id, pg, by_host, want,
                       top);
    if (n < want && ng > 0) {
        /* Fewer eligible hosts than slots: fill up with ghost-blocked hosts, longest real straw
         * first (they are all in the plain top; see placement.h, "GHOSTS"). */
        top_t plain[PL_MAX_SIZE];
        int np = choose_top(c, nc, gc, NULL, m->osds, pool->id, pg, by_host, want, plain);
        for (int i = 0; i < np && n < want; i++) {
            int used = 0;
            for (int j = 0; j < n; j++)
                used |= top[j].dom == plain[i].dom;
            if (!used)
                top[n++] = plain[i];
        }
    }
    for (int i = 0; i < want; i++)
        out[i] = i < n ? top[i].id : PL_ITEM_NONE;
    return n;
}

/* ---- the classic two-level rule, for measurement only ---- */

size_t pl__work_size_two_level(const pl_map_t *m)
{
    return sizeof(uint64_t) * (m->n_hosts > 0 ? m->n_hosts : 1);
}

int pl__pg_osds_two_level(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, int32_t *out,
                          int out_max, void *work)
{
    if (!args_ok(m, pool, pg, out, out_max) || work == NULL)
        return -EINVAL;
    uint64_t *hw = work;
    for (uint32_t h = 0; h < m->n_hosts; h++)
        hw[h] = 0;
    for (uint32_t i = 0; i < m->n_osds; i++)
        if (m->osds[i].in)
            hw[m->osds[i].host] += m->osds[i].weight;
    int want = TN_MIN((int)pool->size, out_max);
    if (want > PL_MAX_SIZE)
        want = PL_MAX_SIZE;
    int32_t doms[PL_MAX_SIZE];
    int n = 0, rejected = 0;
    for (uint32_t r = 0; n < want && rejected < PL_MAX_TRIES; r++) {
        uint32_t pre = pl__draw_prefix(pool->id, pg, r);
        straw_best_t hb = {-1, 0, 0, 0};
        for (uint32_t h = 0; h < m->n_hosts; h++) {
            if (hw[h] == 0)
                continue;
            int32_t hid = -1 - (int32_t)h; /* hosts hash with negative ids, as in CRUSH */
            uint32_t u = pl__draw_finish(pre, (uint32_t)hid) & 0xffffu;
            straw_offer(&hb, (int)h, hid, pl__neg_ln(u), hw[h]);
        }
        if (hb.idx < 0)
            break;
        if (dom_used(doms, n, hb.idx)) {
            rejected++;
            continue;
        }
        straw_best_t ob = {-1, 0, 0, 0};
        for (uint32_t i = 0; i < m->n_osds; i++) {
            const pl_osd_t *o = &m->osds[i];
            if (o->host != hb.idx || !o->in || o->weight == 0)
                continue;
            uint32_t u = pl__draw_finish(pre, (uint32_t)o->id) & 0xffffu;
            straw_offer(&ob, (int)i, o->id, pl__neg_ln(u), o->weight);
        }
        doms[n] = hb.idx;
        out[n++] = m->osds[ob.idx].id; /* the host has weight, so it has an in-OSD */
        rejected = 0;
    }
    for (int i = n; i < want; i++)
        out[i] = PL_ITEM_NONE;
    return n;
}
