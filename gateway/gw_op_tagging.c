/* gw_op_tagging.c — PutObjectTagging, GetObjectTagging, DeleteObjectTagging.
 *
 * Tags live in the object's head row (gw_objmeta.h: up to 10 pairs). Get reads the row. Put and
 * Delete read the row and write it again with the new tag set and everything else unchanged:
 * the same data vid (or inline bytes, or part table), so the data is not touched and no blob
 * gains a second owner (the old row version is superseded by the new one).
 *
 * A read-modify-write on an LWW register could undo a write that lands between the read and
 * the write (a PUT of new content would lose to the tag update carrying the old content). So
 * the new row is stamped just after the version it was derived from (hlc + 1) and written with
 * TN_PROTO_ROW_MERGE (no re-stamping): any later write to the key (PUT, DELETE, CopyObject,
 * another tag update) has a higher stamp and wins on every replica, and the tag update is
 * ordered as if it happened right after the version it read. The answer is then a success
 * whose effect a concurrent overwrite already replaced, which S3 allows for concurrent
 * requests; never a resurrected old version.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "s3_copy.h"
#include "s3_xml.h"
#include "s3_xml_parse.h"
#include "gw_objhead.h"
#include "gw_ops.h"

typedef struct {
    gw_opref_t o;
    gw_objhead_t h;
    s3_tagging_t body;
    int body_init;
    int is_delete;
    uint8_t *val;
} tg_t;

static void tg_cleanup(void *self)
{
    tg_t *t = self;
    gw_objhead_free(&t->h);
    if (t->body_init)
        s3_xml_arena_free(&t->body.arena);
    free(t->val);
}

static tg_t *tg_new(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return NULL;
    }
    s3_err_t ve = s3_version_id_check(s3_route_param(&r->route, "versionId"));
    if (ve != S3_OK) {
        gw_req_send_error(r, ve,
                          ve == S3_ERR_INVALID_ARGUMENT ? "Invalid version id specified" : NULL);
        return NULL;
    }
    tg_t *t = gw_opref_new(r, sizeof *t);
    if (t == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return NULL;
    }
    t->o.cleanup = tg_cleanup;
    return t;
}

/* ---- GetObjectTagging ---- */

static void on_get_head(void *op)
{
    tg_t *t = op;
    gw_req_t *r = t->o.r;
    s3_buf_t x;
    s3_buf_init(&x, 16384);
    s3_xml_decl(&x);
    s3_xml_open_ns(&x, "Tagging", S3_XML_NS);
    s3_xml_open(&x, "TagSet");
    for (size_t i = 0; i < t->h.m.n_tags; i++) {
        s3_xml_open(&x, "Tag");
        s3_xml_elem(&x, "Key", t->h.m.tags[i].name.base, t->h.m.tags[i].name.len);
        s3_xml_elem(&x, "Value", t->h.m.tags[i].value.base, t->h.m.tags[i].value.len);
        s3_xml_close(&x, "Tag");
    }
    s3_xml_close(&x, "TagSet");
    s3_xml_close(&x, "Tagging");
    if (s3_buf_ok(&x))
        gw_req_send(r, 200, "application/xml", x.base, x.len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(&x);
    gw_opref_done(t);
}

void gw_op_get_object_tagging(gw_req_t *r)
{
    tg_t *t = tg_new(r);
    if (t != NULL)
        gw_objhead_read(&t->h, t, r->route.bucket, r->route.key, on_get_head);
}

/* ---- PutObjectTagging / DeleteObjectTagging ---- */

static void on_tags_written(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    tg_t *t = arg;
    gw_req_t *r = t->o.r;
    if (r != NULL) {
        if (err != 0)
            gw_send_cluster_error(r, err);
        else
            gw_req_send(r, t->is_delete ? 204 : 200, NULL, "", 0);
    }
    gw_opref_done(t);
}

static void on_put_head(void *op)
{
    tg_t *t = op;
    gw_req_t *r = t->o.r;
    gw_objmeta_t *m = &t->h.m;
    m->n_tags = 0;
    for (size_t i = 0; !t->is_delete && i < t->body.n_tags; i++) {
        m->tags[i].name = t->body.tags[i].key;
        m->tags[i].value = t->body.tags[i].value;
        m->n_tags++;
    }
    size_t vlen = gw_objmeta_encoded_len(m);
    int rc = TN_OK;
    if ((t->val = malloc(vlen)) == NULL || gw_objmeta_encode(m, t->val, vlen) < 0 ||
        vlen > TN_ROW_MAX_VALUE) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        gw_opref_done(t);
        return;
    }
    tn_row_t row = {.pool = t->h.pool,
                    .pg = t->h.pg,
                    .ns = t->h.bucket.id,
                    .key = (const uint8_t *)r->route.key.base,
                    .key_len = r->route.key.len,
                    .value = t->val,
                    .value_len = vlen,
                    .inl = t->h.inl,
                    .inl_len = t->h.inl_len};
    /* just after the version read, never re-stamped (see the top of this file) */
    row.ver.hlc = t->h.ver.hlc + 1;
    row.ver.origin = t->h.ver.origin;
    gw_random(row.ver.vid, sizeof row.ver.vid);
    rc = gw_cl_row_put(r->thread->osd, t->h.pool, t->h.pg, &row, TN_PROTO_ROW_MERGE,
                       on_tags_written, t);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(t);
    }
}

void gw_op_put_object_tagging(gw_req_t *r)
{
    tg_t *t = tg_new(r);
    if (t == NULL)
        return;
    s3_why_t why = {0};
    t->body_init = 1;
    s3_err_t e = s3_xml_parse_tagging(r->body.base != NULL ? r->body.base : "", r->body.len,
                                      S3_TAGS_MAX_OBJECT, &t->body, &why);
    if (e != S3_OK) {
        const char *msg = s3_why_message(&why);
        size_t ml = strlen(msg);
        char *pm = h2o_mem_alloc_pool(&r->req->pool, ml + 1);
        memcpy(pm, msg, ml + 1);
        gw_req_send_error(r, e, pm);
        gw_opref_done(t);
        return;
    }
    gw_objhead_read(&t->h, t, r->route.bucket, r->route.key, on_put_head);
}

void gw_op_delete_object_tagging(gw_req_t *r)
{
    tg_t *t = tg_new(r);
    if (t == NULL)
        return;
    t->is_delete = 1;
    gw_objhead_read(&t->h, t, r->route.bucket, r->route.key, on_put_head);
}
