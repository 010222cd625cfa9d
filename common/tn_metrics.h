/*
 * tn_metrics.h — counters and histograms that many threads update without locks, and a pure
 * renderer of the Prometheus text exposition format, version 0.0.4.
 *
 * HOT PATH. A counter set (tn_ctrs_t) is n uint64 slots; a histogram set (tn_hists_t) is n
 * histograms sharing one list of upper bounds. Both keep TN_METRICS_SHARDS copies of their
 * slots, each copy on its own cache lines; a thread always adds to the copy of its shard (a
 * thread-local index handed out round-robin on first use), with relaxed atomic adds. No lock,
 * no allocation, no false sharing between threads of different shards. Reading sums the
 * shards: a scrape may see one observation's bucket but not yet its sum (Prometheus accepts
 * that), and _count is always the +Inf bucket (computed from the same buckets).
 *
 * EXPOSITION (https://prometheus.io/docs/instrumenting/exposition_formats/, 0.0.4):
 *   # HELP <name> <help, with \ as \\ and newline as \n>
 *   # TYPE <name> counter|gauge|histogram
 *   <name>{<label>="<value, with \ as \\, " as \" and newline as \n>",...} <value>
 * Histograms: <name>_bucket{...,le="<bound>"} cumulative counts in increasing bound order, the
 * last with le="+Inf", then <name>_sum and <name>_count. Values: integers in decimal; doubles
 * as the shortest %g that reads back exactly, "+Inf", "-Inf", "NaN". Every line ends in '\n'. The
 * renderer writes into a tn_mbuf_t (growable; an allocation failure is sticky in .err) and does no
 * I/O. Metric and label names are the caller's constants and must match [a-zA-Z_:][a-zA-Z0-9_:]*
 * (checked with assert in debug builds only).
 */
#ifndef TN_METRICS_H
#define TN_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "tern.h"

#define TN_METRICS_SHARDS     8
#define TN_METRICS_MAX_BOUNDS 32

/* ---- counters ---- */

typedef struct {
    size_t n;      /* slots */
    size_t stride; /* slots per shard, rounded up to a cache line */
    _Atomic uint64_t *v;
} tn_ctrs_t;

/* Allocates n zeroed slots (n >= 1). 0 or -ENOMEM. */
int tn_ctrs_init(tn_ctrs_t *c, size_t n);
void tn_ctrs_free(tn_ctrs_t *c);
/* Adds by to slot i (i < n). Lock-free, any thread. */
void tn_ctrs_add(tn_ctrs_t *c, size_t i, uint64_t by);
/* The sum over shards of slot i. */
uint64_t tn_ctrs_get(const tn_ctrs_t *c, size_t i);
/* Gauges that go down use two counters (up and down) or a plain atomic: not this type. */

/* ---- histograms ---- */

typedef struct {
    size_t n;                             /* histograms */
    size_t nb;                            /* finite upper bounds */
    double bounds[TN_METRICS_MAX_BOUNDS]; /* strictly increasing */
    size_t stride;                        /* per histogram per shard: nb + 1 buckets + sum */
    size_t shard_stride;                  /* per shard, rounded up to a cache line */
    _Atomic uint64_t *v;                  /* bucket counts, then the sum's double bits */
} tn_hists_t;

/* n histograms with nb (1..TN_METRICS_MAX_BOUNDS) strictly increasing finite bounds.
 * 0, -EINVAL or -ENOMEM. */
int tn_hists_init(tn_hists_t *h, size_t n, const double *bounds, size_t nb);
void tn_hists_free(tn_hists_t *h);
/* Records value x in histogram i: the first bucket whose bound >= x (le is inclusive), or
 * +Inf. Lock-free, any thread. */
void tn_hists_observe(tn_hists_t *h, size_t i, double x);

/* A consistent-enough copy of one histogram: non-cumulative bucket counts (nb + 1, the last
 * is the +Inf bucket), their total and the sum. */
typedef struct {
    size_t nb;
    const double *bounds;
    uint64_t buckets[TN_METRICS_MAX_BOUNDS + 1];
    uint64_t count;
    double sum;
} tn_hist_snap_t;
void tn_hists_snap(const tn_hists_t *h, size_t i, tn_hist_snap_t *out);

/* ---- exposition ---- */

typedef struct {
    char *p; /* NUL-terminated while err == 0; from malloc(), free with tn_mbuf_free */
    size_t len, cap;
    int err; /* -ENOMEM once an allocation failed (then p holds what fitted) */
} tn_mbuf_t;

void tn_mbuf_init(tn_mbuf_t *b);
void tn_mbuf_free(tn_mbuf_t *b);
void tn_mbuf_put(tn_mbuf_t *b, const char *s, size_t len);
void tn_mbuf_printf(tn_mbuf_t *b, const char *fmt, ...) TN_PRINTF(2, 3);

typedef struct {
    const char *name;
    const char *value; /* any bytes but NUL; escaped on output */
} tn_label_t;

typedef enum { TN_MT_COUNTER, TN_MT_GAUGE, TN_MT_HISTOGRAM } tn_mtype_t;

/* "# HELP name help\n# TYPE name type\n": once per family, before its samples. */
void tn_metrics_family(tn_mbuf_t *b, const char *name, tn_mtype_t type, const char *help);
/* name{labels} value, value an unsigned integer. nl may be 0 (no braces). */
void tn_metrics_u64(tn_mbuf_t *b, const char *name, const tn_label_t *l, size_t nl, uint64_t v);
/* The same with a double value (+Inf, -Inf, NaN spelt as Prometheus wants). */
void tn_metrics_f64(tn_mbuf_t *b, const char *name, const tn_label_t *l, size_t nl, double v);
/* The _bucket (cumulative, le last among the labels), _sum and _count lines of one
 * histogram. */
void tn_metrics_hist(tn_mbuf_t *b, const char *name, const tn_label_t *l, size_t nl,
                     const tn_hist_snap_t *s);
/* Writes a double as the exposition spells it into out[32]. */
void tn_metrics_fmt_double(char out[32], double v);

#endif
