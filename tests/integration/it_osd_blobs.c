/*
 * it_osd_blobs.c — integration test of tern-osd's blob ops over the wire: streamed puts of
 * several sizes, range reads across piece boundaries, STAT, DELETE, a wrong END CRC
 * (CHECKSUM, nothing visible), a gap in DATA offsets (PROTO), and a connection closed
 * mid-stream. Usage: it_osd_blobs PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_crc.h"
#include "tn_wire.h"

static tc_cluster_t cl;
static tc_conn_t c;

static void check_roundtrip(size_t len, uint8_t vb)
{
    char what[128];
    uint8_t *data = malloc(len ? len : 1);
    tc_fill(data, len, (uint32_t)len + vb);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 3, vb, 0);
    snprintf(what, sizeof(what), "put %zu bytes", len);
    is_int(tc_blob_put(&c, &ref, data, len, 1u << 20, 0), 0, what);
    uint8_t *got = NULL;
    size_t got_len = 0;
    uint64_t blen = 0;
    int frames = 0;
    snprintf(what, sizeof(what), "get %zu bytes", len);
    is_int(tc_blob_get(&c, &ref, 0, 0, &got, &got_len, &blen, &frames), 0, what);
    is_uint(got_len, len, "whole blob length");
    is_uint(blen, len, "blob_len in reply");
    ok(got != NULL && memcmp(got, data, len) == 0, "bytes read back equal");
    size_t want_frames = len == 0 ? 1 : (len + (1u << 20) - 1) / (1u << 20);
    is_int(frames, (long long)want_frames, "1 MiB reply frames with MORE");
    free(got);
    int exists = 0;
    uint64_t slen = 0;
    is_int(tc_blob_stat(&c, &ref, &exists, &slen), 0, "stat");
    is_int(exists, 1, "stat: exists");
    is_uint(slen, len, "stat: length");
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
    is_int(tc_blob_get(&c, ref, off, n, &got, &got_len, NULL, NULL), 0, what);
    uint64_t want = n == 0 || off + n > len ? len - off : n;
    is_uint(got_len, want, what);
    ok(got != NULL && memcmp(got, data + off, (size_t)want) == 0, what);
    free(got);
}

static void test_ranges(void)
{
    size_t len = (5u << 20) + 12345;
    uint8_t *data = malloc(len);
    tc_fill(data, len, 99);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 4, 0x20, 7);
    is_int(tc_blob_put(&c, &ref, data, len, 1u << 20, 0), 0, "put 5 MiB + odd");
    check_range(data, len, &ref, 0, 1);
    check_range(data, len, &ref, len - 1, 1);
    check_range(data, len, &ref, len - 1, 0);
    check_range(data, len, &ref, (1u << 20) - 10, 20);
    check_range(data, len, &ref, 65536 - 3, 65536 * 3 + 7);
    check_range(data, len, &ref, 12345, 0);
    check_range(data, len, &ref, 3u << 20, 10u << 20);
    check_range(data, len, &ref, len, 0);
    is_int(tc_blob_get(&c, &ref, len + 1, 0, NULL, NULL, NULL, NULL), TN_FRAME_ST_INVAL,
           "offset past the end: INVAL");
    tn_blobref_t missing;
    tc_ref(&missing, 1, 4, 0x21, 0);
    is_int(tc_blob_get(&c, &missing, 0, 0, NULL, NULL, NULL, NULL), TN_FRAME_ST_NOT_FOUND,
           "missing blob: NOT_FOUND");
    is_int(tc_blob_delete(&c, &ref), 0, "delete");
    int exists = 1;
    uint64_t l = 0;
    is_int(tc_blob_stat(&c, &ref, &exists, &l), 0, "stat after delete");
    is_int(exists, 0, "gone after delete");
    is_int(tc_blob_delete(&c, &ref), TN_FRAME_ST_NOT_FOUND, "second delete: NOT_FOUND");
    free(data);
}

static void test_bad_streams(void)
{
    uint8_t data[300000];
    tc_fill(data, sizeof(data), 5);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 5, 0x30, 0);
    is_int(tc_blob_put(&c, &ref, data, sizeof(data), 100000, 1), TN_FRAME_ST_CHECKSUM,
           "wrong END CRC: CHECKSUM");
    int exists = 1;
    uint64_t l = 0;
    is_int(tc_blob_stat(&c, &ref, &exists, &l), 0, "stat");
    is_int(exists, 0, "nothing visible after a CRC mismatch");

    /* A gap in DATA offsets: one PROTO reply, then the stream's later frames are ignored. */
    uint64_t id = 777;
    uint8_t b[64], f[12 + 1000];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_put_begin_t bg = {ref, 3000};
    tn_proto_enc_blob_put_begin(&w, &bg);
    tc_send(&c, TN_OP_BLOB_PUT_BEGIN, id, b, (size_t)(w.p - b));
    uint64_t offs[3] = {0, 2000, 1000};
    for (int i = 0; i < 3; i++) {
        tn_wire_w_init(&w, f, 12);
        tn_proto_enc_blob_put_data_prefix(&w, offs[i], 1000);
        memcpy(f + 12, data, 1000);
        tc_send(&c, TN_OP_BLOB_PUT_DATA, id, f, sizeof(f));
    }
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_put_end_t e = {0};
    tn_proto_enc_blob_put_end(&w, &e);
    tc_send(&c, TN_OP_BLOB_PUT_END, id, b, (size_t)(w.p - b));
    tc_reply_t r;
    is_int(tc_wait(&c, id, &r), 0, "reply to the gapped stream");
    is_int(r.status, TN_FRAME_ST_PROTO, "gap: PROTO");
    tc_reply_free(&r);
    /* No second reply for that id: a PING answers next. */
    is_int(tc_sync_epoch(&c), 0, "connection still serves");
    ok(c.stash == NULL, "no further reply to the failed stream");
    is_int(tc_blob_stat(&c, &ref, &exists, &l), 0, "stat");
    is_int(exists, 0, "nothing visible after PROTO");

    /* END before total_len: PROTO. */
    id = 778;
    tn_wire_w_init(&w, b, sizeof(b));
    tc_send(&c, TN_OP_BLOB_PUT_BEGIN, id, b, 0);
    is_int(tc_wait(&c, id, &r), 0, "reply to an empty BEGIN");
    is_int(r.status, TN_FRAME_ST_PROTO, "malformed BEGIN: PROTO");
    tc_reply_free(&r);
    tc_send(&c, TN_OP_BLOB_PUT_END, id, b, 0); /* ignored: the stream failed */

    /* A connection closed mid-stream aborts it; another connection sees nothing. */
    tc_conn_t c2;
    is_int(tc_connect(&c2, cl.port[0]), 0, "second connection");
    tc_sync_epoch(&c2);
    tn_wire_w_init(&w, b, sizeof(b));
    tn_proto_enc_blob_put_begin(&w, &bg);
    tc_send(&c2, TN_OP_BLOB_PUT_BEGIN, 5, b, (size_t)(w.p - b));
    tn_wire_w_init(&w, f, 12);
    tn_proto_enc_blob_put_data_prefix(&w, 0, 1000);
    tc_send(&c2, TN_OP_BLOB_PUT_DATA, 5, f, sizeof(f));
    tc_close(&c2);
    is_int(tc_blob_stat(&c, &ref, &exists, &l), 0, "stat");
    is_int(exists, 0, "aborted stream invisible");

    /* Re-putting an existing blob is harmless. */
    tc_ref(&ref, 1, 5, 0x31, 0);
    is_int(tc_blob_put(&c, &ref, data, 1000, 1000, 0), 0, "put");
    is_int(tc_blob_put(&c, &ref, data, 1000, 1000, 0), 0, "identical re-put is OK");
    is_int(tc_blob_put(&c, &ref, data + 1, 1000, 1000, 0), TN_FRAME_ST_EXIST,
           "different content under one id: EXIST");
}

static void test_pipelined_puts(void)
{
    /* Many streams interleaved on one connection. */
    enum { N = 20 };
    uint8_t data[N][20000];
    tn_blobref_t refs[N];
    uint8_t b[64];
    uint8_t f[12 + 10000];
    tn_wire_w_t w;
    for (int i = 0; i < N; i++) {
        tc_fill(data[i], sizeof(data[i]), (uint32_t)i + 1000);
        tc_ref(&refs[i], 2, 1, (uint8_t)(0x40 + i), 0);
        tn_wire_w_init(&w, b, sizeof(b));
        tn_blob_put_begin_t bg = {refs[i], sizeof(data[i])};
        tn_proto_enc_blob_put_begin(&w, &bg);
        tc_send(&c, TN_OP_BLOB_PUT_BEGIN, 1000 + (uint64_t)i, b, (size_t)(w.p - b));
    }
    for (int half = 0; half < 2; half++)
        for (int i = 0; i < N; i++) {
            tn_wire_w_init(&w, f, 12);
            tn_proto_enc_blob_put_data_prefix(&w, (uint64_t)half * 10000, 10000);
            memcpy(f + 12, data[i] + half * 10000, 10000);
            tc_send(&c, TN_OP_BLOB_PUT_DATA, 1000 + (uint64_t)i, f, sizeof(f));
        }
    for (int i = 0; i < N; i++) {
        tn_wire_w_init(&w, b, sizeof(b));
        tn_blob_put_end_t e = {tn_crc32c(0, data[i], sizeof(data[i]))};
        tn_proto_enc_blob_put_end(&w, &e);
        tc_send(&c, TN_OP_BLOB_PUT_END, 1000 + (uint64_t)i, b, (size_t)(w.p - b));
    }
    int good = 0;
    for (int i = N - 1; i >= 0; i--) {
        tc_reply_t r;
        if (tc_wait(&c, 1000 + (uint64_t)i, &r) == 0 && r.status == 0)
            good++;
        tc_reply_free(&r);
    }
    is_int(good, N, "interleaved streams all acknowledged");
    uint8_t *got = NULL;
    size_t gl = 0;
    is_int(tc_blob_get(&c, &refs[7], 0, 0, &got, &gl, NULL, NULL), 0, "read one back");
    ok(gl == sizeof(data[7]) && memcmp(got, data[7], gl) == 0, "interleaved stream intact");
    free(got);
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
    subtest("round trips", test_roundtrips);
    subtest("ranges, stat, delete", test_ranges);
    subtest("bad streams", test_bad_streams);
    subtest("pipelined streams", test_pipelined_puts);
    tc_close(&c);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
