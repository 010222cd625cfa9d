/*
 * it_heal_blob_holder.c — DESIGN.md rule 3 for blob writes (docs/ARCHITECTURE.md, "Epoch
 * checks"): three tern-osd processes (pools of size 1, so every PG has exactly one holder),
 * driven through the client library and raw frames.
 *   - a blob put at the OSDs' epoch to an OSD that does not hold the blob's PG is refused with
 *     STALE_EPOCH and leaves no file (the orphan no garbage collection pass would visit);
 *   - the holder takes it;
 *   - a put whose stream began while its OSD held the PG and whose END arrives after the OSD
 *     adopted a map that gave the PG away is refused at END, and no file appears;
 *   - a put from an older epoch is refused; the new holder takes the blob at the new epoch.
 * Usage: it_heal_blob_holder PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "conf_map.h"
#include "placement.h"
#include "tc_osd.h"
#include "test.h"
#include "tn_crc.h"
#include "tn_wire.h"

#define NOSD 3

static tc_cluster_t cl;
static tn_osdc_sync_t *s;
static uint32_t g_data;

/* The single holder of (pool, pg) under map m. */
static int32_t holder(const pl_map_t *m, uint32_t pool, uint32_t pg)
{
    void *work = malloc(pl_work_size(m) + 8);
    int32_t o[PL_MAX_SIZE];
    const pl_pool_t *p = pl_map_find_pool(m, pool);
    int n = p != NULL ? pl_pg_osds(m, p, pg, o, PL_MAX_SIZE, work) : -1;
    free(work);
    return n >= 1 ? o[0] : -1;
}

static int stat_exists(int32_t osd, const tn_blobref_t *ref)
{
    tn_blob_stat_rep_t st = {0};
    if (tn_osdc_sync_blob_stat(s, osd, ref, &st) != 0)
        return -1;
    return st.exists;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_holders(void)
{
    uint8_t *enc = NULL;
    size_t len = 0;
    pl_map_t *m = NULL;
    is_int(tn_osdc_sync_map_get(s, 0, 0, &enc, &len), 0, "MAP_GET");
    is_int(pl_map_decode(enc, len, &m), 0, "decode the map");
    free(enc);
    if (m == NULL)
        return;
    /* a PG of the data pool held by osd.0 */
    uint32_t pg = 0;
    while (pg < 8 && holder(m, g_data, pg) != 0)
        pg++;
    if (!ok(pg < 8, "a data PG held by osd.0")) {
        pl_map_destroy(m);
        return;
    }
    static uint8_t data[300 << 10];
    tc_fill(data, sizeof data, 7);
    tn_blobref_t ref;
    tc_ref(&ref, g_data, pg, 0x51, 0);
    uint64_t nh0 = tc_stat(s, 1, "srv.blob_not_holder");
    is_int(tn_osdc_sync_blob_put(s, 1, &ref, data, sizeof data), TN_ERR_STALE_EPOCH,
           "a put to an OSD that does not hold the PG: STALE_EPOCH (update your map)");
    is_int(stat_exists(1, &ref), 0, "no file on the non-holder");
    is_uint(tc_stat(s, 1, "srv.blob_not_holder"), nh0 + 1, "srv.blob_not_holder counts it");
    is_int(tn_osdc_sync_blob_put(s, 0, &ref, data, sizeof data), 0, "the holder takes it");
    is_int(stat_exists(0, &ref), 1, "stored on the holder");

    /* a stream begun under epoch 1 on the holder; the PG moves away before its END */
    tn_blobref_t late;
    tc_ref(&late, g_data, pg, 0x52, 0);
    tc_raw_t raw;
    is_int(tc_raw_connect(&raw, cl.port[0], 1), 0, "raw connection to osd.0 at epoch 1");
    uint8_t b[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof b);
    tn_blob_put_begin_t bg = {late, sizeof data};
    tn_proto_enc_blob_put_begin(&w, &bg);
    is_int(tc_raw_send(&raw, TN_OP_BLOB_PUT_BEGIN, 9, b, (size_t)(w.p - b), 0), 0, "BEGIN");
    uint8_t *frame = malloc(TN_PROTO_PUT_DATA_PREFIX + sizeof data);
    tn_wire_w_init(&w, frame, TN_PROTO_PUT_DATA_PREFIX);
    tn_proto_enc_blob_put_data_prefix(&w, 0, (uint32_t)sizeof data);
    memcpy(frame + TN_PROTO_PUT_DATA_PREFIX, data, sizeof data);
    is_int(
        tc_raw_send(&raw, TN_OP_BLOB_PUT_DATA, 9, frame, TN_PROTO_PUT_DATA_PREFIX + sizeof data, 0),
        0, "DATA");
    free(frame);
    nap_ms(300); /* BEGIN and DATA are taken (the check of BEGIN passed at epoch 1) */

    pl_map_set_osd_in(m, 0, 0);
    is_int(pl_map_rebalance(m), 0, "osd.0 out");
    m->epoch = 2;
    int32_t new_holder = holder(m, g_data, pg);
    ok(new_holder > 0, "the PG has a new holder at epoch 2");
    pl_map_encode(m, NULL, 0, &len);
    enc = malloc(len);
    is_int(pl_map_encode(m, enc, len, &len), 0, "encode epoch 2");
    tn_map_offer_req_t off = {TN_PROTO_MAP_CAS, 1, {(const char *)enc, len}};
    int rc = 0;
    for (int i = 0; i < NOSD; i++) {
        tn_map_offer_rep_t rep;
        tn_osdc_set_epoch(tn_osdc_sync_client(s), 1);
        rc |= tn_osdc_sync_map_offer(s, i, &off, &rep);
    }
    is_int(rc, 0, "CAS 1 -> 2 on every OSD");
    free(enc);
    tn_osdc_set_epoch(tn_osdc_sync_client(s), 2);

    tn_wire_w_init(&w, b, sizeof b);
    tn_blob_put_end_t e = {tn_crc32c(0, data, sizeof data)};
    tn_proto_enc_blob_put_end(&w, &e);
    is_int(tc_raw_send(&raw, TN_OP_BLOB_PUT_END, 9, b, (size_t)(w.p - b), 0), 0, "END");
    tc_reply_t r;
    int got = tc_raw_wait(&raw, 9, &r);
    is_int(got, 0, "END answered");
    if (got == 0) {
        is_int(r.status, 7, "END after the PG moved away: STALE_EPOCH");
        tc_reply_free(&r);
    }
    is_int(stat_exists(0, &late), 0, "no file of the late put on the former holder");

    /* an older epoch is refused; the new holder takes the blob at the new epoch */
    is_int(tc_raw_blob_put(&raw, 10, &late, data, sizeof data, 64 << 10, 0), 7,
           "a put from epoch 1 to an OSD at epoch 2: STALE_EPOCH");
    tc_raw_close(&raw);
    is_int(tn_osdc_sync_blob_put(s, 0, &late, data, sizeof data), TN_ERR_STALE_EPOCH,
           "epoch 2: the former holder refuses the PG");
    is_int(tn_osdc_sync_blob_put(s, new_holder, &late, data, sizeof data), 0,
           "epoch 2: the new holder takes it");
    is_int(stat_exists(new_holder, &late), 1, "stored on the new holder");
    pl_map_destroy(m);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    g_data = conf_pool_id("data");
    if (tc_cluster_init(&cl, argv[1], NOSD, NULL) != 0) {
        fprintf(stderr, "cluster init failed\n");
        return 1;
    }
    for (int i = 0; i < NOSD; i++)
        if (tc_osd_start(&cl, i, 1) != 0) {
            fprintf(stderr, "osd.%d did not start\n", i);
            return 1;
        }
    s = tc_sync_new(&cl, NULL, 0);
    if (s == NULL)
        return 1;
    subtest("blob puts only on holders", test_holders);
    tn_osdc_sync_destroy(s);
    return tt_done();
}
