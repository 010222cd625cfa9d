/*
 * tn_hlc.h — hybrid logical clock (HLC) and the total order of object versions.
 * Pure: the wall clock is always passed in (milliseconds since the Unix epoch).
 *
 * Timestamp layout (uint64_t, compared as plain unsigned integers):
 *
 *     bits 63..16  physical: milliseconds since 1970-01-01T00:00:00Z (48 bits, until year 10889)
 *     bits 15..0   logical:  counter that orders events within one millisecond (0..65535)
 *
 *   hlc = ms << 16 | logical. 0 means "no timestamp".
 *
 * Rules (DESIGN.md, correctness rule 2): every local or send event takes tn_hlc_now(); every
 * received timestamp (every OSD reply carries one) goes through tn_hlc_update(), which bumps the
 * clock past it, but refuses a timestamp more than max_ahead_ms ahead of the local wall clock
 * with TN_ERR_CLOCK. The clock never goes backwards, even when the wall clock does: the physical
 * part stays put and the logical counter grows; when the counter would pass 65535 the physical
 * part advances by one millisecond (the clock then runs slightly ahead of the wall clock until
 * the wall clock catches up).
 *
 * Thread safety: tn_hlc_t holds one _Atomic uint64_t and every operation is a compare-and-swap
 * loop, so one clock may be shared by all threads of a process (e.g. a multi-threaded gateway)
 * without a lock. Every value handed out by tn_hlc_now() is unique within the process.
 */
#ifndef TN_HLC_H
#define TN_HLC_H

#include <stdatomic.h>
#include <stdint.h>
#include "tern.h"

#define TN_HLC_LOGICAL_BITS 16
#define TN_HLC_LOGICAL_MAX  0xffffu
#define TN_HLC_PHYSICAL_MAX ((UINT64_C(1) << 48) - 1)

typedef struct {
    _Atomic uint64_t last; /* the largest timestamp handed out or seen */
} tn_hlc_t;

/* Sets the clock's state; use 0 for a new clock, or a persisted value on restart. */
void tn_hlc_init(tn_hlc_t *c, uint64_t last);
/* The largest timestamp issued or seen so far (does not advance the clock). */
uint64_t tn_hlc_last(tn_hlc_t *c);

/* Local or send event: returns a timestamp greater than every earlier one from this clock and
 * at least (wall_ms, 0). wall_ms above TN_HLC_PHYSICAL_MAX is clamped. */
uint64_t tn_hlc_now(tn_hlc_t *c, uint64_t wall_ms);

/* Receive event with a remote timestamp: if remote's physical part is more than max_ahead_ms
 * ahead of wall_ms, returns TN_ERR_CLOCK and leaves the clock unchanged. Otherwise advances the
 * clock past max(last, remote, wall), stores the new timestamp in *out (may be NULL) and returns
 * TN_OK. */
int tn_hlc_update(tn_hlc_t *c, uint64_t remote, uint64_t wall_ms, uint64_t max_ahead_ms,
                  uint64_t *out);

static inline uint64_t tn_hlc_make(uint64_t ms, uint32_t logical)
{
    return (ms << TN_HLC_LOGICAL_BITS) | (logical & TN_HLC_LOGICAL_MAX);
}

static inline uint64_t tn_hlc_physical_ms(uint64_t hlc)
{
    return hlc >> TN_HLC_LOGICAL_BITS;
}

static inline uint32_t tn_hlc_logical(uint64_t hlc)
{
    return (uint32_t)(hlc & TN_HLC_LOGICAL_MAX);
}

/*
 * An object version's identity and its place in the total order of DESIGN.md rule 2:
 * (hlc, origin, id), compared in that order. id is a 128-bit random version id (made by the
 * gateway that accepted the write, from a CSPRNG); origin is that gateway's node id. Two
 * distinct versions therefore never compare equal unless their random ids collide.
 * id is compared as bytes (memcmp), so its wire and storage form is the 16 raw bytes.
 */
typedef struct {
    uint64_t hlc;
    uint32_t origin;
    uint8_t id[16];
} tn_version_t;

/* Returns -1, 0 or 1 as a orders before, the same as, or after b. */
int tn_version_cmp(const tn_version_t *a, const tn_version_t *b);

#endif
