/*
 * gw_op_list.c — ListObjects (V1), ListObjectsV2, ListObjectVersions (unversioned buckets:
 * every live object is its only version, "null") and GetBucketVersioning: the asynchronous
 * edge of the pure listing core (s3_list.h) on the replication layer (gw_cluster.h).
 *
 * FLOW: parse the parameters (errors answered before any I/O) -> bucket lookup -> a cursor per
 * index shard (one today: gw_bucket_index_pg) -> a k-way merge in key order feeding
 * s3_list_page_add -> the response XML.
 *
 * CURSORS: each holds a copy of its shard's last quorum listing page (gw_cl_row_list: replicas
 *   merged honestly, tombstones included) and whether the shard has more. The merge takes the
 *   smallest key among the cursors; whenever a cursor with more rows has run dry, every such
 *   cursor is refilled (in parallel) before the merge goes on, so keys always come out in
 *   order. A refill starts after the page's seek position (s3_list_page_seek): past a whole
 *   common prefix once one was returned, so a delimiter listing never reads the keys under a
 *   prefix beyond the batch it already holds. Keys never repeat across shards (a key lives in
 *   exactly one shard), so the merge needs no de-duplication.
 *
 * BOUNDS: a refill asks for the items still missing plus one (to tell whether the page is
 *   truncated), at least GW_LIST_MIN_FETCH and at most S3_LIST_MAX_KEYS rows. After
 *   GW_LIST_MAX_FETCHES refills a request ends its page early (IsTruncated, resumable) when the
 *   position allows it; after GW_LIST_HARD_FETCHES it fails with 503 (only a cluster that keeps
 *   answering "more" without rows could get there).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tn_log.h"
#include "s3_list.h"
#include "gw_acl_check.h"
#include "gw_bucket.h"
#include "gw_objmeta.h"
#include "gw_ops.h"

#define GW_LIST_SHARDS       1 /* index shards per bucket (gw_bucket.h): one today */
#define GW_LIST_MIN_FETCH    16u
#define GW_LIST_MAX_FETCHES  32u
#define GW_LIST_HARD_FETCHES 128u
#define GW_LIST_XML_MAX      (16u << 20)

typedef struct {
    uint32_t key_off, key_len; /* into the cursor's keys */
    int tomb;
    s3_list_obj_t obj;
} cent_t;

typedef struct list list_t;

typedef struct {
    list_t *owner;
    uint32_t pg;
    cent_t *ents;
    size_t n, i;   /* entries of the batch; the next to merge */
    uint8_t *keys; /* key bytes of the batch */
    size_t keys_cap;
    int more; /* the shard has rows after the batch */
    uint8_t last[S3_KEY_MAX];
    size_t last_len; /* the batch's last key (a refill never starts before it) */
} cursor_t;

struct list {
    gw_opref_t o;
    s3_list_params_t p;
    s3_list_page_t page;
    gw_bucket_rec_t rec;
    uint32_t pool;
    cursor_t cur[GW_LIST_SHARDS];
    size_t n_cur;
    unsigned fetches;  /* refills started */
    int waiting;       /* refills in flight */
    int err;           /* first refill error */
    gw_objmeta_t meta; /* decoding scratch (large: kept off the stack) */
};

static void list_cleanup(void *self)
{
    list_t *l = self;
    s3_list_page_free(&l->page);
    for (size_t i = 0; i < l->n_cur; i++) {
        free(l->cur[i].ents);
        free(l->cur[i].keys);
    }
}

static int has_cluster(gw_req_t *r)
{
    if (r->thread->osd != NULL)
        return 1;
    gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
    return 0;
}

static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static void list_answer(list_t *l)
{
    gw_req_t *r = l->o.r;
    s3_buf_t x;
    s3_buf_init(&x, GW_LIST_XML_MAX);
    char bucket[S3_BUCKET_MAX + 1];
    size_t blen = r->route.bucket.len < sizeof bucket ? r->route.bucket.len : S3_BUCKET_MAX;
    memcpy(bucket, r->route.bucket.base, blen);
    if (s3_list_xml(&l->page, bucket, blen, l->rec.owner, &x) == TN_OK)
        gw_req_send(r, 200, "application/xml", x.base, x.len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(&x);
}

static void list_step(list_t *l);

/* Copies a merged page into the cursor (entries are valid only during the callback). */
static int cursor_fill(list_t *l, cursor_t *c, const gw_cl_entry_t *e, size_t n, int more)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += e[i].key.len;
    if (bytes > c->keys_cap) {
        uint8_t *k = realloc(c->keys, bytes);
        if (k == NULL)
            return -ENOMEM;
        c->keys = k;
        c->keys_cap = bytes;
    }
    cent_t *ne = realloc(c->ents, (n ? n : 1) * sizeof *ne);
    if (ne == NULL)
        return -ENOMEM;
    c->ents = ne;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        cent_t *d = &c->ents[i];
        if (e[i].key.len == 0 || e[i].key.len > S3_KEY_MAX)
            return TN_ERR_CORRUPT;
        memcpy(c->keys + off, e[i].key.base, e[i].key.len);
        d->key_off = (uint32_t)off;
        d->key_len = (uint32_t)e[i].key.len;
        off += e[i].key.len;
        d->tomb = (e[i].flags & TN_ROW_TOMBSTONE) != 0;
        memset(&d->obj, 0, sizeof d->obj);
        if (d->tomb)
            continue;
        if (gw_objmeta_decode(e[i].value.base, e[i].value.len, &l->meta) != TN_OK) {
            tn_log_error("msg=\"listing: undecodable object head row\" bucket_id=%016llx "
                         "key=\"%.*s\"",
                         (unsigned long long)l->rec.id, (int)e[i].key.len, e[i].key.base);
            return TN_ERR_CORRUPT;
        }
        d->obj.size = l->meta.size;
        d->obj.mtime_ms = l->meta.mtime_ms;
        memcpy(d->obj.md5, l->meta.md5, 16);
        d->obj.part_count = l->meta.is_multipart ? l->meta.part_count : 0;
    }
    c->n = n;
    c->i = 0;
    c->more = more;
    if (n > 0) {
        c->last_len = e[n - 1].key.len;
        memcpy(c->last, e[n - 1].key.base, c->last_len);
    }
    return 0;
}

static void list_fail(list_t *l, int err)
{
    if (l->o.r != NULL)
        gw_send_cluster_error(l->o.r, err);
    gw_opref_done(l);
}

static void on_fetch(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    cursor_t *c = arg;
    list_t *l = c->owner;
    if (err == 0 && l->err == 0 && l->o.r != NULL)
        err = cursor_fill(l, c, e, n, more);
    if (err != 0 && l->err == 0)
        l->err = err;
    if (--l->waiting > 0)
        return;
    if (l->err != 0) {
        list_fail(l, l->err);
        return;
    }
    list_step(l);
}

/* Starts a refill of c after the page's seek position (or its own last key, if later). */
static int cursor_fetch(list_t *l, cursor_t *c)
{
    uint8_t after[S3_KEY_MAX];
    size_t after_len = s3_list_page_seek(&l->page, after);
    if (c->last_len > 0 && key_cmp(after, after_len, c->last, c->last_len) < 0) {
        memcpy(after, c->last, c->last_len);
        after_len = c->last_len;
    }
    uint32_t want = l->p.max_keys - (uint32_t)l->page.n + 1;
    if (want < GW_LIST_MIN_FETCH)
        want = GW_LIST_MIN_FETCH;
    if (want > S3_LIST_MAX_KEYS)
        want = S3_LIST_MAX_KEYS;
    c->n = c->i = 0;
    return gw_cl_row_list(l->o.r->thread->osd, l->pool, c->pg, l->rec.id, l->p.prefix.base,
                          l->p.prefix.len, after, after_len, want, on_fetch, c);
}

/* Merges until the page is complete, or until cursors need refilling (then returns; on_fetch
 * calls back here). Ends the operation when it answers. */
static void list_step(list_t *l)
{
    if (l->o.r == NULL) {
        gw_opref_done(l);
        return;
    }
    for (;;) {
        int dry = 0;
        for (size_t k = 0; k < l->n_cur; k++)
            if (l->cur[k].i == l->cur[k].n && l->cur[k].more)
                dry++;
        if (dry > 0) {
            if (l->fetches >= GW_LIST_MAX_FETCHES && s3_list_page_can_cut(&l->page)) {
                s3_list_page_cut(&l->page);
                break;
            }
            if (l->fetches >= GW_LIST_HARD_FETCHES) {
                tn_log_warn("msg=\"listing: no progress\" bucket_id=%016llx fetches=%u",
                            (unsigned long long)l->rec.id, l->fetches);
                list_fail(l, TN_ERR_QUORUM);
                return;
            }
            /* waiting counts the refills first, so a callback cannot see it reach 0 early
             * (callbacks never run inside gw_cl_row_list anyway) */
            for (size_t k = 0; k < l->n_cur; k++) {
                cursor_t *c = &l->cur[k];
                if (c->i != c->n || !c->more)
                    continue;
                int rc = cursor_fetch(l, c);
                l->fetches++;
                if (rc != 0) {
                    if (l->err == 0)
                        l->err = rc;
                    continue;
                }
                l->waiting++;
            }
            if (l->waiting == 0)
                list_fail(l, l->err);
            return;
        }
        cursor_t *m = NULL;
        for (size_t k = 0; k < l->n_cur; k++) {
            cursor_t *c = &l->cur[k];
            if (c->i == c->n)
                continue;
            if (m == NULL || key_cmp(c->keys + c->ents[c->i].key_off, c->ents[c->i].key_len,
                                     m->keys + m->ents[m->i].key_off, m->ents[m->i].key_len) < 0)
                m = c;
        }
        if (m == NULL)
            break; /* every shard ended */
        const cent_t *e = &m->ents[m->i++];
        int rc =
            s3_list_page_add(&l->page, m->keys + e->key_off, e->key_len, e->tomb ? NULL : &e->obj);
        if (rc < 0) {
            list_fail(l, rc);
            return;
        }
        if (rc == S3_LIST_FULL)
            break;
    }
    list_answer(l);
    gw_opref_done(l);
}

static void on_list_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    list_t *l = arg;
    gw_req_t *r = gw_bucket_lookup_settle(l, err);
    if (r == NULL)
        return;
    l->rec = *rec;
    /* who may list was decided by the authorization stage (gw_access.h: also anonymous
     * listings by a public-read bucket ACL or a policy granting s3:ListBucket) */
    gw_acl_check_cors(r, rec);
    if (r->route.op == S3_OP_GET_BUCKET_VERSIONING) {
        s3_buf_t x;
        s3_buf_init(&x, 4096);
        if (s3_list_versioning_xml(&x) == TN_OK)
            gw_req_send(r, 200, "application/xml", x.base, x.len);
        else
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        s3_buf_free(&x);
        gw_opref_done(l);
        return;
    }
    l->n_cur = GW_LIST_SHARDS;
    for (size_t k = 0; k < l->n_cur; k++) {
        uint32_t pg;
        /* shard k of the bucket: only shard 0 exists today (gw_bucket_index_pg) */
        if (gw_bucket_index_pg(r->thread->server, rec->id, &l->pool, &pg) != TN_OK) {
            gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "No index pool");
            gw_opref_done(l);
            return;
        }
        l->cur[k].owner = l;
        l->cur[k].pg = pg;
        /* max-keys 0, or a prefix no key can have: nothing to read */
        l->cur[k].more = l->p.max_keys > 0 && l->p.prefix.len <= S3_KEY_MAX;
    }
    list_step(l);
}

static void op_list(gw_req_t *r, s3_list_kind_t kind)
{
    list_t *l = gw_opref_new(r, sizeof *l);
    if (l == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    l->o.cleanup = list_cleanup;
    if (kind != 0) {
        const char *msg = NULL;
        s3_err_t e = s3_list_params_parse(kind, r->route.params, r->route.n_params, &l->p, &msg);
        if (e != S3_OK) {
            gw_req_send_error(r, e, msg);
            gw_opref_done(l);
            return;
        }
        s3_list_page_init(&l->page, &l->p);
    }
    if (!has_cluster(r)) {
        gw_opref_done(l);
        return;
    }
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                              on_list_bucket, l);
    if (rc == 1) {
        on_list_bucket(l, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(l);
    }
}

void gw_op_list_objects(gw_req_t *r)
{
    op_list(r, S3_LIST_V1);
}

void gw_op_list_objects_v2(gw_req_t *r)
{
    op_list(r, S3_LIST_V2);
}

void gw_op_list_object_versions(gw_req_t *r)
{
    op_list(r, S3_LIST_VERSIONS);
}

void gw_op_get_bucket_versioning(gw_req_t *r)
{
    op_list(r, (s3_list_kind_t)0);
}
