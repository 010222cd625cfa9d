/*
 * s3_etag.h — PURE: the text of an S3 ETag, the one place it is formatted: `"<hex md5>"` for
 * a single PUT (the body's MD5) or an UploadPart (the part's MD5), `"<hex md5>-<parts>"` for
 * a multipart object (MD5 of the parts' raw MD5s, then the part count). Quotes included, as
 * S3 sends them in the ETag header and XML bodies.
 */
#ifndef S3_ETAG_H
#define S3_ETAG_H

#include <stddef.h>
#include <stdint.h>

/* '"' + 32 hex + '-' + up to 10 digits + '"' + NUL */
#define S3_ETAG_MAX 48

/* Writes the ETag of md5 (parts 0: a plain MD5 ETag; else the multipart form with that part
 * count) into out, NUL-terminated; returns its length (34 for a plain one). */
size_t s3_etag_format(const uint8_t md5[16], uint32_t parts, char out[S3_ETAG_MAX]);

#endif
