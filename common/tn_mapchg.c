/*
 * tn_mapchg.c — this file implements tn_mapchg.h: installing a map epoch by compare-and-set on
 * every OSD, and the probes of placement's move-completion decision.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tn_hlc.h"
#include "tn_mapchg.h"

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

int tn_map_install(tn_osdc_sync_t *cl, const pl_map_t *next, uint64_t base, tn_mapchg_result_t *res,
                   tn_mapchg_note_cb note, void *note_arg)
{
    memset(res, 0, sizeof(*res));
    res->lost_osd = PL_ITEM_NONE;
    size_t need = 0;
    pl_map_encode(next, NULL, 0, &need);
    uint8_t *buf = malloc(need ? need : 1);
    int32_t *ids = malloc((next->n_osds ? next->n_osds : 1) * sizeof(int32_t));
    int32_t *behind = malloc((next->n_osds ? next->n_osds : 1) * sizeof(int32_t));
    int rc = buf == NULL || ids == NULL || behind == NULL ? -ENOMEM : 0;
    if (rc == 0)
        rc = pl_map_encode(next, buf, need, &need);
    if (rc != 0) {
        free(buf);
        free(ids);
        free(behind);
        return rc;
    }
    tn_osdc_t *c = tn_osdc_sync_client(cl);
    for (uint32_t i = 0; i < next->n_osds; i++) {
        ids[i] = next->osds[i].id;
        if (next->osds[i].addr[0] != '\0')
            tn_osdc_set_osd(c, next->osds[i].id, next->osds[i].addr);
    }
    qsort(ids, next->n_osds, sizeof(int32_t), cmp_i32);
    uint64_t hash = pl_map_hash(next);
    unsigned nbehind = 0;
    rc = -EHOSTUNREACH;
    for (uint32_t i = 0; i < next->n_osds; i++) {
        tn_map_offer_req_t req = {
            .mode = TN_PROTO_MAP_CAS, .base_epoch = base, .map = {(const char *)buf, need}};
        tn_map_offer_rep_t rep = {0};
        tn_osdc_set_epoch(c, base);
        int orc = tn_osdc_sync_map_offer(cl, ids[i], &req, &rep);
        if (orc == TN_ERR_STALE_EPOCH && rep.epoch < base) {
            if (!res->decided) {
                behind[nbehind++] = ids[i]; /* it missed a change: not the one to decide */
                continue;
            }
            req.mode = TN_PROTO_MAP_PROPAGATE;
            orc = tn_osdc_sync_map_offer(cl, ids[i], &req, &rep);
        }
        if (orc == 0 ||
            (orc == TN_ERR_STALE_EPOCH && rep.epoch == next->epoch && rep.hash == hash)) {
            res->decided = 1;
            res->n_ok++;
            rc = 0;
            continue;
        }
        if (orc == TN_ERR_STALE_EPOCH || orc == TN_ERR_CORRUPT) {
            if (!res->decided) {
                res->lost_osd = ids[i];
                res->lost_epoch = rep.epoch;
                rc = TN_ERR_STALE_EPOCH;
                break;
            }
            res->n_failed++;
        } else {
            res->n_unreach++;
        }
        if (note != NULL)
            note(note_arg, ids[i], orc, rep.epoch, rep.hash);
    }
    for (unsigned k = 0; res->decided && k < nbehind; k++) {
        tn_map_offer_req_t req = {
            .mode = TN_PROTO_MAP_PROPAGATE, .base_epoch = base, .map = {(const char *)buf, need}};
        tn_map_offer_rep_t rep = {0};
        if (tn_osdc_sync_map_offer(cl, behind[k], &req, &rep) == 0)
            res->n_ok++;
    }
    free(buf);
    free(ids);
    free(behind);
    tn_osdc_set_epoch(c, res->decided ? next->epoch : base);
    return rc;
}

/* The probes' context: one cut-off for every holder of every PG of one decision. */
typedef struct {
    tn_osdc_sync_t *cl;
    uint64_t cutoff;
} digest_probe_t;

static uint64_t probe_epoch(void *arg, int32_t osd)
{
    tn_osdc_sync_t *cl = ((digest_probe_t *)arg)->cl;
    tn_ping_rep_t pr;
    if (tn_osdc_sync_ping(cl, osd, &pr) != 0)
        return 0;
    uint16_t st;
    uint64_t ep = 0, hlc;
    tn_osdc_sync_last(cl, &st, &ep, &hlc);
    return ep;
}

static int probe_digest(void *arg, int32_t osd, uint32_t pool, uint32_t pg, pl_pg_digest_t *out)
{
    digest_probe_t *dp = arg;
    tn_pg_digest_rep_t d;
    int rc = tn_osdc_sync_pg_digest(dp->cl, osd, pool, pg, dp->cutoff, &d);
    if (rc != 0)
        return rc;
    memset(out, 0, sizeof(*out));
    out->v[0] = d.all.count;
    out->v[1] = d.all.h1;
    out->v[2] = d.all.h2;
    out->v[3] = d.blob_count;
    out->v[4] = d.blob_hash;
    return 0;
}

/* The first pass's digest probe: asks nothing, "does not answer" (so nothing completes). */
static int probe_no_digest(void *arg, int32_t osd, uint32_t pool, uint32_t pg, pl_pg_digest_t *out)
{
    (void)arg;
    (void)osd;
    (void)pool;
    (void)pg;
    memset(out, 0, sizeof(*out));
    return -EAGAIN;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* How far a writer's HLC may run ahead of this process's wall clock for the cut-off below to
 * stay safe (clocks kept within it by NTP). */
#define FINISH_SKEW_MS 500

int tn_map_finish_moves(tn_osdc_sync_t *cl, const pl_map_t *m, pl_map_t **next, int32_t *behind,
                        uint64_t *behind_epoch)
{
    /*
     * The digests are compared as of one cut-off T (tn_proto.h, TN_PROTO_DIGEST_CUTOFF_MS):
     * holders asked one after another otherwise differ by the writes landing between their
     * answers, and a written PG's move never completes while it is written. Rows after T are
     * not compared, which is safe only for writes that needed a quorum in the old AND the new
     * set, i.e. writes accepted once every OSD was at m's epoch (condition (a)). So: first
     * condition (a) alone (epochs only), at t1; then T = t1 + FINISH_SKEW_MS, so every write
     * accepted under an older map (stamped before t1) is at or before T and compared; and the
     * digests are asked only once T is TN_PROTO_DIGEST_CUTOFF_MS old, so writes stamped before
     * T are no longer in flight. Costs one wait of ~2.5 s per step with moving PGs.
     */
    digest_probe_t dp = {.cl = cl, .cutoff = 0};
    if (m->n_moving > 0) {
        pl_finish_probe_t epochs = {
            .osd_epoch = probe_epoch, .pg_digest = probe_no_digest, .arg = &dp};
        int32_t b = PL_ITEM_NONE;
        uint64_t be = 0;
        int n = pl_map_finish_moves(m, &epochs, NULL, &b, &be);
        if (n < 0 || b != PL_ITEM_NONE) {
            if (behind != NULL)
                *behind = b;
            if (behind_epoch != NULL)
                *behind_epoch = be;
            if (next != NULL)
                *next = NULL;
            return n < 0 ? n : 0;
        }
        uint64_t t = wall_ms() + FINISH_SKEW_MS;
        dp.cutoff = tn_hlc_make(t, TN_HLC_LOGICAL_MAX);
        uint64_t until = t + TN_PROTO_DIGEST_CUTOFF_MS;
        for (uint64_t now = wall_ms(); now < until; now = wall_ms()) {
            struct timespec d = {.tv_sec = (time_t)((until - now) / 1000u),
                                 .tv_nsec = (long)((until - now) % 1000u) * 1000000L};
            nanosleep(&d, NULL);
        }
    }
    pl_finish_probe_t probe = {.osd_epoch = probe_epoch, .pg_digest = probe_digest, .arg = &dp};
    return pl_map_finish_moves(m, &probe, next, behind, behind_epoch);
}

unsigned tn_map_record_incarnations(tn_osdc_sync_t *cl, pl_map_t *next)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < next->n_osds; i++) {
        pl_osd_t *o = &next->osds[i];
        tn_ping_rep_t pr;
        if (o->incarnation != 0 || tn_osdc_sync_ping(cl, o->id, &pr) != 0 ||
            pr.osd_id != (uint32_t)o->id || pr.incarnation == 0)
            continue;
        o->incarnation = pr.incarnation;
        n++;
    }
    return n;
}

int tn_map_complete_moves(tn_osdc_sync_t *cl, const pl_map_t *m, pl_map_t **installed,
                          int32_t *behind, uint64_t *behind_epoch, tn_mapchg_result_t *res,
                          tn_mapchg_note_cb note, void *note_arg)
{
    memset(res, 0, sizeof(*res));
    res->lost_osd = PL_ITEM_NONE;
    if (installed != NULL)
        *installed = NULL;
    pl_map_t *next = NULL;
    int n = tn_map_finish_moves(cl, m, &next, behind, behind_epoch);
    if (n <= 0)
        return n;
    tn_map_record_incarnations(cl, next);
    int rc = tn_map_install(cl, next, m->epoch, res, note, note_arg);
    if (rc != 0) {
        pl_map_destroy(next);
        return rc;
    }
    if (installed != NULL)
        *installed = next;
    else
        pl_map_destroy(next);
    return n;
}
