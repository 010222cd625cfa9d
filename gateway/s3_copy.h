/*
 * s3_copy.h — the pure request pieces of CopyObject (and UploadPartCopy) and of object tagging:
 * the x-amz-copy-source value, the x-amz-*-directive headers, the x-amz-copy-source-if-*
 * preconditions, and the x-amz-tagging header. PURE: no I/O, no allocation (callers give the
 * work memory decoded strings go to).
 */
#ifndef S3_COPY_H
#define S3_COPY_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"
#include "s3_error.h"
#include "s3_router.h"
#include "s3_xml_parse.h"

#define S3_COPY_MAX_SIZE   (5ull << 30) /* a CopyObject source is at most 5 GiB (S3) */
#define S3_TAGS_MAX_OBJECT 10           /* tags per object (S3) */

typedef struct {
    tn_slice_t bucket; /* decoded, into the caller's work memory */
    tn_slice_t key;
} s3_copy_source_t;

/* Parses x-amz-copy-source: "[/]bucket/key[?versionId=V]", bucket and key percent-decoded into
 * work (cap >= len). S3_OK; S3_ERR_INVALID_ARGUMENT for a bad escape, no bucket or key, a key
 * over 1024 bytes, a query other than versionId; S3_ERR_NO_SUCH_VERSION for a versionId other
 * than "null" (tern's buckets are unversioned: the only version is null). why may be NULL. */
s3_err_t s3_copy_source_parse(const char *v, size_t len, char *work, size_t cap,
                              s3_copy_source_t *out, s3_why_t *why);

/* ?versionId= on an unversioned bucket (p NULL: absent): absent or "null" -> S3_OK (the
 * current object); an id shaped like an S3 version id (1..1024 of A-Z a-z 0-9 . _ -) ->
 * S3_ERR_NO_SUCH_VERSION; anything else -> S3_ERR_INVALID_ARGUMENT (as GetObject answers). */
s3_err_t s3_version_id_check(const s3_param_t *p);

/* x-amz-metadata-directive / x-amz-tagging-directive: v NULL (absent) or "COPY" -> 0,
 * "REPLACE" -> 1, anything else -> -1 (InvalidArgument). Case-sensitive, as S3. */
int s3_copy_directive(const char *v, size_t len);

/* Does a comma-separated If-Match style list (quoted or bare ETags, or "*") contain etag
 * (quoted, as gw_objmeta_etag writes it)? */
int s3_etag_list_match(const char *hdr, size_t len, const char *etag, size_t elen);

/* The x-amz-copy-source-if-* headers (base NULL: absent). */
typedef struct {
    tn_slice_t if_match, if_none_match, if_unmodified_since, if_modified_since;
} s3_copy_cond_t;

/* 1 if the copy may go on, 0 for 412 PreconditionFailed, with S3's combination rules: if-match
 * true makes a false if-unmodified-since irrelevant, if-none-match false fails even when
 * if-modified-since is true; an unparsable date is ignored. mtime_s: the source's mtime. */
int s3_copy_cond_ok(const s3_copy_cond_t *c, const char *etag, size_t elen, int64_t mtime_s);

/* Parses an x-amz-tagging header ("k1=v1&k2=v2", URL query encoding, '+' = space) into
 * tags[0..*n) (at most max), decoded into work (cap >= len). S3_OK (an empty header is no
 * tags) or S3_ERR_INVALID_TAG (why set) for more than max tags, an empty key, a key over 128 or
 * a value over 256 characters, a key starting with "aws:", the same key twice, a bad escape. */
s3_err_t s3_tagging_header_parse(const char *v, size_t len, s3_tag_t *tags, size_t max, size_t *n,
                                 char *work, size_t cap, s3_why_t *why);

/* Encodes tags as an x-amz-tagging value would be (for tests and round trips): the length
 * written to out[0..cap), or 0 if it does not fit. */
size_t s3_tagging_header_format(const s3_tag_t *tags, size_t n, char *out, size_t cap);

#endif
