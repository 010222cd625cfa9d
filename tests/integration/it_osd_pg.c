/*
 * it_osd_pg.c — integration test of tern-osd's repair ops with two daemons: PG_DIGEST is equal
 * on both after the same rows and blobs were written in different orders; PG_ENUM paging (rows
 * and blobs) covers everything exactly once; PG_PUSH of one OSD's rows makes a second OSD's
 * row digest equal to the first's. Driven through the synchronous client library (one client
 * knowing all three OSDs). Usage: it_osd_pg PATH-TO-tern-osd
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "tc_osd.h"
#include "test.h"
#include "tn_hlc.h"

#define NROWS   300
#define HLC(ms) tn_hlc_make(1700000000000ull + (ms), 0)

static tc_cluster_t cl;
static tn_osdc_sync_t *s;
static uint8_t rowbuf[4096];

static size_t row_i(int i)
{
    char key[32];
    snprintf(key, sizeof(key), "k%05d", (i * 7919) % 100000);
    return tc_make_row(rowbuf, sizeof(rowbuf), 1, 6, (uint64_t)(i % 3), key, HLC(i), 1, (uint8_t)i,
                       i % 10 == 0 ? TN_ROW_TOMBSTONE : 0, "value", "d", 1);
}

static int get_digest(int osd, uint32_t pool, uint32_t pg, tn_pg_digest_rep_t *d)
{
    return tn_osdc_sync_pg_digest(s, osd, pool, pg, 0, d);
}

static int put_row(int osd, size_t n)
{
    tn_row_put_rep_t rep;
    return tn_osdc_sync_row_put(s, osd, TN_PROTO_ROW_PUT, rowbuf, n, &rep);
}

static void test_digest(void)
{
    for (int i = 0; i < NROWS; i++)
        put_row(0, row_i(i));
    for (int i = NROWS - 1; i >= 0; i--)
        put_row(1, row_i(i));
    /* The same blobs in different orders. */
    uint8_t data[1000];
    for (int i = 0; i < 12; i++) {
        tn_blobref_t ref;
        tc_ref(&ref, 1, 6, (uint8_t)(i * 13), (uint32_t)i % 3);
        tc_fill(data, sizeof(data), (uint32_t)i);
        is_int(tn_osdc_sync_blob_put(s, 0, &ref, data, sizeof(data)), 0, "blob on osd 0");
        tc_ref(&ref, 1, 6, (uint8_t)((11 - i) * 13), (uint32_t)(11 - i) % 3);
        tc_fill(data, sizeof(data), (uint32_t)(11 - i));
        is_int(tn_osdc_sync_blob_put(s, 1, &ref, data, sizeof(data)), 0, "blob on osd 1");
    }
    tn_pg_digest_rep_t d0, d1;
    is_int(get_digest(0, 1, 6, &d0), 0, "digest 0");
    is_int(get_digest(1, 1, 6, &d1), 0, "digest 1");
    is_uint(d0.all.count, NROWS, "row count");
    ok(memcmp(&d0, &d1, sizeof(d0)) == 0, "digests equal after different write orders");
    is_uint(d0.blob_count, 12, "blob count");
    uint64_t buckets = 0;
    for (int i = 0; i < TN_PROTO_DIGEST_BUCKETS; i++)
        buckets += d0.bucket[i].count;
    is_uint(buckets, NROWS, "bucket counts add up");
    /* One more row on one side: digests differ. */
    size_t n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 6, 0, "extra", HLC(1), 1, 1, 0, "", NULL, 0);
    put_row(0, n);
    is_int(get_digest(0, 1, 6, &d0), 0, "digest 0 again");
    ok(memcmp(&d0.all, &d1.all, sizeof(d0.all)) != 0, "an extra row changes the digest");
    /* The cut-off over the wire (PG 8): a row written between two holders' answers (younger
     * than the cut-off) is left out by both, so they compare equal as of the cut-off. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 8, 0, "old", HLC(1), 1, 1, TN_ROW_TOMBSTONE, "",
                    NULL, 0);
    put_row(0, n);
    put_row(1, n);
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 8, 0, "late", HLC(1000), 1, 2, 0, "", NULL, 0);
    put_row(0, n);
    is_int(get_digest(0, 1, 8, &d0), 0, "digest 0, no cut-off");
    is_int(get_digest(1, 1, 8, &d1), 0, "digest 1, no cut-off");
    ok(memcmp(&d0.all, &d1.all, sizeof(d0.all)) != 0, "no cut-off: the late row differs");
    uint64_t cutoff = HLC(500);
    is_int(tn_osdc_sync_pg_digest(s, 0, 1, 8, cutoff, &d0), 0, "digest 0 at the cut-off");
    is_int(tn_osdc_sync_pg_digest(s, 1, 1, 8, cutoff, &d1), 0, "digest 1 at the cut-off");
    is_uint(d0.all.count, 1, "rows up to the cut-off (the tombstone included)");
    ok(memcmp(&d0, &d1, sizeof(d0)) == 0, "equal as of the cut-off");
    tn_pg_digest_rep_t e;
    is_int(get_digest(0, 1, 7, &e), 0, "empty PG digest");
    is_uint(e.all.count + e.blob_count, 0, "empty PG: zero counts");
}

/* Pages through PG_ENUM; counts items and checks that no row or blob repeats. */
static int enum_all(int osd, uint8_t what, uint32_t limit, int *items, int *pages, int *dups,
                    uint8_t *push, size_t *push_len, uint32_t *push_n, tn_slice_t *push_rows)
{
    uint8_t cursor[1100];
    size_t cur_len = 0;
    static char seen[NROWS * 2 + 10][40];
    int nseen = 0;
    *items = *pages = *dups = 0;
    for (;;) {
        tn_pg_enum_req_t m = {1, 6, what, {(const char *)cursor, cur_len}, limit};
        uint8_t *body = NULL;
        size_t blen = 0;
        if (tn_osdc_sync_pg_enum(s, osd, &m, &body, &blen) != 0)
            return -1;
        tn_proto_iter_t it;
        uint8_t more;
        tn_slice_t cur;
        uint32_t n;
        if (tn_proto_dec_pg_enum_rep(body, blen, &it, &more, &cur, &n) != 0) {
            free(body);
            return -1;
        }
        (*pages)++;
        for (uint32_t i = 0; i < n; i++) {
            char id[40];
            if (what == TN_PROTO_ENUM_ROWS) {
                tn_slice_t rs;
                tn_row_t row;
                if (tn_proto_next_row(&it, &rs) != 1 ||
                    tn_row_decode(rs.base, rs.len, &row, NULL) != 0) {
                    free(body);
                    return -1;
                }
                snprintf(id, sizeof(id), "%llu/%.*s", (unsigned long long)row.ns, (int)row.key_len,
                         row.key);
                if (push != NULL) {
                    memcpy(push + *push_len, rs.base, rs.len);
                    push_rows[*push_n] = (tn_slice_t){(const char *)push + *push_len, rs.len};
                    *push_len += rs.len;
                    (*push_n)++;
                }
            } else {
                tn_blob_item_t bi;
                if (tn_proto_next_blob_item(&it, &bi) != 1) {
                    free(body);
                    return -1;
                }
                snprintf(id, sizeof(id), "%02x.%u.%llu", bi.version[0], bi.part,
                         (unsigned long long)bi.length);
            }
            for (int j = 0; j < nseen; j++)
                if (strcmp(seen[j], id) == 0)
                    (*dups)++;
            if (nseen < (int)TN_ARRAY_SIZE(seen))
                memcpy(seen[nseen++], id, sizeof(id));
            (*items)++;
        }
        memcpy(cursor, cur.base, cur.len);
        cur_len = cur.len;
        free(body);
        if (!more)
            return 0;
        if (*pages > 1000)
            return -1;
    }
}

static void test_enum_push(void)
{
    int items, pages, dups;
    is_int(enum_all(0, TN_PROTO_ENUM_ROWS, 37, &items, &pages, &dups, NULL, NULL, NULL, NULL), 0,
           "enum rows");
    is_int(items, NROWS + 1, "every row once");
    is_int(dups, 0, "no repeats");
    ok(pages >= (NROWS + 1) / 37, "several pages");
    is_int(enum_all(0, TN_PROTO_ENUM_BLOBS, 5, &items, &pages, &dups, NULL, NULL, NULL, NULL), 0,
           "enum blobs");
    is_int(items, 12, "every blob once");
    is_int(dups, 0, "no blob repeats");
    is_int(pages, 3, "three pages of 5");
    /* Ship osd 0's rows to osd 2 (empty) with PG_PUSH in one request. */
    static uint8_t push[NROWS * 200];
    static tn_slice_t prow[NROWS * 2];
    size_t plen = 0;
    uint32_t pn = 0;
    is_int(enum_all(0, TN_PROTO_ENUM_ROWS, 1000, &items, &pages, &dups, push, &plen, &pn, prow), 0,
           "enum for push");
    /* Give osd 2 one row already, newer than osd 0's copy: it must be kept (ignored). */
    size_t n = row_i(5);
    tn_row_t nr;
    tn_row_decode(rowbuf, n, &nr, NULL);
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 6, nr.ns, "k39595", HLC(999999), 9, 9, 0, "newer",
                    NULL, 0);
    is_int(put_row(2, n), 0, "newer row on osd 2");
    uint32_t applied = 0, ignored = 0;
    is_int(tn_osdc_sync_pg_push(s, 2, prow, pn, &applied, &ignored), 0, "PG_PUSH OK");
    is_int(applied + ignored, NROWS + 1, "every row applied or ignored");
    is_int(ignored, 1, "the newer row kept");
    tn_pg_digest_rep_t d0, d2;
    get_digest(0, 1, 6, &d0);
    get_digest(2, 1, 6, &d2);
    ok(memcmp(&d0.all, &d2.all, sizeof(d0.all)) != 0, "differs while osd 2 holds a newer row");
    /* Push it back to osd 0, then the row digests agree. */
    tn_row_put_rep_t rep;
    is_int(tn_osdc_sync_row_put(s, 0, TN_PROTO_ROW_MERGE, rowbuf, n, &rep), 0, "merge newer to 0");
    get_digest(0, 1, 6, &d0);
    ok(memcmp(&d0.all, &d2.all, sizeof(d0.all)) == 0, "row digests equal after PG_PUSH");
    ok(memcmp(d0.bucket, d2.bucket, sizeof(d0.bucket)) == 0, "bucket digests equal");
    /* A pushed row with a bad CRC fails the whole push. */
    n = tc_make_row(rowbuf, sizeof(rowbuf), 1, 6, 0, "zz", HLC(1), 1, 1, 0, "", NULL, 0);
    rowbuf[10] ^= 1;
    tn_slice_t bad = {(const char *)rowbuf, n};
    is_int(tn_osdc_sync_pg_push(s, 2, &bad, 1, &applied, &ignored), TN_ERR_CHECKSUM,
           "bad row CRC in PG_PUSH: CHECKSUM");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-tern-osd\n", argv[0]);
        return 2;
    }
    if (tc_cluster_init(&cl, argv[1], 3, NULL) != 0 || tc_osd_start(&cl, 0, 1) != 0 ||
        tc_osd_start(&cl, 1, 1) != 0 || tc_osd_start(&cl, 2, 1) != 0 ||
        (s = tc_sync_new(&cl, NULL, 0)) == NULL) {
        fprintf(stderr, "cannot start the OSDs\n");
        return 1;
    }
    subtest("digest", test_digest);
    subtest("enum and push", test_enum_push);
    tn_osdc_sync_destroy(s);
    for (int i = 0; i < 3; i++)
        is_int(tc_osd_stop(&cl, i, SIGTERM), 0, "SIGTERM: exit 0");
    return tt_done();
}
