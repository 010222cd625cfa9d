/*
 * osd_holds.h — "does this OSD hold PG (pool, pg) under its current map?" for the op handlers
 * that create data (BLOB_PUT): DESIGN.md rule 3, docs/ARCHITECTURE.md "Epoch checks".
 *
 * Held = the OSD is in pl_pg_holders of the PG under the map store's current map: the current
 * set, or the old set while the PG moves (osd_recplan_held_pgs). The set of held PGs is
 * computed once per epoch (on the first question after the map store adopted a new map) and
 * kept sorted, so a question is a binary search under a mutex.
 *
 * Why: a blob written on an OSD that does not hold its PG is an orphan that no garbage
 * collection pass visits (the collector and repair only look at holders) and that a later
 * map change could bring back as a "copy". The epoch in the frame header is not enough: a
 * gateway sends the frames of a put it placed under epoch N (a paced or background replica
 * write) with the epoch it has when the frame leaves, N + 1 after it adopted a map that
 * completed the PG's move.
 *
 * Threads: any (one mutex).
 */
#ifndef OSD_HOLDS_H
#define OSD_HOLDS_H

#include <stdint.h>
#include "osd_mapstore.h"

typedef struct st_osd_holds_t osd_holds_t;

/* A cache for OSD self over ms (which must outlive it). NULL on ENOMEM. */
osd_holds_t *osd_holds_create(int32_t self, osd_mapstore_t *ms);
void osd_holds_destroy(osd_holds_t *h);
/* 1 if self holds (pool, pg) under the store's current map, 0 if not, <0 when it cannot tell
 * (the map does not decode, -ENOMEM): callers refuse the write. A pool id the map does not
 * know answers 1: such blobs are not placement-managed (the OSD tests and tools address made-up
 * pools), and a sender whose map has a pool ours lacks is at another epoch, which the epoch
 * check refuses first. */
int osd_holds_pg(osd_holds_t *h, uint32_t pool, uint32_t pg);

#endif
