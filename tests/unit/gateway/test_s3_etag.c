/* Unit tests for gateway/s3_etag.c: the plain and multipart ETag forms, and gw_objmeta_etag
 * agreeing with it. */
#include <string.h>
#include "gw_objmeta.h"
#include "s3_etag.h"
#include "test.h"

static void test_forms(void)
{
    uint8_t md5[16];
    for (int i = 0; i < 16; i++)
        md5[i] = (uint8_t)(i * 17);
    char e[S3_ETAG_MAX];
    is_int((int)s3_etag_format(md5, 0, e), 34, "plain: 34 characters");
    is_str(e, "\"00112233445566778899aabbccddeeff\"", "plain: quoted lowercase hex");
    is_int((int)s3_etag_format(md5, 1, e), 36, "1 part");
    is_str(e, "\"00112233445566778899aabbccddeeff-1\"", "multipart form");
    is_int((int)s3_etag_format(md5, 10000, e), 40, "10000 parts");
    is_str(e, "\"00112233445566778899aabbccddeeff-10000\"", "part count in decimal");
    is_int((int)s3_etag_format(md5, UINT32_MAX, e), 45, "the longest fits S3_ETAG_MAX");
    is_str(e, "\"00112233445566778899aabbccddeeff-4294967295\"", "u32 max");
}

static void test_objmeta(void)
{
    gw_objmeta_t m;
    memset(&m, 0, sizeof m);
    memset(m.md5, 0xab, sizeof m.md5);
    m.part_count = 3; /* ignored unless multipart */
    char a[48], b[S3_ETAG_MAX];
    size_t n = gw_objmeta_etag(&m, a);
    ok(n == s3_etag_format(m.md5, 0, b) && strcmp(a, b) == 0, "single-part object: plain ETag");
    m.is_multipart = 1;
    n = gw_objmeta_etag(&m, a);
    ok(n == s3_etag_format(m.md5, 3, b) && strcmp(a, b) == 0 && a[n - 2] == '3',
       "multipart object: -N form");
}

int main(void)
{
    subtest("forms", test_forms);
    subtest("gw_objmeta_etag", test_objmeta);
    return tt_done();
}
