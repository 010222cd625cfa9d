/*
 * s3_body.h — PURE request-body checks of S3, in one pass over the body: aws-chunked
 * decoding in place (s3_chunked), and every digest the request needs (MD5 for the ETag and
 * Content-MD5, one x-amz-checksum-* algorithm, the signed payload SHA-256) fed once through
 * s3_multihash. The gateway glue (gw_payload.c) decides where the pass runs (inline, on a
 * worker thread, or in slices on the loop); this file decides what is right.
 *
 * Three steps:
 *   1. s3_body_plan(): from the request headers and the payload kind, what to decode,
 *      compute and compare. Header errors are answered before any byte is read:
 *        Content-MD5 not base64 of 16 bytes             -> InvalidDigest
 *        x-amz-checksum-<alg> value malformed           -> InvalidRequest
 *        two or more checksums (headers and/or trailer) -> InvalidRequest
 *        x-amz-sdk-checksum-algorithm unknown, or naming an algorithm with no matching
 *          x-amz-checksum-* header or x-amz-trailer     -> InvalidRequest
 *        x-amz-trailer naming anything but one x-amz-checksum-* header, or given without a
 *          STREAMING-*-TRAILER payload                  -> InvalidRequest
 *        aws-chunked without x-amz-decoded-content-length -> MissingContentLength;
 *          not a decimal number                         -> InvalidArgument;
 *          larger than the encoded body                 -> IncompleteBody
 *   2. s3_body_init() + s3_body_step() until *done: decodes buf in place (the decoded
 *      bytes are moved to the front of buf: never longer than the encoded ones, so no
 *      second copy of a large body) and hashes the decoded bytes while they are in cache.
 *      Each step handles at most `max` input bytes (bounded work per call).
 *   3. s3_body_finish(): the end of the body, then the verdict, in this order:
 *      aws-chunked framing / signature errors (IncompleteBody, SignatureDoesNotMatch,
 *      InvalidChunkSizeError, MalformedTrailerError, ...); XAmzContentSHA256Mismatch;
 *      trailers received vs x-amz-trailer (MalformedTrailerError either way; a trailer
 *      checksum value that is not valid base64 of the right size -> InvalidRequest);
 *      Content-MD5 -> BadDigest; the checksum -> BadDigest "The CRC32 you specified did
 *      not match the calculated checksum.".
 *
 * The S3 algorithm named in a header or trailer is also what the object stores (returned
 * in s3_body_result_t), so only verified checksums ever reach metadata.
 */
#ifndef S3_BODY_H
#define S3_BODY_H

#include "tern.h"
#include "s3_checksum.h"
#include "s3_chunked.h"
#include "s3_error.h"
#include "s3_sigv4.h"

#define S3_BODY_CE_AWS_CHUNKED "aws-chunked"

typedef struct {
    s3_payload_kind_t payload;
    int streaming;           /* aws-chunked body (a STREAMING-* payload) */
    uint64_t decoded_length; /* x-amz-decoded-content-length (streaming only) */
    int want_md5;            /* compute the MD5 of the (decoded) body */
    int has_content_md5;     /* Content-MD5 given: compare */
    uint8_t content_md5[16];
    s3_cksum_alg_t cksum_alg;             /* checksum to compute and compare, or NONE */
    int cksum_in_trailer;                 /* its value comes as an aws-chunked trailer */
    uint8_t cksum_want[S3_CKSUM_MAX_RAW]; /* header value (not for a trailer) */
    int want_sha256;                      /* S3_PAYLOAD_SHA256: compare with payload_sha256 */
    uint8_t payload_sha256[32];
} s3_body_plan_t;

/* s3_body_plan flags. */
#define S3_BODY_STORES_DATA 1 /* PutObject, UploadPart: MD5 always computed for the ETag */
/* CompleteMultipartUpload: an x-amz-checksum-<alg> header is the expected checksum of the
 * whole OBJECT (full-object or composite, checked by the operation), not of this body: it
 * is validated in form (one header, a decodable value) but not computed over the body. */
#define S3_BODY_OBJECT_CKSUM 2

/*
 * Builds the plan from the request headers (any case, as s3_sigv4_req_t holds them), the
 * payload kind and hash (gw_auth), the encoded body length, and flags (S3_BODY_*). S3_OK or
 * the error to answer (why explains).
 */
s3_err_t s3_body_plan(const s3_header_t *headers, size_t n_headers, s3_payload_kind_t payload,
                      tn_slice_t payload_hash, uint64_t body_len, int flags, s3_body_plan_t *plan,
                      s3_why_t *why);

/* Does the plan need a pass over the body at all? */
int s3_body_plan_needs_pass(const s3_body_plan_t *plan);

/*
 * The Content-Encoding to store for an aws-chunked body: the header value without the
 * "aws-chunked" coding (ASCII case-insensitive, any position of a comma-separated list,
 * whitespace around items dropped, other items kept in order and joined with ","). out
 * needs len bytes; returns the length written (0: nothing left to store).
 */
size_t s3_body_content_encoding(const char *value, size_t len, char *out);

/* Signing material for signed aws-chunked bodies (from the request's authentication). */
typedef struct {
    const uint8_t *signing_key; /* 32 bytes */
    const char *amz_date;       /* "YYYYMMDDTHHMMSSZ" */
    tn_slice_t scope;           /* "date/region/s3/aws4_request" */
    const uint8_t *seed;        /* the request's signature, 32 bytes */
} s3_body_keys_t;

typedef struct {
    s3_body_plan_t plan;
    s3_chunked_t ch;
    int ch_init;
    s3_multihash_t mh;
    int mh_init;
    uint8_t *buf;
    size_t len; /* encoded length */
    size_t in;  /* encoded bytes consumed */
    size_t out; /* decoded bytes written at buf[0..out) */
    int done;   /* every input byte consumed (or a decode error is sticky in err) */
    s3_why_t err;
} s3_body_t;

typedef struct {
    size_t len; /* decoded body length: the body is buf[0..len) */
    int has_md5;
    uint8_t md5[16];
    s3_cksum_alg_t cksum_alg; /* verified checksum (header or trailer), or NONE */
    uint8_t cksum[S3_CKSUM_MAX_RAW];
} s3_body_result_t;

/* Prepares a pass over buf[0..len) (written in place when streaming). keys may be NULL
 * unless the payload is a signed stream. TN_OK, -EINVAL or -ENOMEM; call s3_body_free()
 * in every case. */
int s3_body_init(s3_body_t *b, const s3_body_plan_t *plan, const s3_body_keys_t *keys, uint8_t *buf,
                 size_t len);
/* Processes at most max (> 0) input bytes. Sets *done when the whole input was processed
 * or decoding failed (the error is reported by s3_body_finish). */
void s3_body_step(s3_body_t *b, size_t max, int *done);
/* After *done: the verdict (see the top of this file). On S3_OK, res is filled. */
s3_err_t s3_body_finish(s3_body_t *b, s3_body_result_t *res, s3_why_t *why);
void s3_body_free(s3_body_t *b);

#endif
