/*
 * s3c_uri.h — PURE URI encoding of object keys for request paths, per SigV4's canonical URI
 * rules for S3: every byte but A-Z a-z 0-9 - _ . ~ and '/' becomes %XX (upper-case hex), so
 * the path sent is already canonical and is signed as is (keys with spaces, '%', '+',
 * unicode bytes). Part of tern_s3c (tools/s3c/).
 */
#ifndef S3C_URI_H
#define S3C_URI_H

#include <stddef.h>

/* Writes "/" bucket "/" encoded key into out[cap] (NUL-terminated); key may be "" (the
 * bucket itself: "/bucket/"). Returns the length, or 0 if it does not fit. */
size_t s3c_uri_object_path(const char *bucket, const char *key, char *out, size_t cap);

/* Percent-encodes in, keeping '/', into out[cap]. Returns the length (0 for ""), or
 * (size_t)-1 if it does not fit. */
size_t s3c_uri_encode_path(const char *in, char *out, size_t cap);

#endif
