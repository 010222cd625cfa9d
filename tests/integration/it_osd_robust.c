/*
 * it_osd_robust.c — integration test of tern-osd against bad input and bad disks: a connection
 * sending garbage is closed while another keeps working; a frame with a bad payload CRC gets
 * CHECKSUM (also inside a blob stream); a flipped byte in a blob file fails reads of that piece
 * with CHECKSUM while other ranges still read; a truncated blob file is CORRUPT; a long
 * pipelined upload keeps the daemon's memory bounded (back-pressure), and RSS is reported.
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
static tc_conn_t c;

static long rss_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, strlen(field)) == 0)
            v = strtol(line + strlen(field) + 1, NULL, 10);
    fclose(f);
    return v;
}

static void test_garbage(void)
{
    tc_conn_t g;
    is_int(tc_connect(&g, cl.port[0]), 0, "garbage connection");
    uint8_t junk[4096];
    tc_fill(junk, sizeof(junk), 42);
    send(g.fd, junk, sizeof(junk), MSG_NOSIGNAL);
    ok(tc_wait_closed(&g, 3000), "garbage connection closed by the OSD");
    tc_close(&g);
    /* A valid header with a bad CRC is closed too. */
    is_int(tc_connect(&g, cl.port[0]), 0, "bad header connection");
    uint8_t hdr[TN_FRAME_HDR_SIZE];
    tn_frame_hdr_t h = {0};
    h.op = TN_OP_PING;
    tn_frame_encode_header(&h, hdr);
    hdr[44] ^= 1;
    send(g.fd, hdr, sizeof(hdr), MSG_NOSIGNAL);
    ok(tc_wait_closed(&g, 3000), "bad header CRC: closed");
    tc_close(&g);
    is_int(tc_sync_epoch(&c), 0, "the other connection keeps working");
    ok(tc_stat(&c, "srv.conns_bad_frame") >= 2, "bad frames counted");
}

static void test_bad_payload_crc(void)
{
    uint8_t b[8] = {0};
    is_int(tc_send_ex(&c, TN_OP_PING, 500, b, sizeof(b), 1, 0), 0, "send bad CRC");
    tc_reply_t r;
    is_int(tc_wait(&c, 500, &r), 0, "reply");
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
    tc_send(&c, TN_OP_BLOB_PUT_BEGIN, 501, bb, (size_t)(w.p - bb));
    tn_wire_w_init(&w, f, 12);
    tn_proto_enc_blob_put_data_prefix(&w, 0, 100);
    memset(f + 12, 1, 100);
    tc_send_ex(&c, TN_OP_BLOB_PUT_DATA, 501, f, sizeof(f), 1, 0);
    tn_wire_w_init(&w, bb, sizeof(bb));
    tn_blob_put_end_t e = {tn_crc32c(0, f + 12, 100)};
    tn_proto_enc_blob_put_end(&w, &e);
    tc_send(&c, TN_OP_BLOB_PUT_END, 501, bb, (size_t)(w.p - bb));
    is_int(tc_wait(&c, 501, &r), 0, "stream reply");
    is_int(r.status, TN_FRAME_ST_CHECKSUM, "bad DATA CRC: CHECKSUM");
    tc_reply_free(&r);
    int exists = 1;
    uint64_t len;
    tc_blob_stat(&c, &ref, &exists, &len);
    is_int(exists, 0, "nothing visible");
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
    is_int(tc_blob_put(&c, &ref, data, len, 100000, 0), 0, "put");
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
    is_int(tc_blob_get(&c, &ref, 0, 10, &got, &gl, NULL, NULL), TN_FRAME_ST_CHECKSUM,
           "flipped byte: CHECKSUM for its piece");
    free(got);
    got = NULL;
    is_int(tc_blob_get(&c, &ref, 0, 0, &got, &gl, NULL, NULL), TN_FRAME_ST_CHECKSUM,
           "whole read: CHECKSUM, never wrong bytes");
    free(got);
    got = NULL;
    is_int(tc_blob_get(&c, &ref, 200000, 1000, &got, &gl, NULL, NULL), 0,
           "a range elsewhere still reads");
    ok(got && gl == 1000 && memcmp(got, data + 200000, 1000) == 0, "and is right");
    free(got);
    ok(tc_stat(&c, "blob.checksum_errors") >= 2, "counted");
    /* Truncation. */
    tn_blobref_t ref2;
    tc_ref(&ref2, 1, 2, 0x56, 0);
    is_int(tc_blob_put(&c, &ref2, data, len, 100000, 0), 0, "put");
    blob_path(path, sizeof(path), &ref2);
    is_int(truncate(path, 64 + 1000), 0, "truncate the file");
    got = NULL;
    is_int(tc_blob_get(&c, &ref2, 0, 10, &got, &gl, NULL, NULL), TN_FRAME_ST_CORRUPT,
           "truncated: CORRUPT");
    int exists;
    uint64_t l;
    is_int(tc_blob_stat(&c, &ref2, &exists, &l), TN_FRAME_ST_CORRUPT,
           "stat of a truncated blob: CORRUPT, not absent");
    free(data);
}

static void test_memory(void)
{
    pid_t pid = cl.pid[0];
    long idle = rss_kib(pid, "VmRSS:");
    /* 64 MiB streamed as fast as we can send it, replies read only at the end. */
    size_t piece = 1u << 20, total = 64u << 20;
    uint8_t *f = malloc(12 + piece);
    tc_fill(f + 12, piece, 9);
    tn_blobref_t ref;
    tc_ref(&ref, 1, 3, 0x99, 0);
    uint8_t bb[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, bb, sizeof(bb));
    tn_blob_put_begin_t bg = {ref, total};
    tn_proto_enc_blob_put_begin(&w, &bg);
    uint64_t t0 = tc_now_ms();
    tc_send(&c, TN_OP_BLOB_PUT_BEGIN, 900, bb, (size_t)(w.p - bb));
    uint32_t crc = 0;
    for (size_t off = 0; off < total; off += piece) {
        tn_wire_w_init(&w, f, 12);
        tn_proto_enc_blob_put_data_prefix(&w, off, (uint32_t)piece);
        tc_send(&c, TN_OP_BLOB_PUT_DATA, 900, f, 12 + piece);
        crc = tn_crc32c(crc, f + 12, piece);
    }
    tn_wire_w_init(&w, bb, sizeof(bb));
    tn_blob_put_end_t e = {crc};
    tn_proto_enc_blob_put_end(&w, &e);
    tc_send(&c, TN_OP_BLOB_PUT_END, 900, bb, (size_t)(w.p - bb));
    tc_reply_t r;
    is_int(tc_wait(&c, 900, &r), 0, "reply");
    is_int(r.status, 0, "64 MiB streamed put OK");
    tc_reply_free(&r);
    uint64_t ms = tc_now_ms() - t0;
    long hwm = rss_kib(pid, "VmHWM:");
    fprintf(stderr, "# RSS idle %ld KiB, peak %ld KiB after a 64 MiB put (%.0f MB/s)\n", idle, hwm,
            ms ? 64.0 * 1048576 / 1e6 / ((double)ms / 1000) : 0.0);
    if (getenv("TC_SANITIZED") == NULL) { /* ASan's allocator keeps freed memory */
        ok(idle > 0 && idle < 32 * 1024, "idle RSS under 32 MiB");
        ok(hwm > 0 && hwm < 64 * 1024, "peak RSS bounded well below the upload size");
    }
    /* A slow reader: ask for all 64 MiB and read nothing for a while. The OSD produces the
     * next piece only after the previous one was written, so it holds a few MiB at most. */
    long before = rss_kib(pid, "VmRSS:");
    uint8_t gb[64];
    tn_wire_w_init(&w, gb, sizeof(gb));
    tn_blob_get_req_t gr = {ref, 0, 0};
    tn_proto_enc_blob_get_req(&w, &gr);
    tc_send(&c, TN_OP_BLOB_GET, 901, gb, (size_t)(w.p - gb));
    usleep(500 * 1000);
    long stalled = rss_kib(pid, "VmRSS:");
    fprintf(stderr, "# RSS before a stalled 64 MiB GET %ld KiB, while stalled %ld KiB\n", before,
            stalled);
    if (getenv("TC_SANITIZED") == NULL)
        ok(stalled - before < 16 * 1024, "stalled reader: the OSD does not buffer the blob");
    is_int(tc_wait(&c, 901, &r), 0, "stalled GET completes once read");
    is_int(r.nframes, 64, "in 64 frames");
    is_int(r.status, 0, "OK");
    tc_reply_free(&r);
    /* Read it back in 1 MiB frames. */
    uint8_t *got = NULL;
    size_t gl = 0;
    int frames = 0;
    is_int(tc_blob_get(&c, &ref, 0, 0, &got, &gl, NULL, &frames), 0, "read 64 MiB back");
    is_int(frames, 64, "64 frames");
    ok(gl == total && memcmp(got + (10u << 20), f + 12, piece) == 0, "content");
    free(got);
    free(f);
    fprintf(stderr, "# RSS after reading it back: %ld KiB (peak %ld KiB)\n", rss_kib(pid, "VmRSS:"),
            rss_kib(pid, "VmHWM:"));
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
    subtest("garbage", test_garbage);
    subtest("bad payload CRC", test_bad_payload_crc);
    subtest("corruption", test_corruption);
    subtest("memory", test_memory);
    tc_close(&c);
    is_int(tc_osd_stop(&cl, 0, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
