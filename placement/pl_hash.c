/*
 * pl_hash.c — placement's frozen hashes: MurmurHash3_x86_32 (our implementation of the
 * public-domain algorithm, definition in placement.h), the object-name and straw-draw hashes
 * built on it, and Ceph-style stable_mod. Changing any of these moves production data.
 */
#include <string.h>

#include "placement.h"
#include "pl_internal.h"

uint32_t pl_murmur3_32(const void *data, size_t len, uint32_t seed)
{
    const uint8_t *p = data;
    uint32_t h = seed;
    size_t nblocks = len / 4;
    for (size_t b = 0; b < nblocks; b++, p += 4)
        h = pl__murmur3_block(h, pl__le32(p));
    size_t tail = len & 3;
    if (tail > 0) { /* the last 1..3 bytes, little-endian */
        uint32_t k = 0;
        for (size_t i = tail; i > 0; i--)
            k = (k << 8) | p[i - 1];
        k *= 0xcc9e2d51u;
        k = pl__rotl32(k, 15);
        k *= 0x1b873593u;
        h ^= k;
    }
    return pl__fmix32(h ^ (uint32_t)len);
}

uint32_t pl_hash_name(uint32_t pool_id, const void *name, size_t len)
{
    return pl_murmur3_32(name, len, pool_id);
}

uint32_t pl_hash_draw(uint32_t pool_id, uint32_t pg, uint32_t r, uint32_t item)
{
    return pl__draw_finish(pl__draw_prefix(pool_id, pg, r), item);
}

uint32_t pl_stable_mod(uint32_t x, uint32_t b)
{
    if (b <= 1)
        return 0;
    uint32_t bmask = 1;
    while (bmask < b)
        bmask <<= 1;
    bmask -= 1;
    return (x & bmask) < b ? (x & bmask) : (x & (bmask >> 1));
}

uint32_t pl_object_pg(const pl_pool_t *pool, const void *name, size_t len)
{
    return pl_stable_mod(pl_hash_name(pool->id, name, len), pool->pg_num);
}
