/*
 * tc_osd.c — TEST-ONLY: implements the blocking OSD client and daemon process helpers of
 * tc_osd.h for the integration tests. Not a model for production code (blocking I/O, no
 * reconnects, exits on allocation failure).
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tc_osd.h"
#include "tn_crc.h"
#include "tn_hlc.h"
#include "tn_wire.h"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "tc: out of memory\n");
        abort();
    }
    return p;
}

uint64_t tc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- client ---- */

int tc_connect(tc_conn_t *c, uint16_t port)
{
    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->next_id = 1;
    return 0;
}

static void frame_free(tc_frame_t *f)
{
    while (f != NULL) {
        tc_frame_t *n = f->next;
        free(f->body);
        free(f);
        f = n;
    }
}

void tc_close(tc_conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->rbuf);
    c->rbuf = NULL;
    frame_free(c->stash);
    c->stash = NULL;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int tc_send_ex(tc_conn_t *c, uint16_t op, uint64_t req_id, const void *body, size_t len,
               int bad_crc, uint64_t hlc)
{
    tn_frame_hdr_t h = {0};
    h.op = op;
    h.req_id = req_id;
    h.epoch = c->epoch;
    h.hlc = hlc ? hlc : tn_hlc_make(tc_now_ms(), 0);
    tn_frame_set_payload(&h, body, len);
    if (bad_crc)
        h.payload_crc ^= 0x5a5a5a5au;
    uint8_t hdr[TN_FRAME_HDR_SIZE];
    tn_frame_encode_header(&h, hdr);
    if (write_all(c->fd, hdr, sizeof(hdr)) != 0)
        return -1;
    return len ? write_all(c->fd, body, len) : 0;
}

int tc_send(tc_conn_t *c, uint16_t op, uint64_t req_id, const void *body, size_t len)
{
    return tc_send_ex(c, op, req_id, body, len, 0, 0);
}

/* Reads one frame (blocking, up to 10 s). */
static int read_frame(tc_conn_t *c, tc_frame_t **out)
{
    uint64_t deadline = tc_now_ms() + 10000;
    for (;;) {
        if (c->rlen >= TN_FRAME_HDR_SIZE) {
            tn_frame_hdr_t h;
            ssize_t rc = tn_frame_decode_header(c->rbuf, c->rlen, TN_FRAME_MAX_PAYLOAD, &h, NULL);
            if (rc < 0 && rc != TN_PARSE_INCOMPLETE)
                return -1;
            if (rc > 0 && c->rlen >= TN_FRAME_HDR_SIZE + h.payload_len) {
                tc_frame_t *f = xmalloc(sizeof(*f));
                f->next = NULL;
                f->hdr = h;
                f->body = xmalloc(h.payload_len);
                memcpy(f->body, c->rbuf + TN_FRAME_HDR_SIZE, h.payload_len);
                if (tn_frame_check_payload(&h, f->body) != 0) {
                    fprintf(stderr, "tc: reply payload CRC mismatch\n");
                    frame_free(f);
                    return -1;
                }
                size_t used = TN_FRAME_HDR_SIZE + h.payload_len;
                memmove(c->rbuf, c->rbuf + used, c->rlen - used);
                c->rlen -= used;
                *out = f;
                return 0;
            }
        }
        if (c->rcap - c->rlen < 65536) {
            c->rcap = c->rcap ? c->rcap * 2 : 1 << 20;
            uint8_t *nb = realloc(c->rbuf, c->rcap);
            if (nb == NULL)
                abort();
            c->rbuf = nb;
        }
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int left = (int)(deadline - tc_now_ms());
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return -1;
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        c->rlen += (size_t)n;
    }
}

int tc_wait(tc_conn_t *c, uint64_t req_id, tc_reply_t *r)
{
    memset(r, 0, sizeof(*r));
    tc_frame_t **tail = &r->frames;
    for (;;) {
        tc_frame_t *f = NULL;
        /* Frames stashed earlier first. */
        for (tc_frame_t **pp = &c->stash; *pp != NULL; pp = &(*pp)->next) {
            if ((*pp)->hdr.req_id == req_id) {
                f = *pp;
                *pp = f->next;
                f->next = NULL;
                break;
            }
        }
        if (f == NULL) {
            if (read_frame(c, &f) != 0) {
                tc_reply_free(r);
                return -1;
            }
            if (f->hdr.req_id != req_id) {
                tc_frame_t **pp = &c->stash;
                while (*pp != NULL)
                    pp = &(*pp)->next;
                *pp = f;
                continue;
            }
        }
        *tail = f;
        tail = &f->next;
        r->nframes++;
        if (!(f->hdr.flags & TN_FRAME_F_MORE)) {
            r->status = f->hdr.status;
            r->epoch = f->hdr.epoch;
            r->body = f->body;
            r->len = f->hdr.payload_len;
            return 0;
        }
    }
}

int tc_call(tc_conn_t *c, uint16_t op, const void *body, size_t len, tc_reply_t *r)
{
    uint64_t id = c->next_id++;
    if (tc_send(c, op, id, body, len) != 0) {
        memset(r, 0, sizeof(*r));
        return -1;
    }
    return tc_wait(c, id, r);
}

void tc_reply_free(tc_reply_t *r)
{
    frame_free(r->frames);
    memset(r, 0, sizeof(*r));
}

int tc_wait_closed(tc_conn_t *c, int timeout_ms)
{
    uint64_t deadline = tc_now_ms() + (uint64_t)timeout_ms;
    uint8_t buf[4096];
    for (;;) {
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int left = (int)(deadline - tc_now_ms());
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return 0;
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
        if (n < 0 && errno != EINTR)
            return 1;
    }
}

int tc_sync_epoch(tc_conn_t *c)
{
    uint8_t buf[8];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof(buf));
    tn_ping_req_t p = {tc_now_ms()};
    tn_proto_enc_ping_req(&w, &p);
    tc_reply_t r;
    if (tc_call(c, TN_OP_PING, buf, sizeof(buf), &r) != 0)
        return -1;
    c->epoch = r.epoch;
    int rc = r.status == 0 ? 0 : -1;
    tc_reply_free(&r);
    return rc;
}

uint64_t tc_stat(tc_conn_t *c, const char *name)
{
    tc_reply_t r;
    uint64_t out = UINT64_MAX;
    if (tc_call(c, TN_OP_STATS, NULL, 0, &r) != 0)
        return out;
    tn_proto_iter_t it;
    uint32_t n;
    if (r.status == 0 && tn_proto_dec_stats_rep(r.body, r.len, &it, &n) == 0) {
        tn_slice_t nm;
        uint64_t v;
        while (tn_proto_next_stat(&it, &nm, &v) == 1)
            if (nm.len == strlen(name) && memcmp(nm.base, name, nm.len) == 0)
                out = v;
    }
    tc_reply_free(&r);
    return out;
}

/* ---- op helpers ---- */

void tc_ref(tn_blobref_t *ref, uint32_t pool, uint32_t pg, uint8_t vbyte, uint32_t part)
{
    memset(ref, 0, sizeof(*ref));
    ref->pool = pool;
    ref->pg = pg;
    memset(ref->version, vbyte, sizeof(ref->version));
    ref->part = part;
}

void tc_fill(uint8_t *buf, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

int tc_blob_put(tc_conn_t *c, const tn_blobref_t *ref, const void *data, size_t len, size_t piece,
                uint32_t crc_delta)
{
    uint64_t id = c->next_id++;
    uint8_t b[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_put_begin_t bg = {*ref, len};
    tn_proto_enc_blob_put_begin(&w, &bg);
    if (tc_send(c, TN_OP_BLOB_PUT_BEGIN, id, b, (size_t)(w.p - b)) != 0)
        return -1;
    uint8_t *frame = xmalloc(TN_PROTO_PUT_DATA_PREFIX + piece);
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        tn_wire_w_init(&w, frame, TN_PROTO_PUT_DATA_PREFIX);
        tn_proto_enc_blob_put_data_prefix(&w, off, (uint32_t)n);
        memcpy(frame + TN_PROTO_PUT_DATA_PREFIX, (const uint8_t *)data + off, n);
        if (tc_send(c, TN_OP_BLOB_PUT_DATA, id, frame, TN_PROTO_PUT_DATA_PREFIX + n) != 0) {
            free(frame);
            return -1;
        }
    }
    free(frame);
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_put_end_t e = {tn_crc32c(0, data, len) ^ crc_delta};
    tn_proto_enc_blob_put_end(&w, &e);
    if (tc_send(c, TN_OP_BLOB_PUT_END, id, b, (size_t)(w.p - b)) != 0)
        return -1;
    tc_reply_t r;
    if (tc_wait(c, id, &r) != 0)
        return -1;
    int st = r.status;
    tc_reply_free(&r);
    return st;
}

int tc_blob_get(tc_conn_t *c, const tn_blobref_t *ref, uint64_t off, uint64_t len, uint8_t **out,
                size_t *out_len, uint64_t *blob_len, int *frames)
{
    uint8_t b[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_get_req_t g = {*ref, off, len};
    tn_proto_enc_blob_get_req(&w, &g);
    tc_reply_t r;
    if (tc_call(c, TN_OP_BLOB_GET, b, (size_t)(w.p - b), &r) != 0)
        return -1;
    if (frames)
        *frames = r.nframes;
    int st = r.status;
    if (st == 0) {
        size_t total = 0;
        for (tc_frame_t *f = r.frames; f; f = f->next)
            total += f->hdr.payload_len;
        uint8_t *data = xmalloc(total);
        size_t pos = 0;
        uint64_t expect = off;
        for (tc_frame_t *f = r.frames; f; f = f->next) {
            tn_blob_get_rep_t rep;
            if (f->hdr.status != 0 ||
                tn_proto_dec_blob_get_rep(f->body, f->hdr.payload_len, &rep) != 0 ||
                rep.offset != expect) {
                st = -1;
                break;
            }
            memcpy(data + pos, rep.data.base, rep.data.len);
            pos += rep.data.len;
            expect += rep.data.len;
            if (blob_len)
                *blob_len = rep.blob_len;
        }
        if (st == 0 && out) {
            *out = data;
            *out_len = pos;
        } else {
            free(data);
        }
    }
    tc_reply_free(&r);
    return st;
}

int tc_blob_stat(tc_conn_t *c, const tn_blobref_t *ref, int *exists, uint64_t *length)
{
    uint8_t b[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_proto_enc_blobref(&w, ref);
    tc_reply_t r;
    if (tc_call(c, TN_OP_BLOB_STAT, b, (size_t)(w.p - b), &r) != 0)
        return -1;
    int st = r.status;
    tn_blob_stat_rep_t s = {0};
    if (st == 0 && tn_proto_dec_blob_stat_rep(r.body, r.len, &s) != 0)
        st = -1;
    *exists = s.exists;
    *length = s.length;
    tc_reply_free(&r);
    return st;
}

int tc_blob_delete(tc_conn_t *c, const tn_blobref_t *ref)
{
    uint8_t b[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_proto_enc_blobref(&w, ref);
    tc_reply_t r;
    if (tc_call(c, TN_OP_BLOB_DELETE, b, (size_t)(w.p - b), &r) != 0)
        return -1;
    int st = r.status;
    tc_reply_free(&r);
    return st;
}

size_t tc_make_row(uint8_t *buf, size_t cap, uint32_t pool, uint32_t pg, uint64_t ns,
                   const char *key, uint64_t hlc, uint32_t origin, uint8_t vid_byte, uint32_t flags,
                   const char *value, const void *inl, size_t inl_len)
{
    tn_row_t r = {0};
    r.pool = pool;
    r.pg = pg;
    r.ns = ns;
    r.key = (const uint8_t *)key;
    r.key_len = strlen(key);
    r.ver.hlc = hlc;
    r.ver.origin = origin;
    memset(r.ver.vid, vid_byte, sizeof(r.ver.vid));
    r.flags = flags;
    r.value = (const uint8_t *)value;
    r.value_len = value ? strlen(value) : 0;
    r.inl = inl;
    r.inl_len = inl_len;
    size_t len = 0;
    if (tn_row_seal(&r) != 0 || tn_row_encode(&r, buf, cap, &len) != 0)
        return 0;
    return len;
}

int tc_row_put(tc_conn_t *c, uint8_t mode, const uint8_t *row, size_t row_len, uint8_t *result,
               tn_proto_ver_t *stored)
{
    uint8_t *b = xmalloc(row_len + 16);
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, row_len + 16);
    tn_row_put_req_t m = {mode, {(const char *)row, row_len}};
    tn_proto_enc_row_put_req(&w, &m);
    tc_reply_t r;
    int rc = tc_call(c, TN_OP_ROW_PUT, b, (size_t)(w.p - b), &r);
    free(b);
    if (rc != 0)
        return -1;
    int st = r.status;
    tn_row_put_rep_t rep = {0};
    if (st == TN_FRAME_ST_OK || st == TN_FRAME_ST_STALE_TS) {
        if (tn_proto_dec_row_put_rep(r.body, r.len, st == TN_FRAME_ST_STALE_TS, &rep) != 0)
            st = -1;
        if (result)
            *result = rep.result;
        if (stored)
            *stored = rep.stored;
    }
    tc_reply_free(&r);
    return st;
}

int tc_row_get(tc_conn_t *c, uint32_t pool, uint32_t pg, uint64_t ns, const char *key,
               tn_row_t *row, uint8_t **hold)
{
    uint8_t b[2048];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_row_get_req_t g = {pool, pg, ns, {key, strlen(key)}};
    tn_proto_enc_row_get_req(&w, &g);
    tc_reply_t r;
    if (tc_call(c, TN_OP_ROW_GET, b, (size_t)(w.p - b), &r) != 0)
        return -1;
    int st = r.status;
    *hold = NULL;
    if (st == 0) {
        tn_slice_t s;
        *hold = xmalloc(r.len);
        memcpy(*hold, r.body, r.len);
        if (tn_proto_dec_row(*hold, r.len, &s) != 0 || tn_row_decode(s.base, s.len, row, NULL) != 0)
            st = -1;
    }
    tc_reply_free(&r);
    return st;
}

/* ---- processes ---- */

static tc_cluster_t *g_clusters[8];
static int g_nclusters;

static void kill_all(void)
{
    for (int i = 0; i < g_nclusters; i++) {
        tc_cluster_t *cl = g_clusters[i];
        for (int j = 0; j < cl->n; j++) {
            if (cl->pid[j] > 0) {
                kill(cl->pid[j], SIGKILL);
                waitpid(cl->pid[j], NULL, 0);
                cl->pid[j] = 0;
            }
        }
    }
}

static void cleanup_at_exit(void)
{
    kill_all();
    for (int i = 0; i < g_nclusters; i++) {
        char cmd[600];
        if (getenv("TC_KEEP") == NULL) {
            snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_clusters[i]->dir);
            if (system(cmd) != 0)
                fprintf(stderr, "tc: could not remove %s\n", g_clusters[i]->dir);
        } else {
            fprintf(stderr, "tc: kept %s\n", g_clusters[i]->dir);
        }
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "tc: test timed out, killing daemons\n";
    ssize_t n = write(2, msg, sizeof(msg) - 1);
    (void)n;
    for (int i = 0; i < g_nclusters; i++)
        for (int j = 0; j < g_clusters[i]->n; j++)
            if (g_clusters[i]->pid[j] > 0)
                kill(g_clusters[i]->pid[j], SIGKILL);
    _exit(1);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sin);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(sin.sin_port);
}

int tc_cluster_init(tc_cluster_t *cl, const char *bin, int n, const char *base)
{
    memset(cl, 0, sizeof(*cl));
    if (n > TC_MAX_OSDS || g_nclusters == 8)
        return -1;
    if (base == NULL)
        base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(cl->dir, sizeof(cl->dir), "%s/tern-osd-it.XXXXXX", base);
    if (mkdtemp(cl->dir) == NULL)
        return -1;
    cl->bin = bin;
    cl->n = n;
    if (g_nclusters == 0) {
        atexit(cleanup_at_exit);
        signal(SIGALRM, on_alarm);
        alarm(170);
    }
    g_clusters[g_nclusters++] = cl;
    snprintf(cl->conf, sizeof(cl->conf), "%s/cluster.yaml", cl->dir);
    FILE *f = fopen(cl->conf, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "cluster:\n  name: it\n  id: 0123456789abcdef0123456789abcdef\nhosts:\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "  - name: h%d\n", i);
    fprintf(f, "osds:\n");
    for (int i = 0; i < n; i++) {
        int p = free_port();
        if (p <= 0) {
            fclose(f);
            return -1;
        }
        cl->port[i] = (uint16_t)p;
        snprintf(cl->data[i], sizeof(cl->data[i]), "%s/osd.%d", cl->dir, i);
        fprintf(f, "  - {id: %d, host: h%d, addr: 127.0.0.1:%d, data: %s}\n", i, i, p, cl->data[i]);
    }
    fprintf(f, "pools:\n");
    const char *pools[] = {"data", "index", "meta"};
    for (int i = 0; i < 3; i++)
        fprintf(f, "  - {name: %s, pg_num: 8, size: 1, failure_domain: osd}\n", pools[i]);
    fprintf(f, "osd:\n  group_commit_max: 256\nlogging:\n  level: info\n");
    fclose(f);
    return 0;
}

static pid_t spawn(tc_cluster_t *cl, int id, const char *config, int errfd)
{
    char ids[16];
    snprintf(ids, sizeof(ids), "%d", id);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(errfd, 2);
        dup2(errfd, 1);
        execl(cl->bin, cl->bin, "--config", config, "--id", ids, (char *)NULL);
        _exit(127);
    }
    return pid;
}

int tc_osd_start(tc_cluster_t *cl, int id, int wait)
{
    char log[400];
    snprintf(log, sizeof(log), "%s/osd.%d.log", cl->dir, id);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    cl->pid[id] = spawn(cl, id, cl->conf, fd);
    close(fd);
    if (cl->pid[id] < 0)
        return -1;
    if (!wait)
        return 0;
    uint64_t deadline = tc_now_ms() + 15000;
    while (tc_now_ms() < deadline) {
        int st;
        if (waitpid(cl->pid[id], &st, WNOHANG) == cl->pid[id]) {
            fprintf(stderr, "tc: osd %d exited during start-up; see %s\n", id, log);
            cl->pid[id] = 0;
            return -1;
        }
        tc_conn_t c;
        if (tc_connect(&c, cl->port[id]) == 0) {
            int rc = tc_sync_epoch(&c);
            tc_close(&c);
            if (rc == 0)
                return 0;
        }
        usleep(20000);
    }
    fprintf(stderr, "tc: osd %d did not answer PING; see %s\n", id, log);
    return -1;
}

int tc_osd_run_fail(tc_cluster_t *cl, int id, const char *config, char *out, size_t cap)
{
    char log[400];
    snprintf(log, sizeof(log), "%s/run.%d.log", cl->dir, id);
    int fd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    pid_t pid = spawn(cl, id, config ? config : cl->conf, fd);
    int st = 0;
    uint64_t deadline = tc_now_ms() + 10000;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (tc_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            close(fd);
            return -1;
        }
        usleep(10000);
    }
    ssize_t n = pread(fd, out, cap - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int tc_osd_stop(tc_cluster_t *cl, int id, int sig)
{
    if (cl->pid[id] <= 0)
        return -1;
    kill(cl->pid[id], sig);
    int st = 0;
    waitpid(cl->pid[id], &st, 0);
    cl->pid[id] = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
