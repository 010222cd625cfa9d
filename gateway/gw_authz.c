/* gw_authz.c — PURE: the authorization decision (gw_authz.h). */
#include <string.h>
#include "gw_authz.h"

gw_need_t gw_authz_need(s3_op_t op)
{
    switch (op) {
    case S3_OP_LIST_BUCKETS: return GW_NEED_NONE;
    case S3_OP_CREATE_BUCKET: return GW_NEED_CREATE;
    case S3_OP_HEAD_BUCKET:
    case S3_OP_GET_BUCKET_LOCATION:
    case S3_OP_LIST_OBJECTS:
    case S3_OP_LIST_OBJECTS_V2:
    case S3_OP_LIST_OBJECT_VERSIONS:
    case S3_OP_LIST_MULTIPART_UPLOADS:
    case S3_OP_GET_OBJECT:
    case S3_OP_HEAD_OBJECT:
    case S3_OP_GET_OBJECT_TAGGING:
    case S3_OP_GET_OBJECT_ATTRIBUTES:
    case S3_OP_LIST_PARTS:
    case S3_OP_OPTIONS: return GW_NEED_READ;
    case S3_OP_DELETE_OBJECTS:
    case S3_OP_POST_OBJECT:
    case S3_OP_PUT_OBJECT:
    case S3_OP_COPY_OBJECT:
    case S3_OP_DELETE_OBJECT:
    case S3_OP_PUT_OBJECT_TAGGING:
    case S3_OP_DELETE_OBJECT_TAGGING:
    case S3_OP_CREATE_MULTIPART_UPLOAD:
    case S3_OP_UPLOAD_PART:
    case S3_OP_UPLOAD_PART_COPY:
    case S3_OP_COMPLETE_MULTIPART_UPLOAD:
    case S3_OP_ABORT_MULTIPART_UPLOAD: return GW_NEED_WRITE;
    default:
        /* bucket deletion and configuration (ACL, policy, CORS, versioning) and anything
         * unknown: the bucket's owner only */
        return GW_NEED_OWNER;
    }
}

static int owns(const gw_principal_t *p, const tn_bucket_rec_t *rec)
{
    return rec != NULL && rec->user[0] != '\0' && p->user != NULL &&
           strcmp(rec->user, p->user) == 0;
}

static int is_scoped_bucket(const gw_principal_t *p, const char *bucket, const tn_bucket_rec_t *rec)
{
    return rec != NULL && p->bucket != NULL && bucket != NULL && strcmp(p->bucket, bucket) == 0 &&
           rec->id == p->bucket_id;
}

int gw_authz_allow(const gw_principal_t *p, s3_op_t op, const char *bucket,
                   const tn_bucket_rec_t *rec)
{
    gw_need_t need = gw_authz_need(op);
    switch (p->kind) {
    case GW_PRINC_ADMIN: return 1;
    case GW_PRINC_USER: return need == GW_NEED_NONE || need == GW_NEED_CREATE || owns(p, rec);
    case GW_PRINC_BUCKET:
        if (need == GW_NEED_NONE)
            return 1;
        if (need == GW_NEED_READ)
            return (p->allow & TN_KEY_ALLOW_READ) && is_scoped_bucket(p, bucket, rec);
        if (need == GW_NEED_WRITE)
            return (p->allow & TN_KEY_ALLOW_WRITE) && is_scoped_bucket(p, bucket, rec);
        return 0;
    default: return 0;
    }
}

int gw_authz_lists(const gw_principal_t *p, const char *name, const tn_bucket_rec_t *rec)
{
    switch (p->kind) {
    case GW_PRINC_ADMIN: return p->access_key != NULL && strcmp(rec->owner, p->access_key) == 0;
    case GW_PRINC_USER: return owns(p, rec);
    case GW_PRINC_BUCKET: return is_scoped_bucket(p, name, rec);
    default: return 0;
    }
}
