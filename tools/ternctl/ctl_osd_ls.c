/*
 * ctl_osd_ls.c — `ternctl osd ls`: one line per OSD of a running cluster.
 *
 *   ternctl osd ls --config FILE [--json] [--timeout-ms N]
 *
 * Asks every OSD of the config (PING: up/down and incarnation; STATS: disk usage), takes the
 * newest map any OSD holds (MAP_GET) for in/out and weight, and counts the PGs the map places
 * on each OSD (all pools). Columns: ID HOST ADDR STATUS (up|down) IN (in|out) WEIGHT
 * INCARNATION USED FREE PGS, aligned, sizes in KiB/MiB/GiB/TiB; "-" where a down OSD cannot
 * tell. --json prints an array of objects with the same fields (sizes in bytes, null when
 * unknown). Exit status: 0 when at least one OSD answered, 1 when none could be reached (the
 * message says which address was tried and why), 2 for usage or config errors (every config
 * error as file:line:column).
 */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "tn_osdc_sync.h"

typedef struct {
    int32_t id;
    const char *host;
    char addr[PL_ADDR_MAX];
    int up, err, in, has_disk;
    uint32_t weight; /* 16.16 */
    uint64_t incarnation, epoch, disk_total, disk_avail, pgs;
} osd_row_t;

static void usage_osd_ls(FILE *f)
{
    fputs("usage: ternctl osd ls --config FILE [--json] [--timeout-ms N]\n"
          "\n"
          "One line per OSD: id, host, address, up/down, in/out, weight, incarnation, disk\n"
          "used and free, and the number of PGs the current map places on it. --json prints\n"
          "the same as an array of objects. --timeout-ms bounds each request (default 2000).\n",
          f);
}

static void human(uint64_t b, char *out, size_t len)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double x = (double)b;
    int i = 0;
    while (x >= 1024 && i < 5) {
        x /= 1024;
        i++;
    }
    snprintf(out, len, i == 0 ? "%.0f%s" : "%.1f%s", x, u[i]);
}

static void query(tn_osdc_sync_t *cl, osd_row_t *r)
{
    tn_ping_rep_t pr;
    r->err = tn_osdc_sync_ping(cl, r->id, &pr);
    r->up = r->err == 0;
    if (!r->up)
        return;
    r->incarnation = pr.incarnation;
    uint16_t st;
    uint64_t hlc;
    tn_osdc_sync_last(cl, &st, &r->epoch, &hlc);
    uint8_t *body = NULL;
    size_t len = 0;
    tn_proto_iter_t it;
    uint32_t n;
    if (tn_osdc_sync_stats(cl, r->id, &body, &len) == 0 &&
        tn_proto_dec_stats_rep(body, len, &it, &n) == 0) {
        tn_slice_t name;
        uint64_t val;
        while (tn_proto_next_stat(&it, &name, &val) == 1) {
            if (name.len == 16 && memcmp(name.base, "disk.total_bytes", 16) == 0)
                r->disk_total = val, r->has_disk = 1;
            else if (name.len == 16 && memcmp(name.base, "disk.avail_bytes", 16) == 0)
                r->disk_avail = val;
        }
    }
    free(body);
}

/* The newest map any up OSD holds, or the config's (epoch 1). */
static pl_map_t *newest_map(tn_osdc_sync_t *cl, osd_row_t *rows, size_t n, pl_map_t *map)
{
    uint64_t best = map->epoch;
    int32_t from = -1;
    for (size_t i = 0; i < n; i++)
        if (rows[i].up && rows[i].epoch > best) {
            best = rows[i].epoch;
            from = rows[i].id;
        }
    if (from < 0)
        return map;
    uint8_t *buf = NULL;
    size_t len = 0;
    pl_map_t *m = NULL;
    if (tn_osdc_sync_map_get(cl, from, 0, &buf, &len) == 0 && pl_map_decode(buf, len, &m) == 0) {
        pl_map_destroy(map);
        map = m;
    }
    free(buf);
    return map;
}

static osd_row_t *find_row(osd_row_t *rows, size_t n, int32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == id)
            return &rows[i];
    return NULL;
}

static int count_pgs(const pl_map_t *map, osd_row_t *rows, size_t n)
{
    size_t wsz = (pl_work_size(map) + 7) / 8 * 8;
    void *work = aligned_alloc(8, wsz);
    if (work == NULL)
        return -1;
    for (uint32_t p = 0; p < map->n_pools; p++) {
        const pl_pool_t *pool = &map->pools[p];
        for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
            int32_t osds[PL_MAX_SIZE];
            int k = pl_pg_osds(map, pool, pg, osds, PL_MAX_SIZE, work);
            for (int j = 0; j < k; j++) {
                osd_row_t *r = osds[j] == PL_ITEM_NONE ? NULL : find_row(rows, n, osds[j]);
                if (r != NULL)
                    r->pgs++;
            }
        }
    }
    free(work);
    return 0;
}

static void print_json(const osd_row_t *rows, size_t n)
{
    printf("[");
    for (size_t i = 0; i < n; i++) {
        const osd_row_t *r = &rows[i];
        printf("%s{\"id\":%d,\"host\":", i ? "," : "", r->id);
        ctl_json_str(stdout, r->host);
        printf(",\"addr\":");
        ctl_json_str(stdout, r->addr);
        printf(",\"up\":%s,\"in\":%s,\"weight\":%.4f", r->up ? "true" : "false",
               r->in ? "true" : "false", r->weight / 65536.0);
        if (r->up)
            printf(",\"incarnation\":\"%016" PRIx64 "\"", r->incarnation);
        else
            printf(",\"incarnation\":null");
        if (r->up && r->has_disk)
            printf(",\"disk_total\":%" PRIu64 ",\"disk_used\":%" PRIu64 ",\"disk_free\":%" PRIu64,
                   r->disk_total, r->disk_total - TN_MIN(r->disk_avail, r->disk_total),
                   r->disk_avail);
        else
            printf(",\"disk_total\":null,\"disk_used\":null,\"disk_free\":null");
        printf(",\"pgs\":%" PRIu64 "}", r->pgs);
    }
    printf("]\n");
}

static void print_table(const osd_row_t *rows, size_t n)
{
    enum { NCOL = 10 };
    static const char *const head[NCOL] = {"ID",     "HOST",        "ADDR", "STATUS", "IN",
                                           "WEIGHT", "INCARNATION", "USED", "FREE",   "PGS"};
    static const int right[NCOL] = {0, 0, 0, 0, 0, 1, 0, 1, 1, 1};
    char(*cell)[NCOL][64] = calloc(n + 1, sizeof(*cell));
    if (cell == NULL) {
        ctl_err("out of memory");
        return;
    }
    for (int c = 0; c < NCOL; c++)
        snprintf(cell[0][c], 64, "%s", head[c]);
    for (size_t i = 0; i < n; i++) {
        const osd_row_t *r = &rows[i];
        char(*row)[64] = cell[i + 1];
        snprintf(row[0], 64, "%d", r->id);
        snprintf(row[1], 64, "%s", r->host);
        snprintf(row[2], 64, "%s", r->addr);
        snprintf(row[3], 64, "%s", r->up ? "up" : "down");
        snprintf(row[4], 64, "%s", r->in ? "in" : "out");
        snprintf(row[5], 64, "%.2f", r->weight / 65536.0);
        if (r->up)
            snprintf(row[6], 64, "%016" PRIx64, r->incarnation);
        else
            snprintf(row[6], 64, "-");
        if (r->up && r->has_disk) {
            human(r->disk_total - TN_MIN(r->disk_avail, r->disk_total), row[7], 64);
            human(r->disk_avail, row[8], 64);
        } else {
            snprintf(row[7], 64, "-");
            snprintf(row[8], 64, "-");
        }
        snprintf(row[9], 64, "%" PRIu64, r->pgs);
    }
    int w[NCOL] = {0};
    for (size_t i = 0; i <= n; i++)
        for (int c = 0; c < NCOL; c++)
            w[c] = TN_MAX(w[c], (int)strlen(cell[i][c]));
    for (size_t i = 0; i <= n; i++) {
        for (int c = 0; c < NCOL; c++) {
            const char *sep = c + 1 < NCOL ? "  " : "\n";
            if (c + 1 == NCOL && !right[c])
                printf("%s%s", cell[i][c], sep);
            else
                printf(right[c] ? "%*s%s" : "%-*s%s", w[c], cell[i][c], sep);
        }
    }
    free(cell);
}

int ctl_cmd_osd_ls(int argc, char **argv)
{
    const char *config = NULL;
    int json = 0;
    long timeout_ms = 2000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_osd_ls(stdout);
            return CTL_EXIT_OK;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
            if (ctl_parse_timeout_ms(argv[++i], &timeout_ms) != CTL_EXIT_OK)
                return CTL_EXIT_USAGE;
        } else {
            usage_osd_ls(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (config == NULL) {
        usage_osd_ls(stderr);
        return CTL_EXIT_USAGE;
    }
    conf_t *conf = NULL;
    pl_map_t *map = NULL;
    int rc = ctl_load(config, &conf, &map);
    if (rc != CTL_EXIT_OK)
        return rc;
    int exit_code = CTL_EXIT_FAIL;
    tn_osdc_sync_t *cl = ctl_client(map->epoch, timeout_ms);
    size_t n = conf->n_osds, n_up = 0;
    osd_row_t *rows = calloc(n ? n : 1, sizeof(*rows));
    if (cl == NULL || rows == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const conf_osd_t *o = &conf->osds[i];
        rows[i].id = o->id;
        rows[i].host = o->host;
        ctl_osd_addr(o, rows[i].addr, sizeof(rows[i].addr));
        tn_osdc_set_osd(tn_osdc_sync_client(cl), o->id, rows[i].addr);
    }
    for (size_t i = 0; i < n; i++) {
        query(cl, &rows[i]);
        n_up += rows[i].up;
    }
    if (n_up == 0) {
        ctl_err("cannot reach any OSD of cluster '%s' (%zu OSDs in %s, first at %s: %s); is the "
                "cluster running, and is this the right config?",
                conf->cluster.name, n, config, n ? rows[0].addr : "-",
                n ? tn_strerror(rows[0].err) : "-");
        goto out;
    }
    map = newest_map(cl, rows, n, map);
    for (size_t i = 0; i < n; i++) {
        rows[i].in = 0;
        rows[i].weight = 0;
        for (uint32_t k = 0; k < map->n_osds; k++)
            if (map->osds[k].id == rows[i].id) {
                rows[i].in = map->osds[k].in;
                rows[i].weight = map->osds[k].weight;
            }
    }
    if (count_pgs(map, rows, n) != 0) {
        ctl_err("out of memory");
        goto out;
    }
    if (json)
        print_json(rows, n);
    else
        print_table(rows, n);
    exit_code = CTL_EXIT_OK;
out:
    free(rows);
    tn_osdc_sync_destroy(cl);
    pl_map_destroy(map);
    conf_free(conf);
    return exit_code;
}
