/*
 * test_osd_recplan.c — unit tests of repair's pure decisions (osd/osd_recplan.h): held PGs
 * against pl_pg_osds, the driver, digest comparison, and a property test of the merge-join:
 * two random replicas that apply the steps' PULLs and PUSHes end up with equal rows and
 * equal digests, every newer version winning.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "osd_recplan.h"
#include "test.h"

static uint64_t rng = 0x1234567887654321ull;
static uint64_t next_rand(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static pl_map_t *six_osd_map(void)
{
    pl_map_t *m = pl_map_create();
    const char *hosts[] = {"a", "b", "c"};
    for (int h = 0; h < 3; h++) {
        pl_map_add_host(m, hosts[h]);
        pl_map_add_osd(m, 2 * h, h, PL_WEIGHT_ONE, NULL);
        pl_map_add_osd(m, 2 * h + 1, h, PL_WEIGHT_ONE, NULL);
    }
    pl_map_add_pool(m, 11, "data", 64, 3, 2, 2, PL_FD_HOST);
    pl_map_add_pool(m, 22, "index", 16, 3, 2, 2, PL_FD_HOST);
    pl_map_rebalance(m);
    m->epoch = 1;
    return m;
}

static void test_held(void)
{
    pl_map_t *m = six_osd_map();
    void *work = aligned_alloc(8, (pl_work_size(m) + 7) / 8 * 8);
    long total = 0;
    for (int32_t osd = 0; osd < 6; osd++) {
        osd_recplan_pg_t pgs[80];
        long n = osd_recplan_held_pgs(m, osd, work, pgs, 80);
        ok(n > 0 && n <= 80, "holds some PGs");
        total += n;
        int good = 1;
        for (long i = 0; i < n; i++) {
            const pl_pool_t *pool = pl_map_find_pool(m, pgs[i].pool);
            int32_t osds[PL_MAX_SIZE];
            int k = pl_pg_osds(m, pool, pgs[i].pg, osds, PL_MAX_SIZE, work);
            good &= k == pgs[i].n && pgs[i].osds[pgs[i].self] == osd;
            for (int j = 0; j < k; j++)
                good &= osds[j] == pgs[i].osds[j];
            if (i > 0 && pgs[i].pool == pgs[i - 1].pool)
                good &= pgs[i].pg > pgs[i - 1].pg;
        }
        ok(good, "every held PG matches pl_pg_osds and contains the OSD");
        /* a short output array still counts everything */
        long n2 = osd_recplan_held_pgs(m, osd, work, pgs, 3);
        is_int(n2, n, "count beyond cap");
    }
    is_int(total, (64 + 16) * 3, "every replica of every PG is held once");
    osd_recplan_pg_t one[1];
    is_int(osd_recplan_held_pgs(m, 99, work, one, 1), 0, "unknown OSD holds nothing");
    is_int(osd_recplan_held_pgs(NULL, 0, work, one, 1), -EINVAL, "NULL map");
    free(work);
    pl_map_destroy(m);
}

/* While a PG moves, its old holders hold it too (after the current set), until the move
 * completes. */
static void test_held_moving(void)
{
    pl_map_t *a = six_osd_map(), *b = pl_map_clone(a);
    b->epoch = 2;
    pl_map_set_osd_in(b, 3, 0);
    pl_map_rebalance(b);
    ok(pl_map_plan_moves(a, b) == TN_OK && b->n_moving > 0, "osd.3 out: PGs move");
    void *work = aligned_alloc(8, (pl_work_size(b) + 7) / 8 * 8);
    osd_recplan_pg_t pgs[160];
    long n = osd_recplan_held_pgs(b, 3, work, pgs, 160);
    is_int(n, b->n_moving, "the out OSD holds exactly the moving PGs it held");
    int good = 1;
    for (long i = 0; i < n && i < 160; i++) {
        good &= pl_map_moving(b, pgs[i].pool, pgs[i].pg) != NULL;
        good &= pgs[i].n == pgs[i].n_cur + 1 && pgs[i].self == pgs[i].n_cur &&
                pgs[i].osds[pgs[i].self] == 3;
    }
    ok(good, "old-only holder after the current set");
    long total = 0;
    for (int32_t osd = 0; osd < 6; osd++)
        total += osd_recplan_held_pgs(b, osd, work, NULL, 0);
    is_int(total, (64 + 16) * 3 + (long)b->n_moving, "every holder counted once");
    while (b->n_moving > 0)
        pl_map_clear_moving(b, b->moving[0].pool, b->moving[0].pg);
    is_int(osd_recplan_held_pgs(b, 3, work, pgs, 160), 0, "move complete: holds nothing");
    free(work);
    pl_map_destroy(a);
    pl_map_destroy(b);
}

static void test_driver(void)
{
    osd_recplan_pg_t pg = {.pool = 1, .pg = 2, .n = 3, .self = 1, .osds = {4, 0, 2}};
    uint8_t r[3] = {1, 1, 1};
    is_int(osd_recplan_driver(&pg, r), 0, "primary drives");
    r[0] = 0;
    is_int(osd_recplan_driver(&pg, r), 1, "next reachable drives");
    r[1] = 0;
    is_int(osd_recplan_driver(&pg, r), 2, "last one");
    r[2] = 0;
    is_int(osd_recplan_driver(&pg, r), -1, "nobody reachable");
}

static void test_digests(void)
{
    tn_pg_digest_rep_t a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    is_uint(osd_recplan_diff_buckets(&a, &b), 0, "equal");
    ok(!osd_recplan_rows_differ(&a, &b) && !osd_recplan_blobs_differ(&a, &b), "nothing differs");
    b.bucket[3].h1 = 1;
    b.bucket[15].count = 2;
    b.all.h2 = 9;
    is_uint(osd_recplan_diff_buckets(&a, &b), (1u << 3) | (1u << 15), "buckets 3 and 15");
    ok(osd_recplan_rows_differ(&a, &b), "rows differ");
    b.blob_hash = 5;
    ok(osd_recplan_blobs_differ(&a, &b), "blob hash differs");
    b.blob_hash = 0;
    b.blob_count = 1;
    ok(osd_recplan_blobs_differ(&a, &b), "blob count differs");
}

/* ---- merge-join property ---- */

typedef struct {
    uint64_t ns;
    uint8_t key[8];
    size_t key_len;
    tn_row_ver_t ver;
    uint32_t flags;
} trow_t;

static int trow_cmp(const void *x, const void *y)
{
    const trow_t *a = x, *b = y;
    if (a->ns != b->ns)
        return a->ns < b->ns ? -1 : 1;
    return tn_row_key_cmp(a->key, a->key_len, b->key, b->key_len);
}

static tn_row_t as_row(const trow_t *t)
{
    tn_row_t r = {.pool = 1,
                  .pg = 1,
                  .ns = t->ns,
                  .key = t->key,
                  .key_len = t->key_len,
                  .ver = t->ver,
                  .flags = t->flags};
    return r;
}

static void digest_of(const trow_t *rows, size_t n, tn_pg_digest_rep_t *d)
{
    tn_row_digest_t all = {0}, b[TN_ROW_DIGEST_BUCKETS];
    memset(b, 0, sizeof(b));
    for (size_t i = 0; i < n; i++) {
        tn_row_digest_add(&all, rows[i].ns, rows[i].key, rows[i].key_len, &rows[i].ver,
                          rows[i].flags);
        unsigned k = tn_row_digest_bucket(rows[i].key, rows[i].key_len);
        tn_row_digest_add(&b[k], rows[i].ns, rows[i].key, rows[i].key_len, &rows[i].ver,
                          rows[i].flags);
    }
    memset(d, 0, sizeof(*d));
    d->all = (tn_proto_digest_t){all.count, all.h1, all.h2};
    for (int i = 0; i < TN_ROW_DIGEST_BUCKETS; i++)
        d->bucket[i] = (tn_proto_digest_t){b[i].count, b[i].h1, b[i].h2};
}

/* Inserts or replaces by position (keeps the array sorted). */
static void upsert(trow_t *rows, size_t *n, const trow_t *r)
{
    for (size_t i = 0; i < *n; i++)
        if (trow_cmp(&rows[i], r) == 0) {
            rows[i] = *r;
            return;
        }
    rows[(*n)++] = *r;
    qsort(rows, *n, sizeof(*rows), trow_cmp);
}

#define UNIVERSE 60

static void test_merge_property(void)
{
    int all_good = 1, rounds = 300;
    unsigned pulls = 0, pushes = 0;
    for (int round = 0; round < rounds; round++) {
        /* a universe of keys; each replica holds a random subset with random versions */
        trow_t uni[UNIVERSE];
        for (int i = 0; i < UNIVERSE; i++) {
            memset(&uni[i], 0, sizeof(uni[i]));
            uni[i].ns = next_rand() % 3;
            uni[i].key_len = 1 + next_rand() % 6;
            for (size_t j = 0; j < uni[i].key_len; j++)
                uni[i].key[j] = (uint8_t)('a' + next_rand() % 4);
        }
        trow_t mine[2 * UNIVERSE], theirs[2 * UNIVERSE];
        size_t nm = 0, nt = 0;
        for (int i = 0; i < UNIVERSE; i++) {
            trow_t r = uni[i];
            int where = (int)(next_rand() % 4); /* 0 mine only, 1 theirs only, 2 both, 3 none */
            /* a version is one write: its flags follow from it */
            if (where == 0 || where == 2) {
                r.ver.hlc = 100 + next_rand() % 3;
                r.ver.vid[0] = (uint8_t)next_rand();
                r.flags = r.ver.vid[0] & 1u;
                upsert(mine, &nm, &r);
            }
            if (where == 1 || where == 2) {
                if (where == 1 || next_rand() % 2) {
                    r.ver.hlc = 100 + next_rand() % 3;
                    r.ver.vid[0] = (uint8_t)next_rand();
                    r.flags = r.ver.vid[0] & 1u;
                }
                upsert(theirs, &nt, &r);
            }
        }
        tn_pg_digest_rep_t dm, dt;
        digest_of(mine, nm, &dm);
        digest_of(theirs, nt, &dt);
        unsigned mask = osd_recplan_diff_buckets(&dm, &dt);
        /* run the join over snapshots; apply the actions afterwards */
        trow_t sm[2 * UNIVERSE], st[2 * UNIVERSE], pulled[2 * UNIVERSE], pushed[2 * UNIVERSE];
        size_t np = 0, nq = 0, i = 0, j = 0;
        memcpy(sm, mine, nm * sizeof(*sm));
        memcpy(st, theirs, nt * sizeof(*st));
        int steps = 0;
        while ((i < nm || j < nt) && steps++ < 1000) {
            tn_row_t a = i < nm ? as_row(&sm[i]) : (tn_row_t){0};
            tn_row_t b = j < nt ? as_row(&st[j]) : (tn_row_t){0};
            osd_rp_step_t s = osd_recplan_row_step(i < nm ? &a : NULL, j < nt ? &b : NULL, mask);
            if (s.action == OSD_RP_PULL)
                pulled[np++] = st[j];
            if (s.action == OSD_RP_PUSH)
                pushed[nq++] = sm[i];
            all_good &= s.adv_mine || s.adv_theirs;
            i += s.adv_mine;
            j += s.adv_theirs;
        }
        pulls += (unsigned)np;
        pushes += (unsigned)nq;
        /* merge (newer wins) as the index does */
        for (size_t k = 0; k < np; k++) {
            int found = 0;
            for (size_t x = 0; x < nm; x++)
                if (trow_cmp(&mine[x], &pulled[k]) == 0) {
                    found = 1;
                    all_good &= tn_row_ver_cmp(&pulled[k].ver, &mine[x].ver) > 0;
                }
            (void)found;
            upsert(mine, &nm, &pulled[k]);
        }
        for (size_t k = 0; k < nq; k++) {
            for (size_t x = 0; x < nt; x++)
                if (trow_cmp(&theirs[x], &pushed[k]) == 0)
                    all_good &= tn_row_ver_cmp(&pushed[k].ver, &theirs[x].ver) > 0;
            upsert(theirs, &nt, &pushed[k]);
        }
        digest_of(mine, nm, &dm);
        digest_of(theirs, nt, &dt);
        all_good &= nm == nt && !osd_recplan_rows_differ(&dm, &dt) &&
                    osd_recplan_diff_buckets(&dm, &dt) == 0;
        for (size_t k = 0; k < nm && k < nt; k++)
            all_good &= trow_cmp(&mine[k], &theirs[k]) == 0 &&
                        tn_row_ver_cmp(&mine[k].ver, &theirs[k].ver) == 0;
    }
    ok(all_good, "replicas converge: equal rows, equal digests, only newer versions shipped");
    ok(pulls > 0 && pushes > 0, "both directions were exercised");
}

static void test_mask(void)
{
    trow_t a = {.ns = 1, .key = "k", .key_len = 1, .ver = {.hlc = 5}};
    trow_t b = a;
    b.ver.hlc = 6;
    tn_row_t ra = as_row(&a), rb = as_row(&b);
    unsigned bk = tn_row_digest_bucket("k", 1);
    osd_rp_step_t s = osd_recplan_row_step(&ra, &rb, 1u << bk);
    ok(s.action == OSD_RP_PULL && s.adv_mine && s.adv_theirs, "theirs newer: pull");
    s = osd_recplan_row_step(&rb, &ra, 1u << bk);
    ok(s.action == OSD_RP_PUSH, "mine newer: push");
    s = osd_recplan_row_step(&ra, &rb, ~(1u << bk) & 0xffffu);
    ok(s.action == OSD_RP_NONE && s.adv_mine && s.adv_theirs, "outside the mask: nothing");
    s = osd_recplan_row_step(&ra, &ra, 0xffffu);
    ok(s.action == OSD_RP_NONE, "same version: nothing");
    s = osd_recplan_row_step(NULL, &ra, 0xffffu);
    ok(s.action == OSD_RP_PULL && !s.adv_mine && s.adv_theirs, "missing here: pull");
    s = osd_recplan_row_step(&ra, NULL, 0xffffu);
    ok(s.action == OSD_RP_PUSH && s.adv_mine && !s.adv_theirs, "missing there: push");
    /* namespaces order as unsigned */
    trow_t c = a;
    c.ns = UINT64_MAX;
    tn_row_t rc = as_row(&c);
    s = osd_recplan_row_step(&ra, &rc, 0xffffu);
    ok(s.adv_mine && !s.adv_theirs, "ns 1 before ns 2^64-1");
}

static void test_blobs(void)
{
    osd_rp_blob_t a = {.version = {1}, .part = 2}, b = {.version = {1}, .part = 10},
                  c = {.version = {2}, .part = 0};
    ok(osd_recplan_blob_cmp(&a, &b) < 0 && osd_recplan_blob_cmp(&b, &c) < 0, "order");
    is_int(osd_recplan_blob_cmp(&a, &a), 0, "equal");
    osd_rp_step_t s = osd_recplan_blob_step(&a, &b);
    ok(s.action == OSD_RP_NONE && s.adv_mine && !s.adv_theirs, "local only: never pushed");
    s = osd_recplan_blob_step(&b, &a);
    ok(s.action == OSD_RP_PULL && !s.adv_mine && s.adv_theirs, "peer only: pull");
    s = osd_recplan_blob_step(NULL, &c);
    ok(s.action == OSD_RP_PULL, "nothing here: pull");
    s = osd_recplan_blob_step(&c, NULL);
    ok(s.action == OSD_RP_NONE && s.adv_mine, "peer exhausted");
    s = osd_recplan_blob_step(&c, &c);
    ok(s.action == OSD_RP_NONE && s.adv_mine && s.adv_theirs, "both");
}

static void test_settled(void)
{
    trow_t a = {.ns = 1, .key = "k", .key_len = 1, .ver = {.hlc = (uint64_t)100000 << 16 | 7}};
    tn_row_t r = as_row(&a);
    ok(!osd_recplan_row_settled(&r, 100000, 30000), "just written: not settled");
    ok(!osd_recplan_row_settled(&r, 129999, 30000), "29.999 s old: not settled");
    ok(osd_recplan_row_settled(&r, 130000, 30000), "30 s old: settled");
    ok(osd_recplan_row_settled(&r, 50, 0), "no settle time: a row from the future ships too");
}

static void test_next_due(void)
{
    int good = 1;
    for (uint32_t r = 0; r < 1000; r++) {
        uint64_t d = osd_recplan_next_due(1000, 60000, (uint32_t)next_rand());
        good &= d >= 1000 + 54000 && d <= 61000;
    }
    ok(good, "within 10 % below the interval");
    is_uint(osd_recplan_next_due(5, 1, 77), 6, "tiny interval has no jitter");
}

int main(void)
{
    subtest("held", test_held);
    subtest("held while moving", test_held_moving);
    subtest("driver", test_driver);
    subtest("digests", test_digests);
    subtest("mask", test_mask);
    subtest("merge property", test_merge_property);
    subtest("blobs", test_blobs);
    subtest("settled", test_settled);
    subtest("next due", test_next_due);
    return tt_done();
}
