/*
 * s3_chunked.h — PURE incremental decoder for aws-chunked request bodies
 * (Content-Encoding: aws-chunked), in the picohttpparser shape: the caller owns the state,
 * feeds whatever bytes arrived (any split), and gets the payload back as slices of its own
 * input (zero copy). No allocation while decoding (init allocates one SHA-256 context).
 *
 * Wire format (x-amz-content-sha256 selects the mode; s3_sigv4_payload() gives the kind):
 *
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD (signed chunks):
 *     <hex-size>;chunk-signature=<64 hex>\r\n <data>\r\n    ... repeated
 *     0;chunk-signature=<64 hex>\r\n \r\n
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (signed chunks, signed trailer):
 *     <hex-size>;chunk-signature=<64 hex>\r\n <data>\r\n    ... repeated
 *     0;chunk-signature=<64 hex>\r\n
 *     <name>:<value>\r\n ...                                 trailers (x-amz-trailer names them)
 *     x-amz-trailer-signature:<64 hex>\r\n
 *     \r\n
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER (as botocore, the JS v3, Go v2 and Java v2 SDKs send):
 *     <hex-size>\r\n <data>\r\n ... 0\r\n <name>:<value>\r\n ... \r\n
 *
 * Signatures: each chunk's signature is s3_sigv4_chunk_signature() over the SHA-256 of its
 * data, chained from the previous one; the seed is the request's own (Authorization)
 * signature. The trailer signature is s3_sigv4_trailer_signature() over the SHA-256 of the
 * trailer lines canonicalised as SigV4 canonicalises headers ("<lowercase name>:<trimmed
 * value>\n", sorted by name: SDKs send them sorted, the .NET SDK sorts explicitly), chained
 * from the final (zero-length) chunk's signature. All comparisons are constant-time.
 *
 * Strict: CRLF exactly (a bare LF or CR is an error); sizes are 1-16 hex digits (either
 * case, no sign, no spaces); signed chunk lines carry exactly one extension,
 * ";chunk-signature=" + 64 hex digits, unsigned ones none; in signed modes every data chunk
 * but the last non-empty one must be at least 8 KiB (S3_CHUNKED_MIN_SIGNED, as AWS
 * enforces: InvalidChunkSizeError); the decoded length must equal x-amz-decoded-content-length
 * when the caller gives it; trailer names are HTTP tokens, at most S3_CHUNKED_MAX_TRAILERS,
 * no duplicates, none at all in the non-trailer mode; nothing may follow the final CRLF.
 * Liberal, where real clients differ or AWS is lenient: optional whitespace around the
 * trailer ':' and after the value (AWS accepts it); leading zeros in sizes; a body that ends
 * right after the last trailer line (or after the final chunk line) without the closing
 * empty line is accepted by s3_chunked_finish(), since everything signed has by then been
 * verified. No limit on the chunk size beyond S3_CHUNKED_MAX_CHUNK and the declared decoded
 * length (the JS v3 SDK sends a Buffer body as one chunk).
 *
 * Errors (s3_why_t): framing errors and truncation -> IncompleteBody; a small middle chunk
 * -> InvalidChunkSizeError; a bad chunk or trailer signature -> SignatureDoesNotMatch; more
 * data than x-amz-decoded-content-length -> InvalidArgument; malformed, duplicate or
 * unexpected trailers, or a missing trailer signature -> MalformedTrailerError. After an
 * error the state is dead: every further call fails the same way.
 *
 * NOTE: payload bytes are handed out before their chunk's signature has been checked (the
 * signature covers the whole chunk). A caller streaming data onwards must not commit the
 * object until s3_chunked_finish() returned S3_OK. The trailer checksum (e.g.
 * x-amz-checksum-crc32) is exposed, not checked: the caller compares it with its own
 * s3_checksum over the decoded data, and checks that the trailers received are the ones
 * x-amz-trailer announced (s3_chunked_trailer()): the decoder cannot know that header.
 */
#ifndef S3_CHUNKED_H
#define S3_CHUNKED_H

#include <sys/types.h>
#include "tern.h"
#include "s3_error.h"
#include "s3_sigv4.h"
#include "s3_checksum.h"

#define S3_CHUNKED_MAX_LINE       1024 /* any line without CRLF */
#define S3_CHUNKED_MAX_TRAILERS   8
#define S3_CHUNKED_TRAILER_BYTES  2048                        /* all trailer names + values */
#define S3_CHUNKED_MIN_SIGNED     8192                        /* min. chunk in signed modes */
#define S3_CHUNKED_MAX_CHUNK      (5ULL * 1024 * 1024 * 1024) /* 5 GiB, S3's max PUT */
#define S3_CHUNKED_LENGTH_UNKNOWN UINT64_MAX

typedef struct {
    tn_slice_t name;  /* as sent (any case), points into the state */
    tn_slice_t value; /* whitespace-trimmed, points into the state */
} s3_chunked_trailer_t;

typedef struct {
    /* configuration */
    s3_payload_kind_t mode;
    uint8_t key[32];
    char amz_date[17];
    char scope[128];
    size_t scope_len;
    uint64_t decoded_length; /* or S3_CHUNKED_LENGTH_UNKNOWN */
    /* progress */
    int state;
    uint64_t remaining;        /* bytes left in the current chunk's data */
    uint64_t chunk_size;       /* size of the current chunk */
    uint64_t decoded;          /* payload bytes seen so far */
    uint64_t n_chunks;         /* chunk lines parsed, the final one included */
    int prev_small;            /* signed: previous data chunk was below S3_CHUNKED_MIN_SIGNED */
    uint8_t prev_sig[32];      /* last verified signature (seed at first) */
    uint8_t want_sig[32];      /* signature announced for the current chunk */
    s3_checksum_t sha;         /* SHA-256 of the current chunk's data (signed modes) */
    s3_checksum_t trailer_sha; /* for the SHA-256 of the canonical trailer lines */
    int trailer_signed;        /* x-amz-trailer-signature seen and verified */
    char line[S3_CHUNKED_MAX_LINE];
    size_t line_len;
    int line_cr; /* the line buffer ends with a CR awaiting its LF */
    /* trailers */
    s3_chunked_trailer_t trailers[S3_CHUNKED_MAX_TRAILERS];
    size_t n_trailers;
    char tbuf[S3_CHUNKED_TRAILER_BYTES];
    size_t tbuf_len;
    s3_why_t error; /* the sticky error */
} s3_chunked_t;

/*
 * Prepares st for one body. mode: S3_PAYLOAD_STREAMING_SIGNED, _SIGNED_TRAILER or
 * _UNSIGNED_TRAILER. For the signed modes: signing_key (s3_sigv4_signing_key), amz_date
 * (the request's "YYYYMMDDTHHMMSSZ"), scope ("date/region/s3/aws4_request") and
 * seed_signature (the request's signature); all are copied. For the unsigned mode they may
 * be NULL. decoded_length: x-amz-decoded-content-length, or S3_CHUNKED_LENGTH_UNKNOWN.
 * Returns TN_OK, -EINVAL (other mode, bad date/scope) or -ENOMEM. Call s3_chunked_free()
 * in every case.
 */
int s3_chunked_init(s3_chunked_t *st, s3_payload_kind_t mode, const uint8_t signing_key[32],
                    const char *amz_date, tn_slice_t scope, const uint8_t seed_signature[32],
                    uint64_t decoded_length);
void s3_chunked_free(s3_chunked_t *st);

/*
 * Decodes from in[0..len). Returns:
 *   >= 0  bytes consumed (1..len). *data is payload, a slice of in[0..consumed) (may be
 *         empty). Call again with the rest of the input. When s3_chunked_done() becomes
 *         true the body is complete; bytes after it are an error.
 *   TN_PARSE_INCOMPLETE  all len bytes were consumed (kept in the state if needed) without
 *         payload or completion: feed more. Also for len == 0 on an unfinished body.
 *   TN_PARSE_ERROR  *why (if not NULL) says why (see above); st is dead.
 * *data is always set ({NULL, 0} unless payload was produced).
 */
ssize_t s3_chunked_decode(s3_chunked_t *st, const uint8_t *in, size_t len, tn_slice_t *data,
                          s3_why_t *why);

/* Has the whole body (final chunk, trailers, final CRLF) been decoded? */
int s3_chunked_done(const s3_chunked_t *st);

/* The end of the HTTP body: S3_OK if the body is complete (including the liberal endings
 * above; st is then done), else IncompleteBody (or the earlier error). */
s3_err_t s3_chunked_finish(s3_chunked_t *st, s3_why_t *why);

/* Trailer value by name (ASCII case-insensitive), or NULL. Valid while st lives. */
const tn_slice_t *s3_chunked_trailer(const s3_chunked_t *st, const char *name);

#endif
