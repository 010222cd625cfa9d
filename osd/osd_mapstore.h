/*
 * osd_mapstore.h — the OSD's cluster map: the current epoch, persisted, and the rules of
 * MAP_OFFER (docs/PROTOCOL.md §5.2, DESIGN.md rule 3).
 *
 * FILE <data>/map.current: the current map in placement's codec (pl_map_encode), written
 * atomically (map.current.tmp, fsync, rename, fsync dir) before an adopted map is
 * acknowledged. On start a persisted map wins over the config's map if its epoch is higher;
 * otherwise (first start, or a config at a higher epoch, which cannot happen today as configs
 * are epoch 1) the config's map is persisted and used.
 *
 * The store also keeps the encodings of the last OSD_MS_KEEP epochs it held in memory (not on
 * disk), so MAP_GET of a recent older epoch works until a restart.
 *
 * Thread safety: every function may be called from any thread (one mutex); osd_ms_epoch is a
 * lock-free read.
 */
#ifndef OSD_MAPSTORE_H
#define OSD_MAPSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "placement.h"
#include "tern.h"

#define OSD_MS_FILE "map.current"
#define OSD_MS_KEEP 4

typedef struct st_osd_mapstore_t osd_mapstore_t;

/* Opens the store of data_dir with conf_map as the config's map (not kept). On a corrupt
 * map.current returns its decode error with why filled (the operator must act). -errno. */
int osd_ms_open(const char *data_dir, const pl_map_t *conf_map, osd_mapstore_t **out, char *why,
                size_t whylen);
void osd_ms_close(osd_mapstore_t *ms);
uint64_t osd_ms_epoch(osd_mapstore_t *ms);
/* pl_map_hash of the current map. */
uint64_t osd_ms_hash(osd_mapstore_t *ms);
/* A malloc'd copy of the encoding of epoch (0 = current) in *buf. TN_ERR_NOT_FOUND, -ENOMEM. */
int osd_ms_get(osd_mapstore_t *ms, uint64_t epoch, uint8_t **buf, size_t *len);
/*
 * MAP_OFFER: mode 0 PROPAGATE or 1 CAS of the encoded map. Blocking (persists before it
 * returns when the map is adopted). *epoch and *hash are the store's map after the offer
 * (also filled on TN_ERR_STALE_EPOCH). Returns 0, TN_ERR_STALE_EPOCH (CAS refused),
 * TN_ERR_CORRUPT (equal epoch, different map: logged loudly; or a map that does not decode),
 * TN_ERR_CHECKSUM / TN_ERR_UNSUPPORTED from the decoder, -EINVAL (mode), -errno from writing.
 * *adopted says whether the offered map became current.
 */
int osd_ms_offer(osd_mapstore_t *ms, uint8_t mode, uint64_t base_epoch, const uint8_t *map,
                 size_t len, uint64_t *epoch, uint64_t *hash, int *adopted);

/*
 * ADMISSION (DESIGN rule 4, "an empty disk does not vote"): the map records each OSD's data
 * directory incarnation (osd_ident.h). osd_ms_set_self tells the store this daemon's id and
 * incarnation; from then on every current map sets the state:
 *   OSD_MS_UNCLAIMED     the map records no incarnation for this OSD (0: a new cluster or a
 *                        new OSD, before the cluster records it) or does not list the OSD;
 *   OSD_MS_ADMITTED      the map records this directory's incarnation;
 *   OSD_MS_NOT_ADMITTED  the map records another one: this is a replaced or wiped disk. The
 *                        server refuses data requests (TN_ERR_CONFIG) and repair stays idle
 *                        until `ternctl osd replace ID` records the new incarnation. Logged
 *                        (error) once per transition.
 * osd_ms_admission is a lock-free read (0 = UNCLAIMED before osd_ms_set_self).
 */
#define OSD_MS_UNCLAIMED    0
#define OSD_MS_ADMITTED     1
#define OSD_MS_NOT_ADMITTED 2
void osd_ms_set_self(osd_mapstore_t *ms, int32_t id, uint64_t incarnation);
int osd_ms_admission(osd_mapstore_t *ms);

#endif
