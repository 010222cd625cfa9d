/* gw_op_bucket.c — CreateBucket, HeadBucket, ListBuckets, GetBucketLocation, DeleteBucket
 * (data model in gw_bucket.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tn_log.h"
#include "tn_time.h"
#include "s3_xml.h"
#include "gw_acl_check.h"
#include "gw_bucket.h"
#include "gw_intent.h"
#include "gw_ops.h"

static int has_cluster(gw_req_t *r)
{
    if (r->thread->osd != NULL)
        return 1;
    gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
    return 0;
}

/* ---- CreateBucket ---- */

/* A bucket belongs to the caller: its user for user keys, the creating key for admin keys. */
static int owned_by_caller(gw_req_t *r, const gw_bucket_rec_t *rec)
{
    const gw_principal_t *p = &r->auth.principal;
    if (p->kind == GW_PRINC_USER)
        return rec->user[0] != '\0' && strcmp(rec->user, p->user) == 0;
    return rec->user[0] == '\0' && strcmp(rec->owner, r->access_key) == 0;
}

typedef struct {
    gw_opref_t o;
    gw_bucket_rec_t rec;
} create_t;

static void on_create_lookup(void *arg, int err, const gw_bucket_rec_t *rec,
                             const tn_row_ver_t *ver)
{
    (void)ver;
    create_t *c = arg;
    gw_req_t *r = c->o.r;
    if (r != NULL) {
        if (err == 0)
            gw_req_send_error(r,
                              owned_by_caller(r, rec) ? S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU
                                                      : S3_ERR_BUCKET_ALREADY_EXISTS,
                              NULL);
        else /* both creators lost some replicas: nobody owns the name */
            gw_req_send_error(r, S3_ERR_OPERATION_ABORTED, NULL);
    }
    gw_opref_done(c);
}

static void on_create(void *arg, const gw_allrep_t *res)
{
    create_t *c = arg;
    gw_req_t *r = c->o.r;
    if (r == NULL) {
        gw_opref_done(c);
        return;
    }
    if (res->ok == res->replicas) {
        char loc[80];
        int n = snprintf(loc, sizeof loc, "/%.*s", (int)r->route.bucket.len, r->route.bucket.base);
        gw_req_add_header(r, "location", loc, (size_t)n);
        gw_req_send(r, 200, NULL, "", 0);
        gw_opref_done(c);
        return;
    }
    if (res->exist > 0) {
        gw_bucket_rec_t hit;
        int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 0, &hit,
                                  on_create_lookup, c);
        if (rc == 0)
            return;
        gw_req_send_error(r, S3_ERR_BUCKET_ALREADY_EXISTS, NULL);
        gw_opref_done(c);
        return;
    }
    tn_log_warn("msg=\"CreateBucket: not every replica answered\" bucket=\"%.*s\" ok=%d "
                "failed=%d replicas=%d",
                (int)r->route.bucket.len, r->route.bucket.base, res->ok, res->failed,
                res->replicas);
    gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE,
                      "Not every replica of the bucket record could be written; retry");
    gw_opref_done(c);
}

static void op_create_bucket(gw_req_t *r)
{
    const tn_slice_t *b = &r->route.bucket;
    if (!s3_bucket_name_valid(b->base, b->len)) {
        gw_req_send_error(r, S3_ERR_INVALID_BUCKET_NAME, NULL);
        return;
    }
    if (!has_cluster(r))
        return;
    uint32_t pool, pg;
    if (gw_bucket_place(r->thread->server, "meta", b->base, b->len, &pool, &pg) != TN_OK) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "No meta pool");
        return;
    }
    create_t *c = gw_opref_new(r, sizeof *c);
    if (c == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    gw_random(&c->rec.id, sizeof c->rec.id);
    c->rec.created_ms = gw_now_ms();
    snprintf(c->rec.owner, sizeof c->rec.owner, "%s", r->access_key);
    gw_acl_t acl;
    int present;
    s3_why_t why = {S3_OK, ""};
    if (gw_acl_check_headers(r, r->access_key, 0, &acl, &present, &why) != S3_OK) {
        gw_req_send_error(r, why.err, s3_why_message(&why));
        gw_opref_done(c);
        return;
    }
    c->rec.acl = (uint8_t)acl;
    if (r->auth.principal.kind == GW_PRINC_USER)
        snprintf(c->rec.user, sizeof c->rec.user, "%s", r->auth.principal.user);
    uint8_t val[TN_TENANT_REC_MAX];
    int vlen = gw_bucket_rec_encode(&c->rec, val, sizeof val);
    gw_server_t *s = r->thread->server;
    tn_row_t row = {.pool = pool,
                    .pg = pg,
                    .ns = GW_BUCKET_NS,
                    .key = (const uint8_t *)b->base,
                    .key_len = b->len,
                    .value = val,
                    .value_len = vlen > 0 ? (size_t)vlen : 0};
    row.ver.hlc = tn_hlc_now(&s->hlc, gw_now_ms());
    row.ver.origin = s->origin_id;
    gw_random(row.ver.vid, sizeof row.ver.vid);
    int rc = vlen > 0
                 ? gw_bucket_write_all(r->thread, &row, TN_PROTO_ROW_CREATE, NULL, on_create, c)
                 : TN_ERR_TOO_BIG;
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(c);
    }
}

/* ---- HeadBucket / GetBucketLocation ---- */

static void on_bucket_found(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    (void)rec;
    gw_opref_t *o = arg;
    gw_req_t *r = o->r;
    if (r != NULL) {
        if (err != 0) {
            gw_bucket_send_lookup_error(r, err);
        } else if (r->route.op == S3_OP_GET_BUCKET_LOCATION) {
            const char *region = r->thread->server->conf->gateway.region;
            if (region == NULL || strcmp(region, "us-east-1") == 0)
                region = "";
            s3_buf_t x;
            s3_buf_init(&x, 4096);
            s3_xml_decl(&x);
            s3_xml_open_ns(&x, "LocationConstraint", S3_XML_NS);
            s3_xml_text(&x, region, strlen(region));
            s3_xml_close(&x, "LocationConstraint");
            if (s3_buf_ok(&x))
                gw_req_send(r, 200, "application/xml", x.base, x.len);
            else
                gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
            s3_buf_free(&x);
        } else {
            gw_req_send(r, 200, NULL, "", 0);
        }
    }
    gw_opref_done(o);
}

static void op_head_bucket(gw_req_t *r)
{
    if (!has_cluster(r))
        return;
    gw_opref_t *o = gw_opref_new(r, sizeof *o);
    if (o == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 0, &hit,
                              on_bucket_found, o);
    if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(o);
    }
}

/* ---- ListBuckets ---- */

typedef struct {
    char name[64];
    uint64_t created_ms;
} lb_ent_t;

typedef struct {
    gw_opref_t o;
    uint32_t pool, pg, pg_num;
    char after[64];
    size_t after_len;
    lb_ent_t *ents;
    size_t n, cap;
    int failed;
} listb_t;

static void listb_cleanup(void *self)
{
    free(((listb_t *)self)->ents);
}

static int lb_cmp(const void *a, const void *b)
{
    return strcmp(((const lb_ent_t *)a)->name, ((const lb_ent_t *)b)->name);
}

static void listb_next(listb_t *l);

static void listb_answer(listb_t *l)
{
    gw_req_t *r = l->o.r;
    if (l->n > 1)
        qsort(l->ents, l->n, sizeof *l->ents, lb_cmp);
    s3_buf_t x;
    s3_buf_init(&x, 64u << 20);
    s3_xml_decl(&x);
    s3_xml_open_ns(&x, "ListAllMyBucketsResult", S3_XML_NS);
    s3_xml_open(&x, "Owner");
    s3_xml_elem_str(&x, "ID", r->access_key);
    s3_xml_elem_str(&x, "DisplayName", r->access_key);
    s3_xml_close(&x, "Owner");
    s3_xml_open(&x, "Buckets");
    for (size_t i = 0; i < l->n; i++) {
        char date[40];
        tn_time_format_iso_ms((int64_t)l->ents[i].created_ms, date);
        s3_xml_open(&x, "Bucket");
        s3_xml_elem_str(&x, "Name", l->ents[i].name);
        s3_xml_elem_str(&x, "CreationDate", date);
        s3_xml_close(&x, "Bucket");
    }
    s3_xml_close(&x, "Buckets");
    s3_xml_close(&x, "ListAllMyBucketsResult");
    if (s3_buf_ok(&x))
        gw_req_send(r, 200, "application/xml", x.base, x.len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(&x);
}

static void on_listb(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    listb_t *l = arg;
    if (l->o.r == NULL) {
        gw_opref_done(l);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(l->o.r, err);
        gw_opref_done(l);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        gw_bucket_rec_t rec;
        if ((e[i].flags & TN_ROW_TOMBSTONE) || e[i].key.len >= sizeof l->ents[0].name ||
            gw_bucket_rec_decode(e[i].value.base, e[i].value.len, &rec) != TN_OK)
            continue;
        char name[sizeof l->ents[0].name];
        memcpy(name, e[i].key.base, e[i].key.len);
        name[e[i].key.len] = '\0';
        if (!gw_authz_lists(&l->o.r->auth.principal, name, &rec))
            continue;
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 64;
            lb_ent_t *ne = realloc(l->ents, nc * sizeof *ne);
            if (ne == NULL) {
                gw_req_send_error(l->o.r, S3_ERR_INTERNAL_ERROR, NULL);
                gw_opref_done(l);
                return;
            }
            l->ents = ne;
            l->cap = nc;
        }
        memcpy(l->ents[l->n].name, e[i].key.base, e[i].key.len);
        l->ents[l->n].name[e[i].key.len] = '\0';
        l->ents[l->n].created_ms = rec.created_ms;
        l->n++;
    }
    if (more && n > 0 && e[n - 1].key.len < sizeof l->after) {
        memcpy(l->after, e[n - 1].key.base, e[n - 1].key.len);
        l->after_len = e[n - 1].key.len;
    } else {
        l->pg++;
        l->after_len = 0;
    }
    if (l->pg >= l->pg_num) {
        listb_answer(l);
        gw_opref_done(l);
        return;
    }
    listb_next(l);
}

static void listb_next(listb_t *l)
{
    int rc = gw_cl_row_list(l->o.r->thread->osd, l->pool, l->pg, GW_BUCKET_NS, NULL, 0, l->after,
                            l->after_len, TN_PROTO_MAX_LIST, on_listb, l);
    if (rc != 0) {
        gw_send_cluster_error(l->o.r, rc);
        gw_opref_done(l);
    }
}

static void op_list_buckets(gw_req_t *r)
{
    if (!has_cluster(r))
        return;
    gw_server_t *s = r->thread->server;
    listb_t *l = gw_opref_new(r, sizeof *l);
    if (l == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    l->o.cleanup = listb_cleanup;
    uint32_t pg0;
    if (gw_bucket_place(s, "meta", "x", 1, &l->pool, &pg0) != TN_OK) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, NULL);
        gw_opref_done(l);
        return;
    }
    gw_map_snap_t *snap = gw_map_snap_get(s->map);
    const pl_pool_t *pool = pl_map_find_pool(snap->map, l->pool);
    l->pg_num = pool != NULL ? pool->pg_num : 0;
    gw_map_snap_put(snap);
    listb_next(l);
}

/* ---- DeleteBucket ---- */

typedef struct {
    gw_opref_t o;
    gw_bucket_rec_t rec;
    tn_proto_ver_t ver;
    uint32_t ipool, ipg;
    uint8_t after[TN_ROW_MAX_KEY];
    size_t after_len;
} delb_t;

static void on_delb_written(void *arg, const gw_allrep_t *res)
{
    delb_t *d = arg;
    gw_req_t *r = d->o.r;
    if (r != NULL) {
        gw_bucket_cache_drop(r->route.bucket.base, r->route.bucket.len);
        if (res->ok == res->replicas)
            gw_req_send(r, 204, NULL, "", 0);
        else if (res->precondition > 0)
            gw_req_send_error(r, S3_ERR_OPERATION_ABORTED, NULL);
        else
            gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE,
                              "Not every replica of the bucket record could be written; retry");
    }
    gw_opref_done(d);
}

static void delb_write(delb_t *d)
{
    gw_req_t *r = d->o.r;
    gw_server_t *s = r->thread->server;
    uint32_t pool, pg;
    int rc = gw_bucket_place(s, "meta", r->route.bucket.base, r->route.bucket.len, &pool, &pg);
    tn_row_t row = {.pool = pool,
                    .pg = pg,
                    .ns = GW_BUCKET_NS,
                    .key = (const uint8_t *)r->route.bucket.base,
                    .key_len = r->route.bucket.len,
                    .flags = TN_ROW_TOMBSTONE};
    uint64_t h = tn_hlc_now(&s->hlc, gw_now_ms());
    row.ver.hlc = h > d->ver.hlc ? h : d->ver.hlc + 1;
    row.ver.origin = s->origin_id;
    gw_random(row.ver.vid, sizeof row.ver.vid);
    if (rc == TN_OK)
        rc = gw_bucket_write_all(r->thread, &row, TN_PROTO_ROW_IF_VERSION, &d->ver, on_delb_written,
                                 d);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(d);
    }
}

static void delb_list(delb_t *d);

static void on_delb_marked(void *arg, int err)
{
    delb_t *d = arg;
    if (d->o.r == NULL) {
        gw_opref_done(d);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(d->o.r, err);
        gw_opref_done(d);
        return;
    }
    delb_write(d);
}

/* The dead-bucket row first (gw_intent.h: what lets the collector find the id's leftovers),
 * then the record's tombstone. */
static void delb_mark(delb_t *d)
{
    gw_req_t *r = d->o.r;
    int rc = gw_intent_bucket_deleting(r->thread, d->rec.id, r->route.bucket.base,
                                       r->route.bucket.len, on_delb_marked, d);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(d);
    }
}

static void on_delb_list(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    delb_t *d = arg;
    if (d->o.r == NULL) {
        gw_opref_done(d);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(d->o.r, err);
        gw_opref_done(d);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!(e[i].flags & TN_ROW_TOMBSTONE)) {
            gw_req_send_error(d->o.r, S3_ERR_BUCKET_NOT_EMPTY, NULL);
            gw_opref_done(d);
            return;
        }
    if (more && n > 0) {
        memcpy(d->after, e[n - 1].key.base, e[n - 1].key.len);
        d->after_len = e[n - 1].key.len;
        delb_list(d);
        return;
    }
    delb_mark(d);
}

static void delb_list(delb_t *d)
{
    int rc = gw_cl_row_list(d->o.r->thread->osd, d->ipool, d->ipg, d->rec.id, NULL, 0, d->after,
                            d->after_len, 100, on_delb_list, d);
    if (rc != 0) {
        gw_send_cluster_error(d->o.r, rc);
        gw_opref_done(d);
    }
}

static void on_delb_lookup(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    delb_t *d = arg;
    gw_req_t *r = gw_bucket_lookup_settle(d, err);
    if (r == NULL)
        return;
    d->rec = *rec;
    d->ver.hlc = ver->hlc;
    d->ver.origin = ver->origin;
    memcpy(d->ver.vid, ver->vid, TN_ROW_VID_LEN);
    if (gw_bucket_index_pg(r->thread->server, rec->id, &d->ipool, &d->ipg) != TN_OK) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, NULL);
        gw_opref_done(d);
        return;
    }
    delb_list(d);
}

static void op_delete_bucket(gw_req_t *r)
{
    if (!has_cluster(r))
        return;
    delb_t *d = gw_opref_new(r, sizeof *d);
    if (d == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 0, &hit,
                              on_delb_lookup, d);
    if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(d);
    }
}

void gw_op_create_bucket(gw_req_t *r)
{
    op_create_bucket(r);
}
void gw_op_head_bucket(gw_req_t *r)
{
    op_head_bucket(r);
}
void gw_op_list_buckets(gw_req_t *r)
{
    op_list_buckets(r);
}
void gw_op_get_bucket_location(gw_req_t *r)
{
    op_head_bucket(r);
}
void gw_op_delete_bucket(gw_req_t *r)
{
    op_delete_bucket(r);
}
