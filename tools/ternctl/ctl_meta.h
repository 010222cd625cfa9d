/*
 * ctl_meta.h — ternctl's access to the cluster's metadata pool (users, keys, buckets): a
 * blocking OSD client (tn_osdc_sync) on the OSDs of the config, with the newest map the OSDs
 * know, quorum reads and listings, and the all-replica conditional writes of DESIGN.md rule
 * 11 (the same discipline as the gateway's gw_bucket_write_all: CREATE or IF_VERSION on every
 * replica; a CREATE not won everywhere is rolled back on the replicas that applied it).
 *
 * Reads ask every replica of the PG and need read_quorum answers; the newest version per key
 * wins (tombstones included, then reported as such). Entries returned are malloc'd copies.
 */
#ifndef CTL_META_H
#define CTL_META_H

#include <stddef.h>
#include <stdint.h>
#include "tn_osdc_sync.h"
#include "tn_hlc.h"
#include "ctl.h"

#define CTL_DEFAULT_CONFIG "/etc/tern/cluster.yaml"

typedef struct {
    const char *path;
    conf_t *conf;
    pl_map_t *map; /* the newest an OSD gave us, else the config's */
    tn_osdc_sync_t *sc;
    const pl_pool_t *meta;
    tn_hlc_t hlc;
    uint32_t origin;
    void *work; /* pl_pg_osds workspace */
} ctl_cluster_t;

typedef struct {
    uint8_t *key;
    size_t key_len;
    tn_proto_ver_t ver;
    uint32_t flags;
    uint8_t *value;
    size_t value_len;
} ctl_meta_ent_t;

/* Loads the config (NULL = TERN_CONFIG or CTL_DEFAULT_CONFIG) and reaches the cluster: prints
 * a clear message and returns CTL_EXIT_USAGE (bad config) or CTL_EXIT_FAIL (no OSD answers)
 * on failure. */
int ctl_cluster_open(ctl_cluster_t *c, const char *path);
void ctl_cluster_close(ctl_cluster_t *c);

/* The meta-pool PG of an object name. */
uint32_t ctl_meta_pg(const ctl_cluster_t *c, const void *name, size_t len);
/* The newest row of (pg, ns, key) at read quorum: 0 (*out filled; check TN_ROW_TOMBSTONE),
 * TN_ERR_NOT_FOUND, TN_ERR_QUORUM. */
int ctl_meta_get(ctl_cluster_t *c, uint32_t pg, uint64_t ns, const void *key, size_t len,
                 ctl_meta_ent_t *out);
/* Every key of (pg, ns), newest version each, sorted by key: 0 or TN_ERR_QUORUM. */
int ctl_meta_list(ctl_cluster_t *c, uint32_t pg, uint64_t ns, ctl_meta_ent_t **out, size_t *n);
/* The same in any pool (the index pool: a bucket's object rows). */
int ctl_pool_list(ctl_cluster_t *c, const pl_pool_t *pool, uint32_t pg, uint64_t ns,
                  ctl_meta_ent_t **out, size_t *n);
/* Every bucket record of the meta pool (every PG, ns 1), tombstones dropped. */
int ctl_meta_list_buckets(ctl_cluster_t *c, ctl_meta_ent_t **out, size_t *n);
void ctl_meta_ent_free(ctl_meta_ent_t *e);
void ctl_meta_ents_free(ctl_meta_ent_t *e, size_t n);

/* Writes (pg, ns, key) = value (tombstone if value == NULL) to every replica: with
 * expect == NULL mode CREATE, else IF_VERSION against *expect (the new version is then stamped
 * after it). Returns 0, -EEXIST (CREATE lost: another record exists), TN_ERR_PRECONDITION
 * (changed meanwhile), TN_ERR_QUORUM (a replica did not answer; a CREATE was rolled back). */
int ctl_meta_write_all(ctl_cluster_t *c, uint32_t pg, uint64_t ns, const void *key, size_t len,
                       const void *value, size_t value_len, const tn_proto_ver_t *expect);

/* Explains an error of the functions above on stderr, with what to do. */
void ctl_meta_explain(const char *what, int err);

/* Random bytes (getrandom). */
void ctl_random(void *buf, size_t len);

#endif
