/*
 * ternctl.c — the administration CLI: entry point, command table and the helpers every command
 * shares. Commands live one family per file (ctl_map.c: placement queries over a config;
 * ctl_config.c: config validation and extraction; ctl_init.c: a new cluster's config;
 * ctl_status.c: the running cluster's state).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "conf_map.h"
#include "ctl.h"
#include "tn_osdc_sync.h"

static const ctl_command_t commands[] = {
    {"bucket", ctl_cmd_bucket, "buckets: ls, quota (max size, max objects), usage per bucket/user"},
    {"cluster", ctl_cmd_cluster,
     "cluster init: write a new cluster's config (ids, keys, hosts, OSDs)"},
    {"config", ctl_cmd_config, "validate a config file; print its OSDs and gateway settings"},
    {"osd", ctl_cmd_osd,
     "OSDs of a running cluster: ls; add, out, in, reweight, replace (new map epoch); scrub, gc"},
    {"map", ctl_cmd_map, "placement without a cluster: which OSDs hold a key; balance; movement"},
    {"rebalance", ctl_cmd_rebalance, "finish complete moves now (the OSDs also do it)"},
    {"status", ctl_cmd_status, "a running cluster: map, OSDs up/down, PG states, repair, scrub"},
    {"user", ctl_cmd_user, "users (create, ls, rm) in the cluster's metadata"},
    {"key", ctl_cmd_key, "access keys of users or of one bucket (create, ls, rm)"},
};

void ctl_err(const char *fmt, ...)
{
    va_list ap;
    fputs("ternctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int ctl_parse_timeout_ms(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > 600000) {
        ctl_err("--timeout-ms %s: expected 1..600000", s);
        return CTL_EXIT_USAGE;
    }
    *out = v;
    return CTL_EXIT_OK;
}

int ctl_help(int argc, char **argv, void (*usage)(FILE *f))
{
    if (argc >= 2 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0)
        return -1;
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
}

int ctl_parse_opts(int argc, char **argv, int first, const char *cmd, const ctl_opt_t *opts,
                   const char **pos)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const ctl_opt_t *o = opts;
        while (o->name != NULL && strcmp(o->name, a) != 0)
            o++;
        if (o->name != NULL && o->value != NULL) {
            if (i + 1 >= argc) {
                ctl_err("%s: %s needs a value", cmd, a);
                return CTL_EXIT_USAGE;
            }
            *o->value = argv[++i];
        } else if (o->name != NULL) {
            *o->flag = 1;
        } else if (a[0] != '-' && pos != NULL && *pos == NULL) {
            *pos = a;
        } else {
            ctl_err("%s: unexpected argument '%s'; see 'ternctl %s --help'", cmd, a, cmd);
            return CTL_EXIT_USAGE;
        }
    }
    return CTL_EXIT_OK;
}

void ctl_osd_addr(const conf_osd_t *o, char *out, size_t len)
{
    snprintf(out, len, "%s%s%s:%u", o->addr.is_ipv6 ? "[" : "", o->addr.host,
             o->addr.is_ipv6 ? "]" : "", (unsigned)o->addr.port);
}

tn_osdc_sync_t *ctl_client(uint64_t epoch, long timeout_ms)
{
    tn_osdc_opts_t co = {0};
    co.connect_timeout_ms = (uint32_t)(timeout_ms < 500 ? timeout_ms : 500);
    co.request_timeout_ms = (uint32_t)timeout_ms;
    co.epoch = epoch;
    return tn_osdc_sync_create(&co);
}

void ctl_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

int ctl_load(const char *path, conf_t **conf, pl_map_t **map)
{
    conf_error_t *err = malloc(sizeof(*err));
    if (err == NULL) {
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    int rc = conf_load_file(path, conf, err);
    if (rc != TN_OK) {
        if (err->count > 0)
            fputs(err->text, stderr);
        else
            ctl_err("%s: %s", path, tn_strerror(rc));
        free(err);
        return CTL_EXIT_USAGE;
    }
    free(err);
    char why[256];
    rc = conf_build_map(*conf, map, why, sizeof(why));
    if (rc != TN_OK) {
        ctl_err("%s: %s", path, rc == -ENOMEM ? "out of memory" : why);
        conf_free(*conf);
        *conf = NULL;
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

static void usage(FILE *f)
{
    fputs("usage: ternctl COMMAND [ARGS...]\n\ncommands:\n", f);
    for (size_t i = 0; i < TN_ARRAY_SIZE(commands); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun 'ternctl COMMAND --help' for a command's arguments.\n", f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CTL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CTL_EXIT_OK;
    }
    for (size_t i = 0; i < TN_ARRAY_SIZE(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    ctl_err("unknown command '%s'; run 'ternctl --help' for the list", argv[1]);
    return CTL_EXIT_USAGE;
}
