/*
 * ctl_osd.c — `ternctl osd SUBCOMMAND`: dispatches to the osd subcommands, one file each
 * (ctl_osd_ls.c: osd ls).
 */
#include <string.h>
#include "ctl.h"

int ctl_cmd_osd(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ls") == 0)
        return ctl_cmd_osd_ls(argc - 1, argv + 1);
    fputs("usage: ternctl osd ls --config FILE [--json] [--timeout-ms N]\n",
          argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout
                                                                                      : stderr);
    return argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
               ? CTL_EXIT_OK
               : CTL_EXIT_USAGE;
}
