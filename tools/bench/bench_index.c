/*
 * bench_index.c — tern-index-bench: throughput of the OSD index store (osd/osd_index.h) on a
 * real disk. Measures small-row PUT rows/s with group commit at several numbers of requests in
 * flight ("concurrent submitters": each completion submits the next request, as the daemon's
 * event loop would), single-row synchronous=FULL commits for comparison, LIST rows/s, and the
 * cost of objects of 1 KiB..64 KiB stored inline in rows versus as separate files written
 * tmp + fsync + rename + directory fsync (the blob store's sequence). Each figure is the
 * median of --runs runs (default 3), each on a fresh database in DIR.
 *
 *   tern-index-bench DIR [--rows N] [--runs R] [--quick] [--puts-only]
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "osd_index.h"

#define MAX_INFLIGHT 256

static const char *dir;
static unsigned runs = 3;
static unsigned seq;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

static void remove_db(const char *path)
{
    char p[4200];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

/* ---- the in-flight write engine ----------------------------------------------------------- */

typedef struct {
    osd_idx_req_t req;
    char key[32];
    uint8_t value[200];
} breq_t;

static struct {
    osd_idx_t *idx;
    unsigned total;
    size_t inl_size;
    atomic_uint next, done, errors;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} eng = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static uint8_t inline_data[1024 * 1024];

static void fill(breq_t *b, unsigned i)
{
    /* Keys in a scrambled order, as a bucket receives them. */
    uint32_t h = (uint32_t)(i * 2654435761u);
    int n = snprintf(b->key, sizeof(b->key), "obj/%08x/%u", (unsigned)h, i);
    tn_row_t *r = &b->req.row;
    memset(r, 0, sizeof(*r));
    r->pool = 1;
    r->pg = 7;
    r->ns = 42;
    r->key = (const uint8_t *)b->key;
    r->key_len = (size_t)n;
    r->ver.hlc = ((uint64_t)1700000000000 << 16) + i;
    r->ver.origin = 1;
    memcpy(r->ver.vid, &h, sizeof(h));
    memset(b->value, (int)(i & 0xFF), sizeof(b->value));
    r->value = b->value;
    r->value_len = eng.inl_size > 0 ? 64 : sizeof(b->value);
    r->inl = eng.inl_size > 0 ? inline_data : NULL;
    r->inl_len = eng.inl_size;
    tn_row_seal(r);
}

static void on_done(osd_idx_req_t *req)
{
    if (req->status != 0 || req->result != OSD_IDX_APPLIED)
        atomic_fetch_add(&eng.errors, 1);
    unsigned i = atomic_fetch_add(&eng.next, 1);
    if (i < eng.total) {
        fill(req->data, i);
        if (osd_idx_submit(eng.idx, req) != 0) {
            atomic_fetch_add(&eng.errors, 1);
            atomic_fetch_add(&eng.done, 1);
        }
    }
    if (atomic_fetch_add(&eng.done, 1) + 1 == eng.total) {
        pthread_mutex_lock(&eng.lock);
        pthread_cond_signal(&eng.cond);
        pthread_mutex_unlock(&eng.lock);
    }
}

/* Writes total rows with inflight requests outstanding into a fresh index; returns rows/s
 * (and the average batch size in *avg_batch), or -1. Keeps the database if keep != NULL. */
static double run_puts(unsigned total, unsigned inflight, unsigned group_max, size_t inl_size,
                       double *avg_batch, char *keep, size_t keep_size)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/bench-index-%d-%u.db", dir, (int)getpid(), ++seq);
    osd_idx_opts_t opts = {.group_commit_max = group_max};
    if (osd_idx_open(path, &opts, &eng.idx) != 0) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    static breq_t reqs[MAX_INFLIGHT];
    eng.total = total;
    eng.inl_size = inl_size;
    atomic_store(&eng.next, 0);
    atomic_store(&eng.done, 0);
    atomic_store(&eng.errors, 0);
    if (inflight > total)
        inflight = total;
    double t0 = now_s();
    for (unsigned k = 0; k < inflight; k++) {
        unsigned i = atomic_fetch_add(&eng.next, 1);
        fill(&reqs[k], i);
        reqs[k].req.op = OSD_IDX_PUT;
        reqs[k].req.cb = on_done;
        reqs[k].req.data = &reqs[k];
        if (osd_idx_submit(eng.idx, &reqs[k].req) != 0)
            return -1;
    }
    pthread_mutex_lock(&eng.lock);
    while (atomic_load(&eng.done) < total)
        pthread_cond_wait(&eng.cond, &eng.lock);
    pthread_mutex_unlock(&eng.lock);
    double dt = now_s() - t0;
    osd_idx_stats_t st;
    osd_idx_stats(eng.idx, &st);
    if (avg_batch != NULL)
        *avg_batch = st.batches ? (double)st.batched_reqs / (double)st.batches : 0;
    osd_idx_close(eng.idx);
    if (atomic_load(&eng.errors) != 0) {
        fprintf(stderr, "%u write errors\n", atomic_load(&eng.errors));
        return -1;
    }
    if (keep != NULL)
        snprintf(keep, keep_size, "%s", path);
    else
        remove_db(path);
    return total / dt;
}

static void bench_puts(const char *label, unsigned total, unsigned inflight, unsigned group_max)
{
    double v[16], batch = 0;
    for (unsigned r = 0; r < runs; r++)
        if ((v[r] = run_puts(total, inflight, group_max, 0, &batch, NULL, 0)) < 0)
            exit(1);
    printf("%-44s %10.0f rows/s  (avg batch %.1f, %u rows, median of %u)\n", label, median(v, runs),
           batch, total, runs);
    fflush(stdout);
}

/* ---- LIST --------------------------------------------------------------------------------- */

static int count_row(void *arg, const tn_row_t *r)
{
    (void)r;
    (*(size_t *)arg)++;
    return 0;
}

static int last_key(void *arg, const tn_row_t *r)
{
    osd_idx_cursor_t *c = arg;
    c->key_len = r->key_len;
    memcpy(c->key, r->key, r->key_len);
    return 0;
}

static void bench_list(unsigned total)
{
    char path[4096];
    if (run_puts(total, 64, 0, 0, NULL, path, sizeof(path)) < 0)
        exit(1);
    osd_idx_t *idx;
    osd_idx_reader_t *rd;
    if (osd_idx_open(path, NULL, &idx) != 0 || osd_idx_reader_open(idx, &rd) != 0)
        exit(1);
    double sv[16], pv[16];
    for (unsigned r = 0; r < runs; r++) {
        /* Full scan in pages of 1000, each page starting after the previous page's last key. */
        double t0 = now_s();
        osd_idx_cursor_t c = {0};
        int more = 1;
        while (more)
            if (osd_idx_list(rd, 1, 7, 42, NULL, 0, c.key_len ? c.key : NULL, c.key_len, 1000,
                             last_key, &c, &more) != 0)
                exit(1);
        sv[r] = (double)total / (now_s() - t0);
        /* Prefix listings: 256 prefixes "obj/xx", ~total/256 rows each (at most 1000). */
        t0 = now_s();
        size_t got = 0;
        for (unsigned p = 0; p < 256; p++) {
            char pre[8];
            snprintf(pre, sizeof(pre), "obj/%02x", p);
            int m;
            if (osd_idx_list(rd, 1, 7, 42, pre, 6, NULL, 0, 1000, count_row, &got, &m) != 0)
                exit(1);
        }
        pv[r] = (double)got / (now_s() - t0);
    }
    printf("%-44s %10.0f rows/s  (%u rows, pages of 1000, median of %u)\n",
           "LIST full scan, paged by marker", median(sv, runs), total, runs);
    printf("%-44s %10.0f rows/s  (256 prefixes, median of %u)\n", "LIST by prefix",
           median(pv, runs), runs);
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
    remove_db(path);
}

/* ---- inline rows vs files ----------------------------------------------------------------- */

typedef struct {
    unsigned from, to;
    size_t size;
    const char *fdir;
    int dfd;
    int err;
} file_job_t;

static void *file_worker(void *arg)
{
    file_job_t *j = arg;
    char tmp[4200], fin[4200];
    for (unsigned i = j->from; i < j->to; i++) {
        snprintf(tmp, sizeof(tmp), "%s/%u.tmp", j->fdir, i);
        snprintf(fin, sizeof(fin), "%s/%u.blob", j->fdir, i);
        int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, inline_data, j->size) != (ssize_t)j->size || fsync(fd) != 0 ||
            close(fd) != 0 || rename(tmp, fin) != 0 || fsync(j->dfd) != 0) {
            j->err = errno ? errno : EIO;
            return NULL;
        }
    }
    return NULL;
}

/* Objects/s writing n files of size bytes with `threads` threads. */
static double run_files(unsigned n, size_t size, unsigned threads)
{
    char fdir[4096];
    snprintf(fdir, sizeof(fdir), "%s/bench-files-%d-%u", dir, (int)getpid(), ++seq);
    if (mkdir(fdir, 0755) != 0)
        return -1;
    int dfd = open(fdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    pthread_t th[64];
    file_job_t jobs[64];
    double t0 = now_s();
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (file_job_t){n * t / threads, n * (t + 1) / threads, size, fdir, dfd, 0};
        pthread_create(&th[t], NULL, file_worker, &jobs[t]);
    }
    int err = 0;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        err |= jobs[t].err;
    }
    double dt = now_s() - t0;
    close(dfd);
    char p[4300];
    for (unsigned i = 0; i < n; i++) {
        snprintf(p, sizeof(p), "%s/%u.blob", fdir, i);
        unlink(p);
        snprintf(p, sizeof(p), "%s/%u.tmp", fdir, i);
        unlink(p);
    }
    rmdir(fdir);
    return err ? -1 : n / dt;
}

static void bench_inline(unsigned n_rows, unsigned n_files)
{
    static const size_t sizes[] = {1024, 4096, 16384, 65536};
    printf("\n%-8s %16s %12s %16s %16s\n", "size", "inline rows/s", "inline MB/s",
           "files/s (1 thr)", "files/s (16 thr)");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        double a[16], f1[16], f16[16];
        for (unsigned r = 0; r < runs; r++) {
            a[r] = run_puts(n_rows, 64, 0, sizes[s], NULL, NULL, 0);
            f1[r] = run_files(n_files, sizes[s], 1);
            f16[r] = run_files(n_files, sizes[s], 16);
            if (a[r] < 0 || f1[r] < 0 || f16[r] < 0)
                exit(1);
        }
        double ma = median(a, runs);
        printf("%-8zu %16.0f %12.1f %16.0f %16.0f\n", sizes[s], ma, ma * (double)sizes[s] / 1e6,
               median(f1, runs), median(f16, runs));
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    unsigned rows = 50000, quick = 0, puts_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--puts-only") == 0)
            puts_only = 1;
        else if (argv[i][0] != '-' && dir == NULL)
            dir = argv[i];
        else {
            fprintf(stderr, "usage: %s DIR [--rows N] [--runs R] [--quick] [--puts-only]\n",
                    argv[0]);
            return 2;
        }
    }
    if (dir == NULL || runs == 0 || runs > 15 || rows < 100) {
        fprintf(stderr, "usage: %s DIR [--rows N] [--runs R] [--quick] [--puts-only]\n", argv[0]);
        return 2;
    }
    if (quick)
        rows /= 10;
    for (size_t i = 0; i < sizeof(inline_data); i++)
        inline_data[i] = (uint8_t)(i * 31 + 7);
    printf("tern-index-bench: dir=%s rows=%u runs=%u (median reported)\n\n", dir, rows, runs);
    unsigned single = rows / 25 < 2000 ? rows / 25 : 2000;
    bench_puts("PUT, synchronous=FULL, 1 row per commit", single, 1, 1);
    bench_puts("PUT, 64 in flight, no group commit (max 1)", single, 64, 1);
    bench_puts("PUT, group commit, 1 in flight", single, 1, 0);
    bench_puts("PUT, group commit, 16 in flight", rows, 16, 0);
    bench_puts("PUT, group commit, 64 in flight", rows, 64, 0);
    bench_puts("PUT, group commit, 256 in flight", rows, 256, 0);
    if (puts_only)
        return 0;
    bench_list(rows);
    bench_inline(rows / 10, quick ? 100 : 500);
    return 0;
}
