/*
 * Unit tests for common/tn_hlc.c: layout, monotonicity under a wall clock that stalls or goes
 * backwards, logical overflow, receive-event semantics, refusal of far-future remotes, the
 * version order, and uniqueness when several threads share one clock.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include "tn_hlc.h"
#include "test.h"

static void test_layout(void)
{
    uint64_t h = tn_hlc_make(1700000000123ull, 42);
    is_uint(h, (1700000000123ull << 16) | 42, "ms << 16 | logical");
    is_uint(tn_hlc_physical_ms(h), 1700000000123ull, "physical part");
    is_uint(tn_hlc_logical(h), 42, "logical part");
    is_uint(tn_hlc_logical(tn_hlc_make(5, 0x1ffff)), 0xffff, "logical is masked to 16 bits");
    ok(tn_hlc_make(6, 0) > tn_hlc_make(5, 0xffff), "a later ms beats any counter");
}

static void test_now(void)
{
    tn_hlc_t c;
    tn_hlc_init(&c, 0);
    uint64_t a = tn_hlc_now(&c, 1000);
    is_uint(a, tn_hlc_make(1000, 0), "first stamp is the wall clock");
    uint64_t b = tn_hlc_now(&c, 1000);
    is_uint(b, tn_hlc_make(1000, 1), "same ms: logical + 1");
    uint64_t d = tn_hlc_now(&c, 990);
    is_uint(d, tn_hlc_make(1000, 2), "wall clock went back: physical held, logical + 1");
    uint64_t e = tn_hlc_now(&c, 1001);
    is_uint(e, tn_hlc_make(1001, 0), "wall clock moved on: logical resets");
    is_uint(tn_hlc_last(&c), e, "last is the latest stamp");

    /* strictly increasing over a wall clock that wanders back and forth */
    uint64_t prev = tn_hlc_now(&c, 1001), wall = 1001;
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        wall = (i % 7 == 3) ? wall - 2 : (i % 3 == 0 ? wall + 1 : wall); /* drifts forward */
        uint64_t t = tn_hlc_now(&c, wall);
        bad += t <= prev;
        bad += tn_hlc_physical_ms(t) < wall;
        prev = t;
    }
    is_int(bad, 0, "strictly increasing and never behind the wall clock");
}

static void test_overflow(void)
{
    tn_hlc_t c;
    tn_hlc_init(&c, tn_hlc_make(5000, 0xfffe));
    is_uint(tn_hlc_now(&c, 5000), tn_hlc_make(5000, 0xffff), "counter reaches its max");
    uint64_t t = tn_hlc_now(&c, 5000);
    is_uint(t, tn_hlc_make(5001, 0), "overflow advances the physical part");
    is_uint(tn_hlc_now(&c, 5001), tn_hlc_make(5001, 1), "then counts on in the new ms");
    is_uint(tn_hlc_now(&c, 5002), tn_hlc_make(5002, 0), "wall clock catches up");

    /* 2^16 + 5 events in one ms */
    tn_hlc_init(&c, 0);
    uint64_t prev = 0;
    int bad = 0;
    for (int i = 0; i < 65541; i++) {
        uint64_t s = tn_hlc_now(&c, 7000);
        bad += s <= prev;
        prev = s;
    }
    is_int(bad, 0, "monotonic through an overflow");
    is_uint(prev, tn_hlc_make(7001, 4), "65541 stamps in ms 7000 end at (7001, 4)");

    tn_hlc_init(&c, 0);
    is_uint(tn_hlc_now(&c, UINT64_MAX), tn_hlc_make(TN_HLC_PHYSICAL_MAX, 0),
            "absurd wall clock is clamped to 48 bits");
    tn_hlc_init(&c, UINT64_MAX);
    is_uint(tn_hlc_now(&c, 1), UINT64_MAX, "the largest value does not wrap to 0");
}

static void test_update(void)
{
    tn_hlc_t c;
    uint64_t out = 0;
    tn_hlc_init(&c, tn_hlc_make(1000, 3));

    is_int(tn_hlc_update(&c, tn_hlc_make(1000, 9), 1000, 5000, &out), TN_OK, "accepted");
    is_uint(out, tn_hlc_make(1000, 10), "same ms, remote counter larger: remote + 1");
    is_uint(tn_hlc_now(&c, 1000), tn_hlc_make(1000, 11), "later local stamps follow it");

    is_int(tn_hlc_update(&c, tn_hlc_make(1000, 2), 1000, 5000, &out), TN_OK, "older remote");
    is_uint(out, tn_hlc_make(1000, 12), "older remote: local + 1");

    is_int(tn_hlc_update(&c, tn_hlc_make(1003, 7), 1001, 5000, &out), TN_OK, "remote ahead");
    is_uint(out, tn_hlc_make(1003, 8), "remote ahead of wall and local: remote + 1");

    is_int(tn_hlc_update(&c, tn_hlc_make(900, 0), 2000, 5000, &out), TN_OK, "wall ahead");
    is_uint(out, tn_hlc_make(2000, 0), "wall ahead of both: wall with counter 0");

    is_int(tn_hlc_update(&c, tn_hlc_make(2000, 0), 2000, 5000, NULL), TN_OK, "out may be NULL");
    is_uint(tn_hlc_last(&c), tn_hlc_make(2000, 1), "state still advanced");
}

static void test_refuse_future(void)
{
    tn_hlc_t c;
    uint64_t out = 12345;
    tn_hlc_init(&c, tn_hlc_make(1000, 0));
    is_int(tn_hlc_update(&c, tn_hlc_make(6001, 0), 1000, 5000, &out), TN_ERR_CLOCK,
           "5001 ms ahead with a 5000 ms bound: refused");
    is_uint(out, 12345, "out untouched on refusal");
    is_uint(tn_hlc_last(&c), tn_hlc_make(1000, 0), "clock untouched on refusal");
    is_int(tn_hlc_update(&c, tn_hlc_make(6000, 0xffff), 1000, 5000, &out), TN_OK,
           "exactly 5000 ms ahead: accepted");
    is_uint(out, tn_hlc_make(6001, 0), "and the clock moved past it");
    is_int(tn_hlc_update(&c, tn_hlc_make(10, 0), 9, 0, &out), TN_ERR_CLOCK, "bound 0: 1 ms ahead");
    is_int(tn_hlc_update(&c, UINT64_MAX, UINT64_MAX, UINT64_MAX, &out), TN_OK,
           "saturating bound arithmetic");
}

static void test_version_order(void)
{
    tn_version_t a = {.hlc = 10, .origin = 1, .id = {0}};
    tn_version_t b = a;
    is_int(tn_version_cmp(&a, &b), 0, "equal");
    b.hlc = 11;
    b.origin = 0;
    is_int(tn_version_cmp(&a, &b), -1, "hlc decides first");
    is_int(tn_version_cmp(&b, &a), 1, "antisymmetric");
    b = a;
    b.origin = 2;
    b.id[0] = 0;
    a.id[0] = 0xff;
    is_int(tn_version_cmp(&a, &b), -1, "then origin");
    b = a;
    b.id[15] = 1;
    is_int(tn_version_cmp(&a, &b), -1, "then id, as bytes");
    a.id[0] = 0x80;
    b.id[0] = 0x7f;
    is_int(tn_version_cmp(&a, &b), 1, "id bytes compare unsigned");
    tn_version_t x = {.hlc = UINT64_MAX, .origin = UINT32_MAX};
    tn_version_t y = {.hlc = 0, .origin = 0};
    is_int(tn_version_cmp(&x, &y), 1, "no overflow in comparison");
}

#define THREADS 2
#define PER     50000
static tn_hlc_t shared;
static uint64_t stamps[THREADS][PER];

static void *worker(void *arg)
{
    uint64_t *out = arg;
    for (int i = 0; i < PER; i++)
        out[i] = tn_hlc_now(&shared, 42 + (uint64_t)i / 1000);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_threads(void)
{
    tn_hlc_init(&shared, 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ok(pthread_create(&t[i], NULL, worker, stamps[i]) == 0, "thread started");
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    int bad = 0;
    for (int i = 0; i < THREADS; i++)
        for (int k = 1; k < PER; k++)
            bad += stamps[i][k] <= stamps[i][k - 1];
    is_int(bad, 0, "each thread sees strictly increasing stamps");
    qsort(stamps, THREADS * PER, sizeof(uint64_t), cmp_u64);
    int dup = 0;
    uint64_t *all = &stamps[0][0];
    for (int k = 1; k < THREADS * PER; k++)
        dup += all[k] == all[k - 1];
    is_int(dup, 0, "no stamp handed out twice across threads");
}

int main(void)
{
    subtest("layout", test_layout);
    subtest("now", test_now);
    subtest("logical overflow", test_overflow);
    subtest("update", test_update);
    subtest("refuse far-future remote", test_refuse_future);
    subtest("version order", test_version_order);
    subtest("threads", test_threads);
    return tt_done();
}
