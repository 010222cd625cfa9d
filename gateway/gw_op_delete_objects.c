/*
 * gw_op_delete_objects.c — DeleteObjects (POST /bucket?delete): up to 1,000 keys per request,
 * each deleted like DeleteObject (a tombstone head row written at quorum), with a per-key
 * result: <Deleted> or <Error> (Quiet mode lists errors only).
 *
 * Integrity: S3 requires Content-MD5 or an x-amz-checksum-* header on this request (SDKs now
 * send a CRC32 and no MD5): without either -> InvalidRequest; a digest that does not match the
 * body was already answered BadDigest by the payload stage. The body is parsed by
 * s3_xml_parse_delete (expat, size/depth limits): malformed -> MalformedXML, 0 or more than 1,000
 * objects -> MalformedXML.
 *
 * Per key: longer than 1,024 bytes -> KeyTooLongError; a VersionId other than "null" (the
 * only version an unversioned bucket has) -> InvalidArgument; an ETag / LastModifiedTime /
 * Size condition -> NotImplemented (DESIGN.md rule 12: conditional writes need a
 * serialization point last-writer-wins rows do not have; never a wrong success); a replica
 * quorum failure -> ServiceUnavailable or InternalError for that key (others still go on).
 * Deleting a key that does not exist is a success, as in S3.
 *
 * Concurrency: at most GW_DELM_WINDOW tombstone writes in flight per request; results are
 * reported in request order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "s3_checksum.h"
#include "s3_xml.h"
#include "s3_xml_parse.h"
#include "gw_bucket.h"
#include "gw_ops.h"

#define GW_DELM_WINDOW 16

typedef struct {
    s3_err_t err; /* S3_OK: deleted */
    const char *message;
} delm_result_t;

typedef struct delm delm_t;

typedef struct {
    delm_t *d;
    size_t index;
} delm_slot_t;

struct delm {
    gw_opref_t o;
    s3_delete_req_t req;
    delm_result_t *res;
    delm_slot_t *slots;
    gw_bucket_rec_t bucket;
    uint32_t pool, pg;
    size_t next, done;
};

static void delm_cleanup(void *self)
{
    delm_t *d = self;
    s3_xml_arena_free(&d->req.arena);
    free(d->res);
    free(d->slots);
}

/* S3 requires an integrity header on DeleteObjects. The payload stage (gw_payload.c) has
 * already verified whichever was sent (BadDigest otherwise); only presence is checked here. */
static s3_err_t require_integrity(gw_req_t *r, const char **msg)
{
    if (r->has_md5 || r->cksum_alg != S3_CKSUM_NONE ||
        h2o_find_header_by_str(&r->req->headers, H2O_STRLIT("content-md5"), -1) >= 0)
        return S3_OK;
    *msg = "Missing required header for this request: Content-MD5";
    return S3_ERR_INVALID_REQUEST;
}

static void delm_answer(delm_t *d)
{
    gw_req_t *r = d->o.r;
    s3_buf_t x;
    s3_buf_init(&x, 16u << 20);
    s3_xml_decl(&x);
    s3_xml_open_ns(&x, "DeleteResult", S3_XML_NS);
    for (size_t i = 0; i < d->req.n_objects; i++) {
        const s3_delete_object_t *ob = &d->req.objects[i];
        const delm_result_t *res = &d->res[i];
        if (res->err == S3_OK) {
            if (d->req.quiet)
                continue;
            s3_xml_open(&x, "Deleted");
            s3_xml_elem(&x, "Key", ob->key.base, ob->key.len);
            if (ob->version_id.len > 0)
                s3_xml_elem(&x, "VersionId", ob->version_id.base, ob->version_id.len);
            s3_xml_close(&x, "Deleted");
        } else {
            s3_xml_open(&x, "Error");
            s3_xml_elem(&x, "Key", ob->key.base, ob->key.len);
            if (ob->version_id.len > 0)
                s3_xml_elem(&x, "VersionId", ob->version_id.base, ob->version_id.len);
            s3_xml_elem_str(&x, "Code", s3_err_code(res->err));
            s3_xml_elem_str(&x, "Message",
                            res->message != NULL ? res->message : s3_err_message(res->err));
            s3_xml_close(&x, "Error");
        }
    }
    s3_xml_close(&x, "DeleteResult");
    if (s3_buf_ok(&x))
        gw_req_send(r, 200, "application/xml", x.base, x.len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(&x);
}
static void delm_pump(delm_t *d);

static void on_tombstone(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    delm_slot_t *s = arg;
    delm_t *d = s->d;
    if (err != 0) {
        int local = err == -ENOMEM || err == -EINVAL || err == TN_ERR_TOO_BIG;
        d->res[s->index].err = local ? S3_ERR_INTERNAL_ERROR : S3_ERR_SERVICE_UNAVAILABLE;
        d->res[s->index].message =
            local ? NULL : "Not enough replicas of this key's index could be written; retry";
    }
    d->done++;
    delm_pump(d);
}

/* Starts the next deletions, up to the window (keys rejected up front finish at once), and
 * answers once every key is done: from the last write's callback or, when no write was
 * needed, from the first call. */
static void delm_pump(delm_t *d)
{
    while (d->next < d->req.n_objects && d->next - d->done < GW_DELM_WINDOW) {
        size_t i = d->next++;
        const s3_delete_object_t *ob = &d->req.objects[i];
        delm_result_t *res = &d->res[i];
        if (ob->key.len > S3_KEY_MAX) {
            res->err = S3_ERR_KEY_TOO_LONG;
        } else if (ob->version_id.len > 0 &&
                   !(ob->version_id.len == 4 && memcmp(ob->version_id.base, "null", 4) == 0)) {
            res->err = S3_ERR_INVALID_ARGUMENT;
            res->message = "Invalid version id specified";
        } else if (ob->etag.len > 0 || ob->last_modified_time.len > 0 || ob->size.len > 0) {
            res->err = S3_ERR_NOT_IMPLEMENTED;
            res->message = "Conditional deletes (ETag, LastModifiedTime, Size) are not "
                           "implemented: tern has no serialization point for them yet";
        } else if (d->o.r == NULL) {
            res->err = S3_ERR_INTERNAL_ERROR; /* client gone: nothing more to start */
        } else {
            tn_row_t row = {.pool = d->pool,
                            .pg = d->pg,
                            .ns = d->bucket.id,
                            .key = (const uint8_t *)ob->key.base,
                            .key_len = ob->key.len,
                            .flags = TN_ROW_TOMBSTONE};
            gw_random(row.ver.vid, sizeof row.ver.vid);
            d->slots[i] = (delm_slot_t){d, i};
            int rc = gw_cl_row_put(d->o.r->thread->osd, d->pool, d->pg, &row, TN_PROTO_ROW_PUT,
                                   on_tombstone, &d->slots[i]);
            if (rc == 0)
                continue;
            res->err = rc == -ESHUTDOWN ? S3_ERR_SERVICE_UNAVAILABLE : S3_ERR_INTERNAL_ERROR;
        }
        /* finished without a write: account for it without recursing deeply */
        d->done++;
    }
    if (d->done == d->req.n_objects && d->next == d->req.n_objects) {
        if (d->o.r != NULL)
            delm_answer(d);
        gw_opref_done(d);
    }
}

static void on_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    delm_t *d = arg;
    gw_req_t *r = gw_bucket_lookup_settle(d, err);
    if (r == NULL)
        return;
    d->bucket = *rec;
    int rc = gw_bucket_index_pg(r->thread->server, rec->id, &d->pool, &d->pg);
    if (rc != TN_OK) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(d);
        return;
    }
    delm_pump(d);
}

void gw_op_delete_objects(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    const char *msg = NULL;
    s3_err_t e = require_integrity(r, &msg);
    if (e != S3_OK) {
        gw_req_send_error(r, e, msg);
        return;
    }
    delm_t *d = gw_opref_new(r, sizeof *d);
    if (d == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    d->o.cleanup = delm_cleanup;
    s3_why_t why;
    e = s3_xml_parse_delete(r->body.base, r->body.len, &d->req, &why);
    if (e != S3_OK) {
        gw_req_send_error(r, why.err, s3_why_message(&why));
        gw_opref_done(d);
        return;
    }
    d->res = calloc(d->req.n_objects, sizeof *d->res);
    d->slots = calloc(d->req.n_objects, sizeof *d->slots);
    if (d->res == NULL || d->slots == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        gw_opref_done(d);
        return;
    }
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                              on_bucket, d);
    if (rc == 1) {
        on_bucket(d, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(d);
    }
}
