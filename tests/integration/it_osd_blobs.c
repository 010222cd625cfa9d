/*
 * it_osd_blobs.c — integration test of tern-osd's blob ops through the client library: streamed
 * puts of several sizes, range reads across piece boundaries (reply frames counted), STAT,
 * DELETE, many streams in flight on one connection (async client), and, over raw frames
 * because the library refuses to send them, a wrong END CRC (CHECKSUM, nothing visible), a gap
 * in DATA offsets (PROTO), a malformed BEGIN and a connection closed mid-stream.
 * Usage: it_osd_blobs PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_wire.h"

static tc_cluster_t cl;
static tn_osdc_sync_t *s;
static tc_async_t a;

/* GET of [off, off+n) through the async client, frames counted. */
static int get_range(const tn_blobref_t *ref, uint64_t off, uint64_t n, uint8_t **out, size_t *len,
                     uint64_t *blob_len, int *frames)
{
    tn_blob_get_req_t m = {*ref, off, n};
    tc_get_t g;
    int rc = tc_get_start(&a, 0, &m, &g);
    if (rc == 0)
        rc = tc_get_wait(&a, &g);
    if (frames)
        *frames = g.frames;
    if (blob_len)
        *blob_len = g.blob_len;
    if (rc == 0 && out != NULL) {
        *out = g.data;
        *len = g.len;
    } else {
        free(g.data);
    }
    return rc;
}

static void check_roundtrip(size_t len, uint8_t vb)
{
    char what[128];
    uint8_t *data = malloc(len ? len : 1);
    tc_fill(data, len, (uint32_t)len + vb);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 3, vb, 0);
    snprintf(what, sizeof(what), "put %zu bytes", len);
    is_int(tn_osdc_sync_blob_put(s, 0, &ref, data, len), 0, what);
    uint8_t *got = NULL;
    size_t got_len = 0;
    uint64_t blen = 0;
    int frames = 0;
    snprintf(what, sizeof(what), "get %zu bytes", len);
    is_int(get_range(&ref, 0, 0, &got, &got_len, &blen, &frames), 0, what);
    is_uint(got_len, len, "whole blob length");
    is_uint(blen, len, "blob_len in reply");
    ok(len == 0 || (got != NULL && memcmp(got, data, len) == 0), "bytes read back equal");
    size_t want_frames = len == 0 ? 1 : (len + (1u << 20) - 1) / (1u << 20);
    is_int(frames, (long long)want_frames, "1 MiB reply frames with MORE");
    free(got);
    /* The sync wrapper reads the same bytes. */
    tn_blob_get_req_t m = {ref, 0, 0};
    got = NULL;
    got_len = 0;
    blen = 0;
    is_int(tn_osdc_sync_blob_get(s, 0, &m, &got, &got_len, &blen), 0, "sync get");
    ok(got_len == len && blen == len && (len == 0 || memcmp(got, data, len) == 0),
       "sync get: same bytes");
    free(got);
    tn_blob_stat_rep_t st = {0};
    is_int(tn_osdc_sync_blob_stat(s, 0, &ref, &st), 0, "stat");
    is_int(st.exists, 1, "stat: exists");
    is_uint(st.length, len, "stat: length");
    free(data);
}

static void test_roundtrips(void)
{
    check_roundtrip(0, 0x10);
    check_roundtrip(1, 0x11);
    check_roundtrip(1u << 20, 0x12);
    check_roundtrip(5u << 20, 0x13);
    check_roundtrip(3000001, 0x14);
}

static void check_range(const uint8_t *data, size_t len, const tn_blobref_t *ref, uint64_t off,
                        uint64_t n)
{
    uint8_t *got = NULL;
    size_t got_len = 0;
    char what[128];
    snprintf(what, sizeof(what), "range off=%llu len=%llu", (unsigned long long)off,
             (unsigned long long)n);
    tn_blob_get_req_t m = {*ref, off, n};
    is_int(tn_osdc_sync_blob_get(s, 0, &m, &got, &got_len, NULL), 0, what);
    uint64_t want = n == 0 || off + n > len ? len - off : n;
    is_uint(got_len, want, what);
    ok(want == 0 || (got != NULL && memcmp(got, data + off, (size_t)want) == 0), what);
    free(got);
}

static void test_ranges(void)
{
    size_t len = (5u << 20) + 12345;
    uint8_t *data = malloc(len);
    tc_fill(data, len, 99);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 4, 0x20, 7);
    is_int(tn_osdc_sync_blob_put(s, 0, &ref, data, len), 0, "put 5 MiB + odd");
    check_range(data, len, &ref, 0, 1);
    check_range(data, len, &ref, len - 1, 1);
    check_range(data, len, &ref, len - 1, 0);
    check_range(data, len, &ref, (1u << 20) - 10, 20);
    check_range(data, len, &ref, 65536 - 3, 65536 * 3 + 7);
    check_range(data, len, &ref, 12345, 0);
    check_range(data, len, &ref, 3u << 20, 10u << 20);
    check_range(data, len, &ref, len, 0);
    uint8_t *got = NULL;
    size_t gl = 0;
    tn_blob_get_req_t m = {ref, len + 1, 0};
    is_int(tn_osdc_sync_blob_get(s, 0, &m, &got, &gl, NULL), -EINVAL, "offset past the end: INVAL");
    tn_blobref_t missing;
    tc_ref(&missing, 1, 4, 0x21, 0);
    m.ref = missing;
    m.offset = 0;
    is_int(tn_osdc_sync_blob_get(s, 0, &m, &got, &gl, NULL), TN_ERR_NOT_FOUND,
           "missing blob: NOT_FOUND");
    is_int(tn_osdc_sync_blob_delete(s, 0, &ref), 0, "delete");
    tn_blob_stat_rep_t st = {1, 0};
    is_int(tn_osdc_sync_blob_stat(s, 0, &ref, &st), 0, "stat after delete");
    is_int(st.exists, 0, "gone after delete");
    is_int(tn_osdc_sync_blob_delete(s, 0, &ref), TN_ERR_NOT_FOUND, "second delete: NOT_FOUND");
    free(data);
}

static int exists(const tn_blobref_t *ref)
{
    tn_blob_stat_rep_t st = {1, 0};
    int rc = tn_osdc_sync_blob_stat(s, 0, ref, &st);
    return rc != 0 ? -1 : st.exists;
}

/* Raw frames: streams the library refuses to send. */
static void test_bad_streams(void)
{
    uint8_t data[300000];
    tc_fill(data, sizeof(data), 5);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 5, 0x30, 0);
    tc_raw_t c;
    is_int(tc_raw_connect(&c, cl.port[0], tn_osdc_epoch(tn_osdc_sync_client(s))), 0,
           "raw connection");
    is_int(tc_raw_blob_put(&c, 10, &ref, data, sizeof(data), 100000, 1), TN_FRAME_ST_CHECKSUM,
           "wrong END CRC: CHECKSUM");
    is_int(exists(&ref), 0, "nothing visible after a CRC mismatch");

    /* A gap in DATA offsets: one PROTO reply, then the stream's later frames are ignored. */
    uint64_t id = 777;
    uint8_t b[64], f[12 + 1000];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_put_begin_t bg = {ref, 3000};
    tn_proto_enc_blob_put_begin(&w, &bg);
    tc_raw_send(&c, TN_OP_BLOB_PUT_BEGIN, id, b, (size_t)(w.p - b), 0);
    uint64_t offs[3] = {0, 2000, 1000};
    for (int i = 0; i < 3; i++) {
        tn_wire_w_init(&w, f, 12);
        tn_proto_enc_blob_put_data_prefix(&w, offs[i], 1000);
        memcpy(f + 12, data, 1000);
        tc_raw_send(&c, TN_OP_BLOB_PUT_DATA, id, f, sizeof(f), 0);
    }
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_put_end_t e = {0};
    tn_proto_enc_blob_put_end(&w, &e);
    tc_raw_send(&c, TN_OP_BLOB_PUT_END, id, b, (size_t)(w.p - b), 0);
    tc_reply_t r;
    is_int(tc_raw_wait(&c, id, &r), 0, "reply to the gapped stream");
    is_int(r.status, TN_FRAME_ST_PROTO, "gap: PROTO");
    tc_reply_free(&r);
    /* No second reply for that id: a PING on the same connection answers next. */
    tn_wire_w_init(&w, b, sizeof(b));
    tn_ping_req_t p = {tc_now_ms()};
    tn_proto_enc_ping_req(&w, &p);
    tc_raw_send(&c, TN_OP_PING, 779, b, (size_t)(w.p - b), 0);
    is_int(tc_raw_wait(&c, 779, &r), 0, "connection still serves");
    is_int(r.status, 0, "PING OK");
    tc_reply_free(&r);
    ok(c.stash == NULL, "no further reply to the failed stream");
    is_int(exists(&ref), 0, "nothing visible after PROTO");

    /* An empty BEGIN: PROTO. */
    id = 778;
    tc_raw_send(&c, TN_OP_BLOB_PUT_BEGIN, id, b, 0, 0);
    is_int(tc_raw_wait(&c, id, &r), 0, "reply to an empty BEGIN");
    is_int(r.status, TN_FRAME_ST_PROTO, "malformed BEGIN: PROTO");
    tc_reply_free(&r);
    tc_raw_send(&c, TN_OP_BLOB_PUT_END, id, b, 0, 0); /* ignored: the stream failed */

    /* A connection closed mid-stream aborts it; another connection sees nothing. */
    tc_raw_t c2;
    is_int(tc_raw_connect(&c2, cl.port[0], c.epoch), 0, "second connection");
    tn_wire_w_init(&w, b, sizeof(b));
    tn_proto_enc_blob_put_begin(&w, &bg);
    tc_raw_send(&c2, TN_OP_BLOB_PUT_BEGIN, 5, b, (size_t)(w.p - b), 0);
    tn_wire_w_init(&w, f, 12);
    tn_proto_enc_blob_put_data_prefix(&w, 0, 1000);
    tc_raw_send(&c2, TN_OP_BLOB_PUT_DATA, 5, f, sizeof(f), 0);
    tc_raw_close(&c2);
    is_int(exists(&ref), 0, "aborted stream invisible");
    tc_raw_close(&c);

    /* Re-putting an existing blob is harmless (library again). */
    tc_ref(&ref, 1, 5, 0x31, 0);
    is_int(tn_osdc_sync_blob_put(s, 0, &ref, data, 1000), 0, "put");
    is_int(tn_osdc_sync_blob_put(s, 0, &ref, data, 1000), 0, "identical re-put is OK");
    is_int(tn_osdc_sync_blob_put(s, 0, &ref, data + 1, 1000), -EEXIST,
           "different content under one id: EXIST");
}

static void on_put(void *arg, int err, const tn_osdc_reply_t *rep)
{
    int *counts = arg; /* [0] completed, [1] OK */
    (void)rep;
    counts[0]++;
    if (err == 0)
        counts[1]++;
}

static void test_pipelined_puts(void)
{
    /* Many streams in flight on one connection: the library interleaves their frames (20 small
     * ones, and 4 of 2.5 MiB whose 1 MiB pieces take turns). */
    enum { N = 20, NB = 4 };
    static uint8_t data[N][20000];
    static uint8_t big[NB][(2u << 20) + 500000];
    tn_blobref_t refs[N + NB];
    int counts[2] = {0, 0};
    int accepted = 0;
    for (int i = 0; i < N + NB; i++) {
        const uint8_t *d = i < N ? data[i] : big[i - N];
        size_t len = i < N ? sizeof(data[0]) : sizeof(big[0]);
        tc_fill((uint8_t *)d, len, (uint32_t)i + 1000);
        tc_ref(&refs[i], 2, 1, (uint8_t)(0x40 + i), 0);
        if (tn_osdc_blob_put(a.c, 0, &refs[i], d, len, on_put, counts, NULL) == 0)
            accepted++;
    }
    is_int(accepted, N + NB, "all streams accepted");
    ok(tn_osdc_inflight(a.c, 0) == (uint32_t)(N + NB), "all in flight at once");
    is_int(tc_run_until(a.loop, &counts[0], accepted, 30000), 0, "every stream completed");
    is_int(counts[1], N + NB, "interleaved streams all acknowledged");
    uint8_t *got = NULL;
    size_t gl = 0;
    is_int(get_range(&refs[7], 0, 0, &got, &gl, NULL, NULL), 0, "read one back");
    ok(gl == sizeof(data[7]) && memcmp(got, data[7], gl) == 0, "interleaved stream intact");
    free(got);
    got = NULL;
    is_int(get_range(&refs[N + 2], 0, 0, &got, &gl, NULL, NULL), 0, "read a big one back");
    ok(gl == sizeof(big[2]) && memcmp(got, big[2], gl) == 0, "interleaved big stream intact");
    free(got);
}

/* A connection keeps its emptied input buffer between 1 MiB DATA frames (also once no stream is
 * open), and frees it when no frame used it for a second (srv.input_trims). */
static void test_input_trim(void)
{
    static uint8_t big[(2u << 20) + 4096];
    tc_fill(big, sizeof(big), 77);
    tn_blobref_t ref;
    tc_ref(&ref, 2, 1, 0x7e, 0);
    uint64_t before = tc_stat(s, 0, "srv.input_trims");
    int counts[2] = {0, 0};
    is_int(tn_osdc_blob_put(a.c, 0, &ref, big, sizeof(big), on_put, counts, NULL), 0, "put");
    is_int(tc_run_until(a.loop, &counts[0], 1, 30000), 0, "completed");
    is_int(counts[1], 1, "acknowledged");
    uint64_t soon = tc_stat(s, 0, "srv.input_trims");
    is_uint(soon, before, "the buffer is still kept right after the stream");
    /* two idle looks: the first sees it used, the second frees it. The client's loop runs
     * meanwhile (a plain sleep would leave its clock 2.5 s behind, and the next request would
     * time out at once) */
    int never = 0;
    tc_run_until(a.loop, &never, 1, 2500);
    ok(tc_stat(s, 0, "srv.input_trims") > before, "freed after a second unused");
    uint8_t *got = NULL;
    size_t gl = 0;
    is_int(get_range(&ref, 0, 0, &got, &gl, NULL, NULL), 0, "read back");
    ok(gl == sizeof(big) && memcmp(got, big, gl) == 0, "intact");
    free(got);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    if (tc_cluster_init(&cl, argv[1], 1, NULL) != 0 || tc_osd_start(&cl, 0, 1) != 0 ||
        (s = tc_sync_new(&cl, NULL, 0)) == NULL ||
        tc_async_new(&a, &cl, NULL, tn_osdc_epoch(tn_osdc_sync_client(s))) != 0) {
        fprintf(stderr, "cannot start the OSD\n");
        return 1;
    }
    subtest("round trips", test_roundtrips);
    subtest("ranges, stat, delete", test_ranges);
    subtest("bad streams (raw frames)", test_bad_streams);
    subtest("pipelined streams", test_pipelined_puts);
    subtest("idle input buffer freed", test_input_trim);
    tc_async_free(&a);
    tn_osdc_sync_destroy(s);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
