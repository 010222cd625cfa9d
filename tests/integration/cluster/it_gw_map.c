/*
 * it_gw_map.c — the gateway's map holder (gw_map_t, gateway/gw_cluster.h) without OSDs: the
 * adoption rules (newer adopted, older and identical ignored, same epoch with another hash and
 * invalid maps refused, the old map kept), the PG table against pl_pg_osds for every PG, and
 * readers taking and releasing snapshots on four threads while epochs are adopted (ASan
 * catches a snapshot freed under a reader).
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gw_cluster.h"
#include "test.h"

static pl_map_t *make_map(void)
{
    pl_map_t *m = pl_map_create();
    char name[16], addr[32];
    for (int h = 0; h < 4; h++) {
        snprintf(name, sizeof(name), "h%d", h);
        pl_map_add_host(m, name);
        for (int k = 0; k < 2; k++) {
            snprintf(addr, sizeof(addr), "127.0.0.1:%d", 7000 + h * 2 + k);
            pl_map_add_osd(m, h * 2 + k, h, PL_WEIGHT_ONE, addr);
        }
    }
    pl_map_add_pool(m, 11, "index", 32, 3, 2, 2, PL_FD_HOST);
    pl_map_add_pool(m, 12, "data", 64, 3, 2, 2, PL_FD_HOST);
    pl_map_rebalance(m);
    m->epoch = 1;
    return m;
}

static void check_table(gw_map_t *h)
{
    gw_map_snap_t *s = gw_map_snap_get(h);
    void *work = malloc(pl_work_size(s->map) + 8);
    int bad = 0;
    for (uint32_t p = 0; p < s->map->n_pools; p++) {
        const pl_pool_t *pool = &s->map->pools[p];
        for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
            int32_t want[PL_MAX_SIZE], got[PL_MAX_SIZE];
            int nw = pl_pg_osds(s->map, pool, pg, want, PL_MAX_SIZE, work);
            const pl_pool_t *pp = NULL;
            int ng = gw_map_pg_osds(s, pool->id, pg, got, &pp);
            bad += nw != ng || pp != pool || memcmp(want, got, (size_t)ng * sizeof(int32_t)) != 0;
        }
    }
    is_int(bad, 0, "PG table equals pl_pg_osds for every PG of every pool");
    int32_t o[PL_MAX_SIZE];
    is_int(gw_map_pg_osds(s, 99, 0, o, NULL), -ENOENT, "unknown pool");
    is_int(gw_map_pg_osds(s, 11, 32, o, NULL), -EINVAL, "pg out of range");
    free(work);
    gw_map_snap_put(s);
}

static void test_adopt(void)
{
    pl_map_t *m1 = make_map();
    pl_map_t *keep = pl_map_clone(m1);
    gw_map_t *h = gw_map_create(m1);
    ok(h != NULL, "holder");
    is_uint(gw_map_epoch(h), 1, "epoch 1");
    check_table(h);
    uint64_t gen = gw_map_generation(h);
    gw_map_snap_t *held = gw_map_snap_get(h);

    is_int(gw_map_adopt(h, pl_map_clone(keep)), 0, "same map again: unchanged");
    pl_map_t *other = pl_map_clone(keep);
    pl_map_set_osd_weight(other, 3, 2 * PL_WEIGHT_ONE);
    is_int(gw_map_adopt(h, other), TN_ERR_CORRUPT, "same epoch, another map: refused");
    is_uint(gw_map_generation(h), gen, "nothing swapped");

    pl_map_t *m2 = pl_map_clone(keep);
    pl_map_set_osd_in(m2, 3, 0);
    pl_map_rebalance(m2);
    m2->epoch = 2;
    is_int(gw_map_adopt(h, m2), 1, "epoch 2 adopted");
    is_uint(gw_map_epoch(h), 2, "epoch 2");
    ok(gw_map_generation(h) != gen, "generation moved");
    check_table(h);
    gw_map_snap_t *s2 = gw_map_snap_get(h);
    int has3 = 0;
    for (uint32_t pg = 0; pg < 32; pg++) {
        int32_t o[PL_MAX_SIZE];
        int n = gw_map_pg_osds(s2, 11, pg, o, NULL);
        for (int i = 0; i < n; i++)
            has3 |= o[i] == 3;
    }
    ok(!has3, "the out OSD holds nothing at epoch 2");
    gw_map_snap_put(s2);
    is_uint(held->epoch, 1, "a held snapshot stays valid and unchanged");
    gw_map_snap_put(held);

    is_int(gw_map_adopt(h, pl_map_clone(keep)), 0, "older epoch: ignored");
    is_uint(gw_map_epoch(h), 2, "still epoch 2");
    pl_map_t *broken = pl_map_clone(keep);
    broken->epoch = 3;
    broken->pools[0].write_quorum = 9; /* > size */
    is_int(gw_map_adopt(h, broken), TN_ERR_CORRUPT, "invalid map: refused");
    is_uint(gw_map_epoch(h), 2, "still epoch 2");
    pl_map_destroy(keep);
    gw_map_destroy(h);
}

static gw_map_t *g_h;
static atomic_int g_stop;

static void *reader(void *arg)
{
    (void)arg;
    uint64_t last = 0;
    long bad = 0;
    while (!atomic_load(&g_stop)) {
        gw_map_snap_t *s = gw_map_snap_get(g_h);
        int32_t o[PL_MAX_SIZE];
        bad += gw_map_pg_osds(s, 11, 5, o, NULL) != 3;
        bad += s->epoch < last;
        last = s->epoch;
        gw_map_snap_put(s);
    }
    return (void *)bad;
}

static void test_threads(void)
{
    pl_map_t *m = make_map();
    pl_map_t *base = pl_map_clone(m);
    g_h = gw_map_create(m);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, reader, NULL);
    int adopted = 0;
    for (uint64_t e = 2; e <= 200; e++) {
        pl_map_t *n = pl_map_clone(base);
        pl_map_set_osd_weight(n, (int32_t)(e % 8), PL_WEIGHT_ONE + (uint32_t)e * 16);
        n->epoch = e;
        adopted += gw_map_adopt(g_h, n) == 1;
    }
    atomic_store(&g_stop, 1);
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    is_int(adopted, 199, "199 epochs adopted");
    is_int((int)bad, 0, "readers always saw a whole, never older, map");
    is_uint(gw_map_epoch(g_h), 200, "epoch 200");
    pl_map_destroy(base);
    gw_map_destroy(g_h);
}

int main(void)
{
    subtest("adoption rules and PG table", test_adopt);
    subtest("readers on threads while epochs change", test_threads);
    return tt_done();
}
