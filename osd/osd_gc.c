/*
 * osd_gc.c — this file implements the OSD's garbage collector (osd_gc.h): one thread that,
 * per run, walks the intents of the index PGs this OSD is primary of, gathers the evidence
 * from every replica through a blocking OSD client, and deletes what is proven garbage.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "osd_gc.h"
#include "osd_recplan.h"
#include "osd_thread.h"
#include "tn_endian.h"
#include "tn_gcref.h"
#include "tn_log.h"
#include "tn_osdc_sync.h"
#include "tn_tenant.h"
#include "tn_row.h"
#include "tn_wire.h"

#define CLIENT_TIMEOUT 5000u
#define PAGE           500u
#define META_BUCKET_NS 1u /* == GW_BUCKET_NS: bucket records in pool meta */

struct st_osd_gc_t {
    osd_gc_opts_t o;
    osd_bs_t *bs;
    osd_idx_t *idx;
    osd_mapstore_t *ms;
    osd_thread_sync_t sync; /* kick below is under sync.lock */
    int kick;
    pthread_t thr;
    int started;
    _Atomic uint64_t runs, running, seen, live, pending, waiting, collected, blobs, bytes, errors,
        last_ms, aborted, tombs, gone, dead_rows, buckets;
};

/* One run's state. */
typedef struct {
    osd_gc_t *gc;
    tn_osdc_sync_t *cl;
    osd_idx_reader_t *rd;
    pl_map_t *map;
    void *work;
    uint64_t now_ms;
    uint64_t seen, live, pending, waiting;
    /* the dead buckets of the index PG in progress (dead_scan) */
    struct dead_s {
        uint64_t id;
        uint64_t since_ms; /* the later of the dead-bucket row and the record's tombstone */
        tn_row_ver_t marker;
        uint64_t intents; /* intents of the bucket met in this PG by this run */
    } * dead;
    size_t ndead, capdead;
} run_t;

/* A copied intent row. */
typedef struct {
    uint8_t vid[16];
    tn_row_ver_t ver;
    uint32_t flags;
    uint8_t *value;
    size_t value_len;
} intent_t;

typedef struct {
    intent_t *v;
    size_t n, cap;
    uint8_t last[16];
    int err;
} page_t;

int osd_gc_blob_gone(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, const uint8_t vid[16],
                     uint32_t part)
{
    uint8_t key[TN_GCREF_GONE_KEY_LEN];
    tn_gcref_gone_key(key, vid, part);
    tn_row_t *row = NULL;
    int rc = osd_idx_get(rd, pool, pg, TN_GCREF_NS_GONE, key, sizeof key, &row);
    if (rc == TN_ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    int gone = !(row->flags & TN_ROW_TOMBSTONE);
    free(row);
    return gone;
}

static int page_cb(void *arg, const tn_row_t *row)
{
    page_t *pg = arg;
    if (row->key_len != 16)
        return 0; /* not an intent key: ignored */
    if (pg->n == pg->cap) {
        size_t nc = pg->cap ? pg->cap * 2 : 64;
        intent_t *nv = realloc(pg->v, nc * sizeof(*nv));
        if (nv == NULL)
            return -ENOMEM;
        pg->v = nv;
        pg->cap = nc;
    }
    intent_t *it = &pg->v[pg->n];
    it->value = malloc(row->value_len ? row->value_len : 1);
    if (it->value == NULL)
        return -ENOMEM;
    memcpy(it->value, row->value, row->value_len);
    it->value_len = row->value_len;
    memcpy(it->vid, row->key, 16);
    it->ver = row->ver;
    it->flags = row->flags;
    memcpy(pg->last, row->key, 16);
    pg->n++;
    return 0;
}

static void page_clear(page_t *pg)
{
    for (size_t i = 0; i < pg->n; i++)
        free(pg->v[i].value);
    pg->n = 0;
}

/* Reads (pool, pg, ns, key) from osd: 1 with *row (malloc'd, decode into *r), 0 absent, <0. */
static int remote_get(run_t *R, int32_t osd, uint32_t pool, uint32_t pg, uint64_t ns,
                      const uint8_t *key, size_t key_len, uint8_t **buf, tn_row_t *r)
{
    tn_row_get_req_t m = {.pool = pool, .pg = pg, .ns = ns, .key = {(const char *)key, key_len}};
    size_t len = 0;
    *buf = NULL;
    int rc = tn_osdc_sync_row_get(R->cl, osd, &m, buf, &len);
    if (rc == TN_ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    size_t used = 0;
    rc = tn_row_decode(*buf, len, r, &used); /* the client hands over the row itself */
    if (rc == 0 && used != len)
        rc = TN_ERR_PROTO;
    if (rc != 0) {
        free(*buf);
        *buf = NULL;
        return rc < 0 ? rc : TN_ERR_CORRUPT;
    }
    return 1;
}

typedef enum { EV_LIVE, EV_PENDING, EV_WAIT, EV_GARBAGE, EV_ABANDONED } verdict_t;

/* The evidence of every replica of the index PG about one intent. */
static verdict_t judge(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n,
                       const intent_t *in, const tn_gcref_intent_t *it, const struct dead_s *dead)
{
    uint64_t newest_ms = it->expiry_ms;
    if (dead != NULL && dead->since_ms > newest_ms)
        newest_ms = dead->since_ms;
    uint8_t ukey[TN_ROW_MAX_KEY];
    size_t ulen = 0;
    if (it->kind == TN_GCREF_PART) {
        ulen = tn_gcref_upload_key(ukey, sizeof ukey, it->key.base, it->key.len, it->upload_id);
        if (ulen == 0)
            return EV_WAIT;
    }
    for (int i = 0; i < n; i++) {
        uint8_t *buf = NULL;
        tn_row_t r;
        /* the replica must hold this very intent: else it has not caught up, and its "no head
         * row" would be absence, not evidence */
        int rc = remote_get(R, osds[i], pool, pg, TN_GCREF_NS_INTENTS, in->vid, 16, &buf, &r);
        int same = rc == 1 && tn_row_ver_cmp(&r.ver, &in->ver) == 0;
        free(buf);
        if (!same) {
            tn_log_debug("msg=\"gc: replica lacks the intent or did not answer\" osd=%d rc=%d",
                         osds[i], rc);
            return EV_WAIT;
        }
        if (dead != NULL)
            continue; /* a deleted bucket: no row of its id is a referrer any more */
        rc = remote_get(R, osds[i], pool, pg, it->bucket_id, (const uint8_t *)it->key.base,
                        it->key.len, &buf, &r);
        if (rc < 0) {
            tn_log_debug("msg=\"gc: head row not read\" osd=%d err=\"%s\"", osds[i],
                         tn_strerror(rc));
            return EV_WAIT;
        }
        if (rc == 1) {
            int names = tn_gcref_head_names(&r, in->vid);
            uint64_t ms = tn_hlc_physical_ms(r.ver.hlc);
            free(buf);
            if (names != 0)
                return names == 1 ? EV_LIVE : EV_WAIT;
            if (ms > newest_ms)
                newest_ms = ms;
        }
        if (it->kind == TN_GCREF_PART) {
            rc = remote_get(R, osds[i], pool, pg, it->bucket_id ^ TN_GCREF_UPLOADS_XOR, ukey, ulen,
                            &buf, &r);
            if (rc < 0)
                return EV_WAIT;
            if (rc == 1) {
                int active = tn_gcref_upload_active(&r);
                uint64_t ms = tn_hlc_physical_ms(r.ver.hlc), init = 0;
                int abandoned = active == 1 && R->gc->o.upload_expiry_s != 0 &&
                                tn_gcref_upload_initiated(&r, &init) == TN_OK &&
                                R->now_ms > init + (uint64_t)R->gc->o.upload_expiry_s * 1000u;
                free(buf);
                if (abandoned)
                    return EV_ABANDONED;
                if (active != 0)
                    return active == 1 ? EV_LIVE : EV_WAIT;
                if (ms > newest_ms)
                    newest_ms = ms;
            }
        }
    }
    if (R->now_ms < newest_ms + (uint64_t)R->gc->o.grace_s * 1000u)
        return EV_PENDING;
    return EV_GARBAGE;
}

/* Deletes every chunk of the intent's data on every holder; 0 when all acknowledged. */
static int delete_blobs(run_t *R, const intent_t *in, const tn_gcref_intent_t *it)
{
    osd_gc_t *gc = R->gc;
    const pl_pool_t *dpool = pl_map_find_pool(R->map, it->data_pool);
    if (dpool == NULL)
        return -ENOENT;
    uint32_t chunks = tn_gcref_chunks(it);
    int failed = 0;
    /* the GONE rows' version: this pass's time (their age is what gone_age_s measures), the
     * same on every holder; a holder that has one keeps it (CREATE below) */
    tn_row_ver_t gver = {.hlc = tn_hlc_now(gc->o.hlc, osd_clock_wall_ms()),
                         .origin = (uint32_t)gc->o.self};
    memcpy(gver.vid, in->vid, 16);
    for (uint32_t i = 0; i < chunks && !osd_thread_stopping(&gc->sync); i++) {
        uint8_t name[20];
        memcpy(name, in->vid, 16);
        tn_put_le32(name + 16, i);
        uint32_t dpg = pl_object_pg(dpool, name, sizeof name);
        int32_t osds[PL_MAX_HOLDERS];
        int n = osd_recplan_pg_holders(R->map, dpool, dpg, R->work, osds);
        if (n <= 0) {
            failed = 1;
            continue;
        }
        /* the GONE row: same version on every holder (a retry of this pass is UNCHANGED) */
        uint8_t gkey[TN_GCREF_GONE_KEY_LEN];
        tn_gcref_gone_key(gkey, in->vid, i);
        tn_row_t g = {.pool = dpool->id,
                      .pg = dpg,
                      .ns = TN_GCREF_NS_GONE,
                      .key = gkey,
                      .key_len = sizeof gkey,
                      .ver = gver};
        uint8_t gbuf[TN_ROW_OVERHEAD + TN_GCREF_GONE_KEY_LEN];
        size_t glen = 0;
        if (tn_row_seal(&g) != 0 || tn_row_encode(&g, gbuf, sizeof gbuf, &glen) != 0)
            return -EINVAL;
        for (int k = 0; k < n; k++) {
            tn_row_put_rep_t rep;
            /* CREATE: a GONE row already there (an earlier pass that failed elsewhere) keeps
             * its version, so its age counts from the first deletion (gone_age_s) */
            int rc = tn_osdc_sync_row_put(R->cl, osds[k], TN_PROTO_ROW_CREATE, gbuf, glen, &rep);
            if (rc == TN_ERR_STALE_TS || rc == -EEXIST)
                rc = 0; /* a gone row is there */
            if (rc == 0) {
                tn_blobref_t ref = {.pool = dpool->id, .pg = dpg, .part = i};
                memcpy(ref.version, in->vid, 16);
                rc = tn_osdc_sync_blob_delete(R->cl, osds[k], &ref);
                if (rc == 0) {
                    atomic_fetch_add(&gc->blobs, 1);
                    atomic_fetch_add(&gc->bytes, tn_gcref_chunk_len(it, i));
                } else if (rc == TN_ERR_NOT_FOUND) {
                    rc = 0;
                }
            }
            if (rc != 0) {
                tn_log_info("msg=\"gc: blob delete deferred\" osd=%d pool=%u pg=%u part=%u "
                            "err=\"%s\"",
                            osds[k], dpool->id, dpg, i, tn_strerror(rc));
                atomic_fetch_add(&gc->errors, 1);
                failed = 1;
            }
        }
    }
    return failed ? -EAGAIN : 0;
}

/* Aborts an abandoned upload: a tombstone over its upload row on every index replica, as
 * AbortMultipartUpload writes (a newer row there, e.g. COMPLETED, wins: STALE_TS is fine). */
static void abort_upload(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n,
                         const intent_t *in, const tn_gcref_intent_t *it)
{
    uint8_t ukey[TN_ROW_MAX_KEY];
    size_t ulen = tn_gcref_upload_key(ukey, sizeof ukey, it->key.base, it->key.len, it->upload_id);
    tn_row_t t = {.pool = pool,
                  .pg = pg,
                  .ns = it->bucket_id ^ TN_GCREF_UPLOADS_XOR,
                  .key = ukey,
                  .key_len = ulen,
                  .flags = TN_ROW_TOMBSTONE};
    t.ver.hlc = tn_hlc_now(R->gc->o.hlc, osd_clock_wall_ms());
    t.ver.origin = (uint32_t)R->gc->o.self;
    memcpy(t.ver.vid, in->vid, 16);
    size_t len = 0;
    uint8_t *buf = malloc(TN_ROW_OVERHEAD + TN_ROW_MAX_KEY);
    if (ulen == 0 || buf == NULL || tn_row_seal(&t) != 0 ||
        tn_row_encode(&t, buf, TN_ROW_OVERHEAD + TN_ROW_MAX_KEY, &len) != 0) {
        free(buf);
        atomic_fetch_add(&R->gc->errors, 1);
        return;
    }
    int acked = 0;
    for (int k = 0; k < n; k++) {
        tn_row_put_rep_t rep;
        int rc = tn_osdc_sync_row_put(R->cl, osds[k], TN_PROTO_ROW_PUT, buf, len, &rep);
        acked += rc == 0 || rc == TN_ERR_STALE_TS;
    }
    free(buf);
    if (acked > 0) {
        atomic_fetch_add(&R->gc->aborted, 1);
        tn_log_info("msg=\"gc: abandoned upload aborted\" bucket=%" PRIx64 " key_len=%zu "
                    "replicas=%d/%d",
                    it->bucket_id, it->key.len, acked, n);
    } else {
        atomic_fetch_add(&R->gc->errors, 1);
    }
}

/* Deletes row (ns, key) at exactly version ver on every OSD of osds (delete-if-unchanged: a
 * replica holding a newer version keeps it). Returns 1 if every one acknowledged; a failure
 * counts as an error and the next run tries again (repair may bring the row back meanwhile). */
static int delete_everywhere(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n,
                             uint64_t ns, const void *key, size_t key_len, const tn_row_ver_t *ver)
{
    tn_row_delete_req_t m = {.pool = pool,
                             .pg = pg,
                             .ns = ns,
                             .key = {(const char *)key, key_len},
                             .ver = {.hlc = ver->hlc, .origin = ver->origin}};
    memcpy(m.ver.vid, ver->vid, 16);
    int deleted = 0;
    for (int k = 0; k < n; k++) {
        uint8_t res = 0;
        if (tn_osdc_sync_row_delete(R->cl, osds[k], &m, &res) == 0)
            deleted++;
        else
            atomic_fetch_add(&R->gc->errors, 1);
    }
    return deleted == n;
}

static void purge_intent(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n,
                         const intent_t *in)
{
    delete_everywhere(R, pool, pg, osds, n, TN_GCREF_NS_INTENTS, in->vid, 16, &in->ver);
}

static struct dead_s *dead_find(run_t *R, uint64_t id)
{
    for (size_t i = 0; i < R->ndead; i++)
        if (R->dead[i].id == id)
            return &R->dead[i];
    return NULL;
}

/* Writes tombstone t (sealed here; t->ver set) on every osd. 0 when all took it (a newer row
 * there, STALE_TS, counts), else -EAGAIN. */
static int bury_everywhere(run_t *R, tn_row_t *t, const int32_t *osds, int n)
{
    uint8_t *buf = malloc(TN_ROW_OVERHEAD + TN_ROW_MAX_KEY);
    size_t len = 0;
    if (buf == NULL || tn_row_seal(t) != 0 ||
        tn_row_encode(t, buf, TN_ROW_OVERHEAD + TN_ROW_MAX_KEY, &len) != 0) {
        free(buf);
        atomic_fetch_add(&R->gc->errors, 1);
        return -EAGAIN;
    }
    int failed = 0;
    for (int k = 0; k < n; k++) {
        tn_row_put_rep_t rep;
        int rc = tn_osdc_sync_row_put(R->cl, osds[k], TN_PROTO_ROW_PUT, buf, len, &rep);
        if (rc != 0 && rc != TN_ERR_STALE_TS) {
            atomic_fetch_add(&R->gc->errors, 1);
            failed = 1;
        }
    }
    free(buf);
    return failed ? -EAGAIN : 0;
}

/* A version for a tombstone over a row stored at stored: newer than it and than now. */
static tn_row_ver_t bury_ver(run_t *R, const tn_row_ver_t *stored, const uint8_t vid[16])
{
    tn_row_ver_t v = {.hlc = tn_hlc_now(R->gc->o.hlc, osd_clock_wall_ms()),
                      .origin = (uint32_t)R->gc->o.self};
    if (stored != NULL && v.hlc <= stored->hlc)
        v.hlc = stored->hlc + 1;
    memcpy(v.vid, vid, 16);
    return v;
}

/*
 * The part rows of a collected part version (their data is gone): a tombstone over every
 * attempt row of the upload that names the vid, on every holder of the part rows' PG
 * (pl_object_pg(index, upload id)); rule 5 purges the tombstones later. 0 when every holder
 * answered and took them, else -EAGAIN (the intent stays and a later run retries).
 */
static int bury_part_rows(run_t *R, uint32_t pool, const intent_t *in, const tn_gcref_intent_t *it)
{
    const pl_pool_t *ip = pl_map_find_pool(R->map, pool);
    if (ip == NULL)
        return -EAGAIN;
    uint32_t ppg = pl_object_pg(ip, it->upload_id, 16);
    int32_t osds[PL_MAX_HOLDERS];
    int n = osd_recplan_pg_holders(R->map, ip, ppg, R->work, osds);
    if (n <= 0)
        return -EAGAIN;
    uint64_t ns = it->bucket_id ^ TN_GCREF_PARTS_XOR;
    /* the attempt rows naming the vid (at most a few per vid: one key per part number) */
    struct {
        uint8_t key[TN_GCREF_PART_KEY_LEN];
        tn_row_ver_t ver;
    } found[8];
    int nf = 0, err = 0;
    for (int k = 0; k < n && !err; k++) {
        uint8_t after[TN_GCREF_PART_KEY_LEN];
        size_t after_len = 0;
        uint8_t more = 1;
        while (more && !err) {
            tn_row_list_req_t m = {.pool = pool,
                                   .pg = ppg,
                                   .ns = ns,
                                   .prefix = {(const char *)it->upload_id, 16},
                                   .start_after = {(const char *)after, after_len},
                                   .limit = PAGE};
            uint8_t *body = NULL;
            size_t blen = 0;
            tn_proto_iter_t iter;
            uint32_t cnt = 0;
            if (tn_osdc_sync_row_list(R->cl, osds[k], &m, &body, &blen) != 0 ||
                tn_proto_dec_row_list_rep(body, blen, &iter, &more, &cnt) != 0) {
                free(body);
                err = 1;
                break;
            }
            tn_row_entry_t e;
            uint32_t got = 0;
            while (got < cnt && tn_proto_next_row_entry(&iter, &e) == 1) {
                got++;
                const uint8_t *key = (const uint8_t *)e.key.base;
                if (e.key.len <= sizeof after) {
                    memcpy(after, key, e.key.len);
                    after_len = e.key.len;
                }
                if ((e.flags & TN_ROW_TOMBSTONE) ||
                    !tn_gcref_part_key_is(key, e.key.len, it->upload_id, in->vid))
                    continue;
                tn_row_ver_t v = {.hlc = e.ver.hlc, .origin = e.ver.origin};
                memcpy(v.vid, e.ver.vid, 16);
                int j = 0;
                while (j < nf && memcmp(found[j].key, key, TN_GCREF_PART_KEY_LEN) != 0)
                    j++;
                if (j == nf) {
                    if (nf == (int)(sizeof found / sizeof found[0])) {
                        err = 1;
                        break;
                    }
                    memcpy(found[nf].key, key, TN_GCREF_PART_KEY_LEN);
                    found[nf++].ver = v;
                } else if (tn_row_ver_cmp(&v, &found[j].ver) > 0) {
                    found[j].ver = v;
                }
            }
            free(body);
            if (got != cnt || cnt == 0)
                break;
        }
    }
    if (err) {
        atomic_fetch_add(&R->gc->errors, 1);
        return -EAGAIN;
    }
    int failed = 0;
    for (int j = 0; j < nf; j++) {
        tn_row_t t = {.pool = pool,
                      .pg = ppg,
                      .ns = ns,
                      .key = found[j].key,
                      .key_len = TN_GCREF_PART_KEY_LEN,
                      .flags = TN_ROW_TOMBSTONE,
                      .ver = bury_ver(R, &found[j].ver, in->vid)};
        failed |= bury_everywhere(R, &t, osds, n) != 0;
    }
    return failed ? -EAGAIN : 0;
}

static void do_intent(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n,
                      const intent_t *in)
{
    R->seen++;
    if (in->flags & TN_ROW_TOMBSTONE)
        return;
    tn_gcref_intent_t it;
    if (tn_gcref_intent_decode(in->value, in->value_len, &it) != 0) {
        atomic_fetch_add(&R->gc->errors, 1);
        R->waiting++;
        return;
    }
    struct dead_s *dead = dead_find(R, it.bucket_id);
    if (dead != NULL)
        dead->intents++;
    uint64_t grace = (uint64_t)R->gc->o.grace_s * 1000u;
    if (R->now_ms < it.expiry_ms + grace) {
        R->pending++;
        return;
    }
    /* cheap local evidence first: a local head row naming the vid keeps it */
    tn_row_t *row = NULL;
    int rc = dead != NULL
                 ? TN_ERR_NOT_FOUND
                 : osd_idx_get(R->rd, pool, pg, it.bucket_id, it.key.base, it.key.len, &row);
    if (rc == 0) {
        int names = tn_gcref_head_names(row, in->vid);
        free(row);
        if (names != 0) {
            R->live++;
            return;
        }
    }
    switch (judge(R, pool, pg, osds, n, in, &it, dead)) {
    case EV_LIVE: R->live++; return;
    case EV_PENDING: R->pending++; return;
    case EV_WAIT: R->waiting++; return;
    case EV_ABANDONED:
        abort_upload(R, pool, pg, osds, n, in, &it);
        R->pending++; /* its parts are garbage after grace */
        return;
    case EV_GARBAGE: break;
    }
    if (delete_blobs(R, in, &it) != 0 ||
        (it.kind == TN_GCREF_PART && bury_part_rows(R, pool, in, &it) != 0)) {
        R->waiting++;
        return;
    }
    purge_intent(R, pool, pg, osds, n, in);
    atomic_fetch_add(&R->gc->collected, 1);
    char hex[33];
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = digits[in->vid[i] >> 4];
        hex[2 * i + 1] = digits[in->vid[i] & 15];
    }
    hex[32] = 0;
    tn_log_info("msg=\"gc: collected\" vid=%s chunks=%u bytes=%" PRIu64, hex, tn_gcref_chunks(&it),
                it.size);
}

/* Tombstones of an index PG older than the grace (rule 5). */
typedef struct {
    uint64_t ns;
    tn_row_ver_t ver;
    size_t key_len;
    uint8_t key[TN_ROW_MAX_KEY];
} tomb_t;

typedef struct {
    tomb_t *v;
    size_t n, cap;
    uint64_t cutoff_ms;
} tombs_t;

static int tomb_cb(void *arg, const tn_row_t *row)
{
    tombs_t *t = arg;
    if (!(row->flags & TN_ROW_TOMBSTONE) || tn_hlc_physical_ms(row->ver.hlc) > t->cutoff_ms)
        return 0;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        tomb_t *nv = realloc(t->v, nc * sizeof(*nv));
        if (nv == NULL)
            return -ENOMEM;
        t->v = nv;
        t->cap = nc;
    }
    tomb_t *x = &t->v[t->n++];
    x->ns = row->ns;
    x->ver = row->ver;
    x->key_len = row->key_len;
    memcpy(x->key, row->key, row->key_len);
    return 0;
}

/* Purges the tombstones (deletes, aborted uploads) of an index PG that every replica holds in
 * the same version and that are older than the grace: rule 5. A replica that does not answer,
 * lacks the tombstone or holds something newer keeps it for a later run. A purge that reached
 * only some replicas is undone by repair (the tombstone travels back) and redone next run. */
static void purge_tombstones(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n)
{
    uint64_t grace = (uint64_t)R->gc->o.grace_s * 1000u;
    tombs_t t = {.cutoff_ms = R->now_ms > grace ? R->now_ms - grace : 0};
    osd_idx_cursor_t cur;
    memset(&cur, 0, sizeof cur);
    int more = 1;
    while (more && !osd_thread_stopping(&R->gc->sync)) {
        t.n = 0;
        int rc = osd_idx_enumerate(R->rd, pool, pg, &cur, PAGE, tomb_cb, &t, &more);
        if (rc != 0) {
            atomic_fetch_add(&R->gc->errors, 1);
            break;
        }
        for (size_t i = 0; i < t.n && !osd_thread_stopping(&R->gc->sync); i++) {
            const tomb_t *x = &t.v[i];
            int everywhere = 1;
            for (int k = 0; k < n && everywhere; k++) {
                uint8_t *buf = NULL;
                tn_row_t r;
                int g = remote_get(R, osds[k], pool, pg, x->ns, x->key, x->key_len, &buf, &r);
                everywhere =
                    g == 1 && (r.flags & TN_ROW_TOMBSTONE) && tn_row_ver_cmp(&r.ver, &x->ver) == 0;
                free(buf);
            }
            if (!everywhere)
                continue;
            if (delete_everywhere(R, pool, pg, osds, n, x->ns, x->key, x->key_len, &x->ver))
                atomic_fetch_add(&R->gc->tombs, 1);
        }
    }
    free(t.v);
}

/* ---- deleted buckets (docs/ARCHITECTURE.md, "Deleted buckets") ---- */

/* A local row copied out of a listing: key and version. */
typedef struct {
    size_t key_len;
    uint8_t key[TN_ROW_MAX_KEY];
    tn_row_ver_t ver;
    uint32_t flags;
    size_t value_len;
    uint8_t value[8 + TN_GCREF_BUCKET_NAME_MAX];
} lrow_t;

typedef struct {
    lrow_t *v;
    size_t n, cap;
} lrows_t;

static int lrow_cb(void *arg, const tn_row_t *row)
{
    lrows_t *l = arg;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        lrow_t *nv = realloc(l->v, nc * sizeof(*nv));
        if (nv == NULL)
            return -ENOMEM;
        l->v = nv;
        l->cap = nc;
    }
    lrow_t *x = &l->v[l->n++];
    x->key_len = row->key_len;
    memcpy(x->key, row->key, row->key_len);
    x->ver = row->ver;
    x->flags = row->flags;
    x->value_len = row->value_len <= sizeof x->value ? row->value_len : 0;
    if (x->value_len > 0) /* a tombstone's value is empty (and may be NULL) */
        memcpy(x->value, row->value, x->value_len);
    return 0;
}

/* The next page of local rows of (pool, pg, ns), tombstones included (callers skip them),
 * after the last row of the previous page in l; *more. */
static int lrows_page(run_t *R, uint32_t pool, uint32_t pg, uint64_t ns, lrows_t *l, int *more)
{
    uint8_t after[TN_ROW_MAX_KEY];
    size_t after_len = 0;
    if (l->n > 0) {
        after_len = l->v[l->n - 1].key_len;
        memcpy(after, l->v[l->n - 1].key, after_len);
    }
    l->n = 0;
    return osd_idx_list(R->rd, pool, pg, ns, NULL, 0, after_len ? after : NULL, after_len, PAGE,
                        lrow_cb, l, more);
}

/*
 * What the replicas of the bucket record of name say about bucket id: 1 dead (every replica
 * answered, none holds a live record of this id, at least one holds a tombstone or a record of
 * another id), 0 not (alive, or cannot tell). *tomb_ms: the newest tombstone's time.
 */
static int bucket_dead(run_t *R, uint64_t id, const tn_slice_t *name, uint64_t *tomb_ms)
{
    const pl_pool_t *meta = pl_map_find_pool_by_name(R->map, "meta");
    if (meta == NULL)
        return 0;
    uint32_t mpg = pl_object_pg(meta, name->base, name->len);
    int32_t osds[PL_MAX_HOLDERS];
    int n = osd_recplan_pg_holders(R->map, meta, mpg, R->work, osds);
    tn_bucket_rec_t *rec = malloc(sizeof *rec);
    if (n <= 0 || rec == NULL) {
        free(rec);
        return 0;
    }
    int gone = 0, alive = 0, unknown = 0;
    *tomb_ms = 0;
    for (int k = 0; k < n && !alive && !unknown; k++) {
        uint8_t *buf = NULL;
        tn_row_t r;
        int g = remote_get(R, osds[k], meta->id, mpg, META_BUCKET_NS, (const uint8_t *)name->base,
                           name->len, &buf, &r);
        if (g < 0) {
            unknown = 1;
            break;
        }
        uint64_t rec_id = 0;
        if (g == 1 && !(r.flags & TN_ROW_TOMBSTONE)) {
            if (tn_bucket_rec_decode(r.value, r.value_len, rec) != TN_OK)
                unknown = 1;
            rec_id = rec->id;
        }
        int says = tn_gcref_bucket_says(g == 1 ? &r : NULL, rec_id, id);
        if (g == 1 && (r.flags & TN_ROW_TOMBSTONE) && tn_hlc_physical_ms(r.ver.hlc) > *tomb_ms)
            *tomb_ms = tn_hlc_physical_ms(r.ver.hlc);
        free(buf);
        alive |= says == 0;
        gone += says == 1;
    }
    free(rec);
    return !alive && !unknown && gone > 0;
}

/* Reads the dead-bucket rows of index PG (pool, pg) and keeps the buckets proven deleted. */
static void dead_scan(run_t *R, uint32_t pool, uint32_t pg)
{
    R->ndead = 0;
    lrows_t l = {0};
    int more = 1;
    while (more && !osd_thread_stopping(&R->gc->sync)) {
        if (lrows_page(R, pool, pg, TN_GCREF_NS_DEADBKT, &l, &more) != 0) {
            atomic_fetch_add(&R->gc->errors, 1);
            break;
        }
        for (size_t i = 0; i < l.n; i++) {
            const lrow_t *x = &l.v[i];
            tn_slice_t name;
            uint64_t tomb_ms = 0;
            if (x->key_len != 8 || (x->flags & TN_ROW_TOMBSTONE) ||
                tn_gcref_deadbkt_decode(x->value, x->value_len, &name) != TN_OK)
                continue;
            uint64_t id = tn_get_le64(x->key);
            if (!bucket_dead(R, id, &name, &tomb_ms))
                continue;
            if (R->ndead == R->capdead) {
                size_t nc = R->capdead ? R->capdead * 2 : 8;
                struct dead_s *nv = realloc(R->dead, nc * sizeof(*nv));
                if (nv == NULL)
                    break;
                R->dead = nv;
                R->capdead = nc;
            }
            struct dead_s *d = &R->dead[R->ndead++];
            uint64_t mark_ms = tn_hlc_physical_ms(x->ver.hlc);
            d->id = id;
            d->since_ms = mark_ms > tomb_ms ? mark_ms : tomb_ms;
            d->marker = x->ver;
            d->intents = 0;
        }
        if (l.n == 0)
            break;
    }
    free(l.v);
}

/* Tombstones over every live row of namespace ns of a dead bucket in (pool, pg): head rows
 * written through a stale cache after the delete, uploads never completed or aborted,
 * completed uploads' records. Rule 5 purges them later. */
static void dead_bury_ns(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n,
                         uint64_t ns, const uint8_t vid[16])
{
    lrows_t l = {0};
    int more = 1;
    while (more && !osd_thread_stopping(&R->gc->sync)) {
        if (lrows_page(R, pool, pg, ns, &l, &more) != 0) {
            atomic_fetch_add(&R->gc->errors, 1);
            break;
        }
        for (size_t i = 0; i < l.n; i++) {
            const lrow_t *x = &l.v[i];
            if (x->flags & TN_ROW_TOMBSTONE)
                continue;
            tn_row_t t = {.pool = pool,
                          .pg = pg,
                          .ns = ns,
                          .key = x->key,
                          .key_len = x->key_len,
                          .flags = TN_ROW_TOMBSTONE,
                          .ver = bury_ver(R, &x->ver, vid)};
            if (bury_everywhere(R, &t, osds, n) == 0)
                atomic_fetch_add(&R->gc->dead_rows, 1);
        }
        if (l.n == 0)
            break;
    }
    free(l.v);
}

/* 1 if osd answers that namespace ns of (pool, pg) holds no row at all (tombstones count). */
static int remote_ns_empty(run_t *R, int32_t osd, uint32_t pool, uint32_t pg, uint64_t ns)
{
    tn_row_list_req_t m = {.pool = pool, .pg = pg, .ns = ns, .limit = 1};
    uint8_t *body = NULL;
    size_t blen = 0;
    tn_proto_iter_t iter;
    uint8_t more = 0;
    uint32_t cnt = 0;
    int ok = tn_osdc_sync_row_list(R->cl, osd, &m, &body, &blen) == 0 &&
             tn_proto_dec_row_list_rep(body, blen, &iter, &more, &cnt) == 0 && cnt == 0;
    free(body);
    return ok;
}

/*
 * After the intents of index PG (pool, pg): for every proven-dead bucket past the grace, bury
 * its live head and upload rows; once no replica holds any row of its head and upload
 * namespaces and this run met none of its intents here, bury the dead-bucket row itself.
 */
static void dead_finish(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n)
{
    uint64_t grace = (uint64_t)R->gc->o.grace_s * 1000u;
    for (size_t i = 0; i < R->ndead && !osd_thread_stopping(&R->gc->sync); i++) {
        const struct dead_s *d = &R->dead[i];
        if (R->now_ms < d->since_ms + grace)
            continue;
        uint64_t nss[2] = {d->id, d->id ^ TN_GCREF_UPLOADS_XOR};
        for (int j = 0; j < 2; j++)
            dead_bury_ns(R, pool, pg, osds, n, nss[j], d->marker.vid);
        if (d->intents != 0)
            continue;
        int empty = 1;
        for (int k = 0; k < n && empty; k++)
            for (int j = 0; j < 2 && empty; j++)
                empty = remote_ns_empty(R, osds[k], pool, pg, nss[j]);
        if (!empty)
            continue;
        uint8_t key[8];
        tn_put_le64(key, d->id);
        tn_row_t t = {.pool = pool,
                      .pg = pg,
                      .ns = TN_GCREF_NS_DEADBKT,
                      .key = key,
                      .key_len = sizeof key,
                      .flags = TN_ROW_TOMBSTONE,
                      .ver = bury_ver(R, &d->marker, d->marker.vid)};
        if (bury_everywhere(R, &t, osds, n) == 0) {
            atomic_fetch_add(&R->gc->buckets, 1);
            tn_log_info("msg=\"gc: deleted bucket collected\" bucket=%" PRIx64, d->id);
        }
    }
}

/* GONE rows of a data PG (ns TN_GCREF_NS_GONE) old enough to be considered for a purge. */
typedef struct {
    uint8_t key[TN_GCREF_GONE_KEY_LEN];
    tn_row_ver_t ver;
} gone_t;

typedef struct {
    gone_t *v;
    size_t n, cap;
    uint64_t cutoff_ms;
    uint8_t last[TN_GCREF_GONE_KEY_LEN];
    int have_last;
} gones_t;

static int gone_cb(void *arg, const tn_row_t *row)
{
    gones_t *g = arg;
    if (row->key_len != TN_GCREF_GONE_KEY_LEN)
        return 0;
    memcpy(g->last, row->key, TN_GCREF_GONE_KEY_LEN);
    g->have_last = 1;
    if ((row->flags & TN_ROW_TOMBSTONE) || tn_hlc_physical_ms(row->ver.hlc) > g->cutoff_ms)
        return 0;
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 64;
        gone_t *nv = realloc(g->v, nc * sizeof(*nv));
        if (nv == NULL)
            return -ENOMEM;
        g->v = nv;
        g->cap = nc;
    }
    gone_t *x = &g->v[g->n++];
    memcpy(x->key, row->key, TN_GCREF_GONE_KEY_LEN);
    x->ver = row->ver;
    return 0;
}

/* 1 if holder osd holds exactly GONE row x and does not list its blob; 0 otherwise (a holder
 * that does not answer, lacks the row, holds another version or still lists the blob). */
static int gone_settled(run_t *R, int32_t osd, uint32_t pool, uint32_t pg, const gone_t *x)
{
    uint8_t *buf = NULL;
    tn_row_t r;
    int g = remote_get(R, osd, pool, pg, TN_GCREF_NS_GONE, x->key, sizeof x->key, &buf, &r);
    int same = g == 1 && !(r.flags & TN_ROW_TOMBSTONE) && tn_row_ver_cmp(&r.ver, &x->ver) == 0;
    free(buf);
    if (!same)
        return 0;
    tn_blobref_t ref = {.pool = pool, .pg = pg, .part = tn_get_le32(x->key + 16)};
    memcpy(ref.version, x->key, 16);
    tn_blob_stat_rep_t st = {0};
    return tn_osdc_sync_blob_stat(R->cl, osd, &ref, &st) == 0 && !st.exists;
}

/*
 * Purges the GONE rows of a data PG older than gone_age_s that every holder holds in the same
 * version while no holder lists the blob (docs/ARCHITECTURE.md, "Purging GONE rows"): then
 * ROW_DELETE (purge-if-unchanged) on every holder. A purge that reached only some holders is
 * undone by repair (the row travels back) and redone by a later run.
 */
static void purge_gone(run_t *R, uint32_t pool, uint32_t pg, const int32_t *osds, int n)
{
    uint64_t age = (uint64_t)R->gc->o.gone_age_s * 1000u;
    gones_t g = {.cutoff_ms = R->now_ms > age ? R->now_ms - age : 0};
    int more = 1;
    while (more && !osd_thread_stopping(&R->gc->sync)) {
        g.n = 0;
        int had = g.have_last;
        uint8_t after[TN_GCREF_GONE_KEY_LEN];
        memcpy(after, g.last, sizeof after);
        int rc = osd_idx_list(R->rd, pool, pg, TN_GCREF_NS_GONE, NULL, 0, had ? after : NULL,
                              had ? sizeof after : 0, PAGE, gone_cb, &g, &more);
        if (rc != 0) {
            atomic_fetch_add(&R->gc->errors, 1);
            break;
        }
        for (size_t i = 0; i < g.n && !osd_thread_stopping(&R->gc->sync); i++) {
            const gone_t *x = &g.v[i];
            int settled = 1;
            for (int k = 0; k < n && settled; k++)
                settled = gone_settled(R, osds[k], pool, pg, x);
            if (!settled)
                continue;
            if (delete_everywhere(R, pool, pg, osds, n, TN_GCREF_NS_GONE, x->key, sizeof x->key,
                                  &x->ver))
                atomic_fetch_add(&R->gc->gone, 1);
        }
        if (!g.have_last || !more)
            break;
    }
    free(g.v);
}

/* The GONE rows of every PG of pool this OSD is primary of. */
static void gone_pool(run_t *R, const pl_pool_t *pool)
{
    for (uint32_t pg = 0; pg < pool->pg_num && !osd_thread_stopping(&R->gc->sync); pg++) {
        int32_t osds[PL_MAX_HOLDERS];
        int n = osd_recplan_pg_holders(R->map, pool, pg, R->work, osds);
        if (n > 0 && osds[0] == R->gc->o.self)
            purge_gone(R, pool->id, pg, osds, n);
    }
}

static void do_pg(run_t *R, const pl_pool_t *pool, uint32_t pg)
{
    int32_t osds[PL_MAX_HOLDERS];
    int n = osd_recplan_pg_holders(R->map, pool, pg, R->work, osds);
    if (n <= 0 || osds[0] != R->gc->o.self)
        return;
    dead_scan(R, pool->id, pg);
    page_t page = {0};
    int more = 1, have_last = 0;
    while (more && !osd_thread_stopping(&R->gc->sync)) {
        page_clear(&page);
        int rc = osd_idx_list(R->rd, pool->id, pg, TN_GCREF_NS_INTENTS, NULL, 0,
                              have_last ? page.last : NULL, have_last ? 16 : 0, PAGE, page_cb,
                              &page, &more);
        if (rc != 0) {
            atomic_fetch_add(&R->gc->errors, 1);
            break;
        }
        have_last = page.n > 0;
        for (size_t i = 0; i < page.n && !osd_thread_stopping(&R->gc->sync); i++)
            do_intent(R, pool->id, pg, osds, n, &page.v[i]);
        if (page.n == 0)
            break;
    }
    page_clear(&page);
    free(page.v);
    dead_finish(R, pool->id, pg, osds, n);
    purge_tombstones(R, pool->id, pg, osds, n);
}

static void run_once(osd_gc_t *gc, tn_osdc_sync_t *cl, osd_idx_reader_t *rd)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pl_map_t *m = NULL;
    if (osd_ms_get(gc->ms, 0, &buf, &len) != 0 || pl_map_decode(buf, len, &m) != 0) {
        free(buf);
        atomic_fetch_add(&gc->errors, 1);
        return;
    }
    free(buf);
    run_t R = {.gc = gc, .cl = cl, .rd = rd, .map = m, .now_ms = osd_clock_wall_ms()};
    size_t ws = (pl_work_size(m) + 7) / 8 * 8;
    R.work = aligned_alloc(8, ws ? ws : 8);
    const pl_pool_t *index = pl_map_find_pool_by_name(m, "index");
    if (R.work != NULL && index != NULL) {
        tn_osdc_t *c = tn_osdc_sync_client(cl);
        for (uint32_t i = 0; i < m->n_osds; i++)
            if (m->osds[i].addr[0] != '\0')
                tn_osdc_set_osd(c, m->osds[i].id, m->osds[i].addr);
        tn_osdc_set_epoch(c, m->epoch);
        atomic_store(&gc->running, 1);
        uint64_t t0 = osd_clock_mono_ms();
        for (uint32_t pg = 0; pg < index->pg_num && !osd_thread_stopping(&gc->sync); pg++)
            do_pg(&R, index, pg);
        /* GONE rows live in the data pools: every pool but the index and the metadata */
        const pl_pool_t *meta = pl_map_find_pool_by_name(m, "meta");
        for (uint32_t p = 0; p < m->n_pools && !osd_thread_stopping(&gc->sync); p++)
            if (&m->pools[p] != index && &m->pools[p] != meta)
                gone_pool(&R, &m->pools[p]);
        atomic_store(&gc->last_ms, osd_clock_mono_ms() - t0);
        atomic_store(&gc->seen, R.seen);
        atomic_store(&gc->live, R.live);
        atomic_store(&gc->pending, R.pending);
        atomic_store(&gc->waiting, R.waiting);
        atomic_fetch_add(&gc->runs, 1);
        atomic_store(&gc->running, 0);
    }
    free(R.work);
    free(R.dead);
    pl_map_destroy(m);
}

static void *gc_main(void *arg)
{
    osd_gc_t *gc = arg;
    tn_osdc_opts_t co = {0};
    co.connect_timeout_ms = 500;
    co.request_timeout_ms = CLIENT_TIMEOUT;
    co.backoff_ms = 200;
    co.backoff_max_ms = 1000;
    co.hlc = gc->o.hlc;
    tn_osdc_sync_t *cl = tn_osdc_sync_create(&co);
    osd_idx_reader_t *rd = NULL;
    if (cl == NULL || osd_idx_reader_open(gc->idx, &rd) != 0) {
        tn_log_error("msg=\"gc: cannot start its client or reader; no garbage collection\"");
        tn_osdc_sync_destroy(cl);
        return NULL;
    }
    uint64_t next = osd_clock_mono_ms() + (uint64_t)gc->o.interval_s * 1000u;
    while (!osd_thread_stopping(&gc->sync)) {
        pthread_mutex_lock(&gc->sync.lock);
        int due = gc->kick || (gc->o.interval_s != 0 && osd_clock_mono_ms() >= next);
        if (!due) {
            osd_thread_wait_ms(&gc->sync, 250);
            pthread_mutex_unlock(&gc->sync.lock);
            continue;
        }
        gc->kick = 0;
        pthread_mutex_unlock(&gc->sync.lock);
        run_once(gc, cl, rd);
        next = osd_clock_mono_ms() + (uint64_t)gc->o.interval_s * 1000u;
    }
    osd_idx_reader_close(rd);
    tn_osdc_sync_destroy(cl);
    return NULL;
}

int osd_gc_start(const osd_gc_opts_t *opts, osd_bs_t *bs, osd_idx_t *idx, osd_mapstore_t *ms,
                 osd_gc_t **out)
{
    osd_gc_t *gc = calloc(1, sizeof(*gc));
    if (gc == NULL)
        return -ENOMEM;
    gc->o = *opts;
    gc->bs = bs;
    gc->idx = idx;
    gc->ms = ms;
    osd_thread_sync_init(&gc->sync);
    int rc = -pthread_create(&gc->thr, NULL, gc_main, gc);
    if (rc != 0) {
        osd_thread_sync_destroy(&gc->sync);
        free(gc);
        return rc;
    }
    gc->started = 1;
    *out = gc;
    return 0;
}

void osd_gc_stop(osd_gc_t *gc)
{
    if (gc == NULL)
        return;
    osd_thread_stop(&gc->sync);
    if (gc->started)
        pthread_join(gc->thr, NULL);
    osd_thread_sync_destroy(&gc->sync);
    free(gc);
}

void osd_gc_kick(osd_gc_t *gc)
{
    if (gc == NULL)
        return;
    pthread_mutex_lock(&gc->sync.lock);
    gc->kick = 1;
    osd_thread_wake(&gc->sync);
    pthread_mutex_unlock(&gc->sync.lock);
}

void osd_gc_stats(osd_gc_t *gc, osd_gc_stats_t *o)
{
    memset(o, 0, sizeof(*o));
    if (gc == NULL)
        return;
    o->runs = atomic_load(&gc->runs);
    o->running = atomic_load(&gc->running);
    o->intents_seen = atomic_load(&gc->seen);
    o->intents_live = atomic_load(&gc->live);
    o->intents_pending = atomic_load(&gc->pending);
    o->intents_waiting = atomic_load(&gc->waiting);
    o->intents_collected = atomic_load(&gc->collected);
    o->blobs_deleted = atomic_load(&gc->blobs);
    o->bytes_reclaimed = atomic_load(&gc->bytes);
    o->errors = atomic_load(&gc->errors);
    o->uploads_aborted = atomic_load(&gc->aborted);
    o->tombstones_purged = atomic_load(&gc->tombs);
    o->gone_purged = atomic_load(&gc->gone);
    o->dead_rows_buried = atomic_load(&gc->dead_rows);
    o->buckets_collected = atomic_load(&gc->buckets);
    o->last_run_ms = atomic_load(&gc->last_ms);
}
