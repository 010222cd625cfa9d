/*
 * it_osd_rows.c — integration test of tern-osd's row ops through the client library: PUT/GET,
 * LWW refusals (STALE_TS with the stored version, UNCHANGED), MERGE, tombstones, LIST paging
 * and frame splitting, purge-if-unchanged, epoch and clock checks, a row with a bad CRC, 1,000
 * small writes in flight at once from four async clients (group commit visible in STATS), and
 * SIGTERM with writes in flight (every request completes once; every OK survives).
 * Usage: it_osd_rows PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"

static tc_cluster_t cl;
static tn_osdc_sync_t *s;
static uint8_t rowbuf[200000];

#define HLC(ms) tn_hlc_make(1700000000000ull + (ms), 0)

static int put(uint8_t mode, size_t n, uint8_t *result, tn_proto_ver_t *stored)
{
    tn_row_put_rep_t rep;
    int rc = tn_osdc_sync_row_put(s, 0, mode, rowbuf, n, &rep);
    if (result)
        *result = rep.result;
    if (stored)
        *stored = rep.stored;
    return rc;
}

static void test_put_get(void)
{
    uint64_t on_loop = tc_stat(s, 0, "srv.row_get_loop");
    size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(10), 1, 0xa1, 0, "v1",
                           "inline!", 7);
    uint8_t res = 0;
    tn_proto_ver_t st;
    is_int(put(TN_PROTO_ROW_PUT, n, &res, NULL), 0, "put");
    is_int(res, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(put(TN_PROTO_ROW_PUT, n, &res, NULL), 0, "same put again");
    is_int(res, TN_PROTO_RESULT_UNCHANGED, "retry: UNCHANGED");
    tn_row_t row;
    uint8_t *hold = NULL;
    is_int(tc_row_get(s, 0, 1, 2, 9, "alpha", &row, &hold), 0, "get");
    ok(hold && row.value_len == 2 && memcmp(row.value, "v1", 2) == 0, "value");
    ok(hold && row.inl_len == 7 && memcmp(row.inl, "inline!", 7) == 0, "inline data");
    is_uint(hold ? row.ver.hlc : 0, HLC(10), "version hlc");
    free(hold);
    /* An older version is refused with the stored one. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(5), 1, 0xa2, 0, "old", NULL, 0);
    memset(&st, 0, sizeof(st));
    is_int(put(TN_PROTO_ROW_PUT, n, &res, &st), TN_ERR_STALE_TS, "older PUT: STALE_TS");
    is_uint(st.hlc, HLC(10), "STALE_TS carries the stored hlc");
    is_int(st.origin, 1, "and origin");
    is_int(st.vid[0], 0xa1, "and vid");
    /* Newer wins. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(20), 2, 0xa3, 0, "v2", NULL, 0);
    is_int(put(TN_PROTO_ROW_PUT, n, &res, NULL), 0, "newer put");
    is_int(res, TN_PROTO_RESULT_APPLIED, "applied");
    /* MERGE of an older row is ignored, of a newer one applied. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(15), 2, 0xa4, 0, "m", NULL, 0);
    is_int(put(TN_PROTO_ROW_MERGE, n, &res, NULL), 0, "merge older");
    is_int(res, TN_PROTO_RESULT_IGNORED, "ignored");
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(30), 2, 0xa5, 0, "m2", NULL, 0);
    is_int(put(TN_PROTO_ROW_MERGE, n, &res, NULL), 0, "merge newer");
    is_int(res, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(tc_row_get(s, 0, 1, 2, 9, "alpha", &row, &hold), 0, "get");
    ok(hold && row.value_len == 2 && memcmp(row.value, "m2", 2) == 0, "merged value");
    free(hold);
    is_int(tc_row_get(s, 0, 1, 2, 9, "nope", &row, &hold), TN_ERR_NOT_FOUND, "missing: 404");
    /* A row whose CRC does not match: CHECKSUM, nothing stored. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "bad", HLC(1), 1, 1, 0, "x", NULL, 0);
    rowbuf[n - 1] ^= 1;
    is_int(put(TN_PROTO_ROW_PUT, n, &res, NULL), TN_ERR_CHECKSUM, "bad row CRC: CHECKSUM");
    is_int(tc_row_get(s, 0, 1, 2, 9, "bad", &row, &hold), TN_ERR_NOT_FOUND, "not stored");
    /* rows in memory are read on the OSD's loop (osd_nowait.h), each after the writes above */
    is_uint(tc_stat(s, 0, "srv.row_get_loop") - on_loop, 4, "the 4 gets were answered on the loop");
}

typedef struct {
    int n;
    char keys[64][32];
    uint32_t flags[64];
    int more;
    int frames;
    int done, err;
    uint8_t list_flags;
} list_t;

static void on_list(void *arg, int err, const tn_osdc_reply_t *rep, uint8_t more_rows, uint32_t n,
                    tn_proto_iter_t *it)
{
    list_t *out = arg;
    if (err == 0 && it != NULL) {
        out->frames++;
        out->more = more_rows;
        for (uint32_t i = 0; i < n; i++) {
            tn_slice_t key;
            uint32_t fl;
            if (out->list_flags & TN_PROTO_LIST_WITH_INLINE) {
                tn_slice_t rs;
                tn_row_t row;
                if (tn_proto_next_row(it, &rs) != 1 ||
                    tn_row_decode(rs.base, rs.len, &row, NULL) != 0) {
                    out->err = TN_ERR_PROTO;
                    break;
                }
                key = (tn_slice_t){(const char *)row.key, row.key_len};
                fl = row.flags;
            } else {
                tn_row_entry_t e;
                if (tn_proto_next_row_entry(it, &e) != 1) {
                    out->err = TN_ERR_PROTO;
                    break;
                }
                key = e.key;
                fl = e.flags;
            }
            if (out->n < 64) {
                snprintf(out->keys[out->n], sizeof(out->keys[0]), "%.*s", (int)key.len, key.base);
                out->flags[out->n] = fl;
            }
            out->n++;
        }
    }
    if (!rep->more) {
        if (out->err == 0)
            out->err = err;
        out->done = 1;
    }
}

/* ROW_LIST through the async client, frames counted. */
static int do_list(tc_async_t *a, uint64_t ns, const char *prefix, const char *after,
                   uint32_t limit, uint8_t flags, list_t *out)
{
    tn_row_list_req_t m = {1,     2,    ns, {prefix, strlen(prefix)}, {after, strlen(after)},
                           limit, flags};
    memset(out, 0, sizeof(*out));
    out->list_flags = flags;
    int rc = tn_osdc_row_list(a->c, 0, &m, on_list, out, NULL);
    if (rc != 0)
        return rc;
    if (tc_run_until(a->loop, &out->done, 1, 10000) != 0)
        return TN_ERR_TIMEOUT;
    return out->err;
}

static void test_list(void)
{
    const char *keys[] = {"b/2", "a", "b/1", "b/10", "c", "b", "b/1/x"};
    uint8_t res;
    for (size_t i = 0; i < TN_ARRAY_SIZE(keys); i++) {
        size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 50, keys[i], HLC(100), 1, 7,
                               strcmp(keys[i], "b/10") == 0 ? TN_ROW_TOMBSTONE : 0, "val", "i", 1);
        put(TN_PROTO_ROW_PUT, n, &res, NULL);
    }
    tc_async_t a;
    if (!ok(tc_async_new(&a, &cl, NULL, tn_osdc_epoch(tn_osdc_sync_client(s))) == 0, "client"))
        return;
    static list_t l;
    is_int(do_list(&a, 50, "", "", 100, 0, &l), 0, "list all");
    is_int(l.n, 7, "7 rows, tombstone included");
    is_str(l.keys[0], "a", "byte order 0");
    is_str(l.keys[1], "b", "byte order 1");
    is_str(l.keys[2], "b/1", "byte order 2");
    is_str(l.keys[3], "b/1/x", "byte order 3");
    is_str(l.keys[4], "b/10", "byte order 4");
    is_uint(l.flags[4], TN_ROW_TOMBSTONE, "tombstone flagged");
    is_str(l.keys[6], "c", "last");
    is_int(l.more, 0, "no more");
    is_int(do_list(&a, 50, "b/", "", 2, 0, &l), 0, "prefix b/ limit 2");
    is_int(l.n, 2, "two");
    is_str(l.keys[1], "b/1/x", "second");
    is_int(l.more, 1, "more = 1");
    is_int(do_list(&a, 50, "b/", "b/1/x", 2, 0, &l), 0, "continue after b/1/x");
    is_int(l.n, 2, "two more");
    is_str(l.keys[0], "b/10", "b/10");
    is_str(l.keys[1], "b/2", "b/2");
    is_int(l.more, 0, "end");
    is_int(do_list(&a, 50, "", "b/2", 10, TN_PROTO_LIST_WITH_INLINE, &l), 0, "with inline");
    is_int(l.n, 1, "after b/2 only c");
    is_str(l.keys[0], "c", "c");
    is_int(do_list(&a, 50, "", "", 0, 0, &l), TN_ERR_PROTO, "limit 0: PROTO");
    /* The sync wrapper merges the pages' frames into one body. */
    uint8_t *body = NULL;
    size_t blen = 0;
    tn_row_list_req_t m = {1, 2, 50, {"", 0}, {"", 0}, 100, 0};
    is_int(tn_osdc_sync_row_list(s, 0, &m, &body, &blen), 0, "sync list");
    tn_proto_iter_t it;
    uint8_t more = 9;
    uint32_t cnt = 0;
    ok(tn_proto_dec_row_list_rep(body, blen, &it, &more, &cnt) == 0 && cnt == 7 && more == 0,
       "sync list: 7 rows, no more");
    free(body);
    /* A page bigger than 1 MiB is split into several frames. */
    static char big[60001];
    memset(big, 'v', 60000);
    for (int i = 0; i < 40; i++) {
        char k[16];
        snprintf(k, sizeof(k), "big%02d", i);
        size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 51, k, HLC(5), 1, 7, 0, big, NULL, 0);
        put(TN_PROTO_ROW_PUT, n, &res, NULL);
    }
    is_int(do_list(&a, 51, "", "", 1000, 0, &l), 0, "big page");
    is_int(l.n, 40, "40 rows");
    ok(l.frames >= 3, "split into several frames with MORE");
    is_str(l.keys[39], "big39", "in order across frames");
    tc_async_free(&a);
}

static void test_delete(void)
{
    size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 60, "tomb", HLC(200), 3, 0x33,
                           TN_ROW_TOMBSTONE, "", NULL, 0);
    uint8_t res;
    is_int(put(TN_PROTO_ROW_PUT, n, &res, NULL), 0, "tombstone put");
    tn_row_delete_req_t d = {1, 2, 60, {"tomb", 4}, {HLC(199), 3, {0}}};
    memset(d.ver.vid, 0x33, 16);
    uint8_t result = 0;
    is_int(tn_osdc_sync_row_delete(s, 0, &d, &result), 0, "delete other version: OK");
    is_int(result, TN_PROTO_RESULT_NOT_PURGED, "not purged: version changed");
    d.ver.hlc = HLC(200);
    is_int(tn_osdc_sync_row_delete(s, 0, &d, &result), 0, "delete same version");
    is_int(result, TN_PROTO_RESULT_PURGED, "purged");
    tn_row_t row;
    uint8_t *hold = NULL;
    is_int(tc_row_get(s, 0, 1, 2, 60, "tomb", &row, &hold), TN_ERR_NOT_FOUND, "gone");
}

static uint64_t minute_ahead(void *ctx)
{
    (void)ctx;
    return tc_now_ms() + 60000;
}

static void test_epoch_clock(void)
{
    uint64_t epoch = tn_osdc_epoch(tn_osdc_sync_client(s));
    tn_osdc_sync_t *s2 = tc_sync_new(&cl, NULL, -1);
    if (!ok(s2 != NULL, "second client"))
        return;
    tn_row_t row;
    uint8_t *hold = NULL;
    tn_osdc_set_epoch(tn_osdc_sync_client(s2), 0);
    is_int(tc_row_get(s2, 0, 1, 2, 9, "alpha", &row, &hold), TN_ERR_STALE_EPOCH,
           "older epoch: STALE_EPOCH");
    uint64_t osd_epoch = 0;
    tn_osdc_sync_last(s2, NULL, &osd_epoch, NULL);
    is_uint(osd_epoch, epoch, "the reply carries the OSD's epoch");
    tn_osdc_set_epoch(tn_osdc_sync_client(s2), epoch + 1);
    is_int(tc_row_get(s2, 0, 1, 2, 9, "alpha", &row, &hold), TN_ERR_STALE_EPOCH,
           "newer epoch: STALE_EPOCH");
    tn_osdc_set_epoch(tn_osdc_sync_client(s2), epoch);
    uint8_t *out = NULL;
    size_t olen = 0;
    is_int(tn_osdc_sync_call(s2, 0, 0x0fff, NULL, 0, &out, &olen), TN_ERR_UNSUPPORTED,
           "unknown op: UNSUPPORTED");
    free(out);
    tn_osdc_sync_destroy(s2);
    /* A client whose clock runs a minute ahead stamps its frames so: CLOCK. */
    tn_hlc_t h;
    tn_hlc_init(&h, 0);
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.hlc = &h;
    o.wall_ms = minute_ahead;
    o.epoch = epoch;
    s2 = tc_sync_new(&cl, &o, -1);
    if (!ok(s2 != NULL, "client a minute ahead"))
        return;
    is_int(tc_row_get(s2, 0, 1, 2, 9, "alpha", &row, &hold), TN_ERR_CLOCK,
           "HLC a minute ahead: CLOCK");
    tn_osdc_sync_destroy(s2);
}

typedef struct {
    int done, applied, answered, ok_n, other;
    int first_ok;
} count_t;

static void on_put_count(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    count_t *k = arg;
    k->done++;
    if (rep->has_hdr)
        k->answered++;
    if (err == 0 && r != NULL && r->result == TN_PROTO_RESULT_APPLIED)
        k->applied++;
}

static void test_pipelined(void)
{
    enum { CONNS = 4, PER = 250 };
    static uint8_t rows[CONNS][PER][160]; /* zero copy: valid until each callback */
    uint64_t before = tc_stat(s, 0, "idx.batches");
    uint64_t epoch = tn_osdc_epoch(tn_osdc_sync_client(s));
    /* Four clients (four connections) on one loop. */
    h2o_evloop_t *loop = h2o_evloop_create();
    tn_osdc_t *cs[CONNS];
    count_t k = {0};
    int accepted = 0;
    for (int j = 0; j < CONNS; j++) {
        cs[j] = tn_osdc_create(loop, NULL);
        tc_set_osds(cs[j], &cl);
        tn_osdc_set_epoch(cs[j], epoch);
    }
    for (int i = 0; i < PER; i++)
        for (int j = 0; j < CONNS; j++) {
            char key[32];
            snprintf(key, sizeof(key), "p%d-%04d", j, i);
            size_t n = tc_make_row(rows[j][i], sizeof(rows[j][i]), 1, 3, 70, key, HLC(1000 + i), 1,
                                   (uint8_t)j, 0, key, NULL, 0);
            if (tn_osdc_row_put(cs[j], 0, TN_PROTO_ROW_PUT, rows[j][i], n, on_put_count, &k,
                                NULL) == 0)
                accepted++;
        }
    is_int(accepted, CONNS * PER, "1,000 writes accepted");
    uint32_t inflight = 0;
    for (int j = 0; j < CONNS; j++)
        inflight += tn_osdc_inflight(cs[j], 0);
    is_uint(inflight, (uint64_t)(CONNS * PER), "all in flight before the loop runs");
    is_int(tc_run_until(loop, &k.done, accepted, 30000), 0, "every write completed");
    is_int(k.applied, CONNS * PER, "1,000 pipelined writes acknowledged");
    for (int j = 0; j < CONNS; j++)
        tn_osdc_destroy(cs[j]);
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
    int readable = 0;
    for (int j = 0; j < CONNS; j++)
        for (int i = 0; i < PER; i += 7) {
            char key[32];
            snprintf(key, sizeof(key), "p%d-%04d", j, i);
            tn_row_t row;
            uint8_t *hold = NULL;
            if (tc_row_get(s, 0, 1, 3, 70, key, &row, &hold) == 0 && row.value_len == strlen(key) &&
                memcmp(row.value, key, row.value_len) == 0)
                readable++;
            free(hold);
        }
    is_int(readable, CONNS * ((PER + 6) / 7), "sampled rows read back");
    uint64_t batches = tc_stat(s, 0, "idx.batches") - before;
    uint64_t maxb = tc_stat(s, 0, "idx.max_batch");
    ok(batches < (uint64_t)(CONNS * PER), "fewer commits than writes (group commit)");
    ok(maxb > 1, "a batch held more than one write");
    fprintf(stderr, "# 1000 writes in %llu batches, max batch %llu\n", (unsigned long long)batches,
            (unsigned long long)maxb);
    ok(tc_stat(s, 0, "srv.req.row_put") >= (uint64_t)(CONNS * PER), "STATS counts requests");
}

/* Drain: per request, its index and outcome. */
typedef struct {
    int i, err, has_hdr, done;
    int *ndone;
} drain_req_t;

static void on_drain(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    drain_req_t *d = arg;
    (void)r;
    d->err = err;
    d->has_hdr = rep->has_hdr;
    d->done++;
    (*d->ndone)++;
}

static void test_drain(void)
{
    /* SIGTERM with writes in flight: every request completes exactly once; those the daemon
     * read are answered (OK, or SHUTDOWN for frames that arrived after the stop), the rest fail
     * as transport errors; every OK survives the restart. */
    enum { N = 300 };
    static uint8_t rows[N][128];
    static drain_req_t reqs[N];
    int ndone = 0, issued = 0;
    tc_async_t a;
    if (!ok(tc_async_new(&a, &cl, NULL, tn_osdc_epoch(tn_osdc_sync_client(s))) == 0, "client"))
        return;
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof(key), "drain%04d", i);
        size_t n =
            tc_make_row(rows[i], sizeof(rows[i]), 1, 3, 80, key, HLC(1), 1, 1, 0, key, NULL, 0);
        reqs[i] = (drain_req_t){i, 0, 0, 0, &ndone};
        if (tn_osdc_row_put(a.c, 0, TN_PROTO_ROW_PUT, rows[i], n, on_drain, &reqs[i], NULL) == 0)
            issued++;
        else
            reqs[i].done = -1;
        if (i == N / 2) { /* once the daemon is busy with the first half */
            is_int(tc_run_until(a.loop, &reqs[0].done, 1, 10000), 0, "first reply");
            is_int(reqs[0].err, 0, "first write OK");
            kill(cl.pid[0], SIGTERM);
        }
    }
    is_int(tc_run_until(a.loop, &ndone, issued, 20000), 0, "every request completed");
    int answered = 0, okd = 0, others = 0, twice = 0;
    for (int i = 0; i < N; i++) {
        if (reqs[i].done > 1)
            twice++;
        if (reqs[i].done != 1)
            continue;
        if (reqs[i].has_hdr) {
            answered++;
            if (reqs[i].err == 0)
                okd++;
            else if (reqs[i].err != -ESHUTDOWN)
                others++;
        } else if (reqs[i].err != -ECONNRESET && reqs[i].err != -ECONNREFUSED) {
            others++;
        }
    }
    tc_async_free(&a);
    fprintf(stderr, "# drain: %d of %d issued, %d answered, %d OK\n", issued, N, answered, okd);
    is_int(twice, 0, "no request completed twice");
    is_int(others, 0, "only OK or SHUTDOWN answers, else connection errors");
    /* How many frames the daemon read before the stop is a race; what it read, it answered
     * (a frame it never read is the client's to retry, like any unanswered request). */
    ok(answered >= 1, "the drain answered what was in flight");
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "exit 0 after the drain");
    is_int(tc_osd_start(&cl, 0, 1), 0, "restart");
    int back = 0;
    for (int i = 0; i < N; i++) {
        if (reqs[i].done != 1 || !reqs[i].has_hdr || reqs[i].err != 0)
            continue;
        char key[32];
        snprintf(key, sizeof(key), "drain%04d", i);
        tn_row_t row;
        uint8_t *hold = NULL;
        if (tc_row_get(s, 0, 1, 3, 80, key, &row, &hold) == 0)
            back++;
        free(hold);
    }
    is_int(back, okd, "every OK write survived the stop");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    if (tc_cluster_init(&cl, argv[1], 1, NULL) != 0 || tc_osd_start(&cl, 0, 1) != 0 ||
        (s = tc_sync_new(&cl, NULL, 0)) == NULL) {
        fprintf(stderr, "cannot start the OSD\n");
        return 1;
    }
    subtest("put, get, LWW", test_put_get);
    subtest("list", test_list);
    subtest("purge if unchanged", test_delete);
    subtest("epoch and clock", test_epoch_clock);
    subtest("pipelined writes", test_pipelined);
    subtest("drain on SIGTERM", test_drain);
    tn_osdc_sync_destroy(s);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
