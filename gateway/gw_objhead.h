/*
 * gw_objhead.h — reads and decodes the head row of one object (bucket lookup, quorum row read,
 * gw_objmeta_decode, part table check): the common first step of CopyObject (its source),
 * the tagging operations and GetObjectAttributes.
 *
 * gw_objhead_read(h, op, bucket, key, done): op is the operation context (first member
 * gw_opref_t) and its reference passes to the read. Failures are answered here (NoSuchBucket,
 * NoSuchKey for an absent or deleted object, 503/500 from gw_send_cluster_error, 500 for an
 * undecodable row) and the reference dropped; on success done(op) runs with h filled and owns
 * the reference. Call gw_objhead_free from the context's cleanup.
 *
 * gw_objhead_from_request(r, m): the other direction, the ONE place that takes an object's
 * stored headers (Content-Type, Cache-Control, Content-Disposition, Content-Encoding as sent,
 * Expires) and user metadata (x-amz-meta-*) from a request: PutObject, CreateMultipartUpload
 * and CopyObject with x-amz-metadata-directive REPLACE. m's slices point into the request.
 */
#ifndef GW_OBJHEAD_H
#define GW_OBJHEAD_H

#include "gw_bucket.h"
#include "gw_objmeta.h"

typedef void (*gw_objhead_cb)(void *op);

typedef struct {
    void *op;
    gw_objhead_cb done;
    tn_slice_t key;
    gw_bucket_rec_t bucket;
    uint32_t pool, pg; /* the bucket's index shard */
    gw_objmeta_t m;    /* slices point into val */
    uint8_t *val;
    uint8_t *inl; /* the row's inline field: INLINE data or the MULTIPART part table */
    size_t inl_len;
    tn_row_ver_t ver; /* the row's version */
    /* set by the caller before the read: the object is a COPY SOURCE, so the caller's right
     * to read it is checked here (gw_access_copy_source, then the object's ACL) and a caller
     * without it gets AccessDenied, also for a missing key (no probing of others' buckets) */
    int copy_source;
    int by_acl;             /* internal: the object's ACL decides */
    tn_slice_t bucket_name; /* internal: as passed to gw_objhead_read */
} gw_objhead_t;

void gw_objhead_read(gw_objhead_t *h, void *op, tn_slice_t bucket, tn_slice_t key,
                     gw_objhead_cb done);
void gw_objhead_free(gw_objhead_t *h);

/* Fills m's five stored header fields (those present) and user metadata from r's headers.
 * S3_OK, or S3_ERR_METADATA_TOO_LARGE when the x-amz-meta-* names (without the prefix) and
 * values exceed GW_OBJMETA_META_MAX bytes (S3's 2 KiB) or GW_OBJMETA_MAX_META pairs. */
s3_err_t gw_objhead_from_request(gw_req_t *r, gw_objmeta_t *m);

#endif
