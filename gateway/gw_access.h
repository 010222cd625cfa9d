/*
 * gw_access.h — the authorization stage of the request pipeline (gw_req.h, between SigV4
 * and the payload pass, so a denied upload is not even hashed): looks the request's bucket up
 * (the per-thread bucket cache, gw_bucket.h, else a quorum read that fills it, so the
 * handler's own lookup right after is a cache hit) and asks gw_authz_allow (gw_authz.h).
 * Denied: 403 AccessDenied. Every operation passes here, so handlers need no checks of
 * their own (they only see requests the principal may make).
 *
 * Uploads then pass the bucket's quota (gw_quota.h), deletes drop the thread's usage figure.
 * Admin keys skip the lookup except for object writes (quotas apply to them too); when that
 * lookup fails, their request goes on to the handler, which answers as it always did. Ops without a
 * bucket (ListBuckets; it filters with gw_authz_lists) and CreateBucket need no record. A bucket
 * that does not exist answers NoSuchBucket here for user and scoped keys (the handler would
 * say the same).
 *
 * Staleness: the decision may use a bucket record cached up to GW_BUCKET_CACHE_MS (3 s). A
 * bucket's owner never changes while it exists (ids are immutable); only a bucket deleted
 * and re-created by another user within those 3 s can be judged by its former record, and
 * then the handler, using the same cache, also writes to the former (dead) bucket id.
 */
#ifndef GW_ACCESS_H
#define GW_ACCESS_H

#include "gw_req.h"

/* Runs next(r) when r's principal may make r's request, else answers r. */
void gw_access_check(gw_req_t *r, void (*next)(gw_req_t *r));

#endif
