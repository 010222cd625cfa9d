/* gw_cors.c — CORS rule matching and response headers (gw_cors.h). Pure. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "gw_policy.h"
#include "gw_cors.h"

static const struct {
    const char *name;
    unsigned bit;
} methods[] = {{"GET", S3_CORS_GET},
               {"PUT", S3_CORS_PUT},
               {"POST", S3_CORS_POST},
               {"DELETE", S3_CORS_DELETE},
               {"HEAD", S3_CORS_HEAD}};

unsigned gw_cors_method_bit(const char *m, size_t len)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (len == strlen(methods[i].name) && memcmp(m, methods[i].name, len) == 0)
            return methods[i].bit;
    return 0;
}

static int is_sp(char c)
{
    return c == ' ' || c == '\t';
}

/* Every comma-separated name in hs matches one of the rule's allowed headers. */
static int headers_ok(const s3_cors_rule_t *r, tn_slice_t hs)
{
    const char *p = hs.base, *end = hs.base + hs.len;
    while (p < end) {
        while (p < end && (is_sp(*p) || *p == ','))
            p++;
        const char *s = p;
        while (p < end && *p != ',')
            p++;
        const char *e = p;
        while (e > s && is_sp(e[-1]))
            e--;
        if (e == s)
            continue;
        int ok = 0;
        for (size_t i = 0; i < r->n_allowed_headers && !ok; i++)
            ok = gw_glob_match(r->allowed_headers[i].base, r->allowed_headers[i].len, s,
                               (size_t)(e - s), 1);
        if (!ok)
            return 0;
    }
    return 1;
}

const s3_cors_rule_t *gw_cors_match(const s3_cors_config_t *c, tn_slice_t origin, unsigned method,
                                    tn_slice_t req_headers)
{
    if (origin.len == 0 || method == 0)
        return NULL;
    for (size_t i = 0; i < c->n_rules; i++) {
        const s3_cors_rule_t *r = &c->rules[i];
        if (!(r->methods & method))
            continue;
        int ok = 0;
        for (size_t o = 0; o < r->n_origins && !ok; o++)
            ok = gw_glob_match(r->origins[o].base, r->origins[o].len, origin.base, origin.len, 0);
        if (!ok)
            continue;
        if (req_headers.len > 0 && !headers_ok(r, req_headers))
            continue;
        return r;
    }
    return NULL;
}

/* Appends s (len) to the list in work at *used, comma-separated; 0 if it does not fit. */
static int list_add(char *work, size_t cap, size_t *used, size_t start, const char *s, size_t len,
                    int lower)
{
    size_t need = (*used > start ? 2 : 0) + len;
    if (*used + need > cap)
        return 0;
    if (*used > start) {
        work[(*used)++] = ',';
        work[(*used)++] = ' ';
    }
    for (size_t i = 0; i < len; i++)
        work[(*used)++] = lower && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
    return 1;
}

size_t gw_cors_headers(const s3_cors_rule_t *r, tn_slice_t origin, tn_slice_t req_headers,
                       int preflight, char *work, size_t work_cap,
                       gw_cors_hdr_t out[GW_CORS_MAX_HDRS])
{
    size_t n = 0, used = 0;
    int any = 0;
    for (size_t o = 0; o < r->n_origins; o++)
        any |= r->origins[o].len == 1 && r->origins[o].base[0] == '*';
    if (any) {
        out[n++] = (gw_cors_hdr_t){"access-control-allow-origin", {"*", 1}};
    } else {
        out[n++] = (gw_cors_hdr_t){"access-control-allow-origin", origin};
        out[n++] = (gw_cors_hdr_t){"access-control-allow-credentials", {"true", 4}};
    }
    size_t start = used;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (r->methods & methods[i].bit)
            list_add(work, work_cap, &used, start, methods[i].name, strlen(methods[i].name), 0);
    out[n++] = (gw_cors_hdr_t){"access-control-allow-methods", {work + start, used - start}};
    if (preflight && req_headers.len > 0) {
        start = used;
        const char *p = req_headers.base, *end = req_headers.base + req_headers.len;
        while (p < end) {
            while (p < end && (is_sp(*p) || *p == ','))
                p++;
            const char *s = p;
            while (p < end && *p != ',')
                p++;
            const char *e = p;
            while (e > s && is_sp(e[-1]))
                e--;
            if (e > s)
                list_add(work, work_cap, &used, start, s, (size_t)(e - s), 1);
        }
        out[n++] = (gw_cors_hdr_t){"access-control-allow-headers", {work + start, used - start}};
    }
    if (r->max_age >= 0 && used + 24 <= work_cap) {
        int l = snprintf(work + used, work_cap - used, "%lld", (long long)r->max_age);
        out[n++] = (gw_cors_hdr_t){"access-control-max-age", {work + used, (size_t)l}};
        used += (size_t)l;
    }
    if (r->n_expose_headers > 0) {
        start = used;
        for (size_t i = 0; i < r->n_expose_headers; i++)
            list_add(work, work_cap, &used, start, r->expose_headers[i].base,
                     r->expose_headers[i].len, 0);
        out[n++] = (gw_cors_hdr_t){"access-control-expose-headers", {work + start, used - start}};
    }
    if (preflight)
        out[n++] = (gw_cors_hdr_t){"vary",
                                   {"Origin, Access-Control-Request-Headers, "
                                    "Access-Control-Request-Method",
                                    sizeof "Origin, Access-Control-Request-Headers, "
                                           "Access-Control-Request-Method" -
                                        1}};
    else
        out[n++] = (gw_cors_hdr_t){"vary", {"Origin", 6}};
    return n;
}
