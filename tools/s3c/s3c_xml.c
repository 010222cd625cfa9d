/*
 * s3c_xml.c — the tools' reading of S3 listing answers (see s3c_xml.h).
 */
#include "s3c_xml.h"

#include <string.h>

static const char *find(const char *s, size_t len, const char *needle, size_t n)
{
    if (n == 0 || len < n)
        return NULL;
    for (size_t i = 0; i + n <= len; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, n) == 0)
            return s + i;
    return NULL;
}

int s3c_xml_next(const char *xml, size_t len, size_t *pos, const char *name, const char **body,
                 size_t *blen)
{
    char open[80], close[81];
    size_t nl = strlen(name);
    if (nl == 0 || nl + 3 >= sizeof open || *pos > len)
        return 0;
    open[0] = '<';
    memcpy(open + 1, name, nl);
    open[nl + 1] = '>';
    close[0] = '<';
    close[1] = '/';
    memcpy(close + 2, name, nl);
    close[nl + 2] = '>';
    const char *o = find(xml + *pos, len - *pos, open, nl + 2);
    if (o == NULL)
        return 0;
    const char *b = o + nl + 2;
    const char *c = find(b, len - (size_t)(b - xml), close, nl + 3);
    if (c == NULL)
        return 0;
    *body = b;
    *blen = (size_t)(c - b);
    *pos = (size_t)(c - xml) + nl + 3;
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One entity at v[0..n) (v[0] == '&'): its character into *c, returns its length; 0 if bad. */
static size_t entity(const char *v, size_t n, char *c)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++) {
        size_t el = strlen(ents[k].ent);
        if (n >= el && memcmp(v, ents[k].ent, el) == 0) {
            *c = ents[k].c;
            return el;
        }
    }
    if (n >= 4 && v[1] == '#') {
        int hex = v[2] == 'x' || v[2] == 'X';
        unsigned val = 0;
        size_t i = hex ? 3 : 2, start = i;
        for (; i < n && i < start + 6 && v[i] != ';'; i++) {
            int d = hex ? hexval(v[i]) : (v[i] >= '0' && v[i] <= '9' ? v[i] - '0' : -1);
            if (d < 0)
                return 0;
            val = val * (hex ? 16u : 10u) + (unsigned)d;
        }
        if (i == start || i >= n || v[i] != ';' || val == 0 || val >= 128)
            return 0;
        *c = (char)val;
        return i + 1;
    }
    return 0;
}

long s3c_xml_text(const char *body, size_t blen, const char *name, int url, char *out, size_t cap)
{
    size_t pos = 0;
    const char *v;
    size_t vl;
    if (cap == 0 || !s3c_xml_next(body, blen, &pos, name, &v, &vl))
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < vl;) {
        char c = v[i];
        if (c == '<')
            return -1;
        if (c == '&') {
            size_t el = entity(v + i, vl - i, &c);
            if (el == 0)
                return -1;
            i += el;
        } else {
            i++;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    if (url) { /* in place: the decoded text is never longer */
        size_t w = 0;
        for (size_t r = 0; r < o;) {
            if (out[r] == '%') {
                if (r + 2 >= o || hexval(out[r + 1]) < 0 || hexval(out[r + 2]) < 0)
                    return -1;
                out[w++] = (char)(hexval(out[r + 1]) * 16 + hexval(out[r + 2]));
                r += 3;
            } else if (out[r] == '+') { /* form encoding, as S3 sends spaces (unquote_plus) */
                out[w++] = ' ';
                r++;
            } else {
                out[w++] = out[r++];
            }
        }
        out[w] = '\0';
        o = w;
    }
    return (long)o;
}
