/*
 * tn_proto.h — encoding and decoding of the OSD protocol's op bodies (docs/PROTOCOL.md §5).
 * PURE: no I/O, no allocation. The frame header is tn_frame.h; this file only knows payloads.
 *
 * Conventions:
 *   - tn_proto_enc_*(w, msg) append a body to a tn_wire writer. Overflow is sticky in the
 *     writer (w->err): check it once after encoding. tn_proto_*_size(msg) give exact sizes
 *     where a body's size is not fixed, so a caller can size its buffer first.
 *   - tn_proto_dec_*(buf, len, msg) decode a whole body exactly: TN_OK, or TN_ERR_PROTO for a
 *     short body, trailing bytes or a value out of range. Byte fields of msg are non-owning
 *     slices into buf (valid while buf is).
 *   - Bodies that carry a list (STATS reply, ROW_LIST reply, PG_ENUM reply, PG_PUSH request)
 *     are decoded in two steps: dec_* reads the fixed part and leaves an iterator reader on the
 *     entries; tn_proto_next_*(it, entry) returns 1 per entry, 0 at the end, TN_ERR_PROTO on a
 *     malformed entry or when the count and the bytes disagree.
 */
#ifndef TN_PROTO_H
#define TN_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"
#include "tn_wire.h"

#define TN_PROTO_VID_LEN     16
#define TN_PROTO_BLOBREF_LEN 28 /* u32 pool + u32 pg + vid + u32 part */
#define TN_PROTO_MAX_LIST    10000u
#define TN_PROTO_GET_PIECE   (1u << 20) /* BLOB_GET reply frames carry at most this much data */

/* PING reply state bits. */
#define TN_PROTO_STATE_INDEX_HEALTHY 0x1u
#define TN_PROTO_STATE_WRITABLE      0x2u
#define TN_PROTO_STATE_CLOCK_OK      0x4u

/* KICK request body: one byte, what to start (empty reply). */
#define TN_PROTO_KICK_SCRUB 1
#define TN_PROTO_KICK_DEEP  2
#define TN_PROTO_KICK_GC    3

/* MAP_OFFER modes. */
#define TN_PROTO_MAP_PROPAGATE 0
#define TN_PROTO_MAP_CAS       1

/* ROW_PUT modes (PROTOCOL.md §5.4) and ROW_PUT / ROW_DELETE results. CREATE and IF_VERSION are
 * the conditional writes (rule 11): CREATE stores only over nothing or an older tombstone
 * (refusal: status EXIST, body = the stored version); IF_VERSION stores only over the expected
 * version, which the request carries after the row (refusal: status PRECONDITION, body = the
 * stored version, empty when nothing is stored). */
#define TN_PROTO_ROW_PUT        0
#define TN_PROTO_ROW_MERGE      1
#define TN_PROTO_ROW_CREATE     2
#define TN_PROTO_ROW_IF_VERSION 3
#define TN_PROTO_ROW_MODE_MAX   3
typedef enum {
    TN_PROTO_RESULT_APPLIED = 1,
    TN_PROTO_RESULT_UNCHANGED = 2,
    TN_PROTO_RESULT_IGNORED = 3,
    TN_PROTO_RESULT_PURGED = 4,
    TN_PROTO_RESULT_NOT_PURGED = 5,
} tn_proto_result_t;

/* ROW_LIST flags. */
#define TN_PROTO_LIST_WITH_INLINE 0x1u

/* PG_ENUM what. */
#define TN_PROTO_ENUM_ROWS  0
#define TN_PROTO_ENUM_BLOBS 1

#define TN_PROTO_DIGEST_BUCKETS 16

/* A blob's name on the wire. */
typedef struct {
    uint32_t pool;
    uint32_t pg;
    uint8_t version[TN_PROTO_VID_LEN];
    uint32_t part;
} tn_blobref_t;

/* A version: (hlc, origin, vid). */
typedef struct {
    uint64_t hlc;
    uint32_t origin;
    uint8_t vid[TN_PROTO_VID_LEN];
} tn_proto_ver_t;

/* ---- PING, STATS ---- */
typedef struct {
    uint64_t wall_ms;
} tn_ping_req_t;
typedef struct {
    uint32_t osd_id;
    uint64_t incarnation;
    uint64_t wall_ms;
    uint32_t state; /* TN_PROTO_STATE_* */
} tn_ping_rep_t;
void tn_proto_enc_ping_req(tn_wire_w_t *w, const tn_ping_req_t *m);
int tn_proto_dec_ping_req(const void *buf, size_t len, tn_ping_req_t *m);
void tn_proto_enc_ping_rep(tn_wire_w_t *w, const tn_ping_rep_t *m);
int tn_proto_dec_ping_rep(const void *buf, size_t len, tn_ping_rep_t *m);

/* STATS reply: u32 n then n x (bytes name, u64 value). The request body is empty. */
void tn_proto_enc_stats_rep_begin(tn_wire_w_t *w, uint32_t n);
void tn_proto_enc_stats_rep_entry(tn_wire_w_t *w, const char *name, uint64_t value);
typedef struct {
    tn_wire_r_t r;
    uint32_t left;
} tn_proto_iter_t;
int tn_proto_dec_stats_rep(const void *buf, size_t len, tn_proto_iter_t *it, uint32_t *n);
int tn_proto_next_stat(tn_proto_iter_t *it, tn_slice_t *name, uint64_t *value);

/* ---- MAP_GET, MAP_OFFER ---- */
typedef struct {
    uint64_t epoch; /* 0 = current */
} tn_map_get_req_t;
typedef struct {
    tn_slice_t map; /* pl_map_encode bytes */
} tn_map_get_rep_t;
typedef struct {
    uint8_t mode; /* TN_PROTO_MAP_* */
    uint64_t base_epoch;
    tn_slice_t map;
} tn_map_offer_req_t;
typedef struct {
    uint64_t epoch;
    uint64_t hash;
} tn_map_offer_rep_t;
void tn_proto_enc_map_get_req(tn_wire_w_t *w, const tn_map_get_req_t *m);
int tn_proto_dec_map_get_req(const void *buf, size_t len, tn_map_get_req_t *m);
void tn_proto_enc_map_get_rep(tn_wire_w_t *w, const tn_map_get_rep_t *m);
int tn_proto_dec_map_get_rep(const void *buf, size_t len, tn_map_get_rep_t *m);
void tn_proto_enc_map_offer_req(tn_wire_w_t *w, const tn_map_offer_req_t *m);
int tn_proto_dec_map_offer_req(const void *buf, size_t len, tn_map_offer_req_t *m);
void tn_proto_enc_map_offer_rep(tn_wire_w_t *w, const tn_map_offer_rep_t *m);
int tn_proto_dec_map_offer_rep(const void *buf, size_t len, tn_map_offer_rep_t *m);

/* ---- BLOB_* ---- */
typedef struct {
    tn_blobref_t ref;
    uint64_t total_len;
} tn_blob_put_begin_t;
typedef struct {
    uint64_t offset;
    tn_slice_t data;
} tn_blob_put_data_t;
typedef struct {
    uint32_t crc32c; /* of the whole blob */
} tn_blob_put_end_t;
typedef struct {
    tn_blobref_t ref;
    uint64_t offset;
    uint64_t len; /* 0 = to the end */
} tn_blob_get_req_t;
typedef struct {
    uint64_t blob_len;
    uint64_t offset;
    tn_slice_t data;
} tn_blob_get_rep_t;
typedef struct {
    uint8_t exists;
    uint64_t length;
} tn_blob_stat_rep_t;
void tn_proto_enc_blob_put_begin(tn_wire_w_t *w, const tn_blob_put_begin_t *m);
int tn_proto_dec_blob_put_begin(const void *buf, size_t len, tn_blob_put_begin_t *m);
/* DATA is split in two so data need not be copied: write the prefix (offset + length), then
 * send the data bytes themselves as a second iovec. The frame's payload is both. */
#define TN_PROTO_PUT_DATA_PREFIX 12
void tn_proto_enc_blob_put_data_prefix(tn_wire_w_t *w, uint64_t offset, uint32_t data_len);
int tn_proto_dec_blob_put_data(const void *buf, size_t len, tn_blob_put_data_t *m);
void tn_proto_enc_blob_put_end(tn_wire_w_t *w, const tn_blob_put_end_t *m);
int tn_proto_dec_blob_put_end(const void *buf, size_t len, tn_blob_put_end_t *m);
void tn_proto_enc_blob_get_req(tn_wire_w_t *w, const tn_blob_get_req_t *m);
int tn_proto_dec_blob_get_req(const void *buf, size_t len, tn_blob_get_req_t *m);
/* Like DATA: a 20-byte prefix (blob_len, offset, data length), then the data. */
#define TN_PROTO_GET_REP_PREFIX 20
void tn_proto_enc_blob_get_rep_prefix(tn_wire_w_t *w, uint64_t blob_len, uint64_t offset,
                                      uint32_t data_len);
int tn_proto_dec_blob_get_rep(const void *buf, size_t len, tn_blob_get_rep_t *m);
/* BLOB_STAT and BLOB_DELETE requests are a bare blobref. */
void tn_proto_enc_blobref(tn_wire_w_t *w, const tn_blobref_t *ref);
int tn_proto_dec_blobref(const void *buf, size_t len, tn_blobref_t *ref);
void tn_proto_enc_blob_stat_rep(tn_wire_w_t *w, const tn_blob_stat_rep_t *m);
int tn_proto_dec_blob_stat_rep(const void *buf, size_t len, tn_blob_stat_rep_t *m);

/* ---- ROW_* ---- */
/* ROW_PUT request: u8 mode, bytes row, and for mode IF_VERSION only: u64 hlc, u32 origin,
 * vid (the expected stored version). The struct holds mode and row; IF_VERSION's expected
 * version travels beside it (tn_proto_enc_row_put_if_req, tn_proto_dec_row_put_any). */
typedef struct {
    uint8_t mode;   /* TN_PROTO_ROW_PUT, _MERGE, _CREATE (or _IF_VERSION, see below) */
    tn_slice_t row; /* canonical row encoding, CRC included (tn_row.h) */
} tn_row_put_req_t;
typedef struct {
    uint8_t result;        /* tn_proto_result_t, with status OK */
    int has_stored;        /* a stored version came with a STALE_TS, EXIST or PRECONDITION reply */
    tn_proto_ver_t stored; /* that version */
} tn_row_put_rep_t;
typedef struct {
    uint32_t pool, pg;
    uint64_t ns;
    tn_slice_t key;
} tn_row_get_req_t;
typedef struct {
    uint32_t pool, pg;
    uint64_t ns;
    tn_slice_t prefix;
    tn_slice_t start_after;
    uint32_t limit; /* 1..TN_PROTO_MAX_LIST */
    uint8_t flags;  /* TN_PROTO_LIST_* */
} tn_row_list_req_t;
/* A ROW_LIST entry without inline data (the row CRC was verified by the OSD). */
typedef struct {
    tn_slice_t key;
    tn_proto_ver_t ver;
    uint32_t flags;
    tn_slice_t value;
    uint32_t inline_len;
} tn_row_entry_t;
typedef struct {
    uint32_t pool, pg;
    uint64_t ns;
    tn_slice_t key;
    tn_proto_ver_t ver;
} tn_row_delete_req_t;

/* Modes PUT, MERGE and CREATE. For IF_VERSION the encoder writes only mode and row (an
 * incomplete body) and the decoder refuses the body (TN_ERR_PROTO): use the two below. */
void tn_proto_enc_row_put_req(tn_wire_w_t *w, const tn_row_put_req_t *m);
int tn_proto_dec_row_put_req(const void *buf, size_t len, tn_row_put_req_t *m);
/* An IF_VERSION request: mode 3, row, the expected version. */
void tn_proto_enc_row_put_if_req(tn_wire_w_t *w, tn_slice_t row, const tn_proto_ver_t *expect);
/* Any mode. *expect is the expected version when m->mode is IF_VERSION, else zeroed; the
 * expected version is present in the body iff the mode is IF_VERSION (else TN_ERR_PROTO). */
int tn_proto_dec_row_put_any(const void *buf, size_t len, tn_row_put_req_t *m,
                             tn_proto_ver_t *expect);
/* Exact size of a ROW_PUT request body for mode and a row of row_len bytes. */
size_t tn_proto_row_put_req_size(uint8_t mode, size_t row_len);
/* OK replies carry the result; STALE_TS and EXIST replies carry the stored version instead
 * (tn_proto_enc_row_put_stale); PRECONDITION replies carry it when a row is stored and are
 * empty otherwise. */
void tn_proto_enc_row_put_rep(tn_wire_w_t *w, uint8_t result);
void tn_proto_enc_row_put_stale(tn_wire_w_t *w, const tn_proto_ver_t *stored);
/* stale != 0: a STALE_TS or EXIST body (exactly a version); else an OK body (a result). */
int tn_proto_dec_row_put_rep(const void *buf, size_t len, int stale, tn_row_put_rep_t *m);
/* A PRECONDITION body: empty (has_stored 0) or a version (has_stored 1). */
int tn_proto_dec_row_put_precondition(const void *buf, size_t len, tn_row_put_rep_t *m);
/* ROW_DELETE's reply is the same single result byte as an OK ROW_PUT reply. */

void tn_proto_enc_row_get_req(tn_wire_w_t *w, const tn_row_get_req_t *m);
int tn_proto_dec_row_get_req(const void *buf, size_t len, tn_row_get_req_t *m);
/* ROW_GET reply: a row. */
void tn_proto_enc_row(tn_wire_w_t *w, tn_slice_t row);
int tn_proto_dec_row(const void *buf, size_t len, tn_slice_t *row);

void tn_proto_enc_row_list_req(tn_wire_w_t *w, const tn_row_list_req_t *m);
int tn_proto_dec_row_list_req(const void *buf, size_t len, tn_row_list_req_t *m);
/* ROW_LIST reply frame: begin(more, n), then n entries, each either a full row
 * (tn_proto_enc_row, WITH_INLINE) or an entry. */
void tn_proto_enc_row_list_rep_begin(tn_wire_w_t *w, uint8_t more, uint32_t n);
void tn_proto_enc_row_entry(tn_wire_w_t *w, const tn_row_entry_t *e);
size_t tn_proto_row_entry_size(const tn_row_entry_t *e);
int tn_proto_dec_row_list_rep(const void *buf, size_t len, tn_proto_iter_t *it, uint8_t *more,
                              uint32_t *n);
int tn_proto_next_row_entry(tn_proto_iter_t *it, tn_row_entry_t *e);
int tn_proto_next_row(tn_proto_iter_t *it, tn_slice_t *row);

void tn_proto_enc_row_delete_req(tn_wire_w_t *w, const tn_row_delete_req_t *m);
int tn_proto_dec_row_delete_req(const void *buf, size_t len, tn_row_delete_req_t *m);
int tn_proto_dec_result(const void *buf, size_t len, uint8_t *result);

/* ---- PG_* ---- */
typedef struct {
    uint64_t count, h1, h2;
} tn_proto_digest_t;
/* PG_DIGEST request. cutoff: an HLC; non-zero = the digest covers only rows with hlc <= cutoff
 * (0 = every row; then it is not sent, so the request is the old 8 bytes). */
typedef struct {
    uint32_t pool, pg;
    uint64_t cutoff;
} tn_pg_req_t;
/*
 * The cut-off every caller that compares PG digests across holders (repair's rounds, move
 * completion, ternctl status) sends, the same T to every holder of one comparison: the HLC of
 * (wall_ms - TN_PROTO_DIGEST_CUTOFF_MS). Holders asked one after another otherwise differ by the
 * writes that land between two answers, and a PG written tens of times a second (a bucket's
 * index PG) is never seen equal. Why ignoring rows stamped after T is safe:
 * - a write stamped before T was sent long ago (2 s is far beyond a replica write's latency and
 *   the OSD's timeouts), so every replica that will ever get it has it by now, and one that
 *   lacks it is compared and repaired;
 * - a write stamped after T, while a PG moves, already needs a quorum in the old AND the new
 *   set to be acknowledged, so after completion reads of the new set (R=2 of 3) still see it;
 *   it is compared by the next comparison, once T has passed it.
 * A key overwritten after T on some holders only: a holder with the newer row leaves the key
 * out, a holder with only the older row includes it, so they differ: conservative, never a
 * false "equal". A caller whose clock runs behind the writers' only makes T older (safe).
 */
#define TN_PROTO_DIGEST_CUTOFF_MS 2000
uint64_t tn_proto_digest_cutoff(uint64_t wall_ms);
typedef struct {
    tn_proto_digest_t all;
    tn_proto_digest_t bucket[TN_PROTO_DIGEST_BUCKETS];
    uint64_t blob_count;
    uint64_t blob_hash;
} tn_pg_digest_rep_t;
typedef struct {
    uint32_t pool, pg;
    uint8_t what; /* TN_PROTO_ENUM_* */
    tn_slice_t cursor;
    uint32_t limit;
} tn_pg_enum_req_t;
typedef struct {
    uint8_t version[TN_PROTO_VID_LEN];
    uint32_t part;
    uint64_t length;
} tn_blob_item_t;

void tn_proto_enc_pg_req(tn_wire_w_t *w, const tn_pg_req_t *m); /* PG_DIGEST request */
int tn_proto_dec_pg_req(const void *buf, size_t len, tn_pg_req_t *m);
void tn_proto_enc_pg_digest_rep(tn_wire_w_t *w, const tn_pg_digest_rep_t *m);
int tn_proto_dec_pg_digest_rep(const void *buf, size_t len, tn_pg_digest_rep_t *m);
void tn_proto_enc_pg_enum_req(tn_wire_w_t *w, const tn_pg_enum_req_t *m);
int tn_proto_dec_pg_enum_req(const void *buf, size_t len, tn_pg_enum_req_t *m);
/* PG_ENUM reply: begin(more, cursor, n), then n items: rows (tn_proto_enc_row) or blob items. */
void tn_proto_enc_pg_enum_rep_begin(tn_wire_w_t *w, uint8_t more, tn_slice_t cursor, uint32_t n);
void tn_proto_enc_blob_item(tn_wire_w_t *w, const tn_blob_item_t *b);
int tn_proto_dec_pg_enum_rep(const void *buf, size_t len, tn_proto_iter_t *it, uint8_t *more,
                             tn_slice_t *cursor, uint32_t *n);
int tn_proto_next_blob_item(tn_proto_iter_t *it, tn_blob_item_t *b);
/* PG_PUSH request: begin(n), then n rows (tn_proto_enc_row). Reply: applied, ignored. */
void tn_proto_enc_pg_push_begin(tn_wire_w_t *w, uint32_t n);
int tn_proto_dec_pg_push(const void *buf, size_t len, tn_proto_iter_t *it, uint32_t *n);
void tn_proto_enc_pg_push_rep(tn_wire_w_t *w, uint32_t applied, uint32_t ignored);
int tn_proto_dec_pg_push_rep(const void *buf, size_t len, uint32_t *applied, uint32_t *ignored);

#endif
