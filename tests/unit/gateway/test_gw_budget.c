/* test_gw_budget.c — the chunk-memory budget (gateway/gw_budget.c): take within the limit,
 * FIFO waiting and grants on give, a chunk larger than the budget running alone, the pressure
 * hook (it may give bytes back and grant the waiter before take returns), and re-entrant
 * grants. */
#include <stddef.h>
#include "gw_budget.h"
#include "../test.h"

typedef struct {
    gw_budget_wait_t w;
    int granted;
    int order;
    gw_budget_t *b;
    size_t give_back; /* given back from inside granted (re-entrancy) */
} waiter_t;

static int grant_seq;

static void on_granted(gw_budget_wait_t *w)
{
    waiter_t *x = (waiter_t *)w;
    x->granted++;
    x->order = ++grant_seq;
    if (x->give_back > 0)
        gw_budget_give(x->b, x->give_back);
}

static void test_basic(void)
{
    gw_budget_t b;
    gw_budget_init(&b, 16);
    waiter_t a = {.w.granted = on_granted, .b = &b}, c = {.w.granted = on_granted, .b = &b};
    waiter_t d = {.w.granted = on_granted, .b = &b};
    ok(gw_budget_take(&b, 8, &a.w) == 1, "8 of 16 at once");
    ok(gw_budget_take(&b, 8, &a.w) == 1, "16 of 16 at once");
    is_uint(b.used, 16, "used 16");
    ok(gw_budget_take(&b, 4, &c.w) == 0, "full: waits");
    ok(c.w.queued && b.nwaiting == 1, "queued");
    ok(gw_budget_take(&b, 1, &d.w) == 0, "a smaller one waits behind (FIFO, no overtaking)");
    gw_budget_give(&b, 2);
    ok(!c.granted && !d.granted, "2 free: 4 does not fit, 1 would but waits its turn");
    gw_budget_give(&b, 2);
    ok(c.granted == 1 && d.granted == 0, "4 free: the first waiter");
    is_uint(b.used, 16, "its bytes were taken for it");
    gw_budget_give(&b, 8);
    ok(d.granted == 1 && c.order < d.order, "then the second, in order");
    is_uint(b.used, 9, "16 - 8 + 1");
    is_uint(b.waits, 2, "two waits counted");
    is_uint(b.peak, 16, "peak 16");
    ok(b.head == NULL && b.tail == NULL && b.nwaiting == 0, "queue empty");
    gw_budget_give(&b, 9);
    is_uint(b.used, 0, "all back");
    gw_budget_give(&b, 5);
    is_uint(b.used, 0, "giving more than taken does not wrap");
}

static void test_oversize(void)
{
    gw_budget_t b;
    gw_budget_init(&b, 8);
    waiter_t a = {.w.granted = on_granted, .b = &b};
    ok(gw_budget_take(&b, 20, &a.w) == 1, "larger than the budget: runs when nothing is taken");
    ok(gw_budget_take(&b, 1, &a.w) == 0, "over the budget: the next one waits");
    gw_budget_give(&b, 20);
    ok(a.granted == 1, "granted when the big one is back");
    waiter_t big = {.w.granted = on_granted, .b = &b};
    ok(gw_budget_take(&b, 20, &big.w) == 0, "a big one waits while anything is taken");
    gw_budget_give(&b, 1);
    ok(big.granted == 1, "and runs alone once everything is back");
    is_uint(b.used, 20, "used 20");
}

static gw_budget_t *pressure_b;
static size_t pressure_give;
static int pressure_calls;

static void on_pressure(void *arg)
{
    (void)arg;
    pressure_calls++;
    if (pressure_give > 0)
        gw_budget_give(pressure_b, pressure_give);
}

static void test_pressure(void)
{
    gw_budget_t b;
    gw_budget_init(&b, 10);
    b.on_pressure = on_pressure;
    pressure_b = &b;
    waiter_t a = {.w.granted = on_granted, .b = &b};
    ok(gw_budget_take(&b, 10, &a.w) == 1, "all of it");
    ok(pressure_calls == 0, "no pressure while it fits");
    pressure_give = 0;
    ok(gw_budget_take(&b, 5, &a.w) == 0, "waits");
    ok(pressure_calls == 1 && a.granted == 0, "pressure hook ran, nothing shed");
    gw_budget_give(&b, 10);
    ok(a.granted == 1, "granted on give");
    waiter_t c = {.w.granted = on_granted, .b = &b};
    ok(gw_budget_take(&b, 5, &c.w) == 1, "5 + 5 fits");
    pressure_give = 5; /* the hook sheds 5 bytes: the waiter is granted inside take */
    waiter_t d = {.w.granted = on_granted, .b = &b};
    ok(gw_budget_take(&b, 5, &d.w) == 0, "take returns 0 (queued first)");
    ok(d.granted == 1 && !d.w.queued, "granted from inside the pressure hook");
    is_uint(b.used, 10, "5 shed, 5 granted");
    ok(b.head == NULL, "queue empty");
}

static void test_reentrant(void)
{
    gw_budget_t b;
    gw_budget_init(&b, 10);
    waiter_t a = {.w.granted = on_granted, .b = &b};
    waiter_t c = {.w.granted = on_granted, .b = &b, .give_back = 6}; /* gone: gives back */
    waiter_t d = {.w.granted = on_granted, .b = &b};
    ok(gw_budget_take(&b, 10, &a.w) == 1, "all of it");
    ok(gw_budget_take(&b, 6, &c.w) == 0, "c waits");
    ok(gw_budget_take(&b, 8, &d.w) == 0, "d waits");
    gw_budget_give(&b, 6);
    ok(c.granted == 1, "c granted, gives its bytes back inside the grant");
    ok(d.granted == 0, "d (8) does not fit in 6 + 6 - 6 - ... yet");
    is_uint(b.used, 4, "4 left taken by a");
    gw_budget_give(&b, 4);
    ok(d.granted == 1, "d granted once a gave the rest back");
    is_uint(b.used, 8, "d holds 8");
}

int main(void)
{
    subtest("basic", test_basic);
    subtest("oversize", test_oversize);
    subtest("pressure", test_pressure);
    subtest("reentrant", test_reentrant);
    return tt_done();
}
