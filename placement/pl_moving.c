/*
 * pl_moving.c — the map's moving PGs (rebalance, DESIGN rule 3): looking an entry up, the set
 * of OSDs that may hold a PG (current and previous holders), recording what a map change
 * moves, and clearing an entry once its PG's new set is complete. See pl_moving_t in
 * placement.h. The lookups never allocate; planning may.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"

/* Index of the first entry >= (pool, pg). */
static uint32_t lower_bound(const pl_map_t *m, uint32_t pool_id, uint32_t pg)
{
    uint32_t lo = 0, hi = m->n_moving;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const pl_moving_t *e = &m->moving[mid];
        if (e->pool < pool_id || (e->pool == pool_id && e->pg < pg))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const pl_moving_t *pl_map_moving(const pl_map_t *m, uint32_t pool_id, uint32_t pg)
{
    if (m == NULL || m->n_moving == 0)
        return NULL;
    uint32_t i = lower_bound(m, pool_id, pg);
    if (i < m->n_moving && m->moving[i].pool == pool_id && m->moving[i].pg == pg)
        return &m->moving[i];
    return NULL;
}

static int contains(const int32_t *set, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (set[i] == id)
            return 1;
    return 0;
}

int pl_pg_holders(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, int32_t *out, int out_max,
                  int *n_cur, void *work)
{
    if (m == NULL || pool == NULL || out == NULL || out_max < 0)
        return -EINVAL;
    int32_t all[PL_MAX_HOLDERS];
    int k = pl_pg_osds(m, pool, pg, all, PL_MAX_SIZE, work);
    if (k < 0)
        return k;
    int n = 0;
    for (int i = 0; i < k; i++)
        if (all[i] != PL_ITEM_NONE)
            all[n++] = all[i];
    if (n_cur != NULL)
        *n_cur = n;
    const pl_moving_t *e = pl_map_moving(m, pool->id, pg);
    if (e != NULL)
        for (int i = 0; i < e->n; i++)
            if (!contains(all, n, e->old[i]))
                all[n++] = e->old[i];
    for (int i = 0; i < n && i < out_max; i++)
        out[i] = all[i];
    return n;
}

/* Are a[0..na) and b[0..nb) the same set? */
static int same_set(const int32_t *a, int na, const int32_t *b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (!contains(b, nb, a[i]))
            return 0;
    return 1;
}

int pl_map_plan_moves(const pl_map_t *before, pl_map_t *after)
{
    if (before == NULL || after == NULL)
        return -EINVAL;
    size_t wsz =
        pl_work_size(before) > pl_work_size(after) ? pl_work_size(before) : pl_work_size(after);
    void *work = aligned_alloc(8, (wsz + 7) / 8 * 8);
    if (work == NULL)
        return -ENOMEM;
    pl_moving_t *list = NULL;
    uint32_t n = 0, cap = 0;
    int rc = TN_OK;
    for (uint32_t p = 0; p < after->n_pools && rc == TN_OK; p++) {
        const pl_pool_t *pa = &after->pools[p];
        const pl_pool_t *pb = pl_map_find_pool(before, pa->id);
        if (pb == NULL || pb->pg_num != pa->pg_num || pb->size != pa->size)
            continue;
        for (uint32_t pg = 0; pg < pa->pg_num; pg++) {
            pl_moving_t e = {.pool = pa->id, .pg = pg};
            const pl_moving_t *prev = pl_map_moving(before, pb->id, pg);
            if (prev != NULL) {
                e = *prev;
            } else {
                int32_t set[PL_MAX_SIZE];
                int k = pl_pg_osds(before, pb, pg, set, PL_MAX_SIZE, work);
                if (k < 0) {
                    rc = k;
                    break;
                }
                for (int i = 0; i < k; i++)
                    if (set[i] != PL_ITEM_NONE)
                        e.old[e.n++] = set[i];
            }
            int32_t cur[PL_MAX_SIZE];
            int kc = pl_pg_osds(after, pa, pg, cur, PL_MAX_SIZE, work);
            if (kc < 0) {
                rc = kc;
                break;
            }
            int nc = 0;
            for (int i = 0; i < kc; i++)
                if (cur[i] != PL_ITEM_NONE)
                    cur[nc++] = cur[i];
            /* an old set of OSDs the new map no longer knows cannot be asked: drop them */
            int no = 0;
            for (int i = 0; i < e.n; i++)
                if (pl_map_find_osd(after, e.old[i]) != NULL)
                    e.old[no++] = e.old[i];
            e.n = (uint8_t)no;
            if (e.n == 0 || same_set(e.old, e.n, cur, nc))
                continue;
            if (n == cap) {
                uint32_t nc2 = cap ? cap * 2 : 64;
                pl_moving_t *g = realloc(list, nc2 * sizeof(*g));
                if (g == NULL) {
                    rc = -ENOMEM;
                    break;
                }
                list = g;
                cap = nc2;
            }
            list[n++] = e;
        }
    }
    free(work);
    if (rc == TN_OK && n > PL_MAX_MOVING)
        rc = -ENOSPC;
    if (rc != TN_OK) {
        free(list);
        return rc;
    }
    /* pools are in map order, not id order: sort by (pool, pg) */
    for (uint32_t i = 1; i < n; i++) {
        pl_moving_t x = list[i];
        uint32_t j = i;
        while (j > 0 && (list[j - 1].pool > x.pool ||
                         (list[j - 1].pool == x.pool && list[j - 1].pg > x.pg))) {
            list[j] = list[j - 1];
            j--;
        }
        list[j] = x;
    }
    free(after->moving);
    after->moving = list;
    after->n_moving = n;
    after->cap_moving = cap;
    return TN_OK;
}

int pl_map_clear_moving(pl_map_t *m, uint32_t pool_id, uint32_t pg)
{
    const pl_moving_t *e = pl_map_moving(m, pool_id, pg);
    if (e == NULL)
        return TN_ERR_NOT_FOUND;
    uint32_t i = (uint32_t)(e - m->moving);
    memmove(&m->moving[i], &m->moving[i + 1], (m->n_moving - i - 1) * sizeof(pl_moving_t));
    m->n_moving--;
    return TN_OK;
}

static int digest_eq(const pl_pg_digest_t *a, const pl_pg_digest_t *b)
{
    return memcmp(a->v, b->v, sizeof(a->v)) == 0;
}

int pl_map_finish_moves(const pl_map_t *m, const pl_finish_probe_t *probe, pl_map_t **next,
                        int32_t *behind, uint64_t *behind_epoch)
{
    if (m == NULL || probe == NULL || probe->osd_epoch == NULL || probe->pg_digest == NULL)
        return -EINVAL;
    if (behind != NULL)
        *behind = PL_ITEM_NONE;
    if (next != NULL)
        *next = NULL;
    if (m->n_moving == 0)
        return 0;
    /* (a) every OSD that answers is at this epoch */
    for (uint32_t i = 0; i < m->n_osds; i++) {
        uint64_t ep = probe->osd_epoch(probe->arg, m->osds[i].id);
        if (ep != 0 && ep != m->epoch) {
            if (behind != NULL)
                *behind = m->osds[i].id;
            if (behind_epoch != NULL)
                *behind_epoch = ep;
            return 0;
        }
    }
    void *work = aligned_alloc(8, (pl_work_size(m) + 7) / 8 * 8);
    uint8_t *done = calloc(m->n_moving, 1);
    if (work == NULL || done == NULL) {
        free(work);
        free(done);
        return -ENOMEM;
    }
    /* (b) every holder answers, all digests equal */
    int cleared = 0;
    for (uint32_t i = 0; i < m->n_moving; i++) {
        const pl_moving_t *e = &m->moving[i];
        const pl_pool_t *pool = pl_map_find_pool(m, e->pool);
        int32_t hold[PL_MAX_HOLDERS];
        int n = pool != NULL ? pl_pg_holders(m, pool, e->pg, hold, PL_MAX_HOLDERS, NULL, work) : 0;
        pl_pg_digest_t first, d;
        int ok = n > 0;
        for (int k = 0; k < n && ok; k++) {
            if (probe->pg_digest(probe->arg, hold[k], e->pool, e->pg, k ? &d : &first) != 0)
                ok = 0;
            else if (k > 0)
                ok = digest_eq(&first, &d);
        }
        done[i] = (uint8_t)ok;
        cleared += ok;
    }
    free(work);
    if (cleared > 0 && next != NULL) {
        pl_map_t *nm = pl_map_clone(m);
        if (nm == NULL) {
            free(done);
            return -ENOMEM;
        }
        uint32_t k = 0;
        for (uint32_t i = 0; i < m->n_moving; i++)
            if (!done[i])
                nm->moving[k++] = m->moving[i];
        nm->n_moving = k;
        nm->epoch = m->epoch + 1;
        *next = nm;
    }
    free(done);
    return cleared;
}

static int cmp_moving(const void *a, const void *b)
{
    const pl_moving_t *x = a, *y = b;
    if (x->pool != y->pool)
        return x->pool < y->pool ? -1 : 1;
    return x->pg < y->pg ? -1 : x->pg > y->pg;
}

int pl_map_replace_osd(pl_map_t *m, int32_t id, uint64_t incarnation, uint32_t *n_moves)
{
    if (m == NULL)
        return -EINVAL;
    if (n_moves != NULL)
        *n_moves = 0;
    if (pl_map_set_osd_incarnation(m, id, incarnation) != TN_OK)
        return TN_ERR_NOT_FOUND;
    void *work = aligned_alloc(8, (pl_work_size(m) + 7) / 8 * 8);
    if (work == NULL)
        return -ENOMEM;
    pl_moving_t *list = NULL;
    uint32_t n = 0, cap = 0, excluded = 0;
    int rc = TN_OK;
    for (uint32_t p = 0; p < m->n_pools && rc == TN_OK; p++) {
        const pl_pool_t *pool = &m->pools[p];
        for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
            const pl_moving_t *prev = pl_map_moving(m, pool->id, pg);
            int32_t cur[PL_MAX_SIZE];
            int kc = pl_pg_osds(m, pool, pg, cur, PL_MAX_SIZE, work);
            if (kc < 0) {
                rc = kc;
                break;
            }
            pl_moving_t e = {.pool = pool->id, .pg = pg};
            if (prev != NULL) {
                e = *prev;
            } else {
                for (int i = 0; i < kc; i++)
                    if (cur[i] != PL_ITEM_NONE)
                        e.old[e.n++] = cur[i];
            }
            int holds = contains(cur, kc, id) || contains(e.old, e.n, id);
            if (holds) {
                int no = 0;
                for (int i = 0; i < e.n; i++)
                    if (e.old[i] != id)
                        e.old[no++] = e.old[i];
                if (no > 0) {
                    e.n = (uint8_t)no;
                    excluded++;
                } else if (prev == NULL) {
                    continue; /* size 1: nothing else holds it; nothing to fall back on */
                } else {
                    e = *prev;
                }
            } else if (prev == NULL) {
                continue;
            }
            if (n == cap) {
                uint32_t c2 = cap ? cap * 2 : 64;
                pl_moving_t *g = realloc(list, c2 * sizeof(*g));
                if (g == NULL) {
                    rc = -ENOMEM;
                    break;
                }
                list = g;
                cap = c2;
            }
            list[n++] = e;
        }
    }
    free(work);
    if (rc == TN_OK && n > PL_MAX_MOVING)
        rc = -ENOSPC;
    if (rc != TN_OK) {
        free(list);
        return rc;
    }
    if (n > 1)
        qsort(list, n, sizeof(*list), cmp_moving);
    free(m->moving);
    m->moving = list;
    m->n_moving = n;
    m->cap_moving = cap;
    if (n_moves != NULL)
        *n_moves = excluded;
    return TN_OK;
}
