/*
 * test_mg_ctype.c — Content-Type from the extension.
 */
#include "mg_ctype.h"
#include "test.h"

static void test_types(void)
{
    is_str(mg_ctype("a/b/x.png"), "image/png", "png");
    is_str(mg_ctype("X.JPG"), "image/jpeg", "case-insensitive");
    is_str(mg_ctype("v.mp4"), "video/mp4", "mp4");
    is_str(mg_ctype("s.css"), "text/css; charset=utf-8", "css");
    is_str(mg_ctype("f.woff2"), "font/woff2", "woff2");
    is_str(mg_ctype("noext"), "application/octet-stream", "no extension");
    is_str(mg_ctype(".hidden"), "application/octet-stream", "dot file");
    is_str(mg_ctype("dir.png/file"), "application/octet-stream", "dot in a directory only");
    is_str(mg_ctype("x."), "application/octet-stream", "trailing dot");
    is_str(mg_ctype("a.tar.gz"), "application/gzip", "last extension");
}

int main(void)
{
    subtest("types", test_types);
    return tt_done();
}
