/*
 * gw_chunkpool.h — a loop thread's cache of chunk buffers (GW_OBJMETA_CHUNK bytes each) for the
 * chunk copies of PutObject, UploadPart and the copier (gw_budget.h bounds how many bytes are
 * in use; this keeps the buffers themselves).
 *
 * Why: a 4 MiB malloc is a fresh mmap (glibc's mmap threshold), so every chunk copy faulted in
 * and zeroed 1,024 pages and unmapped them after the write: about a third of the gateway's CPU
 * per 32 MiB PUT (docs/BENCHMARKS.md, "Large PUT: chunk buffers"). Buffers given back are kept
 * (at most `max`) and handed out again; a cache that was not used between two ticks is
 * emptied, so an idle gateway holds no chunk memory. The cache never raises the peak: a get
 * takes a cached buffer before it allocates, so cached plus in-use buffers never exceed the
 * most that were in use at once.
 *
 * PURE bookkeeping over malloc/free, one thread (the loop's); the caller runs the tick (a
 * timer) while gw_chunkpool_cached() > 0. Buffers asked for with more than `size` bytes are
 * plain allocations, never cached.
 */
#ifndef GW_CHUNKPOOL_H
#define GW_CHUNKPOOL_H

#include <stddef.h>
#include <stdint.h>

#define GW_CHUNKPOOL_MAX 16 /* hard cap on cached buffers, whatever max says */

typedef struct {
    size_t size;           /* bytes per pooled buffer */
    size_t max;            /* buffers kept at most (<= GW_CHUNKPOOL_MAX) */
    size_t n;              /* buffers cached now */
    int used;              /* a get or put since the last tick */
    uint64_t hits, misses; /* gets served from the cache / by malloc (stats, tests) */
    uint8_t *free[GW_CHUNKPOOL_MAX];
} gw_chunkpool_t;

void gw_chunkpool_init(gw_chunkpool_t *p, size_t size, size_t max);
/* A buffer of at least len bytes (NULL: out of memory); give it back with gw_chunkpool_put
 * and the same len. */
uint8_t *gw_chunkpool_get(gw_chunkpool_t *p, size_t len);
/* Gives back a buffer from gw_chunkpool_get(p, len): cached, or freed. NULL is ignored. */
void gw_chunkpool_put(gw_chunkpool_t *p, uint8_t *buf, size_t len);
/* Periodic: frees every cached buffer when none was got or put since the last tick. Returns
 * the number of buffers still cached (0: the caller can stop ticking). */
size_t gw_chunkpool_tick(gw_chunkpool_t *p);
static inline size_t gw_chunkpool_cached(const gw_chunkpool_t *p)
{
    return p->n;
}
/* Frees every cached buffer (thread exit). */
void gw_chunkpool_dispose(gw_chunkpool_t *p);

#endif
