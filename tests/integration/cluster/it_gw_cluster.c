/*
 * it_gw_cluster.c — integration test of the gateway's replication layer (gateway/gw_cluster.h)
 * against six real tern-osd processes (3 hosts x 2 OSDs; pools data/index/meta at size 3,
 * W 2, R 2), driven on an h2o event loop run by the test:
 *   - row put/get round trip; list merge across divergent replicas (newest wins, tombstones
 *     flagged, page ends at the smallest last key of replicas with more); read repair;
 *   - STALE_TS re-stamping against a newer version written straight to one replica;
 *   - SIGKILL of one OSD, then of its whole host: every put and get succeeds; a second host
 *     down: puts and gets fail cleanly with TN_ERR_QUORUM, nothing reported as success,
 *     while gw_cl_row_get_degraded answers from the live replica (flagged, counted);
 *   - one OSD frozen with SIGSTOP: 200 puts and 200 gets, each under 1 s (hedging/quorum never
 *     wait for it);
 *   - a 5 MiB blob put/get, then the get again with the PG's primary killed (fall-back), and
 *     with the primary frozen (hedge); a large read (40 MiB or more) whose serving replica
 *     is frozen mid-transfer completes from another replica; with every replica frozen it
 *     fails after some bytes and is resumed later at the offset reached;
 *   - blob-put pacing: 32 puts of 4 MiB into one PG whose third OSD is frozen: each reaches
 *     quorum on the two others at once; the frozen OSD's puts wait (GW_CL_PUT_ACTIVE in the
 *     client) and the lagging ones past GW_CL_PUT_LAG are dropped, so every buffer is released
 *     within a few seconds instead of being held while the OSD hangs;
 *   - gw_cl_destroy with operations pending;
 *   - a map change (epoch 2, one OSD out) made behind the layer's back with MAP_OFFER CAS, one
 *     OSD left at epoch 1: the layer fetches epoch 2, offers it to the laggard, and succeeds.
 * Usage: it_gw_cluster PATH-TO-tern-osd. Children are killed by PID at exit and on a timeout.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "conf.h"
#include "conf_map.h"
#include "gw_cluster.h"
#include "tc_osd.h"
#include "test.h"
#include "tn_log.h"
#include "tn_osdc_sync.h"

#define N_OSDS 6

static char g_dir[256];
static const char *g_bin;
static char g_conf[320];
static uint16_t g_port[N_OSDS];
static pid_t g_pid[N_OSDS];
static h2o_evloop_t *g_loop;
static gw_map_t *g_map;
static tn_hlc_t g_hlc;
static gw_cl_t *g_cl;      /* hedge 50 ms: the client under test */
static gw_cl_t *g_cl_slow; /* hedge 5 s: deterministic replica choice for merge tests */
static tn_osdc_sync_t *g_sync;
static uint32_t g_index, g_data;

/* ---- processes ---- */

static void kill_children(void)
{
    for (int i = 0; i < N_OSDS; i++)
        if (g_pid[i] > 0) {
            kill(g_pid[i], SIGKILL);
            kill(g_pid[i], SIGCONT);
            waitpid(g_pid[i], NULL, 0);
            g_pid[i] = 0;
        }
}

static void cleanup(void)
{
    kill_children();
    if (g_dir[0] != '\0' && getenv("TC_KEEP") == NULL) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", g_dir);
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "it_gw_cluster: timed out, killing daemons\n";
    ssize_t n = write(2, msg, sizeof(msg) - 1);
    (void)n;
    for (int i = 0; i < N_OSDS; i++)
        if (g_pid[i] > 0) {
            kill(g_pid[i], SIGKILL);
            kill(g_pid[i], SIGCONT);
        }
    _exit(1);
}

static int write_config(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(g_dir, sizeof(g_dir), "%s/tern-gwcl-it.XXXXXX", base);
    if (mkdtemp(g_dir) == NULL)
        return -1;
    snprintf(g_conf, sizeof(g_conf), "%s/cluster.yaml", g_dir);
    FILE *f = fopen(g_conf, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "cluster:\n  name: it\n  id: 0123456789abcdef0123456789abcdef\nhosts:\n");
    for (int h = 0; h < 3; h++)
        fprintf(f, "  - name: h%d\n", h);
    fprintf(f, "osds:\n");
    for (int i = 0; i < N_OSDS; i++) {
        int p = tc_free_port();
        if (p <= 0) {
            fclose(f);
            return -1;
        }
        g_port[i] = (uint16_t)p;
        fprintf(f, "  - {id: %d, host: h%d, addr: 127.0.0.1:%d, data: %s/osd.%d}\n", i, i / 2, p,
                g_dir, i);
    }
    fprintf(f, "pools:\n");
    const char *pools[] = {"data", "index", "meta"};
    for (int i = 0; i < 3; i++)
        fprintf(f,
                "  - {name: %s, pg_num: 8, size: 3, write_quorum: 2, read_quorum: 2, "
                "failure_domain: host}\n",
                pools[i]);
    fprintf(f, "osd:\n  group_commit_max: 256\nlogging:\n  level: info\n");
    return fclose(f) == 0 ? 0 : -1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int osd_start(int id)
{
    char log[400], ids[16];
    snprintf(log, sizeof(log), "%s/osd.%d.log", g_dir, id);
    snprintf(ids, sizeof(ids), "%d", id);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        execl(g_bin, g_bin, "--config", g_conf, "--id", ids, (char *)NULL);
        _exit(127);
    }
    close(fd);
    if (pid < 0)
        return -1;
    g_pid[id] = pid;
    return 0;
}

/* Waits until osd id answers PING (sync client). */
static int osd_wait(int id)
{
    uint64_t deadline = now_ms() + 15000;
    while (now_ms() < deadline) {
        int st;
        if (waitpid(g_pid[id], &st, WNOHANG) == g_pid[id]) {
            fprintf(stderr, "osd %d exited during start-up; see %s/osd.%d.log\n", id, g_dir, id);
            g_pid[id] = 0;
            return -1;
        }
        tn_ping_rep_t p;
        if (tn_osdc_sync_ping(g_sync, id, &p) == 0)
            return 0;
        usleep(20000);
    }
    return -1;
}

static void osd_kill(int id, int sig)
{
    if (g_pid[id] <= 0)
        return;
    kill(g_pid[id], sig);
    if (sig == SIGKILL) {
        waitpid(g_pid[id], NULL, 0);
        g_pid[id] = 0;
    }
}

/* ---- the loop ---- */

static void run_until(const int *flag, uint64_t timeout_ms)
{
    uint64_t deadline = now_ms() + timeout_ms;
    while (!*flag && now_ms() < deadline)
        h2o_evloop_run(g_loop, 10);
}

/* Runs the loop for ms (background replies, repairs). */
static void run_for(uint64_t ms)
{
    int never = 0;
    run_until(&never, ms);
}

typedef struct {
    int done, err;
    int degraded; /* gw_cl_row_get_degraded's flag */
    tn_row_ver_t ver;
    uint32_t flags;
    char value[256];
    char key[256];
} res_t;

static void on_put(void *arg, int err, const tn_row_ver_t *ver)
{
    res_t *r = arg;
    r->err = err;
    r->ver = *ver;
    r->done = 1;
}

static void on_get(void *arg, int err, const tn_row_t *row)
{
    res_t *r = arg;
    r->err = err;
    if (err == 0) {
        r->ver = row->ver;
        r->flags = row->flags;
        size_t n = TN_MIN(row->value_len, sizeof(r->value) - 1);
        if (n > 0)
            memcpy(r->value, row->value, n);
        r->value[n] = '\0';
        n = TN_MIN(row->key_len, sizeof(r->key) - 1);
        memcpy(r->key, row->key, n);
        r->key[n] = '\0';
    }
    r->done = 1;
}

static int put_row(gw_cl_t *cl, uint32_t pool, uint32_t pg, const char *key, const char *value,
                   uint64_t hlc, uint8_t vid, res_t *out)
{
    tn_row_t row = {0};
    row.pool = pool;
    row.pg = pg;
    row.ns = 1;
    row.key = (const uint8_t *)key;
    row.key_len = strlen(key);
    row.ver.hlc = hlc;
    memset(row.ver.vid, vid, sizeof(row.ver.vid));
    row.value = (const uint8_t *)value;
    row.value_len = strlen(value);
    memset(out, 0, sizeof(*out));
    int rc = gw_cl_row_put(cl, pool, pg, &row, TN_PROTO_ROW_PUT, on_put, out);
    if (rc != 0)
        return rc;
    ok(!out->done, "put: no callback inside the call");
    run_until(&out->done, 10000);
    return out->done ? out->err : TN_ERR_TIMEOUT;
}

static int get_row(gw_cl_t *cl, uint32_t pool, uint32_t pg, const char *key, res_t *out)
{
    memset(out, 0, sizeof(*out));
    int rc = gw_cl_row_get(cl, pool, pg, 1, key, strlen(key), on_get, out);
    if (rc != 0)
        return rc;
    run_until(&out->done, 10000);
    return out->done ? out->err : TN_ERR_TIMEOUT;
}

static void on_get_degraded(void *arg, int err, const tn_row_t *row, int degraded)
{
    ((res_t *)arg)->degraded = degraded;
    on_get(arg, err, row);
}

static int get_row_degraded(gw_cl_t *cl, uint32_t pool, uint32_t pg, const char *key, res_t *out)
{
    memset(out, 0, sizeof(*out));
    int rc = gw_cl_row_get_degraded(cl, pool, pg, 1, key, strlen(key), on_get_degraded, out);
    if (rc != 0)
        return rc;
    ok(!out->done, "degraded get: no callback inside the call");
    run_until(&out->done, 10000);
    return out->done ? out->err : TN_ERR_TIMEOUT;
}

typedef struct {
    int done, err, more;
    size_t n;
    char keys[16][32];
    tn_row_ver_t vers[16];
    uint32_t flags[16];
    uint8_t agree[16];
} list_res_t;

static void on_list(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    list_res_t *l = arg;
    l->err = err;
    l->more = more;
    l->n = TN_MIN(n, 16);
    for (size_t i = 0; i < l->n; i++) {
        size_t k = TN_MIN(e[i].key.len, 31);
        if (k > 0)
            memcpy(l->keys[i], e[i].key.base, k);
        l->keys[i][k] = '\0';
        l->vers[i] = e[i].ver;
        l->flags[i] = e[i].flags;
        l->agree[i] = e[i].agree;
    }
    l->done = 1;
}

static int list_rows(gw_cl_t *cl, uint32_t pool, uint32_t pg, const char *start, uint32_t limit,
                     list_res_t *out)
{
    memset(out, 0, sizeof(*out));
    int rc = gw_cl_row_list(cl, pool, pg, 1, "", 0, start, strlen(start), limit, on_list, out);
    if (rc != 0)
        return rc;
    run_until(&out->done, 10000);
    return out->done ? out->err : TN_ERR_TIMEOUT;
}

/* The OSDs of (pool, pg) in the layer's current map. */
static int pg_osds(uint32_t pool, uint32_t pg, int32_t *out)
{
    gw_map_snap_t *s = gw_map_snap_get(g_map);
    int n = gw_map_pg_osds(s, pool, pg, out, NULL);
    gw_map_snap_put(s);
    return n;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ROW_PUT straight to one OSD (sync client). */
static int direct_put(int32_t osd, uint8_t mode, uint32_t pool, uint32_t pg, const char *key,
                      uint64_t hlc, uint8_t vid, uint32_t flags, const char *value)
{
    uint8_t buf[1024];
    size_t len =
        tc_make_row(buf, sizeof(buf), pool, pg, 1, key, hlc, 9, vid, flags, value, NULL, 0);
    tn_row_put_rep_t rep;
    return tn_osdc_sync_row_put(g_sync, osd, mode, buf, len, &rep);
}

/* ---- tests ---- */

static void test_roundtrip(void)
{
    res_t r, g;
    is_int(put_row(g_cl, g_index, 0, "hello", "v1", 0, 1, &r), 0, "put");
    ok(r.ver.hlc != 0 && r.ver.origin == 7, "stamped with the HLC and the origin id");
    is_int(get_row(g_cl, g_index, 0, "hello", &g), 0, "get");
    is_str(g.value, "v1", "value round trip");
    is_str(g.key, "hello", "key");
    ok(tn_row_ver_cmp(&g.ver, &r.ver) == 0, "same version");
    is_int(get_row(g_cl, g_index, 0, "nope", &g), TN_ERR_NOT_FOUND, "absent key: NOT_FOUND");
    is_int(put_row(g_cl, g_index, 0, "hello", "v2", 0, 2, &r), 0, "overwrite");
    is_int(get_row(g_cl, g_index, 0, "hello", &g), 0, "get");
    is_str(g.value, "v2", "newest value");
    is_int(gw_cl_row_put(g_cl, 12345, 0,
                         &(tn_row_t){.pool = 12345, .key = (const uint8_t *)"k", .key_len = 1},
                         TN_PROTO_ROW_PUT, on_put, &r),
           0, "unknown pool: accepted");
    r.done = 0;
    run_until(&r.done, 2000);
    is_int(r.err, -ENOENT, "unknown pool: -ENOENT through the callback");
}

static void test_merge(void)
{
    const uint32_t pg = 1;
    int32_t o[PL_MAX_SIZE];
    is_int(pg_osds(g_index, pg, o), 3, "three replicas");
    uint64_t t = tn_hlc_make(wall_ms() - 60000, 0);
    const uint8_t M = TN_PROTO_ROW_MERGE;
    /* primary o[0]: a V1, b V1, c tombstone V3, e V1; second o[1]: a V1, b V2, d V1, f V1. */
    int rc = 0;
    rc |= direct_put(o[0], M, g_index, pg, "a", t + 1, 1, 0, "a1");
    rc |= direct_put(o[1], M, g_index, pg, "a", t + 1, 1, 0, "a1");
    rc |= direct_put(o[0], M, g_index, pg, "b", t + 1, 1, 0, "b1");
    rc |= direct_put(o[1], M, g_index, pg, "b", t + 2, 2, 0, "b2");
    rc |= direct_put(o[0], M, g_index, pg, "c", t + 3, 3, TN_ROW_TOMBSTONE, "");
    rc |= direct_put(o[0], M, g_index, pg, "e", t + 1, 1, 0, "e1");
    rc |= direct_put(o[1], M, g_index, pg, "d", t + 1, 1, 0, "d1");
    rc |= direct_put(o[1], M, g_index, pg, "f", t + 1, 1, 0, "f1");
    is_int(rc, 0, "divergent rows written to single replicas");

    list_res_t l;
    is_int(list_rows(g_cl_slow, g_index, pg, "", 3, &l), 0, "list page 1");
    is_int((int)l.n, 3, "page 1: 3 entries");
    is_str(l.keys[0], "a", "a");
    is_int(l.agree[0], 2, "a: both replicas agree");
    is_str(l.keys[1], "b", "b");
    is_uint(l.vers[1].hlc, t + 2, "b: the newest version wins");
    is_int(l.agree[1], 1, "b: replicas diverge");
    is_str(l.keys[2], "c", "c: page ends at the smallest last key of replicas with more");
    ok(l.flags[2] & TN_ROW_TOMBSTONE, "c: tombstone kept and flagged");
    is_int(l.more, 1, "more");
    is_int(list_rows(g_cl_slow, g_index, pg, "c", 3, &l), 0, "list page 2");
    is_int((int)l.n, 3, "page 2: d e f");
    is_str(l.keys[0], "d", "d (returned early by one replica, not skipped)");
    is_str(l.keys[1], "e", "e");
    is_str(l.keys[2], "f", "f");
    is_int(l.more, 0, "no more");
    gw_cl_stats_t st;
    gw_cl_stats(g_cl_slow, &st);
    ok(st.row_list.divergent >= 1, "divergence counted");

    res_t g;
    is_int(get_row(g_cl_slow, g_index, pg, "b", &g), 0, "get b");
    is_str(g.value, "b2", "get: the newest version wins");
    is_int(get_row(g_cl_slow, g_index, pg, "c", &g), 0, "get c: the tombstone is an answer");
    ok(g.flags & TN_ROW_TOMBSTONE, "tombstone flagged");
    /* d exists on o[1] only: found, and read repair MERGEs it to o[0]. */
    is_int(get_row(g_cl_slow, g_index, pg, "d", &g), 0, "get d (one replica has it)");
    is_str(g.value, "d1", "d1");
    run_for(300);
    gw_cl_stats(g_cl_slow, &st);
    ok(st.row_get.divergent >= 3, "row divergences counted");
    ok(st.row_get.repairs >= 3, "read repairs sent");
    uint8_t *row = NULL;
    size_t len = 0;
    tn_row_get_req_t m = {g_index, pg, 1, {"d", 1}};
    is_int(tn_osdc_sync_row_get(g_sync, o[0], &m, &row, &len), 0, "d repaired onto the primary");
    free(row);
}

static void test_stale_ts(void)
{
    const uint32_t pg = 2;
    int32_t o[PL_MAX_SIZE];
    pg_osds(g_index, pg, o);
    uint64_t v2 = tn_hlc_make(wall_ms() + 1000, 5);
    /* V2 on two replicas, so the re-stamp is decisive: with V2 on one replica only, the two
     * others may acknowledge the older version before its STALE_TS arrives, and the put is
     * then (rightly) a success at W = 2 whose version LWW-loses to V2 later. */
    is_int(direct_put(o[1], TN_PROTO_ROW_PUT, g_index, pg, "st", v2, 0x22, 0, "direct"), 0,
           "V2 written straight to one replica");
    is_int(direct_put(o[2], TN_PROTO_ROW_PUT, g_index, pg, "st", v2, 0x22, 0, "direct"), 0,
           "and to another");
    gw_cl_stats_t before, after;
    gw_cl_stats(g_cl, &before);
    res_t r, g;
    uint64_t old = tn_hlc_make(wall_ms() - 10000, 0);
    is_int(put_row(g_cl, g_index, pg, "st", "layer", old, 0x33, &r), 0,
           "put with an older HLC succeeds");
    ok(r.ver.hlc > v2, "re-stamped above the stored version");
    gw_cl_stats(g_cl, &after);
    ok(after.row_put.retries > before.row_put.retries, "a re-stamp was counted");
    is_int(get_row(g_cl, g_index, pg, "st", &g), 0, "get");
    is_str(g.value, "layer", "the re-stamped write wins");
}

/* n puts then n gets over the index pool's PGs; returns the failures; *max_ms the slowest. */
static int load(int n, const char *tag, int want_err, uint64_t *max_ms)
{
    int bad = 0;
    uint64_t worst = 0, start = now_ms();
    char key[64], val[64];
    for (int i = 0; i < n && now_ms() - start < 30000; i++) {
        snprintf(key, sizeof(key), "%s-%d", tag, i);
        snprintf(val, sizeof(val), "val-%s-%d", tag, i);
        res_t r;
        uint64_t t0 = now_ms();
        int rc = put_row(g_cl, g_index, (uint32_t)i % 8, key, val, 0, (uint8_t)i, &r);
        uint64_t dt = now_ms() - t0;
        worst = TN_MAX(worst, dt);
        if (rc != want_err)
            bad++;
    }
    for (int i = 0; i < n && now_ms() - start < 60000; i++) {
        snprintf(key, sizeof(key), "%s-%d", tag, i);
        snprintf(val, sizeof(val), "val-%s-%d", tag, i);
        res_t g;
        uint64_t t0 = now_ms();
        int rc = get_row(g_cl, g_index, (uint32_t)i % 8, key, &g);
        uint64_t dt = now_ms() - t0;
        worst = TN_MAX(worst, dt);
        if (rc != want_err || (rc == 0 && strcmp(g.value, val) != 0))
            bad++;
    }
    if (max_ms != NULL)
        *max_ms = worst;
    return bad;
}

static void test_failures(void)
{
    uint64_t ms = 0;
    is_int(load(40, "base", 0, &ms), 0, "all up: 40 puts + 40 gets");
    osd_kill(0, SIGKILL);
    is_int(load(40, "one", 0, &ms), 0, "one OSD killed: 40 puts + 40 gets all succeed");
    printf("# one OSD down: slowest op %llu ms\n", (unsigned long long)ms);
    osd_kill(1, SIGKILL);
    is_int(load(40, "host", 0, &ms), 0, "one host killed: 40 puts + 40 gets all succeed");
    printf("# one host down: slowest op %llu ms\n", (unsigned long long)ms);
    is_int(load(40, "one", 0, NULL), 0, "rows written with one OSD down still read back");
    gw_cl_stats_t st;
    gw_cl_stats(g_cl, &st);
    ok(st.row_put.degraded > 0, "degraded puts counted");
    /* with a read quorum, gw_cl_row_get_degraded is a plain quorum read */
    uint64_t dr0 = gw_cl_degraded_reads();
    res_t g;
    is_int(get_row_degraded(g_cl, g_index, 0, "base-0", &g), 0, "R = 2 available: get ok");
    ok(!g.degraded && strcmp(g.value, "val-base-0") == 0, "R = 2 available: not degraded");
    is_uint(gw_cl_degraded_reads(), dr0, "R = 2 available: nothing counted");
    gw_cl_stats(g_cl, &st);
    osd_kill(2, SIGKILL);
    osd_kill(3, SIGKILL);
    is_int(load(16, "two", TN_ERR_QUORUM, &ms), 0,
           "two hosts killed: every put and get fails with TN_ERR_QUORUM");
    printf("# two hosts down: slowest failure %llu ms\n", (unsigned long long)ms);
    gw_cl_stats_t st2;
    gw_cl_stats(g_cl, &st2);
    is_uint(st2.row_put.ok, st.row_put.ok, "no put reported as success");
    is_uint(st2.row_get.ok, st.row_get.ok, "no get reported as success");
    is_uint(gw_cl_degraded_reads(), dr0, "plain gets never answer degraded");
    /* rule 8: the R = 1 fallback, only through gw_cl_row_get_degraded */
    int good = 0, flagged = 0;
    uint64_t worst = 0;
    for (int i = 0; i < 16; i++) {
        char key[32], val[48];
        snprintf(key, sizeof(key), "base-%d", i);
        snprintf(val, sizeof(val), "val-base-%d", i);
        uint64_t t0 = now_ms();
        int rc = get_row_degraded(g_cl, g_index, (uint32_t)i % 8, key, &g);
        worst = TN_MAX(worst, now_ms() - t0);
        good += rc == 0 && strcmp(g.value, val) == 0;
        flagged += g.degraded;
    }
    is_int(good, 16, "two hosts killed: 16 degraded gets return the row written before");
    is_int(flagged, 16, "each flagged degraded");
    is_uint(gw_cl_degraded_reads(), dr0 + 16, "each counted in gw_cl_degraded_reads");
    printf("# two hosts down: slowest degraded get %llu ms\n", (unsigned long long)worst);
    ok(worst < 1000, "degraded gets come fast");
    /* one replica's "absent" is no evidence: still no quorum */
    is_int(get_row_degraded(g_cl, g_index, 3, "never-written", &g), TN_ERR_QUORUM,
           "two hosts killed: a key the live replica lacks fails with TN_ERR_QUORUM");
    ok(!g.degraded, "not flagged");
    is_uint(gw_cl_degraded_reads(), dr0 + 16, "not counted");
    for (int i = 0; i < 4; i++)
        is_int(osd_start(i), 0, "restart");
    for (int i = 0; i < 4; i++)
        is_int(osd_wait(i), 0, "answers");
    run_for(600); /* the layer's connect back-off (max 500 ms here) expires */
    is_int(load(40, "host", 0, NULL), 0, "after restart: rows written while a host was down read");
}

static void test_sigstop(void)
{
    osd_kill(2, SIGSTOP);
    uint64_t ms = 0, t0 = now_ms();
    int bad = load(200, "frozen", 0, &ms);
    uint64_t total = now_ms() - t0;
    is_int(bad, 0, "one OSD frozen: 200 puts + 200 gets all succeed");
    ok(ms < 1000, "none takes 1 s or more");
    printf("# SIGSTOP: slowest op %llu ms, 400 ops in %llu ms\n", (unsigned long long)ms,
           (unsigned long long)total);
    gw_cl_stats_t st;
    gw_cl_stats(g_cl, &st);
    ok(st.row_get.hedges > 0, "hedged reads counted");
    printf("# hedges: row_get %llu\n", (unsigned long long)st.row_get.hedges);
    kill(g_pid[2], SIGCONT);
    run_for(200);
}

typedef struct {
    int done, released, err, order_ok;
    uint64_t delivered;
    uint8_t *buf;
    size_t cap;
    uint64_t blob_len;
} blob_res_t;

static void on_bput(void *arg, int err)
{
    blob_res_t *b = arg;
    b->err = err;
    b->done = 1;
}

static void on_bput_released(void *arg)
{
    blob_res_t *b = arg;
    b->order_ok = b->done;
    b->released = 1;
}

static void on_bdata(void *arg, uint64_t blob_len, uint64_t off, const void *data, size_t len)
{
    blob_res_t *b = arg;
    b->blob_len = blob_len;
    if (off + len <= b->cap)
        memcpy(b->buf + off, data, len);
}

static void on_bget(void *arg, int err, uint64_t delivered)
{
    blob_res_t *b = arg;
    b->err = err;
    b->delivered = delivered;
    b->done = 1;
}

static void test_blob(void)
{
    const size_t len = 5u << 20;
    uint8_t *data = malloc(len), *back = malloc(len);
    tc_fill(data, len, 77);
    tn_blobref_t ref = {g_data, 3, {0}, 0};
    memset(ref.version, 0xb1, sizeof(ref.version));
    blob_res_t p = {0};
    uint64_t t0 = now_ms();
    is_int(gw_cl_blob_put(g_cl, &ref, data, len, on_bput, on_bput_released, &p), 0, "blob put");
    run_until(&p.released, 20000);
    is_int(p.err, 0, "5 MiB blob at quorum");
    ok(p.released && p.order_ok, "all-done notification after the quorum callback");
    printf("# blob put 5 MiB: %llu ms\n", (unsigned long long)(now_ms() - t0));

    blob_res_t g = {0};
    g.buf = back;
    g.cap = len;
    is_int(gw_cl_blob_get(g_cl, &ref, 0, 0, on_bdata, on_bget, &g), 0, "blob get");
    run_until(&g.done, 20000);
    is_int(g.err, 0, "read");
    is_uint(g.delivered, len, "all bytes");
    is_uint(g.blob_len, len, "blob length");
    ok(memcmp(data, back, len) == 0, "same bytes");

    int32_t o[PL_MAX_SIZE];
    pg_osds(g_data, 3, o);
    osd_kill(o[0], SIGKILL);
    memset(back, 0, len);
    memset(&g, 0, sizeof(g));
    g.buf = back;
    g.cap = len;
    gw_cl_stats_t before, after;
    gw_cl_stats(g_cl, &before);
    is_int(gw_cl_blob_get(g_cl, &ref, 0, 0, on_bdata, on_bget, &g), 0, "blob get, primary dead");
    run_until(&g.done, 20000);
    is_int(g.err, 0, "read from the next replica");
    is_uint(g.delivered, len, "all bytes");
    ok(memcmp(data, back, len) == 0, "same bytes");
    gw_cl_stats(g_cl, &after);
    ok(after.blob_get.degraded > before.blob_get.degraded, "fall-back counted");
    /* a range read */
    memset(&g, 0, sizeof(g));
    g.buf = back;
    g.cap = len;
    is_int(gw_cl_blob_get(g_cl, &ref, 1000, 3000000, on_bdata, on_bget, &g), 0, "range get");
    run_until(&g.done, 20000);
    is_int(g.err, 0, "range read");
    is_uint(g.delivered, 3000000, "range length");
    ok(memcmp(data + 1000, back + 1000, 3000000) == 0, "range bytes");
    tn_blobref_t none = ref;
    none.part = 9;
    memset(&g, 0, sizeof(g));
    is_int(gw_cl_blob_get(g_cl, &none, 0, 0, on_bdata, on_bget, &g), 0, "absent blob");
    run_until(&g.done, 20000);
    is_int(g.err, TN_ERR_NOT_FOUND, "absent blob: NOT_FOUND from every live replica");
    is_int(osd_start(o[0]), 0, "restart");
    is_int(osd_wait(o[0]), 0, "answers");
    run_for(600);

    /* the primary frozen: the hedge asks the next replica after hedge_ms */
    osd_kill(o[0], SIGSTOP);
    memset(back, 0, len);
    memset(&g, 0, sizeof(g));
    g.buf = back;
    g.cap = len;
    gw_cl_stats(g_cl, &before);
    t0 = now_ms();
    is_int(gw_cl_blob_get(g_cl, &ref, 0, 0, on_bdata, on_bget, &g), 0, "blob get, primary frozen");
    run_until(&g.done, 20000);
    uint64_t dt = now_ms() - t0;
    is_int(g.err, 0, "read through the hedge");
    ok(memcmp(data, back, len) == 0, "same bytes");
    ok(dt < 1000, "well before the request timeout");
    printf("# blob get 5 MiB with the primary frozen: %llu ms\n", (unsigned long long)dt);
    gw_cl_stats(g_cl, &after);
    ok(after.blob_get.hedges > before.blob_get.hedges, "hedge counted");
    kill(g_pid[o[0]], SIGCONT);
    run_for(200);

    free(data);
    free(back);
}

/* How many lagging puts are dropped depends on timing, not only on the code: the frozen
 * OSD's GW_CL_PUT_ACTIVE requests fail one request timeout (2 s) after its socket stopped
 * taking bytes — how much the kernel absorbs first depends on segment sizes, so on
 * TCP_NODELAY — and each such round lets 3 waiting requests start (no longer "waiting", so
 * never dropped). An op's waiting request is dropped when it fires with GW_CL_PUT_LAG (8
 * puts of 4 MiB) already waiting as background. With 16 puts, 16 - 3 active - 8 background
 * left 5 to drop, and two rounds (quorum slower than 4 s on a loaded machine) dropped none;
 * with 32, drops happen unless reaching quorum takes 7 rounds (14 s). */
#define PACE_N 32
static void test_blob_pace(void)
{
    const size_t len = 4u << 20;
    uint8_t *data = malloc(len);
    tc_fill(data, len, 91);
    int32_t o[PL_MAX_SIZE];
    pg_osds(g_data, 5, o);
    /* control: the same PACE_N puts with every OSD up (what this machine does without a fault) */
    static blob_res_t c[PACE_N];
    memset(c, 0, sizeof(c));
    uint64_t tc0 = now_ms();
    for (int i = 0; i < PACE_N; i++) {
        tn_blobref_t ref = {g_data, 5, {0}, (uint32_t)(100 + i)};
        memset(ref.version, 0xc3, sizeof(ref.version));
        if (gw_cl_blob_put(g_cl, &ref, data, len, on_bput, on_bput_released, &c[i]) != 0)
            c[i].released = 1;
    }
    for (int i = 0; i < PACE_N; i++)
        run_until(&c[i].released, 30000);
    uint64_t t_control = now_ms() - tc0;
    printf("# control, %d x 4 MiB, every OSD up: %llu ms\n", PACE_N, (unsigned long long)t_control);
    osd_kill(o[2], SIGSTOP);
    gw_cl_stats_t before, after;
    gw_cl_stats(g_cl, &before);
    static blob_res_t r[PACE_N];
    memset(r, 0, sizeof(r));
    uint64_t t0 = now_ms();
    int started = 0;
    for (int i = 0; i < PACE_N; i++) {
        tn_blobref_t ref = {g_data, 5, {0}, (uint32_t)i};
        memset(ref.version, 0xc3, sizeof(ref.version));
        started += gw_cl_blob_put(g_cl, &ref, data, len, on_bput, on_bput_released, &r[i]) == 0;
    }
    is_int(started, PACE_N, "32 puts of 4 MiB into one PG started");
    int all_done = 0;
    for (int k = 0; k < 4000 && !all_done; k++) {
        h2o_evloop_run(g_loop, 5);
        all_done = 1;
        for (int i = 0; i < PACE_N; i++)
            all_done &= r[i].done;
    }
    uint64_t t_quorum = now_ms() - t0;
    int ok_n = 0;
    for (int i = 0; i < PACE_N; i++)
        ok_n += r[i].done && r[i].err == 0;
    is_int(ok_n, PACE_N, "every put reached quorum with one replica frozen");
    printf("# %d x 4 MiB, one replica frozen: all at quorum in %llu ms\n", PACE_N,
           (unsigned long long)t_quorum);
    /* waiting for the frozen OSD would cost request timeouts (2 s each, several rounds) */
    ok(t_quorum < 2 * t_control + 1500, "quorum never waited for the frozen OSD");
    int released = 0;
    for (int k = 0; k < 12000 && released < PACE_N; k++) {
        h2o_evloop_run(g_loop, 5);
        released = 0;
        for (int i = 0; i < PACE_N; i++)
            released += r[i].released;
    }
    uint64_t t_rel = now_ms() - t0;
    is_int(released, PACE_N, "every buffer released while the OSD is still frozen");
    printf("# all buffers released after %llu ms\n", (unsigned long long)t_rel);
    gw_cl_stats(g_cl, &after);
    ok(after.put_waited > before.put_waited, "puts waited for the frozen OSD's slots");
    ok(after.put_lag_dropped > before.put_lag_dropped, "lagging background puts dropped");
    printf("# waited %llu, dropped %llu\n",
           (unsigned long long)(after.put_waited - before.put_waited),
           (unsigned long long)(after.put_lag_dropped - before.put_lag_dropped));
    kill(g_pid[o[2]], SIGCONT);
    run_for(300);
    /* every blob reads back (from the replicas that have it) */
    uint8_t *back = malloc(len);
    int same = 0;
    for (int i = 0; i < PACE_N; i++) {
        tn_blobref_t ref = {g_data, 5, {0}, (uint32_t)i};
        memset(ref.version, 0xc3, sizeof(ref.version));
        blob_res_t g = {0};
        g.buf = back;
        g.cap = len;
        if (gw_cl_blob_get(g_cl, &ref, 0, 0, on_bdata, on_bget, &g) != 0)
            continue;
        run_until(&g.done, 20000);
        same += g.err == 0 && g.delivered == len && memcmp(back, data, len) == 0;
    }
    is_int(same, PACE_N, "all 32 read back");
    free(back);
    free(data);
}

/* The largest value of a "min default max" sysctl (tcp_rmem, tcp_wmem), or 0. */
static size_t sysctl_max(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    unsigned long lo = 0, def = 0, hi = 0;
    int n = fscanf(f, "%lu %lu %lu", &lo, &def, &hi);
    fclose(f);
    return n == 3 ? (size_t)hi : 0;
}

/* A blob twice what one loopback connection can hold in flight (the receiver's window grows
 * up to tcp_rmem's max, the sender's buffer up to tcp_wmem's: 32 + 4 MiB on some machines
 * here), at least 40 MiB: every replica frozen when the first piece arrives, so the read
 * fails after some bytes (inactivity timeout) and reports how far it got; after SIGCONT the
 * caller resumes at that offset and gets exactly the rest. With a fixed 40 MiB the whole blob
 * was already in the socket buffers when the replicas stopped, and the read completed. */
static size_t resume_blob_len(void)
{
    size_t in_flight =
        sysctl_max("/proc/sys/net/ipv4/tcp_rmem") + sysctl_max("/proc/sys/net/ipv4/tcp_wmem");
    size_t len = 2 * in_flight;
    if (len < (40u << 20))
        len = 40u << 20;
    if (len > (256u << 20))
        len = 256u << 20;
    return (len + (1u << 20) - 1) & ~(size_t)((1u << 20) - 1);
}

static int g_freeze_pg[3];
static int g_freeze_armed;
static void on_bdata_freeze(void *arg, uint64_t blob_len, uint64_t off, const void *data,
                            size_t len)
{
    on_bdata(arg, blob_len, off, data, len);
    if (g_freeze_armed) {
        for (int i = 0; i < 3; i++)
            kill(g_pid[g_freeze_pg[i]], SIGSTOP);
        g_freeze_armed = 0;
    }
}

static void test_blob_resume(void)
{
    const size_t len = resume_blob_len();
    printf("# resume test blob: %zu MiB\n", len >> 20);
    uint8_t *data = malloc(len), *back = calloc(1, len);
    tc_fill(data, len, 91);
    tn_blobref_t ref = {g_data, 6, {0}, 0};
    memset(ref.version, 0xb2, sizeof(ref.version));
    blob_res_t p = {0};
    is_int(gw_cl_blob_put(g_cl, &ref, data, len, on_bput, on_bput_released, &p), 0, "big put");
    run_until(&p.released, 30000);
    is_int(p.err, 0, "at quorum");
    int32_t o[PL_MAX_SIZE];
    pg_osds(g_data, 6, o);
    /* only the serving replica (the primary, asked first) stops mid-transfer: the layer asks
     * another replica for the rest hedge_ms after the last frame and completes the read */
    for (int i = 0; i < 3; i++)
        g_freeze_pg[i] = o[0];
    g_freeze_armed = 1;
    blob_res_t g = {0};
    g.buf = back;
    g.cap = len;
    gw_cl_stats_t s0, s1;
    gw_cl_stats(g_cl, &s0);
    uint64_t t0 = now_ms();
    is_int(gw_cl_blob_get(g_cl, &ref, 0, 0, on_bdata_freeze, on_bget, &g), 0, "get");
    run_until(&g.done, 20000);
    uint64_t took = now_ms() - t0;
    kill(g_pid[o[0]], SIGCONT);
    gw_cl_stats(g_cl, &s1);
    is_int(g.err, 0, "serving replica frozen mid-transfer: the read completes");
    is_uint(g.delivered, len, "every byte");
    ok(memcmp(data, back, len) == 0, "same bytes");
    ok(s1.blob_get.hedges > s0.blob_get.hedges, "taken over by a hedge");
    /* no time bound: on a loaded 2-vCPU VM the 40 MiB transfer alone took 2.5 s; the
     * behaviour asserted is "completes" (before: TN_ERR_TIMEOUT after request_timeout_ms) */
    printf("# serving replica frozen mid-transfer: read completed in %llu ms\n",
           (unsigned long long)took);
    run_for(300);
    memset(back, 0, len);
    /* every replica stops: the read fails after some bytes and resumes later */
    for (int i = 0; i < 3; i++)
        g_freeze_pg[i] = o[i];
    g_freeze_armed = 1;
    memset(&g, 0, sizeof(g));
    g.buf = back;
    g.cap = len;
    t0 = now_ms();
    is_int(gw_cl_blob_get(g_cl, &ref, 0, 0, on_bdata_freeze, on_bget, &g), 0, "get");
    run_until(&g.done, 20000);
    for (int i = 0; i < 3; i++)
        kill(g_pid[o[i]], SIGCONT);
    is_int(g.err, TN_ERR_TIMEOUT, "fails once the serving replica stops sending");
    ok(g.delivered > 0 && g.delivered < len, "after some bytes, not all");
    printf("# frozen mid-transfer: failed after %llu of %zu bytes in %llu ms\n",
           (unsigned long long)g.delivered, len, (unsigned long long)(now_ms() - t0));
    uint64_t at = g.delivered;
    memset(&g, 0, sizeof(g));
    g.buf = back;
    g.cap = len;
    is_int(gw_cl_blob_get(g_cl, &ref, at, 0, on_bdata, on_bget, &g), 0, "resume at the offset");
    run_until(&g.done, 20000);
    is_int(g.err, 0, "resumed read");
    is_uint(at + g.delivered, len, "exactly the rest");
    ok(memcmp(data, back, len) == 0, "same bytes");
    free(data);
    free(back);
}

/* Operations pending at gw_cl_destroy complete inside it (-ECANCELED or their result), and a
 * blob put's all_done runs. */
static int g_cancelled, g_cb_count;
static void on_put_cancel(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)arg;
    (void)ver;
    g_cb_count++;
    g_cancelled += err == -ECANCELED;
}

static void on_get_cancel(void *arg, int err, const tn_row_t *row)
{
    (void)arg;
    (void)row;
    g_cb_count++;
    g_cancelled += err == -ECANCELED;
}

static void test_destroy(void)
{
    gw_cl_opts_t o;
    gw_cl_opts_default(&o);
    gw_cl_t *cl = gw_cl_create(g_loop, g_map, &g_hlc, 11, &o);
    const size_t len = 3u << 20;
    uint8_t *data = malloc(len);
    tc_fill(data, len, 5);
    tn_blobref_t ref = {g_data, 5, {0}, 0};
    memset(ref.version, 0xd5, sizeof(ref.version));
    blob_res_t p = {0};
    tn_row_t row = {0};
    row.pool = g_index;
    row.pg = 4;
    row.ns = 1;
    row.key = (const uint8_t *)"destroy";
    row.key_len = 7;
    int rc = 0;
    for (int i = 0; i < 5; i++) {
        rc |= gw_cl_row_put(cl, g_index, 4, &row, TN_PROTO_ROW_PUT, on_put_cancel, NULL);
        rc |= gw_cl_row_get(cl, g_index, 4, 1, "destroy", 7, on_get_cancel, NULL);
    }
    rc |= gw_cl_blob_put(cl, &ref, data, len, on_bput, on_bput_released, &p);
    is_int(rc, 0, "ops started");
    h2o_evloop_run(g_loop, 0); /* requests go out; none can be answered yet */
    gw_cl_destroy(cl);
    is_int(g_cb_count, 10, "every row callback ran inside gw_cl_destroy");
    ok(g_cancelled > 0, "pending ones with -ECANCELED");
    ok(p.done && p.released, "blob put: callback and all_done ran");
    printf("# destroy: %d of 10 row ops cancelled\n", g_cancelled);
    free(data);
}

static void test_epoch(void)
{
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    is_int(tn_osdc_sync_map_get(g_sync, 0, 0, &enc, &enc_len), 0, "MAP_GET");
    pl_map_t *m = NULL;
    is_int(pl_map_decode(enc, enc_len, &m), 0, "decode");
    free(enc);
    if (m == NULL)
        return;
    is_uint(m->epoch, 1, "epoch 1");
    /* a PG of the index pool that has OSD 5 at epoch 1, and one without 4 and 5 */
    int32_t o[PL_MAX_SIZE];
    uint32_t pg5 = 0;
    for (uint32_t pg = 0; pg < 8; pg++) {
        pg_osds(g_index, pg, o);
        if (o[0] == 5 || o[1] == 5 || o[2] == 5) {
            pg5 = pg;
            break;
        }
    }
    pl_map_set_osd_in(m, 5, 0);
    is_int(pl_map_rebalance(m), 0, "rebalance");
    m->epoch = 2;
    size_t len = 0;
    pl_map_encode(m, NULL, 0, &len);
    enc = malloc(len);
    is_int(pl_map_encode(m, enc, len, &len), 0, "encode epoch 2");
    tn_map_offer_req_t off = {TN_PROTO_MAP_CAS, 1, {(const char *)enc, len}};
    int rc = 0;
    for (int i = 0; i < N_OSDS; i++) {
        if (i == 4)
            continue; /* left behind at epoch 1: the layer must offer it the map */
        tn_map_offer_rep_t rep;
        tn_osdc_set_epoch(tn_osdc_sync_client(g_sync), 1);
        rc |= tn_osdc_sync_map_offer(g_sync, i, &off, &rep);
    }
    is_int(rc, 0, "CAS 1 -> 2 on every OSD but osd.4");
    gw_cl_stats_t before, after;
    gw_cl_stats(g_cl, &before);
    res_t r, g;
    is_int(put_row(g_cl, g_index, pg5, "epoch-key", "e2", 0, 5, &r), 0,
           "put after the change behind the layer's back");
    is_uint(gw_map_epoch(g_map), 2, "the layer adopted epoch 2");
    pg_osds(g_index, pg5, o);
    ok(o[0] != 5 && o[1] != 5 && o[2] != 5, "the PG no longer maps to the out OSD");
    is_int(get_row(g_cl, g_index, pg5, "epoch-key", &g), 0, "get at epoch 2");
    is_str(g.value, "e2", "value");
    /* every PG once: the ones with osd.4 make the layer offer it our map */
    int bad = 0;
    for (uint32_t pg = 0; pg < 8; pg++) {
        char key[32];
        snprintf(key, sizeof(key), "ep-%u", pg);
        bad += put_row(g_cl, g_index, pg, key, "x", 0, 6, &r) != 0;
        bad += get_row(g_cl, g_index, pg, key, &g) != 0;
    }
    is_int(bad, 0, "every PG works at epoch 2");
    gw_cl_stats(g_cl, &after);
    ok(after.row_put.epoch_refreshes > before.row_put.epoch_refreshes, "epoch refresh counted");
    ok(after.map_adopted > before.map_adopted, "map adopted from an OSD");
    ok(after.map_offered > before.map_offered, "map offered to the OSD left behind");
    tn_ping_rep_t p;
    tn_osdc_set_epoch(tn_osdc_sync_client(g_sync), 2);
    tn_osdc_sync_ping(g_sync, 4, &p);
    uint64_t e4 = 0;
    tn_osdc_sync_last(g_sync, NULL, &e4, NULL);
    is_uint(e4, 2, "osd.4 got epoch 2 from the layer");
    /* same epoch, different map: refused loudly, old kept */
    pl_map_t *bad_map = pl_map_clone(m);
    pl_map_set_osd_weight(bad_map, 0, 3 * PL_WEIGHT_ONE);
    is_int(gw_map_adopt(g_map, bad_map), TN_ERR_CORRUPT, "same epoch, other hash: refused");
    is_int(gw_map_adopt(g_map, pl_map_clone(m)), 0, "same map again: unchanged");
    free(enc);
    pl_map_destroy(m);
}

static void on_refresh(void *arg, int err)
{
    int *r = arg;
    *r = err == 0 ? 1 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    g_bin = argv[1];
    signal(SIGPIPE, SIG_IGN);
    atexit(cleanup);
    signal(SIGALRM, on_alarm);
    alarm(280);
    if (getenv("TC_DEBUG") != NULL)
        tn_log_set_level(TN_LOG_DEBUG);
    if (write_config() != 0) {
        fprintf(stderr, "cannot write the config\n");
        return 1;
    }
    conf_t *conf = NULL;
    conf_error_t cerr;
    if (conf_load_file(g_conf, &conf, &cerr) != 0) {
        fprintf(stderr, "config does not load\n");
        return 1;
    }
    pl_map_t *map = NULL;
    char why[200];
    if (conf_build_map(conf, &map, why, sizeof(why)) != 0) {
        fprintf(stderr, "map: %s\n", why);
        return 1;
    }
    g_index = conf_pool_id("index");
    g_data = conf_pool_id("data");
    conf_free(conf);
    g_map = gw_map_create(map);
    tn_osdc_opts_t so;
    tn_osdc_opts_default(&so);
    so.epoch = 1;
    g_sync = tn_osdc_sync_create(&so);
    for (int i = 0; i < N_OSDS; i++) {
        char addr[64];
        snprintf(addr, sizeof(addr), "127.0.0.1:%u", g_port[i]);
        tn_osdc_set_osd(tn_osdc_sync_client(g_sync), i, addr);
    }
    int started = 1;
    for (int i = 0; i < N_OSDS; i++)
        started &= osd_start(i) == 0;
    for (int i = 0; i < N_OSDS; i++)
        started &= osd_wait(i) == 0;
    ok(started, "six OSDs answer");
    if (!started)
        return tt_done();

    g_loop = h2o_evloop_create();
    tn_hlc_init(&g_hlc, 0);
    gw_cl_opts_t o;
    gw_cl_opts_default(&o);
    o.backoff_max_ms = 500;
    g_cl = gw_cl_create(g_loop, g_map, &g_hlc, 7, &o);
    o.hedge_ms = 5000;
    g_cl_slow = gw_cl_create(g_loop, g_map, &g_hlc, 8, &o);
    h2o_evloop_run(g_loop, 0);
    int refreshed = 0;
    is_int(gw_cl_map_refresh(g_cl, on_refresh, &refreshed), 0, "map refresh");
    run_until(&refreshed, 5000);
    is_int(refreshed, 1, "map refresh: OSDs answered");

    uint64_t t0 = now_ms();
    subtest("row round trip", test_roundtrip);
    subtest("list merge, read repair", test_merge);
    subtest("STALE_TS re-stamping", test_stale_ts);
    subtest("OSD and host failures", test_failures);
    subtest("SIGSTOP", test_sigstop);
    subtest("blob 5 MiB, fall-back", test_blob);
    subtest("blob read resumed after a failure mid-transfer", test_blob_resume);
    subtest("blob-put pacing with a frozen replica", test_blob_pace);
    subtest("epoch change behind the layer", test_epoch);
    subtest("destroy with operations pending", test_destroy);
    printf("# tests took %llu ms\n", (unsigned long long)(now_ms() - t0));

    gw_cl_stats_t st;
    gw_cl_stats(g_cl, &st);
    printf("# row_put ok %llu degraded %llu quorum_fail %llu retries %llu epoch %llu\n",
           (unsigned long long)st.row_put.ok, (unsigned long long)st.row_put.degraded,
           (unsigned long long)st.row_put.quorum_fail, (unsigned long long)st.row_put.retries,
           (unsigned long long)st.row_put.epoch_refreshes);
    printf("# row_get ok %llu degraded %llu quorum_fail %llu hedges %llu divergent %llu\n",
           (unsigned long long)st.row_get.ok, (unsigned long long)st.row_get.degraded,
           (unsigned long long)st.row_get.quorum_fail, (unsigned long long)st.row_get.hedges,
           (unsigned long long)st.row_get.divergent);
    gw_cl_destroy(g_cl_slow);
    gw_cl_destroy(g_cl);
    run_for(50);
    h2o_evloop_destroy(g_loop);
    tn_osdc_sync_destroy(g_sync);
    gw_map_destroy(g_map);
    kill_children();
    return tt_done();
}
