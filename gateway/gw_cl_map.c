/*
 * gw_cl_map.c — the process-wide cluster-map holder (gw_map_t): refcounted immutable snapshots
 * of one epoch each (map, encoding, hash, PG -> OSDs table), swapped under a mutex when a
 * newer valid epoch is adopted. Readers poll gw_map_generation (one atomic load) and take a
 * new reference only when it changed.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "gw_cluster.h"
#include "tn_log.h"

struct gw_map {
    pthread_mutex_t mu;
    gw_map_snap_t *cur; /* the holder's reference */
    _Atomic uint64_t gen;
};

static void snap_free(gw_map_snap_t *s)
{
    pl_map_destroy(s->map);
    free(s->enc);
    free(s->table);
    free(s->table_off);
    free(s);
}

/* Builds a snapshot around m (ownership moves in, freed on failure). */
static int snap_make(pl_map_t *m, gw_map_snap_t **out)
{
    char why[200] = "";
    int rc = pl_map_validate(m, why, sizeof(why));
    if (rc != 0) {
        tn_log_error("msg=\"cluster map refused\" epoch=%llu why=\"%s\"",
                     (unsigned long long)m->epoch, why);
        pl_map_destroy(m);
        return rc == -ENOMEM ? -ENOMEM : TN_ERR_CORRUPT;
    }
    gw_map_snap_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        pl_map_destroy(m);
        return -ENOMEM;
    }
    s->map = m;
    s->epoch = m->epoch;
    size_t len = 0;
    rc = pl_map_encode(m, NULL, 0, &len);
    if (rc == -ENOSPC && (s->enc = malloc(len)) != NULL)
        rc = pl_map_encode(m, s->enc, len, &s->enc_len);
    s->hash = pl_map_hash(m);
    size_t total = 0;
    s->table_off = calloc(m->n_pools + 1, sizeof(size_t));
    for (uint32_t i = 0; s->table_off != NULL && i < m->n_pools; i++) {
        s->table_off[i] = total;
        total += (size_t)m->pools[i].pg_num * m->pools[i].size;
    }
    s->table = malloc((total ? total : 1) * sizeof(int32_t));
    void *work = malloc(pl_work_size(m) + 8);
    if (rc != 0 || s->hash == 0 || s->table_off == NULL || s->table == NULL || work == NULL) {
        free(work);
        snap_free(s);
        return rc != 0 && rc != -ENOSPC ? rc : -ENOMEM;
    }
    for (uint32_t i = 0; i < m->n_pools; i++) {
        const pl_pool_t *p = &m->pools[i];
        for (uint32_t pg = 0; pg < p->pg_num; pg++) {
            int32_t *row = s->table + s->table_off[i] + (size_t)pg * p->size;
            if (pl_pg_osds(m, p, pg, row, p->size, work) < 0)
                for (unsigned k = 0; k < p->size; k++)
                    row[k] = PL_ITEM_NONE;
        }
    }
    free(work);
    atomic_init(&s->refs, 1);
    *out = s;
    return 0;
}

gw_map_t *gw_map_create(pl_map_t *map)
{
    gw_map_t *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        pl_map_destroy(map);
        return NULL;
    }
    if (snap_make(map, &h->cur) != 0) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    atomic_init(&h->gen, 1);
    return h;
}

void gw_map_destroy(gw_map_t *h)
{
    if (h == NULL)
        return;
    gw_map_snap_put(h->cur);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int gw_map_adopt(gw_map_t *h, pl_map_t *map)
{
    pthread_mutex_lock(&h->mu);
    uint64_t cur_epoch = h->cur->epoch, cur_hash = h->cur->hash;
    pthread_mutex_unlock(&h->mu);
    if (map->epoch < cur_epoch) {
        pl_map_destroy(map);
        return 0;
    }
    if (map->epoch == cur_epoch) {
        uint64_t hash = pl_map_hash(map);
        uint64_t epoch = map->epoch;
        pl_map_destroy(map);
        if (hash == cur_hash)
            return 0;
        tn_log_error("msg=\"two different cluster maps at one epoch: keeping ours\" epoch=%llu "
                     "ours=%016llx theirs=%016llx",
                     (unsigned long long)epoch, (unsigned long long)cur_hash,
                     (unsigned long long)hash);
        return TN_ERR_CORRUPT;
    }
    gw_map_snap_t *s = NULL;
    int rc = snap_make(map, &s); /* outside the lock: it maps every PG */
    if (rc != 0)
        return rc;
    uint64_t epoch = s->epoch, hash = s->hash; /* s may be replaced and freed after unlock */
    pthread_mutex_lock(&h->mu);
    gw_map_snap_t *old = NULL;
    if (s->epoch > h->cur->epoch) {
        old = h->cur;
        h->cur = s;
        atomic_fetch_add(&h->gen, 1);
        rc = 1;
    } else {
        old = s; /* another thread adopted an equal or newer one meanwhile */
        rc = (s->epoch == h->cur->epoch && s->hash != h->cur->hash) ? TN_ERR_CORRUPT : 0;
    }
    pthread_mutex_unlock(&h->mu);
    if (rc == 1)
        tn_log_info("msg=\"cluster map adopted\" epoch=%llu hash=%016llx",
                    (unsigned long long)epoch, (unsigned long long)hash);
    else if (rc < 0)
        tn_log_error("msg=\"two different cluster maps at one epoch: keeping ours\" epoch=%llu",
                     (unsigned long long)epoch);
    gw_map_snap_put(old);
    return rc;
}

gw_map_snap_t *gw_map_snap_get(gw_map_t *h)
{
    pthread_mutex_lock(&h->mu);
    gw_map_snap_t *s = h->cur;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&h->mu);
    return s;
}

void gw_map_snap_put(gw_map_snap_t *s)
{
    if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
        snap_free(s);
}

uint64_t gw_map_generation(const gw_map_t *h)
{
    return atomic_load(&((gw_map_t *)h)->gen);
}

uint64_t gw_map_epoch(gw_map_t *h)
{
    pthread_mutex_lock(&h->mu);
    uint64_t e = h->cur->epoch;
    pthread_mutex_unlock(&h->mu);
    return e;
}

int gw_map_pg_osds(const gw_map_snap_t *s, uint32_t pool_id, uint32_t pg, int32_t *out,
                   const pl_pool_t **pool)
{
    const pl_map_t *m = s->map;
    for (uint32_t i = 0; i < m->n_pools; i++) {
        const pl_pool_t *p = &m->pools[i];
        if (p->id != pool_id)
            continue;
        if (pg >= p->pg_num)
            return -EINVAL;
        const int32_t *row = s->table + s->table_off[i] + (size_t)pg * p->size;
        int n = 0;
        for (unsigned k = 0; k < PL_MAX_SIZE; k++)
            out[k] = PL_ITEM_NONE;
        for (unsigned k = 0; k < p->size; k++)
            if (row[k] != PL_ITEM_NONE)
                out[n++] = row[k];
        if (pool != NULL)
            *pool = p;
        return n;
    }
    return -ENOENT;
}
