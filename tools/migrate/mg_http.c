/*
 * mg_http.c — one signed S3 request over libcurl (see mg_http.h).
 */
#define _GNU_SOURCE
#include "mg_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tn_crc.h"

int mg_conn_init(mg_conn_t *c, const char *endpoint, const char *ak, const char *sk,
                 const char *region, atomic_int *stop, atomic_uint_fast64_t *progress,
                 const char **why)
{
    memset(c, 0, sizeof *c);
    const char *h = NULL;
    if (strncmp(endpoint, "http://", 7) == 0)
        h = endpoint + 7;
    else if (strncmp(endpoint, "https://", 8) == 0)
        h = endpoint + 8;
    if (h == NULL || *h == '\0') {
        *why = "--endpoint must be http://HOST[:PORT] or https://HOST[:PORT]";
        return -1;
    }
    size_t hl = strcspn(h, "/");
    if (h[hl] == '/' && h[hl + 1] != '\0') {
        *why = "--endpoint must not have a path (buckets are addressed path-style)";
        return -1;
    }
    if (hl >= sizeof c->host || (size_t)(h - endpoint) + hl >= sizeof c->base) {
        *why = "--endpoint too long";
        return -1;
    }
    memcpy(c->host, h, hl);
    c->host[hl] = '\0';
    memcpy(c->base, endpoint, (size_t)(h - endpoint) + hl);
    c->base[(size_t)(h - endpoint) + hl] = '\0';
    if (s3c_signer_init(&c->signer, ak, sk, region) != 0) {
        *why = "access key, secret or region too long";
        return -1;
    }
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        *why = "curl_easy_init failed";
        return -1;
    }
    c->stop = stop;
    c->progress = progress;
    c->timeout_s = 60;
    return 0;
}

void mg_conn_free(mg_conn_t *c)
{
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

void mg_resp_free(mg_resp_t *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    r->body_cap = 0;
}

typedef struct {
    mg_conn_t *c;
    const mg_req_t *rq;
    mg_resp_t *resp;
    uint64_t sent; /* body bytes handed to curl */
    size_t mem_off;
    int read_errno;
} xfer_t;

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ud)
{
    xfer_t *x = ud;
    size_t want = size * nmemb;
    if (x->rq->fd >= 0) {
        uint64_t left = x->rq->len - x->sent;
        if (want > left)
            want = (size_t)left;
        if (want == 0)
            return 0;
        ssize_t n;
        do {
            n = pread(x->rq->fd, buf, want, (off_t)(x->rq->off + x->sent));
        } while (n < 0 && errno == EINTR);
        if (n <= 0) { /* error, or the file shrank under us */
            x->read_errno = n < 0 ? errno : EIO;
            return CURL_READFUNC_ABORT;
        }
        x->sent += (uint64_t)n;
        if (x->c->progress)
            atomic_fetch_add(x->c->progress, (uint64_t)n);
        return (size_t)n;
    }
    size_t left = x->rq->mem_len - x->mem_off;
    if (want > left)
        want = left;
    memcpy(buf, x->rq->mem + x->mem_off, want);
    x->mem_off += want;
    return want;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    mg_resp_t *r = ud;
    size_t n = size * nmemb;
    r->body_total += n;
    if (r->sink_crc) {
        r->crc = tn_crc32c(r->crc, p, n);
        return n;
    }
    size_t room = MG_HTTP_BODY_MAX - r->body_len;
    size_t k = n < room ? n : room;
    if (r->body_len + k + 1 > r->body_cap) { /* grow by doubling, up to MG_HTTP_BODY_MAX */
        size_t nc = r->body_cap ? r->body_cap : 4096;
        while (nc < r->body_len + k + 1)
            nc *= 2;
        if (nc > MG_HTTP_BODY_MAX + 1)
            nc = MG_HTTP_BODY_MAX + 1;
        char *nb = realloc(r->body, nc);
        if (nb == NULL)
            return 0;
        r->body = nb;
        r->body_cap = nc;
    }
    memcpy(r->body + r->body_len, p, k);
    r->body_len += k;
    r->body[r->body_len] = '\0';
    return n;
}

static void copy_val(char *dst, size_t cap, const char *v, size_t n)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    mg_resp_t *r = ud;
    size_t n = size * nmemb;
    const char *colon = memchr(p, ':', n);
    if (colon == NULL)
        return n;
    size_t nl = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vl = n - nl - 1;
#define H(s) (nl == sizeof(s) - 1 && strncasecmp(p, s, nl) == 0)
    if (H("etag")) {
        copy_val(r->head.etag, sizeof r->head.etag, v, vl);
    } else if (H("content-length")) {
        char t[32];
        copy_val(t, sizeof t, v, vl);
        r->head.size = strtoull(t, NULL, 10);
    } else if (H("x-amz-checksum-crc32c")) {
        copy_val(r->head.crc32c, sizeof r->head.crc32c, v, vl);
    } else if (H("x-amz-checksum-type")) {
        copy_val(r->head.cksum_type, sizeof r->head.cksum_type, v, vl);
    }
#undef H
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    xfer_t *x = ud;
    return x->c->stop != NULL && atomic_load(x->c->stop) ? 1 : 0;
}

int mg_http(mg_conn_t *c, const mg_req_t *rq, mg_resp_t *resp)
{
    int sink = resp->sink_crc;
    mg_resp_free(resp);
    memset(resp, 0, sizeof *resp);
    resp->sink_crc = sink;
    CURL *h = c->curl;
    curl_easy_reset(h);
    char url[4096 + 1024], date[17], auth[2560];
    int n = snprintf(url, sizeof url, "%s%s%s%s", c->base, rq->path, rq->query[0] ? "?" : "",
                     rq->query);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(resp->err, sizeof resp->err, "URL too long");
        return -1;
    }
    s3c_amz_date((int64_t)time(NULL), date);
    const char *ph = "UNSIGNED-PAYLOAD";
    if (s3c_sign_ext(&c->signer, rq->method, rq->path, rq->query, c->host, date, ph, rq->hdrs,
                     rq->n_hdrs, auth, sizeof auth) == 0) {
        snprintf(resp->err, sizeof resp->err, "cannot sign the request");
        return -1;
    }
    struct curl_slist *hl = NULL, *t;
    char line[4096];
#define ADD(...)                                                                                   \
    do {                                                                                           \
        snprintf(line, sizeof line, __VA_ARGS__);                                                  \
        t = curl_slist_append(hl, line);                                                           \
        if (t == NULL)                                                                             \
            goto oom;                                                                              \
        hl = t;                                                                                    \
    } while (0)
    ADD("Host: %s", c->host);
    ADD("x-amz-date: %s", date);
    ADD("x-amz-content-sha256: %s", ph);
    ADD("Authorization: %s", auth);
    ADD("Expect:");
    for (size_t i = 0; i < rq->n_hdrs; i++)
        ADD("%s: %s", rq->hdrs[i].name, rq->hdrs[i].value);
#undef ADD
    xfer_t x = {.c = c, .rq = rq, .resp = resp};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)c->timeout_s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    int has_body = rq->fd >= 0 || rq->mem != NULL;
    uint64_t blen = rq->fd >= 0 ? rq->len : rq->mem_len;
    if (strcmp(rq->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(rq->method, "PUT") == 0 || (has_body && strcmp(rq->method, "POST") == 0)) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &x);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)blen);
        if (strcmp(rq->method, "POST") == 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "POST");
    } else if (strcmp(rq->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hl);
    if (rc != CURLE_OK) {
        if (x.sent > 0 && c->progress)
            atomic_fetch_sub(c->progress, x.sent);
        resp->local_err = x.read_errno != 0;
        if (x.read_errno != 0)
            snprintf(resp->err, sizeof resp->err, "read: %s", strerror(x.read_errno));
        else
            snprintf(resp->err, sizeof resp->err, "%s", curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->head.found = resp->status == 200;
    if (resp->status / 100 != 2 && x.sent > 0 && c->progress)
        atomic_fetch_sub(c->progress, x.sent);
    return 0;
oom:
    curl_slist_free_all(hl);
    snprintf(resp->err, sizeof resp->err, "out of memory");
    return -1;
}
