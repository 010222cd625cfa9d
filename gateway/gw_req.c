/* gw_req.c — the request pipeline up to authentication, responses and the access log (gw_req.h). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "tn_log.h"
#include "tn_time.h"
#include "gw_req.h"
#include "gw_access.h"
#include "gw_ops.h"
#include "gw_health.h"
#include "gw_payload.h"
#include "gw_access.h"
#include "gw_server.h"
#include "gw_metrics.h"

#define LOG_KEY_MAX 512 /* key bytes kept in an access-log line */

void gw_req_format_id(char out[GW_REQ_ID_LEN + 1], uint32_t rnd, unsigned thread, uint64_t seq)
{
    uint64_t v = ((uint64_t)(rnd & 0xFFFFFu) << 44) | ((uint64_t)(thread & 0xFFu) << 36) |
                 (seq & 0xFFFFFFFFFull);
    snprintf(out, GW_REQ_ID_LEN + 1, "%016llx", (unsigned long long)v);
}

/* ---- responses ---- */

static const char *reason_for(int status);

void gw_req_add_header(gw_req_t *r, const char *name, const char *value, size_t value_len)
{
    h2o_req_t *req = r->req;
    size_t nl = strlen(name);
    char *n = h2o_mem_alloc_pool(&req->pool, nl + 1);
    memcpy(n, name, nl + 1);
    char *v = h2o_mem_alloc_pool(&req->pool, value_len + 1);
    memcpy(v, value, value_len);
    v[value_len] = '\0';
    h2o_add_header_by_str(&req->pool, &req->res.headers, n, nl, 1, NULL, v, value_len);
}

int gw_req_degraded_ok(gw_req_t *r)
{
    static const char *const conds[] = {"if-match", "if-none-match", "if-modified-since",
                                        "if-unmodified-since"};
    if (r->route.op != S3_OP_GET_OBJECT && r->route.op != S3_OP_HEAD_OBJECT)
        return 0;
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++)
        if (h2o_find_header_by_str(&r->req->headers, conds[i], strlen(conds[i]), -1) != -1)
            return 0;
    return 1;
}

void gw_req_flag_degraded(gw_req_t *r)
{
    static const char name[] = "x-tern-degraded-read";
    if (h2o_find_header_by_str(&r->req->res.headers, name, sizeof name - 1, -1) == -1)
        h2o_add_header_by_str(&r->req->pool, &r->req->res.headers, name, sizeof name - 1, 0, NULL,
                              H2O_STRLIT("1"));
}

static void add_std_headers(gw_req_t *r)
{
    h2o_req_t *req = r->req;
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amz-request-id"), 0, NULL,
                          r->id, GW_REQ_ID_LEN);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amz-id-2"), 0, NULL, r->id,
                          GW_REQ_ID_LEN);
}

void gw_req_start_response(gw_req_t *r, int status, h2o_generator_t *gen)
{
    h2o_req_t *req = r->req;
    r->responded = 1;
    req->res.status = status;
    req->res.reason = reason_for(status);
    add_std_headers(r);
    h2o_start_response(req, gen);
}

static const char *reason_for(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 416: return "Requested Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Error";
    }
}

void gw_req_send(gw_req_t *r, int status, const char *content_type, const void *body, size_t len)
{
    static h2o_generator_t gen = {NULL, NULL};
    h2o_req_t *req = r->req;
    r->responded = 1;
    req->res.status = status;
    req->res.reason = reason_for(status);
    add_std_headers(r);
    if (content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    req->res.content_length = len;
    h2o_start_response(req, &gen);
    if (r->is_head || len == 0) {
        /* HEAD: no body ever (h2o 2.2.5's HTTP/2 breaks if HEAD sends one) */
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_iovec_t v = {h2o_mem_alloc_pool(&req->pool, len), len};
    memcpy(v.base, body, len);
    h2o_send(req, &v, 1, H2O_SEND_STATE_FINAL);
}

void gw_req_send_error_ex(gw_req_t *r, s3_err_t err, const char *message, const s3_xml_kv_t *extra,
                          size_t n_extra)
{
    int status = s3_err_status(err);
    if (!s3_err_has_body(err)) { /* 304 */
        gw_req_send(r, status, NULL, NULL, 0);
        return;
    }
    const s3_route_t *rt = &r->route;
    char *resource = h2o_mem_alloc_pool(&r->req->pool, rt->raw_path.len + 1);
    memcpy(resource, rt->raw_path.base, rt->raw_path.len);
    resource[rt->raw_path.len] = '\0';
    s3_buf_t b;
    s3_buf_init(&b, 64u << 10);
    if (s3_xml_error_ex(&b, err, message, resource, r->id, extra, n_extra) != TN_OK) {
        s3_buf_reset(&b);
        s3_xml_error(&b, err, NULL, NULL, r->id);
    }
    if (!s3_buf_ok(&b)) {
        s3_buf_free(&b);
        gw_req_send(r, status, NULL, NULL, 0);
        return;
    }
    gw_req_send(r, status, "application/xml", b.base, b.len);
    s3_buf_free(&b);
}

void gw_req_send_error(gw_req_t *r, s3_err_t err, const char *message)
{
    gw_req_send_error_ex(r, err, message, NULL, 0);
}

void gw_req_set_cancel(gw_req_t *r, void (*cancel)(void *data), void *data)
{
    r->cancel = cancel;
    r->cancel_data = data;
}

/* ---- access log ---- */

/* Writes s as a quoted log value: printable ASCII kept, '"' and '\\' escaped, everything else
 * as \xHH; at most LOG_KEY_MAX input bytes (then "..."). out needs 4*LOG_KEY_MAX+8 bytes. */
static void log_escape(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    size_t n = TN_MIN(len, (size_t)LOG_KEY_MAX);
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c >= 0x20 && c < 0x7f) {
            *o++ = (char)c;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    if (len > n) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o++ = '"';
    *o = '\0';
}

/* "addr:port" of the peer ("-" when unknown); IPv6 as [addr]:port. */
/* Appends the decimal digits of v (< 100000) to *o. */
static char *put_dec(char *o, unsigned v)
{
    char t[8];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *o++ = t[--n];
    return o;
}

static void peer_name(h2o_req_t *req, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    snprintf(out, cap, "-");
    if (req->conn->callbacks->get_peername != NULL)
        len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (len == 0)
        return;
    char host[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET && cap >= sizeof "255.255.255.255:65535") {
        /* by hand: inet_ntop and snprintf were ~3k instructions per access line */
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        const uint8_t *b = (const uint8_t *)&a->sin_addr;
        char *o = out;
        for (int i = 0; i < 4; i++) {
            o = put_dec(o, b[i]);
            *o++ = i < 3 ? '.' : ':';
        }
        o = put_dec(o, ntohs(a->sin_port));
        *o = '\0';
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        snprintf(out, cap, "[%s]:%u", host, (unsigned)ntohs(a->sin6_port));
    }
}

/* A bounded line being appended to (the access log line: built by hand, as printf-style
 * formatting of its 14 fields was ~6k instructions of a 4 KiB request). */
typedef struct {
    char *p, *end;
} line_t;

static void line_put(line_t *b, const char *s, size_t n)
{
    if (n > (size_t)(b->end - b->p))
        n = (size_t)(b->end - b->p);
    memcpy(b->p, s, n);
    b->p += n;
}

static void line_str(line_t *b, const char *s)
{
    line_put(b, s, strlen(s));
}

static void line_u64(line_t *b, uint64_t v)
{
    char t[20];
    size_t i = sizeof t;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    line_put(b, t + i, sizeof t - i);
}

static void access_log(gw_req_t *r, double ms)
{
    int fd = r->thread->server->access_log_fd;
    if (fd == GW_ACCESS_LOG_OFF)
        return;
    tn_log_level_t lvl = r->is_health ? TN_LOG_DEBUG : TN_LOG_INFO;
    if (lvl < tn_log_get_level())
        return;
    h2o_req_t *req = r->req;
    char bucket[4 * S3_BUCKET_MAX + 16], key[4 * LOG_KEY_MAX + 8], ua[4 * LOG_KEY_MAX + 8];
    char peer[INET6_ADDRSTRLEN + 16];
    log_escape(bucket, r->route.bucket.base, TN_MIN(r->route.bucket.len, (size_t)S3_BUCKET_MAX));
    log_escape(key, r->route.key.base, r->route.key.len);
    ssize_t ui = h2o_find_header(&req->headers, H2O_TOKEN_USER_AGENT, -1);
    if (ui >= 0)
        log_escape(ua, req->headers.entries[ui].value.base, req->headers.entries[ui].value.len);
    else
        snprintf(ua, sizeof ua, "-");
    peer_name(req, peer, sizeof peer);
    /* msg=access id= ak= method= op= bucket= key= status= in= out= ms=%.1f remote= ua= proto= */
    char text[sizeof bucket + sizeof key + sizeof ua + sizeof peer + 256];
    line_t b = {text, text + sizeof text - 1};
    line_str(&b, "msg=access id=");
    line_str(&b, r->id);
    line_str(&b, " ak=");
    line_str(&b, r->access_key != NULL ? r->access_key : "-");
    line_str(&b, " method=");
    line_put(&b, req->method.base, TN_MIN(req->method.len, 16u));
    line_str(&b, " op=");
    line_str(&b, r->is_health ? "Health" : s3_op_name(r->route.op));
    line_str(&b, " bucket=");
    line_str(&b, bucket);
    line_str(&b, " key=");
    line_str(&b, key);
    line_str(&b, " status=");
    line_u64(&b, r->responded && req->res.status > 0 ? (uint64_t)req->res.status : 0);
    line_str(&b, " in=");
    line_u64(&b, req->entity.len);
    line_str(&b, " out=");
    line_u64(&b, req->bytes_sent);
    line_str(&b, " ms=");
    uint64_t tenths = ms > 0 ? (uint64_t)(ms * 10 + 0.5) : 0;
    line_u64(&b, tenths / 10);
    line_put(&b, ".", 1);
    line_u64(&b, tenths % 10);
    line_str(&b, " remote=");
    line_str(&b, peer);
    line_str(&b, " ua=");
    line_str(&b, ua);
    line_str(&b, req->version >= 0x200 ? " proto=h2" : " proto=h1");
    *b.p = '\0';
    if (fd == GW_ACCESS_LOG_STDERR)
        tn_log(lvl, "%s", text);
    else
        tn_log_fd(fd, lvl, "%s", text);
}

static void on_dispose(void *p)
{
    gw_req_t *r = p;
    if (r->cancel != NULL) {
        void (*cb)(void *) = r->cancel;
        r->cancel = NULL;
        cb(r->cancel_data);
    }
    if (r->payload_pending != NULL)
        gw_payload_gone(r); /* after the operation's hook: an await callback finds it gone */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs =
        (double)(now.tv_sec - r->started.tv_sec) + (double)(now.tv_nsec - r->started.tv_nsec) / 1e9;
    h2o_req_t *req = r->req;
    gw_metrics_request(r->is_health ? S3_OP__COUNT + GW_M_OP_HEALTH : (unsigned)r->route.op,
                       r->responded ? req->res.status : 0, req->entity.len, req->bytes_sent, secs);
    gw_metrics_publish(r->thread->idx, r->thread->osd);
    access_log(r, secs * 1e3);
    r->thread->inflight--;
}

/* ---- pipeline ---- */

static int is_method(h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

/* /health/live and /health/ready: GET/HEAD, exactly that path, no query, not vhost style. */
static int try_health(gw_req_t *r)
{
    h2o_req_t *req = r->req;
    if (!is_method(req, "GET") && !is_method(req, "HEAD"))
        return 0;
    int live = h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/health/live"));
    int ready = h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/health/ready"));
    if (!live && !ready)
        return 0;
    if (r->route.style == S3_STYLE_VHOST)
        return 0;
    r->is_health = 1;
    if (live)
        gw_req_send(r, 200, "text/plain; charset=utf-8", "ok\n", 3);
    else
        gw_health_ready(r); /* map known and a quorum of OSDs reachable (gw_health.h) */
    return 1;
}

static void send_why(gw_req_t *r, const s3_why_t *why)
{
    if (why->err == S3_ERR_REQUEST_TIME_TOO_SKEWED) {
        char server_time[TN_TIME_AMZ_LEN + 1], skew[32];
        tn_time_format_amz(r->now, server_time);
        snprintf(skew, sizeof skew, "%d", S3_SIGV4_MAX_SKEW * 1000);
        s3_xml_kv_t extra[] = {{"RequestTime", r->auth.sig.amz_date},
                               {"ServerTime", server_time},
                               {"MaxAllowedSkewMilliseconds", skew}};
        gw_req_send_error_ex(r, why->err, s3_why_message(why), extra, TN_ARRAY_SIZE(extra));
        return;
    }
    gw_req_send_error(r, why->err, s3_why_message(why));
}

static void after_payload(gw_req_t *r, const s3_why_t *why)
{
    if (why->err != S3_OK) {
        send_why(r, why);
        return;
    }
    gw_ops_dispatch(r);
}

static void start_payload(gw_req_t *r)
{
    gw_payload_run(r, after_payload);
}

static void handle(gw_req_t *r)
{
    h2o_req_t *req = r->req;
    gw_server_t *srv = r->thread->server;
    int has_copy = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-amz-copy-source"), -1) != -1;
    s3_route_in_t in = {
        .method = req->method.base,
        .method_len = req->method.len,
        .host = req->authority.base,
        .host_len = req->authority.len,
        .target = req->path.base,
        .target_len = req->path.len,
        .vhost_domains = srv->domains,
        .n_vhost_domains = srv->n_domains,
        .has_copy_source = has_copy,
    };
    size_t work_cap = req->path.len + req->authority.len + 2;
    char *work = h2o_mem_alloc_pool(&req->pool, work_cap);
    s3_err_t e = s3_route(&in, &r->route, work, work_cap);
    if (try_health(r))
        return;
    if (e != S3_OK) {
        gw_req_send_error(r, e, NULL);
        return;
    }
    s3_why_t why = {S3_OK, ""};
    e = gw_auth_verify(&r->thread->auth, req, &r->route, srv->conf->gateway.region, r->now,
                       &r->auth, &why);
    if (e != S3_OK) {
        send_why(r, &why);
        return;
    }
    if (r->auth.sig.kind == S3_AUTH_NONE) {
        /* anonymous (r->access_key NULL): the stage lets through only what an ACL, a bucket
         * policy or CORS opens (gw_access.h). Writes to public-read-write buckets carry bodies:
         * they pass the payload stage too (MD5 for the ETag, Content-MD5, x-amz-checksum-*,
         * aws-chunked with unsigned trailers), with nothing signed to check; a body that
         * claims chunk signatures cannot be verified without a key and is refused. */
        if (s3_sigv4_payload(&r->auth.sreq, S3_AUTH_NONE, &r->auth.payload_hash, &r->auth.payload,
                             &why) != S3_OK) {
            send_why(r, &why);
            return;
        }
        if (r->auth.payload == S3_PAYLOAD_STREAMING_SIGNED ||
            r->auth.payload == S3_PAYLOAD_STREAMING_SIGNED_TRAILER) {
            gw_req_send_error(r, S3_ERR_ACCESS_DENIED,
                              "A signed streaming payload needs a signed request");
            return;
        }
        gw_access_check(r, start_payload);
        return;
    }
    size_t akl = strlen(r->auth.sig.access_key);
    char *ak = h2o_mem_alloc_pool(&req->pool, akl + 1);
    memcpy(ak, r->auth.sig.access_key, akl + 1);
    r->access_key = ak;
    gw_access_check(r, start_payload);
}

int gw_req_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    gw_thread_t *t = (gw_thread_t *)req->conn->ctx;
    gw_req_t *r = h2o_mem_alloc_shared(&req->pool, sizeof *r, on_dispose);
    memset(r, 0, sizeof *r);
    r->req = req;
    r->thread = t;
    t->inflight++;
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    if (req->timestamps.request_begin_at.tv_sec != 0) {
        /* count from the request's first byte (the upload included) */
        struct timeval tv;
        gettimeofday(&tv, NULL);
        double back = (double)(tv.tv_sec - req->timestamps.request_begin_at.tv_sec) +
                      (double)(tv.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1e6;
        if (back > 0) {
            long long ns = (long long)(back * 1e9);
            r->started.tv_sec -= (time_t)(ns / 1000000000);
            r->started.tv_nsec -= (long)(ns % 1000000000);
            if (r->started.tv_nsec < 0) {
                r->started.tv_nsec += 1000000000;
                r->started.tv_sec--;
            }
        }
    }
    gw_req_format_id(r->id, t->server->id_rand, t->idx, ++t->req_seq);
    r->now = (int64_t)time(NULL);
    r->is_head = is_method(req, "HEAD");
    r->body = (tn_slice_t){req->entity.base != NULL ? req->entity.base : "", req->entity.len};
    ssize_t ce = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_ENCODING, -1);
    if (ce >= 0)
        r->content_encoding =
            (tn_slice_t){req->headers.entries[ce].value.base, req->headers.entries[ce].value.len};
    r->route.bucket = r->route.key = r->route.raw_path = (tn_slice_t){"", 0};
    handle(r);
    return 0;
}
