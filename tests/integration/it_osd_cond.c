/*
 * it_osd_cond.c — integration test of ROW_PUT's conditional modes (CREATE, IF_VERSION;
 * PROTOCOL.md §5.4, DESIGN.md rule 11) against real tern-osd daemons, through the real client
 * library (common/tn_osdc_sync.h): create twice (EXIST with the owner's version), retried
 * create, create over an older / under a newer tombstone, IF_VERSION success, PRECONDITION
 * with and without a stored row, STALE_TS, malformed bodies, the wire status numbers, and the
 * property rule 11 needs: two clients racing CREATEs of one key over three OSDs, mostly in
 * different orders, for many rounds (a quarter of them over an old tombstone) — at most one of them
 * ever wins all three replicas, each replica admits exactly one of them, and after the losers
 * roll back their partial wins (ROW_DELETE, purge-if-unchanged) the three replicas hold the
 * same owner or nothing.
 * Usage: it_osd_cond PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"
#include "tn_osdc_sync.h"
#include "tn_row.h"

#define NOSD    3
#define POOL    7
#define PG      3
#define NS      42
#define HLC(ms) tn_hlc_make(1700000000000ull + (ms), 0)

static tc_cluster_t cl;
static uint64_t osd_epoch;

/* ---- helpers ---- */

/* A sync client knowing the three OSDs, at the OSDs' epoch. NULL on failure. */
static tn_osdc_sync_t *new_client(void)
{
    tn_osdc_opts_t o;
    tn_osdc_opts_default(&o);
    o.request_timeout_ms = 15000;
    o.connect_timeout_ms = 5000;
    o.epoch = osd_epoch;
    tn_osdc_sync_t *s = tn_osdc_sync_create(&o);
    if (s == NULL)
        return NULL;
    for (int i = 0; i < NOSD; i++) {
        char addr[64];
        snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)cl.port[i]);
        if (tn_osdc_set_osd(tn_osdc_sync_client(s), i, addr) != 0) {
            tn_osdc_sync_destroy(s);
            return NULL;
        }
    }
    return s;
}

static uint16_t last_status(tn_osdc_sync_t *s)
{
    uint16_t st = 0;
    uint64_t ep, hlc;
    tn_osdc_sync_last(s, &st, &ep, &hlc);
    return st;
}

typedef struct {
    uint8_t buf[256];
    size_t len;
    tn_row_ver_t ver;
} row_t;

static void mkver(tn_row_ver_t *v, uint64_t hlc, uint32_t origin, uint8_t vid)
{
    v->hlc = hlc;
    v->origin = origin;
    memset(v->vid, vid, sizeof(v->vid));
}

/* Encodes a sealed row of key (NUL-terminated) at version (hlc, origin, vid). */
static void mkrow(row_t *r, const char *key, uint64_t hlc, uint32_t origin, uint8_t vid,
                  uint32_t flags, const char *value)
{
    tn_row_t row = {0};
    row.pool = POOL;
    row.pg = PG;
    row.ns = NS;
    row.key = (const uint8_t *)key;
    row.key_len = strlen(key);
    mkver(&row.ver, hlc, origin, vid);
    row.flags = flags;
    row.value = (const uint8_t *)value;
    row.value_len = value != NULL ? strlen(value) : 0;
    if (tn_row_seal(&row) != 0 || tn_row_encode(&row, r->buf, sizeof(r->buf), &r->len) != 0) {
        fprintf(stderr, "cannot encode row\n");
        exit(2);
    }
    r->ver = row.ver;
}

static tn_proto_ver_t pver(const tn_row_ver_t *v)
{
    tn_proto_ver_t p = {.hlc = v->hlc, .origin = v->origin};
    memcpy(p.vid, v->vid, sizeof(p.vid));
    return p;
}

static int same_ver(const tn_proto_ver_t *p, const tn_row_ver_t *v)
{
    return p->hlc == v->hlc && p->origin == v->origin && memcmp(p->vid, v->vid, 16) == 0;
}

static int create(tn_osdc_sync_t *s, int osd, const row_t *r, tn_row_put_rep_t *rep)
{
    return tn_osdc_sync_row_put(s, osd, TN_PROTO_ROW_CREATE, r->buf, r->len, rep);
}

static int put_if(tn_osdc_sync_t *s, int osd, const row_t *r, const tn_row_ver_t *expect,
                  tn_row_put_rep_t *rep)
{
    tn_proto_ver_t e = pver(expect);
    return tn_osdc_sync_row_put_if(s, osd, r->buf, r->len, &e, rep);
}

/* The stored version of key on osd: 1 found (*v set), 0 absent, -1 error. */
static int stored_ver(tn_osdc_sync_t *s, int osd, const char *key, tn_row_ver_t *v, uint32_t *flags)
{
    tn_row_get_req_t g = {POOL, PG, NS, {key, strlen(key)}};
    uint8_t *body = NULL;
    size_t len = 0;
    int rc = tn_osdc_sync_row_get(s, osd, &g, &body, &len);
    if (rc == TN_ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return -1;
    tn_row_t row;
    size_t used = 0;
    int found = -1;
    if (tn_row_decode(body, len, &row, &used) == 0 && used == len) {
        *v = row.ver;
        if (flags != NULL)
            *flags = row.flags;
        found = 1;
    }
    free(body);
    return found;
}

static int purge(tn_osdc_sync_t *s, int osd, const char *key, const tn_row_ver_t *v,
                 uint8_t *result)
{
    tn_row_delete_req_t d = {POOL, PG, NS, {key, strlen(key)}, pver(v)};
    return tn_osdc_sync_row_delete(s, osd, &d, result);
}

/* ---- single-client cases ---- */

static tn_osdc_sync_t *sa, *sb; /* two clients (the race test gives each its own thread) */

static void test_create(void)
{
    row_t a, b, t, c, d;
    tn_row_put_rep_t rep;
    tn_row_ver_t v;
    uint32_t fl;
    mkrow(&a, "bucket/alpha", HLC(100), 1, 0xA1, 0, "tenant-a");
    is_int(create(sa, 0, &a, &rep), 0, "first CREATE");
    is_int(rep.result, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(create(sa, 0, &a, &rep), 0, "the same CREATE again (retry)");
    is_int(rep.result, TN_PROTO_RESULT_UNCHANGED, "unchanged");

    mkrow(&b, "bucket/alpha", HLC(200), 2, 0xB2, 0, "tenant-b");
    is_int(create(sb, 0, &b, &rep), -EEXIST, "second CREATE by another client: -EEXIST");
    is_int(last_status(sb), 37, "wire status EXIST is 37");
    ok(rep.has_stored && same_ver(&rep.stored, &a.ver), "EXIST carries the first's version");
    mkrow(&b, "bucket/alpha", HLC(50), 2, 0xB2, 0, "tenant-b");
    is_int(create(sb, 0, &b, &rep), -EEXIST, "an older CREATE over a live row: EXIST too");
    ok(rep.has_stored && same_ver(&rep.stored, &a.ver), "with the owner's version");
    is_int(stored_ver(sa, 0, "bucket/alpha", &v, NULL), 1, "row readable");
    ok(tn_row_ver_cmp(&v, &a.ver) == 0, "the first creator still owns it");

    /* delete (tombstone), then create after it */
    mkrow(&t, "bucket/alpha", HLC(300), 1, 0xA1, TN_ROW_TOMBSTONE, NULL);
    is_int(tn_osdc_sync_row_put(sa, 0, TN_PROTO_ROW_PUT, t.buf, t.len, &rep), 0, "tombstone");
    mkrow(&c, "bucket/alpha", HLC(250), 2, 0xB3, 0, "tenant-b");
    is_int(create(sb, 0, &c, &rep), TN_ERR_STALE_TS, "CREATE under a newer tombstone: STALE_TS");
    is_int(last_status(sb), 11, "wire status STALE_TS is 11");
    ok(rep.has_stored && same_ver(&rep.stored, &t.ver), "with the tombstone's version");
    mkrow(&c, "bucket/alpha", HLC(301), 2, 0xB3, 0, "tenant-b");
    is_int(create(sb, 0, &c, &rep), 0, "CREATE after the tombstone (re-stamped)");
    is_int(rep.result, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(stored_ver(sa, 0, "bucket/alpha", &v, &fl), 1, "row readable");
    ok(tn_row_ver_cmp(&v, &c.ver) == 0 && !(fl & TN_ROW_TOMBSTONE), "new owner, live");
    mkrow(&d, "bucket/alpha", HLC(400), 1, 0xA4, 0, "tenant-a");
    is_int(create(sa, 0, &d, &rep), -EEXIST, "the old owner cannot take it back");
    ok(rep.has_stored && same_ver(&rep.stored, &c.ver), "EXIST names the new owner");

    /* other replicas are independent */
    is_int(stored_ver(sa, 1, "bucket/alpha", &v, NULL), 0, "nothing on OSD 1");
}

static void test_if_version(void)
{
    row_t a, b, c, t, x;
    tn_row_put_rep_t rep;
    tn_row_ver_t v;
    uint32_t fl = 0;
    mkrow(&x, "bucket/none", HLC(10), 1, 0x01, 0, "x");
    tn_row_ver_t some;
    mkver(&some, HLC(5), 1, 0x01);
    is_int(put_if(sa, 1, &x, &some, &rep), TN_ERR_PRECONDITION,
           "IF_VERSION of an absent row: TN_ERR_PRECONDITION");
    is_int(last_status(sa), 14, "wire status PRECONDITION is 14");
    ok(!rep.has_stored, "empty body: nothing stored");
    is_int(stored_ver(sa, 1, "bucket/none", &v, NULL), 0, "still absent");

    mkrow(&a, "bucket/beta", HLC(100), 1, 0xA1, 0, "v1");
    is_int(create(sa, 1, &a, &rep), 0, "create beta");
    mkrow(&b, "bucket/beta", HLC(200), 1, 0xA2, 0, "v2");
    is_int(put_if(sa, 1, &b, &a.ver, &rep), 0, "IF_VERSION with the stored version");
    is_int(rep.result, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(put_if(sa, 1, &b, &a.ver, &rep), 0, "the same IF_VERSION again (retry)");
    is_int(rep.result, TN_PROTO_RESULT_UNCHANGED, "unchanged");

    mkrow(&c, "bucket/beta", HLC(300), 2, 0xB3, 0, "v3");
    is_int(put_if(sb, 1, &c, &a.ver, &rep), TN_ERR_PRECONDITION,
           "IF_VERSION expecting a replaced version: PRECONDITION");
    is_int(last_status(sb), 14, "status 14");
    ok(rep.has_stored && same_ver(&rep.stored, &b.ver), "carries the stored version");
    is_int(stored_ver(sa, 1, "bucket/beta", &v, NULL), 1, "row readable");
    ok(tn_row_ver_cmp(&v, &b.ver) == 0, "untouched");

    mkrow(&c, "bucket/beta", HLC(150), 2, 0xB3, 0, "v3");
    is_int(put_if(sb, 1, &c, &b.ver, &rep), TN_ERR_STALE_TS,
           "right expectation, stale timestamp: STALE_TS (not PRECONDITION)");
    is_int(last_status(sb), 11, "status 11");
    ok(rep.has_stored && same_ver(&rep.stored, &b.ver), "carries the stored version");

    /* conditional delete: a tombstone written by IF_VERSION */
    mkrow(&t, "bucket/beta", HLC(400), 2, 0xB4, TN_ROW_TOMBSTONE, NULL);
    is_int(put_if(sb, 1, &t, &b.ver, &rep), 0, "delete-if-version");
    is_int(rep.result, TN_PROTO_RESULT_APPLIED, "applied");
    is_int(stored_ver(sa, 1, "bucket/beta", &v, &fl), 1, "tombstone readable");
    ok(tn_row_ver_cmp(&v, &t.ver) == 0 && (fl & TN_ROW_TOMBSTONE), "a tombstone");
    is_int(put_if(sa, 1, &c, &b.ver, &rep), TN_ERR_PRECONDITION, "deleted meanwhile");
    ok(rep.has_stored && same_ver(&rep.stored, &t.ver), "the tombstone's version");

    /* malformed bodies */
    uint8_t body[300];
    body[0] = TN_PROTO_ROW_IF_VERSION;
    body[1] = (uint8_t)a.len;
    body[2] = body[3] = body[4] = 0;
    memcpy(body + 5, a.buf, a.len);
    uint8_t *out = NULL;
    size_t outlen = 0;
    is_int(tn_osdc_sync_call(sa, 1, TN_OP_ROW_PUT, body, 5 + a.len, &out, &outlen), TN_ERR_PROTO,
           "IF_VERSION without the expected version: PROTO");
    is_int(last_status(sa), 5, "status 5");
    body[0] = 4;
    is_int(tn_osdc_sync_call(sa, 1, TN_OP_ROW_PUT, body, 5 + a.len, &out, &outlen), TN_ERR_PROTO,
           "unknown mode 4: PROTO");
    body[0] = TN_PROTO_ROW_CREATE;
    memset(body + 5 + a.len, 0, 28);
    is_int(tn_osdc_sync_call(sa, 1, TN_OP_ROW_PUT, body, 5 + a.len + 28, &out, &outlen),
           TN_ERR_PROTO, "CREATE with an expected version: PROTO (trailing bytes)");
    is_int(tn_osdc_row_put(tn_osdc_sync_client(sa), 1, TN_PROTO_ROW_IF_VERSION, a.buf, a.len, NULL,
                           NULL, NULL),
           -EINVAL, "tn_osdc_row_put refuses IF_VERSION (needs tn_osdc_row_put_if)");
    is_int(tn_osdc_sync_row_put_if(sa, 1, a.buf, a.len, NULL, &rep), -EINVAL,
           "row_put_if without an expected version: -EINVAL");
}

/* ---- the race (rule 11) ---- */

#define MAX_ROUNDS 400

static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

typedef struct {
    int id; /* 0 or 1 */
    tn_osdc_sync_t *s;
    pthread_t th;
    /* per round, set by the thread */
    int won[NOSD];    /* 1 applied/unchanged, 0 EXIST, -1 anything else */
    int exist_other;  /* EXIST replies that named the other client's version */
    int errors;       /* unexpected outcomes */
    int rolled_back;  /* replicas purged after a partial win */
    tn_row_ver_t ver; /* this round's version */
} racer_t;

static racer_t racers[2];
static pthread_barrier_t bar;
static int rounds;

static void round_key(int r, char *key, size_t cap)
{
    snprintf(key, cap, "race/%04d", r);
}

static void *racer_main(void *arg)
{
    racer_t *me = arg;
    for (int r = 0; r < rounds; r++) {
        pthread_barrier_wait(&bar); /* round start */
        char key[32];
        round_key(r, key, sizeof(key));
        row_t row;
        mkrow(&row, key, HLC(10000 + (uint64_t)r), (uint32_t)(me->id + 1),
              (uint8_t)(0x10 * (me->id + 1) + (r & 0xF)), 0, me->id ? "B" : "A");
        me->ver = row.ver;
        /* Orders differ in two rounds of three (each client then tends to take the replica
         * it asks first: a split); in the third both use the same order, and one side starts
         * a little late in some rounds (so one of them can win all three). */
        int same = r % 3 == 0;
        const int *order =
            me->id == 0 || same ? perms[r % 6] : perms[(r % 6 + 1 + (r / 6) % 5) % 6];
        if (me->id == (r & 1) && r % 5 < 2)
            usleep((useconds_t)(200 * (r % 5 + 1)));
        int all = 1;
        for (int k = 0; k < NOSD; k++) {
            int osd = order[k];
            tn_row_put_rep_t rep;
            int rc = create(me->s, osd, &row, &rep);
            if (rc == 0 && (rep.result == TN_PROTO_RESULT_APPLIED ||
                            rep.result == TN_PROTO_RESULT_UNCHANGED)) {
                me->won[osd] = 1;
            } else if (rc == -EEXIST && rep.has_stored) {
                me->won[osd] = 0;
                all = 0;
                if (rep.stored.origin == (uint32_t)(2 - me->id))
                    me->exist_other++;
            } else {
                me->won[osd] = -1;
                me->errors++;
                all = 0;
            }
        }
        pthread_barrier_wait(&bar); /* both created */
        pthread_barrier_wait(&bar); /* main has checked the replicas' admissions */
        /* roll back a partial win: purge-if-unchanged of our own version. (The phases are
         * separated so the test can check each replica's admission; a real creator rolls back
         * as soon as it has lost one replica, which only frees the name sooner.) */
        if (!all) {
            for (int osd = 0; osd < NOSD; osd++) {
                if (me->won[osd] != 1)
                    continue;
                uint8_t res = 0;
                if (purge(me->s, osd, key, &me->ver, &res) != 0 || res != TN_PROTO_RESULT_PURGED)
                    me->errors++;
                else
                    me->rolled_back++;
            }
        }
        pthread_barrier_wait(&bar); /* round done */
        pthread_barrier_wait(&bar); /* main has checked */
    }
    return NULL;
}

static void test_race(void)
{
    const char *san = getenv("TC_SANITIZED");
    rounds = san != NULL && *san == '1' ? 90 : 300;
    if (rounds > MAX_ROUNDS)
        rounds = MAX_ROUNDS;
    tn_osdc_sync_t *mainc = new_client();
    ok(mainc != NULL, "checker client");
    tn_osdc_sync_t *cs[2] = {new_client(), new_client()};
    ok(cs[0] != NULL && cs[1] != NULL, "two racing clients");
    if (mainc == NULL || cs[0] == NULL || cs[1] == NULL)
        return;
    pthread_barrier_init(&bar, NULL, 3);
    for (int i = 0; i < 2; i++) {
        memset(&racers[i], 0, sizeof(racers[i]));
        racers[i].id = i;
        racers[i].s = cs[i];
        pthread_create(&racers[i].th, NULL, racer_main, &racers[i]);
    }
    int both_all = 0, a_all = 0, b_all = 0, split = 0, not_exclusive = 0, after_bad = 0;
    int tomb_rounds = 0, seed_bad = 0;
    for (int r = 0; r < rounds; r++) {
        char key[32];
        round_key(r, key, sizeof(key));
        /* every fourth round the name was used before: an old tombstone on every replica */
        if (r % 4 == 3) {
            row_t t;
            mkrow(&t, key, HLC(5000 + (uint64_t)r), 9, 0x99, TN_ROW_TOMBSTONE, NULL);
            tn_row_put_rep_t rep;
            for (int osd = 0; osd < NOSD; osd++)
                seed_bad +=
                    tn_osdc_sync_row_put(mainc, osd, TN_PROTO_ROW_PUT, t.buf, t.len, &rep) != 0;
            tomb_rounds++;
        }
        pthread_barrier_wait(&bar); /* go */
        pthread_barrier_wait(&bar); /* both created */
        racer_t *A = &racers[0], *B = &racers[1];
        int wa = 0, wb = 0;
        for (int osd = 0; osd < NOSD; osd++) {
            wa += A->won[osd] == 1;
            wb += B->won[osd] == 1;
            /* each replica admitted exactly one of them */
            if ((A->won[osd] == 1) + (B->won[osd] == 1) != 1)
                not_exclusive++;
        }
        pthread_barrier_wait(&bar); /* let them roll back */
        pthread_barrier_wait(&bar); /* rolled back */
        if (wa == NOSD && wb == NOSD)
            both_all++;
        else if (wa == NOSD)
            a_all++;
        else if (wb == NOSD)
            b_all++;
        else
            split++;
        /* after rollback: every replica holds the full winner's version, or nothing (or the
         * seeded tombstone) */
        const tn_row_ver_t *owner = wa == NOSD ? &A->ver : wb == NOSD ? &B->ver : NULL;
        for (int osd = 0; osd < NOSD; osd++) {
            tn_row_ver_t v;
            uint32_t fl = 0;
            int f = stored_ver(mainc, osd, key, &v, &fl);
            if (owner != NULL)
                after_bad += !(f == 1 && tn_row_ver_cmp(&v, owner) == 0);
            else
                after_bad += !(f == 0 || (f == 1 && (fl & TN_ROW_TOMBSTONE) && v.origin == 9));
        }
        pthread_barrier_wait(&bar); /* next round */
    }
    for (int i = 0; i < 2; i++)
        pthread_join(racers[i].th, NULL);
    pthread_barrier_destroy(&bar);
    printf("# %d rounds (%d over an old tombstone): A won all %d, B won all %d, split %d;"
           " EXIST naming the other: A %d, B %d; rolled back %d + %d replicas\n",
           rounds, tomb_rounds, a_all, b_all, split, racers[0].exist_other, racers[1].exist_other,
           racers[0].rolled_back, racers[1].rolled_back);
    is_int(seed_bad, 0, "tombstones seeded");
    is_int(racers[0].errors + racers[1].errors, 0, "no outcome other than win or EXIST");
    is_int(both_all, 0, "never did both clients win all three replicas (rule 11)");
    is_int(not_exclusive, 0, "every replica admitted exactly one creator per round");
    is_int(after_bad, 0, "after rollback: the full winner's row everywhere, or no owner anywhere");
    is_int(a_all + b_all + split, rounds, "every round accounted for");
    is_int(racers[0].exist_other + racers[1].exist_other, rounds * NOSD,
           "every lost replica answered EXIST naming the other client's version");
    tn_osdc_sync_destroy(cs[0]);
    tn_osdc_sync_destroy(cs[1]);
    tn_osdc_sync_destroy(mainc);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    if (tc_cluster_init(&cl, argv[1], NOSD, NULL) != 0) {
        fprintf(stderr, "cannot set up the cluster\n");
        return 1;
    }
    for (int i = 0; i < NOSD; i++)
        if (tc_osd_start(&cl, i, 1) != 0) {
            fprintf(stderr, "cannot start OSD %d\n", i);
            return 1;
        }
    /* learn the epoch (every OSD runs the same generated map) */
    tn_osdc_sync_t *probe = new_client();
    if (probe == NULL) {
        fprintf(stderr, "cannot create a client\n");
        return 1;
    }
    uint64_t ep[NOSD] = {0};
    for (int i = 0; i < NOSD; i++) {
        tn_ping_rep_t p;
        uint16_t st;
        uint64_t hlc;
        is_int(tn_osdc_sync_ping(probe, i, &p), 0, "ping");
        tn_osdc_sync_last(probe, &st, &ep[i], &hlc);
    }
    tn_osdc_sync_destroy(probe);
    ok(ep[0] != 0 && ep[0] == ep[1] && ep[1] == ep[2], "the three OSDs share an epoch");
    osd_epoch = ep[0];
    sa = new_client();
    sb = new_client();
    if (sa == NULL || sb == NULL) {
        fprintf(stderr, "cannot create clients\n");
        return 1;
    }
    subtest("CREATE", test_create);
    subtest("IF_VERSION", test_if_version);
    subtest("racing CREATEs over three OSDs", test_race);
    tn_osdc_sync_destroy(sa);
    tn_osdc_sync_destroy(sb);
    for (int i = 0; i < NOSD; i++)
        is_int(tc_osd_stop(&cl, i, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
