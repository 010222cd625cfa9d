/* gw_access.c — the authorization stage: gw_authz, then the bucket's policy and ACLs
 * (gw_access.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "gw_authz.h"
#include "gw_bucket.h"
#include "gw_access.h"
#include "gw_acl.h"
#include "gw_policy.h"
#include "gw_quota.h"

typedef struct {
    gw_req_t *r; /* NULL once the client went away */
    void (*next)(gw_req_t *r);
    uint8_t degraded; /* the record came from one replica (gw_bucket_lookup_degraded) */
} access_t;

int gw_access_anonymous_op(s3_op_t op)
{
    switch (op) {
    case S3_OP_GET_OBJECT:
    case S3_OP_HEAD_OBJECT:
    case S3_OP_HEAD_BUCKET:
    case S3_OP_LIST_OBJECTS:
    case S3_OP_LIST_OBJECTS_V2:
    case S3_OP_OPTIONS:
    /* bucket WRITE (public-read-write): object writes and deletes, multipart */
    case S3_OP_PUT_OBJECT:
    case S3_OP_COPY_OBJECT:
    case S3_OP_DELETE_OBJECT:
    case S3_OP_DELETE_OBJECTS:
    case S3_OP_CREATE_MULTIPART_UPLOAD:
    case S3_OP_UPLOAD_PART:
    case S3_OP_UPLOAD_PART_COPY:
    case S3_OP_COMPLETE_MULTIPART_UPLOAD:
    case S3_OP_ABORT_MULTIPART_UPLOAD: return 1;
    default: return 0;
    }
}

/* Can the bucket's policy or ACLs open op at all (gw_access.h)? */
static int public_op(s3_op_t op)
{
    return gw_access_anonymous_op(op);
}

/* gw_authz said no: the bucket's policy and ACLs decide (gw_access.h). 1 allow, 0 deny. */
static int public_access(gw_req_t *r, const char *name, const gw_bucket_rec_t *rec)
{
    gw_access_t op;
    switch (r->route.op) {
    case S3_OP_GET_OBJECT:
    case S3_OP_HEAD_OBJECT: op = GW_ACCESS_READ_OBJECT; break;
    case S3_OP_HEAD_BUCKET:
    case S3_OP_LIST_OBJECTS:
    case S3_OP_LIST_OBJECTS_V2: op = GW_ACCESS_LIST_BUCKET; break;
    case S3_OP_OPTIONS: return 1; /* the preflight answers from the CORS configuration */
    default:
        if (!gw_access_anonymous_op(r->route.op))
            return 0;
        op = GW_ACCESS_WRITE_OBJECT; /* the bucket's ACL (WRITE of public-read-write) */
        break;
    }
    gw_acl_who_t who = r->auth.principal.kind == GW_PRINC_ANON ? GW_PRINCIPAL_ANONYMOUS
                                                               : GW_PRINCIPAL_AUTHENTICATED;
    gw_verdict_t pol =
        gw_policy_eval(rec->policy, rec->policy_len, name, op, r->route.key.base, r->route.key.len);
    if (pol == GW_VERDICT_NONE && op == GW_ACCESS_READ_OBJECT) {
        r->acl_object_decides = 1; /* the GET/HEAD handler, with the head row */
        r->acl_who = (uint8_t)who;
        return 1;
    }
    return gw_acl_decide(who, op, (gw_acl_t)rec->acl, GW_ACL_PRIVATE, pol) == GW_VERDICT_ALLOW;
}

static void decide(gw_req_t *r, void (*next)(gw_req_t *r), int err, const gw_bucket_rec_t *rec)
{
    if (err != 0 && r->auth.principal.kind == GW_PRINC_ADMIN) {
        /* admin keys looked only for the quota: the handler answers the missing bucket or
         * the unreachable cluster exactly as before this stage existed */
        next(r);
        return;
    }
    if (err != 0) {
        gw_bucket_send_lookup_error(r, err);
        return;
    }
    char name[TN_TENANT_BUCKET_MAX + 1];
    size_t n = r->route.bucket.len < sizeof name ? r->route.bucket.len : sizeof name - 1;
    memcpy(name, r->route.bucket.base, n);
    name[n] = '\0';
    if (!gw_authz_allow(&r->auth.principal, r->route.op, name, rec) &&
        !public_access(r, name, rec)) {
        gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return;
    }
    if (r->route.op == S3_OP_DELETE_OBJECT || r->route.op == S3_OP_DELETE_OBJECTS)
        gw_quota_forget(rec->id); /* the next upload re-counts */
    gw_quota_check(r, rec, next);
}

static void on_cancel(void *data)
{
    ((access_t *)data)->r = NULL;
}

static void on_lookup(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    access_t *a = arg;
    gw_req_t *r = a->r;
    void (*next)(gw_req_t *) = a->next;
    int degraded = a->degraded;
    free(a);
    if (r == NULL)
        return;
    gw_req_set_cancel(r, NULL, NULL);
    if (degraded)
        gw_req_flag_degraded(r);
    decide(r, next, err, rec);
}

void gw_access_check(gw_req_t *r, void (*next)(gw_req_t *r))
{
    const gw_principal_t *p = &r->auth.principal;
    if (p->kind == GW_PRINC_ANON && !gw_access_anonymous_op(r->route.op)) {
        gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return;
    }
    gw_need_t need = gw_authz_need(r->route.op);
    /* admin keys need the record only for quotas (uploads) and their bookkeeping (deletes) */
    int quota_op = need == GW_NEED_WRITE;
    if ((p->kind == GW_PRINC_ADMIN && !quota_op) || need == GW_NEED_NONE ||
        r->route.bucket.len == 0) {
        next(r);
        return;
    }
    if (need == GW_NEED_CREATE) {
        if (gw_authz_allow(p, r->route.op, NULL, NULL))
            next(r);
        else
            gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return;
    }
    /* a scoped key asking about another bucket: no need to look (unless the bucket's policy
     * or ACLs could open the operation) */
    if (p->kind == GW_PRINC_BUCKET && !public_op(r->route.op) &&
        (p->bucket == NULL || strlen(p->bucket) != r->route.bucket.len ||
         memcmp(p->bucket, r->route.bucket.base, r->route.bucket.len) != 0)) {
        gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return;
    }
    access_t *a = calloc(1, sizeof *a);
    if (a == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    a->r = r;
    a->next = next;
    gw_req_set_cancel(r, on_cancel, a);
    gw_bucket_rec_t hit;
    /* plain GET/HEAD may take the record from one replica (rule 8; gw_bucket.h) */
    int rc = gw_req_degraded_ok(r)
                 ? gw_bucket_lookup_degraded(r->thread, r->route.bucket.base, r->route.bucket.len,
                                             &hit, on_lookup, a, &a->degraded)
                 : gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                                    on_lookup, a);
    if (rc == 0)
        return;
    gw_req_set_cancel(r, NULL, NULL);
    free(a);
    decide(r, next, rc == 1 ? 0 : rc, rc == 1 ? &hit : NULL);
}

int gw_access_copy_source(gw_req_t *r, tn_slice_t name, const gw_bucket_rec_t *rec, tn_slice_t key)
{
    char *n = h2o_mem_alloc_pool(&r->req->pool, name.len + 1);
    memcpy(n, name.base, name.len);
    n[name.len] = '\0';
    if (gw_authz_allow(&r->auth.principal, S3_OP_GET_OBJECT, n, rec))
        return 1;
    /* another principal's source: the source bucket's policy, else the object's ACL */
    gw_verdict_t pol =
        gw_policy_eval(rec->policy, rec->policy_len, n, GW_ACCESS_READ_OBJECT, key.base, key.len);
    return pol == GW_VERDICT_ALLOW ? 1 : pol == GW_VERDICT_DENY ? 0 : -1;
}

int gw_access_object_acl_allows(gw_req_t *r, gw_acl_t object_acl)
{
    gw_acl_who_t who = r->auth.principal.kind == GW_PRINC_ANON ? GW_PRINCIPAL_ANONYMOUS
                                                               : GW_PRINCIPAL_AUTHENTICATED;
    return gw_acl_decide(who, GW_ACCESS_READ_OBJECT, GW_ACL_PRIVATE, object_acl, GW_VERDICT_NONE) ==
           GW_VERDICT_ALLOW;
}
