/*
 * conf_map.h — builds the placement map's static part (hosts, OSDs, weights, addresses, pools)
 * from a loaded configuration. The result is epoch 1 of the cluster map; later epochs come from
 * map changes (ternctl osd out/in/reweight/add) that every daemon persists.
 *
 * Pool ids seed the object hash (placement.h), so they must never change while data exists:
 * a pool's id is conf_pool_id(name), a hash of its name, not its position in the file.
 * Reordering pools in the file therefore moves nothing; renaming a pool is not supported.
 */
#ifndef CONF_MAP_H
#define CONF_MAP_H

#include "conf.h"
#include "placement.h"

/* The stable id of the pool called name: MurmurHash3_x86_32(name, seed 0x7465726e "tern"). */
uint32_t conf_pool_id(const char *name);

/*
 * Builds a new map at epoch 1 from c (which conf_load_* validated): one pl host per conf host,
 * one pl OSD per conf OSD (in and up, weight_fixed, addr "host:port" or "[v6]:port"), one pool
 * per conf pool, then pl_map_rebalance (draw factors). Returns TN_OK and *out (free with
 * pl_map_destroy), -ENOMEM, or TN_ERR_CONFIG with the reason in why (two pool names hashing to one
 * id, or a map that fails validation).
 */
int conf_build_map(const conf_t *c, pl_map_t **out, char *why, size_t whylen);

#endif
