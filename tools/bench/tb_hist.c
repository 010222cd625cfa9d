/*
 * tb_hist.c — the log-linear latency histogram of tern-bench (layout in tb_hist.h).
 *
 * Bucket of v: v itself below TB_HIST_SUB; otherwise, with m the index of v's top bit and
 * shift = m - SUB_BITS, the SUB_BITS+1 top bits "top" (in [SUB, 2*SUB)) give
 * idx = SUB * shift + top. Consecutive values map to consecutive or equal buckets.
 */
#include "tb_hist.h"

#include <string.h>

void tb_hist_init(tb_hist_t *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

size_t tb_hist_index(uint64_t v)
{
    if (v > TB_HIST_MAX_VALUE)
        v = TB_HIST_MAX_VALUE;
    if (v < TB_HIST_SUB)
        return (size_t)v;
    unsigned m = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = m - TB_HIST_SUB_BITS;
    return (size_t)TB_HIST_SUB * shift + (size_t)(v >> shift);
}

uint64_t tb_hist_low(size_t idx)
{
    if (idx < 2 * TB_HIST_SUB)
        return idx;
    size_t shift = idx / TB_HIST_SUB - 1;
    uint64_t top = idx - TB_HIST_SUB * shift;
    return top << shift;
}

uint64_t tb_hist_high(size_t idx)
{
    if (idx < 2 * TB_HIST_SUB)
        return idx;
    size_t shift = idx / TB_HIST_SUB - 1;
    uint64_t top = idx - TB_HIST_SUB * shift;
    return ((top + 1) << shift) - 1;
}

void tb_hist_add(tb_hist_t *h, uint64_t v)
{
    if (v > TB_HIST_MAX_VALUE)
        v = TB_HIST_MAX_VALUE;
    h->counts[tb_hist_index(v)]++;
    h->n++;
    h->sum += v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void tb_hist_merge(tb_hist_t *dst, const tb_hist_t *src)
{
    for (size_t i = 0; i < TB_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->n += src->n;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t tb_hist_quantile(const tb_hist_t *h, double q)
{
    if (h->n == 0)
        return 0;
    if (q <= 0)
        return h->min;
    if (q >= 1)
        return h->max;
    /* rank of the wanted value, 1-based: ceil(q * n) */
    uint64_t rank = (uint64_t)(q * (double)h->n);
    if ((double)rank < q * (double)h->n)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < TB_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t hi = tb_hist_high(i);
            return hi < h->max ? hi : h->max;
        }
    }
    return h->max;
}

double tb_hist_mean(const tb_hist_t *h)
{
    return h->n ? (double)h->sum / (double)h->n : 0.0;
}
