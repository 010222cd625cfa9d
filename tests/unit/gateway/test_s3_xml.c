/* Unit tests for gateway/s3_xml.c: buffer ownership and overflow, escaping rules, UTF-8
 * handling and the <Error> document. */
#include "s3_xml.h"
#include "test.h"

static void test_buf(void)
{
    s3_buf_t b;
    s3_buf_init(&b, 1 << 20);
    for (int i = 0; i < 1000; i++)
        s3_buf_append_str(&b, "0123456789");
    ok(s3_buf_ok(&b), "grows");
    is_uint(b.len, 10000, "length");
    is_uint(strlen(b.base), 10000, "NUL-terminated");
    s3_buf_free(&b);
    ok(b.base == NULL, "freed");

    s3_buf_init(&b, 16);
    s3_buf_append_str(&b, "0123456789abcde");
    ok(s3_buf_ok(&b), "15 bytes + NUL fit in 16");
    s3_buf_append_str(&b, "f");
    ok(!s3_buf_ok(&b), "over max fails");
    s3_buf_append_str(&b, "g");
    is_str(b.base, "0123456789abcde", "sticky: nothing appended after failure");
    s3_buf_reset(&b);
    ok(s3_buf_ok(&b) && b.len == 0, "reset");
    s3_buf_free(&b);

    char mem[8];
    s3_buf_init_fixed(&b, mem, sizeof mem);
    s3_buf_append_str(&b, "abc");
    is_str(mem, "abc", "fixed");
    s3_buf_append_str(&b, "defgh");
    ok(!s3_buf_ok(&b), "fixed overflow");
    is_str(mem, "abc", "fixed unchanged");
}

static const char *esc(s3_buf_t *b, const char *s, size_t n)
{
    s3_buf_reset(b);
    s3_xml_text(b, s, n);
    return b->base;
}

static void test_escape(void)
{
    s3_buf_t b;
    s3_buf_init(&b, 4096);
    is_str(esc(&b, "a&b<c>d\"e'f", 11), "a&amp;b&lt;c&gt;d&quot;e&apos;f", "markup");
    is_str(esc(&b, "tab\tlf\ncr\r", 10), "tab\tlf\ncr&#xD;", "CR escaped, TAB/LF kept");
    is_str(esc(&b, "\x01\x1f", 2), "&#x1;&#x1F;", "control characters as references");
    is_str(esc(&b, "a\0b", 3), "a&#x0;b", "NUL as a reference");
    is_str(esc(&b, "\xe2\x82\xac \xf0\x9f\x98\x80", 8), "\xe2\x82\xac \xf0\x9f\x98\x80",
           "UTF-8 kept");
    is_str(esc(&b, "\xef\xbf\xbe", 3), "&#xFFFE;", "U+FFFE");
    is_str(esc(&b, "a\xffz", 3), "a\xef\xbf\xbdz", "invalid byte -> U+FFFD");
    is_str(esc(&b, "\xc0\xaf", 2), "\xef\xbf\xbd\xef\xbf\xbd", "overlong rejected");
    is_str(esc(&b, "\xed\xa0\x80", 3), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "surrogate");
    is_str(esc(&b, "\xe2\x82", 2), "\xef\xbf\xbd\xef\xbf\xbd", "truncated sequence");
    is_str(esc(&b, "", 0), "", "empty");
    ok(s3_utf8_valid("\xe2\x82\xac", 3), "valid utf-8");
    ok(!s3_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
    ok(!s3_utf8_valid("\xe0\x80\x80", 3), "overlong 3-byte");
    ok(s3_utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF");
    s3_buf_free(&b);
}

static void test_elements(void)
{
    s3_buf_t b;
    s3_buf_init(&b, 4096);
    s3_xml_decl(&b);
    s3_xml_open_ns(&b, "ListAllMyBucketsResult", S3_XML_NS);
    s3_xml_elem_str(&b, "Key", "a<b");
    s3_xml_elem_u64(&b, "Size", 18446744073709551615ULL);
    s3_xml_elem_u64(&b, "Zero", 0);
    s3_xml_elem_bool(&b, "IsTruncated", 0);
    s3_xml_close(&b, "ListAllMyBucketsResult");
    ok(s3_buf_ok(&b), "ok");
    is_str(b.base,
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
           "<Key>a&lt;b</Key><Size>18446744073709551615</Size><Zero>0</Zero>"
           "<IsTruncated>false</IsTruncated></ListAllMyBucketsResult>",
           "document");
    s3_buf_free(&b);
}

static void test_error_doc(void)
{
    s3_buf_t b;
    s3_buf_init(&b, 4096);
    is_int(s3_xml_error(&b, S3_ERR_NO_SUCH_KEY, NULL, "/b/a&b", "4442587FB7D0A2F9"), TN_OK, "ok");
    is_str(b.base,
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
           "<Resource>/b/a&amp;b</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>",
           "NoSuchKey document");
    s3_buf_reset(&b);
    s3_xml_kv_t extra[] = {{"Region", "eu-west-1"}};
    s3_xml_error_ex(&b, S3_ERR_AUTH_HEADER_MALFORMED, "bad <region>", NULL, NULL, extra, 1);
    has_str(b.base,
            "<Code>AuthorizationHeaderMalformed</Code><Message>bad &lt;region&gt;</Message>"
            "<Region>eu-west-1</Region></Error>",
            "custom message and extra element");
    s3_buf_free(&b);
    char mem[64];
    s3_buf_init_fixed(&b, mem, sizeof mem);
    is_int(s3_xml_error(&b, S3_ERR_NO_SUCH_KEY, NULL, NULL, NULL), TN_ERR_TOO_BIG, "overflow");
}

int main(void)
{
    subtest("buf", test_buf);
    subtest("escape", test_escape);
    subtest("elements", test_elements);
    subtest("error document", test_error_doc);
    return tt_done();
}
