/*
 * conf_tree.h — conf/'s internal building blocks, exported (conf__ prefix) only so the loader,
 * the unit tests and the fuzzer can use them:
 *   - an arena allocator: every node, string and array of a load comes from one arena and dies
 *     with it (one owner, no per-object frees);
 *   - the error collector behind conf_error_t;
 *   - a YAML node tree that keeps 1-based line/column for every node, built from libyaml events
 *     over a buffer (pure: no file I/O).
 *
 * Tree shape: a mapping's children are its keys (always scalars), in file order, each key
 * pointing at its value (key->value); a sequence's children are its items. Duplicate keys are
 * kept (the loader reports them). Depth is limited to CONF_TREE_MAX_DEPTH and the node count to
 * CONF_TREE_MAX_NODES, so hostile input can neither exhaust the stack nor memory.
 */
#ifndef CONF_TREE_H
#define CONF_TREE_H

#include <stddef.h>
#include "conf.h"

#define CONF_TREE_MAX_DEPTH 32
#define CONF_TREE_MAX_NODES 1000000

/* ---- arena ---- */
typedef struct conf_arena conf_arena_t;

conf_arena_t *conf__arena_new(void);
void conf__arena_free(conf_arena_t *a);
/* Zeroed, max_align_t-aligned memory; NULL on OOM or overflow. */
void *conf__arena_alloc(conf_arena_t *a, size_t n);
void *conf__arena_calloc(conf_arena_t *a, size_t n, size_t size);
/* A NUL-terminated copy of s[0..len). */
char *conf__arena_strndup(conf_arena_t *a, const char *s, size_t len);

/* ---- errors ---- */
/* Appends "name:line:col: message\n" (line/col 1-based; 0 leaves them out) and counts it. */
void conf__error_add(conf_error_t *e, const char *name, unsigned line, unsigned col,
                     const char *fmt, ...) TN_PRINTF(5, 6);
/* Adds the "N more errors not shown" line if lines were dropped. Call once at the end. */
void conf__error_finish(conf_error_t *e, const char *name);

/* ---- node tree ---- */
typedef enum { CONF_NODE_SCALAR = 0, CONF_NODE_MAP, CONF_NODE_SEQ } conf_node_type_t;

typedef struct conf_node conf_node_t;
struct conf_node {
    conf_node_type_t type;
    unsigned line, col; /* 1-based start of the node */
    /* scalar */
    const char *str; /* NUL-terminated (may also contain NULs: use len) */
    size_t len;
    int quoted;         /* 1 for '...', "...", | and > styles; 0 for plain */
    conf_node_t *value; /* for a mapping key: its value */
    /* map / seq */
    conf_node_t *first, *last; /* children: keys of a map, items of a seq */
    size_t n;                  /* number of children */
    conf_node_t *next;         /* next sibling */
};

/*
 * Parses buf[0..len) into a tree allocated from arena. Returns TN_OK with *root set (NULL for a
 * stream with no document: an empty or comment-only file), TN_ERR_CONFIG after adding one error
 * (syntax, alias, complex key, too deep, several documents) to err, or -ENOMEM.
 */
int conf__tree_parse(conf_arena_t *arena, const char *name, const char *buf, size_t len,
                     conf_node_t **root, conf_error_t *err);

/* A plain empty scalar, `~` or `null`: YAML's null. */
int conf__node_is_null(const conf_node_t *n);
/* "a mapping", "a sequence", "a string"... for messages. */
const char *conf__node_kind(const conf_node_t *n);

#endif
