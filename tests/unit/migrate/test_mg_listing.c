/*
 * test_mg_listing.c — tern-migrate's tables of what the bucket holds: ListObjectsV2 pages
 * (url-encoded keys, continuation), ListMultipartUploads pages, ListParts pages, and the
 * plan of which parts of an interrupted upload can be kept.
 */
#include "mg_listing.h"
#include "mg_resume.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static void test_objects(void)
{
    mg_objs_t t = {0};
    char tok[64];
    int tr;
    const char *p1 = "<ListBucketResult><EncodingType>url</EncodingType>"
                     "<IsTruncated>true</IsTruncated><Contents><Key>p/b%20c</Key><Size>5</Size>"
                     "<ETag>&quot;x&quot;</ETag></Contents><Contents><Key>p/a%2Bz</Key>"
                     "<Size>0</Size></Contents><NextContinuationToken>t1=</NextContinuationToken>"
                     "</ListBucketResult>";
    is_int(mg_objs_add_page(&t, p1, strlen(p1), &tr, tok, sizeof tok), 0, "page 1");
    ok(tr == 1, "truncated");
    is_str(tok, "t1=", "token");
    const char *p2 = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/0</Key>"
                     "<Size>18446744073709551615</Size></Contents></ListBucketResult>";
    is_int(mg_objs_add_page(&t, p2, strlen(p2), &tr, tok, sizeof tok), 0, "page 2");
    ok(tr == 0 && tok[0] == '\0', "last page");
    mg_objs_sort(&t);
    is_uint(t.n, 3, "three objects");
    const mg_obj_t *o = mg_objs_find(&t, "p/b c");
    ok(o != NULL && o->size == 5, "url-decoded key found with its size");
    o = mg_objs_find(&t, "p/a+z");
    ok(o != NULL && o->size == 0, "%2B is +");
    o = mg_objs_find(&t, "p/0");
    ok(o != NULL && o->size == UINT64_MAX, "largest size");
    ok(mg_objs_find(&t, "p/b%20c") == NULL, "encoded form not a key");
    ok(mg_objs_find(&t, "p/zz") == NULL, "absent");
    static const char *const bad[] = {
        "<Contents><Key>k</Key></Contents>",
        "<Contents><Key>k</Key><Size>-1</Size></Contents>",
        "<Contents><Key>k</Key><Size>18446744073709551616</Size></Contents>",
        "<Contents><Key></Key><Size>1</Size></Contents>",
        "<IsTruncated>true</IsTruncated>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        is_int(mg_objs_add_page(&t, bad[i], strlen(bad[i]), &tr, tok, sizeof tok), -1, bad[i]);
    mg_objs_free(&t);
    ok(mg_objs_find(&t, "p/0") == NULL, "freed table is empty");
}

static void test_uploads(void)
{
    mg_uploads_t t = {0};
    char nk[64], nid[64];
    int tr;
    const char *p = "<ListMultipartUploadsResult><EncodingType>url</EncodingType>"
                    "<NextKeyMarker>v/b%20c</NextKeyMarker><NextUploadIdMarker>id2"
                    "</NextUploadIdMarker><IsTruncated>true</IsTruncated>"
                    "<Upload><Key>v/a</Key><UploadId>id1</UploadId><Initiated>2026-11-24T01:00:00"
                    ".000Z</Initiated></Upload><Upload><Key>v/b%20c</Key><UploadId>id2</UploadId>"
                    "</Upload></ListMultipartUploadsResult>";
    is_int(mg_uploads_add_page(&t, p, strlen(p), &tr, nk, sizeof nk, nid, sizeof nid), 0, "page");
    ok(tr == 1, "truncated");
    is_str(nk, "v/b c", "next key marker decoded");
    is_str(nid, "id2", "next upload id marker");
    is_uint(t.n, 2, "two uploads");
    is_str(t.v[0].key, "v/a", "key");
    is_str(t.v[0].id, "id1", "id");
    is_str(t.v[0].initiated, "2026-11-24T01:00:00.000Z", "initiated");
    is_str(t.v[1].key, "v/b c", "decoded key");
    is_str(t.v[1].initiated, "", "no initiated");
    const char *bad = "<Upload><Key>k</Key></Upload>";
    is_int(mg_uploads_add_page(&t, bad, strlen(bad), &tr, nk, sizeof nk, nid, sizeof nid), -1,
           "upload without an id");
    mg_uploads_free(&t);
}

static void test_parts(void)
{
    /* a 20-byte file in parts of 8: 8 + 8 + 4 */
    uint32_t crcs[3] = {0x11111111u, 0x22222222u, 0x33333333u};
    char c[3][13], x[2048];
    for (int i = 0; i < 3; i++)
        mg_crc32c_text(crcs[i], c[i]);
    snprintf(x, sizeof x,
             "<ListPartsResult><IsTruncated>false</IsTruncated><ChecksumAlgorithm>CRC32C"
             "</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>"
             "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag><Size>8</Size>"
             "<ChecksumCRC32C>%s</ChecksumCRC32C></Part>"
             "<Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag><Size>8</Size>"
             "<ChecksumCRC32C>%s</ChecksumCRC32C></Part>"
             "<Part><PartNumber>3</PartNumber><ETag>\"e3\"</ETag><Size>5</Size>"
             "<ChecksumCRC32C>%s</ChecksumCRC32C></Part>"
             "<Part><PartNumber>4</PartNumber><ETag>\"e4\"</ETag><Size>1</Size></Part>"
             "</ListPartsResult>",
             c[0], c[2], c[2]);
    mg_parts_t t = {0};
    int tr;
    uint32_t marker;
    is_int(mg_parts_add_page(&t, x, strlen(x), &tr, &marker), 0, "page");
    ok(!tr && marker == 4 && t.crc32c_full, "complete, CRC32C FULL_OBJECT");
    is_uint(t.n, 4, "four parts");
    is_str(t.v[0].etag, "\"e1\"", "etag decoded");
    uint8_t have[3];
    char etags[3][S3C_MP_ETAG];
    uint64_t there;
    long n = mg_parts_plan(&t, 20, 8, crcs, 3, have, etags, &there);
    is_int(n, 1, "only part 1 matches (2: wrong CRC, 3: wrong size, 4: beyond the file)");
    ok(have[0] && !have[1] && !have[2], "have[]");
    is_str(etags[0], "\"e1\"", "its ETag kept");
    is_uint(there, 8, "bytes already there");
    t.crc32c_full = 0;
    is_int(mg_parts_plan(&t, 20, 8, crcs, 3, have, etags, &there), -1,
           "not a CRC32C FULL_OBJECT upload: not resumable");
    mg_parts_free(&t);
    const char *trunc = "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>"
                        "1000</NextPartNumberMarker></ListPartsResult>";
    is_int(mg_parts_add_page(&t, trunc, strlen(trunc), &tr, &marker), 0, "truncated page");
    ok(tr && marker == 1000, "next marker");
    const char *badm = "<IsTruncated>true</IsTruncated><NextPartNumberMarker>0"
                       "</NextPartNumberMarker>";
    is_int(mg_parts_add_page(&t, badm, strlen(badm), &tr, &marker), -1, "marker 0 refused");
    const char *badp = "<Part><PartNumber>10001</PartNumber><ETag>e</ETag><Size>1</Size></Part>";
    is_int(mg_parts_add_page(&t, badp, strlen(badp), &tr, &marker), -1, "part 10001 refused");
    mg_parts_free(&t);
}

int main(void)
{
    subtest("objects", test_objects);
    subtest("uploads", test_uploads);
    subtest("parts", test_parts);
    return tt_done();
}
