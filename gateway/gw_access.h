/*
 * gw_access.h — the gateway's glue for public and ACL-granted access: which operations may
 * arrive without credentials, the per-handler checks after the bucket lookup (on top of the
 * pure decision in gw_acl.h and gw_policy.h), and CORS headers on actual responses.
 *
 * Call sites (one per handler group): GetObject/HeadObject (gw_op_object.c: bucket check in
 * the bucket-lookup callback, object check once the head row is read), ListObjects V1/V2
 * (when present), PutObject (CORS headers only). Authenticated requests are NOT decided
 * here: gw_access_bucket answers ALLOW for them (the owner and, until users exist, every
 * valid key; tenants' gw_authz decides those, see ARCHITECTURE.md "Access").
 */
#ifndef GW_ACCESS_H
#define GW_ACCESS_H

#include "gw_acl.h"
#include "gw_bucket.h"
#include "gw_req.h"

/* Operations a request without credentials may reach (the handler decides afterwards). */
int gw_access_anonymous_op(s3_op_t op);

/* The principal of r for bucket b: ANONYMOUS (no access key), OWNER (the owner's key) or
 * AUTHENTICATED (another key). */
gw_principal_t gw_access_principal(const gw_req_t *r, const gw_bucket_rec_t *b);

/* Bucket-level decision for op on r's key (or the bucket). Returns:
 *   GW_VERDICT_ALLOW: go on;
 *   GW_VERDICT_NONE:  READ_OBJECT only: the object's ACL decides (gw_access_object);
 *   GW_VERDICT_DENY:  AccessDenied was sent; finish without answering again. */
gw_verdict_t gw_access_bucket(gw_req_t *r, const gw_bucket_rec_t *b, gw_access_t op);
/* After a NONE from gw_access_bucket (who: gw_access_principal's answer then): the object's
 * ACL decides (GW_ACL_PRIVATE when the key does not exist: anonymous callers get 403, never
 * 404). 1: go on; 0: AccessDenied was sent. */
int gw_access_object(gw_req_t *r, gw_principal_t who, gw_acl_t object_acl);

/* Adds the CORS response headers when r carries Origin and a rule of b's configuration
 * matches (origin and r's method). No-op otherwise. Call before the response starts. */
void gw_access_cors(gw_req_t *r, const gw_bucket_rec_t *b);

/* The x-amz-acl / x-amz-grant-* headers of r as a canned ACL: S3_OK (*out set; private when
 * none), else the error with why (InvalidArgument, NotImplemented); both kinds at once ->
 * InvalidRequest. owner: the bucket owner (for id= grants). */
s3_err_t gw_access_acl_headers(gw_req_t *r, const char *owner, int is_object, gw_acl_t *out,
                               int *present, s3_why_t *why);

#endif
