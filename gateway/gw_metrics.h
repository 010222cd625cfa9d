/*
 * gw_metrics.h — the gateway's Prometheus metrics: what is counted, where, and how it is
 * rendered on the admin port (gateway.admin_listen; tn_admin.h). Names and labels:
 * docs/OPERATIONS.md.
 *
 * PROCESS-WIDE, LOCK-FREE (tn_metrics.h counters, any loop thread):
 *   - per request, when it is disposed (gw_req.c): requests by S3 operation and HTTP status,
 *     latency histogram by operation (from the request's first byte to the end of the
 *     response), request and response body bytes by operation;
 *   - open and accepted S3 connections (gw_server.c's accept, the socket's on_close);
 *   - access-key table refreshes (gw_keys.c) by result.
 * PER LOOP THREAD, PUBLISHED: the cluster layer's counters (gw_cl_stats: quorum operations by
 * kind and outcome, hedges, degraded results, read repairs) and the OSD client's (failures by
 * kind) belong to their loop thread and are plain integers. Each thread copies them into its
 * slot here, under the slot's mutex, when one of its requests ends (gw_metrics_publish); the
 * renderer sums the slots. So they lag by at most one request per thread; background work
 * after a thread's last request shows at its next request.
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "tn_metrics.h"

struct gw_cl;
struct gw_server;

/* Request "operations" besides the S3 ones (indices after S3_OP__COUNT). */
#define GW_M_OP_HEALTH 0 /* /health/live, /health/ready on the S3 port (+ S3_OP__COUNT) */

typedef enum {
    GW_M_KEY_REFRESH_OK = 0, /* the access-key table was listed and swapped in */
    GW_M_KEY_REFRESH_FAIL,   /* the list failed: the previous table stays */
    GW_M__COUNT
} gw_m_event_t;

/* Allocates the counters and n_threads publication slots. 0 or -ENOMEM. Before the loops. */
int gw_metrics_init(size_t n_threads);
/* After the loops stopped. */
void gw_metrics_free(void);

/* One finished request. op: an s3_op_t, or S3_OP__COUNT + GW_M_OP_HEALTH. status 0 = no
 * response was started (client gone). */
void gw_metrics_request(unsigned op, int status, uint64_t bytes_in, uint64_t bytes_out,
                        double seconds);
void gw_metrics_event(gw_m_event_t e);
void gw_metrics_conn_open(void);
void gw_metrics_conn_close(void);
/* Copies the thread's cluster-layer counters into its slot (on thread idx's loop). cl may be
 * NULL (no map). */
void gw_metrics_publish(unsigned thread_idx, const struct gw_cl *cl);

/* The tn_admin_render_cb of the gateway (data: the gw_server_t). */
void gw_metrics_render(void *data, tn_mbuf_t *b);

#endif
