/*
 * gw_req.h — one S3 request inside the gateway: the request pipeline up to authentication,
 * and the API operation handlers use to answer.
 *
 * Pipeline (gw_req_on_req, on the connection's loop thread, after h2o has buffered the
 * whole body — h2o 2.2.5 cannot stream request bodies, and answers Expect: 100-continue
 * itself, so every rejection below comes after the upload):
 *   1. a gw_req_t is allocated in req->pool (disposed with the request); request id
 *      (16 hex digits: 20 random bits per process, 8 bits thread index, 36 bits counter),
 *      sent as x-amz-request-id and x-amz-id-2 on every response;
 *   2. /health/live and /health/ready (GET/HEAD, no query, path style, no auth): live is
 *      200 while the process serves requests; ready is 200 when the map is known and a
 *      quorum of OSDs is reachable, else 503 (gw_health.h says exactly). Trade-off: they
 *      share the S3 port (no extra listener for load balancers to know about), so in a
 *      bucket named "health" the keys "live" and "ready" are reachable path-style only
 *      with a query string (?x-id=GetObject does it) or virtual-host style;
 *   3. s3_route on the raw req->path and req->authority plus the configured domains;
 *   4. SigV4 (gw_auth_verify) with `now` from the wall clock; anonymous -> AccessDenied
 *      (public buckets come later);
 *   4b. authorization and quotas (gw_access.h): the bucket is looked up and the principal's
 *      right to the operation decided (gw_authz.h); uploads checked against the bucket's
 *      quota (gw_quota.h); 403 AccessDenied / QuotaExceeded otherwise;
 *   5. payload (gw_payload.h): one pass over the body (inline up to
 *      GW_REQ_INLINE_HASH_MAX, else on a worker thread or in loop slices) that decodes
 *      aws-chunked (STREAMING-*) bodies in place and computes and checks, at once, the
 *      signed SHA-256, the MD5 (PutObject/UploadPart, Content-MD5) and the x-amz-checksum-*
 *      (header or trailer); a large plain PutObject body over HTTP/1 is dispatched while
 *      its pass still runs (gw_payload_await);
 *   6. gw_ops_dispatch(r): the operation handler for r->route.op.
 *
 * Answering: a handler must eventually call exactly one of gw_req_send_error,
 * gw_req_send or gw_req_start_response (+ h2o_send ... FINAL for a streamed body) —
 * synchronously or later from a callback on the same loop thread (r->thread->ctx.loop).
 * Until then the request stays alive (HTTP/1 stops reading meanwhile). If the client goes
 * away first (HTTP/2 RST_STREAM, or the connection closes), the request is disposed: the
 * cancel hook (gw_req_set_cancel) runs, and afterwards r must not be touched. Every
 * response carries the request id; HEAD responses never carry a body (h2o_send(NULL, 0,
 * FINAL), which HTTP/2 in 2.2.5 needs); 304 has no body.
 *
 * When the request is disposed, one access-log line is written (tn_log, info; health
 * checks at debug): id, ak (access key or -), op, bucket, key (escaped), status (0 when
 * no response was started), in/out body bytes, ms since the request's first byte.
 */
#ifndef GW_REQ_H
#define GW_REQ_H

#include <h2o.h>
#include "s3_checksum.h"
#include "s3_error.h"
#include "s3_router.h"
#include "s3_xml.h"
#include "gw_auth.h"

#define GW_REQ_ID_LEN          16
#define GW_REQ_INLINE_HASH_MAX (1u << 20) /* bodies up to 1 MiB are hashed on the loop */

typedef struct gw_thread gw_thread_t;
typedef struct gw_req gw_req_t;

struct gw_req {
    h2o_req_t *req;             /* the h2o request (pool, headers, entity, res) */
    gw_thread_t *thread;        /* loop thread: h2o context, loop, (later) OSD client */
    char id[GW_REQ_ID_LEN + 1]; /* request id */
    s3_route_t route;           /* op, bucket, key, params (strings in req->pool) */
    const char *access_key;     /* authenticated access key (NUL-terminated), NULL if none */
    gw_auth_result_t auth;      /* signature details, signing key, payload kind */
    uint8_t acl_object_decides; /* GET/HEAD: the object's ACL decides (gw_access.h) */
    uint8_t acl_who;            /* then for whom (gw_acl_who_t, gw_acl.h) */
    tn_slice_t body;            /* request body: req->entity, aws-chunked decoded in place */
    /* Content-Encoding to store: the header, minus "aws-chunked" for aws-chunked bodies
     * ("aws-chunked,gzip" -> "gzip"); base NULL when there is none. */
    tn_slice_t content_encoding;
    /* Digests of body, computed once by the payload stage before dispatch (one pass, on a
     * worker thread for large bodies), for the operations that store data: */
    int has_md5;                     /* body_md5 is set */
    uint8_t body_md5[16];            /* MD5 of body (the ETag; Content-MD5 verified) */
    s3_cksum_alg_t cksum_alg;        /* S3_CKSUM_NONE: the client sent no checksum */
    uint8_t cksum[S3_CKSUM_MAX_RAW]; /* x-amz-checksum-* (header or trailer), verified */
    int64_t now;                     /* wall clock (Unix seconds) when the request was handled */
    int is_head;                     /* method is HEAD: never send a body */
    int is_health;                   /* a load-balancer health check (logged at debug) */
    /* private */
    struct timespec started;
    void (*cancel)(void *data);
    void *cancel_data;
    int responded;
    void *payload_pending; /* the payload pass after an early dispatch (gw_payload_await) */
};

/* The h2o on_req callback of the catch-all handler (h2o_handler_t.on_req). */
int gw_req_on_req(h2o_handler_t *self, h2o_req_t *req);

/* Sends an S3 XML error (status from the table; message NULL = the table's default) with
 * <Resource> (the raw path) and <RequestId>. No body for HEAD and 304. */
void gw_req_send_error(gw_req_t *r, s3_err_t err, const char *message);
/* Same with extra elements after <Message> (RequestTimeTooSkewed: RequestTime...). */
void gw_req_send_error_ex(gw_req_t *r, s3_err_t err, const char *message, const s3_xml_kv_t *extra,
                          size_t n_extra);
/* Sends a complete response. body is copied into the request pool; content_type may be
 * NULL. For HEAD the Content-Length is len but no body is sent. */
void gw_req_send(gw_req_t *r, int status, const char *content_type, const void *body, size_t len);
/* Adds a response header (before the response starts); name lowercase, both copied. */
void gw_req_add_header(gw_req_t *r, const char *name, const char *value, size_t value_len);

/* Degraded reads (DESIGN.md rule 8, docs/ARCHITECTURE.md "Degraded reads"): 1 when r is a
 * plain GetObject/HeadObject — no If-Match, If-None-Match, If-Modified-Since or
 * If-Unmodified-Since header (Range, partNumber and checksum mode are plain: they read the
 * same row) — so its bucket record and object head row may be read from ONE replica when the
 * PG has no read quorum. Every other request needs read_quorum. */
int gw_req_degraded_ok(gw_req_t *r);
/* Marks the response as served from fewer than read_quorum replicas: adds
 * `x-tern-degraded-read: 1` (once, however many reads were degraded). */
void gw_req_flag_degraded(gw_req_t *r);
/* Starts a streamed response: sets status, adds the standard headers and calls
 * h2o_start_response(r->req, gen). Set r->req->res.content_length before. The caller then
 * h2o_send()s (for HEAD: h2o_send(r->req, NULL, 0, H2O_SEND_STATE_FINAL) right away). */
void gw_req_start_response(gw_req_t *r, int status, h2o_generator_t *gen);
/* Called once if the request is disposed (client gone, or after the response finished);
 * pass NULL to clear. Use it to stop backend work that would touch r. */
void gw_req_set_cancel(gw_req_t *r, void (*cancel)(void *data), void *data);

/* Formats a request id: 20 bits rnd, 8 bits thread, 36 bits seq, as 16 lowercase hex. */
void gw_req_format_id(char out[GW_REQ_ID_LEN + 1], uint32_t rnd, unsigned thread, uint64_t seq);

#endif
