/*
 * osd_holds.c — this file implements the per-epoch set of the PGs this OSD holds
 * (osd_holds.h), rebuilt from the map store's current map when its epoch changes.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "osd_holds.h"
#include "osd_recplan.h"

struct st_osd_holds_t {
    int32_t self;
    osd_mapstore_t *ms;
    pthread_mutex_t lock;
    uint64_t epoch; /* of the set below; 0 = none yet */
    uint64_t *pgs;  /* (pool << 32 | pg), ascending */
    size_t n;
    uint32_t *pools; /* ids of the map's pools, ascending */
    size_t npools;
};

osd_holds_t *osd_holds_create(int32_t self, osd_mapstore_t *ms)
{
    osd_holds_t *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->self = self;
    h->ms = ms;
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

void osd_holds_destroy(osd_holds_t *h)
{
    if (h == NULL)
        return;
    pthread_mutex_destroy(&h->lock);
    free(h->pgs);
    free(h->pools);
    free(h);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Rebuilds the set from the current map (lock held). */
static int reload(osd_holds_t *h)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pl_map_t *m = NULL;
    int rc = osd_ms_get(h->ms, 0, &buf, &len);
    if (rc == 0)
        rc = pl_map_decode(buf, len, &m);
    free(buf);
    if (rc != 0)
        return rc < 0 ? rc : -EIO;
    size_t ws = (pl_work_size(m) + 7) / 8 * 8;
    void *work = aligned_alloc(8, ws ? ws : 8);
    long n = work != NULL ? osd_recplan_held_pgs(m, h->self, work, NULL, 0) : -ENOMEM;
    osd_recplan_pg_t *held = n > 0 ? calloc((size_t)n, sizeof(*held)) : NULL;
    uint64_t *pgs = n > 0 ? malloc((size_t)n * sizeof(*pgs)) : NULL;
    uint32_t *pools = malloc((m->n_pools ? m->n_pools : 1) * sizeof(*pools));
    if (n < 0 || (n > 0 && (held == NULL || pgs == NULL)) || pools == NULL) {
        free(work);
        free(held);
        free(pgs);
        free(pools);
        pl_map_destroy(m);
        return n < 0 ? (int)n : -ENOMEM;
    }
    if (n > 0)
        osd_recplan_held_pgs(m, h->self, work, held, (size_t)n);
    for (long i = 0; i < n; i++)
        pgs[i] = (uint64_t)held[i].pool << 32 | held[i].pg;
    if (n > 1)
        qsort(pgs, (size_t)n, sizeof(*pgs), cmp_u64);
    for (uint32_t i = 0; i < m->n_pools; i++)
        pools[i] = m->pools[i].id;
    qsort(pools, m->n_pools, sizeof(*pools), cmp_u32);
    free(h->pgs);
    h->pgs = pgs;
    h->n = (size_t)n;
    free(h->pools);
    h->pools = pools;
    h->npools = m->n_pools;
    h->epoch = m->epoch;
    free(work);
    free(held);
    pl_map_destroy(m);
    return 0;
}

int osd_holds_pg(osd_holds_t *h, uint32_t pool, uint32_t pg)
{
    pthread_mutex_lock(&h->lock);
    int rc = 0;
    if (h->epoch == 0 || h->epoch != osd_ms_epoch(h->ms))
        rc = reload(h);
    int held = 0;
    if (rc == 0 && (h->npools == 0 ||
                    bsearch(&pool, h->pools, h->npools, sizeof(*h->pools), cmp_u32) == NULL)) {
        held = 1;                     /* not a pool of this map: see osd_holds.h */
    } else if (rc == 0 && h->n > 0) { /* an OSD that is out holds nothing (h->pgs NULL) */
        uint64_t want = (uint64_t)pool << 32 | pg;
        held = bsearch(&want, h->pgs, h->n, sizeof(*h->pgs), cmp_u64) != NULL;
    }
    pthread_mutex_unlock(&h->lock);
    return rc != 0 ? rc : held;
}
