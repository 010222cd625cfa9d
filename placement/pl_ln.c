/*
 * pl_ln.c — straw2's fixed-point logarithm: pl_ln(u) = log2((u + 1) / 65536) * 2^48 for a
 * 16-bit u, computed with 64-bit integer arithmetic and the generated tables of
 * pl_ln_table.h, so every architecture gets the same bits (the concept of Ceph's crush_ln;
 * our own scheme).
 *
 *   x = u + 1 in [1, 65536]; k = floor(log2 x); m = x << (16 - k) in [65536, 131072)
 *   f = m - 65536; i = f >> 8; lo = f & 255
 *   m / 65536 = (1 + i/256) * (1 + t) with t = lo / (65536 + 256 i) < 1/256
 *   log2(m / 65536) = log2(1 + i/256) + (t - t^2/2 + O(t^3)) / ln 2
 *   result = (k - 16) * 2^48 + log1[i] + lo * c1[i] - ((lo * lo * c2[i]) >> 16)
 *
 * The dropped t^3 term is below 2^-24 / (3 ln 2) < 3e-8 (< 2^24 units of 2^-48), far below
 * the smallest step between consecutive u (log2(65536/65535) > 2.2e-5), so the function is
 * strictly increasing; the unit test checks that for all 65536 inputs and the error bound
 * against libm.
 */
#include "placement.h"
#include "pl_ln_impl.h"

int64_t pl_ln(uint32_t u16)
{
    return -(int64_t)pl__neg_ln(u16);
}
