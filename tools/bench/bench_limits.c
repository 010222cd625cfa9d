/*
 * bench_limits.c — tern-limits: the machine's physical limits that bound tern's large-object
 * throughput, measured the same way every time so tools/bench/run-matrix can print each
 * large-object figure as a share of its limit (docs/BENCHMARKS.md):
 *   md5, sha256   single-core hash rate (OpenSSL EVP, algorithm fetched once, 1 MiB updates):
 *                 every PUT computes the MD5 ETag, a signed payload its SHA-256, on one core
 *   crc32c        single-core CRC32C rate (ISA-L through tn_crc32c): blob and row checksums
 *   loopback      TCP bandwidth over 127.0.0.1, one sender and one receiver thread, 1 MiB
 *                 writes: bounds what a GET can deliver to a client on the same machine
 * Each is run for about --seconds (default 1) RUNS times; the median is printed in MB/s
 * (10^6 bytes per second), as text or (--json) one JSON object. The disk limit (fio) is
 * measured by run-matrix itself: it needs the data directory and the fio package.
 *
 *   tern-limits [--seconds S] [--json]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "tn_crc.h"

#define RUNS  3
#define BUF   (1u << 20)
#define NAMES 4

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

static volatile uint64_t sink;

/* MB/s of one EVP digest over secs seconds of 1 MiB updates, or -1. */
static double digest_rate(const char *alg, const uint8_t *buf, double secs)
{
    EVP_MD *md = EVP_MD_fetch(NULL, alg, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    double rate = -1;
    if (md != NULL && ctx != NULL && EVP_DigestInit_ex2(ctx, md, NULL)) {
        uint64_t bytes = 0;
        double t0 = now_s(), t = t0;
        int ok = 1;
        while (ok && t - t0 < secs) {
            for (int i = 0; ok && i < 16; i++, bytes += BUF)
                ok = EVP_DigestUpdate(ctx, buf, BUF);
            t = now_s();
        }
        uint8_t out[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (ok && EVP_DigestFinal_ex(ctx, out, &n)) {
            sink += out[0];
            rate = (double)bytes / (t - t0) / 1e6;
        }
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return rate;
}

static double crc_rate(const uint8_t *buf, double secs)
{
    uint64_t bytes = 0;
    uint32_t crc = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < secs) {
        for (int i = 0; i < 64; i++, bytes += BUF)
            crc = tn_crc32c(crc, buf, BUF);
        t = now_s();
    }
    sink += crc;
    return (double)bytes / (t - t0) / 1e6;
}

typedef struct {
    int fd;
    uint64_t bytes;
    int err;
} rx_t;

static void *receiver(void *arg)
{
    rx_t *rx = arg;
    uint8_t *b = malloc(BUF);
    if (b == NULL) {
        rx->err = ENOMEM;
        return NULL;
    }
    for (;;) {
        ssize_t n = read(rx->fd, b, BUF);
        if (n > 0) {
            rx->bytes += (uint64_t)n;
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            rx->err = errno;
            break;
        }
    }
    free(b);
    return NULL;
}

/* MB/s of one TCP stream over 127.0.0.1 for secs seconds, or -1 (and errno printed). */
static double loopback_rate(const uint8_t *buf, double secs)
{
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), cs = -1, as = -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    double rate = -1;
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &sl) != 0)
        goto out;
    cs = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (cs < 0 || connect(cs, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto out;
    as = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (as < 0)
        goto out;
    rx_t rx = {.fd = as};
    pthread_t th;
    if ((errno = pthread_create(&th, NULL, receiver, &rx)) != 0)
        goto out;
    uint64_t sent = 0;
    double t0 = now_s(), t = t0;
    int werr = 0;
    while (!werr && t - t0 < secs) {
        for (int i = 0; i < 16 && !werr; i++) {
            size_t off = 0;
            while (off < BUF) {
                ssize_t n = write(cs, buf + off, BUF - off);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    werr = errno ? errno : EIO;
                    break;
                }
                off += (size_t)n;
                sent += (uint64_t)n;
            }
        }
        t = now_s();
    }
    shutdown(cs, SHUT_WR);
    pthread_join(th, NULL);
    double t1 = now_s();
    if (!werr && rx.err == 0 && rx.bytes == sent)
        rate = (double)rx.bytes / (t1 - t0) / 1e6;
    else
        fprintf(stderr, "tern-limits: loopback: %s\n",
                strerror(werr     ? werr
                         : rx.err ? rx.err
                                  : EIO));
out:
    if (rate < 0 && errno != 0)
        fprintf(stderr, "tern-limits: loopback: %s\n", strerror(errno));
    if (as >= 0)
        close(as);
    if (cs >= 0)
        close(cs);
    if (ls >= 0)
        close(ls);
    return rate;
}

int main(int argc, char **argv)
{
    double secs = 1.0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            secs = strtod(argv[++i], NULL);
            if (!(secs > 0.01 && secs < 600)) {
                fprintf(stderr, "tern-limits: --seconds must be in (0.01, 600)\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: tern-limits [--seconds S] [--json]\n");
            return 2;
        }
    }
    uint8_t *buf = malloc(BUF);
    if (buf == NULL) {
        fprintf(stderr, "tern-limits: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < BUF; i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 13);
    static const char *const names[NAMES] = {"md5", "sha256", "crc32c", "loopback"};
    double med[NAMES];
    int failed = 0;
    for (int k = 0; k < NAMES; k++) {
        double r[RUNS];
        for (int j = 0; j < RUNS; j++) {
            errno = 0;
            r[j] = k == 0   ? digest_rate("MD5", buf, secs)
                   : k == 1 ? digest_rate("SHA256", buf, secs)
                   : k == 2 ? crc_rate(buf, secs)
                            : loopback_rate(buf, secs);
        }
        qsort(r, RUNS, sizeof r[0], cmp_double);
        med[k] = r[RUNS / 2];
        if (med[k] < 0)
            failed = 1;
    }
    free(buf);
    if (json) {
        printf("{\"unit\": \"MB/s\", \"runs\": %d, \"seconds\": %g", RUNS, secs);
        for (int k = 0; k < NAMES; k++)
            printf(", \"%s\": %.0f", names[k], med[k]);
        printf("}\n");
    } else {
        printf("median of %d runs of %g s, MB/s (10^6 B/s), one core each (loopback: two)\n", RUNS,
               secs);
        for (int k = 0; k < NAMES; k++)
            printf("  %-9s %10.0f\n", names[k], med[k]);
    }
    return failed ? 1 : 0;
}
