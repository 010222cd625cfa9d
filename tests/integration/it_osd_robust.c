/*
 * it_osd_robust.c — integration test of tern-osd against bad input and bad disks: a connection
 * sending garbage is closed while another keeps working; a frame with a bad payload CRC gets
 * CHECKSUM (also inside a blob stream); a flipped byte in a blob file fails reads of that piece
 * with CHECKSUM while other ranges still read; a truncated blob file is CORRUPT; a long
 * pipelined upload keeps the daemon's memory bounded (back-pressure), a stalled reader does
 * not make it buffer a blob, and RSS is reported. Garbage, bad header and payload CRCs use raw
 * frames (the library refuses to send them); everything else goes through the client library.
 * Usage: it_osd_robust PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_crc.h"
#include "tn_wire.h"

static tc_cluster_t cl;
static tn_osdc_sync_t *s;
static tc_async_t a;

#define rss_kib tc_rss_kib

static int blob_exists(const tn_blobref_t *ref)
{
    tn_blob_stat_rep_t st = {1, 0};
    int rc = tn_osdc_sync_blob_stat(s, 0, ref, &st);
    return rc != 0 ? rc : st.exists;
}

static int get(const tn_blobref_t *ref, uint64_t off, uint64_t len, uint8_t **out, size_t *n)
{
    tn_blob_get_req_t m = {*ref, off, len};
    return tn_osdc_sync_blob_get(s, 0, &m, out, n, NULL);
}

static uint64_t epoch(void)
{
    return tn_osdc_epoch(tn_osdc_sync_client(s));
}

static void test_garbage(void)
{
    tc_raw_t g;
    is_int(tc_raw_connect(&g, cl.port[0], epoch()), 0, "garbage connection");
    uint8_t junk[4096];
    tc_fill(junk, sizeof(junk), 42);
    send(g.fd, junk, sizeof(junk), MSG_NOSIGNAL);
    ok(tc_wait_closed(&g, 3000), "garbage connection closed by the OSD");
    tc_raw_close(&g);
    /* A valid header with a bad CRC is closed too. */
    is_int(tc_raw_connect(&g, cl.port[0], epoch()), 0, "bad header connection");
    uint8_t hdr[TN_FRAME_HDR_SIZE];
    tn_frame_hdr_t h = {0};
    h.op = TN_OP_PING;
    tn_frame_encode_header(&h, hdr);
    hdr[44] ^= 1;
    send(g.fd, hdr, sizeof(hdr), MSG_NOSIGNAL);
    ok(tc_wait_closed(&g, 3000), "bad header CRC: closed");
    tc_raw_close(&g);
    tn_ping_rep_t p;
    is_int(tn_osdc_sync_ping(s, 0, &p), 0, "the library's connection keeps working");
    ok(tc_stat(s, 0, "srv.conns_bad_frame") >= 2, "bad frames counted");
}

static void test_bad_payload_crc(void)
{
    tc_raw_t c;
    is_int(tc_raw_connect(&c, cl.port[0], epoch()), 0, "raw connection");
    uint8_t b[8] = {0};
    is_int(tc_raw_send(&c, TN_OP_PING, 500, b, sizeof(b), 1), 0, "send bad CRC");
    tc_reply_t r;
    is_int(tc_raw_wait(&c, 500, &r), 0, "reply");
    is_int(r.status, TN_FRAME_ST_CHECKSUM, "bad payload CRC: CHECKSUM");
    tc_reply_free(&r);
    /* Inside a stream: one early CHECKSUM reply, nothing visible. */
    tn_blobref_t ref;
    tc_ref(&ref, 1, 1, 0x77, 0);
    uint8_t bb[64], f[12 + 100];
    tn_wire_w_t w;
    tn_wire_w_init(&w, bb, sizeof(bb));
    tn_blob_put_begin_t bg = {ref, 100};
    tn_proto_enc_blob_put_begin(&w, &bg);
    tc_raw_send(&c, TN_OP_BLOB_PUT_BEGIN, 501, bb, (size_t)(w.p - bb), 0);
    tn_wire_w_init(&w, f, 12);
    tn_proto_enc_blob_put_data_prefix(&w, 0, 100);
    memset(f + 12, 1, 100);
    tc_raw_send(&c, TN_OP_BLOB_PUT_DATA, 501, f, sizeof(f), 1);
    tn_wire_w_init(&w, bb, sizeof(bb));
    tn_blob_put_end_t e = {tn_crc32c(0, f + 12, 100)};
    tn_proto_enc_blob_put_end(&w, &e);
    tc_raw_send(&c, TN_OP_BLOB_PUT_END, 501, bb, (size_t)(w.p - bb), 0);
    is_int(tc_raw_wait(&c, 501, &r), 0, "stream reply");
    is_int(r.status, TN_FRAME_ST_CHECKSUM, "bad DATA CRC: CHECKSUM");
    tc_reply_free(&r);
    tc_raw_close(&c);
    is_int(blob_exists(&ref), 0, "nothing visible");
}

static void blob_path(char *out, size_t cap, const tn_blobref_t *ref)
{
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", ref->version[i]);
    snprintf(out, cap, "%s/blobs/%08x.%04x/%s.%08x", cl.data[0], ref->pool, ref->pg, hex,
             ref->part);
}

static void test_corruption(void)
{
    size_t len = 300000;
    uint8_t *data = malloc(len);
    tc_fill(data, len, 3);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 2, 0x55, 1);
    is_int(tn_osdc_sync_blob_put(s, 0, &ref, data, len), 0, "put");
    char path[600];
    blob_path(path, sizeof(path), &ref);
    int fd = open(path, O_RDWR);
    ok(fd >= 0, "blob file where the layout says");
    uint8_t byte;
    pread(fd, &byte, 1, 64 + 100);
    byte ^= 0x40;
    pwrite(fd, &byte, 1, 64 + 100);
    close(fd);
    uint8_t *got = NULL;
    size_t gl = 0;
    is_int(get(&ref, 0, 10, &got, &gl), TN_ERR_CHECKSUM, "flipped byte: CHECKSUM for its piece");
    free(got);
    got = NULL;
    is_int(get(&ref, 0, 0, &got, &gl), TN_ERR_CHECKSUM, "whole read: CHECKSUM, never wrong bytes");
    free(got);
    got = NULL;
    is_int(get(&ref, 200000, 1000, &got, &gl), 0, "a range elsewhere still reads");
    ok(got && gl == 1000 && memcmp(got, data + 200000, 1000) == 0, "and is right");
    free(got);
    ok(tc_stat(s, 0, "blob.checksum_errors") >= 2, "counted");
    /* Truncation. */
    tn_blobref_t ref2;
    tc_ref(&ref2, 1, 2, 0x56, 0);
    is_int(tn_osdc_sync_blob_put(s, 0, &ref2, data, len), 0, "put");
    blob_path(path, sizeof(path), &ref2);
    is_int(truncate(path, 64 + 1000), 0, "truncate the file");
    got = NULL;
    is_int(get(&ref2, 0, 10, &got, &gl), TN_ERR_CORRUPT, "truncated: CORRUPT");
    is_int(blob_exists(&ref2), TN_ERR_CORRUPT, "stat of a truncated blob: CORRUPT, not absent");
    free(data);
}

static void test_memory(void)
{
    pid_t pid = cl.pid[0];
    long idle = rss_kib(pid, "VmRSS:");
    /* 64 MiB streamed by the library (1 MiB DATA pieces, zero copy) as fast as it can. */
    size_t piece = 1u << 20, total = 64u << 20;
    uint8_t *blob = malloc(total);
    tc_fill(blob, piece, 9);
    for (size_t off = piece; off < total; off += piece)
        memcpy(blob + off, blob, piece);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 3, 0x99, 0);
    uint64_t t0 = tc_now_ms();
    is_int(tn_osdc_sync_blob_put(s, 0, &ref, blob, total), 0, "64 MiB streamed put OK");
    uint64_t ms = tc_now_ms() - t0;
    long hwm = rss_kib(pid, "VmHWM:");
    fprintf(stderr, "# RSS idle %ld KiB, peak %ld KiB after a 64 MiB put (%.0f MB/s)\n", idle, hwm,
            ms ? 64.0 * 1048576 / 1e6 / ((double)ms / 1000) : 0.0);
    if (getenv("TC_SANITIZED") == NULL) { /* ASan's allocator keeps freed memory */
        ok(idle > 0 && idle < 32 * 1024, "idle RSS under 32 MiB");
        ok(hwm > 0 && hwm < 64 * 1024, "peak RSS bounded well below the upload size");
    }
    /* A slow reader: ask for all 64 MiB and then do not run the client's loop for a while, so
     * nothing is read. The OSD produces the next piece only after the previous one was
     * written, so it holds a few MiB at most. */
    long before = rss_kib(pid, "VmRSS:");
    tn_osdc_stats_t st0, st1;
    tn_osdc_stats(a.c, &st0);
    tn_blob_get_req_t m = {ref, 0, 0};
    tc_get_t g;
    is_int(tc_get_start(&a, 0, &m, &g), 0, "GET accepted");
    for (int i = 0; i < 200; i++) { /* until the request is on the wire */
        tn_osdc_stats(a.c, &st1);
        if (st1.frames_out > st0.frames_out)
            break;
        h2o_evloop_run(a.loop, 1);
    }
    ok(st1.frames_out > st0.frames_out, "GET sent");
    usleep(500 * 1000);
    long stalled = rss_kib(pid, "VmRSS:");
    fprintf(stderr, "# RSS before a stalled 64 MiB GET %ld KiB, while stalled %ld KiB\n", before,
            stalled);
    if (getenv("TC_SANITIZED") == NULL)
        ok(stalled - before < 16 * 1024, "stalled reader: the OSD does not buffer the blob");
    is_int(tc_get_wait(&a, &g), 0, "stalled GET completes once read");
    is_int(g.frames, 64, "in 64 frames");
    ok(g.len == total && memcmp(g.data + (10u << 20), blob, piece) == 0, "content");
    free(g.data);
    /* Read it back again, not stalled. */
    is_int(tc_get_start(&a, 0, &m, &g), 0, "GET again");
    is_int(tc_get_wait(&a, &g), 0, "read 64 MiB back");
    is_int(g.frames, 64, "64 frames");
    ok(g.len == total && memcmp(g.data, blob, total) == 0, "content");
    free(g.data);
    free(blob);
    fprintf(stderr, "# RSS after reading it back: %ld KiB (peak %ld KiB)\n", rss_kib(pid, "VmRSS:"),
            rss_kib(pid, "VmHWM:"));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    /* The async client's request timeout is generous: these tests measure memory and
     * robustness, not latency, and a loaded CI machine may take seconds to stream 64 MiB after
     * the deliberate 500 ms reader stall (the default 2 s, from the call, flaked at load 20). */
    tn_osdc_opts_t ao;
    tn_osdc_opts_default(&ao);
    ao.request_timeout_ms = 20000;
    if (tc_cluster_init(&cl, argv[1], 1, NULL) != 0 || tc_osd_start(&cl, 0, 1) != 0 ||
        (s = tc_sync_new(&cl, NULL, 0)) == NULL || tc_async_new(&a, &cl, &ao, epoch()) != 0) {
        fprintf(stderr, "cannot start the OSD\n");
        return 1;
    }
    subtest("garbage", test_garbage);
    subtest("bad payload CRC", test_bad_payload_crc);
    subtest("corruption", test_corruption);
    subtest("memory", test_memory);
    tc_async_free(&a);
    tn_osdc_sync_destroy(s);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
