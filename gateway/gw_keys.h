/*
 * gw_keys.h — access keys from the cluster's metadata (users' keys, made by `ternctl key
 * create`), as a per-thread table that each loop thread re-reads on a timer.
 *
 * THE TABLE: every active key record of the keys PG (tn_tenant.h: pool meta, ns 4, one PG)
 * with its secret opened with the config's cluster.key, sorted by access key id; looked up
 * by gw_auth_verify (binary search) after the config's own credentials (the admin keys).
 * A record that does not decode or whose secret does not open (another cluster key) is
 * skipped with a warning. Without cluster.key in the config there is no table.
 *
 * REFRESH: each loop thread lists the keys PG at quorum (gw_cl_row_list, the same read as
 * a ListObjects page) once at start and then GW_KEYS_REFRESH_MS after the previous list
 * ended, and swaps its table for the new one; when the table changed, the thread's
 * signing-key cache is flushed. BOUND: a key created or removed with ternctl is seen by
 * every thread of every gateway within GW_KEYS_REFRESH_MS + one list (normally a few ms;
 * at most the OSD request timeout, default 2 s, plus a hedge): under 2.1 s on a healthy
 * cluster, under 4.5 s when a replica is slow. A list that fails (no quorum) keeps the
 * previous table and retries at the next tick: removing a key while the metadata PG has no
 * read quorum takes effect when it has one again (the key could not be removed then anyway:
 * ternctl needs every replica). Cost: one small ROW_LIST per thread per 2 s.
 */
#ifndef GW_KEYS_H
#define GW_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "tn_tenant.h"

#define GW_KEYS_REFRESH_MS 2000u

typedef struct {
    char akid[TN_TENANT_AKID_MAX + 1];
    char secret[TN_TENANT_SECRET_MAX + 1];
    char user[TN_TENANT_NAME_MAX + 1];
    char bucket[TN_TENANT_BUCKET_MAX + 1];
    uint64_t bucket_id;
    uint8_t scope, allow;
} gw_keyent_t;

typedef struct gw_keytab {
    gw_keyent_t *ents; /* sorted by akid */
    size_t n;
} gw_keytab_t;

/* The entry of akid in t (may be NULL), or NULL. */
const gw_keyent_t *gw_keytab_find(const gw_keytab_t *t, const char *akid);
void gw_keytab_free(gw_keytab_t *t);

struct gw_thread;
typedef struct gw_keys gw_keys_t;
/* Starts the refresh of t's table (t->auth.keys) on t's loop. NULL: no cluster map, no
 * cluster key, or out of memory (logged); the table then stays empty. */
gw_keys_t *gw_keys_start(struct gw_thread *t);
/* Stops the timer; a list in flight is ignored when it completes (gw_cl_destroy cancels it).
 * Call before gw_cl_destroy, then gw_keys_free after it. */
void gw_keys_stop(gw_keys_t *k);
void gw_keys_free(gw_keys_t *k);

#endif
