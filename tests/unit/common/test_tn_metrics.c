/* test_tn_metrics.c — tn_metrics: sharded counters and histograms under threads, and the
 * exposition renderer against a hand-checked Prometheus 0.0.4 text. */
#include <math.h>
#include <pthread.h>
#include "test.h"
#include "tn_metrics.h"

static const char want_text[] =
    "# HELP tern_requests_total Requests by op; a \\\\ and a\\nnewline\n"
    "# TYPE tern_requests_total counter\n"
    "tern_requests_total{op=\"GetObject\",status=\"200\"} 3\n"
    "tern_requests_total{op=\"we\\\"ird\\\\\\n\",status=\"404\"} 0\n"
    "# HELP tern_up Always one.\n"
    "# TYPE tern_up gauge\n"
    "tern_up 1\n"
    "tern_ratio 0.25\n"
    "tern_inf +Inf\n"
    "tern_ninf -Inf\n"
    "tern_nan NaN\n"
    "# HELP tern_latency_seconds Latency.\n"
    "# TYPE tern_latency_seconds histogram\n"
    "tern_latency_seconds_bucket{op=\"Put\",le=\"0.005\"} 1\n"
    "tern_latency_seconds_bucket{op=\"Put\",le=\"0.1\"} 3\n"
    "tern_latency_seconds_bucket{op=\"Put\",le=\"1\"} 3\n"
    "tern_latency_seconds_bucket{op=\"Put\",le=\"+Inf\"} 4\n"
    "tern_latency_seconds_sum{op=\"Put\"} 5.205\n"
    "tern_latency_seconds_count{op=\"Put\"} 4\n"
    "tern_batch_bucket{le=\"1\"} 0\n"
    "tern_batch_bucket{le=\"+Inf\"} 0\n"
    "tern_batch_sum 0\n"
    "tern_batch_count 0\n";

static void test_render(void)
{
    tn_ctrs_t c;
    is_int(tn_ctrs_init(&c, 2), 0, "ctrs init");
    tn_ctrs_add(&c, 0, 2);
    tn_ctrs_add(&c, 0, 1);
    double bounds[] = {0.005, 0.1, 1};
    tn_hists_t h, h1;
    is_int(tn_hists_init(&h, 1, bounds, 3), 0, "hists init");
    tn_hists_observe(&h, 0, 0.005); /* le is inclusive */
    tn_hists_observe(&h, 0, 0.05);
    tn_hists_observe(&h, 0, 0.1);
    tn_hists_observe(&h, 0, 5.05);
    double one = 1;
    is_int(tn_hists_init(&h1, 1, &one, 1), 0, "hists init 1");

    tn_mbuf_t b;
    tn_mbuf_init(&b);
    tn_metrics_family(&b, "tern_requests_total", TN_MT_COUNTER,
                      "Requests by op; a \\ and a\nnewline");
    tn_label_t l1[] = {{"op", "GetObject"}, {"status", "200"}};
    tn_metrics_u64(&b, "tern_requests_total", l1, 2, tn_ctrs_get(&c, 0));
    tn_label_t l2[] = {{"op", "we\"ird\\\n"}, {"status", "404"}};
    tn_metrics_u64(&b, "tern_requests_total", l2, 2, tn_ctrs_get(&c, 1));
    tn_metrics_family(&b, "tern_up", TN_MT_GAUGE, "Always one.");
    tn_metrics_u64(&b, "tern_up", NULL, 0, 1);
    tn_metrics_f64(&b, "tern_ratio", NULL, 0, 0.25);
    tn_metrics_f64(&b, "tern_inf", NULL, 0, INFINITY);
    tn_metrics_f64(&b, "tern_ninf", NULL, 0, -INFINITY);
    tn_metrics_f64(&b, "tern_nan", NULL, 0, NAN);
    tn_metrics_family(&b, "tern_latency_seconds", TN_MT_HISTOGRAM, "Latency.");
    tn_hist_snap_t s;
    tn_hists_snap(&h, 0, &s);
    tn_label_t l3[] = {{"op", "Put"}};
    tn_metrics_hist(&b, "tern_latency_seconds", l3, 1, &s);
    tn_hists_snap(&h1, 0, &s);
    tn_metrics_hist(&b, "tern_batch", NULL, 0, &s);
    is_int(b.err, 0, "no error");
    is_str(b.p, want_text, "exposition text");
    tn_mbuf_free(&b);
    tn_ctrs_free(&c);
    tn_hists_free(&h);
    tn_hists_free(&h1);
}

static void test_bad_bounds(void)
{
    tn_hists_t h;
    double dec[] = {2, 1};
    is_int(tn_hists_init(&h, 1, dec, 2), -22, "decreasing bounds refused");
    double inf[] = {1, INFINITY};
    is_int(tn_hists_init(&h, 1, inf, 2), -22, "infinite bound refused");
    is_int(tn_hists_init(&h, 0, dec, 1), -22, "no histograms refused");
}

static void test_doubles(void)
{
    char d[32];
    tn_metrics_fmt_double(d, 0.1);
    is_str(d, "0.1", "0.1 shortest");
    tn_metrics_fmt_double(d, 1e20);
    is_str(d, "1e+20", "large");
    tn_metrics_fmt_double(d, -3);
    is_str(d, "-3", "negative integer");
    tn_metrics_fmt_double(d, 2.5e-7);
    is_str(d, "2.5e-07", "small");
}

#define THREADS 8
#define ROUNDS  100000

static tn_ctrs_t tc;
static tn_hists_t th;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        tn_ctrs_add(&tc, (size_t)(i & 1), 1);
        tn_hists_observe(&th, 0, (double)(i % 4));
    }
    return NULL;
}

static void test_threads(void)
{
    double bounds[] = {0.5, 1.5, 2.5};
    is_int(tn_ctrs_init(&tc, 2), 0, "init");
    is_int(tn_hists_init(&th, 1, bounds, 3), 0, "init");
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    is_uint(tn_ctrs_get(&tc, 0), THREADS * ROUNDS / 2, "slot 0 exact");
    is_uint(tn_ctrs_get(&tc, 1), THREADS * ROUNDS / 2, "slot 1 exact");
    tn_hist_snap_t s;
    tn_hists_snap(&th, 0, &s);
    is_uint(s.count, THREADS * ROUNDS, "count exact");
    for (int b = 0; b < 4; b++)
        is_uint(s.buckets[b], THREADS * ROUNDS / 4, "bucket exact");
    ok(s.sum == (double)THREADS * ROUNDS / 4 * 6, "sum exact (integers)");
    tn_ctrs_free(&tc);
    tn_hists_free(&th);
}

int main(void)
{
    subtest("render", test_render);
    subtest("bad bounds", test_bad_bounds);
    subtest("doubles", test_doubles);
    subtest("threads", test_threads);
    return tt_done();
}
