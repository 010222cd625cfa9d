/*
 * pl_ln_impl.h — the inline body of pl_ln() (definition and error bound in pl_ln.c), shared
 * by pl_ln.c and the straw2 loop in pl_select.c so the hot loop can inline it.
 */
#ifndef TERN_PL_LN_IMPL_H
#define TERN_PL_LN_IMPL_H

#include <stdint.h>

#include "pl_ln_table.h"

/* -pl_ln(u16): the magnitude of the (non-positive) fixed-point log, in [0, 2^52]. */
static inline uint64_t pl__neg_ln(uint32_t u16)
{
    uint32_t x = (u16 & 0xffffu) + 1;
    if (x == 65536)
        return 0;
    int k = 31 - __builtin_clz(x); /* x >= 1, k in 0..15 */
    uint32_t m = x << (16 - k);
    uint32_t f = m - 65536u;
    uint32_t i = f >> 8, lo = f & 255u;
    uint64_t frac =
        pl_ln_log1[i] + (uint64_t)lo * pl_ln_c1[i] - (((uint64_t)lo * lo * pl_ln_c2[i]) >> 16);
    /* (16 - k) * 2^48 - frac, with frac < 2^48 */
    return ((uint64_t)(16 - k) << 48) - frac;
}

#endif
