/*
 * osd_index.c — this file implements the OSD's index store (osd_index.h): LWW rows in SQLite,
 * one writer thread with group commit, per-thread read-only reader connections.
 *
 * SCHEMA (PRAGMA user_version history)
 *
 *   0  empty database: version 1 is created in one transaction.
 *   1  (2026-11) the first schema:
 *
 *      CREATE TABLE rows(
 *          pool   INTEGER NOT NULL,  -- u32
 *          pg     INTEGER NOT NULL,  -- u32
 *          ns     INTEGER NOT NULL,  -- u64 stored biased: (int64)(ns ^ 2^63), so that SQLite's
 *                                    -- signed order is the unsigned order of ns
 *          key    BLOB NOT NULL,     -- 1..1024 bytes, memcmp order
 *          hlc    INTEGER NOT NULL,  -- u64 as int64 (two's complement)
 *          origin INTEGER NOT NULL,  -- u32
 *          vid    BLOB NOT NULL,     -- 16 bytes
 *          flags  INTEGER NOT NULL,  -- u32
 *          value  BLOB NOT NULL,     -- 0..64 KiB (zero-length blob when empty)
 *          inl    BLOB NOT NULL,     -- 0..1 MiB inline object data
 *          crc    INTEGER NOT NULL,  -- u32: CRC32C of the canonical row encoding (tn_row.h)
 *          PRIMARY KEY(pool, pg, ns, key)) WITHOUT ROWID;
 *
 *   2  (2026-11) the same columns in a rowid table with a unique index on the key:
 *
 *      CREATE TABLE rows(<the columns of version 1>);
 *      CREATE UNIQUE INDEX rows_key ON rows(pool, pg, ns, key);
 *
 *      Why: a WITHOUT ROWID table is an index b-tree whose interior cells carry whole rows,
 *      so with inline objects (4 KiB and more) its fan-out is a handful of rows per page, every
 *      seek walks a deep tree through overflow pages, and SQLite's own advice (rows under
 *      1/20 of a page) is missed by 20x. Measured (callgrind, the writer thread of one OSD,
 *      4 KiB PUTs): 131k instructions per row, 48 % of them in sqlite3BtreeIndexMoveto; a
 *      Python sqlite3 replay of the same inserts took 2.2-2.4x the CPU of this layout. The
 *      statements are unchanged: INSERT OR REPLACE replaces on the unique index, and every
 *      lookup, range scan and (ns, key) order is served by rows_key.
 *      Migration from 1: rename, create, copy in key order, drop, in one transaction.
 *
 *   A later version adds a step to migrate() and documents it here; an index with a higher
 *   user_version than this code knows is refused (TN_ERR_UNSUPPORTED).
 *
 * Connection settings: journal_mode=WAL, synchronous=FULL (read back and checked at open:
 * every COMMIT is fsync'd, rule 6), cell_size_check=ON, busy_timeout 10 s; the writer also
 * has a 64 MiB page cache and checkpoints the WAL every 10,000 pages (WRITER_PRAGMAS). Listing uses
 * key ranges (key >= prefix AND key < successor), never LIKE, so it is an index range scan.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "osd_index.h"
#include "tn_log.h"

#define SCHEMA_VERSION  2
#define NS_BIAS         0x8000000000000000ull
#define BUSY_TIMEOUT_MS 10000
/* The writer's page cache (64 MiB) and WAL checkpoint interval (10,000 pages, ~40 MiB of WAL):
 * random-order inserts dirty one leaf page per row, and a longer interval lets the checkpoint
 * write each page once for many commits. Measured with tern-index-bench: 64 requests in
 * flight, 50,000 rows, 16k rows/s with the defaults (2 MiB, 1,000 pages), 27k with these. */
#define WRITER_PRAGMAS "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=10000"

#define ROWS_COLUMNS                                                                               \
    "pool INTEGER NOT NULL, pg INTEGER NOT NULL, ns INTEGER NOT NULL,"                             \
    " key BLOB NOT NULL, hlc INTEGER NOT NULL, origin INTEGER NOT NULL, vid BLOB NOT NULL,"        \
    " flags INTEGER NOT NULL, value BLOB NOT NULL, inl BLOB NOT NULL, crc INTEGER NOT NULL"
static const char schema_v2[] = "CREATE TABLE rows(" ROWS_COLUMNS ");"
                                " CREATE UNIQUE INDEX rows_key ON rows(pool, pg, ns, key);";
/* Version 1 -> 2, inside the caller's transaction. */
static const char migrate_v1_v2[] =
    "ALTER TABLE rows RENAME TO rows_v1;"
    " CREATE TABLE rows(" ROWS_COLUMNS ");"
    " INSERT INTO rows SELECT pool, pg, ns, key, hlc, origin, vid, flags, value, inl, crc"
    " FROM rows_v1 ORDER BY pool, pg, ns, key;"
    " DROP TABLE rows_v1;"
    " CREATE UNIQUE INDEX rows_key ON rows(pool, pg, ns, key);";

/* Every row-returning SELECT has these columns, in this order (see row_from_stmt). */
#define ROW_COLS "ns, key, hlc, origin, vid, flags, value, inl, crc"

static const char sql_get[] =
    "SELECT " ROW_COLS " FROM rows WHERE pool=?1 AND pg=?2 AND ns=?3 AND key=?4";
static const char sql_put[] = "INSERT OR REPLACE INTO rows(pool, pg, ns, key, hlc, origin, vid,"
                              " flags, value, inl, crc) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)";
static const char sql_del[] = "DELETE FROM rows WHERE pool=?1 AND pg=?2 AND ns=?3 AND key=?4";
/* List: ?4 lower bound (inclusive prefix or exclusive marker), ?5 upper bound, ?6 limit. */
static const char *const sql_list[4] = {
    "SELECT " ROW_COLS " FROM rows WHERE pool=?1 AND pg=?2 AND ns=?3 AND key>=?4"
    " ORDER BY key LIMIT ?6",
    "SELECT " ROW_COLS " FROM rows WHERE pool=?1 AND pg=?2 AND ns=?3 AND key>?4"
    " ORDER BY key LIMIT ?6",
    "SELECT " ROW_COLS " FROM rows WHERE pool=?1 AND pg=?2 AND ns=?3 AND key>=?4 AND key<?5"
    " ORDER BY key LIMIT ?6",
    "SELECT " ROW_COLS " FROM rows WHERE pool=?1 AND pg=?2 AND ns=?3 AND key>?4 AND key<?5"
    " ORDER BY key LIMIT ?6",
};
static const char sql_enum_first[] =
    "SELECT " ROW_COLS " FROM rows WHERE pool=?1 AND pg=?2 ORDER BY ns, key LIMIT ?5";
static const char sql_enum_next[] = "SELECT " ROW_COLS " FROM rows WHERE pool=?1 AND pg=?2"
                                    " AND (ns, key) > (?3, ?4) ORDER BY ns, key LIMIT ?5";
static const char sql_digest[] = "SELECT ns, key, hlc, origin, vid, flags FROM rows"
                                 " WHERE pool=?1 AND pg=?2 ORDER BY ns, key";

static const uint8_t empty_blob[1] = {0}; /* bind_blob(NULL, 0) would bind NULL, not x'' */

struct st_osd_idx_t {
    char *path;
    char *vfs;
    unsigned group_max;
    sqlite3 *db; /* the writer's connection: only the writer thread uses it after open */
    sqlite3_stmt *st_get, *st_put, *st_del;
    pthread_t thread;
    pthread_mutex_t lock; /* protects head, tail, stopping */
    pthread_cond_t cond;
    osd_idx_req_t *head, *tail;
    int stopping;
    atomic_int write_failed;
    atomic_int unhealthy;
    int synchronous; /* read back at open */
    atomic_uint_fast64_t batches, batched_reqs, max_batch, applied, unchanged, stale, exist,
        precondition, ignored, purged, not_purged, failed_reqs, checksum_errors, corrupt_errors;
    tn_hists_t batch_hist; /* requests per committed transaction (osd_idx_batch_hist) */
};

struct st_osd_idx_reader_t {
    osd_idx_t *idx;
    sqlite3 *db;
    sqlite3_stmt *st_get, *st_list[4], *st_enum_first, *st_enum_next, *st_digest;
};

/* ---- helpers ---------------------------------------------------------------------------- */

static int64_t ns_to_db(uint64_t ns)
{
    return (int64_t)(ns ^ NS_BIAS);
}

static uint64_t ns_from_db(int64_t v)
{
    return (uint64_t)v ^ NS_BIAS;
}

static void mark_corrupt(osd_idx_t *idx, const char *where)
{
    atomic_fetch_add(&idx->corrupt_errors, 1);
    if (atomic_exchange(&idx->unhealthy, 1) == 0)
        tn_log_error("msg=\"index corrupt: non-voting until rebuilt\" path=%s where=%s", idx->path,
                     where);
}

/* Maps an SQLite result code to tern's vocabulary; notes corruption. */
static int map_rc(osd_idx_t *idx, int rc, const char *where)
{
    switch (rc & 0xFF) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return 0;
    case SQLITE_FULL: return -ENOSPC;
    case SQLITE_NOMEM: return -ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return -EBUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        if (idx != NULL)
            mark_corrupt(idx, where);
        return TN_ERR_CORRUPT;
    default: return -EIO;
    }
}

static void bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
    sqlite3_bind_blob(st, i, len > 0 ? p : (const void *)empty_blob, (int)len, SQLITE_STATIC);
}

static void bind_key(sqlite3_stmt *st, uint32_t pool, uint32_t pg, uint64_t ns, const void *key,
                     size_t key_len)
{
    sqlite3_bind_int64(st, 1, pool);
    sqlite3_bind_int64(st, 2, pg);
    sqlite3_bind_int64(st, 3, ns_to_db(ns));
    bind_blob(st, 4, key, key_len);
}

static int get_u32(sqlite3_stmt *st, int col, uint32_t *out)
{
    if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
        return -1;
    sqlite3_int64 v = sqlite3_column_int64(st, col);
    if (v < 0 || v > (sqlite3_int64)UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int get_blob(sqlite3_stmt *st, int col, const uint8_t **p, size_t *len)
{
    if (sqlite3_column_type(st, col) != SQLITE_BLOB)
        return -1;
    *p = sqlite3_column_blob(st, col);
    *len = (size_t)sqlite3_column_bytes(st, col);
    if (*len > 0 && *p == NULL)
        return -ENOMEM;
    return 0;
}

/* Fills r from the current result row (ROW_COLS; columns 0..5 only if !full) without
 * verifying the CRC. 0, TN_ERR_CHECKSUM (a column has an impossible type or size: the row is
 * damaged) or -ENOMEM. */
static int row_from_stmt(sqlite3_stmt *st, uint32_t pool, uint32_t pg, int full, tn_row_t *r)
{
    memset(r, 0, sizeof(*r));
    r->pool = pool;
    r->pg = pg;
    if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
        sqlite3_column_type(st, 2) != SQLITE_INTEGER)
        return TN_ERR_CHECKSUM;
    r->ns = ns_from_db(sqlite3_column_int64(st, 0));
    r->ver.hlc = (uint64_t)sqlite3_column_int64(st, 2);
    const uint8_t *vid;
    size_t vid_len;
    int rc;
    if ((rc = get_blob(st, 1, &r->key, &r->key_len)) != 0 ||
        (rc = get_blob(st, 4, &vid, &vid_len)) != 0)
        return rc == -ENOMEM ? rc : TN_ERR_CHECKSUM;
    if (vid_len != TN_ROW_VID_LEN || r->key_len == 0 || r->key_len > TN_ROW_MAX_KEY)
        return TN_ERR_CHECKSUM;
    memcpy(r->ver.vid, vid, TN_ROW_VID_LEN);
    if (get_u32(st, 3, &r->ver.origin) != 0 || get_u32(st, 5, &r->flags) != 0)
        return TN_ERR_CHECKSUM;
    if (!full)
        return 0;
    if ((rc = get_blob(st, 6, &r->value, &r->value_len)) != 0 ||
        (rc = get_blob(st, 7, &r->inl, &r->inl_len)) != 0)
        return rc == -ENOMEM ? rc : TN_ERR_CHECKSUM;
    if (get_u32(st, 8, &r->crc) != 0)
        return TN_ERR_CHECKSUM;
    if (r->value_len == 0)
        r->value = NULL;
    if (r->inl_len == 0)
        r->inl = NULL;
    return tn_row_verify(r) == 0 ? 0 : TN_ERR_CHECKSUM;
}

static void count_checksum(osd_idx_t *idx, const tn_row_t *r)
{
    atomic_fetch_add(&idx->checksum_errors, 1);
    tn_log_error("msg=\"index row failed its CRC\" path=%s pool=%u pg=%u ns=%llu key_len=%zu",
                 idx->path, (unsigned)r->pool, (unsigned)r->pg, (unsigned long long)r->ns,
                 r->key_len);
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Runs a pragma returning one integer row. */
static int pragma_int(sqlite3 *db, const char *sql, sqlite3_int64 *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_ERROR;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Runs a pragma returning one text row; 1 if it equals want, 0 if not, <0 SQLite error. */
static int pragma_text_is(sqlite3 *db, const char *sql, const char *want, int *sqlite_rc)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL), res = -1;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            res = t != NULL && strcmp(t, want) == 0;
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    *sqlite_rc = rc;
    return res;
}

/* ---- open, schema --------------------------------------------------------------------------*/

static int migrate(osd_idx_t *idx)
{
    sqlite3_int64 v = 0;
    int rc = pragma_int(idx->db, "PRAGMA user_version", &v);
    if (rc != SQLITE_OK)
        return map_rc(idx, rc, "user_version");
    if (v == SCHEMA_VERSION)
        return 0;
    if (v > SCHEMA_VERSION || v < 0) {
        tn_log_error("msg=\"index schema is newer than this daemon\" path=%s version=%lld",
                     idx->path, (long long)v);
        return TN_ERR_UNSUPPORTED;
    }
    /* v == 0: create the current version; v == 1: migrate its rows. */
    rc = exec_sql(idx->db, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = exec_sql(idx->db, v == 0 ? schema_v2 : migrate_v1_v2);
    if (rc == SQLITE_OK)
        rc = exec_sql(idx->db, "PRAGMA user_version=2");
    if (rc == SQLITE_OK)
        rc = exec_sql(idx->db, "COMMIT");
    if (rc != SQLITE_OK) {
        tn_log_error("msg=\"cannot create or migrate index schema\" path=%s from=%lld err=\"%s\"",
                     idx->path, (long long)v, sqlite3_errmsg(idx->db));
        if (!sqlite3_get_autocommit(idx->db))
            exec_sql(idx->db, "ROLLBACK");
        return map_rc(idx, rc, "create schema");
    }
    return 0;
}

static int configure(osd_idx_t *idx, const osd_idx_opts_t *opts)
{
    int rc, src;
    sqlite3_extended_result_codes(idx->db, 1);
    sqlite3_busy_timeout(idx->db, BUSY_TIMEOUT_MS);
    int wal = pragma_text_is(idx->db, "PRAGMA journal_mode=WAL", "wal", &src);
    if (wal < 0)
        return map_rc(idx, src, "journal_mode");
    if (wal == 0) {
        tn_log_error("msg=\"index refuses WAL mode\" path=%s", idx->path);
        return TN_ERR_CONFIG;
    }
    sqlite3_int64 sync = -1;
    if ((rc = exec_sql(idx->db, "PRAGMA synchronous=FULL")) != SQLITE_OK ||
        (rc = pragma_int(idx->db, "PRAGMA synchronous", &sync)) != SQLITE_OK)
        return map_rc(idx, rc, "synchronous");
    idx->synchronous = (int)sync;
    if (sync != 2) { /* rule 6: FULL or nothing */
        tn_log_error("msg=\"synchronous=FULL did not take effect\" path=%s synchronous=%lld",
                     idx->path, (long long)sync);
        return TN_ERR_CONFIG;
    }
    if ((rc = exec_sql(idx->db, WRITER_PRAGMAS)) != SQLITE_OK)
        return map_rc(idx, rc, "cache_size");
    if (opts != NULL && opts->cache_kib != 0) {
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%u", opts->cache_kib);
        if ((rc = exec_sql(idx->db, sql)) != SQLITE_OK)
            return map_rc(idx, rc, "cache_size");
    }
    if ((rc = exec_sql(idx->db, "PRAGMA cell_size_check=ON")) != SQLITE_OK)
        return map_rc(idx, rc, "cell_size_check");
    int err = migrate(idx);
    if (err != 0)
        return err;
    if (opts != NULL && opts->quick_check) {
        int okc = pragma_text_is(idx->db, "PRAGMA quick_check", "ok", &src);
        if (okc <= 0) {
            tn_log_error("msg=\"index quick_check failed\" path=%s err=\"%s\"", idx->path,
                         okc < 0 ? sqlite3_errstr(src) : "not ok");
            mark_corrupt(idx, "quick_check");
        }
    }
    rc = sqlite3_prepare_v2(idx->db, sql_get, -1, &idx->st_get, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(idx->db, sql_put, -1, &idx->st_put, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(idx->db, sql_del, -1, &idx->st_del, NULL);
    return map_rc(idx, rc, "prepare");
}

static void *writer_main(void *arg);

static void idx_free(osd_idx_t *idx)
{
    sqlite3_finalize(idx->st_get);
    sqlite3_finalize(idx->st_put);
    sqlite3_finalize(idx->st_del);
    sqlite3_close(idx->db);
    pthread_cond_destroy(&idx->cond);
    pthread_mutex_destroy(&idx->lock);
    free(idx->path);
    free(idx->vfs);
    tn_hists_free(&idx->batch_hist);
    free(idx);
}

int osd_idx_open(const char *path, const osd_idx_opts_t *opts, osd_idx_t **out)
{
    *out = NULL;
    if (path == NULL || *path == '\0')
        return -EINVAL;
    osd_idx_t *idx = calloc(1, sizeof(*idx));
    if (idx == NULL)
        return -ENOMEM;
    idx->path = strdup(path);
    idx->vfs = opts != NULL && opts->vfs != NULL ? strdup(opts->vfs) : NULL;
    idx->group_max = opts != NULL && opts->group_commit_max > 0 ? opts->group_commit_max
                                                                : OSD_IDX_DEFAULT_GROUP_MAX;
    static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
    if (idx->path == NULL || (opts != NULL && opts->vfs != NULL && idx->vfs == NULL) ||
        tn_hists_init(&idx->batch_hist, 1, batch_bounds, TN_ARRAY_SIZE(batch_bounds)) != 0) {
        tn_hists_free(&idx->batch_hist);
        free(idx->path);
        free(idx->vfs);
        free(idx);
        return -ENOMEM;
    }
    pthread_mutex_init(&idx->lock, NULL);
    pthread_cond_init(&idx->cond, NULL);
    int rc = sqlite3_open_v2(
        path, &idx->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, idx->vfs);
    int err;
    if (rc != SQLITE_OK) {
        tn_log_error("msg=\"cannot open index\" path=%s err=\"%s\"", path,
                     idx->db != NULL ? sqlite3_errmsg(idx->db) : sqlite3_errstr(rc));
        err = map_rc(idx, rc, "open");
        if (err == 0)
            err = -EIO;
        idx_free(idx);
        return err;
    }
    if ((err = configure(idx, opts)) != 0) {
        tn_log_error("msg=\"cannot open index\" path=%s err=\"%s\"", path, tn_strerror(err));
        idx_free(idx);
        return err;
    }
    if ((rc = pthread_create(&idx->thread, NULL, writer_main, idx)) != 0) {
        idx_free(idx);
        return -rc;
    }
    *out = idx;
    return 0;
}

void osd_idx_close(osd_idx_t *idx)
{
    if (idx == NULL)
        return;
    pthread_mutex_lock(&idx->lock);
    idx->stopping = 1;
    pthread_cond_signal(&idx->cond);
    pthread_mutex_unlock(&idx->lock);
    pthread_join(idx->thread, NULL);
    idx_free(idx);
}

int osd_idx_is_healthy(const osd_idx_t *idx)
{
    return atomic_load(&((osd_idx_t *)(uintptr_t)idx)->unhealthy) == 0;
}

void osd_idx_batch_hist(const osd_idx_t *idx, tn_hist_snap_t *out)
{
    tn_hists_snap(&idx->batch_hist, 0, out);
}

void osd_idx_stats(const osd_idx_t *cidx, osd_idx_stats_t *out)
{
    osd_idx_t *idx = (osd_idx_t *)(uintptr_t)cidx; /* atomics are read, never written here */
    out->batches = atomic_load(&idx->batches);
    out->batched_reqs = atomic_load(&idx->batched_reqs);
    out->max_batch = atomic_load(&idx->max_batch);
    out->applied = atomic_load(&idx->applied);
    out->unchanged = atomic_load(&idx->unchanged);
    out->stale = atomic_load(&idx->stale);
    out->exist = atomic_load(&idx->exist);
    out->precondition = atomic_load(&idx->precondition);
    out->ignored = atomic_load(&idx->ignored);
    out->purged = atomic_load(&idx->purged);
    out->not_purged = atomic_load(&idx->not_purged);
    out->failed_reqs = atomic_load(&idx->failed_reqs);
    out->checksum_errors = atomic_load(&idx->checksum_errors);
    out->corrupt_errors = atomic_load(&idx->corrupt_errors);
    out->write_failed = atomic_load(&idx->write_failed);
    out->healthy = atomic_load(&idx->unhealthy) == 0;
    out->synchronous = idx->synchronous;
}

/* ---- writes --------------------------------------------------------------------------------*/

int osd_idx_submit(osd_idx_t *idx, osd_idx_req_t *req)
{
    if (req == NULL || req->cb == NULL)
        return -EINVAL;
    int rc = tn_row_check(&req->row);
    if (rc != 0)
        return rc;
    switch (req->op) {
    case OSD_IDX_PUT:
    case OSD_IDX_MERGE:
    case OSD_IDX_CREATE:
    case OSD_IDX_IF_VERSION:
        if (tn_row_verify(&req->row) != 0)
            return TN_ERR_CHECKSUM;
        break;
    case OSD_IDX_PURGE: break;
    default: return -EINVAL;
    }
    if (atomic_load(&idx->write_failed))
        return -EIO;
    req->status = 0;
    req->result = OSD_IDX_NONE;
    req->stored_exists = 0;
    memset(&req->stored, 0, sizeof(req->stored));
    req->next_ = NULL;
    pthread_mutex_lock(&idx->lock);
    if (idx->stopping) {
        pthread_mutex_unlock(&idx->lock);
        return -ESHUTDOWN;
    }
    if (idx->tail != NULL)
        idx->tail->next_ = req;
    else
        idx->head = req;
    idx->tail = req;
    pthread_cond_signal(&idx->cond);
    pthread_mutex_unlock(&idx->lock);
    return 0;
}

/* Applies one request inside the open transaction. Sets req->status/result for decisions;
 * returns an SQLite error code that fails the whole batch, or SQLITE_OK. */
static int apply(osd_idx_t *idx, osd_idx_req_t *req)
{
    const tn_row_t *in = &req->row;
    sqlite3_stmt *st = idx->st_get;
    bind_key(st, in->pool, in->pg, in->ns, in->key, in->key_len);
    int rc = sqlite3_step(st), damaged = 0, stored_tomb = 0;
    if (rc == SQLITE_ROW) {
        tn_row_t cur;
        int err = row_from_stmt(st, in->pool, in->pg, 1, &cur);
        if (err == -ENOMEM) {
            sqlite3_reset(st);
            return SQLITE_NOMEM;
        }
        if (err != 0) {
            count_checksum(idx, &cur);
            damaged = 1;
        } else {
            req->stored_exists = 1;
            req->stored = cur.ver;
            stored_tomb = (cur.flags & TN_ROW_TOMBSTONE) != 0;
        }
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_OK)
        return rc;

    int cmp = req->stored_exists ? tn_row_ver_cmp(&in->ver, &req->stored) : 1;
    int write = 0;
    switch (req->op) {
    case OSD_IDX_PUT:
        if (cmp > 0) {
            write = 1;
        } else if (cmp == 0) {
            req->result = OSD_IDX_UNCHANGED;
        } else {
            req->status = TN_ERR_STALE_TS;
        }
        break;
    case OSD_IDX_MERGE:
        if (cmp > 0)
            write = 1;
        else
            req->result = OSD_IDX_IGNORED;
        break;
    case OSD_IDX_CREATE:
        if (damaged)
            req->status = TN_ERR_CHECKSUM;
        else if (!req->stored_exists)
            write = 1;
        else if (cmp == 0)
            req->result = OSD_IDX_UNCHANGED;
        else if (!stored_tomb)
            req->status = -EEXIST;
        else if (cmp > 0)
            write = 1;
        else
            req->status = TN_ERR_STALE_TS;
        break;
    case OSD_IDX_IF_VERSION:
        if (damaged)
            req->status = TN_ERR_CHECKSUM;
        else if (req->stored_exists && cmp == 0)
            req->result = OSD_IDX_UNCHANGED;
        else if (!req->stored_exists || tn_row_ver_cmp(&req->expect, &req->stored) != 0)
            req->status = TN_ERR_PRECONDITION;
        else if (cmp > 0)
            write = 1;
        else
            req->status = TN_ERR_STALE_TS;
        break;
    case OSD_IDX_PURGE:
        if (damaged) {
            req->status = TN_ERR_CHECKSUM;
            return SQLITE_OK;
        }
        if (!req->stored_exists || cmp != 0) {
            req->result = OSD_IDX_NOT_PURGED;
            return SQLITE_OK;
        }
        st = idx->st_del;
        bind_key(st, in->pool, in->pg, in->ns, in->key, in->key_len);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE)
            return rc;
        req->result = OSD_IDX_PURGED;
        return SQLITE_OK;
    }
    if (!write)
        return SQLITE_OK;
    st = idx->st_put;
    bind_key(st, in->pool, in->pg, in->ns, in->key, in->key_len);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)in->ver.hlc);
    sqlite3_bind_int64(st, 6, in->ver.origin);
    bind_blob(st, 7, in->ver.vid, TN_ROW_VID_LEN);
    sqlite3_bind_int64(st, 8, in->flags);
    bind_blob(st, 9, in->value, in->value_len);
    bind_blob(st, 10, in->inl, in->inl_len);
    sqlite3_bind_int64(st, 11, in->crc);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return rc;
    req->result = OSD_IDX_APPLIED;
    return SQLITE_OK;
}

/* Runs one batch (count requests from head) in one transaction; fills every status. */
static void run_batch(osd_idx_t *idx, osd_idx_req_t *head, unsigned count)
{
    const char *where = "BEGIN";
    int rc = atomic_load(&idx->write_failed) ? SQLITE_IOERR : exec_sql(idx->db, "BEGIN IMMEDIATE");
    osd_idx_req_t *r = head;
    if (rc == SQLITE_OK) {
        where = "apply";
        for (unsigned i = 0; i < count && rc == SQLITE_OK; i++, r = r->next_)
            rc = apply(idx, r);
    }
    if (rc == SQLITE_OK) {
        where = "COMMIT";
        rc = exec_sql(idx->db, "COMMIT");
    }
    if (rc == SQLITE_OK) {
        uint64_t n = count, prev = atomic_load(&idx->max_batch);
        atomic_fetch_add(&idx->batches, 1);
        tn_hists_observe(&idx->batch_hist, 0, (double)count);
        atomic_fetch_add(&idx->batched_reqs, n);
        while (n > prev && !atomic_compare_exchange_weak(&idx->max_batch, &prev, n))
            ;
        r = head;
        for (unsigned i = 0; i < count; i++, r = r->next_) {
            switch (r->status != 0 ? OSD_IDX_NONE : r->result) {
            case OSD_IDX_APPLIED: atomic_fetch_add(&idx->applied, 1); break;
            case OSD_IDX_UNCHANGED: atomic_fetch_add(&idx->unchanged, 1); break;
            case OSD_IDX_IGNORED: atomic_fetch_add(&idx->ignored, 1); break;
            case OSD_IDX_PURGED: atomic_fetch_add(&idx->purged, 1); break;
            case OSD_IDX_NOT_PURGED: atomic_fetch_add(&idx->not_purged, 1); break;
            case OSD_IDX_NONE:
                if (r->status == TN_ERR_STALE_TS)
                    atomic_fetch_add(&idx->stale, 1);
                else if (r->status == -EEXIST)
                    atomic_fetch_add(&idx->exist, 1);
                else if (r->status == TN_ERR_PRECONDITION)
                    atomic_fetch_add(&idx->precondition, 1);
                else
                    atomic_fetch_add(&idx->failed_reqs, 1);
                break;
            }
        }
        return;
    }
    /* The batch failed: nothing of it is durable. */
    int primary = rc & 0xFF;
    if (primary == SQLITE_IOERR && atomic_exchange(&idx->write_failed, 1) == 0)
        tn_log_error("msg=\"index I/O error: refusing every further write\" path=%s at=%s"
                     " err=\"%s\" code=%d",
                     idx->path, where, sqlite3_errmsg(idx->db), rc);
    else
        tn_log_error("msg=\"index write batch failed\" path=%s at=%s err=\"%s\" code=%d", idx->path,
                     where, sqlite3_errmsg(idx->db), rc);
    if (!sqlite3_get_autocommit(idx->db))
        exec_sql(idx->db, "ROLLBACK");
    int err = map_rc(idx, rc, where);
    if (err == 0 || err == -EBUSY || primary == SQLITE_IOERR)
        err = -EIO;
    r = head;
    for (unsigned i = 0; i < count; i++, r = r->next_) {
        r->status = err;
        r->result = OSD_IDX_NONE;
    }
    atomic_fetch_add(&idx->failed_reqs, count);
}

static void *writer_main(void *arg)
{
    osd_idx_t *idx = arg;
    for (;;) {
        pthread_mutex_lock(&idx->lock);
        while (idx->head == NULL && !idx->stopping)
            pthread_cond_wait(&idx->cond, &idx->lock);
        if (idx->head == NULL) { /* stopping and drained */
            pthread_mutex_unlock(&idx->lock);
            break;
        }
        osd_idx_req_t *head = idx->head, *last = head;
        unsigned count = 1;
        while (count < idx->group_max && last->next_ != NULL) {
            last = last->next_;
            count++;
        }
        idx->head = last->next_;
        if (idx->head == NULL)
            idx->tail = NULL;
        last->next_ = NULL;
        pthread_mutex_unlock(&idx->lock);

        run_batch(idx, head, count);
        /* Callbacks after COMMIT, in order. A callback may resubmit its request, which
         * rewrites next_: read it first. */
        for (osd_idx_req_t *r = head, *next; r != NULL; r = next) {
            next = r->next_;
            r->cb(r);
        }
    }
    return NULL;
}

/* ---- reads ---------------------------------------------------------------------------------*/

int osd_idx_reader_open(osd_idx_t *idx, osd_idx_reader_t **out)
{
    return osd_idx_reader_open_vfs(idx, idx->vfs, out);
}

const char *osd_idx_vfs(const osd_idx_t *idx)
{
    return idx->vfs;
}

int osd_idx_reader_open_vfs(osd_idx_t *idx, const char *vfs, osd_idx_reader_t **out)
{
    *out = NULL;
    osd_idx_reader_t *rd = calloc(1, sizeof(*rd));
    if (rd == NULL)
        return -ENOMEM;
    rd->idx = idx;
    int rc = sqlite3_open_v2(idx->path, &rd->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, vfs);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(rd->db, 1);
        sqlite3_busy_timeout(rd->db, BUSY_TIMEOUT_MS);
        rc = sqlite3_prepare_v2(rd->db, sql_get, -1, &rd->st_get, NULL);
    }
    for (int i = 0; i < 4 && rc == SQLITE_OK; i++)
        rc = sqlite3_prepare_v2(rd->db, sql_list[i], -1, &rd->st_list[i], NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(rd->db, sql_enum_first, -1, &rd->st_enum_first, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(rd->db, sql_enum_next, -1, &rd->st_enum_next, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(rd->db, sql_digest, -1, &rd->st_digest, NULL);
    if (rc != SQLITE_OK) {
        tn_log_error("msg=\"cannot open index reader\" path=%s err=\"%s\"", idx->path,
                     rd->db != NULL ? sqlite3_errmsg(rd->db) : sqlite3_errstr(rc));
        int err = map_rc(idx, rc, "reader open");
        osd_idx_reader_close(rd);
        return err != 0 ? err : -EIO;
    }
    *out = rd;
    return 0;
}

void osd_idx_reader_close(osd_idx_reader_t *rd)
{
    if (rd == NULL)
        return;
    sqlite3_finalize(rd->st_get);
    for (int i = 0; i < 4; i++)
        sqlite3_finalize(rd->st_list[i]);
    sqlite3_finalize(rd->st_enum_first);
    sqlite3_finalize(rd->st_enum_next);
    sqlite3_finalize(rd->st_digest);
    sqlite3_close(rd->db);
    free(rd);
}

static int finish_stmt(sqlite3_stmt *st, int err)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

/* Reads the current row fully and verifies it; counts CRC failures. */
static int read_row(osd_idx_reader_t *rd, sqlite3_stmt *st, uint32_t pool, uint32_t pg, tn_row_t *r)
{
    int err = row_from_stmt(st, pool, pg, 1, r);
    if (err == TN_ERR_CHECKSUM)
        count_checksum(rd->idx, r);
    return err;
}

int osd_idx_get(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t ns, const void *key,
                size_t key_len, tn_row_t **out)
{
    *out = NULL;
    if (key == NULL || key_len == 0 || key_len > TN_ROW_MAX_KEY)
        return -EINVAL;
    sqlite3_stmt *st = rd->st_get;
    bind_key(st, pool, pg, ns, key, key_len);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return finish_stmt(st, TN_ERR_NOT_FOUND);
    if (rc != SQLITE_ROW)
        return finish_stmt(st, map_rc(rd->idx, rc, "get"));
    tn_row_t r;
    int err = read_row(rd, st, pool, pg, &r);
    if (err != 0)
        return finish_stmt(st, err);
    tn_row_t *c = malloc(sizeof(*c) + r.key_len + r.value_len + r.inl_len);
    if (c == NULL)
        return finish_stmt(st, -ENOMEM);
    *c = r;
    uint8_t *p = (uint8_t *)(c + 1);
    memcpy(p, r.key, r.key_len);
    c->key = p;
    p += r.key_len;
    if (r.value_len > 0) {
        memcpy(p, r.value, r.value_len);
        c->value = p;
        p += r.value_len;
    }
    if (r.inl_len > 0) {
        memcpy(p, r.inl, r.inl_len);
        c->inl = p;
    }
    *out = c;
    return finish_stmt(st, 0);
}

/* Steps st delivering up to limit verified rows to cb; the (limit+1)th row sets *more. */
static int scan_rows(osd_idx_reader_t *rd, sqlite3_stmt *st, uint32_t pool, uint32_t pg,
                     unsigned limit, osd_idx_cursor_t *cursor, osd_idx_row_cb cb, void *arg,
                     int *more)
{
    unsigned n = 0;
    *more = 0;
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            return finish_stmt(st, 0);
        if (rc != SQLITE_ROW)
            return finish_stmt(st, map_rc(rd->idx, rc, "scan"));
        if (n == limit) {
            *more = 1;
            return finish_stmt(st, 0);
        }
        tn_row_t r;
        int err = read_row(rd, st, pool, pg, &r);
        if (err != 0)
            return finish_stmt(st, err);
        n++;
        if (cursor != NULL) {
            cursor->valid = 1;
            cursor->ns = r.ns;
            cursor->key_len = r.key_len;
            memcpy(cursor->key, r.key, r.key_len);
        }
        if ((err = cb(arg, &r)) != 0)
            return finish_stmt(st, err);
    }
}

int osd_idx_list(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t ns, const void *prefix,
                 size_t prefix_len, const void *start_after, size_t start_after_len, unsigned limit,
                 osd_idx_row_cb cb, void *arg, int *more)
{
    *more = 0;
    if (limit == 0 || limit > OSD_IDX_MAX_LIST || cb == NULL || prefix_len > TN_ROW_MAX_KEY ||
        start_after_len > TN_ROW_MAX_KEY || (prefix == NULL && prefix_len > 0) ||
        (start_after == NULL && start_after_len > 0))
        return -EINVAL;
    /* Upper bound: the prefix without its trailing 0xFF bytes, last byte + 1. None when the
     * prefix is empty or all 0xFF (every key from the lower bound on matches). */
    uint8_t succ[TN_ROW_MAX_KEY];
    size_t succ_len = prefix_len;
    if (prefix_len > 0)
        memcpy(succ, prefix, prefix_len);
    while (succ_len > 0 && succ[succ_len - 1] == 0xFF)
        succ_len--;
    int upper = succ_len > 0;
    if (upper)
        succ[succ_len - 1]++;
    /* Lower bound: the marker (exclusive) if it is at or past the prefix, else the prefix. */
    int after = start_after_len > 0 &&
                tn_row_key_cmp(start_after, start_after_len, prefix, prefix_len) >= 0;
    sqlite3_stmt *st = rd->st_list[(upper ? 2 : 0) + (after ? 1 : 0)];
    bind_key(st, pool, pg, ns, after ? start_after : prefix, after ? start_after_len : prefix_len);
    if (upper)
        bind_blob(st, 5, succ, succ_len);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)limit + 1);
    return scan_rows(rd, st, pool, pg, limit, NULL, cb, arg, more);
}

int osd_idx_enumerate(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, osd_idx_cursor_t *cursor,
                      unsigned limit, osd_idx_row_cb cb, void *arg, int *more)
{
    *more = 0;
    if (limit == 0 || limit > OSD_IDX_MAX_LIST || cb == NULL || cursor == NULL ||
        (cursor->valid && (cursor->key_len == 0 || cursor->key_len > TN_ROW_MAX_KEY)))
        return -EINVAL;
    sqlite3_stmt *st = cursor->valid ? rd->st_enum_next : rd->st_enum_first;
    sqlite3_bind_int64(st, 1, pool);
    sqlite3_bind_int64(st, 2, pg);
    if (cursor->valid) {
        sqlite3_bind_int64(st, 3, ns_to_db(cursor->ns));
        bind_blob(st, 4, cursor->key, cursor->key_len);
    }
    sqlite3_bind_int64(st, 5, (sqlite3_int64)limit + 1);
    return scan_rows(rd, st, pool, pg, limit, cursor, cb, arg, more);
}

int osd_idx_digest(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t cutoff,
                   osd_idx_digest_t *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = rd->st_digest;
    sqlite3_bind_int64(st, 1, pool);
    sqlite3_bind_int64(st, 2, pg);
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            return finish_stmt(st, 0);
        if (rc != SQLITE_ROW)
            return finish_stmt(st, map_rc(rd->idx, rc, "digest"));
        tn_row_t r;
        int err = row_from_stmt(st, pool, pg, 0, &r);
        if (err != 0) {
            if (err == TN_ERR_CHECKSUM)
                count_checksum(rd->idx, &r);
            return finish_stmt(st, err);
        }
        if (cutoff != 0 && r.ver.hlc > cutoff)
            continue; /* younger than the comparison's instant */
        tn_row_digest_add(&out->all, r.ns, r.key, r.key_len, &r.ver, r.flags);
        tn_row_digest_add(&out->bucket[tn_row_digest_bucket(r.key, r.key_len)], r.ns, r.key,
                          r.key_len, &r.ver, r.flags);
    }
}
