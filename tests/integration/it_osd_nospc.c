/*
 * it_osd_nospc.c — disk-full test of tern-osd: the data directory lives on a 24 MiB tmpfs
 * mounted in a private mount namespace (the test re-executes itself under `unshare --mount`,
 * adding `--user --map-root-user` when not root). Blob puts fill the disk until they fail with
 * NOSPC; nothing half-written is visible, PING clears WRITABLE, existing blobs and rows still
 * read, and after BLOB_DELETE frees space writes succeed again. Driven through the synchronous
 * client library. A second case streams many large puts at once on one connection through the
 * async client until the disk fills (the OSD pauses reading under back-pressure, so a failing
 * DATA write resumes reading while more DATA frames of the same stream are queued in the
 * socket): the OSD must survive, answer NOSPC to exactly the puts that failed, leave no temp
 * file, answer row writes with success or an error (never a crash, never an acknowledged row
 * that is missing), and take writes again once space is freed.
 * Usage: it_osd_nospc PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"

#define MIB (1u << 20)

static tc_cluster_t cl;

static uint32_t ping_state(tn_osdc_sync_t *s)
{
    tn_ping_rep_t rep = {0};
    if (tn_osdc_sync_ping(s, 0, &rep) != 0)
        return 0;
    return rep.state;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

#define CONC_PUTS 16
#define CONC_LEN  (12u * MIB + 12345u) /* several DATA pieces; above the OSD's queued-data limit */

static struct {
    int done, err[CONC_PUTS];
} conc;

static void on_conc_put(void *arg, int err, const tn_osdc_reply_t *rep)
{
    (void)rep;
    conc.err[(intptr_t)arg] = err;
    conc.done++;
}

/* One wave of CONC_PUTS concurrent puts of len bytes (blob vbyte base + i, pg 2); counts
 * successes and NOSPC answers; any other answer is a failure of the test. */
static void conc_wave(tc_async_t *a, const uint8_t *data, uint64_t len, int base, int *stored,
                      int *nospc)
{
    memset(&conc, 0, sizeof(conc));
    int issued = 0;
    for (int i = 0; i < CONC_PUTS; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 2, (uint8_t)(base + i), 0);
        if (tn_osdc_blob_put(a->c, 0, &ref, data, len, on_conc_put, (void *)(intptr_t)i, NULL) == 0)
            issued++;
    }
    is_int(issued, CONC_PUTS, "every put issued");
    is_int(tc_run_until(a->loop, &conc.done, issued, 60000), 0, "every put answered");
    int other = 0;
    for (int i = 0; i < CONC_PUTS; i++) {
        if (conc.err[i] == 0)
            (*stored)++;
        else if (conc.err[i] == -ENOSPC)
            (*nospc)++;
        else {
            other++;
            fprintf(stderr, "# put %d: %s\n", base + i, tn_strerror(conc.err[i]));
        }
    }
    is_int(other, 0, "each put is stored or answered NOSPC");
}

/* Copies the OSD's log to stderr (the tmpfs holding it vanishes with the test). */
static void dump_log(void)
{
    char path[400], line[1024];
    snprintf(path, sizeof(path), "%s/osd.0.log", cl.dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL)
        fprintf(stderr, "# osd.0: %s", line);
    fclose(f);
}

static void test_concurrent(void)
{
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, 0);
    if (!ok(s != NULL, "sync client"))
        return;
    uint64_t epoch = tn_osdc_epoch(tn_osdc_sync_client(s));
    tc_async_t a;
    if (!ok(tc_async_new(&a, &cl, NULL, epoch) == 0, "async client")) {
        tn_osdc_sync_destroy(s);
        return;
    }
    uint8_t *data = malloc(CONC_LEN);
    tc_fill(data, CONC_LEN, 4242);
    int stored = 0, nospc = 0;
    for (int wave = 0; wave < 3; wave++)
        conc_wave(&a, data, CONC_LEN, 100 + wave * CONC_PUTS, &stored, &nospc);
    fprintf(stderr, "# concurrent: %d puts stored, %d answered NOSPC\n", stored, nospc);
    ok(nospc >= 1, "the disk filled up under concurrent puts");
    if (!ok(ping_state(s) != 0, "the OSD is alive"))
        dump_log();
    ok(!(ping_state(s) & TN_PROTO_STATE_WRITABLE), "PING: not WRITABLE while full");
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "%s/tmp", cl.data[0]);
    is_int(count_files(tmp), 0, "no temp file left behind");
    /* Rows while full: an error answer or a durable row, never a crash. */
    uint8_t row[4096];
    tn_row_put_rep_t res;
    int row_rc[8];
    for (int k = 0; k < 8; k++) {
        char key[32];
        snprintf(key, sizeof(key), "full%d", k);
        size_t n = tc_make_row(row, sizeof(row), 1, 2, 1, key, tn_hlc_make(1700000000000ull, 0), 1,
                               (uint8_t)k, 0, "v", data, 3000);
        row_rc[k] = tn_osdc_sync_row_put(s, 0, TN_PROTO_ROW_PUT, row, n, &res);
        if (!ok(row_rc[k] == 0 || row_rc[k] == -ENOSPC, "row put while full: stored or NOSPC"))
            fprintf(stderr, "# row put %d: %s\n", k, tn_strerror(row_rc[k]));
    }
    int rows_stored = 0;
    for (int k = 0; k < 8; k++)
        rows_stored += row_rc[k] == 0;
    fprintf(stderr, "# rows while full: %d stored, %d refused\n", rows_stored, 8 - rows_stored);
    for (int k = 0; k < 8; k++) {
        char key[32];
        snprintf(key, sizeof(key), "full%d", k);
        tn_row_t r;
        uint8_t *hold = NULL;
        int rc = tc_row_get(s, 0, 1, 2, 1, key, &r, &hold);
        free(hold);
        if (row_rc[k] == 0)
            is_int(rc, 0, "an acknowledged row reads back");
        else
            ok(rc == TN_ERR_NOT_FOUND || rc == 0, "a refused row: absent or complete");
    }
    /* Every blob is complete or absent; the stored ones read back intact. */
    int intact = 0, absent = 0, bad = 0;
    for (int i = 0; i < 3 * CONC_PUTS; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 2, (uint8_t)(100 + i), 0);
        uint8_t *got = NULL;
        size_t gl = 0;
        tn_blob_get_req_t g = {ref, 0, 0};
        int rc = tn_osdc_sync_blob_get(s, 0, &g, &got, &gl, NULL);
        if (rc == TN_ERR_NOT_FOUND)
            absent++;
        else if (rc == 0 && gl == CONC_LEN && memcmp(got, data, CONC_LEN) == 0)
            intact++;
        else
            bad++;
        free(got);
    }
    is_int(intact, stored, "every stored blob reads back intact");
    is_int(absent, 3 * CONC_PUTS - stored, "every failed blob is absent");
    is_int(bad, 0, "no damaged blob");
    /* Free the space: writes work again. */
    for (int i = 0; i < 3 * CONC_PUTS; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 2, (uint8_t)(100 + i), 0);
        int rc = tn_osdc_sync_blob_delete(s, 0, &ref);
        if (rc != 0 && rc != TN_ERR_NOT_FOUND)
            is_int(rc, 0, "delete");
    }
    int again = 0, again_nospc = 0;
    /* 16 puts of 1 MiB fit together (16 of 12 MiB cannot: each would fill a share of it) */
    conc_wave(&a, data, MIB, 200, &again, &again_nospc);
    is_int(again, CONC_PUTS, "concurrent puts succeed again after deletes");
    for (int i = 0; i < CONC_PUTS; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 2, (uint8_t)(200 + i), 0);
        int rc = tn_osdc_sync_blob_delete(s, 0, &ref);
        if (rc != 0 && rc != TN_ERR_NOT_FOUND)
            is_int(rc, 0, "delete");
    }
    size_t n = tc_make_row(row, sizeof(row), 1, 2, 1, "after-conc",
                           tn_hlc_make(1700000000002ull, 0), 1, 1, 0, "v", NULL, 0);
    is_int(tn_osdc_sync_row_put(s, 0, TN_PROTO_ROW_PUT, row, n, &res), 0,
           "row write after deletes");
    ok(ping_state(s) & TN_PROTO_STATE_WRITABLE, "WRITABLE again");
    free(data);
    tc_async_free(&a);
    tn_osdc_sync_destroy(s);
}

#define ROWS_FULL 64

static struct {
    int done, err[ROWS_FULL];
} rows;

static void on_row_put(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    (void)rep;
    (void)r;
    rows.err[(intptr_t)arg] = err;
    rows.done++;
}

/* Fills the file system with a file of the test's own (64 KiB at a time until ENOSPC): the
 * number of bytes written. */
static long long fill_disk(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    static uint8_t chunk[64 << 10];
    long long n = 0;
    for (int i = 0; i < 100000; i++) {
        if (fwrite(chunk, 1, sizeof(chunk), f) != sizeof(chunk) || fflush(f) != 0)
            break;
        n += (long long)sizeof(chunk);
    }
    fclose(f);
    return n;
}

/* Rows (SQLite) on a full disk: concurrent row puts, batched by the index writer into one
 * transaction, are each answered with success or an error, an acknowledged row reads back,
 * a refused one is absent, and once space is freed rows are written again. */
static void test_rows_full(void)
{
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, 0);
    if (!ok(s != NULL, "sync client"))
        return;
    uint64_t epoch = tn_osdc_epoch(tn_osdc_sync_client(s));
    tc_async_t a;
    if (!ok(tc_async_new(&a, &cl, NULL, epoch) == 0, "async client")) {
        tn_osdc_sync_destroy(s);
        return;
    }
    char filler[400];
    snprintf(filler, sizeof(filler), "%s/filler", cl.dir);
    long long filled = fill_disk(filler);
    fprintf(stderr, "# filler: %lld bytes\n", filled);
    ok(filled >= 0, "the disk is full");
    static uint8_t bufs[ROWS_FULL][4096];
    static uint8_t inl[3000];
    memset(&rows, 0, sizeof(rows));
    int issued = 0;
    for (int k = 0; k < ROWS_FULL; k++) {
        char key[32];
        snprintf(key, sizeof(key), "rowfull%03d", k);
        size_t n =
            tc_make_row(bufs[k], sizeof(bufs[k]), 1, 3, 1, key, tn_hlc_make(1700000000000ull, 0), 1,
                        (uint8_t)k, 0, "v", inl, sizeof(inl));
        if (n != 0 && tn_osdc_row_put(a.c, 0, TN_PROTO_ROW_PUT, bufs[k], n, on_row_put,
                                      (void *)(intptr_t)k, NULL) == 0)
            issued++;
    }
    is_int(issued, ROWS_FULL, "every row put issued");
    is_int(tc_run_until(a.loop, &rows.done, issued, 60000), 0, "every row put answered");
    if (!ok(ping_state(s) != 0, "the OSD is alive"))
        dump_log();
    int stored = 0, refused = 0, wrong = 0;
    for (int k = 0; k < ROWS_FULL; k++) {
        char key[32];
        snprintf(key, sizeof(key), "rowfull%03d", k);
        tn_row_t r;
        uint8_t *hold = NULL;
        int rc = tc_row_get(s, 0, 1, 3, 1, key, &r, &hold);
        free(hold);
        if (rows.err[k] == 0) {
            stored++;
            wrong += rc != 0; /* acknowledged: must be there */
        } else {
            refused++;
            wrong += rc != TN_ERR_NOT_FOUND && rc != 0;
            if (rows.err[k] != -ENOSPC && rows.err[k] != -EIO)
                fprintf(stderr, "# row put %d: %s\n", k, tn_strerror(rows.err[k]));
        }
    }
    fprintf(stderr, "# rows on the full disk: %d stored, %d refused\n", stored, refused);
    ok(refused > 0, "row puts on a full disk are refused");
    is_int(wrong, 0, "no acknowledged row missing, no damaged row");
    /* Space freed: rows and blobs are written again. */
    is_int(unlink(filler), 0, "remove the filler");
    uint8_t row[256];
    tn_row_put_rep_t res;
    size_t n = tc_make_row(row, sizeof(row), 1, 3, 1, "after-full",
                           tn_hlc_make(1700000000003ull, 0), 1, 1, 0, "v", NULL, 0);
    is_int(tn_osdc_sync_row_put(s, 0, TN_PROTO_ROW_PUT, row, n, &res), 0,
           "row write once space is freed");
    tn_row_t r;
    uint8_t *hold = NULL;
    is_int(tc_row_get(s, 0, 1, 3, 1, "after-full", &r, &hold), 0, "and it reads back");
    free(hold);
    tc_async_free(&a);
    tn_osdc_sync_destroy(s);
}

static void test_full(void)
{
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, 0);
    if (!ok(s != NULL, "client"))
        return;
    uint8_t row[256];
    tn_row_put_rep_t res;
    size_t n = tc_make_row(row, sizeof(row), 1, 1, 1, "before", tn_hlc_make(1700000000000ull, 0), 1,
                           1, 0, "v", NULL, 0);
    is_int(tn_osdc_sync_row_put(s, 0, TN_PROTO_ROW_PUT, row, n, &res), 0,
           "row before the disk fills");
    uint8_t *data = malloc(MIB);
    int stored = 0, st = 0, i;
    for (i = 0; i < 40; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 1, (uint8_t)i, 0);
        tc_fill(data, MIB, (uint32_t)i);
        st = tn_osdc_sync_blob_put(s, 0, &ref, data, MIB);
        if (st != 0)
            break;
        stored++;
    }
    fprintf(stderr, "# %d blobs of 1 MiB stored before the disk was full\n", stored);
    ok(stored > 5 && stored <= 24, "the disk filled up");
    is_int(st, -ENOSPC, "the failing put answers NOSPC");
    tn_blobref_t failed;
    tc_ref(&failed, 1, 1, (uint8_t)i, 0);
    tn_blob_stat_rep_t bs = {1, 0};
    is_int(tn_osdc_sync_blob_stat(s, 0, &failed, &bs), 0, "stat the failed blob");
    is_int(bs.exists, 0, "nothing half-visible");
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "%s/tmp", cl.data[0]);
    is_int(count_files(tmp), 0, "no temp file left behind");
    ok(!(ping_state(s) & TN_PROTO_STATE_WRITABLE), "PING: not WRITABLE while full");
    /* Reads keep working. */
    tn_blobref_t first;
    tc_ref(&first, 1, 1, 0, 0);
    uint8_t *got = NULL;
    size_t gl = 0;
    tc_fill(data, MIB, 0);
    tn_blob_get_req_t g = {first, 0, 0};
    is_int(tn_osdc_sync_blob_get(s, 0, &g, &got, &gl, NULL), 0, "read an old blob");
    ok(got && gl == MIB && memcmp(got, data, MIB) == 0, "intact");
    free(got);
    tn_row_t r;
    uint8_t *hold = NULL;
    is_int(tc_row_get(s, 0, 1, 1, 1, "before", &r, &hold), 0, "read an old row");
    free(hold);
    /* Free space, then writes succeed again. */
    for (int k = 0; k < 4; k++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 1, (uint8_t)k, 0);
        is_int(tn_osdc_sync_blob_delete(s, 0, &ref), 0, "delete a blob");
    }
    tc_fill(data, MIB, 1234);
    is_int(tn_osdc_sync_blob_put(s, 0, &failed, data, MIB), 0, "put succeeds after deletes");
    ok(ping_state(s) & TN_PROTO_STATE_WRITABLE, "WRITABLE again");
    n = tc_make_row(row, sizeof(row), 1, 1, 1, "after", tn_hlc_make(1700000000001ull, 0), 1, 1, 0,
                    "v", NULL, 0);
    is_int(tn_osdc_sync_row_put(s, 0, TN_PROTO_ROW_PUT, row, n, &res), 0,
           "row write after deletes");
    free(data);
    tn_osdc_sync_destroy(s);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    if (getenv("TC_IN_NS") == NULL) {
        setenv("TC_IN_NS", "1", 1);
        char *args[8];
        int k = 0;
        args[k++] = "unshare";
        args[k++] = "--mount";
        if (geteuid() != 0) {
            args[k++] = "--user";
            args[k++] = "--map-root-user";
        }
        args[k++] = argv[0];
        args[k++] = argv[1];
        args[k] = NULL;
        execvp("unshare", args);
        fprintf(stderr, "it_osd_nospc: cannot run unshare (util-linux) to get a private mount "
                        "namespace; install util-linux or allow user namespaces\n");
        return 1;
    }
    char base[] = "/tmp/tern-nospc.XXXXXX";
    if (mkdtemp(base) == NULL || mount("tmpfs", base, "tmpfs", 0, "size=24m") != 0) {
        perror("it_osd_nospc: mount -t tmpfs in the private namespace failed (is unshare "
               "--mount allowed here? user namespaces may be disabled)");
        rmdir(base);
        return 1;
    }
    if (tc_cluster_init(&cl, argv[1], 1, base) != 0 || tc_osd_start(&cl, 0, 1) != 0) {
        fprintf(stderr, "cannot start the OSD\n");
        umount(base);
        return 1;
    }
    subtest("concurrent puts fill the disk", test_concurrent);
    subtest("rows on a full disk", test_rows_full);
    subtest("disk full", test_full);
    int rc = tt_done();
    tc_osd_stop(&cl, 0, SIGKILL);
    if (umount2(base, MNT_DETACH) == 0)
        rmdir(base);
    return rc;
}
