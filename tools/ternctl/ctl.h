/*
 * ctl.h — what the ternctl command files share: the command table entry type, option parsing
 * helpers and the loaded configuration + map most commands start from.
 */
#ifndef TERN_CTL_H
#define TERN_CTL_H

#include <stdio.h>
#include "conf.h"
#include "placement.h"

/* Exit statuses: 0 success, 1 the operation failed, 2 usage or configuration error. */
#define CTL_EXIT_OK    0
#define CTL_EXIT_FAIL  1
#define CTL_EXIT_USAGE 2

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
} ctl_command_t;

/* Loads the config at path and builds its map (epoch 1). Prints every error to stderr and
 * returns CTL_EXIT_USAGE on failure, CTL_EXIT_OK with *conf and *map set (caller frees) on
 * success. */
int ctl_load(const char *path, conf_t **conf, pl_map_t **map);

/* Prints "ternctl: " + message to stderr. */
void ctl_err(const char *fmt, ...) TN_PRINTF(1, 2);

/* Parses the value of --timeout-ms (1..600000 ms) into *out: CTL_EXIT_OK, or prints what is
 * wrong and returns CTL_EXIT_USAGE. */
int ctl_parse_timeout_ms(const char *s, long *out);

/* When argv[1] is missing, --help or -h: prints usage (to stderr when missing, then returns
 * CTL_EXIT_USAGE; else to stdout, CTL_EXIT_OK). -1 otherwise: the command goes on. */
int ctl_help(int argc, char **argv, void (*usage)(FILE *f));
/* One option of a command: "--name VALUE" into *value, or (value NULL) a flag setting *flag. */
typedef struct {
    const char *name;
    const char **value;
    int *flag;
} ctl_opt_t;
/* Parses argv[first..argc) against opts (ended by a NULL name) and at most one positional
 * argument into *pos (none allowed when pos is NULL; *pos starts NULL). Prints
 * "CMD: --x needs a value" or "CMD: unexpected argument ..." and returns CTL_EXIT_USAGE, or
 * CTL_EXIT_OK. */
int ctl_parse_opts(int argc, char **argv, int first, const char *cmd, const ctl_opt_t *opts,
                   const char **pos);
/* An OSD's address from the config as HOST:PORT ([HOST]:PORT for IPv6) into out[len]. */
void ctl_osd_addr(const conf_osd_t *o, char *out, size_t len);

/* Writes s as a JSON string literal (with quotes) to f. */
void ctl_json_str(FILE *f, const char *s);

/* Replaces *map with the newest map any OSD answering (those of conf and of *map) holds,
 * points cl at every OSD of it and sets cl's epoch; *n_up = OSDs that answered a PING.
 * 0, -EHOSTUNREACH (none answered) or the MAP_GET / decode error. (ctl_osd_map.c) */
struct st_tn_osdc_sync_t;
int ctl_fetch_map(struct st_tn_osdc_sync_t *cl, const conf_t *conf, pl_map_t **map, size_t *n_up);

int ctl_cmd_rebalance(int argc, char **argv);

/* A blocking OSD client for one command: requests bounded by timeout_ms, connects by
 * min(timeout_ms, 500 ms), stamped with map epoch `epoch`; no OSD addresses yet. NULL when out
 * of memory. (ternctl.c) */
struct st_tn_osdc_sync_t *ctl_client(uint64_t epoch, long timeout_ms);
int ctl_cmd_map(int argc, char **argv);
int ctl_cmd_config(int argc, char **argv);
int ctl_cmd_cluster(int argc, char **argv);
int ctl_cmd_status(int argc, char **argv);
int ctl_cmd_user(int argc, char **argv);
int ctl_cmd_key(int argc, char **argv);
int ctl_cmd_bucket(int argc, char **argv);
int ctl_cmd_osd(int argc, char **argv);
int ctl_cmd_osd_ls(int argc, char **argv);
int ctl_cmd_osd_maint(int argc, char **argv); /* osd scrub, osd gc (argv[0] "osd") */
int ctl_cmd_osd_map(int argc,
                    char **argv); /* osd add, out, in, reweight, replace (argv[0] "osd") */

#endif
