/* s3_range.c — PURE Range header parsing and resolution (see s3_range.h). */
#include <stdio.h>
#include <string.h>
#include "s3_range.h"

/* Parses decimal digits at *p (at least one), saturating at UINT64_MAX. */
static int parse_u64(const char **p, const char *end, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        x = (x > (UINT64_MAX - d) / 10) ? UINT64_MAX : x * 10 + d;
        s++;
    }
    if (s == *p)
        return -1;
    *p = s;
    *v = x;
    return 0;
}

static int ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

void s3_range_parse(const char *hdr, size_t len, s3_range_spec_t *spec)
{
    memset(spec, 0, sizeof *spec);
    if (hdr == NULL || len < 6 || !ieq(hdr, "bytes=", 6))
        return;
    const char *p = hdr + 6, *end = hdr + len;
    if (memchr(p, ',', (size_t)(end - p)) != NULL) {
        spec->multiple = 1;
        return;
    }
    if (p < end && *p == '-') {
        p++;
        if (parse_u64(&p, end, &spec->suffix) < 0 || p != end)
            return;
        spec->kind = S3_RANGE_SPEC_SUFFIX;
        return;
    }
    if (parse_u64(&p, end, &spec->first) < 0 || p == end || *p != '-')
        return;
    p++;
    spec->last = UINT64_MAX;
    if (p != end && (parse_u64(&p, end, &spec->last) < 0 || p != end))
        return;
    if (spec->last < spec->first)
        return;
    spec->kind = S3_RANGE_SPEC_INT;
}

s3_range_kind_t s3_range_resolve(const char *hdr, size_t len, uint64_t size, s3_range_t *out)
{
    s3_range_spec_t spec;
    s3_range_parse(hdr, len, &spec);
    *out = (s3_range_t){S3_RANGE_FULL, 0, 0, size};
    switch (spec.kind) {
    case S3_RANGE_SPEC_INVALID: break;
    case S3_RANGE_SPEC_INT:
        if (spec.first >= size) {
            *out = (s3_range_t){S3_RANGE_UNSATISFIABLE, 0, 0, 0};
        } else {
            uint64_t last = spec.last < size - 1 ? spec.last : size - 1;
            *out = (s3_range_t){S3_RANGE_PARTIAL, spec.first, last, last - spec.first + 1};
        }
        break;
    case S3_RANGE_SPEC_SUFFIX:
        if (spec.suffix == 0) {
            *out = (s3_range_t){S3_RANGE_UNSATISFIABLE, 0, 0, 0};
        } else if (size > 0) {
            uint64_t n = spec.suffix < size ? spec.suffix : size;
            *out = (s3_range_t){S3_RANGE_PARTIAL, size - n, size - 1, n};
        }
        break;
    }
    return out->kind;
}

size_t s3_range_content_range(const s3_range_t *r, uint64_t size, char *out, size_t cap)
{
    int n;
    if (r->kind == S3_RANGE_PARTIAL)
        n = snprintf(out, cap, "bytes %llu-%llu/%llu", (unsigned long long)r->start,
                     (unsigned long long)r->end, (unsigned long long)size);
    else if (r->kind == S3_RANGE_UNSATISFIABLE)
        n = snprintf(out, cap, "bytes */%llu", (unsigned long long)size);
    else
        return 0;
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}
