/* tn_metrics.c — this file implements the sharded lock-free counters and histograms and the
 * Prometheus 0.0.4 text renderer declared in tn_metrics.h. */
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tn_metrics.h"

#define LINE_SLOTS 8u /* uint64 per 64-byte cache line */

static _Atomic unsigned next_shard;
static _Thread_local int my_shard = -1;

static size_t shard(void)
{
    if (my_shard < 0)
        my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) %
                         TN_METRICS_SHARDS);
    return (size_t)my_shard;
}

static size_t round_line(size_t n)
{
    return (n + LINE_SLOTS - 1) / LINE_SLOTS * LINE_SLOTS;
}

static _Atomic uint64_t *alloc_slots(size_t n)
{
    /* 64-byte aligned so that shards never share a line */
    void *p = NULL;
    if (n == 0 || n > SIZE_MAX / sizeof(uint64_t) / TN_METRICS_SHARDS)
        return NULL;
    size_t bytes = n * sizeof(uint64_t);
    if (posix_memalign(&p, 64, bytes) != 0)
        return NULL;
    _Atomic uint64_t *v = p;
    for (size_t i = 0; i < n; i++)
        atomic_init(&v[i], 0);
    return v;
}

int tn_ctrs_init(tn_ctrs_t *c, size_t n)
{
    memset(c, 0, sizeof(*c));
    if (n == 0)
        return -EINVAL;
    c->n = n;
    c->stride = round_line(n);
    c->v = alloc_slots(c->stride * TN_METRICS_SHARDS);
    return c->v != NULL ? TN_OK : -ENOMEM;
}

void tn_ctrs_free(tn_ctrs_t *c)
{
    free((void *)c->v);
    memset(c, 0, sizeof(*c));
}

void tn_ctrs_add(tn_ctrs_t *c, size_t i, uint64_t by)
{
    assert(i < c->n);
    if (c->v == NULL || i >= c->n)
        return;
    atomic_fetch_add_explicit(&c->v[shard() * c->stride + i], by, memory_order_relaxed);
}

uint64_t tn_ctrs_get(const tn_ctrs_t *c, size_t i)
{
    uint64_t s = 0;
    if (c->v == NULL || i >= c->n)
        return 0;
    for (size_t k = 0; k < TN_METRICS_SHARDS; k++)
        s += atomic_load_explicit(&c->v[k * c->stride + i], memory_order_relaxed);
    return s;
}

int tn_hists_init(tn_hists_t *h, size_t n, const double *bounds, size_t nb)
{
    memset(h, 0, sizeof(*h));
    if (n == 0 || nb == 0 || nb > TN_METRICS_MAX_BOUNDS)
        return -EINVAL;
    for (size_t i = 0; i < nb; i++)
        if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
            return -EINVAL;
    memcpy(h->bounds, bounds, nb * sizeof(double));
    h->n = n;
    h->nb = nb;
    h->stride = nb + 2; /* nb finite buckets, +Inf, sum */
    h->shard_stride = round_line(n * h->stride);
    h->v = alloc_slots(h->shard_stride * TN_METRICS_SHARDS);
    return h->v != NULL ? TN_OK : -ENOMEM;
}

void tn_hists_free(tn_hists_t *h)
{
    free((void *)h->v);
    memset(h, 0, sizeof(*h));
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

void tn_hists_observe(tn_hists_t *h, size_t i, double x)
{
    assert(i < h->n);
    if (h->v == NULL || i >= h->n)
        return;
    size_t b = 0;
    while (b < h->nb && !(x <= h->bounds[b])) /* NaN lands in +Inf */
        b++;
    _Atomic uint64_t *base = &h->v[shard() * h->shard_stride + i * h->stride];
    atomic_fetch_add_explicit(&base[b], 1, memory_order_relaxed);
    /* the sum: a CAS loop on the double's bits; uncontended unless threads share a shard */
    _Atomic uint64_t *sum = &base[h->nb + 1];
    uint64_t old = atomic_load_explicit(sum, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(sum, &old, dbits(bitsd(old) + x),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

void tn_hists_snap(const tn_hists_t *h, size_t i, tn_hist_snap_t *out)
{
    memset(out, 0, sizeof(*out));
    out->nb = h->nb;
    out->bounds = h->bounds;
    if (h->v == NULL || i >= h->n)
        return;
    for (size_t k = 0; k < TN_METRICS_SHARDS; k++) {
        const _Atomic uint64_t *base = &h->v[k * h->shard_stride + i * h->stride];
        for (size_t b = 0; b <= h->nb; b++)
            out->buckets[b] += atomic_load_explicit(&base[b], memory_order_relaxed);
        out->sum += bitsd(atomic_load_explicit(&base[h->nb + 1], memory_order_relaxed));
    }
    for (size_t b = 0; b <= h->nb; b++)
        out->count += out->buckets[b];
}

/* ---- buffer ---- */

void tn_mbuf_init(tn_mbuf_t *b)
{
    memset(b, 0, sizeof(*b));
}

void tn_mbuf_free(tn_mbuf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static int reserve(tn_mbuf_t *b, size_t more)
{
    if (b->err != 0)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap != 0 ? b->cap : 4096;
    while (cap < b->len + more + 1) {
        if (cap > SIZE_MAX / 2) {
            b->err = -ENOMEM;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->err = -ENOMEM;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void tn_mbuf_put(tn_mbuf_t *b, const char *s, size_t len)
{
    if (reserve(b, len) != 0)
        return;
    memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void tn_mbuf_printf(tn_mbuf_t *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        tn_mbuf_put(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* ---- exposition ---- */

#ifndef NDEBUG
static int valid_name(const char *s)
{
    if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == ':'))
            return 0;
    return 1;
}
#endif

/* Escapes for HELP (quote = 0: \ and newline) or label values (quote = 1: also "). */
static void put_escaped(tn_mbuf_t *b, const char *s, int quote)
{
    const char *run = s;
    for (; *s != '\0'; s++) {
        const char *rep = NULL;
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '\n')
            rep = "\\n";
        else if (quote && *s == '"')
            rep = "\\\"";
        if (rep == NULL)
            continue;
        tn_mbuf_put(b, run, (size_t)(s - run));
        tn_mbuf_put(b, rep, 2);
        run = s + 1;
    }
    tn_mbuf_put(b, run, (size_t)(s - run));
}

void tn_metrics_family(tn_mbuf_t *b, const char *name, tn_mtype_t type, const char *help)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    assert(valid_name(name));
    tn_mbuf_printf(b, "# HELP %s ", name);
    put_escaped(b, help, 0);
    tn_mbuf_printf(b, "\n# TYPE %s %s\n", name, types[type]);
}

static void put_labels(tn_mbuf_t *b, const tn_label_t *l, size_t nl, const char *le)
{
    if (nl == 0 && le == NULL)
        return;
    tn_mbuf_put(b, "{", 1);
    for (size_t i = 0; i < nl; i++) {
        assert(valid_name(l[i].name));
        if (i > 0)
            tn_mbuf_put(b, ",", 1);
        tn_mbuf_printf(b, "%s=\"", l[i].name);
        put_escaped(b, l[i].value != NULL ? l[i].value : "", 1);
        tn_mbuf_put(b, "\"", 1);
    }
    if (le != NULL)
        tn_mbuf_printf(b, "%sle=\"%s\"", nl > 0 ? "," : "", le);
    tn_mbuf_put(b, "}", 1);
}

void tn_metrics_fmt_double(char out[32], double v)
{
    if (isnan(v))
        snprintf(out, 32, "NaN");
    else if (isinf(v))
        snprintf(out, 32, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, 32, "%.0f", v);
    else /* the shortest %g that reads back as the same double */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(out, 32, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                break;
        }
}

void tn_metrics_u64(tn_mbuf_t *b, const char *name, const tn_label_t *l, size_t nl, uint64_t v)
{
    tn_mbuf_printf(b, "%s", name);
    put_labels(b, l, nl, NULL);
    tn_mbuf_printf(b, " %llu\n", (unsigned long long)v);
}

void tn_metrics_f64(tn_mbuf_t *b, const char *name, const tn_label_t *l, size_t nl, double v)
{
    char d[32];
    tn_metrics_fmt_double(d, v);
    tn_mbuf_printf(b, "%s", name);
    put_labels(b, l, nl, NULL);
    tn_mbuf_printf(b, " %s\n", d);
}

void tn_metrics_hist(tn_mbuf_t *b, const char *name, const tn_label_t *l, size_t nl,
                     const tn_hist_snap_t *s)
{
    uint64_t cum = 0;
    char le[32];
    for (size_t i = 0; i <= s->nb; i++) {
        cum += s->buckets[i];
        if (i < s->nb)
            tn_metrics_fmt_double(le, s->bounds[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        tn_mbuf_printf(b, "%s_bucket", name);
        put_labels(b, l, nl, le);
        tn_mbuf_printf(b, " %llu\n", (unsigned long long)cum);
    }
    char d[32];
    tn_metrics_fmt_double(d, s->sum);
    tn_mbuf_printf(b, "%s_sum", name);
    put_labels(b, l, nl, NULL);
    tn_mbuf_printf(b, " %s\n", d);
    tn_mbuf_printf(b, "%s_count", name);
    put_labels(b, l, nl, NULL);
    tn_mbuf_printf(b, " %llu\n", (unsigned long long)cum);
}
