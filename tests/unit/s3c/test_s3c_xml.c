/*
 * test_s3c_xml.c — the tools' reading of S3 listing answers: walking repeated elements,
 * child text with entities and encoding-type=url decoding, malformed and truncated input.
 */
#include "s3c_xml.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static void test_next(void)
{
    const char *x = "<R><Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents>"
                    "<Contents><Key>c</Key></R>";
    size_t pos = 0, bl;
    const char *b;
    ok(s3c_xml_next(x, strlen(x), &pos, "Contents", &b, &bl), "first");
    is_mem(b, "<Key>a</Key>", bl, "first body");
    ok(s3c_xml_next(x, strlen(x), &pos, "Contents", &b, &bl), "second");
    is_mem(b, "<Key>b</Key>", bl, "second body");
    ok(!s3c_xml_next(x, strlen(x), &pos, "Contents", &b, &bl), "third is not closed");
    pos = 0;
    ok(!s3c_xml_next(x, strlen(x), &pos, "", &b, &bl), "empty name");
    pos = 1000;
    ok(!s3c_xml_next(x, strlen(x), &pos, "Key", &b, &bl), "pos past the end");
    /* the length bounds the search */
    pos = 0;
    ok(!s3c_xml_next(x, 20, &pos, "Contents", &b, &bl), "close tag beyond len not found");
}

static void test_text(void)
{
    char out[64];
    const char *b = "<Key>a&amp;b&lt;&gt;&quot;&apos;&#65;&#x42;</Key><Size>12</Size><E></E>";
    is_int(s3c_xml_text(b, strlen(b), "Key", 0, out, sizeof out), 9, "entities");
    is_str(out, "a&b<>\"'AB", "decoded");
    is_int(s3c_xml_text(b, strlen(b), "Size", 0, out, sizeof out), 2, "size");
    is_str(out, "12", "size text");
    is_int(s3c_xml_text(b, strlen(b), "E", 0, out, sizeof out), 0, "empty element");
    is_int(s3c_xml_text(b, strlen(b), "Nope", 0, out, sizeof out), -1, "absent");
    const char *u = "<Key>d%20x/%C3%BC+y%2B%25</Key>";
    is_int(s3c_xml_text(u, strlen(u), "Key", 1, out, sizeof out), 10, "url decoded");
    is_str(out, "d x/\xc3\xbc y+%", "%XX and + as space");
    is_int(s3c_xml_text(u, strlen(u), "Key", 0, out, sizeof out), 20, "not url: kept");
    static const char *const bad[] = {"<K>a&bogus;</K>", "<K>a<b/></K>", "<K>%4</K>",
                                      "<K>%zz</K>",      "<K>&#0;</K>",  "<K>&#200;</K>",
                                      "<K>&#;</K>",      "<K>&#x41</K>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        is_int(s3c_xml_text(bad[i], strlen(bad[i]), "K", 1, out, sizeof out), -1, bad[i]);
    const char *t = "<K>0123456789</K>";
    is_int(s3c_xml_text(t, strlen(t), "K", 0, out, 10), -1, "too long for the buffer");
    is_int(s3c_xml_text(t, strlen(t), "K", 0, out, 11), 10, "just fits");
}

int main(void)
{
    subtest("next", test_next);
    subtest("text", test_text);
    return tt_done();
}
