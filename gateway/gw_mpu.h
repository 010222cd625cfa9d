/*
 * gw_mpu.h — PURE data model of multipart uploads: the upload and part rows (keys and value
 * encodings), the choice of a part among its attempts, and the plan of a
 * CompleteMultipartUpload (validation, ETag, checksum, part table). No I/O, no allocation;
 * gw_op_multipart.c does the cluster work.
 *
 * ROWS (all in pool "index")
 *   Upload row: pg = the bucket's index shard (gw_bucket_index_pg), ns = gw_mpu_ns_uploads(bucket
 *     id), key = object key || 0x00 || upload id (16 raw bytes). Keys never contain NUL (the
 *     router refuses it), so the rows sort by object key, then upload id: ListMultipartUploads
 *     is one range scan. Object keys longer than GW_MPU_KEY_MAX (1007) bytes cannot take the
 *     suffix within TN_ROW_MAX_KEY: CreateMultipartUpload answers KeyTooLongError for them.
 *     The upload id the client sees is the 32 lowercase hex digits of the 16 random bytes.
 *   Part row: pg = pl_object_pg(index pool, upload id) (parts of different uploads spread
 *     over PGs), ns = gw_mpu_ns_parts(bucket id), key = upload id || be32(part number) ||
 *     part vid (16 random bytes, fresh for every UploadPart / UploadPartCopy attempt): one row
 *     per attempt (DESIGN.md rule 10). The part's data are chunk blobs (part vid, i) in pool
 *     "data", exactly like a single PUT's. An attempt writes its row twice: PENDING before the
 *     first blob (the reference that lets the GC find blobs of attempts that never finished,
 *     rule 1), DONE after the last blob reached quorum (size, MD5, checksum). The part of a
 *     number is the newest DONE attempt (row version order): "the last upload wins".
 *   The namespaces are the bucket id xor a constant, so they never collide with the bucket's
 *   own key space (object head rows) in the same PG; a collision with another bucket's id
 *   needs two random 64-bit ids to differ by exactly that constant (probability 2^-64).
 *
 * UPLOAD ROW VALUE (integers little-endian, str = u32 length + bytes)
 *   u32 version (1), u8 state (0 ACTIVE, 1 COMPLETED), u64 initiated (ms since the epoch),
 *   str initiator access key, str object key,
 *   str gw_objmeta encoding: while ACTIVE the template of the object (content headers, user
 *     metadata, checksum algorithm and type, ACL, tags; layout MULTIPART, part count 1, sizes
 *     0); once COMPLETED the head fields of the object Complete wrote (size, ETag MD5, part
 *     count, checksum value, mtime): what a retried Complete answers (rule 10).
 *   An aborted upload is a tombstone row.
 *
 * PART ROW VALUE
 *   u32 version (1), u8 state (0 PENDING, 1 DONE), u64 size, u32 chunk size, 16 data vid,
 *   16 MD5, u8 checksum algorithm (0 none), raw checksum (s3_checksum_size bytes),
 *   u64 mtime (ms).
 */
#ifndef GW_MPU_H
#define GW_MPU_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"
#include "tn_row.h"
#include "s3_checksum.h"
#include "s3_error.h"
#include "s3_xml_parse.h"
#include "gw_objmeta.h"

#define GW_MPU_KEY_MAX        (TN_ROW_MAX_KEY - 17u)
#define GW_MPU_PART_KEY_LEN   36u
#define GW_MPU_MIN_PART       (5u << 20) /* every part but the last (EntityTooSmall) */
#define GW_MPU_MAX_PART_SIZE  (5ull << 30)
#define GW_MPU_NS_UPLOADS_XOR 0x55504c4f41445321ull /* "UPLOADS!" */
#define GW_MPU_NS_PARTS_XOR   0x5041525453212121ull /* "PARTS!!!" */
#define GW_MPU_ID_HEX         32u

enum { GW_MPU_ACTIVE = 0, GW_MPU_COMPLETED = 1 };
enum { GW_MPU_PART_PENDING = 0, GW_MPU_PART_DONE = 1 };

static inline uint64_t gw_mpu_ns_uploads(uint64_t bucket_id)
{
    return bucket_id ^ GW_MPU_NS_UPLOADS_XOR;
}
static inline uint64_t gw_mpu_ns_parts(uint64_t bucket_id)
{
    return bucket_id ^ GW_MPU_NS_PARTS_XOR;
}

/* Upload row key into out (cap >= key_len + 17): returns its length, 0 if key is empty or
 * longer than GW_MPU_KEY_MAX. */
size_t gw_mpu_upload_key(uint8_t *out, const void *key, size_t key_len, const uint8_t id[16]);
/* Splits an upload row key: TN_OK or TN_ERR_CORRUPT. */
int gw_mpu_upload_key_split(const uint8_t *rk, size_t len, tn_slice_t *key, const uint8_t **id);
/* Part row key (36 bytes). number 0 and vid NULL give the smallest key of the upload; use
 * with number and an all-0xff vid for "after every attempt of part number". */
void gw_mpu_part_key(uint8_t out[GW_MPU_PART_KEY_LEN], const uint8_t id[16], uint32_t number,
                     const uint8_t vid[16]);
/* Parses an upload id (32 hex digits, either case): TN_OK or TN_ERR_CORRUPT. */
int gw_mpu_id_parse(const char *s, size_t len, uint8_t id[16]);

typedef struct {
    uint32_t state;
    uint64_t initiated_ms;
    tn_slice_t initiator;
    tn_slice_t key;
    tn_slice_t meta; /* gw_objmeta encoding */
} gw_mpu_upload_t;

size_t gw_mpu_upload_len(const gw_mpu_upload_t *u);
/* Length written or TN_ERR_TOO_BIG. */
int gw_mpu_upload_encode(const gw_mpu_upload_t *u, uint8_t *buf, size_t cap);
/* TN_OK or TN_ERR_CORRUPT; slices point into buf. */
int gw_mpu_upload_decode(const void *buf, size_t len, gw_mpu_upload_t *u);

typedef struct {
    uint32_t state;
    uint64_t size;
    uint32_t chunk_size;
    uint8_t vid[16];
    uint8_t md5[16];
    s3_cksum_alg_t cksum_alg;
    uint8_t cksum[S3_CKSUM_MAX_RAW];
    uint64_t mtime_ms;
} gw_mpu_part_t;

#define GW_MPU_PART_VALUE_MAX (4 + 1 + 8 + 4 + 16 + 16 + 1 + S3_CKSUM_MAX_RAW + 8)
/* Length written or TN_ERR_TOO_BIG. */
int gw_mpu_part_encode(const gw_mpu_part_t *p, uint8_t *buf, size_t cap);
int gw_mpu_part_decode(const void *buf, size_t len, gw_mpu_part_t *p);
/* Part number from a part row key of upload id (0 if the key is not one). */
uint32_t gw_mpu_part_key_number(const uint8_t *rk, size_t len, const uint8_t id[16]);

/* The current part of each number: slot[number - 1] with its row version. Offer every DONE
 * attempt (any order); the newest version stays ("the last upload wins"). */
typedef struct {
    int present;
    tn_row_ver_t ver;
    gw_mpu_part_t part;
} gw_mpu_slot_t;
void gw_mpu_slot_offer(gw_mpu_slot_t *slots, uint32_t number, const tn_row_ver_t *ver,
                       const gw_mpu_part_t *p);

/* The plan of a CompleteMultipartUpload. req: the parsed body; slots[0..10000): the current
 * parts; alg/type: the upload's checksum algorithm and type (NONE: none). On S3_OK, tbl
 * (gw_objparts_len(req->n_parts) bytes) holds the part table and out's size, md5,
 * part_count, is_multipart, cksum_alg/type/cksum are set (the rest of out untouched). Errors:
 * InvalidPartOrder (numbers not strictly ascending), InvalidPart (a part missing, its ETag
 * different, or a checksum given in the body that differs from the stored one, or missing
 * when the upload has an algorithm), EntityTooSmall (a part but the last under 5 MiB),
 * InvalidRequest (FULL_OBJECT with a non-CRC algorithm). */
s3_err_t gw_mpu_plan(const s3_complete_req_t *req, const gw_mpu_slot_t *slots, s3_cksum_alg_t alg,
                     gw_cktype_t type, uint8_t *tbl, gw_objmeta_t *out, s3_why_t *why);

/* The multipart ETag MD5 of the request's parts (parsed from their ETag texts): what a retried
 * Complete must match. TN_OK or TN_ERR_CORRUPT (an ETag that is not 32 hex digits). */
int gw_mpu_request_md5(const s3_complete_req_t *req, uint8_t out[16]);
/* Parses an ETag text (32 hex digits, optional quotes): TN_OK or TN_ERR_CORRUPT. */
int gw_mpu_etag_parse(const char *s, size_t len, uint8_t md5[16]);

#endif
