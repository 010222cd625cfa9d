/* test_s3_copy.c — the pure pieces of CopyObject and object tagging (s3_copy.h):
 * x-amz-copy-source parsing, directives, ETag lists, copy-source preconditions, versionId
 * checks and the x-amz-tagging header (parse and format round trip). */
#include <stdio.h>
#include <string.h>
#include "test.h"
#include "s3_copy.h"

static int slice_is(tn_slice_t s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.base, want, s.len) == 0;
}

static s3_err_t src(const char *v, s3_copy_source_t *out)
{
    static char work[4096];
    return s3_copy_source_parse(v, strlen(v), work, sizeof work, out, NULL);
}

static void test_source(void)
{
    s3_copy_source_t s;
    is_int(src("bucket/key", &s), S3_OK, "bucket/key");
    ok(slice_is(s.bucket, "bucket") && slice_is(s.key, "key"), "split");
    is_int(src("/bucket/dir/a%20b%2Bc", &s), S3_OK, "leading slash, escapes");
    ok(slice_is(s.bucket, "bucket") && slice_is(s.key, "dir/a b+c"), "decoded key keeps '/'");
    is_int(src("b/k%C3%BC", &s), S3_OK, "UTF-8 escape");
    ok(slice_is(s.key, "k\xC3\xBC"), "UTF-8 decoded");
    is_int(src("b/k?versionId=null", &s), S3_OK, "versionId=null");
    ok(slice_is(s.key, "k"), "query not in the key");
    is_int(src("b/k?versionId=3HL4kqtJlcpX", &s), S3_ERR_NO_SUCH_VERSION, "other version");
    is_int(src("b/k?acl", &s), S3_ERR_INVALID_ARGUMENT, "other query");
    is_int(src("b/k%2", &s), S3_ERR_INVALID_ARGUMENT, "truncated escape");
    is_int(src("b/k%zz", &s), S3_ERR_INVALID_ARGUMENT, "bad escape");
    is_int(src("bucket", &s), S3_ERR_INVALID_ARGUMENT, "no key");
    is_int(src("bucket/", &s), S3_ERR_INVALID_ARGUMENT, "empty key");
    is_int(src("/k", &s), S3_ERR_INVALID_ARGUMENT, "empty bucket");
    is_int(src("", &s), S3_ERR_INVALID_ARGUMENT, "empty");
    is_int(s3_copy_source_parse(NULL, 0, NULL, 0, &s, NULL), S3_ERR_INVALID_ARGUMENT, "absent");
    static char longv[1200];
    memcpy(longv, "b/", 2);
    memset(longv + 2, 'x', 1024);
    longv[1026] = '\0';
    is_int(src(longv, &s), S3_OK, "1024-byte key");
    longv[1026] = 'x';
    longv[1027] = '\0';
    is_int(src(longv, &s), S3_ERR_INVALID_ARGUMENT, "1025-byte key");
    s3_why_t why;
    char w[16];
    is_int(s3_copy_source_parse("b", 1, w, sizeof w, &s, &why), S3_ERR_INVALID_ARGUMENT, "why");
    has_str(why.message, "sourcebucket/sourcekey", "message names the form");
}

static void test_directive(void)
{
    is_int(s3_copy_directive(NULL, 0), 0, "absent: COPY");
    is_int(s3_copy_directive("COPY", 4), 0, "COPY");
    is_int(s3_copy_directive("REPLACE", 7), 1, "REPLACE");
    is_int(s3_copy_directive("replace", 7), -1, "case-sensitive");
    is_int(s3_copy_directive("", 0), -1, "empty");
}

static tn_slice_t sl(const char *s)
{
    return (tn_slice_t){s, s != NULL ? strlen(s) : 0};
}

static int cond(const char *im, const char *inm, const char *ius, const char *ims, const char *et,
                int64_t mt)
{
    s3_copy_cond_t c = {sl(im), sl(inm), sl(ius), sl(ims)};
    return s3_copy_cond_ok(&c, et, strlen(et), mt);
}

#define COND(im, inm, ius, ims) cond(im, inm, ius, ims, et, mt)

static void test_conditions(void)
{
    const char *et = "\"0123456789abcdef0123456789abcdef\"";
    size_t el = strlen(et);
    ok(s3_etag_list_match(et, el, et, el), "quoted");
    ok(s3_etag_list_match(et + 1, el - 2, et, el), "bare");
    ok(s3_etag_list_match("\"x\", *", 6, et, el), "star in a list");
    ok(s3_etag_list_match("\"x\" , \"0123456789abcdef0123456789abcdef\"", 40, et, el),
       "second of a list");
    ok(!s3_etag_list_match("\"x\"", 3, et, el), "no match");
    ok(!s3_etag_list_match("", 0, et, el), "empty");
    int64_t mt = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
    const char *before = "Tue, 14 Nov 2023 22:13:19 GMT", *at = "Tue, 14 Nov 2023 22:13:20 GMT";
    is_int(COND(NULL, NULL, NULL, NULL), 1, "no conditions");
    is_int(COND(et, NULL, NULL, NULL), 1, "if-match true");
    is_int(COND("\"y\"", NULL, NULL, NULL), 0, "if-match false");
    is_int(COND(NULL, et, NULL, NULL), 0, "if-none-match matching");
    is_int(COND(NULL, "\"y\"", NULL, NULL), 1, "if-none-match other");
    is_int(COND(NULL, NULL, before, NULL), 0, "modified after if-unmodified-since");
    is_int(COND(NULL, NULL, at, NULL), 1, "not modified after if-unmodified-since");
    is_int(COND(NULL, NULL, NULL, at), 0, "not modified since");
    is_int(COND(NULL, NULL, NULL, before), 1, "modified since");
    is_int(COND(et, NULL, before, NULL), 1, "if-match true wins over if-unmodified-since");
    is_int(COND(NULL, "\"y\"", NULL, at), 1, "if-none-match true wins over if-modified-since");
    is_int(COND(NULL, et, NULL, before), 0, "if-none-match false fails");
    is_int(COND(NULL, NULL, "garbage", NULL), 1, "unparsable date ignored");
}

static void test_version(void)
{
    s3_param_t p = {.value = {"null", 4}};
    is_int(s3_version_id_check(NULL), S3_OK, "absent");
    is_int(s3_version_id_check(&p), S3_OK, "null");
    p.value = (tn_slice_t){"abc.DEF_1-2", 11};
    is_int(s3_version_id_check(&p), S3_ERR_NO_SUCH_VERSION, "shaped");
    p.value = (tn_slice_t){"a/b", 3};
    is_int(s3_version_id_check(&p), S3_ERR_INVALID_ARGUMENT, "not shaped");
    p.value = (tn_slice_t){"", 0};
    is_int(s3_version_id_check(&p), S3_ERR_INVALID_ARGUMENT, "empty");
}

static s3_err_t tags(const char *v, s3_tag_t *t, size_t *n)
{
    static char work[8192];
    return s3_tagging_header_parse(v, v ? strlen(v) : 0, t, S3_TAGS_MAX_OBJECT, n, work,
                                   sizeof work, NULL);
}

static void test_tagging(void)
{
    s3_tag_t t[S3_TAGS_MAX_OBJECT];
    size_t n = 99;
    is_int(tags(NULL, t, &n), S3_OK, "absent");
    is_int(n, 0, "no tags");
    is_int(tags("a=1&b=two%20words&c=x+y&d=", t, &n), S3_OK, "four tags");
    is_int(n, 4, "count");
    ok(slice_is(t[0].key, "a") && slice_is(t[0].value, "1"), "a=1");
    ok(slice_is(t[1].value, "two words") && slice_is(t[2].value, "x y"), "decoded");
    ok(slice_is(t[3].key, "d") && t[3].value.len == 0, "empty value");
    is_int(tags("k", t, &n), S3_OK, "key without '='");
    is_int(tags("a=1&a=2", t, &n), S3_ERR_INVALID_TAG, "duplicate key");
    is_int(tags("=1", t, &n), S3_ERR_INVALID_TAG, "empty key");
    is_int(tags("aws:x=1", t, &n), S3_ERR_INVALID_TAG, "aws: prefix");
    is_int(tags("a=%zz", t, &n), S3_ERR_INVALID_TAG, "bad escape");
    is_int(tags("a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1", t, &n), S3_OK, "10 tags");
    is_int(tags("a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1", t, &n), S3_ERR_INVALID_TAG,
           "11 tags");
    char buf[1024];
    memset(buf, 'k', 128);
    strcpy(buf + 128, "=v");
    is_int(tags(buf, t, &n), S3_OK, "128-character key");
    memset(buf, 'k', 129);
    strcpy(buf + 129, "=v");
    is_int(tags(buf, t, &n), S3_ERR_INVALID_TAG, "129-character key");
    buf[0] = 'k';
    buf[1] = '=';
    memset(buf + 2, 'v', 256);
    buf[258] = '\0';
    is_int(tags(buf, t, &n), S3_OK, "256-character value");
    buf[258] = 'v';
    buf[259] = '\0';
    is_int(tags(buf, t, &n), S3_ERR_INVALID_TAG, "257-character value");
    /* 128 two-byte characters are 128 characters */
    size_t k = 0;
    for (int i = 0; i < 128; i++) {
        buf[k++] = '%';
        buf[k++] = 'C';
        buf[k++] = '3';
        buf[k++] = '%';
        buf[k++] = 'B';
        buf[k++] = 'C';
    }
    strcpy(buf + k, "=v");
    is_int(tags(buf, t, &n), S3_OK, "limits count characters, not bytes");

    /* format and parse back */
    s3_tag_t in[2] = {{{"a b", 3}, {"x&y=z", 5}}, {{"k\xC3\xBC", 3}, {"", 0}}};
    char out[128];
    size_t fl = s3_tagging_header_format(in, 2, out, sizeof out);
    out[fl] = '\0';
    is_str(out, "a%20b=x%26y%3Dz&k%C3%BC=", "format escapes");
    is_int(tags(out, t, &n), S3_OK, "round trip parses");
    ok(n == 2 && slice_is(t[0].key, "a b") && slice_is(t[0].value, "x&y=z") &&
           slice_is(t[1].key, "k\xC3\xBC") && t[1].value.len == 0,
       "round trip");
    is_int(s3_tagging_header_format(in, 2, out, 5), 0, "too small");
}

int main(void)
{
    subtest("copy source", test_source);
    subtest("directives", test_directive);
    subtest("conditions", test_conditions);
    subtest("versionId", test_version);
    subtest("tagging header", test_tagging);
    return tt_done();
}
