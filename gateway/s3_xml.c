/* s3_xml.c — PURE XML writer and the S3 <Error> document (see s3_xml.h). */
#include <stdlib.h>
#include <string.h>
#include "s3_xml.h"

void s3_buf_init(s3_buf_t *b, size_t max)
{
    *b = (s3_buf_t){NULL, 0, 0, max, 1, 0};
}

void s3_buf_init_fixed(s3_buf_t *b, char *mem, size_t cap)
{
    *b = (s3_buf_t){mem, 0, cap, cap, 0, 0};
    if (cap > 0)
        mem[0] = '\0';
    else
        b->failed = 1;
}

void s3_buf_free(s3_buf_t *b)
{
    if (b->owned)
        free(b->base);
    b->base = NULL;
    b->len = b->cap = 0;
}

void s3_buf_reset(s3_buf_t *b)
{
    b->len = 0;
    b->failed = b->cap == 0 && !b->owned;
    if (b->cap > 0)
        b->base[0] = '\0';
}

int s3_buf_ok(const s3_buf_t *b)
{
    return !b->failed;
}

/* Makes room for n more bytes plus the NUL. */
static int reserve(s3_buf_t *b, size_t n)
{
    if (b->failed)
        return 0;
    if (n > SIZE_MAX / 2 || b->len + n + 1 > b->max) {
        b->failed = 1;
        return 0;
    }
    if (b->len + n + 1 <= b->cap)
        return 1;
    if (!b->owned) {
        b->failed = 1;
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    if (cap > b->max)
        cap = b->max;
    char *p = realloc(b->base, cap);
    if (p == NULL) {
        b->failed = 1;
        return 0;
    }
    b->base = p;
    b->cap = cap;
    return 1;
}

void s3_buf_append(s3_buf_t *b, const void *p, size_t n)
{
    if (!reserve(b, n))
        return;
    if (n > 0)
        memcpy(b->base + b->len, p, n);
    b->len += n;
    b->base[b->len] = '\0';
}

void s3_buf_append_str(s3_buf_t *b, const char *s)
{
    s3_buf_append(b, s, strlen(s));
}

/* Length of the UTF-8 sequence at s (1-4) and its code point, or 0 if malformed. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

int s3_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

static void append_charref(s3_buf_t *b, uint32_t cp)
{
    static const char hex[] = "0123456789ABCDEF";
    char tmp[12];
    size_t n = 0;
    tmp[n++] = '&';
    tmp[n++] = '#';
    tmp[n++] = 'x';
    int started = 0;
    for (int shift = 20; shift >= 0; shift -= 4) {
        unsigned d = (cp >> shift) & 15;
        if (d != 0 || started || shift == 0) {
            tmp[n++] = hex[d];
            started = 1;
        }
    }
    tmp[n++] = ';';
    s3_buf_append(b, tmp, n);
}

void s3_xml_text(s3_buf_t *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0; /* bytes [i - run, i) are pending plain text */
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        const char *rep = NULL;
        int ref = 0;
        if (n == 0) {
            rep = "\xEF\xBF\xBD"; /* U+FFFD for a malformed byte */
            n = 1;
        } else if (cp == '&') {
            rep = "&amp;";
        } else if (cp == '<') {
            rep = "&lt;";
        } else if (cp == '>') {
            rep = "&gt;";
        } else if (cp == '"') {
            rep = "&quot;";
        } else if (cp == '\'') {
            rep = "&apos;";
        } else if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0xFFFE || cp == 0xFFFF) {
            ref = 1; /* CR, and what XML 1.0 forbids */
        }
        if (rep == NULL && !ref) {
            i += n;
            run += n;
            continue;
        }
        s3_buf_append(b, s + i - run, run);
        run = 0;
        if (ref)
            append_charref(b, cp);
        else
            s3_buf_append_str(b, rep);
        i += n;
    }
    s3_buf_append(b, s + i - run, run);
}

void s3_xml_decl(s3_buf_t *b)
{
    s3_buf_append_str(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

void s3_xml_open(s3_buf_t *b, const char *name)
{
    s3_buf_append(b, "<", 1);
    s3_buf_append_str(b, name);
    s3_buf_append(b, ">", 1);
}

void s3_xml_open_ns(s3_buf_t *b, const char *name, const char *ns)
{
    s3_buf_append(b, "<", 1);
    s3_buf_append_str(b, name);
    s3_buf_append_str(b, " xmlns=\"");
    s3_xml_text(b, ns, strlen(ns));
    s3_buf_append(b, "\">", 2);
}

void s3_xml_close(s3_buf_t *b, const char *name)
{
    s3_buf_append(b, "</", 2);
    s3_buf_append_str(b, name);
    s3_buf_append(b, ">", 1);
}

void s3_xml_elem(s3_buf_t *b, const char *name, const char *s, size_t len)
{
    s3_xml_open(b, name);
    s3_xml_text(b, s, len);
    s3_xml_close(b, name);
}

void s3_xml_elem_str(s3_buf_t *b, const char *name, const char *s)
{
    s3_xml_elem(b, name, s, strlen(s));
}

void s3_xml_elem_u64(s3_buf_t *b, const char *name, uint64_t v)
{
    char tmp[21];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    s3_xml_elem(b, name, tmp + n, sizeof tmp - n);
}

void s3_xml_elem_bool(s3_buf_t *b, const char *name, int v)
{
    s3_xml_elem_str(b, name, v ? "true" : "false");
}

int s3_xml_error(s3_buf_t *b, s3_err_t code, const char *message, const char *resource,
                 const char *request_id)
{
    return s3_xml_error_ex(b, code, message, resource, request_id, NULL, 0);
}

int s3_xml_error_ex(s3_buf_t *b, s3_err_t code, const char *message, const char *resource,
                    const char *request_id, const s3_xml_kv_t *extra, size_t n_extra)
{
    s3_xml_decl(b);
    s3_xml_open(b, "Error");
    s3_xml_elem_str(b, "Code", s3_err_code(code));
    s3_xml_elem_str(b, "Message", message != NULL ? message : s3_err_message(code));
    for (size_t i = 0; i < n_extra; i++)
        s3_xml_elem_str(b, extra[i].name, extra[i].value);
    if (resource != NULL)
        s3_xml_elem_str(b, "Resource", resource);
    if (request_id != NULL)
        s3_xml_elem_str(b, "RequestId", request_id);
    s3_xml_close(b, "Error");
    return s3_buf_ok(b) ? TN_OK : TN_ERR_TOO_BIG;
}
