/*
 * osd_ratelim.h — a token bucket that bounds repair and scrub traffic in bytes per second, so
 * clients keep being served while an OSD catches up. PURE: the time is a parameter (ns on any
 * monotonic clock); the caller sleeps for what osd_ratelim_take answers and holds its own lock
 * when threads share one bucket.
 *
 * The bucket holds at most `burst` bytes of credit and refills at `rate` bytes/s. A take of n
 * bytes is always granted (a blob piece cannot be split further) and may drive the credit
 * negative: the answer is how long the caller must wait before moving those bytes, so the
 * average over any window longer than burst/rate stays at or below rate.
 */
#ifndef OSD_RATELIM_H
#define OSD_RATELIM_H

#include <stdint.h>

typedef struct {
    uint64_t rate;  /* bytes per second, > 0 */
    uint64_t burst; /* most credit kept, bytes */
    int64_t credit; /* bytes; negative = debt */
    uint64_t last_ns;
} osd_ratelim_t;

/* A full bucket at now_ns. rate 0 is taken as 1. burst 0 means rate / 10 (100 ms). */
void osd_ratelim_init(osd_ratelim_t *rl, uint64_t rate, uint64_t burst, uint64_t now_ns);
/* Changes the rate (and burst as init does), keeping the current credit (clamped to burst). */
void osd_ratelim_set_rate(osd_ratelim_t *rl, uint64_t rate, uint64_t burst, uint64_t now_ns);
/* Takes n bytes at now_ns; returns the ns to wait before using them (0 = go now). */
uint64_t osd_ratelim_take(osd_ratelim_t *rl, uint64_t n, uint64_t now_ns);

#endif
