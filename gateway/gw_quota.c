/* gw_quota.c — bucket quota enforcement with a cached usage figure (gw_quota.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "tn_log.h"
#include "gw_bucket.h"
#include "gw_objmeta.h"
#include "gw_quota.h"

int gw_quota_admit(const tn_bucket_rec_t *rec, uint64_t used_bytes, uint64_t used_objects,
                   uint64_t add_bytes, uint64_t add_objects)
{
    if (rec->max_bytes != 0 &&
        (add_bytes > rec->max_bytes || used_bytes > rec->max_bytes - add_bytes))
        return 0;
    if (rec->max_objects != 0 && add_objects > 0 &&
        (add_objects > rec->max_objects || used_objects > rec->max_objects - add_objects))
        return 0;
    return 1;
}

/* ---- per-thread usage cache ---- */

#define SLOTS 64
typedef struct {
    uint64_t id; /* 0 = empty */
    uint64_t bytes, objects;
    uint64_t expires_ms;
} usage_t;
static _Thread_local usage_t usage[SLOTS];

static usage_t *slot(uint64_t id)
{
    return &usage[(id ^ (id >> 29)) % SLOTS];
}

void gw_quota_forget(uint64_t bucket_id)
{
    usage_t *u = slot(bucket_id);
    if (u->id == bucket_id)
        u->id = 0;
}

/* What an upload adds. */
static void upload_size(gw_req_t *r, uint64_t *bytes, uint64_t *objects)
{
    *bytes = r->body.len;
    ssize_t i =
        h2o_find_header_by_str(&r->req->headers, H2O_STRLIT("x-amz-decoded-content-length"), -1);
    if (i >= 0) {
        const h2o_iovec_t *v = &r->req->headers.entries[i].value;
        uint64_t n = 0;
        size_t k = 0;
        for (; k < v->len && v->base[k] >= '0' && v->base[k] <= '9' && k < 19; k++)
            n = n * 10 + (uint64_t)(v->base[k] - '0');
        if (k == v->len && k > 0)
            *bytes = n;
    }
    switch (r->route.op) {
    case S3_OP_UPLOAD_PART: *objects = 0; break;
    case S3_OP_COMPLETE_MULTIPART_UPLOAD:
        *bytes = 0; /* the parts were counted when uploaded */
        *objects = 1;
        break;
    case S3_OP_COPY_OBJECT:
        *bytes = 0;
        *objects = 1;
        break;
    default: *objects = 1;
    }
}

static int is_upload(s3_op_t op)
{
    return op == S3_OP_PUT_OBJECT || op == S3_OP_POST_OBJECT || op == S3_OP_COPY_OBJECT ||
           op == S3_OP_UPLOAD_PART || op == S3_OP_COMPLETE_MULTIPART_UPLOAD;
}

static void decide(gw_req_t *r, const tn_bucket_rec_t *rec, usage_t *u, void (*next)(gw_req_t *))
{
    uint64_t b, o;
    upload_size(r, &b, &o);
    if (!gw_quota_admit(rec, u->bytes, u->objects, b, o)) {
        gw_req_send_error(r, S3_ERR_QUOTA_EXCEEDED, NULL);
        return;
    }
    u->bytes += b;
    u->objects += o;
    next(r);
}

typedef struct {
    gw_req_t *r; /* NULL once the client went away */
    void (*next)(gw_req_t *r);
    tn_bucket_rec_t rec;
    uint32_t pool, pg;
    uint64_t bytes, objects;
    uint8_t after[TN_ROW_MAX_KEY];
    size_t after_len;
} count_t;

static void on_cancel(void *data)
{
    ((count_t *)data)->r = NULL;
}

static void count_next(count_t *c);

static void on_count(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    count_t *c = arg;
    if (c->r == NULL) {
        free(c);
        return;
    }
    if (err != 0) {
        gw_req_t *r = c->r;
        gw_req_set_cancel(r, NULL, NULL);
        free(c);
        gw_send_cluster_error(r, err);
        return;
    }
    static _Thread_local gw_objmeta_t m;
    for (size_t i = 0; i < n; i++) {
        if (e[i].flags & TN_ROW_TOMBSTONE)
            continue;
        c->objects++;
        if (gw_objmeta_decode(e[i].value.base, e[i].value.len, &m) == TN_OK)
            c->bytes += m.size;
    }
    if (more && n > 0 && e[n - 1].key.len <= sizeof c->after) {
        memcpy(c->after, e[n - 1].key.base, e[n - 1].key.len);
        c->after_len = e[n - 1].key.len;
        count_next(c);
        return;
    }
    gw_req_t *r = c->r;
    gw_req_set_cancel(r, NULL, NULL);
    usage_t *u = slot(c->rec.id);
    *u = (usage_t){c->rec.id, c->bytes, c->objects, gw_now_ms() + GW_QUOTA_USAGE_MS};
    tn_bucket_rec_t rec = c->rec;
    void (*next)(gw_req_t *) = c->next;
    free(c);
    decide(r, &rec, u, next);
}

static void count_next(count_t *c)
{
    int rc = gw_cl_row_list(c->r->thread->osd, c->pool, c->pg, c->rec.id, NULL, 0, c->after,
                            c->after_len, TN_PROTO_MAX_LIST, on_count, c);
    if (rc != 0) {
        gw_req_t *r = c->r;
        gw_req_set_cancel(r, NULL, NULL);
        free(c);
        gw_send_cluster_error(r, rc);
    }
}

void gw_quota_check(gw_req_t *r, const tn_bucket_rec_t *rec, void (*next)(gw_req_t *r))
{
    if ((rec->max_bytes == 0 && rec->max_objects == 0) || !is_upload(r->route.op)) {
        next(r);
        return;
    }
    usage_t *u = slot(rec->id);
    if (u->id == rec->id && u->expires_ms > gw_now_ms()) {
        decide(r, rec, u, next);
        return;
    }
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    count_t *c = calloc(1, sizeof *c);
    if (c == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    c->r = r;
    c->next = next;
    c->rec = *rec;
    int rc = gw_bucket_index_pg(r->thread->server, rec->id, &c->pool, &c->pg);
    if (rc != TN_OK) {
        free(c);
        gw_send_cluster_error(r, rc);
        return;
    }
    gw_req_set_cancel(r, on_cancel, c);
    count_next(c);
}
