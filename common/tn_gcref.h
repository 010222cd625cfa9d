/*
 * tn_gcref.h — the references the garbage collector judges by (DESIGN.md rule 1, "references
 * before data; GC by evidence"): the INTENT row a gateway writes before the first blob of a
 * data version, and the minimal reading of the gateway's head rows and upload rows that tells
 * whether they name a data version. PURE: no I/O, no allocation. Shared by the gateway (which
 * writes intents) and the OSD's collector (osd_gc.c, which reads all three).
 *
 * INTENT ROW (pool "index", in the index PG of the bucket, next to the object's head row and
 * its upload rows, so ONE replica set holds every referrer the collector must consult)
 *   ns  = TN_GCREF_NS_INTENTS (fixed; a bucket id equal to it has probability 2^-64)
 *   key = the data vid (16 bytes): blobs (vid, 0..chunks-1) in the data pool
 *   ver = (hlc, origin, vid = the data vid)
 *   value, version 1 (integers little-endian):
 *     u32 version (1), u8 kind (1 OBJECT: PutObject / CopyObject; 2 PART: UploadPart /
 *     UploadPartCopy), u8 reserved (0), u64 bucket id, u64 expiry (ms since the epoch: a
 *     gateway writes the head row / DONE part row only before it), u32 data pool id,
 *     u64 size (bytes of data), u32 chunk size, 16 upload id (zero for OBJECT),
 *     u16 object key length K (1..1024), K object key bytes.
 *   The intent stays after the write succeeds: it is the data version's registry entry; the
 *   collector purges it only after the version's blobs are gone from every replica.
 *
 * GONE ROW (pool "data", in the blob's PG): ns = TN_GCREF_NS_GONE, key = vid || le32(part),
 *   empty value, version (time of the first deleting pass, collector's OSD id, the vid).
 *   Written (ROW_PUT CREATE) by the collector on every holder of the blob before it deletes
 *   the blob there, purged once older than osd.gc_gone_age and every holder has it and none
 *   lists the blob; repair never stores a pulled blob that has a gone row (so a deleted blob
 *   cannot be resurrected by anti-entropy racing with the delete), and rows travel by repair
 *   like any other.
 *
 * DEAD-BUCKET ROW (pool "index", in the bucket's index PG: the PG of its head rows, upload rows
 *   and intents): ns = TN_GCREF_NS_DEADBKT, key = le64(bucket id), value: u32 version (1),
 *   u16 name length N (1..TN_GCREF_BUCKET_NAME_MAX), N bytes of the bucket name. Written by
 *   DeleteBucket at quorum BEFORE the bucket record's tombstone: it is a claim, not evidence.
 *   The collector believes it only when every replica of the name's record in pool "meta"
 *   answers, none holds a live record with this id, and at least one holds a tombstone or a
 *   record with another id (tn_gcref_bucket_dead): a DeleteBucket that failed after the row
 *   leaves a live record, and a bucket created again under the name has a new id (rule 11).
 *   Then every row of the id is garbage: docs/ARCHITECTURE.md, "Deleted buckets".
 *
 * PART ROW (gw_mpu.h): pg = pl_object_pg(index pool, upload id), ns = bucket id ^
 *   TN_GCREF_PARTS_XOR, key = upload id || be32(part number) || part vid.
 *
 * HEAD ROW (gw_objmeta.h, formats 1 and 2): names a vid when it is live and its layout is
 * CHUNKED with that data vid, or MULTIPART with the vid in its part table (the inline field).
 * UPLOAD ROW (gw_mpu.h): ACTIVE when live with state byte 0.
 */
#ifndef TN_GCREF_H
#define TN_GCREF_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"
#include "tn_row.h"

#define TN_GCREF_NS_INTENTS      0x494e54454e545321ull /* "INTENTS!" */
#define TN_GCREF_NS_GONE         0x474f4e45424c4f42ull /* "GONEBLOB" */
#define TN_GCREF_NS_DEADBKT      0x4445414442554b54ull /* "DEADBUKT" */
#define TN_GCREF_UPLOADS_XOR     0x55504c4f41445321ull /* == GW_MPU_NS_UPLOADS_XOR */
#define TN_GCREF_PARTS_XOR       0x5041525453212121ull /* == GW_MPU_NS_PARTS_XOR */
#define TN_GCREF_PART_KEY_LEN    36u
#define TN_GCREF_BUCKET_NAME_MAX 255u
#define TN_GCREF_INTENT_VERSION  1u
#define TN_GCREF_INTENT_FIXED    56u /* value bytes before the object key */
#define TN_GCREF_GONE_KEY_LEN    20u

enum { TN_GCREF_OBJECT = 1, TN_GCREF_PART = 2 };

typedef struct {
    uint8_t kind; /* TN_GCREF_OBJECT or TN_GCREF_PART */
    uint64_t bucket_id;
    uint64_t expiry_ms;
    uint32_t data_pool;
    uint64_t size;
    uint32_t chunk_size;
    uint8_t upload_id[16];
    tn_slice_t key; /* the object key */
} tn_gcref_intent_t;

/* Bytes of the encoded intent value of an object key of key_len bytes. */
size_t tn_gcref_intent_len(size_t key_len);
/* Encodes it into buf[0..cap): the length, or TN_ERR_TOO_BIG / -EINVAL (bad kind, key length
 * outside 1..TN_ROW_MAX_KEY, chunk size 0 with size > 0). */
int tn_gcref_intent_encode(const tn_gcref_intent_t *it, uint8_t *buf, size_t cap);
/* Decodes exactly: TN_OK or TN_ERR_CORRUPT. it->key points into buf. */
int tn_gcref_intent_decode(const void *buf, size_t len, tn_gcref_intent_t *it);
/* Chunk count of the intent's data: ceil(size / chunk size) (0 for size 0). */
uint32_t tn_gcref_chunks(const tn_gcref_intent_t *it);
/* Bytes of chunk i (< chunks). */
uint64_t tn_gcref_chunk_len(const tn_gcref_intent_t *it, uint32_t i);

/* Does head row r (any row at the object's key: tombstones name nothing) name data vid?
 * 1 yes, 0 no, TN_ERR_CORRUPT (the value or part table does not decode: the caller must not
 * take that as "no"). */
int tn_gcref_head_names(const tn_row_t *r, const uint8_t vid[16]);
/* Upload row r: 1 ACTIVE (live, state 0), 0 COMPLETED or aborted (tombstone),
 * TN_ERR_CORRUPT. */
int tn_gcref_upload_active(const tn_row_t *r);
/* The initiation time (ms) of upload row r (live): TN_OK or TN_ERR_CORRUPT. */
int tn_gcref_upload_initiated(const tn_row_t *r, uint64_t *ms);
/* Key of the upload row of (object key, upload id) into out (cap >= key_len + 17): its length,
 * 0 if it does not fit TN_ROW_MAX_KEY. */
size_t tn_gcref_upload_key(uint8_t *out, size_t cap, const void *key, size_t key_len,
                           const uint8_t upload_id[16]);
/* The dead-bucket row's value for name (1..TN_GCREF_BUCKET_NAME_MAX bytes) into buf: its
 * length, TN_ERR_TOO_BIG, or -EINVAL for a bad name length. */
int tn_gcref_deadbkt_encode(const void *name, size_t len, uint8_t *buf, size_t cap);
/* Decodes exactly: TN_OK (name points into buf) or TN_ERR_CORRUPT. */
int tn_gcref_deadbkt_decode(const void *buf, size_t len, tn_slice_t *name);
/* Is part row key (key, len) an attempt of upload_id with data vid? 1 or 0. */
int tn_gcref_part_key_is(const uint8_t *key, size_t len, const uint8_t upload_id[16],
                         const uint8_t vid[16]);
/* What a bucket record row r (pool meta, ns 1, key = the name; NULL = the replica holds none)
 * says about bucket id, given the id its live record decodes to (rec_id, ignored for a
 * tombstone or NULL): 1 "gone" (a tombstone, or a record of another id: positive evidence),
 * 0 "alive" (a live record of this id), 2 "no row" (absence: never evidence by itself). */
int tn_gcref_bucket_says(const tn_row_t *r, uint64_t rec_id, uint64_t id);

/* Key of the gone row of blob (vid, part). */
void tn_gcref_gone_key(uint8_t out[TN_GCREF_GONE_KEY_LEN], const uint8_t vid[16], uint32_t part);

#endif
