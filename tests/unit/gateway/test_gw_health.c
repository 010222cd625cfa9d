/* test_gw_health.c — the /health/ready rule (gw_health_judge): which sets of answering OSDs
 * make a gateway ready. */
#include <string.h>
#include "gw_health.h"
#include "test.h"

/* 3 hosts x 2 OSDs (host h holds OSDs 2h and 2h+1), pools data (by host, 3/2/2) and scratch
 * (by OSD, size 3, quorums w and r). */
static pl_map_t *make_map(uint8_t w, uint8_t r)
{
    pl_map_t *m = pl_map_create();
    const char *hosts[] = {"a", "b", "c"};
    for (int h = 0; h < 3; h++)
        pl_map_add_host(m, hosts[h]);
    for (int i = 0; i < 6; i++)
        pl_map_add_osd(m, i, i / 2, PL_WEIGHT_ONE, "127.0.0.1:1");
    pl_map_add_pool(m, 1, "data", 8, 3, 2, 2, PL_FD_HOST);
    pl_map_add_pool(m, 2, "scratch", 8, 3, w, r, PL_FD_OSD);
    m->epoch = 7;
    return m;
}

static int judge(const pl_map_t *m, const char *up, char *why)
{
    uint8_t a[6];
    for (int i = 0; i < 6; i++)
        a[i] = up[i] == '1';
    return gw_health_judge(m, a, why, 256);
}

static void test_by_host(void)
{
    pl_map_t *m = make_map(2, 2);
    char why[256];
    is_int(judge(m, "111111", why), 1, "everything answers: ready");
    is_str(why, "epoch 7, 6/6 OSDs answering on 3 hosts", "ready reason");
    is_int(judge(m, "001111", why), 1, "one host down: ready (quorum 2 of 3 hosts)");
    is_int(judge(m, "101010", why), 1, "one OSD per host: ready");
    is_int(judge(m, "100010", why), 1, "two hosts with one OSD each: ready");
    is_int(judge(m, "110000", why), 0, "two hosts down: not ready");
    ok(strstr(why, "pool data needs 2 hosts") != NULL, "reason names the pool and the need");
    ok(strstr(why, "2/6 OSDs answering") != NULL, "reason counts answering OSDs");
    is_int(judge(m, "000000", why), 0, "nothing answers: not ready");
    pl_map_destroy(m);
}

static void test_out_and_by_osd(void)
{
    pl_map_t *m = make_map(3, 1);
    char why[256];
    is_int(judge(m, "111111", why), 1, "all up");
    /* scratch (by OSD) needs 3 answering OSDs; two hosts with one OSD each give only 2 */
    is_int(judge(m, "100010", why), 0, "by-OSD pool with write quorum 3: 2 OSDs are too few");
    ok(strstr(why, "pool scratch needs 3 OSDs") != NULL, "reason names the by-OSD pool");
    is_int(judge(m, "110010", why), 1, "three OSDs on two hosts: ready");
    /* an OSD that is out does not count, even when it answers */
    pl_map_set_osd_in(m, 0, 0);
    pl_map_set_osd_in(m, 1, 0);
    is_int(judge(m, "110010", why), 0, "answering OSDs that are out do not count");
    ok(strstr(why, "/4 OSDs answering") != NULL, "out OSDs are not in the total");
    pl_map_destroy(m);
}

int main(void)
{
    subtest("by_host", test_by_host);
    subtest("out_and_by_osd", test_out_and_by_osd);
    return tt_done();
}
