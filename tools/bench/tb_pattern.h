/*
 * tb_pattern.h — PURE deterministic object bodies for tern-bench: the body of any key of
 * any size can be produced (PUT) and checked (GET --verify) from the key and the size alone,
 * without storing what was written.
 *
 * One pseudo-random period of TB_PATTERN_PERIOD bytes (splitmix64 from a fixed seed) is
 * generated once; byte i of the body of (key, size) is period[(off + i) % PERIOD] with
 * off = FNV-1a-64(key, size) % PERIOD. Different keys (and the same key at another size)
 * start at different offsets, so a body served for the wrong key or from a stale write of
 * another size fails the check, while producing or checking a body is a memcpy/memcmp
 * over at most two runs of the period per chunk. The period is odd so it never lines up
 * with power-of-two chunk boundaries.
 */
#ifndef TB_PATTERN_H
#define TB_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define TB_PATTERN_PERIOD ((size_t)(1u << 20) + 4093u)

typedef struct {
    uint8_t *buf; /* TB_PATTERN_PERIOD bytes, from malloc(); owned */
} tb_pattern_t;

/* Generates the period. 0, or -1 if out of memory. */
int tb_pattern_init(tb_pattern_t *p);
void tb_pattern_free(tb_pattern_t *p);

/* Where the body of (key, size) starts in the period. */
size_t tb_pattern_offset(const char *key, size_t key_len, uint64_t size);

/* Copies bytes [pos, pos + n) of the body that starts at off into dst. */
void tb_pattern_copy(const tb_pattern_t *p, size_t off, uint64_t pos, void *dst, size_t n);

/* 1 if src equals bytes [pos, pos + n) of that body, else 0. */
int tb_pattern_check(const tb_pattern_t *p, size_t off, uint64_t pos, const void *src, size_t n);

#endif
