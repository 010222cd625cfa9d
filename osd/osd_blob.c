/*
 * osd_blob.c — this file implements the OSD's blob store: immutable, checksummed blob files
 * written tmp → fsync → rename → fsync dir, and verified piece by piece on every read. The file
 * format, the directory layout and the write sequence are specified in osd_blob.h.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "osd_blob.h"
#include "tn_endian.h"
#include "osd_disk.h"
#include "tn_crc.h"
#include "tn_log.h"

#define BLOB_MAGIC     "TERNBLOB"
#define HDR_CRC_OFFSET 60
#define TMP_SUFFIX     ".tmp"

struct st_osd_bs_t {
    char dir[PATH_MAX];         /* data directory */
    char blobs_dir[PATH_MAX];   /* <dir>/blobs */
    char tmp_dir[PATH_MAX];     /* <dir>/tmp */
    uint32_t piece_size;        /* for new blobs */
    int lock_fd;                /* holds the flock on <dir>/blobs.lock */
    uint64_t tmp_prefix;        /* random, so temp names never repeat across runs */
    pthread_mutex_t mkdir_lock; /* serialises PG directory creation (see ensure_pg_dir) */
    atomic_uint_fast64_t tmp_seq;
    atomic_int fsync_failed;
    atomic_uint_fast64_t puts, put_errors, gets, checksum_errors, corrupt_errors, temp_removed;
};

struct st_osd_bs_writer_t {
    osd_bs_t *bs;
    uint32_t pool, pg;
    osd_blob_id_t id;
    uint64_t total;   /* data length announced at begin */
    uint64_t written; /* data bytes written so far */
    uint32_t piece;   /* piece size of this blob */
    uint32_t cur_crc; /* CRC32C of the current, incomplete piece */
    uint32_t *table;  /* piece CRCs, n_pieces entries (at least one allocated) */
    size_t n_pieces;
    int fd;         /* temp file, -1 once closed */
    int err;        /* first error; the writer is dead when non-zero */
    int tmp_exists; /* temp file still on disk */
    char tmp_path[PATH_MAX];
};

/* An open, header-checked blob file. */
typedef struct {
    int fd;
    uint64_t len;
    uint32_t piece;
    uint64_t n_pieces;
} blob_file_t;

static uint64_t pieces_of(uint64_t len, uint32_t piece)
{
    return (len + piece - 1) / piece;
}

static void header_encode(uint8_t h[OSD_BS_HEADER_SIZE], uint32_t piece, uint64_t len,
                          const osd_blob_id_t *id)
{
    memset(h, 0, OSD_BS_HEADER_SIZE);
    memcpy(h, BLOB_MAGIC, 8);
    tn_put_le16(h + 8, OSD_BS_FORMAT_VERSION);
    tn_put_le16(h + 10, OSD_BS_HEADER_SIZE);
    tn_put_le32(h + 12, piece);
    tn_put_le64(h + 16, len);
    memcpy(h + 24, id->version, 16);
    tn_put_le32(h + 40, id->part);
    tn_put_le32(h + 44, 0); /* flags */
    tn_put_le32(h + HDR_CRC_OFFSET, tn_crc32c(0, h, HDR_CRC_OFFSET));
}

static const char hexdig[] = "0123456789abcdef";

void osd_blob_id_format(const osd_blob_id_t *id, char out[OSD_BLOB_NAME_LEN + 1])
{
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hexdig[id->version[i] >> 4];
        out[2 * i + 1] = hexdig[id->version[i] & 15];
    }
    out[32] = '.';
    for (int i = 0; i < 8; i++)
        out[33 + i] = hexdig[(id->part >> (28 - 4 * i)) & 15];
    out[OSD_BLOB_NAME_LEN] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int osd_blob_id_parse(const char *name, size_t len, osd_blob_id_t *out)
{
    if (len != OSD_BLOB_NAME_LEN || name[32] != '.')
        return -EINVAL;
    osd_blob_id_t id;
    for (int i = 0; i < 16; i++) {
        int hi = hexval(name[2 * i]), lo = hexval(name[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        id.version[i] = (uint8_t)(hi << 4 | lo);
    }
    id.part = 0;
    for (int i = 0; i < 8; i++) {
        int v = hexval(name[33 + i]);
        if (v < 0)
            return -EINVAL;
        id.part = id.part << 4 | (uint32_t)v;
    }
    *out = id;
    return 0;
}

static int pg_dir_path(const osd_bs_t *bs, uint32_t pool, uint32_t pg, char *out, size_t size)
{
    if (pg > OSD_BS_MAX_PG)
        return -EINVAL;
    int n = snprintf(out, size, "%s/%08x.%04x", bs->blobs_dir, (unsigned)pool, (unsigned)pg);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int osd_bs_path(const osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id, char *out,
                size_t out_size)
{
    if (pg > OSD_BS_MAX_PG)
        return -EINVAL;
    char name[OSD_BLOB_NAME_LEN + 1];
    osd_blob_id_format(id, name);
    int n = snprintf(out, out_size, "%s/%08x.%04x/%s", bs->blobs_dir, (unsigned)pool, (unsigned)pg,
                     name);
    return n < 0 || (size_t)n >= out_size ? -ENAMETOOLONG : 0;
}

static void count(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Rule 6: a failed fsync is fatal for this store's writes; never retried. */
static void set_fsync_failed(osd_bs_t *bs, const char *path, int rc)
{
    atomic_store(&bs->fsync_failed, 1);
    tn_log_error("msg=\"fsync failed: blob store refuses every write from now on (rule 6)\" "
                 "path=\"%s\" err=\"%s\"",
                 path, tn_strerror(rc));
}

static int refuse_if_fsync_failed(osd_bs_t *bs, const char *op)
{
    if (!atomic_load(&bs->fsync_failed))
        return 0;
    count(&bs->put_errors);
    tn_log_error("msg=\"blob write refused: an earlier fsync failed\" op=%s dir=\"%s\"", op,
                 bs->dir);
    return -EIO;
}

/* ---- reading ---------------------------------------------------------------------------- */

static int corrupt(osd_bs_t *bs, const char *path, const char *why)
{
    count(&bs->corrupt_errors);
    tn_log_error("msg=\"corrupt blob\" path=\"%s\" reason=\"%s\"", path, why);
    return TN_ERR_CORRUPT;
}

/* Opens path and checks its header and size against id. On success b->fd is open. */
static int blob_open(osd_bs_t *bs, const char *path, const osd_blob_id_t *id, blob_file_t *b)
{
    int fd = osd_disk_open(path, O_RDONLY, 0);
    if (fd < 0) {
        if (fd == -ENOENT)
            return TN_ERR_NOT_FOUND;
        tn_log_error("msg=\"blob open failed\" path=\"%s\" err=\"%s\"", path, tn_strerror(fd));
        return fd;
    }
    uint8_t h[OSD_BS_HEADER_SIZE];
    uint64_t size = 0;
    int rc;
    int64_t n = osd_disk_pread_full(fd, h, sizeof(h), 0);
    if (n < 0) {
        rc = (int)n;
        tn_log_error("msg=\"blob read failed\" path=\"%s\" err=\"%s\"", path, tn_strerror(rc));
        goto fail;
    }
    if (n < (int64_t)sizeof(h)) {
        rc = corrupt(bs, path, "shorter than a header");
        goto fail;
    }
    if (memcmp(h, BLOB_MAGIC, 8) != 0) {
        rc = corrupt(bs, path, "bad magic");
        goto fail;
    }
    if (tn_get_le32(h + HDR_CRC_OFFSET) != tn_crc32c(0, h, HDR_CRC_OFFSET)) {
        rc = corrupt(bs, path, "header CRC mismatch");
        goto fail;
    }
    if (tn_get_le16(h + 8) != OSD_BS_FORMAT_VERSION || tn_get_le32(h + 44) != 0) {
        tn_log_error("msg=\"unsupported blob format\" path=\"%s\" version=%u flags=0x%x", path,
                     (unsigned)tn_get_le16(h + 8), (unsigned)tn_get_le32(h + 44));
        rc = TN_ERR_UNSUPPORTED;
        goto fail;
    }
    b->piece = tn_get_le32(h + 12);
    b->len = tn_get_le64(h + 16);
    static const uint8_t zero[12];
    if (tn_get_le16(h + 10) != OSD_BS_HEADER_SIZE || b->piece < OSD_BS_MIN_PIECE ||
        b->piece > OSD_BS_MAX_PIECE || b->len > OSD_BS_MAX_LEN || memcmp(h + 48, zero, 12) != 0) {
        rc = corrupt(bs, path, "header field out of range");
        goto fail;
    }
    if (memcmp(h + 24, id->version, 16) != 0 || tn_get_le32(h + 40) != id->part) {
        rc = corrupt(bs, path, "blob id differs from file name");
        goto fail;
    }
    b->n_pieces = pieces_of(b->len, b->piece);
    if ((rc = osd_disk_size(fd, &size)) != 0) {
        tn_log_error("msg=\"blob stat failed\" path=\"%s\" err=\"%s\"", path, tn_strerror(rc));
        goto fail;
    }
    if (size != OSD_BS_HEADER_SIZE + b->len + 4 * b->n_pieces + 4) {
        rc = corrupt(bs, path,
                     size < OSD_BS_HEADER_SIZE + b->len + 4 * b->n_pieces + 4
                         ? "file shorter than its header says"
                         : "file longer than its header says");
        goto fail;
    }
    b->fd = fd;
    return 0;
fail:
    osd_disk_close(fd);
    return rc;
}

/* Reads exactly len bytes at off; a short read means the file shrank: corrupt. */
static int read_exact(osd_bs_t *bs, const char *path, int fd, void *buf, size_t len, uint64_t off)
{
    int64_t n = osd_disk_pread_full(fd, buf, len, off);
    if (n < 0) {
        tn_log_error("msg=\"blob read failed\" path=\"%s\" err=\"%s\"", path, tn_strerror((int)n));
        return (int)n;
    }
    if ((uint64_t)n != len)
        return corrupt(bs, path, "file shrank while reading");
    return 0;
}

static int checksum_error(osd_bs_t *bs, const char *path, const char *what, uint64_t index)
{
    count(&bs->checksum_errors);
    tn_log_error("msg=\"blob checksum mismatch\" path=\"%s\" what=%s index=%llu", path, what,
                 (unsigned long long)index);
    return TN_ERR_CHECKSUM;
}

/* Reads table entries [first, first + count) into out (host order). With whole != 0 (the
 * range is the entire table) it also checks the table's CRC. */
static int read_table(osd_bs_t *bs, const char *path, const blob_file_t *b, uint64_t first,
                      uint64_t cnt, int whole, uint32_t *out)
{
    size_t bytes = (size_t)(4 * cnt) + (whole ? 4 : 0);
    uint8_t *raw = malloc(bytes > 0 ? bytes : 1);
    if (raw == NULL)
        return -ENOMEM;
    int rc = read_exact(bs, path, b->fd, raw, bytes, OSD_BS_HEADER_SIZE + b->len + 4 * first);
    if (rc == 0 && whole && tn_get_le32(raw + 4 * cnt) != tn_crc32c(0, raw, (size_t)(4 * cnt)))
        rc = checksum_error(bs, path, "piece-table", 0);
    for (uint64_t i = 0; rc == 0 && i < cnt; i++)
        out[i] = tn_get_le32(raw + 4 * i);
    free(raw);
    return rc;
}

/* Reads data [off, off + len) of an open blob into buf, verifying every piece it touches. */
static int read_range(osd_bs_t *bs, const char *path, const blob_file_t *b, uint64_t off,
                      size_t len, uint8_t *buf)
{
    if (len == 0)
        return 0;
    const uint64_t P = b->piece, end = off + len;
    const uint64_t first = off / P, last = (end - 1) / P, cnt = last - first + 1;
    uint32_t *crcs = malloc((size_t)cnt * sizeof(*crcs));
    uint8_t *scratch = NULL;
    if (crcs == NULL)
        return -ENOMEM;
    int rc = read_table(bs, path, b, first, cnt, first == 0 && last + 1 == b->n_pieces, crcs);
    uint64_t i = first;
    while (rc == 0 && i <= last) {
        uint64_t ps = i * P, pl = TN_MIN(P, b->len - ps);
        if (ps >= off && ps + pl <= end) {
            /* A run of pieces wholly inside the range: one read straight into buf. */
            uint64_t j = i;
            while (j + 1 <= last && (j + 1) * P + TN_MIN(P, b->len - (j + 1) * P) <= end)
                j++;
            uint64_t run_end = TN_MIN((j + 1) * P, b->len);
            rc = read_exact(bs, path, b->fd, buf + (ps - off), (size_t)(run_end - ps),
                            OSD_BS_HEADER_SIZE + ps);
            for (uint64_t k = i; rc == 0 && k <= j; k++) {
                uint64_t ks = k * P, kl = TN_MIN(P, b->len - ks);
                if (tn_crc32c(0, buf + (ks - off), (size_t)kl) != crcs[k - first])
                    rc = checksum_error(bs, path, "piece", k);
            }
            i = j + 1;
            continue;
        }
        /* A piece only partly inside the range: read it whole, verify, copy the part. */
        if (scratch == NULL && (scratch = malloc((size_t)P)) == NULL) {
            rc = -ENOMEM;
            break;
        }
        rc = read_exact(bs, path, b->fd, scratch, (size_t)pl, OSD_BS_HEADER_SIZE + ps);
        if (rc == 0 && tn_crc32c(0, scratch, (size_t)pl) != crcs[i - first])
            rc = checksum_error(bs, path, "piece", i);
        if (rc == 0) {
            uint64_t from = TN_MAX(off, ps), to = TN_MIN(end, ps + pl);
            memcpy(buf + (from - off), scratch + (from - ps), (size_t)(to - from));
        }
        i++;
    }
    free(scratch);
    free(crcs);
    return rc;
}

/* Checks every piece and the table CRC of an open blob; on success, with table_out != NULL,
 * hands over the piece CRC table (from malloc; at least one entry allocated). */
static int verify_all(osd_bs_t *bs, const char *path, const blob_file_t *b, uint32_t **table_out)
{
    uint32_t *table = malloc((size_t)(b->n_pieces > 0 ? b->n_pieces : 1) * sizeof(*table));
    uint8_t *scratch = malloc(b->len > 0 ? (size_t)TN_MIN(b->piece, b->len) : 1);
    int rc = table == NULL || scratch == NULL ? -ENOMEM : 0;
    if (rc == 0)
        rc = read_table(bs, path, b, 0, b->n_pieces, 1, table);
    for (uint64_t i = 0; rc == 0 && i < b->n_pieces; i++) {
        uint64_t ps = i * b->piece, pl = TN_MIN(b->piece, b->len - ps);
        rc = read_exact(bs, path, b->fd, scratch, (size_t)pl, OSD_BS_HEADER_SIZE + ps);
        if (rc == 0 && tn_crc32c(0, scratch, (size_t)pl) != table[i])
            rc = checksum_error(bs, path, "piece", i);
    }
    free(scratch);
    if (rc == 0 && table_out != NULL)
        *table_out = table;
    else
        free(table);
    return rc;
}

int osd_bs_get(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id, uint64_t offset,
               size_t len, void *buf, size_t *got)
{
    char path[PATH_MAX];
    blob_file_t b;
    *got = 0;
    count(&bs->gets);
    int rc = osd_bs_path(bs, pool, pg, id, path, sizeof(path));
    if (rc != 0 || (rc = blob_open(bs, path, id, &b)) != 0)
        return rc;
    if (offset > b.len) {
        rc = -EINVAL;
    } else {
        size_t n = (size_t)TN_MIN((uint64_t)len, b.len - offset);
        rc = read_range(bs, path, &b, offset, n, buf);
        if (rc == 0)
            *got = n;
    }
    osd_disk_close(b.fd);
    return rc;
}

int osd_bs_stat(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id, uint64_t *length,
                int *exists)
{
    char path[PATH_MAX];
    blob_file_t b;
    *exists = 0;
    if (length != NULL)
        *length = 0;
    int rc = osd_bs_path(bs, pool, pg, id, path, sizeof(path));
    if (rc != 0)
        return rc;
    rc = blob_open(bs, path, id, &b);
    if (rc == TN_ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    osd_disk_close(b.fd);
    *exists = 1;
    if (length != NULL)
        *length = b.len;
    return 0;
}

int osd_bs_verify(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id)
{
    char path[PATH_MAX];
    blob_file_t b;
    int rc = osd_bs_path(bs, pool, pg, id, path, sizeof(path));
    if (rc != 0 || (rc = blob_open(bs, path, id, &b)) != 0)
        return rc;
    rc = verify_all(bs, path, &b, NULL);
    osd_disk_close(b.fd);
    return rc;
}

struct list_ctx {
    int (*cb)(void *arg, const osd_blob_id_t *id);
    void *arg;
};

static int on_pg_entry(void *arg, const char *name)
{
    struct list_ctx *ctx = arg;
    osd_blob_id_t id;
    if (osd_blob_id_parse(name, strlen(name), &id) != 0)
        return 0; /* not a blob */
    return ctx->cb(ctx->arg, &id);
}

int osd_bs_list_pg(osd_bs_t *bs, uint32_t pool, uint32_t pg,
                   int (*cb)(void *arg, const osd_blob_id_t *id), void *arg)
{
    char dir[PATH_MAX];
    int rc = pg_dir_path(bs, pool, pg, dir, sizeof(dir));
    if (rc != 0)
        return rc;
    struct list_ctx ctx = {cb, arg};
    rc = osd_disk_list(dir, on_pg_entry, &ctx);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0 && rc > TN_ERR_BASE)
        tn_log_error("msg=\"blob list failed\" path=\"%s\" err=\"%s\"", dir, tn_strerror(rc));
    return rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Closes and removes the temp file (if still there). */
static void writer_cleanup(osd_bs_writer_t *w)
{
    if (w->fd >= 0) {
        osd_disk_close(w->fd);
        w->fd = -1;
    }
    if (w->tmp_exists) {
        int urc = osd_disk_unlink(w->tmp_path);
        if (urc != 0 && urc != -ENOENT)
            tn_log_error("msg=\"cannot remove temp blob (removed at next start)\" path=\"%s\" "
                         "err=\"%s\"",
                         w->tmp_path, tn_strerror(urc));
        w->tmp_exists = 0;
    }
}

/* Kills the writer with rc: logs and counts the first failure, removes the temp file.
 * Returns rc. */
static int writer_fail(osd_bs_writer_t *w, int rc, const char *step)
{
    if (w->err == 0) {
        w->err = rc;
        count(&w->bs->put_errors);
        tn_log_error("msg=\"blob write failed\" step=\"%s\" path=\"%s\" err=\"%s\"", step,
                     w->tmp_path, tn_strerror(rc));
    }
    writer_cleanup(w);
    return rc;
}

static void writer_free(osd_bs_writer_t *w)
{
    free(w->table);
    free(w);
}

int osd_bs_put_begin(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id,
                     uint64_t total_len, osd_bs_writer_t **out)
{
    *out = NULL;
    int rc = refuse_if_fsync_failed(bs, "put");
    if (rc != 0)
        return rc;
    if (pg > OSD_BS_MAX_PG)
        return -EINVAL;
    if (total_len > OSD_BS_MAX_LEN)
        return TN_ERR_TOO_BIG;
    osd_bs_writer_t *w = calloc(1, sizeof(*w));
    uint64_t n = pieces_of(total_len, bs->piece_size);
    if (w == NULL || (w->table = calloc((size_t)(n > 0 ? n : 1), sizeof(uint32_t))) == NULL) {
        free(w);
        return -ENOMEM;
    }
    w->bs = bs;
    w->pool = pool;
    w->pg = pg;
    w->id = *id;
    w->total = total_len;
    w->piece = bs->piece_size;
    w->n_pieces = (size_t)n;
    w->fd = -1;
    uint64_t seq = atomic_fetch_add(&bs->tmp_seq, 1);
    int len = snprintf(w->tmp_path, sizeof(w->tmp_path), "%s/%016llx-%016llx%s", bs->tmp_dir,
                       (unsigned long long)bs->tmp_prefix, (unsigned long long)seq, TMP_SUFFIX);
    if (len < 0 || (size_t)len >= sizeof(w->tmp_path)) {
        writer_free(w);
        return -ENAMETOOLONG;
    }
    w->fd = osd_disk_open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (w->fd < 0) {
        rc = w->fd;
        w->fd = -1;
        writer_fail(w, rc, "create");
        writer_free(w);
        return rc;
    }
    w->tmp_exists = 1;
    uint8_t h[OSD_BS_HEADER_SIZE];
    header_encode(h, w->piece, total_len, id);
    if ((rc = osd_disk_pwrite_full(w->fd, h, sizeof(h), 0)) != 0) {
        writer_fail(w, rc, "header");
        writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int osd_bs_put_data(osd_bs_writer_t *w, const void *buf, size_t len)
{
    if (w->err != 0)
        return w->err;
    if ((uint64_t)len > w->total - w->written)
        return writer_fail(w, TN_ERR_TOO_BIG, "data");
    if (len == 0)
        return 0;
    int rc = osd_disk_pwrite_full(w->fd, buf, len, OSD_BS_HEADER_SIZE + w->written);
    if (rc != 0)
        return writer_fail(w, rc, "data");
    const uint8_t *p = buf;
    while (len > 0) {
        size_t in_piece = (size_t)(w->written % w->piece);
        size_t take = TN_MIN(len, (size_t)w->piece - in_piece);
        w->cur_crc = tn_crc32c(w->cur_crc, p, take);
        w->written += take;
        p += take;
        len -= take;
        if (w->written % w->piece == 0 || w->written == w->total) {
            w->table[(w->written - 1) / w->piece] = w->cur_crc;
            w->cur_crc = 0;
        }
    }
    return 0;
}

/* Creates the PG directory if needed, durably. Creation and the fsync of blobs/ happen under
 * one lock, so a thread that finds the directory existing (EEXIST) knows its entry is durable:
 * either this run created it and fsynced blobs/ before unlocking, or it predates osd_bs_open,
 * which fsyncs blobs/. */
static int ensure_pg_dir(osd_bs_t *bs, const char *dir)
{
    pthread_mutex_lock(&bs->mkdir_lock);
    int rc = osd_disk_mkdir(dir, 0755);
    if (rc == 0) {
        rc = osd_disk_fsync_dir(bs->blobs_dir);
        if (rc != 0)
            set_fsync_failed(bs, bs->blobs_dir, rc);
    } else if (rc == -EEXIST) {
        rc = 0;
    }
    pthread_mutex_unlock(&bs->mkdir_lock);
    return rc;
}

/* The final file exists already. Returns 1 to keep it (same content, verified), 0 to replace
 * it (damaged), or a negative error. */
static int check_existing(osd_bs_writer_t *w, const char *path)
{
    blob_file_t b;
    uint32_t *table = NULL;
    int rc = blob_open(w->bs, path, &w->id, &b);
    if (rc == TN_ERR_NOT_FOUND)
        return 0; /* deleted meanwhile */
    if (rc == 0) {
        rc = verify_all(w->bs, path, &b, &table);
        osd_disk_close(b.fd);
    }
    if (rc == TN_ERR_CORRUPT || rc == TN_ERR_CHECKSUM) {
        tn_log_warn("msg=\"replacing damaged blob with a fresh copy\" path=\"%s\"", path);
        return 0;
    }
    if (rc != 0)
        return rc;
    /* Same length and same piece CRCs: same content. A copy written with another piece size
     * (the store was reopened with a different one) can only be compared by length. */
    int same = b.len == w->total && (b.piece != w->piece ||
                                     memcmp(table, w->table, w->n_pieces * sizeof(uint32_t)) == 0);
    free(table);
    if (!same) {
        tn_log_error("msg=\"blob exists with different content: kept the old one\" "
                     "path=\"%s\"",
                     path);
        return -EEXIST;
    }
    return 1;
}

int osd_bs_put_end(osd_bs_writer_t *w)
{
    osd_bs_t *bs = w->bs;
    char dir[PATH_MAX], path[PATH_MAX];
    int rc = w->err;
    if (rc != 0)
        goto out;
    if (w->written != w->total) {
        rc = writer_fail(w, -EINVAL, "end: fewer bytes than announced");
        goto out;
    }
    if ((rc = refuse_if_fsync_failed(bs, "put")) != 0) {
        w->err = rc; /* counted and logged by refuse_if_fsync_failed */
        writer_cleanup(w);
        goto out;
    }
    /* Piece CRC table and its CRC. */
    size_t tbytes = 4 * w->n_pieces;
    uint8_t *tab = malloc(tbytes + 4);
    if (tab == NULL) {
        rc = writer_fail(w, -ENOMEM, "end");
        goto out;
    }
    for (size_t i = 0; i < w->n_pieces; i++)
        tn_put_le32(tab + 4 * i, w->table[i]);
    tn_put_le32(tab + tbytes, tn_crc32c(0, tab, tbytes));
    rc = osd_disk_pwrite_full(w->fd, tab, tbytes + 4, OSD_BS_HEADER_SIZE + w->total);
    free(tab);
    if (rc != 0) {
        writer_fail(w, rc, "table");
        goto out;
    }
    if ((rc = osd_disk_fsync(w->fd)) != 0) {
        set_fsync_failed(bs, w->tmp_path, rc);
        writer_fail(w, rc, "fsync");
        goto out;
    }
    rc = osd_disk_close(w->fd);
    w->fd = -1;
    if (rc != 0) {
        writer_fail(w, rc, "close");
        goto out;
    }
    if ((rc = pg_dir_path(bs, w->pool, w->pg, dir, sizeof(dir))) != 0 ||
        (rc = osd_bs_path(bs, w->pool, w->pg, &w->id, path, sizeof(path))) != 0 ||
        (rc = ensure_pg_dir(bs, dir)) != 0) {
        writer_fail(w, rc, "mkdir");
        goto out;
    }
    rc = check_existing(w, path);
    if (rc < 0) {
        writer_fail(w, rc, "existing");
        goto out;
    }
    if (rc == 1) {
        /* Keep the existing copy; drop ours (not an error). */
        int urc = osd_disk_unlink(w->tmp_path);
        if (urc != 0)
            tn_log_warn("msg=\"cannot remove temp blob (removed at next start)\" path=\"%s\" "
                        "err=\"%s\"",
                        w->tmp_path, tn_strerror(urc));
        w->tmp_exists = 0;
    } else if ((rc = osd_disk_rename(w->tmp_path, path)) != 0) {
        writer_fail(w, rc, "rename");
        goto out;
    } else {
        w->tmp_exists = 0;
    }
    /* Also when keeping an existing copy: another thread may have renamed it an instant ago
     * and not yet fsynced the directory. */
    if ((rc = osd_disk_fsync_dir(dir)) != 0) {
        set_fsync_failed(bs, dir, rc);
        writer_fail(w, rc, "fsync-dir");
        goto out;
    }
    count(&bs->puts);
out:
    writer_free(w);
    return rc;
}

void osd_bs_put_abort(osd_bs_writer_t *w)
{
    if (w == NULL)
        return;
    writer_cleanup(w);
    writer_free(w);
}

int osd_bs_delete(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id)
{
    char dir[PATH_MAX], path[PATH_MAX];
    int rc = refuse_if_fsync_failed(bs, "delete");
    if (rc != 0)
        return rc;
    if ((rc = pg_dir_path(bs, pool, pg, dir, sizeof(dir))) != 0 ||
        (rc = osd_bs_path(bs, pool, pg, id, path, sizeof(path))) != 0)
        return rc;
    rc = osd_disk_unlink(path);
    if (rc == -ENOENT)
        return TN_ERR_NOT_FOUND;
    if (rc != 0) {
        count(&bs->put_errors);
        tn_log_error("msg=\"blob delete failed\" path=\"%s\" err=\"%s\"", path, tn_strerror(rc));
        return rc;
    }
    if ((rc = osd_disk_fsync_dir(dir)) != 0) {
        count(&bs->put_errors);
        set_fsync_failed(bs, dir, rc);
        return rc;
    }
    return 0;
}

/* ---- open / close ----------------------------------------------------------------------- */

struct tmp_ctx {
    osd_bs_t *bs;
    int err;
};

static int on_tmp_entry(void *arg, const char *name)
{
    struct tmp_ctx *ctx = arg;
    size_t n = strlen(name), s = strlen(TMP_SUFFIX);
    if (n <= s || strcmp(name + n - s, TMP_SUFFIX) != 0) {
        tn_log_warn("msg=\"unexpected file in blob temp directory left alone\" dir=\"%s\" "
                    "name=\"%s\"",
                    ctx->bs->tmp_dir, name);
        return 0;
    }
    char path[PATH_MAX];
    int len = snprintf(path, sizeof(path), "%s/%s", ctx->bs->tmp_dir, name);
    if (len < 0 || (size_t)len >= sizeof(path))
        return -ENAMETOOLONG;
    int rc = osd_disk_unlink(path);
    if (rc != 0 && rc != -ENOENT) {
        tn_log_error("msg=\"cannot remove leftover temp blob\" path=\"%s\" err=\"%s\"", path,
                     tn_strerror(rc));
        return rc;
    }
    count(&ctx->bs->temp_removed);
    tn_log_info("msg=\"removed leftover temp blob\" path=\"%s\"", path);
    return 0;
}

/* mkdir that tolerates an existing directory; *created says whether it made one. */
static int make_dir(const char *path, int *created)
{
    int rc = osd_disk_mkdir(path, 0755);
    if (rc == 0)
        *created = 1;
    return rc == -EEXIST ? 0 : rc;
}

int osd_bs_open(const char *data_dir, uint32_t piece_size, osd_bs_t **out)
{
    *out = NULL;
    if (piece_size == 0)
        piece_size = OSD_BS_DEFAULT_PIECE;
    if (piece_size < OSD_BS_MIN_PIECE || piece_size > OSD_BS_MAX_PIECE)
        return -EINVAL;
    /* Room for "/blobs/<8>.<4>/<41>" and the temp names. */
    if (strlen(data_dir) + 80 >= PATH_MAX)
        return -ENAMETOOLONG;
    osd_bs_t *bs = calloc(1, sizeof(*bs));
    if (bs == NULL)
        return -ENOMEM;
    snprintf(bs->dir, sizeof(bs->dir), "%s", data_dir);
    snprintf(bs->blobs_dir, sizeof(bs->blobs_dir), "%s/blobs", data_dir);
    snprintf(bs->tmp_dir, sizeof(bs->tmp_dir), "%s/tmp", data_dir);
    bs->piece_size = piece_size;
    bs->lock_fd = -1;
    if (pthread_mutex_init(&bs->mkdir_lock, NULL) != 0) {
        free(bs);
        return -ENOMEM;
    }
    char lock_path[PATH_MAX];
    snprintf(lock_path, sizeof(lock_path), "%s/blobs.lock", data_dir);
    const char *step = "lock";
    const char *where = lock_path;
    int created = 0, rc;
    if ((bs->lock_fd = osd_disk_lock(lock_path)) < 0) {
        rc = bs->lock_fd;
        bs->lock_fd = -1;
        goto fail;
    }
    step = "mkdir";
    where = data_dir;
    if ((rc = make_dir(bs->blobs_dir, &created)) != 0 ||
        (rc = make_dir(bs->tmp_dir, &created)) != 0)
        goto fail;
    step = "fsync";
    if (created && (rc = osd_disk_fsync_dir(data_dir)) != 0)
        goto fail;
    step = "random";
    if ((rc = osd_disk_random(&bs->tmp_prefix, sizeof(bs->tmp_prefix))) != 0)
        goto fail;
    step = "temp cleanup";
    where = bs->tmp_dir;
    struct tmp_ctx ctx = {bs, 0};
    if ((rc = osd_disk_list(bs->tmp_dir, on_tmp_entry, &ctx)) != 0)
        goto fail;
    step = "fsync";
    if (atomic_load(&bs->temp_removed) > 0 && (rc = osd_disk_fsync_dir(bs->tmp_dir)) != 0)
        goto fail;
    /* Make every PG directory entry durable, whoever created it (see ensure_pg_dir). */
    where = bs->blobs_dir;
    if ((rc = osd_disk_fsync_dir(bs->blobs_dir)) != 0)
        goto fail;
    *out = bs;
    return 0;
fail:
    tn_log_error("msg=\"cannot open blob store\" step=\"%s\" path=\"%s\" err=\"%s\"", step, where,
                 tn_strerror(rc));
    osd_bs_close(bs);
    return rc;
}

void osd_bs_close(osd_bs_t *bs)
{
    if (bs == NULL)
        return;
    if (bs->lock_fd >= 0)
        osd_disk_close(bs->lock_fd);
    pthread_mutex_destroy(&bs->mkdir_lock);
    free(bs);
}

void osd_bs_stats(const osd_bs_t *bs, osd_bs_stats_t *out)
{
    /* The counters are atomics; loads from a const store need a cast on some compilers. */
    osd_bs_t *m = (osd_bs_t *)(uintptr_t)bs;
    out->puts = atomic_load(&m->puts);
    out->put_errors = atomic_load(&m->put_errors);
    out->gets = atomic_load(&m->gets);
    out->checksum_errors = atomic_load(&m->checksum_errors);
    out->corrupt_errors = atomic_load(&m->corrupt_errors);
    out->temp_removed = atomic_load(&m->temp_removed);
    out->fsync_failed = atomic_load(&m->fsync_failed);
}
