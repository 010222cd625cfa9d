/*
 * pl_internal.h — helpers shared by placement's .c files (not part of the public API):
 * MurmurHash3 building blocks, little-endian loads and stores.
 */
#ifndef TERN_PL_INTERNAL_H
#define TERN_PL_INTERNAL_H

#include <stdint.h>

static inline uint32_t pl__rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static inline uint32_t pl__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One MurmurHash3_x86_32 body step: mixes the 32-bit block k into h. */
static inline uint32_t pl__murmur3_block(uint32_t h, uint32_t k)
{
    k *= 0xcc9e2d51u;
    k = pl__rotl32(k, 15);
    k *= 0x1b873593u;
    h ^= k;
    h = pl__rotl32(h, 13);
    return h * 5 + 0xe6546b64u;
}

static inline uint32_t pl__fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* pl_hash_draw split in two: the state after (pool, pg, r), then the item and finalization,
 * so a straw2 pass over many items hashes the common prefix once. */
static inline uint32_t pl__draw_prefix(uint32_t pool_id, uint32_t pg, uint32_t r)
{
    return pl__murmur3_block(pl__murmur3_block(pl__murmur3_block(0, pool_id), pg), r);
}

static inline uint32_t pl__draw_finish(uint32_t prefix, uint32_t item)
{
    return pl__fmix32(pl__murmur3_block(prefix, item) ^ 16u);
}

/* Portable a * b for 64-bit operands as a 128-bit (hi, lo) pair (no __int128 needed). */
static inline void pl__mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    *lo = (mid << 32) | (ll & 0xffffffffu);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* Compares a * b with c * d exactly: negative, 0 or positive. Uses the compiler's 128-bit
 * integers where they exist and pl__mul64 elsewhere (same result; the unit test checks). */
static inline int pl__cmp_products(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
#if defined(__SIZEOF_INT128__)
    unsigned __int128 x = (unsigned __int128)a * b, y = (unsigned __int128)c * d;
    return x < y ? -1 : x > y;
#else
    uint64_t xh, xl, yh, yl;
    pl__mul64(a, b, &xh, &xl);
    pl__mul64(c, d, &yh, &yl);
    if (xh != yh)
        return xh < yh ? -1 : 1;
    return xl < yl ? -1 : xl > yl;
#endif
}

#endif
