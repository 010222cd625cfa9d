/*
 * tc_osd.h — TEST-ONLY helpers for the OSD integration tests, which drive real tern-osd
 * processes through the client library (tn_osdc.h, tn_osdc_sync.h):
 *   - process management: generated configs in a mkdtemp directory, loopback ports chosen by
 *     binding port 0, start (waiting for PING through the library) / signal / stop by PID,
 *     every child killed by PID at exit and on the watchdog alarm, and by the kernel
 *     (PR_SET_PDEATHSIG) if the test dies without cleaning up;
 *   - thin glue over the library (a sync client with every OSD's address, epoch adoption,
 *     STATS by name, ROW_GET decoded, running an async loop until a counter is reached);
 *   - a minimal raw-frame connection, only for what the library refuses to send (garbage, bad
 *     header or payload CRCs, a wrong END CRC, DATA gaps, streams cut mid-way).
 */
#ifndef TC_OSD_H
#define TC_OSD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "tn_frame.h"
#include "tn_osdc.h"
#include "tn_osdc_sync.h"
#include "tn_proto.h"
#include "tn_row.h"

#define TC_MAX_OSDS 4

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

/* A loopback TCP port that was free a moment ago, at random in 20000-31999 (below the
 * ephemeral range, as tests/lib/ternt.py picks them), never the same twice in one process;
 * -1 if none was found. */
int tc_free_port(void);
/* Makes a directory under base (NULL = $TMPDIR or /tmp), n OSDs on distinct hosts with free
 * loopback ports, pools of size 1, and writes the config. Registers cleanup at exit (kill -9
 * every child by PID, remove the directory) and a watchdog alarm. 0 or -1. */
int tc_cluster_init(tc_cluster_t *cl, const char *bin, int n, const char *base);
/* Starts osd id (stderr to <dir>/osd.<id>.log); waits until it answers PING when wait is set.
 * 0 or -1. */
int tc_osd_start(tc_cluster_t *cl, int id, int wait);
/* Runs tern-osd with extra arguments to completion (for refusals): exit status, stderr in
 * out (NUL-terminated). */
int tc_osd_run_fail(tc_cluster_t *cl, int id, const char *config, char *out, size_t cap);
/* Sends sig and waits for the process: its exit status (or 128+signal). */
int tc_osd_stop(tc_cluster_t *cl, int id, int sig);
/* Sends sig (SIGSTOP, SIGCONT...) without waiting. 0 or -1. */
int tc_osd_signal(tc_cluster_t *cl, int id, int sig);
/* A /proc/PID/status field in KiB ("VmRSS:", "VmHWM:"), or -1. */
long tc_rss_kib(pid_t pid, const char *field);
/* Fills buf with n pseudo-random bytes from seed. */
void tc_fill(uint8_t *buf, size_t n, uint32_t seed);
void tc_ref(tn_blobref_t *ref, uint32_t pool, uint32_t pg, uint8_t vbyte, uint32_t part);
uint64_t tc_now_ms(void);
/* Builds and seals a row (key NUL-terminated) into buf; returns its encoded length (0 on
 * error). */
size_t tc_make_row(uint8_t *buf, size_t cap, uint32_t pool, uint32_t pg, uint64_t ns,
                   const char *key, uint64_t hlc, uint32_t origin, uint8_t vid_byte, uint32_t flags,
                   const char *value, const void *inl, size_t inl_len);

/* ---- over the client library ---- */

/* Gives the client every OSD's address ("127.0.0.1:port"). 0 or -1. */
int tc_set_osds(tn_osdc_t *c, const tc_cluster_t *cl);
/* A sync client (opts NULL = defaults) knowing every OSD of cl, with the epoch of osd
 * epoch_from (PING) when that is >= 0. NULL on failure. */
tn_osdc_sync_t *tc_sync_new(const tc_cluster_t *cl, const tn_osdc_opts_t *opts, int epoch_from);
/* PINGs osd and adopts its epoch. 0 or the error. */
int tc_sync_epoch(tn_osdc_sync_t *s, int32_t osd);
/* STATS value by name, or UINT64_MAX. */
uint64_t tc_stat(tn_osdc_sync_t *s, int32_t osd, const char *name);
/* ROW_GET (key NUL-terminated): the row is decoded into *row pointing into *hold (free it;
 * NULL unless 0 is returned). A row that does not decode: TN_ERR_PROTO. */
int tc_row_get(tn_osdc_sync_t *s, int32_t osd, uint32_t pool, uint32_t pg, uint64_t ns,
               const char *key, tn_row_t *row, uint8_t **hold);
/* Runs loop until *count >= target or timeout_ms passed: 0 when reached, -1 on timeout. */
int tc_run_until(h2o_evloop_t *loop, const int *count, int target, int timeout_ms);

/* An async client on its own loop, knowing every OSD of cl, sending epoch. */
typedef struct {
    h2o_evloop_t *loop;
    tn_osdc_t *c;
} tc_async_t;
int tc_async_new(tc_async_t *a, const tc_cluster_t *cl, const tn_osdc_opts_t *opts, uint64_t epoch);
void tc_async_free(tc_async_t *a);

/* An async BLOB_GET collected frame by frame (offsets checked to follow each other). */
typedef struct {
    int done;   /* 1 after the final callback */
    int err;    /* its outcome (TN_ERR_PROTO for an offset out of order) */
    int frames; /* reply frames seen */
    uint64_t blob_len, next_off;
    uint8_t *data; /* malloc'd bytes of the range (the caller frees) */
    size_t len, cap;
} tc_get_t;
/* Starts it: what tn_osdc_blob_get returns. */
int tc_get_start(tc_async_t *a, int32_t osd, const tn_blob_get_req_t *m, tc_get_t *g);
/* Runs the loop until it is done (30 s at most): g->err, or TN_ERR_TIMEOUT. */
int tc_get_wait(tc_async_t *a, tc_get_t *g);

/* ---- raw frames (only what the library refuses to send) ---- */

typedef struct tc_frame {
    struct tc_frame *next;
    tn_frame_hdr_t hdr;
    uint8_t *body; /* malloc'd, hdr.payload_len bytes */
} tc_frame_t;

typedef struct {
    int fd;
    uint64_t epoch; /* sent in every frame */
    uint8_t *rbuf;
    size_t rlen, rcap;
    tc_frame_t *stash; /* frames received for other request ids */
} tc_raw_t;

/* A reply: every frame of one request id (MORE on all but the last). */
typedef struct {
    int nframes;
    tc_frame_t *frames; /* in arrival order */
    uint16_t status;    /* of the last frame */
} tc_reply_t;

int tc_raw_connect(tc_raw_t *c, uint16_t port, uint64_t epoch);
void tc_raw_close(tc_raw_t *c);
/* Sends one frame with the connection's epoch and the wall clock as HLC; bad_crc corrupts the
 * payload CRC. 0 or -1. */
int tc_raw_send(tc_raw_t *c, uint16_t op, uint64_t req_id, const void *body, size_t len,
                int bad_crc);
/* Waits (up to 10 s) for every frame of req_id until one without MORE. 0 or -1. */
int tc_raw_wait(tc_raw_t *c, uint64_t req_id, tc_reply_t *r);
void tc_reply_free(tc_reply_t *r);
/* Streams a blob in pieces of piece bytes with crc_delta XORed into END's CRC and waits: the
 * reply's wire status, or -1. */
int tc_raw_blob_put(tc_raw_t *c, uint64_t req_id, const tn_blobref_t *ref, const void *data,
                    size_t len, size_t piece, uint32_t crc_delta);
/* 1 if the peer closed the connection within timeout_ms (reads and discards data). */
int tc_wait_closed(tc_raw_t *c, int timeout_ms);

#endif
