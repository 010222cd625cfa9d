/* s3_etag.c — the text of an S3 ETag (s3_etag.h). PURE. */
#include "s3_etag.h"
#include "tn_hex.h"

size_t s3_etag_format(const uint8_t md5[16], uint32_t parts, char out[S3_ETAG_MAX])
{
    out[0] = '"';
    tn_hex_encode(out + 1, md5, 16);
    size_t n = 33;
    if (parts > 0) {
        out[n++] = '-';
        char d[10];
        size_t k = 0;
        do {
            d[k++] = (char)('0' + parts % 10);
            parts /= 10;
        } while (parts > 0);
        while (k > 0)
            out[n++] = d[--k];
    }
    out[n++] = '"';
    out[n] = '\0';
    return n;
}
