/*
 * ctl_osd_map.c — map changes on a running cluster (DESIGN rule 3, docs/OPERATIONS.md "Adding and
 * removing disks"):
 *
 *   ternctl osd add       --config F --id N [--host H --addr A:P] [--weight W] [--wait S]
 *   ternctl osd out|in    --config F ID [--wait S]
 *   ternctl osd reweight  --config F ID W [--wait S]
 *   ternctl osd replace   --config F ID [--wait S]
 *   ternctl rebalance     --config F [--wait S]
 *
 * A change reads the newest map any OSD holds, applies the change, recomputes the draw factors
 * (pl_map_rebalance), records which PGs move (pl_map_plan_moves: their old, complete sets),
 * records the data-directory incarnation of OSDs the map has none for, and installs epoch + 1
 * (tn_map_install, common/tn_mapchg.h: MAP_OFFER compare-and-set on every OSD, ascending id
 * order, the first answering OSD decides). A change that loses the CAS (usually to an OSD
 * completing moves by itself) is rebuilt on the newest map and tried again, up to 5 times.
 *
 * `osd replace ID` (DESIGN rule 4) records the new incarnation the OSD answers PING with and
 * makes each of its PGs a move whose old set excludes it (pl_map_replace_osd), so it counts
 * toward no quorum until backfilled; the move completes like any other.
 *
 * Moves complete by themselves: the OSDs do it (osd_recovery.c). `rebalance` does the same
 * step now (tn_map_finish_moves -> placement's pl_map_finish_moves, the one decision both use:
 * every answering OSD at the current epoch, every holder's PG_DIGEST equal) and also records
 * missing incarnations; with --wait S, change commands then run it until no PG moves or S
 * seconds passed (exit 1 on timeout). Losing its CAS to an OSD is harmless: it looks again.
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
#include "tn_mapchg.h"
#include "tn_osdc_sync.h"

static void usage_osd(FILE *f)
{
    fputs("usage: ternctl osd add --config FILE --id N [--host H --addr HOST:PORT] [--weight W]\n"
          "       ternctl osd out|in --config FILE ID\n"
          "       ternctl osd reweight --config FILE ID WEIGHT\n"
          "       ternctl osd replace --config FILE ID\n"
          "       ternctl rebalance --config FILE\n"
          "options: --wait SECONDS (wait until no PG moves), --timeout-ms N (per request)\n"
          "\n"
          "Changes the cluster map (epoch + 1, compare-and-set on every OSD). PGs whose replica\n"
          "set changes are backfilled by their new OSDs from the old ones; the old ones keep\n"
          "their copies until the OSDs (or `ternctl rebalance`) see the new set complete.\n"
          "`osd replace` admits a new (empty) data directory of an existing OSD: it refuses\n"
          "service until then, and counts toward no quorum until its PGs are backfilled.\n"
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

/* tn_map_install's per-OSD notes, as the operator reads them. */
static void install_note(void *arg, int32_t osd, int rc, uint64_t epoch, uint64_t hash)
{
    const pl_map_t *next = arg;
    if (rc == TN_ERR_STALE_EPOCH || rc == TN_ERR_CORRUPT)
        ctl_err("osd.%d refused epoch %" PRIu64 ": it holds epoch %" PRIu64 " hash %016" PRIx64
                " (a concurrent change?); run `ternctl status`",
                osd, next->epoch, epoch, hash);
    else
        fprintf(stderr,
                "ternctl: osd.%d not reached (%s): it gets epoch %" PRIu64
                " from its peers when it is back\n",
                osd, tn_strerror(rc), next->epoch);
}

/* Prints what an installation (tn_map_install) did; the exit status. */
static int install_report(int rc, const tn_mapchg_result_t *res, const pl_map_t *next,
                          uint64_t base)
{
    if (rc == TN_ERR_STALE_EPOCH) {
        ctl_err("another map change won: osd.%d holds epoch %" PRIu64 " (we changed epoch %" PRIu64
                "); nothing was changed, run the command again",
                res->lost_osd, res->lost_epoch, base);
        return CTL_EXIT_FAIL;
    }
    if (rc == -EHOSTUNREACH) {
        ctl_err("no OSD accepted the new map (none reachable?); nothing was changed");
        return CTL_EXIT_FAIL;
    }
    if (rc != 0) {
        ctl_err("cannot install the new map: %s", tn_strerror(rc));
        return CTL_EXIT_FAIL;
    }
    printf("map epoch %" PRIu64 " installed on %u OSD(s)%s; %u PG(s) moving\n", next->epoch,
           res->n_ok, res->n_unreach ? " (others will follow)" : "", next->n_moving);
    return res->n_failed ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* One pass of `rebalance`: clears the moving entries whose PG is complete (the decision is
 * placement's pl_map_finish_moves, the same one the OSDs apply). *left = entries still
 * moving. */
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
    pl_map_t *next = NULL;
    int32_t behind = PL_ITEM_NONE;
    uint64_t behind_ep = 0;
    int n = tn_map_finish_moves(cl, m, &next, &behind, &behind_ep);
    if (n < 0) {
        ctl_err("cannot decide which moves are complete: %s", tn_strerror(n));
        return CTL_EXIT_FAIL;
    }
    if (behind != PL_ITEM_NONE && !quiet)
        printf("osd.%d is at epoch %" PRIu64 ", not %" PRIu64 " yet\n", behind, behind_ep,
               m->epoch);
    if (n == 0 && behind == PL_ITEM_NONE) {
        /* nothing completes: still record disks whose identity the map lacks (rule 4) */
        next = pl_map_clone(m);
        if (next == NULL) {
            ctl_err("out of memory");
            return CTL_EXIT_FAIL;
        }
        next->epoch = m->epoch + 1;
    }
    if (next == NULL)
        return CTL_EXIT_OK;
    unsigned rec = tn_map_record_incarnations(cl, next);
    if (n == 0 && rec == 0) {
        pl_map_destroy(next);
        return CTL_EXIT_OK;
    }
    if (!quiet && n > 0)
        printf("%d PG(s) complete on their new OSDs\n", n);
    if (!quiet && rec > 0)
        printf("recording the data-directory identity of %u OSD(s)\n", rec);
    tn_mapchg_result_t res;
    int irc = tn_map_install(cl, next, m->epoch, &res, install_note, next);
    if (irc == TN_ERR_STALE_EPOCH) {
        /* an OSD completing moves itself (or another ternctl) won: harmless, look again */
        if (!quiet)
            printf("epoch %" PRIu64 " was taken by a concurrent change (osd.%d holds %" PRIu64
                   "); looking again\n",
                   next->epoch, res.lost_osd, res.lost_epoch);
        pl_map_destroy(next);
        return CTL_EXIT_OK;
    }
    rc = install_report(irc, &res, next, m->epoch);
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

#define CHANGE_NOTHING 100 /* build_change: the map already is as asked */

/* Builds in *next (epoch map->epoch + 1) the change `sub` asks for; CTL_EXIT_OK, CHANGE_NOTHING
 * or an exit status (message printed). */
static int build_change(tn_osdc_sync_t *cl, const conf_t *conf, const char *config,
                        const pl_map_t *map, const char *sub, int32_t id, const char *host,
                        const char *addr, uint32_t weight, const char *weight_s, pl_map_t **nextp)
{
    pl_map_t *next = pl_map_clone(map);
    if (next == NULL) {
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    int crc = 0, replace = 0;
    const pl_osd_t *o = pl_map_find_osd(map, id);
    if (strcmp(sub, "add") == 0) {
        if (o != NULL) {
            ctl_err("osd.%d is already in the map (epoch %" PRIu64 "); use `ternctl osd in`", id,
                    map->epoch);
            pl_map_destroy(next);
            return CTL_EXIT_USAGE;
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
            pl_map_destroy(next);
            return CTL_EXIT_USAGE;
        }
        int hi = -1;
        for (uint32_t h = 0; h < next->n_hosts; h++)
            if (strcmp(next->hosts[h].name, host) == 0)
                hi = (int)h;
        if (hi < 0)
            hi = pl_map_add_host(next, host);
        crc = hi < 0 ? hi : pl_map_add_osd(next, id, hi, weight, addr);
        if (crc >= 0) {
            crc = 0;
            tn_osdc_set_osd(tn_osdc_sync_client(cl), id, addr);
        }
    } else if (o == NULL) {
        ctl_err("osd.%d is not in the map (epoch %" PRIu64 ")", id, map->epoch);
        pl_map_destroy(next);
        return CTL_EXIT_USAGE;
    } else if (strcmp(sub, "out") == 0 || strcmp(sub, "in") == 0) {
        int in = strcmp(sub, "in") == 0;
        if (o->in == in) {
            printf("osd.%d is already %s (epoch %" PRIu64 ")\n", id, sub, map->epoch);
            pl_map_destroy(next);
            return CHANGE_NOTHING;
        }
        crc = pl_map_set_osd_in(next, id, in);
    } else if (strcmp(sub, "replace") == 0) {
        /* rule 4: admit a new data directory; it votes once its PGs are backfilled */
        replace = 1;
        tn_ping_rep_t pr;
        if (tn_osdc_sync_ping(cl, id, &pr) != 0 || pr.osd_id != (uint32_t)id ||
            pr.incarnation == 0) {
            ctl_err("osd.%d does not answer: start it with its new data directory first, then "
                    "run `ternctl osd replace %d` again",
                    id, id);
            pl_map_destroy(next);
            return CTL_EXIT_FAIL;
        }
        if (pr.incarnation == o->incarnation) {
            printf("osd.%d is already admitted: the map records its data directory %016" PRIx64
                   " (epoch %" PRIu64 ")\n",
                   id, pr.incarnation, map->epoch);
            pl_map_destroy(next);
            return CHANGE_NOTHING;
        }
        uint32_t nmv = 0;
        crc = pl_map_replace_osd(next, id, pr.incarnation, &nmv);
        if (crc == 0)
            printf("osd.%d: new data directory %016" PRIx64 " (the map had %016" PRIx64
                   "): %u PG(s) backfill onto it; it counts toward no read or write quorum of "
                   "those PGs until they are complete\n",
                   id, pr.incarnation, o->incarnation, nmv);
    } else {
        crc = pl_map_set_osd_weight(next, id, weight);
    }
    if (crc == 0 && !replace)
        crc = pl_map_rebalance(next);
    if (crc == 0 && !replace)
        crc = pl_map_plan_moves(map, next);
    if (crc != 0) {
        ctl_err("cannot change the map: %s", tn_strerror(crc));
        pl_map_destroy(next);
        return CTL_EXIT_FAIL;
    }
    next->epoch = map->epoch + 1;
    /* placement's movement statistics: what this change moves next to the optimum */
    for (uint32_t p = 0; p < next->n_pools && !replace; p++) {
        uint64_t moved = 0, optimal = 0;
        const pl_pool_t *pool = &next->pools[p];
        if (pl_movement(map, next, pool->id, 0, &moved, &optimal) == TN_OK)
            printf("pool %s: %" PRIu64 " of %" PRIu64 " PG replicas move (optimal %" PRIu64 ")\n",
                   pool->name, moved, (uint64_t)pool->pg_num * pool->size, optimal);
    }
    *nextp = next;
    return CTL_EXIT_OK;
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
    int want_pos =
        !is_osd                                                                              ? 0
        : strcmp(sub, "add") == 0                                                            ? 0
        : strcmp(sub, "reweight") == 0                                                       ? 2
        : (strcmp(sub, "out") == 0 || strcmp(sub, "in") == 0 || strcmp(sub, "replace") == 0) ? 1
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
    for (int attempt = 0;; attempt++) {
        int brc = build_change(cl, conf, config, map, sub, id, host, addr, weight, weight_s, &next);
        if (brc == CHANGE_NOTHING) {
            rc = wait_s > 0 ? run_rebalance(cl, conf, &map, wait_s) : CTL_EXIT_OK;
            goto out;
        }
        if (brc != CTL_EXIT_OK) {
            rc = brc;
            goto out;
        }
        tn_map_record_incarnations(cl, next);
        tn_mapchg_result_t res;
        int irc = tn_map_install(cl, next, map->epoch, &res, install_note, next);
        if (irc == TN_ERR_STALE_EPOCH && attempt < 4) {
            /* most often an OSD completing moves by itself: apply the change to the new map */
            printf("epoch %" PRIu64 " was taken by a concurrent change (osd.%d holds %" PRIu64
                   "); applying the change to the newest map\n",
                   next->epoch, res.lost_osd, res.lost_epoch);
            pl_map_destroy(next);
            next = NULL;
            frc = ctl_fetch_map(cl, conf, &map, &n_up);
            if (frc != 0) {
                ctl_err("cannot read the cluster's map again: %s", tn_strerror(frc));
                goto out;
            }
            continue;
        }
        rc = install_report(irc, &res, next, map->epoch);
        break;
    }
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
