/*
 * osd_recplan.c — this file implements the pure decisions of repair (osd_recplan.h): held PGs,
 * the driver of a PG, digest comparison and the merge-join steps over rows and blob lists.
 */
#include <errno.h>
#include <string.h>
#include "osd_recplan.h"

int osd_recplan_pg_holders(const pl_map_t *m, const pl_pool_t *pool, uint32_t pg, void *work,
                           int32_t out[PL_MAX_HOLDERS])
{
    return pl_pg_holders(m, pool, pg, out, PL_MAX_HOLDERS, NULL, work);
}

long osd_recplan_held_pgs(const pl_map_t *m, int32_t osd, void *work, osd_recplan_pg_t *out,
                          size_t cap)
{
    if (m == NULL || work == NULL || (out == NULL && cap != 0))
        return -EINVAL;
    long n = 0;
    for (uint32_t p = 0; p < m->n_pools; p++) {
        const pl_pool_t *pool = &m->pools[p];
        for (uint32_t pg = 0; pg < pool->pg_num; pg++) {
            int32_t osds[PL_MAX_HOLDERS];
            int k = pl_pg_osds(m, pool, pg, osds, PL_MAX_SIZE, work);
            if (k < 0)
                return k;
            int n_cur = k;
            /* a moving PG's old holders keep (and repair) it until the move completes */
            const pl_moving_t *mv = pl_map_moving(m, pool->id, pg);
            for (int i = 0; mv != NULL && i < mv->n; i++) {
                int dup = 0;
                for (int j = 0; j < k; j++)
                    dup |= osds[j] == mv->old[i];
                if (!dup)
                    osds[k++] = mv->old[i];
            }
            int self = -1;
            for (int i = 0; i < k; i++)
                if (osds[i] == osd)
                    self = i;
            if (self < 0)
                continue;
            if ((size_t)n < cap) {
                osd_recplan_pg_t *o = &out[n];
                o->pool = pool->id;
                o->pg = pg;
                o->n = (uint8_t)k;
                o->n_cur = (uint8_t)n_cur;
                o->self = (uint8_t)self;
                for (int i = 0; i < PL_MAX_HOLDERS; i++)
                    o->osds[i] = i < k ? osds[i] : PL_ITEM_NONE;
            }
            n++;
        }
    }
    return n;
}

int osd_recplan_driver(const osd_recplan_pg_t *pg, const uint8_t *reachable)
{
    for (int i = 0; i < pg->n; i++)
        if (reachable[i])
            return i;
    return -1;
}

static int digest_eq(const tn_proto_digest_t *a, const tn_proto_digest_t *b)
{
    return a->count == b->count && a->h1 == b->h1 && a->h2 == b->h2;
}

unsigned osd_recplan_diff_buckets(const tn_pg_digest_rep_t *a, const tn_pg_digest_rep_t *b)
{
    unsigned mask = 0;
    for (unsigned i = 0; i < TN_PROTO_DIGEST_BUCKETS; i++)
        if (!digest_eq(&a->bucket[i], &b->bucket[i]))
            mask |= 1u << i;
    return mask;
}

int osd_recplan_rows_differ(const tn_pg_digest_rep_t *a, const tn_pg_digest_rep_t *b)
{
    return !digest_eq(&a->all, &b->all);
}

int osd_recplan_blobs_differ(const tn_pg_digest_rep_t *a, const tn_pg_digest_rep_t *b)
{
    return a->blob_count != b->blob_count || a->blob_hash != b->blob_hash;
}

static int row_pos_cmp(const tn_row_t *a, const tn_row_t *b)
{
    if (a->ns != b->ns)
        return a->ns < b->ns ? -1 : 1;
    return tn_row_key_cmp(a->key, a->key_len, b->key, b->key_len);
}

static int in_mask(const tn_row_t *r, unsigned mask)
{
    return (mask >> tn_row_digest_bucket(r->key, r->key_len)) & 1u;
}

osd_rp_step_t osd_recplan_row_step(const tn_row_t *mine, const tn_row_t *theirs, unsigned mask)
{
    osd_rp_step_t s = {OSD_RP_NONE, 0, 0};
    int c = mine == NULL ? 1 : theirs == NULL ? -1 : row_pos_cmp(mine, theirs);
    if (c < 0) {
        s.adv_mine = 1;
        if (in_mask(mine, mask))
            s.action = OSD_RP_PUSH;
    } else if (c > 0) {
        s.adv_theirs = 1;
        if (in_mask(theirs, mask))
            s.action = OSD_RP_PULL;
    } else {
        s.adv_mine = s.adv_theirs = 1;
        int v = tn_row_ver_cmp(&mine->ver, &theirs->ver);
        if (in_mask(mine, mask) && v != 0)
            s.action = v < 0 ? OSD_RP_PULL : OSD_RP_PUSH;
    }
    return s;
}

int osd_recplan_blob_cmp(const osd_rp_blob_t *a, const osd_rp_blob_t *b)
{
    int c = memcmp(a->version, b->version, TN_PROTO_VID_LEN);
    if (c != 0)
        return c < 0 ? -1 : 1;
    return a->part < b->part ? -1 : a->part > b->part;
}

osd_rp_step_t osd_recplan_blob_step(const osd_rp_blob_t *mine, const osd_rp_blob_t *theirs)
{
    osd_rp_step_t s = {OSD_RP_NONE, 0, 0};
    int c = mine == NULL ? 1 : theirs == NULL ? -1 : osd_recplan_blob_cmp(mine, theirs);
    if (c < 0) {
        s.adv_mine = 1;
    } else if (c > 0) {
        s.adv_theirs = 1;
        s.action = OSD_RP_PULL;
    } else {
        s.adv_mine = s.adv_theirs = 1;
    }
    return s;
}

int osd_recplan_row_settled(const tn_row_t *r, uint64_t now_ms, uint64_t settle_ms)
{
    if (settle_ms == 0)
        return 1;
    uint64_t ms = r->ver.hlc >> 16; /* tn_hlc.h: 48-bit ms << 16 | counter */
    return ms + settle_ms <= now_ms;
}

uint64_t osd_recplan_next_due(uint64_t now_ms, uint64_t interval_ms, uint32_t rnd)
{
    uint64_t jitter = interval_ms / 10;
    uint64_t off = jitter ? (uint64_t)rnd % (jitter + 1) : 0;
    return now_ms + interval_ms - off;
}
