/*
 * it_osd_busy.c — a busy OSD is not a hung one (tn_osdc.h, "Timers"): a tern-osd slowed down
 * by a throttler process (SIGSTOP 300 ms, SIGCONT 50 ms, over and over) takes concurrent 4 MiB
 * blob puts and row puts from the async client with a 1 s request timeout. Each request
 * waits longer than that behind the others on the one connection, but the OSD keeps moving,
 * so every request must succeed (before the client re-armed timers of a busy connection, the
 * puts queued behind others timed out and the mid-frame timeout reset the connection). Then
 * the OSD is stopped for good: its requests still fail with TN_ERR_TIMEOUT, within one request
 * timeout of its last sign of life plus a timer period.
 * Usage: it_osd_busy PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"

#define NPUT    24
#define NROW    8
#define PUT_LEN (4u << 20)
#define TIMEOUT 1000

static tc_cluster_t cl;
static tc_async_t a;
static uint8_t *blob;
static int done, errs[NPUT + NROW];
static uint8_t rows[NROW][256];

static void on_put(void *arg, int err, const tn_osdc_reply_t *rep)
{
    (void)rep;
    errs[(intptr_t)arg] = err;
    done++;
}

static void on_row(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    (void)rep;
    (void)r;
    errs[(intptr_t)arg] = err;
    done++;
}

/* Issues NPUT blob puts and NROW row puts (tag separates the rounds); 0 or -1. */
static int issue(uint8_t tag)
{
    done = 0;
    memset(errs, 0, sizeof(errs));
    for (int i = 0; i < NPUT; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, (uint32_t)i, tag, (uint32_t)i);
        if (tn_osdc_blob_put(a.c, 0, &ref, blob, PUT_LEN, on_put, (void *)(intptr_t)i, NULL) != 0)
            return -1;
    }
    for (int i = 0; i < NROW; i++) {
        char key[32];
        snprintf(key, sizeof(key), "busy-%u-%d", tag, i);
        size_t n =
            tc_make_row(rows[i], sizeof(rows[i]), 1, 1, 1, key,
                        tn_hlc_make(1700000000000ull + tag, 0), 1, (uint8_t)i, 0, "v", NULL, 0);
        if (n == 0 || tn_osdc_row_put(a.c, 0, TN_PROTO_ROW_PUT, rows[i], n, on_row,
                                      (void *)(intptr_t)(NPUT + i), NULL) != 0)
            return -1;
    }
    return 0;
}

/* A child that alternates SIGSTOP and SIGCONT on pid until killed. */
static pid_t throttle(pid_t pid)
{
    pid_t t = fork();
    if (t != 0)
        return t;
    struct timespec stop = {0, 300 * 1000000L}, run = {0, 50 * 1000000L};
    for (int i = 0; i < 2000; i++) { /* bounded: 6 minutes at most */
        kill(pid, SIGSTOP);
        nanosleep(&stop, NULL);
        kill(pid, SIGCONT);
        nanosleep(&run, NULL);
    }
    _exit(0);
}

static void test_busy(void)
{
    pid_t t = throttle(cl.pid[0]);
    if (!ok(t > 0, "throttler started"))
        return;
    uint64_t t0 = tc_now_ms();
    is_int(issue(1), 0, "requests issued");
    is_int(tc_run_until(a.loop, &done, NPUT + NROW, 60000), 0, "every request answered");
    uint64_t took = tc_now_ms() - t0;
    kill(t, SIGKILL);
    waitpid(t, NULL, 0);
    tc_osd_signal(&cl, 0, SIGCONT);
    int failed = 0;
    for (int i = 0; i < NPUT + NROW; i++)
        if (errs[i] != 0) {
            failed++;
            fprintf(stderr, "# request %d: %s\n", i, tn_strerror(errs[i]));
        }
    tn_osdc_stats_t st;
    tn_osdc_stats(a.c, &st);
    fprintf(stderr, "# %llu ms for %u MiB of puts and %d rows; %llu timer re-arms\n",
            (unsigned long long)took, NPUT * (PUT_LEN >> 20), NROW,
            (unsigned long long)st.busy_waits);
    ok(took > 2 * TIMEOUT, "the OSD was slow: requests waited longer than the timeout");
    is_int(failed, 0, "every request to the busy OSD succeeded");
    ok(st.busy_waits > 0, "timers were re-armed");
    is_int((int)st.cancel_resets, 0, "no connection reset");
}

static void test_hung(void)
{
    is_int(tc_osd_signal(&cl, 0, SIGSTOP), 0, "SIGSTOP the OSD");
    uint64_t t0 = tc_now_ms();
    is_int(issue(2), 0, "requests issued");
    is_int(tc_run_until(a.loop, &done, NPUT + NROW, 30000), 0, "every request answered");
    uint64_t took = tc_now_ms() - t0;
    int timeouts = 0;
    for (int i = 0; i < NPUT + NROW; i++)
        timeouts += errs[i] == TN_ERR_TIMEOUT || errs[i] == -ECONNRESET;
    fprintf(stderr, "# hung OSD: all failed after %llu ms\n", (unsigned long long)took);
    is_int(timeouts, NPUT + NROW, "a hung OSD's requests fail (timeout or reset)");
    ok(took < 5000 + 3 * TIMEOUT, "quickly: no busy wait without progress");
    tc_osd_signal(&cl, 0, SIGCONT);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    blob = malloc(PUT_LEN);
    tc_fill(blob, PUT_LEN, 5);
    tn_osdc_sync_t *s = NULL;
    if (tc_cluster_init(&cl, argv[1], 1, NULL) != 0 || tc_osd_start(&cl, 0, 1) != 0 ||
        (s = tc_sync_new(&cl, NULL, 0)) == NULL) {
        fprintf(stderr, "cannot start the OSD\n");
        return 1;
    }
    uint64_t epoch = tn_osdc_epoch(tn_osdc_sync_client(s));
    tn_osdc_sync_destroy(s);
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.request_timeout_ms = TIMEOUT;
    o.ack_timeout_ms = 5000;
    if (tc_async_new(&a, &cl, &o, epoch) != 0)
        return 1;
    subtest("busy OSD: requests wait, none fails", test_busy);
    subtest("hung OSD: requests still time out", test_hung);
    tc_async_free(&a);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
    free(blob);
    return tt_done();
}
