/*
 * tb_opts.h — PURE parsing of tern-bench's option values: byte sizes with K/M/G/T
 * suffixes, the operation names, and the --mix ratio list.
 */
#ifndef TB_OPTS_H
#define TB_OPTS_H

#include <stdint.h>

typedef enum {
    TB_PUT = 0,
    TB_GET,
    TB_HEAD,
    TB_DELETE,
    TB_LIST,
    TB_OP_COUNT,
} tb_op_t;

/* "put", "get", ... */
const char *tb_op_name(tb_op_t op);
/* The op named name (exact, lowercase), or -1. */
int tb_op_parse(const char *name);

/* A size: decimal digits, optionally followed by one binary-multiple suffix K, M, G or T
 * (any case, optionally with "iB" or "B": 4K = 4k = 4KiB = 4KB = 4096). No sign, no
 * spaces, no fraction. 0 on success, -1 if malformed or above 2^62. */
int tb_parse_size(const char *s, uint64_t *out);

/* A mix: comma-separated op=weight pairs, weights decimal 0..1000000, each op at most once,
 * e.g. "put=1,get=8". Ops not named weigh 0. 0 on success (and at least one weight > 0),
 * -1 otherwise. */
int tb_parse_mix(const char *s, unsigned weights[TB_OP_COUNT]);

/* Picks an op from weights given r uniform in [0, total) where total is their sum. */
tb_op_t tb_mix_pick(const unsigned weights[TB_OP_COUNT], uint64_t r);

#endif
