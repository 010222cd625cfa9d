/*
 * ctl_osd_map.c — map changes on a running cluster (DESIGN rule 3, docs/OPERATIONS.md "Adding and
 * removing disks"):
 *
 *   ternctl osd add       --config F --id N [--host H --addr A:P] [--weight W] [--wait S]
 *   ternctl osd out|in    --config F ID [--wait S]
 *   ternctl osd reweight  --config F ID W [--wait S]
 *   ternctl rebalance     --config F [--wait S]
 *
 * A change reads the newest map any OSD holds, applies the change, recomputes the draw factors
 * (pl_map_rebalance), records which PGs move (pl_map_plan_moves: their old, complete sets) and
 * installs epoch + 1 with MAP_OFFER compare-and-set on every OSD of the new map, in ascending
 * id order. The first OSD that answers decides: if its CAS fails, another change won and
 * nothing was changed anywhere (run the command again). After that first acceptance every
 * other OSD gets a CAS too; one still at an older epoch (it missed a change while down) gets
 * the map by PROPAGATE; one that cannot be reached picks the epoch up from its peers (OSDs
 * exchange newer maps every second) when it returns.
 *
 * `rebalance` completes moves: a moving PG's entry is removed (in one new epoch for all such
 * PGs) once every OSD that answers is at the current epoch and every OSD of the PG's old and
 * new sets answers PG_DIGEST with equal digests (rows and blob lists): the new set then holds
 * everything the old set held, and writes since went to a quorum of both. Only then do the old
 * holders stop holding the PG. With --wait S, change commands then run this until no PG moves
 * or S seconds passed (exit 1 on timeout).
 *
 * The map, not the config file, is the source of truth for membership after `cluster init`:
 * the config gives each daemon its own settings (data directory, listen address) and gives
 * tools and gateways the addresses to find the cluster; OSDs added later are in the map (and
 * their own host's config, so that daemon can start).
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl.h"
#include "tn_osdc_sync.h"

static void usage_osd(FILE *f)
{
    fputs("usage: ternctl osd add --config FILE --id N [--host H --addr HOST:PORT] [--weight W]\n"
          "       ternctl osd out|in --config FILE ID\n"
          "       ternctl osd reweight --config FILE ID WEIGHT\n"
          "       ternctl rebalance --config FILE\n"
          "options: --wait SECONDS (wait until no PG moves), --timeout-ms N (per request)\n"
          "\n"
          "Changes the cluster map (epoch + 1, compare-and-set on every OSD). PGs whose replica\n"
          "set changes are backfilled by their new OSDs from the old ones; the old ones keep\n"
          "their copies until `ternctl rebalance` (or --wait) sees the new set complete.\n"
          "`osd add` takes host, address and weight from the OSD's entry in FILE if it has one.\n",
          f);
}

static long g_timeout_ms = 2000;

static tn_osdc_sync_t *client_for(const pl_map_t *m, const conf_t *conf)
{
    tn_osdc_sync_t *cl = ctl_client(m != NULL ? m->epoch : 1, g_timeout_ms);
    if (cl == NULL)
        return NULL;
    for (size_t i = 0; conf != NULL && i < conf->n_osds; i++) {
        const conf_osd_t *o = &conf->osds[i];
        char addr[PL_ADDR_MAX];
        ctl_osd_addr(o, addr, sizeof(addr));
        tn_osdc_set_osd(tn_osdc_sync_client(cl), o->id, addr);
    }
    for (uint32_t i = 0; m != NULL && i < m->n_osds; i++)
        if (m->osds[i].addr[0] != '\0')
            tn_osdc_set_osd(tn_osdc_sync_client(cl), m->osds[i].id, m->osds[i].addr);
    return cl;
}

int ctl_fetch_map(tn_osdc_sync_t *cl, const conf_t *conf, pl_map_t **map, size_t *n_up)
{
    /* ask every OSD of the config and of the map we learn (a map OSD may not be in the file) */
    uint64_t best = 0;
    int32_t best_osd = -1;
    *n_up = 0;
    int32_t ids[1024];
    size_t nids = 0;
    for (size_t i = 0; i < conf->n_osds && nids < 1024; i++)
        ids[nids++] = conf->osds[i].id;
    for (uint32_t i = 0; i < (*map)->n_osds && nids < 1024; i++) {
        size_t k = 0;
        while (k < nids && ids[k] != (*map)->osds[i].id)
            k++;
        if (k == nids)
            ids[nids++] = (*map)->osds[i].id;
    }
    for (size_t i = 0; i < nids; i++) {
        tn_ping_rep_t pr;
        if (tn_osdc_sync_ping(cl, ids[i], &pr) != 0)
            continue;
        (*n_up)++;
        uint16_t st;
        uint64_t ep, hlc;
        tn_osdc_sync_last(cl, &st, &ep, &hlc);
        if (ep > best) {
            best = ep;
            best_osd = ids[i];
        }
    }
    if (best_osd < 0)
        return -EHOSTUNREACH;
    uint8_t *buf = NULL;
    size_t len = 0;
    pl_map_t *m = NULL;
    int rc = tn_osdc_sync_map_get(cl, best_osd, 0, &buf, &len);
    if (rc == 0)
        rc = pl_map_decode(buf, len, &m);
    free(buf);
    if (rc != 0)
        return rc;
    pl_map_destroy(*map);
    *map = m;
    tn_osdc_set_epoch(tn_osdc_sync_client(cl), m->epoch);
    for (uint32_t i = 0; i < m->n_osds; i++)
        if (m->osds[i].addr[0] != '\0')
            tn_osdc_set_osd(tn_osdc_sync_client(cl), m->osds[i].id, m->osds[i].addr);
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

/* Installs next (epoch base + 1) on every OSD of next: see the top of the file. */
static int install(tn_osdc_sync_t *cl, const pl_map_t *next, uint64_t base)
{
    size_t need = 0;
    pl_map_encode(next, NULL, 0, &need);
    uint8_t *buf = malloc(need ? need : 1);
    int32_t *ids = malloc((next->n_osds ? next->n_osds : 1) * sizeof(int32_t));
    if (buf == NULL || ids == NULL || pl_map_encode(next, buf, need, &need) != 0) {
        free(buf);
        free(ids);
        ctl_err("cannot encode the new map");
        return CTL_EXIT_FAIL;
    }
    for (uint32_t i = 0; i < next->n_osds; i++)
        ids[i] = next->osds[i].id;
    qsort(ids, next->n_osds, sizeof(int32_t), cmp_i32);
    uint64_t hash = pl_map_hash(next);
    int decided = 0, failed = 0;
    int32_t behind[64];
    unsigned nbehind = 0;
    unsigned n_ok = 0, n_unreach = 0;
    for (uint32_t i = 0; i < next->n_osds; i++) {
        tn_map_offer_req_t req = {
            .mode = TN_PROTO_MAP_CAS, .base_epoch = base, .map = {(const char *)buf, need}};
        tn_map_offer_rep_t rep = {0};
        tn_osdc_set_epoch(tn_osdc_sync_client(cl), base);
        int rc = tn_osdc_sync_map_offer(cl, ids[i], &req, &rep);
        if (rc == TN_ERR_STALE_EPOCH && rep.epoch < base) {
            if (!decided && nbehind < 64) {
                behind[nbehind++] = ids[i]; /* it missed a change: not the one to decide */
                continue;
            }
            req.mode = TN_PROTO_MAP_PROPAGATE;
            rc = tn_osdc_sync_map_offer(cl, ids[i], &req, &rep);
        }
        if (rc == 0 || (rc == TN_ERR_STALE_EPOCH && rep.epoch == next->epoch && rep.hash == hash)) {
            decided = 1;
            n_ok++;
            continue;
        }
        if (rc == TN_ERR_STALE_EPOCH || rc == TN_ERR_CORRUPT) {
            if (!decided) {
                ctl_err("another map change won: osd.%d holds epoch %" PRIu64
                        " (we changed epoch %" PRIu64 "); nothing was changed, run the command "
                        "again",
                        ids[i], rep.epoch, base);
                free(buf);
                free(ids);
                return CTL_EXIT_FAIL;
            }
            ctl_err("osd.%d refused epoch %" PRIu64 ": it holds epoch %" PRIu64 " hash %016" PRIx64
                    " (a concurrent change?); run `ternctl status`",
                    ids[i], next->epoch, rep.epoch, rep.hash);
            failed++;
            continue;
        }
        n_unreach++;
        fprintf(stderr,
                "ternctl: osd.%d not reached (%s): it gets epoch %" PRIu64
                " from its peers when it is back\n",
                ids[i], tn_strerror(rc), next->epoch);
    }
    for (unsigned k = 0; decided && k < nbehind; k++) {
        tn_map_offer_req_t req = {
            .mode = TN_PROTO_MAP_PROPAGATE, .base_epoch = base, .map = {(const char *)buf, need}};
        tn_map_offer_rep_t rep = {0};
        if (tn_osdc_sync_map_offer(cl, behind[k], &req, &rep) == 0)
            n_ok++;
    }
    free(buf);
    free(ids);
    tn_osdc_set_epoch(tn_osdc_sync_client(cl), next->epoch);
    if (!decided) {
        ctl_err("no OSD accepted the new map (none reachable?); nothing was changed");
        return CTL_EXIT_FAIL;
    }
    printf("map epoch %" PRIu64 " installed on %u OSD(s)%s; %u PG(s) moving\n", next->epoch, n_ok,
           n_unreach ? " (others will follow)" : "", next->n_moving);
    return failed ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* One pass of `rebalance`: clears the moving entries whose PG is complete. *left = entries
 * still moving. */
static int finish_pass(tn_osdc_sync_t *cl, const conf_t *conf, pl_map_t **mapp, uint32_t *left,
                       int quiet)
{
    size_t n_up = 0;
    int rc = ctl_fetch_map(cl, conf, mapp, &n_up);
    if (rc != 0) {
        ctl_err("cannot reach the cluster to read its map: %s", tn_strerror(rc));
        return CTL_EXIT_FAIL;
    }
    pl_map_t *m = *mapp;
    *left = m->n_moving;
    if (m->n_moving == 0)
        return CTL_EXIT_OK;
    /* every OSD that answers must be at this epoch (writers of an older one are refused) */
    for (uint32_t i = 0; i < m->n_osds; i++) {
        tn_ping_rep_t pr;
        if (tn_osdc_sync_ping(cl, m->osds[i].id, &pr) != 0)
            continue;
        uint16_t st;
        uint64_t ep, hlc;
        tn_osdc_sync_last(cl, &st, &ep, &hlc);
        if (ep != m->epoch) {
            if (!quiet)
                printf("osd.%d is at epoch %" PRIu64 ", not %" PRIu64 " yet\n", m->osds[i].id, ep,
                       m->epoch);
            return CTL_EXIT_OK;
        }
    }
    pl_map_t *next = pl_map_clone(m);
    void *work = aligned_alloc(8, (pl_work_size(m) + 7) / 8 * 8);
    if (next == NULL || work == NULL) {
        pl_map_destroy(next);
        free(work);
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    uint32_t cleared = 0;
    for (uint32_t i = 0; i < m->n_moving; i++) {
        const pl_moving_t *e = &m->moving[i];
        const pl_pool_t *pool = pl_map_find_pool(m, e->pool);
        int32_t hold[PL_MAX_HOLDERS];
        int n = pl_pg_holders(m, pool, e->pg, hold, PL_MAX_HOLDERS, NULL, work);
        tn_pg_digest_rep_t first, d;
        int ok = n > 0;
        for (int k = 0; k < n && ok; k++) {
            if (tn_osdc_sync_pg_digest(cl, hold[k], e->pool, e->pg, k ? &d : &first) != 0)
                ok = 0;
            else if (k > 0)
                ok = d.all.count == first.all.count && d.all.h1 == first.all.h1 &&
                     d.all.h2 == first.all.h2 && d.blob_count == first.blob_count &&
                     d.blob_hash == first.blob_hash;
        }
        if (ok && pl_map_clear_moving(next, e->pool, e->pg) == TN_OK)
            cleared++;
    }
    free(work);
    if (cleared == 0) {
        pl_map_destroy(next);
        return CTL_EXIT_OK;
    }
    next->epoch = m->epoch + 1;
    if (!quiet)
        printf("%u PG(s) complete on their new OSDs\n", cleared);
    rc = install(cl, next, m->epoch);
    if (rc == CTL_EXIT_OK) {
        *left = next->n_moving;
        pl_map_destroy(*mapp);
        *mapp = next;
    } else {
        pl_map_destroy(next);
    }
    return rc;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_rebalance(tn_osdc_sync_t *cl, const conf_t *conf, pl_map_t **map, long wait_s)
{
    double start = mono_s();
    int quiet = 0;
    for (;;) {
        uint32_t left = 0;
        int rc = finish_pass(cl, conf, map, &left, quiet);
        if (rc != CTL_EXIT_OK)
            return rc;
        if (left == 0) {
            printf("no PG moving (epoch %" PRIu64 ")\n", (*map)->epoch);
            return CTL_EXIT_OK;
        }
        if (mono_s() - start >= (double)wait_s) {
            printf("%u PG(s) still moving (epoch %" PRIu64 ")%s\n", left, (*map)->epoch,
                   wait_s > 0 ? ": timed out" : "; run again later or use --wait SECONDS");
            return wait_s > 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
        }
        quiet = 1;
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
}

static int parse_weight(const char *s, uint32_t *out)
{
    char *end;
    double w = strtod(s, &end);
    if (*end != '\0' || !(w >= 0) || w > 1000)
        return -1;
    *out = (uint32_t)(w * 65536.0 + 0.5);
    return 0;
}

static int parse_id(const char *s, int32_t *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < 0 || v > PL_MAX_OSD_ID)
        return -1;
    *out = (int32_t)v;
    return 0;
}

/* argv[0] = "osd" or "rebalance". */
static int run(int argc, char **argv, int is_osd)
{
    const char *config = NULL, *host = NULL, *addr = NULL, *weight_s = NULL;
    const char *sub = NULL;
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    long wait_s = 0;
    int32_t add_id = -1;
    int i = 1;
    if (is_osd) {
        if (argc < 2) {
            usage_osd(stderr);
            return CTL_EXIT_USAGE;
        }
        sub = argv[1];
        i = 2;
        if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
            usage_osd(stdout);
            return CTL_EXIT_OK;
        }
    }
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_osd(stdout);
            return CTL_EXIT_OK;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
            host = argv[++i];
        } else if (strcmp(argv[i], "--addr") == 0 && i + 1 < argc) {
            addr = argv[++i];
        } else if (strcmp(argv[i], "--weight") == 0 && i + 1 < argc) {
            weight_s = argv[++i];
        } else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc) {
            if (parse_id(argv[++i], &add_id) != 0) {
                ctl_err("--id %s: expected 0..%d", argv[i], PL_MAX_OSD_ID);
                return CTL_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            char *end;
            wait_s = strtol(argv[++i], &end, 10);
            if (*end != '\0' || wait_s < 0 || wait_s > 864000) {
                ctl_err("--wait %s: expected seconds", argv[i]);
                return CTL_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
            if (ctl_parse_timeout_ms(argv[++i], &g_timeout_ms) != CTL_EXIT_OK)
                return CTL_EXIT_USAGE;
        } else if (argv[i][0] != '-' && npos < 2) {
            pos[npos++] = argv[i];
        } else {
            usage_osd(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    int want_pos = !is_osd                                               ? 0
                   : strcmp(sub, "add") == 0                             ? 0
                   : strcmp(sub, "reweight") == 0                        ? 2
                   : (strcmp(sub, "out") == 0 || strcmp(sub, "in") == 0) ? 1
                                                                         : -1;
    if (config == NULL || want_pos < 0 || npos != want_pos ||
        (is_osd && strcmp(sub, "add") == 0 && add_id < 0)) {
        usage_osd(stderr);
        return CTL_EXIT_USAGE;
    }
    int32_t id = add_id;
    uint32_t weight = PL_WEIGHT_ONE;
    if (npos >= 1 && parse_id(pos[0], &id) != 0) {
        ctl_err("%s: not an OSD id", pos[0]);
        return CTL_EXIT_USAGE;
    }
    if ((npos == 2 && parse_weight(pos[1], &weight) != 0) ||
        (weight_s != NULL && parse_weight(weight_s, &weight) != 0)) {
        ctl_err("weight: expected 0..1000");
        return CTL_EXIT_USAGE;
    }
    conf_t *conf = NULL;
    pl_map_t *map = NULL;
    int rc = ctl_load(config, &conf, &map);
    if (rc != CTL_EXIT_OK)
        return rc;
    tn_osdc_sync_t *cl = client_for(map, conf);
    pl_map_t *next = NULL;
    size_t n_up = 0;
    rc = CTL_EXIT_FAIL;
    if (cl == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    int frc = ctl_fetch_map(cl, conf, &map, &n_up);
    if (frc != 0) {
        ctl_err("cannot reach any OSD of cluster '%s' from %s (%s): is it running?",
                conf->cluster.name, config, tn_strerror(frc));
        goto out;
    }
    if (!is_osd) {
        rc = run_rebalance(cl, conf, &map, wait_s);
        goto out;
    }
    next = pl_map_clone(map);
    if (next == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    int crc = 0;
    if (strcmp(sub, "add") == 0) {
        if (pl_map_find_osd(map, id) != NULL) {
            ctl_err("osd.%d is already in the map (epoch %" PRIu64 "); use `ternctl osd in`", id,
                    map->epoch);
            rc = CTL_EXIT_USAGE;
            goto out;
        }
        const conf_osd_t *co = conf_find_osd(conf, id);
        char caddr[PL_ADDR_MAX];
        if (co != NULL) {
            ctl_osd_addr(co, caddr, sizeof(caddr));
            if (host == NULL)
                host = co->host;
            if (addr == NULL)
                addr = caddr;
            if (weight_s == NULL)
                weight = co->weight_fixed;
        }
        if (host == NULL || addr == NULL) {
            ctl_err("osd.%d is not in %s: give --host and --addr", id, config);
            rc = CTL_EXIT_USAGE;
            goto out;
        }
        int hi = -1;
        for (uint32_t h = 0; h < next->n_hosts; h++)
            if (strcmp(next->hosts[h].name, host) == 0)
                hi = (int)h;
        if (hi < 0)
            hi = pl_map_add_host(next, host);
        crc = hi < 0 ? hi : pl_map_add_osd(next, id, hi, weight, addr);
        if (crc >= 0)
            crc = 0;
    } else if (pl_map_find_osd(map, id) == NULL) {
        ctl_err("osd.%d is not in the map (epoch %" PRIu64 ")", id, map->epoch);
        rc = CTL_EXIT_USAGE;
        goto out;
    } else if (strcmp(sub, "out") == 0 || strcmp(sub, "in") == 0) {
        int in = strcmp(sub, "in") == 0;
        if (pl_map_find_osd(map, id)->in == in) {
            printf("osd.%d is already %s (epoch %" PRIu64 ")\n", id, sub, map->epoch);
            rc = wait_s > 0 ? run_rebalance(cl, conf, &map, wait_s) : CTL_EXIT_OK;
            goto out;
        }
        crc = pl_map_set_osd_in(next, id, in);
    } else {
        crc = pl_map_set_osd_weight(next, id, weight);
    }
    if (crc == 0)
        crc = pl_map_rebalance(next);
    if (crc == 0)
        crc = pl_map_plan_moves(map, next);
    if (crc != 0) {
        ctl_err("cannot change the map: %s", tn_strerror(crc));
        goto out;
    }
    next->epoch = map->epoch + 1;
    /* placement's movement statistics: what this change moves next to the optimum */
    for (uint32_t p = 0; p < next->n_pools; p++) {
        uint64_t moved = 0, optimal = 0;
        const pl_pool_t *pool = &next->pools[p];
        if (pl_movement(map, next, pool->id, 0, &moved, &optimal) == TN_OK)
            printf("pool %s: %" PRIu64 " of %" PRIu64 " PG replicas move (optimal %" PRIu64 ")\n",
                   pool->name, moved, (uint64_t)pool->pg_num * pool->size, optimal);
    }
    rc = install(cl, next, map->epoch);
    if (rc == CTL_EXIT_OK && wait_s > 0)
        rc = run_rebalance(cl, conf, &next, wait_s);
out:
    pl_map_destroy(next);
    pl_map_destroy(map);
    tn_osdc_sync_destroy(cl);
    conf_free(conf);
    return rc;
}

int ctl_cmd_osd_map(int argc, char **argv)
{
    return run(argc, argv, 1);
}

int ctl_cmd_rebalance(int argc, char **argv)
{
    return run(argc, argv, 0);
}
