/*
 * ctl_config.c — `ternctl config`: validate a config file and print the parts scripts need.
 *
 *   ternctl config check   --config FILE   "ok: ..." summary, or every error (exit 2)
 *   ternctl config osds    --config FILE   one line per OSD: ID HOST ADDR DATA_DIR
 *   ternctl config gateway --config FILE   lines: "listen ADDR", "region R", "tmp_dir D",
 *                                          "credential ACCESS_KEY SECRET_KEY"
 * Output is plain text, one record per line, fields separated by single spaces, for tools/dev
 * and deployment scripts.
 */
#include <string.h>
#include "conf_map.h"
#include "ctl.h"

static void usage_config(FILE *f)
{
    fputs("usage: ternctl config check|osds|gateway --config FILE\n"
          "\n"
          "check    validates FILE (syntax, types, ranges, references, quorums, placement)\n"
          "osds     prints one line per OSD: ID HOST ADDR DATA_DIR\n"
          "gateway  prints the gateway's listen addresses, region, tmp_dir and credentials\n",
          f);
}

static void print_addr(const conf_addr_t *a)
{
    if (a->is_ipv6)
        printf("[%s]:%u", a->host, (unsigned)a->port);
    else
        printf("%s:%u", a->host, (unsigned)a->port);
}

int ctl_cmd_config(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage_config(argc < 2 ? stderr : stdout);
        return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
    }
    const char *sub = argv[1], *path = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else {
            ctl_err("config %s: unexpected argument '%s'; see 'ternctl config --help'", sub,
                    argv[i]);
            return CTL_EXIT_USAGE;
        }
    }
    if (strcmp(sub, "check") != 0 && strcmp(sub, "osds") != 0 && strcmp(sub, "gateway") != 0) {
        ctl_err("unknown 'config' subcommand '%s': use check, osds or gateway", sub);
        return CTL_EXIT_USAGE;
    }
    if (path == NULL) {
        ctl_err("--config FILE is required (e.g. --config conf/examples/local.yaml)");
        return CTL_EXIT_USAGE;
    }
    conf_t *c = NULL;
    pl_map_t *m = NULL;
    int rc = ctl_load(path, &c, &m); /* the map too: a config must also make a valid map */
    if (rc != CTL_EXIT_OK)
        return rc;
    if (strcmp(sub, "check") == 0) {
        printf("ok: %s: cluster %s, %zu hosts, %zu osds, %zu pools, map epoch %llu\n", path,
               c->cluster.name, c->n_hosts, c->n_osds, c->n_pools, (unsigned long long)m->epoch);
    } else if (strcmp(sub, "osds") == 0) {
        for (size_t i = 0; i < c->n_osds; i++) {
            const conf_osd_t *o = &c->osds[i];
            printf("%d %s ", o->id, o->host);
            print_addr(&o->addr);
            printf(" %s\n", o->data);
        }
    } else {
        const conf_gateway_t *g = &c->gateway;
        for (size_t i = 0; i < g->n_listen; i++) {
            printf("listen ");
            print_addr(&g->listen[i]);
            printf("\n");
        }
        printf("region %s\ntmp_dir %s\n", g->region, g->tmp_dir);
        for (size_t i = 0; i < g->n_credentials; i++)
            printf("credential %s %s\n", g->credentials[i].access_key,
                   g->credentials[i].secret_key);
    }
    pl_map_destroy(m);
    conf_free(c);
    return CTL_EXIT_OK;
}
