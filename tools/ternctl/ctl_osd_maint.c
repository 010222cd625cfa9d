/*
 * ctl_osd_maint.c — `ternctl osd scrub ID [--deep]` and `ternctl osd gc ID` (dispatched by
 * ctl_osd.c with argv[0] = "osd", argv[1] = the subcommand): ask one running OSD
 * to start a scrub pass (light: digests against every replica; deep: also re-read every blob)
 * or a garbage-collection run now, with the KICK op (docs/PROTOCOL.md). The work runs in the
 * background on the OSD; `ternctl status` shows its counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "tn_osdc_sync.h"
#include "tn_proto.h"

static void usage_osd(FILE *f)
{
    fputs("usage: ternctl osd scrub ID [--deep] --config FILE\n"
          "       ternctl osd gc ID --config FILE\n"
          "\n"
          "scrub: start a scrub pass on OSD ID now (light: compare every held PG with its\n"
          "replicas and repair differences; --deep: also re-read and verify every local blob).\n"
          "gc: start a garbage-collection run on OSD ID now (the PGs it is primary of).\n"
          "Both return once the OSD accepted the request; see `ternctl status` for progress.\n",
          f);
}

int ctl_cmd_osd_maint(int argc, char **argv)
{
    const char *config = NULL, *what = NULL, *id_s = NULL;
    int deep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_osd(stdout);
            return CTL_EXIT_OK;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--deep") == 0) {
            deep = 1;
        } else if (what == NULL) {
            what = argv[i];
        } else if (id_s == NULL) {
            id_s = argv[i];
        } else {
            usage_osd(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (config == NULL || what == NULL || id_s == NULL ||
        (strcmp(what, "scrub") != 0 && strcmp(what, "gc") != 0) ||
        (deep && strcmp(what, "scrub") != 0)) {
        usage_osd(stderr);
        return CTL_EXIT_USAGE;
    }
    char *end;
    long id = strtol(id_s, &end, 10);
    if (*end != '\0' || id < 0 || id > 0x7fffffff) {
        ctl_err("osd %s: '%s' is not an OSD id", what, id_s);
        return CTL_EXIT_USAGE;
    }
    conf_t *conf = NULL;
    pl_map_t *map = NULL;
    int rc = ctl_load(config, &conf, &map);
    if (rc != CTL_EXIT_OK)
        return rc;
    int exit_code = CTL_EXIT_FAIL;
    const conf_osd_t *o = NULL;
    for (size_t i = 0; i < conf->n_osds; i++)
        if (conf->osds[i].id == (int32_t)id)
            o = &conf->osds[i];
    tn_osdc_opts_t co = {0};
    co.connect_timeout_ms = 1000;
    co.request_timeout_ms = 5000;
    co.epoch = map->epoch;
    tn_osdc_sync_t *cl = NULL;
    if (o == NULL) {
        ctl_err("osd %s: no OSD %ld in %s", what, id, config);
        exit_code = CTL_EXIT_USAGE;
        goto out;
    }
    cl = tn_osdc_sync_create(&co);
    if (cl == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    char addr[PL_ADDR_MAX + 8];
    ctl_osd_addr(o, addr, sizeof(addr));
    tn_osdc_set_osd(tn_osdc_sync_client(cl), o->id, addr);
    uint8_t body = strcmp(what, "gc") == 0 ? TN_PROTO_KICK_GC
                   : deep                  ? TN_PROTO_KICK_DEEP
                                           : TN_PROTO_KICK_SCRUB;
    uint8_t *out = NULL;
    size_t outlen = 0;
    rc = tn_osdc_sync_call(cl, o->id, TN_OP_KICK, &body, 1, &out, &outlen);
    free(out);
    if (rc != 0) {
        ctl_err("osd %s: OSD %ld at %s: %s", what, id, addr, tn_strerror(rc));
        goto out;
    }
    printf("osd.%ld: %s started\n", id,
           body == TN_PROTO_KICK_GC ? "garbage collection"
           : deep                   ? "deep scrub"
                                    : "scrub");
    exit_code = CTL_EXIT_OK;
out:
    tn_osdc_sync_destroy(cl);
    pl_map_destroy(map);
    conf_free(conf);
    return exit_code;
}
