/*
 * osd_recplan.h — the pure decisions of repair (anti-entropy and scrub), kept free of I/O so
 * they are unit-tested: which PGs an OSD holds under a map, which replica drives a PG's repair,
 * which key buckets of two PG digests differ, and the step of the streaming merge-join that
 * compares two replicas' rows (or blob lists) in order and says what to ship where.
 * PURE: libc, tern_common and placement only; no allocation on these paths.
 *
 * Who drives (docs/ARCHITECTURE.md, "Repair"): every OSD repairs every PG it holds for
 * itself — it pulls the rows and blobs it lacks (rule 9: blobs only ever by pull). Rows it
 * holds newer than a peer are shipped to that peer (PG_PUSH, original rows, the one merge
 * function) only by the PG's driver, the first replica in placement order that answered, so
 * two replicas do not push the same rows at each other at the same time.
 */
#ifndef OSD_RECPLAN_H
#define OSD_RECPLAN_H

#include <stddef.h>
#include <stdint.h>
#include "placement.h"
#include "tn_proto.h"
#include "tn_row.h"

/* A PG held by an OSD and its replica set. */
typedef struct {
    uint32_t pool; /* pool id */
    uint32_t pg;
    uint8_t n;     /* entries in osds[] (<= PL_MAX_HOLDERS) */
    uint8_t n_cur; /* the first n_cur are the current set (pl_pg_osds, PL_ITEM_NONE kept) */
    uint8_t self;  /* index of the holder in osds[] */
    /* current set in replica order (osds[0] primary), then, while the PG moves (pl_moving_t),
     * the old set's OSDs not in it: they keep and repair the PG until the move completes */
    int32_t osds[PL_MAX_HOLDERS];
} osd_recplan_pg_t;

/* THE answer to "which OSDs hold PG pg of pool under map m" for the garbage collector:
 * pl_pg_holders — the current set in replica order (out[0] primary, empty slots dropped), then,
 * while the PG moves, the old set's members that still keep a copy (they must be asked and
 * cleaned too). Returns how many (<= PL_MAX_HOLDERS), or a pl_pg_holders error. */
int osd_recplan_pg_holders(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, void *work,
                           int32_t out[PL_MAX_HOLDERS]);

/* Fills out[0..cap) with every PG of every pool of m whose holders (current set, and the old
 * set while the PG moves: pl_pg_holders) contain osd, pools in
 * map order, PGs ascending; returns how many PGs osd holds (which may exceed cap: then only
 * cap were written), or -EINVAL. work: pl_work_size(m) bytes, aligned for uint64_t. */
long osd_recplan_held_pgs(const pl_map_t *m, int32_t osd, void *work, osd_recplan_pg_t *out,
                          size_t cap);

/* The index in pg->osds of the replica that drives the PG's repair: the first one whose
 * reachable[i] is non-zero; -1 if none is. reachable has pg->n entries. */
int osd_recplan_driver(const osd_recplan_pg_t *pg, const uint8_t *reachable);

/* Row buckets (bit i = key bucket i, tn_row.h) whose digests differ between a and b. */
unsigned osd_recplan_diff_buckets(const tn_pg_digest_rep_t *a, const tn_pg_digest_rep_t *b);
/* 1 if the rows (whole-PG digest) differ. */
int osd_recplan_rows_differ(const tn_pg_digest_rep_t *a, const tn_pg_digest_rep_t *b);
/* 1 if the blob lists differ. */
int osd_recplan_blobs_differ(const tn_pg_digest_rep_t *a, const tn_pg_digest_rep_t *b);

/* One step of the merge-join of two row streams in (ns, key) order (ns unsigned, keys by
 * tn_row_key_cmp), restricted to the key buckets in mask. mine / theirs are the heads of the
 * local and the peer stream, NULL when that stream is exhausted (not both). */
typedef enum {
    OSD_RP_NONE = 0, /* equal, or outside the mask: nothing to ship */
    OSD_RP_PULL,     /* the peer's row is newer or missing here: merge it locally */
    OSD_RP_PUSH,     /* the local row is newer or missing there: ship it to the peer */
} osd_rp_action_t;
typedef struct {
    osd_rp_action_t action;
    uint8_t adv_mine;   /* consume the local head */
    uint8_t adv_theirs; /* consume the peer's head */
} osd_rp_step_t;
osd_rp_step_t osd_recplan_row_step(const tn_row_t *mine, const tn_row_t *theirs, unsigned mask);

/* One step of the merge-join of two blob lists in (version bytes, part) order. PULL: the
 * peer has a blob this OSD lacks (pull it by reference); PUSH is never returned for blobs (a
 * blob only here is the peer's to pull, rule 9): a local-only blob just advances. */
typedef struct {
    uint8_t version[TN_PROTO_VID_LEN];
    uint32_t part;
} osd_rp_blob_t;
int osd_recplan_blob_cmp(const osd_rp_blob_t *a, const osd_rp_blob_t *b);
osd_rp_step_t osd_recplan_blob_step(const osd_rp_blob_t *mine, const osd_rp_blob_t *theirs);

/* 1 if a row may be shipped by repair at wall-clock now_ms: its HLC's physical time is at
 * least settle_ms in the past (always 1 when settle_ms is 0). Repair of the metadata pool waits for
 * rows to settle because its rows are not last-writer-wins (rule 11): a bucket CREATE that won only
 * some replicas is rolled back by its creator (purge-if-unchanged) within seconds, and repair must
 * not copy such a row to a replica the rollback will not visit. */
int osd_recplan_row_settled(const tn_row_t *r, uint64_t now_ms, uint64_t settle_ms);

/* When the next periodic pass is due: now + interval, minus up to 10 % taken from rnd (any
 * 32-bit random value), so the OSDs of a cluster spread out instead of all scanning at once. */
uint64_t osd_recplan_next_due(uint64_t now_ms, uint64_t interval_ms, uint32_t rnd);

#endif
