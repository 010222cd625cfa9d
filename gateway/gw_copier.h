/*
 * gw_copier.h — server-side copy of a byte range of a stored object into new chunk blobs
 * (CopyObject, UploadPartCopy).
 *
 * The range [pos, end) of a CHUNKED, MULTIPART or INLINE source is written as
 * ceil((end - pos) / GW_OBJMETA_CHUNK) blobs (vid, i) in pool "data" under a fresh vid
 * (gw_op_object.c's layout), hashing MD5 and one checksum algorithm on the way. CopyObject
 * (gw_op_copy.c) and UploadPartCopy (gw_op_multipart.c) both copy with it. Source blobs
 * are read GW_COPIER_PIECE bytes at a time with gw_cl_blob_get; at most GW_COPIER_INFLIGHT
 * chunks are being written at once, and one chunk is being filled: the memory of one copy is
 * bounded by (GW_COPIER_INFLIGHT + 1) x GW_OBJMETA_CHUNK whatever the object's size, and every
 * chunk's bytes come from the loop thread's chunk budget (gw_budget.h) from before its malloc
 * until its write reached quorum (a copy waits while the budget is spent).
 *
 * The copier lives inside an operation context (first member gw_opref_t, see gw_bucket.h): it
 * takes a reference on it for every call in flight. done runs exactly once (unless the
 * request went away first, then it runs with err -ECANCELED), while the copier still holds a
 * reference, on the loop thread: err 0 with c->md5 and c->cksum set, or the replication
 * layer's error (TN_ERR_CORRUPT for a short source read). Call gw_copier_free from the
 * context's cleanup.
 */
#ifndef GW_COPIER_H
#define GW_COPIER_H

#include "gw_bucket.h"
#include "gw_budget.h"
#include "gw_objmeta.h"
#include "s3_checksum.h"

#define GW_COPIER_INFLIGHT 4
#define GW_COPIER_PIECE    (1u << 20)

typedef void (*gw_copier_cb)(void *op, int err);
typedef struct gw_copier_chunk gw_copier_chunk_t;

typedef struct {
    void *op; /* the operation context: starts with gw_opref_t */
    gw_copier_cb done;
    const gw_objmeta_t *src;
    const uint8_t *src_inl; /* INLINE: the data; MULTIPART: the checked part table */
    uint64_t pos, end;
    uint8_t vid[16]; /* the destination data vid */
    uint32_t nchunks, next, ndone, inflight;
    int reading, failed, finished;
    size_t piece_got;
    gw_copier_chunk_t *cur;
    s3_multihash_t h;
    int h_init;
    s3_cksum_alg_t alg;
    struct gw_thread *thread; /* the loop thread: chunk buffers (gw_thread_chunk_get) */
    gw_budget_t *budget;      /* the loop thread's chunk budget */
    gw_budget_wait_t wait;    /* queued for budget (holds a reference on op) */
    h2o_timeout_entry_t te;   /* the pump after a grant (holds a reference on op) */
    size_t granted;           /* bytes taken for the next chunk, not yet allocated */
    /* results (err 0) */
    uint8_t md5[16];
    uint8_t cksum[S3_CKSUM_MAX_RAW];
} gw_copier_t;

/* Starts copying [pos, end) (end >= pos; an empty range writes nothing) of src into blobs
 * (vid, 0..) — the caller chose vid and made its reference durable first (DESIGN.md rule 1).
 * alg: the checksum to compute besides MD5 (S3_CKSUM_NONE: none). src and src_inl must outlive the
 * copy. 0 if started (done will run, maybe before this returns), <0 if not (nothing to undo, done
 * will not run). */
int gw_copier_start(gw_copier_t *c, void *op, const gw_objmeta_t *src, const uint8_t *src_inl,
                    uint64_t pos, uint64_t end, s3_cksum_alg_t alg, const uint8_t vid[16],
                    gw_copier_cb done);
void gw_copier_free(gw_copier_t *c);

/* Blob (vid, i) in pool "data" (gw_objmeta.h). TN_OK or gw_bucket_place's error. */
int gw_data_ref(tn_blobref_t *ref, const uint8_t vid[16], uint32_t i, gw_server_t *s);

#endif
