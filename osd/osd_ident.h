/*
 * osd_ident.h — the identity of an OSD data directory, so that a daemon never serves (or
 * writes into) another OSD's or another cluster's data, and the incarnation id of DESIGN.md
 * rule 4 ("an empty disk does not vote").
 *
 * FILE <data>/osd.ident (text, one key=value per line, in this order):
 *
 *   tern-osd-ident 1                 format line: magic word and format version
 *   cluster=<32 hex>                 the cluster id (conf cluster.id)
 *   osd=<decimal>                    the OSD id
 *   incarnation=<16 hex>             random 64-bit id of this directory (getrandom), never 0
 *
 * Written once, when the directory is first used: to osd.ident.tmp, fsync, rename, fsync of the
 * directory (rule 6). Never rewritten.
 */
#ifndef OSD_IDENT_H
#define OSD_IDENT_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"

#define OSD_IDENT_FILE    "osd.ident"
#define OSD_IDENT_VERSION 1

typedef struct {
    uint8_t cluster[16];
    uint32_t osd_id;
    uint64_t incarnation;
} osd_ident_t;

/* mkdir -p path, fsyncing the parent of every directory it creates. 0 or -errno. */
int osd_mkdir_p(const char *path);

/* Writes data into dir/name atomically and durably: dir/name.tmp, fsync, rename, fsync dir.
 * 0 or -errno (the temp file is removed on failure). */
int osd_write_file_atomic(const char *dir, const char *name, const void *data, size_t len);

/*
 * Makes sure data_dir exists and belongs to (cluster, osd_id): creates it and its identity on
 * first use (an absent or empty directory), else reads and checks the identity. On success
 * *out holds the identity and *created says whether it was just made. On refusal returns
 * TN_ERR_CONFIG with a message for the operator in why (another OSD's or cluster's directory,
 * a non-empty directory without identity, a damaged identity file); other errors are -errno.
 */
int osd_ident_ensure(const char *data_dir, const uint8_t cluster[16], uint32_t osd_id,
                     osd_ident_t *out, int *created, char *why, size_t whylen);

#endif
