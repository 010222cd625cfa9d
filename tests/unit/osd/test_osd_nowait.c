/* test_osd_nowait.c — the "tern-nowait" SQLite VFS (osd/osd_nowait.c): a query through it reads
 * what is in the page cache, fails (SQLITE_IOERR_READ, flagged) when its pages were evicted,
 * leaves the connection usable, succeeds once another reader brought the pages back; outside
 * osd_nowait_begin/end it reads like the default VFS (a reader opened on a cold disk), and its
 * xSleep does not sleep inside them. The database lives under the current
 * directory (ctest runs in the build tree, on disk): POSIX_FADV_DONTNEED evicts its pages
 * there, which a tmpfs would not. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "osd_nowait.h"
#include "../test.h"

#define ROWS 300
#define VLEN 4000

static char dir[64], path[128], wal[160];

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* SUM(length(v)) over every row: the whole table is read. rc of the step. */
static int total(sqlite3 *db, long long *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT SUM(LENGTH(v)) FROM t", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static void make_db(void)
{
    sqlite3 *db = NULL;
    ok(sqlite3_open(path, &db) == SQLITE_OK, "create the database");
    ok(exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)") ==
           SQLITE_OK,
       "WAL, table");
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES(randomblob(?))", -1, &st, NULL);
    exec(db, "BEGIN");
    for (int i = 0; i < ROWS; i++) {
        sqlite3_bind_int(st, 1, VLEN);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    ok(exec(db, "COMMIT") == SQLITE_OK, "rows written");
    ok(exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK, "checkpointed into the file");
    sqlite3_close(db);
}

/* Drops the database's pages from the page cache; 1 if a no-wait read now finds them gone. */
static int evict(void)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    char b[4096];
    struct iovec iov = {b, sizeof(b)};
    ssize_t n = preadv2(fd, &iov, 1, 100 * 4096, RWF_NOWAIT);
    close(fd);
    return n < 0;
}

static void test_reads(void)
{
    ok(osd_nowait_register() == 0, "registered");
    ok(osd_nowait_register() == 0, "registering again is harmless");
    ok(sqlite3_vfs_find(OSD_NOWAIT_VFS) != NULL, "SQLite finds it by name");
    make_db();

    sqlite3 *db = NULL;
    ok(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, OSD_NOWAIT_VFS) == SQLITE_OK,
       "open read-only through the VFS");
    long long sum = 0;
    int rc;
    osd_nowait_begin();
    is_int(total(db, &sum), SQLITE_ROW, "pages in memory (just written): read");
    is_int(osd_nowait_end(), 0, "nothing would have blocked");
    is_int((int)sum, ROWS * VLEN, "every byte");
    sqlite3_close(db);

    ok(evict(), "the database's pages are evicted (POSIX_FADV_DONTNEED)");
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, OSD_NOWAIT_VFS);
    if (!ok(rc == SQLITE_OK, "a fresh connection (no pages cached by SQLite)"))
        fprintf(stderr, "# open: %d %s\n", rc, sqlite3_errmsg(db));
    sum = 0;
    osd_nowait_begin();
    rc = total(db, &sum);
    is_int(osd_nowait_end(), 1, "evicted: the read would have blocked");
    is_int(rc & 0xff, SQLITE_IOERR, "and the query fails with an I/O error");
    is_int(sqlite3_extended_errcode(db), SQLITE_IOERR_READ, "SQLITE_IOERR_READ");

    /* a worker (the default VFS) reads it: the pages are back */
    sqlite3 *w = NULL;
    ok(sqlite3_open_v2(path, &w, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "default VFS");
    is_int(total(w, &sum), SQLITE_ROW, "a blocking reader reads it");
    sqlite3_close(w);

    sum = 0;
    osd_nowait_begin();
    is_int(total(db, &sum), SQLITE_ROW, "the same no-wait connection reads it now");
    is_int(osd_nowait_end(), 0, "without blocking");
    is_int((int)sum, ROWS * VLEN, "every byte");
    ok(osd_nowait_supported(), "RWF_NOWAIT is supported here");
    sqlite3_close(db);

    /* outside begin/end (opening a reader at start-up, a cold disk) it reads like any VFS */
    ok(evict(), "evicted again");
    ok(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, OSD_NOWAIT_VFS) == SQLITE_OK, "open");
    sum = 0;
    is_int(total(db, &sum), SQLITE_ROW, "outside begin/end: an ordinary (blocking) read");
    is_int((int)sum, ROWS * VLEN, "every byte");
    sqlite3_close(db);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_sleep(void)
{
    sqlite3_vfs *v = sqlite3_vfs_find(OSD_NOWAIT_VFS);
    ok(v != NULL, "found");
    if (v == NULL)
        return;
    osd_nowait_begin();
    double t0 = now_s();
    int slept = v->xSleep(v, 3000000);
    double inside = now_s() - t0;
    osd_nowait_end();
    is_int(slept, 3000000, "inside begin/end: says it slept 3 s");
    ok(inside < 1.0, "but returns at once");
    t0 = now_s();
    v->xSleep(v, 20000);
    ok(now_s() - t0 >= 0.015, "outside: it sleeps (20 ms asked)");
}

int main(void)
{
    snprintf(dir, sizeof(dir), "tern-nowait-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/t.db", dir);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    subtest("reads", test_reads);
    subtest("sleep", test_sleep);
    unlink(wal);
    char shm[170];
    snprintf(shm, sizeof(shm), "%s-shm", path);
    unlink(shm);
    unlink(path);
    rmdir(dir);
    return tt_done();
}
