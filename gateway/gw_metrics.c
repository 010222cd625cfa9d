/* gw_metrics.c — this file implements the gateway's metrics: lock-free request counters and
 * latency histograms, per-thread published cluster-layer counters, and their rendering in the
 * Prometheus text format (gw_metrics.h). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gw_metrics.h"
#include "gw_cluster.h"
#include "gw_server.h"
#include "s3_router.h"

#define N_OPS (S3_OP__COUNT + 1)

/* The statuses counted on their own; anything else is "other". Index 0 is "no response". */
static const int statuses[] = {0,   200, 204, 206, 304, 400, 403, 404, 405,
                               409, 411, 412, 416, 500, 501, 503, -1};
#define N_STATUS TN_ARRAY_SIZE(statuses) /* the last, -1, is "other" */

static const double lat_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                    0.5,   1,      2.5,   5,    10,    30,   60};

typedef struct {
    pthread_mutex_t lock;
    int valid;
    gw_cl_stats_t cl;
    tn_osdc_stats_t osdc;
} slot_t;

static struct {
    int ready;
    tn_ctrs_t req;   /* [op * N_STATUS + status index] */
    tn_ctrs_t bytes; /* [op * 2 + 0 in / 1 out] */
    tn_ctrs_t ev;    /* [gw_m_event_t] */
    tn_hists_t lat;  /* [op] */
    _Atomic int64_t conns_open;
    _Atomic uint64_t conns_total;
    slot_t *slots;
    size_t n_slots;
} M;

int gw_metrics_init(size_t n_threads)
{
    if (M.ready)
        return 0;
    if (tn_ctrs_init(&M.req, N_OPS * N_STATUS) != 0 || tn_ctrs_init(&M.bytes, N_OPS * 2) != 0 ||
        tn_ctrs_init(&M.ev, GW_M__COUNT) != 0 ||
        tn_hists_init(&M.lat, N_OPS, lat_bounds, TN_ARRAY_SIZE(lat_bounds)) != 0 ||
        (M.slots = calloc(n_threads ? n_threads : 1, sizeof(*M.slots))) == NULL) {
        gw_metrics_free();
        return -ENOMEM;
    }
    M.n_slots = n_threads;
    for (size_t i = 0; i < n_threads; i++)
        pthread_mutex_init(&M.slots[i].lock, NULL);
    M.ready = 1;
    return 0;
}

void gw_metrics_free(void)
{
    tn_ctrs_free(&M.req);
    tn_ctrs_free(&M.bytes);
    tn_ctrs_free(&M.ev);
    tn_hists_free(&M.lat);
    for (size_t i = 0; M.slots != NULL && i < M.n_slots; i++)
        pthread_mutex_destroy(&M.slots[i].lock);
    free(M.slots);
    M.slots = NULL;
    M.n_slots = 0;
    M.ready = 0;
}

static size_t status_index(int status)
{
    for (size_t i = 0; i + 1 < N_STATUS; i++)
        if (statuses[i] == status)
            return i;
    return N_STATUS - 1;
}

void gw_metrics_request(unsigned op, int status, uint64_t bytes_in, uint64_t bytes_out,
                        double seconds)
{
    if (!M.ready || op >= N_OPS)
        return;
    tn_ctrs_add(&M.req, op * N_STATUS + status_index(status), 1);
    tn_ctrs_add(&M.bytes, op * 2, bytes_in);
    tn_ctrs_add(&M.bytes, op * 2 + 1, bytes_out);
    tn_hists_observe(&M.lat, op, seconds);
}

void gw_metrics_event(gw_m_event_t e)
{
    if (M.ready && (unsigned)e < GW_M__COUNT)
        tn_ctrs_add(&M.ev, e, 1);
}

void gw_metrics_conn_open(void)
{
    atomic_fetch_add_explicit(&M.conns_open, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&M.conns_total, 1, memory_order_relaxed);
}

void gw_metrics_conn_close(void)
{
    atomic_fetch_sub_explicit(&M.conns_open, 1, memory_order_relaxed);
}

void gw_metrics_publish(unsigned thread_idx, const gw_cl_t *cl)
{
    if (!M.ready || cl == NULL || thread_idx >= M.n_slots)
        return;
    slot_t *s = &M.slots[thread_idx];
    gw_cl_stats_t st;
    tn_osdc_stats_t os;
    gw_cl_stats(cl, &st);
    tn_osdc_stats(gw_cl_osdc((gw_cl_t *)cl), &os);
    pthread_mutex_lock(&s->lock);
    s->cl = st;
    s->osdc = os;
    s->valid = 1;
    pthread_mutex_unlock(&s->lock);
}

static const char *op_label(unsigned op)
{
    return op < S3_OP__COUNT ? s3_op_name((s3_op_t)op) : "Health";
}

static int op_seen(unsigned op)
{
    for (size_t si = 0; si < N_STATUS; si++)
        if (tn_ctrs_get(&M.req, op * N_STATUS + si) != 0)
            return 1;
    return 0;
}

static void render_requests(tn_mbuf_t *b)
{
    tn_metrics_family(b, "tern_gateway_requests_total", TN_MT_COUNTER,
                      "S3 requests finished, by operation and HTTP status (0: the client went "
                      "away before a response started).");
    for (unsigned op = 0; op < N_OPS; op++)
        for (size_t si = 0; si < N_STATUS; si++) {
            uint64_t v = tn_ctrs_get(&M.req, op * N_STATUS + si);
            if (v == 0)
                continue;
            char st[16];
            if (statuses[si] >= 0)
                snprintf(st, sizeof st, "%d", statuses[si]);
            else
                snprintf(st, sizeof st, "other");
            const tn_label_t l[] = {{"op", op_label(op)}, {"status", st}};
            tn_metrics_u64(b, "tern_gateway_requests_total", l, 2, v);
        }
    static const char *const names[] = {"tern_gateway_received_bytes_total",
                                        "tern_gateway_sent_bytes_total"};
    static const char *const helps[] = {"Request body bytes received, by operation.",
                                        "Response body bytes sent, by operation."};
    for (int dir = 0; dir < 2; dir++) {
        tn_metrics_family(b, names[dir], TN_MT_COUNTER, helps[dir]);
        for (unsigned op = 0; op < N_OPS; op++) {
            if (!op_seen(op))
                continue;
            const tn_label_t l[] = {{"op", op_label(op)}};
            tn_metrics_u64(b, names[dir], l, 1, tn_ctrs_get(&M.bytes, op * 2 + (unsigned)dir));
        }
    }
    tn_metrics_family(b, "tern_gateway_request_duration_seconds", TN_MT_HISTOGRAM,
                      "Time from a request's first byte to the end of its response, by "
                      "operation.");
    for (unsigned op = 0; op < N_OPS; op++) {
        tn_hist_snap_t s;
        tn_hists_snap(&M.lat, op, &s);
        if (s.count == 0)
            continue;
        const tn_label_t l[] = {{"op", op_label(op)}};
        tn_metrics_hist(b, "tern_gateway_request_duration_seconds", l, 1, &s);
    }
}

static void add_op(gw_cl_op_stats_t *t, const gw_cl_op_stats_t *a)
{
    t->ok += a->ok;
    t->degraded += a->degraded;
    t->quorum_fail += a->quorum_fail;
    t->other_fail += a->other_fail;
    t->hedges += a->hedges;
    t->repairs += a->repairs;
}

/* The cluster-layer counters of every thread, summed (the fields rendered below only). */
static void sum_slots(gw_cl_stats_t *cl, tn_osdc_stats_t *os)
{
    memset(cl, 0, sizeof(*cl));
    memset(os, 0, sizeof(*os));
    for (size_t i = 0; i < M.n_slots; i++) {
        slot_t *s = &M.slots[i];
        pthread_mutex_lock(&s->lock);
        if (s->valid) {
            add_op(&cl->row_put, &s->cl.row_put);
            add_op(&cl->row_get, &s->cl.row_get);
            add_op(&cl->row_list, &s->cl.row_list);
            add_op(&cl->blob_put, &s->cl.blob_put);
            add_op(&cl->blob_get, &s->cl.blob_get);
            add_op(&cl->map_refresh, &s->cl.map_refresh);
            os->requests += s->osdc.requests;
            os->fail_status += s->osdc.fail_status;
            os->fail_conn += s->osdc.fail_conn;
            os->fail_timeout += s->osdc.fail_timeout;
            os->fail_proto += s->osdc.fail_proto;
            os->fail_checksum += s->osdc.fail_checksum;
            os->fail_clock += s->osdc.fail_clock;
            os->fast_fail += s->osdc.fast_fail;
        }
        pthread_mutex_unlock(&s->lock);
    }
}

static void render_cluster(tn_mbuf_t *b)
{
    gw_cl_stats_t cl;
    tn_osdc_stats_t os;
    sum_slots(&cl, &os);
    const struct {
        const char *kind;
        const gw_cl_op_stats_t *s;
    } kinds[] = {{"row_put", &cl.row_put},   {"row_get", &cl.row_get},
                 {"row_list", &cl.row_list}, {"blob_put", &cl.blob_put},
                 {"blob_get", &cl.blob_get}, {"map_refresh", &cl.map_refresh}};
    tn_metrics_family(b, "tern_gateway_cluster_ops_total", TN_MT_COUNTER,
                      "Quorum operations towards the OSDs, by kind and result (ok includes "
                      "degraded; degraded: succeeded although a replica failed or was "
                      "replaced).");
    for (size_t i = 0; i < TN_ARRAY_SIZE(kinds); i++) {
        const struct {
            const char *r;
            uint64_t v;
        } res[] = {{"ok", kinds[i].s->ok},
                   {"degraded", kinds[i].s->degraded},
                   {"quorum_fail", kinds[i].s->quorum_fail},
                   {"other_fail", kinds[i].s->other_fail}};
        for (size_t j = 0; j < TN_ARRAY_SIZE(res); j++) {
            const tn_label_t l[] = {{"kind", kinds[i].kind}, {"result", res[j].r}};
            tn_metrics_u64(b, "tern_gateway_cluster_ops_total", l, 2, res[j].v);
        }
    }
    tn_metrics_family(b, "tern_gateway_hedged_requests_total", TN_MT_COUNTER,
                      "Extra replicas asked because one was slow (gateway.hedge_ms), by kind.");
    for (size_t i = 0; i < TN_ARRAY_SIZE(kinds); i++) {
        const tn_label_t l[] = {{"kind", kinds[i].kind}};
        tn_metrics_u64(b, "tern_gateway_hedged_requests_total", l, 1, kinds[i].s->hedges);
    }
    /* Rule 8: GET/HEAD answered from a single replica because read_quorum was not reachable
     * (the response carried x-tern-degraded-read: 1). */
    tn_metrics_family(b, "tern_gateway_degraded_reads_total", TN_MT_COUNTER,
                      "GET/HEAD answers served from one replica (R = 1) because the read quorum "
                      "was unreachable; flagged x-tern-degraded-read.");
    tn_metrics_u64(b, "tern_gateway_degraded_reads_total", NULL, 0, gw_cl_degraded_reads());
    tn_metrics_family(b, "tern_gateway_replica_failed_reads_total", TN_MT_COUNTER,
                      "Reads (row_get, row_list, blob_get) that succeeded at quorum although a "
                      "replica failed or was replaced.");
    tn_metrics_u64(b, "tern_gateway_replica_failed_reads_total", NULL, 0,
                   cl.row_get.degraded + cl.row_list.degraded + cl.blob_get.degraded);
    tn_metrics_family(b, "tern_gateway_read_repairs_total", TN_MT_COUNTER,
                      "Lagging replicas brought up to date by a read (MERGE sent).");
    tn_metrics_u64(b, "tern_gateway_read_repairs_total", NULL, 0,
                   cl.row_get.repairs + cl.row_list.repairs + cl.blob_get.repairs);
    tn_metrics_family(b, "tern_gateway_osd_errors_total", TN_MT_COUNTER,
                      "OSD requests that failed, by reason.");
    const struct {
        const char *r;
        uint64_t v;
    } errs[] = {{"status", os.fail_status},     {"connection", os.fail_conn},
                {"timeout", os.fail_timeout},   {"protocol", os.fail_proto},
                {"checksum", os.fail_checksum}, {"clock", os.fail_clock},
                {"backoff", os.fast_fail}};
    for (size_t j = 0; j < TN_ARRAY_SIZE(errs); j++) {
        const tn_label_t l[] = {{"reason", errs[j].r}};
        tn_metrics_u64(b, "tern_gateway_osd_errors_total", l, 1, errs[j].v);
    }
    tn_metrics_family(b, "tern_gateway_osd_requests_total", TN_MT_COUNTER,
                      "Requests sent to OSDs.");
    tn_metrics_u64(b, "tern_gateway_osd_requests_total", NULL, 0, os.requests);
}

void gw_metrics_render(void *data, tn_mbuf_t *b)
{
    gw_server_t *srv = data;
    render_requests(b);
    tn_metrics_family(b, "tern_gateway_connections_open", TN_MT_GAUGE,
                      "Open S3 client connections.");
    int64_t open = atomic_load_explicit(&M.conns_open, memory_order_relaxed);
    tn_metrics_u64(b, "tern_gateway_connections_open", NULL, 0, open > 0 ? (uint64_t)open : 0);
    tn_metrics_family(b, "tern_gateway_connections_total", TN_MT_COUNTER,
                      "S3 client connections accepted.");
    tn_metrics_u64(b, "tern_gateway_connections_total", NULL, 0,
                   atomic_load_explicit(&M.conns_total, memory_order_relaxed));
    tn_metrics_family(b, "tern_gateway_key_refreshes_total", TN_MT_COUNTER,
                      "Access-key table refreshes from the cluster's metadata, by result.");
    const tn_label_t ok[] = {{"result", "ok"}}, fail[] = {{"result", "fail"}};
    tn_metrics_u64(b, "tern_gateway_key_refreshes_total", ok, 1,
                   tn_ctrs_get(&M.ev, GW_M_KEY_REFRESH_OK));
    tn_metrics_u64(b, "tern_gateway_key_refreshes_total", fail, 1,
                   tn_ctrs_get(&M.ev, GW_M_KEY_REFRESH_FAIL));
    if (srv != NULL && srv->map != NULL) {
        tn_metrics_family(b, "tern_gateway_map_epoch", TN_MT_GAUGE,
                          "Epoch of the cluster map this gateway uses.");
        tn_metrics_u64(b, "tern_gateway_map_epoch", NULL, 0, gw_map_epoch(srv->map));
    }
    render_cluster(b);
}
