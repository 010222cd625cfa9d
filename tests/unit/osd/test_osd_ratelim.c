/*
 * test_osd_ratelim.c — unit tests of the repair/scrub token bucket (osd/osd_ratelim.h):
 * burst, waits, long-run average, idle refill capped at the burst, rate changes.
 */
#include "osd_ratelim.h"
#include "test.h"

#define SEC 1000000000ull

static void test_basic(void)
{
    osd_ratelim_t rl;
    osd_ratelim_init(&rl, 1000, 0, 0);
    is_uint(rl.burst, 100, "default burst = rate/10");
    is_uint(osd_ratelim_take(&rl, 100, 0), 0, "burst is free");
    is_uint(osd_ratelim_take(&rl, 100, 0), SEC / 10, "100 bytes of debt = 100 ms");
    is_uint(osd_ratelim_take(&rl, 0, SEC / 10), 0, "debt repaid after 100 ms");
    /* idle for an hour: credit capped at the burst */
    is_uint(osd_ratelim_take(&rl, 100, 3600 * SEC), 0, "burst after idle");
    is_uint(osd_ratelim_take(&rl, 1, 3600 * SEC), SEC / 1000, "not more than the burst");
    /* a clock that goes backwards changes nothing */
    uint64_t w = osd_ratelim_take(&rl, 0, 10);
    ok(w > 0, "time going backwards gives no credit");
}

static void test_average(void)
{
    /* a caller that sleeps what it is told moves at most rate bytes/s (+ burst) */
    osd_ratelim_t rl;
    uint64_t rate = 64ull << 20, now = 5 * SEC, moved = 0;
    osd_ratelim_init(&rl, rate, 0, now);
    uint64_t start = now;
    for (int i = 0; i < 1000; i++) {
        uint64_t n = 1u << 20;
        now += osd_ratelim_take(&rl, n, now);
        moved += n;
    }
    double secs = (double)(now - start) / SEC;
    double got = (double)moved / secs;
    ok(got <= (double)rate * 1.01 + (double)rl.burst / secs, "at most the rate");
    ok(got >= (double)rate * 0.95, "and close to it");
}

static void test_change(void)
{
    osd_ratelim_t rl;
    osd_ratelim_init(&rl, 1000, 500, 0);
    is_uint(osd_ratelim_take(&rl, 500, 0), 0, "burst 500");
    osd_ratelim_set_rate(&rl, 2000, 0, 0);
    is_uint(rl.burst, 200, "new burst");
    is_uint(osd_ratelim_take(&rl, 200, 0), SEC / 10, "200 bytes at 2000/s");
    osd_ratelim_init(&rl, 0, 0, 0);
    is_uint(rl.rate, 1, "rate 0 taken as 1");
    is_uint(osd_ratelim_take(&rl, 2, 0), SEC, "1 byte of debt at 1 B/s");
    osd_ratelim_init(&rl, 1ull << 40, 0, 0);
    ok(osd_ratelim_take(&rl, 1ull << 40, 0) > 0, "1 TiB/s: no overflow");
    is_uint(osd_ratelim_take(&rl, 0, 2 * SEC), 0, "repaid");
}

int main(void)
{
    subtest("basic", test_basic);
    subtest("average", test_average);
    subtest("change", test_change);
    return tt_done();
}
