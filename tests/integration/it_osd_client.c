/*
 * it_osd_client.c — the client library against failing daemons (three real tern-osd
 * processes, one async client on a loop run here):
 *   - SIGKILL of one OSD while requests (row puts and 1 MiB blob puts) are in flight to all
 *     three: those to the dead OSD fail quickly with -ECONNRESET (long before the request
 *     timeout), those to the others all succeed; the next call to the dead OSD fails with
 *     -ECONNREFUSED and puts it in back-off (calls refused at once); once restarted it serves
 *     again after the back-off.
 *   - SIGSTOP of one OSD (hung, socket still open): requests to it fail with TN_ERR_TIMEOUT at
 *     the configured request timeout, requests to the others answer normally meanwhile; after
 *     SIGCONT it serves again.
 * Every child is killed by PID at exit (also on failure, and by the watchdog alarm).
 * Usage: it_osd_client PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"

#define HLC(ms) tn_hlc_make(1700000000000ull + (ms), 0)
#define MAXR    512
/* request timeout while an OSD hangs (SIGSTOP) */
#define HANG_TIMEOUT_MS 1500

static tc_cluster_t cl;
static tc_async_t a;
static uint64_t epoch;

typedef struct {
    int osd, err, has_hdr, done;
    uint64_t t_done;
} req_t;

static req_t reqs[MAXR];
static uint8_t rows[MAXR][160];
static int nreq, ndone;
static uint8_t *blob; /* 1 MiB, shared by every blob put (zero copy, read only) */

static void note(req_t *r, int err, const tn_osdc_reply_t *rep)
{
    r->err = err;
    r->has_hdr = rep->has_hdr;
    r->done++;
    r->t_done = tc_now_ms();
    ndone++;
}

static void on_row(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    (void)r;
    note(arg, err, rep);
}

static void on_blob(void *arg, int err, const tn_osdc_reply_t *rep)
{
    note(arg, err, rep);
}

static void reset_reqs(void)
{
    memset(reqs, 0, sizeof(reqs));
    nreq = ndone = 0;
}

/* Issues a row put (or a 1 MiB blob put) to osd; returns what the call returned. */
static int issue(int osd, int blob_put)
{
    if (nreq == MAXR)
        return -ENOMEM;
    req_t *r = &reqs[nreq];
    r->osd = osd;
    int rc;
    static int seq;
    seq++;
    if (blob_put) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, (uint32_t)seq % 8, (uint8_t)seq, (uint32_t)seq);
        rc = tn_osdc_blob_put(a.c, osd, &ref, blob, 1u << 20, on_blob, r, NULL);
    } else {
        char key[32];
        snprintf(key, sizeof(key), "c%06d", seq);
        size_t n = tc_make_row(rows[nreq], sizeof(rows[0]), 1, 1, 1, key, HLC(seq), 1, (uint8_t)seq,
                               0, key, NULL, 0);
        rc = tn_osdc_row_put(a.c, osd, TN_PROTO_ROW_PUT, rows[nreq], n, on_row, r, NULL);
    }
    if (rc == 0)
        nreq++;
    return rc;
}

/* Counts the finished requests to osd with outcome err. */
static int count(int osd, int err)
{
    int n = 0;
    for (int i = 0; i < nreq; i++)
        if (reqs[i].osd == osd && reqs[i].done == 1 && reqs[i].err == err)
            n++;
    return n;
}

static int count_osd(int osd)
{
    int n = 0;
    for (int i = 0; i < nreq; i++)
        n += reqs[i].osd == osd;
    return n;
}

/* Calls osd once (a row put) and runs the loop until it finishes: its outcome, or the call's
 * refusal. */
static int one_call(int osd)
{
    reset_reqs();
    int rc = issue(osd, 0);
    if (rc != 0)
        return rc;
    if (tc_run_until(a.loop, &ndone, 1, 10000) != 0)
        return -ETIME;
    return reqs[0].err;
}

static void test_kill(void)
{
    /* Connections up to all three. */
    for (int osd = 0; osd < 3; osd++)
        is_int(one_call(osd), 0, "first call OK");
    reset_reqs();
    int accepted = 0;
    for (int i = 0; i < 40; i++)
        for (int osd = 0; osd < 3; osd++)
            accepted += issue(osd, 0) == 0;
    for (int i = 0; i < 8; i++)
        for (int osd = 0; osd < 3; osd++)
            accepted += issue(osd, 1) == 0;
    is_int(accepted, 144, "144 requests accepted");
    h2o_evloop_run(a.loop, 0); /* start writing */
    ok(tn_osdc_inflight(a.c, 1) > 0, "requests in flight to osd 1");
    uint64_t t_kill = tc_now_ms();
    is_int(tc_osd_stop(&cl, 1, SIGKILL), 128 + SIGKILL, "kill -9 osd 1");
    is_int(tc_run_until(a.loop, &ndone, nreq, 15000), 0, "every request finished");
    int n1 = count_osd(1);
    int reset1 = count(1, -ECONNRESET) + count(1, 0); /* some may have been answered before */
    is_int(reset1, n1, "osd 1: answered before the kill or failed with ECONNRESET");
    ok(count(1, -ECONNRESET) > 0, "osd 1: requests in flight failed with ECONNRESET");
    uint64_t last1 = 0;
    for (int i = 0; i < nreq; i++)
        if (reqs[i].osd == 1 && reqs[i].t_done > last1)
            last1 = reqs[i].t_done;
    fprintf(stderr, "# osd 1's %d requests finished %llu ms after the kill\n", n1,
            (unsigned long long)(last1 - t_kill));
    ok(last1 - t_kill < 2000, "and quickly (request timeout is 5 s)");
    is_int(count(0, 0), count_osd(0), "osd 0: every request OK");
    is_int(count(2, 0), count_osd(2), "osd 2: every request OK");
    /* Next call: connect refused, then back-off refuses at once. */
    is_int(one_call(1), -ECONNREFUSED, "a new call to the dead OSD: ECONNREFUSED");
    tn_osdc_stats_t st0, st1;
    tn_osdc_stats(a.c, &st0);
    uint64_t t0 = tc_now_ms();
    is_int(one_call(1), -ECONNREFUSED, "during back-off: refused");
    ok(tc_now_ms() - t0 < 100, "at once");
    tn_osdc_stats(a.c, &st1);
    ok(st1.fast_fail > st0.fast_fail, "counted as a fast failure");
    is_int(one_call(0), 0, "osd 0 unaffected");
    is_int(one_call(2), 0, "osd 2 unaffected");
    /* Restarted, it serves again once the back-off has passed. */
    is_int(tc_osd_start(&cl, 1, 1), 0, "restart osd 1");
    int rc = -1;
    for (int i = 0; i < 40 && rc != 0; i++) { /* back-off is at most 2 s */
        rc = one_call(1);
        if (rc != 0)
            h2o_evloop_run(a.loop, 100);
    }
    is_int(rc, 0, "osd 1 serves again after the back-off");
}

static void test_hang(void)
{
    /* A client with a short request timeout. */
    tc_async_free(&a);
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.request_timeout_ms = HANG_TIMEOUT_MS;
    o.ack_timeout_ms = HANG_TIMEOUT_MS; /* the writes below wait for this one once sent */
    if (!ok(tc_async_new(&a, &cl, &o, epoch) == 0, "client with a short request timeout"))
        return;
    for (int osd = 0; osd < 3; osd++)
        is_int(one_call(osd), 0, "connections up");
    is_int(tc_osd_signal(&cl, 2, SIGSTOP), 0, "SIGSTOP osd 2");
    reset_reqs();
    uint64_t t0 = tc_now_ms();
    for (int i = 0; i < 20; i++) {
        issue(2, 0);
        issue(0, 0);
        issue(1, 0);
    }
    /* Run until the 40 to osd 0 and 1 are done: long before osd 2's timeout. */
    int others = 0;
    for (int k = 0; k < 2 * HANG_TIMEOUT_MS / 5 && others < 40; k++) {
        h2o_evloop_run(a.loop, 5);
        others = count(0, 0) + count(1, 0);
    }
    uint64_t t_others = tc_now_ms() - t0;
    is_int(others, 40, "osd 0 and 1 answered normally while osd 2 hangs");
    is_int(count(2, 0) + count(2, TN_ERR_TIMEOUT), 0, "osd 2: nothing finished yet");
    fprintf(stderr, "# others answered in %llu ms\n", (unsigned long long)t_others);
    ok(t_others < HANG_TIMEOUT_MS, "before osd 2's requests time out");
    /* Meanwhile more requests to osd 0 still work. */
    for (int i = 0; i < 10; i++)
        issue(0, 0);
    is_int(tc_run_until(a.loop, &ndone, nreq, 10000), 0, "every request finished");
    is_int(count(0, 0), 30, "osd 0: all 30 OK");
    is_int(count(2, TN_ERR_TIMEOUT), 20, "osd 2: all 20 timed out");
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < nreq; i++)
        if (reqs[i].osd == 2) {
            uint64_t d = reqs[i].t_done - t0;
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
    fprintf(stderr, "# osd 2 timed out after %llu..%llu ms (timeout %d)\n", (unsigned long long)lo,
            (unsigned long long)hi, HANG_TIMEOUT_MS);
    ok(lo >= HANG_TIMEOUT_MS - 50 && hi < HANG_TIMEOUT_MS + 2000, "at the configured timeout");
    is_int(tc_osd_signal(&cl, 2, SIGCONT), 0, "SIGCONT osd 2");
    int rc = -1;
    for (int i = 0; i < 20 && rc != 0; i++)
        rc = one_call(2);
    is_int(rc, 0, "osd 2 serves again");
    tn_osdc_stats_t st;
    tn_osdc_stats(a.c, &st);
    ok(st.fail_timeout >= 20, "timeouts counted");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    blob = malloc(1u << 20);
    tc_fill(blob, 1u << 20, 77);
    tn_osdc_sync_t *s = NULL;
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.request_timeout_ms = 5000;
    if (tc_cluster_init(&cl, argv[1], 3, NULL) != 0 || tc_osd_start(&cl, 0, 1) != 0 ||
        tc_osd_start(&cl, 1, 1) != 0 || tc_osd_start(&cl, 2, 1) != 0 ||
        (s = tc_sync_new(&cl, NULL, 0)) == NULL) {
        fprintf(stderr, "cannot start the OSDs\n");
        return 1;
    }
    epoch = tn_osdc_epoch(tn_osdc_sync_client(s));
    tn_osdc_sync_destroy(s);
    if (tc_async_new(&a, &cl, &o, epoch) != 0)
        return 1;
    subtest("SIGKILL with requests in flight", test_kill);
    subtest("SIGSTOP: timeouts, others unaffected", test_hang);
    tc_async_free(&a);
    for (int i = 0; i < 3; i++)
        is_int(tc_osd_stop(&cl, i, SIGTERM), 0, "SIGTERM: exit 0");
    free(blob);
    return tt_done();
}
