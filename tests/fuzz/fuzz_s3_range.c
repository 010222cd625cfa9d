/* Fuzz target for gateway/s3_range.c: input = 8-byte object size (little endian, often made
 * small) then the Range header value. Checks the resolved range against the size. */
#include <stdlib.h>
#include <string.h>
#include "s3_range.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint64_t obj = 0;
    for (int i = 7; i >= 0; i--)
        obj = obj << 8 | data[i];
    if (!(data[7] & 0x80))
        obj %= 1000; /* small sizes most of the time, so ranges hit the edges */
    const char *hdr = (const char *)data + 8;
    size_t len = size - 8;
    s3_range_t r;
    s3_range_kind_t k = s3_range_resolve(hdr, len, obj, &r);
    CHECK(k == r.kind);
    char cr[S3_RANGE_CR_MAX];
    size_t n = s3_range_content_range(&r, obj, cr, sizeof cr);
    switch (k) {
    case S3_RANGE_FULL: CHECK(r.length == obj && n == 0); break;
    case S3_RANGE_PARTIAL:
        CHECK(obj > 0 && r.start <= r.end && r.end < obj && r.length == r.end - r.start + 1);
        CHECK(n > 0 && n == strlen(cr) && memcmp(cr, "bytes ", 6) == 0);
        break;
    case S3_RANGE_UNSATISFIABLE: CHECK(n > 0 && memcmp(cr, "bytes */", 8) == 0); break;
    default: abort();
    }
    s3_range_spec_t spec;
    s3_range_parse(hdr, len, &spec);
    CHECK(!(spec.multiple && spec.kind != S3_RANGE_SPEC_INVALID));
    CHECK(spec.kind != S3_RANGE_SPEC_INT || spec.first <= spec.last);
    return 0;
}
