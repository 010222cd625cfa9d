/* gw_op_access.c — Get/PutBucketAcl, Get/Put/DeleteBucketPolicy, Get/Put/DeleteBucketCors,
 * Get/PutObjectAcl and the CORS preflight (OPTIONS). Bucket settings live in the bucket
 * record (gw_bucket.h, format 2), object ACLs in the head row (gw_objmeta.h); decisions in
 * gw_acl.h / gw_policy.h / gw_cors.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tn_log.h"
#include "s3_xml.h"
#include "s3_xml_parse.h"
#include "gw_acl_check.h"
#include "gw_acl.h"
#include "gw_bucket.h"
#include "gw_cluster.h"
#include "gw_cors.h"
#include "gw_objmeta.h"
#include "gw_ops.h"
#include "gw_policy.h"

static tn_slice_t header(gw_req_t *r, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&r->req->headers, name, strlen(name), -1);
    if (i < 0)
        return (tn_slice_t){NULL, 0};
    return (tn_slice_t){r->req->headers.entries[i].value.base,
                        r->req->headers.entries[i].value.len};
}

static void send_why(gw_req_t *r, const s3_why_t *why)
{
    gw_req_send_error(r, why->err, s3_why_message(why));
}

/* ---- bucket settings: read, or read-modify-write with IF_VERSION on every replica ---- */

typedef struct {
    gw_opref_t o;
    gw_bucket_rec_t rec;
    tn_row_ver_t ver;
} bset_t;

static void on_bset_written(void *arg, const gw_allrep_t *res)
{
    bset_t *b = arg;
    gw_req_t *r = b->o.r;
    if (r != NULL) {
        gw_bucket_cache_drop(r->route.bucket.base, r->route.bucket.len);
        if (res->ok == res->replicas)
            gw_req_send(r,
                        r->route.op == S3_OP_PUT_BUCKET_ACL || r->route.op == S3_OP_PUT_BUCKET_CORS
                            ? 200
                            : 204,
                        NULL, "", 0);
        else if (res->precondition > 0)
            gw_req_send_error(r, S3_ERR_OPERATION_ABORTED, NULL);
        else
            gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE,
                              "Not every replica of the bucket record could be written; retry");
    }
    gw_opref_done(b);
}

static void bset_write(bset_t *b)
{
    gw_req_t *r = b->o.r;
    int rc = gw_bucket_update(r->thread, r->route.bucket.base, r->route.bucket.len, &b->rec,
                              &b->ver, on_bset_written, b);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(b);
    }
}

static void send_xml(gw_req_t *r, s3_buf_t *x)
{
    if (s3_buf_ok(x))
        gw_req_send(r, 200, "application/xml", x->base, x->len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(x);
}

static void bucket_name(const gw_req_t *r, char out[S3_BUCKET_MAX + 1])
{
    size_t n = r->route.bucket.len > S3_BUCKET_MAX ? S3_BUCKET_MAX : r->route.bucket.len;
    memcpy(out, r->route.bucket.base, n);
    out[n] = '\0';
}

/* PutBucketAcl: the ACL from headers or body (exactly one of them). */
static int acl_from_request(gw_req_t *r, const char *owner, int is_object, gw_acl_t *out)
{
    s3_why_t why = {S3_OK, ""};
    int present = 0;
    s3_err_t e = gw_acl_check_headers(r, owner, is_object, out, &present, &why);
    if (e != S3_OK) {
        send_why(r, &why);
        return 0;
    }
    if (r->body.len > 0) {
        if (present) {
            gw_req_send_error(r, S3_ERR_UNEXPECTED_CONTENT,
                              "This request does not support content with ACL headers");
            return 0;
        }
        s3_acl_t acp;
        e = s3_xml_parse_acl(r->body.base, r->body.len, &acp, &why);
        if (e == S3_OK)
            e = gw_acl_from_policy(&acp, owner, is_object, out, &why);
        s3_xml_arena_free(&acp.arena);
        if (e != S3_OK) {
            send_why(r, &why);
            return 0;
        }
        return 1;
    }
    if (!present) {
        gw_req_send_error(r, S3_ERR_MALFORMED_ACL,
                          "An ACL must be given, as x-amz-acl, x-amz-grant-* or a body");
        return 0;
    }
    return 1;
}

static void on_bset_lookup(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    bset_t *b = arg;
    gw_req_t *r = gw_bucket_lookup_settle(b, err);
    if (r == NULL)
        return;
    b->rec = *rec;
    b->ver = *ver;
    s3_buf_t x;
    switch (r->route.op) {
    case S3_OP_GET_BUCKET_ACL:
        s3_buf_init(&x, 1 << 16);
        gw_acl_render(&x, (gw_acl_t)rec->acl, rec->owner);
        send_xml(r, &x);
        break;
    case S3_OP_PUT_BUCKET_ACL: {
        gw_acl_t acl;
        if (!acl_from_request(r, rec->owner, 0, &acl))
            break;
        b->rec.acl = (uint8_t)acl;
        bset_write(b);
        return;
    }
    case S3_OP_GET_BUCKET_POLICY:
        if (rec->policy_len == 0)
            gw_req_send_error(r, S3_ERR_NO_SUCH_BUCKET_POLICY, NULL);
        else
            gw_req_send(r, 200, "application/json", rec->policy, rec->policy_len);
        break;
    case S3_OP_PUT_BUCKET_POLICY: {
        char name[S3_BUCKET_MAX + 1];
        bucket_name(r, name);
        s3_why_t why = {S3_OK, ""};
        if (gw_policy_check(r->body.base, r->body.len, name, &why) != S3_OK) {
            send_why(r, &why);
            break;
        }
        memcpy(b->rec.policy, r->body.base, r->body.len);
        b->rec.policy_len = (uint32_t)r->body.len;
        bset_write(b);
        return;
    }
    case S3_OP_DELETE_BUCKET_POLICY:
    case S3_OP_DELETE_BUCKET_CORS:
        if ((r->route.op == S3_OP_DELETE_BUCKET_POLICY ? rec->policy_len : rec->cors_len) == 0) {
            gw_req_send(r, 204, NULL, "", 0);
            break;
        }
        if (r->route.op == S3_OP_DELETE_BUCKET_POLICY)
            b->rec.policy_len = 0;
        else
            b->rec.cors_len = 0;
        bset_write(b);
        return;
    case S3_OP_GET_BUCKET_CORS:
        if (rec->cors_len == 0)
            gw_req_send_error(r, S3_ERR_NO_SUCH_CORS_CONFIGURATION, NULL);
        else
            gw_req_send(r, 200, "application/xml", rec->cors, rec->cors_len);
        break;
    case S3_OP_PUT_BUCKET_CORS: {
        s3_cors_config_t c;
        s3_why_t why = {S3_OK, ""};
        if (s3_xml_parse_cors(r->body.base, r->body.len, &c, &why) != S3_OK) {
            s3_xml_arena_free(&c.arena);
            send_why(r, &why);
            break;
        }
        s3_xml_arena_free(&c.arena);
        if (r->body.len > sizeof b->rec.cors) {
            gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                              "tern stores CORS configurations of up to 16 KiB");
            break;
        }
        memcpy(b->rec.cors, r->body.base, r->body.len);
        b->rec.cors_len = (uint32_t)r->body.len;
        bset_write(b);
        return;
    }
    default: gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL); break;
    }
    gw_opref_done(b);
}

/* Every bucket-setting operation: an uncached lookup (the write needs the current version). */
void gw_op_bucket_setting(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    if (r->route.op == S3_OP_PUT_BUCKET_POLICY && r->body.len > GW_POLICY_MAX) {
        gw_req_send_error(r, S3_ERR_MALFORMED_POLICY, "Policies are limited to 8192 bytes in tern");
        return;
    }
    bset_t *b = gw_opref_new(r, sizeof *b);
    if (b == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    gw_bucket_rec_t *hit = malloc(sizeof *hit);
    int rc = hit == NULL ? -ENOMEM
                         : gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 0,
                                            hit, on_bset_lookup, b);
    free(hit);
    if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(b);
    }
}

/* ---- Get/PutObjectAcl ---- */

typedef struct {
    gw_opref_t o;
    gw_bucket_rec_t rec;
    gw_acl_t acl;
} oacl_t;

static void on_oacl_written(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    oacl_t *a = arg;
    gw_req_t *r = a->o.r;
    if (r != NULL) {
        if (err != 0)
            gw_send_cluster_error(r, err);
        else
            gw_req_send(r, 200, NULL, "", 0);
    }
    gw_opref_done(a);
}

static void on_oacl_row(void *arg, int err, const tn_row_t *row)
{
    oacl_t *a = arg;
    gw_req_t *r = a->o.r;
    if (r == NULL) {
        gw_opref_done(a);
        return;
    }
    if (err == TN_ERR_NOT_FOUND || (err == 0 && (row->flags & TN_ROW_TOMBSTONE))) {
        gw_req_send_error(r, S3_ERR_NO_SUCH_KEY, NULL);
        gw_opref_done(a);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(r, err);
        gw_opref_done(a);
        return;
    }
    gw_objmeta_t m;
    uint8_t *val = malloc(row->value_len + 1);
    if (val == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        gw_opref_done(a);
        return;
    }
    memcpy(val, row->value, row->value_len);
    if (gw_objmeta_decode(val, row->value_len, &m) != TN_OK) {
        tn_log_error("msg=\"undecodable object head row\"");
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        free(val);
        gw_opref_done(a);
        return;
    }
    if (r->route.op == S3_OP_GET_OBJECT_ACL) {
        s3_buf_t x;
        s3_buf_init(&x, 1 << 16);
        gw_acl_render(&x, m.acl, a->rec.owner);
        send_xml(r, &x);
        free(val);
        gw_opref_done(a);
        return;
    }
    /* PutObjectAcl: the same row (data references, inline data or part table kept) with the
     * new ACL, version = the one read + 1 in MERGE mode: never re-stamped, so a PutObject
     * that superseded the row meanwhile wins (its version is newer) and is never undone. */
    m.acl = a->acl;
    size_t vlen = gw_objmeta_encoded_len(&m);
    uint8_t *nv = malloc(vlen);
    int rc = nv == NULL ? -ENOMEM : gw_objmeta_encode(&m, nv, vlen);
    if (rc >= 0) {
        tn_row_t nr = *row;
        nr.value = nv;
        nr.value_len = vlen;
        nr.ver.hlc = row->ver.hlc + 1;
        nr.ver.origin = r->thread->server->origin_id;
        gw_random(nr.ver.vid, sizeof nr.ver.vid);
        a->o.refs++;
        rc = gw_cl_row_put(r->thread->osd, row->pool, row->pg, &nr, TN_PROTO_ROW_MERGE,
                           on_oacl_written, a);
        if (rc != 0)
            a->o.refs--;
    }
    free(nv);
    free(val);
    if (rc < 0)
        gw_send_cluster_error(r, rc);
    gw_opref_done(a);
}

static void on_oacl_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    oacl_t *a = arg;
    gw_req_t *r = gw_bucket_lookup_settle(a, err);
    if (r == NULL)
        return;
    a->rec = *rec;
    if (r->route.op == S3_OP_PUT_OBJECT_ACL && !acl_from_request(r, rec->owner, 1, &a->acl)) {
        gw_opref_done(a);
        return;
    }
    uint32_t pool, pg;
    int rc = gw_bucket_index_pg(r->thread->server, rec->id, &pool, &pg);
    if (rc == TN_OK)
        rc = gw_cl_row_get(r->thread->osd, pool, pg, rec->id, r->route.key.base, r->route.key.len,
                           on_oacl_row, a);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(a);
    }
}

void gw_op_object_acl(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    const s3_param_t *v = s3_route_param(&r->route, "versionId");
    if (v != NULL && !(v->value.len == 4 && memcmp(v->value.base, "null", 4) == 0)) {
        gw_req_send_error(r, S3_ERR_NO_SUCH_VERSION, NULL);
        return;
    }
    oacl_t *a = gw_opref_new(r, sizeof *a);
    if (a == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    gw_bucket_rec_t *hit = malloc(sizeof *hit);
    int rc = hit == NULL ? -ENOMEM
                         : gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1,
                                            hit, on_oacl_bucket, a);
    if (rc == 1) {
        on_oacl_bucket(a, 0, hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(a);
    }
    free(hit);
}

/* ---- CORS preflight ---- */

static void on_options_bucket(void *arg, int err, const gw_bucket_rec_t *rec,
                              const tn_row_ver_t *ver)
{
    (void)ver;
    gw_opref_t *o = arg;
    gw_req_t *r = gw_bucket_lookup_settle(o, err);
    if (r == NULL)
        return;
    tn_slice_t origin = header(r, "origin");
    tn_slice_t method = header(r, "access-control-request-method");
    tn_slice_t hdrs = header(r, "access-control-request-headers");
    if (origin.base == NULL || origin.len == 0) {
        gw_req_send_error(r, S3_ERR_INVALID_REQUEST,
                          "Insufficient information. Origin request header needed.");
    } else if (method.base == NULL) {
        gw_req_send_error(r, S3_ERR_INVALID_REQUEST,
                          "Invalid Access-Control-Request-Method header");
    } else if (rec->cors_len == 0) {
        gw_req_send_error(r, S3_ERR_CORS_FORBIDDEN,
                          "CORSResponse: CORS is not enabled for this bucket.");
    } else {
        s3_cors_config_t c;
        s3_why_t why;
        if (s3_xml_parse_cors(rec->cors, rec->cors_len, &c, &why) != S3_OK) {
            s3_xml_arena_free(&c.arena);
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        } else {
            unsigned bit = gw_cors_method_bit(method.base, method.len);
            const s3_cors_rule_t *rule =
                gw_cors_match(&c, origin, bit, hdrs.base != NULL ? hdrs : (tn_slice_t){NULL, 0});
            if (rule == NULL) {
                gw_req_send_error(r, S3_ERR_CORS_FORBIDDEN, NULL);
            } else {
                size_t cap = 8192;
                char *work = h2o_mem_alloc_pool(&r->req->pool, cap);
                gw_cors_hdr_t hs[GW_CORS_MAX_HDRS];
                size_t n =
                    gw_cors_headers(rule, origin, hdrs.base != NULL ? hdrs : (tn_slice_t){NULL, 0},
                                    1, work, cap, hs);
                for (size_t i = 0; i < n; i++)
                    gw_req_add_header(r, hs[i].name, hs[i].value.base, hs[i].value.len);
                gw_req_send(r, 200, NULL, "", 0);
            }
            s3_xml_arena_free(&c.arena);
        }
    }
    gw_opref_done(o);
}

void gw_op_options(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    if (r->route.bucket.len == 0) {
        gw_req_send_error(r, S3_ERR_CORS_FORBIDDEN, NULL);
        return;
    }
    gw_opref_t *o = gw_opref_new(r, sizeof *o);
    if (o == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    gw_bucket_rec_t *hit = malloc(sizeof *hit);
    int rc = hit == NULL ? -ENOMEM
                         : gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1,
                                            hit, on_options_bucket, o);
    if (rc == 1) {
        on_options_bucket(o, 0, hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(o);
    }
    free(hit);
}
