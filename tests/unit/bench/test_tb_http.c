/*
 * test_tb_http.c — tern-bench's HTTP/1.1 answer reader: framing by Content-Length, chunked
 * and end of connection, bodiless answers (HEAD, 204, 304), interim 1xx, keep-alive, header
 * lines, bytes past the answer, malformed answers; every split of the input into two reads
 * gives what one read gives.
 */
#include <string.h>

#include "tb_http.h"
#include "test.h"

typedef struct {
    char body[4096];
    size_t body_len;
    char etag[128];
    int headers;
} sink_t;

static tb_http_resp_t r;

static void on_body(void *arg, const char *d, size_t n)
{
    sink_t *s = arg;
    if (s->body_len + n <= sizeof s->body)
        memcpy(s->body + s->body_len, d, n);
    s->body_len += n;
}

static void on_header(void *arg, const char *line, size_t n)
{
    sink_t *s = arg;
    s->headers++;
    if (n > 6 && strncmp(line, "ETag: ", 6) == 0 && n - 6 < sizeof s->etag) {
        memcpy(s->etag, line + 6, n - 6);
        s->etag[n - 6] = '\0';
    }
}

/* Feeds text in pieces split at `split` (0: one piece); returns the last feed's result, or
 * the total consumed when every piece was taken whole. */
static long feed(const char *text, size_t split, int head_req, sink_t *s)
{
    memset(s, 0, sizeof *s);
    tb_http_begin(&r, head_req);
    size_t n = strlen(text);
    if (split == 0 || split >= n)
        return tb_http_feed(&r, text, n, on_body, on_header, s);
    long a = tb_http_feed(&r, text, split, on_body, on_header, s);
    if (a < 0 || (size_t)a < split)
        return a;
    long b = tb_http_feed(&r, text + split, n - split, on_body, on_header, s);
    return b < 0 ? b : a + b;
}

static const char plain[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"abc\"\r\n"
                            "x-amz-request-id: 1\r\n\r\nhello";
static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n";

static void test_content_length(void)
{
    sink_t s;
    is_int(feed(plain, 0, 0, &s), (long)strlen(plain), "all consumed");
    is_int(r.state, TB_HTTP_DONE, "done");
    is_int(r.status, 200, "status");
    is_int(r.keep_alive, 1, "HTTP/1.1 keeps alive");
    is_int((long)s.body_len, 5, "body length");
    is_mem(s.body, "hello", 5, "body");
    is_str(s.etag, "\"abc\"", "ETag line passed on");
    is_int(s.headers, 3, "three header lines");
    /* a partial answer is not done */
    feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 0, 0, &s);
    ok(r.state != TB_HTTP_DONE, "3 of 5 body bytes: not done");
    is_int(tb_http_eof(&r), -1, "the connection ending early is an error");
}

static void test_splits(void)
{
    const char *texts[] = {plain, chunked};
    for (int t = 0; t < 2; t++) {
        int bad = 0;
        size_t n = strlen(texts[t]);
        for (size_t split = 1; split < n; split++) {
            sink_t s;
            long k = feed(texts[t], split, 0, &s);
            if (k != (long)n || r.state != TB_HTTP_DONE || r.status != 200 || s.body_len != 5 ||
                memcmp(s.body, "hello", 5) != 0)
                bad++;
        }
        is_int(bad, 0, t == 0 ? "every split: content-length" : "every split: chunked");
    }
}

static void test_chunked(void)
{
    sink_t s;
    is_int(feed(chunked, 0, 0, &s), (long)strlen(chunked), "all consumed");
    is_int(r.state, TB_HTTP_DONE, "done after the trailer");
    is_mem(s.body, "hello", 5, "chunks joined, extension skipped");
    ok(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, 0, &s) < 0,
       "bad chunk size");
    ok(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY", 0, 0, &s) < 0,
       "no CRLF after chunk data");
    ok(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, 0, &s) < 0,
       "a coding it cannot frame");
}

static void test_bodiless(void)
{
    sink_t s;
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n";
    is_int(feed(head, 0, 1, &s), (long)strlen(head), "HEAD answer consumed");
    is_int(r.state, TB_HTTP_DONE, "HEAD: no body whatever Content-Length says");
    feed("HTTP/1.1 204 No Content\r\n\r\n", 0, 0, &s);
    is_int(r.state, TB_HTTP_DONE, "204 done");
    feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 0, 0, &s);
    is_int(r.state, TB_HTTP_DONE, "304 done");
    const char *cont =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    is_int(feed(cont, 0, 0, &s), (long)strlen(cont), "interim answer consumed");
    is_int(r.status, 200, "final status after 100 Continue");
    is_mem(s.body, "ok", 2, "final body");
    is_int(s.headers, 1, "interim headers not passed on");
}

static void test_connection(void)
{
    sink_t s;
    feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 0, 0, &s);
    is_int(r.keep_alive, 0, "Connection: close");
    feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0, &s);
    is_int(r.keep_alive, 0, "HTTP/1.0");
    feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 0, 0, &s);
    is_int(r.keep_alive, 1, "HTTP/1.0 with keep-alive");
    feed("HTTP/1.1 200 OK\r\n\r\nuntil the end", 0, 0, &s);
    is_int(r.state, TB_HTTP_BODY_EOF, "no framing: body until the end");
    is_int(r.keep_alive, 0, "no framing: not reusable");
    is_int(tb_http_eof(&r), 0, "the end completes it");
    is_int((long)s.body_len, 13, "body up to the end");
    const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA";
    is_int(feed(two, 0, 0, &s), (long)strlen(two) - 5, "bytes past the answer not consumed");
    const char *lf = "HTTP/1.1 200 OK\nContent-Length: 1\n\nx";
    is_int(feed(lf, 0, 0, &s), (long)strlen(lf), "bare LF line ends");
    is_int(r.state, TB_HTTP_DONE, "bare LF answer done");
}

static void test_malformed(void)
{
    sink_t s;
    ok(feed("HTTP/2 200 OK\r\n\r\n", 0, 0, &s) < 0, "not HTTP/1.x");
    ok(feed("HTTP/1.1 2x0 OK\r\n\r\n", 0, 0, &s) < 0, "bad status");
    ok(feed("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, 0, &s) < 0, "bad length");
    ok(feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, 0, &s) < 0,
       "conflicting lengths");
    ok(feed("HTTP/1.1 200 OK\r\n folded\r\n\r\n", 0, 0, &s) < 0, "line folding");
    is_int(r.status, -1, "status -1 after an error");
    static char big[TB_HTTP_HEAD_MAX + 64];
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', sizeof big - 21);
    big[sizeof big - 1] = '\0';
    ok(feed(big, 0, 0, &s) < 0, "head too large");
}

int main(void)
{
    subtest("content-length", test_content_length);
    subtest("splits", test_splits);
    subtest("chunked", test_chunked);
    subtest("bodiless", test_bodiless);
    subtest("connection", test_connection);
    subtest("malformed", test_malformed);
    return tt_done();
}
