/*
 * gw_cluster.h — the gateway's replication layer: turns "write this row / blob" and "read this
 * row / blob / listing" into quorum operations on the OSDs of a placement group, as
 * DESIGN.md "Data model and consistency" and correctness rules 2, 3, 7 and 8 describe.
 *
 * PIECES
 *   gw_map_t  — one per process: the current cluster map as a refcounted immutable snapshot
 *               (pl_map_t, its encoding and hash, and a table of every pool's PG -> OSDs).
 *               Adopting a newer epoch swaps the snapshot atomically; threads keep using the
 *               snapshot they hold until their next operation. Thread-safe.
 *   gw_cl_t   — one per event-loop thread: a tn_osdc_t client on that loop plus the quorum
 *               logic. Not thread-safe: every gw_cl_* call and every callback runs on the
 *               loop's thread. All gw_cl_t of a process share one gw_map_t and one tn_hlc_t.
 *
 * CALLING CONVENTION (every operation)
 *   - gw_cl_row_put/_row_get/_row_list/_blob_put/_blob_get/_map_refresh return 0 when the
 *     operation was accepted: its completion callback then runs exactly once, on the loop
 *     thread, never inside the call that started it. A negative return (-EINVAL bad argument,
 *     -ENOMEM, TN_ERR_TOO_BIG, -ESHUTDOWN) means nothing was started and no callback runs.
 *   - Cluster outcomes come through the callback's err: 0; TN_ERR_QUORUM (not enough replicas
 *     answered: the cause of each replica's failure is in a debug log line); TN_ERR_NOT_FOUND
 *     (reads: no replica asked has the row or blob); TN_ERR_STALE_EPOCH (the map kept changing
 *     under the operation, bounded retries exhausted); TN_ERR_STALE_TS (a put kept losing the
 *     timestamp race, GW_CL_MAX_RESTAMP re-stamps); -ECANCELED (gw_cl_destroy ran with the
 *     operation pending: the callback runs inside gw_cl_destroy); for blob reads, the replica's
 *     error once bytes were delivered.
 *   - Pointers handed to a callback (rows, list entries, data pieces) are valid only during the
 *     callback: copy what you keep.
 *
 * QUORUM (writes: rows and blobs)
 *   The request goes to every OSD of the PG (pl_pg_osds of the current epoch, primary first).
 *   Success = write_quorum DISTINCT OSDs answered OK (rows: APPLIED or UNCHANGED; MERGE mode
 *   also IGNORED, the replica holding something newer). Failure = more than size - W replicas
 *   failed (error, timeout, refused, CHECKSUM...), or the PG has fewer than W OSDs placed. The
 *   callback fires as soon as one of these is decided; the other replicas' replies are still
 *   awaited in the background (to count degraded writes and log failures) but never delay the
 *   caller: a dead OSD fails fast (connect back-off), a hung one after request_timeout_ms, both
 *   after the callback. Nothing is reported as success unless W replicas acknowledged that exact
 *   version (a failed write may still have reached some replicas: "a PUT answered 503 may still
 *   appear later", DESIGN.md).
 *   Rows, STALE_TS (rule 2): a replica holding a newer-or-equal version answers with it; the
 *   layer re-stamps: hlc = max(tn_hlc_now, stored.hlc + 1), re-seals and sends the new version to
 *   ALL replicas (the previous attempt's remaining replies are ignored), at most
 *   GW_CL_MAX_RESTAMP times. The callback reports the version finally written.
 *   STALE_EPOCH (rule 3), rows and blobs, reads too: if the OSD's epoch is newer, MAP_GET from
 *   it, adopt (gw_map_adopt), recompute the PG's OSDs and restart the attempt; if older, offer
 *   our map to it (MAP_OFFER PROPAGATE) and restart. At most GW_CL_MAX_EPOCH_RETRY per op.
 *
 * READS (rows, listings): read_quorum replicas are asked (primary first); a replica that fails
 *   (any error, CHECKSUM included — rule 7: corruption is never "absent") is replaced by the next
 *   OSD of the PG. NOT_FOUND is a valid answer. Success = R answers; the newest version wins
 *   (tombstones included: the caller interprets them). Failure = fewer than R replicas could
 *   answer: TN_ERR_QUORUM (never a degraded R = 1 answer, rule 8; the one exception is
 *   gw_cl_row_get_degraded, for plain GET/HEAD only). Hedge: when an asked replica
 *   has not answered after hedge_ms, one more replica is asked (once per slow request); the
 *   first R answers win. A hedge adds a replica, it never lowers R.
 *   Divergent answers (different versions, or a row vs absent) are counted; with read_repair
 *   on, the newest row is MERGEd in the background to the replicas that answered older/absent.
 *
 * LISTINGS (rule 8): each asked replica's page (tombstones included) is merged by key, newest
 *   version per key; the merged page ends at the smallest last key among the replicas that said
 *   `more` (keys beyond it might be missing from those replicas' pages), and is cut at limit.
 *
 * BLOBS: puts as above (quorum W, two notifications, see gw_cl_blob_put). Reads use one replica
 *   (primary first, the OSD verifies CRCs); on any error before the first byte was delivered the
 *   next replica is tried; after hedge_ms without a first byte another replica is asked too and
 *   the first to deliver wins (the other is cancelled). Mid-transfer the same holds per frame:
 *   hedge_ms after the serving replica's last frame without the next one, or at once after
 *   it failed, another replica is asked for the rest (offset + delivered) and the first to
 *   deliver a frame goes on. Only when no replica is left does an error after bytes were
 *   delivered fail the read; the callback says how far it got, so the caller can restart.
 *
 * STATS: per operation kind (gw_cl_stats); degraded (R = 1) answers process-wide
 *   (gw_cl_degraded_reads).
 */
#ifndef GW_CLUSTER_H
#define GW_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <h2o.h>
#include "placement.h"
#include "tern.h"
#include "tn_hlc.h"
#include "tn_osdc.h"
#include "tn_proto.h"
#include "tn_row.h"

#define GW_CL_MAX_RESTAMP     5 /* STALE_TS re-stamps per row put */
#define GW_CL_MAX_EPOCH_RETRY 3 /* map refresh + restart per operation */
#define GW_CL_REFRESH_OSDS    3 /* OSDs asked by gw_cl_map_refresh */
#define GW_CL_PUT_ACTIVE      3 /* blob puts in flight per OSD and thread; more wait in order */
#define GW_CL_PUT_LAG         (32u << 20) /* bytes of lagging background blob puts per OSD */
/* ... and for every OSD together (per thread): the memory lagging replicas may hold beyond the
 * chunk budget (gw_budget.h counts chunks until quorum only) */
#define GW_CL_PUT_LAG_TOTAL (32u << 20)

/* ---- the process-wide map holder ---- */

typedef struct gw_map gw_map_t;

/* One immutable epoch. Readers hold a reference (gw_map_snap_get / gw_map_snap_put). */
typedef struct gw_map_snap {
    pl_map_t *map;         /* validated; never modified */
    uint64_t epoch;        /* == map->epoch */
    uint64_t hash;         /* pl_map_hash(map) */
    uint8_t *enc;          /* pl_map_encode bytes (what MAP_OFFER sends) */
    size_t enc_len;        /*  */
    int32_t *table;        /* per pool: pg_num x size OSD ids (PL_ITEM_NONE holes) */
    size_t *table_off;     /* per pool index: offset of its rows in table */
    _Atomic uint32_t refs; /* private */
} gw_map_snap_t;

/* A holder whose first snapshot is map (ownership moves in; validated with pl_map_validate).
 * NULL on an invalid map (logged) or out of memory (map is then freed). */
gw_map_t *gw_map_create(pl_map_t *map);
/* Frees the holder's own reference; snapshots still held by readers live until released. */
void gw_map_destroy(gw_map_t *h);
/* Offers a map (ownership moves in, always: freed when not adopted). Returns 1 adopted (newer
 * epoch, valid), 0 unchanged (older, or same epoch and hash), TN_ERR_CORRUPT (invalid, or same
 * epoch with a different hash: logged loudly, the old map kept), -ENOMEM. Thread-safe. */
int gw_map_adopt(gw_map_t *h, pl_map_t *map);
/* The current snapshot with a reference taken; release with gw_map_snap_put. Thread-safe. */
gw_map_snap_t *gw_map_snap_get(gw_map_t *h);
void gw_map_snap_put(gw_map_snap_t *s);
/* Bumped at every adoption: a cheap "has the map changed?" (one atomic load). */
uint64_t gw_map_generation(const gw_map_t *h);
/* The current epoch (one lock; for status and tests). */
uint64_t gw_map_epoch(gw_map_t *h);
/* The OSDs of (pool_id, pg) in s: fills out[0..PL_MAX_SIZE) and returns how many are placed
 * (PL_ITEM_NONE holes come last), *pool (may be NULL) the pool. -ENOENT (no such pool) or
 * -EINVAL (pg out of range). */
int gw_map_pg_osds(const gw_map_snap_t *s, uint32_t pool_id, uint32_t pg, int32_t *out,
                   const pl_pool_t **pool);

/* ---- the per-thread client ---- */

typedef struct gw_cl gw_cl_t;

typedef struct {
    uint32_t connect_timeout_ms; /* default 500 */
    uint32_t request_timeout_ms; /* default 2000: a hung replica fails after this */
    uint32_t hedge_ms;           /* default 50 */
    uint32_t backoff_ms;         /* first connect back-off; default 200 */
    uint32_t backoff_max_ms;     /* default 2000 */
    int read_repair;             /* MERGE the newest row to divergent replicas; default 1 */
} gw_cl_opts_t;

/* Counters per operation kind. */
typedef struct {
    uint64_t started;
    uint64_t ok;          /* callback with 0 (or NOT_FOUND for reads) */
    uint64_t degraded;    /* succeeded, but some replica failed or was replaced */
    uint64_t quorum_fail; /* TN_ERR_QUORUM */
    uint64_t other_fail;  /* any other error */
    uint64_t hedges;      /* extra replicas asked because of a slow one */
    uint64_t retries;     /* row put re-stamps (STALE_TS); read replacements */
    uint64_t epoch_refreshes;
    uint64_t divergent; /* reads: replicas disagreed */
    uint64_t repairs;   /* reads: MERGE sent to a lagging replica */
} gw_cl_op_stats_t;

typedef struct {
    gw_cl_op_stats_t row_put, row_get, row_list, blob_put, blob_get, map_refresh;
    uint64_t map_adopted; /* newer epochs adopted by this client's fetches */
    uint64_t map_offered; /* MAP_OFFER sent to OSDs behind us */
    uint64_t put_waited;  /* blob puts that waited for one of their OSD's GW_CL_PUT_ACTIVE slots */
    uint64_t put_lag_dropped; /* background blob puts dropped past GW_CL_PUT_LAG(_TOTAL) (repair's
                                 job) */
} gw_cl_stats_t;

void gw_cl_opts_default(gw_cl_opts_t *o);
/* A client on loop (opts NULL = defaults). OSD addresses and the epoch come from the map's
 * current snapshot and follow every adopted epoch. hlc is shared and must outlive the client;
 * origin_id stamps rows whose ver.origin is 0. NULL on allocation failure. */
gw_cl_t *gw_cl_create(h2o_evloop_t *loop, gw_map_t *map, tn_hlc_t *hlc, uint32_t origin_id,
                      const gw_cl_opts_t *opts);
/* Fails every pending operation with -ECANCELED (callbacks run inside this call; background
 * work is dropped) and frees the client. Not from inside one of its callbacks. */
void gw_cl_destroy(gw_cl_t *cl);
void gw_cl_stats(const gw_cl_t *cl, gw_cl_stats_t *out);
/* The underlying OSD client (for stats, tests and the health probe). */
tn_osdc_t *gw_cl_osdc(gw_cl_t *cl);
/* Picks up the holder's newest map now (OSD addresses, epoch), as every operation does at its
 * start; for callers that use gw_cl_osdc directly (the health probe). */
void gw_cl_sync(gw_cl_t *cl);

/* Asks up to GW_CL_REFRESH_OSDS OSDs of the current map (MAP_GET 0) and adopts the newest map
 * they return. cb's err: 0 if at least one answered, else the last error. Call at start. */
typedef void (*gw_cl_done_cb)(void *arg, int err);
int gw_cl_map_refresh(gw_cl_t *cl, gw_cl_done_cb cb, void *arg);

/* Row put. row's fields are read during the call only (the layer encodes and seals its own
 * copy; row->crc is ignored). row->ver.hlc 0 = stamp now; ver.origin 0 = origin_id.
 * row->pool/pg must equal pool_id/pg. mode TN_PROTO_ROW_PUT (a client write) or
 * TN_PROTO_ROW_MERGE (repair; no re-stamping). ver: the version written (re-stamped maybe),
 * valid during the callback, also on failure (the last version tried). */
typedef void (*gw_cl_put_cb)(void *arg, int err, const tn_row_ver_t *ver);
int gw_cl_row_put(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, const tn_row_t *row, uint8_t mode,
                  gw_cl_put_cb cb, void *arg);

/* Row get. key is copied. row (err 0) is the newest version among the answers, tombstones
 * included, its byte fields pointing into memory owned by the operation until the callback
 * returns (copy it). err TN_ERR_NOT_FOUND: no replica asked holds the row. */
typedef void (*gw_cl_row_cb)(void *arg, int err, const tn_row_t *row);
int gw_cl_row_get(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, uint64_t ns, const void *key,
                  size_t key_len, gw_cl_row_cb cb, void *arg);

/* Degraded row get (DESIGN.md rule 8: ONLY for plain GetObject/HeadObject and the bucket
 * lookup they need; never for listings, conditional requests, copy sources, Complete or
 * DeleteBucket). Exactly gw_cl_row_get (degraded = 0) while R replicas answer. When they
 * cannot (every other replica of the PG failed: down, refused, timed out, corrupt) but at
 * least one replica answered WITH a row (live or tombstone), cb gets the newest such row with
 * err 0 and degraded = 1; it may be older than the newest acknowledged version. A lone
 * NOT_FOUND is no answer (absence on one replica is no evidence): TN_ERR_QUORUM. Hedging
 * is unchanged (a hedge adds a replica, it never lowers R): the fallback is decided only once
 * every replica of the PG has answered or failed. Each degraded answer is counted in
 * gw_cl_degraded_reads(). */
typedef void (*gw_cl_row_dcb)(void *arg, int err, const tn_row_t *row, int degraded);
int gw_cl_row_get_degraded(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, uint64_t ns, const void *key,
                           size_t key_len, gw_cl_row_dcb cb, void *arg);
/* Degraded (R = 1) row-get answers given by every gw_cl_t of this process since start
 * (monotonic; an atomic load, any thread). For /metrics: tern_gateway_degraded_reads_total. */
uint64_t gw_cl_degraded_reads(void);

/* One entry of a merged listing. */
typedef struct {
    tn_slice_t key;
    tn_row_ver_t ver;
    uint32_t flags;      /* TN_ROW_TOMBSTONE: a deleted key (kept: rule 8) */
    tn_slice_t value;    /* the row's value (gateway-encoded metadata) */
    uint32_t inline_len; /* bytes of inline data the row holds (not transferred) */
    uint8_t agree;       /* how many answering replicas had exactly this version */
} gw_cl_entry_t;

/* Row list. prefix and start_after are copied. limit 1..TN_PROTO_MAX_LIST. entries[0..n) in key
 * order, valid during the callback only; more: another page may follow (continue after the last
 * entry's key). */
typedef void (*gw_cl_list_cb)(void *arg, int err, const gw_cl_entry_t *entries, size_t n, int more);
int gw_cl_row_list(gw_cl_t *cl, uint32_t pool_id, uint32_t pg, uint64_t ns, const void *prefix,
                   size_t prefix_len, const void *start_after, size_t start_after_len,
                   uint32_t limit, gw_cl_list_cb cb, void *arg);

/* Blob put. data (len bytes) is sent zero-copy from the caller's memory and must stay valid and
 * unchanged until all_done runs: cb(arg, err) says the write reached write_quorum (0) or cannot
 * (error); all_done(arg) runs afterwards, exactly once, when no replica's request references
 * data any more (the background replicas finished, failed or were cancelled) — only then may
 * data be freed. all_done may run right after cb (same loop turn). all_done may be NULL only if
 * data outlives the client. */
typedef void (*gw_cl_release_cb)(void *arg);
int gw_cl_blob_put(gw_cl_t *cl, const tn_blobref_t *ref, const void *data, uint64_t len,
                   gw_cl_done_cb cb, gw_cl_release_cb all_done, void *arg);

/* Blob get of [offset, offset + len) (len 0 = to the end). err TN_ERR_NOT_FOUND when at least
 * size - W + 1 replicas answered NOT_FOUND (no write acknowledged at quorum can exist);
 * TN_ERR_QUORUM when no replica could serve it otherwise. on_data runs per piece, in order,
 * contiguous from offset: blob_len is the blob's whole length, off the piece's offset, data
 * valid during the call only. cb(arg, err, delivered) ends the read: delivered = bytes passed
 * to on_data. On err != 0 after delivered > 0, restart at offset + delivered. */
typedef void (*gw_cl_data_cb)(void *arg, uint64_t blob_len, uint64_t off, const void *data,
                              size_t len);
typedef void (*gw_cl_blob_done_cb)(void *arg, int err, uint64_t delivered);
int gw_cl_blob_get(gw_cl_t *cl, const tn_blobref_t *ref, uint64_t offset, uint64_t len,
                   gw_cl_data_cb on_data, gw_cl_blob_done_cb cb, void *arg);

#endif
