/*
 * tb_hist.h — PURE latency histogram for tern-bench: log-linear buckets in the HDR style
 * (every power of two split into TB_HIST_SUB linear sub-buckets), so any recorded value
 * is known to within 1/TB_HIST_SUB (< 0.8 %) with a fixed 36 KiB table and O(1) insertion.
 *
 * Values are unsigned integers (tern-bench records microseconds). Values below TB_HIST_SUB
 * are exact; larger ones land in the bucket [low, high] that contains them; values above
 * TB_HIST_MAX_VALUE are clamped to it. Quantiles answer the upper edge of the bucket that
 * holds the q-th value (never more than the exact maximum), like HdrHistogram's
 * "highest equivalent value", so a quoted p99 is never optimistic by more than one bucket.
 */
#ifndef TB_HIST_H
#define TB_HIST_H

#include <stddef.h>
#include <stdint.h>

#define TB_HIST_SUB_BITS  7
#define TB_HIST_SUB       (1u << TB_HIST_SUB_BITS) /* 128 sub-buckets per power of two */
#define TB_HIST_MAX_BITS  40                       /* 2^40 us = 12.7 days */
#define TB_HIST_MAX_VALUE ((UINT64_C(1) << TB_HIST_MAX_BITS) - 1)
#define TB_HIST_BUCKETS   ((TB_HIST_MAX_BITS - TB_HIST_SUB_BITS + 1) * TB_HIST_SUB)

typedef struct {
    uint64_t counts[TB_HIST_BUCKETS];
    uint64_t n;   /* values recorded */
    uint64_t min; /* exact; UINT64_MAX when empty */
    uint64_t max; /* exact (after clamping) */
    uint64_t sum; /* for the mean */
} tb_hist_t;

void tb_hist_init(tb_hist_t *h);
void tb_hist_add(tb_hist_t *h, uint64_t v);
/* Adds every value of src to dst. */
void tb_hist_merge(tb_hist_t *dst, const tb_hist_t *src);
/* The q-quantile (0 <= q <= 1) as described above; 0 for an empty histogram. */
uint64_t tb_hist_quantile(const tb_hist_t *h, double q);
/* Mean of the recorded values (0 when empty). */
double tb_hist_mean(const tb_hist_t *h);

/* The bucket of v (after clamping) and the inclusive range of a bucket (for tests). */
size_t tb_hist_index(uint64_t v);
uint64_t tb_hist_low(size_t idx);
uint64_t tb_hist_high(size_t idx);

#endif
