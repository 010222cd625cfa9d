/* gw_access.c — the authorization stage (gw_access.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "gw_authz.h"
#include "gw_bucket.h"
#include "gw_access.h"
#include "gw_quota.h"

typedef struct {
    gw_req_t *r; /* NULL once the client went away */
    void (*next)(gw_req_t *r);
} access_t;

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
    if (!gw_authz_allow(&r->auth.principal, r->route.op, name, rec)) {
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
    free(a);
    if (r == NULL)
        return;
    gw_req_set_cancel(r, NULL, NULL);
    decide(r, next, err, rec);
}

void gw_access_check(gw_req_t *r, void (*next)(gw_req_t *r))
{
    const gw_principal_t *p = &r->auth.principal;
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
    /* a scoped key asking about another bucket: no need to look */
    if (p->kind == GW_PRINC_BUCKET &&
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
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                              on_lookup, a);
    if (rc == 0)
        return;
    gw_req_set_cancel(r, NULL, NULL);
    free(a);
    decide(r, next, rc == 1 ? 0 : rc, rc == 1 ? &hit : NULL);
}
