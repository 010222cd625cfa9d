/*
 * tb_http.h — PURE HTTP/1.1 response reader for tern-bench's plain-http transport: an
 * incremental parser fed with whatever bytes a read() returned, in the picohttpparser shape
 * (state in a caller-owned struct, no allocation, no I/O).
 *
 * It reads one response: the status line and header block (kept in the struct, at most
 * TB_HTTP_HEAD_MAX bytes), then the body framed by Content-Length, by chunked
 * transfer-coding (chunk extensions and trailers skipped), or by the end of the connection
 * (neither header). A response to HEAD, and 1xx/204/304 responses, have no body; interim 1xx
 * responses (100 Continue) are skipped and the final one read. Body bytes go to a callback as
 * they arrive, each header line ("Name: value", without CRLF) to another, so the caller keeps
 * what it needs (ETag) and checks bodies without a copy.
 *
 * Why not libcurl: it costs ~100k instructions per 4 KiB request (URL parsing, header list
 * formatting, its own state machine), as much as the gateway itself, on the same CPUs as the
 * server being measured (docs/BENCHMARKS.md).
 */
#ifndef TB_HTTP_H
#define TB_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define TB_HTTP_HEAD_MAX 8192

typedef enum {
    TB_HTTP_HEAD = 0,   /* reading the status line and headers */
    TB_HTTP_BODY_LEN,   /* Content-Length body, `left` bytes to go */
    TB_HTTP_CHUNK_SIZE, /* chunked: reading a chunk-size line */
    TB_HTTP_CHUNK_DATA, /* chunked: `left` bytes of chunk data to go */
    TB_HTTP_CHUNK_CRLF, /* chunked: the CRLF after chunk data */
    TB_HTTP_TRAILER,    /* chunked: trailer lines up to an empty line */
    TB_HTTP_BODY_EOF,   /* body until the connection ends (tb_http_eof) */
    TB_HTTP_DONE,
} tb_http_state_t;

typedef void (*tb_http_body_fn)(void *arg, const char *data, size_t n);
typedef void (*tb_http_header_fn)(void *arg, const char *line, size_t n);

typedef struct {
    tb_http_state_t state;
    int status;      /* final status code, once the head is read */
    int keep_alive;  /* the connection may carry another request after this response */
    int head_req;    /* the request was HEAD: no body whatever the headers say */
    uint64_t left;   /* body or chunk bytes to go */
    size_t head_len; /* bytes in head (TB_HTTP_HEAD, TB_HTTP_CHUNK_SIZE, TB_HTTP_TRAILER) */
    char head[TB_HTTP_HEAD_MAX];
} tb_http_resp_t;

/* Starts reading a response to a request (head_req: it was HEAD). */
void tb_http_begin(tb_http_resp_t *r, int head_req);

/* Feeds n bytes. Returns the bytes consumed (< n only once the response is complete: the
 * rest belongs to no response and the connection should not be reused), or -1 if the bytes
 * are not an HTTP/1.x response this reader accepts (then r->status is -1 and r->state
 * TB_HTTP_DONE). r->state == TB_HTTP_DONE when the response is complete. */
long tb_http_feed(tb_http_resp_t *r, const char *data, size_t n, tb_http_body_fn body,
                  tb_http_header_fn header, void *arg);

/* The connection ended: completes a body framed by the connection's end (0), else -1. */
int tb_http_eof(tb_http_resp_t *r);

#endif
