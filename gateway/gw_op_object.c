/* gw_op_object.c — PutObject, GetObject, HeadObject, DeleteObject on single-part objects
 * (head rows encoded by gw_objmeta.h, buckets by gw_bucket.h).
 *
 * PUT: the body's MD5 (the ETag) is computed, and Content-MD5 / x-amz-checksum-* checked, by
 * the payload stage (gw_payload.h, r->body_md5) — for large HTTP/1 bodies while the chunks
 * are written (early dispatch): the head row waits for its verdict. Objects up to osd.inline_max
 * bytes go inline in the head row; larger ones are cut in GW_OBJMETA_CHUNK (4 MiB) chunks, each
 * copied out of the request body (so a client that goes away cannot free memory a replica
 * request still sends from) on the loop in PUT_SLICE (1 MiB) slices, one per loop turn (bounded
 * work per step), written with gw_cl_blob_put, at most PUT_INFLIGHT at once; a chunk copy's
 * bytes come from the loop thread's chunk budget (gw_budget.h) from before its malloc until its
 * write reached quorum (lagging replicas' copies are bounded by GW_CL_PUT_LAG_TOTAL): with the
 * budget spent the PUT waits (back-pressure), so concurrent large PUTs share a bounded amount
 * of memory, and a frozen OSD (needed by no quorum) cannot hold the budget; the head row is
 * written (gw_cl_row_put PUT) only after every chunk reached quorum. Before the first chunk the
 * intent row (gw_intent.h) names the data vid, so a failure after it leaves only blobs the
 * OSDs' garbage collector reclaims; a PUT whose intent expired fails (503) instead of writing
 * its head row.
 * GET: the head row by quorum read, then the data: inline from the row, or streamed chunk piece by
 * piece (GW_GET_PIECE bytes per blob read) into an h2o generator through a ring of GET_AHEAD piece
 * buffers: the next piece is read from the OSDs while the previous one is written to the client
 * (one read in flight; a read starts only into a free buffer, so at most GET_AHEAD pieces are
 * held: back-pressure from the client's socket). Strictly alternating read and write made a
 * 32 MiB GET 32 serial round trips (docs/BENCHMARKS.md, "One large PUT and GET"). A failure
 * after the response started can only abort it (H2O_SEND_STATE_ERROR, sent once h2o gave back
 * the buffer it was writing: the client sees a short body).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "tn_endian.h"
#include "tn_hex.h"
#include "tn_log.h"
#include "tn_time.h"
#include "s3_checksum.h"
#include "s3_copy.h"
#include "s3_etag.h"
#include "s3_range.h"
#include "gw_bucket.h"
#include "gw_objhead.h"
#include "gw_objmeta.h"
#include "gw_acl_check.h"
#include "gw_intent.h"
#include "gw_ops.h"
#include "gw_payload.h"
#include "gw_server.h"

#define PUT_INFLIGHT 4
#define PUT_SLICE    (1u << 20) /* body bytes copied per loop turn */
#define GET_AHEAD    2          /* piece buffers per GET: one being written, one being read */
/* AWS answers MetadataTooLarge; s3_error has no such entry yet (InvalidArgument instead). */
#define META_TOO_LARGE "Your metadata headers exceed the maximum allowed metadata size"

static tn_slice_t req_header(gw_req_t *r, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&r->req->headers, name, strlen(name), -1);
    if (i < 0)
        return (tn_slice_t){NULL, 0};
    h2o_iovec_t v = r->req->headers.entries[i].value;
    return (tn_slice_t){v.base, v.len};
}

/* Chunk `part` of the data named vid: blob (vid, part) in pool "data",
 * pg = pl_object_pg(data pool, vid || le32(part)). TN_OK or gw_bucket_place's error. */
static int data_ref(tn_blobref_t *ref, const uint8_t vid[16], uint32_t part, gw_server_t *s)
{
    uint8_t name[20];
    memcpy(name, vid, 16);
    tn_put_le32(name + 16, part);
    memset(ref, 0, sizeof *ref);
    int rc = gw_bucket_place(s, "data", name, sizeof name, &ref->pool, &ref->pg);
    memcpy(ref->version, vid, 16);
    ref->part = part;
    return rc;
}

/* ---- PutObject ---- */

typedef struct put put_t;
typedef struct {
    put_t *p;
    uint8_t *buf;
    uint32_t idx;
    size_t len, fill; /* chunk bytes; bytes copied and hashed so far */
} put_chunk_t;

struct put {
    gw_opref_t o;
    uint64_t bucket_id; /* not the 25 KiB record: zeroing and copying it was ~25 % of a 4 KiB PUT */
    gw_objmeta_t m;
    uint32_t next, done, inflight, released;
    int failed;
    int head_started;
    uint64_t intent_deadline_ms; /* chunked: its intent's deadline (gw_intent.h) */
    put_chunk_t *cur;            /* the chunk being copied, not yet sent */
    h2o_timeout_entry_t te;
    gw_thread_t *thread;   /* the loop thread: chunk buffers (gw_thread_chunk_get) */
    gw_budget_t *budget;   /* the loop thread's chunk budget */
    gw_budget_wait_t wait; /* queued for budget (holds a reference) */
    size_t granted;        /* bytes taken for the next chunk, not yet allocated */
};

static void put_cleanup(void *self)
{
    put_t *p = self;
    if (p->cur != NULL) {
        gw_thread_chunk_put(p->thread, p->cur->buf, p->cur->len);
        gw_budget_give(p->budget, p->cur->len);
        free(p->cur);
    }
    if (p->granted > 0)
        gw_budget_give(p->budget, p->granted);
}

static void put_write_head(put_t *p);
static void put_pump(put_t *p);

static void on_chunk_released(void *arg)
{
    put_chunk_t *c = arg;
    put_t *p = c->p;
    gw_thread_chunk_put(p->thread, c->buf, c->len);
    free(c);
    p->released++;
    gw_opref_done(p);
}

static void on_chunk_written(void *arg, int err)
{
    put_chunk_t *c = arg;
    put_t *p = c->p;
    p->inflight--;
    p->done++;
    gw_budget_give(p->budget, c->len); /* lagging replicas: GW_CL_PUT_LAG_TOTAL bounds them */
    if (err != 0 && !p->failed) {
        p->failed = 1;
        if (p->o.r != NULL) {
            tn_log_warn("msg=\"PutObject: chunk write failed\" err=%d", err);
            gw_send_cluster_error(p->o.r, err);
        }
    }
    if (!p->failed)
        put_pump(p);
}

static void on_pump_tick(h2o_timeout_entry_t *te)
{
    put_t *p = H2O_STRUCT_FROM_MEMBER(put_t, te, te);
    put_pump(p);
    gw_opref_done(p);
}

/* The budget granted the next chunk's bytes (maybe inside gw_budget_give): pump next turn. */
static void on_put_budget(gw_budget_wait_t *w)
{
    put_t *p = H2O_STRUCT_FROM_MEMBER(put_t, wait, w);
    if (p->o.r == NULL || p->failed) {
        gw_budget_give(p->budget, w->want); /* nothing more will be sent */
    } else {
        p->granted = w->want;
        if (!h2o_timeout_is_linked(&p->te)) {
            p->o.refs++;
            p->te.cb = on_pump_tick;
            h2o_timeout_link(p->o.r->thread->loop, &p->o.r->thread->zero_timeout, &p->te);
        }
    }
    gw_opref_done(p); /* the wait's reference; cleanup gives the bytes back if unused */
}

/* Starts chunks while fewer than PUT_INFLIGHT are in flight; one chunk's copy and MD5 per loop
 * turn; the head row once every chunk is written. */
static void put_pump(put_t *p)
{
    if (p->failed || p->head_started)
        return;
    if (p->o.r == NULL) {
        p->failed = 1;
        return;
    }
    if (p->done == p->m.chunk_count) {
        put_write_head(p);
        return;
    }
    if (h2o_timeout_is_linked(&p->te))
        return;
    gw_req_t *r = p->o.r;
    if (p->cur == NULL) {
        if (p->next == p->m.chunk_count || p->inflight >= PUT_INFLIGHT)
            return;
        if (!gw_intent_valid(p->intent_deadline_ms)) {
            p->failed = 1;
            gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The write took too long");
            return;
        }
        uint64_t off = (uint64_t)p->next * p->m.chunk_size;
        size_t len = (size_t)TN_MIN((uint64_t)p->m.chunk_size, p->m.size - off);
        if (p->wait.queued)
            return; /* on_put_budget pumps again */
        if (p->granted == 0) {
            p->o.refs++; /* the wait's, or dropped at once */
            if (!gw_budget_take(p->budget, len, &p->wait))
                return; /* on_put_budget pumps again */
            p->granted = len;
            p->o.refs--;
        }
        put_chunk_t *c = calloc(1, sizeof *c);
        uint8_t *buf = gw_thread_chunk_get(p->thread, len);
        if (c == NULL || buf == NULL) {
            free(c);
            gw_thread_chunk_put(p->thread, buf, len);
            p->failed = 1;
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
            return;
        }
        p->granted = 0; /* the chunk owns the bytes now */
        c->p = p;
        c->buf = buf;
        c->idx = p->next++;
        c->len = len;
        p->cur = c;
    }
    /* copy at most PUT_SLICE bytes per loop turn */
    put_chunk_t *c = p->cur;
    size_t n = TN_MIN((size_t)PUT_SLICE, c->len - c->fill);
    const char *src = r->body.base + (uint64_t)c->idx * p->m.chunk_size + c->fill;
    memcpy(c->buf + c->fill, src, n);
    c->fill += n;
    if (c->fill == c->len) {
        p->cur = NULL;
        tn_blobref_t ref;
        int rc = data_ref(&ref, p->m.data_vid, c->idx, r->thread->server);
        p->o.refs++; /* released by on_chunk_released */
        p->inflight++;
        if (rc == TN_OK)
            rc = gw_cl_blob_put(r->thread->osd, &ref, c->buf, c->len, on_chunk_written,
                                on_chunk_released, c);
        if (rc != 0) {
            p->inflight--;
            gw_thread_chunk_put(p->thread, c->buf, c->len);
            gw_budget_give(p->budget, c->len);
            free(c);
            p->o.refs--;
            p->failed = 1;
            gw_send_cluster_error(r, rc);
            return;
        }
    }
    if (p->cur == NULL && (p->next == p->m.chunk_count || p->inflight >= PUT_INFLIGHT))
        return; /* on_chunk_written pumps again */
    p->o.refs++;
    p->te.cb = on_pump_tick;
    h2o_timeout_link(r->thread->loop, &r->thread->zero_timeout, &p->te);
}

static void on_head_written(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    put_t *p = arg;
    gw_req_t *r = p->o.r;
    if (r != NULL) {
        if (err != 0) {
            gw_send_cluster_error(r, err);
        } else {
            char etag[S3_ETAG_MAX];
            size_t elen = s3_etag_format(p->m.md5, 0, etag);
            gw_req_add_header(r, "etag", etag, elen);
            if (p->m.cksum_alg != S3_CKSUM_NONE) { /* S3 echoes the verified checksum */
                char ck[S3_CKSUM_MAX_TEXT];
                size_t n = s3_checksum_text(p->m.cksum, s3_checksum_size(p->m.cksum_alg), 0, ck);
                gw_req_add_header(r, s3_checksum_header(p->m.cksum_alg), ck, n);
            }
            gw_req_send(r, 200, NULL, "", 0);
        }
    }
    gw_opref_done(p);
}

static void put_head_row(put_t *p);

/* The payload stage's verdict on the body (gw_payload_await): its digests into the head row,
 * or its error. */
static void put_verdict(put_t *p, const s3_why_t *why)
{
    gw_req_t *r = p->o.r;
    if (why->err != S3_OK) {
        gw_req_send_error(r, why->err, s3_why_message(why));
        return;
    }
    gw_objmeta_t *m = &p->m;
    memcpy(m->md5, r->body_md5, 16); /* always computed for PutObject */
    if (r->cksum_alg != S3_CKSUM_NONE && r->cksum_alg != S3_CKSUM_MD5) {
        m->cksum_alg = r->cksum_alg;
        m->cksum_type = GW_CKTYPE_FULL_OBJECT;
        memcpy(m->cksum, r->cksum, s3_checksum_size(r->cksum_alg));
    }
    put_head_row(p);
}

static void on_put_verdict(void *arg, const s3_why_t *why)
{
    put_t *p = arg;
    if (why != NULL && p->o.r != NULL)
        put_verdict(p, why);
    gw_opref_done(p); /* the wait's reference */
}

/* Every chunk is written (or the object is inline): once the body's digests are known
 * (early dispatch, gw_payload.h), the head row. */
static void put_write_head(put_t *p)
{
    p->head_started = 1;
    s3_why_t why;
    p->o.refs++; /* the wait's, or dropped at once */
    if (!gw_payload_await(p->o.r, on_put_verdict, p, &why))
        return;
    p->o.refs--;
    put_verdict(p, &why);
}

static void put_head_row(put_t *p)
{
    gw_req_t *r = p->o.r;
    if (!p->m.is_inline && !gw_intent_valid(p->intent_deadline_ms)) {
        /* rule 1: after its intent's expiry the GC may already be deleting these blobs */
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The write took too long");
        return;
    }
    size_t vlen = gw_objmeta_encoded_len(&p->m);
    uint8_t *val = h2o_mem_alloc_pool(&r->req->pool, vlen);
    if (gw_objmeta_encode(&p->m, val, vlen) < 0 || vlen > TN_ROW_MAX_VALUE) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT, META_TOO_LARGE);
        return;
    }
    uint32_t pool, pg;
    int rc = gw_bucket_index_pg(r->thread->server, p->bucket_id, &pool, &pg);
    tn_row_t row = {.pool = pool,
                    .pg = pg,
                    .ns = p->bucket_id,
                    .key = (const uint8_t *)r->route.key.base,
                    .key_len = r->route.key.len,
                    .value = val,
                    .value_len = vlen};
    if (p->m.is_inline) {
        row.inl = (const uint8_t *)r->body.base;
        row.inl_len = r->body.len;
    }
    gw_random(row.ver.vid, sizeof row.ver.vid);
    if (rc == TN_OK) {
        p->o.refs++;
        rc = gw_cl_row_put(r->thread->osd, pool, pg, &row, TN_PROTO_ROW_PUT, on_head_written, p);
        if (rc != 0)
            p->o.refs--;
    }
    if (rc != 0)
        gw_send_cluster_error(r, rc);
}

static const char *const stored_headers[5] = {"content-type", "cache-control",
                                              "content-disposition", "content-encoding", "expires"};

static tn_slice_t *stored_field(gw_objmeta_t *m, int i)
{
    tn_slice_t *f[5] = {&m->content_type, &m->cache_control, &m->content_disposition,
                        &m->content_encoding, &m->expires};
    return f[i];
}

/* x-amz-tagging (s3_copy.h) into m; 0, or -1 when answered (InvalidTag). */
static int put_tags(gw_req_t *r, gw_objmeta_t *m)
{
    tn_slice_t tg = req_header(r, "x-amz-tagging");
    if (tg.base == NULL)
        return 0;
    s3_tag_t tags[S3_TAGS_MAX_OBJECT];
    s3_why_t why = {0};
    size_t n = 0;
    char *work = h2o_mem_alloc_pool(&r->req->pool, tg.len + 1);
    if (s3_tagging_header_parse(tg.base, tg.len, tags, S3_TAGS_MAX_OBJECT, &n, work, tg.len + 1,
                                &why) != S3_OK) {
        const char *msg = s3_why_message(&why);
        char *pm = h2o_mem_alloc_pool(&r->req->pool, strlen(msg) + 1);
        memcpy(pm, msg, strlen(msg) + 1);
        gw_req_send_error(r, why.err, pm);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        m->tags[i].name = tags[i].key;
        m->tags[i].value = tags[i].value;
    }
    m->n_tags = n;
    return 0;
}

static void on_put_intent(void *arg, int err)
{
    put_t *p = arg;
    if (p->o.r != NULL) {
        if (err != 0)
            gw_send_cluster_error(p->o.r, err);
        else
            put_pump(p);
    }
    gw_opref_done(p);
}

static void put_start(put_t *p)
{
    gw_req_t *r = p->o.r;
    gw_server_t *s = r->thread->server;
    gw_objmeta_t *m = &p->m;
    m->size = r->body.len;
    m->mtime_ms = gw_now_ms();
    s3_err_t me = gw_objhead_from_request(r, m);
    m->content_encoding = r->content_encoding; /* without aws-chunked (gw_payload.h) */
    if (me != S3_OK) {
        gw_req_send_error(r, me, NULL);
        gw_opref_done(p);
        return;
    }
    if (put_tags(r, m) != 0) {
        gw_opref_done(p);
        return;
    }
    if (m->size <= s->conf->osd.inline_max && m->size <= TN_ROW_MAX_INLINE) {
        m->is_inline = 1;
        put_write_head(p);
    } else {
        m->chunk_size = GW_OBJMETA_CHUNK;
        m->chunk_count = (uint32_t)((m->size + GW_OBJMETA_CHUNK - 1) / GW_OBJMETA_CHUNK);
        gw_random(m->data_vid, sizeof m->data_vid);
        gw_intent_t in = {.bucket_id = p->bucket_id,
                          .key = {r->route.key.base, r->route.key.len},
                          .vid = m->data_vid,
                          .size = m->size,
                          .chunk_size = m->chunk_size};
        p->o.refs++;
        int rc = gw_intent_write(r->thread, &in, &p->intent_deadline_ms, on_put_intent, p);
        if (rc != 0) {
            p->o.refs--;
            gw_send_cluster_error(r, rc);
        }
    }
    gw_opref_done(p); /* the lookup's reference */
}

static void on_put_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    put_t *p = arg;
    if (p->o.r == NULL) {
        gw_opref_done(p);
        return;
    }
    if (err != 0) {
        gw_bucket_send_lookup_error(p->o.r, err);
        gw_opref_done(p);
        return;
    }
    p->bucket_id = rec->id;
    gw_acl_check_cors(p->o.r, rec);
    s3_why_t why = {S3_OK, ""};
    int present;
    if (gw_acl_check_headers(p->o.r, rec->owner, 1, &p->m.acl, &present, &why) != S3_OK) {
        gw_req_send_error(p->o.r, why.err, s3_why_message(&why));
        gw_opref_done(p);
        return;
    }
    put_start(p);
}

void gw_op_put_object(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    if (r->body.len > r->thread->server->conf->gateway.max_object_size) {
        gw_req_send_error(r, S3_ERR_ENTITY_TOO_LARGE, NULL);
        return;
    }
    put_t *p = gw_opref_new(r, sizeof *p);
    if (p == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    p->o.cleanup = put_cleanup;
    p->thread = r->thread;
    p->budget = &r->thread->chunk_budget;
    p->wait.granted = on_put_budget;
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                              on_put_bucket, p);
    if (rc == 1) {
        on_put_bucket(p, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(p);
    }
}

/* ?versionId= on an unversioned bucket: "null" is the current object (1); an id shaped like an
 * S3 version id (1..1024 characters of A-Z a-z 0-9 . _ -) names no version tern has
 * (NoSuchVersion: 0 with *err set); anything else is InvalidArgument. No parameter: 1. */
static int version_ok(gw_req_t *r, s3_err_t *err)
{
    const s3_param_t *p = s3_route_param(&r->route, "versionId");
    if (p == NULL || (p->value.len == 4 && memcmp(p->value.base, "null", 4) == 0))
        return 1;
    int shaped = p->value.len > 0 && p->value.len <= 1024;
    for (size_t i = 0; shaped && i < p->value.len; i++) {
        char c = p->value.base[i];
        shaped = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    }
    *err = shaped ? S3_ERR_NO_SUCH_VERSION : S3_ERR_INVALID_ARGUMENT;
    return 0;
}

/* ---- GetObject / HeadObject ---- */

typedef struct {
    gw_opref_t o;
    h2o_generator_t gen;
    gw_thread_t *thread; /* the loop thread: piece buffers (gw_thread_piece_get) */
    gw_objmeta_t *m;     /* the decoded head row, from malloc() (not zeroed: decode sets it) */
    uint8_t *val;        /* copy of the row's value: m's slices point here */
    uint8_t *tbl;        /* copy of a multipart object's part table (the row's inline field) */
    uint32_t part;       /* ?partNumber= (0: none) */
    uint64_t pos, end;   /* next byte handed to h2o, one past the last */
    uint64_t read_pos;   /* next byte to read from the OSDs */
    /* ring of piece buffers: n_full from head on hold data (the head one is with h2o while
     * sending); the one after them is being read while reading */
    uint8_t *bufs[GET_AHEAD];
    size_t lens[GET_AHEAD];
    uint32_t head, n_full;
    int reading, sending, failed, error_sent;
    int stopped;
    int acl_decides;  /* anonymous: the object's ACL decides (gw_access.h) */
    gw_acl_who_t who; /* the caller, for that decision */
    int degraded_ok;  /* plain GET/HEAD: R = 1 reads allowed (gw_req_degraded_ok) */
    uint8_t degraded; /* the bucket record came from one replica */
} get_t;

static void get_cleanup(void *self)
{
    get_t *g = self;
    free(g->m);
    free(g->val);
    free(g->tbl);
    for (int i = 0; i < GET_AHEAD; i++)
        gw_thread_piece_put(g->thread, g->bufs[i]);
}

static void get_pump(get_t *g);

static uint32_t read_slot(const get_t *g)
{
    return (g->head + g->n_full) % GET_AHEAD;
}

static void on_piece(void *arg, uint64_t blob_len, uint64_t off, const void *data, size_t len)
{
    (void)blob_len;
    (void)off;
    get_t *g = arg;
    uint32_t s = read_slot(g);
    if (g->lens[s] + len <= GW_GET_PIECE) {
        memcpy(g->bufs[s] + g->lens[s], data, len);
        g->lens[s] += len;
    }
}

static void on_piece_done(void *arg, int err, uint64_t delivered)
{
    (void)delivered;
    get_t *g = arg;
    g->reading = 0;
    if (g->o.r == NULL || g->stopped) {
        gw_opref_done(g);
        return;
    }
    if (err == 0 && g->lens[read_slot(g)] == 0)
        err = TN_ERR_CORRUPT; /* the blob ended before the head row says it does */
    if (err != 0) {
        tn_log_warn("msg=\"GetObject: chunk read failed mid-stream; aborting the response\" "
                    "err=%d",
                    err);
        g->failed = 1;
    } else {
        g->read_pos += g->lens[read_slot(g)];
        g->n_full++;
    }
    get_pump(g);
    gw_opref_done(g);
}

/* Starts reading the next piece into the free buffer after the full ones, if any. */
static void get_read_next(get_t *g)
{
    if (g->reading || g->failed || g->read_pos >= g->end || g->n_full >= GET_AHEAD)
        return;
    gw_req_t *r = g->o.r;
    uint32_t s = read_slot(g);
    if (g->bufs[s] == NULL && (g->bufs[s] = gw_thread_piece_get(g->thread)) == NULL) {
        g->failed = 1;
        return;
    }
    gw_objloc_t loc;
    gw_objmeta_locate(g->m, g->tbl, g->read_pos, &loc);
    uint64_t len = TN_MIN((uint64_t)GW_GET_PIECE, TN_MIN(loc.avail, g->end - g->read_pos));
    tn_blobref_t ref;
    int rc = data_ref(&ref, loc.vid, loc.chunk, r->thread->server);
    g->lens[s] = 0;
    g->reading = 1;
    g->o.refs++;
    if (rc == TN_OK)
        rc = gw_cl_blob_get(r->thread->osd, &ref, loc.coff, len, on_piece, on_piece_done, g);
    if (rc != 0) {
        g->o.refs--;
        g->reading = 0;
        g->failed = 1;
    }
}

/* Keeps one read in flight and hands the oldest full buffer to h2o when it is not writing.
 * A failure aborts the response once h2o holds no buffer of ours. */
static void get_pump(get_t *g)
{
    gw_req_t *r = g->o.r;
    if (r == NULL || g->stopped)
        return;
    get_read_next(g);
    if (g->failed) {
        if (!g->sending && !g->error_sent) {
            g->error_sent = 1;
            h2o_send(r->req, NULL, 0, H2O_SEND_STATE_ERROR);
        }
        return;
    }
    if (g->sending || g->n_full == 0)
        return;
    uint32_t s = g->head;
    g->sending = 1;
    g->pos += g->lens[s];
    h2o_iovec_t v = h2o_iovec_init(g->bufs[s], g->lens[s]);
    h2o_send(r->req, &v, 1, g->pos >= g->end ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

/* h2o wrote the head buffer: free it, send the next, read into it. */
static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    get_t *g = H2O_STRUCT_FROM_MEMBER(get_t, gen, gen);
    if (!g->sending)
        return;
    g->sending = 0;
    g->head = (g->head + 1) % GET_AHEAD;
    g->n_full--;
    get_pump(g);
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    get_t *g = H2O_STRUCT_FROM_MEMBER(get_t, gen, gen);
    g->stopped = 1;
}

static int etag_match(tn_slice_t hdr, const char *etag)
{
    size_t elen = strlen(etag); /* quoted: "hex" or "hex-N" */
    /* comma-separated list of quoted etags or "*" */
    const char *p = hdr.base, *e = hdr.base + hdr.len;
    while (p < e) {
        while (p < e && (*p == ' ' || *p == ','))
            p++;
        const char *q = p;
        while (q < e && *q != ',')
            q++;
        const char *t = q;
        while (t > p && t[-1] == ' ')
            t--;
        size_t n = (size_t)(t - p);
        if ((n == 1 && *p == '*') || (n == elen && memcmp(p, etag, elen) == 0) ||
            (n + 2 == elen && memcmp(p, etag + 1, n) == 0))
            return 1;
        p = q;
    }
    return 0;
}

/* RFC 7232 section 6 order (S3 behaves so): 412 or 304, or 0 to go on. */
static s3_err_t check_conditions(gw_req_t *r, const char *etag, int64_t mtime_s)
{
    tn_slice_t im = req_header(r, "if-match"), inm = req_header(r, "if-none-match");
    tn_slice_t ius = req_header(r, "if-unmodified-since"), ims = req_header(r, "if-modified-since");
    int64_t t;
    if (im.base != NULL) {
        if (!etag_match(im, etag))
            return S3_ERR_PRECONDITION_FAILED;
    } else if (ius.base != NULL && tn_time_parse_http(ius.base, ius.len, &t) == TN_OK &&
               mtime_s > t) {
        return S3_ERR_PRECONDITION_FAILED;
    }
    if (inm.base != NULL) {
        if (etag_match(inm, etag))
            return S3_ERR_NOT_MODIFIED;
    } else if (ims.base != NULL && tn_time_parse_http(ims.base, ims.len, &t) == TN_OK &&
               mtime_s <= t) {
        return S3_ERR_NOT_MODIFIED;
    }
    return S3_OK;
}

static void get_answer(get_t *g, const tn_row_t *row)
{
    gw_req_t *r = g->o.r;
    gw_objmeta_t *m = g->m;
    char etag[48];
    size_t elen = gw_objmeta_etag(m, etag);
    int64_t mtime_s = (int64_t)(m->mtime_ms / 1000);
    s3_err_t ce = check_conditions(r, etag, mtime_s);
    if (ce == S3_ERR_NOT_MODIFIED)
        gw_req_add_header(r, "etag", etag, elen);
    if (ce != S3_OK) {
        gw_req_send_error(r, ce, NULL);
        return;
    }
    tn_slice_t rh = req_header(r, "range");
    s3_range_t rg;
    uint32_t nparts = m->is_multipart ? m->part_count : 1;
    gw_objpart_t pt;
    if (g->part > nparts) {
        gw_req_send_error(r, S3_ERR_INVALID_PART_NUMBER, NULL);
        return;
    }
    if (g->part > 0 && m->is_multipart) {
        /* partNumber: the part as a range of the object */
        gw_objparts_get(g->tbl, g->part - 1, &pt);
        char spec[64];
        int sn = pt.size > 0
                     ? snprintf(spec, sizeof spec, "bytes=%llu-%llu", (unsigned long long)pt.offset,
                                (unsigned long long)(pt.offset + pt.size - 1))
                     : 0;
        s3_range_resolve(sn > 0 ? spec : NULL, (size_t)(sn > 0 ? sn : 0), m->size, &rg);
        char pc[16];
        int pn = snprintf(pc, sizeof pc, "%u", m->part_count);
        gw_req_add_header(r, "x-amz-mp-parts-count", pc, (size_t)pn);
    } else {
        s3_range_resolve(g->part > 0 ? NULL : rh.base, g->part > 0 ? 0 : rh.len, m->size, &rg);
    }
    tn_slice_t cmode = req_header(r, "x-amz-checksum-mode");
    if (cmode.base != NULL && cmode.len == 7 && strncasecmp(cmode.base, "ENABLED", 7) == 0 &&
        m->cksum_alg != S3_CKSUM_NONE && (rg.kind != S3_RANGE_PARTIAL || g->part > 0)) {
        char ck[S3_CKSUM_MAX_TEXT];
        size_t n = 0;
        const char *type = m->cksum_type == GW_CKTYPE_COMPOSITE ? "COMPOSITE" : "FULL_OBJECT";
        if (g->part > 0 && m->is_multipart && m->cksum_type == GW_CKTYPE_COMPOSITE)
            n = s3_checksum_text(pt.cksum, s3_checksum_size(m->cksum_alg), 0, ck);
        else if (g->part == 0 || !m->is_multipart)
            n = s3_checksum_text(m->cksum, s3_checksum_size(m->cksum_alg),
                                 m->cksum_type == GW_CKTYPE_COMPOSITE ? m->part_count : 0, ck);
        if (n > 0) {
            gw_req_add_header(r, s3_checksum_header(m->cksum_alg), ck, n);
            gw_req_add_header(r, "x-amz-checksum-type", type, strlen(type));
        }
    }
    char cr[S3_RANGE_CR_MAX];
    if (rg.kind == S3_RANGE_UNSATISFIABLE) {
        size_t n = s3_range_content_range(&rg, m->size, cr, sizeof cr);
        gw_req_add_header(r, "content-range", cr, n);
        gw_req_send_error(r, S3_ERR_INVALID_RANGE, NULL);
        return;
    }
    uint64_t start = rg.kind == S3_RANGE_PARTIAL ? rg.start : 0;
    uint64_t len = rg.kind == S3_RANGE_PARTIAL ? rg.length : m->size;
    int status = rg.kind == S3_RANGE_PARTIAL ? 206 : 200;
    if (status == 206) {
        size_t n = s3_range_content_range(&rg, m->size, cr, sizeof cr);
        gw_req_add_header(r, "content-range", cr, n);
    }
    gw_req_add_header(r, "etag", etag, elen);
    char lm[TN_TIME_HTTP_LEN + 1];
    tn_time_format_http(mtime_s, lm);
    gw_req_add_header(r, "last-modified", lm, TN_TIME_HTTP_LEN);
    gw_req_add_header(r, "accept-ranges", "bytes", 5);
    if (m->n_tags > 0) {
        char tc[8];
        int tn = snprintf(tc, sizeof tc, "%zu", m->n_tags);
        gw_req_add_header(r, "x-amz-tagging-count", tc, (size_t)tn);
    }
    for (int i = 1; i < 5; i++) {
        tn_slice_t *f = stored_field(m, i);
        if (f->len > 0)
            gw_req_add_header(r, stored_headers[i], f->base, f->len);
    }
    for (size_t i = 0; i < m->n_meta; i++) {
        char name[300];
        int n = snprintf(name, sizeof name, "x-amz-meta-%.*s", (int)m->meta[i].name.len,
                         m->meta[i].name.base);
        if (n > 0 && (size_t)n < sizeof name) {
            for (char *c = name; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c - 'A' + 'a');
            gw_req_add_header(r, name, m->meta[i].value.base, m->meta[i].value.len);
        }
    }
    const char *ct = m->content_type.len > 0 ? NULL : "binary/octet-stream";
    if (ct == NULL) {
        char *c = h2o_mem_alloc_pool(&r->req->pool, m->content_type.len + 1);
        memcpy(c, m->content_type.base, m->content_type.len);
        c[m->content_type.len] = '\0';
        ct = c;
    }
    if (m->is_inline) {
        if (row->inl_len != m->size) {
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, "Inline data does not match its size");
            return;
        }
        gw_req_send(r, status, ct, len > 0 ? (const void *)(row->inl + start) : "", (size_t)len);
        return;
    }
    /* the first piece buffer before the status line, so running out of memory is a 500 */
    if (!r->is_head && len > 0 && (g->bufs[0] = gw_thread_piece_get(g->thread)) == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct,
                   strlen(ct));
    r->req->res.content_length = (size_t)len;
    g->pos = g->read_pos = start;
    g->end = start + len;
    g->gen.proceed = on_proceed;
    g->gen.stop = on_stop;
    gw_req_start_response(r, status, &g->gen);
    if (r->is_head || len == 0) {
        h2o_send(r->req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    get_pump(g);
}

static void on_get_row(void *arg, int err, const tn_row_t *row)
{
    get_t *g = arg;
    gw_req_t *r = g->o.r;
    if (r != NULL && g->acl_decides) {
        /* a missing key is denied like a private object: anonymous callers cannot probe */
        gw_acl_t acl = GW_ACL_PRIVATE;
        if (err == 0 && !(row->flags & TN_ROW_TOMBSTONE)) {
            gw_objmeta_t m;
            if (gw_objmeta_decode(row->value, row->value_len, &m) == TN_OK)
                acl = m.acl;
        }
        if ((err == 0 || err == TN_ERR_NOT_FOUND) && !gw_acl_check_object(r, g->who, acl))
            r = NULL; /* answered */
    }
    if (r != NULL) {
        if (err == TN_ERR_NOT_FOUND || (err == 0 && (row->flags & TN_ROW_TOMBSTONE))) {
            gw_req_send_error(r, S3_ERR_NO_SUCH_KEY, NULL);
        } else if (err != 0) {
            gw_send_cluster_error(r, err);
        } else if ((g->val = malloc(row->value_len + 1)) == NULL ||
                   (g->m = malloc(sizeof *g->m)) == NULL) {
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        } else {
            memcpy(g->val, row->value, row->value_len);
            int drc = gw_objmeta_decode(g->val, row->value_len, g->m);
            if (drc == TN_OK && g->m->is_multipart) {
                if ((g->tbl = malloc(row->inl_len + 1)) == NULL)
                    drc = -ENOMEM;
                else
                    memcpy(g->tbl, row->inl, row->inl_len);
                if (drc == TN_OK)
                    drc = gw_objparts_check(g->m, g->tbl, row->inl_len);
            }
            if (drc != TN_OK) {
                tn_log_error("msg=\"undecodable object head row\"");
                gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
            } else {
                get_answer(g, row);
            }
        }
    }
    gw_opref_done(g);
}

static void on_get_row_degraded(void *arg, int err, const tn_row_t *row, int degraded)
{
    get_t *g = arg;
    if (degraded && g->o.r != NULL)
        gw_req_flag_degraded(g->o.r);
    on_get_row(arg, err, row);
}

static void on_get_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    get_t *g = arg;
    if (g->degraded && g->o.r != NULL)
        gw_req_flag_degraded(g->o.r); /* also on the NoSuchBucket a degraded record may give */
    gw_req_t *r = gw_bucket_lookup_settle(g, err);
    if (r == NULL)
        return;
    gw_acl_check_cors(r, rec);
    /* the authorization stage (gw_access.h) left the decision to the object's ACL */
    g->acl_decides = r->acl_object_decides;
    g->who = (gw_acl_who_t)r->acl_who;
    uint32_t pool, pg;
    int rc = gw_bucket_index_pg(r->thread->server, rec->id, &pool, &pg);
    /* R = 1 only for plain GET/HEAD, and not when the object's own ACL decides an anonymous
     * read: a stale replica could hold an ACL that was made private since (rule 8) */
    if (rc == TN_OK && g->degraded_ok && !g->acl_decides)
        rc = gw_cl_row_get_degraded(r->thread->osd, pool, pg, rec->id, r->route.key.base,
                                    r->route.key.len, on_get_row_degraded, g);
    else if (rc == TN_OK)
        rc = gw_cl_row_get(r->thread->osd, pool, pg, rec->id, r->route.key.base, r->route.key.len,
                           on_get_row, g);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(g);
    }
}

void gw_op_get_object(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    s3_err_t ve;
    if (!version_ok(r, &ve)) {
        gw_req_send_error(r, ve,
                          ve == S3_ERR_INVALID_ARGUMENT ? "Invalid version id specified" : NULL);
        return;
    }
    uint32_t part = 0;
    const s3_param_t *pn = s3_route_param(&r->route, "partNumber");
    if (pn != NULL) {
        int okn = pn->value.len > 0 && pn->value.len <= 6;
        for (size_t i = 0; okn && i < pn->value.len; i++) {
            okn = pn->value.base[i] >= '0' && pn->value.base[i] <= '9';
            part = part * 10 + (uint32_t)(pn->value.base[i] - '0');
        }
        if (!okn || part < 1 || part > GW_OBJMETA_MAX_PARTS) {
            gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                              "Part number must be an integer between 1 and 10000, inclusive");
            return;
        }
        if (req_header(r, "range").base != NULL) {
            gw_req_send_error(r, S3_ERR_INVALID_REQUEST,
                              "Cannot specify both Range header and partNumber query parameter");
            return;
        }
    }
    get_t *g = gw_opref_new(r, sizeof *g);
    if (g == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    g->o.cleanup = get_cleanup;
    g->thread = r->thread;
    g->part = part;
    g->degraded_ok = gw_req_degraded_ok(r);
    gw_bucket_rec_t hit;
    int rc = g->degraded_ok
                 ? gw_bucket_lookup_degraded(r->thread, r->route.bucket.base, r->route.bucket.len,
                                             &hit, on_get_bucket, g, &g->degraded)
                 : gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                                    on_get_bucket, g);
    if (rc == 1) {
        on_get_bucket(g, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(g);
    }
}

/* ---- DeleteObject ---- */

static void on_del_written(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    gw_opref_t *o = arg;
    if (o->r != NULL) {
        if (err != 0)
            gw_send_cluster_error(o->r, err);
        else
            gw_req_send(o->r, 204, NULL, "", 0);
    }
    gw_opref_done(o);
}

static void on_del_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    gw_opref_t *o = arg;
    gw_req_t *r = o->r;
    if (r == NULL) {
        gw_opref_done(o);
        return;
    }
    if (err != 0) {
        gw_bucket_send_lookup_error(r, err);
        gw_opref_done(o);
        return;
    }
    uint32_t pool, pg;
    int rc = gw_bucket_index_pg(r->thread->server, rec->id, &pool, &pg);
    tn_row_t row = {.pool = pool,
                    .pg = pg,
                    .ns = rec->id,
                    .key = (const uint8_t *)r->route.key.base,
                    .key_len = r->route.key.len,
                    .flags = TN_ROW_TOMBSTONE};
    gw_random(row.ver.vid, sizeof row.ver.vid);
    if (rc == TN_OK)
        rc = gw_cl_row_put(r->thread->osd, pool, pg, &row, TN_PROTO_ROW_PUT, on_del_written, o);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(o);
    }
}

void gw_op_delete_object(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    s3_err_t ve;
    if (!version_ok(r, &ve)) {
        if (ve == S3_ERR_INVALID_ARGUMENT)
            gw_req_send_error(r, ve, "Invalid version id specified");
        else
            gw_req_send(r, 204, NULL, "", 0); /* no such version: nothing to delete (as S3) */
        return;
    }
    gw_opref_t *o = gw_opref_new(r, sizeof *o);
    if (o == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                              on_del_bucket, o);
    if (rc == 1) {
        on_del_bucket(o, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(o);
    }
}
