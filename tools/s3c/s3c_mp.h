/*
 * s3c_mp.h — PURE pieces of the tools' multipart uploads (tern-bench, tern-migrate): the
 * part count, the UploadId out of a CreateMultipartUpload answer, the
 * CompleteMultipartUpload request body, the check of its answer (S3 may answer 200 with an
 * <Error> body), and URI encoding of query values (upload IDs may hold '+', '/', '=').
 */
#ifndef S3C_MP_H
#define S3C_MP_H

#include <stddef.h>
#include <stdint.h>

#define S3C_MP_MAX_PARTS 10000
#define S3C_MP_ETAG      80 /* bytes per stored ETag, quotes included, NUL-terminated */

/* Parts of part_size bytes (the last one shorter) for an object of size bytes; 0 if the
 * object needs more than S3C_MP_MAX_PARTS or part_size is 0. */
uint32_t s3c_mp_parts(uint64_t size, uint64_t part_size);

/* Copies the text of the first <UploadId> element (entities &amp; &lt; &gt; &quot; &apos;
 * decoded) into out[cap]. 0, or -1 if absent, empty, malformed or too long. */
int s3c_mp_upload_id(const char *xml, size_t len, char *out, size_t cap);

/* Writes <CompleteMultipartUpload> with parts 1..n and their ETags (as received) into
 * out[cap], NUL-terminated. Returns its length, 0 if it does not fit. */
size_t s3c_mp_complete_xml(char *out, size_t cap, const char (*etags)[S3C_MP_ETAG], uint32_t n);

/* Upper bound of s3c_mp_complete_xml's length for n parts (for the allocation). */
size_t s3c_mp_complete_cap(uint32_t n);

/* 1 if a 200 answer to CompleteMultipartUpload is a success (the result element, no
 * <Error>), else 0. */
int s3c_mp_complete_ok(const char *body, size_t len);

/* Percent-encodes every byte but A-Z a-z 0-9 - _ . ~ into out[cap] (NUL-terminated).
 * Returns the length, or 0 if it does not fit (or in is empty). */
size_t s3c_uri_encode(const char *in, char *out, size_t cap);

#endif
