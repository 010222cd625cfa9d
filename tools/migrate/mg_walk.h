/*
 * mg_walk.h — tern-migrate's scan of the source tree: every entry under SRC_DIR, never
 * following a symbolic link (directories are opened O_NOFOLLOW relative to their parent's
 * descriptor, so a link cannot lead the walk out of the tree). Regular files become
 * MG_ENT_FILE with size and mtime; links, sockets, FIFOs and devices MG_ENT_SKIP with the
 * reason; unreadable directories MG_ENT_FAIL with errno's text. Read-only: the source is
 * never modified (no atime-changing writes, no locks).
 */
#ifndef MG_WALK_H
#define MG_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "mg_keys.h"

typedef enum { MG_ENT_FILE, MG_ENT_SKIP, MG_ENT_FAIL } mg_ent_kind_t;

typedef struct {
    char *rel; /* path relative to SRC_DIR, '/' separators; malloc()ed, owned by the list */
    uint64_t size;
    int64_t mtime_s;
    long mtime_ns;
    mg_ent_kind_t kind;
    char why[96]; /* MG_ENT_SKIP / MG_ENT_FAIL: the reason */
} mg_entry_t;

typedef struct {
    mg_entry_t *v; /* owned */
    size_t n, cap;
} mg_list_t;

/* Walks root (descending only where mg_map_descend allows). 0, or -1 with errno if root
 * itself cannot be opened or memory runs out. */
int mg_walk(const char *root, const mg_map_t *m, mg_list_t *out);
void mg_list_free(mg_list_t *l);

#endif
