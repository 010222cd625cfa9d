/*
 * osd_ratelim.c — this file implements the repair/scrub token bucket (osd_ratelim.h).
 */
#include "osd_ratelim.h"

static void refill(osd_ratelim_t *rl, uint64_t now_ns)
{
    if (now_ns <= rl->last_ns)
        return;
    uint64_t dt = now_ns - rl->last_ns;
    rl->last_ns = now_ns;
    /* rate * dt / 1e9 in 128 bits; anything beyond debt + burst is clamped away below */
    unsigned __int128 add = (unsigned __int128)rl->rate * dt / 1000000000u;
    unsigned __int128 room = (unsigned __int128)((int64_t)rl->burst - rl->credit);
    if (add >= room)
        rl->credit = (int64_t)rl->burst;
    else
        rl->credit += (int64_t)add;
}

static void set(osd_ratelim_t *rl, uint64_t rate, uint64_t burst)
{
    rl->rate = rate ? rate : 1;
    rl->burst = burst ? burst : rl->rate / 10;
    if (rl->burst == 0)
        rl->burst = 1;
}

void osd_ratelim_init(osd_ratelim_t *rl, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
    set(rl, rate, burst);
    rl->credit = (int64_t)rl->burst;
    rl->last_ns = now_ns;
}

void osd_ratelim_set_rate(osd_ratelim_t *rl, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
    refill(rl, now_ns);
    set(rl, rate, burst);
    if (rl->credit > (int64_t)rl->burst)
        rl->credit = (int64_t)rl->burst;
}

uint64_t osd_ratelim_take(osd_ratelim_t *rl, uint64_t n, uint64_t now_ns)
{
    refill(rl, now_ns);
    rl->credit -= (int64_t)n;
    if (rl->credit >= 0)
        return 0;
    uint64_t debt = (uint64_t)(-rl->credit);
    /* debt / rate seconds, in ns */
    return debt / rl->rate * 1000000000ull + (debt % rl->rate) * 1000000000ull / rl->rate;
}
