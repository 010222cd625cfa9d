/*
 * mg_http.h — tern-migrate's S3 requests over one libcurl easy handle per worker thread
 * (keep-alive connection reuse; requests signed with tern_s3c's s3c_sign_ext, payload
 * UNSIGNED-PAYLOAD with an x-amz-checksum-crc32c, so integrity is checked end to end by the
 * gateway without a second SHA-256 pass over the file).
 *
 * A request body is either memory (XML) or a byte range of an open file (pread, so the
 * source is only read). The answer's status, a few headers (ETag, Content-Length, checksum)
 * and up to MG_HTTP_BODY_MAX bytes of body are kept; or, with `sink`, the body is fed to a
 * CRC32C (--verify read-back). The `stop` flag aborts a transfer in flight (Ctrl-C).
 */
#ifndef MG_HTTP_H
#define MG_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_resume.h"
#include "s3c_sign.h"

#define MG_HTTP_BODY_MAX (8 * 1024 * 1024) /* a listing page of 1,000 long keys fits */

typedef struct {
    void *curl;                     /* CURL *, owned */
    s3c_signer_t signer;            /* one per connection: the signer caches its key, not shared */
    char base[512];                 /* "http://host:port" */
    char host[256];                 /* Host header value */
    atomic_int *stop;               /* set on SIGINT/SIGTERM: abort transfers */
    atomic_uint_fast64_t *progress; /* body bytes read for uploads (the progress bar) */
    int timeout_s;                  /* low-speed abort: no progress for this long */
} mg_conn_t;

typedef struct {
    long status;      /* HTTP status, 0 if no answer (then err says why) */
    char err[256];    /* connection / curl error text */
    int local_err;    /* the source file could not be read (not worth a retry) */
    mg_remote_t head; /* ETag, Content-Length, checksum headers of the answer */
    char *body;       /* first MG_HTTP_BODY_MAX bytes of the answer body, malloc()ed */
    size_t body_len, body_cap;
    uint64_t body_total; /* all body bytes received */
    int sink_crc;        /* feed the body to crc instead of keeping it */
    uint32_t crc;
} mg_resp_t;

typedef struct {
    const char *method; /* "GET", "HEAD", "PUT", "POST", "DELETE" */
    const char *path;   /* canonical (s3c_uri_object_path) */
    const char *query;  /* raw, "" for none */
    const s3c_hdr_t *hdrs;
    size_t n_hdrs;
    const char *mem; /* body from memory (mem_len bytes) ... */
    size_t mem_len;
    int fd; /* ... or from fd at [off, off+len) when fd >= 0 */
    uint64_t off, len;
} mg_req_t;

/* endpoint "http(s)://host[:port]" (no path). 0, or -1 with why. */
int mg_conn_init(mg_conn_t *c, const char *endpoint, const char *ak, const char *sk,
                 const char *region, atomic_int *stop, atomic_uint_fast64_t *progress,
                 const char **why);
void mg_conn_free(mg_conn_t *c);

/* Sends the request once. Returns 0 with resp filled (any status), or -1 on a transport
 * error (resp->err). resp->body is freed and reset by the call; free it with mg_resp_free. */
int mg_http(mg_conn_t *c, const mg_req_t *rq, mg_resp_t *resp);
void mg_resp_free(mg_resp_t *r);

#endif
