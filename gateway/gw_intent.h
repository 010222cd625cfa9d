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

#endif
