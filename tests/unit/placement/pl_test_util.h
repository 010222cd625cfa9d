/*
 * pl_test_util.h — helpers shared by the placement tests: a seeded PRNG (splitmix64) and a
 * random-map builder (3..100 hosts, 1..12 OSDs each, weights 0.5..4.0).
 */
#ifndef TERN_PL_TEST_UTIL_H
#define TERN_PL_TEST_UTIL_H

#include <stdio.h>

#include "placement.h"

/* Sanitizer builds run fewer and smaller maps. */
#if defined(__SANITIZE_ADDRESS__)
#define PLT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLT_ASAN 1
#endif
#endif
#ifndef PLT_ASAN
#define PLT_ASAN 0
#endif

/* splitmix64 (Vigna): a small, well-known, deterministic generator. */
static inline uint64_t plt_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static inline uint32_t plt_range(uint64_t *s, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(plt_next(s) % ((uint64_t)hi - lo + 1));
}

/* A random weight in 0.5 .. 4.0 (16.16). */
static inline uint32_t plt_weight(uint64_t *s)
{
    return plt_range(s, 0x8000u, 0x40000u);
}

/* A random map with hosts in [hmin, hmax], 1..max_per_host OSDs per host, and pool 1 "data"
 * (size 3, by host) with pg_num. OSD ids are dense from 0. Returns NULL on failure. */
static inline pl_map_t *plt_random_map(uint64_t *s, uint32_t hmin, uint32_t hmax,
                                       uint32_t max_per_host, uint32_t pg_num)
{
    pl_map_t *m = pl_map_create();
    if (m == NULL)
        return NULL;
    uint32_t nh = plt_range(s, hmin, hmax);
    int32_t id = 0;
    for (uint32_t h = 0; h < nh; h++) {
        char name[32];
        snprintf(name, sizeof(name), "host-%u", h);
        int hi = pl_map_add_host(m, name);
        uint32_t no = plt_range(s, 1, max_per_host);
        for (uint32_t o = 0; o < no && hi >= 0; o++)
            if (pl_map_add_osd(m, id++, hi, plt_weight(s), "10.0.0.1:7000") < 0)
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

/* Adds a host with n OSDs of random weights, ids from *next_id. Returns 0 or -1. */
static inline int plt_add_host(pl_map_t *m, uint64_t *s, const char *name, uint32_t n,
                               int32_t *next_id)
{
    int hi = pl_map_add_host(m, name);
    if (hi < 0)
        return -1;
    for (uint32_t o = 0; o < n; o++)
        if (pl_map_add_osd(m, (*next_id)++, hi, plt_weight(s), NULL) < 0)
            return -1;
    return 0;
}

#endif
