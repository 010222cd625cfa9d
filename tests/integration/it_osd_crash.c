/*
 * it_osd_crash.c — crash test of tern-osd: two child writers stream row PUTs (pipelined) and
 * blob puts and record every acknowledged one; the OSD is killed with SIGKILL mid-stream and
 * restarted; every acknowledged row and blob must read back intact, and after a clean stop
 * `PRAGMA integrity_check` on index.db (opened read-only) must be ok.
 * Usage: it_osd_crash PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <errno.h>
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

#define WINDOW  32
#define HLC(ms) tn_hlc_make(1700000000000ull + (ms), 0)

static tc_cluster_t cl;

static size_t blob_len_of(int i)
{
    return (size_t)(1000 + (i * 37813) % 400000);
}

/* Row writer (child): WINDOW puts in flight; each completion records an acknowledged row in
 * the file and issues the next row from the same slot (its memory is free again once the
 * final callback runs). A transport failure (the OSD died) ends the child. */
typedef struct {
    tn_osdc_t *c;
    FILE *f;
    int next;
    uint8_t row[WINDOW][512];
} row_writer_t;

typedef struct {
    row_writer_t *w;
    int slot, i;
} row_slot_t;

static row_slot_t slots[WINDOW];

static void on_row(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r);

static int issue_row(row_slot_t *sl)
{
    row_writer_t *w = sl->w;
    char key[32], val[48];
    sl->i = w->next++;
    snprintf(key, sizeof(key), "row%06d", sl->i);
    snprintf(val, sizeof(val), "value-of-%d", sl->i);
    size_t n = tc_make_row(w->row[sl->slot], sizeof(w->row[0]), 1, 4, 1, key, HLC(sl->i), 1,
                           (uint8_t)sl->i, 0, val, key, 9);
    return tn_osdc_row_put(w->c, 0, TN_PROTO_ROW_PUT, w->row[sl->slot], n, on_row, sl, NULL);
}

static void on_row(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    row_slot_t *sl = arg;
    (void)r;
    if (err == 0)
        fprintf(sl->w->f, "%d\n", sl->i);
    else if (!rep->has_hdr)
        _exit(0); /* connection lost: the OSD was killed */
    if (issue_row(sl) != 0)
        _exit(0);
}

static void row_writer(const char *path)
{
    static row_writer_t w;
    tc_async_t a;
    w.f = fopen(path, "w");
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, 0); /* learns the epoch */
    if (w.f == NULL || s == NULL ||
        tc_async_new(&a, &cl, NULL, tn_osdc_epoch(tn_osdc_sync_client(s))) != 0)
        _exit(1);
    tn_osdc_sync_destroy(s);
    setvbuf(w.f, NULL, _IONBF, 0);
    w.c = a.c;
    for (int k = 0; k < WINDOW; k++) {
        slots[k] = (row_slot_t){&w, k, 0};
        if (issue_row(&slots[k]) != 0)
            _exit(1);
    }
    for (;;)
        h2o_evloop_run(a.loop, INT32_MAX);
}

static void blob_writer(const char *path)
{
    FILE *f = fopen(path, "w");
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, 0);
    if (f == NULL || s == NULL)
        _exit(1);
    setvbuf(f, NULL, _IONBF, 0);
    uint8_t *data = malloc(400000 + 1000);
    for (int i = 0;; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 5, (uint8_t)i, (uint32_t)i);
        size_t len = blob_len_of(i);
        tc_fill(data, len, (uint32_t)i);
        int rc = tn_osdc_sync_blob_put(s, 0, &ref, data, len);
        if (rc == -ECONNRESET || rc == -ECONNREFUSED || rc == TN_ERR_TIMEOUT)
            _exit(0);
        if (rc == 0)
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
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, 0);
    if (!ok(s != NULL, "client"))
        return;
    int rows_ok = 0;
    for (int k = 0; k < nr; k++) {
        char key[32], val[48];
        snprintf(key, sizeof(key), "row%06d", rows[k]);
        snprintf(val, sizeof(val), "value-of-%d", rows[k]);
        tn_row_t row;
        uint8_t *hold = NULL;
        if (tc_row_get(s, 0, 1, 4, 1, key, &row, &hold) == 0 && row.value_len == strlen(val) &&
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
        tn_blob_get_req_t g = {ref, 0, 0};
        if (tn_osdc_sync_blob_get(s, 0, &g, &got, &gl, NULL) == 0 && gl == len &&
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
        tn_blob_stat_rep_t bs = {0, 0};
        int rc = tn_osdc_sync_blob_stat(s, 0, &ref, &bs);
        if (rc != 0 || (bs.exists && bs.length != blob_len_of(i)))
            partial++;
    }
    is_int(partial, 0, "no partial blob visible");
    tn_osdc_sync_destroy(s);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "clean stop");
    char db[400];
    snprintf(db, sizeof(db), "%s/index.db", cl.data[0]);
    sqlite3 *h = NULL;
    is_int(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "open index read-only");
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q, NULL);
    const char *res = NULL;
    if (q != NULL && sqlite3_step(q) == SQLITE_ROW)
        res = (const char *)sqlite3_column_text(q, 0);
    is_str(res, "ok", "PRAGMA integrity_check");
    sqlite3_finalize(q);
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
