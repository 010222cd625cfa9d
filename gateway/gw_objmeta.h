/*
 * gw_objmeta.h — the value encoding of an object's head row (pool "index"). PURE: no I/O, no
 * allocation; decoded byte fields point into the encoded buffer.
 *
 * WHERE THE ROW LIVES (gw_op_object.c builds it)
 *   pool = conf_pool_id("index"), pg = pl_object_pg(index pool, le64(bucket id) || le32(0))
 *   (one index shard per bucket for now), ns = bucket id, key = the object key (1..1024 bytes).
 *   A delete is a tombstone row (TN_ROW_TOMBSTONE, empty value). Objects up to osd.inline_max
 *   bytes keep their data in the row's inline field; larger ones are chunks of chunk_size bytes,
 *   blob (data_vid, part i) for i in 0..chunk_count-1 in pool "data",
 *   pg = pl_object_pg(data pool, data_vid || le32(i)), written before the head row.
 *   Intent rows (DESIGN.md rule 1) and the GC of orphaned chunks come in a later issue: a PUT
 *   that fails after some chunks were written leaves them unreferenced until then.
 *
 * ENCODING, format version 1 (integers little-endian, "str" = u32 length + bytes)
 *   u32  format version (GW_OBJMETA_VERSION)
 *   u64  size (object bytes)
 *   16   MD5 of the object (the ETag of a single-part object)
 *   u64  mtime (ms since the Unix epoch)
 *   str  Content-Type, str Cache-Control, str Content-Disposition, str Content-Encoding,
 *   str  Expires  (empty = not set)
 *   u32  n user metadata pairs, then n x (str name without "x-amz-meta-", lowercase; str value)
 *   u8   inline flag (1: data in the row's inline field; then chunk fields are 0)
 *   u32  chunk size, u32 chunk count
 *   16   data vid (random; names the chunks; zero when inline)
 *   Decoding is exact: trailing bytes or an overrun is TN_ERR_CORRUPT.
 */
#ifndef GW_OBJMETA_H
#define GW_OBJMETA_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"

#define GW_OBJMETA_VERSION  1u
#define GW_OBJMETA_MAX_META 256   /* user metadata pairs */
#define GW_OBJMETA_META_MAX 2048u /* S3: names + values of x-amz-meta-* at most 2 KiB */
#define GW_OBJMETA_CHUNK    (4u << 20)

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
    int is_inline;
    uint32_t chunk_size;
    uint32_t chunk_count;
    uint8_t data_vid[16];
} gw_objmeta_t;

/* Bytes gw_objmeta_encode needs for m. */
size_t gw_objmeta_encoded_len(const gw_objmeta_t *m);
/* Encodes m into buf[0..cap): the length written, or TN_ERR_TOO_BIG if cap is too small. */
int gw_objmeta_encode(const gw_objmeta_t *m, uint8_t *buf, size_t cap);
/* Decodes buf into m (slices point into buf): TN_OK, TN_ERR_CORRUPT (malformed, unknown
 * version, more than GW_OBJMETA_MAX_META pairs, inline with chunks, chunked without). */
int gw_objmeta_decode(const void *buf, size_t len, gw_objmeta_t *m);
/* Total bytes of user metadata as S3 counts it (names + values). */
size_t gw_objmeta_meta_bytes(const gw_objmeta_t *m);

#endif
