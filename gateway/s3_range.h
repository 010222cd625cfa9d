/*
 * s3_range.h — PURE: the Range request header of GetObject/HeadObject, parsed and resolved
 * against an object size, with the behaviour AWS S3 shows:
 *
 *   header absent                     -> S3_RANGE_FULL (200, whole object)
 *   syntactically invalid             -> S3_RANGE_FULL: S3 ignores a malformed Range and
 *                                        answers 200 (as RFC 9110 section 14.2 allows),
 *                                        e.g. "bytes=abc", "bytes=5-3" (last < first),
 *                                        "items=0-1", "bytes=--1", "bytes=1-2 x"
 *   several ranges "bytes=0-1,5-6"    -> S3_RANGE_FULL: S3 does not support multipart/
 *                                        byteranges and returns the whole object
 *   "bytes=a-b" with a < size         -> S3_RANGE_PARTIAL [a, min(b, size-1)] (206)
 *   "bytes=a-"  with a < size         -> S3_RANGE_PARTIAL [a, size-1]
 *   "bytes=-n"  with n > 0, size > 0  -> S3_RANGE_PARTIAL the last min(n, size) bytes
 *   "bytes=a-b"/"bytes=a-" a >= size  -> S3_RANGE_UNSATISFIABLE (416 InvalidRange, with
 *                                        "Content-Range: bytes * /size"); this includes any
 *                                        int range on a zero-length object
 *   "bytes=-0"                        -> S3_RANGE_UNSATISFIABLE
 *   "bytes=-n" on a zero-length object-> S3_RANGE_FULL (200, empty body): RFC 9110 calls a
 *                                        non-zero suffix satisfiable but 206 cannot express
 *                                        an empty range; a choice, not verified against AWS
 *
 * The unit "bytes" is matched case-insensitively; whitespace is allowed only around the
 * (rejected) commas, as the grammar says; numbers are decimal digits only (no sign), and
 * values past 2^64-1 saturate (so they are simply "beyond the end").
 */
#ifndef S3_RANGE_H
#define S3_RANGE_H

#include "tern.h"

typedef enum {
    S3_RANGE_FULL = 0,      /* send the whole object, 200 */
    S3_RANGE_PARTIAL,       /* send [start, end], 206 */
    S3_RANGE_UNSATISFIABLE, /* 416 InvalidRange */
} s3_range_kind_t;

typedef struct {
    s3_range_kind_t kind;
    uint64_t start;  /* PARTIAL: first byte */
    uint64_t end;    /* PARTIAL: last byte, inclusive */
    uint64_t length; /* PARTIAL: end - start + 1; FULL: size; else 0 */
} s3_range_t;

/* The syntax alone. */
typedef enum {
    S3_RANGE_SPEC_INVALID = 0, /* absent, malformed or several ranges: ignore the header */
    S3_RANGE_SPEC_INT,         /* bytes=first-[last] */
    S3_RANGE_SPEC_SUFFIX,      /* bytes=-suffix */
} s3_range_spec_kind_t;

typedef struct {
    s3_range_spec_kind_t kind;
    uint64_t first, last; /* INT; last = UINT64_MAX when open-ended */
    uint64_t suffix;      /* SUFFIX */
    int multiple;         /* several ranges were given (kind is then INVALID) */
} s3_range_spec_t;

void s3_range_parse(const char *hdr, size_t len, s3_range_spec_t *spec);

/* hdr NULL means "no Range header". Returns out->kind. */
s3_range_kind_t s3_range_resolve(const char *hdr, size_t len, uint64_t size, s3_range_t *out);

/* Content-Range value: "bytes 0-9/100" for PARTIAL, "bytes * /100" (no space) for
 * UNSATISFIABLE. Returns the length written (NUL-terminated), or 0 for FULL or if cap is too
 * small (S3_RANGE_CR_MAX bytes always suffice). */
#define S3_RANGE_CR_MAX 80 /* "bytes " + 3 * 20 digits + "-/" + NUL, rounded up */
size_t s3_range_content_range(const s3_range_t *r, uint64_t size, char *out, size_t cap);

#endif
