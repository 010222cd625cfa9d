/*
 * pl_stats.c — placement statistics for `ternctl map test` and the tests: per-OSD PG-replica
 * counts against the capped weight-proportional ideal, their standard deviation against the
 * binomial ideal, and the data moved between two maps against the optimum (definitions in
 * placement.h). Pure, but allocates: this is not the mapping path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"

/* Square root by Newton's method (keeps the library free of libm). */
static double sqroot(double v)
{
    if (v <= 0)
        return 0;
    double x = v > 1 ? v : 1;
    for (int i = 0; i < 200; i++) {
        double nx = 0.5 * (x + v / x);
        if (nx >= x)
            break;
        x = nx;
    }
    return x;
}

int pl_ideal_counts(const pl_map_t *m, const pl_pool_t *pool, double *ideal)
{
    if (m == NULL || pool == NULL || ideal == NULL || pool->size < 1)
        return -EINVAL;
    int by_host = pool->fd == PL_FD_HOST;
    uint32_t nd = by_host ? m->n_hosts : m->n_osds;
    double *w = calloc(nd ? nd : 1, sizeof(double));
    double *share = calloc(nd ? nd : 1, sizeof(double));
    uint8_t *capped = calloc(nd ? nd : 1, 1);
    if (w == NULL || share == NULL || capped == NULL) {
        free(w);
        free(share);
        free(capped);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        if (o->in && o->weight > 0)
            w[by_host ? (uint32_t)o->host : i] += o->weight;
    }
    uint32_t live = 0;
    for (uint32_t d = 0; d < nd; d++)
        live += w[d] > 0;
    double cap = pool->pg_num;
    double total = cap * (live < pool->size ? live : pool->size);
    for (int changed = 1; changed;) {
        changed = 0;
        double rem = total, wu = 0;
        for (uint32_t d = 0; d < nd; d++) {
            if (capped[d])
                rem -= cap;
            else
                wu += w[d];
        }
        for (uint32_t d = 0; d < nd; d++) {
            if (capped[d] || w[d] <= 0)
                continue;
            share[d] = rem * w[d] / wu;
            if (share[d] > cap * (1 + 1e-12)) {
                capped[d] = 1;
                share[d] = cap;
                changed = 1;
            }
        }
    }
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        uint32_t d = by_host ? (uint32_t)o->host : i;
        ideal[i] = (o->in && o->weight > 0) ? share[d] * o->weight / w[d] : 0;
    }
    free(w);
    free(share);
    free(capped);
    return TN_OK;
}

/* An id -> index table for the OSDs of m (entries of absent ids are -1), or NULL. */
static int32_t *index_by_id(const pl_map_t *m, int32_t max_id)
{
    int32_t *idx = malloc(((size_t)max_id + 1) * sizeof(int32_t));
    if (idx == NULL)
        return NULL;
    for (int32_t i = 0; i <= max_id; i++)
        idx[i] = -1;
    for (uint32_t i = 0; i < m->n_osds; i++)
        if (m->osds[i].id <= max_id)
            idx[m->osds[i].id] = (int32_t)i;
    return idx;
}

static int32_t max_osd_id(const pl_map_t *m)
{
    int32_t mx = 0;
    for (uint32_t i = 0; i < m->n_osds; i++)
        if (m->osds[i].id > mx)
            mx = m->osds[i].id;
    return mx;
}

/* A workspace large enough for either rule function on m. */
static void *work_alloc(const pl_map_t *m)
{
    size_t a = pl_work_size(m), b = pl__work_size_two_level(m);
    return malloc(a > b ? a : b);
}

void pl_stats_free(pl_stats_t *st)
{
    if (st == NULL)
        return;
    free(st->count);
    free(st->ideal);
    free(st->deviation);
    memset(st, 0, sizeof(*st));
}

int pl_stats_compute(const pl_map_t *m, const pl_pool_t *pool, pl_stats_t *st)
{
    if (m == NULL || pool == NULL || st == NULL || pool->pg_num < 1)
        return -EINVAL;
    memset(st, 0, sizeof(*st));
    uint32_t n = m->n_osds ? m->n_osds : 1;
    st->n_osds = m->n_osds;
    st->count = calloc(n, sizeof(uint32_t));
    st->ideal = calloc(n, sizeof(double));
    st->deviation = calloc(n, sizeof(double));
    int32_t *idx = index_by_id(m, max_osd_id(m));
    void *work = work_alloc(m);
    int rc = -ENOMEM;
    if (st->count == NULL || st->ideal == NULL || st->deviation == NULL || idx == NULL ||
        work == NULL)
        goto out;
    rc = pl_ideal_counts(m, pool, st->ideal);
    if (rc != TN_OK)
        goto out;
    int32_t set[PL_MAX_SIZE];
    for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
        int got = pl_pg_osds(m, pool, pg, set, PL_MAX_SIZE, work);
        if (got < 0) {
            rc = got;
            goto out;
        }
        for (int i = 0; i < got; i++)
            st->count[idx[set[i]]]++;
        st->total += (uint64_t)got;
        st->unplaced += (uint64_t)(pool->size - got);
    }
    double sum2 = 0, var = 0;
    for (uint32_t i = 0; i < m->n_osds; i++) {
        st->deviation[i] = st->count[i] - st->ideal[i];
        if (st->ideal[i] <= 0)
            continue;
        st->n_counted++;
        sum2 += st->deviation[i] * st->deviation[i];
        var += st->ideal[i] * (1 - st->ideal[i] / pool->pg_num);
    }
    if (st->n_counted > 0) {
        st->stddev = sqroot(sum2 / st->n_counted);
        st->ideal_stddev = sqroot(var / st->n_counted);
    }
    rc = TN_OK;
out:
    free(idx);
    free(work);
    if (rc != TN_OK)
        pl_stats_free(st);
    return rc;
}

/* Does set (n entries) contain id? */
static int set_has(const int32_t *set, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (set[i] == id)
            return 1;
    return 0;
}

int pl_movement(const pl_map_t *before, const pl_map_t *after, uint32_t pool_id, int two_level,
                uint64_t *moved, uint64_t *optimal)
{
    if (before == NULL || after == NULL || moved == NULL || optimal == NULL)
        return -EINVAL;
    const pl_pool_t *pb = pl_map_find_pool(before, pool_id);
    const pl_pool_t *pa = pl_map_find_pool(after, pool_id);
    if (pb == NULL || pa == NULL || pb->pg_num != pa->pg_num || pb->size != pa->size)
        return -EINVAL;
    int32_t mx = TN_MAX(max_osd_id(before), max_osd_id(after));
    double *ib = calloc(before->n_osds ? before->n_osds : 1, sizeof(double));
    double *ia = calloc(after->n_osds ? after->n_osds : 1, sizeof(double));
    double *by_id = calloc((size_t)mx + 1, sizeof(double));
    void *wb = work_alloc(before), *wa = work_alloc(after);
    int rc = -ENOMEM;
    if (ib == NULL || ia == NULL || by_id == NULL || wb == NULL || wa == NULL)
        goto out;
    if ((rc = pl_ideal_counts(before, pb, ib)) != TN_OK ||
        (rc = pl_ideal_counts(after, pa, ia)) != TN_OK)
        goto out;
    for (uint32_t i = 0; i < before->n_osds; i++)
        by_id[before->osds[i].id] = ib[i];
    /* OSDs that can hold nothing after the change (out, weight 0 or gone) */
    uint8_t *dead = calloc((size_t)mx + 1, 1);
    if (dead == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < before->n_osds; i++)
        dead[before->osds[i].id] = 1;
    for (uint32_t i = 0; i < after->n_osds; i++)
        dead[after->osds[i].id] = ia[i] <= 0;
    double opt = 0;
    for (uint32_t i = 0; i < after->n_osds; i++) {
        double gain = ia[i] - by_id[after->osds[i].id];
        if (gain > 0)
            opt += gain;
    }
    *optimal = (uint64_t)(opt + 0.5);
    uint64_t mv = 0, forced = 0;
    int32_t sb[PL_MAX_SIZE], sa[PL_MAX_SIZE];
    for (uint32_t pg = 0; pg < pb->pg_num; pg++) {
        int nb = two_level ? pl__pg_osds_two_level(before, pb, pg, sb, PL_MAX_SIZE, wb)
                           : pl_pg_osds(before, pb, pg, sb, PL_MAX_SIZE, wb);
        int na = two_level ? pl__pg_osds_two_level(after, pa, pg, sa, PL_MAX_SIZE, wa)
                           : pl_pg_osds(after, pa, pg, sa, PL_MAX_SIZE, wa);
        if (nb < 0 || na < 0) {
            rc = -EINVAL;
            goto out;
        }
        for (int i = 0; i < na; i++)
            mv += !set_has(sb, nb, sa[i]);
        for (int i = 0; i < nb; i++)
            forced += dead[sb[i]];
    }
    free(dead);
    if (forced > *optimal)
        *optimal = forced;
    *moved = mv;
    rc = TN_OK;
out:
    free(ib);
    free(ia);
    free(by_id);
    free(wb);
    free(wa);
    return rc;
}
