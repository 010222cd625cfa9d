/*
 * osd_main.c — this file implements the tern-osd executable: command line, config, the data
 * directory (identity, map, blob store, index), the server, signals and shutdown.
 *
 *   tern-osd --config FILE --id N [--log-level debug|info|warn|error] [--workers N]
 *            [--loop-reads on|off]
 *
 * --loop-reads off: every ROW_GET goes to a worker (default on: rows in memory are read on the
 * event loop, osd_nowait.h); for comparisons and as a way out should a kernel misbehave.
 *
 * Exit status: 0 after a clean stop (SIGTERM/SIGINT), 2 for a config, identity or usage
 * problem (the message says what to do), 1 for other start-up failures.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "conf.h"
#include "conf_map.h"
#include "osd_blob.h"
#include "osd_ident.h"
#include "osd_index.h"
#include "osd_mapstore.h"
#include "osd_recovery.h"
#include "osd_server.h"
#include "tn_log.h"

/* The index writer's page cache. 64 MiB (the index's default) held the daemon at ~67 MiB RSS
 * after 400k row writes; 16 MiB keeps it near 25 MiB (see the report of this change). */
#ifndef OSD_INDEX_CACHE_KIB
#define OSD_INDEX_CACHE_KIB 16384u
#endif
/* All of SQLite's memory together (sqlite3_soft_heap_limit64): the writer's cache above plus
 * the readers' (one per worker, the GC and recovery: SQLite's default 2 MiB each, ~14 MiB if
 * all warm). Past the limit every page cache recycles its own least recently used pages
 * instead of growing, so the caches share OSD_SQLITE_SOFT_LIMIT_KIB instead of adding up.
 * Measured with warm caches (docs/BENCHMARKS.md, "Memory"): 24-28 MiB of SQLite memory
 * before, the largest part of an index OSD's 63 MiB RssAnon peak under 64 x 64 MiB PUTs. */
#ifndef OSD_SQLITE_SOFT_LIMIT_KIB
#define OSD_SQLITE_SOFT_LIMIT_KIB (OSD_INDEX_CACHE_KIB + 4096u)
#endif

static osd_srv_t *g_srv;

static void on_signal(int sig)
{
    (void)sig;
    if (g_srv != NULL)
        osd_srv_request_stop(g_srv);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: tern-osd --config FILE --id N [--log-level debug|info|warn|error] "
               "[--workers N] [--loop-reads on|off]\n");
}

static unsigned default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    n *= 2;
    return (unsigned)(n < 2 ? 2 : n > 8 ? 8 : n);
}

int main(int argc, char **argv)
{
    /* Frames and blob pieces are 64 KiB..8 MiB buffers allocated on one thread and freed on
     * another: with glibc's dynamic mmap threshold they would stay in the heaps after a burst.
     * A fixed threshold returns them to the kernel, so RSS follows the load back down. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_ARENA_MAX, 2);
    sqlite3_soft_heap_limit64((sqlite3_int64)OSD_SQLITE_SOFT_LIMIT_KIB * 1024);
    const char *config = NULL, *level = NULL;
    long id = -1;
    unsigned workers = default_workers();
    int loop_reads = 1;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (v == NULL) {
            usage(stderr);
            return 2;
        }
        char *end = NULL;
        if (strcmp(a, "--config") == 0) {
            config = v;
        } else if (strcmp(a, "--id") == 0) {
            errno = 0;
            id = strtol(v, &end, 10);
            if (errno != 0 || *end != '\0' || end == v || id < 0 || id > CONF_MAX_OSD_ID) {
                fprintf(stderr, "tern-osd: --id %s: not an OSD id (0..%d)\n", v, CONF_MAX_OSD_ID);
                return 2;
            }
        } else if (strcmp(a, "--log-level") == 0) {
            level = v;
        } else if (strcmp(a, "--workers") == 0) {
            long n = strtol(v, &end, 10);
            if (*end != '\0' || n < 1 || n > 64) {
                fprintf(stderr, "tern-osd: --workers %s: expected 1..64\n", v);
                return 2;
            }
            workers = (unsigned)n;
        } else if (strcmp(a, "--loop-reads") == 0) {
            if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
                fprintf(stderr, "tern-osd: --loop-reads %s: expected on or off\n", v);
                return 2;
            }
            loop_reads = strcmp(v, "on") == 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (config == NULL || id < 0) {
        usage(stderr);
        return 2;
    }
    conf_error_t *cerr = malloc(sizeof(*cerr));
    conf_t *conf = NULL;
    if (cerr == NULL)
        return 1;
    int rc = conf_load_file(config, &conf, cerr);
    if (rc != 0) {
        fputs(cerr->text, stderr);
        free(cerr);
        return 2;
    }
    free(cerr);
    tn_log_level_t lv = conf->log_level;
    if (level != NULL && tn_log_level_parse(level, &lv) != 0) {
        fprintf(stderr, "tern-osd: --log-level %s: expected debug, info, warn or error\n", level);
        conf_free(conf);
        return 2;
    }
    tn_log_set_level(lv);
    const conf_osd_t *me = conf_find_osd(conf, (int)id);
    if (me == NULL) {
        fprintf(stderr, "tern-osd: no osd %ld in %s\n", id, config);
        conf_free(conf);
        return 2;
    }
    tn_log_info("msg=\"starting\" osd=%ld config=\"%s\" data=\"%s\" cluster=%s", id, config,
                me->data, conf->cluster.id_hex);

    int exit_code = 1;
    char why[1024] = "";
    pl_map_t *cmap = NULL;
    osd_mapstore_t *ms = NULL;
    osd_bs_t *bs = NULL;
    osd_idx_t *idx = NULL;
    osd_ident_t ident;
    int created = 0;
    rc = osd_ident_ensure(me->data, conf->cluster.id, (uint32_t)id, &ident, &created, why,
                          sizeof(why));
    if (rc != 0) {
        fprintf(stderr, "tern-osd: %s\n", why);
        tn_log_error("msg=\"data directory refused\" osd=%ld reason=\"%s\"", id, why);
        exit_code = rc == TN_ERR_CONFIG ? 2 : 1;
        goto out;
    }
    tn_log_info("msg=\"identity\" osd=%ld incarnation=%016" PRIx64 " new=%d", id, ident.incarnation,
                created);
    rc = conf_build_map(conf, &cmap, why, sizeof(why));
    if (rc != 0) {
        fprintf(stderr, "tern-osd: cannot build the map from %s: %s\n", config, why);
        exit_code = 2;
        goto out;
    }
    rc = osd_ms_open(me->data, cmap, &ms, why, sizeof(why));
    if (rc != 0) {
        fprintf(stderr, "tern-osd: %s\n", why);
        exit_code = 2;
        goto out;
    }
    tn_log_info("msg=\"map\" epoch=%" PRIu64 " hash=%016" PRIx64, osd_ms_epoch(ms),
                osd_ms_hash(ms));
    osd_ms_set_self(ms, (int32_t)id, ident.incarnation);
    if (osd_ms_admission(ms) == OSD_MS_NOT_ADMITTED)
        fprintf(stderr,
                "tern-osd: osd.%ld: this data directory is not the one the map records (a "
                "replaced or wiped disk); it refuses data requests until you run `ternctl osd "
                "replace %ld` (DESIGN rule 4; docs/OPERATIONS.md section 8)\n",
                id, id);
    rc = osd_bs_open(me->data, 0, &bs);
    if (rc != 0) {
        fprintf(stderr, "tern-osd: cannot open the blob store in %s: %s\n", me->data,
                tn_strerror(rc));
        exit_code = rc == -EBUSY ? 2 : 1;
        goto out;
    }
    char ipath[4096];
    snprintf(ipath, sizeof(ipath), "%s/index.db", me->data);
    osd_idx_opts_t iopts = {.group_commit_max = conf->osd.group_commit_max,
                            .quick_check = 0,
                            .cache_kib = OSD_INDEX_CACHE_KIB};
    rc = osd_idx_open(ipath, &iopts, &idx);
    if (rc != 0) {
        fprintf(stderr, "tern-osd: cannot open the index %s: %s\n", ipath, tn_strerror(rc));
        goto out;
    }
    /* Listen where the current map says, falling back to the config. */
    osd_srv_opts_t sopts = {.host = me->addr.host,
                            .port = me->addr.port,
                            .osd_id = (uint32_t)id,
                            .incarnation = ident.incarnation,
                            .workers = workers,
                            .loop_reads = loop_reads};
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = osd_srv_create(&sopts, bs, idx, ms, &g_srv);
    if (rc != 0) {
        fprintf(stderr, "tern-osd: cannot listen on %s:%u: %s\n", me->addr.host,
                (unsigned)me->addr.port, tn_strerror(rc));
        goto out;
    }
    tn_log_info("msg=\"listening\" addr=\"%s%s%s:%u\" workers=%u", me->addr.is_ipv6 ? "[" : "",
                me->addr.host, me->addr.is_ipv6 ? "]" : "", (unsigned)me->addr.port, workers);
    if (me->has_admin && (rc = osd_srv_admin_listen(g_srv, me->admin.host, me->admin.port)) != 0) {
        fprintf(stderr, "tern-osd: cannot open the admin port %s:%u: %s\n", me->admin.host,
                (unsigned)me->admin.port, tn_strerror(rc));
        osd_srv_destroy(g_srv);
        g_srv = NULL;
        exit_code = 2;
        goto out;
    }
    osd_rec_opts_t ropts = {.self = (int32_t)id,
                            .interval_s = conf->osd.recovery_interval,
                            .max_bytes_per_sec = conf->osd.recovery_max_bytes_per_sec,
                            .max_active = conf->osd.recovery_max_active,
                            .deep_interval_s = conf->osd.deep_scrub_interval,
                            .scrub_bytes_per_sec = conf->osd.scrub_max_bytes_per_sec,
                            .hlc = osd_srv_hlc(g_srv),
                            .data_dir = me->data};
    osd_rec_t *rec = NULL;
    rc = osd_rec_start(&ropts, bs, idx, ms, &rec);
    if (rc != 0) {
        fprintf(stderr, "tern-osd: cannot start repair: %s\n", tn_strerror(rc));
        osd_srv_destroy(g_srv);
        g_srv = NULL;
        goto out;
    }
    osd_srv_set_recovery(g_srv, rec);
    osd_gc_opts_t gopts = {.self = (int32_t)id,
                           .interval_s = conf->osd.gc_interval,
                           .grace_s = conf->osd.gc_grace,
                           .upload_expiry_s = conf->osd.gc_upload_expiry,
                           .gone_age_s = conf->osd.gc_gone_age,
                           .hlc = osd_srv_hlc(g_srv)};
    osd_gc_t *gc = NULL;
    rc = osd_gc_start(&gopts, bs, idx, ms, &gc);
    if (rc != 0) {
        fprintf(stderr, "tern-osd: cannot start the garbage collector: %s\n", tn_strerror(rc));
        osd_rec_stop(rec);
        osd_srv_destroy(g_srv);
        g_srv = NULL;
        goto out;
    }
    osd_srv_set_gc(g_srv, gc);
    tn_log_info("msg=\"gc\" interval_s=%u grace_s=%u", gopts.interval_s, gopts.grace_s);
    tn_log_info("msg=\"repair\" interval_s=%u max_bytes_per_sec=%llu max_active=%u "
                "deep_scrub_interval_s=%u scrub_bytes_per_sec=%llu",
                ropts.interval_s, (unsigned long long)ropts.max_bytes_per_sec, ropts.max_active,
                ropts.deep_interval_s, (unsigned long long)ropts.scrub_bytes_per_sec);
    osd_srv_run(g_srv);
    /* repair first: it writes through the stores the server shares */
    osd_gc_stop(gc);
    osd_rec_stop(rec);
    osd_srv_t *srv = g_srv;
    g_srv = NULL;
    osd_srv_destroy(srv);
    exit_code = 0;
out:
    osd_idx_close(idx);
    osd_bs_close(bs);
    osd_ms_close(ms);
    pl_map_destroy(cmap);
    if (exit_code == 0)
        tn_log_info("msg=\"stopped\" osd=%ld", id);
    conf_free(conf);
    return exit_code;
}
