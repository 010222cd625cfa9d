/*
 * osd_pg.h — the OSD's local view of a placement group, shared by the repair ops
 * (osd_ops_pg.c, answering peers) and by repair itself (osd_recovery.c, reading its own
 * copy): the PG digest, the sorted blob list, and pages of the PG_ENUM enumerations in the
 * reply's wire form. Blocking (SQLite reads and directory scans): worker or repair threads
 * only, never the event loop.
 *
 * Blob ids in digests and cursors: the 20 bytes (16-byte version, u32 part). blob_hash is
 * CRC-64/XZ (ISA-L crc64_ecma_refl) over the ids sorted by (version bytes, part), each with
 * its part little-endian. The PG_ENUM blob cursor is the last id sent with its part
 * big-endian (so that memcmp order is the sort order); the row cursor is u64 ns
 * (little-endian) followed by the last key sent. Both are opaque to clients.
 */
#ifndef OSD_PG_H
#define OSD_PG_H

#include <stddef.h>
#include <stdint.h>
#include "osd_blob.h"
#include "osd_index.h"
#include "tn_proto.h"
#include "tn_row.h"

#define OSD_PG_ENUM_MAX_BYTES (6u << 20) /* a PG_ENUM page stays below the 8 MiB frame limit */
#define OSD_PG_CURSOR_MAX     (8 + TN_ROW_MAX_KEY)

/* A page of PG_ENUM items: buf (malloc'd, n items back to back in their wire form: `bytes
 * row` or 28-byte blob items), whether more follow, and the cursor to resume after it. */
typedef struct {
    uint8_t *buf;
    size_t len;
    uint32_t n;
    int more;
    uint8_t cursor[OSD_PG_CURSOR_MAX];
    size_t cursor_len;
} osd_pg_page_t;

/* Every blob id of PG (pool, pg), sorted by (version bytes, part); *ids malloc'd (NULL when
 * none). 0 or the errors of osd_bs_list_pg, -ENOMEM. */
int osd_pg_blob_ids(osd_bs_t *bs, uint32_t pool, uint32_t pg, osd_blob_id_t **ids, size_t *n);
/* The PG_DIGEST reply for the local copy; cutoff as osd_idx_digest's (rows only: the blob list
 * is always whole, blob files carry no HLC). */
int osd_pg_digest(osd_bs_t *bs, osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, uint64_t cutoff,
                  tn_pg_digest_rep_t *out);
/* One page of rows (what TN_PROTO_ENUM_ROWS answers) after cursor (empty: from the start),
 * at most limit rows (1..TN_PROTO_MAX_LIST) and about OSD_PG_ENUM_MAX_BYTES. Every row's CRC
 * is verified: a damaged one fails the page with TN_ERR_CHECKSUM (rule 7). TN_ERR_PROTO for
 * a malformed cursor. On error out->buf is NULL. */
int osd_pg_enum_rows(osd_idx_reader_t *rd, uint32_t pool, uint32_t pg, tn_slice_t cursor,
                     uint32_t limit, osd_pg_page_t *out);
/* One page of blob items (TN_PROTO_ENUM_BLOBS). A blob whose header is damaged fails the page
 * with TN_ERR_CORRUPT. */
int osd_pg_enum_blobs(osd_bs_t *bs, uint32_t pool, uint32_t pg, tn_slice_t cursor, uint32_t limit,
                      osd_pg_page_t *out);
/* An iterator over a page's items, for tn_proto_next_row / tn_proto_next_blob_item. */
void osd_pg_page_iter(const osd_pg_page_t *p, tn_proto_iter_t *it);

#endif
