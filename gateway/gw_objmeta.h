/*
 * gw_objmeta.h — the value encoding of an object's head row (pool "index"), and the part table
 * of a multipart object (kept in the same row's inline field). PURE: no I/O, no allocation;
 * decoded byte fields point into the encoded buffer.
 *
 * WHERE THE ROW LIVES (gw_op_object.c, gw_op_multipart.c, gw_op_copy.c and gw_op_tagging.c
 * build it)
 *   pool = conf_pool_id("index"), pg = pl_object_pg(index pool, le64(bucket id) || le32(0))
 *   (one index shard per bucket for now), ns = bucket id, key = the object key (1..1024 bytes).
 *   A delete is a tombstone row (TN_ROW_TOMBSTONE, empty value). Three layouts:
 *   - INLINE: objects up to osd.inline_max bytes keep their data in the row's inline field;
 *   - CHUNKED (single PUT): chunks of chunk_size bytes, blob (data_vid, i) for i in
 *     0..chunk_count-1 in pool "data", pg = pl_object_pg(data pool, data_vid || le32(i)),
 *     written before the head row;
 *   - MULTIPART (CompleteMultipartUpload): the object is the concatenation of part_count parts;
 *     part j is chunked like a single PUT under its own data vid (the vid of the UploadPart
 *     attempt that wrote it: Complete references the blobs, it copies nothing). The part table
 *     is in the row's INLINE field (otherwise unused by a non-inline object; up to
 *     TN_ROW_MAX_INLINE = 1 MiB, while the value is limited to TN_ROW_MAX_VALUE = 64 KiB):
 *     10,000 parts take 8 + 10,000 x 88 = 880,008 bytes. GET and HEAD read it with the row.
 *   Every data vid has an intent row written before its first blob (gw_intent.h, tn_gcref.h)
 *   by which the OSDs' garbage collector finds and judges it.
 *
 * VALUE ENCODING, format version 2 (integers little-endian, "str" = u32 length + bytes)
 *   u32  format version (GW_OBJMETA_VERSION = 2)
 *   u64  size (object bytes)
 *   16   MD5: of the object (single PUT: the ETag); multipart: MD5 of the concatenated raw part
 *        MD5s (the ETag is its hex, "-", part_count)
 *   u64  mtime (ms since the Unix epoch)
 *   str  Content-Type, str Cache-Control, str Content-Disposition, str Content-Encoding,
 *   str  Expires  (empty = not set)
 *   u32  n user metadata pairs, then n x (str name without "x-amz-meta-", lowercase; str value)
 *   u8   layout: 0 CHUNKED, 1 INLINE, 2 MULTIPART
 *   u32  chunk size, u32 chunk count, 16 data vid  (CHUNKED only; zero otherwise)
 *   u32  part count (MULTIPART: 1..10000; zero otherwise)
 *   u8   checksum algorithm (s3_cksum_alg_t CRC32..SHA256; 0 = none stored)
 *   u8   checksum type: 0 none, 1 FULL_OBJECT, 2 COMPOSITE (COMPOSITE only for MULTIPART; the
 *        composite's part count is part count)
 *   raw  checksum value, s3_checksum_size(algorithm) bytes (big-endian digest, as S3 shows it)
 *   u8   canned ACL (gw_acl_t; 0 = private)
 *   u32  n tags (0..GW_OBJMETA_MAX_TAGS), then n x (str key, str value)
 *   Decoding is exact: trailing bytes or an overrun is TN_ERR_CORRUPT.
 *
 * Format version 1 (still decoded; written by the first single-part PUTs): the same up to and
 * including the data vid, where the layout byte could only be 0 or 1, and nothing after it.
 * It decodes as format 2 with no checksum, ACL private and no tags.
 *
 * PART TABLE (the inline field of a MULTIPART head row; fixed-size records so a GET finds the
 * part holding an offset by binary search, without decoding or allocating anything)
 *   u32  table version (1), u32 n (== part count)
 *   n x 88 bytes, in object order:
 *     u32 part number (as uploaded; strictly ascending), u32 chunk size,
 *     u64 offset of the part in the object, u64 part size,
 *     16 data vid, 16 MD5 of the part, 32 checksum of the part (the object's algorithm;
 *     s3_checksum_size bytes, zero-padded; all zero when the object stores none)
 *   Offsets are contiguous from 0 and the sizes add up to the object size.
 */
#ifndef GW_OBJMETA_H
#define GW_OBJMETA_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"
#include "s3_checksum.h"

#define GW_OBJMETA_VERSION    2u
#define GW_OBJMETA_MAX_META   256   /* user metadata pairs */
#define GW_OBJMETA_META_MAX   2048u /* S3: names + values of x-amz-meta-* at most 2 KiB */
#define GW_OBJMETA_CHUNK      (4u << 20)
#define GW_OBJMETA_MAX_TAGS   50     /* S3 allows 10 per object; room for later limits */
#define GW_OBJMETA_MAX_PARTS  10000u /* parts of a multipart object */
#define GW_OBJPARTS_HEADER    8u
#define GW_OBJPARTS_REC       88u
#define GW_OBJPARTS_CKSUM_MAX 32u

typedef enum {
    GW_LAYOUT_CHUNKED = 0,
    GW_LAYOUT_INLINE = 1,
    GW_LAYOUT_MULTIPART = 2,
} gw_layout_t;

typedef enum {
    GW_CKTYPE_NONE = 0,
    GW_CKTYPE_FULL_OBJECT = 1,
    GW_CKTYPE_COMPOSITE = 2,
} gw_cktype_t;

/* Canned ACLs (x-amz-acl); stored now so that ACL work needs no format change. */
typedef enum {
    GW_ACL_PRIVATE = 0,
    GW_ACL_PUBLIC_READ,
    GW_ACL_PUBLIC_READ_WRITE,
    GW_ACL_AUTHENTICATED_READ,
    GW_ACL_AWS_EXEC_READ,
    GW_ACL_BUCKET_OWNER_READ,
    GW_ACL_BUCKET_OWNER_FULL_CONTROL,
    GW_ACL__COUNT
} gw_acl_t;

typedef struct {
    tn_slice_t name; /* without the "x-amz-meta-" prefix */
    tn_slice_t value;
} gw_objmeta_kv_t;

typedef struct {
    uint64_t size;
    uint8_t md5[16];
    uint64_t mtime_ms;
    tn_slice_t content_type, cache_control, content_disposition, content_encoding, expires;
    gw_objmeta_kv_t meta[GW_OBJMETA_MAX_META];
    size_t n_meta;
    int is_inline;    /* layout INLINE */
    int is_multipart; /* layout MULTIPART (then part_count > 0, chunk fields 0) */
    uint32_t chunk_size;
    uint32_t chunk_count;
    uint8_t data_vid[16];
    uint32_t part_count;
    s3_cksum_alg_t cksum_alg; /* S3_CKSUM_NONE: no checksum stored */
    gw_cktype_t cksum_type;
    uint8_t cksum[S3_CKSUM_MAX_RAW];
    gw_acl_t acl;
    gw_objmeta_kv_t tags[GW_OBJMETA_MAX_TAGS];
    size_t n_tags;
    uint32_t format; /* set by decode: 1 or 2 (encode always writes 2) */
} gw_objmeta_t;

/* Bytes gw_objmeta_encode needs for m. */
size_t gw_objmeta_encoded_len(const gw_objmeta_t *m);
/* Encodes m (format 2) into buf[0..cap): the length written, or TN_ERR_TOO_BIG if cap is too
 * small or a count is over its limit; -EINVAL for an inconsistent m (both inline and
 * multipart, a checksum type without algorithm, an MD5 "checksum"). */
int gw_objmeta_encode(const gw_objmeta_t *m, uint8_t *buf, size_t cap);
/* Decodes buf into m (slices point into buf): TN_OK, TN_ERR_CORRUPT (malformed, unknown
 * version, more than GW_OBJMETA_MAX_META pairs or GW_OBJMETA_MAX_TAGS tags, inline with chunks,
 * chunked without, multipart without parts or with chunk fields, unknown layout, algorithm,
 * type or ACL). Entries of meta[] and tags[] past n_meta and n_tags are left as they were. */
int gw_objmeta_decode(const void *buf, size_t len, gw_objmeta_t *m);
/* Total bytes of user metadata as S3 counts it (names + values). */
size_t gw_objmeta_meta_bytes(const gw_objmeta_t *m);
/* The ETag with its quotes into out[44] ("hex" or "hex-N" for multipart), NUL-terminated;
 * returns its length. */
size_t gw_objmeta_etag(const gw_objmeta_t *m, char out[48]);

/* ---- part table ---- */

typedef struct {
    uint32_t number;
    uint32_t chunk_size;
    uint64_t offset;
    uint64_t size;
    uint8_t vid[16];
    uint8_t md5[16];
    uint8_t cksum[GW_OBJPARTS_CKSUM_MAX];
} gw_objpart_t;

/* Bytes of a table of n parts. */
size_t gw_objparts_len(uint32_t n);
/* Writes the header of a table of n parts (tbl has gw_objparts_len(n) bytes). */
void gw_objparts_init(uint8_t *tbl, uint32_t n);
/* Writes / reads record i (< n). No checks: validate a table with gw_objparts_check first. */
void gw_objparts_put(uint8_t *tbl, uint32_t i, const gw_objpart_t *p);
void gw_objparts_get(const uint8_t *tbl, uint32_t i, gw_objpart_t *p);
/* Checks that tbl[0..len) is the part table of m (a MULTIPART head): header, n == part
 * count, len exact, part numbers 1..10000 strictly ascending, offsets contiguous from 0, sizes
 * adding up to m->size, a chunk size for every non-empty part. TN_OK or TN_ERR_CORRUPT. */
int gw_objparts_check(const gw_objmeta_t *m, const uint8_t *tbl, size_t len);
/* Index of the part holding byte off (< the object size) of a checked table of n parts. */
uint32_t gw_objparts_find(const uint8_t *tbl, uint32_t n, uint64_t off);

/* Where byte off (< m->size) of a CHUNKED or MULTIPART object is: blob (vid, chunk), at
 * offset coff in it, with avail bytes of the object from there to the blob's end. tbl: the
 * checked part table (MULTIPART), else NULL. vid points into m or tbl. */
typedef struct {
    const uint8_t *vid;
    uint32_t chunk;
    uint64_t coff;
    uint64_t avail;
} gw_objloc_t;
void gw_objmeta_locate(const gw_objmeta_t *m, const uint8_t *tbl, uint64_t off, gw_objloc_t *out);

#endif
