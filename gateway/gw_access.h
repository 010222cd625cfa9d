/*
 * gw_access.h — the authorization stage of the request pipeline (gw_req.h, between SigV4
 * and the payload pass, so a denied upload is not even hashed): looks the request's bucket up
 * (the per-thread bucket cache, gw_bucket.h, else a quorum read that fills it, so the
 * handler's own lookup right after is a cache hit) and asks gw_authz_allow (gw_authz.h).
 * Denied: 403 AccessDenied. Every operation passes here, ANONYMOUS ones included, so handlers
 * need no checks of their own (they only see requests the principal may make) except the one
 * that needs the object's head row (below).
 *
 * PUBLIC ACCESS (ACLs, bucket policy; gw_acl.h, gw_policy.h). When gw_authz_allow says no
 * (anonymous requests; authenticated principals that neither own the bucket nor hold a key
 * for it), the bucket's policy and ACLs may still open a READ or, public-read-write, a WRITE:
 *   - anonymous requests reach this stage only for GetObject, HeadObject, HeadBucket,
 *     ListObjects V1/V2, OPTIONS and the object writes below (gw_access_anonymous_op;
 *     everything else is 403 before);
 *   - PutObject, CopyObject (destination), DeleteObject, DeleteObjects and the multipart
 *     upload calls (WRITE_OBJECT): the bucket's ACL only (public-read-write: anyone;
 *     policies name no write actions). Objects written so belong to the bucket owner (tern
 *     has no per-object owners; S3's default Object Ownership, BucketOwnerEnforced, does the
 *     same): the owner reads, overwrites and deletes them, the writer reads them only if
 *     their ACL or the bucket's policy lets it. Quotas count them as any upload;
 *   - GetObject/HeadObject (READ_OBJECT), ListObjects V1/V2 and HeadBucket (LIST_BUCKET): policy
 * Deny -> 403; policy Allow -> allow; else the ACL: LIST_BUCKET reads the bucket's ACL here
 *     (public-read -> anyone, authenticated-read -> any signed request); READ_OBJECT reads the
 *     OBJECT's ACL, which is in its head row: the stage sets r->acl_object_decides and
 *     r->acl_who and the GET/HEAD handler calls gw_acl_check_object once with the row;
 *   - OPTIONS (CORS preflight): always on to its handler, which answers from the bucket's
 *     CORS configuration only (it reveals nothing else and changes nothing);
 *   - anything else: 403.
 * The policy never restricts the owner or a key gw_authz allows (no Deny for them): tern's
 * policies are a way to OPEN buckets, not a second authorization system.
 *
 * Uploads then pass the bucket's quota (gw_quota.h), deletes drop the thread's usage figure.
 * Admin keys skip the lookup except for object writes (quotas apply to them too); when that
 * lookup fails, their request goes on to the handler, which answers as it always did. Ops without a
 * bucket (ListBuckets; it filters with gw_authz_lists) and CreateBucket need no record. A bucket
 * that does not exist answers NoSuchBucket here for user and scoped keys (the handler would
 * say the same).
 *
 * Staleness: the decision may use a bucket record cached up to GW_BUCKET_CACHE_MS (3 s) when
 * the record was changed through another gateway (this gateway's changes invalidate every
 * thread's cache at once: gw_bucket.h). A
 * bucket's owner never changes while it exists (ids are immutable); only a bucket deleted
 * and re-created by another user within those 3 s can be judged by its former record, and
 * then the handler, using the same cache, also writes to the former (dead) bucket id.
 */
#ifndef GW_ACCESS_H
#define GW_ACCESS_H

#include "gw_acl.h"
#include "gw_bucket.h"
#include "gw_req.h"

/* Runs next(r) when r's principal may make r's request, else answers r. */
void gw_access_check(gw_req_t *r, void (*next)(gw_req_t *r));

/* Operations a request without credentials may reach (then decided as above). */
int gw_access_anonymous_op(s3_op_t op);

/* May r's principal read the object key of the bucket called name whose record is rec? The
 * check of a second bucket an operation touches besides its own: the copy source of
 * CopyObject (gw_objhead.h, copy_source) and UploadPartCopy (the stage above judged only the
 * destination). Decided as GetObject is: gw_authz, else the source bucket's policy, else the
 * object's ACL. 1 yes, 0 no, -1 the object's ACL decides: read the head row, then ask
 * gw_access_object_acl_allows (and answer AccessDenied, not NoSuchKey, for a missing key). */
int gw_access_copy_source(gw_req_t *r, tn_slice_t name, const gw_bucket_rec_t *rec, tn_slice_t key);
int gw_access_object_acl_allows(gw_req_t *r, gw_acl_t object_acl);

#endif
