/*
 * osd_server.h — tern-osd's network server: one h2o event loop thread for every socket, the
 * worker pool (osd_work.h) for blocking disk reads and blob writes, the index writer thread for
 * row writes (group commit). Serves the OSD protocol (docs/PROTOCOL.md) on top of the blob store
 * (osd_blob.h), the index (osd_index.h) and the map store (osd_mapstore.h).
 *
 * Socket work never waits on the disk: every disk operation is a job whose completion comes
 * back to the loop. Memory is bounded per connection: reading stops while more than
 * OSD_SRV_MAX_QUEUED_DATA bytes of blob data wait for the disk or more than
 * OSD_SRV_MAX_INFLIGHT requests are in progress; BLOB_GET reads its next piece only after the
 * previous one was written to the socket.
 */
#ifndef OSD_SERVER_H
#define OSD_SERVER_H

#include <stdint.h>
#include "osd_blob.h"
#include "osd_index.h"
#include "osd_mapstore.h"
#include "osd_gc.h"
#include "osd_recovery.h"
#include "tern.h"

/* 2 MiB: two 1 MiB put pieces per connection waiting for a worker keep the disk busy (a
 * gateway thread has at most GW_CL_PUT_ACTIVE puts in flight per OSD); every connection's
 * queue is a copy held in memory (4 MiB: up to 5 MiB per gateway thread at peak). */
#define OSD_SRV_MAX_QUEUED_DATA (2u << 20)
#define OSD_SRV_MAX_INFLIGHT    4096u
#define OSD_SRV_CLOCK_AHEAD_MS  5000u
#define OSD_SRV_DRAIN_MS        5000u

typedef struct st_osd_srv_t osd_srv_t;

typedef struct {
    const char *host;     /* address to listen on (literal or DNS name) */
    uint16_t port;        /* 1..65535 */
    uint32_t osd_id;      /* for PING */
    uint64_t incarnation; /* for PING */
    unsigned workers;     /* worker threads, >= 1 */
    int loop_reads;       /* ROW_GETs first on the loop (osd_nowait.h) */
} osd_srv_opts_t;

/* Binds and listens (errors: -errno, with a log line), starts the workers. The stores stay the
 * caller's and must outlive the server. */
int osd_srv_create(const osd_srv_opts_t *opts, osd_bs_t *bs, osd_idx_t *idx, osd_mapstore_t *ms,
                   osd_srv_t **out);
/* Runs the loop until a stop is requested and in-flight requests finished (at most
 * OSD_SRV_DRAIN_MS after the request). Returns 0. */
int osd_srv_run(osd_srv_t *srv);
/* Asks the loop to stop: async-signal-safe (writes one byte to a pipe). */
void osd_srv_request_stop(osd_srv_t *srv);
/* The daemon's hybrid logical clock (repair stamps its frames with it). */
tn_hlc_t *osd_srv_hlc(osd_srv_t *srv);
/* Lets STATS report the repair counters of rec (NULL: none). Before osd_srv_run. */
void osd_srv_set_recovery(osd_srv_t *srv, osd_rec_t *rec);
/* Serves the admin HTTP port (GET /metrics, /health/live; tn_admin.h) on host:port from the
 * server's loop. Before osd_srv_run. 0 or -errno (logged). */
int osd_srv_admin_listen(osd_srv_t *srv, const char *host, uint16_t port);
/* Lets STATS report gc's counters and KICK start it (NULL: none). Before osd_srv_run. */
void osd_srv_set_gc(osd_srv_t *srv, osd_gc_t *gc);
/* Joins the workers and frees everything. NULL is a no-op. */
void osd_srv_destroy(osd_srv_t *srv);

#endif
