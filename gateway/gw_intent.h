/*
 * gw_intent.h — the gateway's half of DESIGN.md rule 1 ("references before data"): before the
 * first blob of a new data version (PutObject and CopyObject chunks, UploadPart and
 * UploadPartCopy chunks) the write records an INTENT row (tn_gcref.h) in the bucket's index PG
 * at quorum, naming the data vid, its size and chunking, the object key (and upload id) and an
 * expiry = now + osd.gc_intent_ttl. The write must reference its blobs (head row, DONE part
 * row) before the expiry, else it fails with 503: after expiry + osd.gc_grace the OSDs'
 * garbage collector (osd/osd_gc.h) may delete blobs that nothing references.
 */
#ifndef GW_INTENT_H
#define GW_INTENT_H

#include <stddef.h>
#include <stdint.h>
#include "gw_server.h"
#include "tern.h"

typedef void (*gw_intent_cb)(void *arg, int err);

typedef struct {
    uint64_t bucket_id;
    tn_slice_t key;           /* the object key */
    const uint8_t *upload_id; /* 16 bytes for a part, NULL for an object */
    const uint8_t *vid;       /* the data vid (16 bytes) */
    uint64_t size;            /* bytes of data under vid */
    uint32_t chunk_size;      /* GW_OBJMETA_CHUNK */
} gw_intent_t;

/* Starts the quorum write of in's intent on t's replication client; *deadline_ms receives the
 * time until which the write may still start a blob or reference its blobs: the intent's
 * expiry minus a margin for the last round trip (a tenth of the TTL, at most 5 s).
 * 0: cb(arg, err) runs later exactly once (err 0 = written at quorum); <0: nothing started
 * (no cluster map, bad argument, out of memory). */
int gw_intent_write(struct gw_thread *t, const gw_intent_t *in, uint64_t *deadline_ms,
                    gw_intent_cb cb, void *arg);
/* 1 before deadline_ms (from gw_intent_write), else 0. */
int gw_intent_valid(uint64_t deadline_ms);

/* DeleteBucket, before the bucket record's tombstone: the DEAD-BUCKET row (tn_gcref.h) of
 * bucket_id with its name (1..TN_GCREF_BUCKET_NAME_MAX bytes) in the bucket's index PG, at
 * quorum. A claim the collector verifies against the bucket record on every meta replica, so
 * a delete that fails afterwards leaves it harmless; it is what lets the collector find the
 * rows and blobs of a deleted bucket's id (docs/ARCHITECTURE.md, "Deleted buckets").
 * 0: cb runs later exactly once; <0: nothing started. */
int gw_intent_bucket_deleting(struct gw_thread *t, uint64_t bucket_id, const void *name, size_t len,
                              gw_intent_cb cb, void *arg);

#endif
