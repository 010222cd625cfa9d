/*
 * tc_osd.h — TEST-ONLY helpers for the OSD integration tests: a small blocking client of the
 * OSD protocol (plain sockets + tn_frame + tn_proto; not the real async client library) and
 * process management for real tern-osd daemons (generated configs in a mkdtemp directory,
 * loopback ports chosen by binding port 0, start/stop by PID, cleanup on exit).
 */
#ifndef TC_OSD_H
#define TC_OSD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "tn_frame.h"
#include "tn_proto.h"
#include "tn_row.h"

#define TC_MAX_OSDS 4

/* ---- client ---- */

typedef struct tc_frame {
    struct tc_frame *next;
    tn_frame_hdr_t hdr;
    uint8_t *body; /* malloc'd, hdr.payload_len bytes */
} tc_frame_t;

typedef struct {
    int fd;
    uint64_t next_id;
    uint64_t epoch; /* sent in every request; learnt from replies by tc_sync_epoch */
    uint8_t *rbuf;
    size_t rlen, rcap;
    tc_frame_t *stash; /* frames received for other request ids */
} tc_conn_t;

/* A reply: every frame of one request id (MORE on all but the last). */
typedef struct {
    int nframes;
    tc_frame_t *frames;  /* in arrival order */
    uint16_t status;     /* of the last frame */
    uint64_t epoch;      /* of the last frame */
    const uint8_t *body; /* last frame's body */
    size_t len;
} tc_reply_t;

int tc_connect(tc_conn_t *c, uint16_t port);
void tc_close(tc_conn_t *c);
/* Sends one request frame with the connection's epoch and the wall clock as HLC. bad_crc
 * corrupts the payload CRC. Returns 0 or -1. */
int tc_send_ex(tc_conn_t *c, uint16_t op, uint64_t req_id, const void *body, size_t len,
               int bad_crc, uint64_t hlc);
int tc_send(tc_conn_t *c, uint16_t op, uint64_t req_id, const void *body, size_t len);
/* Waits (up to 10 s) for every frame of req_id until one without MORE. 0 or -1 (EOF, timeout,
 * bad frame). */
int tc_wait(tc_conn_t *c, uint64_t req_id, tc_reply_t *r);
/* send + wait with a fresh request id. */
int tc_call(tc_conn_t *c, uint16_t op, const void *body, size_t len, tc_reply_t *r);
void tc_reply_free(tc_reply_t *r);
/* 1 if the peer closed the connection within timeout_ms (reads and discards data). */
int tc_wait_closed(tc_conn_t *c, int timeout_ms);
/* PINGs and adopts the OSD's epoch. 0 or -1. */
int tc_sync_epoch(tc_conn_t *c);
/* STATS value by name, or UINT64_MAX. */
uint64_t tc_stat(tc_conn_t *c, const char *name);

/* ---- op helpers (return the wire status, or -1 on a transport error) ---- */
/* Streams a blob in pieces of piece bytes; crc_delta is XORed into END's CRC. */
int tc_blob_put(tc_conn_t *c, const tn_blobref_t *ref, const void *data, size_t len, size_t piece,
                uint32_t crc_delta);
/* Reads [off, off+len) (len 0 = to end) into a malloc'd *out. */
int tc_blob_get(tc_conn_t *c, const tn_blobref_t *ref, uint64_t off, uint64_t len, uint8_t **out,
                size_t *out_len, uint64_t *blob_len, int *frames);
int tc_blob_stat(tc_conn_t *c, const tn_blobref_t *ref, int *exists, uint64_t *length);
int tc_blob_delete(tc_conn_t *c, const tn_blobref_t *ref);
/* Builds and seals a row (key NUL-terminated) into buf; returns its encoded length. */
size_t tc_make_row(uint8_t *buf, size_t cap, uint32_t pool, uint32_t pg, uint64_t ns,
                   const char *key, uint64_t hlc, uint32_t origin, uint8_t vid_byte, uint32_t flags,
                   const char *value, const void *inl, size_t inl_len);
/* ROW_PUT of an encoded row: *result (status OK) or *stored (STALE_TS). */
int tc_row_put(tc_conn_t *c, uint8_t mode, const uint8_t *row, size_t row_len, uint8_t *result,
               tn_proto_ver_t *stored);
/* ROW_GET: the row is decoded into *row pointing into *hold (free it). */
int tc_row_get(tc_conn_t *c, uint32_t pool, uint32_t pg, uint64_t ns, const char *key,
               tn_row_t *row, uint8_t **hold);

/* ---- processes ---- */

typedef struct {
    char dir[256];  /* mkdtemp directory: config, logs, data dirs */
    char conf[320]; /* config path */
    const char *bin;
    int n;
    uint16_t port[TC_MAX_OSDS];
    char data[TC_MAX_OSDS][320];
    pid_t pid[TC_MAX_OSDS];
} tc_cluster_t;

/* Makes a directory under base (NULL = $TMPDIR or /tmp), n OSDs on distinct hosts with free
 * loopback ports, pools of size 1, and writes the config. Registers cleanup at exit (kill -9
 * every child, remove the directory). 0 or -1. */
int tc_cluster_init(tc_cluster_t *cl, const char *bin, int n, const char *base);
/* Starts osd id (stderr to <dir>/osd.<id>.log); waits for PING when wait is set. 0 or -1. */
int tc_osd_start(tc_cluster_t *cl, int id, int wait);
/* Runs tern-osd with extra arguments to completion (for refusals): exit status, stderr in
 * out (NUL-terminated). */
int tc_osd_run_fail(tc_cluster_t *cl, int id, const char *config, char *out, size_t cap);
/* Sends sig and waits for the process: its exit status (or 128+signal). */
int tc_osd_stop(tc_cluster_t *cl, int id, int sig);
/* Fills buf with n pseudo-random bytes from seed. */
void tc_fill(uint8_t *buf, size_t n, uint32_t seed);
void tc_ref(tn_blobref_t *ref, uint32_t pool, uint32_t pg, uint8_t vbyte, uint32_t part);
uint64_t tc_now_ms(void);

#endif
