/*
 * tb_engine.h — tern-bench's load engine: C concurrent S3 requests on one thread (one slot and
 * one kept-alive connection per concurrent request), each slot issuing its next request as
 * soon as the previous one completes, until the count or the deadline is reached; requests in
 * flight at the deadline are waited for (each bounded by the per-request timeout). Latency is
 * measured from issuing a request to its completion. http:// endpoints use the engine's own
 * epoll transport and tb_http.c (cheap: the client shares the CPUs with the server it
 * measures), https:// ones libcurl multi.
 *
 * Bodies come from tb_pattern (PUT copies from the period, GET --verify compares with it),
 * so no per-object memory is held (a multipart PUT keeps its parts' ETags until it completes;
 * a failed one is left for the server's cleanup, not aborted). Requests are signed with tb_sign,
 * payload UNSIGNED-PAYLOAD (the client does not hash bodies: it measures the server).
 */
#ifndef TB_ENGINE_H
#define TB_ENGINE_H

#include <stdint.h>

#include "tb_hist.h"
#include "tb_opts.h"
#include "tb_pattern.h"
#include "s3c_sign.h"

#define TB_MAX_STATUS 600 /* HTTP statuses 0..599; 0 = transport error (no response) */

typedef struct {
    const char *base_url; /* "http://127.0.0.1:9000", no trailing '/' */
    const char *host;     /* Host header value as in the URL */
    const char *bucket;
    const char *prefix; /* key prefix, unreserved characters and '/' only */
    unsigned weights[TB_OP_COUNT];
    uint64_t size;           /* object size for PUT and GET --verify */
    uint64_t multipart_size; /* PUT objects larger than this as multipart uploads of parts of
                                this size (CreateMultipartUpload, UploadPart x N,
                                CompleteMultipartUpload: one op, its latency the whole); 0 = off */
    uint64_t keys;           /* key space: keys prefix%08u, 0..keys-1 */
    unsigned concurrency;    /* requests in flight */
    double duration;         /* seconds; 0 = no deadline */
    uint64_t count;          /* requests; 0 = no limit (one of the two is set) */
    int sequential;          /* keys 0, 1, 2, ... in order instead of at random (prefill) */
    int verify;              /* check GET bodies and lengths */
    int insecure;            /* https without certificate checks */
    double timeout;          /* seconds per request */
    uint64_t seed;
    s3c_signer_t *signer;
    const tb_pattern_t *pattern;
} tb_config_t;

typedef struct {
    uint64_t ok;            /* 2xx (and verified, with --verify) */
    uint64_t bytes;         /* body bytes moved by successful requests */
    uint64_t errors;        /* everything else */
    uint64_t verify_errors; /* 200 with a wrong body or length (also in errors, status 200) */
    uint64_t status[TB_MAX_STATUS]; /* errors by HTTP status; [0] = no response */
    tb_hist_t latency;              /* microseconds, successful requests */
} tb_opstats_t;

typedef struct {
    tb_opstats_t op[TB_OP_COUNT];
    double elapsed; /* seconds from the first request to the last completion */
    double cpu;     /* CPU seconds (user + system) tern-bench itself used meanwhile */
    char first_error[512];
} tb_stats_t;

/* Process-wide libcurl setup; 0 or -1. */
int tb_engine_global_init(void);
void tb_engine_global_cleanup(void);

/* Runs the load described by cfg and fills *st (zeroed here). 0, or -1 if the engine could
 * not run at all (message on stderr); request failures are counted, not returned. */
int tb_engine_run(const tb_config_t *cfg, tb_stats_t *st);

/* PUT /bucket; 0 if the bucket exists afterwards (200, or 409 BucketAlreadyOwnedByYou). */
int tb_engine_create_bucket(const tb_config_t *cfg);

/* Stops a running tb_engine_run early (async-signal-safe): no new requests are issued. */
void tb_engine_stop(void);

#endif
