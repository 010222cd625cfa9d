/*
 * gw_payload.h — checks a request body against its signed x-amz-content-sha256.
 *
 * Bodies up to GW_REQ_INLINE_HASH_MAX are hashed on the loop thread at once. Larger ones
 * are hashed in 4 MiB slices (about 3 ms each), so the loop never blocks on a big body:
 *   - HTTP/1: on a worker thread (gw_worker.h); the loop goes on serving other requests and
 *     the result comes back as an h2o_multithread message. The body lives in the
 *     connection's input buffer, which h2o frees only after disposing the request; the
 *     dispose hook cancels the job and waits for the running slice, so the worker never
 *     reads freed memory.
 *   - HTTP/2: on the loop thread itself, one slice per loop turn (a 0 ms timer). h2o 2.2.5
 *     frees the stream's body buffer *before* disposing the request
 *     (h2o_http2_stream_close, e.g. on RST_STREAM), and the stream struct is only in
 *     http2_internal.h, which needs khash.h that Debian does not ship; so a worker could
 *     read freed memory and the gateway cannot take the buffer over. On the loop, the free
 *     and the dispose hook (which unlinks the timer) happen in one call, so it is safe.
 */
#ifndef GW_PAYLOAD_H
#define GW_PAYLOAD_H

#include "gw_req.h"

/* Verifies r->body against r->auth.payload_hash when r->auth.payload is S3_PAYLOAD_SHA256
 * (anything else passes). Calls done(r, S3_OK or S3_ERR_CONTENT_SHA256_MISMATCH) exactly
 * once, now or later on the loop thread — unless the request is disposed first, in which
 * case done is never called. */
void gw_payload_verify(gw_req_t *r, void (*done)(gw_req_t *r, s3_err_t err));

#endif
