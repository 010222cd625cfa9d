/*
 * it_osd_admin.c — integration test of tern-osd's map and identity handling: MAP_GET returns
 * the config's map at epoch 1; MAP_OFFER CAS 1 -> 2 persists across a restart; requests from
 * the older epoch then get STALE_EPOCH; an equal epoch with another map is CORRUPT; PROPAGATE
 * of an older map changes nothing. Identity: a restart on the same directory works, osd 1 on
 * osd 0's directory and a foreign non-empty directory are refused with exit 2 and a message;
 * a config without the id is refused. The map ops go through the synchronous client library.
 * Usage: it_osd_admin PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "placement.h"
#include "tc_osd.h"
#include "test.h"

static tc_cluster_t cl;

static pl_map_t *map_get(tn_osdc_sync_t *s, uint64_t epoch, int *err)
{
    uint8_t *enc = NULL;
    size_t len = 0;
    pl_map_t *map = NULL;
    *err = tn_osdc_sync_map_get(s, 0, epoch, &enc, &len);
    if (*err == 0)
        pl_map_decode(enc, len, &map);
    free(enc);
    return map;
}

static int map_offer(tn_osdc_sync_t *s, uint8_t mode, uint64_t base, const pl_map_t *m,
                     tn_map_offer_rep_t *rep)
{
    static uint8_t enc[1 << 16];
    size_t len = 0;
    if (pl_map_encode(m, enc, sizeof(enc), &len) != 0)
        return -1;
    tn_map_offer_req_t o = {mode, base, {(const char *)enc, len}};
    memset(rep, 0, sizeof(*rep));
    return tn_osdc_sync_map_offer(s, 0, &o, rep);
}

static void test_map(void)
{
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, -1);
    if (!ok(s != NULL, "client"))
        return;
    is_int(tc_sync_epoch(s, 0), 0, "ping");
    is_uint(tn_osdc_epoch(tn_osdc_sync_client(s)), 1, "epoch 1 from the config");
    int st;
    pl_map_t *m = map_get(s, 0, &st);
    ok(m != NULL, "MAP_GET decodes");
    if (m == NULL) {
        tn_osdc_sync_destroy(s);
        return;
    }
    is_uint(m->epoch, 1, "map epoch 1");
    is_int(m->n_osds, 2, "two OSDs");
    pl_map_destroy(map_get(s, 7, &st));
    is_int(st, TN_ERR_NOT_FOUND, "MAP_GET of an unknown epoch: NOT_FOUND");

    pl_map_t *m2 = pl_map_clone(m);
    m2->epoch = 2;
    pl_map_set_osd_weight(m2, 1, 2 * 65536);
    tn_map_offer_rep_t rep;
    is_int(map_offer(s, TN_PROTO_MAP_CAS, 5, m2, &rep), TN_ERR_STALE_EPOCH,
           "CAS with a wrong base: STALE_EPOCH");
    is_uint(rep.epoch, 1, "reply says the current epoch");
    is_int(map_offer(s, TN_PROTO_MAP_CAS, 1, m2, &rep), 0, "CAS 1 -> 2");
    is_uint(rep.epoch, 2, "epoch 2");
    is_uint(rep.hash, pl_map_hash(m2), "hash of the new map");
    is_int(map_offer(s, TN_PROTO_MAP_PROPAGATE, 0, m, &rep), 0, "PROPAGATE of older: OK");
    is_uint(rep.epoch, 2, "nothing changed");
    is_int(map_offer(s, TN_PROTO_MAP_PROPAGATE, 0, m2, &rep), 0, "PROPAGATE of same: OK");
    pl_map_t *bad = pl_map_clone(m2);
    pl_map_set_osd_weight(bad, 0, 3 * 65536);
    is_int(map_offer(s, TN_PROTO_MAP_PROPAGATE, 0, bad, &rep), TN_ERR_CORRUPT,
           "equal epoch, different map: CORRUPT");
    pl_map_t *old = map_get(s, 1, &st);
    ok(old != NULL && old->epoch == 1, "MAP_GET of the previous epoch still works");
    pl_map_destroy(old);

    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "stop");
    is_int(tc_osd_start(&cl, 0, 1), 0, "restart");
    tn_osdc_set_epoch(tn_osdc_sync_client(s), 1);
    tn_row_t row;
    uint8_t *hold = NULL;
    is_int(tc_row_get(s, 0, 1, 1, 1, "k", &row, &hold), TN_ERR_STALE_EPOCH,
           "request from epoch 1 after restart: STALE_EPOCH");
    is_int(tc_sync_epoch(s, 0), 0, "ping");
    is_uint(tn_osdc_epoch(tn_osdc_sync_client(s)), 2, "epoch 2 persisted across the restart");
    pl_map_t *m3 = map_get(s, 0, &st);
    ok(m3 != NULL && pl_map_hash(m3) == pl_map_hash(m2), "the adopted map itself persisted");
    pl_map_destroy(m3);
    is_int(tc_row_get(s, 0, 1, 1, 1, "k", &row, &hold), TN_ERR_NOT_FOUND, "current epoch: served");
    tn_osdc_sync_destroy(s);
    pl_map_destroy(m);
    pl_map_destroy(m2);
    pl_map_destroy(bad);
}

static void test_identity(void)
{
    char out[4096];
    /* osd 1 pointed at osd 0's directory. */
    char conf2[400];
    snprintf(conf2, sizeof(conf2), "%s/swapped.yaml", cl.dir);
    char cmd[2000];
    snprintf(cmd, sizeof(cmd), "sed 's#data: %s/osd.1#data: %s/osd.0#' %s > %s", cl.dir, cl.dir,
             cl.conf, conf2);
    is_int(system(cmd), 0, "write swapped config");
    is_int(tc_osd_run_fail(&cl, 1, conf2, out, sizeof(out)), 2, "osd 1 on osd 0's dir: exit 2");
    has_str(out, "belongs to osd 0", "message names the owner");
    has_str(out, "not to osd 1", "and the OSD that tried");
    has_str(out, "0123456789abcdef0123456789abcdef", "and the cluster");
    /* A non-empty directory without identity. */
    snprintf(cmd, sizeof(cmd), "mkdir -p %s/osd.1 && echo x > %s/osd.1/stranger", cl.dir, cl.dir);
    is_int(system(cmd), 0, "make a foreign directory");
    is_int(tc_osd_run_fail(&cl, 1, NULL, out, sizeof(out)), 2, "foreign directory: exit 2");
    has_str(out, "is not empty", "message says why");
    /* Unknown id. */
    is_int(tc_osd_run_fail(&cl, 3, NULL, out, sizeof(out)), 2, "unknown id: exit 2");
    has_str(out, "no osd 3 in", "message");
    /* Another cluster's directory. */
    snprintf(conf2, sizeof(conf2), "%s/other.yaml", cl.dir);
    snprintf(cmd, sizeof(cmd),
             "sed 's#0123456789abcdef0123456789abcdef#ffffffffffffffff0123456789abcdef#' %s > %s",
             cl.conf, conf2);
    is_int(system(cmd), 0, "write other-cluster config");
    is_int(tc_osd_run_fail(&cl, 0, conf2, out, sizeof(out)), 2, "other cluster: exit 2");
    has_str(out, "of cluster 0123456789abcdef0123456789abcdef", "names the owning cluster");
    /* A bad config: conf's own message, exit 2. */
    snprintf(conf2, sizeof(conf2), "%s/bad.yaml", cl.dir);
    FILE *f = fopen(conf2, "w");
    fputs("cluster: {name: x}\n", f);
    fclose(f);
    is_int(tc_osd_run_fail(&cl, 0, conf2, out, sizeof(out)), 2, "bad config: exit 2");
    has_str(out, "bad.yaml:", "conf's error names the file");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    if (tc_cluster_init(&cl, argv[1], 2, NULL) != 0 || tc_osd_start(&cl, 0, 1) != 0) {
        fprintf(stderr, "cannot start the OSD\n");
        return 1;
    }
    subtest("map", test_map);
    subtest("identity", test_identity);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
