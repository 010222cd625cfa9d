/*
 * gw_quota.h — bucket quotas (max bytes, max objects; tn_bucket_rec_t, set with `ternctl
 * bucket quota`), enforced in the authorization stage (gw_access.h) before any data is stored:
 * an upload that would exceed a quota answers 403 QuotaExceeded (RGW's code and status).
 *
 * USAGE FIGURE: per loop thread, per bucket with a quota, {bytes, objects} computed by listing
 * the bucket's index shard at quorum (every live head row: its object size), cached for
 * GW_QUOTA_USAGE_MS. Every upload this thread admits is added to the cached figure at once
 * (a reservation: +length, +1 object), so uploads through one connection are judged exactly;
 * DeleteObject/DeleteObjects drop the thread's cached figure so the next upload re-counts.
 * LAG: uploads through other threads or gateways are seen at the next re-count, so a bucket
 * can overshoot its quota by what those admit within GW_QUOTA_USAGE_MS (5 s) — at most
 * (gateways x threads) x (5 s of upload rate) — as RGW's cached stats do. An overwrite is
 * reserved as a new object (+1, +length) until the next re-count (conservative: never lets a
 * bucket exceed its quota by itself). A failed upload keeps its reservation until then.
 * Cost: one listing of the bucket's index per thread per 5 s while it receives uploads
 * (entries of ~100 bytes: a 100,000-object bucket lists ~10 MB); buckets without quota cost
 * nothing.
 *
 * What counts: PutObject, PostObject, CopyObject (destination: the copy's length is unknown
 * here, so it counts as one object and 0 bytes), UploadPart (bytes; objects at Complete).
 */
#ifndef GW_QUOTA_H
#define GW_QUOTA_H

#include <stdint.h>
#include "tn_tenant.h"
#include "gw_req.h"

#define GW_QUOTA_USAGE_MS 5000u

/* PURE: may an upload of add_bytes bytes adding add_objects objects go into a bucket with
 * rec's quota and this usage? 1 yes, 0 QuotaExceeded. */
int gw_quota_admit(const tn_bucket_rec_t *rec, uint64_t used_bytes, uint64_t used_objects,
                   uint64_t add_bytes, uint64_t add_objects);

/* Runs next(r) if r (an upload to the bucket of rec) fits the quota, else answers it.
 * Immediately when rec has no quota or r is not an upload. */
void gw_quota_check(gw_req_t *r, const tn_bucket_rec_t *rec, void (*next)(gw_req_t *r));
/* Forgets this thread's usage figure of a bucket (after deletes). */
void gw_quota_forget(uint64_t bucket_id);

#endif
