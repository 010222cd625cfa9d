/* test_gw_quota.c — the quota decision (gw_quota_admit, gateway/gw_quota.c): limits on bytes,
 * objects, both, none; exact boundaries; overflow-safe arithmetic. */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include "gw_quota.h"
#include "../test.h"

static void test_admit(void)
{
    tn_bucket_rec_t r;
    memset(&r, 0, sizeof r);
    ok(gw_quota_admit(&r, UINT64_MAX, UINT64_MAX, UINT64_MAX, 1), "no quota: always");
    r.max_bytes = 1000;
    ok(gw_quota_admit(&r, 600, 99, 400, 1), "600 + 400 = 1000 fits exactly");
    ok(!gw_quota_admit(&r, 600, 0, 401, 1), "600 + 401 > 1000");
    ok(!gw_quota_admit(&r, 0, 0, 1001, 1), "one upload over the limit");
    ok(!gw_quota_admit(&r, 2000, 0, 0, 1), "already over: even an empty object is refused");
    ok(!gw_quota_admit(&r, 10, 0, UINT64_MAX, 1), "no overflow on a huge length");
    r.max_bytes = 0;
    r.max_objects = 3;
    ok(gw_quota_admit(&r, 0, 2, 5, 1), "third object fits");
    ok(!gw_quota_admit(&r, 0, 3, 0, 1), "fourth object refused");
    ok(gw_quota_admit(&r, 0, 3, 100, 0), "a part (no object) passes the object limit");
    ok(!gw_quota_admit(&r, 0, UINT64_MAX, 0, 1), "no overflow on the count");
    r.max_bytes = 100;
    ok(!gw_quota_admit(&r, 0, 0, 101, 0), "both: bytes still apply to parts");
    ok(!gw_quota_admit(&r, 0, 3, 1, 1), "both: objects apply");
    ok(gw_quota_admit(&r, 50, 2, 50, 1), "both: at both limits exactly");
}

int main(void)
{
    subtest("admit", test_admit);
    return tt_done();
}
