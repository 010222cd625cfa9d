/*
 * tn_hlc.c — hybrid logical clock over a packed 48+16-bit timestamp (layout in tn_hlc.h).
 *
 * Because the logical counter sits in the low bits, "same millisecond, counter + 1" and "counter
 * overflowed, next millisecond with counter 0" are both just last + 1, and max() over
 * timestamps is max() over integers. Each operation is a CAS loop on the one atomic word.
 */
#include <string.h>
#include "tn_hlc.h"

void tn_hlc_init(tn_hlc_t *c, uint64_t last)
{
    atomic_init(&c->last, last);
}

uint64_t tn_hlc_last(tn_hlc_t *c)
{
    return atomic_load_explicit(&c->last, memory_order_acquire);
}

static uint64_t wall_hlc(uint64_t wall_ms)
{
    if (wall_ms > TN_HLC_PHYSICAL_MAX)
        wall_ms = TN_HLC_PHYSICAL_MAX;
    return tn_hlc_make(wall_ms, 0);
}

/* The next timestamp after max(a, b), or the wall clock if that is later. UINT64_MAX is a
 * fixed point (it is reached only 8900 years from now, or from a bogus persisted state). */
static uint64_t next_after(uint64_t a, uint64_t wall)
{
    if (wall > a)
        return wall;
    return a == UINT64_MAX ? a : a + 1;
}

uint64_t tn_hlc_now(tn_hlc_t *c, uint64_t wall_ms)
{
    uint64_t wall = wall_hlc(wall_ms);
    uint64_t last = atomic_load_explicit(&c->last, memory_order_relaxed);
    uint64_t next;
    do {
        next = next_after(last, wall);
    } while (!atomic_compare_exchange_weak_explicit(&c->last, &last, next, memory_order_acq_rel,
                                                    memory_order_relaxed));
    return next;
}

int tn_hlc_update(tn_hlc_t *c, uint64_t remote, uint64_t wall_ms, uint64_t max_ahead_ms,
                  uint64_t *out)
{
    uint64_t wall = wall_hlc(wall_ms);
    uint64_t limit = tn_hlc_physical_ms(wall);
    limit = max_ahead_ms > TN_HLC_PHYSICAL_MAX - limit ? TN_HLC_PHYSICAL_MAX : limit + max_ahead_ms;
    if (tn_hlc_physical_ms(remote) > limit)
        return TN_ERR_CLOCK;
    uint64_t last = atomic_load_explicit(&c->last, memory_order_relaxed);
    uint64_t next;
    do {
        next = next_after(last > remote ? last : remote, wall);
    } while (!atomic_compare_exchange_weak_explicit(&c->last, &last, next, memory_order_acq_rel,
                                                    memory_order_relaxed));
    if (out != NULL)
        *out = next;
    return TN_OK;
}

int tn_version_cmp(const tn_version_t *a, const tn_version_t *b)
{
    if (a->hlc != b->hlc)
        return a->hlc < b->hlc ? -1 : 1;
    if (a->origin != b->origin)
        return a->origin < b->origin ? -1 : 1;
    int r = memcmp(a->id, b->id, sizeof(a->id));
    return (r > 0) - (r < 0);
}
