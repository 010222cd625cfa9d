/*
 * gw_payload.h — the payload stage of the request pipeline: one pass over the request body
 * (s3_body.h) that decodes aws-chunked bodies in place and computes every digest the request
 * needs at once (signed payload SHA-256, MD5 for the ETag and Content-MD5, the
 * x-amz-checksum-* given as header or trailer), then fills r->body, r->has_md5/body_md5,
 * r->cksum_alg/cksum and r->content_encoding.
 *
 * In place: h2o has already buffered the whole body (and removed HTTP chunked framing) in
 * req->entity; the decoded bytes are written over the encoded ones from the front (they are
 * never longer), so a 5 GiB upload is never copied; r->body becomes the decoded prefix.
 *
 * Where the pass runs: bodies up to GW_REQ_INLINE_HASH_MAX (encoded) on the loop thread at
 * once. Larger ones in slices (MD5 dominates, ~650 MB/s/core), so the loop never blocks on a
 * big body:
 *   - HTTP/1: on a worker thread (gw_worker.h), GW_PAYLOAD_SLICE at a time; the loop goes
 *     on serving other requests and the result comes back as an h2o_multithread message.
 *     The body lives in the connection's input buffer, which h2o frees only after disposing
 *     the request; the dispose hook cancels the job and waits for the running slice, so the
 *     worker never touches freed memory.
 *   - HTTP/2: on the loop thread itself, GW_PAYLOAD_LOOP_SLICE per loop turn (a 0 ms timer).
 *     h2o 2.2.5 frees the stream's body buffer *before* disposing the request
 *     (h2o_http2_stream_close, e.g. on RST_STREAM), and the stream struct is only in
 *     http2_internal.h, which needs khash.h that Debian does not ship; so a worker could
 *     touch freed memory and the gateway cannot take the buffer over. On the loop, the free
 *     and the dispose hook (which unlinks the timer) happen in one call, so it is safe.
 *
 * Early dispatch (PutObject, HTTP/1, body over GW_REQ_INLINE_HASH_MAX, not aws-chunked, so
 * the bytes stored are the bytes received): done(r, OK) runs at once and the pass goes on on
 * a worker while the operation writes the body's chunks, which stay invisible until its head
 * row. The operation calls gw_payload_await before it reads the digests (r->has_md5,
 * body_md5, cksum_alg, cksum) and before it makes anything visible; a bad digest then
 * answers like before, only later, and the written chunks are reclaimed through the write's
 * intent (gw_intent.h). MD5 ran alone for ~50 ms of a 32 MiB PUT's ~260 ms before the first
 * chunk left (docs/BENCHMARKS.md, "Large PUT: chunk buffers and early dispatch").
 *
 * Which digests: MD5 for PutObject and UploadPart (the ETag) and whenever Content-MD5 is
 * given; the checksum whenever x-amz-checksum-* or x-amz-trailer names one; SHA-256 when
 * x-amz-content-sha256 is a hash. Nothing to do (e.g. an UNSIGNED-PAYLOAD GET) costs no pass.
 */
#ifndef GW_PAYLOAD_H
#define GW_PAYLOAD_H

#include "gw_req.h"

#define GW_PAYLOAD_SLICE      (4u << 20) /* encoded bytes per worker slice (HTTP/1) */
#define GW_PAYLOAD_LOOP_SLICE (1u << 20) /* per loop turn (HTTP/2): ~2 ms of loop time */

/* Runs the stage. Calls done(r, why) exactly once (why->err S3_OK: the fields above are
 * set), now or later on the loop thread — unless the request is disposed first, in which
 * case done is never called. why is only valid during the call. */
void gw_payload_run(gw_req_t *r, void (*done)(gw_req_t *r, const s3_why_t *why));

/* The verdict of an early-dispatched pass (see above). Returns 1 when it is known now (always
 * when there was no early dispatch): *why is set (S3_OK: the digests are on r). Else 0, and
 * cb(arg, why) runs once later on the loop thread with the verdict — or with why NULL if the
 * request is disposed first (then r must not be touched; release what the wait held). */
int gw_payload_await(gw_req_t *r, void (*cb)(void *arg, const s3_why_t *why), void *arg,
                     s3_why_t *why);
/* gw_req's dispose hook, when r->payload_pending is set. */
void gw_payload_gone(gw_req_t *r);

#endif
