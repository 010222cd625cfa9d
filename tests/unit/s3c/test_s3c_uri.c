/*
 * test_s3c_uri.c — object key path encoding (SigV4 canonical URI for S3).
 */
#include "s3c_uri.h"
#include "test.h"

static void test_encode(void)
{
    char out[128];
    is_uint(s3c_uri_encode_path("a/b-c_d.e~f", out, sizeof out), 11, "unreserved and / kept");
    is_str(out, "a/b-c_d.e~f", "same");
    s3c_uri_encode_path("a b+c%d=\xc3\xa9", out, sizeof out);
    is_str(out, "a%20b%2Bc%25d%3D%C3%A9", "space + % = and UTF-8 bytes encoded");
    is_uint(s3c_uri_encode_path("", out, sizeof out), 0, "empty");
    is_uint(s3c_uri_encode_path(" ", out, 3), (size_t)-1, "does not fit");
    is_uint(s3c_uri_encode_path(" ", out, 4), 3, "fits exactly");
}

static void test_object_path(void)
{
    char out[64];
    is_uint(s3c_uri_object_path("bkt", "x/y z", out, sizeof out), 12, "length");
    is_str(out, "/bkt/x/y%20z", "bucket and key");
    s3c_uri_object_path("bkt", "", out, sizeof out);
    is_str(out, "/bkt/", "bucket alone");
    is_uint(s3c_uri_object_path("bkt", "abc", out, 8), 0, "too small");
}

int main(void)
{
    subtest("encode", test_encode);
    subtest("object path", test_object_path);
    return tt_done();
}
