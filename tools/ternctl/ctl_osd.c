/*
 * ctl_osd.c — `ternctl osd SUBCOMMAND`: dispatches to the osd subcommands, one file each
 * (ctl_osd_ls.c: osd ls; ctl_osd_maint.c: osd scrub, osd gc).
 */
#include <string.h>
#include "ctl.h"

int ctl_cmd_osd(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ls") == 0)
        return ctl_cmd_osd_ls(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "scrub") == 0 || strcmp(argv[1], "gc") == 0))
        return ctl_cmd_osd_maint(argc, argv);
    int help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fputs("usage: ternctl osd ls --config FILE [--json] [--timeout-ms N]\n"
          "       ternctl osd scrub ID [--deep] --config FILE\n"
          "       ternctl osd gc ID --config FILE\n",
          help ? stdout : stderr);
    return help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}
