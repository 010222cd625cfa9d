/*
 * test_tb_hist.c — tern-bench's log-linear histogram: bucket layout (contiguous, monotone,
 * bounded relative width), quantiles against exact sorted samples, merge, clamping.
 */
#include "tb_hist.h"
#include "test.h"

static tb_hist_t h, h2;

static void test_layout(void)
{
    /* every value from 0 to 2^20 lands in a bucket whose [low, high] contains it, and
     * consecutive values never go backwards */
    size_t prev = 0;
    int bad = 0;
    for (uint64_t v = 0; v <= (1u << 20); v++) {
        size_t i = tb_hist_index(v);
        if (i < prev || i > prev + 1 || tb_hist_low(i) > v || tb_hist_high(i) < v)
            bad++;
        prev = i;
    }
    is_int(bad, 0, "buckets contiguous and containing their values");
    /* exact below SUB, then width / low <= 1/SUB */
    for (uint64_t v = 0; v < TB_HIST_SUB; v++)
        ok(tb_hist_low(tb_hist_index(v)) == v && tb_hist_high(tb_hist_index(v)) == v, "exact");
    for (unsigned b = 8; b < TB_HIST_MAX_BITS; b++) {
        uint64_t v = (UINT64_C(1) << b) + 12345 % (UINT64_C(1) << (b - 1));
        size_t i = tb_hist_index(v);
        uint64_t width = tb_hist_high(i) - tb_hist_low(i) + 1;
        ok(width * TB_HIST_SUB <= tb_hist_low(i), "relative width <= 1/SUB");
    }
    is_uint(tb_hist_index(TB_HIST_MAX_VALUE), TB_HIST_BUCKETS - 1, "last bucket");
    is_uint(tb_hist_index(UINT64_MAX), TB_HIST_BUCKETS - 1, "clamped");
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_quantiles(void)
{
    static uint64_t sample[10000];
    uint64_t s = 42;
    tb_hist_init(&h);
    is_uint(tb_hist_quantile(&h, 0.5), 0, "empty");
    for (size_t i = 0; i < 10000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        sample[i] = 50 + s % 200000; /* 50 us .. 200 ms */
        tb_hist_add(&h, sample[i]);
    }
    qsort(sample, 10000, sizeof sample[0], cmp_u64);
    is_uint(h.n, 10000, "count");
    is_uint(h.min, sample[0], "min exact");
    is_uint(h.max, sample[9999], "max exact");
    is_uint(tb_hist_quantile(&h, 1.0), sample[9999], "q=1 is max");
    const double qs[] = {0.5, 0.9, 0.99, 0.999};
    for (size_t k = 0; k < 4; k++) {
        uint64_t exact = sample[(size_t)(qs[k] * 10000) - 1]; /* ceil(q*n)-th, 1-based */
        uint64_t got = tb_hist_quantile(&h, qs[k]);
        ok(got >= exact, "quantile never optimistic");
        ok(got <= exact + exact / TB_HIST_SUB + 1, "quantile within one bucket");
    }
    /* a single value */
    tb_hist_init(&h2);
    tb_hist_add(&h2, 777);
    is_uint(tb_hist_quantile(&h2, 0.5), 777, "one value: p50 = it (capped at max)");
    is_uint(tb_hist_quantile(&h2, 0.99), 777, "one value: p99");
}

static void test_merge(void)
{
    tb_hist_init(&h);
    tb_hist_init(&h2);
    for (uint64_t v = 1; v <= 1000; v++)
        tb_hist_add(v % 2 ? &h : &h2, v);
    tb_hist_merge(&h, &h2);
    is_uint(h.n, 1000, "merged count");
    is_uint(h.min, 1, "merged min");
    is_uint(h.max, 1000, "merged max");
    ok(tb_hist_mean(&h) > 500.49 && tb_hist_mean(&h) < 500.51, "merged mean 500.5");
    uint64_t p50 = tb_hist_quantile(&h, 0.5);
    ok(p50 >= 500 && p50 <= 504, "merged p50 ~ 500");
}

int main(void)
{
    subtest("layout", test_layout);
    subtest("quantiles", test_quantiles);
    subtest("merge", test_merge);
    return tt_done();
}
