/*
 * osd_recovery.c — this file implements the OSD's self-healing (osd_recovery.h): the scheduler
 * thread (peer pings, pass scheduling), the repair threads, and per PG the digest comparison,
 * the row merge-join, blob pulls and the deep scrub. The decisions are osd_recplan.c's; this
 * file does the I/O: the local stores directly, the peers through a blocking OSD client
 * (tn_osdc_sync) per thread.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include "osd_gc.h"
#include "osd_pg.h"
#include "osd_ratelim.h"
#include "osd_recovery.h"
#include "osd_recplan.h"
#include "osd_thread.h"
#include "tn_log.h"
#include "tn_mapchg.h"
#include "tn_osdc_sync.h"
#include "tn_row.h"
#include "tn_wire.h"

#define PING_EVERY_MS  1000u
#define RETRY_MS       10000u /* a pass that left errors or differences is retried this soon */
#define MAX_ROUNDS     3      /* digest, repair, digest... per PG and pass */
#define BATCH_BYTES    (4u << 20)
#define BATCH_ROWS     1000u
#define BLOB_PIECE     (4u << 20)
#define ENUM_LIMIT     2000u
#define CLIENT_TIMEOUT 5000u
#define PING_TIMEOUT   1000u
#define MAX_PEERS      PL_MAX_HOLDERS
#define META_SETTLE_MS 30000u /* rows of pool meta younger than this wait (osd_recplan.h) */
#define MOVER_EVERY_MS 2000u  /* the proposer looks for complete moves this often, */
#define MOVER_JITTER   1000u  /* plus up to this much */

typedef enum { PG_CLEAN = 0, PG_DEGRADED, PG_INCONSISTENT, PG_ERROR } pg_state_t;

struct st_osd_rec_t {
    osd_rec_opts_t o;
    osd_bs_t *bs;
    osd_idx_t *idx;
    osd_mapstore_t *ms;
    osd_thread_sync_t sync; /* its lock guards everything below that is not atomic */
    pl_map_t *map;          /* current map (replaced by the scheduler under lock) */
    uint64_t map_gen;
    int has_meta; /* the map has a pool "meta" (rule 11 rows: repaired once settled) */
    uint32_t meta_pool;
    osd_recplan_pg_t *held; /* PGs held under map */
    size_t nheld;
    /* PGs this OSD gave away: a move it was an old holder of completed (the map dropped the
     * PG's moving entry and this OSD is not in its set): their local copies are deleted */
    struct drop_s {
        uint32_t pool, pg;
        uint64_t due_ms; /* not before */
        int left;        /* attempts left */
    } * drops;
    size_t ndrops;
    /* the pass in progress */
    osd_recplan_pg_t *tasks;
    size_t ntasks, next, done;
    int deep, running;
    uint64_t pass_start_ms;
    uint64_t p_state[4];
    uint64_t p_rows, p_blobs; /* this pass: rows and blobs of the PGs held (local digests) */
    /* scheduling */
    uint64_t next_light_ms, next_deep_ms;
    int kick, kick_deep;
    osd_ratelim_t rl_rec, rl_scrub;
    pthread_t sched;
    pthread_t *workers;
    unsigned nworkers, started;
    int sched_started;
    /* completing moves (rule 3): this OSD is the lowest-id admitted OSD answering its pings */
    int proposer;
    pthread_t mover;
    int mover_started;
    uint32_t rnd;
    /* counters */
    _Atomic uint64_t passes, deep_passes, pgs_checked, rows_pulled, rows_pushed, blobs_pulled;
    _Atomic uint64_t bytes, errors, last_pass_ms, pass_pgs, pass_done;
    _Atomic uint64_t g_clean, g_degraded, g_inconsistent, peers_up, disk_total, disk_avail;
    _Atomic uint64_t g_rows, g_blobs;
    _Atomic uint64_t scrub_blobs, scrub_rows, scrub_bytes, scrub_errors, scrub_repaired;
    _Atomic uint64_t moves_completed;
};

/* A repair thread's own resources. */
typedef struct {
    osd_rec_t *rec;
    tn_osdc_sync_t *cl;
    osd_idx_reader_t *rd;
    uint64_t map_gen;
} worker_t;

static int stopping(osd_rec_t *rec)
{
    return osd_thread_stopping(&rec->sync);
}

/* Sleeps ns, waking early on stop. */
static void nap(osd_rec_t *rec, uint64_t ns)
{
    while (ns > 0 && !stopping(rec)) {
        uint64_t step = ns > 100000000u ? 100000000u : ns;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step};
        nanosleep(&ts, NULL);
        ns -= step;
    }
}

static void throttle(osd_rec_t *rec, osd_ratelim_t *rl, uint64_t n)
{
    pthread_mutex_lock(&rec->sync.lock);
    uint64_t wait = osd_ratelim_take(rl, n, osd_clock_mono_ns());
    pthread_mutex_unlock(&rec->sync.lock);
    nap(rec, wait);
}

static uint32_t next_rnd(osd_rec_t *rec)
{
    /* xorshift32 under rec->sync.lock; only jitter depends on it */
    uint32_t x = rec->rnd;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rec->rnd = x ? x : 0x9e3779b9u;
    return rec->rnd;
}

static tn_osdc_sync_t *client_new(osd_rec_t *rec, uint32_t timeout_ms)
{
    tn_osdc_opts_t co = {0};
    co.connect_timeout_ms = 500;
    co.request_timeout_ms = timeout_ms;
    co.backoff_ms = 200;
    co.backoff_max_ms = 1000;
    co.hlc = rec->o.hlc;
    return tn_osdc_sync_create(&co);
}

/* Points the client at every OSD of the current map (under rec->sync.lock). */
static void client_sync_map(osd_rec_t *rec, tn_osdc_sync_t *cl, uint64_t *gen)
{
    if (*gen == rec->map_gen || rec->map == NULL)
        return;
    tn_osdc_t *c = tn_osdc_sync_client(cl);
    for (uint32_t i = 0; i < rec->map->n_osds; i++) {
        const pl_osd_t *o = &rec->map->osds[i];
        if (o->id != rec->o.self && o->addr[0] != '\0')
            tn_osdc_set_osd(c, o->id, o->addr);
    }
    tn_osdc_set_epoch(c, rec->map->epoch);
    *gen = rec->map_gen;
}

/* ---- local merges ---- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned pending;
} waiter_t;

static void merge_cb(osd_idx_req_t *ir)
{
    waiter_t *w = ir->data;
    pthread_mutex_lock(&w->lock);
    if (--w->pending == 0)
        pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Merges n original rows (encoded, CRC included) into the local index; *applied = rows that
 * were newer. 0 or the first error. */
static int local_merge(osd_rec_t *rec, const tn_slice_t *rows, uint32_t n, uint32_t *applied)
{
    *applied = 0;
    if (n == 0)
        return 0;
    osd_idx_req_t *irs = calloc(n, sizeof(*irs));
    if (irs == NULL)
        return -ENOMEM;
    waiter_t w = {.pending = 0};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    int err = 0;
    pthread_mutex_lock(&w.lock);
    for (uint32_t i = 0; i < n; i++) {
        size_t used = 0;
        int rc = tn_row_decode(rows[i].base, rows[i].len, &irs[i].row, &used);
        if (rc == 0 && used != rows[i].len)
            rc = TN_ERR_PROTO;
        if (rc == 0) {
            irs[i].op = OSD_IDX_MERGE;
            irs[i].cb = merge_cb;
            irs[i].data = &w;
            w.pending++;
            rc = osd_idx_submit(rec->idx, &irs[i]);
            if (rc != 0)
                w.pending--;
        }
        if (rc != 0) {
            irs[i].status = rc;
            if (err == 0)
                err = rc;
        }
    }
    while (w.pending > 0)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    for (uint32_t i = 0; i < n; i++) {
        if (irs[i].status != 0 && err == 0)
            err = irs[i].status;
        else if (irs[i].status == 0 && irs[i].result == OSD_IDX_APPLIED)
            (*applied)++;
    }
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
    free(irs);
    return err;
}

/* ---- row batches ---- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    tn_slice_t *rows;
    uint32_t n, cap_rows;
} batch_t;

static int batch_add(batch_t *b, tn_slice_t row)
{
    if (b->len + row.len > b->cap) {
        size_t cap = TN_MAX(b->cap * 2, b->len + row.len);
        cap = TN_MAX(cap, (size_t)65536);
        uint8_t *nb = realloc(b->buf, cap);
        if (nb == NULL)
            return -ENOMEM;
        b->buf = nb;
        b->cap = cap;
    }
    if (b->n == b->cap_rows) {
        uint32_t cap = b->cap_rows ? b->cap_rows * 2 : 64;
        tn_slice_t *nr = realloc(b->rows, cap * sizeof(*nr));
        if (nr == NULL)
            return -ENOMEM;
        b->rows = nr;
        b->cap_rows = cap;
    }
    memcpy(b->buf + b->len, row.base, row.len);
    /* offsets now, pointers at flush time (buf may move) */
    b->rows[b->n++] = (tn_slice_t){(const char *)(uintptr_t)b->len, row.len};
    b->len += row.len;
    return 0;
}

static void batch_fix(batch_t *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        b->rows[i].base = (const char *)b->buf + (uintptr_t)b->rows[i].base;
}

static void batch_reset(batch_t *b)
{
    b->len = 0;
    b->n = 0;
}

static void batch_free(batch_t *b)
{
    free(b->buf);
    free(b->rows);
}

static int batch_full(const batch_t *b)
{
    return b->len >= BATCH_BYTES || b->n >= BATCH_ROWS;
}

/* ---- row streams (local pages or a peer's PG_ENUM pages) ---- */

typedef struct {
    worker_t *w;
    const osd_recplan_pg_t *pg;
    int32_t peer;       /* -1: the local index */
    int broken;         /* local stream unusable (a damaged row): treated as exhausted */
    int done;           /* no more rows */
    int err;            /* why it stopped, if not exhausted */
    uint8_t *body;      /* current page (remote: the reply body; local: page.buf) */
    tn_proto_iter_t it; /* over the page's items */
    int more;
    uint8_t cursor[OSD_PG_CURSOR_MAX];
    size_t cursor_len;
    int have;            /* head is valid */
    tn_row_t head;       /* decoded head (points into body) */
    tn_slice_t head_raw; /* its original bytes */
    int started;
} rstream_t;

static int rs_fetch(rstream_t *s)
{
    free(s->body);
    s->body = NULL;
    osd_rec_t *rec = s->w->rec;
    tn_slice_t cur = {(const char *)s->cursor, s->cursor_len};
    if (s->peer < 0) {
        osd_pg_page_t page;
        int rc = osd_pg_enum_rows(s->w->rd, s->pg->pool, s->pg->pg, cur, ENUM_LIMIT, &page);
        if (rc != 0)
            return rc;
        s->body = page.buf;
        osd_pg_page_iter(&page, &s->it);
        s->more = page.more;
        memcpy(s->cursor, page.cursor, page.cursor_len);
        s->cursor_len = page.cursor_len;
        return 0;
    }
    tn_pg_enum_req_t m = {.pool = s->pg->pool,
                          .pg = s->pg->pg,
                          .what = TN_PROTO_ENUM_ROWS,
                          .cursor = cur,
                          .limit = ENUM_LIMIT};
    uint8_t *body = NULL;
    size_t len = 0;
    int rc = tn_osdc_sync_pg_enum(s->w->cl, s->peer, &m, &body, &len);
    if (rc != 0)
        return rc;
    throttle(rec, &rec->rl_rec, len);
    atomic_fetch_add(&rec->bytes, len);
    uint8_t more = 0;
    uint32_t n = 0;
    tn_slice_t c;
    rc = tn_proto_dec_pg_enum_rep(body, len, &s->it, &more, &c, &n);
    if (rc != 0 || c.len > OSD_PG_CURSOR_MAX) {
        free(body);
        return TN_ERR_PROTO;
    }
    s->body = body;
    s->more = more;
    memcpy(s->cursor, c.base, c.len);
    s->cursor_len = c.len;
    return 0;
}

/* Moves to the next row. */
static void rs_next(rstream_t *s)
{
    s->have = 0;
    if (s->done)
        return;
    if (s->broken) {
        s->done = 1;
        return;
    }
    for (;;) {
        if (s->started) {
            tn_slice_t raw;
            int got = tn_proto_next_row(&s->it, &raw);
            if (got == 1) {
                size_t used = 0;
                int rc = tn_row_decode(raw.base, raw.len, &s->head, &used);
                if (rc == 0 && used != raw.len)
                    rc = TN_ERR_PROTO;
                if (rc != 0) {
                    s->err = rc;
                    s->done = 1;
                    return;
                }
                s->head_raw = raw;
                s->have = 1;
                return;
            }
            if (got < 0) {
                s->err = TN_ERR_PROTO;
                s->done = 1;
                return;
            }
            if (!s->more) {
                s->done = 1;
                return;
            }
        }
        s->started = 1;
        int rc = rs_fetch(s);
        if (rc != 0) {
            s->err = rc;
            s->done = 1;
            return;
        }
    }
}

static void rs_free(rstream_t *s)
{
    free(s->body);
    s->body = NULL;
}

typedef struct {
    uint64_t rows_pulled, rows_pushed, blobs_pulled;
    uint64_t deferred;    /* rows not shipped yet (not settled) */
    uint64_t rows, blobs; /* the local copy's, from its last digest (metrics gauges) */
    int errors;
} pg_res_t;

static int flush_pull(worker_t *w, batch_t *b, pg_res_t *res)
{
    if (b->n == 0)
        return 0;
    batch_fix(b);
    uint32_t applied = 0;
    int rc = local_merge(w->rec, b->rows, b->n, &applied);
    res->rows_pulled += applied;
    atomic_fetch_add(&w->rec->rows_pulled, applied);
    batch_reset(b);
    return rc;
}

static int flush_push(worker_t *w, int32_t peer, batch_t *b, pg_res_t *res)
{
    if (b->n == 0)
        return 0;
    batch_fix(b);
    osd_rec_t *rec = w->rec;
    throttle(rec, &rec->rl_rec, b->len);
    atomic_fetch_add(&rec->bytes, b->len);
    uint32_t applied = 0, ignored = 0;
    int rc = tn_osdc_sync_pg_push(w->cl, peer, b->rows, b->n, &applied, &ignored);
    if (rc == 0) {
        res->rows_pushed += applied;
        atomic_fetch_add(&rec->rows_pushed, applied);
    }
    batch_reset(b);
    return rc;
}

/*
 * Row merge-join of the local copy and peer over the buckets in mask. push: ship rows held
 * newer here (the driver only). local_broken: the local copy could not be read (a damaged
 * row): take every row of the peer through the merge function, ship nothing.
 */
static int sync_rows(worker_t *w, const osd_recplan_pg_t *pg, int32_t peer, unsigned mask, int push,
                     int local_broken, pg_res_t *res)
{
    pthread_mutex_lock(&w->rec->sync.lock);
    uint64_t settle = w->rec->has_meta && pg->pool == w->rec->meta_pool ? META_SETTLE_MS : 0;
    pthread_mutex_unlock(&w->rec->sync.lock);
    uint64_t now = osd_clock_wall_ms();
    rstream_t *mine = calloc(1, sizeof(*mine)), *theirs = calloc(1, sizeof(*theirs));
    batch_t pull = {0}, out = {0};
    int rc = 0;
    if (mine == NULL || theirs == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    *mine = (rstream_t){.w = w, .pg = pg, .peer = -1, .broken = local_broken};
    *theirs = (rstream_t){.w = w, .pg = pg, .peer = peer};
    rs_next(mine);
    rs_next(theirs);
    if (mine->err == TN_ERR_CHECKSUM || mine->err == TN_ERR_CORRUPT) {
        /* a damaged local row: found by the deep scrub's row check, repaired from here */
        mine->err = 0;
        mine->broken = 1;
        push = 0;
    } else if (mine->err != 0) {
        rc = mine->err; /* cannot read the local copy: no conclusion either way */
    }
    while (rc == 0 && !stopping(w->rec) && (mine->have || theirs->have)) {
        if (!theirs->have && theirs->err != 0)
            break; /* the peer's list ended early: no conclusion about what it lacks */
        osd_rp_step_t s = osd_recplan_row_step(mine->have ? &mine->head : NULL,
                                               theirs->have ? &theirs->head : NULL, mask);
        const tn_row_t *shipped = s.action == OSD_RP_PULL   ? &theirs->head
                                  : s.action == OSD_RP_PUSH ? &mine->head
                                                            : NULL;
        if (shipped != NULL && settle && !osd_recplan_row_settled(shipped, now, settle)) {
            res->deferred++;
            s.action = OSD_RP_NONE;
        }
        if (s.action == OSD_RP_PULL)
            rc = batch_add(&pull, theirs->head_raw);
        else if (s.action == OSD_RP_PUSH && push)
            rc = batch_add(&out, mine->head_raw);
        if (rc == 0 && batch_full(&pull))
            rc = flush_pull(w, &pull, res);
        if (rc == 0 && batch_full(&out))
            rc = flush_push(w, peer, &out, res);
        /* the batches hold copies: the pages may move on */
        if (s.adv_mine)
            rs_next(mine);
        if (s.adv_theirs)
            rs_next(theirs);
        if (mine->err != 0) {
            /* the local copy failed mid-way: stop pushing, keep pulling (merges are safe) */
            if (mine->err != TN_ERR_CHECKSUM && mine->err != TN_ERR_CORRUPT && rc == 0)
                rc = mine->err;
            mine->err = 0;
            mine->broken = 1;
            push = 0;
        }
    }
    if (rc == 0)
        rc = flush_pull(w, &pull, res);
    else
        flush_pull(w, &pull, res);
    if (rc == 0)
        rc = flush_push(w, peer, &out, res);
    if (rc == 0 && theirs->err != 0)
        rc = theirs->err;
done:
    if (mine != NULL)
        rs_free(mine);
    if (theirs != NULL)
        rs_free(theirs);
    free(mine);
    free(theirs);
    batch_free(&pull);
    batch_free(&out);
    return rc;
}

/* ---- blobs ---- */

#define PULL_GONE 1 /* pull_blob: the garbage collector deleted this blob; not stored */

/* Pulls blob id of length bytes from peer, stores it (a damaged local copy is replaced) and
 * verifies the stored copy. A blob with a GONE row (osd_gc.h) is never stored: checked before
 * the pull and again after it (the collector writes the GONE row before it deletes, so a pull
 * racing with the delete either ends before the delete reaches this OSD, which then removes
 * it, or sees the GONE row here and removes it itself). Returns 0, PULL_GONE or an error. */
static int pull_blob(worker_t *w, const osd_recplan_pg_t *pg, int32_t peer, const osd_blob_id_t *id,
                     uint64_t length)
{
    osd_rec_t *rec = w->rec;
    int gone = osd_gc_blob_gone(w->rd, pg->pool, pg->pg, id->version, id->part);
    if (gone != 0)
        return gone > 0 ? PULL_GONE : gone;
    osd_bs_writer_t *wr = NULL;
    int rc = osd_bs_put_begin(rec->bs, pg->pool, pg->pg, id, length, &wr);
    if (rc != 0)
        return rc;
    uint64_t off = 0;
    while (off < length && rc == 0) {
        if (stopping(rec)) {
            rc = -ECANCELED;
            break;
        }
        uint64_t n = length - off > BLOB_PIECE ? BLOB_PIECE : length - off;
        throttle(rec, &rec->rl_rec, n);
        tn_blob_get_req_t m = {
            .ref = {.pool = pg->pool, .pg = pg->pg, .part = id->part}, .offset = off, .len = n};
        memcpy(m.ref.version, id->version, 16);
        uint8_t *data = NULL;
        size_t got = 0;
        uint64_t blob_len = 0;
        rc = tn_osdc_sync_blob_get(w->cl, peer, &m, &data, &got, &blob_len);
        if (rc == 0 && (blob_len != length || got != n))
            rc = TN_ERR_CORRUPT; /* the peer's copy is not the one it listed */
        if (rc == 0)
            rc = osd_bs_put_data(wr, data, got);
        free(data);
        off += got;
        atomic_fetch_add(&rec->bytes, got);
    }
    if (rc != 0) {
        osd_bs_put_abort(wr);
        return rc;
    }
    if ((rc = osd_bs_put_end(wr)) != 0)
        return rc;
    /* read back what is now on disk (header, every piece, the table): a pulled copy is
     * trusted only once it verifies here */
    rc = osd_bs_verify(rec->bs, pg->pool, pg->pg, id);
    if (rc == 0 && osd_gc_blob_gone(w->rd, pg->pool, pg->pg, id->version, id->part) != 0) {
        osd_bs_delete(rec->bs, pg->pool, pg->pg, id);
        return PULL_GONE;
    }
    return rc;
}

static void blob_of_item(const tn_blob_item_t *it, osd_rp_blob_t *b)
{
    memcpy(b->version, it->version, 16);
    b->part = it->part;
}

static void blob_of_id(const osd_blob_id_t *id, osd_rp_blob_t *b)
{
    memcpy(b->version, id->version, 16);
    b->part = id->part;
}

/* Pulls every blob peer lists that is missing here. */
static int sync_blobs(worker_t *w, const osd_recplan_pg_t *pg, int32_t peer, int deep,
                      pg_res_t *res)
{
    osd_rec_t *rec = w->rec;
    osd_blob_id_t *ids = NULL;
    size_t n = 0, i = 0;
    int rc = osd_pg_blob_ids(rec->bs, pg->pool, pg->pg, &ids, &n);
    if (rc != 0)
        return rc;
    uint8_t cursor[20];
    size_t cursor_len = 0;
    int more = 1;
    while (rc == 0 && more && !stopping(rec)) {
        tn_pg_enum_req_t m = {.pool = pg->pool,
                              .pg = pg->pg,
                              .what = TN_PROTO_ENUM_BLOBS,
                              .cursor = {(const char *)cursor, cursor_len},
                              .limit = ENUM_LIMIT};
        uint8_t *body = NULL;
        size_t len = 0;
        rc = tn_osdc_sync_pg_enum(w->cl, peer, &m, &body, &len);
        if (rc != 0)
            break;
        tn_proto_iter_t it;
        uint8_t mr = 0;
        uint32_t cnt = 0;
        tn_slice_t c;
        rc = tn_proto_dec_pg_enum_rep(body, len, &it, &mr, &c, &cnt);
        if (rc == 0 && c.len != 0 && c.len != 20)
            rc = TN_ERR_PROTO;
        if (rc == 0) {
            more = mr;
            memcpy(cursor, c.base, c.len);
            cursor_len = c.len;
        }
        tn_blob_item_t item;
        int got = 0;
        while (rc == 0 && (got = tn_proto_next_blob_item(&it, &item)) == 1) {
            osd_rp_blob_t theirs;
            blob_of_item(&item, &theirs);
            for (;;) {
                osd_rp_blob_t mine;
                if (i < n)
                    blob_of_id(&ids[i], &mine);
                osd_rp_step_t s = osd_recplan_blob_step(i < n ? &mine : NULL, &theirs);
                if (s.action == OSD_RP_PULL) {
                    osd_blob_id_t bid;
                    memcpy(bid.version, item.version, 16);
                    bid.part = item.part;
                    int prc = pull_blob(w, pg, peer, &bid, item.length);
                    if (prc == PULL_GONE) {
                        /* collected: the peer's copy goes with the collector's next try */
                    } else if (prc == 0) {
                        res->blobs_pulled++;
                        atomic_fetch_add(&rec->blobs_pulled, 1);
                        if (deep) {
                            atomic_fetch_add(&rec->scrub_errors, 1);
                            atomic_fetch_add(&rec->scrub_repaired, 1);
                        }
                    } else {
                        char name[OSD_BLOB_NAME_LEN + 1];
                        osd_blob_id_format(&bid, name);
                        tn_log_warn("msg=\"repair: blob pull failed\" pool=%u pg=%u blob=%s "
                                    "from=%d err=\"%s\"",
                                    pg->pool, pg->pg, name, peer, tn_strerror(prc));
                        res->errors++;
                        if (prc == -ECANCELED)
                            rc = prc;
                    }
                }
                i += s.adv_mine;
                if (s.adv_theirs)
                    break;
            }
        }
        if (rc == 0 && got < 0)
            rc = TN_ERR_PROTO;
        free(body);
    }
    free(ids);
    return rc;
}

static int is_damage(int rc)
{
    return rc == TN_ERR_CHECKSUM || rc == TN_ERR_CORRUPT || rc == TN_ERR_UNSUPPORTED || rc == -EIO;
}

/* Deep scrub of the local blobs of pg: verify each; replace a bad copy from a peer. */
static void scrub_blobs(worker_t *w, const osd_recplan_pg_t *pg, const uint8_t *reachable,
                        pg_res_t *res)
{
    osd_rec_t *rec = w->rec;
    osd_blob_id_t *ids = NULL;
    size_t n = 0;
    if (osd_pg_blob_ids(rec->bs, pg->pool, pg->pg, &ids, &n) != 0) {
        res->errors++;
        return;
    }
    for (size_t i = 0; i < n && !stopping(rec); i++) {
        uint64_t length = 0;
        int exists = 0;
        int rc = osd_bs_stat(rec->bs, pg->pool, pg->pg, &ids[i], &length, &exists);
        if (rc == 0 && !exists)
            continue; /* removed meanwhile */
        throttle(rec, &rec->rl_scrub, rc == 0 ? length : 65536);
        if (rc == 0)
            rc = osd_bs_verify(rec->bs, pg->pool, pg->pg, &ids[i]);
        atomic_fetch_add(&rec->scrub_blobs, 1);
        atomic_fetch_add(&rec->scrub_bytes, length);
        if (rc == 0 || rc == TN_ERR_NOT_FOUND)
            continue;
        char name[OSD_BLOB_NAME_LEN + 1];
        osd_blob_id_format(&ids[i], name);
        atomic_fetch_add(&rec->scrub_errors, 1);
        tn_log_error("msg=\"scrub: bad blob\" pool=%u pg=%u blob=%s err=\"%s\"", pg->pool, pg->pg,
                     name, tn_strerror(rc));
        if (!is_damage(rc)) {
            res->errors++;
            continue;
        }
        int fixed = 0;
        for (int k = 0; k < pg->n && !fixed; k++) {
            if (k == pg->self || !reachable[k])
                continue;
            tn_blobref_t ref = {.pool = pg->pool, .pg = pg->pg, .part = ids[i].part};
            memcpy(ref.version, ids[i].version, 16);
            tn_blob_stat_rep_t st;
            if (tn_osdc_sync_blob_stat(w->cl, pg->osds[k], &ref, &st) != 0 || !st.exists)
                continue;
            if (pull_blob(w, pg, pg->osds[k], &ids[i], st.length) == 0) {
                fixed = 1;
                tn_log_info("msg=\"scrub: blob repaired\" pool=%u pg=%u blob=%s from=%d", pg->pool,
                            pg->pg, name, pg->osds[k]);
            }
        }
        if (fixed)
            atomic_fetch_add(&rec->scrub_repaired, 1);
        else
            res->errors++;
    }
    free(ids);
}

/* Deep scrub of the local rows of pg: read (and CRC-check) every row. 0, or the error that
 * stopped the read (a damaged row: TN_ERR_CHECKSUM). */
static int scrub_rows(worker_t *w, const osd_recplan_pg_t *pg)
{
    osd_rec_t *rec = w->rec;
    uint8_t cursor[OSD_PG_CURSOR_MAX];
    size_t cursor_len = 0;
    for (;;) {
        osd_pg_page_t page;
        int rc =
            osd_pg_enum_rows(w->rd, pg->pool, pg->pg,
                             (tn_slice_t){(const char *)cursor, cursor_len}, ENUM_LIMIT, &page);
        if (rc != 0)
            return rc;
        throttle(rec, &rec->rl_scrub, page.len);
        atomic_fetch_add(&rec->scrub_rows, page.n);
        atomic_fetch_add(&rec->scrub_bytes, page.len);
        memcpy(cursor, page.cursor, page.cursor_len);
        cursor_len = page.cursor_len;
        int more = page.more;
        free(page.buf);
        if (!more || stopping(rec))
            return 0;
    }
}

/* ---- one PG ---- */

static pg_state_t repair_pg(worker_t *w, const osd_recplan_pg_t *pg, int deep, pg_res_t *res)
{
    osd_rec_t *rec = w->rec;
    tn_pg_digest_rep_t mine, theirs[MAX_PEERS];
    uint8_t reachable[MAX_PEERS] = {0};
    int rows_broken = 0;
    atomic_fetch_add(&rec->pgs_checked, 1);
    if (deep) {
        int rc = scrub_rows(w, pg);
        if (rc == TN_ERR_CHECKSUM || rc == TN_ERR_CORRUPT) {
            atomic_fetch_add(&rec->scrub_errors, 1);
            tn_log_error("msg=\"scrub: damaged row\" pool=%u pg=%u err=\"%s\"", pg->pool, pg->pg,
                         tn_strerror(rc));
            rows_broken = 1;
        } else if (rc != 0) {
            res->errors++;
        }
    }
    int differ = 0, degraded = 0;
    for (int round = 0; round < MAX_ROUNDS && !stopping(rec); round++) {
        /* every holder's digest as of one instant, or a written PG never compares equal */
        uint64_t cutoff = tn_proto_digest_cutoff(osd_clock_wall_ms());
        int rc = osd_pg_digest(rec->bs, w->rd, pg->pool, pg->pg, cutoff, &mine);
        if (rc != 0) {
            tn_log_warn("msg=\"repair: local digest failed\" pool=%u pg=%u err=\"%s\"", pg->pool,
                        pg->pg, tn_strerror(rc));
            res->errors++;
            return PG_ERROR;
        }
        res->rows = mine.all.count;
        res->blobs = mine.blob_count;
        degraded = 0;
        differ = 0;
        for (int k = 0; k < pg->n; k++) {
            reachable[k] = 0;
            if (k == pg->self) {
                reachable[k] = 1;
                continue;
            }
            if (pg->osds[k] == PL_ITEM_NONE) {
                degraded = 1;
                continue;
            }
            rc = tn_osdc_sync_pg_digest(w->cl, pg->osds[k], pg->pool, pg->pg, cutoff, &theirs[k]);
            if (rc == 0) {
                reachable[k] = 1;
                differ |= osd_recplan_rows_differ(&mine, &theirs[k]) ||
                          osd_recplan_blobs_differ(&mine, &theirs[k]);
            } else {
                degraded = 1;
            }
        }
        if (rows_broken) {
            /* the digest does not see a row's damaged bytes: repair from every peer */
            differ = 1;
        }
        if (!differ)
            break;
        int driver = osd_recplan_driver(pg, reachable);
        uint64_t before = res->rows_pulled + res->rows_pushed + res->blobs_pulled;
        for (int k = 0; k < pg->n && !stopping(rec); k++) {
            if (k == pg->self || !reachable[k])
                continue;
            int32_t peer = pg->osds[k];
            unsigned mask = rows_broken ? 0xffffu : osd_recplan_diff_buckets(&mine, &theirs[k]);
            if (rows_broken || osd_recplan_rows_differ(&mine, &theirs[k])) {
                rc = sync_rows(w, pg, peer, mask ? mask : 0xffffu, driver == pg->self, rows_broken,
                               res);
                if (rc != 0) {
                    tn_log_warn("msg=\"repair: row sync failed\" pool=%u pg=%u peer=%d "
                                "err=\"%s\"",
                                pg->pool, pg->pg, peer, tn_strerror(rc));
                    res->errors++;
                }
            }
            if (osd_recplan_blobs_differ(&mine, &theirs[k])) {
                rc = sync_blobs(w, pg, peer, deep, res);
                if (rc != 0) {
                    tn_log_warn("msg=\"repair: blob sync failed\" pool=%u pg=%u peer=%d "
                                "err=\"%s\"",
                                pg->pool, pg->pg, peer, tn_strerror(rc));
                    res->errors++;
                }
            }
        }
        if (rows_broken) {
            int src = scrub_rows(w, pg);
            if (src == 0) {
                atomic_fetch_add(&rec->scrub_repaired, 1);
                tn_log_info("msg=\"scrub: rows repaired\" pool=%u pg=%u", pg->pool, pg->pg);
                rows_broken = 0;
            } else {
                res->errors++;
                break;
            }
        } else if (res->rows_pulled + res->rows_pushed + res->blobs_pulled == before) {
            /* nothing moved: what still differs is for the peers to pull (blobs), or for the
             * driver to push (rows) */
            break;
        }
    }
    if (deep)
        scrub_blobs(w, pg, reachable, res);
    if (res->deferred)
        tn_log_info("msg=\"repair: rows deferred until settled\" pool=%u pg=%u rows=%" PRIu64,
                    pg->pool, pg->pg, res->deferred);
    if (res->errors)
        return PG_ERROR;
    return differ ? PG_INCONSISTENT : degraded ? PG_DEGRADED : PG_CLEAN;
}

/* ---- threads ---- */

/* Called under rec->sync.lock by the thread that finished the last PG of a pass. */
static void finish_pass(osd_rec_t *rec)
{
    uint64_t now = osd_clock_mono_ms();
    rec->running = 0;
    atomic_store(&rec->last_pass_ms, now - rec->pass_start_ms);
    atomic_store(&rec->g_clean, rec->p_state[PG_CLEAN]);
    atomic_store(&rec->g_degraded, rec->p_state[PG_DEGRADED]);
    atomic_store(&rec->g_inconsistent, rec->p_state[PG_INCONSISTENT] + rec->p_state[PG_ERROR]);
    atomic_store(&rec->g_rows, rec->p_rows);
    atomic_store(&rec->g_blobs, rec->p_blobs);
    atomic_fetch_add(&rec->passes, 1);
    if (rec->deep)
        atomic_fetch_add(&rec->deep_passes, 1);
    if (rec->p_state[PG_INCONSISTENT] + rec->p_state[PG_ERROR] > 0 &&
        rec->next_light_ms > now + RETRY_MS)
        rec->next_light_ms = now + RETRY_MS;
    tn_log_info("msg=\"repair pass done\" deep=%d pgs=%zu clean=%" PRIu64 " degraded=%" PRIu64
                " inconsistent=%" PRIu64 " errors=%" PRIu64 " ms=%" PRIu64,
                rec->deep, rec->ntasks, rec->p_state[PG_CLEAN], rec->p_state[PG_DEGRADED],
                rec->p_state[PG_INCONSISTENT], rec->p_state[PG_ERROR], now - rec->pass_start_ms);
    osd_thread_wake(&rec->sync);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    osd_rec_t *rec = w->rec;
    for (;;) {
        pthread_mutex_lock(&rec->sync.lock);
        while (!stopping(rec) && !(rec->running && rec->next < rec->ntasks))
            pthread_cond_wait(&rec->sync.cond, &rec->sync.lock);
        if (stopping(rec)) {
            pthread_mutex_unlock(&rec->sync.lock);
            break;
        }
        osd_recplan_pg_t pg = rec->tasks[rec->next++];
        int deep = rec->deep;
        client_sync_map(rec, w->cl, &w->map_gen);
        /* the map may have changed since the pass started: repair the PG with its holders
         * under the current map, and not at all if this OSD no longer holds it (never ship
         * rows to, or pull from, an OSD that gave the PG away) */
        const osd_recplan_pg_t *now_held = NULL;
        for (size_t i = 0; i < rec->nheld && now_held == NULL; i++)
            if (rec->held[i].pool == pg.pool && rec->held[i].pg == pg.pg)
                now_held = &rec->held[i];
        int skip = now_held == NULL;
        if (now_held != NULL)
            pg = *now_held;
        pthread_mutex_unlock(&rec->sync.lock);

        pg_res_t res = {0};
        pg_state_t st = skip ? PG_CLEAN : repair_pg(w, &pg, deep, &res);
        if (res.errors)
            atomic_fetch_add(&rec->errors, (uint64_t)res.errors);
        if (res.rows_pulled || res.rows_pushed || res.blobs_pulled)
            tn_log_info("msg=\"repaired\" pool=%u pg=%u rows_pulled=%" PRIu64
                        " rows_pushed=%" PRIu64 " blobs_pulled=%" PRIu64,
                        pg.pool, pg.pg, res.rows_pulled, res.rows_pushed, res.blobs_pulled);

        pthread_mutex_lock(&rec->sync.lock);
        rec->p_state[st]++;
        rec->p_rows += res.rows;
        rec->p_blobs += res.blobs;
        rec->done++;
        atomic_store(&rec->pass_done, rec->done);
        if (rec->running && rec->done == rec->ntasks)
            finish_pass(rec);
        pthread_mutex_unlock(&rec->sync.lock);
    }
    tn_osdc_sync_destroy(w->cl);
    osd_idx_reader_close(w->rd);
    free(w);
    return NULL;
}

/* After a PING answered by peer: the side behind gets the newer map (rule 3's propagation
 * between OSDs, so a daemon that missed a map change, being down or new, catches up within a
 * ping period): a newer peer's map is fetched and adopted (PROPAGATE: only a higher epoch is
 * taken; the same epoch with another hash is refused loudly by osd_ms_offer), an older peer is
 * offered ours. Scheduler thread. */
static void exchange_map(osd_rec_t *rec, tn_osdc_sync_t *cl, int32_t peer)
{
    uint16_t st;
    uint64_t theirs = 0, hlc;
    tn_osdc_sync_last(cl, &st, &theirs, &hlc);
    uint64_t mine = osd_ms_epoch(rec->ms);
    if (theirs == mine || theirs == 0)
        return;
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t ep = 0, h = 0;
    int adopted = 0, rc;
    if (theirs > mine) {
        rc = tn_osdc_sync_map_get(cl, peer, 0, &buf, &len);
        if (rc == 0)
            rc = osd_ms_offer(rec->ms, TN_PROTO_MAP_PROPAGATE, 0, buf, len, &ep, &h, &adopted);
        if (rc != 0)
            tn_log_warn("msg=\"cannot take the newer map of a peer\" osd=%d epoch=%" PRIu64
                        " err=\"%s\"",
                        peer, theirs, tn_strerror(rc));
        else if (adopted)
            tn_log_info("msg=\"map taken from a peer\" osd=%d epoch=%" PRIu64, peer, ep);
    } else {
        rc = osd_ms_get(rec->ms, 0, &buf, &len);
        if (rc == 0) {
            tn_map_offer_req_t req = {.mode = TN_PROTO_MAP_PROPAGATE,
                                      .base_epoch = theirs,
                                      .map = {(const char *)buf, len}};
            tn_map_offer_rep_t rep;
            rc = tn_osdc_sync_map_offer(cl, peer, &req, &rep);
            if (rc == 0)
                tn_log_info("msg=\"map offered to a peer\" osd=%d epoch=%" PRIu64
                            " their_epoch=%" PRIu64,
                            peer, mine, theirs);
        }
    }
    free(buf);
}

/* ---- dropping the copies of PGs given away (rebalance, rule 3) ---- */

#define DROP_PAGE     1000u
#define DROP_TRIES    3      /* a given-away PG is dropped at once, and again twice, */
#define DROP_AGAIN_MS 20000u /* this far apart */

typedef struct {
    osd_idx_req_t *reqs;
    uint8_t *keys; /* DROP_PAGE * TN_ROW_MAX_KEY */
    unsigned n;
} drop_page_t;

static int drop_row_cb(void *arg, const tn_row_t *row)
{
    drop_page_t *d = arg;
    if (d->n >= DROP_PAGE || row->key_len > TN_ROW_MAX_KEY)
        return 1;
    osd_idx_req_t *r = &d->reqs[d->n];
    memset(r, 0, sizeof(*r));
    r->op = OSD_IDX_PURGE;
    r->row = *row;
    uint8_t *k = d->keys + (size_t)d->n * TN_ROW_MAX_KEY;
    memcpy(k, row->key, row->key_len);
    r->row.key = k;
    r->row.value = NULL;
    r->row.value_len = 0;
    r->row.inl = NULL;
    r->row.inl_len = 0;
    d->n++;
    return 0;
}

typedef struct {
    osd_blob_id_t *ids;
    size_t n, cap;
} drop_blobs_t;

static int drop_blob_cb(void *arg, const osd_blob_id_t *id)
{
    drop_blobs_t *b = arg;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        osd_blob_id_t *g = realloc(b->ids, cap * sizeof(*g));
        if (g == NULL)
            return -ENOMEM;
        b->ids = g;
        b->cap = cap;
    }
    b->ids[b->n++] = *id;
    return 0;
}

/*
 * Deletes the local copy of a PG this OSD no longer holds: every row by purge-if-unchanged (a
 * row that changed meanwhile stays), then every blob file. Only for PGs whose move completed:
 * the proposer OSD (or `ternctl rebalance`) removed the moving entry after every OSD had the
 * epoch of the move and every holder's digest was equal (rule 3), so the new set has all of
 * it; OSDs refuse operations of older epochs, so nothing reaches this copy any more.
 * Scheduler thread.
 */
static int drop_pg(osd_rec_t *rec, osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t *rows,
                   uint64_t *blobs)
{
    drop_page_t d = {.reqs = calloc(DROP_PAGE, sizeof(osd_idx_req_t)),
                     .keys = malloc((size_t)DROP_PAGE * TN_ROW_MAX_KEY)};
    int rc = d.reqs == NULL || d.keys == NULL ? -ENOMEM : 0;
    osd_idx_cursor_t cur = {0};
    int more = 1;
    while (rc == 0 && more && !stopping(rec)) {
        d.n = 0;
        rc = osd_idx_enumerate(rd, pool, pg, &cur, DROP_PAGE, drop_row_cb, &d, &more);
        if (rc != 0 || d.n == 0)
            break;
        waiter_t w = {.pending = 0};
        pthread_mutex_init(&w.lock, NULL);
        pthread_cond_init(&w.cond, NULL);
        pthread_mutex_lock(&w.lock);
        for (unsigned i = 0; i < d.n; i++) {
            d.reqs[i].cb = merge_cb;
            d.reqs[i].data = &w;
            w.pending++;
            if (osd_idx_submit(rec->idx, &d.reqs[i]) != 0) {
                w.pending--;
                d.reqs[i].status = -EIO;
            }
        }
        while (w.pending > 0)
            pthread_cond_wait(&w.cond, &w.lock);
        pthread_mutex_unlock(&w.lock);
        pthread_cond_destroy(&w.cond);
        pthread_mutex_destroy(&w.lock);
        for (unsigned i = 0; i < d.n; i++) {
            if (d.reqs[i].status != 0 && rc == 0)
                rc = d.reqs[i].status;
            *rows += d.reqs[i].status == 0 && d.reqs[i].result == OSD_IDX_PURGED;
        }
    }
    free(d.reqs);
    free(d.keys);
    if (rc != 0 || stopping(rec))
        return rc;
    drop_blobs_t b = {0};
    rc = osd_bs_list_pg(rec->bs, pool, pg, drop_blob_cb, &b);
    for (size_t i = 0; rc == 0 && i < b.n && !stopping(rec); i++) {
        int d2 = osd_bs_delete(rec->bs, pool, pg, &b.ids[i]);
        if (d2 == 0)
            (*blobs)++;
        else if (d2 != TN_ERR_NOT_FOUND)
            rc = d2;
    }
    free(b.ids);
    return rc;
}

static int held_in(const osd_recplan_pg_t *held, size_t n, uint32_t pool, uint32_t pg)
{
    for (size_t i = 0; i < n; i++)
        if (held[i].pool == pool && held[i].pg == pg)
            return 1;
    return 0;
}

/* Drops the next PG of rec->drops if this OSD still does not hold it (scheduler thread). */
static void drop_next(osd_rec_t *rec, osd_idx_reader_t **rd)
{
    pthread_mutex_lock(&rec->sync.lock);
    uint64_t now = osd_clock_mono_ms();
    size_t k = 0;
    while (k < rec->ndrops && rec->drops[k].due_ms > now)
        k++;
    if (k == rec->ndrops || rec->running) {
        pthread_mutex_unlock(&rec->sync.lock);
        return;
    }
    struct drop_s pg = rec->drops[k];
    rec->drops[k] = rec->drops[--rec->ndrops];
    int still_held = held_in(rec->held, rec->nheld, pg.pool, pg.pg);
    if (!still_held && pg.left > 1) {
        /* again later: a peer's repair that started before the move completed may still ship
         * a row or blob here (DROP_AGAIN_MS is far beyond its request timeouts) */
        struct drop_s again = pg;
        again.left--;
        again.due_ms = now + DROP_AGAIN_MS;
        rec->drops[rec->ndrops++] = again; /* room: the entry just taken */
    }
    pthread_mutex_unlock(&rec->sync.lock);
    if (still_held)
        return;
    if (*rd == NULL && osd_idx_reader_open(rec->idx, rd) != 0) {
        *rd = NULL;
        return;
    }
    uint64_t rows = 0, blobs = 0;
    int rc = drop_pg(rec, *rd, pg.pool, pg.pg, &rows, &blobs);
    if (rc != 0)
        tn_log_warn("msg=\"rebalance: dropping a PG given away failed; its copy stays\" pool=%u "
                    "pg=%u err=\"%s\"",
                    pg.pool, pg.pg, tn_strerror(rc));
    else if (rows + blobs > 0)
        tn_log_info("msg=\"rebalance: PG given away, local copy dropped\" pool=%u pg=%u "
                    "rows=%" PRIu64 " blobs=%" PRIu64,
                    pg.pool, pg.pg, rows, blobs);
}

/* Loads the map store's current map if its epoch changed (scheduler thread). */
static void refresh_map(osd_rec_t *rec, void **work, size_t *work_size)
{
    uint64_t ep = osd_ms_epoch(rec->ms);
    pthread_mutex_lock(&rec->sync.lock);
    int same = rec->map != NULL && rec->map->epoch == ep;
    pthread_mutex_unlock(&rec->sync.lock);
    if (same)
        return;
    uint8_t *buf = NULL;
    size_t len = 0;
    pl_map_t *m = NULL;
    if (osd_ms_get(rec->ms, 0, &buf, &len) != 0 || pl_map_decode(buf, len, &m) != 0) {
        free(buf);
        tn_log_error("msg=\"repair: cannot read the current map\"");
        return;
    }
    free(buf);
    size_t need = (pl_work_size(m) + 7) / 8 * 8;
    if (need > *work_size) {
        free(*work);
        *work = aligned_alloc(8, need);
        *work_size = *work ? need : 0;
    }
    long n = *work ? osd_recplan_held_pgs(m, rec->o.self, *work, NULL, 0) : -ENOMEM;
    osd_recplan_pg_t *held = n > 0 ? calloc((size_t)n, sizeof(*held)) : NULL;
    if (n < 0 || (n > 0 && held == NULL)) {
        free(held);
        pl_map_destroy(m);
        return;
    }
    if (n > 0)
        osd_recplan_held_pgs(m, rec->o.self, *work, held, (size_t)n);
    pthread_mutex_lock(&rec->sync.lock);
    /* PGs held under the previous map while they moved whose move completed in this one */
    for (size_t i = 0; rec->map != NULL && i < rec->nheld; i++) {
        const osd_recplan_pg_t *h = &rec->held[i];
        if (pl_map_moving(rec->map, h->pool, h->pg) == NULL ||
            pl_map_moving(m, h->pool, h->pg) != NULL ||
            held_in(held, (size_t)(n > 0 ? n : 0), h->pool, h->pg))
            continue;
        struct drop_s *g = realloc(rec->drops, (rec->ndrops + 1) * sizeof(*g));
        if (g == NULL)
            break;
        rec->drops = g;
        rec->drops[rec->ndrops++] = (struct drop_s){h->pool, h->pg, 0, DROP_TRIES};
    }
    pl_map_destroy(rec->map);
    rec->map = m;
    rec->map_gen++;
    const pl_pool_t *meta = pl_map_find_pool_by_name(m, "meta");
    rec->has_meta = meta != NULL;
    rec->meta_pool = meta != NULL ? meta->id : 0;
    free(rec->held);
    rec->held = held;
    rec->nheld = (size_t)n;
    rec->kick = 1; /* a new map: check everything held under it */
    pthread_mutex_unlock(&rec->sync.lock);
    tn_log_info("msg=\"repair: map\" epoch=%" PRIu64 " pgs_held=%ld", m->epoch, n);
}

static void *sched_main(void *arg)
{
    osd_rec_t *rec = arg;
    tn_osdc_sync_t *cl = client_new(rec, PING_TIMEOUT);
    uint64_t gen = 0;
    void *work = NULL;
    size_t work_size = 0;
    /* peers' last ping outcome: -1 down, 1 up (absent: not pinged yet) */
    int32_t known_id[256];
    int8_t known_up[256];
    unsigned nknown = 0;
    uint64_t next_ping = 0;
    osd_idx_reader_t *drop_rd = NULL;
    while (!stopping(rec)) {
        refresh_map(rec, &work, &work_size);
        for (int k = 0; k < 32 && !stopping(rec); k++)
            drop_next(rec, &drop_rd);
        uint64_t now = osd_clock_mono_ms();
        if (cl != NULL && now >= next_ping) {
            next_ping = now + PING_EVERY_MS;
            pthread_mutex_lock(&rec->sync.lock);
            client_sync_map(rec, cl, &gen);
            int32_t ids[256];
            uint64_t incs[256];
            unsigned nids = 0;
            for (uint32_t i = 0; rec->map != NULL && i < rec->map->n_osds && nids < 256; i++)
                if (rec->map->osds[i].id != rec->o.self) {
                    incs[nids] = rec->map->osds[i].incarnation;
                    ids[nids++] = rec->map->osds[i].id;
                }
            pthread_mutex_unlock(&rec->sync.lock);
            uint64_t nup = 0;
            /* the proposer of move completions: the lowest-id admitted OSD that answers */
            int32_t lowest =
                osd_ms_admission(rec->ms) == OSD_MS_NOT_ADMITTED ? INT32_MAX : rec->o.self;
            for (unsigned i = 0; i < nids && !stopping(rec); i++) {
                tn_ping_rep_t pr;
                int rc = tn_osdc_sync_ping(cl, ids[i], &pr);
                if (rc == 0 && ids[i] < lowest && (incs[i] == 0 || pr.incarnation == incs[i]))
                    lowest = ids[i];
                unsigned k = 0;
                while (k < nknown && known_id[k] != ids[i])
                    k++;
                int8_t was = k < nknown ? known_up[k] : 0;
                if (k == nknown && nknown < 256) {
                    known_id[k] = ids[i];
                    nknown++;
                }
                if (k < nknown)
                    known_up[k] = rc == 0 ? 1 : -1;
                nup += rc == 0;
                if (rc == 0)
                    exchange_map(rec, cl, ids[i]);
                if (rc == 0 && was == -1) {
                    tn_log_info("msg=\"repair: peer is back\" osd=%d", ids[i]);
                    pthread_mutex_lock(&rec->sync.lock);
                    rec->kick = 1;
                    pthread_mutex_unlock(&rec->sync.lock);
                } else if (rc != 0 && was == 1) {
                    tn_log_info("msg=\"repair: peer is down\" osd=%d err=\"%s\"", ids[i],
                                tn_strerror(rc));
                }
            }
            atomic_store(&rec->peers_up, nup);
            pthread_mutex_lock(&rec->sync.lock);
            rec->proposer = !stopping(rec) && lowest == rec->o.self;
            pthread_mutex_unlock(&rec->sync.lock);
            struct statvfs sv;
            if (rec->o.data_dir != NULL && statvfs(rec->o.data_dir, &sv) == 0) {
                atomic_store(&rec->disk_total, (uint64_t)sv.f_blocks * sv.f_frsize);
                atomic_store(&rec->disk_avail, (uint64_t)sv.f_bavail * sv.f_frsize);
            }
        }
        pthread_mutex_lock(&rec->sync.lock);
        now = osd_clock_mono_ms();
        int deep_due = rec->kick_deep || (rec->o.deep_interval_s != 0 && now >= rec->next_deep_ms);
        /* a replaced disk not yet admitted (rule 4) repairs nothing: it may not even be ours */
        if (!rec->running && rec->held != NULL &&
            osd_ms_admission(rec->ms) != OSD_MS_NOT_ADMITTED &&
            (rec->kick || now >= rec->next_light_ms || deep_due)) {
            free(rec->tasks);
            rec->tasks = malloc(rec->nheld * sizeof(*rec->tasks));
            if (rec->tasks != NULL) {
                memcpy(rec->tasks, rec->held, rec->nheld * sizeof(*rec->tasks));
                rec->ntasks = rec->nheld;
                rec->next = rec->done = 0;
                rec->deep = deep_due;
                rec->running = 1;
                rec->pass_start_ms = now;
                memset(rec->p_state, 0, sizeof(rec->p_state));
                rec->p_rows = rec->p_blobs = 0;
                rec->kick = 0;
                rec->kick_deep = 0;
                rec->next_light_ms =
                    osd_recplan_next_due(now, (uint64_t)rec->o.interval_s * 1000, next_rnd(rec));
                if (deep_due)
                    rec->next_deep_ms = osd_recplan_next_due(
                        now, (uint64_t)rec->o.deep_interval_s * 1000, next_rnd(rec));
                atomic_store(&rec->pass_pgs, rec->ntasks);
                atomic_store(&rec->pass_done, 0);
                tn_log_info("msg=\"repair pass start\" deep=%d pgs=%zu", rec->deep, rec->ntasks);
                osd_thread_wake(&rec->sync);
            }
        }
        osd_thread_wait_ms(&rec->sync, 250);
        pthread_mutex_unlock(&rec->sync.lock);
    }
    tn_osdc_sync_destroy(cl);
    osd_idx_reader_close(drop_rd);
    free(work);
    return NULL;
}

/*
 * The mover (DESIGN rule 3: moves complete without an operator). On the proposer only (the
 * lowest-id admitted OSD answering this OSD's pings; two OSDs that both believe it race
 * harmlessly: the CAS lets one win), every MOVER_EVERY_MS plus jitter: if the map has moving
 * PGs, tn_map_complete_moves asks every OSD's epoch and every holder's digest, and installs
 * the next epoch without the moves that are complete: exactly `ternctl rebalance`'s step
 * (placement's pl_map_finish_moves decides for both). Its own thread, so the digests it asks
 * for never delay pings and map exchange.
 */
static void *mover_main(void *arg)
{
    osd_rec_t *rec = arg;
    tn_osdc_sync_t *cl = client_new(rec, CLIENT_TIMEOUT);
    uint64_t gen = 0;
    while (cl != NULL && !stopping(rec)) {
        pthread_mutex_lock(&rec->sync.lock);
        uint64_t wait_ms = MOVER_EVERY_MS + next_rnd(rec) % MOVER_JITTER;
        pthread_mutex_unlock(&rec->sync.lock);
        nap(rec, wait_ms * 1000000u);
        pthread_mutex_lock(&rec->sync.lock);
        pl_map_t *m = NULL;
        if (rec->proposer && rec->map != NULL && rec->map->n_moving > 0 &&
            rec->map->epoch == osd_ms_epoch(rec->ms)) {
            m = pl_map_clone(rec->map);
            client_sync_map(rec, cl, &gen);
            /* the proposer is a holder of many moving PGs: it asks its own digest over the
             * network like any holder's (client_sync_map leaves itself out) */
            for (uint32_t i = 0; i < rec->map->n_osds; i++)
                if (rec->map->osds[i].id == rec->o.self && rec->map->osds[i].addr[0] != '\0')
                    tn_osdc_set_osd(tn_osdc_sync_client(cl), rec->o.self, rec->map->osds[i].addr);
        }
        pthread_mutex_unlock(&rec->sync.lock);
        if (m == NULL)
            continue;
        tn_osdc_set_epoch(tn_osdc_sync_client(cl), m->epoch);
        pl_map_t *inst = NULL;
        int32_t behind = PL_ITEM_NONE;
        uint64_t behind_ep = 0;
        tn_mapchg_result_t res;
        int n = tn_map_complete_moves(cl, m, &inst, &behind, &behind_ep, &res, NULL, NULL);
        if (n > 0) {
            atomic_fetch_add(&rec->moves_completed, (uint64_t)n);
            tn_log_info("msg=\"rebalance: moves complete, new map installed\" pgs=%d "
                        "epoch=%" PRIu64 " still_moving=%u osds=%u unreached=%u",
                        n, inst->epoch, inst->n_moving, res.n_ok, res.n_unreach);
        } else if (n == TN_ERR_STALE_EPOCH) {
            tn_log_info("msg=\"rebalance: a concurrent map change won; looking again\" "
                        "epoch=%" PRIu64 " osd=%d their_epoch=%" PRIu64,
                        m->epoch + 1, res.lost_osd, res.lost_epoch);
        } else if (n < 0) {
            tn_log_warn("msg=\"rebalance: cannot complete moves\" epoch=%" PRIu64 " err=\"%s\"",
                        m->epoch, tn_strerror(n));
        } else if (behind != PL_ITEM_NONE) {
            tn_log_debug("msg=\"rebalance: waiting for an OSD's epoch\" osd=%d epoch=%" PRIu64
                         " want=%" PRIu64,
                         behind, behind_ep, m->epoch);
        }
        pl_map_destroy(inst);
        pl_map_destroy(m);
    }
    tn_osdc_sync_destroy(cl);
    return NULL;
}

int osd_rec_start(const osd_rec_opts_t *opts, osd_bs_t *bs, osd_idx_t *idx, osd_mapstore_t *ms,
                  osd_rec_t **out)
{
    osd_rec_t *rec = calloc(1, sizeof(*rec));
    if (rec == NULL)
        return -ENOMEM;
    rec->o = *opts;
    if (rec->o.max_active == 0)
        rec->o.max_active = 1;
    if (rec->o.interval_s == 0)
        rec->o.interval_s = 60;
    rec->bs = bs;
    rec->idx = idx;
    rec->ms = ms;
    rec->rnd = (uint32_t)(osd_clock_mono_ns() ^ ((uint64_t)opts->self * 2654435761u)) | 1u;
    osd_thread_sync_init(&rec->sync);
    uint64_t now = osd_clock_mono_ms();
    rec->next_light_ms = now; /* the first pass starts as soon as the map is loaded */
    rec->next_deep_ms =
        rec->o.deep_interval_s
            ? osd_recplan_next_due(now, (uint64_t)rec->o.deep_interval_s * 1000, next_rnd(rec))
            : UINT64_MAX;
    osd_ratelim_init(&rec->rl_rec, rec->o.max_bytes_per_sec, 0, osd_clock_mono_ns());
    osd_ratelim_init(&rec->rl_scrub, rec->o.scrub_bytes_per_sec, 0, osd_clock_mono_ns());
    rec->workers = calloc(rec->o.max_active, sizeof(*rec->workers));
    if (rec->workers == NULL) {
        osd_rec_stop(rec);
        return -ENOMEM;
    }
    int rc = 0;
    for (unsigned i = 0; i < rec->o.max_active; i++) {
        worker_t *w = calloc(1, sizeof(*w));
        if (w == NULL) {
            rc = -ENOMEM;
            break;
        }
        w->rec = rec;
        w->cl = client_new(rec, CLIENT_TIMEOUT);
        rc = w->cl == NULL ? -ENOMEM : osd_idx_reader_open(idx, &w->rd);
        if (rc == 0)
            rc = -pthread_create(&rec->workers[i], NULL, worker_main, w);
        if (rc != 0) {
            tn_osdc_sync_destroy(w->cl);
            osd_idx_reader_close(w->rd);
            free(w);
            break;
        }
        rec->started++;
    }
    if (rc == 0) {
        rc = -pthread_create(&rec->sched, NULL, sched_main, rec);
        rec->sched_started = rc == 0;
    }
    if (rc == 0) {
        rc = -pthread_create(&rec->mover, NULL, mover_main, rec);
        rec->mover_started = rc == 0;
    }
    if (rc != 0) {
        osd_rec_stop(rec);
        return rc;
    }
    *out = rec;
    return 0;
}

void osd_rec_stop(osd_rec_t *rec)
{
    if (rec == NULL)
        return;
    osd_thread_stop(&rec->sync);
    if (rec->sched_started)
        pthread_join(rec->sched, NULL);
    if (rec->mover_started)
        pthread_join(rec->mover, NULL);
    for (unsigned i = 0; i < rec->started; i++)
        pthread_join(rec->workers[i], NULL);
    free(rec->workers);
    free(rec->tasks);
    free(rec->drops);
    free(rec->held);
    pl_map_destroy(rec->map);
    osd_thread_sync_destroy(&rec->sync);
    free(rec);
}

void osd_rec_stats(osd_rec_t *rec, osd_rec_stats_t *o)
{
    memset(o, 0, sizeof(*o));
    if (rec == NULL)
        return;
    o->passes = atomic_load(&rec->passes);
    o->deep_passes = atomic_load(&rec->deep_passes);
    o->pgs_checked = atomic_load(&rec->pgs_checked);
    o->rows_pulled = atomic_load(&rec->rows_pulled);
    o->rows_pushed = atomic_load(&rec->rows_pushed);
    o->blobs_pulled = atomic_load(&rec->blobs_pulled);
    o->bytes = atomic_load(&rec->bytes);
    o->errors = atomic_load(&rec->errors);
    o->pass_pgs = atomic_load(&rec->pass_pgs);
    o->pass_done = atomic_load(&rec->pass_done);
    o->running = o->pass_done < o->pass_pgs;
    o->last_pass_ms = atomic_load(&rec->last_pass_ms);
    o->pgs_clean = atomic_load(&rec->g_clean);
    o->pgs_degraded = atomic_load(&rec->g_degraded);
    o->pgs_inconsistent = atomic_load(&rec->g_inconsistent);
    o->rows = atomic_load(&rec->g_rows);
    o->blobs = atomic_load(&rec->g_blobs);
    o->scrub_blobs = atomic_load(&rec->scrub_blobs);
    o->scrub_rows = atomic_load(&rec->scrub_rows);
    o->scrub_bytes = atomic_load(&rec->scrub_bytes);
    o->scrub_errors = atomic_load(&rec->scrub_errors);
    o->scrub_repaired = atomic_load(&rec->scrub_repaired);
    o->moves_completed = atomic_load(&rec->moves_completed);
    o->peers_up = atomic_load(&rec->peers_up);
    o->disk_total = atomic_load(&rec->disk_total);
    o->disk_avail = atomic_load(&rec->disk_avail);
}

void osd_rec_kick(osd_rec_t *rec, int deep)
{
    if (rec == NULL)
        return;
    pthread_mutex_lock(&rec->sync.lock);
    rec->kick = 1;
    if (deep)
        rec->kick_deep = 1;
    osd_thread_wake(&rec->sync);
    pthread_mutex_unlock(&rec->sync.lock);
}
