/*
 * ctl_map.c — `ternctl map`: placement questions answered from a config file alone, without a
 * running cluster.
 *
 *   ternctl map object --config FILE [--pool NAME] KEY...
 *       one line per key: KEY pg=<pool>.<pg hex> osds=[a,b,c]
 *   ternctl map test --config FILE [--pool NAME] [--json]
 *                    [--add-osd HOST:WEIGHT]... [--out ID]... [--in ID]... [--reweight ID:W]...
 *       PG replicas per OSD against the capped weight-proportional ideal, the standard
 *       deviation against the binomial ideal; with changes, the same after them plus the share
 *       of PG replicas that moved next to the optimal share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"

#define MAX_CHANGES 256

typedef enum { CHANGE_ADD_OSD, CHANGE_OUT, CHANGE_IN, CHANGE_REWEIGHT } change_kind_t;

typedef struct {
    change_kind_t kind;
    const char *arg; /* as given on the command line, for messages */
    char host[PL_NAME_MAX];
    int32_t id;
    uint32_t weight;
} change_t;

typedef struct {
    const char *config;
    const char *pool;
    int json;
    change_t changes[MAX_CHANGES];
    size_t n_changes;
    char **args; /* positional arguments (keys) */
    int n_args;
} map_opts_t;

static void usage_map(FILE *f)
{
    fputs("usage: ternctl map object --config FILE [--pool NAME] KEY...\n"
          "       ternctl map test --config FILE [--pool NAME] [--json]\n"
          "                        [--add-osd HOST:WEIGHT]... [--out ID]... [--in ID]...\n"
          "                        [--reweight ID:WEIGHT]...\n"
          "\n"
          "object  prints where each KEY lives: KEY pg=<pool>.<pg hex> osds=[primary,...]\n"
          "        (--pool defaults to data)\n"
          "test    prints PG replicas per OSD against the weight-proportional ideal and, with\n"
          "        changes, how many replicas the changes move next to the optimal number.\n"
          "        --add-osd adds an OSD (the next free id) to HOST, creating HOST if it is new;\n"
          "        WEIGHT is a decimal like 1 or 2.5. Without --pool every pool is tested.\n",
          f);
}

/* Parses a decimal weight in (0, 1000] into 16.16 fixed point. */
static int parse_weight(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    double w = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(w >= 0.0 && w <= 1000.0))
        return -EINVAL;
    *out = (uint32_t)(w * PL_WEIGHT_ONE + 0.5);
    return TN_OK;
}

static int parse_id(const char *s, int32_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > PL_MAX_OSD_ID)
        return -EINVAL;
    *out = (int32_t)v;
    return TN_OK;
}

/* Splits "A:B" at the last ':' into a (copied into abuf) and b. */
static int split_colon(const char *s, char *abuf, size_t alen, const char **b)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || colon[1] == '\0' || (size_t)(colon - s) >= alen)
        return -EINVAL;
    memcpy(abuf, s, (size_t)(colon - s));
    abuf[colon - s] = '\0';
    *b = colon + 1;
    return TN_OK;
}

static int parse_change(const char *opt, const char *arg, change_t *c)
{
    char idbuf[32];
    const char *rest;
    c->arg = arg;
    if (strcmp(opt, "--add-osd") == 0) {
        c->kind = CHANGE_ADD_OSD;
        if (split_colon(arg, c->host, sizeof(c->host), &rest) != TN_OK ||
            parse_weight(rest, &c->weight) != TN_OK || c->weight == 0) {
            ctl_err("--add-osd %s: expected HOST:WEIGHT with 0 < WEIGHT <= 1000, e.g. host-d:1",
                    arg);
            return -EINVAL;
        }
        return TN_OK;
    }
    if (strcmp(opt, "--reweight") == 0) {
        c->kind = CHANGE_REWEIGHT;
        if (split_colon(arg, idbuf, sizeof(idbuf), &rest) != TN_OK ||
            parse_id(idbuf, &c->id) != TN_OK || parse_weight(rest, &c->weight) != TN_OK) {
            ctl_err("--reweight %s: expected ID:WEIGHT with 0 <= WEIGHT <= 1000, e.g. 3:0.5", arg);
            return -EINVAL;
        }
        return TN_OK;
    }
    c->kind = strcmp(opt, "--out") == 0 ? CHANGE_OUT : CHANGE_IN;
    if (parse_id(arg, &c->id) != TN_OK) {
        ctl_err("%s %s: expected an OSD id (a number)", opt, arg);
        return -EINVAL;
    }
    return TN_OK;
}

/* Parses argv after the subcommand. Returns CTL_EXIT_OK, or CTL_EXIT_USAGE after a message. */
static int parse_opts(int argc, char **argv, int allow_changes, map_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->args = calloc((size_t)argc + 1, sizeof(char *));
    if (o->args == NULL) {
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int is_change = strcmp(a, "--add-osd") == 0 || strcmp(a, "--out") == 0 ||
                        strcmp(a, "--in") == 0 || strcmp(a, "--reweight") == 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage_map(stdout);
            exit(CTL_EXIT_OK);
        } else if (strcmp(a, "--json") == 0 && allow_changes) {
            o->json = 1;
        } else if (strcmp(a, "--config") == 0 || strcmp(a, "--pool") == 0 ||
                   (is_change && allow_changes)) {
            if (i + 1 >= argc) {
                ctl_err("%s needs a value; see 'ternctl map --help'", a);
                return CTL_EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (strcmp(a, "--config") == 0) {
                o->config = v;
            } else if (strcmp(a, "--pool") == 0) {
                o->pool = v;
            } else {
                if (o->n_changes == MAX_CHANGES) {
                    ctl_err("at most %d changes at once", MAX_CHANGES);
                    return CTL_EXIT_USAGE;
                }
                if (parse_change(a, v, &o->changes[o->n_changes]) != TN_OK)
                    return CTL_EXIT_USAGE;
                o->n_changes++;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            ctl_err("unknown option %s; see 'ternctl map --help'", a);
            return CTL_EXIT_USAGE;
        } else {
            o->args[o->n_args++] = argv[i];
        }
    }
    if (o->config == NULL) {
        ctl_err("--config FILE is required (e.g. --config conf/examples/local.yaml)");
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

static const pl_pool_t *find_pool(const pl_map_t *m, const char *name)
{
    const pl_pool_t *p = pl_map_find_pool_by_name(m, name);
    if (p == NULL) {
        fprintf(stderr, "ternctl: no pool '%s' in the config; pools:", name);
        for (uint32_t i = 0; i < m->n_pools; i++)
            fprintf(stderr, " %s", m->pools[i].name);
        fputc('\n', stderr);
    }
    return p;
}

static int cmd_object(int argc, char **argv)
{
    map_opts_t o;
    conf_t *conf = NULL;
    pl_map_t *map = NULL;
    void *work = NULL;
    int rc = parse_opts(argc, argv, 0, &o);
    if (rc != CTL_EXIT_OK)
        goto out;
    if (o.n_args == 0) {
        ctl_err("map object needs at least one KEY");
        rc = CTL_EXIT_USAGE;
        goto out;
    }
    if ((rc = ctl_load(o.config, &conf, &map)) != CTL_EXIT_OK)
        goto out;
    const pl_pool_t *pool = find_pool(map, o.pool != NULL ? o.pool : "data");
    if (pool == NULL) {
        rc = CTL_EXIT_USAGE;
        goto out;
    }
    work = malloc(pl_work_size(map) + sizeof(uint64_t));
    if (work == NULL) {
        ctl_err("out of memory");
        rc = CTL_EXIT_FAIL;
        goto out;
    }
    for (int k = 0; k < o.n_args; k++) {
        const char *key = o.args[k];
        uint32_t pg = pl_object_pg(pool, key, strlen(key));
        int32_t osds[PL_MAX_SIZE];
        int n = pl_pg_osds(map, pool, pg, osds, PL_MAX_SIZE, work);
        printf("%s pg=%s.%x osds=[", key, pool->name, pg);
        for (int i = 0; i < n; i++) {
            if (osds[i] == PL_ITEM_NONE)
                printf("%snone", i ? "," : "");
            else
                printf("%s%d", i ? "," : "", osds[i]);
        }
        printf("]\n");
        if (n < pool->size)
            rc = CTL_EXIT_FAIL; /* a PG that cannot be fully placed is worth an exit status */
    }
out:
    free(work);
    free(o.args);
    pl_map_destroy(map);
    conf_free(conf);
    return rc;
}

/* Applies the changes to m (a clone of the config's map). */
static int apply_changes(pl_map_t *m, const map_opts_t *o)
{
    for (size_t i = 0; i < o->n_changes; i++) {
        const change_t *c = &o->changes[i];
        int rc = TN_OK;
        switch (c->kind) {
        case CHANGE_ADD_OSD: {
            int host = -1;
            for (uint32_t h = 0; h < m->n_hosts; h++)
                if (strcmp(m->hosts[h].name, c->host) == 0)
                    host = (int)h;
            if (host < 0 && (host = pl_map_add_host(m, c->host)) < 0) {
                ctl_err("--add-osd %s: cannot add host '%s': %s", c->arg, c->host,
                        tn_strerror(host));
                return -EINVAL;
            }
            int32_t id = 0;
            for (uint32_t k = 0; k < m->n_osds; k++)
                if (m->osds[k].id >= id)
                    id = m->osds[k].id + 1;
            rc = pl_map_add_osd(m, id, host, c->weight, NULL);
            break;
        }
        case CHANGE_OUT: rc = pl_map_set_osd_in(m, c->id, 0); break;
        case CHANGE_IN: rc = pl_map_set_osd_in(m, c->id, 1); break;
        case CHANGE_REWEIGHT: rc = pl_map_set_osd_weight(m, c->id, c->weight); break;
        }
        if (rc < 0) {
            if (rc == TN_ERR_NOT_FOUND)
                ctl_err("%s: no OSD with that id in the config", c->arg);
            else
                ctl_err("%s: %s", c->arg, tn_strerror(rc));
            return -EINVAL;
        }
    }
    /* As every creator of a new epoch must: recompute the draw factors (placement.h). */
    int rc = pl_map_rebalance(m);
    if (rc != TN_OK) {
        ctl_err("cannot compute the placement factors: %s", tn_strerror(rc));
        return rc;
    }
    m->epoch++;
    return TN_OK;
}

static double pct(double part, double whole)
{
    return whole > 0 ? 100.0 * part / whole : 0.0;
}

static void print_table(const pl_map_t *m, const pl_stats_t *st)
{
    printf("  %5s  %-16s %8s %7s %9s %9s\n", "osd", "host", "weight", "count", "ideal",
           "deviation");
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *d = &m->osds[i];
        printf("  %5d  %-16s %8.3f %7u %9.1f %+8.1f%%%s\n", d->id, m->hosts[d->host].name,
               (double)d->weight / PL_WEIGHT_ONE, st->count[i], st->ideal[i],
               st->ideal[i] > 0 ? pct(st->deviation[i], st->ideal[i]) : 0.0, d->in ? "" : "  out");
    }
    printf("  stddev %.2f, binomial ideal %.2f (ratio %.2f)", st->stddev, st->ideal_stddev,
           st->ideal_stddev > 0 ? st->stddev / st->ideal_stddev : 0.0);
    if (st->unplaced > 0)
        printf("; %llu replica slots UNPLACED (too few failure domains)",
               (unsigned long long)st->unplaced);
    printf("\n");
}

static void json_osds(const pl_map_t *m, const pl_stats_t *st)
{
    printf("\"osds\":[");
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *d = &m->osds[i];
        printf("%s{\"id\":%d,\"host\":", i ? "," : "", d->id);
        ctl_json_str(stdout, m->hosts[d->host].name);
        printf(",\"weight\":%.4f,\"in\":%s,\"count\":%u,\"ideal\":%.3f,\"deviation\":%.3f}",
               (double)d->weight / PL_WEIGHT_ONE, d->in ? "true" : "false", st->count[i],
               st->ideal[i], st->deviation[i]);
    }
    printf("],\"stddev\":%.4f,\"ideal_stddev\":%.4f,\"unplaced\":%llu", st->stddev,
           st->ideal_stddev, (unsigned long long)st->unplaced);
}

/* Tests one pool: prints (text or JSON) and returns CTL_EXIT_*. */
static int test_pool(const pl_map_t *before, const pl_map_t *after, const pl_pool_t *pool,
                     const map_opts_t *o, int first)
{
    pl_stats_t sb, sa;
    memset(&sa, 0, sizeof(sa));
    if (pl_stats_compute(before, pool, &sb) != TN_OK) {
        ctl_err("pool %s: cannot compute statistics", pool->name);
        return CTL_EXIT_FAIL;
    }
    uint64_t moved = 0, optimal = 0;
    if (after != NULL) {
        const pl_pool_t *pa = pl_map_find_pool(after, pool->id);
        if (pa == NULL || pl_stats_compute(after, pa, &sa) != TN_OK ||
            pl_movement(before, after, pool->id, 0, &moved, &optimal) != TN_OK) {
            ctl_err("pool %s: cannot compute the movement", pool->name);
            pl_stats_free(&sb);
            pl_stats_free(&sa);
            return CTL_EXIT_FAIL;
        }
    }
    double total = (double)sb.total;
    if (o->json) {
        printf("%s{\"pool\":", first ? "" : ",");
        ctl_json_str(stdout, pool->name);
        printf(",\"pg_num\":%u,\"size\":%u,\"failure_domain\":\"%s\",\"replicas\":%llu,",
               pool->pg_num, pool->size, pool->fd == PL_FD_HOST ? "host" : "osd",
               (unsigned long long)sb.total);
        json_osds(before, &sb);
        if (after != NULL) {
            printf(",\"after\":{\"epoch\":%llu,", (unsigned long long)after->epoch);
            json_osds(after, &sa);
            printf("},\"moved\":%llu,\"optimal\":%llu,\"moved_share\":%.6f,"
                   "\"optimal_share\":%.6f,\"ratio\":%.4f",
                   (unsigned long long)moved, (unsigned long long)optimal,
                   total > 0 ? moved / total : 0.0, total > 0 ? optimal / total : 0.0,
                   optimal > 0 ? (double)moved / (double)optimal : 0.0);
        }
        printf("}");
    } else {
        printf("%spool %s: pg_num %u, size %u, failure domain %s, %llu PG replicas on %u OSDs\n",
               first ? "" : "\n", pool->name, pool->pg_num, pool->size,
               pool->fd == PL_FD_HOST ? "host" : "osd", (unsigned long long)sb.total,
               before->n_osds);
        print_table(before, &sb);
        if (after != NULL) {
            printf("after the changes (epoch %llu):\n", (unsigned long long)after->epoch);
            print_table(after, &sa);
            printf("  moved %llu of %llu PG replicas (%.2f%%); optimal %llu (%.2f%%); ratio %.2f\n",
                   (unsigned long long)moved, (unsigned long long)sb.total, pct(moved, total),
                   (unsigned long long)optimal, pct(optimal, total),
                   optimal > 0 ? (double)moved / (double)optimal : 0.0);
        }
    }
    int rc = (sb.unplaced > 0 || sa.unplaced > 0) ? CTL_EXIT_FAIL : CTL_EXIT_OK;
    pl_stats_free(&sb);
    pl_stats_free(&sa);
    return rc;
}

static int cmd_test(int argc, char **argv)
{
    map_opts_t o;
    conf_t *conf = NULL;
    pl_map_t *map = NULL, *after = NULL;
    int rc = parse_opts(argc, argv, 1, &o);
    if (rc != CTL_EXIT_OK)
        goto out;
    if (o.n_args > 0) {
        ctl_err("map test takes no positional arguments (got '%s')", o.args[0]);
        rc = CTL_EXIT_USAGE;
        goto out;
    }
    if ((rc = ctl_load(o.config, &conf, &map)) != CTL_EXIT_OK)
        goto out;
    const pl_pool_t *only = NULL;
    if (o.pool != NULL && (only = find_pool(map, o.pool)) == NULL) {
        rc = CTL_EXIT_USAGE;
        goto out;
    }
    if (o.n_changes > 0) {
        if ((after = pl_map_clone(map)) == NULL) {
            ctl_err("out of memory");
            rc = CTL_EXIT_FAIL;
            goto out;
        }
        if (apply_changes(after, &o) != TN_OK) {
            rc = CTL_EXIT_USAGE;
            goto out;
        }
    }
    if (o.json)
        printf("{\"epoch\":%llu,\"pools\":[", (unsigned long long)map->epoch);
    for (uint32_t i = 0; i < map->n_pools; i++) {
        const pl_pool_t *p = &map->pools[i];
        if (only != NULL && p != only)
            continue;
        int prc = test_pool(map, after, p, &o, only != NULL || i == 0);
        if (prc != CTL_EXIT_OK)
            rc = prc;
    }
    if (o.json)
        printf("]}\n");
out:
    free(o.args);
    pl_map_destroy(after);
    pl_map_destroy(map);
    conf_free(conf);
    return rc;
}

int ctl_cmd_map(int argc, char **argv)
{
    if (argc < 2) {
        usage_map(stderr);
        return CTL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "object") == 0)
        return cmd_object(argc - 2, argv + 2);
    if (strcmp(argv[1], "test") == 0)
        return cmd_test(argc - 2, argv + 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage_map(stdout);
        return CTL_EXIT_OK;
    }
    ctl_err("unknown 'map' subcommand '%s': use 'object' or 'test'", argv[1]);
    return CTL_EXIT_USAGE;
}
