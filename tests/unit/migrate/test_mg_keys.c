/*
 * test_mg_keys.c — key mapping: plain (prefix, odd names, UTF-8, length) and Ghost layout.
 */
#include "mg_keys.h"
#include "test.h"

#include <string.h>

static const char *map(const mg_map_t *m, const char *rel, char *out)
{
    const char *why = NULL;
    return mg_map_key(m, rel, out, MG_KEY_MAX + 1, &why) == 0 ? out : why;
}

static void test_prefix_norm(void)
{
    char p1[] = "/a//b/", p2[] = "", p3[] = "///", p4[] = "x";
    mg_prefix_norm(p1);
    mg_prefix_norm(p2);
    mg_prefix_norm(p3);
    mg_prefix_norm(p4);
    is_str(p1, "a/b", "slashes");
    is_str(p2, "", "empty");
    is_str(p3, "", "only slashes");
    is_str(p4, "x", "plain");
}

static void test_plain(void)
{
    char out[MG_KEY_MAX + 1];
    mg_map_t m = {.prefix = ""};
    is_str(map(&m, "a/b c/%+\xc3\xa9.txt", out), "a/b c/%+\xc3\xa9.txt", "as is, no prefix");
    m.prefix = "backup/2024";
    is_str(map(&m, "x.png", out), "backup/2024/x.png", "under the prefix");
    is_str(map(&m, "bad\xff", out), "name is not valid UTF-8 (S3 keys are UTF-8)", "invalid UTF-8");
    char longname[1100];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    is_str(map(&m, longname, out), "key longer than 1024 bytes", "too long");
    const char *why = NULL;
    ok(mg_map_descend(&m, "data", &why), "plain mode walks everything");
}

static void test_utf8(void)
{
    ok(mg_utf8_valid("plain"), "ascii");
    ok(mg_utf8_valid("\xe2\x82\xac \xf0\x9f\x98\x80"), "3 and 4 byte");
    ok(!mg_utf8_valid("\xc0\xaf"), "overlong");
    ok(!mg_utf8_valid("\xed\xa0\x80"), "surrogate");
    ok(!mg_utf8_valid("\xe2\x82"), "truncated");
    ok(!mg_utf8_valid("\xf4\x90\x80\x80"), "beyond U+10FFFF");
}

static void test_ghost(void)
{
    char out[MG_KEY_MAX + 1];
    mg_map_t m = {.prefix = "", .ghost = 1};
    is_str(map(&m, "images/2024/05/x.png", out), "2024/05/x.png", "image: the adapter's key");
    is_str(map(&m, "images/size/w600/2024/05/x.png", out), "size/w600/2024/05/x.png",
           "resized image");
    is_str(map(&m, "media/2024/05/v.mp4", out), "media/2024/05/v.mp4", "media");
    is_str(map(&m, "files/2024/05/d.pdf", out), "files/2024/05/d.pdf", "files");
    is_str(map(&m, "data/ghost.db", out), "kept locally by Ghost (not images/, media/ or files/)",
           "data skipped");
    is_str(map(&m, "themes/casper/index.hbs", out), "Ghost themes directory (use --include-themes)",
           "themes skipped");
    is_str(map(&m, "images", out), "kept locally by Ghost (not images/, media/ or files/)",
           "a file named images");
    m.prefix = "blog";
    is_str(map(&m, "images/2024/05/x.png", out), "blog/2024/05/x.png", "under pathPrefix");
    is_str(map(&m, "media/a.mp3", out), "blog/media/a.mp3", "media under pathPrefix");
    m.include_themes = 1;
    is_str(map(&m, "themes/casper/index.hbs", out), "blog/themes/casper/index.hbs",
           "--include-themes");
    const char *why = NULL;
    ok(mg_map_descend(&m, "themes", &why), "descends into themes with --include-themes");
    m.include_themes = 0;
    ok(!mg_map_descend(&m, "themes", &why), "not without");
    is_str(why, "Ghost themes directory (use --include-themes)", "and says why");
    ok(!mg_map_descend(&m, "data", &why), "never into data");
    is_str(why, "directory kept locally by Ghost (not images/, media/ or files/)", "why");
    ok(!mg_map_descend(&m, "logs", &why), "never into logs");
    ok(mg_map_descend(&m, "images/2024", &why), "into images");
}

int main(void)
{
    subtest("prefix", test_prefix_norm);
    subtest("plain", test_plain);
    subtest("utf8", test_utf8);
    subtest("ghost", test_ghost);
    return tt_done();
}
