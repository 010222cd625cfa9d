/*
 * bench_crc.c — tern-crc-bench: throughput of tern's checksums (tn_crc.h) on one core.
 * Each function runs over a 64 MiB buffer 5 times; the median is printed in MB/s (10^6 bytes
 * per second). Also times the combine functions (ns per call at a 5 GiB length).
 *
 *   tern-crc-bench [MiB]     (default 64)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tn_crc.h"

#define RUNS 5

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

static volatile uint64_t sink; /* keeps results alive */

typedef uint64_t (*crc_fn)(const uint8_t *buf, size_t len);

static uint64_t run_crc32c(const uint8_t *b, size_t n)
{
    return tn_crc32c(0, b, n);
}

static uint64_t run_crc32(const uint8_t *b, size_t n)
{
    return tn_crc32(0, b, n);
}

static uint64_t run_crc64(const uint8_t *b, size_t n)
{
    return tn_crc64nvme(0, b, n);
}

static uint64_t run_crc64_table(const uint8_t *b, size_t n)
{
    return tn__crc64nvme_table(0, b, n);
}

static uint64_t run_crc64_clmul(const uint8_t *b, size_t n)
{
    return tn__crc64nvme_clmul(0, b, n);
}

static void bench(const char *name, crc_fn fn, const uint8_t *buf, size_t len)
{
    double mbs[RUNS];
    for (int i = 0; i < RUNS; i++) {
        double t0 = now_s();
        sink ^= fn(buf, len);
        double dt = now_s() - t0;
        mbs[i] = (double)len / 1e6 / (dt > 0 ? dt : 1e-9);
    }
    qsort(mbs, RUNS, sizeof(double), cmp_double);
    printf("%-28s %10.0f MB/s  (min %.0f, max %.0f)\n", name, mbs[RUNS / 2], mbs[0], mbs[RUNS - 1]);
}

static void bench_combine(void)
{
    const int n = 100000;
    const uint64_t len2 = 5ull << 30;
    double t0 = now_s();
    uint32_t c = 1;
    for (int i = 0; i < n; i++)
        c = tn_crc32c_combine(c, (uint32_t)i, len2);
    double t1 = now_s();
    uint64_t d = 1;
    for (int i = 0; i < n; i++)
        d = tn_crc64nvme_combine(d, (uint64_t)i, len2);
    double t2 = now_s();
    sink ^= c ^ d;
    printf("%-28s %10.0f ns/call\n", "crc32c_combine (5 GiB)", (t1 - t0) / n * 1e9);
    printf("%-28s %10.0f ns/call\n", "crc64nvme_combine (5 GiB)", (t2 - t1) / n * 1e9);
}

int main(int argc, char **argv)
{
    size_t mib = 64;
    if (argc > 1) {
        char *end;
        unsigned long v = strtoul(argv[1], &end, 10);
        if (*end != '\0' || v == 0 || v > 4096) {
            fprintf(stderr, "usage: %s [MiB 1..4096]\n", argv[0]);
            return 2;
        }
        mib = v;
    }
    size_t len = mib << 20;
    uint8_t *buf = malloc(len);
    if (buf == NULL) {
        fprintf(stderr, "cannot allocate %zu MiB\n", mib);
        return 1;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    printf("buffer %zu MiB, median of %d runs, one thread\n", mib, RUNS);
    bench("tn_crc32c (ISA-L)", run_crc32c, buf, len);
    bench("tn_crc32 (ISA-L gzip_refl)", run_crc32, buf, len);
    bench("tn_crc64nvme (dispatch)", run_crc64, buf, len);
    bench("tn_crc64nvme table", run_crc64_table, buf, len);
    if (tn__crc64nvme_has_clmul())
        bench("tn_crc64nvme pclmul", run_crc64_clmul, buf, len);
    else
        printf("%-28s (CPU has no PCLMULQDQ)\n", "tn_crc64nvme pclmul");
    bench_combine();
    free(buf);
    return 0;
}
