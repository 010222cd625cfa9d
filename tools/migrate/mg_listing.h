/*
 * mg_listing.h — PURE tables of what the bucket already holds, built from listing answers
 * (asked with encoding-type=url), so that tern-migrate decides per file without a request:
 *
 *  - objects (ListObjectsV2 of the prefix, taken once before the copy): a key that is not
 *    listed is sent without a HEAD (a first run into an empty bucket costs one LIST per 1,000
 *    files instead of one HEAD per file); a listed key with another size is sent; a listed
 *    key with the same size is skipped when its ETag is the file's MD5 (tern-migrate's single
 *    PUTs), else HEADed for its checksum (mg_resume_decide).
 *  - multipart uploads in progress (ListMultipartUploads of the prefix) and the parts of one
 *    of them (ListParts): a large file cut off midway resumes from its acknowledged parts
 *    (mg_parts_plan), the other uploads of the key are aborted.
 */
#ifndef MG_LISTING_H
#define MG_LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "s3c_mp.h"

typedef struct {
    char *key; /* malloc()ed */
    uint64_t size;
    char etag[80]; /* as listed, quotes included; "" if none */
} mg_obj_t;

typedef struct {
    mg_obj_t *v;
    size_t n, cap;
    int sorted;
} mg_objs_t;

/* Adds the <Contents> of one ListObjectsV2 page; *truncated and the continuation token
 * (token[cap], "" if none) for the next page. 0, or -1 on a malformed answer / no memory. */
int mg_objs_add_page(mg_objs_t *t, const char *xml, size_t len, int *truncated, char *token,
                     size_t cap);
/* Sorts the table (once, after the last page); then lookups. NULL if absent. */
void mg_objs_sort(mg_objs_t *t);
const mg_obj_t *mg_objs_find(const mg_objs_t *t, const char *key);
void mg_objs_free(mg_objs_t *t);

typedef struct {
    char *key; /* malloc()ed */
    char id[1024];
    char initiated[40]; /* ISO 8601, compares as text */
    int taken;          /* resumed or aborted by a worker (set under the caller's lock) */
} mg_upload_t;

typedef struct {
    mg_upload_t *v;
    size_t n, cap;
} mg_uploads_t;

/* Adds the <Upload> entries of one ListMultipartUploads page; *truncated and the next
 * key-marker / upload-id-marker. 0, or -1 on a malformed answer / no memory. */
int mg_uploads_add_page(mg_uploads_t *t, const char *xml, size_t len, int *truncated,
                        char *next_key, size_t key_cap, char *next_id, size_t id_cap);
void mg_uploads_free(mg_uploads_t *t);

typedef struct {
    uint32_t num;
    uint64_t size;
    char etag[S3C_MP_ETAG];
    char crc32c[16]; /* base64 as listed, "" if none */
} mg_part_t;

typedef struct {
    mg_part_t *v;
    size_t n, cap;
    int crc32c_full; /* the upload was created with ChecksumAlgorithm CRC32C, FULL_OBJECT */
} mg_parts_t;

/* Adds the <Part> entries of one ListParts page; *truncated and the next part-number
 * marker. 0, or -1 on a malformed answer / no memory. */
int mg_parts_add_page(mg_parts_t *t, const char *xml, size_t len, int *truncated,
                      uint32_t *next_marker);
void mg_parts_free(mg_parts_t *t);

/* Which parts of an upload of a file of `size` bytes in parts of part_size, whose part
 * CRC32Cs are crcs[n_parts], are already there: a listed part
 * counts when its number is in 1..n_parts, its size is that part's length and its CRC32C
 * is the local one. Sets have[p] (0-based) and copies its ETag into etags[p]; returns how
 * many parts are there, or -1 when the upload cannot be resumed (not a CRC32C FULL_OBJECT
 * upload). */
long mg_parts_plan(const mg_parts_t *t, uint64_t size, uint64_t part_size, const uint32_t *crcs,
                   uint32_t n_parts, uint8_t *have, char (*etags)[S3C_MP_ETAG],
                   uint64_t *bytes_there);

#endif
