/*
 * gw_server.h — the tern-gateway HTTP server on h2o 2.2.5 (evloop): threads, listeners,
 * TLS, h2o limits, signals, graceful shutdown and configuration reload.
 *
 * Threads: gateway.threads event-loop threads, each with its own h2o_context_t and, per
 * gateway.listen address, its own SO_REUSEPORT listening socket (the kernel spreads
 * connections; a keep-alive connection stays on its thread). The sockets are created and
 * bound by the main thread before any loop starts, so a bad address fails start-up with a
 * clear message. Plus a pool of worker threads (as many as loops) for CPU-bound work
 * (gw_worker.h). The main thread only waits for signals (sigwait; every thread blocks
 * SIGTERM/SIGINT/SIGHUP, SIGPIPE is ignored) and talks to the loops with h2o_multithread
 * messages; no work is done in a signal handler.
 *
 * h2o settings (global, set before the loops start):
 *   - max_request_entity_size = max_object_size + max_object_size/64 + 1 MiB: a 5 GiB
 *     object still fits when sent aws-chunked (every chunk but the last is >= 8 KiB and its
 *     framing "<hex>;chunk-signature=<64 hex>\r\n...\r\n" is < 90 bytes, i.e. < 1.1%).
 *     Larger Content-Lengths get h2o's own 413 before any 100 Continue.
 *   - http1.req_timeout = 30 min (GW_REQ_TIMEOUT_MS). In 2.2.5 this one timer covers the
 *     headers and the whole body and is not reset by reads, so it bounds the slowest
 *     upload (5 GiB in 30 min = 2.9 MB/s). There is no separate header (slowloris) timeout,
 *     and the same timer is the keep-alive idle timeout of HTTP/1 connections.
 *   - bodies of 1 MiB and more (a buffer reaching GW_BODY_SPILL_BYTES = 2 MiB of capacity;
 *     h2o's default is 32 MiB) spill to an unlinked mmap'd file made from
 *     "<gateway.tmp_dir>/h2o.b.XXXXXX" (created if missing, checked writable at start), so
 *     an upload holds at most 1 MiB of heap. N concurrent uploads of S bytes need N*S bytes
 *     there. OSD connections never spill (tn_osdc.c).
 *   - server_name "tern"; HTTP/1.1, h2c (Upgrade or prior knowledge) without TLS; with
 *     gateway.tls, TLS >= 1.2 and ALPN h2/http1.1.
 *   - one catch-all host ("default"; unknown Host values fall back to it) with one handler
 *     on "/" (gw_req_on_req): the router reads the raw path itself.
 *
 * Shutdown (SIGTERM, SIGINT): every loop closes its listeners (new connections are
 * refused), calls h2o_context_request_shutdown (HTTP/2 GOAWAY; HTTP/1 answers with
 * Connection: close), and exits when no request is in progress — a request is in progress
 * from its first byte (an upload counts) until its response is sent; idle keep-alive
 * connections do not count and are closed by the exit — or after GW_SHUTDOWN_GRACE_MS.
 * Then the process exits 0. A second SIGTERM/SIGINT exits at once (status 1).
 *
 * Cluster: one process-wide gw_map_t (epoch 1 from conf_build_map, then whatever the OSDs
 * hand out), one tn_hlc_t and a random 32-bit origin id (getrandom); each loop thread owns a
 * gw_cl_t (gw_thread_t.osd) created on its loop, which refreshes the map once at start
 * (non-fatal: OSDs may be down) and is destroyed when the loop exits. Each loop also owns the
 * /health/ready probe state (gw_thread_t.health, gw_health.h).
 *
 * Admin port (gateway.admin_listen, optional): served by thread 0's loop, plain HTTP, with
 * its own h2o host (registered in the same globalconf, absent from the S3 listeners' hosts
 * list): GET /metrics (gw_metrics.h), /health/live, /health/ready (the same answers as on the
 * S3 port, which keeps them too); anything else 404. At most TN_ADMIN_MAX_CONNS connections.
 *
 * Reload (SIGHUP): the file is loaded again; if it is valid, credentials and logging.level
 * apply to requests that start afterwards (each loop gets the new snapshot by message);
 * changes to listen, threads, tls, tmp_dir, region, domains or max_object_size are logged as
 * needing a restart and ignored. An invalid file is logged and the old config stays.
 * --log-level on the command line wins over logging.level, also after a reload.
 * (tn_log_set_level is a plain store read by the loop threads: TSan flags it as a race,
 * harmless on x86-64/arm64; tn_log should make its level a relaxed atomic.)
 */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include <pthread.h>
#include <h2o.h>
#include "conf.h"
#include "gw_auth.h"
#include "gw_budget.h"
#include "gw_chunkpool.h"
#include "gw_worker.h"
#include "gw_cluster.h"

#define GW_SHUTDOWN_GRACE_MS 10000
#define GW_REQ_TIMEOUT_MS    (30u * 60u * 1000u)
#define GW_BODY_SPILL_BYTES  (2u << 20)
/* Chunk copies being written (gw_budget.h: from their malloc until quorum), per process,
 * split evenly over the loop threads (at least GW_CHUNK_BUDGET_MIN each). Copies that only
 * lagging replicas still hold are bounded by GW_CL_PUT_LAG_TOTAL per thread instead (counting
 * them here let a frozen OSD hold the budget: 4 MiB PUTs waited up to 2.4 s for its requests
 * to time out, fault_s3_freeze_osd). 64 concurrent 64 MiB uploads stay inside 128 MiB of
 * RssAnon with h2o's own buffers (docs/BENCHMARKS.md, "Memory pass"). */
#define GW_CHUNK_BUDGET       (32u << 20)
#define GW_CHUNK_BUDGET_MIN   (8u << 20)
#define GW_CHUNK_POOL_TICK_MS 2000 /* cached chunk and piece buffers unused this long are freed */
/* GetObject reads a chunk GW_GET_PIECE bytes per blob read, into piece buffers the loop thread
 * keeps for reuse (at most GW_PIECE_POOL_MAX cached; gw_chunkpool.h): a fresh 1 MiB malloc is a
 * mmap whose pages fault in and are zeroed on the first copy, then unmapped: ~20 % of the
 * gateway's CPU per 256 KiB GET (docs/BENCHMARKS.md, "GET piece buffers"). */
#define GW_GET_PIECE      (1u << 20)
#define GW_PIECE_POOL_MAX 16u
#define GW_MAX_LISTEN_FDS CONF_MAX_LISTEN

typedef struct gw_server gw_server_t;

/* One event-loop thread. ctx comes first (h2o code recovers the thread from req->conn->ctx). */
struct gw_thread {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    gw_server_t *server;
    unsigned idx;
    pthread_t tid;
    h2o_evloop_t *loop;
    int listen_fds[GW_MAX_LISTEN_FDS];
    h2o_socket_t *listeners[GW_MAX_LISTEN_FDS];
    size_t n_listeners;
    h2o_multithread_receiver_t ctl_recv; /* shutdown / reload messages from the main thread */
    h2o_multithread_receiver_t job_recv; /* worker completions */
    gw_auth_thread_t auth;               /* credential snapshot + signing-key cache */
    gw_cl_t *osd;                        /* the loop's replication client (NULL: no map) */
    struct gw_health *health;            /* /health/ready probe (gw_health.h; NULL: no memory) */
    struct gw_keys *keys;                /* refresh of auth.keys (gw_keys.h; NULL: none) */
    uint64_t req_seq;                    /* request id counter */
    size_t inflight;                     /* gw_req_t alive on this thread */
    int shutting_down;
    int exit_loop;
    uint64_t shutdown_deadline; /* h2o_now() ms */
    h2o_timeout_t shutdown_tick;
    h2o_timeout_entry_t shutdown_te;
    h2o_timeout_t zero_timeout;    /* 0 ms: "next loop turn" (sliced work on the loop) */
    gw_budget_t chunk_budget;      /* chunk copies of PUT / UploadPart / copies (gw_budget.h) */
    gw_chunkpool_t chunk_pool;     /* their buffers, kept for reuse (gw_chunkpool.h) */
    gw_chunkpool_t piece_pool;     /* GetObject's piece buffers (GW_GET_PIECE), kept for reuse */
    h2o_timeout_t chunk_pool_tick; /* both pools' idle tick */
    h2o_timeout_entry_t chunk_pool_te;
};

struct gw_server {
    const char *config_path;
    conf_t *conf;           /* start-up config (owned by boot_creds) */
    gw_creds_t *boot_creds; /* the server's own reference to the start-up snapshot */
    conf_t *current;        /* the config last loaded (for reload comparisons) */
    gw_creds_t *current_creds;
    h2o_globalconf_t h2o;
    SSL_CTX *ssl_ctx;
    tn_slice_t domains[CONF_MAX_DOMAINS];
    size_t n_domains;
    gw_workers_t workers;
    struct gw_thread *threads;
    size_t n_threads;
    uint32_t id_rand;    /* 20 random bits of every request id of this process */
    gw_map_t *map;       /* the cluster map holder (NULL if the config has no valid map) */
    tn_hlc_t hlc;        /* shared by every loop's replication client */
    uint32_t origin_id;  /* random, stamps this process's row versions */
    int log_level_fixed; /* --log-level given: ignore logging.level */
    /* hosts lists: the S3 listeners see only the S3 host, the admin listener only its own */
    h2o_hostconf_t *s3_hosts[2], *admin_hosts[2];
    int admin_fd;                  /* gateway.admin_listen, until thread 0 takes it (-1) */
    h2o_socket_t *admin_listener;  /* on thread 0's loop */
    h2o_accept_ctx_t admin_accept; /* thread 0's context, admin hosts, no TLS */
    unsigned admin_conns;          /* open admin connections (thread 0) */
    int access_log_fd;             /* GW_ACCESS_LOG_OFF, GW_ACCESS_LOG_STDERR or a file's fd */
};

#define GW_ACCESS_LOG_OFF    (-2) /* gateway.access_log: off */
#define GW_ACCESS_LOG_STDERR (-1) /* through tn_log (stderr), the default */

/* Runs the server with a loaded, valid conf (ownership moves to the server) until a
 * shutdown signal. Returns the process exit status: 0 after a clean shutdown, 1 if
 * start-up failed (the reason is logged). */
int gw_server_run(const char *config_path, conf_t *conf, int log_level_fixed);

/* A chunk buffer of at least len bytes from the thread's cache (NULL: out of memory), and its
 * return (NULL ignored); loop thread only. Cached buffers unused for GW_CHUNK_POOL_TICK_MS are
 * freed (gw_chunkpool.h). */
uint8_t *gw_thread_chunk_get(struct gw_thread *t, size_t len);
void gw_thread_chunk_put(struct gw_thread *t, uint8_t *buf, size_t len);
/* The same for GetObject's piece buffers of GW_GET_PIECE bytes. */
uint8_t *gw_thread_piece_get(struct gw_thread *t);
void gw_thread_piece_put(struct gw_thread *t, uint8_t *buf);

#endif
