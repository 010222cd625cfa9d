/*
 * s3c_uri.c — URI encoding of object keys for request paths (see s3c_uri.h).
 */
#include "s3c_uri.h"

#include <string.h>

size_t s3c_uri_encode_path(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *in; in++) {
        unsigned char c = (unsigned char)*in;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
        if (o + (plain ? 1 : 3) >= cap)
            return (size_t)-1;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o >= cap)
        return (size_t)-1;
    out[o] = '\0';
    return o;
}

size_t s3c_uri_object_path(const char *bucket, const char *key, char *out, size_t cap)
{
    size_t bl = strlen(bucket);
    if (bl + 3 > cap)
        return 0;
    out[0] = '/';
    memcpy(out + 1, bucket, bl);
    out[bl + 1] = '/';
    size_t k = s3c_uri_encode_path(key, out + bl + 2, cap - bl - 2);
    if (k == (size_t)-1)
        return 0;
    return bl + 2 + k;
}
