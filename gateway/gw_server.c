/* gw_server.c — threads, listeners, h2o settings, signals, shutdown and reload (gw_server.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* SO_REUSEPORT */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/rand.h>
#include <h2o.h>
#include "tn_log.h"
#include "conf_map.h"
#include "gw_health.h"
#include "gw_objmeta.h"
#include "gw_metrics.h"
#include "tn_admin.h"
#include "gw_keys.h"
#include "gw_req.h"
#include "gw_server.h"
#include "gw_tls.h"
#include <h2o/http1.h>
#include <h2o/http2.h>

enum { CTL_SHUTDOWN = 1, CTL_RELOAD };

typedef struct {
    h2o_multithread_message_t super;
    int type;
    gw_creds_t *creds; /* CTL_RELOAD: one reference for the receiving thread */
} ctl_msg_t;

static atomic_int threads_exited;

/* ---- start-up checks ---- */

/* mkdir -p, then a probe file: the directory must take h2o's spill files. */
static int prepare_tmp_dir(const char *dir, char *tmpl, size_t tmpl_cap)
{
    char path[FILENAME_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        tn_log_error("msg=\"gateway.tmp_dir is too long\" tmp_dir=\"%s\"", dir);
        return -ENAMETOOLONG;
    }
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                int e = errno;
                tn_log_error("msg=\"cannot create gateway.tmp_dir\" path=\"%s\" err=\"%s\"", path,
                             strerror(e));
                return -e;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    if (snprintf(tmpl, tmpl_cap, "%s/h2o.b.XXXXXX", dir) >= (int)tmpl_cap) {
        tn_log_error("msg=\"gateway.tmp_dir is too long\" tmp_dir=\"%s\"", dir);
        return -ENAMETOOLONG;
    }
    char probe[FILENAME_MAX];
    snprintf(probe, sizeof probe, "%s/.tern-probe.XXXXXX", dir);
    int fd = mkstemp(probe);
    if (fd < 0) {
        int e = errno;
        tn_log_error("msg=\"gateway.tmp_dir is not writable: large request bodies are spilled "
                     "there\" tmp_dir=\"%s\" err=\"%s\"",
                     dir, strerror(e));
        return -e;
    }
    close(fd);
    unlink(probe);
    return TN_OK;
}

static int bind_listener(const conf_addr_t *a, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)a->port);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(a->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", a->host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        (res->ai_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0 ||
        fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        snprintf(err, errlen, "cannot listen on %s%s%s:%u: %s", a->is_ipv6 ? "[" : "", a->host,
                 a->is_ipv6 ? "]" : "", (unsigned)a->port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* ---- loop threads ---- */

static void on_conn_closed(void *data)
{
    (void)data;
    gw_metrics_conn_close();
}

static void on_admin_closed(void *data)
{
    gw_server_t *s = data;
    s->admin_conns--;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    gw_thread_t *t = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL) {
        gw_metrics_conn_open();
        sock->on_close.cb = on_conn_closed;
        sock->on_close.data = NULL;
        h2o_accept(&t->accept_ctx, sock);
    }
}

/* ---- the admin port (gateway.admin_listen): /metrics, /health/live and ready, on thread 0 ---- */

static int on_admin_req(h2o_handler_t *self, h2o_req_t *req)
{
    gw_thread_t *t = (gw_thread_t *)req->conn->ctx;
    if (tn_admin_handle(req, gw_metrics_render, t->server) == 0)
        return 0;
    size_t len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    if (h2o_memis(req->path.base, len, H2O_STRLIT("/health/ready")))
        return gw_req_on_req(self, req); /* the same answer as on the S3 port */
    tn_admin_send_text(req, 404, "Not Found", "not found\n", 10);
    return 0;
}

static void on_admin_accept(h2o_socket_t *listener, const char *err)
{
    gw_server_t *s = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return;
    if (s->admin_conns >= TN_ADMIN_MAX_CONNS) {
        h2o_socket_close(sock);
        return;
    }
    s->admin_conns++;
    sock->on_close.cb = on_admin_closed;
    sock->on_close.data = s;
    h2o_accept(&s->admin_accept, sock);
}

static int count_busy_cb(h2o_req_t *req, void *data)
{
    size_t *n = data;
    if (req->version >= 0x200 || req->timestamps.request_begin_at.tv_sec != 0)
        ++*n;
    return 0;
}

/* Requests in progress on this thread: started (first byte read) and not yet answered. */
static size_t count_busy(gw_thread_t *t)
{
    size_t n = 0;
    if (H2O_HTTP1_CALLBACKS.foreach_request != NULL)
        H2O_HTTP1_CALLBACKS.foreach_request(&t->ctx, count_busy_cb, &n);
    if (H2O_HTTP2_CALLBACKS.foreach_request != NULL)
        H2O_HTTP2_CALLBACKS.foreach_request(&t->ctx, count_busy_cb, &n);
    return TN_MAX(n, t->inflight);
}

static void on_shutdown_tick(h2o_timeout_entry_t *te)
{
    gw_thread_t *t = H2O_STRUCT_FROM_MEMBER(gw_thread_t, shutdown_te, te);
    size_t busy = count_busy(t);
    if (busy == 0) {
        t->exit_loop = 1;
        return;
    }
    if (h2o_now(t->loop) >= t->shutdown_deadline) {
        tn_log_warn("msg=\"shutdown grace period over; dropping requests in progress\" thread=%u "
                    "requests=%zu",
                    t->idx, busy);
        t->exit_loop = 1;
        return;
    }
    h2o_timeout_link(t->loop, &t->shutdown_tick, &t->shutdown_te);
}

static void begin_shutdown(gw_thread_t *t)
{
    if (t->shutting_down)
        return;
    t->shutting_down = 1;
    for (size_t i = 0; i < t->n_listeners; i++) {
        h2o_socket_read_stop(t->listeners[i]);
        h2o_socket_close(t->listeners[i]);
        t->listeners[i] = NULL;
    }
    t->n_listeners = 0;
    if (t->idx == 0 && t->server->admin_listener != NULL) {
        h2o_socket_read_stop(t->server->admin_listener);
        h2o_socket_close(t->server->admin_listener);
        t->server->admin_listener = NULL;
    }
    h2o_context_request_shutdown(&t->ctx);
    t->shutdown_deadline = h2o_now(t->loop) + GW_SHUTDOWN_GRACE_MS;
    h2o_timeout_init(t->loop, &t->shutdown_tick, 50);
    t->shutdown_te.cb = on_shutdown_tick;
    h2o_timeout_link(t->loop, &t->shutdown_tick, &t->shutdown_te);
}

static void on_ctl(h2o_multithread_receiver_t *r, h2o_linklist_t *messages)
{
    gw_thread_t *t = H2O_STRUCT_FROM_MEMBER(gw_thread_t, ctl_recv, r);
    while (!h2o_linklist_is_empty(messages)) {
        ctl_msg_t *m = H2O_STRUCT_FROM_MEMBER(ctl_msg_t, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        if (m->type == CTL_SHUTDOWN)
            begin_shutdown(t);
        else if (m->type == CTL_RELOAD)
            gw_auth_thread_set_creds(&t->auth, m->creds);
        free(m);
    }
}

typedef struct {
    gw_thread_t *t;
    h2o_barrier_t *ready;
} thread_arg_t;

static void on_map_refreshed(void *arg, int err)
{
    gw_thread_t *t = arg;
    if (err != 0)
        tn_log_warn("msg=\"cluster map refresh failed (OSDs unreachable?); using the configured "
                    "map\" thread=%u err=%d",
                    t->idx, err);
    else
        tn_log_debug("msg=\"cluster map refreshed\" thread=%u epoch=%llu", t->idx,
                     (unsigned long long)gw_map_epoch(t->server->map));
}

/* The process-wide map holder, clock and origin id. A config without a usable map only logs:
 * storage operations then answer 503. */
static void setup_cluster(gw_server_t *s)
{
    uint32_t origin = 0;
    while (origin == 0)
        if (getrandom(&origin, sizeof origin, 0) != (ssize_t)sizeof origin)
            origin = (uint32_t)getpid() ^ (uint32_t)time(NULL);
    s->origin_id = origin;
    tn_hlc_init(&s->hlc, 0);
    pl_map_t *map = NULL;
    char why[256] = "";
    int rc = conf_build_map(s->conf, &map, why, sizeof why);
    if (rc != TN_OK) {
        tn_log_warn("msg=\"no cluster map: storage operations will fail\" err=%d why=\"%s\"", rc,
                    why);
        return;
    }
    s->map = gw_map_create(map);
    if (s->map == NULL)
        tn_log_warn("msg=\"invalid cluster map: storage operations will fail\"");
}

/* ---- chunk buffers ---- */

static void on_chunk_pool_tick(h2o_timeout_entry_t *te)
{
    gw_thread_t *t = H2O_STRUCT_FROM_MEMBER(gw_thread_t, chunk_pool_te, te);
    size_t left = gw_chunkpool_tick(&t->chunk_pool);
    left += gw_chunkpool_tick(&t->piece_pool);
    if (left > 0)
        h2o_timeout_link(t->loop, &t->chunk_pool_tick, &t->chunk_pool_te);
}

/* Gives buf back to pool p of t, and ticks while anything is cached. */
static void pool_put(gw_thread_t *t, gw_chunkpool_t *p, uint8_t *buf, size_t len)
{
    gw_chunkpool_put(p, buf, len);
    if (gw_chunkpool_cached(p) > 0 && !h2o_timeout_is_linked(&t->chunk_pool_te))
        h2o_timeout_link(t->loop, &t->chunk_pool_tick, &t->chunk_pool_te);
}

uint8_t *gw_thread_chunk_get(gw_thread_t *t, size_t len)
{
    return gw_chunkpool_get(&t->chunk_pool, len);
}

void gw_thread_chunk_put(gw_thread_t *t, uint8_t *buf, size_t len)
{
    pool_put(t, &t->chunk_pool, buf, len);
}

uint8_t *gw_thread_piece_get(gw_thread_t *t)
{
    return gw_chunkpool_get(&t->piece_pool, GW_GET_PIECE);
}

void gw_thread_piece_put(gw_thread_t *t, uint8_t *buf)
{
    pool_put(t, &t->piece_pool, buf, GW_GET_PIECE);
}

static void *thread_main(void *arg_)
{
    thread_arg_t *arg = arg_;
    gw_thread_t *t = arg->t;
    gw_server_t *s = t->server;
    t->loop = h2o_evloop_create();
    h2o_context_init(&t->ctx, t->loop, &s->h2o);
    t->accept_ctx = (h2o_accept_ctx_t){&t->ctx, s->s3_hosts, s->ssl_ctx, 0, NULL};
    h2o_multithread_register_receiver(t->ctx.queue, &t->ctl_recv, on_ctl);
    gw_worker_receiver_init(t->ctx.queue, &t->job_recv);
    h2o_timeout_init(t->loop, &t->zero_timeout, 0);
    size_t budget = GW_CHUNK_BUDGET / (s->n_threads > 0 ? s->n_threads : 1);
    gw_budget_init(&t->chunk_budget, budget > GW_CHUNK_BUDGET_MIN ? budget : GW_CHUNK_BUDGET_MIN);
    gw_chunkpool_init(&t->chunk_pool, GW_OBJMETA_CHUNK, t->chunk_budget.limit / GW_OBJMETA_CHUNK);
    gw_chunkpool_init(&t->piece_pool, GW_GET_PIECE, GW_PIECE_POOL_MAX);
    h2o_timeout_init(t->loop, &t->chunk_pool_tick, GW_CHUNK_POOL_TICK_MS);
    t->chunk_pool_te.cb = on_chunk_pool_tick;
    if (s->map != NULL) {
        gw_cl_opts_t o;
        gw_cl_opts_default(&o);
        o.request_timeout_ms = s->conf->gateway.osd_timeout_ms;
        o.hedge_ms = s->conf->gateway.hedge_ms;
        t->osd = gw_cl_create(t->loop, s->map, &s->hlc, s->origin_id, &o);
        if (t->osd == NULL)
            tn_log_error("msg=\"cannot create the replication client\" thread=%u", t->idx);
        else if (gw_cl_map_refresh(t->osd, on_map_refreshed, t) != 0)
            tn_log_warn("msg=\"map refresh not started\" thread=%u", t->idx);
    }
    t->health = gw_health_create(t);
    t->keys = gw_keys_start(t);
    for (size_t i = 0; i < t->n_listeners; i++) {
        h2o_socket_t *ls =
            h2o_evloop_socket_create(t->loop, t->listen_fds[i], H2O_SOCKET_FLAG_DONT_READ);
        ls->data = t;
        h2o_socket_read_start(ls, on_accept);
        t->listeners[i] = ls;
    }
    if (t->idx == 0 && s->admin_fd >= 0) {
        s->admin_accept = (h2o_accept_ctx_t){&t->ctx, s->admin_hosts, NULL, 0, NULL};
        s->admin_listener =
            h2o_evloop_socket_create(t->loop, s->admin_fd, H2O_SOCKET_FLAG_DONT_READ);
        s->admin_fd = -1; /* owned by the socket */
        s->admin_listener->data = s;
        h2o_socket_read_start(s->admin_listener, on_admin_accept);
    }
    h2o_barrier_wait(arg->ready);
    while (!t->exit_loop)
        h2o_evloop_run(t->loop, INT32_MAX);
    gw_health_destroy(t->health);
    t->health = NULL;
    gw_keys_stop(t->keys);
    if (t->osd != NULL) {
        gw_cl_destroy(t->osd);
        t->osd = NULL;
    }
    if (h2o_timeout_is_linked(&t->chunk_pool_te))
        h2o_timeout_unlink(&t->chunk_pool_te);
    gw_chunkpool_dispose(&t->chunk_pool); /* after gw_cl_destroy released the last chunks */
    gw_chunkpool_dispose(&t->piece_pool);
    gw_keys_free(t->keys);
    t->keys = NULL;
    gw_keytab_free(t->auth.keys);
    t->auth.keys = NULL;
    atomic_fetch_add(&threads_exited, 1);
    return NULL;
}

/* ---- main thread: signals ---- */

static void send_ctl(gw_server_t *s, int type, gw_creds_t *creds)
{
    for (size_t i = 0; i < s->n_threads; i++) {
        ctl_msg_t *m = calloc(1, sizeof *m);
        if (m == NULL) {
            tn_log_error("msg=\"out of memory sending a control message\"");
            continue;
        }
        m->type = type;
        m->creds = creds;
        h2o_multithread_send_message(&s->threads[i].ctl_recv, &m->super);
    }
}

static int addrs_equal(const conf_gateway_t *a, const conf_gateway_t *b)
{
    if (a->n_listen != b->n_listen)
        return 0;
    for (size_t i = 0; i < a->n_listen; i++)
        if (strcmp(a->listen[i].host, b->listen[i].host) != 0 ||
            a->listen[i].port != b->listen[i].port)
            return 0;
    return 1;
}

static int domains_equal(const conf_gateway_t *a, const conf_gateway_t *b)
{
    if (a->n_domains != b->n_domains)
        return 0;
    for (size_t i = 0; i < a->n_domains; i++)
        if (strcmp(a->domains[i], b->domains[i]) != 0)
            return 0;
    return 1;
}

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void reload(gw_server_t *s)
{
    static conf_error_t err; /* main thread only; 16 KiB */
    conf_t *c = NULL;
    tn_log_info("msg=\"SIGHUP: reloading the configuration\" config=\"%s\"", s->config_path);
    if (conf_load_file(s->config_path, &c, &err) != TN_OK) {
        tn_log_error("msg=\"configuration reload failed; keeping the running configuration\" "
                     "errors=%u",
                     err.count);
        fputs(err.text, stderr);
        return;
    }
    const conf_gateway_t *o = &s->conf->gateway, *n = &c->gateway;
    const char *needs_restart[8];
    size_t k = 0;
    if (!addrs_equal(o, n))
        needs_restart[k++] = "listen";
    if (o->threads != n->threads)
        needs_restart[k++] = "threads";
    if (!str_eq(o->tls_cert, n->tls_cert) || !str_eq(o->tls_key, n->tls_key))
        needs_restart[k++] = "tls";
    if (!str_eq(o->tmp_dir, n->tmp_dir))
        needs_restart[k++] = "tmp_dir";
    if (!str_eq(o->region, n->region))
        needs_restart[k++] = "region";
    if (!domains_equal(o, n))
        needs_restart[k++] = "domains";
    if (o->max_object_size != n->max_object_size)
        needs_restart[k++] = "max_object_size";
    for (size_t i = 0; i < k; i++)
        tn_log_warn("msg=\"changed setting needs a restart; still using the old value\" "
                    "key=gateway.%s",
                    needs_restart[i]);
    if (!s->log_level_fixed)
        tn_log_set_level(c->log_level);
    gw_creds_t *snap = gw_creds_new(c, (int)s->n_threads);
    if (snap == NULL) {
        tn_log_error("msg=\"out of memory during reload\"");
        conf_free(c);
        return;
    }
    send_ctl(s, CTL_RELOAD, snap);
    tn_log_info("msg=\"configuration reloaded\" credentials=%zu", n->n_credentials);
}

/* ---- run ---- */

static int setup_h2o(gw_server_t *s)
{
    const conf_gateway_t *g = &s->conf->gateway;
    h2o_config_init(&s->h2o);
    s->h2o.server_name = h2o_iovec_init(H2O_STRLIT("tern"));
    s->h2o.max_request_entity_size =
        (size_t)(g->max_object_size + g->max_object_size / 64 + (1u << 20));
    s->h2o.http1.req_timeout = GW_REQ_TIMEOUT_MS;
    /* h2o 2.2.5 holds a whole request body before the handler runs (LIBS.md); a body buffer
     * whose capacity would reach this threshold moves to an unlinked, mmap'd file in tmp_dir.
     * h2o's default (32 MiB) let each upload hold up to 16 MiB of heap while arriving: 64
     * concurrent 64 MiB PUTs peaked at 1,022 MiB RssAnon. At 2 MiB a body keeps at most 1 MiB
     * of heap (objects of 1 MiB and more spill), so 64 uploads stay under 128 MiB; OSD
     * connections keep their own never-spilling buffers (tn_osdc.c). Process-wide, set
     * before the loop threads start. */
    h2o_socket_buffer_mmap_settings.threshold = GW_BODY_SPILL_BYTES;
    int rc = prepare_tmp_dir(g->tmp_dir, h2o_socket_buffer_mmap_settings.fn_template,
                             sizeof h2o_socket_buffer_mmap_settings.fn_template);
    if (rc != TN_OK)
        return rc;
    h2o_hostconf_t *host =
        h2o_config_register_host(&s->h2o, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *h = h2o_create_handler(path, sizeof *h);
    h->on_req = gw_req_on_req;
    /* The admin host is registered in the same globalconf (so every context knows it) but
     * reachable only from the admin listener: the S3 listeners get a hosts list without it. */
    h2o_hostconf_t *admin =
        h2o_config_register_host(&s->h2o, h2o_iovec_init(H2O_STRLIT("tern-admin.invalid")), 65535);
    path = h2o_config_register_path(admin, "/", 0);
    h = h2o_create_handler(path, sizeof *h);
    h->on_req = on_admin_req;
    s->s3_hosts[0] = host;
    s->s3_hosts[1] = NULL;
    s->admin_hosts[0] = admin;
    s->admin_hosts[1] = NULL;
    if (g->tls_cert != NULL) {
        char err[512];
        if ((s->ssl_ctx = gw_tls_create(g->tls_cert, g->tls_key, err, sizeof err)) == NULL) {
            tn_log_error("msg=\"TLS setup failed\" err=\"%s\"", err);
            return TN_ERR_CONFIG;
        }
    }
    for (size_t i = 0; i < g->n_domains && i < CONF_MAX_DOMAINS; i++)
        s->domains[s->n_domains++] = (tn_slice_t){g->domains[i], strlen(g->domains[i])};
    return TN_OK;
}

static int open_listeners(gw_server_t *s)
{
    const conf_gateway_t *g = &s->conf->gateway;
    for (size_t i = 0; i < s->n_threads; i++) {
        gw_thread_t *t = &s->threads[i];
        for (size_t j = 0; j < g->n_listen && j < GW_MAX_LISTEN_FDS; j++) {
            char err[256];
            int fd = bind_listener(&g->listen[j], err, sizeof err);
            if (fd < 0) {
                tn_log_error("msg=\"%s\"", err);
                return -1;
            }
            t->listen_fds[t->n_listeners++] = fd;
        }
    }
    s->access_log_fd = GW_ACCESS_LOG_OFF;
    if (g->access_log != NULL && strcmp(g->access_log, "stderr") == 0) {
        s->access_log_fd = GW_ACCESS_LOG_STDERR;
    } else if (g->access_log != NULL) {
        int fd = open(g->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0) {
            tn_log_error("msg=\"cannot open the access log\" path=\"%s\" err=\"%s\"", g->access_log,
                         strerror(errno));
            return -1;
        }
        s->access_log_fd = fd;
    }
    s->admin_fd = -1;
    if (g->has_admin) {
        char err[256];
        int fd = tn_admin_listen(g->admin.host, g->admin.port, err, sizeof err);
        if (fd < 0) {
            tn_log_error("msg=\"cannot open the admin port\" reason=\"%s\"", err);
            return -1;
        }
        s->admin_fd = fd;
    }
    return 0;
}

int gw_server_run(const char *config_path, conf_t *conf, int log_level_fixed)
{
    static gw_server_t srv;
    gw_server_t *s = &srv;
    s->config_path = config_path;
    s->conf = conf;
    s->log_level_fixed = log_level_fixed;
    s->n_threads = (size_t)conf->gateway.threads;
    /* one reference per loop thread + the server's own (it keeps reading s->conf) */
    if ((s->boot_creds = gw_creds_new(conf, (int)s->n_threads + 1)) == NULL) {
        conf_free(conf);
        return 1;
    }
    uint32_t rnd = 0;
    if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
        rnd = (uint32_t)getpid() ^ (uint32_t)time(NULL);
    s->id_rand = rnd & 0xFFFFFu;
    if (setup_h2o(s) != TN_OK || gw_metrics_init(s->n_threads) != 0)
        return 1;
    setup_cluster(s);
    if ((s->threads = calloc(s->n_threads, sizeof *s->threads)) == NULL)
        return 1;
    for (size_t i = 0; i < s->n_threads; i++) {
        s->threads[i].server = s;
        s->threads[i].idx = (unsigned)i;
        s->threads[i].auth.creds = s->boot_creds;
    }
    if (open_listeners(s) != 0)
        return 1;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (gw_workers_start(&s->workers, s->n_threads) != TN_OK) {
        tn_log_error("msg=\"cannot start worker threads\"");
        return 1;
    }
    h2o_barrier_t ready;
    h2o_barrier_init(&ready, s->n_threads + 1);
    thread_arg_t *args = calloc(s->n_threads, sizeof *args);
    if (args == NULL)
        return 1;
    for (size_t i = 0; i < s->n_threads; i++) {
        args[i] = (thread_arg_t){&s->threads[i], &ready};
        int rc = pthread_create(&s->threads[i].tid, NULL, thread_main, &args[i]);
        if (rc != 0) {
            tn_log_error("msg=\"cannot start a loop thread\" err=\"%s\"", strerror(rc));
            _exit(1);
        }
    }
    h2o_barrier_wait(&ready);
    const conf_gateway_t *g = &s->conf->gateway;
    for (size_t j = 0; j < g->n_listen; j++)
        tn_log_info("msg=\"listening\" addr=%s%s%s:%u tls=%s threads=%zu",
                    g->listen[j].is_ipv6 ? "[" : "", g->listen[j].host,
                    g->listen[j].is_ipv6 ? "]" : "", (unsigned)g->listen[j].port,
                    s->ssl_ctx != NULL ? "on" : "off", s->n_threads);
    if (g->has_admin)
        tn_log_info("msg=\"admin port\" addr=%s%s%s:%u", g->admin.is_ipv6 ? "[" : "", g->admin.host,
                    g->admin.is_ipv6 ? "]" : "", (unsigned)g->admin.port);

    int stopping = 0;
    struct timespec tick = {0, 50 * 1000 * 1000};
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGHUP) {
            reload(s);
        } else if (sig == SIGTERM || sig == SIGINT) {
            if (stopping) {
                tn_log_warn("msg=\"second shutdown signal: exiting now\"");
                _exit(1);
            }
            stopping = 1;
            tn_log_info("msg=\"shutting down: no new connections, waiting for requests in "
                        "progress\" grace_ms=%d",
                        GW_SHUTDOWN_GRACE_MS);
            send_ctl(s, CTL_SHUTDOWN, NULL);
        }
        if (stopping && (size_t)atomic_load(&threads_exited) == s->n_threads)
            break;
    }
    for (size_t i = 0; i < s->n_threads; i++)
        pthread_join(s->threads[i].tid, NULL);
    if (s->map != NULL)
        gw_map_destroy(s->map);
    tn_log_info("msg=\"stopped\"");
    free(args);
    return 0;
}
