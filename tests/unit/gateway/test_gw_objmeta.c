/* test_gw_objmeta.c — round trips and corruption handling of the object head-row encoding
 * (format 2, and format 1 rows still decoded), the multipart part table and offset lookup. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "tn_wire.h"
#include "gw_objmeta.h"

static void fill(gw_objmeta_t *m)
{
    memset(m, 0, sizeof *m);
    m->size = 5u * 1024 * 1024 + 3;
    for (int i = 0; i < 16; i++) {
        m->md5[i] = (uint8_t)(0xA0 + i);
        m->data_vid[i] = (uint8_t)i;
    }
    m->mtime_ms = 1700000000123ull;
    m->content_type = TN_SLICE_LIT("text/plain");
    m->cache_control = TN_SLICE_LIT("no-cache");
    m->expires = TN_SLICE_LIT("Wed, 21 Oct 2015 07:28:00 GMT");
    m->meta[0].name = TN_SLICE_LIT("color");
    m->meta[0].value = TN_SLICE_LIT("blue");
    m->meta[1].name = TN_SLICE_LIT("empty");
    m->meta[1].value = TN_SLICE_LIT("");
    m->n_meta = 2;
    m->chunk_size = GW_OBJMETA_CHUNK;
    m->chunk_count = 2;
}

static void test_roundtrip(void)
{
    gw_objmeta_t m, d;
    uint8_t buf[1024];
    fill(&m);
    int n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(n, (long long)gw_objmeta_encoded_len(&m), "encoded length as announced");
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_OK, "decodes");
    is_uint(d.size, m.size, "size");
    is_mem(d.md5, m.md5, 16, "md5");
    is_uint(d.mtime_ms, m.mtime_ms, "mtime");
    ok(d.content_type.len == 10 && memcmp(d.content_type.base, "text/plain", 10) == 0,
       "content type");
    ok(d.cache_control.len == 8, "cache control");
    is_int(d.content_disposition.len, 0, "unset disposition stays empty");
    is_int(d.expires.len, 29, "expires");
    is_int(d.n_meta, 2, "two metadata pairs");
    ok(d.meta[0].name.len == 5 && memcmp(d.meta[0].name.base, "color", 5) == 0 &&
           d.meta[0].value.len == 4 && memcmp(d.meta[0].value.base, "blue", 4) == 0,
       "metadata pair 0");
    is_int(d.meta[1].value.len, 0, "empty metadata value");
    is_int(d.is_inline, 0, "chunked");
    is_uint(d.chunk_count, 2, "chunk count");
    is_uint(d.chunk_size, GW_OBJMETA_CHUNK, "chunk size");
    is_mem(d.data_vid, m.data_vid, 16, "data vid");
    is_int(gw_objmeta_meta_bytes(&d), 5 + 4 + 5, "metadata bytes counted like S3");

    memset(&m, 0, sizeof m);
    m.is_inline = 1;
    m.size = 1;
    n = gw_objmeta_encode(&m, buf, sizeof buf);
    ok(n > 0, "inline encodes");
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_OK, "inline decodes");
    is_int(d.is_inline, 1, "inline flag");
    is_int(d.n_meta, 0, "no metadata");
}

static void test_corrupt(void)
{
    gw_objmeta_t m, d;
    uint8_t buf[1024];
    fill(&m);
    int n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_encode(&m, buf, (size_t)n - 1), TN_ERR_TOO_BIG, "small buffer refused");
    for (int cut = 0; cut < n; cut++)
        if (gw_objmeta_decode(buf, (size_t)cut, &d) != TN_ERR_CORRUPT) {
            ok(0, "every truncation is corrupt");
            break;
        }
    ok(1, "truncations checked");
    uint8_t big[1100];
    memcpy(big, buf, (size_t)n);
    big[n] = 0;
    is_int(gw_objmeta_decode(big, (size_t)n + 1, &d), TN_ERR_CORRUPT, "trailing byte refused");
    buf[0] = 3;
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "unknown version refused");
    buf[0] = 2;
    m.chunk_count = 3; /* 5 MiB + 3 in 4 MiB chunks is 2 */
    n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "chunk count must match size");
    m.chunk_count = 2;
    m.is_inline = 1;
    n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "inline with chunks refused");
}

/* A format-1 value as the first single-part PUTs wrote it. */
static size_t encode_v1(uint8_t *buf, size_t cap, int is_inline)
{
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, cap);
    tn_wire_put_u32(&w, 1);
    tn_wire_put_u64(&w, is_inline ? 3 : 5u * 1024 * 1024 + 3);
    uint8_t md5[16];
    memset(md5, 0xAB, 16);
    tn_wire_put_raw(&w, md5, 16);
    tn_wire_put_u64(&w, 1700000000123ull);
    tn_wire_put_str(&w, "text/plain");
    for (int i = 0; i < 4; i++)
        tn_wire_put_str(&w, "");
    tn_wire_put_u32(&w, 1);
    tn_wire_put_str(&w, "color");
    tn_wire_put_str(&w, "blue");
    tn_wire_put_u8(&w, is_inline ? 1 : 0);
    tn_wire_put_u32(&w, is_inline ? 0 : GW_OBJMETA_CHUNK);
    tn_wire_put_u32(&w, is_inline ? 0 : 2);
    uint8_t vid[16];
    memset(vid, is_inline ? 0 : 7, 16);
    tn_wire_put_raw(&w, vid, 16);
    return w.err == TN_OK ? (size_t)(w.p - buf) : 0;
}

static void test_v1(void)
{
    uint8_t buf[512], again[512];
    gw_objmeta_t d, e;
    size_t n = encode_v1(buf, sizeof buf, 0);
    ok(n > 0, "v1 value built");
    is_int(gw_objmeta_decode(buf, n, &d), TN_OK, "v1 chunked row decodes");
    is_int(d.format, 1, "format 1 reported");
    is_uint(d.size, 5u * 1024 * 1024 + 3, "v1 size");
    is_uint(d.chunk_count, 2, "v1 chunk count");
    ok(!d.is_inline && !d.is_multipart, "v1 chunked layout");
    is_int(d.cksum_alg, S3_CKSUM_NONE, "v1: no checksum");
    is_int(d.acl, GW_ACL_PRIVATE, "v1: ACL private");
    is_int(d.n_tags, 0, "v1: no tags");
    ok(d.n_meta == 1 && d.meta[0].value.len == 4, "v1 metadata");
    int m = gw_objmeta_encode(&d, again, sizeof again);
    ok(m > (int)n, "re-encoded as format 2 (longer)");
    is_int(gw_objmeta_decode(again, (size_t)m, &e), TN_OK, "format 2 re-encoding decodes");
    is_int(e.format, 2, "format 2 reported");
    ok(e.size == d.size && memcmp(e.md5, d.md5, 16) == 0 && e.chunk_count == d.chunk_count &&
           memcmp(e.data_vid, d.data_vid, 16) == 0,
       "same fields after v1 -> v2");
    n = encode_v1(buf, sizeof buf, 1);
    is_int(gw_objmeta_decode(buf, n, &d), TN_OK, "v1 inline row decodes");
    is_int(d.is_inline, 1, "v1 inline flag");
    buf[n - 16 - 4 - 4 - 1] = 2; /* layout 2 did not exist in format 1 */
    is_int(gw_objmeta_decode(buf, n, &d), TN_ERR_CORRUPT, "v1 with a multipart layout refused");
}

static void test_v2_fields(void)
{
    gw_objmeta_t m, d;
    uint8_t buf[2048];
    fill(&m);
    m.cksum_alg = S3_CKSUM_SHA256;
    m.cksum_type = GW_CKTYPE_FULL_OBJECT;
    for (int i = 0; i < 32; i++)
        m.cksum[i] = (uint8_t)(i * 3);
    m.acl = GW_ACL_PUBLIC_READ;
    m.tags[0].name = TN_SLICE_LIT("env");
    m.tags[0].value = TN_SLICE_LIT("prod");
    m.tags[1].name = TN_SLICE_LIT("empty");
    m.n_tags = 2;
    int n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(n, (long long)gw_objmeta_encoded_len(&m), "v2 length as announced");
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_OK, "v2 decodes");
    is_int(d.cksum_alg, S3_CKSUM_SHA256, "checksum algorithm");
    is_int(d.cksum_type, GW_CKTYPE_FULL_OBJECT, "checksum type");
    is_mem(d.cksum, m.cksum, 32, "checksum value");
    is_int(d.acl, GW_ACL_PUBLIC_READ, "canned ACL");
    ok(d.n_tags == 2 && d.tags[0].value.len == 4 && memcmp(d.tags[0].value.base, "prod", 4) == 0 &&
           d.tags[1].value.len == 0,
       "tags");
    char etag[48];
    is_int(gw_objmeta_etag(&d, etag), 34, "single-part ETag length");
    is_str(etag, "\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"", "single-part ETag");

    m.cksum_type = GW_CKTYPE_COMPOSITE; /* only for multipart */
    n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "composite single-part refused");
    m.cksum_type = GW_CKTYPE_NONE;
    is_int(gw_objmeta_encode(&m, buf, sizeof buf), -EINVAL, "algorithm without type refused");
    m.cksum_alg = S3_CKSUM_MD5;
    m.cksum_type = GW_CKTYPE_FULL_OBJECT;
    is_int(gw_objmeta_encode(&m, buf, sizeof buf), -EINVAL, "MD5 is no stored checksum");
}

static void test_parts(void)
{
    /* three parts: 5 MiB, an empty one, 3 bytes */
    gw_objmeta_t m, d;
    memset(&m, 0, sizeof m);
    m.is_multipart = 1;
    m.part_count = 3;
    m.size = 5u * 1024 * 1024 + 3;
    m.cksum_alg = S3_CKSUM_CRC32C;
    m.cksum_type = GW_CKTYPE_COMPOSITE;
    uint8_t buf[1024];
    int n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_OK, "multipart head decodes");
    ok(d.is_multipart && d.part_count == 3 && !d.is_inline, "multipart layout");
    char etag[48];
    gw_objmeta_etag(&d, etag);
    is_str(etag, "\"00000000000000000000000000000000-3\"", "multipart ETag has -N");

    size_t tl = gw_objparts_len(3);
    is_int(tl, 8 + 3 * 88, "table length");
    uint8_t *tbl = calloc(1, tl);
    gw_objparts_init(tbl, 3);
    uint64_t sizes[3] = {5u * 1024 * 1024, 0, 3};
    uint32_t nums[3] = {1, 4, 9};
    uint64_t off = 0;
    for (uint32_t i = 0; i < 3; i++) {
        gw_objpart_t p;
        memset(&p, 0, sizeof p);
        p.number = nums[i];
        p.chunk_size = GW_OBJMETA_CHUNK;
        p.offset = off;
        p.size = sizes[i];
        memset(p.vid, (int)(i + 1), 16);
        memset(p.cksum, 0x40 + (int)i, 4);
        gw_objparts_put(tbl, i, &p);
        off += sizes[i];
    }
    is_int(gw_objparts_check(&d, tbl, tl), TN_OK, "table checks");
    gw_objpart_t g;
    gw_objparts_get(tbl, 2, &g);
    ok(g.number == 9 && g.offset == 5u * 1024 * 1024 && g.size == 3 && g.vid[0] == 3 &&
           g.cksum[0] == 0x42,
       "record 2 round trip");
    gw_objloc_t loc;
    gw_objmeta_locate(&d, tbl, 0, &loc);
    ok(loc.vid[0] == 1 && loc.chunk == 0 && loc.coff == 0 && loc.avail == GW_OBJMETA_CHUNK,
       "offset 0: part 1 chunk 0");
    gw_objmeta_locate(&d, tbl, GW_OBJMETA_CHUNK + 5, &loc);
    ok(loc.vid[0] == 1 && loc.chunk == 1 && loc.coff == 5 && loc.avail == 1024 * 1024 - 5,
       "inside part 1 chunk 1");
    gw_objmeta_locate(&d, tbl, 5u * 1024 * 1024, &loc);
    ok(loc.vid[0] == 3 && loc.chunk == 0 && loc.coff == 0 && loc.avail == 3,
       "the empty part is skipped: part 9");
    gw_objmeta_locate(&d, tbl, 5u * 1024 * 1024 + 2, &loc);
    ok(loc.vid[0] == 3 && loc.coff == 2 && loc.avail == 1, "last byte");
    is_int(gw_objparts_check(&d, tbl, tl - 1), TN_ERR_CORRUPT, "short table refused");
    gw_objparts_get(tbl, 1, &g);
    g.number = 1;
    gw_objparts_put(tbl, 1, &g);
    is_int(gw_objparts_check(&d, tbl, tl), TN_ERR_CORRUPT, "part numbers must ascend");
    g.number = 4;
    g.offset = 1;
    gw_objparts_put(tbl, 1, &g);
    is_int(gw_objparts_check(&d, tbl, tl), TN_ERR_CORRUPT, "offsets must be contiguous");
    g.offset = 5u * 1024 * 1024;
    gw_objparts_put(tbl, 1, &g);
    d.size++;
    is_int(gw_objparts_check(&d, tbl, tl), TN_ERR_CORRUPT, "sizes must add up");
    d.size--;
    is_int(gw_objparts_check(&d, tbl, tl), TN_OK, "repaired table checks again");
    free(tbl);

    /* 10,000 parts fit in a row's inline field */
    ok(gw_objparts_len(GW_OBJMETA_MAX_PARTS) <= 1024u * 1024, "10,000 parts fit in 1 MiB");
    m.part_count = 0;
    n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "multipart without parts");
    m.part_count = 2;
    m.chunk_count = 1;
    m.chunk_size = 4;
    n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "multipart with chunks");
}

int main(void)
{
    subtest("roundtrip", test_roundtrip);
    subtest("corrupt", test_corrupt);
    subtest("v1", test_v1);
    subtest("v2_fields", test_v2_fields);
    subtest("parts", test_parts);
    return tt_done();
}
