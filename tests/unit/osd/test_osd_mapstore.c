/*
 * test_osd_mapstore.c — the map store's admission state (DESIGN rule 4, osd_mapstore.h): an OSD
 * whose map entry records no incarnation is unclaimed, one that records this data directory's
 * is admitted, one that records another (a replaced or wiped disk) is not admitted, and each
 * adopted map recomputes it. Also that MAP_OFFER persistence keeps working with it.
 */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "osd_mapstore.h"

static pl_map_t *map_at(uint64_t epoch, uint64_t inc0, int with0)
{
    pl_map_t *m = pl_map_create();
    int h = pl_map_add_host(m, "h0");
    if (with0)
        pl_map_add_osd(m, 0, h, PL_WEIGHT_ONE, "127.0.0.1:1");
    pl_map_add_osd(m, 1, h, PL_WEIGHT_ONE, "127.0.0.1:2");
    pl_map_add_pool(m, 1, "data", 8, 1, 1, 1, PL_FD_OSD);
    if (with0)
        pl_map_set_osd_incarnation(m, 0, inc0);
    m->epoch = epoch;
    return m;
}

static int offer(osd_mapstore_t *ms, const pl_map_t *m)
{
    uint8_t buf[65536];
    size_t len = 0;
    if (pl_map_encode(m, buf, sizeof(buf), &len) != 0)
        return -1;
    uint64_t ep, h;
    int adopted = 0;
    int rc = osd_ms_offer(ms, 0, 0, buf, len, &ep, &h, &adopted);
    return rc == 0 && adopted ? 0 : -1;
}

static void test_admission(void)
{
    char dir[] = "/tmp/tern-ms-XXXXXX";
    ok(mkdtemp(dir) != NULL, "tmp dir");
    pl_map_t *m1 = map_at(1, 0, 1);
    osd_mapstore_t *ms = NULL;
    char why[256];
    ok(osd_ms_open(dir, m1, &ms, why, sizeof(why)) == 0, "open");
    is_int(osd_ms_admission(ms), OSD_MS_UNCLAIMED, "before set_self: unclaimed");
    osd_ms_set_self(ms, 0, 0xabc);
    is_int(osd_ms_admission(ms), OSD_MS_UNCLAIMED, "incarnation 0 in the map: unclaimed");

    pl_map_t *m2 = map_at(2, 0xabc, 1);
    ok(offer(ms, m2) == 0, "epoch 2 adopted");
    is_int(osd_ms_admission(ms), OSD_MS_ADMITTED, "the map records ours: admitted");

    pl_map_t *m3 = map_at(3, 0xdef, 1);
    ok(offer(ms, m3) == 0, "epoch 3 adopted");
    is_int(osd_ms_admission(ms), OSD_MS_NOT_ADMITTED, "another incarnation: not admitted");

    pl_map_t *m4 = map_at(4, 0xabc, 1);
    ok(offer(ms, m4) == 0, "epoch 4 adopted");
    is_int(osd_ms_admission(ms), OSD_MS_ADMITTED, "recorded again (osd replace): admitted");

    pl_map_t *m5 = map_at(5, 0, 0);
    ok(offer(ms, m5) == 0, "epoch 5 adopted");
    is_int(osd_ms_admission(ms), OSD_MS_UNCLAIMED, "not in the map: unclaimed");
    osd_ms_close(ms);

    /* a restart with the persisted map of epoch 3 (another incarnation) starts refused */
    ms = NULL;
    pl_map_t *p3 = map_at(3, 0xdef, 1);
    char path[128];
    snprintf(path, sizeof(path), "%s/map.current", dir);
    unlink(path);
    ok(osd_ms_open(dir, p3, &ms, why, sizeof(why)) == 0, "reopen");
    osd_ms_set_self(ms, 0, 0xabc);
    is_int(osd_ms_admission(ms), OSD_MS_NOT_ADMITTED, "set_self on an existing map decides");
    osd_ms_close(ms);
    unlink(path);
    rmdir(dir);
    pl_map_destroy(m1);
    pl_map_destroy(m2);
    pl_map_destroy(m3);
    pl_map_destroy(m4);
    pl_map_destroy(m5);
    pl_map_destroy(p3);
}

int main(void)
{
    subtest("admission", test_admission);
    return tt_done();
}
