/*
 * Unit tests for osd/osd_index.c: open/schema/pragmas, PUT ordering (rule 2), MERGE, tombstones,
 * PURGE_IF_UNCHANGED (rule 5), conditional CREATE / IF_VERSION (rule 11, also mixed in one
 * batch), LIST ranges in byte order (0xFF keys, empty prefix, markers,
 * limits, no bleed between namespaces and PGs), ENUMERATE with a cursor, DIGEST, concurrent
 * group commit, CRC corruption (rule 7), reopen, sticky I/O errors (rule 6) through a
 * fault-injecting SQLite VFS, and a kill -9 crash test. Every test works in a fresh directory
 * under $TMPDIR that is removed at the end.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include "osd_index.h"
#include "tn_log.h"
#include "test.h"

static char root[512];
static int dir_seq;

/* ---- helpers ---------------------------------------------------------------------------- */

static void new_db_path(char *out, size_t size)
{
    snprintf(out, size, "%s/idx%d.db", root, ++dir_seq);
}

static osd_idx_t *open_idx(const char *path, const osd_idx_opts_t *opts)
{
    osd_idx_t *idx = NULL;
    int rc = osd_idx_open(path, opts, &idx);
    is_int(rc, 0, "osd_idx_open");
    if (idx == NULL)
        exit(2);
    return idx;
}

static osd_idx_reader_t *open_reader(osd_idx_t *idx)
{
    osd_idx_reader_t *rd = NULL;
    int rc = osd_idx_reader_open(idx, &rd);
    is_int(rc, 0, "osd_idx_reader_open");
    if (rd == NULL)
        exit(2);
    return rd;
}

/* A write request with its own buffers and a completion flag. */
typedef struct {
    osd_idx_req_t req;
    uint8_t key[TN_ROW_MAX_KEY];
    uint8_t val[64];
    int done;
} wreq_t;

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;

static void on_done(osd_idx_req_t *req)
{
    wreq_t *w = req->data;
    pthread_mutex_lock(&done_lock);
    w->done = 1;
    pthread_cond_broadcast(&done_cond);
    pthread_mutex_unlock(&done_lock);
}

static void wait_done(wreq_t *w)
{
    pthread_mutex_lock(&done_lock);
    while (!w->done)
        pthread_cond_wait(&done_cond, &done_lock);
    pthread_mutex_unlock(&done_lock);
}

/* Fills w with a sealed row. value is "v:<key>:<hlc>". */
static void mkrow(wreq_t *w, osd_idx_op_t op, uint32_t pool, uint32_t pg, uint64_t ns,
                  const void *key, size_t key_len, uint64_t hlc, uint32_t origin, uint8_t vid,
                  uint32_t flags)
{
    memset(w, 0, sizeof(*w));
    memcpy(w->key, key, key_len);
    int n = snprintf((char *)w->val, sizeof(w->val), "v:%llu", (unsigned long long)hlc);
    tn_row_t *r = &w->req.row;
    r->pool = pool;
    r->pg = pg;
    r->ns = ns;
    r->key = w->key;
    r->key_len = key_len;
    r->ver.hlc = hlc;
    r->ver.origin = origin;
    memset(r->ver.vid, vid, TN_ROW_VID_LEN);
    r->flags = flags;
    r->value = w->val;
    r->value_len = (size_t)n;
    tn_row_seal(r);
    w->req.op = op;
    w->req.cb = on_done;
    w->req.data = w;
}

/* Submits and waits; returns the request's status (or the submit error). */
static int run(osd_idx_t *idx, wreq_t *w)
{
    int rc = osd_idx_submit(idx, &w->req);
    if (rc != 0)
        return rc;
    wait_done(w);
    return w->req.status;
}

static int put(osd_idx_t *idx, osd_idx_op_t op, uint32_t pg, uint64_t ns, const char *key,
               uint64_t hlc, uint32_t origin, uint8_t vid, uint32_t flags, wreq_t *w)
{
    mkrow(w, op, 1, pg, ns, key, strlen(key), hlc, origin, vid, flags);
    return run(idx, w);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Runs one SQL statement on a separate raw connection. */
static int raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    sqlite3_close(db);
    return rc;
}

/* First column of the first row of sql, as text, into out ("" if none). */
static void raw_query(const char *path, const char *sql, char *out, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, sqlite3_column_count(st) - 1);
        snprintf(out, size, "%s", t != NULL ? t : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ---- open and schema -------------------------------------------------------------------- */

static void test_open(void)
{
    char path[600], buf[512];
    new_db_path(path, sizeof(path));
    osd_idx_opts_t opts = {.quick_check = 1};
    osd_idx_t *idx = open_idx(path, &opts);
    osd_idx_stats_t st;
    osd_idx_stats(idx, &st);
    is_int(st.synchronous, 2, "synchronous=FULL read back");
    ok(osd_idx_is_healthy(idx), "healthy after quick_check");
    ok(st.healthy, "stats say healthy");
    raw_query(path, "PRAGMA journal_mode", buf, sizeof(buf));
    is_str(buf, "wal", "WAL mode persisted");
    raw_query(path, "PRAGMA user_version", buf, sizeof(buf));
    is_str(buf, "2", "user_version 2");
    raw_query(path, "SELECT sql FROM sqlite_master WHERE name='rows'", buf, sizeof(buf));
    ok(strstr(buf, "WITHOUT ROWID") == NULL, "rowid table (fat rows make WITHOUT ROWID deep)");
    raw_query(path, "SELECT sql FROM sqlite_master WHERE name='rows_key'", buf, sizeof(buf));
    has_str(buf, "UNIQUE INDEX rows_key ON rows(pool, pg, ns, key)", "unique key index");
    raw_query(path,
              "EXPLAIN QUERY PLAN SELECT key FROM rows WHERE pool=1 AND pg=2 AND ns=3"
              " AND key>=x'61' AND key<x'62' ORDER BY key",
              buf, sizeof(buf));
    has_str(buf, "key>? AND key<?", "list is a key-index range scan");
    raw_query(path,
              "EXPLAIN QUERY PLAN SELECT key FROM rows WHERE pool=1 AND pg=2 ORDER BY ns, key", buf,
              sizeof(buf));
    has_str(buf, "rows_key", "PG enumeration in key order uses the index");
    ok(strstr(buf, "TEMP B-TREE") == NULL, "no sort for the PG enumeration");
    osd_idx_close(idx);

    /* Reopen an existing index. */
    idx = open_idx(path, NULL);
    osd_idx_close(idx);

    /* A newer schema is refused. */
    is_int(raw_exec(path, "PRAGMA user_version=3"), SQLITE_OK, "set user_version 3");
    osd_idx_t *bad = NULL;
    is_int(osd_idx_open(path, NULL, &bad), TN_ERR_UNSUPPORTED, "newer schema refused");
    ok(bad == NULL, "no handle");

    /* Not a database. */
    new_db_path(path, sizeof(path));
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 200; i++)
        fputs("this is not an sqlite database file at all ", f);
    fclose(f);
    is_int(osd_idx_open(path, NULL, &bad), TN_ERR_CORRUPT, "garbage file");
    is_int(osd_idx_open("", NULL, &bad), -EINVAL, "empty path");
    snprintf(path, sizeof(path), "%s/no/such/dir/x.db", root);
    ok(osd_idx_open(path, NULL, &bad) < 0, "missing directory fails");
}

/* ---- PUT / MERGE / PURGE ------------------------------------------------------------------ */

/* A version-1 index (WITHOUT ROWID) is migrated to version 2 at open, rows intact. The v1 file
 * is made from a v2 one by the reverse steps, so its rows carry real CRCs. */
static void test_migrate_v1(void)
{
    char path[600], buf[512];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    wreq_t w;
    char key[16];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "m%03d", i);
        is_int(put(idx, OSD_IDX_PUT, 3, 7, key, 1000 + (uint64_t)i, 1, 0x10, 0, &w), 0, "put");
    }
    osd_idx_close(idx);
    is_int(raw_exec(path,
                    "BEGIN; ALTER TABLE rows RENAME TO r2; DROP INDEX rows_key;"
                    " CREATE TABLE rows(pool INTEGER NOT NULL, pg INTEGER NOT NULL,"
                    " ns INTEGER NOT NULL, key BLOB NOT NULL, hlc INTEGER NOT NULL,"
                    " origin INTEGER NOT NULL, vid BLOB NOT NULL, flags INTEGER NOT NULL,"
                    " value BLOB NOT NULL, inl BLOB NOT NULL, crc INTEGER NOT NULL,"
                    " PRIMARY KEY(pool, pg, ns, key)) WITHOUT ROWID;"
                    " INSERT INTO rows SELECT pool, pg, ns, key, hlc, origin, vid, flags, value,"
                    " inl, crc FROM r2; DROP TABLE r2; PRAGMA user_version=1; COMMIT;"),
           SQLITE_OK, "made a version-1 index");
    raw_query(path, "SELECT sql FROM sqlite_master WHERE name='rows'", buf, sizeof(buf));
    has_str(buf, "WITHOUT ROWID", "version 1 layout");

    idx = open_idx(path, NULL);
    raw_query(path, "PRAGMA user_version", buf, sizeof(buf));
    is_str(buf, "2", "migrated to version 2");
    raw_query(path, "SELECT sql FROM sqlite_master WHERE name='rows'", buf, sizeof(buf));
    ok(strstr(buf, "WITHOUT ROWID") == NULL, "rowid table after migration");
    raw_query(path, "SELECT count(*) FROM sqlite_master WHERE name='rows_v1'", buf, sizeof(buf));
    is_str(buf, "0", "old table dropped");
    osd_idx_reader_t *rd = open_reader(idx);
    int good = 0;
    for (int i = 0; i < 50; i++) {
        tn_row_t *r = NULL;
        snprintf(key, sizeof key, "m%03d", i);
        if (osd_idx_get(rd, 1, 3, 7, key, strlen(key), &r) == 0 && r != NULL &&
            r->ver.hlc == 1000 + (uint64_t)i && tn_row_verify(r) == 0)
            good++;
        free(r);
    }
    is_int(good, 50, "every row readable and verified after migration");
    /* writes keep their LWW rule on the migrated table */
    is_int(put(idx, OSD_IDX_PUT, 3, 7, "m000", 999, 1, 0x10, 0, &w), TN_ERR_STALE_TS,
           "older write refused after migration");
    is_int(put(idx, OSD_IDX_PUT, 3, 7, "m000", 5000, 1, 0x10, 0, &w), 0, "newer write applied");
    raw_query(path, "SELECT count(*) FROM rows", buf, sizeof(buf));
    is_str(buf, "50", "replace keeps one row per key");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
}

static void test_put_order(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    wreq_t w;

    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 100, 2, 0x50, 0, &w), 0, "first put");
    is_int(w.req.result, OSD_IDX_APPLIED, "applied");
    ok(!w.req.stored_exists, "nothing stored before");
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 100, 2, 0x50, 0, &w), 0, "retry is OK");
    is_int(w.req.result, OSD_IDX_UNCHANGED, "idempotent");
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 99, 9, 0xFF, 0, &w), TN_ERR_STALE_TS, "older refused");
    ok(w.req.stored_exists, "stored reported");
    is_uint(w.req.stored.hlc, 100, "stored hlc returned");
    is_uint(w.req.stored.origin, 2, "stored origin returned");
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 100, 1, 0xFF, 0, &w), TN_ERR_STALE_TS,
           "same hlc, lower origin refused");
    is_uint(w.req.stored.hlc, 100, "stored hlc");
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 100, 2, 0x4F, 0, &w), TN_ERR_STALE_TS,
           "same hlc and origin, lower vid refused");
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 100, 3, 0x00, 0, &w), 0, "same hlc, higher origin");
    is_int(w.req.result, OSD_IDX_APPLIED, "higher origin wins");
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 100, 3, 0x01, 0, &w), 0, "vid tie-break");
    is_int(w.req.result, OSD_IDX_APPLIED, "higher vid wins");
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 101, 0, 0x00, 0, &w), 0, "newer hlc");

    tn_row_t *r = NULL;
    is_int(osd_idx_get(rd, 1, 1, 5, "k", 1, &r), 0, "get");
    if (r != NULL) {
        is_uint(r->ver.hlc, 101, "latest hlc");
        is_uint(r->ver.origin, 0, "latest origin");
        is_mem(r->value, "v:101", 5, "latest value");
        is_int(tn_row_verify(r), 0, "row copy verifies");
        free(r);
    }
    is_int(osd_idx_get(rd, 1, 1, 6, "k", 1, &r), TN_ERR_NOT_FOUND, "other ns");
    is_int(osd_idx_get(rd, 1, 2, 5, "k", 1, &r), TN_ERR_NOT_FOUND, "other pg");
    is_int(osd_idx_get(rd, 2, 1, 5, "k", 1, &r), TN_ERR_NOT_FOUND, "other pool");
    is_int(osd_idx_get(rd, 1, 1, 5, "", 0, &r), -EINVAL, "empty key");

    /* MERGE */
    is_int(put(idx, OSD_IDX_MERGE, 1, 5, "k", 50, 9, 0xFF, 0, &w), 0, "merge older: no error");
    is_int(w.req.result, OSD_IDX_IGNORED, "older ignored");
    is_uint(w.req.stored.hlc, 101, "stored version returned");
    is_int(put(idx, OSD_IDX_MERGE, 1, 5, "k", 101, 0, 0x00, 0, &w), 0, "merge equal");
    is_int(w.req.result, OSD_IDX_IGNORED, "equal ignored");
    is_int(put(idx, OSD_IDX_MERGE, 1, 5, "k", 102, 0, 0x00, 0, &w), 0, "merge newer");
    is_int(w.req.result, OSD_IDX_APPLIED, "newer applied");
    is_int(put(idx, OSD_IDX_MERGE, 1, 5, "m", 7, 0, 0x00, 0, &w), 0, "merge new key");
    is_int(w.req.result, OSD_IDX_APPLIED, "absent applied");

    /* Tombstone */
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 200, 1, 0x01, TN_ROW_TOMBSTONE | 0x100, &w), 0,
           "delete = tombstone put");
    is_int(osd_idx_get(rd, 1, 1, 5, "k", 1, &r), 0, "tombstone is returned by get");
    if (r != NULL) {
        is_uint(r->flags, TN_ROW_TOMBSTONE | 0x100, "flags stored verbatim");
        free(r);
    }

    /* PURGE_IF_UNCHANGED */
    is_int(put(idx, OSD_IDX_PURGE, 1, 5, "k", 199, 1, 0x01, 0, &w), 0, "purge other version");
    is_int(w.req.result, OSD_IDX_NOT_PURGED, "not purged");
    is_uint(w.req.stored.hlc, 200, "stored reported");
    is_int(osd_idx_get(rd, 1, 1, 5, "k", 1, &r), 0, "still there");
    free(r);
    is_int(put(idx, OSD_IDX_PURGE, 1, 5, "k", 200, 1, 0x02, 0, &w), 0, "purge other vid");
    is_int(w.req.result, OSD_IDX_NOT_PURGED, "vid must match too");
    is_int(put(idx, OSD_IDX_PURGE, 1, 5, "k", 200, 1, 0x01, 0, &w), 0, "purge unchanged");
    is_int(w.req.result, OSD_IDX_PURGED, "purged");
    is_int(osd_idx_get(rd, 1, 1, 5, "k", 1, &r), TN_ERR_NOT_FOUND, "gone");
    is_int(put(idx, OSD_IDX_PURGE, 1, 5, "k", 200, 1, 0x01, 0, &w), 0, "purge absent");
    is_int(w.req.result, OSD_IDX_NOT_PURGED, "absent: not purged");
    ok(!w.req.stored_exists, "absent reported");

    /* Submit-time validation */
    mkrow(&w, OSD_IDX_PUT, 1, 1, 5, "x", 1, 1, 1, 1, 0);
    w.req.row.crc ^= 1;
    is_int(osd_idx_submit(idx, &w.req), TN_ERR_CHECKSUM, "row with a bad crc refused");
    mkrow(&w, OSD_IDX_PUT, 1, 1, 5, "x", 1, 1, 1, 1, 0);
    w.req.cb = NULL;
    is_int(osd_idx_submit(idx, &w.req), -EINVAL, "no callback");
    mkrow(&w, (osd_idx_op_t)9, 1, 1, 5, "x", 1, 1, 1, 1, 0);
    is_int(osd_idx_submit(idx, &w.req), -EINVAL, "bad op");
    mkrow(&w, OSD_IDX_PUT, 1, 1, 5, "x", 1, 1, 1, 1, 0);
    w.req.row.key_len = TN_ROW_MAX_KEY + 1;
    is_int(osd_idx_submit(idx, &w.req), TN_ERR_TOO_BIG, "key too long");

    osd_idx_stats_t st;
    osd_idx_stats(idx, &st);
    is_uint(st.stale, 3, "stale counted");
    ok(st.purged == 1 && st.not_purged == 3, "purges counted");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
}

/* ---- conditional writes: CREATE and IF_VERSION (rule 11) ----------------------------------- */

static void set_expect(wreq_t *w, uint64_t hlc, uint32_t origin, uint8_t vid)
{
    w->req.expect.hlc = hlc;
    w->req.expect.origin = origin;
    memset(w->req.expect.vid, vid, TN_ROW_VID_LEN);
}

/* IF_VERSION of key with the given new version, expecting (ehlc, eorigin, evid). */
static int put_if(osd_idx_t *idx, const char *key, uint64_t hlc, uint32_t origin, uint8_t vid,
                  uint32_t flags, uint64_t ehlc, uint32_t eorigin, uint8_t evid, wreq_t *w)
{
    mkrow(w, OSD_IDX_IF_VERSION, 1, 1, 5, key, strlen(key), hlc, origin, vid, flags);
    set_expect(w, ehlc, eorigin, evid);
    return run(idx, w);
}

/* The stored version of key (hlc; 0 when absent) and its flags. */
static uint64_t stored_hlc(osd_idx_reader_t *rd, const char *key, uint32_t *flags)
{
    tn_row_t *r = NULL;
    if (osd_idx_get(rd, 1, 1, 5, key, strlen(key), &r) != 0)
        return 0;
    uint64_t h = r->ver.hlc;
    if (flags != NULL)
        *flags = r->flags;
    free(r);
    return h;
}

static void test_create(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    wreq_t w;
    uint32_t fl = 0;

    /* absent */
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "b", 100, 1, 0x11, 0, &w), 0, "create over nothing");
    is_int(w.req.result, OSD_IDX_APPLIED, "applied");
    ok(!w.req.stored_exists, "nothing was stored");
    is_uint(stored_hlc(rd, "b", NULL), 100, "row stored");
    /* same version: a retried create */
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "b", 100, 1, 0x11, 0, &w), 0, "retried create");
    is_int(w.req.result, OSD_IDX_UNCHANGED, "unchanged");
    /* live row of another version, older, newer, same hlc other vid */
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "b", 200, 2, 0x22, 0, &w), -EEXIST,
           "create over a live row (newer incoming): EEXIST");
    ok(w.req.stored_exists && w.req.stored.hlc == 100 && w.req.stored.origin == 1 &&
           w.req.stored.vid[0] == 0x11,
       "EEXIST reports the owner's version");
    is_int(w.req.result, OSD_IDX_NONE, "no result with a refusal");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "b", 50, 2, 0x22, 0, &w), -EEXIST,
           "create over a live row (older incoming): EEXIST, not STALE_TS");
    is_uint(w.req.stored.hlc, 100, "owner's version");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "b", 100, 1, 0x12, 0, &w), -EEXIST,
           "same hlc and origin, other vid: EEXIST");
    is_uint(stored_hlc(rd, "b", &fl), 100, "the owner's row is untouched");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "b", 300, 3, 0x33, TN_ROW_TOMBSTONE, &w), -EEXIST,
           "a tombstone by CREATE over a live row: EEXIST");

    /* tombstone older than the incoming row: the name is free */
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "b", 400, 1, 0x11, TN_ROW_TOMBSTONE, &w), 0, "delete");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "b", 500, 2, 0x22, 0, &w), 0,
           "create over an older tombstone");
    is_int(w.req.result, OSD_IDX_APPLIED, "applied over the tombstone");
    ok(w.req.stored_exists && w.req.stored.hlc == 400, "the tombstone was reported as stored");
    is_uint(stored_hlc(rd, "b", &fl), 500, "new owner stored");
    is_uint(fl & TN_ROW_TOMBSTONE, 0, "live again");

    /* tombstone newer than (or equal hlc, lower order to) the incoming row: STALE_TS */
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "c", 900, 5, 0x55, TN_ROW_TOMBSTONE, &w), 0, "tombstone c");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "c", 800, 1, 0x11, 0, &w), TN_ERR_STALE_TS,
           "create under a newer tombstone: STALE_TS");
    ok(w.req.stored_exists && w.req.stored.hlc == 900 && w.req.stored.origin == 5,
       "STALE_TS reports the tombstone's version");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "c", 900, 4, 0xFF, 0, &w), TN_ERR_STALE_TS,
           "same hlc, lower origin: STALE_TS");
    is_uint(stored_hlc(rd, "c", &fl), 900, "tombstone kept");
    ok(fl & TN_ROW_TOMBSTONE, "still a tombstone");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "c", 900, 5, 0x55, TN_ROW_TOMBSTONE, &w), 0,
           "create of exactly the stored tombstone");
    is_int(w.req.result, OSD_IDX_UNCHANGED, "is a retry: unchanged");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "c", 901, 0, 0x00, 0, &w), 0, "re-stamped create");
    is_int(w.req.result, OSD_IDX_APPLIED, "applied");

    /* other keys, namespaces, PGs are independent */
    is_int(put(idx, OSD_IDX_CREATE, 1, 6, "b", 1, 1, 1, 0, &w), 0, "same key, other ns");
    is_int(w.req.result, OSD_IDX_APPLIED, "applied");
    is_int(put(idx, OSD_IDX_CREATE, 2, 5, "b", 1, 1, 1, 0, &w), 0, "same key, other pg");
    is_int(w.req.result, OSD_IDX_APPLIED, "applied");

    osd_idx_stats_t st;
    osd_idx_stats(idx, &st);
    is_uint(st.exist, 4, "EEXIST refusals counted");
    is_uint(st.stale, 2, "STALE_TS refusals counted");
    is_uint(st.failed_reqs, 0, "refusals are not failures");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
}

static void test_if_version(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    wreq_t w;
    uint32_t fl = 0;

    /* absent */
    is_int(put_if(idx, "k", 10, 1, 1, 0, 5, 1, 1, &w), TN_ERR_PRECONDITION,
           "IF_VERSION over nothing: PRECONDITION");
    ok(!w.req.stored_exists, "nothing stored reported");
    is_uint(stored_hlc(rd, "k", NULL), 0, "still absent");

    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "k", 100, 1, 0x11, 0, &w), 0, "create k");
    /* expected version equal: stored */
    is_int(put_if(idx, "k", 200, 2, 0x22, 0, 100, 1, 0x11, &w), 0, "expected version matches");
    is_int(w.req.result, OSD_IDX_APPLIED, "applied");
    is_uint(w.req.stored.hlc, 100, "previous version reported");
    is_uint(stored_hlc(rd, "k", NULL), 200, "new row stored");
    /* the same request again (reply lost): a retry, not a failed condition */
    is_int(put_if(idx, "k", 200, 2, 0x22, 0, 100, 1, 0x11, &w), 0, "retried IF_VERSION");
    is_int(w.req.result, OSD_IDX_UNCHANGED, "unchanged");
    /* expected version different (stale expectation, or other hlc/origin/vid) */
    is_int(put_if(idx, "k", 300, 3, 0x33, 0, 100, 1, 0x11, &w), TN_ERR_PRECONDITION,
           "expected an older version: PRECONDITION");
    ok(w.req.stored_exists && w.req.stored.hlc == 200 && w.req.stored.origin == 2 &&
           w.req.stored.vid[0] == 0x22,
       "PRECONDITION reports the stored version");
    is_int(put_if(idx, "k", 300, 3, 0x33, 0, 200, 2, 0x23, &w), TN_ERR_PRECONDITION,
           "expected vid differs");
    is_int(put_if(idx, "k", 300, 3, 0x33, 0, 200, 3, 0x22, &w), TN_ERR_PRECONDITION,
           "expected origin differs");
    is_int(put_if(idx, "k", 300, 3, 0x33, 0, 201, 2, 0x22, &w), TN_ERR_PRECONDITION,
           "expected a newer version than stored");
    is_uint(stored_hlc(rd, "k", NULL), 200, "untouched by failed conditions");
    /* expected version equal, incoming not newer: STALE_TS */
    is_int(put_if(idx, "k", 150, 3, 0x33, 0, 200, 2, 0x22, &w), TN_ERR_STALE_TS,
           "matching expectation, older incoming: STALE_TS");
    is_uint(w.req.stored.hlc, 200, "STALE_TS reports the stored version");
    is_int(put_if(idx, "k", 200, 1, 0x33, 0, 200, 2, 0x22, &w), TN_ERR_STALE_TS,
           "matching expectation, same hlc lower origin: STALE_TS");
    is_uint(stored_hlc(rd, "k", NULL), 200, "untouched");
    /* conditional delete: a tombstone by IF_VERSION, then IF_VERSION over the tombstone */
    is_int(put_if(idx, "k", 400, 1, 0x44, TN_ROW_TOMBSTONE, 200, 2, 0x22, &w), 0,
           "delete if unchanged");
    is_int(w.req.result, OSD_IDX_APPLIED, "tombstone written");
    is_uint(stored_hlc(rd, "k", &fl), 400, "tombstone stored");
    ok(fl & TN_ROW_TOMBSTONE, "it is a tombstone");
    is_int(put_if(idx, "k", 450, 1, 0x45, 0, 200, 2, 0x22, &w), TN_ERR_PRECONDITION,
           "the deleted version is no longer there");
    ok(w.req.stored_exists && w.req.stored.hlc == 400, "tombstone version reported");
    is_int(put_if(idx, "k", 500, 1, 0x55, 0, 400, 1, 0x44, &w), 0,
           "IF_VERSION over the expected tombstone");
    is_int(w.req.result, OSD_IDX_APPLIED, "applied");
    /* a newer stored version written by plain PUT makes the old expectation fail */
    is_int(put(idx, OSD_IDX_PUT, 1, 5, "k", 600, 9, 0x66, 0, &w), 0, "plain put");
    is_int(put_if(idx, "k", 700, 1, 0x77, 0, 500, 1, 0x55, &w), TN_ERR_PRECONDITION,
           "stored version moved on: PRECONDITION");
    is_uint(w.req.stored.hlc, 600, "newer stored version reported");
    /* after a purge the row is absent again */
    is_int(put_if(idx, "k", 700, 1, 0x77, TN_ROW_TOMBSTONE, 600, 9, 0x66, &w), 0, "tombstone");
    is_int(put(idx, OSD_IDX_PURGE, 1, 5, "k", 700, 1, 0x77, 0, &w), 0, "purge");
    is_int(w.req.result, OSD_IDX_PURGED, "purged");
    is_int(put_if(idx, "k", 800, 1, 0x88, 0, 700, 1, 0x77, &w), TN_ERR_PRECONDITION,
           "IF_VERSION after a purge: PRECONDITION");
    ok(!w.req.stored_exists, "absent reported");

    osd_idx_stats_t st;
    osd_idx_stats(idx, &st);
    is_uint(st.precondition, 8, "PRECONDITION refusals counted");
    is_uint(st.stale, 2, "STALE_TS refusals counted");
    is_uint(st.failed_reqs, 0, "refusals are not failures");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
}

/* A request whose callback holds the writer thread until released, so that the requests
 * submitted meanwhile are taken as one batch. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_entered;

static void on_gate(osd_idx_req_t *req)
{
    pthread_mutex_lock(&gate_lock);
    gate_entered = 1;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    on_done(req);
}

static void test_cond_batch(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    wreq_t gate;
    mkrow(&gate, OSD_IDX_PUT, 1, 1, 5, "gate", 4, 1, 1, 1, 0);
    gate.req.cb = on_gate;
    gate_open = gate_entered = 0;
    is_int(osd_idx_submit(idx, &gate.req), 0, "gate submitted");
    pthread_mutex_lock(&gate_lock);
    while (!gate_entered)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    osd_idx_stats_t st0;
    osd_idx_stats(idx, &st0);

    /* One batch: each request must see the effect of those before it. */
    enum { N = 12 };
    static wreq_t b[N];
    /* 0: A creates x                      -> APPLIED
     * 1: B creates x                      -> EEXIST (A's version, written in this batch)
     * 2: A retries its create             -> UNCHANGED
     * 3: IF_VERSION x expecting B's       -> PRECONDITION (A's version stored)
     * 4: IF_VERSION x expecting A's: tomb -> APPLIED (conditional delete)
     * 5: IF_VERSION x expecting A's again, other new version -> PRECONDITION (tombstone now)
     * 6: B creates x (newer than tomb)    -> APPLIED
     * 7: C creates x (older than B)       -> EEXIST with B's version
     * 8: PUT x older than B               -> STALE_TS
     * 9: IF_VERSION x expecting B's       -> APPLIED
     * 10: PURGE x at 9's version          -> PURGED
     * 11: CREATE x after the purge        -> APPLIED */
    mkrow(&b[0], OSD_IDX_CREATE, 1, 1, 5, "x", 1, 100, 1, 0xA, 0);
    mkrow(&b[1], OSD_IDX_CREATE, 1, 1, 5, "x", 1, 101, 2, 0xB, 0);
    mkrow(&b[2], OSD_IDX_CREATE, 1, 1, 5, "x", 1, 100, 1, 0xA, 0);
    mkrow(&b[3], OSD_IDX_IF_VERSION, 1, 1, 5, "x", 1, 102, 2, 0xB, 0);
    set_expect(&b[3], 101, 2, 0xB);
    mkrow(&b[4], OSD_IDX_IF_VERSION, 1, 1, 5, "x", 1, 110, 1, 0xA, TN_ROW_TOMBSTONE);
    set_expect(&b[4], 100, 1, 0xA);
    mkrow(&b[5], OSD_IDX_IF_VERSION, 1, 1, 5, "x", 1, 111, 1, 0xA, 0);
    set_expect(&b[5], 100, 1, 0xA);
    mkrow(&b[6], OSD_IDX_CREATE, 1, 1, 5, "x", 1, 120, 2, 0xB, 0);
    mkrow(&b[7], OSD_IDX_CREATE, 1, 1, 5, "x", 1, 115, 3, 0xC, 0);
    mkrow(&b[8], OSD_IDX_PUT, 1, 1, 5, "x", 1, 119, 3, 0xC, 0);
    mkrow(&b[9], OSD_IDX_IF_VERSION, 1, 1, 5, "x", 1, 130, 2, 0xD, 0);
    set_expect(&b[9], 120, 2, 0xB);
    mkrow(&b[10], OSD_IDX_PURGE, 1, 1, 5, "x", 1, 130, 2, 0xD, 0);
    mkrow(&b[11], OSD_IDX_CREATE, 1, 1, 5, "x", 1, 140, 4, 0xE, 0);
    int sub = 0;
    for (int i = 0; i < N; i++)
        sub += osd_idx_submit(idx, &b[i].req) != 0;
    is_int(sub, 0, "all submitted while the writer is held");
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    wait_done(&gate);
    for (int i = 0; i < N; i++)
        wait_done(&b[i]);
    osd_idx_stats_t st;
    osd_idx_stats(idx, &st);
    is_uint(st.batches - st0.batches, 1, "the twelve requests were one transaction");

    is_int(b[0].req.status, 0, "0 status");
    is_int(b[0].req.result, OSD_IDX_APPLIED, "0: A's create applied");
    is_int(b[1].req.status, -EEXIST, "1: B's create sees A's row from the same batch");
    ok(b[1].req.stored.hlc == 100 && b[1].req.stored.origin == 1, "1: with A's version");
    is_int(b[2].req.result, OSD_IDX_UNCHANGED, "2: A's retry unchanged");
    is_int(b[2].req.status, 0, "2: status 0");
    is_int(b[3].req.status, TN_ERR_PRECONDITION, "3: expecting B's version fails");
    is_uint(b[3].req.stored.hlc, 100, "3: stored is A's");
    is_int(b[4].req.status, 0, "4: status 0");
    is_int(b[4].req.result, OSD_IDX_APPLIED, "4: conditional delete applied");
    is_int(b[5].req.status, TN_ERR_PRECONDITION, "5: A's version is gone (tombstone)");
    is_uint(b[5].req.stored.hlc, 110, "5: tombstone version reported");
    is_int(b[6].req.result, OSD_IDX_APPLIED, "6: B creates over the tombstone");
    is_int(b[7].req.status, -EEXIST, "7: C's create sees B's");
    is_uint(b[7].req.stored.hlc, 120, "7: B's version");
    is_int(b[8].req.status, TN_ERR_STALE_TS, "8: PUT older than B: STALE_TS");
    is_int(b[9].req.result, OSD_IDX_APPLIED, "9: IF_VERSION over B's applied");
    is_int(b[10].req.result, OSD_IDX_PURGED, "10: purge of 9's version");
    is_int(b[11].req.result, OSD_IDX_APPLIED, "11: create after the purge");
    ok(!b[11].req.stored_exists, "11: nothing stored before it");
    tn_row_t *r = NULL;
    is_int(osd_idx_get(rd, 1, 1, 5, "x", 1, &r), 0, "x readable");
    if (r != NULL) {
        ok(r->ver.hlc == 140 && r->ver.origin == 4, "final row is the last create's");
        free(r);
    }
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
}

static void test_cond_damaged(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    wreq_t w;
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "d", 10, 1, 1, 0, &w), 0, "create d");
    is_int(raw_exec(path, "UPDATE rows SET value = x'7878' WHERE key = x'64'"), SQLITE_OK,
           "damage d behind the index's back");
    is_int(put(idx, OSD_IDX_CREATE, 1, 5, "d", 20, 1, 1, 0, &w), TN_ERR_CHECKSUM,
           "CREATE over a damaged row: CHECKSUM, never 'absent'");
    is_int(put_if(idx, "d", 20, 1, 1, 0, 10, 1, 1, &w), TN_ERR_CHECKSUM,
           "IF_VERSION over a damaged row: CHECKSUM");
    mkrow(&w, OSD_IDX_CREATE, 1, 1, 5, "e", 1, 1, 1, 1, 0);
    w.req.row.crc ^= 1;
    is_int(osd_idx_submit(idx, &w.req), TN_ERR_CHECKSUM, "CREATE row with a bad crc refused");
    mkrow(&w, OSD_IDX_IF_VERSION, 1, 1, 5, "e", 1, 1, 1, 1, 0);
    w.req.row.crc ^= 1;
    is_int(osd_idx_submit(idx, &w.req), TN_ERR_CHECKSUM, "IF_VERSION row with a bad crc refused");
    osd_idx_close(idx);
}

/* ---- LIST --------------------------------------------------------------------------------- */

typedef struct {
    size_t len;
    uint8_t b[8];
} tkey_t;

static const tkey_t list_keys[] = {
    {1, "a"},         {3, "a/b"},
    {3, "a/c"},       {4, "a/c/"},
    {2, "a\xff"},     {3, "a\xff\xff"},
    {3, "a\xff\x00"}, {4, "a\xff\xff\x01"},
    {1, "b"},         {1, "\xff"},
    {2, "\xff\xff"},  {3, "\xff\xff\xff"},
    {2, "\xc3\xa9"},  {6, "\xe6\x97\xa5\xe6\x9c\xac"},
    {1, "\x01"},      {2, "a\x00"},
    {1, "z"},         {2, "ab"},
};
#define N_LIST_KEYS (sizeof(list_keys) / sizeof(list_keys[0]))

typedef struct {
    size_t n;
    tkey_t k[64];
    uint32_t flags[64];
    uint64_t ns[64];
} got_t;

static int collect(void *arg, const tn_row_t *r)
{
    got_t *g = arg;
    if (g->n < 64 && r->key_len <= 8) {
        g->k[g->n].len = r->key_len;
        memcpy(g->k[g->n].b, r->key, r->key_len);
        g->flags[g->n] = r->flags;
        g->ns[g->n] = r->ns;
    }
    g->n++;
    return 0;
}

static int cmp_tkey(const void *a, const void *b)
{
    const tkey_t *x = a, *y = b;
    return tn_row_key_cmp(x->b, x->len, y->b, y->len);
}

static int has_prefix(const tkey_t *k, const tkey_t *p)
{
    return k->len >= p->len && memcmp(k->b, p->b, p->len) == 0;
}

static void test_list(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    static wreq_t w[N_LIST_KEYS * 4];
    size_t nw = 0;
    /* The keys in (pg 1, ns 5); decoys in ns 4, ns 6, pg 2 and pool 2 that must not bleed in. */
    for (size_t i = 0; i < N_LIST_KEYS; i++) {
        uint32_t flags = (i % 3 == 0) ? TN_ROW_TOMBSTONE : 0;
        mkrow(&w[nw], OSD_IDX_PUT, 1, 1, 5, list_keys[i].b, list_keys[i].len, 10 + i, 1, 1, flags);
        osd_idx_submit(idx, &w[nw++].req);
        mkrow(&w[nw], OSD_IDX_PUT, 1, 1, i % 2 ? 4 : 6, list_keys[i].b, list_keys[i].len, 1, 1, 1,
              0);
        osd_idx_submit(idx, &w[nw++].req);
        mkrow(&w[nw], OSD_IDX_PUT, 1, 2, 5, list_keys[i].b, list_keys[i].len, 1, 1, 1, 0);
        osd_idx_submit(idx, &w[nw++].req);
        mkrow(&w[nw], OSD_IDX_PUT, 2, 1, 5, list_keys[i].b, list_keys[i].len, 1, 1, 1, 0);
        osd_idx_submit(idx, &w[nw++].req);
    }
    int fails = 0;
    for (size_t i = 0; i < nw; i++) {
        wait_done(&w[i]);
        fails += w[i].req.status != 0;
    }
    is_int(fails, 0, "all rows written");

    tkey_t sorted[N_LIST_KEYS];
    memcpy(sorted, list_keys, sizeof(sorted));
    qsort(sorted, N_LIST_KEYS, sizeof(tkey_t), cmp_tkey);

    static const tkey_t prefixes[] = {
        {0, ""},
        {1, "a"},
        {2, "a\xff"},
        {1, "\xff"},
        {2, "\xff\xff"},
        {1, "b"},
        {2, "a/"},
        {3, "a/b"},
        {2, "zz"},
        {1, "\xc3"},
        {3, "a\xff\xff"},
        {3, "\xff\xff\xff"},
        {4, "\xff\xff\xff\xff"},
        {1, "\x00"},
    };
    /* Markers: none, every key, and some keys not stored. */
    tkey_t markers[N_LIST_KEYS + 5];
    size_t nm = 0;
    markers[nm++] = (tkey_t){0, ""};
    for (size_t i = 0; i < N_LIST_KEYS; i++)
        markers[nm++] = list_keys[i];
    markers[nm++] = (tkey_t){2, "a0"};
    markers[nm++] = (tkey_t){1, "\x00"};
    markers[nm++] = (tkey_t){4, "\xff\xff\xff\xff"};
    markers[nm++] = (tkey_t){2, "aa"};
    static const unsigned limits[] = {1, 2, 3, 5, 100};
    int bad = 0, cases = 0;
    for (size_t p = 0; p < TN_ARRAY_SIZE(prefixes); p++)
        for (size_t m = 0; m < nm; m++)
            for (size_t l = 0; l < TN_ARRAY_SIZE(limits); l++) {
                /* Reference: sorted keys with the prefix and > marker. */
                tkey_t want[N_LIST_KEYS];
                size_t nwant = 0;
                for (size_t i = 0; i < N_LIST_KEYS; i++)
                    if (has_prefix(&sorted[i], &prefixes[p]) &&
                        (markers[m].len == 0 || cmp_tkey(&sorted[i], &markers[m]) > 0))
                        want[nwant++] = sorted[i];
                got_t g = {0};
                int more = -1;
                int rc = osd_idx_list(rd, 1, 1, 5, prefixes[p].b, prefixes[p].len,
                                      markers[m].len ? markers[m].b : NULL, markers[m].len,
                                      limits[l], collect, &g, &more);
                size_t expect_n = TN_MIN(nwant, limits[l]);
                int good = rc == 0 && g.n == expect_n && more == (nwant > limits[l]);
                for (size_t i = 0; good && i < expect_n; i++)
                    good = cmp_tkey(&g.k[i], &want[i]) == 0 && g.ns[i] == 5;
                cases++;
                if (!good && bad++ < 5)
                    fprintf(stderr,
                            "    list mismatch: prefix #%zu marker #%zu limit %u: rc %d"
                            " got %zu want %zu more %d\n",
                            p, m, limits[l], rc, g.n, expect_n, more);
            }
    is_int(bad, 0, "every prefix x marker x limit matches the byte-order reference");
    ok(cases > 1000, "many cases");

    /* Tombstones are listed and flagged. */
    got_t g = {0};
    int more;
    is_int(osd_idx_list(rd, 1, 1, 5, NULL, 0, NULL, 0, 100, collect, &g, &more), 0, "list all");
    is_uint(g.n, N_LIST_KEYS, "every key, tombstones included");
    int tomb = 0;
    for (size_t i = 0; i < g.n; i++)
        tomb += (g.flags[i] & TN_ROW_TOMBSTONE) != 0;
    is_int(tomb, (N_LIST_KEYS + 2) / 3, "tombstones flagged");

    /* Paging with the last key as marker covers every key once. */
    tkey_t marker = {0, ""};
    size_t total = 0;
    int pages = 0, order_ok = 1;
    do {
        got_t pg = {0};
        osd_idx_list(rd, 1, 1, 5, NULL, 0, marker.b, marker.len, 4, collect, &pg, &more);
        for (size_t i = 0; i < pg.n; i++)
            order_ok &= total + i < N_LIST_KEYS && cmp_tkey(&pg.k[i], &sorted[total + i]) == 0;
        total += pg.n;
        if (pg.n > 0)
            marker = pg.k[pg.n - 1];
        pages++;
    } while (more && pages < 100);
    is_uint(total, N_LIST_KEYS, "paging covers every key");
    ok(order_ok, "paging in order");
    is_int(pages, (int)((N_LIST_KEYS + 3) / 4), "page count");

    /* Argument checks and a callback that stops. */
    is_int(osd_idx_list(rd, 1, 1, 5, NULL, 0, NULL, 0, 0, collect, &g, &more), -EINVAL, "limit 0");
    is_int(osd_idx_list(rd, 1, 1, 5, NULL, 0, NULL, 0, OSD_IDX_MAX_LIST + 1, collect, &g, &more),
           -EINVAL, "limit too big");
    is_int(osd_idx_list(rd, 1, 1, 5, NULL, 0, NULL, 0, OSD_IDX_MAX_LIST, collect, &g, &more), 0,
           "max limit");
    is_int(osd_idx_list(rd, 9, 9, 9, NULL, 0, NULL, 0, 10, collect, &g, &more), 0, "empty ns");
    ok(!more, "no more in an empty ns");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
}

/* ---- ENUMERATE and DIGEST ------------------------------------------------------------------ */

typedef struct {
    size_t n;
    int order_ok;
    uint64_t last_ns;
    uint8_t last_key[16];
    size_t last_len;
} enum_state_t;

static int on_enum(void *arg, const tn_row_t *r)
{
    enum_state_t *s = arg;
    if (s->n > 0) {
        int c = r->ns != s->last_ns ? (r->ns > s->last_ns ? 1 : -1)
                                    : tn_row_key_cmp(r->key, r->key_len, s->last_key, s->last_len);
        if (c <= 0)
            s->order_ok = 0;
    }
    s->n++;
    s->last_ns = r->ns;
    s->last_len = TN_MIN(r->key_len, sizeof(s->last_key));
    memcpy(s->last_key, r->key, s->last_len);
    return 0;
}

static int stop_after_one(void *arg, const tn_row_t *r)
{
    (void)r;
    (*(int *)arg)++;
    return 42;
}

static const uint64_t enum_ns[] = {0,         1, 5, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull,
                                   UINT64_MAX};

static void write_pg(osd_idx_t *idx, uint32_t pg, int reverse, int variant)
{
    static wreq_t w[64];
    size_t n = 0;
    for (size_t a = 0; a < TN_ARRAY_SIZE(enum_ns); a++)
        for (int k = 0; k < 6; k++) {
            size_t i = reverse ? TN_ARRAY_SIZE(enum_ns) - 1 - a : a;
            int kk = reverse ? 5 - k : k;
            char key[8];
            snprintf(key, sizeof(key), "k%d", kk);
            uint64_t hlc = 1000 + i * 10 + (uint64_t)kk;
            uint32_t origin = 1, flags = 0;
            uint8_t vid = 7;
            if (variant != 0 && i == 2 && kk == 3) {
                switch (variant) {
                case 1: hlc++; break;
                case 2: origin++; break;
                case 3: vid++; break;
                case 4: flags = TN_ROW_TOMBSTONE; break;
                case 5: key[1] = 'x'; break;
                }
            }
            if (variant == 6 && i == 2 && kk == 3)
                continue; /* a missing row */
            mkrow(&w[n], OSD_IDX_PUT, 1, pg, enum_ns[i], key, strlen(key), hlc, origin, vid, flags);
            osd_idx_submit(idx, &w[n].req);
            n++;
        }
    for (size_t i = 0; i < n; i++)
        wait_done(&w[i]);
}

static void test_enumerate_digest(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    write_pg(idx, 10, 0, 0);
    write_pg(idx, 11, 1, 0); /* same contents, written in the opposite order */
    for (int v = 1; v <= 6; v++)
        write_pg(idx, 20 + (uint32_t)v, 0, v);
    wreq_t extra;
    mkrow(&extra, OSD_IDX_PUT, 1, 9, 5, "other-pg", 8, 1, 1, 1, 0);
    run(idx, &extra);

    const size_t rows = TN_ARRAY_SIZE(enum_ns) * 6;
    static const unsigned limits[] = {1, 3, 7, 36, 1000};
    for (size_t l = 0; l < TN_ARRAY_SIZE(limits); l++) {
        osd_idx_cursor_t cur = {0};
        enum_state_t s = {.order_ok = 1};
        int more = 0, calls = 0, rc;
        do {
            rc = osd_idx_enumerate(rd, 1, 10, &cur, limits[l], on_enum, &s, &more);
            calls++;
        } while (rc == 0 && more && calls < 100);
        is_int(rc, 0, "enumerate");
        is_uint(s.n, rows, "every row of the PG exactly once");
        ok(s.order_ok, "(ns unsigned, key) order, no repeats");
        is_uint(s.last_ns, UINT64_MAX, "ends in the highest ns");
    }
    osd_idx_cursor_t cur = {0};
    int more = 0, seen = 0;
    is_int(osd_idx_enumerate(rd, 1, 10, &cur, 5, stop_after_one, &seen, &more), 42,
           "callback stops the scan");
    ok(cur.valid && cur.ns == 0 && cur.key_len == 2 && memcmp(cur.key, "k0", 2) == 0,
       "cursor at the delivered row");
    is_int(osd_idx_enumerate(rd, 1, 10, &cur, 0, on_enum, NULL, &more), -EINVAL, "limit 0");

    osd_idx_digest_t d10, d11, dv, dempty;
    is_int(osd_idx_digest(rd, 1, 10, 0, &d10), 0, "digest pg 10");
    is_int(osd_idx_digest(rd, 1, 11, 0, &d11), 0, "digest pg 11");
    is_uint(d10.all.count, rows, "digest counts rows");
    ok(memcmp(&d10, &d11, sizeof(d10)) == 0, "same contents in another order: same digest");
    uint64_t bsum = 0;
    for (int b = 0; b < TN_ROW_DIGEST_BUCKETS; b++)
        bsum += d10.bucket[b].count;
    is_uint(bsum, rows, "buckets partition the rows");
    unsigned changed_bucket = tn_row_digest_bucket("k3", 2);
    for (int v = 1; v <= 6; v++) {
        is_int(osd_idx_digest(rd, 1, 20 + (uint32_t)v, 0, &dv), 0, "digest variant");
        ok(dv.all.h1 != d10.all.h1 && dv.all.h2 != d10.all.h2, "one field differs: digest differs");
        int other_same = 1;
        for (unsigned b = 0; b < TN_ROW_DIGEST_BUCKETS; b++)
            if (b != changed_bucket && (v != 5 || b != tn_row_digest_bucket("kx", 2)))
                other_same &= memcmp(&dv.bucket[b], &d10.bucket[b], sizeof(dv.bucket[b])) == 0;
        ok(other_same, "only the affected sub-range differs");
        ok(memcmp(&dv.bucket[changed_bucket], &d10.bucket[changed_bucket], sizeof(d10.bucket[0])) !=
               0,
           "the affected sub-range differs");
    }
    is_int(osd_idx_digest(rd, 1, 99, 0, &dempty), 0, "empty pg");
    is_uint(dempty.all.count, 0, "empty digest");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
}

/* The digest with a cut-off: two replicas asked at different instants compare as of one. Two
 * PGs of one index stand for two replicas (the digest does not cover pool and pg). */
static void put_row(osd_idx_t *idx, uint32_t pg, const char *key, uint64_t hlc, uint32_t flags)
{
    wreq_t w;
    mkrow(&w, OSD_IDX_PUT, 1, pg, 0, key, strlen(key), hlc, 1, (uint8_t)hlc, flags);
    is_int(run(idx, &w), 0, "put row");
}

static void test_digest_cutoff(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    const uint64_t t = 250;
    /* replica A (pg 40) saw a later write c; replica B (pg 41) not yet */
    put_row(idx, 40, "a", 100, 0);
    put_row(idx, 40, "b", 200, TN_ROW_TOMBSTONE);
    put_row(idx, 40, "c", 300, 0);
    put_row(idx, 41, "a", 100, 0);
    put_row(idx, 41, "b", 200, TN_ROW_TOMBSTONE);
    osd_idx_digest_t da, db, da0, db0;
    is_int(osd_idx_digest(rd, 1, 40, t, &da), 0, "digest A at T");
    is_int(osd_idx_digest(rd, 1, 41, t, &db), 0, "digest B at T");
    is_uint(da.all.count, 2, "row after T excluded, tombstone before T included");
    ok(memcmp(&da, &db, sizeof(da)) == 0, "a write after T on one replica: equal at T");
    is_int(osd_idx_digest(rd, 1, 40, 0, &da0), 0, "digest A, no cut-off");
    is_int(osd_idx_digest(rd, 1, 41, 0, &db0), 0, "digest B, no cut-off");
    is_uint(da0.all.count, 3, "no cut-off: every row");
    ok(memcmp(&da0, &db0, sizeof(da0)) != 0, "no cut-off: they differ");
    is_int(osd_idx_digest(rd, 1, 40, 300, &da), 0, "digest at the row's own hlc");
    is_uint(da.all.count, 3, "hlc == cut-off included");
    is_int(osd_idx_digest(rd, 1, 40, 199, &da), 0, "digest before the tombstone");
    is_uint(da.all.count, 1, "tombstone after T excluded");
    /* key d overwritten after T on replica A only: A leaves d out, B has the older d */
    put_row(idx, 42, "d", 100, 0);
    put_row(idx, 42, "d", 400, 0);
    put_row(idx, 43, "d", 100, 0);
    is_int(osd_idx_digest(rd, 1, 42, t, &da), 0, "digest A (newer d)");
    is_int(osd_idx_digest(rd, 1, 43, t, &db), 0, "digest B (older d)");
    is_uint(da.all.count, 0, "newer row after T excluded (the older one is gone)");
    is_uint(db.all.count, 1, "older row included");
    ok(memcmp(&da, &db, sizeof(da)) != 0, "overwrite after T on one replica: they differ");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
}

/* ---- concurrency and group commit ----------------------------------------------------------*/

#define THREADS    4
#define PER_THREAD 250

static osd_idx_t *shared_idx;
static atomic_int reader_errors;
static atomic_int writers_done;

static void *writer_thread(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    wreq_t *w = calloc(PER_THREAD, sizeof(*w));
    uintptr_t failures = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "t%u/%04d", (unsigned)t, i);
        mkrow(&w[i], OSD_IDX_PUT, 1, 3, 7, key, (size_t)n, 1 + (uint64_t)i, (uint32_t)t, 1, 0);
        failures += osd_idx_submit(shared_idx, &w[i].req) != 0;
    }
    for (int i = 0; i < PER_THREAD; i++) {
        wait_done(&w[i]);
        failures += w[i].req.status != 0 || w[i].req.result != OSD_IDX_APPLIED;
    }
    free(w);
    atomic_fetch_add(&writers_done, 1);
    return (void *)failures;
}

static int count_rows(void *arg, const tn_row_t *r)
{
    (void)r;
    (*(size_t *)arg)++;
    return 0;
}

static void *reader_thread(void *arg)
{
    (void)arg;
    osd_idx_reader_t *rd = NULL;
    if (osd_idx_reader_open(shared_idx, &rd) != 0) {
        atomic_fetch_add(&reader_errors, 1);
        return NULL;
    }
    size_t last = 0;
    while (atomic_load(&writers_done) < THREADS) {
        size_t n = 0;
        int more;
        if (osd_idx_list(rd, 1, 3, 7, "t", 1, NULL, 0, OSD_IDX_MAX_LIST, count_rows, &n, &more) !=
                0 ||
            n < last)
            atomic_fetch_add(&reader_errors, 1);
        last = n;
    }
    osd_idx_reader_close(rd);
    return NULL;
}

static void test_concurrency(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    shared_idx = open_idx(path, NULL);
    pthread_t th[THREADS], rth;
    pthread_create(&rth, NULL, reader_thread, NULL);
    for (uintptr_t t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, writer_thread, (void *)t);
    uintptr_t failures = 0;
    for (int t = 0; t < THREADS; t++) {
        void *r;
        pthread_join(th[t], &r);
        failures += (uintptr_t)r;
    }
    pthread_join(rth, NULL);
    is_uint(failures, 0, "1,000 concurrent writes applied");
    is_int(atomic_load(&reader_errors), 0, "concurrent reader saw a growing, valid list");
    osd_idx_stats_t st;
    osd_idx_stats(shared_idx, &st);
    is_uint(st.batched_reqs, THREADS * PER_THREAD, "every request committed in a batch");
    ok(st.batches < THREADS * PER_THREAD, "fewer transactions than requests");
    ok(st.max_batch > 1, "group commit batched requests");
    printf("# %llu requests in %llu batches, largest %llu\n", (unsigned long long)st.batched_reqs,
           (unsigned long long)st.batches, (unsigned long long)st.max_batch);
    osd_idx_close(shared_idx);

    /* Everything readable after reopen. */
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    size_t n = 0;
    int more;
    is_int(osd_idx_list(rd, 1, 3, 7, NULL, 0, NULL, 0, OSD_IDX_MAX_LIST, count_rows, &n, &more), 0,
           "list after reopen");
    is_uint(n, THREADS * PER_THREAD, "all rows kept across reopen");
    tn_row_t *r = NULL;
    is_int(osd_idx_get(rd, 1, 3, 7, "t2/0249", 7, &r), 0, "a row after reopen");
    if (r != NULL) {
        is_uint(r->ver.hlc, 250, "its version");
        free(r);
    }
    osd_idx_reader_close(rd);
    osd_idx_close(idx);

    /* group_commit_max = 1: one transaction per request. */
    new_db_path(path, sizeof(path));
    osd_idx_opts_t opts = {.group_commit_max = 1};
    idx = open_idx(path, &opts);
    static wreq_t w[20];
    for (int i = 0; i < 20; i++) {
        char key[8];
        snprintf(key, sizeof(key), "g%02d", i);
        mkrow(&w[i], OSD_IDX_PUT, 1, 1, 1, key, 3, 1, 1, 1, 0);
        osd_idx_submit(idx, &w[i].req);
    }
    for (int i = 0; i < 20; i++)
        wait_done(&w[i]);
    osd_idx_stats(idx, &st);
    is_uint(st.max_batch, 1, "batches of one");
    is_uint(st.batches, 20, "one transaction each");
    osd_idx_close(idx);
}

/* ---- corruption ----------------------------------------------------------------------------*/

static void test_corruption(void)
{
    char path[600], sql[256];
    new_db_path(path, sizeof(path));
    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    wreq_t w;
    put(idx, OSD_IDX_PUT, 1, 5, "a", 10, 1, 1, 0, &w);
    put(idx, OSD_IDX_PUT, 1, 5, "b", 10, 1, 1, 0, &w);
    put(idx, OSD_IDX_PUT, 1, 5, "c", 10, 1, 1, 0, &w);
    put(idx, OSD_IDX_PUT, 1, 5, "d", 10, 1, 1, 0, &w);

    /* value byte changed behind the index's back */
    is_int(raw_exec(path, "UPDATE rows SET value = x'763a3131' WHERE key = x'62'"), SQLITE_OK,
           "raw update of b's value");
    /* origin changed */
    is_int(raw_exec(path, "UPDATE rows SET origin = 2 WHERE key = x'63'"), SQLITE_OK,
           "raw update of c's origin");
    /* a key renamed: the CRC covers the key */
    is_int(raw_exec(path, "UPDATE rows SET key = x'65' WHERE key = x'64'"), SQLITE_OK,
           "raw rename d -> e");
    /* a column of the wrong type */
    snprintf(sql, sizeof(sql), "UPDATE rows SET vid = 'short' WHERE key = x'61'");
    is_int(raw_exec(path, sql), SQLITE_OK, "raw update of a's vid");

    tn_row_t *r = NULL;
    is_int(osd_idx_get(rd, 1, 1, 5, "b", 1, &r), TN_ERR_CHECKSUM, "changed value detected");
    ok(r == NULL, "no row returned");
    is_int(osd_idx_get(rd, 1, 1, 5, "c", 1, &r), TN_ERR_CHECKSUM, "changed origin detected");
    is_int(osd_idx_get(rd, 1, 1, 5, "e", 1, &r), TN_ERR_CHECKSUM, "renamed key detected");
    is_int(osd_idx_get(rd, 1, 1, 5, "d", 1, &r), TN_ERR_NOT_FOUND, "old name absent");
    is_int(osd_idx_get(rd, 1, 1, 5, "a", 1, &r), TN_ERR_CHECKSUM, "bad vid detected");
    got_t g = {0};
    int more;
    is_int(osd_idx_list(rd, 1, 1, 5, NULL, 0, NULL, 0, 10, collect, &g, &more), TN_ERR_CHECKSUM,
           "list over a bad row fails");
    osd_idx_cursor_t cur = {0};
    is_int(osd_idx_enumerate(rd, 1, 1, &cur, 10, collect, &g, &more), TN_ERR_CHECKSUM,
           "enumerate over a bad row fails");
    osd_idx_stats_t st;
    osd_idx_stats(idx, &st);
    is_uint(st.checksum_errors, 6, "every CRC failure counted");
    ok(osd_idx_is_healthy(idx), "a bad row is not a corrupt database");

    /* A PURGE over a damaged row refuses; a PUT (repair) replaces it. */
    is_int(put(idx, OSD_IDX_PURGE, 1, 5, "b", 10, 1, 1, 0, &w), TN_ERR_CHECKSUM,
           "purge over a bad row");
    is_int(put(idx, OSD_IDX_MERGE, 1, 5, "b", 10, 1, 1, 0, &w), 0, "merge repairs");
    is_int(w.req.result, OSD_IDX_APPLIED, "repair applied");
    is_int(osd_idx_get(rd, 1, 1, 5, "b", 1, &r), 0, "repaired row reads");
    free(r);
    osd_idx_reader_close(rd);
    osd_idx_close(idx);

    /* Page-level damage: quick_check at open marks the index non-voting. */
    new_db_path(path, sizeof(path));
    idx = open_idx(path, NULL);
    static wreq_t many[400];
    for (int i = 0; i < 400; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key%05d", i);
        mkrow(&many[i], OSD_IDX_PUT, 1, 1, 1, key, 8, 1, 1, 1, 0);
        osd_idx_submit(idx, &many[i].req);
    }
    for (int i = 0; i < 400; i++)
        wait_done(&many[i]);
    osd_idx_close(idx);
    is_int(raw_exec(path, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK, "checkpoint");
    /* Overwrite the middle of page 3 (a b-tree page) with junk. */
    FILE *f = fopen(path, "r+b");
    ok(f != NULL, "open db file");
    if (f != NULL) {
        fseek(f, 4096L * 2 + 8, SEEK_SET);
        for (int i = 0; i < 3000; i++)
            fputc(0xA5, f);
        fclose(f);
    }
    osd_idx_opts_t opts = {.quick_check = 1};
    idx = open_idx(path, &opts);
    ok(!osd_idx_is_healthy(idx), "quick_check failure: non-voting");
    osd_idx_stats(idx, &st);
    ok(st.corrupt_errors >= 1 && !st.healthy, "corruption counted");
    osd_idx_close(idx);
}

/* ---- fault injection: a VFS whose xSync fails on demand --------------------------------------*/

static sqlite3_vfs faulty_vfs;
static sqlite3_vfs *base_vfs;
static atomic_int fail_sync;
static atomic_int fail_write; /* an SQLite error code returned by xWrite, or 0 */
static atomic_int sync_calls;

typedef struct {
    sqlite3_file base;
    sqlite3_file *real; /* allocated right after this struct */
} faulty_file_t;

static int ff_close(sqlite3_file *f)
{
    faulty_file_t *ff = (faulty_file_t *)f;
    int rc = ff->real->pMethods != NULL ? ff->real->pMethods->xClose(ff->real) : SQLITE_OK;
    return rc;
}
#define REAL(f) (((faulty_file_t *)(f))->real)
static int ff_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int ff_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    int inject = atomic_load(&fail_write);
    if (inject != 0)
        return inject;
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int ff_truncate(sqlite3_file *f, sqlite3_int64 s)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), s);
}
static int ff_sync(sqlite3_file *f, int flags)
{
    atomic_fetch_add(&sync_calls, 1);
    if (atomic_load(&fail_sync))
        return SQLITE_IOERR_FSYNC;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int ff_size(sqlite3_file *f, sqlite3_int64 *s)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), s);
}
static int ff_lock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int ff_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int ff_check(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int ff_fcntl(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int ff_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int ff_devchar(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int ff_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp);
}
static int ff_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void ff_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int ff_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static const sqlite3_io_methods faulty_io = {
    .iVersion = 2,
    .xClose = ff_close,
    .xRead = ff_read,
    .xWrite = ff_write,
    .xTruncate = ff_truncate,
    .xSync = ff_sync,
    .xFileSize = ff_size,
    .xLock = ff_lock,
    .xUnlock = ff_unlock,
    .xCheckReservedLock = ff_check,
    .xFileControl = ff_fcntl,
    .xSectorSize = ff_sector,
    .xDeviceCharacteristics = ff_devchar,
    .xShmMap = ff_shm_map,
    .xShmLock = ff_shm_lock,
    .xShmBarrier = ff_shm_barrier,
    .xShmUnmap = ff_shm_unmap,
};

static int ff_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    faulty_file_t *ff = (faulty_file_t *)f;
    ff->real = (sqlite3_file *)(ff + 1);
    ff->base.pMethods = NULL;
    int rc = base_vfs->xOpen(base_vfs, name, ff->real, flags, out_flags);
    if (rc == SQLITE_OK)
        ff->base.pMethods = &faulty_io;
    return rc;
}

static void register_faulty_vfs(void)
{
    base_vfs = sqlite3_vfs_find(NULL);
    faulty_vfs = *base_vfs;
    faulty_vfs.iVersion = 1; /* no xSetSystemCall etc. */
    faulty_vfs.zName = "tern-faulty";
    faulty_vfs.szOsFile = (int)sizeof(faulty_file_t) + base_vfs->szOsFile;
    faulty_vfs.xOpen = ff_open;
    faulty_vfs.pAppData = NULL;
    sqlite3_vfs_register(&faulty_vfs, 0);
}

static void test_fsync_failure(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    register_faulty_vfs();
    osd_idx_opts_t opts = {.vfs = "tern-faulty"};
    osd_idx_t *idx = open_idx(path, &opts);
    osd_idx_reader_t *rd = open_reader(idx);
    wreq_t w;
    atomic_store(&sync_calls, 0);
    is_int(put(idx, OSD_IDX_PUT, 1, 1, "before", 1, 1, 1, 0, &w), 0, "write before the fault");
    ok(atomic_load(&sync_calls) >= 1, "COMMIT fsyncs (synchronous=FULL)");
    /* A full disk fails the batch with -ENOSPC but is not sticky. */
    atomic_store(&fail_write, SQLITE_FULL);
    is_int(put(idx, OSD_IDX_PUT, 1, 1, "full", 1, 1, 1, 0, &w), -ENOSPC, "disk full: -ENOSPC");
    atomic_store(&fail_write, 0);
    tn_row_t *r = NULL;
    is_int(osd_idx_get(rd, 1, 1, 1, "full", 4, &r), TN_ERR_NOT_FOUND, "nothing of it visible");
    is_int(put(idx, OSD_IDX_PUT, 1, 1, "room", 1, 1, 1, 0, &w), 0, "writes resume after ENOSPC");
    atomic_store(&fail_sync, 1);
    is_int(put(idx, OSD_IDX_PUT, 1, 1, "during", 1, 1, 1, 0, &w), -EIO, "failed fsync: -EIO");
    is_int(w.req.result, OSD_IDX_NONE, "no result");
    atomic_store(&fail_sync, 0);
    mkrow(&w, OSD_IDX_PUT, 1, 1, 1, "after", 5, 1, 1, 1, 0);
    is_int(osd_idx_submit(idx, &w.req), -EIO, "later writes refused (sticky)");
    is_int(osd_idx_get(rd, 1, 1, 1, "room", 4, &r), 0, "committed row readable");
    free(r);
    is_int(osd_idx_get(rd, 1, 1, 1, "before", 6, &r), 0, "reads keep working");
    free(r);
    osd_idx_stats_t st;
    osd_idx_stats(idx, &st);
    ok(st.write_failed, "write_failed in stats");
    is_uint(st.failed_reqs, 2, "failed requests counted");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
    sqlite3_vfs_unregister(&faulty_vfs);
}

/* ---- crash: kill -9 while writing ----------------------------------------------------------*/

#define CRASH_ROWS 20000

static int ack_fd;

static void on_crash_ack(osd_idx_req_t *req)
{
    if (req->status == 0) {
        uint32_t i = (uint32_t)(uintptr_t)req->data;
        if (write(ack_fd, &i, sizeof(i)) != (ssize_t)sizeof(i))
            _exit(3);
    }
}

static void crash_key(uint32_t i, char *key, size_t size)
{
    snprintf(key, size, "crash/%06u", (unsigned)i);
}

static void crash_child(const char *path, int fd)
{
    ack_fd = fd;
    osd_idx_t *idx = NULL;
    if (osd_idx_open(path, NULL, &idx) != 0)
        _exit(4);
    osd_idx_req_t *reqs = calloc(CRASH_ROWS, sizeof(*reqs));
    static char keys[CRASH_ROWS][16];
    static uint8_t vals[CRASH_ROWS][32];
    for (uint32_t i = 0; i < CRASH_ROWS; i++) {
        crash_key(i, keys[i], sizeof(keys[i]));
        memset(vals[i], (int)(i & 0xFF), sizeof(vals[i]));
        tn_row_t *r = &reqs[i].row;
        r->pool = 1;
        r->pg = 4;
        r->ns = 9;
        r->key = (const uint8_t *)keys[i];
        r->key_len = strlen(keys[i]);
        r->ver.hlc = 1000 + i;
        r->ver.origin = 1;
        r->value = vals[i];
        r->value_len = sizeof(vals[i]);
        tn_row_seal(r);
        reqs[i].op = OSD_IDX_PUT;
        reqs[i].cb = on_crash_ack;
        reqs[i].data = (void *)(uintptr_t)i;
        if (osd_idx_submit(idx, &reqs[i]) != 0)
            _exit(5);
        if (i % 64 == 63)
            usleep(1000); /* keep the stream going until the parent kills us */
    }
    pause();
    _exit(0);
}

static void test_crash(void)
{
    char path[600];
    new_db_path(path, sizeof(path));
    int p[2];
    if (pipe(p) != 0) {
        ok(0, "pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        crash_child(path, p[1]);
    }
    close(p[1]);
    static uint8_t acked[CRASH_ROWS];
    size_t n_acked = 0, killed_at = 0;
    uint32_t i;
    ssize_t got;
    while ((got = read(p[0], &i, sizeof(i))) == (ssize_t)sizeof(i)) {
        if (i < CRASH_ROWS && !acked[i]) {
            acked[i] = 1;
            n_acked++;
        }
        if (n_acked == 600 && killed_at == 0) {
            kill(pid, SIGKILL);
            killed_at = n_acked;
        }
    }
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child killed by SIGKILL");
    ok(n_acked >= 600 && n_acked < CRASH_ROWS, "killed mid-stream");
    printf("# %zu rows acknowledged before/around the kill\n", n_acked);

    osd_idx_t *idx = open_idx(path, NULL);
    osd_idx_reader_t *rd = open_reader(idx);
    size_t missing = 0, damaged = 0, present = 0;
    for (uint32_t k = 0; k < CRASH_ROWS; k++) {
        char key[16];
        crash_key(k, key, sizeof(key));
        tn_row_t *r = NULL;
        int rc = osd_idx_get(rd, 1, 4, 9, key, strlen(key), &r);
        if (rc == 0) {
            present++;
            uint8_t want[32];
            memset(want, (int)(k & 0xFF), sizeof(want));
            if (r->ver.hlc != 1000 + k || r->value_len != 32 || memcmp(r->value, want, 32) != 0)
                damaged++;
            free(r);
        } else if (rc == TN_ERR_NOT_FOUND) {
            missing += acked[k];
        } else {
            damaged++;
        }
    }
    is_uint(missing, 0, "every acknowledged row survived kill -9");
    is_uint(damaged, 0, "every row present is intact");
    ok(present >= n_acked, "at least the acknowledged rows are present");
    osd_idx_reader_close(rd);
    osd_idx_close(idx);
    char buf[64];
    raw_query(path, "PRAGMA integrity_check", buf, sizeof(buf));
    is_str(buf, "ok", "integrity_check ok");
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof(root), "%s/tern-osdidx-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    if (getenv("TERN_TEST_VERBOSE") == NULL)
        tn_log_set_level((tn_log_level_t)(TN_LOG_ERROR + 1));

    subtest("open, pragmas, schema", test_open);
    subtest("schema 1 -> 2 migration", test_migrate_v1);
    subtest("PUT order, MERGE, tombstones, PURGE", test_put_order);
    subtest("CREATE", test_create);
    subtest("IF_VERSION", test_if_version);
    subtest("conditional writes in one batch", test_cond_batch);
    subtest("conditional writes over a damaged row", test_cond_damaged);
    subtest("LIST", test_list);
    subtest("ENUMERATE and DIGEST", test_enumerate_digest);
    subtest("DIGEST with a cut-off", test_digest_cutoff);
    subtest("concurrent writes, group commit, reopen", test_concurrency);
    subtest("corruption", test_corruption);
    subtest("fsync failure is sticky", test_fsync_failure);
    subtest("kill -9 while writing", test_crash);

    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    struct stat sb;
    ok(stat(root, &sb) != 0, "temp root removed");
    return tt_done();
}
