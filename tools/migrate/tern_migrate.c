/*
 * tern_migrate.c — tern-migrate: copies a directory tree (or a Ghost content/ directory,
 * --ghost) into a bucket, in parallel, resumably, verifiably (docs/MIGRATION.md).
 *
 *   tern-migrate SRC_DIR s3://BUCKET[/PREFIX] [--endpoint URL] [--profile NAME] [--jobs N]
 *                [--multipart-threshold SIZE] [--part-size SIZE] [--retries N] [--dry-run]
 *                [--verify] [--ghost [--include-themes]] [--acl CANNED] [--region R]
 *                [--progress-interval S]
 *
 * Flow: mg_walk lists the tree (never following links), mg_map_key names each object; one
 * ListObjectsV2 of the prefix (and, when there are multipart-sized files, one
 * ListMultipartUploads) records what the bucket holds (mg_listing); then --jobs worker
 * threads (one libcurl handle each, mg_http) take files from a shared index, big files first.
 * Per file: read it once for its CRC32C (and the part CRCs; a file up to 1 MiB stays in the
 * buffer and is sent from it); a key the listing lacks or holds with another size is sent
 * at once; one of the same size is skipped when its listed ETag is the file's MD5, else
 * HEADed with x-amz-checksum-mode: ENABLED and skipped when mg_resume_decide proves it there
 * (this is what makes a rerun after Ctrl-C / kill / network errors finish without re-sending
 * what arrived); else PUT it (or a multipart upload with a FULL_OBJECT CRC32C above the
 * threshold, resuming an earlier upload of the key from its acknowledged parts, at most
 * --jobs parts in flight over all files) with Content-Type, x-amz-meta-mtime, the checksum
 * and --acl. Transport errors, 429 and 5xx are retried with exponential back-off and jitter.
 * The main thread draws the progress. --verify HEADs every object (reading it back when no
 * checksum is comparable); --dry-run only reports. Exit 0 when everything arrived (or was
 * already there), 1 when anything failed or mismatched, 2 on usage errors, 130 when
 * interrupted.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mg_creds.h"
#include "mg_ctype.h"
#include "mg_http.h"
#include "mg_keys.h"
#include "mg_listing.h"
#include "mg_progress.h"
#include "mg_resume.h"
#include "mg_walk.h"
#include "s3_checksum.h"
#include "s3c_mp.h"
#include "s3c_uri.h"
#include "s3c_xml.h"
#include "tn_crc.h"

#define READ_BUF (1u << 20)

enum { ST_PENDING, ST_SENT, ST_SAME, ST_SKIP, ST_FAIL, ST_WOULD_SEND };

typedef struct {
    /* options */
    const char *src;
    char bucket[64];
    char prefix[MG_KEY_MAX + 1];
    mg_map_t map;
    const char *endpoint, *region;
    mg_creds_t creds;
    int jobs, retries, dry_run, verify;
    const char *acl; /* --acl: x-amz-acl of every object, NULL for none */
    uint64_t mp_threshold, part_size;
    double progress_interval;
    /* work */
    mg_list_t list;
    char **keys;      /* per entry, NULL when not uploaded */
    uint8_t *state;   /* per entry, ST_* */
    char (*why)[400]; /* per entry failure text */
    size_t *order;    /* indexes of MG_ENT_FILE entries with a key, big files first */
    size_t n_order;
    atomic_size_t next;
    /* counters */
    atomic_uint_fast64_t progress; /* bytes read for uploads (or checked) */
    atomic_uint_fast64_t files_done, n_sent, n_same, n_failed, bytes_sent, n_puts, n_retries;
    atomic_uint_fast64_t bytes_body;    /* request body bytes acknowledged (objects, parts) */
    atomic_uint_fast64_t n_heads;       /* HEADs for the resume check */
    atomic_uint_fast64_t n_resumed;     /* multipart uploads resumed */
    atomic_uint_fast64_t parts_resumed; /* their parts found already there */
    atomic_uint_fast64_t bytes_resumed; /* and those parts' bytes */
    atomic_uint_fast64_t n_aborted;     /* stale multipart uploads aborted */
    /* what the bucket held at the start (mg_listing.h) */
    mg_objs_t remote;
    int have_listing; /* remote is complete: unlisted keys are absent */
    mg_uploads_t uploads;
    pthread_mutex_t up_lock; /* uploads[].taken */
    sem_t part_slots;        /* parts in flight, all files: at most --jobs (gateway memory) */
    uint64_t bytes_total;
    atomic_int stop;
} mg_job_t;

static atomic_int g_signal;

static void on_signal(int sig)
{
    atomic_store(&g_signal, sig);
    signal(sig, SIG_DFL); /* a second Ctrl-C ends it at once */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(mg_job_t *j, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(mg_job_t *j, size_t i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->why[i], sizeof j->why[i], fmt, ap);
    va_end(ap);
    j->state[i] = ST_FAIL;
    atomic_fetch_add(&j->n_failed, 1);
}

/* One request with retries: transport errors (not local read errors), 429 and 5xx. Returns 0
 * with a final answer in resp (any status), -1 if it never got one (resp->err). */
static int call(mg_job_t *j, mg_conn_t *c, const mg_req_t *rq, mg_resp_t *resp)
{
    unsigned delay_ms = 200;
    for (int attempt = 0;; attempt++) {
        int rc = mg_http(c, rq, resp);
        int transient = rc != 0
                            ? !resp->local_err
                            : resp->status == 429 || resp->status == 500 || resp->status == 502 ||
                                  resp->status == 503 || resp->status == 504;
        if (!transient || attempt >= j->retries || atomic_load(&j->stop))
            return rc;
        atomic_fetch_add(&j->n_retries, 1);
        unsigned jitter = (unsigned)rand() % (delay_ms / 2 + 1);
        struct timespec ts = {(delay_ms + jitter) / 1000,
                              (long)((delay_ms + jitter) % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if (delay_ms < 10000)
            delay_ms *= 2;
    }
}

/* Short text of a failed answer: status and the S3 <Code>, or the transport error. */
static void answer_text(const mg_resp_t *r, int rc, char *out, size_t cap)
{
    if (rc != 0) {
        snprintf(out, cap, "%s", r->err);
        return;
    }
    const char *code = r->body ? strstr(r->body, "<Code>") : NULL;
    if (code != NULL) {
        const char *e = strstr(code, "</Code>");
        int n = e ? (int)(e - code - 6) : 0;
        snprintf(out, cap, "HTTP %ld %.*s", r->status, n, code + 6);
    } else {
        snprintf(out, cap, "HTTP %ld", r->status);
    }
}

/* The listing prefix: PREFIX/ (every key of this job starts with it), or the whole bucket. */
static void list_prefix(const mg_job_t *j, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", j->prefix, j->prefix[0] ? "/" : "");
}

/* GETs one listing page (path?q) into resp: 0 with the whole answer in resp->body, or -1 with
 * the reason in err (the answer's error, or a 200 too large to hold). */
static int get_page(mg_job_t *j, mg_conn_t *c, const char *path, const char *q, mg_resp_t *resp,
                    char *err, size_t ecap)
{
    mg_req_t rq = {.method = "GET", .path = path, .query = q, .fd = -1};
    int rc = call(j, c, &rq, resp);
    if (rc == 0 && resp->status == 200 && resp->body != NULL && resp->body_total == resp->body_len)
        return 0;
    if (rc == 0 && resp->status == 200)
        snprintf(err, ecap, "listing page too large");
    else
        answer_text(resp, rc, err, ecap);
    return -1;
}

/* ListObjectsV2 of the job's prefix into j->remote, all pages. 0, or -1 (then the copy
 * falls back to a HEAD per file: e.g. a key allowed to PUT but not to list). */
static int list_objects(mg_job_t *j, mg_conn_t *c, mg_resp_t *resp, char *err, size_t ecap)
{
    char pfx[MG_KEY_MAX + 2], epfx[3 * sizeof pfx + 1], token[2048], etok[3 * sizeof token + 1];
    char path[300], q[sizeof epfx + sizeof etok + 100];
    list_prefix(j, pfx, sizeof pfx);
    if (s3c_uri_object_path(j->bucket, "", path, sizeof path) == 0) {
        snprintf(err, ecap, "bucket name too long");
        return -1;
    }
    if (pfx[0] != '\0' && s3c_uri_encode(pfx, epfx, sizeof epfx) == 0) {
        snprintf(err, ecap, "prefix too long");
        return -1;
    }
    token[0] = '\0';
    for (int page = 0; page < 1000000; page++) {
        int n = snprintf(q, sizeof q, "list-type=2&encoding-type=url&max-keys=1000%s%s",
                         pfx[0] ? "&prefix=" : "", pfx[0] ? epfx : "");
        if (token[0] != '\0') {
            if (s3c_uri_encode(token, etok, sizeof etok) == 0) {
                snprintf(err, ecap, "continuation token too long");
                return -1;
            }
            snprintf(q + n, sizeof q - (size_t)n, "&continuation-token=%s", etok);
        }
        if (get_page(j, c, path, q, resp, err, ecap) != 0)
            return -1;
        int truncated;
        if (mg_objs_add_page(&j->remote, resp->body, resp->body_len, &truncated, token,
                             sizeof token) != 0) {
            snprintf(err, ecap, "malformed ListObjectsV2 answer");
            return -1;
        }
        if (!truncated)
            break;
    }
    mg_objs_sort(&j->remote);
    return 0;
}

/* ListMultipartUploads of the job's prefix into j->uploads. 0, or -1 (no resume then). */
static int list_uploads(mg_job_t *j, mg_conn_t *c, mg_resp_t *resp, char *err, size_t ecap)
{
    char pfx[MG_KEY_MAX + 2], epfx[3 * sizeof pfx + 1], nk[4096], enk[3 * sizeof nk + 1];
    char nid[1024], enid[3 * sizeof nid + 1], path[300];
    char q[sizeof epfx + sizeof enk + sizeof enid + 100];
    list_prefix(j, pfx, sizeof pfx);
    if (s3c_uri_object_path(j->bucket, "", path, sizeof path) == 0 ||
        (pfx[0] != '\0' && s3c_uri_encode(pfx, epfx, sizeof epfx) == 0)) {
        snprintf(err, ecap, "prefix too long");
        return -1;
    }
    nk[0] = nid[0] = '\0';
    for (int page = 0; page < 100000; page++) {
        int n = snprintf(q, sizeof q, "uploads&encoding-type=url%s%s", pfx[0] ? "&prefix=" : "",
                         pfx[0] ? epfx : "");
        if (nk[0] != '\0') {
            if (s3c_uri_encode(nk, enk, sizeof enk) == 0) {
                snprintf(err, ecap, "key marker too long");
                return -1;
            }
            n += snprintf(q + n, sizeof q - (size_t)n, "&key-marker=%s", enk);
            if (nid[0] != '\0' && s3c_uri_encode(nid, enid, sizeof enid) != 0)
                snprintf(q + n, sizeof q - (size_t)n, "&upload-id-marker=%s", enid);
        }
        if (get_page(j, c, path, q, resp, err, ecap) != 0)
            return -1;
        int truncated;
        if (mg_uploads_add_page(&j->uploads, resp->body, resp->body_len, &truncated, nk, sizeof nk,
                                nid, sizeof nid) != 0) {
            snprintf(err, ecap, "malformed ListMultipartUploads answer");
            return -1;
        }
        if (!truncated)
            break;
    }
    return 0;
}

/* Reads fd once: CRC32C of the whole file and, when part_size > 0, of each part. */
static int local_crc(int fd, uint64_t size, uint64_t part_size, uint32_t *crc, uint32_t *parts,
                     char *buf, int *in_buf)
{
    uint64_t off = 0;
    *in_buf = 0;
    uint32_t whole = 0, part = 0;
    while (off < size) {
        size_t want = READ_BUF;
        if (part_size > 0) {
            uint64_t to_part_end = part_size - off % part_size;
            if (want > to_part_end)
                want = (size_t)to_part_end;
        }
        if (want > size - off)
            want = (size_t)(size - off);
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        whole = tn_crc32c(whole, buf, (size_t)n);
        if (part_size > 0) {
            part = tn_crc32c(part, buf, (size_t)n);
            if ((off + (uint64_t)n) % part_size == 0 || off + (uint64_t)n == size) {
                parts[off / part_size] = part;
                part = 0;
            }
        }
        if (off == 0 && (uint64_t)n == size)
            *in_buf = 1; /* a small file: read once, sent from buf */
        off += (uint64_t)n;
    }
    if (size == 0)
        *in_buf = 1;
    if (part_size > 0 && size == 0)
        parts[0] = 0;
    *crc = whole;
    return 0;
}

/* MD5 of a file already in memory (a small file read by local_crc). 0 or -ENOMEM/-EIO. */
static int mem_md5(const char *buf, uint64_t size, uint8_t md5[16])
{
    s3_checksum_t c;
    uint8_t raw[S3_CKSUM_MAX_RAW];
    if (s3_checksum_init(&c, S3_CKSUM_MD5) != TN_OK)
        return -ENOMEM;
    s3_checksum_update(&c, buf, (size_t)size);
    int rc = s3_checksum_final(&c, raw) == 16 ? 0 : -EIO;
    if (rc == 0)
        memcpy(md5, raw, 16);
    s3_checksum_free(&c);
    return rc;
}

static int local_md5(int fd, uint64_t size, uint8_t md5[16], char *buf)
{
    s3_checksum_t c;
    if (s3_checksum_init(&c, S3_CKSUM_MD5) != TN_OK)
        return -ENOMEM;
    uint64_t off = 0;
    int rc = 0;
    while (off < size) {
        size_t want = size - off < READ_BUF ? (size_t)(size - off) : READ_BUF;
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            break;
        }
        s3_checksum_update(&c, buf, (size_t)n);
        off += (uint64_t)n;
    }
    uint8_t raw[S3_CKSUM_MAX_RAW];
    if (rc == 0 && s3_checksum_final(&c, raw) != 16)
        rc = -EIO;
    if (rc == 0)
        memcpy(md5, raw, 16);
    s3_checksum_free(&c);
    return rc;
}

typedef struct {
    mg_job_t *j;
    mg_conn_t conn;
    char *buf;
    mg_resp_t resp;
} worker_t;

#define MG_PART_STREAMS 4 /* connections for the parts of one multipart upload */

typedef struct {
    mg_job_t *j;
    int fd;
    uint64_t size;
    const char *path, *eid;
    uint32_t *crcs; /* per part; computed here, part by part, when !crcs_known */
    int crcs_known; /* the CRC pass ran before (a HEAD or a resume needed them) */
    char (*etags)[S3C_MP_ETAG];
    const uint8_t *have; /* parts already uploaded (a resumed upload), or NULL */
    uint32_t n_parts;
    atomic_uint next; /* next part index to send */
    atomic_int bad;   /* a part failed: err says which and why (first writer wins) */
    char err[400];
} part_run_t;

typedef struct {
    part_run_t *run;
    mg_conn_t *conn; /* the worker's, or own_conn */
    mg_resp_t *resp;
    mg_conn_t own_conn;
    mg_resp_t own_resp;
} part_ctx_t;

/* Sends parts until none is left, one fails or the run is interrupted. */
static void *part_thread(void *arg)
{
    part_ctx_t *c = arg;
    part_run_t *r = c->run;
    mg_job_t *j = r->j;
    char q[3200], ctext[13], err[300];
    char *buf = r->crcs_known ? NULL : malloc(READ_BUF);
    if (!r->crcs_known && buf == NULL) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&r->bad, &expect, 1))
            snprintf(r->err, sizeof r->err, "out of memory");
        return NULL;
    }
    for (;;) {
        uint32_t p = atomic_fetch_add(&r->next, 1);
        if (p >= r->n_parts || atomic_load(&r->bad) || atomic_load(&j->stop))
            break;
        if (r->have != NULL && r->have[p])
            continue;
        uint64_t off = (uint64_t)p * j->part_size;
        uint64_t len = r->size - off < j->part_size ? r->size - off : j->part_size;
        if (!r->crcs_known) { /* this part's CRC32C now: the upload starts at once */
            uint32_t pc = 0;
            for (uint64_t o = 0; o < len;) {
                size_t want = len - o < READ_BUF ? (size_t)(len - o) : READ_BUF;
                ssize_t n = pread(r->fd, buf, want, (off_t)(off + o));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    int expect = 0;
                    if (atomic_compare_exchange_strong(&r->bad, &expect, 1))
                        snprintf(r->err, sizeof r->err, "read: %s",
                                 n < 0 ? strerror(errno) : "file shrank");
                    free(buf);
                    return NULL;
                }
                pc = tn_crc32c(pc, buf, (size_t)n);
                o += (uint64_t)n;
            }
            r->crcs[p] = pc;
        }
        mg_crc32c_text(r->crcs[p], ctext);
        s3c_hdr_t ph[1] = {{"x-amz-checksum-crc32c", ctext}};
        snprintf(q, sizeof q, "partNumber=%u&uploadId=%s", p + 1, r->eid);
        mg_req_t pr = {.method = "PUT",
                       .path = r->path,
                       .query = q,
                       .hdrs = ph,
                       .n_hdrs = 1,
                       .fd = r->fd,
                       .off = off,
                       .len = len};
        /* A gateway holds a part's whole body in memory until it is stored: at most --jobs
         * parts are in flight over all files, whatever the number of big files. */
        while (sem_wait(&j->part_slots) != 0 && errno == EINTR)
            ;
        int rc = call(j, c->conn, &pr, c->resp);
        sem_post(&j->part_slots);
        atomic_fetch_add(&j->n_puts, 1);
        if (rc != 0 || c->resp->status != 200 || c->resp->head.etag[0] == '\0') {
            answer_text(c->resp, rc, err, sizeof err);
            int expect = 0;
            if (atomic_compare_exchange_strong(&r->bad, &expect, 1))
                snprintf(r->err, sizeof r->err, "UploadPart %u: %s", p + 1, err);
            break;
        }
        snprintf(r->etags[p], S3C_MP_ETAG, "%s", c->resp->head.etag);
        atomic_fetch_add(&j->bytes_body, len);
    }
    free(buf);
    return NULL;
}

/* 1 if an upload of key was in progress when the run started. */
static int has_uploads(const mg_job_t *j, const char *key)
{
    for (size_t k = 0; k < j->uploads.n; k++)
        if (strcmp(j->uploads.v[k].key, key) == 0)
            return 1;
    return 0;
}

/* Aborts one multipart upload, best effort, even after Ctrl-C. */
static void abort_upload(worker_t *w, const char *path, const char *id)
{
    char eid[3072], q[3200];
    if (s3c_uri_encode(id, eid, sizeof eid) == 0)
        return;
    snprintf(q, sizeof q, "uploadId=%s", eid);
    mg_req_t ar = {.method = "DELETE", .path = path, .query = q, .fd = -1};
    atomic_int *stop = w->conn.stop;
    w->conn.stop = NULL;
    if (mg_http(&w->conn, &ar, &w->resp) == 0 && w->resp.status / 100 == 2)
        atomic_fetch_add(&w->j->n_aborted, 1);
    w->conn.stop = stop;
}

/* ListParts of the upload eid (URI-encoded id), every page, into parts. 0, or -1. */
static int list_parts(worker_t *w, const char *path, const char *eid, mg_parts_t *parts)
{
    char q[3300];
    uint32_t marker = 0;
    for (int page = 0; page <= S3C_MP_MAX_PARTS / 1000; page++) {
        int n = snprintf(q, sizeof q, "max-parts=1000&uploadId=%s", eid);
        if (marker > 0)
            snprintf(q + n, sizeof q - (size_t)n, "&part-number-marker=%u", marker);
        mg_req_t rq = {.method = "GET", .path = path, .query = q, .fd = -1};
        int rc = call(w->j, &w->conn, &rq, &w->resp);
        if (rc != 0 || w->resp.status != 200 || w->resp.body == NULL ||
            w->resp.body_total != w->resp.body_len)
            return -1;
        int truncated;
        if (mg_parts_add_page(parts, w->resp.body, w->resp.body_len, &truncated, &marker) != 0)
            return -1;
        if (!truncated)
            return 0;
    }
    return -1;
}

#define MG_MAX_UPLOADS_PER_KEY 16

/* The multipart uploads in progress for file i's key (listed at the start), newest first:
 * with `resume`, the first one that is a CRC32C FULL_OBJECT upload is taken over (its id
 * into id[idcap], the parts whose size and CRC32C match the file's into have[] and etags[]:
 * mg_parts_plan) and 1 returned; every other one is aborted (it would only hold space). */
static int take_uploads(worker_t *w, size_t i, const char *path, int resume, uint64_t size,
                        const uint32_t *crcs, uint32_t n_parts, char *id, size_t idcap,
                        uint8_t *have, char (*etags)[S3C_MP_ETAG])
{
    mg_job_t *j = w->j;
    size_t cand[MG_MAX_UPLOADS_PER_KEY], nc = 0;
    pthread_mutex_lock(&j->up_lock);
    for (size_t k = 0; k < j->uploads.n && nc < MG_MAX_UPLOADS_PER_KEY; k++) {
        mg_upload_t *u = &j->uploads.v[k];
        if (!u->taken && strcmp(u->key, j->keys[i]) == 0) {
            u->taken = 1;
            cand[nc++] = k;
        }
    }
    pthread_mutex_unlock(&j->up_lock);
    for (size_t a = 1; a < nc; a++) /* newest first */
        for (size_t b = a; b > 0 && strcmp(j->uploads.v[cand[b]].initiated,
                                           j->uploads.v[cand[b - 1]].initiated) > 0;
             b--) {
            size_t t = cand[b];
            cand[b] = cand[b - 1];
            cand[b - 1] = t;
        }
    int chosen = 0;
    for (size_t a = 0; a < nc; a++) {
        const mg_upload_t *u = &j->uploads.v[cand[a]];
        char eid[3072];
        if (!chosen && resume && strlen(u->id) < idcap &&
            s3c_uri_encode(u->id, eid, sizeof eid) != 0) {
            mg_parts_t parts = {0};
            uint64_t there = 0;
            long got =
                list_parts(w, path, eid, &parts) == 0
                    ? mg_parts_plan(&parts, size, j->part_size, crcs, n_parts, have, etags, &there)
                    : -1;
            mg_parts_free(&parts);
            if (got >= 0) {
                chosen = 1;
                snprintf(id, idcap, "%s", u->id);
                atomic_fetch_add(&j->n_resumed, 1);
                atomic_fetch_add(&j->parts_resumed, (uint64_t)got);
                atomic_fetch_add(&j->bytes_resumed, there);
                atomic_fetch_add(&j->progress, there);
                continue;
            }
        }
        abort_upload(w, path, u->id);
    }
    return chosen;
}

static int upload_multipart(worker_t *w, size_t i, int fd, uint64_t size, const char *path,
                            const s3c_hdr_t *meta, size_t n_meta, uint32_t *part_crcs,
                            int crcs_known, uint32_t crc)
{
    mg_job_t *j = w->j;
    uint32_t n_parts = s3c_mp_parts(size, j->part_size);
    char id[1024], eid[3072], q[3200], ctext[13], err[300];
    s3c_hdr_t h[8];
    memcpy(h, meta, n_meta * sizeof *h);
    h[n_meta] = (s3c_hdr_t){"x-amz-checksum-algorithm", "CRC32C"};
    h[n_meta + 1] = (s3c_hdr_t){"x-amz-checksum-type", "FULL_OBJECT"};
    char(*etags)[S3C_MP_ETAG] = calloc(n_parts, sizeof *etags);
    uint8_t *have = calloc(n_parts, 1);
    if (etags == NULL || have == NULL) {
        free(etags);
        free(have);
        fail(j, i, "out of memory");
        return -1;
    }
    /* an upload of this file cut off earlier (kill, Ctrl-C, network): take it over */
    int resumed = j->uploads.n > 0 &&
                  take_uploads(w, i, path, 1, size, part_crcs, n_parts, id, sizeof id, have, etags);
    mg_req_t rq = {.method = "POST",
                   .path = path,
                   .query = "uploads",
                   .hdrs = h,
                   .n_hdrs = n_meta + 2,
                   .fd = -1};
    int rc = resumed ? 0 : call(j, &w->conn, &rq, &w->resp);
    if (!resumed && (rc != 0 || w->resp.status != 200 || w->resp.body == NULL ||
                     s3c_mp_upload_id(w->resp.body, w->resp.body_len, id, sizeof id) != 0)) {
        answer_text(&w->resp, rc, err, sizeof err);
        fail(j, i, "CreateMultipartUpload: %s", err);
        free(etags);
        free(have);
        return -1;
    }
    if (s3c_uri_encode(id, eid, sizeof eid) == 0) {
        fail(j, i, "upload id too long");
        free(etags);
        free(have);
        return -1;
    }
    char *xml = NULL;
    int ok = 1, completed = 0;
    if (ok) {
        /* the parts go over up to MG_PART_STREAMS connections at once: this worker's and
         * helpers with their own connections, taking part numbers from a shared counter */
        part_run_t run = {.j = j,
                          .fd = fd,
                          .size = size,
                          .path = path,
                          .eid = eid,
                          .crcs = part_crcs,
                          .crcs_known = crcs_known,
                          .etags = etags,
                          .have = have,
                          .n_parts = n_parts};
        part_ctx_t ctx[MG_PART_STREAMS];
        pthread_t th[MG_PART_STREAMS];
        int n_ctx = n_parts < MG_PART_STREAMS ? (int)n_parts : MG_PART_STREAMS;
        memset(ctx, 0, sizeof ctx);
        ctx[0].run = &run;
        ctx[0].conn = &w->conn;
        ctx[0].resp = &w->resp;
        int n_th = 0;
        for (int k = 1; k < n_ctx; k++) {
            const char *cwhy;
            ctx[k].run = &run;
            ctx[k].conn = &ctx[k].own_conn;
            ctx[k].resp = &ctx[k].own_resp;
            if (mg_conn_init(&ctx[k].own_conn, j->endpoint, j->creds.access_key, j->creds.secret,
                             j->region, &j->stop, &j->progress, &cwhy) != 0)
                break;
            if (pthread_create(&th[k], NULL, part_thread, &ctx[k]) != 0) {
                mg_conn_free(&ctx[k].own_conn);
                break;
            }
            n_th = k;
        }
        part_thread(&ctx[0]);
        for (int k = 1; k <= n_th; k++) {
            pthread_join(th[k], NULL);
            mg_conn_free(&ctx[k].own_conn);
            mg_resp_free(&ctx[k].own_resp);
        }
        if (atomic_load(&run.bad)) {
            fail(j, i, "%s", run.err);
            ok = 0;
        } else if (atomic_load(&j->stop)) {
            fail(j, i, "interrupted");
            ok = 0;
        }
    }
    if (ok) {
        size_t cap = s3c_mp_complete_cap(n_parts);
        xml = malloc(cap);
        size_t xl =
            xml ? s3c_mp_complete_xml(xml, cap, (const char(*)[S3C_MP_ETAG])etags, n_parts) : 0;
        /* The whole file's CRC32C is checked against the one the gateway combined from the
         * parts (in the answer), not sent as x-amz-checksum-crc32c: tern's payload stage
         * would check that header against the XML body itself (BadDigest). */
        if (!crcs_known) { /* the file's CRC32C from its parts' */
            crc = part_crcs[0];
            for (uint32_t p = 1; p < n_parts; p++) {
                uint64_t off = (uint64_t)p * j->part_size;
                crc = tn_crc32c_combine(crc, part_crcs[p],
                                        size - off < j->part_size ? size - off : j->part_size);
            }
        }
        mg_crc32c_text(crc, ctext);
        snprintf(q, sizeof q, "uploadId=%s", eid);
        mg_req_t cr = {
            .method = "POST", .path = path, .query = q, .mem = xml, .mem_len = xl, .fd = -1};
        rc = xl > 0 ? call(j, &w->conn, &cr, &w->resp) : -1;
        if (rc != 0 || w->resp.status != 200 || w->resp.body == NULL ||
            !s3c_mp_complete_ok(w->resp.body, w->resp.body_len)) {
            if (xl == 0)
                snprintf(err, sizeof err, "out of memory");
            else
                answer_text(&w->resp, rc, err, sizeof err);
            fail(j, i, "CompleteMultipartUpload: %s", err);
            ok = 0;
        } else {
            char want[64];
            snprintf(want, sizeof want, "<ChecksumCRC32C>%s</ChecksumCRC32C>", ctext);
            if (strstr(w->resp.body, want) == NULL) {
                fail(j, i,
                     "CompleteMultipartUpload: the object's CRC32C is not the file's "
                     "(expected %s)",
                     ctext);
                ok = 0; /* completed: nothing to abort; a rerun sends it again */
            }
            completed = 1;
        }
    }
    /* A failed upload is aborted (leave no orphan parts behind); an interrupted one is kept
     * so that the next run resumes it from its acknowledged parts. */
    if (!ok && !completed && !atomic_load(&j->stop))
        abort_upload(w, path, id);
    free(xml);
    free(etags);
    free(have);
    return ok ? 0 : -1;
}

/* Compares the object with the local file (--verify): HEAD, then a read-back if needed. */
static void verify_one(worker_t *w, size_t i, int fd, const mg_local_t *loc, const char *path)
{
    mg_job_t *j = w->j;
    s3c_hdr_t mode[1] = {{"x-amz-checksum-mode", "ENABLED"}};
    mg_req_t rq = {
        .method = "HEAD", .path = path, .query = "", .hdrs = mode, .n_hdrs = 1, .fd = -1};
    char err[300];
    int rc = call(j, &w->conn, &rq, &w->resp);
    atomic_fetch_add(&j->n_heads, 1);
    if (rc != 0 || (w->resp.status != 200 && w->resp.status != 404)) {
        answer_text(&w->resp, rc, err, sizeof err);
        fail(j, i, "verify HEAD: %s", err);
        return;
    }
    if (w->resp.status == 404) {
        fail(j, i, "verify: missing in the bucket");
        return;
    }
    mg_local_t l = *loc;
    mg_remote_t r = w->resp.head;
    mg_resume_t d = mg_resume_decide(&r, &l);
    if (d == MG_RESUME_NEED_MD5) {
        if (local_md5(fd, l.size, l.md5, w->buf) != 0) {
            fail(j, i, "read: %s", strerror(errno));
            return;
        }
        l.has_md5 = 1;
        d = mg_resume_decide(&r, &l);
    }
    if (d == MG_RESUME_UNPROVABLE) { /* read it back */
        mg_req_t g = {.method = "GET", .path = path, .query = "", .fd = -1};
        w->resp.sink_crc = 1;
        rc = call(j, &w->conn, &g, &w->resp);
        w->resp.sink_crc = 0;
        if (rc != 0 || w->resp.status != 200) {
            answer_text(&w->resp, rc, err, sizeof err);
            fail(j, i, "verify GET: %s", err);
            return;
        }
        d = w->resp.body_total == l.size && w->resp.crc == l.crc32c ? MG_RESUME_SAME
                                                                    : MG_RESUME_SEND;
    }
    if (d != MG_RESUME_SAME) {
        fail(j, i, "verify: MISMATCH (bucket has %" PRIu64 " bytes, checksum %s, ETag %s)", r.size,
             r.crc32c[0] ? r.crc32c : "-", r.etag[0] ? r.etag : "-");
        return;
    }
    j->state[i] = ST_SAME;
    atomic_fetch_add(&j->n_same, 1);
    atomic_fetch_add(&j->progress, l.size);
}

static void do_file(worker_t *w, size_t i)
{
    mg_job_t *j = w->j;
    mg_entry_t *e = &j->list.v[i];
    char full[8192], path[8192], err[300];
    int n = snprintf(full, sizeof full, "%s/%s", j->src, e->rel);
    if (n < 0 || (size_t)n >= sizeof full) {
        fail(j, i, "path too long");
        return;
    }
    if (s3c_uri_object_path(j->bucket, j->keys[i], path, sizeof path) == 0) {
        fail(j, i, "key too long");
        return;
    }
    int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        fail(j, i, "open: %s", strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fail(j, i, "no longer a regular file");
        close(fd);
        return;
    }
    uint64_t size = (uint64_t)st.st_size;
    int mp = size > j->mp_threshold;
    uint32_t n_parts = mp ? s3c_mp_parts(size, j->part_size) : 0;
    if (mp && n_parts == 0) {
        fail(j, i, "needs more than 10000 parts: raise --part-size");
        close(fd);
        return;
    }
    uint32_t *part_crcs = mp ? calloc(n_parts, sizeof *part_crcs) : NULL;
    mg_local_t loc = {.size = size};
    int rc = 0, in_buf = 0;
    /* A big file the bucket does not hold (and no upload of it to resume) needs no CRC pass
     * first: its parts' CRC32Cs are computed as they are sent, the file's combined from them. */
    int lazy = mp && j->have_listing && !j->verify && !j->dry_run && part_crcs != NULL &&
               !has_uploads(j, j->keys[i]);
    if (lazy) {
        const mg_obj_t *o = mg_objs_find(&j->remote, j->keys[i]);
        lazy = o == NULL || o->size != size;
    }
    if ((mp && part_crcs == NULL) ||
        (!lazy && (rc = local_crc(fd, size, mp ? j->part_size : 0, &loc.crc32c, part_crcs, w->buf,
                                  &in_buf)) != 0)) {
        fail(j, i, "read: %s", part_crcs == NULL && mp ? "out of memory" : strerror(-rc));
        goto out;
    }
    if (j->verify) {
        verify_one(w, i, fd, &loc, path);
        goto out;
    }
    /* already there? Keys the listing taken at the start does not hold, or holds with
     * another size, are sent without asking; the others are HEADed for their checksum. */
    int need_head = 1;
    mg_resume_t d = MG_RESUME_SEND;
    if (j->have_listing) {
        const mg_obj_t *o = mg_objs_find(&j->remote, j->keys[i]);
        need_head = o != NULL && o->size == size;
        if (need_head) { /* the listed ETag: the MD5 of a single-part object */
            mg_remote_t listed = {.found = 1, .size = o->size};
            snprintf(listed.etag, sizeof listed.etag, "%s", o->etag);
            d = mg_resume_decide(&listed, &loc);
            if (d == MG_RESUME_NEED_MD5) {
                if ((rc = in_buf ? mem_md5(w->buf, size, loc.md5)
                                 : local_md5(fd, size, loc.md5, w->buf)) != 0) {
                    fail(j, i, "read: %s", strerror(-rc));
                    goto out;
                }
                loc.has_md5 = 1;
                d = mg_resume_decide(&listed, &loc);
            }
            need_head = d == MG_RESUME_UNPROVABLE; /* e.g. a multipart ETag */
        }
    }
    if (need_head) {
        s3c_hdr_t mode[1] = {{"x-amz-checksum-mode", "ENABLED"}};
        mg_req_t hr = {
            .method = "HEAD", .path = path, .query = "", .hdrs = mode, .n_hdrs = 1, .fd = -1};
        rc = call(j, &w->conn, &hr, &w->resp);
        atomic_fetch_add(&j->n_heads, 1);
        if (rc != 0 || (w->resp.status != 200 && w->resp.status != 404)) {
            answer_text(&w->resp, rc, err, sizeof err);
            fail(j, i, "HEAD: %s", err);
            goto out;
        }
        mg_remote_t remote = w->resp.head;
        d = mg_resume_decide(&remote, &loc);
        if (d == MG_RESUME_NEED_MD5) {
            if (!loc.has_md5) {
                if ((rc = in_buf ? mem_md5(w->buf, size, loc.md5)
                                 : local_md5(fd, size, loc.md5, w->buf)) != 0) {
                    fail(j, i, "read: %s", strerror(-rc));
                    goto out;
                }
                loc.has_md5 = 1;
            }
            d = mg_resume_decide(&remote, &loc);
        }
    }
    if (d == MG_RESUME_SAME) {
        j->state[i] = ST_SAME;
        atomic_fetch_add(&j->n_same, 1);
        atomic_fetch_add(&j->progress, size);
        if (mp && j->uploads.n > 0 &&
            !j->dry_run) /* an upload of it left over from an earlier run */
            take_uploads(w, i, path, 0, size, part_crcs, n_parts, NULL, 0, NULL, NULL);
        goto out;
    }
    if (j->dry_run) {
        j->state[i] = ST_WOULD_SEND;
        atomic_fetch_add(&j->progress, size);
        goto out;
    }
    char mtime[48], ctext[13];
    snprintf(mtime, sizeof mtime, "%" PRId64 ".%09ld", e->mtime_s, e->mtime_ns);
    mg_crc32c_text(loc.crc32c, ctext);
    s3c_hdr_t h[5] = {{"content-type", mg_ctype(e->rel)}, {"x-amz-meta-mtime", mtime}};
    size_t nh = 2;
    if (j->acl != NULL)
        h[nh++] = (s3c_hdr_t){"x-amz-acl", j->acl};
    if (mp) {
        if (upload_multipart(w, i, fd, size, path, h, nh, part_crcs, !lazy, loc.crc32c) != 0)
            goto out;
    } else {
        h[nh++] = (s3c_hdr_t){"x-amz-checksum-crc32c", ctext};
        /* a small file is still in buf from the CRC pass: sent from there, not read again */
        mg_req_t pr = {.method = "PUT",
                       .path = path,
                       .query = "",
                       .hdrs = h,
                       .n_hdrs = nh,
                       .mem = in_buf ? w->buf : NULL,
                       .mem_len = in_buf ? (size_t)size : 0,
                       .fd = in_buf ? -1 : fd,
                       .off = 0,
                       .len = size};
        rc = call(j, &w->conn, &pr, &w->resp);
        atomic_fetch_add(&j->n_puts, 1);
        if (rc != 0 || w->resp.status != 200) {
            answer_text(&w->resp, rc, err, sizeof err);
            fail(j, i, "PUT: %s", err);
            goto out;
        }
        atomic_fetch_add(&j->bytes_body, size);
        if (in_buf)
            atomic_fetch_add(&j->progress, size);
    }
    struct stat st2;
    if (fstat(fd, &st2) == 0 &&
        ((uint64_t)st2.st_size != size || st2.st_mtim.tv_sec != st.st_mtim.tv_sec ||
         st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec)) {
        fail(j, i, "changed while being copied (rerun to copy the new version)");
        goto out;
    }
    j->state[i] = ST_SENT;
    atomic_fetch_add(&j->n_sent, 1);
    atomic_fetch_add(&j->bytes_sent, size);
out:
    free(part_crcs);
    close(fd);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    mg_job_t *j = w->j;
    for (;;) {
        if (atomic_load(&j->stop))
            break;
        size_t k = atomic_fetch_add(&j->next, 1);
        if (k >= j->n_order)
            break;
        size_t i = j->order[k];
        do_file(w, i);
        if (j->state[i] == ST_FAIL && atomic_load(&j->stop) && strstr(j->why[i], "abort"))
            snprintf(j->why[i], sizeof j->why[i], "interrupted");
        atomic_fetch_add(&j->files_done, 1);
    }
    return NULL;
}

/* "64M", "16MiB", "1G", "4096": bytes. 0 on error. */
static uint64_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return 0;
    uint64_t m = 1;
    switch (*end) {
    case 'k':
    case 'K':
        m = 1ull << 10;
        end++;
        break;
    case 'm':
    case 'M':
        m = 1ull << 20;
        end++;
        break;
    case 'g':
    case 'G':
        m = 1ull << 30;
        end++;
        break;
    default: break;
    }
    if (strcmp(end, "") != 0 && strcmp(end, "i") != 0 && strcmp(end, "iB") != 0 &&
        strcmp(end, "B") != 0)
        return 0;
    if (v > UINT64_MAX / m)
        return 0;
    return (uint64_t)v * m;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tern-migrate SRC_DIR s3://BUCKET[/PREFIX] [options]\n"
            "  --endpoint URL              S3 endpoint (default $AWS_ENDPOINT_URL or "
            "https://s3.amazonaws.com)\n"
            "  --region R                  SigV4 region (default $AWS_REGION or us-east-1)\n"
            "  --profile NAME              credentials from ~/.aws/credentials [NAME]\n"
            "                              (else $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY)\n"
            "  --jobs N                    files (and parts) in flight (default 16)\n"
            "  --multipart-threshold SIZE  multipart above this size (default 64M)\n"
            "  --part-size SIZE            multipart part size (default 16M)\n"
            "  --retries N                 retries of a request on 5xx/network errors (default 5)\n"
            "  --ghost                     SRC_DIR is a Ghost content/ directory "
            "(docs/MIGRATION.md)\n"
            "  --include-themes            with --ghost: copy themes/ too\n"
            "  --acl CANNED                x-amz-acl of every object (e.g. public-read)\n"
            "  --dry-run                   report what would be transferred, send nothing\n"
            "  --verify                    compare every object with its file, send nothing\n"
            "  --progress-interval S       seconds between plain progress lines (default 10)\n");
}

static int compare_order(const void *a, const void *b, void *ctx)
{
    const mg_job_t *j = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    uint64_t sx = j->list.v[x].size, sy = j->list.v[y].size;
    int bx = sx > j->mp_threshold, by = sy > j->mp_threshold;
    if (bx != by)
        return by - bx; /* multipart files first: they take longest */
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static mg_job_t job;
    mg_job_t *j = &job;
    const char *profile = NULL, *dst = NULL;
    j->jobs = 16;
    j->retries = 5;
    j->mp_threshold = 64ull << 20;
    j->part_size = 16ull << 20;
    j->progress_interval = 10.0;
    j->endpoint = getenv("AWS_ENDPOINT_URL_S3");
    if (j->endpoint == NULL || *j->endpoint == '\0')
        j->endpoint = getenv("AWS_ENDPOINT_URL");
    if (j->endpoint == NULL || *j->endpoint == '\0')
        j->endpoint = "https://s3.amazonaws.com";
    j->region = getenv("AWS_REGION");
    if (j->region == NULL || *j->region == '\0')
        j->region = getenv("AWS_DEFAULT_REGION");
    if (j->region == NULL || *j->region == '\0')
        j->region = "us-east-1";
    for (int a = 1; a < argc; a++) {
        const char *o = argv[a];
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
#define NEEDV()                                                                                    \
    do {                                                                                           \
        if (v == NULL) {                                                                           \
            fprintf(stderr, "tern-migrate: %s needs a value\n", o);                                \
            return 2;                                                                              \
        }                                                                                          \
        a++;                                                                                       \
    } while (0)
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(o, "--endpoint") == 0) {
            NEEDV();
            j->endpoint = v;
        } else if (strcmp(o, "--region") == 0) {
            NEEDV();
            j->region = v;
        } else if (strcmp(o, "--profile") == 0) {
            NEEDV();
            profile = v;
        } else if (strcmp(o, "--jobs") == 0) {
            NEEDV();
            j->jobs = atoi(v);
        } else if (strcmp(o, "--retries") == 0) {
            NEEDV();
            j->retries = atoi(v);
        } else if (strcmp(o, "--multipart-threshold") == 0) {
            NEEDV();
            j->mp_threshold = parse_size(v);
        } else if (strcmp(o, "--part-size") == 0) {
            NEEDV();
            j->part_size = parse_size(v);
        } else if (strcmp(o, "--progress-interval") == 0) {
            NEEDV();
            j->progress_interval = atof(v);
        } else if (strcmp(o, "--acl") == 0) {
            NEEDV();
            j->acl = v;
        } else if (strcmp(o, "--ghost") == 0) {
            j->map.ghost = 1;
        } else if (strcmp(o, "--include-themes") == 0) {
            j->map.include_themes = 1;
        } else if (strcmp(o, "--dry-run") == 0) {
            j->dry_run = 1;
        } else if (strcmp(o, "--verify") == 0) {
            j->verify = 1;
        } else if (o[0] == '-' && o[1] != '\0') {
            fprintf(stderr, "tern-migrate: unknown option %s\n", o);
            usage(stderr);
            return 2;
        } else if (j->src == NULL) {
            j->src = o;
        } else if (dst == NULL) {
            dst = o;
        } else {
            usage(stderr);
            return 2;
        }
#undef NEEDV
    }
    if (j->src == NULL || dst == NULL || strncmp(dst, "s3://", 5) != 0) {
        usage(stderr);
        return 2;
    }
    if (j->jobs < 1 || j->jobs > 256 || j->retries < 0 || j->retries > 30 || j->mp_threshold == 0 ||
        j->part_size < (5ull << 20) || j->part_size > (5ull << 30) || !(j->progress_interval > 0)) {
        fprintf(stderr, "tern-migrate: --jobs 1..256, --retries 0..30, --part-size 5M..5G, "
                        "sizes like 64M\n");
        return 2;
    }
    const char *bk = dst + 5;
    size_t bl = strcspn(bk, "/");
    if (bl < 3 || bl >= sizeof j->bucket) {
        fprintf(stderr, "tern-migrate: bad bucket name in %s\n", dst);
        return 2;
    }
    memcpy(j->bucket, bk, bl);
    j->bucket[bl] = '\0';
    snprintf(j->prefix, sizeof j->prefix, "%s", bk[bl] == '/' ? bk + bl + 1 : "");
    mg_prefix_norm(j->prefix);
    j->map.prefix = j->prefix;
    if (j->acl != NULL && strcmp(j->acl, "private") != 0 && strcmp(j->acl, "public-read") != 0 &&
        strcmp(j->acl, "authenticated-read") != 0 && strcmp(j->acl, "bucket-owner-read") != 0 &&
        strcmp(j->acl, "bucket-owner-full-control") != 0) {
        fprintf(stderr, "tern-migrate: --acl private, public-read, authenticated-read, "
                        "bucket-owner-read or bucket-owner-full-control\n");
        return 2;
    }
    if (j->map.include_themes && !j->map.ghost) {
        fprintf(stderr, "tern-migrate: --include-themes goes with --ghost\n");
        return 2;
    }
    const char *why = NULL;
    if (mg_creds_load(profile, &j->creds, &why) != 0) {
        fprintf(stderr, "tern-migrate: %s\n", why);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        fprintf(stderr, "tern-migrate: curl_global_init failed\n");
        return 1;
    }

    double t0 = now_s();
    if (mg_walk(j->src, &j->map, &j->list) != 0) {
        fprintf(stderr, "tern-migrate: %s: %s\n", j->src, strerror(errno));
        return 1;
    }
    size_t n = j->list.n;
    j->keys = calloc(n ? n : 1, sizeof *j->keys);
    j->state = calloc(n ? n : 1, 1);
    j->why = calloc(n ? n : 1, sizeof *j->why);
    j->order = calloc(n ? n : 1, sizeof *j->order);
    if (!j->keys || !j->state || !j->why || !j->order) {
        fprintf(stderr, "tern-migrate: out of memory\n");
        return 1;
    }
    size_t n_skip = 0, n_fail_walk = 0;
    for (size_t i = 0; i < n; i++) {
        mg_entry_t *e = &j->list.v[i];
        if (e->kind == MG_ENT_SKIP) {
            j->state[i] = ST_SKIP;
            snprintf(j->why[i], sizeof j->why[i], "%s", e->why);
            n_skip++;
        } else if (e->kind == MG_ENT_FAIL) {
            j->state[i] = ST_FAIL;
            snprintf(j->why[i], sizeof j->why[i], "%s", e->why);
            n_fail_walk++;
        } else {
            char key[MG_KEY_MAX + 1];
            const char *mwhy = NULL;
            if (mg_map_key(&j->map, e->rel, key, sizeof key, &mwhy) != 0) {
                j->state[i] = ST_SKIP;
                snprintf(j->why[i], sizeof j->why[i], "%s", mwhy);
                n_skip++;
                continue;
            }
            j->keys[i] = strdup(key);
            if (j->keys[i] == NULL) {
                fprintf(stderr, "tern-migrate: out of memory\n");
                return 1;
            }
            j->order[j->n_order++] = i;
            j->bytes_total += e->size;
        }
    }
    atomic_fetch_add(&j->n_failed, n_fail_walk);
    qsort_r(j->order, j->n_order, sizeof *j->order, compare_order, j);
    int tty = isatty(STDERR_FILENO);
    fprintf(stderr, "tern-migrate: %zu files (%" PRIu64 " bytes) to %s %s/%s%s%s, %d jobs\n",
            j->n_order, j->bytes_total,
            j->verify    ? "verify against"
            : j->dry_run ? "check against"
                         : "copy to",
            j->endpoint, j->bucket, j->prefix[0] ? "/" : "", j->prefix, j->jobs);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    pthread_mutex_init(&j->up_lock, NULL);
    if (sem_init(&j->part_slots, 0, (unsigned)j->jobs) != 0) {
        fprintf(stderr, "tern-migrate: sem_init: %s\n", strerror(errno));
        return 1;
    }
    if (!j->verify && j->n_order > 0) {
        /* what the bucket holds already: one LIST per 1,000 keys instead of a HEAD per file,
         * and the multipart uploads a rerun can resume */
        mg_conn_t lc;
        mg_resp_t lr = {0};
        char lerr[300];
        if (mg_conn_init(&lc, j->endpoint, j->creds.access_key, j->creds.secret, j->region,
                         &j->stop, NULL, &why) != 0) {
            fprintf(stderr, "tern-migrate: %s\n", why);
            return 2;
        }
        if (list_objects(j, &lc, &lr, lerr, sizeof lerr) == 0) {
            j->have_listing = 1;
        } else {
            mg_objs_free(&j->remote);
            fprintf(stderr,
                    "tern-migrate: cannot list the bucket (%s): checking each key "
                    "with a HEAD\n",
                    lerr);
        }
        int any_mp = 0;
        for (size_t k = 0; k < j->n_order && !any_mp; k++)
            any_mp = j->list.v[j->order[k]].size > j->mp_threshold;
        if (any_mp && !j->dry_run && list_uploads(j, &lc, &lr, lerr, sizeof lerr) != 0) {
            mg_uploads_free(&j->uploads);
            fprintf(stderr,
                    "tern-migrate: cannot list multipart uploads (%s): large files "
                    "start over\n",
                    lerr);
        }
        mg_resp_free(&lr);
        mg_conn_free(&lc);
    }
    int nw = j->jobs;
    worker_t *ws = calloc((size_t)nw, sizeof *ws);
    pthread_t *th = calloc((size_t)nw, sizeof *th);
    uint8_t *joined = calloc((size_t)nw, 1);
    if (ws == NULL || th == NULL || joined == NULL) {
        fprintf(stderr, "tern-migrate: out of memory\n");
        return 1;
    }
    int started = 0;
    for (int k = 0; k < nw; k++) {
        ws[k].j = j;
        ws[k].buf = malloc(READ_BUF);
        if (ws[k].buf == NULL ||
            mg_conn_init(&ws[k].conn, j->endpoint, j->creds.access_key, j->creds.secret, j->region,
                         &j->stop, &j->progress, &why) != 0) {
            fprintf(stderr, "tern-migrate: %s\n", ws[k].buf ? why : "out of memory");
            return 2;
        }
        if (pthread_create(&th[k], NULL, worker_main, &ws[k]) != 0) {
            fprintf(stderr, "tern-migrate: pthread_create failed\n");
            break;
        }
        started++;
    }
    if (started == 0)
        return 1;

    /* progress until the workers are done */
    double last_plain = now_s();
    int width = 80;
    struct winsize wsz;
    if (tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &wsz) == 0 && wsz.ws_col >= 40)
        width = wsz.ws_col;
    while (atomic_load(&j->files_done) < j->n_order) {
        struct timespec ts = {0, 250 * 1000000L};
        nanosleep(&ts, NULL);
        if (atomic_load(&g_signal) != 0 && !atomic_load(&j->stop)) {
            atomic_store(&j->stop, 1);
            fprintf(stderr, "\ntern-migrate: interrupted, stopping (a rerun resumes)\n");
        }
        if (atomic_load(&j->stop)) {
            /* workers stop picking files; wait for those in flight */
            int all = 1;
            for (int k = 0; k < started; k++) {
                if (joined[k])
                    continue;
                if (pthread_tryjoin_np(th[k], NULL) == EBUSY)
                    all = 0;
                else
                    joined[k] = 1;
            }
            if (all)
                break;
        }
        mg_prog_t p = {.files_done = atomic_load(&j->files_done),
                       .files_total = j->n_order,
                       .bytes_done = atomic_load(&j->progress),
                       .bytes_total = j->bytes_total,
                       .failed = atomic_load(&j->n_failed),
                       .elapsed = now_s() - t0};
        char line[256];
        if (tty) {
            mg_progress_line(&p, 1, width, line, sizeof line);
            fprintf(stderr, "\r%s\033[K", line);
        } else if (now_s() - last_plain >= j->progress_interval) {
            mg_progress_line(&p, 0, 0, line, sizeof line);
            fprintf(stderr, "%s\n", line);
            last_plain = now_s();
        }
    }
    if (tty)
        fprintf(stderr, "\n");
    for (int k = 0; k < started; k++)
        if (!joined[k])
            pthread_join(th[k], NULL);
    for (int k = 0; k < nw; k++) {
        mg_conn_free(&ws[k].conn);
        mg_resp_free(&ws[k].resp);
        free(ws[k].buf);
    }
    free(ws);
    free(th);
    free(joined);

    /* the report */
    double dur = now_s() - t0;
    int interrupted = atomic_load(&j->stop);
    uint64_t not_done = 0, would = 0;
    for (size_t i = 0; i < n; i++) {
        if (j->state[i] == ST_SKIP) {
            printf("skipped: %s: %s\n", j->list.v[i].rel, j->why[i]);
        } else if (j->state[i] == ST_FAIL) {
            printf("failed: %s: %s\n", j->list.v[i].rel, j->why[i]);
        } else if (j->state[i] == ST_WOULD_SEND) {
            would++;
            printf("would transfer: %s -> %s (%" PRIu64 " bytes)\n", j->list.v[i].rel, j->keys[i],
                   j->list.v[i].size);
        } else if (j->state[i] == ST_PENDING && j->keys[i] != NULL) {
            not_done++;
        }
    }
    char hb[16];
    uint64_t bs = atomic_load(&j->bytes_sent);
    mg_human_bytes(bs, hb);
    uint64_t n_failed = atomic_load(&j->n_failed);
    printf("tern-migrate %s: %.1f s\n",
           j->verify    ? "verify"
           : j->dry_run ? "dry run"
                        : "report",
           dur);
    if (j->verify) {
        printf("verified: %" PRIu64 " objects match\n", (uint64_t)atomic_load(&j->n_same));
    } else {
        printf("transferred: %" PRIu64 " files, %" PRIu64 " bytes (%s), %.1f MiB/s\n",
               (uint64_t)atomic_load(&j->n_sent), bs, hb,
               dur > 0 ? (double)bs / 1048576.0 / dur : 0.0);
        printf("already present: %" PRIu64 " files\n", (uint64_t)atomic_load(&j->n_same));
        if (j->dry_run)
            printf("would transfer: %" PRIu64 " files\n", would);
    }
    printf("skipped: %zu entries\n", n_skip);
    printf("failed: %" PRIu64 "\n", n_failed);
    printf("requests: %" PRIu64 " PUT (objects and parts), %" PRIu64 " HEAD, %" PRIu64 " retried\n",
           (uint64_t)atomic_load(&j->n_puts), (uint64_t)atomic_load(&j->n_heads),
           (uint64_t)atomic_load(&j->n_retries));
    if (!j->verify)
        printf("sent: %" PRIu64 " bytes of object and part bodies\n",
               (uint64_t)atomic_load(&j->bytes_body));
    if (atomic_load(&j->n_resumed) > 0 || atomic_load(&j->n_aborted) > 0)
        printf("resumed: %" PRIu64 " multipart uploads, %" PRIu64 " parts (%" PRIu64
               " bytes) already there; %" PRIu64 " stale uploads aborted\n",
               (uint64_t)atomic_load(&j->n_resumed), (uint64_t)atomic_load(&j->parts_resumed),
               (uint64_t)atomic_load(&j->bytes_resumed), (uint64_t)atomic_load(&j->n_aborted));
    if (interrupted)
        printf("interrupted: %" PRIu64 " files not done (run again to resume)\n", not_done);
    fflush(stdout);
    for (size_t i = 0; i < n; i++)
        free(j->keys[i]);
    free(j->keys);
    free(j->state);
    free(j->why);
    free(j->order);
    mg_objs_free(&j->remote);
    mg_uploads_free(&j->uploads);
    pthread_mutex_destroy(&j->up_lock);
    sem_destroy(&j->part_slots);
    mg_list_free(&j->list);
    curl_global_cleanup();
    if (interrupted)
        return 130;
    return n_failed > 0 ? 1 : 0;
}
