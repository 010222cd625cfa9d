/*
 * gw_acl_check.h — the handlers' glue for public and ACL-granted access, on top of the pure
 * decisions in gw_acl.h and gw_cors.h. WHO may make a request is decided in ONE place, the
 * authorization stage (gw_access.h); what is left for handlers is what needs data only they
 * read:
 *   - the object's ACL (in its head row): GetObject/HeadObject call gw_acl_check_object once
 *     the row is read, when the stage left the decision to it (r->acl_object_decides);
 *   - CORS headers on actual responses (GetObject/HeadObject, PutObject, listings);
 *   - the x-amz-acl / x-amz-grant-* request headers (CreateBucket, PutObject, multipart,
 *     Put*Acl).
 */
#ifndef GW_ACL_CHECK_H
#define GW_ACL_CHECK_H

#include "gw_acl.h"
#include "gw_bucket.h"
#include "gw_req.h"

/* The object's ACL decides for who (r->acl_who; GW_ACL_PRIVATE when the key does not exist:
 * anonymous callers get 403, never 404). 1: go on; 0: AccessDenied was sent. */
int gw_acl_check_object(gw_req_t *r, gw_acl_who_t who, gw_acl_t object_acl);

/* Adds the CORS response headers when r carries Origin and a rule of b's configuration
 * matches (origin and r's method). No-op otherwise. Call before the response starts. */
void gw_acl_check_cors(gw_req_t *r, const gw_bucket_rec_t *b);

/* The x-amz-acl / x-amz-grant-* headers of r as a canned ACL: S3_OK (*out set; private when
 * none), else the error with why (InvalidArgument, NotImplemented); both kinds at once ->
 * InvalidRequest. owner: the bucket owner (for id= grants). */
s3_err_t gw_acl_check_headers(gw_req_t *r, const char *owner, int is_object, gw_acl_t *out,
                              int *present, s3_why_t *why);

#endif
