/* test_gw_mpu.c — multipart upload rows (keys, encodings), the choice of a part among its
 * attempts, the CompleteMultipartUpload plan (errors, ETag, composite and full-object
 * checksums, part table) with bodies parsed by s3_xml_parse_complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "tn_hex.h"
#include "gw_mpu.h"

#define MIB (1024u * 1024)

static void test_keys(void)
{
    uint8_t id[16], out[TN_ROW_MAX_KEY], id2[16];
    for (int i = 0; i < 16; i++)
        id[i] = (uint8_t)(0xF0 + i);
    size_t n = gw_mpu_upload_key(out, "dir/a", 5, id);
    is_int(n, 22, "upload key = key || 0 || id");
    tn_slice_t k;
    const uint8_t *pid;
    is_int(gw_mpu_upload_key_split(out, n, &k, &pid), TN_OK, "splits");
    ok(k.len == 5 && memcmp(k.base, "dir/a", 5) == 0 && memcmp(pid, id, 16) == 0, "key and id");
    is_int(gw_mpu_upload_key(out, "", 0, id), 0, "empty key refused");
    static char longkey[1100];
    memset(longkey, 'x', sizeof longkey);
    is_int(gw_mpu_upload_key(out, longkey, GW_MPU_KEY_MAX, id), TN_ROW_MAX_KEY,
           "1007-byte key fills a row key");
    is_int(gw_mpu_upload_key(out, longkey, GW_MPU_KEY_MAX + 1, id), 0, "1008 bytes refused");
    /* order: "a" < "a/b" < "ab" whatever the ids */
    uint8_t k1[64], k2[64], k3[64], ff[16], zero[16];
    memset(ff, 0xff, 16);
    memset(zero, 0, 16);
    size_t n1 = gw_mpu_upload_key(k1, "a", 1, ff), n2 = gw_mpu_upload_key(k2, "a/b", 3, zero),
           n3 = gw_mpu_upload_key(k3, "ab", 2, zero);
    ok(tn_row_key_cmp(k1, n1, k2, n2) < 0 && tn_row_key_cmp(k2, n2, k3, n3) < 0,
       "upload rows sort by object key first");

    char hex[33];
    tn_hex_encode(hex, id, 16);
    is_int(gw_mpu_id_parse(hex, 32, id2), TN_OK, "upload id parses");
    is_mem(id2, id, 16, "upload id round trip");
    is_int(gw_mpu_id_parse(hex, 31, id2), TN_ERR_CORRUPT, "short upload id");
    hex[3] = 'g';
    is_int(gw_mpu_id_parse(hex, 32, id2), TN_ERR_CORRUPT, "non-hex upload id");

    uint8_t pk[GW_MPU_PART_KEY_LEN], vid[16];
    memset(vid, 9, 16);
    gw_mpu_part_key(pk, id, 258, vid);
    ok(pk[16] == 0 && pk[17] == 0 && pk[18] == 1 && pk[19] == 2, "part number big-endian");
    is_uint(gw_mpu_part_key_number(pk, sizeof pk, id), 258, "part number back");
    is_uint(gw_mpu_part_key_number(pk, sizeof pk, vid), 0, "another upload's key");
    uint8_t pk2[GW_MPU_PART_KEY_LEN];
    gw_mpu_part_key(pk2, id, 1000, NULL);
    ok(tn_row_key_cmp(pk, sizeof pk, pk2, sizeof pk2) < 0, "part rows sort by number");
}

static void test_rows(void)
{
    gw_mpu_upload_t u = {.state = GW_MPU_COMPLETED,
                         .initiated_ms = 1700000000000ull,
                         .initiator = TN_SLICE_LIT("AKID"),
                         .key = TN_SLICE_LIT("k/ey"),
                         .meta = TN_SLICE_LIT("objmeta-bytes")};
    uint8_t buf[256];
    int n = gw_mpu_upload_encode(&u, buf, sizeof buf);
    is_int(n, (long long)gw_mpu_upload_len(&u), "upload row length");
    gw_mpu_upload_t d;
    is_int(gw_mpu_upload_decode(buf, (size_t)n, &d), TN_OK, "upload row decodes");
    ok(d.state == GW_MPU_COMPLETED && d.initiated_ms == u.initiated_ms && d.key.len == 4 &&
           d.meta.len == 13 && d.initiator.len == 4,
       "upload row fields");
    is_int(gw_mpu_upload_decode(buf, (size_t)n - 1, &d), TN_ERR_CORRUPT, "truncated upload row");
    buf[4] = 7;
    is_int(gw_mpu_upload_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "bad state");

    gw_mpu_part_t p, q;
    memset(&p, 0, sizeof p);
    p.state = GW_MPU_PART_DONE;
    p.size = 6 * MIB;
    p.chunk_size = 4 * MIB;
    memset(p.vid, 1, 16);
    memset(p.md5, 2, 16);
    p.cksum_alg = S3_CKSUM_SHA1;
    memset(p.cksum, 3, 20);
    p.mtime_ms = 42;
    uint8_t pb[GW_MPU_PART_VALUE_MAX];
    n = gw_mpu_part_encode(&p, pb, sizeof pb);
    ok(n > 0, "part row encodes");
    is_int(gw_mpu_part_decode(pb, (size_t)n, &q), TN_OK, "part row decodes");
    ok(q.state == p.state && q.size == p.size && q.chunk_size == p.chunk_size &&
           memcmp(q.vid, p.vid, 16) == 0 && memcmp(q.md5, p.md5, 16) == 0 &&
           q.cksum_alg == S3_CKSUM_SHA1 && memcmp(q.cksum, p.cksum, 20) == 0 && q.mtime_ms == 42,
       "part row fields");
    for (int cut = 0; cut < n; cut++)
        if (gw_mpu_part_decode(pb, (size_t)cut, &q) != TN_ERR_CORRUPT) {
            ok(0, "every truncated part row is corrupt");
            break;
        }
    p.cksum_alg = S3_CKSUM_NONE;
    n = gw_mpu_part_encode(&p, pb, sizeof pb);
    is_int(gw_mpu_part_decode(pb, (size_t)n, &q), TN_OK, "part row without checksum");
    is_int(q.cksum_alg, S3_CKSUM_NONE, "no checksum");
}

static tn_row_ver_t ver(uint64_t hlc)
{
    tn_row_ver_t v;
    memset(&v, 0, sizeof v);
    v.hlc = hlc;
    return v;
}

static gw_mpu_part_t mkpart(uint64_t size, uint8_t tag)
{
    gw_mpu_part_t p;
    memset(&p, 0, sizeof p);
    p.state = GW_MPU_PART_DONE;
    p.size = size;
    p.chunk_size = 4 * MIB;
    memset(p.vid, tag, 16);
    memset(p.md5, tag, 16);
    return p;
}

static void test_slots(void)
{
    gw_mpu_slot_t *s = calloc(GW_OBJMETA_MAX_PARTS, sizeof *s);
    gw_mpu_part_t a = mkpart(1, 0xA), b = mkpart(2, 0xB);
    tn_row_ver_t v1 = ver(100), v2 = ver(200);
    gw_mpu_slot_offer(s, 3, &v1, &a);
    gw_mpu_slot_offer(s, 3, &v2, &b);
    is_uint(s[2].part.size, 2, "the newer attempt wins");
    gw_mpu_slot_offer(s, 3, &v1, &a);
    is_uint(s[2].part.size, 2, "an older attempt offered later does not win");
    gw_mpu_slot_offer(s, 0, &v1, &a);
    gw_mpu_slot_offer(s, 10001, &v1, &a);
    ok(!s[0].present, "numbers outside 1..10000 ignored");
    free(s);
}

static void etag_of(const gw_mpu_part_t *p, char out[35])
{
    out[0] = '"';
    tn_hex_encode(out + 1, p->md5, 16);
    out[33] = '"';
    out[34] = '\0';
}

/* Parses a Complete body listing (number, etag) pairs; extra: text inserted into each Part. */
static s3_err_t parse(s3_complete_req_t *req, const uint32_t *nums, char (*etags)[35], size_t n,
                      char (*extra)[96])
{
    static char body[8192];
    size_t k = (size_t)snprintf(body, sizeof body, "<CompleteMultipartUpload>");
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(body + k, sizeof body - k,
                              "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag>%s</Part>", nums[i],
                              etags[i], extra != NULL ? extra[i] : "");
    k += (size_t)snprintf(body + k, sizeof body - k, "</CompleteMultipartUpload>");
    s3_why_t why;
    return s3_xml_parse_complete(body, k, req, &why);
}

static void test_plan(void)
{
    gw_mpu_slot_t *s = calloc(GW_OBJMETA_MAX_PARTS, sizeof *s);
    tn_row_ver_t v = ver(1);
    gw_mpu_part_t p1 = mkpart(5 * MIB, 1), p2 = mkpart(6 * MIB, 2), p3 = mkpart(100, 3),
                  small = mkpart(MIB, 4);
    gw_mpu_slot_offer(s, 1, &v, &p1);
    gw_mpu_slot_offer(s, 2, &v, &p2);
    gw_mpu_slot_offer(s, 5, &v, &p3);
    gw_mpu_slot_offer(s, 7, &v, &small);
    char et[4][35];
    etag_of(&p1, et[0]);
    etag_of(&p2, et[1]);
    etag_of(&p3, et[2]);
    etag_of(&small, et[3]);

    s3_complete_req_t req;
    s3_why_t why;
    gw_objmeta_t o;
    uint8_t *tbl = malloc(gw_objparts_len(4));
    uint32_t nums[4] = {1, 2, 5, 0};
    is_int(parse(&req, nums, et, 3, NULL), S3_OK, "body parses");
    memset(&o, 0, sizeof o);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_NONE, GW_CKTYPE_NONE, tbl, &o, &why), S3_OK, "plan ok");
    is_uint(o.size, 11 * MIB + 100, "size = sum of parts");
    is_uint(o.part_count, 3, "part count");
    ok(o.is_multipart && o.cksum_alg == S3_CKSUM_NONE, "multipart, no checksum");
    /* ETag: md5 of the concatenated part md5s */
    uint8_t cat[48], want[S3_CKSUM_MAX_RAW];
    memcpy(cat, p1.md5, 16);
    memcpy(cat + 16, p2.md5, 16);
    memcpy(cat + 32, p3.md5, 16);
    s3_checksum_oneshot(S3_CKSUM_MD5, cat, 48, want);
    is_mem(o.md5, want, 16, "multipart ETag MD5");
    uint8_t rmd5[16];
    is_int(gw_mpu_request_md5(&req, rmd5), TN_OK, "request MD5");
    is_mem(rmd5, want, 16, "a retried Complete's ETag matches the plan's");
    o.is_multipart = 1;
    is_int(gw_objparts_check(&o, tbl, gw_objparts_len(3)), TN_OK, "part table checks");
    gw_objpart_t g;
    gw_objparts_get(tbl, 2, &g);
    ok(g.number == 5 && g.offset == 11 * MIB && g.size == 100 && g.vid[0] == 3,
       "part 5 is the third record at 11 MiB");
    s3_xml_arena_free(&req.arena);

    /* errors */
    uint32_t bad_order[2] = {2, 1};
    char et2[2][35];
    memcpy(et2[0], et[1], 35);
    memcpy(et2[1], et[0], 35);
    parse(&req, bad_order, et2, 2, NULL);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_NONE, GW_CKTYPE_NONE, tbl, &o, &why),
           S3_ERR_INVALID_PART_ORDER, "descending: InvalidPartOrder");
    s3_xml_arena_free(&req.arena);
    uint32_t dup[2] = {1, 1};
    memcpy(et2[0], et[0], 35);
    memcpy(et2[1], et[0], 35);
    parse(&req, dup, et2, 2, NULL);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_NONE, GW_CKTYPE_NONE, tbl, &o, &why),
           S3_ERR_INVALID_PART_ORDER, "duplicate: InvalidPartOrder");
    s3_xml_arena_free(&req.arena);
    uint32_t missing[2] = {1, 3};
    memcpy(et2[1], et[1], 35);
    parse(&req, missing, et2, 2, NULL);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_NONE, GW_CKTYPE_NONE, tbl, &o, &why), S3_ERR_INVALID_PART,
           "a part never uploaded: InvalidPart");
    s3_xml_arena_free(&req.arena);
    uint32_t wrong[2] = {1, 2};
    memcpy(et2[1], et[2], 35);
    parse(&req, wrong, et2, 2, NULL);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_NONE, GW_CKTYPE_NONE, tbl, &o, &why), S3_ERR_INVALID_PART,
           "another ETag: InvalidPart");
    s3_xml_arena_free(&req.arena);
    uint32_t toosmall[2] = {7, 9};
    memcpy(et2[0], et[3], 35);
    memcpy(et2[1], "\"00000000000000000000000000000000\"", 35);
    parse(&req, toosmall, et2, 2, NULL);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_NONE, GW_CKTYPE_NONE, tbl, &o, &why), S3_ERR_INVALID_PART,
           "a missing part is InvalidPart even after a small one");
    s3_xml_arena_free(&req.arena);
    uint32_t smallfirst[2] = {5, 7};
    memcpy(et2[0], et[2], 35);
    memcpy(et2[1], et[3], 35);
    parse(&req, smallfirst, et2, 2, NULL);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_NONE, GW_CKTYPE_NONE, tbl, &o, &why),
           S3_ERR_ENTITY_TOO_SMALL, "a small part before the last: EntityTooSmall");
    s3_xml_arena_free(&req.arena);
    uint32_t lastsmall[2] = {1, 7};
    memcpy(et2[0], et[0], 35);
    parse(&req, lastsmall, et2, 2, NULL);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_NONE, GW_CKTYPE_NONE, tbl, &o, &why), S3_OK,
           "the last part may be small");
    s3_xml_arena_free(&req.arena);
    free(tbl);
    free(s);
}

static void test_plan_checksums(void)
{
    /* real CRC32 values of two byte strings */
    static uint8_t d1[5 * MIB], d2[1000];
    for (size_t i = 0; i < sizeof d1; i++)
        d1[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < sizeof d2; i++)
        d2[i] = (uint8_t)(i * 13 + 1);
    gw_mpu_slot_t *s = calloc(GW_OBJMETA_MAX_PARTS, sizeof *s);
    tn_row_ver_t v = ver(1);
    gw_mpu_part_t p1 = mkpart(sizeof d1, 1), p2 = mkpart(sizeof d2, 2);
    p1.cksum_alg = p2.cksum_alg = S3_CKSUM_CRC32;
    s3_checksum_oneshot(S3_CKSUM_CRC32, d1, sizeof d1, p1.cksum);
    s3_checksum_oneshot(S3_CKSUM_CRC32, d2, sizeof d2, p2.cksum);
    gw_mpu_slot_offer(s, 1, &v, &p1);
    gw_mpu_slot_offer(s, 2, &v, &p2);
    char et[2][35];
    etag_of(&p1, et[0]);
    etag_of(&p2, et[1]);
    uint32_t nums[2] = {1, 2};
    s3_complete_req_t req;
    s3_why_t why;
    gw_objmeta_t o;
    uint8_t *tbl = malloc(gw_objparts_len(2));
    parse(&req, nums, et, 2, NULL);

    memset(&o, 0, sizeof o);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_CRC32, GW_CKTYPE_FULL_OBJECT, tbl, &o, &why), S3_OK,
           "full-object plan");
    uint8_t *all = malloc(sizeof d1 + sizeof d2), want[S3_CKSUM_MAX_RAW];
    memcpy(all, d1, sizeof d1);
    memcpy(all + sizeof d1, d2, sizeof d2);
    s3_checksum_oneshot(S3_CKSUM_CRC32, all, sizeof d1 + sizeof d2, want);
    ok(o.cksum_alg == S3_CKSUM_CRC32 && o.cksum_type == GW_CKTYPE_FULL_OBJECT, "FULL_OBJECT CRC32");
    is_mem(o.cksum, want, 4, "FULL_OBJECT = CRC32 of the whole object");

    memset(&o, 0, sizeof o);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_CRC32, GW_CKTYPE_COMPOSITE, tbl, &o, &why), S3_OK,
           "composite plan");
    uint8_t cat[8];
    memcpy(cat, p1.cksum, 4);
    memcpy(cat + 4, p2.cksum, 4);
    s3_checksum_oneshot(S3_CKSUM_CRC32, cat, 8, want);
    is_mem(o.cksum, want, 4, "COMPOSITE = CRC32 of the part CRC32s");
    gw_objpart_t g;
    gw_objparts_get(tbl, 1, &g);
    is_mem(g.cksum, p2.cksum, 4, "the part table keeps part checksums");
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_SHA256, GW_CKTYPE_FULL_OBJECT, tbl, &o, &why),
           S3_ERR_INVALID_REQUEST, "FULL_OBJECT SHA256: InvalidRequest");
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_SHA256, GW_CKTYPE_COMPOSITE, tbl, &o, &why),
           S3_ERR_INVALID_PART, "parts without the upload's algorithm: InvalidPart");
    s3_xml_arena_free(&req.arena);

    /* checksums named in the body must match */
    char ck[2][S3_CKSUM_MAX_TEXT], extra[2][96];
    s3_checksum_text(p1.cksum, 4, 0, ck[0]);
    s3_checksum_text(p2.cksum, 4, 0, ck[1]);
    snprintf(extra[0], sizeof extra[0], "<ChecksumCRC32>%s</ChecksumCRC32>", ck[0]);
    snprintf(extra[1], sizeof extra[1], "<ChecksumCRC32>%s</ChecksumCRC32>", ck[1]);
    parse(&req, nums, et, 2, extra);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_CRC32, GW_CKTYPE_COMPOSITE, tbl, &o, &why), S3_OK,
           "matching part checksums in the body");
    s3_xml_arena_free(&req.arena);
    snprintf(extra[1], sizeof extra[1], "<ChecksumCRC32>%s</ChecksumCRC32>", ck[0]);
    parse(&req, nums, et, 2, extra);
    is_int(gw_mpu_plan(&req, s, S3_CKSUM_CRC32, GW_CKTYPE_COMPOSITE, tbl, &o, &why),
           S3_ERR_INVALID_PART, "a different part checksum: InvalidPart");
    s3_xml_arena_free(&req.arena);
    free(all);
    free(tbl);
    free(s);
}

static void test_etag_parse(void)
{
    uint8_t m[16];
    is_int(gw_mpu_etag_parse("\"0123456789abcdef0123456789ABCDEF\"", 34, m), TN_OK, "quoted ETag");
    is_int(gw_mpu_etag_parse("0123456789abcdef0123456789abcdef", 32, m), TN_OK, "bare ETag");
    is_int(m[0], 0x01, "ETag bytes");
    is_int(gw_mpu_etag_parse("\"0123456789abcdef0123456789abcdef-2\"", 36, m), TN_ERR_CORRUPT,
           "a multipart ETag is no part ETag");
}

int main(void)
{
    subtest("keys", test_keys);
    subtest("rows", test_rows);
    subtest("slots", test_slots);
    subtest("plan", test_plan);
    subtest("plan_checksums", test_plan_checksums);
    subtest("etag_parse", test_etag_parse);
    return tt_done();
}
