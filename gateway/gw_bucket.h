/*
 * gw_bucket.h — buckets on the replication layer: where a bucket record lives, its encoding,
 * lookups with a per-thread cache, the all-replica conditional writes that create and delete
 * it (DESIGN.md rule 11), and the request-lifetime helper the operation handlers share.
 *
 * DATA MODEL
 *   Bucket record: a row in pool "meta" (conf_pool_id("meta")),
 *     pg = pl_object_pg(meta pool, name, len), ns = GW_BUCKET_NS (1), key = the bucket name,
 *     value: tn_bucket_rec_t (tn_tenant.h), format 3: format 1's id (random, getrandom;
 *       names the bucket's index namespace), creation time (ms since the Unix epoch) and owner
 *       access key; format 2's owning user and quota; format 3's canned ACL (gw_acl_t;
 *       bucket-owner-* and aws-exec-read are never stored here), bucket policy JSON
 *       (gw_policy.h; empty = none) and CORSConfiguration XML as PutBucketCors received it
 *       (validated by s3_xml_parse_cors; empty = none). Formats 1 and 2 still decode (ACL
 *       private, no policy, no CORS).
 *   ACL, policy and CORS changes rewrite the record with IF_VERSION (expected = the version
 *   read) on EVERY replica, exactly as DeleteBucket does (gw_bucket_update): PRECONDITION =
 *   a concurrent change (409 OperationAborted), a replica down = 503 (a partial update stays
 *   on the replicas that took it; the newest version wins on quorum reads, and a retry
 *   converges).
 *   A deleted bucket is a tombstone row (TN_ROW_TOMBSTONE, empty value).
 *   CreateBucket writes with ROW_PUT mode CREATE to EVERY replica of the PG and needs all of
 *   them to answer APPLIED/UNCHANGED; a replica answering EXIST with another version means the
 *   name is taken; the replicas this creator did win are rolled back (ROW_DELETE,
 *   purge-if-unchanged, our version), as are they when a replica is down (503).
 *   DeleteBucket first writes the dead-bucket row (gw_intent_bucket_deleting) at quorum, then
 *   the tombstone with IF_VERSION (expected = the version read) to every
 *   replica; PRECONDITION anywhere = the bucket changed meanwhile (409 OperationAborted). A
 *   delete that fails part-way (a replica down) cannot be rolled back: the tombstone stays on
 *   the replicas that took it and a quorum read may see the bucket as deleted or not until
 *   the delete is retried (it answers 503 so the client retries).
 *   Object head rows of a bucket: pool "index", ns = bucket id, one shard:
 *     pg = pl_object_pg(index pool, le64(bucket id) || le32(0)) (gw_bucket_index_pg).
 *
 * CACHE: name -> record, per loop thread, GW_BUCKET_CACHE_MS. A change made through this
 *   gateway (DeleteBucket, ACL/policy/CORS: gw_bucket_cache_drop) invalidates every thread's
 *   entries at once (a process-wide generation). Staleness: a bucket deleted through ANOTHER
 *   gateway may still accept writes to its old id here for up to GW_BUCKET_CACHE_MS; those rows are
 * orphans (their namespace is never listed again) that the collector takes with the rest of the
 * deleted id (DeleteBucket's dead-bucket row, gw_intent.h). A bucket re-created
 * under the same name gets a new id: stale cache entries write to the old id for the same window.
 */
#ifndef GW_BUCKET_H
#define GW_BUCKET_H

#include <stddef.h>
#include <stdint.h>
#include "gw_server.h"
#include "gw_req.h"
#include "gw_policy.h"
#include "tn_tenant.h"

#define GW_BUCKET_NS        1u
#define GW_BUCKET_FORMAT    TN_BUCKET_FORMAT
#define GW_BUCKET_CORS_MAX  TN_BUCKET_CORS_MAX
#define GW_BUCKET_CACHE_MS  3000u
#define GW_BUCKET_OWNER_MAX TN_BUCKET_OWNER_MAX

typedef tn_bucket_rec_t gw_bucket_rec_t;

/* Bytes gw_bucket_rec_encode needs at most. */
#define GW_BUCKET_REC_MAX TN_BUCKET_REC_MAX

/* Encoding (see above): returns the length written, or TN_ERR_TOO_BIG. */
int gw_bucket_rec_encode(const gw_bucket_rec_t *b, uint8_t *buf, size_t cap);
/* TN_OK or TN_ERR_CORRUPT (also for an ACL byte gw_acl.h does not know). */
int gw_bucket_rec_decode(const void *buf, size_t len, gw_bucket_rec_t *b);

/* Pool id and PG of name in the pool called pool_name on the current map: TN_OK, -ENOENT
 * (no such pool), -ESHUTDOWN (the gateway has no cluster map). */
int gw_bucket_place(gw_server_t *s, const char *pool_name, const void *name, size_t len,
                    uint32_t *pool_id, uint32_t *pg);
/* The index shard of a bucket (pool "index"). */
int gw_bucket_index_pg(gw_server_t *s, uint64_t bucket_id, uint32_t *pool_id, uint32_t *pg);

/* Looks a bucket up. Returns 1 on a cache hit (*hit filled, no callback), 0 when a quorum
 * read was started (cb runs later, exactly once: err 0 with rec and its row version,
 * TN_ERR_NOT_FOUND for an absent or deleted bucket, else the layer's error), <0 when nothing
 * was started. use_cache 0 always reads. */
typedef void (*gw_bucket_cb)(void *arg, int err, const gw_bucket_rec_t *rec,
                             const tn_row_ver_t *ver);
int gw_bucket_lookup(gw_thread_t *t, const char *name, size_t len, int use_cache,
                     gw_bucket_rec_t *hit, gw_bucket_cb cb, void *arg);
/* The same (with the cache) for plain GetObject/HeadObject only (gw_req_degraded_ok): when
 * the meta PG has no read quorum the record may come from ONE replica
 * (gw_cl_row_get_degraded); then *degraded is set to 1 before cb runs (degraded must stay
 * valid until then). Bucket records are written to EVERY replica (rule 11), so one replica
 * holds every acknowledged change: only a change that failed part-way (answered 503) can read
 * differently. */
int gw_bucket_lookup_degraded(gw_thread_t *t, const char *name, size_t len, gw_bucket_rec_t *hit,
                              gw_bucket_cb cb, void *arg, uint8_t *degraded);
void gw_bucket_cache_drop(const char *name, size_t len);

/* The outcome of a write to every replica of a PG. */
typedef struct {
    int replicas;     /* OSDs placed */
    int ok;           /* APPLIED or UNCHANGED */
    int exist;        /* CREATE refused: another version stored */
    int precondition; /* IF_VERSION refused */
    int failed;       /* anything else (down, timeout, stale epoch, ...) */
} gw_allrep_t;
typedef void (*gw_allrep_cb)(void *arg, const gw_allrep_t *res);
/* Writes row (sealed here; ver must be set) with mode TN_PROTO_ROW_CREATE or
 * TN_PROTO_ROW_IF_VERSION (expect) to every OSD of its PG. When a CREATE is not won on all
 * replicas, the replicas that applied it are rolled back (ROW_DELETE with row's version,
 * fire and forget). cb runs once, later, on t's loop. <0: nothing started. */
int gw_bucket_write_all(gw_thread_t *t, const tn_row_t *row, uint8_t mode,
                        const tn_proto_ver_t *expect, gw_allrep_cb cb, void *arg);

/* Rewrites the record of bucket (the route's) as rec with IF_VERSION expect (the version the
 * lookup returned) on every replica, with a newer HLC; drops the cache entry. cb as for
 * gw_bucket_write_all. <0: nothing started. */
int gw_bucket_update(gw_thread_t *t, const char *name, size_t len, const gw_bucket_rec_t *rec,
                     const tn_row_ver_t *expect, gw_allrep_cb cb, void *arg);

/* Request lifetime for asynchronous handlers: a heap context whose first member is a
 * gw_opref_t. It holds two references: the request's (dropped by the cancel hook, which also
 * clears r) and the operation's (dropped by gw_opref_done when the backend work ended). The
 * handler must check o->r != NULL before answering. */
typedef struct {
    gw_req_t *r;
    int refs;
    void (*cleanup)(void *self); /* optional, before free */
} gw_opref_t;
void *gw_opref_new(gw_req_t *r, size_t size);
void gw_opref_done(void *o);

/* Maps a replication-layer error to its S3 answer: 500 InternalError for local faults (out of
 * memory, bad arguments, corrupt data, object data missing behind a live row), 503
 * ServiceUnavailable for everything the cluster may fix by itself (quorum, timeouts, refused
 * connections, stale epochs, shutdown), so clients retry those. */
void gw_send_cluster_error(gw_req_t *r, int err);
/* Answers a failed bucket lookup: NoSuchBucket when the bucket is absent or deleted, else as
 * gw_send_cluster_error. */
void gw_bucket_send_lookup_error(gw_req_t *r, int err);
/* The common start of a bucket-lookup callback for op (a context starting with gw_opref_t):
 * returns the request to go on with, or NULL after finishing op (the client went away, or the
 * lookup failed and was answered). */
gw_req_t *gw_bucket_lookup_settle(void *op, int err);

/* Wall clock in ms; 16 random bytes (getrandom). */
uint64_t gw_now_ms(void);
void gw_random(void *buf, size_t len);

#endif
