/*
 * tn_admin.h — the admin HTTP port of a daemon: GET/HEAD /metrics (Prometheus text 0.0.4,
 * rendered by the daemon's callback) and /health/live, served by h2o 2.2.5 on the daemon's own
 * event loop.
 *
 * Two ways to use it:
 *   - tn_admin_start: a small h2o server of its own (its own h2o_globalconf_t and
 *     h2o_context_t) on an existing evloop, listening on one address. The OSD does this: its
 *     loop already runs h2o sockets; a scrape renders from counters in memory (no disk, no
 *     lock held across I/O), so it never blocks the data path.
 *   - tn_admin_handle: answers one h2o request for /metrics or /health/live inside a server
 *     the caller already has (the gateway, whose admin host also serves /health/ready).
 *
 * Bounds: HTTP/1.1 and h2c via h2o; request timeout TN_ADMIN_REQ_TIMEOUT_MS; tn_admin_start's
 * server answers one request per HTTP/1 connection (Connection: close), so no idle connection
 * lingers; a request body is refused over 64 KiB (no endpoint takes one); at
 * most TN_ADMIN_MAX_CONNS connections at once (more are closed at accept). Bind to 127.0.0.1
 * or a management network: the port has no authentication.
 * Answers: 200 text/plain; version=0.0.4 for /metrics; 200 "ok\n" for /health/live; 404 for
 * other paths, 405 for methods other than GET and HEAD; HEAD never gets a body.
 */
#ifndef TN_ADMIN_H
#define TN_ADMIN_H

#include <stdint.h>
#include <h2o.h>
#include "tn_metrics.h"

#define TN_ADMIN_REQ_TIMEOUT_MS 5000u
#define TN_ADMIN_MAX_CONNS      64u

/* Writes the daemon's metrics into b. Called on the loop thread that serves the request. */
typedef void (*tn_admin_render_cb)(void *data, tn_mbuf_t *b);

typedef struct tn_admin tn_admin_t;

/* Creates a non-blocking listening socket on host:port (numeric or DNS host). Returns the fd, or
 * -errno with a reason in err. */
int tn_admin_listen(const char *host, uint16_t port, char *err, size_t errlen);

/* Serves fd (from tn_admin_listen; ownership moves in, also on failure) on loop. 0 or
 * -ENOMEM. Call tn_admin_stop on the same thread before the loop is destroyed. */
int tn_admin_start(h2o_evloop_t *loop, int fd, tn_admin_render_cb render, void *data,
                   tn_admin_t **out);
/* Closes the listener, runs the loop until the open connections finished (at most
 * TN_ADMIN_REQ_TIMEOUT_MS + 1 s: a connection that never sends its request times out), then
 * disposes the context and frees a. If an HTTP/2 client is still connected after that, a is
 * left allocated (the caller is exiting). NULL is fine. Before the loop is destroyed. */
void tn_admin_stop(tn_admin_t *a);

/* Answers req if it is /metrics or /health/live (any method: non-GET/HEAD gets 405); returns 0
 * then, -1 if the path is something else (the caller answers). */
int tn_admin_handle(h2o_req_t *req, tn_admin_render_cb render, void *data);

/* Sends a small text/plain response (HEAD: headers only). */
void tn_admin_send_text(h2o_req_t *req, int status, const char *reason, const char *text,
                        size_t len);

#endif
