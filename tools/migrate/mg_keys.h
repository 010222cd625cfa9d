/*
 * mg_keys.h — PURE mapping of tern-migrate's source paths to object keys.
 *
 * Plain mode: key = PREFIX "/" rel (or rel without a prefix), rel the path relative to
 * SRC_DIR with '/' separators. Ghost mode (--ghost, SRC_DIR a Ghost content/ directory) uses
 * the layout of ghost-storage-adapter-s3, whose keys are "<pathPrefix>/YYYY/MM/name" for
 * the files Ghost stores (docs/MIGRATION.md):
 *   images/REST  -> PREFIX/REST          (the adapter's pathPrefix = PREFIX)
 *   media/REST   -> PREFIX/media/REST    (an adapter instance for media with pathPrefix
 *   files/REST   -> PREFIX/files/REST     PREFIX/media, resp. PREFIX/files: no collisions)
 *   themes/REST  -> PREFIX/themes/REST   only with --include-themes, else skipped
 *   data/, logs/, anything else          -> skipped (Ghost keeps them locally)
 * Keys must be valid UTF-8 of at most 1024 bytes (S3's limit); anything else is skipped with
 * the reason.
 */
#ifndef MG_KEYS_H
#define MG_KEYS_H

#include <stddef.h>

#define MG_KEY_MAX 1024

typedef struct {
    const char *prefix; /* normalised (mg_prefix_norm), "" for none */
    int ghost;          /* --ghost */
    int include_themes; /* --include-themes */
} mg_map_t;

/* Normalises a prefix in place: strips leading and trailing '/', collapses "//". */
void mg_prefix_norm(char *prefix);

/* 1 if s is valid UTF-8 (no overlongs, no surrogates), else 0. */
int mg_utf8_valid(const char *s);

/* Maps rel (relative path, '/' separators, no leading '/') to its key in out[cap].
 * Returns 0 (upload it) or 1 (skip it: *why says why, a static string). */
int mg_map_key(const mg_map_t *m, const char *rel, char *out, size_t cap, const char **why);

/* Ghost mode: 1 if the walk should descend into the directory rel_dir at all (saves walking
 * data/, logs/, node_modules of themes), else 0 with *why (static) for the report. Plain
 * mode: always 1. */
int mg_map_descend(const mg_map_t *m, const char *rel_dir, const char **why);

#endif
