/*
 * gw_cl_internal.h — PRIVATE to gateway/gw_cl*.c: the client struct, the operation header
 * every quorum operation embeds, and the helpers they share (completion deferral, lifetime,
 * epoch fixing, replica bookkeeping for reads).
 *
 * Lifetime of an operation (gw_cl_op_t):
 *   - it is on cl's list from start to free;
 *   - every osdc request it issues is a gw_cl_rq_t (malloc'd; freed when its final callback has
 *     run, or when the op cancels it) and counts in op->nreq;
 *   - the user's callback runs once, through gw_cl__fire: deferred to a zero-delay timer when the
 *     result is decided inside the start call (op->in_start), else at once;
 *   - the op is freed (vt->release, then free) once it has fired, no request is outstanding and
 *     no deferral is linked (gw_cl__maybe_free). Background replies after the callback therefore
 *     keep it (and the buffers its requests send from) alive, and only that long.
 *   - attempts: a restart (STALE_TS re-stamp, new epoch) bumps op->attempt; replies of older
 *     attempts only release their request.
 */
#ifndef GW_CL_INTERNAL_H
#define GW_CL_INTERNAL_H

#include "gw_cluster.h"

typedef struct gw_cl_op gw_cl_op_t;

typedef struct {
    /* Runs the user's callback with the op's outcome (op->err and the kind's own result). */
    void (*complete)(gw_cl_op_t *op);
    /* Starts a new attempt after an epoch fix (not called once fired); bumps op->attempt. */
    void (*restart)(gw_cl_op_t *op);
    /* Frees what the op owns (not the op itself); blob puts call all_done here. */
    void (*release)(gw_cl_op_t *op);
} gw_cl_op_vt_t;

struct gw_cl_op {
    gw_cl_t *cl;
    gw_cl_op_t *prev, *next; /* cl's list of live ops */
    const gw_cl_op_vt_t *vt;
    const char *name;     /* for logs: "row_put", ... */
    gw_cl_op_stats_t *st; /* the kind's counters in cl->st */
    uint32_t nreq;        /* osdc requests outstanding */
    uint32_t attempt;
    int epoch_retries;
    uint32_t fix_attempt; /* attempt + 1 of the epoch fix under way (0: none) */
    int err;              /* outcome handed to complete */
    int fired;
    int in_start;
    h2o_timeout_entry_t defer;
};

/* One osdc request of an op. */
typedef struct gw_cl_rq {
    gw_cl_op_t *op;
    tn_osdc_req_t *h;
    uint32_t attempt;
    int idx; /* replica index in the op's array (-1: not a replica request) */
    int32_t osd;
    gw_map_snap_t *snap; /* MAP_OFFER: the snapshot whose encoding is being sent */
    /* blob puts only (gw_cl_blob.c): */
    struct gw_cl_rq *qprev, *qnext; /* its OSD's wait queue while queued */
    uint8_t queued;                 /* waiting in the queue (not in the OSD client yet) */
    uint8_t active;                 /* counted in its OSD's active puts */
    uint8_t background;             /* queued for an op that already fired (counted in bg) */
} gw_cl_rq_t;

/* Blob puts towards one OSD (gw_cl_blob.c): at most GW_CL_PUT_ACTIVE are in the OSD client at
 * once (so their timers measure the OSD, not our own queue); the rest wait here in order. A
 * waiting put whose operation already has its answer (a lagging third replica) is dropped when
 * more than GW_CL_PUT_LAG bytes of such puts wait: memory stays bounded and the write stays at
 * quorum on the other replicas (repair completes it, as after an outage). */
typedef struct {
    gw_cl_rq_t *head, *tail;
    uint64_t bg_bytes; /* bytes of waiting puts whose op has fired */
    uint32_t active;
    uint32_t waiting;
} gw_cl_pace_t;

struct gw_cl {
    h2o_evloop_t *loop;
    gw_map_t *maph;
    gw_map_snap_t *snap; /* this thread's reference to the map it uses */
    uint64_t gen;        /* maph generation snap belongs to */
    tn_hlc_t *hlc;
    uint32_t origin;
    gw_cl_opts_t opts;
    tn_osdc_t *osdc;
    h2o_timeout_t zero;
    gw_cl_op_t ops; /* list sentinel */
    int destroying;
    gw_cl_stats_t st;
    gw_cl_pace_t *pace; /* by OSD id, grown on demand (gw_cl_blob.c) */
    uint64_t bg_total;  /* bg_bytes summed over every OSD */
    uint32_t npace;
};

/* Blob-put pacing (gw_cl_blob.c): frees every waiting put (gw_cl_destroy, after the OSD client
 * is gone; the ops then free themselves) and the pace table. */
void gw_cl__pace_destroy(gw_cl_t *cl);

/* Picks up a newer map snapshot if the holder has one (OSD addresses, epoch). */
void gw_cl__sync(gw_cl_t *cl);
uint64_t gw_cl__wall_ms(void);

/* Allocates an op of size bytes (zeroed, header initialised, on cl's list, in_start set). */
void *gw_cl__op_new(gw_cl_t *cl, size_t size, const gw_cl_op_vt_t *vt, const char *name,
                    gw_cl_op_stats_t *st);
/* Ends the start call: clears in_start, frees the op if it is already done. */
void gw_cl__op_started(gw_cl_op_t *op);
/* Decides the outcome (err; counted in op->st) and runs / defers the user's callback. */
void gw_cl__fire(gw_cl_op_t *op, int err);
/* Frees the op if fired, idle and not deferred. */
void gw_cl__maybe_free(gw_cl_op_t *op);

/* A request context for op (nreq counted). NULL on ENOMEM. */
gw_cl_rq_t *gw_cl__rq_new(gw_cl_op_t *op, int idx, int32_t osd);
/* The request is over (final callback ran, or it was refused / cancelled): frees it,
 * decrements nreq. Call gw_cl__maybe_free(op) afterwards. */
void gw_cl__rq_done(gw_cl_rq_t *rq);

/*
 * An operation got STALE_EPOCH from osd (their_epoch in the reply): fetches the newer map from
 * it or offers ours, then calls op->vt->restart (unless the op fired meanwhile). Returns 0 when
 * the fix is under way or the restart already ran (the caller must return without touching the
 * old attempt), or an error when it cannot be tried
 * (retries exhausted, request refused): the op then treats the replica as failed.
 */
int gw_cl__epoch_fix(gw_cl_op_t *op, int32_t osd, uint64_t their_epoch);

/* Replica bookkeeping of quorum reads (row get, row list). */
enum { GW_RS_UNASKED = 0, GW_RS_ASKED, GW_RS_ANSWERED, GW_RS_FAILED };
typedef struct {
    int n, r;
    int32_t osds[PL_MAX_SIZE];
    /* Rebalance (rule 3): bit GW_SET_CUR = in the PG's current set, GW_SET_OLD = in its old set
     * while it moves (pl_moving_t); n_cur / n_old = members of each among osds[]. */
    uint8_t set[PL_MAX_SIZE];
    int n_cur, n_old, moving;
    uint8_t state[PL_MAX_SIZE];
    int errs[PL_MAX_SIZE];
    int next; /* next unasked index */
    int n_answered, n_failed, n_pending;
} gw_cl_rset_t;

enum { GW_SET_CUR = 1, GW_SET_OLD = 2 };
/* Which OSDs an operation addresses (rule 3; they differ only while the PG moves):
 *   GW_PL_READ       quorum reads (rows, listings): the old set, the last one known complete
 *                    (an empty new OSD must not count toward R: rule 4); else the current set;
 *   GW_PL_BLOB_READ  blob reads: the old set, then the current set's other members (a blob is
 *                    verified by its checksum, so any copy will do);
 *   GW_PL_WRITE      writes: the union, current set first; gw_cl__write_quorum decides. */
enum { GW_PL_READ = 0, GW_PL_BLOB_READ, GW_PL_WRITE };
/* Sets the replica set of (pool, pg) from the current snapshot for mode. Returns 0, or
 * -ENOENT/-EINVAL (unknown pool / pg); *w (may be NULL) = the pool's write quorum. */
int gw_cl__placement(gw_cl_t *cl, uint32_t pool, uint32_t pg, gw_cl_rset_t *rs, int *w, int mode);
/* A write's quorum over rs's states (GW_RS_ANSWERED / GW_RS_FAILED): 1 when w distinct OSDs of
 * the current set answered AND (while the PG moves) w of the old set (distinct OSDs; one in
 * both sets counts in both), -1 when that can no longer happen, 0 while undecided. */
int gw_cl__write_quorum(const gw_cl_rset_t *rs, int w);
/* A debug line listing each replica's outcome. */
void gw_cl__log_replicas(const gw_cl_op_t *op, uint32_t pool, uint32_t pg, const gw_cl_rset_t *rs);

#endif
