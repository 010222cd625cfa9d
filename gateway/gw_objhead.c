/* gw_objhead.c — read and decode one object's head row (see gw_objhead.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "tn_log.h"
#include "gw_access.h"
#include "gw_objhead.h"

static void on_row(void *arg, int err, const tn_row_t *row)
{
    gw_objhead_t *h = arg;
    gw_req_t *r = ((gw_opref_t *)h->op)->r;
    if (r == NULL) {
        gw_opref_done(h->op);
        return;
    }
    if (err == TN_ERR_NOT_FOUND || (err == 0 && (row->flags & TN_ROW_TOMBSTONE))) {
        gw_req_send_error(r, h->by_acl ? S3_ERR_ACCESS_DENIED : S3_ERR_NO_SUCH_KEY, NULL);
    } else if (err != 0) {
        gw_send_cluster_error(r, err);
    } else if ((h->val = malloc(row->value_len + 1)) == NULL ||
               (h->inl = malloc(row->inl_len + 1)) == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    } else {
        memcpy(h->val, row->value, row->value_len);
        if (row->inl_len > 0)
            memcpy(h->inl, row->inl, row->inl_len);
        h->inl_len = row->inl_len;
        h->ver = row->ver;
        if (gw_objmeta_decode(h->val, row->value_len, &h->m) != TN_OK ||
            (h->m.is_multipart && gw_objparts_check(&h->m, h->inl, h->inl_len) != TN_OK) ||
            (h->m.is_inline && h->inl_len != h->m.size)) {
            tn_log_error("msg=\"undecodable object head row\"");
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        } else if (h->by_acl && !gw_access_object_acl_allows(r, h->m.acl)) {
            gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL);
        } else {
            h->done(h->op);
            return;
        }
    }
    gw_opref_done(h->op);
}

static void on_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    gw_objhead_t *h = arg;
    gw_req_t *r = gw_bucket_lookup_settle(h->op, err);
    if (r == NULL)
        return;
    h->bucket = *rec;
    if (h->copy_source) {
        int may = gw_access_copy_source(r, h->bucket_name, rec, h->key);
        if (may == 0) {
            gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL);
            gw_opref_done(h->op);
            return;
        }
        h->by_acl = may < 0;
    }
    int rc = gw_bucket_index_pg(r->thread->server, rec->id, &h->pool, &h->pg);
    if (rc == TN_OK)
        rc = gw_cl_row_get(r->thread->osd, h->pool, h->pg, rec->id, h->key.base, h->key.len, on_row,
                           h);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(h->op);
    }
}

void gw_objhead_read(gw_objhead_t *h, void *op, tn_slice_t bucket, tn_slice_t key,
                     gw_objhead_cb done)
{
    gw_req_t *r = ((gw_opref_t *)op)->r;
    h->op = op;
    h->done = done;
    h->key = key;
    h->bucket_name = bucket;
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, bucket.base, bucket.len, 1, &hit, on_bucket, h);
    if (rc == 1) {
        on_bucket(h, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(op);
    }
}

void gw_objhead_free(gw_objhead_t *h)
{
    free(h->val);
    free(h->inl);
    h->val = h->inl = NULL;
}
