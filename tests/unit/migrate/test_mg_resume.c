/*
 * test_mg_resume.c — the skip decision: size, full-object CRC32C, composite checksums, ETag.
 */
#include "mg_resume.h"
#include "test.h"

#include <string.h>

static void test_crc_text(void)
{
    char t[13];
    mg_crc32c_text(0xe3069283u, t); /* CRC32C("123456789") */
    is_str(t, "4waSgw==", "base64 of the big-endian bytes");
    mg_crc32c_text(0, t);
    is_str(t, "AAAAAA==", "zero");
}

static void test_decide(void)
{
    mg_local_t l = {.size = 9, .crc32c = 0xe3069283u};
    mg_remote_t r;
    memset(&r, 0, sizeof r);
    is_int(mg_resume_decide(&r, &l), MG_RESUME_SEND, "absent: send");
    r.found = 1;
    r.size = 10;
    strcpy(r.crc32c, "4waSgw==");
    is_int(mg_resume_decide(&r, &l), MG_RESUME_SEND, "other size: send");
    r.size = 9;
    is_int(mg_resume_decide(&r, &l), MG_RESUME_SAME, "same size and CRC32C: skip");
    strcpy(r.cksum_type, "FULL_OBJECT");
    is_int(mg_resume_decide(&r, &l), MG_RESUME_SAME, "full-object type too");
    strcpy(r.crc32c, "AAAAAA==");
    is_int(mg_resume_decide(&r, &l), MG_RESUME_SEND, "other CRC32C: send");
    /* composite: falls to the ETag */
    strcpy(r.crc32c, "AAAAAA==-3");
    r.cksum_type[0] = '\0';
    strcpy(r.etag, "\"0123456789abcdef0123456789abcdef-3\"");
    is_int(mg_resume_decide(&r, &l), MG_RESUME_UNPROVABLE, "composite + multipart ETag");
    r.crc32c[0] = '\0';
    strcpy(r.etag, "\"25f9e794323b453885f5181f1b624d0b\"");
    is_int(mg_resume_decide(&r, &l), MG_RESUME_NEED_MD5, "plain ETag: needs the MD5");
    l.has_md5 = 1;
    static const uint8_t md5[16] = {0x25, 0xf9, 0xe7, 0x94, 0x32, 0x3b, 0x45, 0x38,
                                    0x85, 0xf5, 0x18, 0x1f, 0x1b, 0x62, 0x4d, 0x0b};
    memcpy(l.md5, md5, 16);
    is_int(mg_resume_decide(&r, &l), MG_RESUME_SAME, "MD5 = ETag: skip");
    l.md5[0] ^= 1;
    is_int(mg_resume_decide(&r, &l), MG_RESUME_SEND, "MD5 differs: send");
    strcpy(r.etag, "\"zz5f9e794323b453885f5181f1b624d0\"");
    is_int(mg_resume_decide(&r, &l), MG_RESUME_UNPROVABLE, "not hex: unprovable");
    r.etag[0] = '\0';
    is_int(mg_resume_decide(&r, &l), MG_RESUME_UNPROVABLE, "nothing to compare");
}

int main(void)
{
    subtest("crc text", test_crc_text);
    subtest("decide", test_decide);
    return tt_done();
}
