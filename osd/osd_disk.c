/*
 * osd_disk.c — thin, fault-injectable wrappers over the file system calls the blob store makes
 * (see osd_disk.h). Full-transfer loops handle EINTR and short reads/writes.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "osd_disk.h"

/* Injection state. `armed` counts armed ops (plus one while partial mode is on), so the common
 * case costs one relaxed load; the rest is guarded by a mutex because it is only used by tests. */
static atomic_int inj_armed;
static pthread_mutex_t inj_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int err;       /* errno to fail with; 0 = not armed */
    int countdown; /* calls left to pass before failing */
} inj[OSD_DISK_OP_COUNT];
static atomic_uint_fast64_t op_calls[OSD_DISK_OP_COUNT];
static int inj_partial;        /* partial mode on */
static unsigned inj_partial_n; /* syscall counter for EINTR every other call */

void osd_disk_inject(osd_disk_op_t op, int err, int countdown)
{
    if ((unsigned)op >= OSD_DISK_OP_COUNT)
        return;
    pthread_mutex_lock(&inj_lock);
    if (inj[op].err != 0)
        atomic_fetch_sub(&inj_armed, 1);
    inj[op].err = err < 0 ? -err : err;
    inj[op].countdown = countdown < 0 ? 0 : countdown;
    if (inj[op].err != 0)
        atomic_fetch_add(&inj_armed, 1);
    pthread_mutex_unlock(&inj_lock);
}

void osd_disk_inject_partial(int on)
{
    pthread_mutex_lock(&inj_lock);
    if (!inj_partial != !on)
        atomic_fetch_add(&inj_armed, on ? 1 : -1);
    inj_partial = !!on;
    inj_partial_n = 0;
    pthread_mutex_unlock(&inj_lock);
}

void osd_disk_inject_reset(void)
{
    pthread_mutex_lock(&inj_lock);
    memset(inj, 0, sizeof(inj));
    inj_partial = 0;
    inj_partial_n = 0;
    atomic_store(&inj_armed, 0);
    pthread_mutex_unlock(&inj_lock);
}

int osd_disk_inject_pending(osd_disk_op_t op)
{
    if ((unsigned)op >= OSD_DISK_OP_COUNT)
        return 0;
    pthread_mutex_lock(&inj_lock);
    int pending = inj[op].err != 0;
    pthread_mutex_unlock(&inj_lock);
    return pending;
}

uint64_t osd_disk_op_count(osd_disk_op_t op)
{
    return (unsigned)op < OSD_DISK_OP_COUNT ? atomic_load(&op_calls[op]) : 0;
}

/* Counts the call; returns -errno if an injected failure fires for this call of op, else 0. */
static int injected(osd_disk_op_t op)
{
    atomic_fetch_add_explicit(&op_calls[op], 1, memory_order_relaxed);
    if (atomic_load_explicit(&inj_armed, memory_order_relaxed) == 0)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&inj_lock);
    if (inj[op].err != 0) {
        if (inj[op].countdown > 0) {
            inj[op].countdown--;
        } else {
            rc = -inj[op].err;
            inj[op].err = 0;
            atomic_fetch_sub(&inj_armed, 1);
        }
    }
    pthread_mutex_unlock(&inj_lock);
    return rc;
}

/* In partial mode: returns 1 if this syscall should fail with EINTR, and shrinks *len to at
 * most half (at least 1). */
static int partial(size_t *len)
{
    if (atomic_load_explicit(&inj_armed, memory_order_relaxed) == 0)
        return 0;
    int eintr = 0;
    pthread_mutex_lock(&inj_lock);
    if (inj_partial) {
        eintr = (inj_partial_n++ % 2) == 0;
        if (*len > 1)
            *len /= 2;
    }
    pthread_mutex_unlock(&inj_lock);
    return eintr;
}

int osd_disk_open(const char *path, int flags, mode_t mode)
{
    int rc = injected(OSD_DISK_OPEN);
    if (rc != 0)
        return rc;
    int fd;
    do {
        fd = open(path, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return fd >= 0 ? fd : -errno;
}

int osd_disk_close(int fd)
{
    int rc = injected(OSD_DISK_CLOSE);
    /* The descriptor is released even when close reports an error (Linux): never retry. */
    if (close(fd) != 0 && rc == 0 && errno != EINTR)
        rc = -errno;
    return rc;
}

int osd_disk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
    int rc = injected(OSD_DISK_WRITE);
    if (rc != 0)
        return rc;
    const char *p = buf;
    while (len > 0) {
        size_t n = len;
        ssize_t w;
        if (partial(&n)) {
            w = -1;
            errno = EINTR;
        } else {
            w = pwrite(fd, p, n, (off_t)off);
        }
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (w == 0)
            return -EIO; /* pwrite of > 0 bytes must not return 0 on a regular file */
        p += w;
        len -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int64_t osd_disk_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    int rc = injected(OSD_DISK_READ);
    if (rc != 0)
        return rc;
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        size_t n = len - done;
        ssize_t r;
        if (partial(&n)) {
            r = -1;
            errno = EINTR;
        } else {
            r = pread(fd, p + done, n, (off_t)(off + done));
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break; /* end of file */
        done += (size_t)r;
    }
    return (int64_t)done;
}

int osd_disk_fsync(int fd)
{
    int rc = injected(OSD_DISK_FSYNC);
    if (rc != 0)
        return rc;
    /* No EINTR loop: fsync is not interrupted by signals on Linux, and retrying after any
     * failure would be wrong (rule 6). */
    return fsync(fd) == 0 ? 0 : -errno;
}

int osd_disk_fsync_dir(const char *path)
{
    int rc = injected(OSD_DISK_FSYNC_DIR);
    if (rc != 0)
        return rc;
    int fd;
    do {
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

int osd_disk_rename(const char *from, const char *to)
{
    int rc = injected(OSD_DISK_RENAME);
    if (rc != 0)
        return rc;
    return rename(from, to) == 0 ? 0 : -errno;
}

int osd_disk_unlink(const char *path)
{
    int rc = injected(OSD_DISK_UNLINK);
    if (rc != 0)
        return rc;
    return unlink(path) == 0 ? 0 : -errno;
}

int osd_disk_mkdir(const char *path, mode_t mode)
{
    int rc = injected(OSD_DISK_MKDIR);
    if (rc != 0)
        return rc;
    return mkdir(path, mode) == 0 ? 0 : -errno;
}

int osd_disk_size(int fd, uint64_t *size)
{
    int rc = injected(OSD_DISK_STAT);
    if (rc != 0)
        return rc;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    if (st.st_size < 0)
        return -EIO;
    *size = (uint64_t)st.st_size;
    return 0;
}

int osd_disk_list(const char *path, int (*on_entry)(void *arg, const char *name), void *arg)
{
    int rc = injected(OSD_DISK_LIST);
    if (rc != 0)
        return rc;
    DIR *d = opendir(path);
    if (d == NULL)
        return -errno;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            rc = errno != 0 ? -errno : 0;
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        rc = on_entry(arg, e->d_name);
        if (rc != 0)
            break;
    }
    closedir(d);
    return rc;
}

int osd_disk_lock(const char *path)
{
    int fd = osd_disk_open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return fd;
    int r;
    do {
        r = flock(fd, LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
        int err = errno == EWOULDBLOCK ? -EBUSY : -errno;
        close(fd);
        return err;
    }
    return fd;
}

int osd_disk_random(void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
