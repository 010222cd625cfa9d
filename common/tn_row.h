/*
 * tn_row.h — an index row (a last-writer-wins register kept by OSDs, built by gateways) and its
 * canonical byte encoding, used for the row CRC, on the wire and for PG digests. PURE: no I/O, no
 * allocation.
 *
 * A row is addressed by (pool, pg, ns, key): ns is a namespace the gateway defines (a bucket
 * id, intents, multipart parts, metadata); key is 1..TN_ROW_MAX_KEY raw bytes compared with
 * memcmp (shorter prefix first), which is S3's UTF-8 binary order. The OSD never interprets
 * value (opaque, encoded by the gateway) or inline (a small object's data).
 *
 * VERSION ORDER (rule 2): versions are totally ordered by (hlc, origin, vid), compared as
 * unsigned integers, then vid with memcmp. hlc is a hybrid logical clock: 48-bit milliseconds
 * << 16 | a 16-bit logical counter.
 *
 * CANONICAL ROW ENCODING, version 1 (integers little-endian)
 *
 *   OFFSET     SIZE  DESCRIPTION
 *        0        1  Encoding version (1)
 *        1        1  Reserved, zero
 *        2        2  Key length K (1..1024)
 *        4        4  pool
 *        8        4  pg
 *       12        8  ns
 *       20        8  hlc
 *       28        4  origin
 *       32       16  vid (version id)
 *       48        4  flags (bit 0 TN_ROW_TOMBSTONE; the other bits belong to the gateway and
 *                    are kept verbatim)
 *       52        4  Value length V (0..65536)
 *       56        4  Inline length I (0..1048576)
 *       60        K  key
 *     60+K        V  value
 *   60+K+V        I  inline data
 * 60+K+V+I        4  crc: CRC32C (Castagnoli) of bytes 0 .. 60+K+V+I-1
 *
 *   Encoded size = 64 + K + V + I, exactly. The row's crc field is this CRC: it covers every
 *   field, key included (rule 7). It is computed once by whoever creates the row (the gateway,
 *   or tn_row_seal) and travels with the row unchanged (repair ships the original row, rule 9);
 *   every reader recomputes it.
 *
 * CANONICAL DIGEST ENTRY (what a PG digest hashes per row, in (ns, key) order; rule 9)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *        0     8  ns
 *        8     2  Key length K
 *       10     K  key
 *     10+K     8  hlc
 *     18+K     4  origin
 *     22+K    16  vid
 *     38+K     4  flags
 *
 *   A digest is (count, h1, h2): count of entries; h1 = CRC-64/XZ (ISA-L crc64_ecma_refl) and
 *   h2 = CRC-64/GO-ISO (crc64_iso_refl) of the concatenated entries. Two independent 64-bit
 *   CRCs catch accidental divergence between replicas (a missed write, a missed delete, a
 *   different version); they are not a defence against crafted collisions. Digests are also
 *   kept per sub-range: TN_ROW_DIGEST_BUCKETS buckets, bucket = CRC32C(key) >> 28 (key only,
 *   not ns), each with its own (count, h1, h2) over its rows in (ns, key) order.
 */
#ifndef TN_ROW_H
#define TN_ROW_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"

#define TN_ROW_ENCODING_VERSION 1
#define TN_ROW_HEADER_SIZE      60
#define TN_ROW_OVERHEAD         64 /* header + trailing CRC */
#define TN_ROW_VID_LEN          16
#define TN_ROW_MAX_KEY          1024u
#define TN_ROW_MAX_VALUE        (64u * 1024)
#define TN_ROW_MAX_INLINE       (1024u * 1024)
#define TN_ROW_MAX_ENCODED                                                                         \
    ((size_t)TN_ROW_OVERHEAD + TN_ROW_MAX_KEY + TN_ROW_MAX_VALUE + TN_ROW_MAX_INLINE)

#define TN_ROW_TOMBSTONE 0x1u /* flags bit 0: the row records a delete */

#define TN_ROW_DIGEST_BUCKETS 16

/* A version: the LWW register's timestamp, ordered by (hlc, origin, vid). */
typedef struct {
    uint64_t hlc;
    uint32_t origin;             /* node that accepted the write */
    uint8_t vid[TN_ROW_VID_LEN]; /* random version id */
} tn_row_ver_t;

/* A row. The byte fields are non-owning: who fills a row says how long they stay valid.
 * A pointer may be NULL only when its length is 0. */
typedef struct {
    uint32_t pool;
    uint32_t pg;
    uint64_t ns;
    const uint8_t *key;
    size_t key_len;
    tn_row_ver_t ver;
    uint32_t flags;
    const uint8_t *value;
    size_t value_len;
    const uint8_t *inl;
    size_t inl_len;
    uint32_t crc; /* CRC32C of the canonical encoding (see above) */
} tn_row_t;

/* Running digest of rows in (ns, key) order. Start from all zeroes. */
typedef struct {
    uint64_t count;
    uint64_t h1; /* CRC-64/XZ of the digest entries */
    uint64_t h2; /* CRC-64/GO-ISO of the digest entries */
} tn_row_digest_t;

/* <0, 0, >0 as a orders before, equal to, after b. */
int tn_row_ver_cmp(const tn_row_ver_t *a, const tn_row_ver_t *b);
/* memcmp order of two byte strings, a shorter prefix first. */
int tn_row_key_cmp(const void *a, size_t a_len, const void *b, size_t b_len);

/* Checks lengths and pointers: 0, -EINVAL (empty key, NULL pointer with non-zero length) or
 * TN_ERR_TOO_BIG (key, value or inline over its limit). The crc is not looked at. */
int tn_row_check(const tn_row_t *r);
/* The CRC of r's canonical encoding, computed from its fields (r->crc is ignored).
 * r must pass tn_row_check. */
uint32_t tn_row_crc(const tn_row_t *r);
/* tn_row_check, then sets r->crc = tn_row_crc(r). */
int tn_row_seal(tn_row_t *r);
/* tn_row_check, then TN_ERR_CHECKSUM unless r->crc == tn_row_crc(r). */
int tn_row_verify(const tn_row_t *r);

/* 64 + key_len + value_len + inl_len. */
size_t tn_row_encoded_size(const tn_row_t *r);
/* Writes r's canonical encoding (with r->crc as stored, not recomputed, so a damaged row stays
 * detectably damaged) into buf; *len = bytes written. 0, the errors of tn_row_check, or
 * -ENOBUFS when cap < tn_row_encoded_size(r) (nothing written). */
int tn_row_encode(const tn_row_t *r, void *buf, size_t cap, size_t *len);
/* Decodes one row from the start of buf (len bytes; bytes after the row are not looked at);
 * *used = the row's encoded size. out's byte fields point into buf. Errors (out is then
 * unspecified): TN_ERR_CORRUPT (too short for its lengths, non-zero reserved byte, key length
 * 0, a length over its limit), TN_ERR_UNSUPPORTED (another encoding version), TN_ERR_CHECKSUM
 * (CRC mismatch). used may be NULL. */
int tn_row_decode(const void *buf, size_t len, tn_row_t *out, size_t *used);

/* Size of r's digest entry: 42 + key_len. */
size_t tn_row_digest_entry_size(size_t key_len);
/* Writes the digest entry of (ns, key, ver, flags) into buf (tn_row_digest_entry_size bytes;
 * key_len <= TN_ROW_MAX_KEY). Returns the size written. */
size_t tn_row_digest_entry(uint64_t ns, const void *key, size_t key_len, const tn_row_ver_t *ver,
                           uint32_t flags, uint8_t *buf);
/* Adds one row (in (ns, key) order) to d. key_len <= TN_ROW_MAX_KEY. */
void tn_row_digest_add(tn_row_digest_t *d, uint64_t ns, const void *key, size_t key_len,
                       const tn_row_ver_t *ver, uint32_t flags);
/* The sub-range bucket of a key: CRC32C(key) >> 28, 0..TN_ROW_DIGEST_BUCKETS-1. */
unsigned tn_row_digest_bucket(const void *key, size_t key_len);

#endif
