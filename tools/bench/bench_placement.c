/*
 * bench_placement.c — tern-placement-bench: how long computing a pool's full PG table takes
 * (what a daemon does once per map epoch), for synthetic maps of several sizes, with both the
 * production (flat) rule and the two-level rule placement.h compares it with.
 *
 *   tern-placement-bench [repeats]     (default 21; prints the median of the repeats)
 *
 * "flat+df" is the flat rule on the same map after pl_map_rebalance (draw factors), and
 * "flat+gh" the same with one OSD in ten marked out afterwards (ghosts in play); the time
 * pl_map_rebalance itself takes is printed per map.
 *
 * The bracketed number at the end of each line is a checksum of the computed tables, printed
 * so the compiler cannot drop the work; it only changes if placement changes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "placement.h"

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* hosts x per_host OSDs, weights 1.0..4.0 in a fixed pattern, one pool. */
static pl_map_t *build(int hosts, int per_host, uint32_t pg_num)
{
    pl_map_t *m = pl_map_create();
    if (m == NULL)
        return NULL;
    int32_t id = 0;
    for (int h = 0; h < hosts; h++) {
        char name[32];
        snprintf(name, sizeof(name), "host%d", h);
        int hi = pl_map_add_host(m, name);
        for (int o = 0; o < per_host && hi >= 0; o++, id++)
            if (pl_map_add_osd(m, id, hi, PL_WEIGHT_ONE + (uint32_t)(id % 7) * 0x8000u, NULL) < 0)
                hi = -1;
        if (hi < 0) {
            pl_map_destroy(m);
            return NULL;
        }
    }
    if (pl_map_add_pool(m, 1, "data", pg_num, 3, 2, 2, PL_FD_HOST) < 0) {
        pl_map_destroy(m);
        return NULL;
    }
    return m;
}

/* variant: 0 flat, 1 two-level, 2 flat with draw factors, 3 flat with factors and ghosts */
static int run(int hosts, int per_host, uint32_t pg_num, int variant, int repeats)
{
    static const char *names[] = {"flat", "two-level", "flat+df", "flat+gh"};
    int two_level = variant == 1;
    pl_map_t *m = build(hosts, per_host, pg_num);
    if (m == NULL) {
        fprintf(stderr, "cannot build map\n");
        return 1;
    }
    if (variant >= 2) {
        double t0 = now_sec();
        if (pl_map_rebalance(m) != TN_OK) {
            fprintf(stderr, "rebalance failed\n");
            return 1;
        }
        if (variant == 2)
            printf("pl_map_rebalance  %4d hosts x %2d OSDs: %8.3f ms\n", hosts, per_host,
                   (now_sec() - t0) * 1e3);
        for (uint32_t i = 0; variant == 3 && i < m->n_osds; i += 10)
            pl_map_set_osd_in(m, m->osds[i].id, 0);
    }
    size_t ws = two_level ? pl__work_size_two_level(m) : pl_work_size(m);
    void *work = malloc(ws);
    double *t = malloc(sizeof(double) * (size_t)repeats);
    if (work == NULL || t == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    const pl_pool_t *pool = &m->pools[0];
    uint64_t check = 0;
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = now_sec();
        for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
            int32_t out[PL_MAX_SIZE];
            int n = two_level ? pl__pg_osds_two_level(m, pool, pg, out, PL_MAX_SIZE, work)
                              : pl_pg_osds(m, pool, pg, out, PL_MAX_SIZE, work);
            check += (uint64_t)n + (uint64_t)out[0];
        }
        t[rep] = now_sec() - t0;
    }
    qsort(t, (size_t)repeats, sizeof(double), cmp_double);
    double med = t[repeats / 2];
    printf("%-9s %4d hosts x %2d OSDs = %5d OSDs, %5u PGs x 3: median %8.3f ms/table, "
           "%9.0f PG mappings/s (min %.3f ms) [%llu]\n",
           names[variant], hosts, per_host, hosts * per_host, pool->pg_num, med * 1e3,
           pool->pg_num / med, t[0] * 1e3, (unsigned long long)(check % 1000));
    free(t);
    free(work);
    pl_map_destroy(m);
    return 0;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 21;
    if (repeats < 1)
        repeats = 1;
    static const int shapes[][2] = {{3, 2}, {10, 4}, {30, 10}, {100, 10}};
    int rc = 0;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        for (int v = 0; v < 4; v++)
            rc |= run(shapes[i][0], shapes[i][1], 4096, v, repeats);
    return rc;
}
