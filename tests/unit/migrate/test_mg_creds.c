/*
 * test_mg_creds.c — the shared credentials file parser.
 */
#include "mg_creds.h"
#include "test.h"

static void test_parse(void)
{
    const char *ini = "# comment\n[default]\naws_access_key_id = AKDEF\n"
                      "aws_secret_access_key=SKDEF  \n\n[ tern ]\n; other comment\n"
                      "aws_access_key_id\t=\tAKTERN\r\naws_secret_access_key = SK/TERN+x\n"
                      "region = us-east-1\n[half]\naws_access_key_id = X\n";
    mg_creds_t c;
    is_int(mg_creds_parse(ini, "default", &c), 0, "default");
    is_str(c.access_key, "AKDEF", "default key");
    is_str(c.secret, "SKDEF", "default secret trimmed");
    is_int(mg_creds_parse(ini, "tern", &c), 0, "named profile, spaces in the brackets");
    is_str(c.access_key, "AKTERN", "tabs and CR trimmed");
    is_str(c.secret, "SK/TERN+x", "secret");
    is_int(mg_creds_parse(ini, "half", &c), -1, "incomplete profile");
    is_int(mg_creds_parse(ini, "none", &c), -1, "missing profile");
    is_int(mg_creds_parse("", "default", &c), -1, "empty file");
}

int main(void)
{
    subtest("parse", test_parse);
    return tt_done();
}
