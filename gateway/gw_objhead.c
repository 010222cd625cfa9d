/* gw_objhead.c — read and decode one object's head row; collect a new head's stored headers and
 * user metadata from a request (see gw_objhead.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

s3_err_t gw_objhead_from_request(gw_req_t *r, gw_objmeta_t *m)
{
    static const char *const names[5] = {"content-type", "cache-control", "content-disposition",
                                         "content-encoding", "expires"};
    tn_slice_t *f[5] = {&m->content_type, &m->cache_control, &m->content_disposition,
                        &m->content_encoding, &m->expires};
    const h2o_headers_t *hs = &r->req->headers;
    for (int i = 0; i < 5; i++) {
        ssize_t at = h2o_find_header_by_str(hs, names[i], strlen(names[i]), -1);
        if (at != -1)
            *f[i] = (tn_slice_t){hs->entries[at].value.base, hs->entries[at].value.len};
    }
    for (size_t i = 0; i < hs->size; i++) {
        const h2o_header_t *h = &hs->entries[i];
        if (h->name->len > 11 && strncasecmp(h->name->base, "x-amz-meta-", 11) == 0) {
            if (m->n_meta == GW_OBJMETA_MAX_META)
                return S3_ERR_METADATA_TOO_LARGE;
            m->meta[m->n_meta].name = (tn_slice_t){h->name->base + 11, h->name->len - 11};
            m->meta[m->n_meta].value = (tn_slice_t){h->value.base, h->value.len};
            m->n_meta++;
        }
    }
    return gw_objmeta_meta_bytes(m) > GW_OBJMETA_META_MAX ? S3_ERR_METADATA_TOO_LARGE : S3_OK;
}
