/*
 * osd_blob.h — the OSD's blob store: immutable blob files on a local file system that never
 * acknowledge what is not persisted and never return wrong bytes.
 *
 * A blob is one chunk of one object version: large objects are split into chunks of a few MiB,
 * each its own blob, identified by (128-bit version id, chunk index "part") and stored in the
 * directory of the placement group (pool, pg) it maps to.
 *
 * LAYOUT ON DISK
 *
 *   <data_dir>/blobs.lock                    flock held while a store is open (one per data dir)
 *   <data_dir>/blobs/<pool:8x>.<pg:4x>/<version:32x>.<part:8x>   final blob files
 *   <data_dir>/tmp/<random:16x>-<seq:16x>.tmp                     blobs being written
 *
 * Hex is lower case. tmp/ is on the same file system as blobs/, so rename(2) is atomic. PG
 * directories are created on demand: mkdir, then fsync of blobs/ (rule 6). Start-up (osd_bs_open)
 * deletes every *.tmp file in tmp/: a temp file is never visible under a blob name.
 *
 * FILE FORMAT, version 1 (all integers little-endian)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *        0     8  Magic "TERNBLOB"
 *        8     2  Format version (1)
 *       10     2  Header size H in bytes (64 in version 1)
 *       12     4  Piece size P in bytes (OSD_BS_MIN_PIECE..OSD_BS_MAX_PIECE)
 *       16     8  Data length L in bytes (0..OSD_BS_MAX_LEN)
 *       24    16  Blob id: version id
 *       40     4  Blob id: part (chunk index)
 *       44     4  Flags (none defined in version 1: readers refuse non-zero)
 *       48    12  Reserved, zero
 *       60     4  CRC32C of bytes 0..59
 *       64     L  Data
 *     64+L   4*N  Piece CRC table: N = ceil(L / P) entries, entry i = CRC32C of the data bytes
 *                 [i*P, min((i+1)*P, L)), each 4 bytes little-endian
 *   64+L+4N    4  CRC32C of the piece CRC table (of zero bytes, i.e. 0, when L == 0)
 *
 *   File size = 64 + L + 4*N + 4, exactly. CRC32C is the standard Castagnoli CRC (check value
 *   of "123456789" is 0xe3069283). Later versions keep bytes 0..63 (with the header CRC at 60)
 *   and put any extra header fields after them, growing H.
 *
 * VERIFICATION ON READ (rule 7: corruption is an error, never "absent", never wrong bytes)
 *
 *   - Header: short file, bad magic, bad header CRC, H != 64, P or L out of range, non-zero
 *     reserved bytes, or a blob id that differs from the file name: TN_ERR_CORRUPT. A valid
 *     header CRC with another format version or unknown flags: TN_ERR_UNSUPPORTED.
 *   - File size different from what the header implies (truncated, or junk appended):
 *     TN_ERR_CORRUPT.
 *   - A range read reads only the pieces covering the range and their table entries, and checks
 *     each piece against its entry: a mismatch is TN_ERR_CHECKSUM. The table's own CRC is checked
 *     when a read covers every piece (and by osd_bs_verify), since then the whole table is read.
 *   Failures are counted (osd_bs_stats) and logged at error level.
 *
 * WRITE SEQUENCE (nothing is acknowledged before it is durable; rule 6)
 *
 *   put_begin:  open tmp/<name>.tmp (O_CREAT|O_EXCL), write the header (L is known up front).
 *   put_data:   write data at 64 + offset, computing piece CRCs incrementally (any split).
 *   put_end:    write the table and its CRC, fsync the file, close it, ensure the PG directory
 *               exists (mkdir + fsync blobs/), rename into place, fsync the PG directory; only
 *               then return 0.
 *   Any failure unlinks the temp file: nothing half-written becomes visible. ENOSPC and I/O
 *   errors are returned as -errno with a loud log line; reads keep working. A failed fsync (of a
 *   file or a directory) is never retried: it sets a sticky "fsync failed" state in which every
 *   later write (put_begin, put_end, delete) fails with -EIO and logs; reads continue.
 *
 *   Re-putting a blob that exists is harmless: blobs are immutable. If the final file exists
 *   and verifies completely, put_end keeps it (the new temp file is dropped), fsyncs the PG
 *   directory and returns 0, provided the new data has the same length and piece CRC table
 *   (only the length when the old copy used another piece size); otherwise (same id, different
 *   content: a caller bug) it returns -EEXIST and keeps the old file. If the existing file is
 *   damaged, the new one replaces it (a re-put repairs).
 *
 * THREADS: every function may be called concurrently from several threads, except that one
 * writer must not be used by two threads at once and osd_bs_close must be the last call.
 * Blocking I/O: call from worker threads, not from an event loop.
 */
#ifndef OSD_BLOB_H
#define OSD_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"

#define OSD_BS_FORMAT_VERSION 1
#define OSD_BS_HEADER_SIZE    64
#define OSD_BS_DEFAULT_PIECE  (64u * 1024)
#define OSD_BS_MIN_PIECE      512u
#define OSD_BS_MAX_PIECE      (64u * 1024 * 1024)
#define OSD_BS_MAX_LEN        ((uint64_t)1 << 30) /* 1 GiB: chunks are a few MiB */
#define OSD_BS_MAX_PG         0xFFFFu
/* "<32 hex>.<8 hex>", without the terminating NUL. */
#define OSD_BLOB_NAME_LEN 41

/* A blob's identity: an object version's 128-bit id and the chunk index within it. */
typedef struct {
    uint8_t version[16];
    uint32_t part;
} osd_blob_id_t;

typedef struct st_osd_bs_t osd_bs_t;
typedef struct st_osd_bs_writer_t osd_bs_writer_t;

typedef struct {
    uint64_t puts;            /* put_end calls that returned 0 */
    uint64_t put_errors;      /* writes that failed (begin, data, end, delete) */
    uint64_t gets;            /* osd_bs_get calls */
    uint64_t checksum_errors; /* reads that failed with TN_ERR_CHECKSUM */
    uint64_t corrupt_errors;  /* reads/stats/verifies that failed with TN_ERR_CORRUPT */
    uint64_t temp_removed;    /* leftover temp files removed by osd_bs_open */
    int fsync_failed;         /* 1 once an fsync failed: every write is refused (rule 6) */
} osd_bs_stats_t;

/* Writes the file name of id ("<32 hex>.<8 hex>" + NUL) into out. */
void osd_blob_id_format(const osd_blob_id_t *id, char out[OSD_BLOB_NAME_LEN + 1]);
/* Parses exactly OSD_BLOB_NAME_LEN characters of lower-case hex name; 0 or -EINVAL. */
int osd_blob_id_parse(const char *name, size_t len, osd_blob_id_t *out);

/* Opens the store in data_dir (which must exist): takes data_dir/blobs.lock (-EBUSY if another
 * store holds it), creates blobs/ and tmp/ (fsyncing data_dir), removes temp leftovers, fsyncs
 * blobs/ so that every PG directory found is durable. piece_size 0 means OSD_BS_DEFAULT_PIECE;
 * it applies to blobs written from now on (reads use each file's own). *out is from malloc(). */
int osd_bs_open(const char *data_dir, uint32_t piece_size, osd_bs_t **out);
/* Releases the store and its lock. No writer may be outstanding. NULL is a no-op. */
void osd_bs_close(osd_bs_t *bs);
void osd_bs_stats(const osd_bs_t *bs, osd_bs_stats_t *out);

/* Path of a blob's final file into out (NUL-terminated); 0, or -ENAMETOOLONG / -EINVAL. */
int osd_bs_path(const osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id, char *out,
                size_t out_size);

/* Starts writing blob id of exactly total_len bytes into PG (pool, pg). On success *out is a
 * writer owned by the caller until osd_bs_put_end or osd_bs_put_abort consumes it.
 * Errors: -EIO (store refuses writes after a failed fsync), -EINVAL, TN_ERR_TOO_BIG
 * (total_len > OSD_BS_MAX_LEN), -ENOMEM, -errno from the file system (e.g. -ENOSPC). */
int osd_bs_put_begin(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id,
                     uint64_t total_len, osd_bs_writer_t **out);
/* Appends len bytes. TN_ERR_TOO_BIG if they go beyond total_len (nothing written). After any
 * error the writer is dead (its temp file already removed): call put_abort (or put_end, which
 * returns the same error) to free it. */
int osd_bs_put_data(osd_bs_writer_t *w, const void *buf, size_t len);
/* Finishes the blob (see WRITE SEQUENCE) and frees w, whatever the result. Returns 0 only when
 * the blob is durable under its final name. -EINVAL if fewer than total_len bytes arrived,
 * -EEXIST (see re-put above), -EIO after a failed fsync, other -errno from the file system. */
int osd_bs_put_end(osd_bs_writer_t *w);
/* Drops the blob: unlinks the temp file and frees w. NULL is a no-op. */
void osd_bs_put_abort(osd_bs_writer_t *w);

/* Reads up to len bytes at offset into buf; *got is the count (the range is clamped at the end
 * of the blob). offset == length reads 0 bytes; offset > length is -EINVAL. Errors:
 * TN_ERR_NOT_FOUND, TN_ERR_CHECKSUM, TN_ERR_CORRUPT, TN_ERR_UNSUPPORTED, -errno. On error
 * the contents of buf are unspecified and *got is 0. */
int osd_bs_get(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id, uint64_t offset,
               size_t len, void *buf, size_t *got);
/* Checks the header and file size. A missing blob is *exists = 0 and returns 0; a damaged one
 * returns TN_ERR_CORRUPT (never "absent"). length may be NULL. */
int osd_bs_stat(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id, uint64_t *length,
                int *exists);
/* Reads and checks the whole blob (header, size, every piece, the table CRC): for scrub and
 * repair. 0, TN_ERR_NOT_FOUND, TN_ERR_CHECKSUM, TN_ERR_CORRUPT, -errno. */
int osd_bs_verify(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id);
/* Removes a blob durably (unlink + fsync of the PG directory). TN_ERR_NOT_FOUND if absent;
 * -EIO after a failed fsync. */
int osd_bs_delete(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id);
/* Calls cb(arg, &id) for every blob file in PG (pool, pg), in directory order; names that are
 * not blob names are skipped. A non-zero return from cb stops and is returned. A PG with no
 * directory has no blobs (returns 0). */
int osd_bs_list_pg(osd_bs_t *bs, uint32_t pool, uint32_t pg,
                   int (*cb)(void *arg, const osd_blob_id_t *id), void *arg);

#endif
