/*
 * mg_resume.h — PURE decision whether an object already in the bucket is the local file
 * (skip it on a rerun; --verify's comparison).
 *
 * tern-migrate uploads every object with a CRC32C of the whole file: x-amz-checksum-crc32c
 * on single PUTs, the FULL_OBJECT CRC32C type on multipart uploads, so the stored checksum
 * does not depend on the part layout. A HEAD with x-amz-checksum-mode: ENABLED returns it.
 * The same: equal size and equal CRC32C. Objects written by other tools: a COMPOSITE checksum
 * ("...-N") proves nothing about the whole file; then the ETag, which is the MD5 of the body for
 * single-part objects (no '-' in it), is compared (the caller computes the MD5 only when asked:
 * MG_RESUME_NEED_MD5). Anything else: send.
 */
#ifndef MG_RESUME_H
#define MG_RESUME_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int found;           /* HEAD answered 200 */
    uint64_t size;       /* Content-Length */
    char crc32c[64];     /* x-amz-checksum-crc32c as returned, "" if none */
    char cksum_type[16]; /* x-amz-checksum-type, "" if none */
    char etag[80];       /* ETag, quotes included as returned, "" if none */
} mg_remote_t;

typedef struct {
    uint64_t size;
    uint32_t crc32c;
    int has_md5;
    uint8_t md5[16];
} mg_local_t;

typedef enum {
    MG_RESUME_SEND = 0,   /* absent or different: upload */
    MG_RESUME_SAME,       /* present and proven equal: skip */
    MG_RESUME_NEED_MD5,   /* only the ETag can decide: compute local MD5 and ask again */
    MG_RESUME_UNPROVABLE, /* same size, no comparable checksum (e.g. multipart ETag) */
} mg_resume_t;

mg_resume_t mg_resume_decide(const mg_remote_t *r, const mg_local_t *l);

/* Base64 of the big-endian CRC32C (the x-amz-checksum-crc32c form) into out[13]. */
void mg_crc32c_text(uint32_t crc, char out[13]);

#endif
