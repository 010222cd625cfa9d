/*
 * tc_osd.c — TEST-ONLY: implements tc_osd.h for the OSD integration tests: daemon process
 * helpers, small glue over the client library, and the raw-frame connection kept for bytes the
 * library refuses to send. Not a model for production code (blocking raw I/O, exits on
 * allocation failure).
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
#include <sys/prctl.h>
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

long tc_rss_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, strlen(field)) == 0)
            v = strtol(line + strlen(field) + 1, NULL, 10);
    fclose(f);
    return v;
}

/* ---- over the client library ---- */

int tc_set_osds(tn_osdc_t *c, const tc_cluster_t *cl)
{
    for (int i = 0; i < cl->n; i++) {
        char addr[32];
        snprintf(addr, sizeof(addr), "127.0.0.1:%u", cl->port[i]);
        if (tn_osdc_set_osd(c, i, addr) != 0)
            return -1;
    }
    return 0;
}

int tc_sync_epoch(tn_osdc_sync_t *s, int32_t osd)
{
    tn_ping_rep_t p;
    int rc = tn_osdc_sync_ping(s, osd, &p);
    if (rc != 0)
        return rc;
    uint64_t epoch = 0;
    tn_osdc_sync_last(s, NULL, &epoch, NULL);
    tn_osdc_set_epoch(tn_osdc_sync_client(s), epoch);
    return 0;
}

tn_osdc_sync_t *tc_sync_new(const tc_cluster_t *cl, const tn_osdc_opts_t *opts, int epoch_from)
{
    tn_osdc_sync_t *s = tn_osdc_sync_create(opts);
    if (s == NULL)
        return NULL;
    if (tc_set_osds(tn_osdc_sync_client(s), cl) != 0 ||
        (epoch_from >= 0 && tc_sync_epoch(s, epoch_from) != 0)) {
        tn_osdc_sync_destroy(s);
        return NULL;
    }
    return s;
}

uint64_t tc_stat(tn_osdc_sync_t *s, int32_t osd, const char *name)
{
    uint8_t *body = NULL;
    size_t len = 0;
    uint64_t out = UINT64_MAX;
    if (tn_osdc_sync_stats(s, osd, &body, &len) != 0)
        return out;
    tn_proto_iter_t it;
    uint32_t n;
    if (tn_proto_dec_stats_rep(body, len, &it, &n) == 0) {
        tn_slice_t nm;
        uint64_t v;
        while (tn_proto_next_stat(&it, &nm, &v) == 1)
            if (nm.len == strlen(name) && memcmp(nm.base, name, nm.len) == 0)
                out = v;
    }
    free(body);
    return out;
}

int tc_row_get(tn_osdc_sync_t *s, int32_t osd, uint32_t pool, uint32_t pg, uint64_t ns,
               const char *key, tn_row_t *row, uint8_t **hold)
{
    tn_row_get_req_t g = {pool, pg, ns, {key, strlen(key)}};
    size_t len = 0;
    *hold = NULL;
    int rc = tn_osdc_sync_row_get(s, osd, &g, hold, &len);
    if (rc == 0 && (*hold == NULL || tn_row_decode(*hold, len, row, NULL) != 0)) {
        free(*hold);
        *hold = NULL;
        rc = TN_ERR_PROTO;
    }
    return rc;
}

int tc_run_until(h2o_evloop_t *loop, const int *count, int target, int timeout_ms)
{
    uint64_t deadline = tc_now_ms() + (uint64_t)timeout_ms;
    while (*count < target) {
        if (tc_now_ms() >= deadline)
            return -1;
        h2o_evloop_run(loop, 10);
    }
    return 0;
}

int tc_async_new(tc_async_t *a, const tc_cluster_t *cl, const tn_osdc_opts_t *opts, uint64_t epoch)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN; /* h2o writes with writev (tn_osdc.h) */
    sigaction(SIGPIPE, &sa, NULL);
    a->loop = h2o_evloop_create();
    a->c = tn_osdc_create(a->loop, opts);
    if (a->c == NULL || tc_set_osds(a->c, cl) != 0) {
        tc_async_free(a);
        return -1;
    }
    tn_osdc_set_epoch(a->c, epoch);
    return 0;
}

void tc_async_free(tc_async_t *a)
{
    if (a->c != NULL)
        tn_osdc_destroy(a->c);
    if (a->loop != NULL) {
        h2o_evloop_run(a->loop, 0); /* let the loop free the closed sockets */
        h2o_evloop_destroy(a->loop);
    }
    a->c = NULL;
    a->loop = NULL;
}

static void on_get_frame(void *arg, int err, const tn_osdc_reply_t *rep,
                         const tn_blob_get_rep_t *gr)
{
    tc_get_t *g = arg;
    if (err == 0 && gr != NULL) {
        g->frames++;
        if (gr->offset != g->next_off) {
            g->err = TN_ERR_PROTO;
        } else {
            if (g->len + gr->data.len > g->cap) {
                g->cap = (g->len + gr->data.len) * 2;
                g->data = realloc(g->data, g->cap);
                if (g->data == NULL)
                    abort();
            }
            if (gr->data.len > 0)
                memcpy(g->data + g->len, gr->data.base, gr->data.len);
            g->len += gr->data.len;
            g->next_off += gr->data.len;
            g->blob_len = gr->blob_len;
        }
    }
    if (!rep->more) {
        if (g->err == 0)
            g->err = err;
        g->done = 1;
    }
}

int tc_get_start(tc_async_t *a, int32_t osd, const tn_blob_get_req_t *m, tc_get_t *g)
{
    memset(g, 0, sizeof(*g));
    g->next_off = m->offset;
    return tn_osdc_blob_get(a->c, osd, m, on_get_frame, g, NULL);
}

int tc_get_wait(tc_async_t *a, tc_get_t *g)
{
    if (tc_run_until(a->loop, &g->done, 1, 30000) != 0)
        return TN_ERR_TIMEOUT;
    return g->err;
}

/* ---- raw frames ---- */

int tc_raw_connect(tc_raw_t *c, uint16_t port, uint64_t epoch)
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
    c->epoch = epoch;
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

void tc_raw_close(tc_raw_t *c)
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

int tc_raw_send(tc_raw_t *c, uint16_t op, uint64_t req_id, const void *body, size_t len,
                int bad_crc)
{
    tn_frame_hdr_t h = {0};
    h.op = op;
    h.req_id = req_id;
    h.epoch = c->epoch;
    h.hlc = tn_hlc_make(tc_now_ms(), 0);
    tn_frame_set_payload(&h, body, len);
    if (bad_crc)
        h.payload_crc ^= 0x5a5a5a5au;
    uint8_t hdr[TN_FRAME_HDR_SIZE];
    tn_frame_encode_header(&h, hdr);
    if (write_all(c->fd, hdr, sizeof(hdr)) != 0)
        return -1;
    return len ? write_all(c->fd, body, len) : 0;
}

/* Reads one frame (blocking, up to 10 s). */
static int read_frame(tc_raw_t *c, tc_frame_t **out)
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
            c->rcap = c->rcap ? c->rcap * 2 : 1 << 16;
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

int tc_raw_wait(tc_raw_t *c, uint64_t req_id, tc_reply_t *r)
{
    memset(r, 0, sizeof(*r));
    tc_frame_t **tail = &r->frames;
    for (;;) {
        tc_frame_t *f = NULL;
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
            return 0;
        }
    }
}

void tc_reply_free(tc_reply_t *r)
{
    frame_free(r->frames);
    memset(r, 0, sizeof(*r));
}

int tc_raw_blob_put(tc_raw_t *c, uint64_t req_id, const tn_blobref_t *ref, const void *data,
                    size_t len, size_t piece, uint32_t crc_delta)
{
    uint8_t b[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_put_begin_t bg = {*ref, len};
    tn_proto_enc_blob_put_begin(&w, &bg);
    if (tc_raw_send(c, TN_OP_BLOB_PUT_BEGIN, req_id, b, (size_t)(w.p - b), 0) != 0)
        return -1;
    uint8_t *frame = xmalloc(TN_PROTO_PUT_DATA_PREFIX + piece);
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        tn_wire_w_init(&w, frame, TN_PROTO_PUT_DATA_PREFIX);
        tn_proto_enc_blob_put_data_prefix(&w, off, (uint32_t)n);
        memcpy(frame + TN_PROTO_PUT_DATA_PREFIX, (const uint8_t *)data + off, n);
        if (tc_raw_send(c, TN_OP_BLOB_PUT_DATA, req_id, frame, TN_PROTO_PUT_DATA_PREFIX + n, 0) !=
            0) {
            free(frame);
            return -1;
        }
    }
    free(frame);
    tn_wire_w_init(&w, b, sizeof(b));
    tn_blob_put_end_t e = {tn_crc32c(0, data, len) ^ crc_delta};
    tn_proto_enc_blob_put_end(&w, &e);
    if (tc_raw_send(c, TN_OP_BLOB_PUT_END, req_id, b, (size_t)(w.p - b), 0) != 0)
        return -1;
    tc_reply_t r;
    if (tc_raw_wait(c, req_id, &r) != 0)
        return -1;
    int st = r.status;
    tc_reply_free(&r);
    return st;
}

int tc_wait_closed(tc_raw_t *c, int timeout_ms)
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

int tc_free_port(void)
{
    /* As tests/lib/ternt.py free_ports: random ports BELOW the kernel's ephemeral range
     * (32768-60999), where bind(0) would pick from the pool that other test clusters'
     * outgoing connections take local ports from (one could take it before the daemon binds);
     * never the same port twice in one process. */
    static uint16_t handed[256];
    static int n_handed;
    static unsigned seed;
    if (seed == 0)
        seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16) ^ (unsigned)clock();
    for (int tries = 0; tries < 2000 && n_handed < (int)(sizeof handed / sizeof handed[0]);
         tries++) {
        int port = 20000 + rand_r(&seed) % 12000, used = 0;
        for (int i = 0; i < n_handed; i++)
            used |= handed[i] == port;
        if (used)
            continue;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        struct sockaddr_in sin = {0};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sin.sin_port = htons((uint16_t)port);
        int rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
        close(fd);
        if (rc == 0) {
            handed[n_handed++] = (uint16_t)port;
            return port;
        }
    }
    return -1;
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
        int p = tc_free_port();
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
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* The daemon dies with the test even when the test cannot run its atexit cleanup
         * (abort, a sanitizer report, SIGKILL). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(126);
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
    /* PING through the library; a short back-off so refused connects retry soon. */
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.backoff_ms = 10;
    o.backoff_max_ms = 20;
    tn_osdc_sync_t *s = tc_sync_new(cl, &o, -1);
    if (s == NULL)
        return -1;
    uint64_t deadline = tc_now_ms() + 15000;
    while (tc_now_ms() < deadline) {
        int st;
        if (waitpid(cl->pid[id], &st, WNOHANG) == cl->pid[id]) {
            fprintf(stderr, "tc: osd %d exited during start-up; see %s\n", id, log);
            cl->pid[id] = 0;
            tn_osdc_sync_destroy(s);
            return -1;
        }
        tn_ping_rep_t p;
        if (tn_osdc_sync_ping(s, id, &p) == 0) {
            tn_osdc_sync_destroy(s);
            return 0;
        }
        usleep(20000);
    }
    tn_osdc_sync_destroy(s);
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

int tc_osd_signal(tc_cluster_t *cl, int id, int sig)
{
    if (cl->pid[id] <= 0)
        return -1;
    return kill(cl->pid[id], sig) == 0 ? 0 : -1;
}
