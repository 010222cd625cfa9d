/* s3_copy.c — x-amz-copy-source, directives, copy-source preconditions and x-amz-tagging
 * (see s3_copy.h). */
#include <string.h>
#include "tn_hex.h"
#include "tn_time.h"
#include "s3_copy.h"
#include "s3_router.h"

static int pct_decode(const char *s, size_t n, char *out, size_t *outn)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n)
                return -1;
            int a = tn_hex_digit((unsigned char)s[i + 1]),
                b = tn_hex_digit((unsigned char)s[i + 2]);
            if (a < 0 || b < 0)
                return -1;
            out[k++] = (char)(a * 16 + b);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    *outn = k;
    return 0;
}

s3_err_t s3_copy_source_parse(const char *v, size_t len, char *work, size_t cap,
                              s3_copy_source_t *out, s3_why_t *why)
{
    memset(out, 0, sizeof *out);
    if (v == NULL || len == 0 || cap < len)
        return s3_why_set(why, S3_ERR_INVALID_ARGUMENT,
                          "Copy Source must mention the source bucket and key: "
                          "sourcebucket/sourcekey");
    const char *q = memchr(v, '?', len);
    size_t plen = q != NULL ? (size_t)(q - v) : len;
    size_t n = 0;
    if (pct_decode(v, plen, work, &n) != 0)
        return s3_why_set(why, S3_ERR_INVALID_ARGUMENT, "Invalid copy source encoding");
    const char *p = work;
    if (n > 0 && *p == '/') {
        p++;
        n--;
    }
    const char *slash = memchr(p, '/', n);
    if (slash == NULL || slash == p || (size_t)(slash - p) + 1 >= n ||
        n - (size_t)(slash - p) - 1 > S3_KEY_MAX)
        return s3_why_set(why, S3_ERR_INVALID_ARGUMENT,
                          "Copy Source must mention the source bucket and key: "
                          "sourcebucket/sourcekey");
    if (q != NULL) {
        size_t ql = len - plen - 1;
        const char *qs = q + 1;
        if (ql < 10 || memcmp(qs, "versionId=", 10) != 0)
            return s3_why_set(why, S3_ERR_INVALID_ARGUMENT, "Invalid copy source query");
        if (!(ql == 14 && memcmp(qs + 10, "null", 4) == 0))
            return s3_why_set(why, S3_ERR_NO_SUCH_VERSION, NULL);
    }
    out->bucket = (tn_slice_t){p, (size_t)(slash - p)};
    out->key = (tn_slice_t){slash + 1, n - (size_t)(slash - p) - 1};
    return S3_OK;
}

s3_err_t s3_version_id_check(const s3_param_t *p)
{
    if (p == NULL || (p->value.len == 4 && memcmp(p->value.base, "null", 4) == 0))
        return S3_OK;
    int shaped = p->value.len > 0 && p->value.len <= 1024;
    for (size_t i = 0; shaped && i < p->value.len; i++) {
        char c = p->value.base[i];
        shaped = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    }
    return shaped ? S3_ERR_NO_SUCH_VERSION : S3_ERR_INVALID_ARGUMENT;
}

int s3_copy_directive(const char *v, size_t len)
{
    if (v == NULL || (len == 4 && memcmp(v, "COPY", 4) == 0))
        return 0;
    if (len == 7 && memcmp(v, "REPLACE", 7) == 0)
        return 1;
    return -1;
}

int s3_etag_list_match(const char *hdr, size_t len, const char *etag, size_t elen)
{
    const char *p = hdr, *e = hdr + len;
    while (p < e) {
        while (p < e && (*p == ' ' || *p == ','))
            p++;
        const char *q = p;
        while (q < e && *q != ',')
            q++;
        const char *t = q;
        while (t > p && t[-1] == ' ')
            t--;
        size_t n = (size_t)(t - p);
        if (n > 0 && ((n == 1 && *p == '*') || (n == elen && memcmp(p, etag, elen) == 0) ||
                      (n + 2 == elen && memcmp(p, etag + 1, n) == 0)))
            return 1;
        p = q;
    }
    return 0;
}

int s3_copy_cond_ok(const s3_copy_cond_t *c, const char *etag, size_t elen, int64_t mtime_s)
{
    int64_t t;
    if (c->if_match.base != NULL) {
        if (!s3_etag_list_match(c->if_match.base, c->if_match.len, etag, elen))
            return 0;
    } else if (c->if_unmodified_since.base != NULL &&
               tn_time_parse_http(c->if_unmodified_since.base, c->if_unmodified_since.len, &t) ==
                   TN_OK &&
               mtime_s > t) {
        return 0;
    }
    if (c->if_none_match.base != NULL) {
        if (s3_etag_list_match(c->if_none_match.base, c->if_none_match.len, etag, elen))
            return 0;
    } else if (c->if_modified_since.base != NULL &&
               tn_time_parse_http(c->if_modified_since.base, c->if_modified_since.len, &t) ==
                   TN_OK &&
               mtime_s <= t) {
        return 0;
    }
    return 1;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

s3_err_t s3_tagging_header_parse(const char *v, size_t len, s3_tag_t *tags, size_t max, size_t *n,
                                 char *work, size_t cap, s3_why_t *why)
{
    *n = 0;
    if (v == NULL || len == 0)
        return S3_OK;
    s3_param_t ps[S3_TAGS_MAX_OBJECT + 1];
    size_t np = 0;
    size_t lim = TN_MIN(max, (size_t)S3_TAGS_MAX_OBJECT);
    s3_err_t e = s3_query_parse(v, len, ps, lim + 1, &np, work, cap);
    if (e != S3_OK || np > lim)
        return s3_why_set(why, S3_ERR_INVALID_TAG,
                          np > lim || e == S3_ERR_INVALID_ARGUMENT
                              ? "Object tags cannot be greater than 10"
                              : "The tag provided was not a valid tag.");
    for (size_t i = 0; i < np; i++) {
        tn_slice_t k = ps[i].name, val = ps[i].value;
        if (k.len == 0)
            return s3_why_set(why, S3_ERR_INVALID_TAG, "The TagKey you have provided is invalid");
        if (utf8_chars(k.base, k.len) > S3_XML_MAX_TAG_KEY)
            return s3_why_set(why, S3_ERR_INVALID_TAG,
                              "The TagKey you have provided is too long, max %d",
                              S3_XML_MAX_TAG_KEY);
        if (utf8_chars(val.base, val.len) > S3_XML_MAX_TAG_VALUE)
            return s3_why_set(why, S3_ERR_INVALID_TAG,
                              "The TagValue you have provided is too long, max %d",
                              S3_XML_MAX_TAG_VALUE);
        if (k.len >= 4 && memcmp(k.base, "aws:", 4) == 0)
            return s3_why_set(why, S3_ERR_INVALID_TAG, "Your TagKey cannot be prefixed with aws:");
        for (size_t j = 0; j < i; j++)
            if (tags[j].key.len == k.len && memcmp(tags[j].key.base, k.base, k.len) == 0)
                return s3_why_set(why, S3_ERR_INVALID_TAG,
                                  "Cannot provide multiple Tags with the same key");
        tags[i].key = k;
        tags[i].value = val;
    }
    *n = np;
    return S3_OK;
}

static int put_enc(const char *s, size_t len, char *out, size_t cap, size_t *k)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
        if (*k + (plain ? 1 : 3) > cap)
            return -1;
        if (plain) {
            out[(*k)++] = (char)c;
        } else {
            out[(*k)++] = '%';
            out[(*k)++] = hex[c >> 4];
            out[(*k)++] = hex[c & 15];
        }
    }
    return 0;
}

size_t s3_tagging_header_format(const s3_tag_t *tags, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            if (k + 1 > cap)
                return 0;
            out[k++] = '&';
        }
        if (put_enc(tags[i].key.base, tags[i].key.len, out, cap, &k) != 0 || k + 1 > cap)
            return 0;
        out[k++] = '=';
        if (put_enc(tags[i].value.base, tags[i].value.len, out, cap, &k) != 0)
            return 0;
    }
    return k;
}
