/*
 * osd_bench.c — TEST-ONLY benchmark driver for tern-osd (built, not run by ctest): starts one
 * daemon and measures pipelined row PUTs (rows/s over several connections), streamed blob puts
 * (MB/s, 1 MiB DATA frames, each blob acknowledged when durable) and the daemon's RSS idle,
 * under load and after it.
 *   osd_bench PATH-TO-tern-osd [ROWS] [BLOB_MIB] [DIR]
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"
#include "tn_wire.h"

static tc_cluster_t cl;

static long rss_kib(const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)cl.pid[0]);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, strlen(field)) == 0)
            v = strtol(line + strlen(field) + 1, NULL, 10);
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd [ROWS] [BLOB_MIB] [DIR]\n", argv[0]);
        return 2;
    }
    int rows = argc > 2 ? atoi(argv[2]) : 50000;
    int blob_mib = argc > 3 ? atoi(argv[3]) : 256;
    if (tc_cluster_init(&cl, argv[1], 1, argc > 4 ? argv[4] : NULL) != 0 ||
        tc_osd_start(&cl, 0, 1) != 0)
        return 1;
    printf("rss idle: %ld KiB\n", rss_kib("VmRSS:"));
    enum { CONNS = 4, WINDOW = 64 };
    tc_conn_t cs[CONNS];
    for (int k = 0; k < CONNS; k++) {
        tc_connect(&cs[k], cl.port[0]);
        tc_sync_epoch(&cs[k]);
    }
    uint64_t t0 = tc_now_ms();
    int acked = 0;
    uint8_t row[512], b[600];
    for (int base = 0; base < rows; base += CONNS * WINDOW) {
        for (int k = 0; k < CONNS; k++)
            for (int i = 0; i < WINDOW; i++) {
                int id = base + k * WINDOW + i;
                char key[32];
                snprintf(key, sizeof(key), "obj/%08x", (unsigned)(id * 2654435761u));
                size_t n =
                    tc_make_row(row, sizeof(row), 1, 1, 1, key,
                                tn_hlc_make(1700000000000ull + (uint64_t)id, 0), 1, (uint8_t)id, 0,
                                "a-typical-value-of-some-60-bytes-"
                                "with-etag-and-size-and-more",
                                NULL, 0);
                tn_wire_w_t w;
                tn_wire_w_init(&w, b, sizeof(b));
                tn_row_put_req_t m = {0, {(const char *)row, n}};
                tn_proto_enc_row_put_req(&w, &m);
                tc_send(&cs[k], TN_OP_ROW_PUT, (uint64_t)id + 1, b, (size_t)(w.p - b));
            }
        for (int k = 0; k < CONNS; k++)
            for (int i = 0; i < WINDOW; i++) {
                tc_reply_t r;
                if (tc_wait(&cs[k], (uint64_t)(base + k * WINDOW + i) + 1, &r) == 0 &&
                    r.status == 0)
                    acked++;
                tc_reply_free(&r);
            }
    }
    uint64_t ms = tc_now_ms() - t0;
    printf("row puts: %d acked in %llu ms = %.0f rows/s (%d connections x %d in flight); "
           "idx.batches %llu, max batch %llu\n",
           acked, (unsigned long long)ms, ms ? acked * 1000.0 / (double)ms : 0.0, CONNS, WINDOW,
           (unsigned long long)tc_stat(&cs[0], "idx.batches"),
           (unsigned long long)tc_stat(&cs[0], "idx.max_batch"));
    printf("rss after rows: %ld KiB (peak %ld KiB)\n", rss_kib("VmRSS:"), rss_kib("VmHWM:"));
    size_t blob = 4u << 20;
    uint8_t *data = malloc(blob);
    tc_fill(data, blob, 1);
    t0 = tc_now_ms();
    int nb = blob_mib / 4, good = 0;
    for (int i = 0; i < nb; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 2, (uint32_t)i % 8, (uint8_t)i, (uint32_t)i);
        if (tc_blob_put(&cs[i % CONNS], &ref, data, blob, 1u << 20, 0) == 0)
            good++;
    }
    ms = tc_now_ms() - t0;
    printf("blob puts: %d x 4 MiB in %llu ms = %.1f MB/s (one stream at a time, each durable)\n",
           good, (unsigned long long)ms, ms ? good * 4.0 * 1048576 / 1e6 / (ms / 1000.0) : 0.0);
    printf("rss after blobs: %ld KiB (peak %ld KiB)\n", rss_kib("VmRSS:"), rss_kib("VmHWM:"));
    printf("data dir: %s\n", cl.data[0]);
    free(data);
    for (int k = 0; k < CONNS; k++)
        tc_close(&cs[k]);
    tc_osd_stop(&cl, 0, SIGTERM);
    return 0;
}
