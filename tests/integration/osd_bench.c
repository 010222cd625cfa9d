/*
 * osd_bench.c — TEST-ONLY benchmark driver for tern-osd over the client library (built, not run
 * by ctest). Starts one daemon and measures, each RUNS times (median printed):
 *   - small-row PUT rows/s through the async client with exactly N requests in flight
 *     (N = 1, 16, 64, 256; the next put is issued from each completion);
 *   - blob PUT MB/s, 4 MiB blobs, 1 and 4 in flight (each acknowledged when durable);
 *   - blob GET MB/s of those blobs, 1 and 4 in flight;
 *   - the disk's own figure on the same directory: fio sequential writes with an fsync per
 *     4 MiB if fio is installed, else dd conv=fsync of one 4 MiB file at a time (said so);
 *   - the daemon's RSS idle and at peak (/proc/PID/status VmRSS, VmHWM).
 *   osd_bench PATH-TO-tern-osd [ROWS] [BLOB_MIB] [DIR] [RUNS]
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tc_osd.h"
#include "tn_hlc.h"

#define MAX_INFLIGHT 256
#define BLOB         (4u << 20)

static tc_cluster_t cl;
static tc_async_t a;

typedef struct {
    int kind; /* 0 row put, 1 blob put, 2 blob get */
    int issued, total, done, failed, run;
} job_t;

typedef struct {
    job_t *job;
    int slot;
    uint8_t row[256];
} slot_t;

static slot_t slots[MAX_INFLIGHT];
static uint8_t *blob;

static int issue(slot_t *s);

static void finish(slot_t *s, int err)
{
    job_t *j = s->job;
    j->done++;
    if (err != 0)
        j->failed++;
    if (j->issued < j->total && issue(s) != 0)
        j->failed++, j->done++;
}

static void on_row(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    (void)rep, (void)r;
    finish(arg, err);
}

static void on_blob(void *arg, int err, const tn_osdc_reply_t *rep)
{
    (void)rep;
    finish(arg, err);
}

static void on_get(void *arg, int err, const tn_osdc_reply_t *rep, const tn_blob_get_rep_t *g)
{
    (void)g;
    if (err != 0 || !rep->more)
        finish(arg, err);
}

static int issue(slot_t *s)
{
    job_t *j = s->job;
    int id = j->issued++;
    if (j->kind == 0) {
        char key[32];
        int uid = j->run * 10000000 + id;
        snprintf(key, sizeof(key), "obj/%08x", (unsigned)((unsigned)uid * 2654435761u));
        size_t n =
            tc_make_row(s->row, sizeof(s->row), 1, (uint32_t)id % 8, 1, key,
                        tn_hlc_make(1700000000000ull + (uint64_t)uid, 0), 1, (uint8_t)id, 0,
                        "a-typical-value-of-some-60-bytes-with-etag-and-size-and-more", NULL, 0);
        return tn_osdc_row_put(a.c, 0, TN_PROTO_ROW_PUT, s->row, n, on_row, s, NULL);
    }
    tn_blobref_t ref;
    tc_ref(&ref, 2, (uint32_t)id % 8, (uint8_t)j->run, (uint32_t)id);
    if (j->kind == 1)
        return tn_osdc_blob_put(a.c, 0, &ref, blob, BLOB, on_blob, s, NULL);
    tn_blob_get_req_t g = {ref, 0, 0};
    return tn_osdc_blob_get(a.c, 0, &g, on_get, s, NULL);
}

/* Runs total operations of kind with inflight in flight: operations per second, or -1. */
static double run_job(int kind, int total, int inflight, int run)
{
    job_t j = {kind, 0, total, 0, 0, run};
    h2o_evloop_run(a.loop, 0); /* refresh the loop's clock */
    uint64_t t0 = tc_now_ms();
    for (int k = 0; k < inflight && k < total; k++) {
        slots[k].job = &j;
        slots[k].slot = k;
        if (issue(&slots[k]) != 0)
            return -1;
    }
    if (tc_run_until(a.loop, &j.done, total, 600000) != 0 || j.failed != 0) {
        fprintf(stderr, "osd_bench: %d of %d failed\n", j.failed, total);
        return -1;
    }
    uint64_t ms = tc_now_ms() - t0;
    return ms ? total * 1000.0 / (double)ms : 0.0;
}

static int cmp_double(const void *x, const void *y)
{
    double a1 = *(const double *)x, b1 = *(const double *)y;
    return a1 < b1 ? -1 : a1 > b1;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_runs(const char *what, double *v, int n, double scale, const char *unit)
{
    printf("%-34s", what);
    for (int i = 0; i < n; i++)
        printf(" %10.1f", v[i] * scale);
    printf("   median %10.1f %s\n", median(v, n) * scale, unit);
    fflush(stdout);
}

/* runs runs of one job, printed with their median (scale turns ops/s into the unit). */
static int measure(int kind, int total, int inflight, int run0, int runs, double scale,
                   const char *unit)
{
    static const char *names[] = {"row PUT", "blob PUT 4 MiB", "blob GET 4 MiB"};
    double v[9];
    for (int r = 0; r < runs; r++)
        if ((v[r] = run_job(kind, total, inflight, run0 + r)) < 0)
            return -1;
    char what[64];
    snprintf(what, sizeof(what), "%s, %d in flight (%d)", names[kind], inflight, total);
    print_runs(what, v, runs, scale, unit);
    return 0;
}

static void report_rss(pid_t pid, const char *after)
{
    printf("rss after %s: %ld KiB (peak %ld KiB)\n", after, tc_rss_kib(pid, "VmRSS:"),
           tc_rss_kib(pid, "VmHWM:"));
}

/* The disk's figure on dir: MB/s of sequential 4 MiB writes, each followed by fsync. */
static double disk_mbps(const char *dir, int mib, int use_fio)
{
    char cmd[1200];
    int n = mib / 4;
    if (use_fio)
        snprintf(cmd, sizeof(cmd),
                 "fio --name=seqfsync --directory=%s --rw=write --bs=1M --size=%dM --fsync=4 "
                 "--ioengine=sync --end_fsync=1 --output-format=terse >/dev/null 2>&1; "
                 "rm -f %s/seqfsync*",
                 dir, mib, dir);
    else
        snprintf(cmd, sizeof(cmd),
                 "for i in $(seq %d); do dd if=/dev/zero of=%s/dd.$i bs=4M count=1 "
                 "conv=fsync status=none || exit 1; done; rm -f %s/dd.*",
                 n, dir, dir);
    uint64_t t0 = tc_now_ms();
    if (system(cmd) != 0)
        return -1;
    uint64_t ms = tc_now_ms() - t0;
    return ms ? mib * 1048576.0 / 1e6 / ((double)ms / 1000) : 0.0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd [ROWS] [BLOB_MIB] [DIR] [RUNS]\n", argv[0]);
        return 2;
    }
    int rows = argc > 2 ? atoi(argv[2]) : 50000;
    int blob_mib = argc > 3 ? atoi(argv[3]) : 256;
    int runs = argc > 5 ? atoi(argv[5]) : 3;
    if (runs < 1 || runs > 9 || rows < 1 || blob_mib < 4)
        return 2;
    if (tc_cluster_init(&cl, argv[1], 1, argc > 4 ? argv[4] : NULL) != 0 ||
        tc_osd_start(&cl, 0, 1) != 0) {
        fprintf(stderr, "osd_bench: cannot start the OSD\n");
        return 1;
    }
    tn_osdc_sync_t *s = tc_sync_new(&cl, NULL, 0);
    if (s == NULL || tc_async_new(&a, &cl, NULL, tn_osdc_epoch(tn_osdc_sync_client(s))) != 0)
        return 1;
    pid_t pid = cl.pid[0];
    blob = malloc(BLOB);
    tc_fill(blob, BLOB, 1);
    sleep(1);
    long idle = tc_rss_kib(pid, "VmRSS:");
    printf("rss idle: %ld KiB\n", idle);
    double v[9];
    int ns[] = {1, 16, 64, 256};
    for (int k = 0; k < 4; k++) {
        int total = ns[k] == 1 ? (rows < 5000 ? rows : 5000) : rows;
        if (measure(0, total, ns[k], k * 10, runs, 1, "rows/s") != 0)
            return 1;
    }
    report_rss(pid, "rows");
    int nb = blob_mib / 4;
    /* Blob PUT with 1 in flight against the disk's own figure, run by run (alternating, so
     * both see the same neighbours on a shared machine). */
    int use_fio = system("command -v fio >/dev/null 2>&1") == 0;
    if (!use_fio)
        printf("fio not found (install: sudo apt-get install -y fio); measuring the disk with "
               "dd conv=fsync, one 4 MiB file per dd, instead\n");
    double disk[9], ratio[9];
    for (int r = 0; r < runs; r++) {
        if ((v[r] = run_job(1, nb, 1, 100 + r)) < 0 ||
            (disk[r] = disk_mbps(cl.dir, blob_mib, use_fio)) <= 0)
            return 1;
        v[r] *= BLOB / 1e6;
        ratio[r] = v[r] / disk[r];
    }
    print_runs("blob PUT 4 MiB, 1 in flight", v, runs, 1, "MB/s");
    print_runs(use_fio ? "disk: fio seq write, fsync/4 MiB" : "disk: dd 4 MiB conv=fsync", disk,
               runs, 1, "MB/s");
    print_runs("ratio PUT / disk (per run)", ratio, runs, 100, "%");
    if (measure(1, nb, 4, 110, runs, BLOB / 1e6, "MB/s") != 0)
        return 1;
    report_rss(pid, "blob puts");
    /* GETs read back the blobs of the PUT runs (same run ids) */
    for (int k = 0; k < 2; k++)
        if (measure(2, nb, k ? 4 : 1, 100 + k * 10, runs, BLOB / 1e6, "MB/s") != 0)
            return 1;
    report_rss(pid, "blob gets");
    tc_async_free(&a);
    tn_osdc_sync_destroy(s);
    printf("data dir: %s\n", cl.data[0]);
    free(blob);
    tc_osd_stop(&cl, 0, SIGTERM);
    return 0;
}
