/*
 * tn_mapchg.h — installing a new cluster map epoch on a running cluster, and completing moves,
 * shared by `ternctl` (osd add/out/in/reweight/replace, rebalance) and the OSDs (which
 * complete moves themselves, DESIGN rule 3). The I/O half: placement decides
 * (pl_map_finish_moves, pl_map_plan_moves, pl_map_replace_osd), this file asks and installs.
 *
 * INSTALL (tn_map_install): next (epoch base + 1) is offered with MAP_OFFER compare-and-set on
 * every OSD of next, in ascending id order. There is no monitor: the first OSD that answers
 * decides. If its CAS fails, another change won and nothing was changed anywhere. After that
 * first acceptance every other OSD gets a CAS too; one still at an older epoch (it missed a
 * change while down) gets the map by PROPAGATE; one that cannot be reached picks the epoch up
 * from its peers (OSDs exchange newer maps every second) when it returns. Two proposers racing
 * (two ternctl runs, or an OSD completing moves while an operator changes the map) therefore
 * cannot both win as long as they see the same lowest answering OSD.
 *
 * Not thread-safe beyond its tn_osdc_sync_t (one per thread). Blocking.
 */
#ifndef TN_MAPCHG_H
#define TN_MAPCHG_H

#include <stdint.h>
#include "placement.h"
#include "tn_osdc_sync.h"

/* What an installation did. */
typedef struct {
    int decided;        /* 1: the new epoch won (the first answering OSD accepted it) */
    unsigned n_ok;      /* OSDs that hold the new epoch now */
    unsigned n_unreach; /* OSDs not reached (they catch up from their peers) */
    unsigned n_failed;  /* OSDs that refused after the decision (a concurrent change?) */
    /* when !decided and some OSD answered: that OSD and the epoch it holds (another change
     * won); lost_osd = PL_ITEM_NONE if no OSD answered at all */
    int32_t lost_osd;
    uint64_t lost_epoch;
} tn_mapchg_result_t;

/* Called for each OSD that was not reached (rc: why) or that refused after the decision
 * (rc = TN_ERR_STALE_EPOCH or TN_ERR_CORRUPT, epoch/hash: what it holds). May be NULL. */
typedef void (*tn_mapchg_note_cb)(void *arg, int32_t osd, int rc, uint64_t epoch, uint64_t hash);

/*
 * Installs next (whose epoch must be base + 1) as described above. Points cl at every OSD
 * address of next and leaves cl's epoch at next->epoch if decided (base otherwise). Returns 0
 * if decided, TN_ERR_STALE_EPOCH if another change won (res->lost_*), -EHOSTUNREACH if no
 * OSD answered, TN_ERR_CORRUPT / -ENOMEM if next cannot be encoded.
 */
int tn_map_install(tn_osdc_sync_t *cl, const pl_map_t *next, uint64_t base, tn_mapchg_result_t *res,
                   tn_mapchg_note_cb note, void *note_arg);

/*
 * Asks the cluster (PING of every OSD of m, PG_DIGEST of every holder of every moving PG) and
 * decides with pl_map_finish_moves; same return value and outputs. cl must point at m's OSDs.
 */
int tn_map_finish_moves(tn_osdc_sync_t *cl, const pl_map_t *m, pl_map_t **next, int32_t *behind,
                        uint64_t *behind_epoch);

/*
 * Records, in next, the data-directory incarnation (DESIGN rule 4) of every OSD whose entry
 * has none (0): each is PINGed and its answer's incarnation taken (only from an OSD that
 * answers with its own id). Every map change made through this file does it, so a cluster
 * records its disks with its first change (`ternctl rebalance` is one that changes nothing
 * else). Returns how many were recorded.
 */
unsigned tn_map_record_incarnations(tn_osdc_sync_t *cl, pl_map_t *next);

/*
 * One completion step: tn_map_finish_moves, then tn_map_install of the result if some move is
 * complete (with tn_map_record_incarnations). Returns the number of moves completed (>= 0; 0 also
 * when the OSDs are not all at m's epoch yet, see *behind), or the error of either step. *installed
 * (may be NULL) receives the installed map (caller frees) when > 0 was returned.
 */
int tn_map_complete_moves(tn_osdc_sync_t *cl, const pl_map_t *m, pl_map_t **installed,
                          int32_t *behind, uint64_t *behind_epoch, tn_mapchg_result_t *res,
                          tn_mapchg_note_cb note, void *note_arg);

#endif
