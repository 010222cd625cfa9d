/*
 * Unit tests for osd/osd_blob.c and osd/osd_disk.c: round trips, range reads at piece
 * boundaries, the on-disk format, corruption detection (checksum, header, size), temp file
 * clean-up, crash before rename, injected ENOSPC / EIO / fsync failures, and concurrent use.
 * Every test works in a fresh directory under $TMPDIR that is removed at the end.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <isa-l/crc.h>
#include "osd_blob.h"
#include "osd_disk.h"
#include "tn_log.h"
#include "test.h"

#define P   OSD_BS_DEFAULT_PIECE
#define MiB (1024u * 1024u)

static char root[512]; /* mkdtemp directory holding every test's data dir */
static int dir_seq;

/* ---- helpers ---------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void fill_random(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(rnd() >> 24);
}

static uint32_t crc32c(const void *buf, size_t len)
{
    return crc32_iscsi((unsigned char *)(uintptr_t)buf, (int)len, 0xFFFFFFFFu) ^ 0xFFFFFFFFu;
}

static osd_blob_id_t make_id(uint32_t seed, uint32_t part)
{
    osd_blob_id_t id;
    for (int i = 0; i < 16; i++)
        id.version[i] = (uint8_t)(seed * 131u + (uint32_t)i * 7u);
    id.part = part;
    return id;
}

/* A fresh data directory: root/dN. */
static void new_dir(char *out, size_t size)
{
    snprintf(out, size, "%s/d%d", root, ++dir_seq);
    if (mkdir(out, 0755) != 0) {
        perror("mkdir");
        exit(2);
    }
}

static osd_bs_t *open_store(const char *dir, uint32_t piece)
{
    osd_bs_t *bs = NULL;
    int rc = osd_bs_open(dir, piece, &bs);
    is_int(rc, 0, "osd_bs_open");
    if (bs == NULL)
        exit(2);
    return bs;
}

/* Writes data as blob id in random-sized put_data calls; returns put_end's result. */
static int put_blob(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id,
                    const uint8_t *data, size_t len)
{
    osd_bs_writer_t *w = NULL;
    int rc = osd_bs_put_begin(bs, pool, pg, id, len, &w);
    if (rc != 0)
        return rc;
    size_t done = 0;
    while (done < len) {
        size_t n = (size_t)(rnd() % (3 * P / 2)) + 1;
        if (rnd() % 4 == 0)
            n = (size_t)(rnd() % 17) + 1; /* sometimes tiny */
        n = TN_MIN(n, len - done);
        rc = osd_bs_put_data(w, data + done, n);
        if (rc != 0) {
            osd_bs_put_abort(w);
            return rc;
        }
        done += n;
    }
    return osd_bs_put_end(w);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static int tmp_count(const char *dir)
{
    char p[2048];
    snprintf(p, sizeof(p), "%s/tmp", dir);
    return count_entries(p);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void flip_byte(const char *path, off_t off)
{
    int fd = open(path, O_RDWR);
    uint8_t c = 0;
    if (fd < 0 || pread(fd, &c, 1, off) != 1)
        exit(2);
    c ^= 0x5A;
    if (pwrite(fd, &c, 1, off) != 1)
        exit(2);
    close(fd);
}

static void write_file(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
        exit(2);
    close(fd);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        exit(2);
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL || read(fd, buf, (size_t)st.st_size) != st.st_size)
        exit(2);
    close(fd);
    *len = (size_t)st.st_size;
    return buf;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Reads [off, off+len) and compares with data; returns the get result. */
static int check_range(osd_bs_t *bs, uint32_t pool, uint32_t pg, const osd_blob_id_t *id,
                       const uint8_t *data, size_t total, uint64_t off, size_t len, uint8_t *buf)
{
    size_t got = 12345;
    int rc = osd_bs_get(bs, pool, pg, id, off, len, buf, &got);
    if (rc != 0)
        return rc;
    size_t want = off >= total ? 0 : TN_MIN(len, total - (size_t)off);
    if (got != want) {
        fprintf(stderr, "    off=%llu len=%zu: got %zu bytes, want %zu\n", (unsigned long long)off,
                len, got, want);
        return -1000;
    }
    if (want > 0 && memcmp(buf, data + off, want) != 0) {
        fprintf(stderr, "    off=%llu len=%zu: wrong bytes\n", (unsigned long long)off, len);
        return -1001;
    }
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_ids(void)
{
    osd_blob_id_t id = make_id(42, 0xA1B2C3D4u), back;
    char name[OSD_BLOB_NAME_LEN + 1];
    osd_blob_id_format(&id, name);
    is_uint(strlen(name), OSD_BLOB_NAME_LEN, "name length");
    is_int(name[32], '.', "dot before part");
    is_str(name + 33, "a1b2c3d4", "part in lower-case hex");
    is_int(osd_blob_id_parse(name, strlen(name), &back), 0, "parse");
    ok(memcmp(back.version, id.version, 16) == 0 && back.part == id.part, "round trip");
    char bad[OSD_BLOB_NAME_LEN + 1];
    memcpy(bad, name, sizeof(bad));
    bad[33] = 'A';
    is_int(osd_blob_id_parse(bad, strlen(bad), &back), -EINVAL, "upper case refused");
    memcpy(bad, name, sizeof(bad));
    bad[32] = '_';
    is_int(osd_blob_id_parse(bad, strlen(bad), &back), -EINVAL, "no dot refused");
    is_int(osd_blob_id_parse(name, strlen(name) - 1, &back), -EINVAL, "short refused");
    is_int(osd_blob_id_parse("x.tmp", 5, &back), -EINVAL, "temp name refused");
}

static void test_open_args(void)
{
    char dir[1024];
    osd_bs_t *bs = NULL;
    new_dir(dir, sizeof(dir));
    is_int(osd_bs_open(dir, 100, &bs), -EINVAL, "piece below minimum");
    is_int(osd_bs_open(dir, OSD_BS_MAX_PIECE + 1, &bs), -EINVAL, "piece above maximum");
    ok(bs == NULL, "no store on error");
    char missing[2048];
    snprintf(missing, sizeof(missing), "%s/nope", dir);
    ok(osd_bs_open(missing, 0, &bs) < 0 && bs == NULL, "missing data dir is an error");
    bs = open_store(dir, 0);
    osd_bs_t *bs2 = NULL;
    is_int(osd_bs_open(dir, 0, &bs2), -EBUSY, "second store on one dir refused");
    osd_bs_close(bs);
    bs = open_store(dir, 0);
    ok(bs != NULL, "reopen after close");
    osd_blob_id_t id = make_id(1, 0);
    osd_bs_writer_t *w = NULL;
    is_int(osd_bs_put_begin(bs, 1, OSD_BS_MAX_PG + 1, &id, 1, &w), -EINVAL, "pg out of range");
    is_int(osd_bs_put_begin(bs, 1, 1, &id, OSD_BS_MAX_LEN + 1, &w), TN_ERR_TOO_BIG, "too big");
    ok(w == NULL, "no writer on error");
    osd_bs_close(bs);
}

static void test_round_trip(void)
{
    char dir[1024];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    static const size_t sizes[] = {0, 1, P - 1, P, P + 1, 5 * MiB};
    uint8_t *buf = malloc(5 * MiB + 16);
    for (size_t s = 0; s < TN_ARRAY_SIZE(sizes); s++) {
        size_t L = sizes[s];
        uint8_t *data = malloc(L + 1);
        fill_random(data, L);
        osd_blob_id_t id = make_id((uint32_t)s + 100, (uint32_t)s);
        is_int(put_blob(bs, 3, 17, &id, data, L), 0, "put");
        is_int(tmp_count(dir), 0, "no temp file left");

        uint64_t len = 99;
        int exists = 0;
        is_int(osd_bs_stat(bs, 3, 17, &id, &len, &exists), 0, "stat");
        ok(exists, "exists");
        is_uint(len, L, "stat length");
        is_int(osd_bs_verify(bs, 3, 17, &id), 0, "verify");

        char path[2048];
        is_int(osd_bs_path(bs, 3, 17, &id, path, sizeof(path)), 0, "path");
        size_t n = (L + P - 1) / P;
        is_int(file_size(path), (off_t)(OSD_BS_HEADER_SIZE + L + 4 * n + 4), "file size");

        /* The whole blob, and a request longer than the blob (clamped). */
        is_int(check_range(bs, 3, 17, &id, data, L, 0, L, buf), 0, "whole");
        is_int(check_range(bs, 3, 17, &id, data, L, 0, L + 10, buf), 0, "clamped");
        /* Every piece boundary b: offsets b-1, b, b+1 with lengths around a piece. */
        int fails = 0;
        static const size_t lens[] = {0, 1, P - 1, P, P + 1, 2 * P + 1};
        for (size_t k = 0; k <= n; k++) {
            for (int d = -1; d <= 1; d++) {
                if ((k == 0 && d < 0) || (uint64_t)((int64_t)(k * P) + d) > L)
                    continue;
                uint64_t off = (uint64_t)((int64_t)(k * P) + d);
                for (size_t j = 0; j < TN_ARRAY_SIZE(lens); j++)
                    fails += check_range(bs, 3, 17, &id, data, L, off, lens[j], buf) != 0;
                fails += check_range(bs, 3, 17, &id, data, L, off, L, buf) != 0; /* to end */
            }
        }
        is_int(fails, 0, "every boundary range reads back exactly");
        size_t got = 7;
        is_int(osd_bs_get(bs, 3, 17, &id, L, 10, buf, &got), 0, "offset == length");
        is_uint(got, 0, "reads 0 bytes");
        is_int(osd_bs_get(bs, 3, 17, &id, (uint64_t)L + 1, 10, buf, &got), -EINVAL,
               "offset > length is -EINVAL");
        free(data);
    }
    osd_bs_stats_t st;
    osd_bs_stats(bs, &st);
    is_uint(st.puts, TN_ARRAY_SIZE(sizes), "puts counted");
    is_uint(st.checksum_errors + st.corrupt_errors + st.put_errors, 0, "no errors counted");
    free(buf);
    osd_bs_close(bs);
}

static void test_format(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 512);
    osd_blob_id_t id = make_id(7, 0x01020304u);
    is_int(put_blob(bs, 0xDEADBEEFu, 0xABCD, &id, (const uint8_t *)"123456789", 9), 0, "put");
    is_int(osd_bs_path(bs, 0xDEADBEEFu, 0xABCD, &id, path, sizeof(path)), 0, "path");
    char name[OSD_BLOB_NAME_LEN + 1], want[2048];
    osd_blob_id_format(&id, name);
    snprintf(want, sizeof(want), "%s/blobs/deadbeef.abcd/%s", dir, name);
    is_str(path, want, "layout <dir>/blobs/<pool>.<pg>/<name>");
    size_t n = 0;
    uint8_t *f = read_file(path, &n);
    is_uint(n, 64 + 9 + 4 + 4, "size 64 + L + 4N + 4");
    is_mem(f, "TERNBLOB", 8, "magic");
    is_uint(f[8] | f[9] << 8, 1, "format version");
    is_uint(f[10] | f[11] << 8, 64, "header size");
    is_uint((uint32_t)f[12] | (uint32_t)f[13] << 8 | (uint32_t)f[14] << 16, 512, "piece size");
    is_uint(f[16], 9, "data length");
    is_mem(f + 24, id.version, 16, "version id");
    is_uint(f[40] | f[41] << 8 | f[42] << 16 | (uint32_t)f[43] << 24, 0x01020304u, "part");
    uint32_t hcrc =
        (uint32_t)f[60] | (uint32_t)f[61] << 8 | (uint32_t)f[62] << 16 | (uint32_t)f[63] << 24;
    is_uint(hcrc, crc32c(f, 60), "header CRC over bytes 0..59");
    is_mem(f + 64, "123456789", 9, "data follows the header");
    uint32_t pcrc =
        (uint32_t)f[73] | (uint32_t)f[74] << 8 | (uint32_t)f[75] << 16 | (uint32_t)f[76] << 24;
    is_uint(pcrc, 0xE3069283u, "piece CRC is standard CRC32C (check value)");
    uint32_t tcrc =
        (uint32_t)f[77] | (uint32_t)f[78] << 8 | (uint32_t)f[79] << 16 | (uint32_t)f[80] << 24;
    is_uint(tcrc, crc32c(f + 73, 4), "table CRC");
    free(f);

    /* A valid header CRC with another version or unknown flags: unsupported, not corrupt. */
    f = read_file(path, &n);
    f[8] = 2;
    uint32_t c = crc32c(f, 60);
    for (int i = 0; i < 4; i++)
        f[60 + i] = (uint8_t)(c >> (8 * i));
    write_file(path, f, n);
    size_t got;
    uint8_t buf[16];
    is_int(osd_bs_get(bs, 0xDEADBEEFu, 0xABCD, &id, 0, 9, buf, &got), TN_ERR_UNSUPPORTED,
           "format version 2 unsupported");
    f[8] = 1;
    f[44] = 1;
    c = crc32c(f, 60);
    for (int i = 0; i < 4; i++)
        f[60 + i] = (uint8_t)(c >> (8 * i));
    write_file(path, f, n);
    is_int(osd_bs_get(bs, 0xDEADBEEFu, 0xABCD, &id, 0, 9, buf, &got), TN_ERR_UNSUPPORTED,
           "unknown flag unsupported");
    free(f);

    /* A valid blob file under another blob's name: corrupt (id mismatch). */
    osd_blob_id_t other = make_id(8, 0);
    char opath[2048];
    is_int(put_blob(bs, 1, 1, &id, (const uint8_t *)"abc", 3), 0, "put");
    is_int(osd_bs_path(bs, 1, 1, &id, path, sizeof(path)), 0, "path");
    is_int(osd_bs_path(bs, 1, 1, &other, opath, sizeof(opath)), 0, "path");
    is_int(rename(path, opath), 0, "rename behind the store's back");
    is_int(osd_bs_get(bs, 1, 1, &other, 0, 3, buf, &got), TN_ERR_CORRUPT, "id mismatch");
    osd_bs_close(bs);
}

static void test_reput(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    size_t L = 3 * P + 5;
    uint8_t *data = malloc(L), *other = malloc(L), *buf = malloc(L);
    fill_random(data, L);
    memcpy(other, data, L);
    other[P + 3] ^= 1;
    osd_blob_id_t id = make_id(9, 2);
    is_int(put_blob(bs, 1, 2, &id, data, L), 0, "first put");
    is_int(osd_bs_path(bs, 1, 2, &id, path, sizeof(path)), 0, "path");
    struct stat st1, st2;
    stat(path, &st1);
    is_int(put_blob(bs, 1, 2, &id, data, L), 0, "same put again succeeds");
    stat(path, &st2);
    is_uint(st2.st_ino, st1.st_ino, "existing file kept, not replaced");
    is_int(tmp_count(dir), 0, "no temp left");
    is_int(check_range(bs, 1, 2, &id, data, L, 0, L, buf), 0, "content intact");

    is_int(put_blob(bs, 1, 2, &id, other, L), -EEXIST, "same id, different content refused");
    is_int(put_blob(bs, 1, 2, &id, data, L - 1), -EEXIST, "same id, different length refused");
    is_int(check_range(bs, 1, 2, &id, data, L, 0, L, buf), 0, "old content kept");
    is_int(tmp_count(dir), 0, "no temp left");

    /* A damaged copy is replaced by a re-put (repair). */
    flip_byte(path, 64 + 2 * P + 1);
    size_t got;
    is_int(osd_bs_get(bs, 1, 2, &id, 0, L, buf, &got), TN_ERR_CHECKSUM, "damaged");
    is_int(put_blob(bs, 1, 2, &id, data, L), 0, "re-put over damaged copy");
    is_int(osd_bs_verify(bs, 1, 2, &id), 0, "repaired");
    is_int(check_range(bs, 1, 2, &id, data, L, 0, L, buf), 0, "content repaired");
    free(data);
    free(other);
    free(buf);
    osd_bs_close(bs);
}

static void test_delete(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    osd_blob_id_t id = make_id(11, 0), keep = make_id(12, 0);
    is_int(put_blob(bs, 5, 5, &id, (const uint8_t *)"hello", 5), 0, "put");
    is_int(put_blob(bs, 5, 5, &keep, (const uint8_t *)"world", 5), 0, "put other");
    is_int(osd_bs_delete(bs, 5, 5, &id), 0, "delete");
    is_int(osd_bs_path(bs, 5, 5, &id, path, sizeof(path)), 0, "path");
    ok(!file_exists(path), "file gone");
    uint8_t buf[8];
    size_t got;
    is_int(osd_bs_get(bs, 5, 5, &id, 0, 5, buf, &got), TN_ERR_NOT_FOUND, "get after delete");
    int exists = 1;
    is_int(osd_bs_stat(bs, 5, 5, &id, NULL, &exists), 0, "stat after delete");
    is_int(exists, 0, "does not exist");
    is_int(osd_bs_delete(bs, 5, 5, &id), TN_ERR_NOT_FOUND, "delete twice");
    is_int(osd_bs_delete(bs, 5, 6, &id), TN_ERR_NOT_FOUND, "delete in missing PG");
    is_int(check_range(bs, 5, 5, &keep, (const uint8_t *)"world", 5, 0, 5, buf), 0,
           "other blob intact");
    osd_bs_close(bs);
}

struct seen {
    osd_blob_id_t ids[16];
    int n;
    int stop_after;
};

static int on_blob(void *arg, const osd_blob_id_t *id)
{
    struct seen *s = arg;
    if (s->n < 16)
        s->ids[s->n] = *id;
    s->n++;
    return s->stop_after > 0 && s->n >= s->stop_after ? 77 : 0;
}

static int seen_has(const struct seen *s, const osd_blob_id_t *id)
{
    for (int i = 0; i < s->n && i < 16; i++)
        if (memcmp(s->ids[i].version, id->version, 16) == 0 && s->ids[i].part == id->part)
            return 1;
    return 0;
}

static void test_list_pg(void)
{
    char dir[1024], junk[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    osd_blob_id_t a[5], b[2];
    for (uint32_t i = 0; i < 5; i++) {
        a[i] = make_id(20 + i, i);
        is_int(put_blob(bs, 2, 7, &a[i], (const uint8_t *)"x", 1), 0, "put in pg 7");
    }
    for (uint32_t i = 0; i < 2; i++) {
        b[i] = make_id(40 + i, 0);
        is_int(put_blob(bs, 2, 8, &b[i], (const uint8_t *)"y", 1), 0, "put in pg 8");
    }
    snprintf(junk, sizeof(junk), "%s/blobs/00000002.0007/notablob", dir);
    write_file(junk, "z", 1);

    struct seen s = {.n = 0};
    is_int(osd_bs_list_pg(bs, 2, 7, on_blob, &s), 0, "list pg 7");
    is_int(s.n, 5, "five blobs, junk skipped");
    int all = 1;
    for (int i = 0; i < 5; i++)
        all &= seen_has(&s, &a[i]);
    ok(all, "exactly the blobs put there");
    ok(!seen_has(&s, &b[0]) && !seen_has(&s, &b[1]), "none from pg 8");

    memset(&s, 0, sizeof(s));
    is_int(osd_bs_list_pg(bs, 2, 8, on_blob, &s), 0, "list pg 8");
    is_int(s.n, 2, "two blobs");
    memset(&s, 0, sizeof(s));
    is_int(osd_bs_list_pg(bs, 2, 9, on_blob, &s), 0, "list a PG without directory");
    is_int(s.n, 0, "no blobs");
    memset(&s, 0, sizeof(s));
    s.stop_after = 2;
    is_int(osd_bs_list_pg(bs, 2, 7, on_blob, &s), 77, "callback value stops the listing");
    is_int(s.n, 2, "stopped after two");
    is_int(osd_bs_delete(bs, 2, 7, &a[0]), 0, "delete one");
    memset(&s, 0, sizeof(s));
    is_int(osd_bs_list_pg(bs, 2, 7, on_blob, &s), 0, "list again");
    ok(s.n == 4 && !seen_has(&s, &a[0]), "deleted blob no longer listed");
    osd_bs_close(bs);
}

static void test_checksum(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    size_t L = 4 * P + 100; /* pieces 0..4, the last one 100 bytes */
    uint8_t *data = malloc(L), *buf = malloc(L);
    fill_random(data, L);
    osd_blob_id_t id = make_id(50, 0);
    is_int(put_blob(bs, 1, 1, &id, data, L), 0, "put");
    is_int(osd_bs_path(bs, 1, 1, &id, path, sizeof(path)), 0, "path");
    flip_byte(path, 64 + 2 * P + 1000); /* inside piece 2 */

    size_t got = 1;
    osd_bs_stats_t st;
    is_int(osd_bs_get(bs, 1, 1, &id, 0, L, buf, &got), TN_ERR_CHECKSUM, "whole read fails");
    is_uint(got, 0, "got is 0 on error");
    is_int(osd_bs_get(bs, 1, 1, &id, 2 * P + 1000, 1, buf, &got), TN_ERR_CHECKSUM,
           "the flipped byte alone");
    is_int(osd_bs_get(bs, 1, 1, &id, 2 * P, 1, buf, &got), TN_ERR_CHECKSUM,
           "another byte of the damaged piece");
    is_int(osd_bs_get(bs, 1, 1, &id, 2 * P - 1, 2, buf, &got), TN_ERR_CHECKSUM,
           "range straddling into the piece");
    is_int(osd_bs_get(bs, 1, 1, &id, 3 * P - 1, P, buf, &got), TN_ERR_CHECKSUM,
           "range straddling out of the piece");
    is_int(osd_bs_verify(bs, 1, 1, &id), TN_ERR_CHECKSUM, "verify fails");
    osd_bs_stats(bs, &st);
    is_uint(st.checksum_errors, 6, "each failure counted");

    is_int(check_range(bs, 1, 1, &id, data, L, 0, 2 * P, buf), 0, "pieces 0-1 fine");
    is_int(check_range(bs, 1, 1, &id, data, L, 3 * P, L - 3 * P, buf), 0, "pieces 3-4 fine");
    is_int(check_range(bs, 1, 1, &id, data, L, 2 * P - 10, 10, buf), 0, "up to the piece fine");
    is_int(check_range(bs, 1, 1, &id, data, L, 3 * P, 1, buf), 0, "just after the piece fine");
    int exists = 0;
    is_int(osd_bs_stat(bs, 1, 1, &id, NULL, &exists), 0, "stat checks header only");
    osd_bs_stats(bs, &st);
    is_uint(st.checksum_errors, 6, "successes not counted");

    /* A damaged table entry fails its piece; a damaged table CRC fails whole reads only. */
    flip_byte(path, 64 + 2 * P + 1000); /* undo */
    is_int(osd_bs_verify(bs, 1, 1, &id), 0, "undone");
    size_t n = 5;
    flip_byte(path, (off_t)(64 + L + 4 * 1)); /* entry of piece 1 */
    is_int(osd_bs_get(bs, 1, 1, &id, P + 5, 1, buf, &got), TN_ERR_CHECKSUM, "bad entry");
    is_int(check_range(bs, 1, 1, &id, data, L, 0, P, buf), 0, "piece 0 fine");
    flip_byte(path, (off_t)(64 + L + 4 * 1));
    flip_byte(path, (off_t)(64 + L + 4 * n)); /* the table CRC */
    is_int(osd_bs_get(bs, 1, 1, &id, 0, L, buf, &got), TN_ERR_CHECKSUM, "bad table CRC");
    is_int(osd_bs_verify(bs, 1, 1, &id), TN_ERR_CHECKSUM, "verify sees bad table CRC");
    is_int(check_range(bs, 1, 1, &id, data, L, 0, 4 * P, buf), 0,
           "read not covering every piece: fine");
    is_int(osd_bs_get(bs, 1, 1, &id, 0, L - 1, buf, &got), TN_ERR_CHECKSUM,
           "read touching every piece checks the table CRC");
    free(data);
    free(buf);
    osd_bs_close(bs);
}

static void test_corrupt(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    size_t L = 2 * P + 7;
    uint8_t *data = malloc(L), *buf = malloc(L + 100);
    fill_random(data, L);
    osd_blob_id_t id = make_id(60, 1);
    is_int(put_blob(bs, 1, 1, &id, data, L), 0, "put");
    is_int(osd_bs_path(bs, 1, 1, &id, path, sizeof(path)), 0, "path");
    size_t flen = 0;
    uint8_t *orig = read_file(path, &flen);
    size_t got;
    int exists;
    osd_bs_stats_t st0, st;
    osd_bs_stats(bs, &st0);

    int bad = 0;
    for (off_t off = 0; off < OSD_BS_HEADER_SIZE; off++) {
        flip_byte(path, off);
        bad += osd_bs_get(bs, 1, 1, &id, 0, 1, buf, &got) != TN_ERR_CORRUPT;
        bad += osd_bs_stat(bs, 1, 1, &id, NULL, &exists) != TN_ERR_CORRUPT;
        flip_byte(path, off);
    }
    is_int(bad, 0, "a flip in any header byte: TN_ERR_CORRUPT for get and stat");
    osd_bs_stats(bs, &st);
    is_uint(st.corrupt_errors - st0.corrupt_errors, 2 * OSD_BS_HEADER_SIZE, "counted");
    is_uint(st.checksum_errors, 0, "not a checksum error");

    is_int(truncate(path, (off_t)flen - 1), 0, "truncate by one");
    is_int(osd_bs_get(bs, 1, 1, &id, 0, 1, buf, &got), TN_ERR_CORRUPT, "truncated");
    is_int(osd_bs_stat(bs, 1, 1, &id, NULL, &exists), TN_ERR_CORRUPT, "stat: not absent");
    is_int(truncate(path, 64 + 100), 0, "truncate into the data");
    is_int(osd_bs_get(bs, 1, 1, &id, 0, 1, buf, &got), TN_ERR_CORRUPT, "truncated in data");
    is_int(truncate(path, 10), 0, "truncate into the header");
    is_int(osd_bs_get(bs, 1, 1, &id, 0, 1, buf, &got), TN_ERR_CORRUPT, "truncated header");
    is_int(truncate(path, 0), 0, "empty file");
    is_int(osd_bs_get(bs, 1, 1, &id, 0, 1, buf, &got), TN_ERR_CORRUPT, "empty");
    is_int(osd_bs_verify(bs, 1, 1, &id), TN_ERR_CORRUPT, "verify: empty");

    write_file(path, orig, flen);
    is_int(check_range(bs, 1, 1, &id, data, L, 0, L, buf), 0, "restored");
    uint8_t *longer = malloc(flen + 3);
    memcpy(longer, orig, flen);
    memcpy(longer + flen, "JNK", 3);
    write_file(path, longer, flen + 3);
    is_int(osd_bs_get(bs, 1, 1, &id, 0, 1, buf, &got), TN_ERR_CORRUPT, "junk appended");
    is_int(osd_bs_verify(bs, 1, 1, &id), TN_ERR_CORRUPT, "verify: junk appended");
    free(longer);
    free(orig);
    free(data);
    free(buf);
    osd_bs_close(bs);
}

static void test_temp_leftovers(void)
{
    char dir[1024], p[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    osd_bs_close(bs);
    snprintf(p, sizeof(p), "%s/tmp/0123-4567.tmp", dir);
    write_file(p, "partial", 7);
    snprintf(p, sizeof(p), "%s/tmp/other.tmp", dir);
    write_file(p, "", 0);
    snprintf(p, sizeof(p), "%s/tmp/keep.txt", dir);
    write_file(p, "not ours", 8);
    bs = open_store(dir, 0);
    osd_bs_stats_t st;
    osd_bs_stats(bs, &st);
    is_uint(st.temp_removed, 2, "two temp files removed");
    is_int(tmp_count(dir), 1, "only the foreign file is left");
    ok(file_exists(p), "foreign file kept");
    osd_bs_close(bs);
}

static void test_crash_before_rename(void)
{
    char dir[1024];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    osd_blob_id_t id = make_id(70, 0);
    size_t L = 2 * P;
    uint8_t *data = malloc(L);
    fill_random(data, L);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* The "crashing" OSD: writes everything, dies before put_end's rename. */
        osd_bs_writer_t *w = NULL;
        if (osd_bs_put_begin(bs, 4, 4, &id, L, &w) != 0 || osd_bs_put_data(w, data, L) != 0)
            _exit(1);
        _exit(0);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child wrote and died");
    is_int(tmp_count(dir), 1, "temp file left behind");
    uint8_t buf[16];
    size_t got;
    is_int(osd_bs_get(bs, 4, 4, &id, 0, 16, buf, &got), TN_ERR_NOT_FOUND, "nothing visible");
    struct seen s = {.n = 0};
    is_int(osd_bs_list_pg(bs, 4, 4, on_blob, &s), 0, "list");
    is_int(s.n, 0, "nothing listed");
    osd_bs_close(bs);
    bs = open_store(dir, 0);
    osd_bs_stats_t st;
    osd_bs_stats(bs, &st);
    is_uint(st.temp_removed, 1, "restart removed the temp file");
    is_int(tmp_count(dir), 0, "tmp/ empty");
    is_int(osd_bs_get(bs, 4, 4, &id, 0, 16, buf, &got), TN_ERR_NOT_FOUND, "still nothing");
    is_int(put_blob(bs, 4, 4, &id, data, L), 0, "the retried put succeeds");
    free(data);
    osd_bs_close(bs);
}

static void test_enospc(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    size_t L = 3 * P;
    uint8_t *data = malloc(L), *buf = malloc(L);
    fill_random(data, L);
    osd_blob_id_t good = make_id(80, 0), id = make_id(81, 0);
    is_int(put_blob(bs, 1, 1, &good, data, L), 0, "put a good blob");
    is_int(osd_bs_path(bs, 1, 1, &id, path, sizeof(path)), 0, "path");

    /* During data. */
    osd_bs_writer_t *w = NULL;
    is_int(osd_bs_put_begin(bs, 1, 1, &id, L, &w), 0, "begin");
    is_int(osd_bs_put_data(w, data, P), 0, "first data ok");
    osd_disk_inject(OSD_DISK_WRITE, ENOSPC, 0);
    is_int(osd_bs_put_data(w, data + P, P), -ENOSPC, "ENOSPC during data");
    is_int(osd_disk_inject_pending(OSD_DISK_WRITE), 0, "injection fired");
    is_int(tmp_count(dir), 0, "temp removed at once");
    is_int(osd_bs_put_data(w, data + P, P), -ENOSPC, "writer stays dead");
    is_int(osd_bs_put_end(w), -ENOSPC, "end reports it");
    ok(!file_exists(path), "no final file");
    is_int(check_range(bs, 1, 1, &good, data, L, 0, L, buf), 0, "other blob readable");

    /* During put_end (writing the piece table). */
    is_int(osd_bs_put_begin(bs, 1, 1, &id, L, &w), 0, "begin");
    is_int(osd_bs_put_data(w, data, L), 0, "data");
    osd_disk_inject(OSD_DISK_WRITE, ENOSPC, 0);
    is_int(osd_bs_put_end(w), -ENOSPC, "ENOSPC in put_end");
    is_int(osd_disk_inject_pending(OSD_DISK_WRITE), 0, "injection fired");
    ok(!file_exists(path), "no final file");
    is_int(tmp_count(dir), 0, "temp removed");
    is_int(check_range(bs, 1, 1, &good, data, L, 0, L, buf), 0, "other blob readable");

    /* Creating the temp file, and writing the header. */
    osd_disk_inject(OSD_DISK_OPEN, ENOSPC, 0);
    is_int(osd_bs_put_begin(bs, 1, 1, &id, L, &w), -ENOSPC, "ENOSPC creating the temp");
    ok(w == NULL, "no writer");
    osd_disk_inject(OSD_DISK_WRITE, ENOSPC, 0);
    is_int(osd_bs_put_begin(bs, 1, 1, &id, L, &w), -ENOSPC, "ENOSPC writing the header");
    is_int(tmp_count(dir), 0, "temp removed");

    osd_bs_stats_t st;
    osd_bs_stats(bs, &st);
    is_uint(st.put_errors, 4, "failed writes counted");
    is_int(st.fsync_failed, 0, "ENOSPC is not fatal");
    is_int(put_blob(bs, 1, 1, &id, data, L), 0, "space back: put succeeds");
    is_int(check_range(bs, 1, 1, &id, data, L, 0, L, buf), 0, "and reads back");
    free(data);
    free(buf);
    osd_bs_close(bs);
}

static void test_io_errors(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    size_t L = 2 * P + 1;
    uint8_t *data = malloc(L), *buf = malloc(L);
    fill_random(data, L);
    osd_blob_id_t good = make_id(90, 0), id = make_id(91, 0);
    is_int(put_blob(bs, 1, 1, &good, data, L), 0, "put");
    size_t got;
    osd_disk_inject(OSD_DISK_READ, EIO, 1); /* header read passes, the next read fails */
    is_int(osd_bs_get(bs, 1, 1, &good, 0, L, buf, &got), -EIO, "EIO on read is returned");
    is_int(osd_disk_inject_pending(OSD_DISK_READ), 0, "fired");
    is_int(check_range(bs, 1, 1, &good, data, L, 0, L, buf), 0, "next read fine");

    is_int(osd_bs_path(bs, 1, 1, &id, path, sizeof(path)), 0, "path");
    osd_disk_inject(OSD_DISK_RENAME, EIO, 0);
    is_int(put_blob(bs, 1, 1, &id, data, L), -EIO, "failed rename");
    ok(!file_exists(path), "nothing visible");
    is_int(tmp_count(dir), 0, "temp removed");
    osd_disk_inject(OSD_DISK_MKDIR, EACCES, 0);
    is_int(put_blob(bs, 1, 2, &id, data, L), -EACCES, "failed PG mkdir");
    is_int(tmp_count(dir), 0, "temp removed");
    osd_disk_inject(OSD_DISK_UNLINK, EIO, 0);
    is_int(osd_bs_delete(bs, 1, 1, &good), -EIO, "failed unlink");
    is_int(check_range(bs, 1, 1, &good, data, L, 0, L, buf), 0, "blob still there");
    osd_bs_stats_t st;
    osd_bs_stats(bs, &st);
    is_int(st.fsync_failed, 0, "not fatal");
    is_int(put_blob(bs, 1, 1, &id, data, L), 0, "later put works");

    /* Too many / too few bytes. */
    osd_bs_writer_t *w = NULL;
    is_int(osd_bs_put_begin(bs, 1, 1, &good, 10, &w), 0, "begin");
    is_int(osd_bs_put_data(w, data, 11), TN_ERR_TOO_BIG, "more than announced");
    is_int(osd_bs_put_end(w), TN_ERR_TOO_BIG, "end reports it");
    is_int(osd_bs_put_begin(bs, 1, 1, &good, 10, &w), 0, "begin");
    is_int(osd_bs_put_data(w, data, 9), 0, "9 of 10");
    is_int(osd_bs_put_end(w), -EINVAL, "fewer than announced");
    is_int(tmp_count(dir), 0, "temps removed");
    is_int(check_range(bs, 1, 1, &good, data, L, 0, L, buf), 0, "existing blob untouched");

    /* Abort. */
    is_int(osd_bs_put_begin(bs, 1, 3, &id, L, &w), 0, "begin");
    is_int(osd_bs_put_data(w, data, 100), 0, "data");
    is_int(tmp_count(dir), 1, "temp file exists while writing");
    osd_bs_put_abort(w);
    is_int(tmp_count(dir), 0, "abort removes it");
    int exists = 1;
    is_int(osd_bs_stat(bs, 1, 3, &id, NULL, &exists), 0, "stat");
    is_int(exists, 0, "nothing visible after abort");
    osd_bs_put_abort(NULL);
    free(data);
    free(buf);
    osd_bs_close(bs);
}

static void check_fsync_fatal(osd_disk_op_t op, const char *what)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    size_t L = P + 3;
    uint8_t *data = malloc(L), *buf = malloc(L);
    fill_random(data, L);
    osd_blob_id_t good = make_id(100, 0), id = make_id(101, 0), id2 = make_id(102, 0);
    is_int(put_blob(bs, 1, 1, &good, data, L), 0, "put");
    is_int(osd_bs_path(bs, 1, 1, &id, path, sizeof(path)), 0, "path");
    osd_disk_inject(op, EIO, 0);
    is_int(put_blob(bs, 1, 1, &id, data, L), -EIO, what);
    is_int(osd_disk_inject_pending(op), 0, "fired");
    if (op == OSD_DISK_FSYNC)
        ok(!file_exists(path), "nothing visible");
    is_int(tmp_count(dir), 0, "temp removed");
    osd_bs_stats_t st;
    osd_bs_stats(bs, &st);
    is_int(st.fsync_failed, 1, "store marked fsync-failed");
    osd_bs_writer_t *w = NULL;
    is_int(osd_bs_put_begin(bs, 1, 1, &id2, L, &w), -EIO, "later put_begin refused");
    ok(w == NULL, "no writer");
    is_int(put_blob(bs, 1, 9, &id2, data, L), -EIO, "puts to other PGs refused");
    is_int(osd_bs_delete(bs, 1, 1, &good), -EIO, "delete refused");
    is_int(check_range(bs, 1, 1, &good, data, L, 0, L, buf), 0, "reads still work");
    is_int(osd_bs_verify(bs, 1, 1, &good), 0, "verify still works");
    free(data);
    free(buf);
    osd_bs_close(bs);
}

static void test_fsync_fatal(void)
{
    check_fsync_fatal(OSD_DISK_FSYNC, "failed file fsync fails the put");
    check_fsync_fatal(OSD_DISK_FSYNC_DIR, "failed directory fsync fails the put");

    /* A writer begun before the failure cannot finish after it. */
    char dir[1024];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    osd_blob_id_t a = make_id(110, 0), b = make_id(111, 0);
    osd_bs_writer_t *w = NULL;
    is_int(osd_bs_put_begin(bs, 1, 1, &a, 3, &w), 0, "begin a");
    is_int(osd_bs_put_data(w, "abc", 3), 0, "data a");
    osd_disk_inject(OSD_DISK_FSYNC, EIO, 0);
    is_int(put_blob(bs, 1, 1, &b, (const uint8_t *)"xyz", 3), -EIO, "b's fsync fails");
    is_int(osd_bs_put_end(w), -EIO, "a refused at end");
    is_int(tmp_count(dir), 0, "temps removed");
    osd_bs_close(bs);
}

static void test_partial_io(void)
{
    char dir[1024];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 4096);
    size_t L = 200 * 1000 + 17;
    uint8_t *data = malloc(L), *buf = malloc(L);
    fill_random(data, L);
    osd_blob_id_t id = make_id(120, 3);
    osd_disk_inject_partial(1);
    is_int(put_blob(bs, 1, 1, &id, data, L), 0, "put with short writes and EINTR");
    is_int(check_range(bs, 1, 1, &id, data, L, 0, L, buf), 0, "read with short reads and EINTR");
    is_int(check_range(bs, 1, 1, &id, data, L, 4095, 4098, buf), 0, "range");
    osd_disk_inject_partial(0);
    is_int(osd_bs_verify(bs, 1, 1, &id), 0, "verify");
    is_int(check_range(bs, 1, 1, &id, data, L, 0, L, buf), 0, "normal read");
    free(data);
    free(buf);
    osd_bs_close(bs);
}

typedef struct {
    uint64_t n[OSD_DISK_OP_COUNT];
} op_counts_t;

static op_counts_t counts_now(void)
{
    op_counts_t c;
    for (int i = 0; i < OSD_DISK_OP_COUNT; i++)
        c.n[i] = osd_disk_op_count((osd_disk_op_t)i);
    return c;
}

static uint64_t delta(const op_counts_t *before, osd_disk_op_t op)
{
    return osd_disk_op_count(op) - before->n[op];
}

/* Rule 6: fsync the file before the rename, the directory after, and the parent after mkdir. */
static void test_write_sequence(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 0);
    osd_blob_id_t a = make_id(130, 0), b = make_id(131, 0);
    op_counts_t c = counts_now();
    is_int(put_blob(bs, 6, 1, &a, (const uint8_t *)"aaaa", 4), 0, "put into a new PG");
    is_uint(delta(&c, OSD_DISK_FSYNC), 1, "file fsynced");
    is_uint(delta(&c, OSD_DISK_MKDIR), 1, "PG directory made");
    is_uint(delta(&c, OSD_DISK_FSYNC_DIR), 2, "blobs/ and the PG directory fsynced");
    is_uint(delta(&c, OSD_DISK_RENAME), 1, "renamed");
    c = counts_now();
    is_int(put_blob(bs, 6, 1, &b, (const uint8_t *)"bbbb", 4), 0, "put into that PG again");
    is_uint(delta(&c, OSD_DISK_FSYNC), 1, "file fsynced");
    is_uint(delta(&c, OSD_DISK_FSYNC_DIR), 1, "only the PG directory fsynced");
    c = counts_now();
    is_int(put_blob(bs, 6, 1, &b, (const uint8_t *)"bbbb", 4), 0, "re-put");
    is_uint(delta(&c, OSD_DISK_RENAME), 0, "existing copy kept");
    is_uint(delta(&c, OSD_DISK_FSYNC_DIR), 1, "PG directory fsynced anyway");
    c = counts_now();
    is_int(osd_bs_delete(bs, 6, 1, &b), 0, "delete");
    is_uint(delta(&c, OSD_DISK_UNLINK), 1, "unlinked");
    is_uint(delta(&c, OSD_DISK_FSYNC_DIR), 1, "PG directory fsynced");

    /* The parent fsync after mkdir comes before the rename: when it fails, nothing is
     * visible and the store turns read-only. */
    osd_blob_id_t x = make_id(132, 0);
    is_int(osd_bs_path(bs, 6, 2, &x, path, sizeof(path)), 0, "path");
    osd_disk_inject(OSD_DISK_FSYNC_DIR, EIO, 0);
    is_int(put_blob(bs, 6, 2, &x, (const uint8_t *)"xxxx", 4), -EIO, "blobs/ fsync fails");
    is_int(osd_disk_inject_pending(OSD_DISK_FSYNC_DIR), 0, "fired");
    ok(!file_exists(path), "not renamed into place");
    osd_bs_stats_t st;
    osd_bs_stats(bs, &st);
    is_int(st.fsync_failed, 1, "fatal");
    osd_bs_close(bs);
}

/* Blobs keep their own piece size: a store reopened with another one reads them. */
static void test_piece_size_change(void)
{
    char dir[1024];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 512);
    size_t L = 5000;
    uint8_t *data = malloc(L), *buf = malloc(L);
    fill_random(data, L);
    osd_blob_id_t id = make_id(140, 0);
    is_int(put_blob(bs, 1, 1, &id, data, L), 0, "put with 512-byte pieces");
    osd_bs_close(bs);
    bs = open_store(dir, 0);
    is_int(check_range(bs, 1, 1, &id, data, L, 511, 1026, buf), 0, "read with default pieces");
    is_int(osd_bs_verify(bs, 1, 1, &id), 0, "verify");
    is_int(put_blob(bs, 1, 1, &id, data, L), 0, "re-put with another piece size is accepted");
    free(data);
    free(buf);
    osd_bs_close(bs);
}

/* Random damage anywhere in a blob file: every read either fails or returns the right bytes. */
static void test_random_damage(void)
{
    char dir[1024], path[2048];
    new_dir(dir, sizeof(dir));
    osd_bs_t *bs = open_store(dir, 512);
    size_t L = 7 * 512 + 100;
    uint8_t *data = malloc(L), *buf = malloc(L + 64);
    fill_random(data, L);
    osd_blob_id_t id = make_id(150, 0);
    is_int(put_blob(bs, 1, 1, &id, data, L), 0, "put");
    is_int(osd_bs_path(bs, 1, 1, &id, path, sizeof(path)), 0, "path");
    size_t flen = 0;
    uint8_t *orig = read_file(path, &flen);
    uint8_t *mut = malloc(flen + 64);
    int wrong = 0, errors = 0, successes = 0;
    for (int iter = 0; iter < 400; iter++) {
        memcpy(mut, orig, flen);
        size_t mlen = flen;
        int kind = (int)(rnd() % 4);
        if (kind <= 1) { /* flip 1..4 random bytes */
            int flips = 1 + (int)(rnd() % 4);
            for (int f = 0; f < flips; f++)
                mut[rnd() % flen] ^= (uint8_t)(1 + rnd() % 255);
        } else if (kind == 2) { /* truncate */
            mlen = (size_t)(rnd() % flen);
        } else { /* extend with junk */
            size_t extra = 1 + (size_t)(rnd() % 64);
            fill_random(mut + flen, extra);
            mlen = flen + extra;
        }
        write_file(path, mut, mlen);
        for (int r = 0; r < 6; r++) {
            uint64_t off = rnd() % (L + 1);
            size_t len = (size_t)(rnd() % (L + 10));
            size_t got = 0;
            int rc = osd_bs_get(bs, 1, 1, &id, off, len, buf, &got);
            if (rc == 0) {
                successes++;
                size_t want = TN_MIN(len, L - (size_t)off);
                wrong += got != want || memcmp(buf, data + off, want) != 0;
            } else {
                errors++;
                wrong += rc != TN_ERR_CHECKSUM && rc != TN_ERR_CORRUPT;
            }
        }
    }
    is_int(wrong, 0, "no wrong bytes, only checksum/corrupt errors");
    ok(errors > 0 && successes > 0, "both outcomes happened");
    free(mut);
    free(orig);
    free(data);
    free(buf);
    osd_bs_close(bs);
}

#define THREADS    4
#define PER_THREAD 12
static osd_bs_t *shared_bs;

static void *worker(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    uint64_t seed = 0x1234567 + t * 7919;
    int failures = 0;
    uint8_t *data = malloc(3 * P), *buf = malloc(3 * P);
    for (uint32_t i = 0; i < PER_THREAD; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t L = (size_t)(seed >> 33) % (3 * P);
        for (size_t k = 0; k < L; k++)
            data[k] = (uint8_t)(k * 31 + t + i);
        osd_blob_id_t id = make_id(1000 + (uint32_t)t, i);
        uint32_t pg = i % 3; /* threads share PG directories, created concurrently */
        osd_bs_writer_t *w = NULL;
        if (osd_bs_put_begin(shared_bs, 9, pg, &id, L, &w) != 0) {
            failures++;
            continue;
        }
        size_t done = 0;
        while (done < L) {
            size_t n = TN_MIN((size_t)1000 + i * 333, L - done);
            failures += osd_bs_put_data(w, data + done, n) != 0;
            done += n;
        }
        failures += osd_bs_put_end(w) != 0;
        size_t got = 0;
        failures += osd_bs_get(shared_bs, 9, pg, &id, 0, L, buf, &got) != 0;
        failures += got != L || memcmp(buf, data, L) != 0;
    }
    free(data);
    free(buf);
    return (void *)(uintptr_t)failures;
}

static void test_threads(void)
{
    char dir[1024];
    new_dir(dir, sizeof(dir));
    shared_bs = open_store(dir, 0);
    pthread_t th[THREADS];
    for (uintptr_t t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)t);
    uintptr_t failures = 0;
    for (int t = 0; t < THREADS; t++) {
        void *r;
        pthread_join(th[t], &r);
        failures += (uintptr_t)r;
    }
    is_uint(failures, 0, "concurrent puts and gets on different blobs");
    osd_bs_stats_t st;
    osd_bs_stats(shared_bs, &st);
    is_uint(st.puts, THREADS * PER_THREAD, "every put counted");
    is_int(tmp_count(dir), 0, "no temps left");
    osd_bs_close(shared_bs);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof(root), "%s/tern-osdblob-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    /* The error paths log loudly by design; keep the test output readable. */
    if (getenv("TERN_TEST_VERBOSE") == NULL)
        tn_log_set_level((tn_log_level_t)(TN_LOG_ERROR + 1));

    subtest("ids", test_ids);
    subtest("open arguments and lock", test_open_args);
    subtest("round trip and boundary ranges", test_round_trip);
    subtest("on-disk format", test_format);
    subtest("re-put", test_reput);
    subtest("delete", test_delete);
    subtest("list_pg", test_list_pg);
    subtest("checksum errors", test_checksum);
    subtest("corrupt files", test_corrupt);
    subtest("temp leftovers", test_temp_leftovers);
    subtest("crash before rename", test_crash_before_rename);
    subtest("ENOSPC", test_enospc);
    subtest("I/O errors, abort, length checks", test_io_errors);
    subtest("fsync failure is fatal", test_fsync_fatal);
    subtest("short transfers and EINTR", test_partial_io);
    subtest("write sequence (rule 6)", test_write_sequence);
    subtest("piece size change", test_piece_size_change);
    subtest("random damage never yields wrong bytes", test_random_damage);
    subtest("threads", test_threads);
    osd_disk_inject_reset();

    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    ok(!file_exists(root), "temp root removed");
    return tt_done();
}
