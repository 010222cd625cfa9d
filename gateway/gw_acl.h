/*
 * gw_acl.h — PURE access decisions for public and ACL-granted access: canned ACL names
 * (x-amz-acl), mapping an AccessControlPolicy body or x-amz-grant-* headers onto a canned
 * ACL, the GetBucketAcl / GetObjectAcl XML, and the decision
 *   (principal, operation, bucket ACL, object ACL, bucket-policy verdict) -> allow / deny.
 *
 * tern stores ACLs as CANNED ACLs only (gw_acl_t, in gw_objmeta.h): one byte in the bucket
 * record (gw_bucket.h, format 2) and in the object head row (gw_objmeta.h). A grant list
 * that is not exactly one of them is refused with NotImplemented (rule 12: never a wrong
 * success). Bucket owners are single access keys, so bucket-owner-read and
 * bucket-owner-full-control on an object mean the same as private (the object's owner is
 * the bucket's owner); they are stored as given and answered as owner FULL_CONTROL.
 * aws-exec-read is refused (NotImplemented): there is no EC2 principal.
 *
 * Canned ACL -> grants (besides owner FULL_CONTROL):
 *   private, bucket-owner-read, bucket-owner-full-control: none
 *   public-read:        AllUsers READ
 *   public-read-write:  AllUsers READ + AllUsers WRITE (WRITE is meaningful on buckets only)
 *   authenticated-read: AuthenticatedUsers READ
 *
 * Decision (gw_acl_decide), in this order:
 *   1. the bucket owner: ALLOW (the owner's own authorization is gw_authz's, not this);
 *   2. a bucket-policy verdict of DENY: DENY; of ALLOW: ALLOW (gw_policy.h);
 *   3. the ACL: READ_OBJECT reads the OBJECT's ACL, LIST_BUCKET and WRITE_OBJECT the
 *      BUCKET's: AllUsers grants allow anyone, AuthenticatedUsers grants any signed request;
 *   4. otherwise DENY.
 */
#ifndef GW_ACL_H
#define GW_ACL_H

#include <stddef.h>
#include "s3_error.h"
#include "s3_xml.h"
#include "s3_xml_parse.h"
#include "gw_objmeta.h"

#define GW_ACL_ALL_USERS  "http://acs.amazonaws.com/groups/global/AllUsers"
#define GW_ACL_AUTH_USERS "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"

typedef enum {
    GW_PRINCIPAL_ANONYMOUS = 0, /* no credentials */
    GW_PRINCIPAL_AUTHENTICATED, /* a valid signature, not the bucket owner */
    GW_PRINCIPAL_OWNER,         /* the bucket's owner */
} gw_acl_who_t;

typedef enum {
    GW_ACCESS_READ_OBJECT = 0, /* GetObject, HeadObject */
    GW_ACCESS_LIST_BUCKET,     /* ListObjects (V1/V2), HeadBucket */
    GW_ACCESS_WRITE_OBJECT,    /* PutObject, DeleteObject, multipart (bucket WRITE) */
} gw_access_t;

typedef enum {
    GW_VERDICT_NONE = 0, /* nothing applies */
    GW_VERDICT_ALLOW,
    GW_VERDICT_DENY,
} gw_verdict_t;

/* x-amz-acl value -> *out: S3_OK, or InvalidArgument (unknown name), NotImplemented
 * (aws-exec-read; log-delivery-write). is_object: bucket-owner-* are accepted only on
 * objects (InvalidArgument on buckets, as S3). */
s3_err_t gw_acl_parse_canned(const char *s, size_t len, int is_object, gw_acl_t *out,
                             s3_why_t *why);
/* "private", "public-read", ... */
const char *gw_acl_name(gw_acl_t acl);

/* An AccessControlPolicy body -> canned ACL. owner: the bucket owner's id. S3_OK, or
 * NotImplemented when the grants are not exactly a canned ACL (owner FULL_CONTROL plus
 * nothing / AllUsers READ / AllUsers READ+WRITE / AuthenticatedUsers READ), or AccessDenied
 * when <Owner><ID> is not the owner (S3 answers the same). */
s3_err_t gw_acl_from_policy(const s3_acl_t *acp, const char *owner, int is_object, gw_acl_t *out,
                            s3_why_t *why);

/* x-amz-grant-{read,write,read-acp,write-acp,full-control} headers (NULL/0 when absent):
 * mapped when they are exactly a canned ACL's grants (full-control = id="<owner>", read =
 * uri="...AllUsers" or "...AuthenticatedUsers", write = uri="...AllUsers" together with
 * that read); otherwise NotImplemented; a malformed grantee list is InvalidArgument. */
typedef struct {
    tn_slice_t read, write, read_acp, write_acp, full_control;
} gw_acl_grant_hdrs_t;
s3_err_t gw_acl_from_grant_headers(const gw_acl_grant_hdrs_t *h, const char *owner, int is_object,
                                   gw_acl_t *out, s3_why_t *why);

/* The AccessControlPolicy XML (declaration included) for acl owned by owner into x. */
void gw_acl_render(s3_buf_t *x, gw_acl_t acl, const char *owner);

/* The decision described above. object_acl is read only for GW_ACCESS_READ_OBJECT; pass
 * GW_ACL_PRIVATE when there is no object (a missing key is then denied like a private one,
 * so anonymous callers cannot probe for keys). */
gw_verdict_t gw_acl_decide(gw_acl_who_t who, gw_access_t op, gw_acl_t bucket_acl,
                           gw_acl_t object_acl, gw_verdict_t policy);

#endif
