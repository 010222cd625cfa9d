/* Unit tests for gateway/s3_range.c: the S3 Range behaviours listed in s3_range.h. */
#include "s3_range.h"
#include "test.h"

static void check(const char *hdr, uint64_t size, s3_range_kind_t kind, uint64_t start,
                  uint64_t end, const char *cr)
{
    s3_range_t r;
    char what[128], buf[S3_RANGE_CR_MAX];
    snprintf(what, sizeof what, "'%s' size %llu", hdr ? hdr : "(none)", (unsigned long long)size);
    is_int(s3_range_resolve(hdr, hdr ? strlen(hdr) : 0, size, &r), kind, what);
    is_int(r.kind, kind, what);
    if (kind == S3_RANGE_PARTIAL) {
        is_uint(r.start, start, what);
        is_uint(r.end, end, what);
        is_uint(r.length, end - start + 1, what);
    } else if (kind == S3_RANGE_FULL) {
        is_uint(r.length, size, what);
    }
    size_t n = s3_range_content_range(&r, size, buf, sizeof buf);
    if (cr == NULL)
        is_uint(n, 0, what);
    else
        is_str(buf, cr, what);
}

static void test_resolve(void)
{
    check(NULL, 100, S3_RANGE_FULL, 0, 0, NULL);
    check("bytes=0-9", 100, S3_RANGE_PARTIAL, 0, 9, "bytes 0-9/100");
    check("bytes=0-0", 100, S3_RANGE_PARTIAL, 0, 0, "bytes 0-0/100");
    check("bytes=90-", 100, S3_RANGE_PARTIAL, 90, 99, "bytes 90-99/100");
    check("bytes=90-1000", 100, S3_RANGE_PARTIAL, 90, 99, "bytes 90-99/100");
    check("bytes=99-99", 100, S3_RANGE_PARTIAL, 99, 99, "bytes 99-99/100");
    check("bytes=-10", 100, S3_RANGE_PARTIAL, 90, 99, "bytes 90-99/100");
    check("bytes=-1000", 100, S3_RANGE_PARTIAL, 0, 99, "bytes 0-99/100");
    check("Bytes=1-2", 100, S3_RANGE_PARTIAL, 1, 2, "bytes 1-2/100");
    check("bytes=100-", 100, S3_RANGE_UNSATISFIABLE, 0, 0, "bytes */100");
    check("bytes=100-200", 100, S3_RANGE_UNSATISFIABLE, 0, 0, "bytes */100");
    check("bytes=-0", 100, S3_RANGE_UNSATISFIABLE, 0, 0, "bytes */100");
    check("bytes=99999999999999999999999-", 100, S3_RANGE_UNSATISFIABLE, 0, 0, "bytes */100");
    check("bytes=0-99999999999999999999999", 100, S3_RANGE_PARTIAL, 0, 99, "bytes 0-99/100");
    /* ignored: whole object */
    const char *ignored[] = {"bytes=5-3",     "bytes=abc", "items=0-1", "bytes=--1",  "bytes=1-2 x",
                             "bytes=0-1,5-6", "bytes=",    "bytes=-",   "bytes= 0-1", "bytes=+1-2",
                             "bytes=0x1-2",   "byte=0-1",  "",          "bytes=-1-2", "bytes=1--2"};
    for (size_t i = 0; i < TN_ARRAY_SIZE(ignored); i++)
        check(ignored[i], 100, S3_RANGE_FULL, 0, 0, NULL);
    /* zero-length objects */
    check("bytes=0-", 0, S3_RANGE_UNSATISFIABLE, 0, 0, "bytes */0");
    check("bytes=0-0", 0, S3_RANGE_UNSATISFIABLE, 0, 0, "bytes */0");
    check("bytes=-5", 0, S3_RANGE_FULL, 0, 0, NULL);
    check(NULL, 0, S3_RANGE_FULL, 0, 0, NULL);
    /* largest sizes */
    check("bytes=-1", UINT64_MAX, S3_RANGE_PARTIAL, UINT64_MAX - 1, UINT64_MAX - 1,
          "bytes 18446744073709551614-18446744073709551614/18446744073709551615");
}

static void test_parse(void)
{
    s3_range_spec_t s;
    s3_range_parse("bytes=0-1,2-3", 13, &s);
    ok(s.kind == S3_RANGE_SPEC_INVALID && s.multiple, "multiple flagged");
    s3_range_parse("bytes=7-", 8, &s);
    ok(s.kind == S3_RANGE_SPEC_INT && s.first == 7 && s.last == UINT64_MAX, "open-ended");
    s3_range_parse("bytes=-7", 8, &s);
    ok(s.kind == S3_RANGE_SPEC_SUFFIX && s.suffix == 7, "suffix");
    s3_range_parse("bytes=0-1", 5, &s);
    ok(s.kind == S3_RANGE_SPEC_INVALID, "length respected");
    char small[4];
    s3_range_t r = {S3_RANGE_PARTIAL, 0, 9, 10};
    is_uint(s3_range_content_range(&r, 100, small, sizeof small), 0, "small buffer");
}

int main(void)
{
    subtest("resolve", test_resolve);
    subtest("parse", test_parse);
    return tt_done();
}
