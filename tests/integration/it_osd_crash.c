/*
 * it_osd_crash.c — crash test of tern-osd: two child writers stream row PUTs (pipelined) and
 * blob puts and record every acknowledged one; the OSD is killed with SIGKILL mid-stream and
 * restarted; every acknowledged row and blob must read back intact, and after a clean stop
 * `PRAGMA integrity_check` on index.db (opened read-only) must be ok.
 * Usage: it_osd_crash PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"
#include "tn_wire.h"

#define WINDOW  32
#define HLC(ms) tn_hlc_make(1700000000000ull + (ms), 0)

static tc_cluster_t cl;

static size_t blob_len_of(int i)
{
    return (size_t)(1000 + (i * 37813) % 400000);
}

/* Child: pipelined row PUTs in windows; appends "i\n" per acknowledged row to path. */
static void row_writer(const char *path)
{
    FILE *f = fopen(path, "w");
    tc_conn_t c;
    if (f == NULL || tc_connect(&c, cl.port[0]) != 0 || tc_sync_epoch(&c) != 0)
        _exit(1);
    setvbuf(f, NULL, _IONBF, 0);
    static uint8_t row[512];
    for (int base = 0;; base += WINDOW) {
        for (int i = base; i < base + WINDOW; i++) {
            char key[32], val[48];
            snprintf(key, sizeof(key), "row%06d", i);
            snprintf(val, sizeof(val), "value-of-%d", i);
            size_t n =
                tc_make_row(row, sizeof(row), 1, 4, 1, key, HLC(i), 1, (uint8_t)i, 0, val, key, 9);
            uint8_t b[600];
            tn_wire_w_t w;
            tn_wire_w_init(&w, b, sizeof(b));
            tn_row_put_req_t m = {0, {(const char *)row, n}};
            tn_proto_enc_row_put_req(&w, &m);
            if (tc_send(&c, TN_OP_ROW_PUT, (uint64_t)i + 1, b, (size_t)(w.p - b)) != 0)
                _exit(0);
        }
        for (int i = base; i < base + WINDOW; i++) {
            tc_reply_t r;
            if (tc_wait(&c, (uint64_t)i + 1, &r) != 0)
                _exit(0);
            if (r.status == 0)
                fprintf(f, "%d\n", i);
            tc_reply_free(&r);
        }
    }
}

static void blob_writer(const char *path)
{
    FILE *f = fopen(path, "w");
    tc_conn_t c;
    if (f == NULL || tc_connect(&c, cl.port[0]) != 0 || tc_sync_epoch(&c) != 0)
        _exit(1);
    setvbuf(f, NULL, _IONBF, 0);
    uint8_t *data = malloc(400000 + 1000);
    for (int i = 0;; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 5, (uint8_t)i, (uint32_t)i);
        size_t len = blob_len_of(i);
        tc_fill(data, len, (uint32_t)i);
        int st = tc_blob_put(&c, &ref, data, len, 65536, 0);
        if (st < 0)
            _exit(0);
        if (st == 0)
            fprintf(f, "%d\n", i);
    }
}

static pid_t spawn_child(void (*fn)(const char *), const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        fn(path);
        _exit(0);
    }
    return pid;
}

static int read_acks(const char *path, int *out, int cap)
{
    FILE *f = fopen(path, "r");
    int n = 0, v;
    if (f == NULL)
        return 0;
    while (n < cap && fscanf(f, "%d", &v) == 1)
        out[n++] = v;
    fclose(f);
    return n;
}

static void test_crash(void)
{
    char rows_path[400], blobs_path[400];
    snprintf(rows_path, sizeof(rows_path), "%s/acked-rows", cl.dir);
    snprintf(blobs_path, sizeof(blobs_path), "%s/acked-blobs", cl.dir);
    pid_t rw = spawn_child(row_writer, rows_path);
    pid_t bw = spawn_child(blob_writer, blobs_path);
    usleep(700 * 1000);
    is_int(tc_osd_stop(&cl, 0, SIGKILL), 128 + SIGKILL, "kill -9 mid-stream");
    int st;
    waitpid(rw, &st, 0);
    waitpid(bw, &st, 0);
    static int rows[200000], blobs[20000];
    int nr = read_acks(rows_path, rows, 200000);
    int nb = read_acks(blobs_path, blobs, 20000);
    fprintf(stderr, "# %d rows and %d blobs acknowledged before the kill\n", nr, nb);
    ok(nr > WINDOW, "rows were acknowledged before the kill");
    ok(nb > 0, "blobs were acknowledged before the kill");
    is_int(tc_osd_start(&cl, 0, 1), 0, "restart after kill -9");
    tc_conn_t c;
    is_int(tc_connect(&c, cl.port[0]), 0, "connect");
    tc_sync_epoch(&c);
    int rows_ok = 0;
    for (int k = 0; k < nr; k++) {
        char key[32], val[48];
        snprintf(key, sizeof(key), "row%06d", rows[k]);
        snprintf(val, sizeof(val), "value-of-%d", rows[k]);
        tn_row_t row;
        uint8_t *hold = NULL;
        if (tc_row_get(&c, 1, 4, 1, key, &row, &hold) == 0 && row.value_len == strlen(val) &&
            memcmp(row.value, val, row.value_len) == 0 && row.inl_len == 9)
            rows_ok++;
        free(hold);
    }
    is_int(rows_ok, nr, "every acknowledged row reads back intact");
    int blobs_ok = 0;
    uint8_t *want = malloc(401000);
    for (int k = 0; k < nb; k++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 5, (uint8_t)blobs[k], (uint32_t)blobs[k]);
        size_t len = blob_len_of(blobs[k]);
        tc_fill(want, len, (uint32_t)blobs[k]);
        uint8_t *got = NULL;
        size_t gl = 0;
        if (tc_blob_get(&c, &ref, 0, 0, &got, &gl, NULL, NULL) == 0 && gl == len &&
            memcmp(got, want, len) == 0)
            blobs_ok++;
        free(got);
    }
    free(want);
    is_int(blobs_ok, nb, "every acknowledged blob reads back intact");
    /* Unacknowledged blobs are absent or complete, never partial. */
    int partial = 0;
    for (int i = 0; i < (nb ? blobs[nb - 1] + 3 : 3); i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 5, (uint8_t)i, (uint32_t)i);
        int exists = 0;
        uint64_t l = 0;
        int s = tc_blob_stat(&c, &ref, &exists, &l);
        if (s != 0 || (exists && l != blob_len_of(i)))
            partial++;
    }
    is_int(partial, 0, "no partial blob visible");
    tc_close(&c);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "clean stop");
    char db[400];
    snprintf(db, sizeof(db), "%s/index.db", cl.data[0]);
    sqlite3 *h = NULL;
    is_int(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "open index read-only");
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, NULL);
    const char *res = NULL;
    if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
        res = (const char *)sqlite3_column_text(s, 0);
    is_str(res, "ok", "PRAGMA integrity_check");
    sqlite3_finalize(s);
    sqlite3_close(h);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    if (tc_cluster_init(&cl, argv[1], 1, NULL) != 0 || tc_osd_start(&cl, 0, 1) != 0) {
        fprintf(stderr, "cannot start the OSD\n");
        return 1;
    }
    subtest("kill -9 mid-stream", test_crash);
    return tt_done();
}
