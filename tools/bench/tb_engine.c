/*
 * tb_engine.c — tern-bench's load engine (contract in tb_engine.h).
 *
 * One slot per concurrent request, re-armed in place when its request finishes. Two
 * transports carry the slots' requests:
 * - plain http:// (the usual case): one non-blocking kept-alive socket per slot on one epoll
 *   set (edge-triggered, registered once per connection), the request head written with the
 *   first body bytes in one sendmsg, the answer read by tb_http.c into one shared buffer and
 *   checked in place. ~6x cheaper per 4 KiB request than libcurl (docs/BENCHMARKS.md): the
 *   client shares the CPUs with the server it measures.
 * - https:// : libcurl multi (an easy handle per slot, reused so its connection stays alive;
 *   the usual perform / info_read / poll cycle).
 */
#define _POSIX_C_SOURCE 200809L
#include "tb_engine.h"
#include "s3c_mp.h"

#include "tb_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TB_PAYLOAD "UNSIGNED-PAYLOAD"

typedef struct {
    CURL *easy;
    struct curl_slist *hdrs;
    const tb_config_t *cfg;
    tb_stats_t *st;
    tb_op_t op;
    uint64_t start_us;
    uint64_t body_base; /* where the uploaded bytes start in the object (multipart parts) */
    uint64_t body_size; /* bytes to upload */
    uint64_t sent;
    uint64_t recv;
    size_t pat_off;
    int bad_body;
    char resp[1024]; /* start of an error answer, or of a multipart create/complete answer */
    size_t resp_len;
    /* multipart PUT (--multipart-size): phase, parts, the upload's id and the parts' ETags */
    int mp_phase;
    uint32_t mp_part; /* 1-based part in flight */
    uint32_t mp_parts;
    char mp_upload_id[512];
    char etag[S3C_MP_ETAG];        /* ETag header of the current answer */
    char (*mp_etags)[S3C_MP_ETAG]; /* mp_parts entries, from malloc(), owned */
    char *mp_body;                 /* CompleteMultipartUpload XML, from malloc(), owned */
    size_t mp_body_len;
    char key[256];
    char path[1024];
    char url[2048];
    char errbuf[CURL_ERROR_SIZE];
    long code; /* HTTP status of the answer; 0 until its head is read */
    /* the plain-http transport: one kept-alive connection per slot */
    int fd;             /* -1: none */
    unsigned conn_reqs; /* requests the connection finished before the current one */
    int busy;           /* a request is in flight */
    int retried;        /* resent once on a fresh connection already */
    int got_bytes;      /* some answer bytes arrived */
    int head_req;
    uint64_t deadline_us;
    size_t hlen, hoff; /* request head in hbuf, bytes sent */
    const char *chunk; /* body bytes [sent - coff, ...) to send: obuf or mp_body */
    size_t clen, coff; /* the chunk's length, bytes of it sent */
    char *obuf;        /* PUT body chunk, TB_RAW_CHUNK or the body size if smaller; owned */
    size_t ocap;
    tb_http_resp_t answer; /* the plain-http transport's reader */
    char hbuf[3072];
} tb_slot_t;

#define TB_RAW_CHUNK ((size_t)256 << 10) /* PUT body bytes generated per sendmsg */
#define TB_RAW_RBUF  ((size_t)256 << 10) /* one read() */

enum { MP_NONE = 0, MP_CREATE, MP_PART, MP_COMPLETE };

typedef struct {
    CURLM *multi; /* https:// */
    int ep;       /* epoll set of the plain-http transport, else -1 */
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char *rbuf;       /* TB_RAW_RBUF bytes; owned */
    tb_slot_t **done; /* finished slots not yet recorded (concurrency entries); owned */
    unsigned n_done;
    const tb_config_t *cfg;
    tb_stats_t *st;
    uint64_t issued;
    uint64_t next_seq;
    uint64_t deadline_us; /* 0 = none */
    uint64_t rng;
    int64_t date_sec;
    char amz_date[17];
} tb_run_t;

static volatile sig_atomic_t tb_stop_flag;

void tb_engine_stop(void)
{
    tb_stop_flag = 1;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int tb_engine_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void tb_engine_global_cleanup(void)
{
    curl_global_cleanup();
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    tb_slot_t *s = arg;
    uint64_t left = s->body_size - s->sent;
    size_t n = size * nitems;
    if (n > left)
        n = (size_t)left;
    if (n > 0)
        tb_pattern_copy(s->cfg->pattern, s->pat_off, s->body_base + s->sent, buf, n);
    s->sent += n;
    return n;
}

/* Answer body bytes of s (s->code is set). */
static void on_body(tb_slot_t *s, const char *data, size_t n)
{
    long code = s->code;
    if (code / 100 == 2) {
        if (s->op == TB_GET && s->cfg->verify && !s->bad_body) {
            if (s->recv + n > s->cfg->size ||
                !tb_pattern_check(s->cfg->pattern, s->pat_off, s->recv, data, n))
                s->bad_body = 1;
        }
    }
    if ((code / 100 != 2 || s->mp_phase == MP_CREATE || s->mp_phase == MP_COMPLETE) &&
        s->resp_len < sizeof s->resp - 1) {
        size_t k = sizeof s->resp - 1 - s->resp_len;
        if (k > n)
            k = n;
        memcpy(s->resp + s->resp_len, data, k);
        s->resp_len += k;
        s->resp[s->resp_len] = '\0';
    }
    s->recv += n;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    tb_slot_t *s = arg;
    size_t n = size * nmemb;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->code);
    on_body(s, data, n);
    return n;
}

/* Keeps the ETag of an answer header line (for multipart parts); CR/LF may end the line. */
static void on_header(tb_slot_t *s, const char *data, size_t n)
{
    if (n > 5 && strncasecmp(data, "etag:", 5) == 0) {
        const char *v = data + 5;
        size_t l = n - 5;
        while (l > 0 && (*v == ' ' || *v == '\t'))
            v++, l--;
        while (l > 0 && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
            l--;
        if (l < sizeof s->etag) {
            memcpy(s->etag, v, l);
            s->etag[l] = '\0';
        }
    }
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *arg)
{
    on_header(arg, data, size * nitems);
    return size * nitems;
}

/* raw: the plain-http transport (no easy handle). */
static int slot_init(tb_slot_t *s, const tb_config_t *cfg, tb_stats_t *st, int raw)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->st = st;
    s->fd = -1;
    if (raw)
        return 0;
    s->easy = curl_easy_init();
    if (s->easy == NULL)
        return -1;
    CURL *e = s->easy;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, s);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 262144L);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 262144L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (cfg->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return 0;
}

static void slot_mp_reset(tb_slot_t *s)
{
    free(s->mp_etags);
    free(s->mp_body);
    s->mp_etags = NULL;
    s->mp_body = NULL;
    s->mp_phase = MP_NONE;
}

static void slot_free(tb_slot_t *s)
{
    slot_mp_reset(s);
    if (s->easy != NULL)
        curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->hdrs);
    s->easy = NULL;
    s->hdrs = NULL;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    free(s->obuf);
    s->obuf = NULL;
}

/* Appends n bytes to the request head; 0, or -1 if it does not fit. */
static int head_put(tb_slot_t *s, const char *p, size_t n)
{
    if (s->hlen + n > sizeof s->hbuf)
        return -1;
    memcpy(s->hbuf + s->hlen, p, n);
    s->hlen += n;
    return 0;
}

static int head_str(tb_slot_t *s, const char *p)
{
    return head_put(s, p, strlen(p));
}

/* The plain-http request head of method path?query with the signed headers and the body's
 * length; 0, or -1 if it does not fit. */
static int raw_head(tb_slot_t *s, const char *method, const char *query, const char *amz_date,
                    const char *auth, uint64_t body_len)
{
    char num[24];
    int rc = 0;
    s->hlen = 0;
    rc |= head_str(s, method);
    rc |= head_put(s, " ", 1);
    rc |= head_str(s, s->path);
    if (*query) {
        rc |= head_put(s, "?", 1);
        rc |= head_str(s, query);
    }
    rc |= head_str(s, " HTTP/1.1\r\nHost: ");
    rc |= head_str(s, s->cfg->host);
    rc |= head_str(s, "\r\nx-amz-date: ");
    rc |= head_str(s, amz_date);
    rc |= head_str(s, "\r\nx-amz-content-sha256: " TB_PAYLOAD "\r\nAuthorization: ");
    rc |= head_str(s, auth);
    if (body_len > 0 || strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
        snprintf(num, sizeof num, "%" PRIu64, body_len);
        rc |= head_str(s, "\r\nContent-Length: ");
        rc |= head_str(s, num);
    }
    rc |= head_str(s, "\r\n\r\n");
    return rc;
}

static struct curl_slist *append(struct curl_slist *l, const char *h, int *fail)
{
    struct curl_slist *n = curl_slist_append(l, h);
    if (n == NULL) {
        *fail = 1;
        return l;
    }
    return n;
}

/* Prepares s for one request: method, path and raw query (may be ""), upload size (PUT),
 * the body of a POST (s->mp_body, or none). */
static int slot_prepare(tb_slot_t *s, const char *method, const char *query, uint64_t upload,
                        const char *amz_date)
{
    const tb_config_t *cfg = s->cfg;
    char auth[512], line[640];
    if (s3c_sign(cfg->signer, method, s->path, query, cfg->host, amz_date, TB_PAYLOAD, auth,
                 sizeof auth) == 0)
        return -1;
    s->sent = 0;
    s->recv = 0;
    s->bad_body = 0;
    s->resp_len = 0;
    s->resp[0] = '\0';
    s->etag[0] = '\0';
    s->errbuf[0] = '\0';
    s->code = 0;
    if (s->easy == NULL) { /* plain http */
        int post = strcmp(method, "POST") == 0;
        int has = post && s->mp_phase == MP_COMPLETE && s->mp_body != NULL;
        s->body_size = has ? s->mp_body_len : upload;
        s->head_req = strcmp(method, "HEAD") == 0;
        s->chunk = has ? s->mp_body : NULL;
        s->clen = has ? s->mp_body_len : 0;
        s->coff = 0;
        s->hoff = 0;
        if (!has && upload > 0 && s->ocap < TB_RAW_CHUNK && s->ocap < upload) {
            size_t cap = upload < TB_RAW_CHUNK ? (size_t)upload : TB_RAW_CHUNK;
            char *b = realloc(s->obuf, cap);
            if (b == NULL)
                return -1;
            s->obuf = b;
            s->ocap = cap;
        }
        return raw_head(s, method, query, amz_date, auth, s->body_size);
    }
    int n = snprintf(s->url, sizeof s->url, "%s%s%s%s", cfg->base_url, s->path, *query ? "?" : "",
                     query);
    if (n < 0 || (size_t)n >= sizeof s->url)
        return -1;
    curl_slist_free_all(s->hdrs);
    s->hdrs = NULL;
    int fail = 0;
    snprintf(line, sizeof line, "Host: %s", cfg->host);
    s->hdrs = append(s->hdrs, line, &fail);
    snprintf(line, sizeof line, "x-amz-date: %s", amz_date);
    s->hdrs = append(s->hdrs, line, &fail);
    s->hdrs = append(s->hdrs, "x-amz-content-sha256: " TB_PAYLOAD, &fail);
    snprintf(line, sizeof line, "Authorization: %s", auth);
    s->hdrs = append(s->hdrs, line, &fail);
    s->hdrs = append(s->hdrs, "Expect:", &fail);
    if (strcmp(method, "POST") == 0)
        s->hdrs = append(s->hdrs, "Content-Type:", &fail); /* not curl's form type */
    if (fail)
        return -1;

    CURL *e = s->easy;
    curl_easy_setopt(e, CURLOPT_URL, s->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->hdrs);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L); /* resets NOBODY and UPLOAD */
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    if (strcmp(method, "PUT") == 0) {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)upload);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "DELETE") == 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else if (strcmp(method, "POST") == 0) {
        int has = s->mp_phase == MP_COMPLETE && s->mp_body != NULL;
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, has ? s->mp_body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has ? s->mp_body_len : 0));
    }
    s->body_size = upload;
    return 0;
}

static const char *run_date(tb_run_t *r)
{
    int64_t t = (int64_t)time(NULL);
    if (t != r->date_sec) {
        r->date_sec = t;
        s3c_amz_date(t, r->amz_date);
    }
    return r->amz_date;
}

/* ---- the plain-http transport ---- */

static void raw_close(tb_run_t *r, tb_slot_t *s)
{
    if (s->fd < 0)
        return;
    epoll_ctl(r->ep, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->fd = -1;
}

/* A new connection for s; 0, or -errno. */
static int raw_connect(tb_run_t *r, tb_slot_t *s)
{
    int fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        (connect(fd, (struct sockaddr *)&r->addr, r->addr_len) != 0 && errno != EINPROGRESS)) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = s};
    if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    s->fd = fd;
    s->conn_reqs = 0;
    return 0;
}

/* Sends what the kernel takes of the request. 0 (all sent, or wait for EPOLLOUT), or -errno.
 * A socket still connecting answers EAGAIN, a refused one its error. */
static int raw_send(tb_slot_t *s)
{
    for (;;) {
        if (s->coff == s->clen && s->sent < s->body_size && s->mp_phase != MP_COMPLETE) {
            uint64_t left = s->body_size - s->sent;
            s->clen = left < s->ocap ? (size_t)left : s->ocap;
            tb_pattern_copy(s->cfg->pattern, s->pat_off, s->body_base + s->sent, s->obuf, s->clen);
            s->chunk = s->obuf;
            s->coff = 0;
        }
        struct iovec iov[2];
        int n = 0;
        if (s->hoff < s->hlen)
            iov[n++] = (struct iovec){s->hbuf + s->hoff, s->hlen - s->hoff};
        if (s->coff < s->clen)
            iov[n++] = (struct iovec){(char *)s->chunk + s->coff, s->clen - s->coff};
        if (n == 0)
            return 0;
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(s->fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        }
        size_t k = (size_t)w, h = s->hlen - s->hoff;
        if (h > k)
            h = k;
        s->hoff += h;
        s->coff += k - h;
        s->sent += k - h;
    }
}

static void raw_on_body(void *arg, const char *data, size_t n)
{
    tb_slot_t *s = arg;
    s->code = s->answer.status;
    on_body(s, data, n);
}

static void raw_on_header(void *arg, const char *line, size_t n)
{
    on_header(arg, line, n);
}

enum { RAW_WAIT = 0, RAW_DONE = 1 };

/* Reads the answer. RAW_WAIT, RAW_DONE, or -errno (-EPROTO: not an HTTP answer; -ECONNRESET
 * also for a connection that ended before the answer did). */
static int raw_recv(tb_run_t *r, tb_slot_t *s)
{
    for (;;) {
        ssize_t n = read(s->fd, r->rbuf, TB_RAW_RBUF);
        if (n > 0) {
            s->got_bytes = 1;
            long k = tb_http_feed(&s->answer, r->rbuf, (size_t)n, raw_on_body, raw_on_header, s);
            if (k < 0)
                return -EPROTO;
            if (s->answer.state == TB_HTTP_DONE) {
                if ((size_t)k < (size_t)n)
                    s->answer.keep_alive = 0; /* bytes that answer nothing */
                return RAW_DONE;
            }
            continue;
        }
        if (n == 0)
            return tb_http_eof(&s->answer) == 0 ? RAW_DONE : -ECONNRESET;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? RAW_WAIT : -errno;
    }
}

static void raw_finish(tb_run_t *r, tb_slot_t *s)
{
    s->busy = 0;
    r->done[r->n_done++] = s;
}

static int raw_begin(tb_run_t *r, tb_slot_t *s);

/* Moves s's request on after an event (or its start). */
static void raw_io(tb_run_t *r, tb_slot_t *s)
{
    if (!s->busy) { /* an idle connection: the server closed it (or sent what nobody asked) */
        if (s->fd >= 0 && read(s->fd, r->rbuf, 1) != -1)
            raw_close(r, s);
        else if (s->fd >= 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            raw_close(r, s);
        return;
    }
    int rc = raw_send(s);
    if (rc == 0)
        rc = raw_recv(r, s);
    if (rc == RAW_WAIT)
        return;
    if (rc == RAW_DONE) {
        s->code = s->answer.status;
        if (!s->answer.keep_alive || s->hoff < s->hlen || s->sent < s->body_size)
            raw_close(r, s);
        else
            s->conn_reqs++;
        raw_finish(r, s);
        return;
    }
    raw_close(r, s);
    /* a kept-alive connection the server had closed: send again once on a new one */
    if (!s->got_bytes && !s->retried && s->conn_reqs > 0 && (rc == -ECONNRESET || rc == -EPIPE)) {
        s->retried = 1;
        s->hoff = 0;
        s->sent = 0;
        s->coff = 0;
        if (s->mp_phase != MP_COMPLETE)
            s->clen = 0;
        if (raw_begin(r, s) == 0)
            return;
        rc = -errno;
    }
    snprintf(s->errbuf, sizeof s->errbuf, "%s",
             rc == -EPROTO ? "not an HTTP/1.1 answer" : strerror(-rc));
    s->code = 0;
    raw_finish(r, s);
}

/* Connects if needed and sends; 0, or -1 with errno set (s is not in flight then). */
static int raw_begin(tb_run_t *r, tb_slot_t *s)
{
    if (s->fd < 0) {
        int rc = raw_connect(r, s);
        if (rc != 0) {
            errno = -rc;
            return -1;
        }
    }
    tb_http_begin(&s->answer, s->head_req);
    s->got_bytes = 0;
    s->busy = 1;
    raw_io(r, s);
    return 0;
}

/* Puts s's prepared request in flight: 0, or -1 on a local failure. */
static int slot_start(tb_run_t *r, tb_slot_t *s)
{
    if (s->easy != NULL)
        return curl_multi_add_handle(r->multi, s->easy) == CURLM_OK ? 0 : -1;
    s->retried = 0;
    s->deadline_us = now_us() + (uint64_t)(s->cfg->timeout * 1e6);
    if (raw_begin(r, s) != 0) {
        snprintf(s->errbuf, sizeof s->errbuf, "connect: %s", strerror(errno));
        s->code = 0;
        raw_finish(r, s); /* recorded as a failed request, as curl does */
    }
    return 0;
}

/* Arms s with the next request and adds it to the multi handle. 1 if a request was issued,
 * 0 if the run is over for this slot, -1 on a local failure. */
static int slot_issue(tb_run_t *r, tb_slot_t *s)
{
    const tb_config_t *cfg = r->cfg;
    if (tb_stop_flag || (cfg->count && r->issued >= cfg->count))
        return 0;
    uint64_t t = now_us();
    if (r->deadline_us && t >= r->deadline_us)
        return 0;
    uint64_t k;
    if (cfg->sequential) {
        if (r->next_seq >= cfg->keys)
            return 0;
        k = r->next_seq++;
    } else {
        k = xorshift64(&r->rng) % cfg->keys;
    }
    uint64_t total = 0;
    for (int i = 0; i < TB_OP_COUNT; i++)
        total += cfg->weights[i];
    s->op = tb_mix_pick(cfg->weights, xorshift64(&r->rng) % total);
    int n = snprintf(s->key, sizeof s->key, "%s%08" PRIu64, cfg->prefix, k);
    if (n < 0 || (size_t)n >= sizeof s->key)
        return -1;
    s->pat_off = tb_pattern_offset(s->key, (size_t)n, cfg->size);
    const char *date = run_date(r);
    int rc;
    if (s->op == TB_LIST) {
        char query[512];
        n = snprintf(s->path, sizeof s->path, "/%s", cfg->bucket);
        int q = snprintf(query, sizeof query, "list-type=2&max-keys=100&prefix=%s", cfg->prefix);
        if (n < 0 || (size_t)n >= sizeof s->path || q < 0 || (size_t)q >= sizeof query)
            return -1;
        rc = slot_prepare(s, "GET", query, 0, date);
    } else {
        static const char *const methods[TB_OP_COUNT] = {"PUT", "GET", "HEAD", "DELETE", "GET"};
        n = snprintf(s->path, sizeof s->path, "/%s/%s", cfg->bucket, s->key);
        if (n < 0 || (size_t)n >= sizeof s->path)
            return -1;
        s->body_base = 0;
        if (s->op == TB_PUT && cfg->multipart_size && cfg->size > cfg->multipart_size) {
            s->mp_phase = MP_CREATE;
            rc = slot_prepare(s, "POST", "uploads", 0, date);
        } else {
            rc = slot_prepare(s, methods[s->op], "", s->op == TB_PUT ? cfg->size : 0, date);
        }
    }
    if (rc != 0)
        return -1;
    s->start_us = now_us();
    if (slot_start(r, s) != 0)
        return -1;
    r->issued++;
    return 1;
}

/* Arms the next step of s's multipart upload after a successful step. 0, or -1 with the
 * reason in why (then the PUT counts as failed). */
static int slot_mp_next(tb_run_t *r, tb_slot_t *s, char *why, size_t cap)
{
    const tb_config_t *cfg = r->cfg;
    if (s->mp_phase == MP_CREATE) {
        if (s3c_mp_upload_id(s->resp, s->resp_len, s->mp_upload_id, sizeof s->mp_upload_id) != 0) {
            snprintf(why, cap, "no UploadId in the CreateMultipartUpload answer");
            return -1;
        }
        s->mp_parts = s3c_mp_parts(cfg->size, cfg->multipart_size);
        s->mp_etags = calloc(s->mp_parts, sizeof *s->mp_etags);
        if (s->mp_etags == NULL) {
            snprintf(why, cap, "out of memory");
            return -1;
        }
        s->mp_phase = MP_PART;
        s->mp_part = 1;
    } else if (s->mp_phase == MP_PART) {
        if (s->etag[0] == '\0') {
            snprintf(why, cap, "no ETag in the answer to part %u", s->mp_part);
            return -1;
        }
        memcpy(s->mp_etags[s->mp_part - 1], s->etag, sizeof s->etag);
        if (s->mp_part < s->mp_parts) {
            s->mp_part++;
        } else {
            size_t cap2 = s3c_mp_complete_cap(s->mp_parts);
            s->mp_body = malloc(cap2);
            if (s->mp_body == NULL) {
                snprintf(why, cap, "out of memory");
                return -1;
            }
            s->mp_body_len = s3c_mp_complete_xml(
                s->mp_body, cap2, (const char(*)[S3C_MP_ETAG])s->mp_etags, s->mp_parts);
            s->mp_phase = MP_COMPLETE;
        }
    }
    char id[1536], query[1700];
    if (s3c_uri_encode(s->mp_upload_id, id, sizeof id) == 0) {
        snprintf(why, cap, "upload id too long");
        return -1;
    }
    int rc;
    if (s->mp_phase == MP_PART) {
        snprintf(query, sizeof query, "partNumber=%u&uploadId=%s", s->mp_part, id);
        s->body_base = (uint64_t)(s->mp_part - 1) * cfg->multipart_size;
        uint64_t len = cfg->size - s->body_base;
        if (len > cfg->multipart_size)
            len = cfg->multipart_size;
        rc = slot_prepare(s, "PUT", query, len, run_date(r));
    } else {
        snprintf(query, sizeof query, "uploadId=%s", id);
        rc = slot_prepare(s, "POST", query, 0, run_date(r));
    }
    if (rc != 0 || slot_start(r, s) != 0) {
        snprintf(why, cap, "cannot build the request");
        return -1;
    }
    return 0;
}

static void note_error(tb_stats_t *st, const char *what)
{
    if (st->first_error[0] == '\0')
        snprintf(st->first_error, sizeof st->first_error, "%s", what);
}

/* Records a finished request of s: fail is why no answer came (NULL: s->code is the answer's
 * status). Returns 1 if it was a step of a multipart upload that goes on (the next step is
 * already in flight), else 0 (the slot is free). */
static int slot_done(tb_run_t *r, tb_slot_t *s, const char *fail, uint64_t end)
{
    tb_opstats_t *o = &s->st->op[s->op];
    char msg[512];
    int mp = s->mp_phase;
    if (fail != NULL) {
        o->errors++;
        o->status[0]++;
        snprintf(msg, sizeof msg, "%s %.64s: %.300s", tb_op_name(s->op), s->key, fail);
        note_error(s->st, msg);
        slot_mp_reset(s);
        return 0;
    }
    long code = s->code;
    if (code < 0 || code >= TB_MAX_STATUS)
        code = 0;
    if (code / 100 == 2 && (mp == MP_CREATE || mp == MP_PART)) {
        char why[128];
        if (slot_mp_next(r, s, why, sizeof why) == 0)
            return 1;
        o->errors++;
        o->status[code]++;
        snprintf(msg, sizeof msg, "put %.64s (multipart): %s", s->key, why);
        note_error(s->st, msg);
        slot_mp_reset(s);
        return 0;
    }
    if (code / 100 == 2 && mp == MP_COMPLETE && !s3c_mp_complete_ok(s->resp, s->resp_len)) {
        o->errors++;
        o->status[code]++;
        snprintf(msg, sizeof msg, "put %.64s: CompleteMultipartUpload failed: %.200s", s->key,
                 s->resp);
        note_error(s->st, msg);
        slot_mp_reset(s);
        return 0;
    }
    slot_mp_reset(s);
    if (code / 100 == 2) {
        if (s->op == TB_GET && s->cfg->verify && (s->bad_body || s->recv != s->cfg->size)) {
            o->errors++;
            o->verify_errors++;
            o->status[code]++;
            snprintf(msg, sizeof msg, "get %.64s: body %s (%" PRIu64 " of %" PRIu64 " bytes)",
                     s->key, s->bad_body ? "differs from the pattern" : "has the wrong length",
                     s->recv, s->cfg->size);
            note_error(s->st, msg);
            return 0;
        }
        o->ok++;
        o->bytes += s->op == TB_PUT ? (mp ? s->cfg->size : s->sent) : s->recv;
        tb_hist_add(&o->latency, end - s->start_us);
        return 0;
    }
    o->errors++;
    o->status[code]++;
    snprintf(msg, sizeof msg, "%s %.64s%s: HTTP %ld %.300s", tb_op_name(s->op), s->key,
             mp ? " (multipart)" : "", code, s->resp);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    note_error(s->st, msg);
    return 0;
}

/* Resolves cfg->host (host[:port], [v6][:port]) for the plain-http transport; 0 or -1. */
static int raw_resolve(tb_run_t *r)
{
    char host[256];
    const char *h = r->cfg->host, *port = "80";
    size_t hl = strlen(h);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, h, hl + 1);
    char *name = host, *colon = strrchr(host, ':');
    if (host[0] == '[') {
        char *rb = strchr(host, ']');
        if (rb == NULL)
            return -1;
        *rb = '\0';
        name = host + 1;
        if (rb[1] == ':')
            port = rb + 2;
    } else if (colon != NULL) {
        *colon = '\0';
        port = colon + 1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int e = getaddrinfo(name, port, &hints, &ai);
    if (e != 0) {
        fprintf(stderr, "tern-bench: cannot resolve %s: %s\n", r->cfg->host, gai_strerror(e));
        return -1;
    }
    memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
    r->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

/* Records s's finished request and issues the slot's next one. 0, or -1 if no request can be
 * built. */
static int slot_finished(tb_run_t *r, tb_slot_t *s, const char *fail, unsigned *inflight,
                         uint64_t *last)
{
    (*inflight)--;
    *last = now_us();
    if (slot_done(r, s, fail, *last)) {
        (*inflight)++;
        return 0;
    }
    int k = slot_issue(r, s);
    if (k < 0) {
        fprintf(stderr, "tern-bench: cannot build a request\n");
        return -1;
    }
    *inflight += (unsigned)k;
    return 0;
}

static int run_raw(tb_run_t *r, tb_slot_t *slots, unsigned *inflight, uint64_t *last)
{
    struct epoll_event ev[64];
    uint64_t next_scan = now_us() + 100000;
    for (;;) {
        while (r->n_done > 0) {
            tb_slot_t *s = r->done[--r->n_done];
            const char *fail = s->code != 0 ? NULL : s->errbuf[0] ? s->errbuf : "no answer";
            if (slot_finished(r, s, fail, inflight, last) != 0)
                return -1;
        }
        if (*inflight == 0)
            return 0;
        int n = epoll_wait(r->ep, ev, (int)(sizeof ev / sizeof ev[0]), 100);
        if (n < 0 && errno != EINTR) {
            perror("tern-bench: epoll_wait");
            return -1;
        }
        for (int i = 0; i < n; i++)
            raw_io(r, ev[i].data.ptr);
        uint64_t t = now_us();
        if (t < next_scan)
            continue;
        next_scan = t + 100000;
        for (unsigned i = 0; i < r->cfg->concurrency; i++) {
            tb_slot_t *s = &slots[i];
            if (s->busy && t >= s->deadline_us) {
                raw_close(r, s);
                snprintf(s->errbuf, sizeof s->errbuf, "no answer within %g s", r->cfg->timeout);
                s->code = 0;
                raw_finish(r, s);
            }
        }
    }
}

static int run_curl(tb_run_t *r, unsigned *inflight, uint64_t *last)
{
    while (*inflight > 0) {
        int still = 0;
        if (curl_multi_perform(r->multi, &still) != CURLM_OK) {
            fprintf(stderr, "tern-bench: curl_multi_perform failed\n");
            return -1;
        }
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *e = m->easy_handle;
            CURLcode result = m->data.result;
            tb_slot_t *s = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &s->code);
            curl_multi_remove_handle(r->multi, e);
            const char *fail = result == CURLE_OK ? NULL
                               : s->errbuf[0]     ? s->errbuf
                                                  : curl_easy_strerror(result);
            if (slot_finished(r, s, fail, inflight, last) != 0)
                return -1;
        }
        if (*inflight > 0 && curl_multi_poll(r->multi, NULL, 0, 100, NULL) != CURLM_OK) {
            fprintf(stderr, "tern-bench: curl_multi_poll failed\n");
            return -1;
        }
    }
    return 0;
}

int tb_engine_run(const tb_config_t *cfg, tb_stats_t *st)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < TB_OP_COUNT; i++)
        tb_hist_init(&st->op[i].latency);
    if (cfg->keys == 0 || cfg->concurrency == 0) {
        fprintf(stderr, "tern-bench: keys and concurrency must be > 0\n");
        return -1;
    }
    int raw = strncmp(cfg->base_url, "http://", 7) == 0;
    tb_run_t r = {.cfg = cfg, .st = st, .ep = -1, .rng = cfg->seed ? cfg->seed : 1, .date_sec = -1};
    tb_slot_t *slots = calloc(cfg->concurrency, sizeof *slots);
    int rc = -1;
    unsigned made = 0, inflight = 0;
    if (slots == NULL) {
        fprintf(stderr, "tern-bench: out of memory\n");
        goto out;
    }
    if (raw) {
        r.rbuf = malloc(TB_RAW_RBUF);
        r.done = calloc(cfg->concurrency, sizeof *r.done);
        if (r.rbuf == NULL || r.done == NULL) {
            fprintf(stderr, "tern-bench: out of memory\n");
            goto out;
        }
        if ((r.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
            perror("tern-bench: epoll_create1");
            goto out;
        }
        if (raw_resolve(&r) != 0)
            goto out;
    } else {
        if ((r.multi = curl_multi_init()) == NULL) {
            fprintf(stderr, "tern-bench: out of memory\n");
            goto out;
        }
        curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, (long)cfg->concurrency + 4);
    }
    for (; made < cfg->concurrency; made++) {
        if (slot_init(&slots[made], cfg, st, raw) != 0) {
            fprintf(stderr, "tern-bench: curl_easy_init failed\n");
            goto out;
        }
    }
    double cpu0 = cpu_seconds();
    uint64_t start = now_us(), last = start;
    if (cfg->duration > 0)
        r.deadline_us = start + (uint64_t)(cfg->duration * 1e6);
    for (unsigned i = 0; i < cfg->concurrency; i++) {
        int k = slot_issue(&r, &slots[i]);
        if (k < 0) {
            fprintf(stderr, "tern-bench: cannot build a request (names too long?)\n");
            goto out;
        }
        inflight += (unsigned)k;
    }
    if ((raw ? run_raw(&r, slots, &inflight, &last) : run_curl(&r, &inflight, &last)) != 0)
        goto out;
    st->elapsed = (double)(last - start) / 1e6;
    st->cpu = cpu_seconds() - cpu0;
    rc = 0;
out:
    for (unsigned i = 0; i < made; i++) {
        if (r.multi != NULL && rc != 0)
            curl_multi_remove_handle(r.multi, slots[i].easy);
        slot_free(&slots[i]);
    }
    if (r.multi != NULL)
        curl_multi_cleanup(r.multi);
    if (r.ep >= 0)
        close(r.ep);
    free(r.rbuf);
    free(r.done);
    free(slots);
    return rc;
}

int tb_engine_create_bucket(const tb_config_t *cfg)
{
    tb_stats_t *st = calloc(1, sizeof *st);
    tb_slot_t *s = calloc(1, sizeof *s);
    int rc = -1;
    if (st == NULL || s == NULL || slot_init(s, cfg, st, 0) != 0) {
        fprintf(stderr, "tern-bench: out of memory\n");
        goto out;
    }
    s->op = TB_PUT;
    snprintf(s->path, sizeof s->path, "/%s", cfg->bucket);
    char date[17];
    s3c_amz_date((int64_t)time(NULL), date);
    if (slot_prepare(s, "PUT", "", 0, date) != 0) {
        fprintf(stderr, "tern-bench: bucket name too long\n");
        goto out;
    }
    CURLcode res = curl_easy_perform(s->easy);
    if (res != CURLE_OK) {
        fprintf(stderr, "tern-bench: PUT /%s: %s\n", cfg->bucket,
                s->errbuf[0] ? s->errbuf : curl_easy_strerror(res));
        goto out;
    }
    long code = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code == 200 || (code == 409 && strstr(s->resp, "BucketAlreadyOwnedByYou") != NULL)) {
        rc = 0;
    } else {
        fprintf(stderr, "tern-bench: cannot create bucket %s: HTTP %ld %s\n", cfg->bucket, code,
                s->resp);
    }
out:
    if (s != NULL)
        slot_free(s);
    free(s);
    free(st);
    return rc;
}
