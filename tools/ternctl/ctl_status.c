/*
 * ctl_status.c — `ternctl status`: one honest screen about a running cluster, like `ceph -s`.
 *
 *   ternctl status --config FILE [--json [--pgs]] [--timeout-ms N]
 *
 * It asks every OSD of the config itself (nothing is cached anywhere): PING (up or down),
 * MAP_GET (the newest epoch any OSD holds is the map used), STATS (disk usage, repair and
 * scrub counters), and PG_DIGEST of every PG from every replica the map gives it. A PG is
 *   clean         every replica answered and all digests (rows and blob lists) are equal;
 *   degraded      n replicas did not answer (n is shown); the ones that did agree;
 *   inconsistent  answering replicas' digests differ (repair has work to do). Digests cover
 *                 the rows up to one cut-off 2 s ago (tn_proto.h, TN_PROTO_DIGEST_CUTOFF_MS),
 *                 the same for every holder, so writes landing between two answers do not
 *                 count; differing PGs are still asked a second time before being reported;
 *   unavailable   no replica answered;
 *   backfilling   the PG moves (a map change gave it new OSDs, or `osd replace` a new disk):
 *                 the map lists its old set, which keeps it until the OSDs (or `ternctl
 *                 rebalance`) see the new set complete; its misplaced objects are the rows +
 *                 blobs the new OSDs still lack.
 * Health counts an OSD that is down only if it is in or some PG lists it (current or old
 * set): an out OSD that holds nothing may stay stopped. An OSD whose data directory is not
 * the one the map records (PING incarnation, DESIGN rule 4) refuses service: HEALTH_WARN, with
 * the command that admits it.
 * With --json --pgs the JSON also lists every PG: pool, pg, replica OSDs, replicas missing,
 * and whether the answering replicas differ.
 * Exit status: 0 when the cluster answered (whatever its health), 1 when no OSD could be
 * reached, 2 for usage or config errors.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl.h"
#include "tn_osdc_sync.h"

typedef struct {
    int32_t id;
    const char *host;
    char addr[PL_ADDR_MAX];
    int up;
    int err;
    uint64_t epoch;
    uint64_t incarnation; /* its data directory's, from PING */
    int has_stats;
    /* from the map and the PGs: in (takes data), the PGs that list it (current or old set),
     * those it is filling (in a moving PG's current set but not its old set: it counts toward
     * no quorum there), and whether the map records another data directory for it (rule 4) */
    int in, not_admitted, recorded;
    uint64_t pgs_listed, pgs_filling;
    /* selected STATS values */
    uint64_t disk_total, disk_avail, rec_passes, rec_running, rec_pass_pgs, rec_pass_done;
    uint64_t rows_pulled, rows_pushed, blobs_pulled, rec_bytes, rec_errors, last_pass_ms;
    uint64_t deep_passes, scrub_blobs, scrub_bytes, scrub_found, scrub_repaired;
    uint64_t blob_checksum_errors, blob_corrupt_errors, idx_checksum_errors, idx_healthy;
    uint64_t gc_runs, gc_collected, gc_blobs, gc_bytes, gc_pending, gc_waiting, gc_errors;
    uint64_t gc_aborted, gc_tombs;
} osd_view_t;

typedef struct {
    uint32_t pool, pg;
    const char *pool_name;
    int n, n_cur, size, missing, differ, moving;
    uint64_t misplaced; /* rows + blobs the new OSDs of a moving PG still lack (estimate) */
    int32_t osds[PL_MAX_HOLDERS]; /* holders: the current set, then a moving PG's old set */
} pg_view_t;

typedef struct {
    uint64_t total, clean, degraded, inconsistent, unavailable, backfilling, misplaced;
    uint64_t missing[PL_MAX_SIZE + 1]; /* PGs by number of replicas missing */
} pg_counts_t;

static void usage_status(FILE *f)
{
    fputs("usage: ternctl status --config FILE [--json [--pgs]] [--timeout-ms N]\n"
          "\n"
          "Asks every OSD of the cluster (PING, MAP_GET, STATS, PG_DIGEST of every PG) and\n"
          "prints the map epoch, OSDs up/down with disk usage, PGs by state (clean, degraded,\n"
          "inconsistent, unavailable), and repair and scrub counters. --timeout-ms bounds each\n"
          "request (default 2000). --pgs (with --json) lists every PG with its replicas.\n",
          f);
}

static void take_stat(osd_view_t *v, tn_slice_t name, uint64_t val)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
        {"disk.total_bytes", offsetof(osd_view_t, disk_total)},
        {"disk.avail_bytes", offsetof(osd_view_t, disk_avail)},
        {"recovery.passes", offsetof(osd_view_t, rec_passes)},
        {"recovery.running", offsetof(osd_view_t, rec_running)},
        {"recovery.pass_pgs", offsetof(osd_view_t, rec_pass_pgs)},
        {"recovery.pass_done", offsetof(osd_view_t, rec_pass_done)},
        {"recovery.rows_pulled", offsetof(osd_view_t, rows_pulled)},
        {"recovery.rows_pushed", offsetof(osd_view_t, rows_pushed)},
        {"recovery.blobs_pulled", offsetof(osd_view_t, blobs_pulled)},
        {"recovery.bytes", offsetof(osd_view_t, rec_bytes)},
        {"recovery.errors", offsetof(osd_view_t, rec_errors)},
        {"recovery.last_pass_ms", offsetof(osd_view_t, last_pass_ms)},
        {"scrub.deep_passes", offsetof(osd_view_t, deep_passes)},
        {"scrub.blobs_checked", offsetof(osd_view_t, scrub_blobs)},
        {"scrub.bytes", offsetof(osd_view_t, scrub_bytes)},
        {"scrub.errors_found", offsetof(osd_view_t, scrub_found)},
        {"scrub.errors_repaired", offsetof(osd_view_t, scrub_repaired)},
        {"blob.checksum_errors", offsetof(osd_view_t, blob_checksum_errors)},
        {"blob.corrupt_errors", offsetof(osd_view_t, blob_corrupt_errors)},
        {"idx.checksum_errors", offsetof(osd_view_t, idx_checksum_errors)},
        {"idx.healthy", offsetof(osd_view_t, idx_healthy)},
        {"gc.runs", offsetof(osd_view_t, gc_runs)},
        {"gc.intents_collected", offsetof(osd_view_t, gc_collected)},
        {"gc.blobs_deleted", offsetof(osd_view_t, gc_blobs)},
        {"gc.bytes_reclaimed", offsetof(osd_view_t, gc_bytes)},
        {"gc.intents_pending", offsetof(osd_view_t, gc_pending)},
        {"gc.intents_waiting", offsetof(osd_view_t, gc_waiting)},
        {"gc.errors", offsetof(osd_view_t, gc_errors)},
        {"gc.uploads_aborted", offsetof(osd_view_t, gc_aborted)},
        {"gc.tombstones_purged", offsetof(osd_view_t, gc_tombs)},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(map); i++)
        if (strlen(map[i].name) == name.len && memcmp(map[i].name, name.base, name.len) == 0)
            *(uint64_t *)((char *)v + map[i].off) = val;
}

static void query_osd(tn_osdc_sync_t *cl, osd_view_t *v)
{
    tn_ping_rep_t pr;
    v->err = tn_osdc_sync_ping(cl, v->id, &pr);
    v->up = v->err == 0;
    if (!v->up)
        return;
    uint16_t st;
    uint64_t hlc;
    tn_osdc_sync_last(cl, &st, &v->epoch, &hlc);
    v->incarnation = pr.incarnation;
}

static void query_stats(tn_osdc_sync_t *cl, osd_view_t *v)
{
    uint8_t *body = NULL;
    size_t len = 0;
    if (tn_osdc_sync_stats(cl, v->id, &body, &len) == 0) {
        tn_proto_iter_t it;
        uint32_t n;
        if (tn_proto_dec_stats_rep(body, len, &it, &n) == 0) {
            tn_slice_t name;
            uint64_t val;
            while (tn_proto_next_stat(&it, &name, &val) == 1)
                take_stat(v, name, val);
            v->has_stats = 1;
        }
    }
    free(body);
}

static int digest_eq(const tn_pg_digest_rep_t *a, const tn_pg_digest_rep_t *b)
{
    return a->all.count == b->all.count && a->all.h1 == b->all.h1 && a->all.h2 == b->all.h2 &&
           a->blob_count == b->blob_count && a->blob_hash == b->blob_hash;
}

static const osd_view_t *find_view(const osd_view_t *v, size_t n, int32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id)
            return &v[i];
    return NULL;
}

/* Asks every holder of the PG q that is up; q->missing = replicas of the current set that did
 * not answer (or are unplaced); returns 1 if the answers differ. For a moving PG, q->misplaced
 * = the old primary's rows + blobs times the new OSDs whose digest differs from it. */
static int check_pg(tn_osdc_sync_t *cl, const osd_view_t *views, size_t nv, pg_view_t *q)
{
    tn_pg_digest_rep_t d[PL_MAX_HOLDERS];
    int ok[PL_MAX_HOLDERS] = {0};
    int first = -1, differ = 0;
    q->missing = q->size - q->n_cur;
    /* every holder's digest as of one cut-off (tn_proto.h): holders asked one after another
     * otherwise differ by the writes between their answers, and a written PG shows inconsistent */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t cutoff =
        tn_proto_digest_cutoff((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
    for (int i = 0; i < q->n; i++) {
        const osd_view_t *v = find_view(views, nv, q->osds[i]);
        if (v == NULL || !v->up ||
            tn_osdc_sync_pg_digest(cl, q->osds[i], q->pool, q->pg, cutoff, &d[i]) != 0) {
            q->missing += i < q->n_cur;
            continue;
        }
        ok[i] = 1;
        if (first >= 0 && !digest_eq(&d[first], &d[i]))
            differ = 1;
        if (first < 0)
            first = i;
    }
    q->misplaced = 0;
    if (q->moving && q->n > q->n_cur && ok[q->n_cur]) {
        /* the first old-only holder stands for the old set's content */
        const tn_pg_digest_rep_t *o = &d[q->n_cur];
        for (int i = 0; i < q->n_cur; i++)
            if (!ok[i] || !digest_eq(o, &d[i]))
                q->misplaced += o->all.count + o->blob_count;
    }
    return differ;
}

static void human_bytes(uint64_t b, char *out, size_t len)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double x = (double)b;
    int i = 0;
    while (x >= 1024 && i < 5) {
        x /= 1024;
        i++;
    }
    snprintf(out, len, i == 0 ? "%.0f %s" : "%.1f %s", x, u[i]);
}

int ctl_cmd_status(int argc, char **argv)
{
    const char *config = NULL;
    int json = 0, list_pgs = 0;
    long timeout_ms = 2000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_status(stdout);
            return CTL_EXIT_OK;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--pgs") == 0) {
            list_pgs = 1;
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
            if (ctl_parse_timeout_ms(argv[++i], &timeout_ms) != CTL_EXIT_OK)
                return CTL_EXIT_USAGE;
        } else {
            usage_status(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (config == NULL) {
        usage_status(stderr);
        return CTL_EXIT_USAGE;
    }
    conf_t *conf = NULL;
    pl_map_t *map = NULL;
    int rc = ctl_load(config, &conf, &map);
    if (rc != CTL_EXIT_OK)
        return rc;
    int exit_code = CTL_EXIT_FAIL;
    pg_view_t *pgv = NULL;
    tn_osdc_sync_t *cl = ctl_client(map->epoch, timeout_ms);
    osd_view_t *views = calloc(conf->n_osds, sizeof(*views));
    void *work = NULL;
    if (cl == NULL || views == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    /* every OSD the config knows */
    size_t nv = conf->n_osds, n_up = 0;
    for (size_t i = 0; i < nv; i++) {
        const conf_osd_t *o = &conf->osds[i];
        views[i].id = o->id;
        views[i].host = o->host;
        ctl_osd_addr(o, views[i].addr, sizeof(views[i].addr));
        tn_osdc_set_osd(tn_osdc_sync_client(cl), o->id, views[i].addr);
    }
    for (size_t i = 0; i < nv; i++) {
        query_osd(cl, &views[i]);
        n_up += views[i].up;
    }
    if (n_up == 0) {
        ctl_err("cannot reach any OSD of cluster '%s' (%zu OSDs in %s, first at %s: %s); is the "
                "cluster running, and is this the right config?",
                conf->cluster.name, nv, config, nv ? views[0].addr : "-",
                nv ? tn_strerror(views[0].err) : "-");
        goto out;
    }
    /* the newest map any OSD holds */
    uint64_t best = map->epoch;
    int32_t best_osd = -1;
    for (size_t i = 0; i < nv; i++)
        if (views[i].up && views[i].epoch > best) {
            best = views[i].epoch;
            best_osd = views[i].id;
        }
    if (best_osd >= 0) {
        uint8_t *buf = NULL;
        size_t len = 0;
        pl_map_t *m = NULL;
        if (tn_osdc_sync_map_get(cl, best_osd, 0, &buf, &len) == 0 &&
            pl_map_decode(buf, len, &m) == 0) {
            pl_map_destroy(map);
            map = m;
        }
        free(buf);
    }
    tn_osdc_set_epoch(tn_osdc_sync_client(cl), map->epoch);
    /* OSDs the map has and the config file does not (added with `ternctl osd add`) */
    for (uint32_t i = 0; i < map->n_osds; i++) {
        if (find_view(views, nv, map->osds[i].id) != NULL)
            continue;
        osd_view_t *nvw = realloc(views, (nv + 1) * sizeof(*views));
        if (nvw == NULL)
            break;
        views = nvw;
        osd_view_t *v = &views[nv++];
        memset(v, 0, sizeof(*v));
        v->id = map->osds[i].id;
        v->host = map->hosts[map->osds[i].host].name;
        snprintf(v->addr, sizeof(v->addr), "%s", map->osds[i].addr);
        tn_osdc_set_osd(tn_osdc_sync_client(cl), v->id, v->addr);
        query_osd(cl, v);
        n_up += v->up;
    }
    size_t wsz = (pl_work_size(map) + 7) / 8 * 8;
    work = aligned_alloc(8, wsz);
    if (work == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    pg_counts_t pc;
    memset(&pc, 0, sizeof(pc));
    size_t npgs = 0;
    for (uint32_t p = 0; p < map->n_pools; p++)
        npgs += map->pools[p].pg_num;
    pgv = calloc(npgs ? npgs : 1, sizeof(*pgv));
    if (pgv == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    size_t ipg = 0, n_differ = 0;
    for (uint32_t p = 0; p < map->n_pools; p++) {
        const pl_pool_t *pool = &map->pools[p];
        for (uint32_t pg = 0; pg < pool->pg_num && ipg < npgs; pg++) {
            pg_view_t *q = &pgv[ipg];
            int n = pl_pg_holders(map, pool, pg, q->osds, PL_MAX_HOLDERS, &q->n_cur, work);
            if (n < 0)
                continue;
            ipg++;
            q->pool = pool->id;
            q->pool_name = pool->name;
            q->size = pool->size;
            q->pg = pg;
            q->n = n;
            q->moving = pl_map_moving(map, pool->id, pg) != NULL;
            q->differ = check_pg(cl, views, nv, q);
            n_differ += q->differ;
        }
    }
    if (n_differ > 0) {
        /* a write in flight makes digests differ for an instant: ask those PGs again */
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
        for (size_t i = 0; i < ipg; i++)
            if (pgv[i].differ)
                pgv[i].differ = check_pg(cl, views, nv, &pgv[i]);
    }
    /* per OSD: in/out, admission (rule 4), PGs that list it, PGs it is filling */
    size_t n_down_listed = 0, n_not_admitted = 0, n_unrecorded = 0;
    for (size_t i = 0; i < nv; i++) {
        osd_view_t *v = &views[i];
        const pl_osd_t *o = pl_map_find_osd(map, v->id);
        v->in = o != NULL && o->in;
        v->recorded = o != NULL && o->incarnation != 0;
        n_unrecorded += o != NULL && o->incarnation == 0;
        v->not_admitted =
            o != NULL && v->up && o->incarnation != 0 && v->incarnation != o->incarnation;
        n_not_admitted += v->not_admitted;
        for (size_t k = 0; k < ipg; k++) {
            const pg_view_t *q = &pgv[k];
            int at = -1;
            for (int j = 0; j < q->n; j++)
                if (q->osds[j] == v->id)
                    at = j;
            if (at < 0)
                continue;
            v->pgs_listed++;
            const pl_moving_t *e = q->moving ? pl_map_moving(map, q->pool, q->pg) : NULL;
            int in_old = 0;
            for (int j = 0; e != NULL && j < e->n; j++)
                in_old |= e->old[j] == v->id;
            v->pgs_filling += e != NULL && at < q->n_cur && !in_old;
        }
        /* an OSD that is out and that no PG lists (current or old set) holds nothing anyone
         * needs: down is its normal state, not a health problem */
        n_down_listed += !v->up && (v->in || v->pgs_listed > 0);
    }
    for (size_t i = 0; i < ipg; i++) {
        const pg_view_t *q = &pgv[i];
        pc.total++;
        if (q->moving) {
            pc.backfilling++;
            pc.misplaced += q->misplaced;
        }
        if (q->missing >= q->size) {
            pc.unavailable++;
            continue;
        }
        pc.missing[q->missing]++;
        if (q->missing > 0)
            pc.degraded++;
        if (q->differ)
            pc.inconsistent++;
        if (q->missing == 0 && !q->differ && !q->moving)
            pc.clean++;
    }
    /* counters after the PG states, so they are at least as recent */
    for (size_t i = 0; i < nv; i++)
        if (views[i].up)
            query_stats(cl, &views[i]);
    /* totals */
    osd_view_t t;
    memset(&t, 0, sizeof(t));
    uint64_t running = 0;
    for (size_t i = 0; i < nv; i++) {
        const osd_view_t *v = &views[i];
        t.disk_total += v->disk_total;
        t.disk_avail += v->disk_avail;
        t.rows_pulled += v->rows_pulled;
        t.rows_pushed += v->rows_pushed;
        t.blobs_pulled += v->blobs_pulled;
        t.rec_bytes += v->rec_bytes;
        t.rec_errors += v->rec_errors;
        t.deep_passes += v->deep_passes;
        t.scrub_blobs += v->scrub_blobs;
        t.scrub_bytes += v->scrub_bytes;
        t.scrub_found += v->scrub_found;
        t.scrub_repaired += v->scrub_repaired;
        t.blob_checksum_errors += v->blob_checksum_errors;
        t.blob_corrupt_errors += v->blob_corrupt_errors;
        running += v->rec_running;
        t.gc_runs += v->gc_runs;
        t.gc_collected += v->gc_collected;
        t.gc_blobs += v->gc_blobs;
        t.gc_bytes += v->gc_bytes;
        t.gc_pending += v->gc_pending;
        t.gc_waiting += v->gc_waiting;
        t.gc_errors += v->gc_errors;
        t.gc_aborted += v->gc_aborted;
        t.gc_tombs += v->gc_tombs;
    }
    const char *health = "HEALTH_OK";
    if (pc.unavailable > 0 || t.scrub_found > t.scrub_repaired)
        health = "HEALTH_ERR";
    else if (n_down_listed > 0 || n_not_admitted > 0 || pc.degraded > 0 || pc.inconsistent > 0 ||
             pc.backfilling > 0)
        health = "HEALTH_WARN";
    if (json) {
        printf("{\"cluster\":");
        ctl_json_str(stdout, conf->cluster.name);
        printf(",\"health\":\"%s\",\"epoch\":%" PRIu64 ",\"osds_total\":%zu,\"osds_up\":%zu,",
               health, map->epoch, nv, n_up);
        printf("\"osds\":[");
        for (size_t i = 0; i < nv; i++) {
            const osd_view_t *v = &views[i];
            printf("%s{\"id\":%d,\"host\":", i ? "," : "", v->id);
            ctl_json_str(stdout, v->host);
            printf(",\"addr\":");
            ctl_json_str(stdout, v->addr);
            printf(",\"up\":%s,\"in\":%s,\"pgs\":%" PRIu64 ",\"filling_pgs\":%" PRIu64
                   ",\"not_admitted\":%s,\"incarnation_recorded\":%s",
                   v->up ? "true" : "false", v->in ? "true" : "false", v->pgs_listed,
                   v->pgs_filling, v->not_admitted ? "true" : "false",
                   v->recorded ? "true" : "false");
            if (v->up)
                printf(",\"epoch\":%" PRIu64 ",\"disk_total_bytes\":%" PRIu64
                       ",\"disk_avail_bytes\":%" PRIu64 ",\"recovery_running\":%" PRIu64
                       ",\"recovery_passes\":%" PRIu64 ",\"recovery_bytes\":%" PRIu64
                       ",\"recovery_blobs_pulled\":%" PRIu64 ",\"recovery_rows_pulled\":%" PRIu64
                       ",\"scrub_deep_passes\":%" PRIu64 ",\"scrub_errors_found\":%" PRIu64
                       ",\"scrub_errors_repaired\":%" PRIu64,
                       v->epoch, v->disk_total, v->disk_avail, v->rec_running, v->rec_passes,
                       v->rec_bytes, v->blobs_pulled, v->rows_pulled, v->deep_passes,
                       v->scrub_found, v->scrub_repaired);
            printf("}");
        }
        printf("],\"pgs\":{\"total\":%" PRIu64 ",\"clean\":%" PRIu64 ",\"degraded\":%" PRIu64
               ",\"inconsistent\":%" PRIu64 ",\"unavailable\":%" PRIu64 ",\"backfilling\":%" PRIu64
               ",\"misplaced_objects\":%" PRIu64 ",\"missing_replicas\":{",
               pc.total, pc.clean, pc.degraded, pc.inconsistent, pc.unavailable, pc.backfilling,
               pc.misplaced);
        int first = 1;
        for (int k = 1; k <= PL_MAX_SIZE; k++)
            if (pc.missing[k]) {
                printf("%s\"%d\":%" PRIu64, first ? "" : ",", k, pc.missing[k]);
                first = 0;
            }
        printf("}},\"recovery\":{\"osds_running\":%" PRIu64 ",\"rows_pulled\":%" PRIu64
               ",\"rows_pushed\":%" PRIu64 ",\"blobs_pulled\":%" PRIu64 ",\"bytes\":%" PRIu64
               ",\"errors\":%" PRIu64 "},",
               running, t.rows_pulled, t.rows_pushed, t.blobs_pulled, t.rec_bytes, t.rec_errors);
        printf("\"scrub\":{\"deep_passes\":%" PRIu64 ",\"blobs_checked\":%" PRIu64
               ",\"bytes\":%" PRIu64 ",\"errors_found\":%" PRIu64 ",\"errors_repaired\":%" PRIu64
               ",\"read_checksum_errors\":%" PRIu64 "}",
               t.deep_passes, t.scrub_blobs, t.scrub_bytes, t.scrub_found, t.scrub_repaired,
               t.blob_checksum_errors + t.blob_corrupt_errors);
        printf(",\"gc\":{\"runs\":%" PRIu64 ",\"versions_collected\":%" PRIu64
               ",\"blobs_deleted\":%" PRIu64 ",\"bytes_reclaimed\":%" PRIu64 ",\"pending\":%" PRIu64
               ",\"waiting\":%" PRIu64 ",\"uploads_aborted\":%" PRIu64
               ",\"tombstones_purged\":%" PRIu64 ",\"errors\":%" PRIu64 "}",
               t.gc_runs, t.gc_collected, t.gc_blobs, t.gc_bytes, t.gc_pending, t.gc_waiting,
               t.gc_aborted, t.gc_tombs, t.gc_errors);
        if (list_pgs) {
            printf(",\"pg_list\":[");
            for (size_t i = 0; i < ipg; i++) {
                const pg_view_t *q = &pgv[i];
                printf("%s{\"pool\":%u,\"pool_name\":", i ? "," : "", q->pool);
                ctl_json_str(stdout, q->pool_name);
                printf(",\"pg\":%u,\"osds\":[", q->pg);
                for (int k = 0; k < q->n; k++)
                    printf("%s%d", k ? "," : "", q->osds[k]);
                printf("],\"current\":%d,\"missing\":%d,\"inconsistent\":%s,\"backfilling\":%s}",
                       q->n_cur, q->missing, q->differ ? "true" : "false",
                       q->moving ? "true" : "false");
            }
            printf("]");
        }
        printf("}\n");
    } else {
        char a[32], b[32];
        printf("cluster: %s (%s)\n", conf->cluster.name, conf->cluster.id_hex);
        printf("  health: %s\n", health);
        if (n_down_listed > 0)
            printf("          %zu OSD%s down\n", n_down_listed, n_down_listed == 1 ? "" : "s");
        for (size_t i = 0; i < nv; i++)
            if (views[i].not_admitted)
                printf("          osd.%d has a new data directory and refuses service: run "
                       "`ternctl osd replace %d` to admit it\n",
                       views[i].id, views[i].id);
        if (pc.degraded)
            printf("          %" PRIu64 " PGs degraded (some replicas missing)\n", pc.degraded);
        if (pc.inconsistent)
            printf("          %" PRIu64 " PGs inconsistent (replicas differ; repair pending)\n",
                   pc.inconsistent);
        if (pc.unavailable)
            printf("          %" PRIu64 " PGs unavailable (no replica answers)\n", pc.unavailable);
        if (pc.backfilling)
            printf("          %" PRIu64 " PGs backfilling, %" PRIu64 " misplaced objects "
                   "(they complete by themselves once backfilled)\n",
                   pc.backfilling, pc.misplaced);
        if (t.scrub_found > t.scrub_repaired)
            printf("          %" PRIu64 " scrub errors not repaired\n",
                   t.scrub_found - t.scrub_repaired);
        human_bytes(t.disk_total - t.disk_avail, a, sizeof(a));
        human_bytes(t.disk_total, b, sizeof(b));
        if (n_unrecorded > 0)
            printf("          note: the map does not record the data directory of %zu OSD%s "
                   "yet; `ternctl rebalance` (or any map change) records them, so that a "
                   "replaced disk is refused until admitted\n",
                   n_unrecorded, n_unrecorded == 1 ? "" : "s");
        printf("\n  map:    epoch %" PRIu64 ", %u hosts, %zu OSDs: %zu up, %zu down\n", map->epoch,
               map->n_hosts, nv, n_up, nv - n_up);
        printf("  usage:  %s used of %s (summed over the up OSDs' file systems)\n", a, b);
        printf("  pgs:    %" PRIu64 " total: %" PRIu64 " clean", pc.total, pc.clean);
        for (int k = 1; k <= PL_MAX_SIZE; k++)
            if (pc.missing[k])
                printf(", %" PRIu64 " degraded (%d replica%s missing)", pc.missing[k], k,
                       k == 1 ? "" : "s");
        if (pc.inconsistent)
            printf(", %" PRIu64 " inconsistent", pc.inconsistent);
        if (pc.unavailable)
            printf(", %" PRIu64 " unavailable", pc.unavailable);
        if (pc.backfilling)
            printf(", %" PRIu64 " backfilling", pc.backfilling);
        printf("\n");
        human_bytes(t.rec_bytes, a, sizeof(a));
        printf("  repair: %" PRIu64 " OSDs in a pass; so far %" PRIu64 " rows pulled, %" PRIu64
               " rows pushed, %" PRIu64 " blobs pulled, %s moved, %" PRIu64 " errors\n",
               running, t.rows_pulled, t.rows_pushed, t.blobs_pulled, a, t.rec_errors);
        human_bytes(t.scrub_bytes, a, sizeof(a));
        printf("  scrub:  %" PRIu64 " deep passes, %" PRIu64 " blobs (%s) checked, %" PRIu64
               " errors found, %" PRIu64 " repaired; %" PRIu64 " checksum errors seen by reads\n",
               t.deep_passes, t.scrub_blobs, a, t.scrub_found, t.scrub_repaired,
               t.blob_checksum_errors + t.blob_corrupt_errors);
        human_bytes(t.gc_bytes, a, sizeof(a));
        printf("  gc:     %" PRIu64 " runs; %" PRIu64 " versions collected, %" PRIu64
               " blob files (%s) deleted; %" PRIu64 " versions in grace, %" PRIu64
               " waiting for a replica, %" PRIu64 " errors\n",
               t.gc_runs, t.gc_collected, t.gc_blobs, a, t.gc_pending, t.gc_waiting, t.gc_errors);
        printf("\n  %-6s %-12s %-22s %-8s %10s %10s %s\n", "OSD", "HOST", "ADDRESS", "STATE",
               "USED", "SIZE", "REPAIR");
        for (size_t i = 0; i < nv; i++) {
            const osd_view_t *v = &views[i];
            char used[32] = "-", size[32] = "-", prog[128] = "-";
            if (v->up && v->disk_total) {
                human_bytes(v->disk_total - v->disk_avail, used, sizeof(used));
                human_bytes(v->disk_total, size, sizeof(size));
            }
            if (v->up && v->rec_running)
                snprintf(prog, sizeof(prog), "pass %" PRIu64 "/%" PRIu64 " PGs", v->rec_pass_done,
                         v->rec_pass_pgs);
            else if (v->up && v->rec_passes)
                snprintf(prog, sizeof(prog), "idle (last pass %" PRIu64 " ms)", v->last_pass_ms);
            if (v->not_admitted)
                snprintf(prog, sizeof(prog), "NOT ADMITTED: ternctl osd replace %d", v->id);
            else if (v->pgs_filling > 0) {
                size_t l = strcmp(prog, "-") == 0 ? 0 : strlen(prog);
                snprintf(prog + l, sizeof(prog) - l, "%sfilling %" PRIu64 " PGs (not voting there)",
                         l ? "; " : "", v->pgs_filling);
            }
            char state[16];
            snprintf(state, sizeof(state), "%s%s", v->up ? "up" : "down", v->in ? "" : "/out");
            printf("  osd.%-2d %-12s %-22s %-8s %10s %10s %s\n", v->id, v->host, v->addr, state,
                   used, size, prog);
        }
    }
    exit_code = CTL_EXIT_OK;
out:
    free(pgv);
    free(work);
    free(views);
    tn_osdc_sync_destroy(cl);
    pl_map_destroy(map);
    conf_free(conf);
    return exit_code;
}
