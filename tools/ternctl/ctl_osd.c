/*
 * ctl_osd.c — `ternctl osd SUBCOMMAND`: dispatches to the osd subcommands, one file each
 * (ctl_osd_ls.c: osd ls; ctl_osd_maint.c: osd scrub, osd gc; ctl_osd_map.c: osd add, out, in,
 * reweight, replace).
 */
#include <string.h>
#include "ctl.h"

static int is(const char *s, const char *a, const char *b)
{
    return strcmp(s, a) == 0 || (b != NULL && strcmp(s, b) == 0);
}

int ctl_cmd_osd(int argc, char **argv)
{
    if (argc >= 2 && is(argv[1], "ls", NULL))
        return ctl_cmd_osd_ls(argc - 1, argv + 1);
    if (argc >= 2 && is(argv[1], "scrub", "gc"))
        return ctl_cmd_osd_maint(argc, argv);
    if (argc >= 2 && (is(argv[1], "add", "out") || is(argv[1], "in", "reweight") ||
                      is(argv[1], "replace", NULL)))
        return ctl_cmd_osd_map(argc, argv);
    int help = argc >= 2 && is(argv[1], "--help", "-h");
    fputs("usage: ternctl osd ls --config FILE [--json] [--timeout-ms N]\n"
          "       ternctl osd add --config FILE --id N [--host H --addr HOST:PORT] [--weight W]\n"
          "       ternctl osd out|in --config FILE ID\n"
          "       ternctl osd reweight --config FILE ID WEIGHT\n"
          "       ternctl osd replace --config FILE ID\n"
          "       ternctl osd scrub ID [--deep] --config FILE\n"
          "       ternctl osd gc ID --config FILE\n"
          "map changes (add, out, in, reweight, replace) also take --wait SECONDS; `ternctl osd "
          "add --help`\n",
          help ? stdout : stderr);
    return help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}
