/* test_gw_objmeta.c — round trips and corruption handling of the object head-row encoding. */
#include <string.h>
#include "test.h"
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
    buf[0] = 2;
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "unknown version refused");
    buf[0] = 1;
    m.chunk_count = 3; /* 5 MiB + 3 in 4 MiB chunks is 2 */
    n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "chunk count must match size");
    m.chunk_count = 2;
    m.is_inline = 1;
    n = gw_objmeta_encode(&m, buf, sizeof buf);
    is_int(gw_objmeta_decode(buf, (size_t)n, &d), TN_ERR_CORRUPT, "inline with chunks refused");
}

int main(void)
{
    subtest("roundtrip", test_roundtrip);
    subtest("corrupt", test_corrupt);
    return tt_done();
}
