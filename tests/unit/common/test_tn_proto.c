/* Unit tests for common/tn_proto.c: every op body round-trips (ROW_PUT's conditional modes
 * included, with IF_VERSION's exact wire bytes), and every truncation, trailing byte or
 * out-of-range value is refused. */
#include "tn_proto.h"
#include "test.h"

typedef int (*dec_fn)(const void *buf, size_t len, void *msg);

/* Checks that buf[0..len) decodes, that every shorter prefix and one extra byte do not. */
static void check_exact(const char *what, const uint8_t *buf, size_t len, dec_fn dec, void *msg)
{
    uint8_t tmp[512];
    ok(len + 1 <= sizeof(tmp), "test buffer large enough");
    is_int(dec(buf, len, msg), TN_OK, what);
    int all_short_fail = 1;
    for (size_t cut = 0; cut < len; cut++)
        if (dec(buf, cut, msg) != TN_ERR_PROTO)
            all_short_fail = 0;
    ok(all_short_fail, "every truncation refused");
    memcpy(tmp, buf, len);
    tmp[len] = 0;
    is_int(dec(tmp, len + 1, msg), TN_ERR_PROTO, "trailing byte refused");
    is_int(dec(buf, len, msg), TN_OK, "decodes again");
}

/* One writer for the whole test: enc_start(buf) resets it, enc_done(buf) checks it and
 * returns the encoded length. ENC(buf, call) wraps one encoding call. */
static tn_wire_w_t w_;

static void enc_start(uint8_t *buf, size_t cap)
{
    tn_wire_w_init(&w_, buf, cap);
}

static size_t enc_done(const uint8_t *buf)
{
    ok(w_.err == TN_OK, "encodes");
    return (size_t)(w_.p - buf);
}

#define ENC(buf, call) (enc_start((buf), sizeof(buf)), (call), enc_done(buf))

static void test_ping_map(void)
{
    uint8_t b[256];
    tn_ping_rep_t p = {7, 0x1122334455667788ull, 1700000000000ull, TN_PROTO_STATE_WRITABLE}, q;
    size_t n = ENC(b, tn_proto_enc_ping_rep(&w_, &p));
    is_int(n, 24, "ping reply size");
    check_exact("ping rep", b, n, (dec_fn)tn_proto_dec_ping_rep, &q);
    ok(q.osd_id == 7 && q.incarnation == p.incarnation && q.wall_ms == p.wall_ms &&
           q.state == p.state,
       "ping reply fields");

    static const uint8_t mapbytes[] = "MAPBYTES";
    tn_map_offer_req_t o = {TN_PROTO_MAP_CAS, 41, {(const char *)mapbytes, 8}}, o2;
    n = ENC(b, tn_proto_enc_map_offer_req(&w_, &o));
    check_exact("map offer", b, n, (dec_fn)tn_proto_dec_map_offer_req, &o2);
    ok(o2.mode == 1 && o2.base_epoch == 41 && o2.map.len == 8 &&
           memcmp(o2.map.base, mapbytes, 8) == 0,
       "map offer fields");
    b[0] = 2;
    is_int(tn_proto_dec_map_offer_req(b, n, &o2), TN_ERR_PROTO, "unknown mode refused");
}

static void test_stats(void)
{
    uint8_t b[256];
    enc_start(b, sizeof(b));
    tn_proto_enc_stats_rep_begin(&w_, 2);
    tn_proto_enc_stats_rep_entry(&w_, "blob.puts", 5);
    tn_proto_enc_stats_rep_entry(&w_, "idx.batches", 1ull << 40);
    size_t n = enc_done(b);
    tn_proto_iter_t it;
    uint32_t cnt;
    is_int(tn_proto_dec_stats_rep(b, n, &it, &cnt), TN_OK, "stats header");
    is_int(cnt, 2, "count");
    tn_slice_t name;
    uint64_t v;
    is_int(tn_proto_next_stat(&it, &name, &v), 1, "first");
    ok(name.len == 9 && memcmp(name.base, "blob.puts", 9) == 0 && v == 5, "first entry");
    is_int(tn_proto_next_stat(&it, &name, &v), 1, "second");
    ok(v == 1ull << 40, "second value");
    is_int(tn_proto_next_stat(&it, &name, &v), 0, "end");
    /* a count larger than the bytes can hold is refused up front */
    b[0] = 0xff;
    is_int(tn_proto_dec_stats_rep(b, n, &it, &cnt), TN_ERR_PROTO, "impossible count");
    /* a count smaller than the entries leaves trailing bytes: refused at the end */
    b[0] = 1;
    is_int(tn_proto_dec_stats_rep(b, n, &it, &cnt), TN_OK, "count 1");
    is_int(tn_proto_next_stat(&it, &name, &v), 1, "one entry");
    is_int(tn_proto_next_stat(&it, &name, &v), TN_ERR_PROTO, "trailing entry refused");
}

static void test_blobs(void)
{
    uint8_t b[256];
    tn_blob_put_begin_t pb = {{3, 0x1f, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 2},
                              5u << 20},
                        pb2;
    size_t n = ENC(b, tn_proto_enc_blob_put_begin(&w_, &pb));
    is_int(n, TN_PROTO_BLOBREF_LEN + 8, "begin size");
    check_exact("put begin", b, n, (dec_fn)tn_proto_dec_blob_put_begin, &pb2);
    ok(pb2.ref.pool == pb.ref.pool && pb2.ref.pg == pb.ref.pg && pb2.ref.part == pb.ref.part &&
           memcmp(pb2.ref.version, pb.ref.version, TN_PROTO_VID_LEN) == 0 &&
           pb2.total_len == pb.total_len,
       "put begin fields"); /* field by field: the struct has padding */

    enc_start(b, sizeof(b));
    tn_proto_enc_blob_put_data_prefix(&w_, 4096, 3);
    tn_wire_put_raw(&w_, "xyz", 3);
    n = enc_done(b);
    is_int(n, TN_PROTO_PUT_DATA_PREFIX + 3, "data size");
    tn_blob_put_data_t d;
    check_exact("put data", b, n, (dec_fn)tn_proto_dec_blob_put_data, &d);
    ok(d.offset == 4096 && d.data.len == 3 && memcmp(d.data.base, "xyz", 3) == 0, "data fields");

    enc_start(b, sizeof(b));
    tn_proto_enc_blob_get_rep_prefix(&w_, 10, 8, 2);
    tn_wire_put_raw(&w_, "ab", 2);
    n = enc_done(b);
    tn_blob_get_rep_t g;
    check_exact("get rep", b, n, (dec_fn)tn_proto_dec_blob_get_rep, &g);
    ok(g.blob_len == 10 && g.offset == 8 && g.data.len == 2, "get rep fields");
    enc_start(b, sizeof(b));
    tn_proto_enc_blob_get_rep_prefix(&w_, 10, 9, 2);
    tn_wire_put_raw(&w_, "ab", 2);
    n = enc_done(b);
    is_int(tn_proto_dec_blob_get_rep(b, n, &g), TN_ERR_PROTO, "data past blob_len refused");

    tn_blob_stat_rep_t s = {1, 77}, s2;
    n = ENC(b, tn_proto_enc_blob_stat_rep(&w_, &s));
    check_exact("stat rep", b, n, (dec_fn)tn_proto_dec_blob_stat_rep, &s2);
    b[0] = 2;
    is_int(tn_proto_dec_blob_stat_rep(b, n, &s2), TN_ERR_PROTO, "exists > 1 refused");
}

/* ROW_PUT of any mode: the request and the expected version decoded together. */
typedef struct {
    tn_row_put_req_t m;
    tn_proto_ver_t expect;
} put_any_t;

static int dec_put_any(const void *buf, size_t len, void *msg)
{
    put_any_t *a = msg;
    return tn_proto_dec_row_put_any(buf, len, &a->m, &a->expect);
}

static void test_row_put_cond(void)
{
    uint8_t b[512];
    /* CREATE: the plain layout, mode 2 */
    tn_row_put_req_t cr = {TN_PROTO_ROW_CREATE, {"ROWBYTES", 8}}, cr2;
    size_t n = ENC(b, tn_proto_enc_row_put_req(&w_, &cr));
    is_int(n, tn_proto_row_put_req_size(TN_PROTO_ROW_CREATE, 8), "CREATE size");
    is_int(n, 13, "CREATE is u8 mode + bytes row");
    check_exact("row put CREATE", b, n, (dec_fn)tn_proto_dec_row_put_req, &cr2);
    ok(cr2.mode == TN_PROTO_ROW_CREATE && cr2.row.len == 8 &&
           memcmp(cr2.row.base, "ROWBYTES", 8) == 0,
       "CREATE fields");
    put_any_t a;
    memset(&a.expect, 0x77, sizeof(a.expect));
    is_int(dec_put_any(b, n, &a), TN_OK, "CREATE through dec_row_put_any");
    ok(a.m.mode == TN_PROTO_ROW_CREATE && a.expect.hlc == 0 && a.expect.origin == 0 &&
           a.expect.vid[0] == 0 && a.expect.vid[15] == 0,
       "no expected version: zeroed");
    /* a PUT body followed by a version is not an IF_VERSION: trailing bytes */
    uint8_t t[64];
    memcpy(t, b, n);
    memset(t + n, 1, 28);
    is_int(dec_put_any(t, n + 28, &a), TN_ERR_PROTO, "CREATE with an expected version refused");

    /* IF_VERSION: u8 3, bytes row, u64 hlc, u32 origin, vid */
    tn_proto_ver_t ex = {0x1122334455667788ull, 0xA1B2C3D4u, {0}};
    for (int i = 0; i < TN_PROTO_VID_LEN; i++)
        ex.vid[i] = (uint8_t)(0xF0 + i);
    n = ENC(b, tn_proto_enc_row_put_if_req(&w_, (tn_slice_t){"ROWBYTES", 8}, &ex));
    is_int(n, tn_proto_row_put_req_size(TN_PROTO_ROW_IF_VERSION, 8), "IF_VERSION size");
    is_int(n, 1 + 4 + 8 + 8 + 4 + 16, "IF_VERSION is 41 bytes for an 8-byte row");
    static const uint8_t want[41] = {
        3,    8,    0,    0,    0,    'R',  'O',  'W',  'B',  'Y',  'T',  'E',  'S',  0x88,
        0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xD4, 0xC3, 0xB2, 0xA1, 0xF0, 0xF1, 0xF2,
        0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF};
    is_mem(b, want, sizeof(want), "IF_VERSION wire bytes (little-endian, version after row)");
    check_exact("row put IF_VERSION", b, n, dec_put_any, &a);
    ok(a.m.mode == TN_PROTO_ROW_IF_VERSION && a.m.row.len == 8 &&
           memcmp(a.m.row.base, "ROWBYTES", 8) == 0 && a.expect.hlc == ex.hlc &&
           a.expect.origin == ex.origin && memcmp(a.expect.vid, ex.vid, 16) == 0,
       "IF_VERSION fields");
    is_int(tn_proto_dec_row_put_req(b, n, &cr2), TN_ERR_PROTO,
           "dec_row_put_req refuses IF_VERSION (its struct has no room for the version)");
    /* IF_VERSION without its expected version */
    b[0] = TN_PROTO_ROW_IF_VERSION;
    n = ENC(b, tn_proto_enc_row_put_req(
                   &w_, &(tn_row_put_req_t){TN_PROTO_ROW_IF_VERSION, {"ROWBYTES", 8}}));
    is_int(dec_put_any(b, n, &a), TN_ERR_PROTO, "IF_VERSION without the expected version");
    b[0] = TN_PROTO_ROW_MODE_MAX + 1;
    is_int(dec_put_any(b, n, &a), TN_ERR_PROTO, "unknown mode refused");
    is_int(tn_proto_dec_row_put_req(b, n, &cr2), TN_ERR_PROTO, "unknown mode refused (req)");
    for (uint8_t m = 0; m <= TN_PROTO_ROW_CREATE; m++) {
        b[0] = m;
        is_int(tn_proto_dec_row_put_req(b, n, &cr2), TN_OK, "modes 0..2 accepted");
    }

    /* PRECONDITION reply: empty (nothing stored) or a version; EXIST reply: a version */
    tn_row_put_rep_t rep;
    rep.has_stored = 1;
    is_int(tn_proto_dec_row_put_precondition(b, 0, &rep), TN_OK, "empty PRECONDITION body");
    ok(!rep.has_stored, "nothing stored");
    n = ENC(b, tn_proto_enc_row_put_stale(&w_, &ex));
    is_int(n, 28, "a version is 28 bytes");
    is_int(tn_proto_dec_row_put_precondition(b, n, &rep), TN_OK, "PRECONDITION with a version");
    int bad_ok = 0;
    for (size_t cut = 1; cut < n; cut++)
        bad_ok += tn_proto_dec_row_put_precondition(b, cut, &rep) != TN_ERR_PROTO;
    is_int(bad_ok, 0, "every partial version refused");
    b[n] = 0;
    is_int(tn_proto_dec_row_put_precondition(b, n + 1, &rep), TN_ERR_PROTO, "trailing byte");
    is_int(tn_proto_dec_row_put_precondition(b, n, &rep), TN_OK, "decodes again");
    ok(rep.has_stored && rep.stored.hlc == ex.hlc && rep.stored.origin == ex.origin &&
           memcmp(rep.stored.vid, ex.vid, 16) == 0,
       "PRECONDITION carries the stored version");
    is_int(tn_proto_dec_row_put_rep(b, n, 1, &rep), TN_OK, "EXIST body decodes like STALE_TS");
    ok(rep.has_stored && rep.stored.hlc == ex.hlc, "EXIST carries the stored version");
    is_int(tn_proto_dec_row_put_rep(b, 0, 1, &rep), TN_ERR_PROTO, "EXIST body may not be empty");
}

static void test_rows(void)
{
    uint8_t b[512];
    tn_row_put_req_t pr = {TN_PROTO_ROW_MERGE, {"ROWBYTES", 8}}, pr2;
    size_t n = ENC(b, tn_proto_enc_row_put_req(&w_, &pr));
    check_exact("row put", b, n, (dec_fn)tn_proto_dec_row_put_req, &pr2);
    ok(pr2.mode == 1 && pr2.row.len == 8, "row put fields");

    tn_proto_ver_t ver = {0x123456789ull, 9, {0xaa}};
    tn_row_put_rep_t rep;
    n = ENC(b, tn_proto_enc_row_put_stale(&w_, &ver));
    is_int(tn_proto_dec_row_put_rep(b, n, 1, &rep), TN_OK, "stale reply");
    ok(rep.has_stored && rep.stored.hlc == ver.hlc && rep.stored.origin == 9 &&
           rep.stored.vid[0] == 0xaa,
       "stale reply carries the stored version");
    n = ENC(b, tn_proto_enc_row_put_rep(&w_, TN_PROTO_RESULT_UNCHANGED));
    is_int(tn_proto_dec_row_put_rep(b, n, 0, &rep), TN_OK, "ok reply");
    is_int(rep.result, TN_PROTO_RESULT_UNCHANGED, "result");
    b[0] = 9;
    is_int(tn_proto_dec_row_put_rep(b, n, 0, &rep), TN_ERR_PROTO, "unknown result refused");

    tn_row_list_req_t lr = {1, 2, 3, {"pre", 3}, {"pre/x", 5}, 1000, TN_PROTO_LIST_WITH_INLINE},
                      lr2;
    n = ENC(b, tn_proto_enc_row_list_req(&w_, &lr));
    check_exact("list req", b, n, (dec_fn)tn_proto_dec_row_list_req, &lr2);
    ok(lr2.limit == 1000 && lr2.prefix.len == 3 && lr2.start_after.len == 5 && lr2.flags == 1,
       "list req fields");
    lr.limit = 0;
    n = ENC(b, tn_proto_enc_row_list_req(&w_, &lr));
    is_int(tn_proto_dec_row_list_req(b, n, &lr2), TN_ERR_PROTO, "limit 0 refused");
    lr.limit = TN_PROTO_MAX_LIST + 1;
    n = ENC(b, tn_proto_enc_row_list_req(&w_, &lr));
    is_int(tn_proto_dec_row_list_req(b, n, &lr2), TN_ERR_PROTO, "limit too large refused");

    tn_row_entry_t e1 = {{"a", 1}, ver, 1, {"v", 1}, 0}, e2 = {{"b/c", 3}, ver, 0, {"", 0}, 99}, e;
    enc_start(b, sizeof(b));
    tn_proto_enc_row_list_rep_begin(&w_, 1, 2);
    tn_proto_enc_row_entry(&w_, &e1);
    tn_proto_enc_row_entry(&w_, &e2);
    n = enc_done(b);
    is_int(n, 5 + tn_proto_row_entry_size(&e1) + tn_proto_row_entry_size(&e2), "entry sizes");
    tn_proto_iter_t it;
    uint8_t more;
    uint32_t cnt;
    is_int(tn_proto_dec_row_list_rep(b, n, &it, &more, &cnt), TN_OK, "list rep");
    ok(more == 1 && cnt == 2, "list rep header");
    is_int(tn_proto_next_row_entry(&it, &e), 1, "entry 1");
    ok(e.key.len == 1 && e.flags == 1 && e.value.len == 1 && e.ver.hlc == ver.hlc, "entry 1");
    is_int(tn_proto_next_row_entry(&it, &e), 1, "entry 2");
    ok(e.key.len == 3 && e.inline_len == 99, "entry 2");
    is_int(tn_proto_next_row_entry(&it, &e), 0, "end");
    is_int(tn_proto_dec_row_list_rep(b, n - 1, &it, &more, &cnt), TN_OK, "short header ok");
    tn_proto_next_row_entry(&it, &e);
    is_int(tn_proto_next_row_entry(&it, &e), TN_ERR_PROTO, "truncated entry refused");

    tn_row_delete_req_t dr = {1, 2, 3, {"k", 1}, ver}, dr2;
    n = ENC(b, tn_proto_enc_row_delete_req(&w_, &dr));
    check_exact("row delete", b, n, (dec_fn)tn_proto_dec_row_delete_req, &dr2);
    ok(dr2.ver.origin == 9 && dr2.key.len == 1, "row delete fields");
    tn_row_get_req_t gr = {1, 2, 3, {"", 0}}, gr2;
    n = ENC(b, tn_proto_enc_row_get_req(&w_, &gr));
    is_int(tn_proto_dec_row_get_req(b, n, &gr2), TN_ERR_PROTO, "empty key refused");
}

static void test_pg(void)
{
    uint8_t b[512];
    tn_pg_digest_rep_t d, d2;
    for (size_t i = 0; i < sizeof(d); i++)
        ((uint8_t *)&d)[i] = (uint8_t)(i * 7);
    size_t n = ENC(b, tn_proto_enc_pg_digest_rep(&w_, &d));
    is_int(n, 17 * 24 + 16, "digest size");
    check_exact("digest", b, n, (dec_fn)tn_proto_dec_pg_digest_rep, &d2);
    ok(memcmp(&d, &d2, sizeof(d)) == 0, "digest fields");

    /* PG_DIGEST request: the cut-off is an optional trailing u64 (0 = none, not sent) */
    tn_pg_req_t pr = {3, 4, 0}, pr2;
    n = ENC(b, tn_proto_enc_pg_req(&w_, &pr));
    is_int(n, 8, "digest req without cut-off: the old 8 bytes");
    check_exact("digest req", b, n, (dec_fn)tn_proto_dec_pg_req, &pr2);
    ok(pr2.pool == 3 && pr2.pg == 4 && pr2.cutoff == 0, "digest req fields");
    pr.cutoff = 0x0123456789abcdefull;
    n = ENC(b, tn_proto_enc_pg_req(&w_, &pr));
    is_int(n, 16, "digest req with cut-off");
    is_int(tn_proto_dec_pg_req(b, n, &pr2), TN_OK, "digest req with cut-off decodes");
    ok(pr2.pool == 3 && pr2.pg == 4 && pr2.cutoff == pr.cutoff, "cut-off decoded");
    int bad = 0;
    for (size_t cut = 0; cut < n; cut++)
        if (cut != 8 && tn_proto_dec_pg_req(b, cut, &pr2) != TN_ERR_PROTO)
            bad = 1;
    ok(!bad, "truncated digest req refused");
    memset(b + 8, 0, 8);
    is_int(tn_proto_dec_pg_req(b, 16, &pr2), TN_ERR_PROTO, "explicit zero cut-off refused");
    uint64_t co = tn_proto_digest_cutoff(1700000005000ull);
    ok(co == ((1700000003000ull << 16) | 0xffffu), "cut-off = HLC of wall - 2 s, whole ms");
    ok(tn_proto_digest_cutoff(5) != 0, "cut-off never 0");

    tn_pg_enum_req_t er = {1, 2, TN_PROTO_ENUM_BLOBS, {"cur", 3}, 500}, er2;
    n = ENC(b, tn_proto_enc_pg_enum_req(&w_, &er));
    check_exact("enum req", b, n, (dec_fn)tn_proto_dec_pg_enum_req, &er2);
    b[8] = 2;
    is_int(tn_proto_dec_pg_enum_req(b, n, &er2), TN_ERR_PROTO, "unknown what refused");

    tn_blob_item_t bi = {{7}, 3, 1234}, bi2;
    enc_start(b, sizeof(b));
    tn_proto_enc_pg_enum_rep_begin(&w_, 0, (tn_slice_t){"next", 4}, 1);
    tn_proto_enc_blob_item(&w_, &bi);
    n = enc_done(b);
    tn_proto_iter_t it;
    uint8_t more;
    uint32_t cnt;
    tn_slice_t cursor;
    is_int(tn_proto_dec_pg_enum_rep(b, n, &it, &more, &cursor, &cnt), TN_OK, "enum rep");
    ok(cursor.len == 4 && cnt == 1 && more == 0, "enum rep header");
    is_int(tn_proto_next_blob_item(&it, &bi2), 1, "item");
    ok(bi2.part == 3 && bi2.length == 1234 && bi2.version[0] == 7, "item fields");
    is_int(tn_proto_next_blob_item(&it, &bi2), 0, "end");

    enc_start(b, sizeof(b));
    tn_proto_enc_pg_push_begin(&w_, 2);
    tn_proto_enc_row(&w_, (tn_slice_t){"r1", 2});
    tn_proto_enc_row(&w_, (tn_slice_t){"row2", 4});
    n = enc_done(b);
    is_int(tn_proto_dec_pg_push(b, n, &it, &cnt), TN_OK, "push");
    tn_slice_t row;
    is_int(tn_proto_next_row(&it, &row), 1, "row 1");
    is_int(tn_proto_next_row(&it, &row), 1, "row 2");
    ok(row.len == 4, "row 2 length");
    is_int(tn_proto_next_row(&it, &row), 0, "end");
}

int main(void)
{
    subtest("ping and map", test_ping_map);
    subtest("stats", test_stats);
    subtest("blobs", test_blobs);
    subtest("rows", test_rows);
    subtest("ROW_PUT CREATE and IF_VERSION", test_row_put_cond);
    subtest("pg", test_pg);
    return tt_done();
}
