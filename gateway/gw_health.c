/* gw_health.c — /health/ready: the readiness rule and the on-demand OSD probe (gw_health.h). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tn_log.h"
#include "tn_osdc.h"
#include "gw_health.h"
#include "gw_req.h"
#include "gw_server.h"

#define WHY_MAX 256

typedef struct {
    gw_health_t *h;
    size_t idx;         /* index into the round's snapshot map->osds */
    tn_osdc_req_t *req; /* non-NULL while the PING is in flight */
} probe_t;

typedef struct {
    h2o_linklist_t link;
    gw_req_t *r;
    gw_health_t *h;
} waiter_t;

struct gw_health {
    gw_thread_t *t;
    h2o_timeout_t round_timeout;
    h2o_timeout_entry_t round_te;
    /* the round under way */
    int running;
    gw_map_snap_t *snap;
    probe_t *probes; /* one per OSD of snap->map */
    uint8_t *answering;
    size_t pending;
    /* the last result */
    int have_result;
    uint64_t done_at; /* h2o_now() when it was decided */
    int ready;
    char why[WHY_MAX];
    h2o_linklist_t waiters;
};

/* ---- the rule (pure) ---- */

int gw_health_judge(const pl_map_t *m, const uint8_t *answering, char *why, size_t cap)
{
    uint32_t up = 0, in = 0;
    uint8_t *host_up = calloc(m->n_hosts > 0 ? m->n_hosts : 1, 1);
    if (host_up == NULL)
        return -ENOMEM;
    uint32_t hosts_up = 0;
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        if (!o->in || o->weight == 0)
            continue;
        in++;
        if (!answering[i])
            continue;
        up++;
        if (o->host >= 0 && (uint32_t)o->host < m->n_hosts && !host_up[o->host]) {
            host_up[o->host] = 1;
            hosts_up++;
        }
    }
    free(host_up);
    for (uint32_t p = 0; p < m->n_pools; p++) {
        const pl_pool_t *pool = &m->pools[p];
        unsigned need =
            pool->write_quorum > pool->read_quorum ? pool->write_quorum : pool->read_quorum;
        int by_host = pool->fd == PL_FD_HOST;
        uint32_t have = by_host ? hosts_up : up;
        if (have < need) {
            snprintf(why, cap,
                     "pool %s needs %u %s with an answering OSD for a quorum, %u answer "
                     "(%u/%u OSDs answering)",
                     pool->name, need, by_host ? "hosts" : "OSDs", have, up, in);
            return 0;
        }
    }
    snprintf(why, cap, "epoch %llu, %u/%u OSDs answering on %u hosts", (unsigned long long)m->epoch,
             up, in, hosts_up);
    return 1;
}

/* ---- answering ---- */

static void send_answer(gw_req_t *r, int ready, const char *why)
{
    char body[WHY_MAX + 32];
    int n = snprintf(body, sizeof body, "%s: %s\n", ready ? "ready" : "not ready", why);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof body)
        n = (int)sizeof body - 1;
    gw_req_send(r, ready ? 200 : 503, "text/plain; charset=utf-8", body, (size_t)n);
}

static void on_waiter_gone(void *data)
{
    waiter_t *w = data;
    if (h2o_linklist_is_linked(&w->link))
        h2o_linklist_unlink(&w->link);
}

static void answer_waiters(gw_health_t *h)
{
    while (!h2o_linklist_is_empty(&h->waiters)) {
        waiter_t *w = H2O_STRUCT_FROM_MEMBER(waiter_t, link, h->waiters.next);
        h2o_linklist_unlink(&w->link);
        gw_req_set_cancel(w->r, NULL, NULL);
        send_answer(w->r, h->ready, h->why);
    }
}

/* ---- the probe round ---- */

static void end_round(gw_health_t *h)
{
    if (h2o_timeout_is_linked(&h->round_te))
        h2o_timeout_unlink(&h->round_te);
    int rc = gw_health_judge(h->snap->map, h->answering, h->why, sizeof h->why);
    h->ready = rc == 1;
    if (rc < 0)
        snprintf(h->why, sizeof h->why, "out of memory");
    if (!h->ready)
        tn_log_debug("msg=\"not ready\" thread=%u why=\"%s\"", h->t->idx, h->why);
    h->have_result = 1;
    h->done_at = h2o_now(h->t->loop);
    h->running = 0;
    free(h->probes);
    free(h->answering);
    h->probes = NULL;
    h->answering = NULL;
    gw_map_snap_put(h->snap);
    h->snap = NULL;
    answer_waiters(h);
}

static void on_ping(void *arg, int err, const tn_osdc_reply_t *rep, const tn_ping_rep_t *ping)
{
    (void)rep;
    (void)ping;
    probe_t *p = arg;
    gw_health_t *h = p->h;
    p->req = NULL;
    if (err == 0)
        h->answering[p->idx] = 1;
    if (--h->pending == 0)
        end_round(h);
}

/* Cancels the PINGs still in flight (they count as unreachable). */
static void cancel_probes(gw_health_t *h)
{
    if (h->probes == NULL)
        return;
    for (uint32_t i = 0; i < h->snap->map->n_osds; i++)
        if (h->probes[i].req != NULL) {
            tn_osdc_cancel(h->probes[i].req);
            h->probes[i].req = NULL;
            h->pending--;
        }
}

static void on_round_timeout(h2o_timeout_entry_t *te)
{
    gw_health_t *h = H2O_STRUCT_FROM_MEMBER(gw_health_t, round_te, te);
    cancel_probes(h);
    end_round(h);
}

/* Starts a round; it may end inside this call (no OSD to ask, or every PING refused at once). */
static void start_round(gw_health_t *h)
{
    gw_thread_t *t = h->t;
    gw_cl_sync(t->osd); /* the client knows the addresses of the map we are about to use */
    h->snap = gw_map_snap_get(t->server->map);
    const pl_map_t *m = h->snap->map;
    size_t n = m->n_osds > 0 ? m->n_osds : 1;
    h->probes = calloc(n, sizeof *h->probes);
    h->answering = calloc(n, 1);
    h->running = 1;
    h->pending = 1; /* held until every PING is sent, so no callback ends the round early */
    if (h->probes == NULL || h->answering == NULL) { /* cannot probe: not ready, no cache */
        free(h->probes);
        free(h->answering);
        h->probes = NULL;
        h->answering = NULL;
        gw_map_snap_put(h->snap);
        h->snap = NULL;
        h->running = 0;
        h->ready = 0;
        snprintf(h->why, sizeof h->why, "out of memory");
        answer_waiters(h);
        return;
    }
    tn_osdc_t *osdc = gw_cl_osdc(t->osd);
    for (uint32_t i = 0; i < m->n_osds; i++) {
        probe_t *p = &h->probes[i];
        p->h = h;
        p->idx = i;
        if (!m->osds[i].in || m->osds[i].addr[0] == '\0')
            continue;
        if (tn_osdc_ping(osdc, m->osds[i].id, on_ping, p, &p->req) == 0)
            h->pending++;
        else
            p->req = NULL; /* back-off or no address: unreachable, no callback */
    }
    if (--h->pending == 0) {
        end_round(h);
        return;
    }
    h2o_timeout_link(t->loop, &h->round_timeout, &h->round_te);
}

/* ---- life cycle and the entry point ---- */

gw_health_t *gw_health_create(gw_thread_t *t)
{
    gw_health_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->t = t;
    h2o_linklist_init_anchor(&h->waiters);
    h2o_timeout_init(t->loop, &h->round_timeout, GW_HEALTH_ROUND_MS);
    h->round_te.cb = on_round_timeout;
    return h;
}

void gw_health_destroy(gw_health_t *h)
{
    if (h == NULL)
        return;
    if (h->running) {
        cancel_probes(h);
        if (h2o_timeout_is_linked(&h->round_te))
            h2o_timeout_unlink(&h->round_te);
        free(h->probes);
        free(h->answering);
        gw_map_snap_put(h->snap);
    }
    while (!h2o_linklist_is_empty(&h->waiters)) {
        waiter_t *w = H2O_STRUCT_FROM_MEMBER(waiter_t, link, h->waiters.next);
        h2o_linklist_unlink(&w->link);
        gw_req_set_cancel(w->r, NULL, NULL);
    }
    h2o_timeout_dispose(h->t->loop, &h->round_timeout);
    free(h);
}

void gw_health_ready(gw_req_t *r)
{
    gw_thread_t *t = r->thread;
    gw_health_t *h = t->health;
    if (t->server->map == NULL || t->osd == NULL || h == NULL) {
        send_answer(r, 0,
                    h == NULL && t->osd != NULL ? "out of memory"
                                                : "no cluster map (see the start-up log)");
        return;
    }
    if (!h->running && h->have_result && h2o_now(t->loop) - h->done_at < GW_HEALTH_FRESH_MS) {
        send_answer(r, h->ready, h->why);
        return;
    }
    waiter_t *w = h2o_mem_alloc_pool(&r->req->pool, sizeof *w);
    *w = (waiter_t){.r = r, .h = h};
    h2o_linklist_insert(&h->waiters, &w->link);
    gw_req_set_cancel(r, on_waiter_gone, w);
    if (!h->running)
        start_round(h);
}
