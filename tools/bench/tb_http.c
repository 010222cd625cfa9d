/* tb_http.c — incremental HTTP/1.1 response reader for tern-bench (contract in tb_http.h). */
#include "tb_http.h"
#include "tn_hex.h"

#include <string.h>
#include <strings.h>

#define TB_HTTP_LINE_MAX 1024 /* a chunk-size line */

void tb_http_begin(tb_http_resp_t *r, int head_req)
{
    r->state = TB_HTTP_HEAD;
    r->status = 0;
    r->keep_alive = 0;
    r->head_req = head_req;
    r->left = 0;
    r->head_len = 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* The value of a header line whose name is `name` (lower case, n bytes), trimmed; or NULL. */
static const char *header_value(const char *line, size_t len, const char *name, size_t n,
                                size_t *vlen)
{
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
        return NULL;
    const char *v = line + n + 1, *end = line + len;
    while (v < end && is_ws(*v))
        v++;
    while (end > v && is_ws(end[-1]))
        end--;
    *vlen = (size_t)(end - v);
    return v;
}

static int has_token(const char *v, size_t len, const char *tok)
{
    size_t t = strlen(tok);
    for (size_t i = 0; i + t <= len; i++)
        if (strncasecmp(v + i, tok, t) == 0 && (i == 0 || v[i - 1] == ',' || is_ws(v[i - 1])) &&
            (i + t == len || v[i + t] == ',' || is_ws(v[i + t])))
            return 1;
    return 0;
}

/* The head r->head[0, head_len) ends with an empty line. Sets the status and what follows:
 * 0, or -1 if malformed. */
static int parse_head(tb_http_resp_t *r, tb_http_header_fn header, void *arg)
{
    const char *p = r->head, *end = r->head + r->head_len;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL || eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
        (p[7] != '0' && p[7] != '1') || p[8] != ' ')
        return -1;
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        status = status * 10 + (p[i] - '0');
    }
    if (status < 100 || (eol - p > 12 && p[12] != ' ' && p[12] != '\r'))
        return -1;
    int keep_alive = p[7] == '1', chunked = 0, have_len = 0;
    uint64_t clen = 0;
    for (p = eol + 1; p < end;) {
        eol = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)(eol - p);
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (len == 0)
            break; /* the empty line that ends the head */
        if (is_ws(p[0]))
            return -1; /* obsolete line folding */
        size_t vl;
        const char *v;
        if ((v = header_value(p, len, "content-length", 14, &vl)) != NULL) {
            uint64_t x = 0;
            if (vl == 0 || vl > 19)
                return -1;
            for (size_t i = 0; i < vl; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return -1;
                x = x * 10 + (uint64_t)(v[i] - '0');
            }
            if (have_len && x != clen)
                return -1;
            clen = x;
            have_len = 1;
        } else if ((v = header_value(p, len, "transfer-encoding", 17, &vl)) != NULL) {
            chunked = has_token(v, vl, "chunked");
            if (!chunked)
                return -1; /* a coding this reader cannot frame */
        } else if ((v = header_value(p, len, "connection", 10, &vl)) != NULL) {
            if (has_token(v, vl, "close"))
                keep_alive = 0;
            else if (has_token(v, vl, "keep-alive"))
                keep_alive = 1;
        }
        if (status >= 200 && header != NULL)
            header(arg, p, len);
        p = eol + 1;
    }
    if (status < 200) { /* interim: the final response follows */
        r->head_len = 0;
        return 0;
    }
    r->status = status;
    r->keep_alive = keep_alive;
    if (r->head_req || status == 204 || status == 304) {
        r->state = TB_HTTP_DONE;
    } else if (chunked) {
        r->state = TB_HTTP_CHUNK_SIZE;
        r->head_len = 0;
    } else if (have_len) {
        r->left = clen;
        r->state = clen > 0 ? TB_HTTP_BODY_LEN : TB_HTTP_DONE;
    } else {
        r->keep_alive = 0;
        r->state = TB_HTTP_BODY_EOF;
    }
    return 0;
}

/* Appends bytes up to and including the next '\n' to r->head (at most max bytes in all).
 * Returns the bytes taken; *line is set when the line is complete. -1 if it is too long. */
static long take_line(tb_http_resp_t *r, const char *data, size_t n, size_t max, int *line)
{
    const char *nl = memchr(data, '\n', n);
    size_t k = nl != NULL ? (size_t)(nl - data) + 1 : n;
    if (r->head_len + k > max)
        return -1;
    memcpy(r->head + r->head_len, data, k);
    r->head_len += k;
    *line = nl != NULL;
    return (long)k;
}

/* The head: takes bytes until the empty line, then parses it. */
static long feed_head(tb_http_resp_t *r, const char *data, size_t n, tb_http_header_fn header,
                      void *arg)
{
    size_t from = r->head_len > 3 ? r->head_len - 3 : 0;
    size_t k = n;
    if (r->head_len + k > TB_HTTP_HEAD_MAX)
        k = TB_HTTP_HEAD_MAX - r->head_len;
    memcpy(r->head + r->head_len, data, k);
    size_t total = r->head_len + k;
    /* the head ends at "\n\r\n" or "\n\n" */
    for (size_t i = from; i < total; i++) {
        if (r->head[i] != '\n' || i == 0)
            continue;
        size_t e = 0;
        if (r->head[i - 1] == '\n')
            e = i + 1;
        else if (r->head[i - 1] == '\r' && i >= 2 && r->head[i - 2] == '\n')
            e = i + 1;
        if (e == 0)
            continue;
        size_t used = e - r->head_len;
        r->head_len = e;
        if (parse_head(r, header, arg) != 0)
            return -1;
        return (long)used;
    }
    if (total >= TB_HTTP_HEAD_MAX)
        return -1;
    r->head_len = total;
    return (long)k;
}

static int hexval(char c)
{
    return tn_hex_digit((unsigned char)c);
}

/* A complete chunk-size line is in r->head. */
static int parse_chunk_size(tb_http_resp_t *r)
{
    uint64_t x = 0;
    size_t i = 0, digits = 0;
    for (; i < r->head_len && hexval(r->head[i]) >= 0; i++, digits++) {
        if (x >> 60)
            return -1;
        x = x << 4 | (uint64_t)hexval(r->head[i]);
    }
    if (digits == 0 ||
        (r->head[i] != ';' && r->head[i] != '\r' && r->head[i] != '\n' && !is_ws(r->head[i])))
        return -1;
    r->head_len = 0;
    r->left = x;
    r->state = x > 0 ? TB_HTTP_CHUNK_DATA : TB_HTTP_TRAILER;
    return 0;
}

long tb_http_feed(tb_http_resp_t *r, const char *data, size_t n, tb_http_body_fn body,
                  tb_http_header_fn header, void *arg)
{
    size_t i = 0;
    while (i < n && r->state != TB_HTTP_DONE) {
        long k;
        int line = 0;
        switch (r->state) {
        case TB_HTTP_HEAD: k = feed_head(r, data + i, n - i, header, arg); break;
        case TB_HTTP_BODY_LEN:
        case TB_HTTP_CHUNK_DATA: {
            size_t m = n - i;
            if (m > r->left)
                m = (size_t)r->left;
            if (body != NULL)
                body(arg, data + i, m);
            r->left -= m;
            if (r->left == 0)
                r->state = r->state == TB_HTTP_BODY_LEN ? TB_HTTP_DONE : TB_HTTP_CHUNK_CRLF;
            k = (long)m;
            break;
        }
        case TB_HTTP_BODY_EOF:
            if (body != NULL)
                body(arg, data + i, n - i);
            k = (long)(n - i);
            break;
        case TB_HTTP_CHUNK_SIZE:
            k = take_line(r, data + i, n - i, TB_HTTP_LINE_MAX, &line);
            if (k >= 0 && line && parse_chunk_size(r) != 0)
                k = -1;
            break;
        case TB_HTTP_CHUNK_CRLF:
            if (data[i] == '\n')
                r->state = TB_HTTP_CHUNK_SIZE;
            else if (data[i] != '\r' || r->head_len++ > 0)
                return -1;
            if (r->state == TB_HTTP_CHUNK_SIZE)
                r->head_len = 0;
            k = 1;
            break;
        case TB_HTTP_TRAILER:
            k = take_line(r, data + i, n - i, TB_HTTP_HEAD_MAX, &line);
            if (k >= 0 && line) {
                size_t l = r->head_len;
                if (l == 1 || (l == 2 && r->head[0] == '\r'))
                    r->state = TB_HTTP_DONE;
                r->head_len = 0;
            }
            break;
        default: return -1;
        }
        if (k < 0) {
            r->state = TB_HTTP_DONE;
            r->status = -1;
            return -1;
        }
        i += (size_t)k;
    }
    return (long)i;
}

int tb_http_eof(tb_http_resp_t *r)
{
    if (r->state != TB_HTTP_BODY_EOF)
        return -1;
    r->state = TB_HTTP_DONE;
    return 0;
}
