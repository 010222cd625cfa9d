/* Unit tests for gateway/s3_router.c: addressing styles, key decoding (exactly once, nothing
 * normalized), query parameters, operation selection, errors and bucket-name rules. */
#include "s3_router.h"
#include "test.h"

static const tn_slice_t domains[] = {{"s3.local", 8}, {"s3.example.com", 14}};
static s3_route_t R;
static char work[16384];

static s3_err_t route(const char *method, const char *host, const char *target, int copy)
{
    s3_route_in_t in = {method, strlen(method), host,    host ? strlen(host) : 0,
                        target, strlen(target), domains, TN_ARRAY_SIZE(domains),
                        copy};
    return s3_route(&in, &R, work, sizeof work);
}

static int slice_is(tn_slice_t s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.base, want, s.len) == 0;
}

static void expect(const char *method, const char *host, const char *target, int copy, s3_op_t op,
                   const char *bucket, const char *key)
{
    char what[256];
    snprintf(what, sizeof what, "%s %s (Host %s)", method, target, host ? host : "-");
    s3_err_t e = route(method, host, target, copy);
    is_int(e, S3_OK, what);
    if (!tt_check(R.op == op, __FILE__, __LINE__, what))
        fprintf(stderr, "    got %s, want %s\n", s3_op_name(R.op), s3_op_name(op));
    ok(slice_is(R.bucket, bucket), what);
    if (!tt_check(slice_is(R.key, key), __FILE__, __LINE__, what))
        fprintf(stderr, "    key '%.*s', want '%s'\n", (int)R.key.len, R.key.base, key);
}

static void expect_err(const char *method, const char *host, const char *target, s3_err_t err)
{
    char what[256];
    snprintf(what, sizeof what, "%s %s (Host %s) fails", method, target, host ? host : "-");
    is_int(route(method, host, target, 0), err, what);
}

static void test_styles(void)
{
    expect("GET", "s3.local:9000", "/", 0, S3_OP_LIST_BUCKETS, "", "");
    expect("GET", "s3.local", "/bucket", 0, S3_OP_LIST_OBJECTS, "bucket", "");
    expect("GET", "s3.local", "/bucket/", 0, S3_OP_LIST_OBJECTS, "bucket", "");
    expect("GET", "s3.local", "/bucket/a/b.txt", 0, S3_OP_GET_OBJECT, "bucket", "a/b.txt");
    is_int(R.style, S3_STYLE_PATH, "path style");
    expect("GET", "bucket.s3.local:9000", "/a/b.txt", 0, S3_OP_GET_OBJECT, "bucket", "a/b.txt");
    is_int(R.style, S3_STYLE_VHOST, "vhost style");
    expect("GET", "My.Bucket.S3.Example.COM", "/", 0, S3_OP_LIST_OBJECTS, "my.bucket", "");
    expect("GET", "bucket.s3.local.", "/k", 0, S3_OP_GET_OBJECT, "bucket", "k");
    expect("GET", "127.0.0.1:9000", "/bucket/k", 0, S3_OP_GET_OBJECT, "bucket", "k");
    expect("GET", "[::1]:9000", "/bucket/k", 0, S3_OP_GET_OBJECT, "bucket", "k");
    expect("GET", "other.host", "/bucket/k", 0, S3_OP_GET_OBJECT, "bucket", "k");
    expect("GET", NULL, "/bucket/k", 0, S3_OP_GET_OBJECT, "bucket", "k");
    expect("GET", "xs3.local", "/bucket/k", 0, S3_OP_GET_OBJECT, "bucket", "k");
    /* absolute-form: its authority wins */
    expect("GET", "ignored", "http://bucket.s3.local:9000/k?acl", 0, S3_OP_GET_OBJECT_ACL, "bucket",
           "k");
    expect("GET", "s3.local", "HTTPS://s3.local/b1b/k", 0, S3_OP_GET_OBJECT, "b1b", "k");
    expect_err("GET", "s3.local", "http://s3.local", S3_ERR_INVALID_URI);
    expect_err("GET", "s3.local", "*", S3_ERR_INVALID_URI);
    expect_err("GET", "s3.local", "bucket/k", S3_ERR_INVALID_URI);
}

static void test_keys(void)
{
    expect("GET", "s3.local", "/b1b/a%20b+c", 0, S3_OP_GET_OBJECT, "b1b", "a b+c");
    expect("GET", "s3.local", "/b1b//x//", 0, S3_OP_GET_OBJECT, "b1b", "/x//");
    expect("GET", "s3.local", "/b1b/../../etc/passwd", 0, S3_OP_GET_OBJECT, "b1b",
           "../../etc/passwd");
    expect("GET", "s3.local", "/b1b/%2e%2e/z", 0, S3_OP_GET_OBJECT, "b1b", "../z");
    expect("GET", "s3.local", "/b1b/a%2Fb", 0, S3_OP_GET_OBJECT, "b1b", "a/b");
    expect("GET", "s3.local", "/b1b/%2541", 0, S3_OP_GET_OBJECT, "b1b", "%41");
    expect("GET", "s3.local", "/b1b/%E2%82%AC\xe2\x82\xac", 0, S3_OP_GET_OBJECT, "b1b",
           "\xe2\x82\xac\xe2\x82\xac");
    expect("GET", "b1b.s3.local", "//", 0, S3_OP_GET_OBJECT, "b1b", "/");
    expect_err("GET", "s3.local", "/b1b/%zz", S3_ERR_INVALID_URI);
    expect_err("GET", "s3.local", "/b1b/a%2", S3_ERR_INVALID_URI);
    expect_err("GET", "s3.local", "/b1b/a%00b", S3_ERR_INVALID_URI);
    expect_err("GET", "s3.local", "//key", S3_ERR_INVALID_URI);
    /* key length: 1024 bytes after decoding is the limit */
    char t[4000];
    strcpy(t, "/b1b/");
    memset(t + 5, 'k', 1024);
    t[5 + 1024] = '\0';
    is_int(route("PUT", "s3.local", t, 0), S3_OK, "1024-byte key");
    is_uint(R.key.len, 1024, "key length");
    t[5 + 1024] = 'k';
    t[5 + 1025] = '\0';
    is_int(route("PUT", "s3.local", t, 0), S3_ERR_KEY_TOO_LONG, "1025-byte key");
    /* encoded: 1024 decoded bytes from 3072 raw ones are fine */
    strcpy(t, "/b1b/");
    for (int i = 0; i < 1024; i++)
        memcpy(t + 5 + 3 * i, "%41", 3);
    t[5 + 3072] = '\0';
    is_int(route("PUT", "s3.local", t, 0), S3_OK, "encoded 1024-byte key");
    is_uint(R.key.len, 1024, "decoded length counts");
    /* workspace too small */
    s3_route_in_t in = {"GET", 3, "s3.local", 8, "/b1b/key", 8, domains, 2, 0};
    is_int(s3_route(&in, &R, work, 4), S3_ERR_INTERNAL_ERROR, "small workspace");
}

static void test_query(void)
{
    expect("GET", "s3.local", "/b1b?prefix=a%2Fb+c&delimiter=%2F&list-type=2&empty=&flag&&x=1=2", 0,
           S3_OP_LIST_OBJECTS_V2, "b1b", "");
    is_uint(R.n_params, 6, "empty segment skipped");
    const s3_param_t *p = s3_route_param(&R, "prefix");
    ok(p && slice_is(p->value, "a/b c") && slice_is(p->raw_value, "a%2Fb+c"), "decoded + raw");
    p = s3_route_param(&R, "empty");
    ok(p && p->has_value && p->value.len == 0, "empty value");
    p = s3_route_param(&R, "flag");
    ok(p && !p->has_value, "no value");
    p = s3_route_param(&R, "x");
    ok(p && slice_is(p->value, "1=2"), "value with '='");
    ok(slice_is(R.params[0].name, "prefix") && slice_is(R.params[5].name, "x"), "order kept");
    ok(slice_is(R.raw_path, "/b1b"), "raw path");
    ok(R.has_query && R.raw_query.len > 0, "raw query");
    expect_err("GET", "s3.local", "/b1b?prefix=%zz", S3_ERR_INVALID_URI);
    char t[2048];
    strcpy(t, "/b1b?");
    for (int i = 0; i < 65; i++)
        strcat(t, "a=1&");
    expect_err("GET", "s3.local", t, S3_ERR_INVALID_ARGUMENT);
    expect("GET", "s3.local", "/b1b?", 0, S3_OP_LIST_OBJECTS, "b1b", "");
    ok(R.has_query && R.n_params == 0, "bare '?'");
}

static void test_ops(void)
{
    static const struct {
        const char *method, *target;
        int copy;
        s3_op_t op;
    } cases[] = {
        {"PUT", "/b1b", 0, S3_OP_CREATE_BUCKET},
        {"DELETE", "/b1b", 0, S3_OP_DELETE_BUCKET},
        {"HEAD", "/b1b", 0, S3_OP_HEAD_BUCKET},
        {"GET", "/b1b?location", 0, S3_OP_GET_BUCKET_LOCATION},
        {"GET", "/b1b?list-type=2&prefix=x", 0, S3_OP_LIST_OBJECTS_V2},
        {"GET", "/b1b?list-type=1", 0, S3_OP_LIST_OBJECTS},
        {"GET", "/b1b?versions", 0, S3_OP_LIST_OBJECT_VERSIONS},
        {"GET", "/b1b?uploads", 0, S3_OP_LIST_MULTIPART_UPLOADS},
        {"GET", "/b1b?cors", 0, S3_OP_GET_BUCKET_CORS},
        {"PUT", "/b1b?cors", 0, S3_OP_PUT_BUCKET_CORS},
        {"DELETE", "/b1b?cors", 0, S3_OP_DELETE_BUCKET_CORS},
        {"GET", "/b1b?acl", 0, S3_OP_GET_BUCKET_ACL},
        {"PUT", "/b1b?acl", 0, S3_OP_PUT_BUCKET_ACL},
        {"GET", "/b1b?versioning", 0, S3_OP_GET_BUCKET_VERSIONING},
        {"PUT", "/b1b?versioning", 0, S3_OP_PUT_BUCKET_VERSIONING},
        {"GET", "/b1b?policy", 0, S3_OP_GET_BUCKET_POLICY},
        {"PUT", "/b1b?policy", 0, S3_OP_PUT_BUCKET_POLICY},
        {"DELETE", "/b1b?policy", 0, S3_OP_DELETE_BUCKET_POLICY},
        {"POST", "/b1b?delete", 0, S3_OP_DELETE_OBJECTS},
        {"POST", "/b1b", 0, S3_OP_POST_OBJECT},
        {"GET", "/b1b?tagging", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"GET", "/b1b?lifecycle", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"PUT", "/b1b?website", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"GET", "/b1b?publicAccessBlock", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"GET", "/b1b?object-lock", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"PUT", "/b1b/k", 0, S3_OP_PUT_OBJECT},
        {"PUT", "/b1b/k", 1, S3_OP_COPY_OBJECT},
        {"GET", "/b1b/k?versionId=3&x-id=GetObject&response-content-type=a", 0, S3_OP_GET_OBJECT},
        {"GET", "/b1b/k?partNumber=2", 0, S3_OP_GET_OBJECT},
        {"HEAD", "/b1b/k?partNumber=2", 0, S3_OP_HEAD_OBJECT},
        {"DELETE", "/b1b/k", 0, S3_OP_DELETE_OBJECT},
        {"GET", "/b1b/k?acl", 0, S3_OP_GET_OBJECT_ACL},
        {"PUT", "/b1b/k?acl", 0, S3_OP_PUT_OBJECT_ACL},
        {"GET", "/b1b/k?tagging", 0, S3_OP_GET_OBJECT_TAGGING},
        {"PUT", "/b1b/k?tagging", 0, S3_OP_PUT_OBJECT_TAGGING},
        {"DELETE", "/b1b/k?tagging", 0, S3_OP_DELETE_OBJECT_TAGGING},
        {"GET", "/b1b/k?attributes", 0, S3_OP_GET_OBJECT_ATTRIBUTES},
        {"POST", "/b1b/k?uploads", 0, S3_OP_CREATE_MULTIPART_UPLOAD},
        {"PUT", "/b1b/k?partNumber=1&uploadId=u", 0, S3_OP_UPLOAD_PART},
        {"PUT", "/b1b/k?uploadId=u&partNumber=1", 1, S3_OP_UPLOAD_PART_COPY},
        {"POST", "/b1b/k?uploadId=u", 0, S3_OP_COMPLETE_MULTIPART_UPLOAD},
        {"DELETE", "/b1b/k?uploadId=u", 0, S3_OP_ABORT_MULTIPART_UPLOAD},
        {"GET", "/b1b/k?uploadId=u", 0, S3_OP_LIST_PARTS},
        {"OPTIONS", "/b1b/k", 0, S3_OP_OPTIONS},
        {"OPTIONS", "/", 0, S3_OP_OPTIONS},
        {"GET", "/b1b/k?retention", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"GET", "/b1b/k?legal-hold", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"POST", "/b1b/k?restore", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"POST", "/b1b/k?select&select-type=2", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"GET", "/b1b/k?cors", 0, S3_OP_UNKNOWN_SUBRESOURCE},
        {"GET", "/b1b?uploadId=x", 0, S3_OP_UNKNOWN_SUBRESOURCE},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(cases); i++) {
        char what[256];
        snprintf(what, sizeof what, "%s %s", cases[i].method, cases[i].target);
        is_int(route(cases[i].method, "s3.local", cases[i].target, cases[i].copy), S3_OK, what);
        if (!tt_check(R.op == cases[i].op, __FILE__, __LINE__, what))
            fprintf(stderr, "    got %s, want %s\n", s3_op_name(R.op), s3_op_name(cases[i].op));
    }
    expect_err("PATCH", "s3.local", "/b1b/k", S3_ERR_METHOD_NOT_ALLOWED);
    expect_err("get", "s3.local", "/b1b/k", S3_ERR_METHOD_NOT_ALLOWED);
    expect_err("PUT", "s3.local", "/", S3_ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "s3.local", "/b1b/k", S3_ERR_METHOD_NOT_ALLOWED);
    expect_err("POST", "s3.local", "/b1b?cors", S3_ERR_METHOD_NOT_ALLOWED);
    expect_err("PUT", "s3.local", "/b1b/k?partNumber=1", S3_ERR_INVALID_ARGUMENT);
    expect_err("PUT", "s3.local", "/b1b/k?uploadId=u", S3_ERR_INVALID_ARGUMENT);
    expect_err("GET", "s3.local", "/B1B/k", S3_ERR_INVALID_BUCKET_NAME);
    expect_err("GET", "Bad_Bucket.s3.local", "/k", S3_ERR_INVALID_BUCKET_NAME);
    is_str(s3_op_name(S3_OP_UPLOAD_PART_COPY), "UploadPartCopy", "op name");
    is_str(s3_op_name((s3_op_t)999), "Unknown", "bad op name");
}

static void test_bucket_names(void)
{
    const char *good[] = {
        "abc",       "my-bucket", "my.bucket.1",
        "a1b",       "123",       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "192.168.5", "xn-a",      "a-s3alias-b"};
    const char *bad[] = {"ab",
                         "Abc",
                         "a_b",
                         "-ab",
                         "ab-",
                         ".ab",
                         "ab.",
                         "a..b",
                         "192.168.5.4",
                         "xn--abc",
                         "abc-s3alias",
                         "sthree-abc",
                         "abc--ol-s3",
                         "abc.mrap",
                         "abc--x-s3",
                         "a b",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                         "amzn-s3-demo-x",
                         "a\xc3\xa9z",
                         ""};
    for (size_t i = 0; i < TN_ARRAY_SIZE(good); i++)
        ok(s3_bucket_name_valid(good[i], strlen(good[i])), good[i]);
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++)
        ok(!s3_bucket_name_valid(bad[i], strlen(bad[i])), bad[i]);
}

int main(void)
{
    subtest("styles", test_styles);
    subtest("keys", test_keys);
    subtest("query", test_query);
    subtest("ops", test_ops);
    subtest("bucket names", test_bucket_names);
    return tt_done();
}
