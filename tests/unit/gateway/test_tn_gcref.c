/* test_tn_gcref.c — the garbage collector's reference codecs (common/tn_gcref.h) against the
 * gateway's own encoders: intent rows round-trip and refuse damage; head rows of every layout
 * (gw_objmeta_encode, formats as written) name exactly their data vids; upload rows (gw_mpu)
 * are ACTIVE only while live and not COMPLETED; the namespace and key shapes agree with
 * gw_mpu.h; dead-bucket rows round-trip and what a bucket record says about an id. */
#include <errno.h>
#include <string.h>
#include "test.h"
#include "tn_gcref.h"
#include "gw_mpu.h"
#include "gw_objmeta.h"

static void test_intent(void)
{
    tn_gcref_intent_t it = {.kind = TN_GCREF_PART,
                            .bucket_id = 0x1122334455667788ull,
                            .expiry_ms = 1700000000123ull,
                            .data_pool = 3,
                            .size = 9u << 20,
                            .chunk_size = 4u << 20,
                            .key = TN_SLICE_LIT("dir/obj")};
    memset(it.upload_id, 0xab, 16);
    uint8_t buf[128];
    int n = tn_gcref_intent_encode(&it, buf, sizeof buf);
    is_int(n, (int)tn_gcref_intent_len(7), "encoded length");
    tn_gcref_intent_t d;
    is_int(tn_gcref_intent_decode(buf, (size_t)n, &d), TN_OK, "decodes");
    ok(d.kind == it.kind && d.bucket_id == it.bucket_id && d.expiry_ms == it.expiry_ms &&
           d.data_pool == 3 && d.size == it.size && d.chunk_size == it.chunk_size &&
           memcmp(d.upload_id, it.upload_id, 16) == 0 && d.key.len == 7 &&
           memcmp(d.key.base, "dir/obj", 7) == 0,
       "fields round-trip");
    is_int(tn_gcref_chunks(&d), 3, "9 MiB in 4 MiB chunks = 3");
    is_int(tn_gcref_chunk_len(&d, 2), 1u << 20, "last chunk 1 MiB");
    is_int(tn_gcref_chunk_len(&d, 0), 4u << 20, "first chunk 4 MiB");
    is_int(tn_gcref_intent_decode(buf, (size_t)n - 1, &d), TN_ERR_CORRUPT, "short");
    buf[n] = 0;
    is_int(tn_gcref_intent_decode(buf, (size_t)n + 1, &d), TN_ERR_CORRUPT, "trailing byte");
    buf[4] = 9;
    is_int(tn_gcref_intent_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "unknown kind");
    buf[4] = TN_GCREF_PART;
    buf[0] = 2;
    is_int(tn_gcref_intent_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "unknown version");
    is_int(tn_gcref_intent_encode(&it, buf, 10), TN_ERR_TOO_BIG, "small buffer");
    it.key.len = 0;
    is_int(tn_gcref_intent_encode(&it, buf, sizeof buf), -EINVAL, "empty key");
    it.key.len = 7;
    it.size = 0;
    is_int(tn_gcref_intent_encode(&it, buf, sizeof buf) > 0, 1, "empty data");
    is_int(tn_gcref_chunks(&it), 0, "no chunks");
}

static tn_row_t head_row(const uint8_t *val, size_t vlen, const uint8_t *inl, size_t ilen)
{
    tn_row_t r = {.pool = 1, .pg = 2, .ns = 7, .key = (const uint8_t *)"k", .key_len = 1};
    r.value = val;
    r.value_len = vlen;
    r.inl = inl;
    r.inl_len = ilen;
    return r;
}

static void test_head(void)
{
    static gw_objmeta_t m;
    memset(&m, 0, sizeof m);
    uint8_t vid[16], other[16], val[4096];
    memset(vid, 0x11, 16);
    memset(other, 0x22, 16);
    m.size = 10u << 20;
    m.content_type = TN_SLICE_LIT("text/plain");
    m.meta[0].name = TN_SLICE_LIT("a");
    m.meta[0].value = TN_SLICE_LIT("b");
    m.n_meta = 1;
    m.tags[0].name = TN_SLICE_LIT("t");
    m.tags[0].value = TN_SLICE_LIT("v");
    m.n_tags = 1;
    m.chunk_size = 4u << 20;
    m.chunk_count = 3;
    memcpy(m.data_vid, vid, 16);
    int n = gw_objmeta_encode(&m, val, sizeof val);
    ok(n > 0, "chunked head encodes");
    tn_row_t r = head_row(val, (size_t)n, NULL, 0);
    is_int(tn_gcref_head_names(&r, vid), 1, "chunked head names its data vid");
    is_int(tn_gcref_head_names(&r, other), 0, "and no other");
    r.flags = TN_ROW_TOMBSTONE;
    is_int(tn_gcref_head_names(&r, vid), 0, "a tombstone names nothing");
    r.flags = 0;
    r.value_len = (size_t)n - 30;
    is_int(tn_gcref_head_names(&r, vid), TN_ERR_CORRUPT, "truncated value is an error");

    /* inline */
    memset(&m, 0, sizeof m);
    m.size = 5;
    m.is_inline = 1;
    n = gw_objmeta_encode(&m, val, sizeof val);
    r = head_row(val, (size_t)n, (const uint8_t *)"hello", 5);
    is_int(tn_gcref_head_names(&r, vid), 0, "inline names nothing");

    /* multipart: part table in the inline field */
    memset(&m, 0, sizeof m);
    m.is_multipart = 1;
    m.part_count = 2;
    m.size = 6u << 20;
    n = gw_objmeta_encode(&m, val, sizeof val);
    ok(n > 0, "multipart head encodes");
    static uint8_t tbl[8 + 2 * 88];
    gw_objparts_init(tbl, 2);
    gw_objpart_t p = {.number = 1, .chunk_size = 4u << 20, .offset = 0, .size = 5u << 20};
    memcpy(p.vid, other, 16);
    gw_objparts_put(tbl, 0, &p);
    p.number = 2;
    p.offset = 5u << 20;
    p.size = 1u << 20;
    memcpy(p.vid, vid, 16);
    gw_objparts_put(tbl, 1, &p);
    is_int(gw_objparts_check(&m, tbl, sizeof tbl), TN_OK, "table valid");
    r = head_row(val, (size_t)n, tbl, sizeof tbl);
    is_int(tn_gcref_head_names(&r, vid), 1, "multipart names part 2's vid");
    is_int(tn_gcref_head_names(&r, other), 1, "and part 1's");
    uint8_t third[16];
    memset(third, 0x33, 16);
    is_int(tn_gcref_head_names(&r, third), 0, "not an unused attempt's");
    r.inl_len = sizeof tbl - 1;
    is_int(tn_gcref_head_names(&r, vid), TN_ERR_CORRUPT, "bad table is an error");
}

static void test_upload(void)
{
    uint8_t id[16], k1[64], k2[64], val[512];
    memset(id, 0x5a, 16);
    is_int(TN_GCREF_UPLOADS_XOR == GW_MPU_NS_UPLOADS_XOR, 1, "upload namespace agrees");
    size_t a = gw_mpu_upload_key(k1, "x/y", 3, id);
    size_t b = tn_gcref_upload_key(k2, sizeof k2, "x/y", 3, id);
    ok(a == b && memcmp(k1, k2, a) == 0, "upload key agrees with gw_mpu");
    is_int(tn_gcref_upload_key(k2, 10, "x/y", 3, id), 0, "small buffer");
    gw_mpu_upload_t u = {.state = GW_MPU_ACTIVE,
                         .initiated_ms = 5,
                         .initiator = TN_SLICE_LIT("AK"),
                         .key = TN_SLICE_LIT("x/y"),
                         .meta = TN_SLICE_LIT("")};
    int n = gw_mpu_upload_encode(&u, val, sizeof val);
    ok(n > 0, "upload encodes");
    tn_row_t r = head_row(val, (size_t)n, NULL, 0);
    is_int(tn_gcref_upload_active(&r), 1, "ACTIVE");
    uint64_t ms = 0;
    is_int(tn_gcref_upload_initiated(&r, &ms), TN_OK, "initiated decodes");
    is_int(ms, 5, "initiated time");
    u.state = GW_MPU_COMPLETED;
    n = gw_mpu_upload_encode(&u, val, sizeof val);
    r = head_row(val, (size_t)n, NULL, 0);
    is_int(tn_gcref_upload_active(&r), 0, "COMPLETED");
    r.flags = TN_ROW_TOMBSTONE;
    is_int(tn_gcref_upload_active(&r), 0, "aborted");
    r = head_row(val, 2, NULL, 0);
    is_int(tn_gcref_upload_active(&r), TN_ERR_CORRUPT, "short value");
    uint8_t g[TN_GCREF_GONE_KEY_LEN];
    tn_gcref_gone_key(g, id, 0x01020304);
    ok(memcmp(g, id, 16) == 0 && g[16] == 4 && g[19] == 1, "gone key = vid || le32(part)");
}

static void test_bucket(void)
{
    is_int(TN_GCREF_PARTS_XOR == GW_MPU_NS_PARTS_XOR, 1, "part namespace agrees");
    is_int(TN_GCREF_PART_KEY_LEN == GW_MPU_PART_KEY_LEN, 1, "part key length agrees");
    uint8_t id[16], vid[16], other[16], key[GW_MPU_PART_KEY_LEN];
    memset(id, 0x5a, 16);
    memset(vid, 0x11, 16);
    memset(other, 0x22, 16);
    gw_mpu_part_key(key, id, 7, vid);
    is_int(tn_gcref_part_key_is(key, sizeof key, id, vid), 1, "an attempt of the upload with vid");
    is_int(tn_gcref_part_key_is(key, sizeof key, id, other), 0, "not another vid's");
    is_int(tn_gcref_part_key_is(key, sizeof key, other, vid), 0, "not another upload's");
    is_int(tn_gcref_part_key_is(key, sizeof key - 1, id, vid), 0, "not a short key");

    uint8_t buf[8 + TN_GCREF_BUCKET_NAME_MAX];
    int n = tn_gcref_deadbkt_encode("site-1", 6, buf, sizeof buf);
    is_int(n, 12, "dead-bucket value length");
    tn_slice_t name;
    is_int(tn_gcref_deadbkt_decode(buf, (size_t)n, &name), TN_OK, "decodes");
    ok(name.len == 6 && memcmp(name.base, "site-1", 6) == 0, "names the bucket");
    is_int(tn_gcref_deadbkt_decode(buf, (size_t)n - 1, &name), TN_ERR_CORRUPT, "short value");
    buf[0] = 2;
    is_int(tn_gcref_deadbkt_decode(buf, (size_t)n, &name), TN_ERR_CORRUPT, "unknown version");
    is_int(tn_gcref_deadbkt_encode("", 0, buf, sizeof buf), -EINVAL, "empty name");
    is_int(tn_gcref_deadbkt_encode("site-1", 6, buf, 8), TN_ERR_TOO_BIG, "small buffer");

    tn_row_t r = {.flags = 0};
    is_int(tn_gcref_bucket_says(NULL, 0, 9), 2, "no record: absence, not evidence");
    is_int(tn_gcref_bucket_says(&r, 9, 9), 0, "a live record of the id: alive");
    is_int(tn_gcref_bucket_says(&r, 10, 9), 1, "a record of another id (created again): gone");
    r.flags = TN_ROW_TOMBSTONE;
    is_int(tn_gcref_bucket_says(&r, 0, 9), 1, "a tombstone: gone");
}

int main(void)
{
    subtest("dead buckets and part rows", test_bucket);
    subtest("intent", test_intent);
    subtest("head rows", test_head);
    subtest("upload rows", test_upload);
    return tt_done();
}
