/*
 * osd_index.h — the OSD's index store: last-writer-wins rows (tn_row.h) in SQLite (WAL,
 * synchronous=FULL), written by one writer thread with group commit and read through
 * per-thread reader handles. The schema and its version history are at the top of
 * osd_index.c.
 *
 * WRITES (rules 2, 5, 6, 9). A caller fills an osd_idx_req_t it owns and submits it. The writer
 * thread takes up to group_commit_max queued requests (fewer when the queue runs dry), applies
 * them in one transaction in submission order, COMMITs (one WAL fsync for the batch), and only
 * then calls each request's callback, in order, from the writer thread. The daemon forwards
 * the completion to its event loop; a callback must not block for long (it delays the next
 * batch) and must not call osd_idx_close. It may submit new requests. Until its callback
 * returns, a request and every byte its row points to belong to the index; afterwards they
 * are the caller's again (the index keeps no pointer).
 *
 *   OSD_IDX_PUT (a client write): the row is stored if none is stored or the stored version
 *     is strictly older (result OSD_IDX_APPLIED); an equal version (hlc, origin, vid) is a
 *     retried write: OSD_IDX_UNCHANGED, status 0, nothing written. A newer stored version
 *     (including same hlc with a higher (origin, vid)) refuses with status TN_ERR_STALE_TS and
 *     req->stored = the stored version, so the gateway re-stamps with max(HLC, stored.hlc + 1).
 *   OSD_IDX_MERGE (repair, read repair): the one merge function. Stored iff the incoming version
 *     is strictly newer (OSD_IDX_APPLIED), else OSD_IDX_IGNORED (status 0, req->stored set).
 *   OSD_IDX_PURGE (purge if unchanged, rule 5): deletes the row at (pool, pg, ns, key) iff its
 *     stored version equals row.ver (OSD_IDX_PURGED); otherwise OSD_IDX_NOT_PURGED (status 0,
 *     req->stored set when a row exists; an absent row is OSD_IDX_NOT_PURGED with
 *     req->stored_exists 0). Only key fields and ver of the row are used; the crc is not.
 *   OSD_IDX_CREATE (conditional create, rule 11): the row is stored iff nothing is stored, or
 *     the stored row is a tombstone strictly older than the incoming one (OSD_IDX_APPLIED). The
 *     same version already stored is a retried create: OSD_IDX_UNCHANGED. A live row of another
 *     version refuses with status -EEXIST and req->stored (the caller compares it with its own
 *     version: "already mine" vs "someone else's"). A tombstone at or above the incoming
 *     version refuses with TN_ERR_STALE_TS and req->stored, as PUT does (the name is free; the
 *     caller re-stamps and retries).
 *   OSD_IDX_IF_VERSION (compare-and-set, rule 11): the row is stored iff a row (live or
 *     tombstone) is stored and its version equals req->expect, and the incoming version is
 *     strictly newer (OSD_IDX_APPLIED). Checked in this order: the incoming version already
 *     stored is a retry: OSD_IDX_UNCHANGED; nothing stored, or another version stored: status
 *     TN_ERR_PRECONDITION (req->stored_exists / req->stored say what is there); the expected
 *     version stored but the incoming one not newer: TN_ERR_STALE_TS with req->stored.
 *   CREATE and IF_VERSION over a row that fails its CRC answer TN_ERR_CHECKSUM (the condition
 *     cannot be evaluated; corruption is never "absent").
 *   Every kind of request may share a batch; each sees the effect of the requests before it.
 *
 *   Tombstones are ordinary rows with TN_ROW_TOMBSTONE set, written by PUT, MERGE, CREATE (a
 *   tombstone over nothing) or IF_VERSION (a conditional delete).
 *
 *   A stored row that fails its CRC does not block a PUT or MERGE (LWW repair converges: the
 *   incoming row replaces it and peers' newer rows win later) but is counted and logged; a
 *   PURGE over it answers TN_ERR_CHECKSUM.
 *
 *   Batch failures: if a statement or the COMMIT fails, the transaction is rolled back and
 *   every request of the batch gets the same status: SQLITE_FULL -> -ENOSPC, SQLITE_IOERR ->
 *   -EIO (logged at error level), SQLITE_CORRUPT -> TN_ERR_CORRUPT (the index becomes
 *   non-voting), SQLITE_NOMEM -> -ENOMEM, other errors -EIO. Any I/O error during a write
 *   transaction (a failed fsync in particular) is never retried: the index refuses every
 *   later write with -EIO (sticky) while reads keep working (rule 6). A batch whose COMMIT
 *   failed in its fsync may still become visible after a restart (its WAL frames were
 *   written): like any failed write, "failed" means "unknown", never "absent".
 *
 * READS. Synchronous, from any thread, each thread through its own osd_idx_reader_t (own
 * SQLite connection, read-only, NOMUTEX, prepared statements cached). A reader must not be
 * used by two threads at once. Every row read is CRC-verified; a failure returns
 * TN_ERR_CHECKSUM (never the row, never "absent") and is counted (rule 7). WAL lets readers run
 * concurrently with the writer; a read sees the last committed state.
 *
 * HEALTH (rule 7): SQLITE_CORRUPT at any time, or a failed quick_check at open, marks the
 * index non-voting (osd_idx_is_healthy() returns 0) until it is rebuilt from peers. The index
 * keeps serving; the daemon reports the flag.
 */
#ifndef OSD_INDEX_H
#define OSD_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "tn_metrics.h"
#include "tn_row.h"
#include "tern.h"

#define OSD_IDX_DEFAULT_GROUP_MAX 512u
#define OSD_IDX_MAX_LIST          10000u /* largest limit of osd_idx_list / osd_idx_enumerate */

typedef struct st_osd_idx_t osd_idx_t;
typedef struct st_osd_idx_reader_t osd_idx_reader_t;
typedef struct st_osd_idx_req_t osd_idx_req_t;

typedef struct {
    unsigned group_commit_max; /* requests per transaction; 0 = OSD_IDX_DEFAULT_GROUP_MAX */
    int quick_check;           /* run PRAGMA quick_check at open; failure = non-voting */
    const char *vfs;           /* SQLite VFS name for every connection; NULL = default */
    unsigned cache_kib;        /* writer page cache in KiB; 0 = 65536 (64 MiB). The cache grows
                                * with the pages a load touches and is not given back, so it
                                * bounds the daemon's RSS after heavy writes */
} osd_idx_opts_t;

typedef enum {
    OSD_IDX_PUT = 1,
    OSD_IDX_MERGE = 2,
    OSD_IDX_PURGE = 3,
    OSD_IDX_CREATE = 4,
    OSD_IDX_IF_VERSION = 5,
} osd_idx_op_t;

typedef enum {
    OSD_IDX_NONE = 0,   /* failed (status < 0) */
    OSD_IDX_APPLIED,    /* PUT/MERGE/CREATE/IF_VERSION: the row is now stored */
    OSD_IDX_UNCHANGED,  /* PUT/CREATE/IF_VERSION: the same version was already stored (retry) */
    OSD_IDX_IGNORED,    /* MERGE: the stored row is as new or newer; kept */
    OSD_IDX_PURGED,     /* PURGE: deleted */
    OSD_IDX_NOT_PURGED, /* PURGE: absent, or another version is stored */
} osd_idx_result_t;

struct st_osd_idx_req_t {
    /* in, set by the caller */
    osd_idx_op_t op;
    tn_row_t row; /* PUT/MERGE/CREATE/IF_VERSION: a complete row with its crc (tn_row_seal) */
    tn_row_ver_t expect;            /* IF_VERSION: the version that must be stored */
    void (*cb)(osd_idx_req_t *req); /* completion, from the writer thread, after COMMIT */
    void *data;                     /* for the caller */
    /* out, valid in the callback */
    int status;              /* 0, TN_ERR_STALE_TS, -EEXIST (CREATE), TN_ERR_PRECONDITION
                              * (IF_VERSION), TN_ERR_CHECKSUM, -ENOSPC, -EIO, ... */
    osd_idx_result_t result; /* what happened when status is 0 (refusals: OSD_IDX_NONE) */
    int stored_exists;       /* a row was stored before this request */
    tn_row_ver_t stored;     /* its version, when stored_exists */
    /* private to the index */
    osd_idx_req_t *next_;
};

typedef struct {
    uint64_t batches;         /* committed transactions */
    uint64_t batched_reqs;    /* requests in committed transactions */
    uint64_t max_batch;       /* largest batch */
    uint64_t applied;         /* PUT/MERGE/CREATE/IF_VERSION rows stored */
    uint64_t unchanged;       /* idempotent PUT/CREATE/IF_VERSION retries */
    uint64_t stale;           /* PUT/CREATE/IF_VERSION refused with TN_ERR_STALE_TS */
    uint64_t exist;           /* CREATE refused with -EEXIST */
    uint64_t precondition;    /* IF_VERSION refused with TN_ERR_PRECONDITION */
    uint64_t ignored;         /* MERGE kept the stored row */
    uint64_t purged;          /* PURGE deleted */
    uint64_t not_purged;      /* PURGE found another version or nothing */
    uint64_t failed_reqs;     /* requests completed with status < 0 */
    uint64_t checksum_errors; /* rows read (by readers or the writer) that failed their CRC */
    uint64_t corrupt_errors;  /* SQLITE_CORRUPT seen */
    int write_failed;         /* 1 once an I/O error made writes fatal (sticky, rule 6) */
    int synchronous;          /* PRAGMA synchronous as read back at open (2 = FULL) */
    int healthy;              /* osd_idx_is_healthy() */
} osd_idx_stats_t;

/* Opens (creating on first use) the index database at path, checks synchronous=FULL took
 * effect, migrates the schema, optionally runs quick_check, and starts the writer thread.
 * opts may be NULL. *out is from malloc(), released by osd_idx_close. Errors: -EINVAL,
 * -ENOMEM, -EIO, -ENOSPC, TN_ERR_CORRUPT (not a database), TN_ERR_UNSUPPORTED (a newer schema
 * version), TN_ERR_CONFIG (WAL or synchronous=FULL not accepted). */
int osd_idx_open(const char *path, const osd_idx_opts_t *opts, osd_idx_t **out);
/* Completes every submitted request (callbacks run), stops the writer and closes. Every reader
 * must have been closed. NULL is a no-op. */
void osd_idx_close(osd_idx_t *idx);
/* 1 while the index may vote (no corruption seen), else 0. */
int osd_idx_is_healthy(const osd_idx_t *idx);
void osd_idx_stats(const osd_idx_t *idx, osd_idx_stats_t *out);
/* The group-commit batch sizes (requests per committed transaction) as a histogram with
 * bounds 1, 2, 4, ... 1024. Any thread. */
void osd_idx_batch_hist(const osd_idx_t *idx, tn_hist_snap_t *out);

/* Queues req. 0: the callback will be called exactly once. Otherwise the callback is never
 * called: -EINVAL (bad op, no callback, or tn_row_check failed: TN_ERR_TOO_BIG for lengths),
 * TN_ERR_CHECKSUM (PUT/MERGE/CREATE/IF_VERSION row's crc does not match its fields), -EIO (writes
 * are refused after an I/O error), -ESHUTDOWN (closing). Thread-safe. */
int osd_idx_submit(osd_idx_t *idx, osd_idx_req_t *req);

/* Opens a reader for the calling thread. *out from malloc(). -ENOMEM, -EIO. */
int osd_idx_reader_open(osd_idx_t *idx, osd_idx_reader_t **out);
/* The same through the named SQLite VFS instead of the index's (osd_nowait.h). */
int osd_idx_reader_open_vfs(osd_idx_t *idx, const char *vfs, osd_idx_reader_t **out);
/* The VFS name the index was opened with (NULL: SQLite's default). */
const char *osd_idx_vfs(const osd_idx_t *idx);
/* NULL is a no-op. */
void osd_idx_reader_close(osd_idx_reader_t *rd);

/* Reads one row (tombstones included). On success *out is ONE malloc() block holding the row
 * and its bytes: free(*out). TN_ERR_NOT_FOUND, TN_ERR_CHECKSUM, TN_ERR_CORRUPT, -ENOMEM, -EIO,
 * -EINVAL (empty or too long key). */
int osd_idx_get(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t ns, const void *key,
                size_t key_len, tn_row_t **out);

/* Per-row callback of list and enumerate. row and its bytes point into SQLite's memory and are
 * valid only during the call (copy what you keep). A non-zero return stops the scan and is
 * returned by the scanning function. */
typedef int (*osd_idx_row_cb)(void *arg, const tn_row_t *row);

/* Lists rows of (pool, pg, ns) whose key starts with prefix (empty prefix: all) and is
 * strictly greater than start_after (NULL/0: no marker), in key order, at most limit
 * (1..OSD_IDX_MAX_LIST) rows, tombstones included (flagged). *more = 1 if further rows match.
 * Returns 0, cb's non-zero value, -EINVAL, TN_ERR_CHECKSUM (a row failed its CRC: rows already
 * passed to cb must be discarded by the caller), TN_ERR_CORRUPT, -EIO. */
int osd_idx_list(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t ns, const void *prefix,
                 size_t prefix_len, const void *start_after, size_t start_after_len, unsigned limit,
                 osd_idx_row_cb cb, void *arg, int *more);

/* Resume point of osd_idx_enumerate: the last (ns, key) delivered. valid 0 = from the start. */
typedef struct {
    int valid;
    uint64_t ns;
    size_t key_len;
    uint8_t key[TN_ROW_MAX_KEY];
} osd_idx_cursor_t;

/* Every row of PG (pool, pg), all namespaces, ordered by (ns, key) with ns unsigned, after
 * *cursor, at most limit (1..OSD_IDX_MAX_LIST) rows. The cursor is advanced to the last row
 * passed to cb (also when cb stops the scan); *more = 1 if rows remain. Errors as osd_idx_list. */
int osd_idx_enumerate(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, osd_idx_cursor_t *cursor,
                      unsigned limit, osd_idx_row_cb cb, void *arg, int *more);

/* The digest of a PG: over all rows (tombstones included) in (ns, key) order, and per
 * sub-range bucket (tn_row.h). Reads only (ns, key, hlc, origin, vid, flags), so it does not
 * verify row CRCs (enumerate does). cutoff != 0: only rows with hlc <= cutoff (tombstones too),
 * so that holders asked one after another compare as of one instant (tn_proto.h,
 * TN_PROTO_DIGEST_CUTOFF_MS); 0: every row. */
typedef struct {
    tn_row_digest_t all;
    tn_row_digest_t bucket[TN_ROW_DIGEST_BUCKETS];
} osd_idx_digest_t;

int osd_idx_digest(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t cutoff,
                   osd_idx_digest_t *out);

#endif
