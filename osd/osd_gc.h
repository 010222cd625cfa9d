/*
 * osd_gc.h — the OSD's garbage collector: reclaims the blobs of data versions that no live
 * row references any more (superseded and deleted objects, aborted and completed uploads'
 * unused parts, writes interrupted half-way), by evidence, never by absence (DESIGN.md rule 1;
 * docs/ARCHITECTURE.md "Garbage collection").
 *
 * Every data version has an INTENT row (tn_gcref.h) in its bucket's index PG, written by the
 * gateway at quorum before the first blob. A GC thread in every OSD runs every interval_s
 * seconds (or when kicked) over the index PGs whose PRIMARY it is (osd_recplan_pg_holders
 * order; the collector needs every replica anyway, so no other driver is useful), and for each
 * intent past expiry + grace:
 *   1. asks EVERY replica of the index PG (itself included) for the intent row, the object's
 *      head row and (parts) the upload row. A replica that does not answer, or does not hold
 *      the intent itself (it has not caught up), makes the intent wait for a later run;
 *   2. the version is garbage only if no replica's head row names the vid (tn_gcref_head_names),
 *      no replica's upload row is ACTIVE (parts), and grace_s have passed since the newest of
 *      those rows was written (the superseding write, the delete, the Abort) and since the
 *      intent expired (a gateway writes its head row only before expiry);
 *   3. then, per chunk, on EVERY holder of the chunk's data PG: a GONE row (ROW_PUT), then
 *      BLOB_DELETE; all must acknowledge (NOT_FOUND counts), else retry on a later run;
 *   4. then the intent is purged (ROW_DELETE, purge-if-unchanged) on every index replica.
 * An upload ACTIVE for longer than upload_expiry_s (S3 lifecycle's AbortIncompleteMultipart-
 * Upload, for every bucket) is aborted by the collector as AbortMultipartUpload would: a
 * tombstone over its upload row on every index replica; its parts are then garbage after grace.
 * A purge that reached only some replicas is harmless: repair brings the intent back and the
 * next run finds the same evidence and finishes. Repair never stores a pulled blob that has a
 * GONE row (osd_gc_blob_gone), so a blob deleted by the collector is not resurrected.
 *
 * Then, still as primary of the index PG, it purges the tombstones older than grace_s (deleted
 * objects, aborted uploads) that EVERY replica holds in the same version (rule 5): ROW_DELETE
 * (purge-if-unchanged) on every replica.
 *
 * Last, as primary of each PG of the other pools (the data pools), it purges the GONE rows
 * older than gone_age_s that EVERY holder of the PG holds in the same version while NO holder
 * lists the blob (BLOB_STAT): ROW_DELETE (purge-if-unchanged) on every holder. Why that cannot
 * let repair resurrect the blob: docs/ARCHITECTURE.md, "Purging GONE rows".
 *
 * Threads: start/stop from the main thread; kick and stats from any thread.
 */
#ifndef OSD_GC_H
#define OSD_GC_H

#include <stdint.h>
#include "osd_blob.h"
#include "osd_index.h"
#include "osd_mapstore.h"
#include "tn_hlc.h"

typedef struct st_osd_gc_t osd_gc_t;

typedef struct {
    int32_t self;
    uint32_t interval_s;      /* between runs; 0 = never (only when kicked) */
    uint32_t grace_s;         /* after expiry and after the superseding write */
    uint32_t upload_expiry_s; /* ACTIVE uploads older than this are aborted; 0 = never */
    uint32_t gone_age_s;      /* GONE rows younger than this are never purged */
    tn_hlc_t *hlc;            /* the daemon's clock (frames are stamped with it) */
} osd_gc_opts_t;

typedef struct {
    uint64_t runs;              /* finished runs */
    uint64_t running;           /* 1 during a run */
    uint64_t intents_seen;      /* intents looked at by the last run (driven PGs only) */
    uint64_t intents_live;      /* last run: still referenced */
    uint64_t intents_pending;   /* last run: within expiry + grace */
    uint64_t intents_waiting;   /* last run: garbage or not, a replica could not tell */
    uint64_t intents_collected; /* total: versions whose blobs are gone and intent purged */
    uint64_t blobs_deleted;     /* total blob files deleted (each replica counts) */
    uint64_t bytes_reclaimed;   /* total data bytes of those files */
    uint64_t uploads_aborted;   /* total abandoned uploads aborted (osd.gc_upload_expiry) */
    uint64_t tombstones_purged; /* total tombstones purged from every index replica */
    uint64_t gone_purged;       /* total GONE rows purged from every holder */
    uint64_t dead_rows_buried;  /* total live rows of deleted buckets tombstoned */
    uint64_t buckets_collected; /* total deleted buckets whose last row went */
    uint64_t errors;            /* total failed steps (retried later) */
    uint64_t last_run_ms;       /* duration of the last run */
} osd_gc_stats_t;

int osd_gc_start(const osd_gc_opts_t *opts, osd_bs_t *bs, osd_idx_t *idx, osd_mapstore_t *ms,
                 osd_gc_t **out);
void osd_gc_stop(osd_gc_t *gc);
/* Starts a run now (or right after the one in progress). NULL is a no-op. */
void osd_gc_kick(osd_gc_t *gc);
void osd_gc_stats(osd_gc_t *gc, osd_gc_stats_t *out);

/* 1 if blob (vid, part) of data PG (pool, pg) has a GONE row here (the collector deleted it:
 * never store it again), 0 if not, <0 on a read error (treat as "cannot tell": do not store). */
int osd_gc_blob_gone(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, const uint8_t vid[16],
                     uint32_t part);

#endif
