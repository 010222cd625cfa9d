/*
 * test_s3c_mp.c — the pure multipart pieces of tern-bench: part counts, UploadId
 * extraction (entities, malformed answers), the CompleteMultipartUpload body, the check of
 * its answer, and URI encoding of query values.
 */
#include "s3c_mp.h"
#include "test.h"

#include <stdlib.h>

static void test_parts(void)
{
    is_uint(s3c_mp_parts(100, 10), 10, "exact multiple");
    is_uint(s3c_mp_parts(101, 10), 11, "one short last part");
    is_uint(s3c_mp_parts(0, 10), 1, "empty object: one part");
    is_uint(s3c_mp_parts(5, 10), 1, "smaller than a part");
    is_uint(s3c_mp_parts(100, 0), 0, "part size 0 refused");
    is_uint(s3c_mp_parts(10000ull * 5, 5), 10000, "10000 parts allowed");
    is_uint(s3c_mp_parts(10000ull * 5 + 1, 5), 0, "10001 parts refused");
}

static void test_upload_id(void)
{
    char id[64];
    const char *x = "<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b</Bucket>"
                    "<Key>k</Key><UploadId>a/b+c=&amp;d&lt;&gt;&quot;&apos;</UploadId>"
                    "</InitiateMultipartUploadResult>";
    is_int(s3c_mp_upload_id(x, strlen(x), id, sizeof id), 0, "found");
    is_str(id, "a/b+c=&d<>\"'", "entities decoded");
    static const char *const bad[] = {
        "<UploadId></UploadId>",         "<UploadId>abc",
        "<Error><Code>x</Code></Error>", "<UploadId>a&bogus;</UploadId>",
        "<UploadId>a<b/></UploadId>",    "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        is_int(s3c_mp_upload_id(bad[i], strlen(bad[i]), id, sizeof id), -1, bad[i]);
    const char *big = "<UploadId>0123456789</UploadId>";
    is_int(s3c_mp_upload_id(big, strlen(big), id, 10), -1, "too long for the buffer");
    is_int(s3c_mp_upload_id(big, strlen(big), id, 11), 0, "just fits");
    /* the length bounds the search: no reading past len */
    is_int(s3c_mp_upload_id(big, 20, id, sizeof id), -1, "closing tag beyond len");
}

static void test_complete(void)
{
    char etags[3][S3C_MP_ETAG] = {"\"aa\"", "\"bb\"", "\"cc\""};
    char out[512];
    size_t n = s3c_mp_complete_xml(out, sizeof out, (const char(*)[S3C_MP_ETAG])etags, 3);
    is_str(out,
           "<CompleteMultipartUpload>"
           "<Part><PartNumber>1</PartNumber><ETag>\"aa\"</ETag></Part>"
           "<Part><PartNumber>2</PartNumber><ETag>\"bb\"</ETag></Part>"
           "<Part><PartNumber>3</PartNumber><ETag>\"cc\"</ETag></Part>"
           "</CompleteMultipartUpload>",
           "complete body");
    is_uint(n, strlen(out), "length");
    ok(n <= s3c_mp_complete_cap(3), "within the computed bound");
    is_uint(s3c_mp_complete_xml(out, 100, (const char(*)[S3C_MP_ETAG])etags, 3), 0, "too small");
    /* the bound holds for the longest ETags and part numbers */
    static char full[S3C_MP_MAX_PARTS][S3C_MP_ETAG];
    for (int i = 0; i < S3C_MP_MAX_PARTS; i++) {
        memset(full[i], 'e', S3C_MP_ETAG - 1);
        full[i][S3C_MP_ETAG - 1] = '\0';
    }
    size_t cap = s3c_mp_complete_cap(S3C_MP_MAX_PARTS);
    char *buf = malloc(cap);
    ok(buf != NULL &&
           s3c_mp_complete_xml(buf, cap, (const char(*)[S3C_MP_ETAG])full, S3C_MP_MAX_PARTS) > 0,
       "10000 longest parts fit the bound");
    free(buf);

    const char *okb =
        "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>";
    const char *err = "<Error><Code>InternalError</Code></Error>";
    ok(s3c_mp_complete_ok(okb, strlen(okb)), "result accepted");
    ok(!s3c_mp_complete_ok(err, strlen(err)), "200 with <Error> refused");
    ok(!s3c_mp_complete_ok("", 0), "empty refused");
}

static void test_uri_encode(void)
{
    char out[64];
    is_uint(s3c_uri_encode("aZ09-_.~", out, sizeof out), 8, "unreserved kept");
    is_str(out, "aZ09-_.~", "unreserved");
    s3c_uri_encode("a/b+c=d&e f%\xff", out, sizeof out);
    is_str(out, "a%2Fb%2Bc%3Dd%26e%20f%25%FF", "reserved encoded, uppercase hex");
    is_uint(s3c_uri_encode("", out, sizeof out), 0, "empty refused");
    is_uint(s3c_uri_encode("//", out, 6), 0, "does not fit (needs 7 with the NUL)");
    is_uint(s3c_uri_encode("//", out, 7), 6, "fits exactly");
}

int main(void)
{
    subtest("parts", test_parts);
    subtest("upload id", test_upload_id);
    subtest("complete", test_complete);
    subtest("uri encode", test_uri_encode);
    return tt_done();
}
