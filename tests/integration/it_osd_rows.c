/*
 * it_osd_rows.c — integration test of tern-osd's row ops over the wire: PUT/GET, LWW refusals
 * (STALE_TS with the stored version, UNCHANGED), MERGE, tombstones, LIST paging and frame
 * splitting, purge-if-unchanged, epoch and clock checks, a row with a bad CRC, and 1,000 small
 * writes pipelined over several connections (group commit visible in STATS).
 * Usage: it_osd_rows PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"
#include "tn_wire.h"

static tc_cluster_t cl;
static tc_conn_t c;
static uint8_t rowbuf[200000];

#define HLC(ms) tn_hlc_make(1700000000000ull + (ms), 0)

static void test_put_get(void)
{
    size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(10), 1, 0xa1, 0, "v1",
                           "inline!", 7);
    uint8_t res = 0;
    tn_proto_ver_t st;
    is_int(tc_row_put(&c, TN_PROTO_ROW_PUT, rowbuf, n, &res, NULL), 0, "put");
    is_int(res, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(tc_row_put(&c, TN_PROTO_ROW_PUT, rowbuf, n, &res, NULL), 0, "same put again");
    is_int(res, TN_PROTO_RESULT_UNCHANGED, "retry: UNCHANGED");
    tn_row_t row;
    uint8_t *hold = NULL;
    is_int(tc_row_get(&c, 1, 2, 9, "alpha", &row, &hold), 0, "get");
    ok(hold && row.value_len == 2 && memcmp(row.value, "v1", 2) == 0, "value");
    ok(hold && row.inl_len == 7 && memcmp(row.inl, "inline!", 7) == 0, "inline data");
    is_uint(hold ? row.ver.hlc : 0, HLC(10), "version hlc");
    free(hold);
    /* An older version is refused with the stored one. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(5), 1, 0xa2, 0, "old", NULL, 0);
    memset(&st, 0, sizeof(st));
    is_int(tc_row_put(&c, TN_PROTO_ROW_PUT, rowbuf, n, &res, &st), TN_FRAME_ST_STALE_TS,
           "older PUT: STALE_TS");
    is_uint(st.hlc, HLC(10), "STALE_TS carries the stored hlc");
    is_int(st.origin, 1, "and origin");
    is_int(st.vid[0], 0xa1, "and vid");
    /* Newer wins. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(20), 2, 0xa3, 0, "v2", NULL, 0);
    is_int(tc_row_put(&c, TN_PROTO_ROW_PUT, rowbuf, n, &res, NULL), 0, "newer put");
    is_int(res, TN_PROTO_RESULT_APPLIED, "applied");
    /* MERGE of an older row is ignored, of a newer one applied. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(15), 2, 0xa4, 0, "m", NULL, 0);
    is_int(tc_row_put(&c, TN_PROTO_ROW_MERGE, rowbuf, n, &res, NULL), 0, "merge older");
    is_int(res, TN_PROTO_RESULT_IGNORED, "ignored");
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "alpha", HLC(30), 2, 0xa5, 0, "m2", NULL, 0);
    is_int(tc_row_put(&c, TN_PROTO_ROW_MERGE, rowbuf, n, &res, NULL), 0, "merge newer");
    is_int(res, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(tc_row_get(&c, 1, 2, 9, "alpha", &row, &hold), 0, "get");
    ok(hold && row.value_len == 2 && memcmp(row.value, "m2", 2) == 0, "merged value");
    free(hold);
    is_int(tc_row_get(&c, 1, 2, 9, "nope", &row, &hold), TN_FRAME_ST_NOT_FOUND, "missing: 404");
    /* A row whose CRC does not match: CHECKSUM, nothing stored. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 9, "bad", HLC(1), 1, 1, 0, "x", NULL, 0);
    rowbuf[n - 1] ^= 1;
    is_int(tc_row_put(&c, TN_PROTO_ROW_PUT, rowbuf, n, &res, NULL), TN_FRAME_ST_CHECKSUM,
           "bad row CRC: CHECKSUM");
    is_int(tc_row_get(&c, 1, 2, 9, "bad", &row, &hold), TN_FRAME_ST_NOT_FOUND, "not stored");
}

typedef struct {
    int n;
    char keys[64][32];
    uint32_t flags[64];
    int more;
    int frames;
} list_t;

static int do_list(uint64_t ns, const char *prefix, const char *after, uint32_t limit,
                   uint8_t flags, list_t *out)
{
    uint8_t b[512];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_row_list_req_t m = {1,     2,    ns, {prefix, strlen(prefix)}, {after, strlen(after)},
                           limit, flags};
    tn_proto_enc_row_list_req(&w, &m);
    tc_reply_t r;
    if (tc_call(&c, TN_OP_ROW_LIST, b, (size_t)(w.p - b), &r) != 0)
        return -1;
    memset(out, 0, sizeof(*out));
    int st = r.status;
    out->frames = r.nframes;
    for (tc_frame_t *f = r.frames; st == 0 && f; f = f->next) {
        tn_proto_iter_t it;
        uint8_t more;
        uint32_t n;
        if (tn_proto_dec_row_list_rep(f->body, f->hdr.payload_len, &it, &more, &n) != 0) {
            st = -1;
            break;
        }
        out->more = more;
        for (uint32_t i = 0; i < n; i++) {
            tn_slice_t key;
            uint32_t fl;
            if (flags & TN_PROTO_LIST_WITH_INLINE) {
                tn_slice_t rs;
                tn_row_t row;
                if (tn_proto_next_row(&it, &rs) != 1 ||
                    tn_row_decode(rs.base, rs.len, &row, NULL) != 0) {
                    st = -1;
                    break;
                }
                key = (tn_slice_t){(const char *)row.key, row.key_len};
                fl = row.flags;
            } else {
                tn_row_entry_t e;
                if (tn_proto_next_row_entry(&it, &e) != 1) {
                    st = -1;
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
    tc_reply_free(&r);
    return st;
}

static void test_list(void)
{
    const char *keys[] = {"b/2", "a", "b/1", "b/10", "c", "b", "b/1/x"};
    uint8_t res;
    for (size_t i = 0; i < TN_ARRAY_SIZE(keys); i++) {
        size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 50, keys[i], HLC(100), 1, 7,
                               strcmp(keys[i], "b/10") == 0 ? TN_ROW_TOMBSTONE : 0, "val", "i", 1);
        tc_row_put(&c, TN_PROTO_ROW_PUT, rowbuf, n, &res, NULL);
    }
    list_t l;
    is_int(do_list(50, "", "", 100, 0, &l), 0, "list all");
    is_int(l.n, 7, "7 rows, tombstone included");
    is_str(l.keys[0], "a", "byte order 0");
    is_str(l.keys[1], "b", "byte order 1");
    is_str(l.keys[2], "b/1", "byte order 2");
    is_str(l.keys[3], "b/1/x", "byte order 3");
    is_str(l.keys[4], "b/10", "byte order 4");
    is_uint(l.flags[4], TN_ROW_TOMBSTONE, "tombstone flagged");
    is_str(l.keys[6], "c", "last");
    is_int(l.more, 0, "no more");
    is_int(do_list(50, "b/", "", 2, 0, &l), 0, "prefix b/ limit 2");
    is_int(l.n, 2, "two");
    is_str(l.keys[1], "b/1/x", "second");
    is_int(l.more, 1, "more = 1");
    is_int(do_list(50, "b/", "b/1/x", 2, 0, &l), 0, "continue after b/1/x");
    is_int(l.n, 2, "two more");
    is_str(l.keys[0], "b/10", "b/10");
    is_str(l.keys[1], "b/2", "b/2");
    is_int(l.more, 0, "end");
    is_int(do_list(50, "", "b/2", 10, TN_PROTO_LIST_WITH_INLINE, &l), 0, "with inline");
    is_int(l.n, 1, "after b/2 only c");
    is_str(l.keys[0], "c", "c");
    is_int(do_list(50, "", "", 0, 0, &l), TN_FRAME_ST_PROTO, "limit 0: PROTO");
    /* A page bigger than 1 MiB is split into several frames. */
    static char big[60001];
    memset(big, 'v', 60000);
    for (int i = 0; i < 40; i++) {
        char k[16];
        snprintf(k, sizeof(k), "big%02d", i);
        size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 51, k, HLC(5), 1, 7, 0, big, NULL, 0);
        tc_row_put(&c, TN_PROTO_ROW_PUT, rowbuf, n, &res, NULL);
    }
    is_int(do_list(51, "", "", 1000, 0, &l), 0, "big page");
    is_int(l.n, 40, "40 rows");
    ok(l.frames >= 3, "split into several frames with MORE");
    is_str(l.keys[39], "big39", "in order across frames");
}

static void test_delete(void)
{
    size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 2, 60, "tomb", HLC(200), 3, 0x33,
                           TN_ROW_TOMBSTONE, "", NULL, 0);
    uint8_t res;
    is_int(tc_row_put(&c, TN_PROTO_ROW_PUT, rowbuf, n, &res, NULL), 0, "tombstone put");
    uint8_t b[256];
    tn_wire_w_t w;
    tn_row_delete_req_t d = {1, 2, 60, {"tomb", 4}, {HLC(199), 3, {0}}};
    memset(d.ver.vid, 0x33, 16);
    tn_wire_w_init(&w, b, sizeof(b));
    tn_proto_enc_row_delete_req(&w, &d);
    tc_reply_t r;
    is_int(tc_call(&c, TN_OP_ROW_DELETE, b, (size_t)(w.p - b), &r), 0, "delete other version");
    uint8_t result = 0;
    tn_proto_dec_result(r.body, r.len, &result);
    is_int(r.status, 0, "OK");
    is_int(result, TN_PROTO_RESULT_NOT_PURGED, "not purged: version changed");
    tc_reply_free(&r);
    d.ver.hlc = HLC(200);
    tn_wire_w_init(&w, b, sizeof(b));
    tn_proto_enc_row_delete_req(&w, &d);
    is_int(tc_call(&c, TN_OP_ROW_DELETE, b, (size_t)(w.p - b), &r), 0, "delete same version");
    tn_proto_dec_result(r.body, r.len, &result);
    is_int(result, TN_PROTO_RESULT_PURGED, "purged");
    tc_reply_free(&r);
    tn_row_t row;
    uint8_t *hold = NULL;
    is_int(tc_row_get(&c, 1, 2, 60, "tomb", &row, &hold), TN_FRAME_ST_NOT_FOUND, "gone");
}

static void test_epoch_clock(void)
{
    tc_conn_t c2;
    is_int(tc_connect(&c2, cl.port[0]), 0, "connect");
    c2.epoch = 0;
    tn_row_t row;
    uint8_t *hold = NULL;
    is_int(tc_row_get(&c2, 1, 2, 9, "alpha", &row, &hold), TN_FRAME_ST_STALE_EPOCH,
           "older epoch: STALE_EPOCH");
    c2.epoch = c.epoch + 1;
    is_int(tc_row_get(&c2, 1, 2, 9, "alpha", &row, &hold), TN_FRAME_ST_STALE_EPOCH,
           "newer epoch: STALE_EPOCH");
    c2.epoch = c.epoch;
    uint8_t b[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_row_get_req_t g = {1, 2, 9, {"alpha", 5}};
    tn_proto_enc_row_get_req(&w, &g);
    tc_send_ex(&c2, TN_OP_ROW_GET, 99, b, (size_t)(w.p - b), 0,
               tn_hlc_make(tc_now_ms() + 60000, 0));
    tc_reply_t r;
    is_int(tc_wait(&c2, 99, &r), 0, "reply");
    is_int(r.status, TN_FRAME_ST_CLOCK, "HLC a minute ahead: CLOCK");
    tc_reply_free(&r);
    is_int(tc_call(&c2, 0x0fff, NULL, 0, &r), 0, "unknown op answered");
    is_int(r.status, TN_FRAME_ST_UNSUPPORTED, "UNSUPPORTED");
    tc_reply_free(&r);
    tc_close(&c2);
}

static void test_pipelined(void)
{
    enum { CONNS = 4, PER = 250 };
    tc_conn_t cs[CONNS];
    uint64_t before = tc_stat(&c, "idx.batches");
    for (int k = 0; k < CONNS; k++) {
        tc_connect(&cs[k], cl.port[0]);
        cs[k].epoch = c.epoch;
    }
    /* Send everything first, then collect the replies. */
    for (int i = 0; i < PER; i++)
        for (int k = 0; k < CONNS; k++) {
            char key[32];
            snprintf(key, sizeof(key), "p%d-%04d", k, i);
            size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 3, 70, key, HLC(1000 + i), 1,
                                   (uint8_t)k, 0, key, NULL, 0);
            uint8_t b[256];
            tn_wire_w_t w;
            tn_wire_w_init(&w, b, sizeof(b));
            tn_row_put_req_t m = {0, {(const char *)rowbuf, n}};
            tn_proto_enc_row_put_req(&w, &m);
            tc_send(&cs[k], TN_OP_ROW_PUT, (uint64_t)i + 1, b, (size_t)(w.p - b));
        }
    int acked = 0;
    for (int k = 0; k < CONNS; k++) {
        for (int i = 0; i < PER; i++) {
            tc_reply_t r;
            uint8_t res = 0;
            if (tc_wait(&cs[k], (uint64_t)i + 1, &r) == 0 && r.status == 0 &&
                tn_proto_dec_result(r.body, r.len, &res) == 0 && res == TN_PROTO_RESULT_APPLIED)
                acked++;
            tc_reply_free(&r);
        }
        tc_close(&cs[k]);
    }
    is_int(acked, CONNS * PER, "1,000 pipelined writes acknowledged");
    int readable = 0;
    for (int k = 0; k < CONNS; k++)
        for (int i = 0; i < PER; i += 7) {
            char key[32];
            snprintf(key, sizeof(key), "p%d-%04d", k, i);
            tn_row_t row;
            uint8_t *hold = NULL;
            if (tc_row_get(&c, 1, 3, 70, key, &row, &hold) == 0 && row.value_len == strlen(key) &&
                memcmp(row.value, key, row.value_len) == 0)
                readable++;
            free(hold);
        }
    is_int(readable, CONNS * ((PER + 6) / 7), "sampled rows read back");
    uint64_t batches = tc_stat(&c, "idx.batches") - before;
    uint64_t maxb = tc_stat(&c, "idx.max_batch");
    ok(batches < (uint64_t)(CONNS * PER), "fewer commits than writes (group commit)");
    ok(maxb > 1, "a batch held more than one write");
    fprintf(stderr, "# 1000 writes in %llu batches, max batch %llu\n", (unsigned long long)batches,
            (unsigned long long)maxb);
    ok(tc_stat(&c, "srv.req.row_put") >= (uint64_t)(CONNS * PER), "STATS counts requests");
}

static void test_drain(void)
{
    /* SIGTERM with writes in flight: every request gets an answer (OK, or SHUTDOWN for frames
     * that arrived after the stop), and every OK survives the restart. */
    enum { N = 300 };
    static int ok_ids[N];
    int answered = 1, okd = 0;
    tc_conn_t d;
    is_int(tc_connect(&d, cl.port[0]), 0, "connect");
    d.epoch = c.epoch;
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof(key), "drain%04d", i);
        size_t n =
            tc_make_row(rowbuf, sizeof(rowbuf), 1, 3, 80, key, HLC(1), 1, 1, 0, key, NULL, 0);
        uint8_t b[256];
        tn_wire_w_t w;
        tn_wire_w_init(&w, b, sizeof(b));
        tn_row_put_req_t m = {0, {(const char *)rowbuf, n}};
        tn_proto_enc_row_put_req(&w, &m);
        tc_send(&d, TN_OP_ROW_PUT, (uint64_t)i + 1, b, (size_t)(w.p - b));
        if (i == N / 2) { /* once the daemon is busy with the first half */
            tc_reply_t r0;
            is_int(tc_wait(&d, 1, &r0), 0, "first reply");
            is_int(r0.status, 0, "first write OK");
            if (r0.status == 0)
                ok_ids[okd++] = 0;
            tc_reply_free(&r0);
            kill(cl.pid[0], SIGTERM);
        }
    }
    for (int i = 1; i < N; i++) {
        tc_reply_t r;
        if (tc_wait(&d, (uint64_t)i + 1, &r) != 0)
            break;
        answered++;
        if (r.status == 0)
            ok_ids[okd++] = i;
        else if (r.status != TN_FRAME_ST_SHUTDOWN)
            ok(0, "only OK or SHUTDOWN while stopping");
        tc_reply_free(&r);
    }
    tc_close(&d);
    fprintf(stderr, "# drain: %d of %d answered, %d OK\n", answered, N, okd);
    /* How many frames the daemon read before the stop is a race; what it read, it answered
     * (a frame it never read is the client's to retry, like any unanswered request). */
    ok(answered >= 1, "the drain answered what was in flight");
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "exit 0 after the drain");
    is_int(tc_osd_start(&cl, 0, 1), 0, "restart");
    tc_close(&c);
    tc_connect(&c, cl.port[0]);
    tc_sync_epoch(&c);
    int back = 0;
    for (int k = 0; k < okd; k++) {
        char key[32];
        snprintf(key, sizeof(key), "drain%04d", ok_ids[k]);
        tn_row_t row;
        uint8_t *hold = NULL;
        if (tc_row_get(&c, 1, 3, 80, key, &row, &hold) == 0)
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
        tc_connect(&c, cl.port[0]) != 0 || tc_sync_epoch(&c) != 0) {
        fprintf(stderr, "cannot start the OSD\n");
        return 1;
    }
    subtest("put, get, LWW", test_put_get);
    subtest("list", test_list);
    subtest("purge if unchanged", test_delete);
    subtest("epoch and clock", test_epoch_clock);
    subtest("pipelined writes", test_pipelined);
    subtest("drain on SIGTERM", test_drain);
    tc_close(&c);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
