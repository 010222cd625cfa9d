/*
 * osd_ident.c — this file implements the data directory identity of osd_ident.h and the two
 * durable file system helpers the daemon needs outside the stores (mkdir -p, atomic write).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "osd_disk.h"
#include "osd_ident.h"
#include "tn_hex.h"

static int parent_of(const char *path, char *out, size_t cap)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    while (n > 0 && path[n - 1] != '/')
        n--;
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 0) {
        if (cap < 2)
            return -ENAMETOOLONG;
        strcpy(out, ".");
        return 0;
    }
    if (n + 1 > cap)
        return -ENAMETOOLONG;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

int osd_mkdir_p(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
    if (errno != ENOENT)
        return -errno;
    char parent[4096];
    int rc = parent_of(path, parent, sizeof(parent));
    if (rc != 0)
        return rc;
    if (strcmp(parent, path) != 0 && strcmp(parent, ".") != 0 && strcmp(parent, "/") != 0) {
        rc = osd_mkdir_p(parent);
        if (rc != 0)
            return rc;
    }
    rc = osd_disk_mkdir(path, 0755);
    if (rc != 0 && rc != -EEXIST)
        return rc;
    return osd_disk_fsync_dir(parent);
}

int osd_write_file_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    char tmp[4096], final[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name) >= sizeof(tmp) ||
        (size_t)snprintf(final, sizeof(final), "%s/%s", dir, name) >= sizeof(final))
        return -ENAMETOOLONG;
    int fd = osd_disk_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fd;
    int rc = osd_disk_pwrite_full(fd, data, len, 0);
    if (rc == 0)
        rc = osd_disk_fsync(fd);
    int crc = osd_disk_close(fd);
    if (rc == 0)
        rc = crc;
    if (rc == 0)
        rc = osd_disk_rename(tmp, final);
    if (rc != 0) {
        osd_disk_unlink(tmp);
        return rc;
    }
    return osd_disk_fsync_dir(dir);
}

/* 1 if dir has no entries besides . and .., 0 if it has some, -errno. */
static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -errno;
    int empty = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

static int ident_parse(const char *text, osd_ident_t *out)
{
    char hex[40], inc[40];
    unsigned version;
    unsigned long osd;
    int used = 0;
    if (sscanf(text, "tern-osd-ident %u\ncluster=%32[0-9a-f]\nosd=%lu\nincarnation=%16[0-9a-f]\n%n",
               &version, hex, &osd, inc, &used) != 4 ||
        used == 0 || text[used] != '\0')
        return TN_ERR_CORRUPT;
    if (version != OSD_IDENT_VERSION)
        return TN_ERR_UNSUPPORTED;
    if (strlen(hex) != 32 || strlen(inc) != 16 || osd > 65535)
        return TN_ERR_CORRUPT;
    size_t n = 0;
    if (tn_hex_decode(hex, 32, out->cluster, sizeof(out->cluster), &n) != 0 || n != 16)
        return TN_ERR_CORRUPT;
    out->osd_id = (uint32_t)osd;
    out->incarnation = strtoull(inc, NULL, 16);
    return out->incarnation == 0 ? TN_ERR_CORRUPT : 0;
}

int osd_ident_ensure(const char *data_dir, const uint8_t cluster[16], uint32_t osd_id,
                     osd_ident_t *out, int *created, char *why, size_t whylen)
{
    char path[4096], want_hex[33], have_hex[33];
    tn_hex_encode(want_hex, cluster, 16);
    *created = 0;
    int rc = osd_mkdir_p(data_dir);
    if (rc != 0) {
        snprintf(why, whylen, "cannot create data directory %s: %s", data_dir, tn_strerror(rc));
        return rc;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir, OSD_IDENT_FILE) >= sizeof(path))
        return -ENAMETOOLONG;
    int fd = osd_disk_open(path, O_RDONLY, 0);
    if (fd == -ENOENT) {
        int empty = dir_is_empty(data_dir);
        if (empty < 0)
            return empty;
        if (!empty) {
            snprintf(why, whylen,
                     "data directory %s is not empty and has no %s: it may hold another "
                     "program's or an older OSD's data; give osd %" PRIu32
                     " an empty or new directory",
                     data_dir, OSD_IDENT_FILE, osd_id);
            return TN_ERR_CONFIG;
        }
        osd_ident_t id = {.osd_id = osd_id};
        memcpy(id.cluster, cluster, 16);
        while (id.incarnation == 0) {
            rc = osd_disk_random(&id.incarnation, sizeof(id.incarnation));
            if (rc != 0)
                return rc;
        }
        char text[256];
        int n =
            snprintf(text, sizeof(text),
                     "tern-osd-ident %d\ncluster=%s\nosd=%" PRIu32 "\nincarnation=%016" PRIx64 "\n",
                     OSD_IDENT_VERSION, want_hex, osd_id, id.incarnation);
        rc = osd_write_file_atomic(data_dir, OSD_IDENT_FILE, text, (size_t)n);
        if (rc != 0) {
            snprintf(why, whylen, "cannot write %s: %s", path, tn_strerror(rc));
            return rc;
        }
        *out = id;
        *created = 1;
        return 0;
    }
    if (fd < 0) {
        snprintf(why, whylen, "cannot open %s: %s", path, tn_strerror(fd));
        return fd;
    }
    char text[512];
    int64_t got = osd_disk_pread_full(fd, text, sizeof(text) - 1, 0);
    osd_disk_close(fd);
    if (got < 0) {
        snprintf(why, whylen, "cannot read %s: %s", path, tn_strerror((int)got));
        return (int)got;
    }
    text[got] = '\0';
    osd_ident_t id;
    rc = ident_parse(text, &id);
    if (rc != 0) {
        snprintf(why, whylen,
                 "%s is damaged or of an unknown format (%s); refusing to guess whose data this "
                 "is: restore the file or give osd %" PRIu32 " a new directory",
                 path, tn_strerror(rc), osd_id);
        return TN_ERR_CONFIG;
    }
    tn_hex_encode(have_hex, id.cluster, 16);
    if (memcmp(id.cluster, cluster, 16) != 0 || id.osd_id != osd_id) {
        snprintf(why, whylen,
                 "data directory %s belongs to osd %" PRIu32 " of cluster %s, not to osd %" PRIu32
                 " of cluster %s; check the data path of osd %" PRIu32
                 " in the config (or --id), or give it an empty directory",
                 data_dir, id.osd_id, have_hex, osd_id, want_hex, osd_id);
        return TN_ERR_CONFIG;
    }
    *out = id;
    return 0;
}
