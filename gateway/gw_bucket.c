/* gw_bucket.c — bucket records, lookup cache and all-replica conditional writes (gw_bucket.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "tn_endian.h"
#include "tn_log.h"
#include "tn_wire.h"
#include "conf_map.h"
#include "gw_objmeta.h"
#include "gw_acl.h"
#include "gw_bucket.h"

_Static_assert(GW_POLICY_MAX == TN_BUCKET_POLICY_MAX, "policy cap: one number");
_Static_assert(GW_ACL__COUNT <= TN_BUCKET_ACL_LIMIT, "ACL byte range");

uint64_t gw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Copies a bucket record without its unused policy and CORS space: the struct is ~25 KiB,
 * most of it room for JSON and XML that few buckets have, and a cache hit copies one per
 * request (perf: -23k instructions per 4 KiB GET/PUT, docs/BENCHMARKS.md). The bytes past
 * policy_len and cors_len are left as they were: every reader bounds them by the lengths. */
static void rec_copy(gw_bucket_rec_t *dst, const gw_bucket_rec_t *src)
{
    memcpy(dst, src, offsetof(gw_bucket_rec_t, policy));
    memcpy(dst->policy, src->policy, TN_MIN((size_t)src->policy_len, sizeof src->policy));
    memcpy(dst->cors, src->cors, TN_MIN((size_t)src->cors_len, sizeof src->cors));
}

/* Random bytes from a per-thread buffer refilled by getrandom 256 bytes at a time: version ids
 * need 16 per PUT, and a syscall each was one of the gateway's dozen per small request. The
 * bytes are the kernel's CSPRNG output either way; the gateway never forks. */
#define RAND_POOL 256
static _Thread_local uint8_t rand_pool[RAND_POOL];
static _Thread_local size_t rand_left;

static void random_fill(uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n <= 0) {
            /* getrandom on Linux >= 3.17 does not fail for small requests; be safe anyway */
            uint64_t x = gw_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)p;
            for (; len > 0; len--, p++, x = x * 6364136223846793005ull + 1442695040888963407ull)
                *p = (uint8_t)(x >> 56);
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

void gw_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    if (len > RAND_POOL / 4) {
        random_fill(p, len);
        return;
    }
    if (rand_left < len) {
        random_fill(rand_pool, RAND_POOL);
        rand_left = RAND_POOL;
    }
    uint8_t *src = rand_pool + (RAND_POOL - rand_left);
    memcpy(p, src, len);
    memset(src, 0, len); /* handed out once */
    rand_left -= len;
}

/* ---- record encoding ---- */

int gw_bucket_rec_encode(const gw_bucket_rec_t *b, uint8_t *buf, size_t cap)
{
    return tn_bucket_rec_encode(b, buf, cap);
}

int gw_bucket_rec_decode(const void *buf, size_t len, gw_bucket_rec_t *b)
{
    int rc = tn_bucket_rec_decode(buf, len, b);
    if (rc == TN_OK && b->acl >= GW_ACL__COUNT) {
        memset(b, 0, sizeof *b);
        return TN_ERR_CORRUPT;
    }
    return rc;
}

/* ---- placement ---- */

int gw_bucket_place(gw_server_t *s, const char *pool_name, const void *name, size_t len,
                    uint32_t *pool_id, uint32_t *pg)
{
    if (s->map == NULL)
        return -ESHUTDOWN;
    uint32_t id = conf_pool_id(pool_name);
    gw_map_snap_t *snap = gw_map_snap_get(s->map);
    const pl_pool_t *pool = pl_map_find_pool(snap->map, id);
    int rc = -ENOENT;
    if (pool != NULL) {
        *pool_id = id;
        *pg = pl_object_pg(pool, name, len);
        rc = TN_OK;
    }
    gw_map_snap_put(snap);
    return rc;
}

int gw_bucket_index_pg(gw_server_t *s, uint64_t bucket_id, uint32_t *pool_id, uint32_t *pg)
{
    uint8_t name[12];
    tn_put_le64(name, bucket_id);
    tn_put_le32(name + 8, 0);
    return gw_bucket_place(s, "index", name, sizeof name, pool_id, pg);
}

/* ---- cache (per loop thread) ---- */

#define CACHE_SLOTS 64
typedef struct {
    char name[64];
    size_t len;
    uint64_t expires_ms;
    uint64_t gen; /* cache_gen when the record was read */
    gw_bucket_rec_t rec;
} cache_ent_t;
/* On the heap (records carry policy and CORS: ~25 KiB each), allocated on a thread's first
 * use and kept for its life (loop threads live as long as the process). */
static _Thread_local cache_ent_t *cache;
/* Bumped by gw_bucket_cache_drop (DeleteBucket, ACL/policy/CORS changes: rare), so that every
 * loop thread's entries read before the change stop counting at once: a client whose next
 * request lands on another thread of this gateway never sees the old record. */
static _Atomic uint64_t cache_gen;

static cache_ent_t *cache_slot(const char *name, size_t len)
{
    if (cache == NULL && (cache = calloc(CACHE_SLOTS, sizeof *cache)) == NULL)
        return NULL;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return &cache[h % CACHE_SLOTS];
}

static void cache_put(const char *name, size_t len, const gw_bucket_rec_t *rec, uint64_t gen)
{
    if (gen != atomic_load_explicit(&cache_gen, memory_order_acquire))
        return; /* a change landed while this record was being read */
    if (len >= sizeof cache[0].name)
        return;
    cache_ent_t *e = cache_slot(name, len);
    if (e == NULL)
        return;
    memcpy(e->name, name, len);
    e->len = len;
    rec_copy(&e->rec, rec);
    e->expires_ms = gw_now_ms() + GW_BUCKET_CACHE_MS;
    e->gen = gen;
}

void gw_bucket_cache_drop(const char *name, size_t len)
{
    atomic_fetch_add_explicit(&cache_gen, 1, memory_order_acq_rel);
    cache_ent_t *e = cache_slot(name, len);
    if (e != NULL && e->len == len && memcmp(e->name, name, len) == 0)
        e->len = 0;
}

/* ---- lookup ---- */

typedef struct {
    gw_bucket_cb cb;
    void *arg;
    uint8_t *degraded; /* gw_bucket_lookup_degraded */
    uint64_t gen;      /* cache_gen when the read started */
    size_t len;
    char name[64];
} lookup_t;

static void on_lookup(void *arg, int err, const tn_row_t *row)
{
    lookup_t *l = arg;
    gw_bucket_rec_t rec;
    if (err == 0 && (row->flags & TN_ROW_TOMBSTONE))
        err = TN_ERR_NOT_FOUND;
    if (err == 0 && gw_bucket_rec_decode(row->value, row->value_len, &rec) != TN_OK) {
        tn_log_error("msg=\"undecodable bucket record\" bucket=\"%.*s\"", (int)l->len, l->name);
        err = TN_ERR_CORRUPT;
    }
    if (err == 0) {
        cache_put(l->name, l->len, &rec, l->gen);
        l->cb(l->arg, 0, &rec, &row->ver);
    } else {
        l->cb(l->arg, err, NULL, NULL);
    }
    free(l);
}

static void on_lookup_degraded(void *arg, int err, const tn_row_t *row, int degraded)
{
    lookup_t *l = arg;
    if (degraded)
        *l->degraded = 1;
    on_lookup(arg, err, row);
}

static int lookup(gw_thread_t *t, const char *name, size_t len, int use_cache, gw_bucket_rec_t *hit,
                  gw_bucket_cb cb, void *arg, uint8_t *degraded)
{
    if (t->osd == NULL)
        return -ESHUTDOWN;
    if (len == 0 || len >= sizeof((lookup_t *)0)->name)
        return TN_ERR_NOT_FOUND;
    if (use_cache) {
        cache_ent_t *e = cache_slot(name, len);
        if (e != NULL && e->len == len && memcmp(e->name, name, len) == 0 &&
            e->expires_ms > gw_now_ms() &&
            e->gen == atomic_load_explicit(&cache_gen, memory_order_acquire)) {
            rec_copy(hit, &e->rec);
            return 1;
        }
    }
    uint32_t pool, pg;
    int rc = gw_bucket_place(t->server, "meta", name, len, &pool, &pg);
    if (rc != TN_OK)
        return rc;
    lookup_t *l = calloc(1, sizeof *l);
    if (l == NULL)
        return -ENOMEM;
    l->cb = cb;
    l->arg = arg;
    l->len = len;
    memcpy(l->name, name, len);
    l->degraded = degraded;
    l->gen = atomic_load_explicit(&cache_gen, memory_order_acquire);
    rc = degraded != NULL ? gw_cl_row_get_degraded(t->osd, pool, pg, GW_BUCKET_NS, name, len,
                                                   on_lookup_degraded, l)
                          : gw_cl_row_get(t->osd, pool, pg, GW_BUCKET_NS, name, len, on_lookup, l);
    if (rc != 0)
        free(l);
    return rc;
}

int gw_bucket_lookup(gw_thread_t *t, const char *name, size_t len, int use_cache,
                     gw_bucket_rec_t *hit, gw_bucket_cb cb, void *arg)
{
    return lookup(t, name, len, use_cache, hit, cb, arg, NULL);
}

int gw_bucket_lookup_degraded(gw_thread_t *t, const char *name, size_t len, gw_bucket_rec_t *hit,
                              gw_bucket_cb cb, void *arg, uint8_t *degraded)
{
    return lookup(t, name, len, 1, hit, cb, arg, degraded);
}

/* ---- all-replica conditional writes ---- */

typedef struct allrep allrep_t;
typedef struct {
    allrep_t *a;
    int32_t osd;
    int applied;
} allrep_slot_t;

struct allrep {
    gw_thread_t *t;
    gw_allrep_cb cb;
    void *arg;
    uint8_t mode;
    tn_proto_ver_t expect; /* IF_VERSION */
    gw_allrep_t res;
    int pending;
    int stale;               /* replicas that refused this gateway's map epoch (STALE_EPOCH) */
    int epoch_retries;       /* map refreshes so far (at most ALLREP_EPOCH_RETRIES) */
    tn_row_delete_req_t del; /* rollback request (key points into enc) */
    uint8_t *enc;
    size_t enc_len;
    allrep_slot_t slots[PL_MAX_SIZE];
    h2o_timeout_entry_t te; /* deferred completion when every send was refused */
};

/* A replica that refuses our epoch has a newer map (or an older one, which the OSDs' own map
 * exchange fixes within a second): fetch the newest map and write again with its placement.
 * A retry is idempotent: a replica that already holds this exact version answers UNCHANGED. */
#define ALLREP_EPOCH_RETRIES 2

static int allrep_send(allrep_t *a);
static void allrep_finish(allrep_t *a);

static void allrep_complete(allrep_t *a)
{
    a->cb(a->arg, &a->res);
    free(a->enc);
    free(a);
}

static void on_rollback(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    (void)rep;
    (void)r;
    allrep_slot_t *s = arg;
    allrep_t *a = s->a;
    if (err != 0)
        tn_log_warn("msg=\"bucket create rollback failed; the partial record stays until "
                    "repair\" osd=%d err=%d",
                    (int)s->osd, err);
    if (--a->pending == 0)
        allrep_complete(a);
}

/* All replicas answered. A CREATE not won everywhere is rolled back on the replicas that
 * applied it before the caller hears of it, so that its answer ("exists", 503) is never
 * followed by a read that still sees the partial record from this gateway. */
static void on_allrep_refreshed(void *arg, int err)
{
    allrep_t *a = arg;
    if (err != 0)
        tn_log_warn("msg=\"bucket write: map refresh failed\" err=\"%s\"", tn_strerror(err));
    if (allrep_send(a) != 0)
        allrep_finish(a);
}

static void allrep_finish(allrep_t *a)
{
    if (a->stale > 0 && a->epoch_retries < ALLREP_EPOCH_RETRIES && a->t->osd != NULL &&
        a->res.exist == 0 && a->res.precondition == 0) {
        a->epoch_retries++;
        if (gw_cl_map_refresh(a->t->osd, on_allrep_refreshed, a) == 0)
            return;
    }
    if (a->mode == TN_PROTO_ROW_CREATE && a->res.ok < a->res.replicas && a->t->osd != NULL) {
        a->pending = 1;
        for (int i = 0; i < a->res.replicas && i < PL_MAX_SIZE; i++) {
            if (!a->slots[i].applied)
                continue;
            a->pending++;
            int rc = tn_osdc_row_delete(gw_cl_osdc(a->t->osd), a->slots[i].osd, &a->del,
                                        on_rollback, &a->slots[i], NULL);
            if (rc != 0) {
                a->pending--;
                tn_log_warn("msg=\"bucket create rollback not sent; the partial record stays "
                            "until repair\" osd=%d err=%d",
                            (int)a->slots[i].osd, rc);
            }
        }
        if (--a->pending > 0)
            return;
    }
    allrep_complete(a);
}

static void on_deferred(h2o_timeout_entry_t *te)
{
    allrep_finish(H2O_STRUCT_FROM_MEMBER(allrep_t, te, te));
}

static void on_replica(void *arg, int err, const tn_osdc_reply_t *rep, const tn_row_put_rep_t *r)
{
    (void)rep;
    allrep_slot_t *s = arg;
    allrep_t *a = s->a;
    if (err == 0) {
        a->res.ok++;
        /* UNCHANGED: this exact version (a random vid: ours) is there from an earlier
         * round of this write (epoch retry), so a rollback must remove it too */
        s->applied = r != NULL && (r->result == TN_PROTO_RESULT_APPLIED ||
                                   r->result == TN_PROTO_RESULT_UNCHANGED);
    } else if (err == -EEXIST) {
        a->res.exist++;
    } else if (err == TN_ERR_PRECONDITION) {
        a->res.precondition++;
    } else if (err == TN_ERR_STALE_EPOCH) {
        tn_log_debug("msg=\"bucket write: replica has another map epoch\" osd=%d", (int)s->osd);
        a->stale++;
        a->res.failed++;
    } else {
        tn_log_debug("msg=\"bucket write failed on a replica\" osd=%d err=%d", (int)s->osd, err);
        a->res.failed++;
    }
    if (--a->pending == 0)
        allrep_finish(a);
}

int gw_bucket_write_all(gw_thread_t *t, const tn_row_t *row, uint8_t mode,
                        const tn_proto_ver_t *expect, gw_allrep_cb cb, void *arg)
{
    if (t->osd == NULL)
        return -ESHUTDOWN;
    tn_row_t rw = *row;
    int rc = tn_row_check(&rw);
    if (rc != TN_OK)
        return rc;
    tn_row_seal(&rw);
    allrep_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        return -ENOMEM;
    a->enc_len = tn_row_encoded_size(&rw);
    if ((a->enc = malloc(a->enc_len)) == NULL) {
        free(a);
        return -ENOMEM;
    }
    size_t len = 0;
    if (tn_row_encode(&rw, a->enc, a->enc_len, &len) != TN_OK) {
        free(a->enc);
        free(a);
        return -EINVAL;
    }
    a->t = t;
    a->cb = cb;
    a->arg = arg;
    a->mode = mode;
    if (expect != NULL)
        a->expect = *expect;
    a->del = (tn_row_delete_req_t){.pool = row->pool,
                                   .pg = row->pg,
                                   .ns = row->ns,
                                   .key = {(const char *)a->enc + TN_ROW_HEADER_SIZE, row->key_len},
                                   .ver = {.hlc = row->ver.hlc, .origin = row->ver.origin}};
    memcpy(a->del.ver.vid, row->ver.vid, TN_ROW_VID_LEN);
    rc = allrep_send(a);
    if (rc != 0) {
        free(a->enc);
        free(a);
    }
    return rc;
}

/* Places a's row with the current map and sends it to every replica (and, while its PG
 * moves, every old holder). 0: cb runs later; <0: nothing in flight, a untouched. */
static int allrep_send(allrep_t *a)
{
    gw_thread_t *t = a->t;
    if (t->osd == NULL)
        return -ESHUTDOWN;
    gw_map_snap_t *snap = gw_map_snap_get(t->server->map);
    int32_t osds[PL_MAX_SIZE];
    int n = gw_map_pg_osds(snap, a->del.pool, a->del.pg, osds, NULL);
    const pl_pool_t *pool = pl_map_find_pool(snap->map, a->del.pool);
    int size = pool != NULL ? pool->size : 0;
    /* a moving PG (rebalance): every holder, old set included, takes the record (rule 3) */
    const pl_moving_t *mv = n >= 0 ? pl_map_moving(snap->map, a->del.pool, a->del.pg) : NULL;
    for (int i = 0; mv != NULL && i < mv->n && n < PL_MAX_SIZE; i++) {
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= osds[k] == mv->old[i];
        if (!dup) {
            osds[n++] = mv->old[i];
            size++;
        }
    }
    gw_map_snap_put(snap);
    if (n < 0)
        return n;
    memset(a->slots, 0, sizeof a->slots);
    a->stale = 0;
    /* all `size` replicas are required: a hole in the placement counts as a failure */
    a->res = (gw_allrep_t){.replicas = size > n ? size : n};
    a->res.failed = a->res.replicas - n;
    a->pending = 1; /* held while sending */
    for (int i = 0; i < n; i++) {
        allrep_slot_t *s = &a->slots[i];
        s->a = a;
        s->osd = osds[i];
        a->pending++;
        int rc;
        if (a->mode == TN_PROTO_ROW_IF_VERSION)
            rc = tn_osdc_row_put_if(gw_cl_osdc(t->osd), osds[i], a->enc, a->enc_len, &a->expect,
                                    on_replica, s, NULL);
        else
            rc = tn_osdc_row_put(gw_cl_osdc(t->osd), osds[i], a->mode, a->enc, a->enc_len,
                                 on_replica, s, NULL);
        if (rc != 0) {
            a->pending--;
            a->res.failed++;
        }
    }
    if (--a->pending == 0) {
        /* nothing in flight: complete on the next loop turn, never inside this call */
        a->te.cb = on_deferred;
        h2o_timeout_link(t->loop, &t->zero_timeout, &a->te);
    }
    return 0;
}

int gw_bucket_update(gw_thread_t *t, const char *name, size_t len, const gw_bucket_rec_t *rec,
                     const tn_row_ver_t *expect, gw_allrep_cb cb, void *arg)
{
    gw_server_t *s = t->server;
    uint32_t pool, pg;
    int rc = gw_bucket_place(s, "meta", name, len, &pool, &pg);
    if (rc != TN_OK)
        return rc;
    uint8_t *val = malloc(GW_BUCKET_REC_MAX);
    if (val == NULL)
        return -ENOMEM;
    int vlen = gw_bucket_rec_encode(rec, val, GW_BUCKET_REC_MAX);
    if (vlen < 0) {
        free(val);
        return vlen;
    }
    tn_row_t row = {.pool = pool,
                    .pg = pg,
                    .ns = GW_BUCKET_NS,
                    .key = (const uint8_t *)name,
                    .key_len = len,
                    .value = val,
                    .value_len = (size_t)vlen};
    uint64_t h = tn_hlc_now(&s->hlc, gw_now_ms());
    row.ver.hlc = h > expect->hlc ? h : expect->hlc + 1;
    row.ver.origin = s->origin_id;
    gw_random(row.ver.vid, sizeof row.ver.vid);
    tn_proto_ver_t ev = {.hlc = expect->hlc, .origin = expect->origin};
    memcpy(ev.vid, expect->vid, TN_ROW_VID_LEN);
    gw_bucket_cache_drop(name, len);
    rc = gw_bucket_write_all(t, &row, TN_PROTO_ROW_IF_VERSION, &ev, cb, arg);
    free(val); /* gw_bucket_write_all encoded its own copy */
    return rc;
}

/* ---- request lifetime ---- */

static void opref_release(gw_opref_t *o)
{
    if (--o->refs == 0) {
        if (o->cleanup != NULL)
            o->cleanup(o);
        free(o);
    }
}

static void opref_cancel(void *data)
{
    gw_opref_t *o = data;
    o->r = NULL;
    opref_release(o);
}

void *gw_opref_new(gw_req_t *r, size_t size)
{
    gw_opref_t *o = calloc(1, size);
    if (o == NULL)
        return NULL;
    o->r = r;
    o->refs = 2;
    gw_req_set_cancel(r, opref_cancel, o);
    return o;
}

void gw_opref_done(void *o)
{
    opref_release(o);
}

void gw_send_cluster_error(gw_req_t *r, int err)
{
    if (err == TN_ERR_NOT_FOUND)
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, "Object data is missing");
    else if (err == -ENOMEM || err == -EINVAL || err == TN_ERR_CORRUPT)
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    else
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, NULL);
}

void gw_bucket_send_lookup_error(gw_req_t *r, int err)
{
    if (err == TN_ERR_NOT_FOUND)
        gw_req_send_error(r, S3_ERR_NO_SUCH_BUCKET, NULL);
    else
        gw_send_cluster_error(r, err);
}

gw_req_t *gw_bucket_lookup_settle(void *op, int err)
{
    gw_req_t *r = ((gw_opref_t *)op)->r;
    if (r != NULL && err != 0)
        gw_bucket_send_lookup_error(r, err);
    if (r == NULL || err != 0) {
        gw_opref_done(op);
        return NULL;
    }
    return r;
}
