/* tn_admin.c — this file implements the admin HTTP port (/metrics, /health/live) on h2o
 * 2.2.5, declared in tn_admin.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tn_admin.h"

struct tn_admin {
    h2o_globalconf_t conf;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_evloop_t *loop;
    tn_admin_render_cb render;
    void *data;
    unsigned conns; /* open connections (on the loop thread) */
    int stopped;    /* tn_admin_stop ran */
};

static void admin_free(tn_admin_t *a)
{
    h2o_multithread_queue_t *q = a->ctx.queue;
    h2o_context_dispose(&a->ctx);
    free(q); /* h2o 2.2.5's evloop variant of h2o_multithread_destroy_queue does not free it */
    h2o_config_dispose(&a->conf);
    free(a);
}

/* The handler, with a way back to the server. */
typedef struct {
    h2o_handler_t super;
    tn_admin_t *admin;
} admin_handler_t;

int tn_admin_listen(const char *host, uint16_t port, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", (unsigned)port);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -EINVAL;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
        fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot listen on %s:%u: %s", host, (unsigned)port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return rc;
    }
    freeaddrinfo(res);
    return fd;
}

void tn_admin_send_text(h2o_req_t *req, int status, const char *reason, const char *text,
                        size_t len)
{
    static h2o_generator_t gen = {NULL, NULL};
    req->res.status = status;
    req->res.reason = reason;
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/plain; charset=utf-8"));
    h2o_start_response(req, &gen);
    int head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    if (head || len == 0) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_iovec_t v = {h2o_mem_alloc_pool(&req->pool, len), len};
    memcpy(v.base, text, len);
    h2o_send(req, &v, 1, H2O_SEND_STATE_FINAL);
}

static void send_metrics(h2o_req_t *req, tn_admin_render_cb render, void *data)
{
    static h2o_generator_t gen = {NULL, NULL};
    tn_mbuf_t b;
    tn_mbuf_init(&b);
    render(data, &b);
    if (b.err != 0) {
        tn_mbuf_free(&b);
        tn_admin_send_text(req, 500, "Internal Server Error", "out of memory\n", 14);
        return;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = b.len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/plain; version=0.0.4; charset=utf-8"));
    h2o_start_response(req, &gen);
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")) || b.len == 0) {
        tn_mbuf_free(&b);
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    /* the body goes into the request pool: freed with the request, after the send */
    h2o_iovec_t v = {h2o_mem_alloc_pool(&req->pool, b.len), b.len};
    memcpy(v.base, b.p, b.len);
    tn_mbuf_free(&b);
    h2o_send(req, &v, 1, H2O_SEND_STATE_FINAL);
}

/* The path without its query. */
static int path_is(h2o_req_t *req, const char *p)
{
    size_t len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    return h2o_memis(req->path.base, len, p, strlen(p));
}

int tn_admin_handle(h2o_req_t *req, tn_admin_render_cb render, void *data)
{
    int metrics = path_is(req, "/metrics"), live = path_is(req, "/health/live");
    if (!metrics && !live)
        return -1;
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       H2O_STRLIT("GET, HEAD"));
        tn_admin_send_text(req, 405, "Method Not Allowed", "method not allowed\n", 19);
        return 0;
    }
    if (live)
        tn_admin_send_text(req, 200, "OK", "ok\n", 3);
    else
        send_metrics(req, render, data);
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    tn_admin_t *a = ((admin_handler_t *)self)->admin;
    /* one request per connection: no idle keep-alive connection outlives a scrape, so
     * tn_admin_stop only waits for requests under way */
    req->http1_is_persistent = 0;
    if (tn_admin_handle(req, a->render, a->data) != 0)
        tn_admin_send_text(req, 404, "Not Found", "not found\n", 10);
    return 0;
}

static void on_conn_close(void *data)
{
    tn_admin_t *a = data;
    a->conns--; /* never frees a here: this runs inside h2o callbacks on a's own context */
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    tn_admin_t *a = listener->data;
    if (err != NULL)
        return;
    for (int i = 0; i < 8; i++) { /* a few per wake-up: the data path comes first */
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
        if (a->conns >= TN_ADMIN_MAX_CONNS) {
            h2o_socket_close(sock);
            continue;
        }
        a->conns++;
        sock->on_close.cb = on_conn_close;
        sock->on_close.data = a;
        h2o_accept(&a->accept_ctx, sock);
    }
}

int tn_admin_start(h2o_evloop_t *loop, int fd, tn_admin_render_cb render, void *data,
                   tn_admin_t **out)
{
    tn_admin_t *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        close(fd);
        return -ENOMEM;
    }
    a->render = render;
    a->data = data;
    a->loop = loop;
    h2o_config_init(&a->conf);
    a->conf.server_name = h2o_iovec_init(H2O_STRLIT("tern-admin"));
    a->conf.max_request_entity_size = 64u << 10;
    a->conf.http1.req_timeout = TN_ADMIN_REQ_TIMEOUT_MS;
    a->conf.http2.idle_timeout = TN_ADMIN_REQ_TIMEOUT_MS;
    h2o_hostconf_t *host =
        h2o_config_register_host(&a->conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    admin_handler_t *h = (admin_handler_t *)h2o_create_handler(path, sizeof(*h));
    h->super.on_req = on_req;
    h->admin = a;
    h2o_context_init(&a->ctx, loop, &a->conf);
    a->accept_ctx.ctx = &a->ctx;
    a->accept_ctx.hosts = a->conf.hosts;
    a->listener = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    a->listener->data = a;
    h2o_socket_read_start(a->listener, on_accept);
    *out = a;
    return 0;
}

void tn_admin_stop(tn_admin_t *a)
{
    if (a == NULL)
        return;
    if (a->listener != NULL) {
        h2o_socket_read_stop(a->listener);
        h2o_socket_close(a->listener);
    }
    a->listener = NULL;
    a->stopped = 1;
    /* a connection lives until its request is answered or its request timeout: wait for that
     * (bounded) so that the context's timeouts are empty when it is disposed */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (a->conns > 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (long)(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms > (long)TN_ADMIN_REQ_TIMEOUT_MS + 1000)
            break;
        h2o_evloop_run(a->loop, 10);
    }
    if (a->conns == 0)
        admin_free(a);
    /* else an HTTP/2 client still holds on after the bound: a stays allocated (the process is
     * exiting; disposing a context with a live connection would free what it uses) */
}
