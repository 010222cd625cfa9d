/*
 * s3c_mp.c — pure helpers of the tools' multipart uploads (see s3c_mp.h).
 */
#include "s3c_mp.h"

#include <stdio.h>
#include <string.h>

uint32_t s3c_mp_parts(uint64_t size, uint64_t part_size)
{
    if (part_size == 0)
        return 0;
    uint64_t n = size / part_size + (size % part_size != 0);
    if (n == 0)
        n = 1;
    return n > S3C_MP_MAX_PARTS ? 0 : (uint32_t)n;
}

static const char *find(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(s + i, needle, n) == 0)
            return s + i;
    return NULL;
}

int s3c_mp_upload_id(const char *xml, size_t len, char *out, size_t cap)
{
    const char *open = find(xml, len, "<UploadId>");
    if (open == NULL)
        return -1;
    const char *v = open + 10;
    const char *close = find(v, len - (size_t)(v - xml), "</UploadId>");
    if (close == NULL || close == v)
        return -1;
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t o = 0;
    while (v < close) {
        char c = *v;
        if (c == '&') {
            size_t k = 0;
            for (; k < sizeof ents / sizeof ents[0]; k++) {
                size_t el = strlen(ents[k].ent);
                if ((size_t)(close - v) >= el && memcmp(v, ents[k].ent, el) == 0) {
                    c = ents[k].c;
                    v += el;
                    break;
                }
            }
            if (k == sizeof ents / sizeof ents[0])
                return -1;
        } else if (c == '<') {
            return -1;
        } else {
            v++;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

size_t s3c_mp_complete_cap(uint32_t n)
{
    /* 64 for the envelope, per part: tags (55) + number (5) + ETag (S3C_MP_ETAG) */
    return 64 + (size_t)n * (60 + S3C_MP_ETAG);
}

size_t s3c_mp_complete_xml(char *out, size_t cap, const char (*etags)[S3C_MP_ETAG], uint32_t n)
{
    size_t o = 0;
    int k = snprintf(out, cap, "<CompleteMultipartUpload>");
    if (k < 0 || (size_t)k >= cap)
        return 0;
    o = (size_t)k;
    for (uint32_t i = 0; i < n; i++) {
        k = snprintf(out + o, cap - o, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
                     i + 1, etags[i]);
        if (k < 0 || (size_t)k >= cap - o)
            return 0;
        o += (size_t)k;
    }
    k = snprintf(out + o, cap - o, "</CompleteMultipartUpload>");
    if (k < 0 || (size_t)k >= cap - o)
        return 0;
    return o + (size_t)k;
}

int s3c_mp_complete_ok(const char *body, size_t len)
{
    return find(body, len, "<CompleteMultipartUploadResult") != NULL &&
           find(body, len, "<Error>") == NULL;
}

size_t s3c_uri_encode(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    if (*in == '\0')
        return 0;
    for (; *in; in++) {
        unsigned char c = (unsigned char)*in;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
        if (o + (plain ? 1 : 3) >= cap)
            return 0;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return o;
}
