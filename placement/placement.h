/*
 * placement.h — tern's placement library: the cluster map, pools, placement groups and the
 * CRUSH-like straw2 function that maps an object name to the OSDs holding its replicas.
 * Pure: libc and tern_common only, no I/O; the mapping path (pl_object_pg, pl_pg_osds) never
 * allocates and reads the map as const, so any number of threads may map concurrently.
 *
 * THE MAP MODEL
 *
 *   A map (pl_map_t) is one epoch of the cluster's layout: hosts, OSDs (one per disk, each on
 *   one host) and pools. The hierarchy is root -> failure domain -> OSD. Today the failure
 *   domain is the host (PL_FD_HOST) or the OSD itself (PL_FD_OSD, for tests and one-box
 *   clusters); a rack/zone level would be another failure-domain kind whose members are hosts.
 *
 *   Every OSD has a weight (16.16 fixed point, 0x10000 = 1.0; typically its capacity in TiB)
 *   and two flags:
 *     in  — the OSD takes data. An `out` OSD (or one of weight 0) is never chosen.
 *     up  — informational only (the daemon answers). Placement ignores it, so a briefly-down
 *           OSD moves nothing; the protocol skips it and repair catches it up.
 *   Hosts and OSDs are never deleted from a map: a retired OSD is marked out, so ids stay
 *   unique forever. The epoch is bumped by whoever changes the map (ternctl); pl_map_hash()
 *   lets two daemons detect "same epoch, different map" (DESIGN rule 3).
 *
 * OBJECT -> PG
 *
 *   pg = pl_stable_mod(pl_hash_name(pool->id, name, len), pool->pg_num)
 *
 *   pl_hash_name is MurmurHash3_x86_32 (Austin Appleby's public-domain algorithm, reimplemented
 *   here) over the name bytes with the pool id as seed:
 *     c1 = 0xcc9e2d51, c2 = 0x1b873593; for each little-endian 32-bit block k:
 *       k *= c1; k = rotl32(k, 15); k *= c2; h ^= k; h = rotl32(h, 13); h = h * 5 + 0xe6546b64;
 *     tail (1..3 bytes, little-endian): k *= c1; k = rotl32(k, 15); k *= c2; h ^= k;
 *     h ^= len; fmix32(h): h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35;
 *     h ^= h >> 16.
 *   pl_stable_mod is Ceph's ceph_stable_mod: with b = pg_num and bmask = next power of two
 *   >= b, minus 1: (x & bmask) < b ? x & bmask : x & (bmask >> 1). Growing pg_num from b to
 *   b + 1 moves only objects of PG b - 2^floor(log2 b) into the new PG b (a split) instead of
 *   reshuffling every object; the unit test checks this for every b.
 *
 * PG -> OSDS (the rule)
 *
 *   Straw2: each candidate OSD i draws u_i = hash(pool, pg, 0, id_i) & 0xffff and its straw
 *   s_i = ln((u_i + 1) / 65536) / weight_i (a negative number; pl_ln() computes the log in
 *   fixed point from a generated table, 64-bit integer math only). Longer straw = closer to
 *   zero. Straws are compared as exact rationals (cross-multiplied in 128 bits), ties go to
 *   the smaller OSD id, so the order of any two OSDs depends on nothing but those two.
 *   The draw hash is MurmurHash3_x86_32, seed 0, over le32(pool id) le32(pg) le32(0) le32(id)
 *   (pl_hash_draw; the third word is a draw number kept for future rules).
 *
 *   Rule ("top-k failure domains by longest straw"): every OSD that is in and has weight > 0
 *   draws one straw; a failure domain's straw (host, or the OSD itself for PL_FD_OSD) is the
 *   longest straw among its OSDs; the `size` domains with the longest straws are chosen,
 *   longest first (out[0] is the primary), each contributing its longest-straw OSD. Fewer
 *   domains with an in-OSD than `size` leave PL_ITEM_NONE slots. In by-host pools the straw
 *   weight is weight x the host's draw factor for the pool's size, and out OSDs with a ghost
 *   weight draw too, but a host whose longest straw is a ghost's is skipped unless the PG
 *   would otherwise be short of hosts ("DRAW FACTORS",
 *   "GHOSTS" below); with all factors 1.0 and no ghosts (a map never rebalanced) this is
 *   exactly the plain rule, bit for bit.
 *
 *   In distribution this equals the classic two-level rule (straw2 over hosts by the sum of
 *   their OSD weights, then straw2 among the host's OSDs, retrying on a used host): an
 *   exponential race, so a domain wins a slot in proportion to its weight and an OSD within
 *   its domain in proportion to its weight. What differs is what moves when the map changes
 *   (tests/unit/placement/test_pl_select.c measures it; numbers in docs/BENCHMARKS.md):
 *     - an OSD goes out or gets weight 0: only PGs that held it change, and each loses exactly
 *       that OSD (its domain's straw shrinks, so the domain keeps its slot with another OSD or
 *       yields it to the next domain): movement == its replicas, the minimum;
 *     - an OSD (or a whole host) is added: a PG changes only if the new OSD's straw becomes
 *       its domain's longest and that domain is then in the top `size`; it then gains exactly
 *       the new OSD: every moved replica lands on the new OSD(s), the minimum;
 *     - the two-level rule moves ~2x the optimum when one OSD joins an existing host (the
 *       host's weight grows, so data moves onto the host and lands on its old OSDs too, which
 *       hand some to the new one) and also more than its share when an OSD goes out (its host
 *       loses weight); retry-on-collision rules (Ceph's firstn) also knock on to later slots.
 *   Cost: one straw per in-OSD per PG (two-level: hosts + one host's OSDs, ~3 times over), but
 *   a conservative lower bound on -ln skips the exact log for OSDs that cannot reach the top
 *   `size`, so 4,096 PGs x 3 over 1,000 OSDs take tens of milliseconds (docs/BENCHMARKS.md).
 *   pl__pg_osds_two_level() is kept (not for production) so tests and the benchmark can keep
 *   measuring the difference.
 *
 *   THE MULTIPICK ANOMALY (shared with Ceph's straw2): choosing `size` distinct domains by an
 *   exponential race is weighted sampling without replacement, whose inclusion probabilities
 *   are not proportional to weight: heavy domains (not only those above the 1/size cap) get
 *   less than their weight-proportional share and light ones more. Measured (test_pl_select,
 *   >= 200 replicas per OSD): the standard deviation of per-OSD counts is 0.94-1.14x the
 *   binomial ideal around the rule's own exact expectation, but 1.0-3.5x around the capped
 *   ideal on uneven maps (worst with few hosts). Draw factors and ghosts (below) correct it.
 *
 * DRAW FACTORS (by-host pools; computed by pl_map_rebalance, pl_balance.c)
 *
 *   Every host h carries one factor c_h per pool size (pl_host_t.draw[size - 1], 16.16,
 *   default 1.0): in a pool of that size, each of its OSDs' straw weight is weight x c_h. The
 *   choice inside a host stays proportional to OSD weight (all its OSDs are scaled alike); the
 *   host's rate in the race becomes c_h x W_h. pl_map_rebalance chooses the factors so that each
 *   host's inclusion probability pi_h (the chance of being among the `size` first arrivals)
 *   equals its capped target share t_h = capped ideal / pg_num (pl_ideal_counts):
 *     pi_h = integral_0^inf r_h e^{-r_h t} P(fewer than k of the other hosts arrived by t) dt,
 *   the others arriving independently with probability 1 - e^{-r_j t} (a Poisson-binomial,
 *   by prefix/suffix tables), integrated by 8-point Gauss-Legendre on geometric panels (checked
 *   against the closed form to 1e-15), solved by a damped Newton iteration on log r_h with the
 *   exact derivative, to |pi_h / t_h - 1| < 1e-9. Capped hosts (t_h = 1, in every PG) get 256x
 *   the sum of the uncapped rates (they then miss a PG with probability < 1e-5); the largest
 *   uncapped factor is scaled to 8.0. Factors depend on the pool size, so they are computed per
 *   size used by a by-host pool (draw[] of unused sizes is 1.0), with the band below judged at
 *   the largest pg_num of that size. PL_FD_OSD pools ignore factors (not corrected).
 *
 * GHOSTS (minimal movement when an OSD goes out)
 *
 *   Recomputing every factor after a change shuffles PGs between unrelated hosts (measured:
 *   marking an OSD out then moves up to 1.6x the optimum on clusters of up to 12 hosts). So:
 *   - pl_map_set_osd_in(m, id, 0) on a map with factors gives the OSD a full "ghost"
 *     (pl_osd_t.ghost[size - 1] = 1.0) for each balanced size: the out OSD keeps drawing a
 *     straw with weight weight x c_h x ghost; a host whose longest straw is a ghost's is
 *     skipped (the next host takes the slot). Only PGs that held the OSD change, and each
 *     loses exactly that OSD's replica (as before), but the host now leaves such a PG instead
 *     of keeping it with another of its OSDs, which is what its lower target asks for.
 *     Setting the OSD in again clears its ghosts (the exact reverse). If a PG finds fewer
 *     eligible hosts than `size`, the remaining slots go to ghost-blocked hosts, longest real
 *     straw first, so no PG is short of replicas while hosts could hold them.
 *   - pl_map_rebalance is incremental once factors exist: a host keeps its factor and ghosts
 *     while its inclusion stays within its band: the deviation that adds delta = 0.25 times the
 *     binomial variance to its busiest OSD's count (at the size's largest pg_num). Out-of-band
 *     hosts are moved to half a band inside it: a host below its band first gets weaker ghosts
 *     (moving only PGs its ghosts blocked back to it); otherwise its factor changes. So the
 *     bias stays under sqrt(1.25) of the binomial spread, and a change that leaves every host
 *     in its band moves exactly what the change itself moves. The same integral gives pi_h
 *     with ghosts: host h arrives at rate c_h (W_h + G_h) and is eligible with probability
 *     W_h / (W_h + G_h), independently (argmin and min of an exponential race are independent).
 *     If the iteration fails or a factor would leave [1024, 2^32), it falls back to the exact
 *     factors (ghosts cleared). Maps without factors (never rebalanced) get the exact factors.
 *
 *   DETERMINISM: placement reads only the stored integers (factors, ghosts), so daemons agree
 *   whatever computed them. pl_map_rebalance is itself bit-exact on every IEEE-754 platform
 *   (so every daemon building epoch 1 from the configuration gets the same map): only + - x /
 *   in a fixed order, our own e^-x polynomial and Newton square root (no libm), no fused
 *   multiply-add (-ffp-contract=off on pl_balance.c), and FLT_EVAL_METHOD == 0 is required at
 *   compile time (no x87 excess precision). test_pl_balance freezes the factors of a fixed map.
 *
 *   MEASURED (test_pl_select, pg_num 4,096 for movement, >= 200 replicas per OSD for balance;
 *   docs/BENCHMARKS.md has the full figures and the variants that did worse):
 *     balance vs capped ideal: 0.94-1.13x binomial fresh (without factors up to 3.47x on the
 *       same maps); 0.64-1.23x after 30 random changes rebalanced one by one;
 *     3..100 hosts: 16 test maps: out worst 1.08 (total 0.99), add a host total 1.01 (worst
 *       1.10), add an OSD total 1.02 (worst 1.16); 150 more maps: out over 1.2x on one 5-host
 *       map (1.25), on none of the 141 maps with >= 7 hosts; totals 0.99 / 1.01 / 1.04;
 *     4..6 hosts: out over 1.2x on 5 of 16 test maps (worst 1.55) and 11 of 45 in another
 *       sample (worst 1.52), totals 0.96-1.18: there a host typically has to reach its cap or
 *       gain more than the freed PGs that excluded it, so ANY balanced placement moves more
 *       than pl_movement's bound (docs/BENCHMARKS.md works an example); add host / OSD totals
 *       1.03-1.08 / 1.08-1.20.
 *   STATUS: on. The map's creators call pl_map_rebalance: conf_build_map for epoch 1 and
 *   ternctl for every later change. Balance is met everywhere; the 1.2x bound on marking an
 *   OSD out is met on every map of >= 7 hosts and missed on some uneven 4-6-host maps, where
 *   no balanced placement can meet it (the example in docs/BENCHMARKS.md). We chose balance
 *   there: it decides how full the fullest disk gets for as long as the map stands, while
 *   the extra movement is paid once.
 *
 * WHAT IS STABLE (changing any of it moves production data; tests/data/placement/golden.txt
 * freezes it): the two hashes, pl_stable_mod, the ln table (placement/pl_ln_table.h) and
 * pl_ln, the straw comparison and tie break, the rule above with its factors and ghosts, and
 * pl_map_rebalance's arithmetic (test_pl_balance freezes its output for a fixed map). The order of
 * OSDs, hosts and pools in the map arrays does not matter. The up flag, addresses, incarnations,
 * names, quorums and the epoch never change placement. What remaps, by design: marking OSDs in/out,
 * reweighting, adding OSDs/hosts (only to/from the OSDs that changed, as above), and changing
 * pg_num (splits).
 */
#ifndef TERN_PLACEMENT_H
#define TERN_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "tern.h"

/* Limits (also enforced by pl_map_decode). */
#define PL_NAME_MAX   64 /* host and pool names: up to 63 bytes + NUL */
#define PL_ADDR_MAX   64 /* "host:port" + NUL */
#define PL_MAX_HOSTS  4096
#define PL_MAX_OSDS   65536
#define PL_MAX_OSD_ID 1048575 /* OSD ids are 0..PL_MAX_OSD_ID */
#define PL_MAX_POOLS  1024
#define PL_MAX_PG_NUM 65536
#define PL_MAX_SIZE   16 /* replicas per pool */
#define PL_MAX_TRIES  50 /* two-level rule: consecutive rejected draws before giving up */
#define PL_ITEM_NONE  (-1)
#define PL_WEIGHT_ONE 0x10000u /* 1.0 in 16.16 fixed point */

typedef enum {
    PL_FD_OSD = 0,  /* replicas on distinct OSDs (single-host test clusters) */
    PL_FD_HOST = 1, /* replicas on distinct hosts (the default) */
} pl_fd_t;

typedef struct {
    char name[PL_NAME_MAX]; /* unique, non-empty, NUL-terminated */
    int32_t id;             /* == its index in pl_map_t.hosts (hosts are never removed) */
    /* Draw factors (16.16, >= 1; PL_WEIGHT_ONE = none), one per pool size: draw[s - 1]
     * multiplies the straw weights of this host's OSDs in by-host pools of size s. Set by
     * pl_map_rebalance(); see "DRAW FACTORS" above. */
    uint32_t draw[PL_MAX_SIZE];
} pl_host_t;

typedef struct {
    int32_t id;           /* 0..PL_MAX_OSD_ID, unique */
    int32_t host;         /* index into pl_map_t.hosts */
    uint32_t weight;      /* 16.16 fixed point; 0 takes no data */
    uint8_t in;           /* 1: takes data; 0: out, never chosen */
    uint8_t up;           /* 1: answering; informational, ignored by placement */
    uint64_t incarnation; /* random id of the data directory (DESIGN rule 4); 0 = unknown */
    /* Ghost weights (16.16 fraction of weight x host factor, 0..PL_WEIGHT_ONE), one per pool
     * size; nonzero only while the OSD is out: see "GHOSTS" above. */
    uint32_t ghost[PL_MAX_SIZE];
    char addr[PL_ADDR_MAX]; /* "host:port", NUL-terminated, may be empty */
} pl_osd_t;

typedef struct {
    uint32_t id;            /* unique; seeds the object hash, so never reuse one */
    char name[PL_NAME_MAX]; /* unique, non-empty */
    uint32_t pg_num;        /* 1..PL_MAX_PG_NUM */
    uint8_t size;           /* replicas, 1..PL_MAX_SIZE */
    uint8_t write_quorum;   /* 1..size */
    uint8_t read_quorum;    /* 1..size */
    uint8_t fd;             /* pl_fd_t */
} pl_pool_t;

/*
 * A cluster map. Plain, caller-visible arrays; build and change it with the functions below
 * (which keep it valid) or fill it directly and check with pl_map_validate(). Owned by whoever
 * called pl_map_create/clone/decode; free with pl_map_destroy.
 */
/*
 * A PG whose replica set changed and whose new set is not yet known complete (rebalance,
 * DESIGN rule 3; like Ceph's pg_temp): old[] is the last set known to hold all its data. While
 * an entry exists, writes need their quorum in the old set AND in the current one, reads use
 * the old set, and every OSD of both sets keeps (and repairs) the PG. The OSDs themselves (or
 * `ternctl rebalance`) remove the entry in a new epoch once every OSD of both sets agrees on
 * the PG's digest (pl_map_finish_moves). The old set may be a subset of the current one: a
 * replaced disk (pl_map_replace_osd) is in the current set but not in the old one.
 * Placement (pl_pg_osds) ignores these entries: they never change the current set.
 */
typedef struct {
    uint32_t pool;            /* pool id */
    uint32_t pg;              /* < the pool's pg_num */
    uint8_t n;                /* OSDs in old[], 1..PL_MAX_SIZE */
    int32_t old[PL_MAX_SIZE]; /* distinct ids of the map's OSDs, replica order */
} pl_moving_t;

typedef struct {
    uint64_t epoch;
    uint32_t n_hosts, n_osds, n_pools;
    pl_host_t *hosts;
    pl_osd_t *osds;
    pl_pool_t *pools;
    uint32_t cap_hosts, cap_osds, cap_pools; /* allocated lengths of the arrays */
    /* PGs moving (above), strictly ascending by (pool, pg); n_moving may be 0. */
    uint32_t n_moving, cap_moving;
    pl_moving_t *moving;
} pl_map_t;

/* ---- builder (may allocate; not for the mapping path) ---- */

/* An empty map at epoch 0, or NULL if out of memory. */
pl_map_t *pl_map_create(void);
/* Frees the map and its arrays; NULL is fine. */
void pl_map_destroy(pl_map_t *m);
/* Deep copy, or NULL if out of memory. */
pl_map_t *pl_map_clone(const pl_map_t *m);

/* Adds a host; returns its index (>= 0) or -EINVAL (bad/duplicate name), -ENOSPC (too many
 * hosts), -ENOMEM. */
int pl_map_add_host(pl_map_t *m, const char *name);
/* Adds an OSD, in and up, incarnation 0. addr may be NULL (empty). Returns its index in
 * m->osds or -EINVAL (bad id, duplicate id, bad host index, addr too long), -ENOSPC, -ENOMEM. */
int pl_map_add_osd(pl_map_t *m, int32_t id, int host_index, uint32_t weight, const char *addr);
/* Adds a pool; returns its index or -EINVAL (duplicate id/name, pg_num/size/quorum/fd out of
 * range), -ENOSPC, -ENOMEM. */
int pl_map_add_pool(pl_map_t *m, uint32_t id, const char *name, uint32_t pg_num, uint8_t size,
                    uint8_t write_quorum, uint8_t read_quorum, pl_fd_t fd);

/*
 * Recomputes every host's draw factors (see "DRAW FACTORS") from the in-OSD weights and the
 * sizes of the map's by-host pools; factors of sizes no by-host pool uses are reset to
 * PL_WEIGHT_ONE. Call after every change to weights, in/out flags, hosts, OSDs or pools, before
 * publishing the new epoch (the setters below do not call it). Deterministic (bit-identical on
 * every IEEE-754 platform). TN_OK, -EINVAL (NULL) or -ENOMEM.
 */
int pl_map_rebalance(pl_map_t *m);

/* Setters by OSD id: TN_OK or TN_ERR_NOT_FOUND. They do not bump the epoch. */
int pl_map_set_osd_in(pl_map_t *m, int32_t id, int in);
int pl_map_set_osd_up(pl_map_t *m, int32_t id, int up);
int pl_map_set_osd_weight(pl_map_t *m, int32_t id, uint32_t weight);
int pl_map_set_osd_incarnation(pl_map_t *m, int32_t id, uint64_t incarnation);

/* Lookups (linear; maps are small): NULL if absent. */
const pl_osd_t *pl_map_find_osd(const pl_map_t *m, int32_t id);
const pl_pool_t *pl_map_find_pool(const pl_map_t *m, uint32_t id);
const pl_pool_t *pl_map_find_pool_by_name(const pl_map_t *m, const char *name);

/* Checks every invariant documented on the types above. TN_OK, or TN_ERR_CORRUPT with a
 * human-readable reason in why (if why != NULL); -ENOMEM if its 128 KiB scratch bitmap cannot
 * be allocated. */
int pl_map_validate(const pl_map_t *m, char *why, size_t whylen);

/* ---- codec (format documented at the top of pl_map_codec.c) ---- */

/* Encodes m (validated first: TN_ERR_CORRUPT if invalid). If cap is too small returns -ENOSPC
 * with the needed length in *len_out; else TN_OK with the length written. */
int pl_map_encode(const pl_map_t *m, uint8_t *buf, size_t cap, size_t *len_out);
/* Decodes and validates; on success *out is a new map owned by the caller. Errors:
 * TN_ERR_CORRUPT (structure, values), TN_ERR_CHECKSUM (CRC), TN_ERR_UNSUPPORTED (format
 * version), -ENOMEM. Never reads outside buf[0..len). */
int pl_map_decode(const uint8_t *buf, size_t len, pl_map_t **out);
/* 64-bit digest of the canonical encoding (every field of the map): FNV-1a 64 over the
 * encoded bytes. 0 if the map cannot be encoded (invalid, out of memory). */
uint64_t pl_map_hash(const pl_map_t *m);

/* ---- hashing ---- */

/* MurmurHash3_x86_32(data, len, seed) as defined above. */
uint32_t pl_murmur3_32(const void *data, size_t len, uint32_t seed);
/* Object name hash: pl_murmur3_32(name, len, pool_id). */
uint32_t pl_hash_name(uint32_t pool_id, const void *name, size_t len);
/* Straw draw hash: pl_murmur3_32 over le32 (pool_id, pg, r, item), seed 0. */
uint32_t pl_hash_draw(uint32_t pool_id, uint32_t pg, uint32_t r, uint32_t item);
/* ceph_stable_mod(x, b, bmask) with bmask derived from b (b >= 1). */
uint32_t pl_stable_mod(uint32_t x, uint32_t b);
/* The PG of an object: pl_stable_mod(pl_hash_name(pool->id, name, len), pool->pg_num). */
uint32_t pl_object_pg(const pl_pool_t *pool, const void *name, size_t len);

/* ---- straw2 ---- */

/* log2((u + 1) / 65536) * 2^48, rounded as pl_ln.c documents: a value in [-2^52, 0],
 * strictly increasing in u; pl_ln(0xffff) == 0. */
int64_t pl_ln(uint32_t u16);

/* ---- PG -> OSDs ---- */

/* Bytes of workspace pl_pg_osds needs for this map (24 per OSD + 4 per host); pass at least
 * this size, aligned for uint64_t. One workspace per thread; it holds nothing between calls. */
size_t pl_work_size(const pl_map_t *m);

/*
 * Maps pg (< pool->pg_num) of pool to its OSDs: fills out[0 .. min(size, out_max)) with OSD
 * ids in replica order (out[0] primary), distinct failure domains, never an out OSD or one of
 * weight 0; unfillable slots are PL_ITEM_NONE (always after the filled ones). Returns the number
 * of OSDs placed (== pool->size normally), or -EINVAL for bad arguments. No allocation.
 */
int pl_pg_osds(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, int32_t *out, int out_max,
               void *work);

/* INTERNAL, for tests and the benchmark only: the classic two-level rule (straw2 over hosts by
 * summed in-OSD weight, then over the chosen host's OSDs; retry on a used host). Same
 * contract as pl_pg_osds; work must hold pl__work_size_two_level(m) bytes. Ignores pool->fd
 * (always by host). Not stable, not for production. */
size_t pl__work_size_two_level(const pl_map_t *m);
int pl__pg_osds_two_level(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, int32_t *out,
                          int out_max, void *work);

/* ---- moving PGs (pl_moving.c; rebalance, DESIGN rule 3) ---- */

#define PL_MAX_MOVING  (PL_MAX_POOLS * 64u) /* codec bound; also bounded by the pools' PGs */
#define PL_MAX_HOLDERS (2 * PL_MAX_SIZE)

/* The moving entry of (pool id, pg), or NULL if the PG is not moving. Binary search. */
const pl_moving_t *pl_map_moving(const pl_map_t *m, uint32_t pool_id, uint32_t pg);

/*
 * THE SET OF OSDS THAT MAY HOLD PG pg of pool (current and previous holders): the current set
 * (pl_pg_osds, PL_ITEM_NONE slots dropped) followed by the members of the PG's moving entry's old
 * set that are not in it. Anything that must find every copy of a PG's data (repair,
 * garbage collection, status) uses this. Fills out[0..min(n, out_max)) and returns n (<=
 * PL_MAX_HOLDERS), or -EINVAL; *n_cur (may be NULL) = how many of them are the current set.
 * work as for pl_pg_osds.
 */
int pl_pg_holders(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, int32_t *out, int out_max,
                  int *n_cur, void *work);

/*
 * Records in `after` (its moving entries are replaced) which PGs move between the map `before`
 * and `after` (same pools; a pool absent from before or with another pg_num/size records
 * nothing): for every PG, old = before's moving entry's old set if it has one (that set is
 * still the complete one), else before's current set; an entry is kept when the current set of
 * `after` differs from old as a set, and dropped when they are equal. TN_OK, -EINVAL, -ENOMEM.
 */
int pl_map_plan_moves(const pl_map_t *before, pl_map_t *after);

/* Removes the moving entry of (pool, pg) if present: TN_OK or TN_ERR_NOT_FOUND. */
int pl_map_clear_moving(pl_map_t *m, uint32_t pool_id, uint32_t pg);

/*
 * COMPLETING MOVES (DESIGN rule 3). One decision, used by `ternctl rebalance` and by the OSDs
 * themselves (tn_mapchg.h does the I/O): a moving entry may be removed once
 *   (a) every OSD of the map that answers is at m's epoch (a writer with an older map is
 *       refused by every OSD, so no write can reach only the old set any more), and
 *   (b) every holder of the PG (pl_pg_holders: new set and old set) answers a digest of its
 *       rows and blob lists, and all those digests are equal (the last sync finds nothing
 *       missing: the new set holds everything the old one held).
 * The probe callbacks do the asking; this function decides and builds the next map.
 */
typedef struct {
    uint64_t v[5]; /* opaque: equal digests = same rows and same blob lists */
} pl_pg_digest_t;

typedef struct {
    /* The epoch osd answers with, or 0 if it does not answer. */
    uint64_t (*osd_epoch)(void *arg, int32_t osd);
    /* 0 with osd's digest of (pool, pg) in *out, or < 0 if it does not answer. */
    int (*pg_digest)(void *arg, int32_t osd, uint32_t pool, uint32_t pg, pl_pg_digest_t *out);
    void *arg;
} pl_finish_probe_t;

/*
 * Decides which of m's moves are complete. Returns the number of entries that can be removed
 * (>= 0; then, if > 0 and next != NULL, *next is a new map owned by the caller: m without
 * them, epoch m->epoch + 1), or -EINVAL / -ENOMEM. When condition (a) fails it returns 0
 * with *behind (may be NULL) = the first OSD at another epoch and *behind_epoch its epoch;
 * otherwise *behind = PL_ITEM_NONE. With no moving entry, nothing is asked.
 */
int pl_map_finish_moves(const pl_map_t *m, const pl_finish_probe_t *probe, pl_map_t **next,
                        int32_t *behind, uint64_t *behind_epoch);

/*
 * REPLACING A DISK (DESIGN rule 4: an empty disk does not vote). Records incarnation for OSD
 * id and makes every PG the OSD holds (current set, or old set of a move) a move whose old
 * set is the PG's complete set without the OSD: reads then never ask it and writes need
 * their quorum without it too, until pl_map_finish_moves sees its digests equal to the
 * others' (it is backfilled). A PG whose old set would be empty (a pool of size 1) is left
 * alone. Does not bump the epoch. TN_OK, TN_ERR_NOT_FOUND (no such OSD), -EINVAL, -ENOMEM;
 * *n_moves (may be NULL) = how many PGs now exclude the OSD.
 */
int pl_map_replace_osd(pl_map_t *m, int32_t id, uint64_t incarnation, uint32_t *n_moves);

/* ---- statistics for `ternctl map test` (pl_stats.c; allocates) ---- */

typedef struct {
    uint32_t n_osds;     /* == map->n_osds; arrays below are indexed like map->osds */
    uint64_t total;      /* PG replicas placed (sum of count[]) */
    uint64_t unplaced;   /* slots left PL_ITEM_NONE */
    uint32_t *count;     /* PG replicas per OSD */
    double *ideal;       /* capped weight-proportional ideal count per OSD */
    double *deviation;   /* count - ideal */
    double stddev;       /* sqrt(sum(deviation^2) / n) over OSDs with ideal > 0 */
    double ideal_stddev; /* binomial: sqrt(sum(ideal * (1 - ideal/pg_num)) / n), same OSDs */
    uint32_t n_counted;  /* n: OSDs with ideal > 0 */
} pl_stats_t;

/*
 * The capped ideal: each failure domain d (host, or OSD for PL_FD_OSD) has weight W_d, the sum
 * of its in-OSDs' weights. A PG places at most one replica in a domain, so a domain can hold at
 * most pg_num replicas. Start with every domain uncapped and R = pg_num * min(size, domains
 * with weight); repeat: share R minus pg_num per capped domain among the uncapped ones in
 * proportion to W_d; cap every domain whose share exceeds pg_num; until nothing new is capped.
 * An OSD's ideal is its domain's share times its weight / W_d. Fills ideal[] (n_osds entries,
 * indexed like m->osds) and returns TN_OK or -EINVAL.
 */
int pl_ideal_counts(const pl_map_t *m, const pl_pool_t *pool, double *ideal);

/* Maps every PG of pool and fills *st (arrays allocated; free with pl_stats_free).
 * TN_OK, -EINVAL or -ENOMEM. */
int pl_stats_compute(const pl_map_t *m, const pl_pool_t *pool, pl_stats_t *st);
void pl_stats_free(pl_stats_t *st);

/*
 * Movement between two maps for the pool with pool_id (present in both, same pg_num and size):
 *   moved   — PG replicas that must be copied: for every PG, the OSDs in its after-set that
 *             were not in its before-set (order changes are free);
 *   optimal — a lower bound on what any placement must move: the larger of
 *             (a) the sum over OSD ids of max(0, ideal_after - ideal_before), the capped
 *                 ideals' growth (an OSD absent from one map has ideal 0 there), rounded;
 *             (b) the replicas that before-map placed on OSDs that can hold nothing after
 *                 (out, weight 0, removed): they must all move, whatever their ideal was.
 * TN_OK, -EINVAL (pool missing or different geometry) or -ENOMEM. The mapping function used is
 * pl_pg_osds, or pl__pg_osds_two_level if two_level != 0.
 */
int pl_movement(const pl_map_t *before, const pl_map_t *after, uint32_t pool_id, int two_level,
                uint64_t *moved, uint64_t *optimal);

#endif
