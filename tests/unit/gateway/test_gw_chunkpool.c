/* test_gw_chunkpool.c — the chunk-buffer cache (gateway/gw_chunkpool.c): a buffer given back
 * is handed out again, at most `max` are kept, oversize buffers are never cached, the cache
 * never holds more buffers than were in use at once, and a tick with no use in between
 * empties it. (ASan in the Debug build checks every buffer is freed exactly once.) */
#include <string.h>
#include "gw_chunkpool.h"
#include "../test.h"

static void test_reuse(void)
{
    gw_chunkpool_t p;
    gw_chunkpool_init(&p, 64, 2);
    uint8_t *a = gw_chunkpool_get(&p, 64);
    ok(a != NULL, "first get allocates");
    memset(a, 1, 64); /* the whole size is usable */
    is_uint(p.misses, 1, "a miss");
    gw_chunkpool_put(&p, a, 64);
    is_uint(gw_chunkpool_cached(&p), 1, "kept");
    uint8_t *b = gw_chunkpool_get(&p, 10);
    ok(b == a, "a shorter chunk gets the cached buffer");
    is_uint(p.hits, 1, "a hit");
    memset(b, 2, 64);
    gw_chunkpool_put(&p, b, 10);
    uint8_t *c = gw_chunkpool_get(&p, 64);
    ok(c == a, "and a full one too");
    gw_chunkpool_put(&p, c, 64);
    gw_chunkpool_dispose(&p);
    is_uint(gw_chunkpool_cached(&p), 0, "dispose empties");
}

static void test_bounds(void)
{
    gw_chunkpool_t p;
    gw_chunkpool_init(&p, 32, 2);
    uint8_t *x[3];
    for (int i = 0; i < 3; i++)
        x[i] = gw_chunkpool_get(&p, 32);
    is_uint(p.misses, 3, "three in use: three allocations");
    for (int i = 0; i < 3; i++)
        gw_chunkpool_put(&p, x[i], 32);
    is_uint(gw_chunkpool_cached(&p), 2, "at most max kept, the third freed");
    uint8_t *big = gw_chunkpool_get(&p, 100);
    ok(big != NULL, "oversize: a plain allocation");
    is_uint(gw_chunkpool_cached(&p), 2, "oversize does not take a cached buffer");
    memset(big, 3, 100);
    gw_chunkpool_put(&p, big, 100);
    is_uint(gw_chunkpool_cached(&p), 2, "oversize is freed, not cached");
    gw_chunkpool_put(&p, NULL, 32);
    is_uint(gw_chunkpool_cached(&p), 2, "NULL ignored");
    gw_chunkpool_dispose(&p);

    gw_chunkpool_init(&p, 32, 100);
    is_uint(p.max, GW_CHUNKPOOL_MAX, "max capped");
    gw_chunkpool_dispose(&p);
}

static void test_tick(void)
{
    gw_chunkpool_t p;
    gw_chunkpool_init(&p, 16, 4);
    uint8_t *a = gw_chunkpool_get(&p, 16), *b = gw_chunkpool_get(&p, 16);
    gw_chunkpool_put(&p, a, 16);
    gw_chunkpool_put(&p, b, 16);
    is_uint(gw_chunkpool_tick(&p), 2, "used since the last tick: kept");
    uint8_t *c = gw_chunkpool_get(&p, 16);
    gw_chunkpool_put(&p, c, 16);
    is_uint(gw_chunkpool_tick(&p), 2, "used again: kept");
    is_uint(gw_chunkpool_tick(&p), 0, "a whole tick idle: emptied");
    is_uint(gw_chunkpool_tick(&p), 0, "stays empty");
    uint8_t *d = gw_chunkpool_get(&p, 16);
    is_uint(p.misses, 3, "after emptying, a get allocates again");
    gw_chunkpool_put(&p, d, 16);
    gw_chunkpool_dispose(&p);
}

int main(void)
{
    subtest("reuse", test_reuse);
    subtest("bounds", test_bounds);
    subtest("tick", test_tick);
    return tt_done();
}
