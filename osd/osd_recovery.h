/*
 * osd_recovery.h — the OSD's self-healing: per-PG anti-entropy (the light scrub) and the deep
 * scrub, run by the OSD's own repair threads, off the request path (docs/ARCHITECTURE.md,
 * "Repair").
 *
 * A scheduler thread pings the other OSDs of the map every second and starts a pass over every
 * PG this OSD holds (osd_recplan_held_pgs) at start, every recovery_interval seconds
 * (jittered), and as soon as a peer is seen coming back. recovery_max_active repair threads
 * take the pass's PGs one at a time. For each PG a thread compares the local digest with every
 * replica's PG_DIGEST and, where they differ:
 *   - rows: a merge-join of the local rows and the peer's PG_ENUM pages over the differing key
 *     buckets; rows the peer holds newer or that are missing here are merged locally through
 *     the index's one merge function (original rows, rule 9); rows held newer here are shipped
 *     to the peer with PG_PUSH by the PG's driver (osd_recplan_driver). Tombstones are rows
 *     like any other and nothing is ever purged here (rule 5).
 *   - blobs: the peer's blob list (PG_ENUM) against the local one; a blob missing here is
 *     pulled by reference with BLOB_GET (the peer verifies its checksums; the frame CRC covers
 *     the transfer) and written through the blob store, never pushed (rule 9).
 * then repeats (at most 3 rounds) until the digests agree. A deep pass (every
 * deep_scrub_interval seconds) also re-reads every local blob and row and verifies its
 * checksums; a bad copy is replaced from a replica that has a good one (rule 7: a damaged copy
 * is an error, never treated as absent).
 *
 * Rebalance (docs/ARCHITECTURE.md "Rebalance"): the held PGs include those this OSD is an old
 * holder of while they move (osd_recplan_held_pgs), so new holders backfill from old ones with
 * the same machinery; once the map says a move completed, the scheduler deletes the local copy
 * of each PG given away (rows by purge-if-unchanged, then blob files). After each ping the
 * scheduler also fetches a peer's newer map (or offers ours to a peer behind), so an OSD that
 * missed a map change catches up within a second. Moves complete without an operator: the
 * lowest-id admitted OSD answering this one's pings is the proposer, and a mover thread there
 * runs tn_map_complete_moves (the same step as `ternctl rebalance`) every 2-3 s while the map
 * has moving PGs. An OSD that is not admitted (a replaced disk, rule 4: osd_mapstore.h) runs
 * no pass and never proposes.
 *
 * Repair traffic (rows and blobs moved, pages enumerated) goes through one token bucket of
 * recovery_max_bytes_per_sec per OSD; deep-scrub reads through another of
 * scrub_max_bytes_per_sec.
 *
 * Threads: osd_rec_start and osd_rec_stop from the main thread; osd_rec_stats from any thread.
 * The stores and the map store must outlive the recovery.
 */
#ifndef OSD_RECOVERY_H
#define OSD_RECOVERY_H

#include <stdint.h>
#include "osd_blob.h"
#include "osd_index.h"
#include "osd_mapstore.h"
#include "tn_hlc.h"

typedef struct st_osd_rec_t osd_rec_t;

typedef struct {
    int32_t self;                 /* this OSD's id */
    uint32_t interval_s;          /* light pass period */
    uint64_t max_bytes_per_sec;   /* repair traffic bound */
    unsigned max_active;          /* repair threads */
    uint32_t deep_interval_s;     /* deep scrub period; 0 = never */
    uint64_t scrub_bytes_per_sec; /* deep scrub read bound */
    tn_hlc_t *hlc;                /* the daemon's clock (frames are stamped with it) */
    const char *data_dir;         /* for the disk usage gauges (statvfs, every second) */
} osd_rec_opts_t;

/* Counters and the gauges of the last finished pass. */
typedef struct {
    uint64_t passes, deep_passes, pgs_checked, rows_pulled, rows_pushed, blobs_pulled;
    uint64_t bytes, errors, running, pass_pgs, pass_done, last_pass_ms;
    uint64_t pgs_clean, pgs_degraded, pgs_inconsistent; /* last finished pass */
    uint64_t rows, blobs; /* held (index rows incl. tombstones, blobs), last finished pass */
    uint64_t scrub_blobs, scrub_rows, scrub_bytes, scrub_errors, scrub_repaired;
    uint64_t peers_up;
    uint64_t moves_completed;        /* moving PGs this OSD completed (as the proposer, rule 3) */
    uint64_t disk_total, disk_avail; /* bytes, of the data directory's file system */
} osd_rec_stats_t;

int osd_rec_start(const osd_rec_opts_t *opts, osd_bs_t *bs, osd_idx_t *idx, osd_mapstore_t *ms,
                  osd_rec_t **out);
/* Stops and joins every thread (each blocking call is bounded by a client timeout). NULL ok. */
void osd_rec_stop(osd_rec_t *rec);
void osd_rec_stats(osd_rec_t *rec, osd_rec_stats_t *out);
/* Starts a pass now (or right after the one running); deep != 0 makes it a deep scrub. From any
 * thread (ternctl osd scrub). NULL is a no-op. */
void osd_rec_kick(osd_rec_t *rec, int deep);

#endif
