/* osd_nowait.c — the "tern-nowait" SQLite VFS (osd_nowait.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <sqlite3.h>
#include "osd_nowait.h"

typedef struct {
    sqlite3_file base; /* pMethods: &nw_methods once the real file is open */
    int fd;            /* read-only descriptor for RWF_NOWAIT reads; -1: none */
    int pad_;
    /* the default VFS's file follows (nw_real) */
} nw_file_t;

static sqlite3_vfs *nw_orig;
static sqlite3_vfs nw_vfs;
static atomic_int nw_unsupported;
static _Thread_local int nw_blocked, nw_active;
static pthread_once_t nw_once = PTHREAD_ONCE_INIT;
static int nw_init_rc;

static sqlite3_file *nw_real(sqlite3_file *f)
{
    return (sqlite3_file *)((char *)f + sizeof(nw_file_t));
}

static int nw_close(sqlite3_file *f)
{
    nw_file_t *p = (nw_file_t *)f;
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    return nw_real(f)->pMethods->xClose(nw_real(f));
}

/* 1: the whole range was copied; 0: read it the default way; -1: it would block. */
static int nw_try_read(nw_file_t *p, void *buf, int amt, sqlite3_int64 off)
{
    if (!nw_active)
        return 0; /* outside osd_nowait_begin/end (e.g. opening): an ordinary read */
    if (p->fd < 0 || atomic_load_explicit(&nw_unsupported, memory_order_relaxed))
        return -1; /* no way to read without waiting: a worker reads it */
    struct iovec iov = {buf, (size_t)amt};
    ssize_t n = preadv2(p->fd, &iov, 1, (off_t)off, RWF_NOWAIT);
    if (n == amt)
        return 1;
    if (n < 0) {
        if (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS)
            atomic_store(&nw_unsupported, 1); /* the caller stops trying (supported() 0) */
        return -1; /* EAGAIN: it would wait; any error: a worker's ordinary read reports it */
    }
    /* short: the end of the file (the default read zero-fills and says so), or part of the
     * range is not in memory */
    struct stat st;
    if (fstat(p->fd, &st) == 0 && (sqlite3_int64)st.st_size <= off + n)
        return 0;
    return -1;
}

static int nw_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    int r = nw_try_read((nw_file_t *)f, buf, amt, off);
    if (r > 0)
        return SQLITE_OK;
    if (r < 0) {
        nw_blocked = 1;
        return SQLITE_IOERR_READ;
    }
    return nw_real(f)->pMethods->xRead(nw_real(f), buf, amt, off);
}

/* ---- everything else: the default VFS's file methods ---- */

#define REAL(f) nw_real(f)->pMethods
static int nw_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    return REAL(f)->xWrite(nw_real(f), b, n, o);
}
static int nw_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->xTruncate(nw_real(f), size);
}
static int nw_sync(sqlite3_file *f, int flags)
{
    return REAL(f)->xSync(nw_real(f), flags);
}
static int nw_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->xFileSize(nw_real(f), size);
}
static int nw_lock(sqlite3_file *f, int l)
{
    return REAL(f)->xLock(nw_real(f), l);
}
static int nw_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->xUnlock(nw_real(f), l);
}
static int nw_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->xCheckReservedLock(nw_real(f), out);
}
static int nw_file_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->xFileControl(nw_real(f), op, arg);
}
static int nw_sector_size(sqlite3_file *f)
{
    return REAL(f)->xSectorSize(nw_real(f));
}
static int nw_device_chars(sqlite3_file *f)
{
    return REAL(f)->xDeviceCharacteristics(nw_real(f));
}
static int nw_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(f)->xShmMap(nw_real(f), pg, pgsz, extend, pp);
}
static int nw_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->xShmLock(nw_real(f), off, n, flags);
}
static void nw_shm_barrier(sqlite3_file *f)
{
    REAL(f)->xShmBarrier(nw_real(f));
}
static int nw_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->xShmUnmap(nw_real(f), del);
}
static int nw_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    *pp = NULL; /* no memory-mapped reads: a page fault would block the loop */
    (void)f;
    (void)off;
    (void)amt;
    return SQLITE_OK;
}
static int nw_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    (void)f;
    (void)off;
    (void)p;
    return SQLITE_OK;
}
#undef REAL

static const sqlite3_io_methods nw_methods = {3,
                                              nw_close,
                                              nw_read,
                                              nw_write,
                                              nw_truncate,
                                              nw_sync,
                                              nw_file_size,
                                              nw_lock,
                                              nw_unlock,
                                              nw_check_reserved,
                                              nw_file_control,
                                              nw_sector_size,
                                              nw_device_chars,
                                              nw_shm_map,
                                              nw_shm_lock,
                                              nw_shm_barrier,
                                              nw_shm_unmap,
                                              nw_fetch,
                                              nw_unfetch};

static int nw_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    nw_file_t *p = (nw_file_t *)f;
    memset(p, 0, sizeof(*p));
    p->fd = -1;
    sqlite3_file *real = nw_real(f);
    int rc = nw_orig->xOpen(nw_orig, name, real, flags, out_flags);
    if (rc != SQLITE_OK)
        return rc; /* base.pMethods NULL: SQLite does not close it */
    if (real->pMethods == NULL || real->pMethods->iVersion < 3) {
        if (real->pMethods != NULL)
            real->pMethods->xClose(real);
        return SQLITE_CANTOPEN;
    }
    if (name != NULL && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
        p->fd = open(name, O_RDONLY | O_CLOEXEC);
    p->base.pMethods = &nw_methods;
    return SQLITE_OK;
}

/* ---- the VFS's own methods: the default VFS's ---- */

static int nw_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
    (void)v;
    return nw_orig->xDelete(nw_orig, name, sync_dir);
}
static int nw_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return nw_orig->xAccess(nw_orig, name, flags, out);
}
static int nw_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return nw_orig->xFullPathname(nw_orig, name, n, out);
}
static void *nw_dlopen(sqlite3_vfs *v, const char *name)
{
    (void)v;
    return nw_orig->xDlOpen(nw_orig, name);
}
static void nw_dlerror(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    nw_orig->xDlError(nw_orig, n, msg);
}
static void (*nw_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return nw_orig->xDlSym(nw_orig, h, sym);
}
static void nw_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    nw_orig->xDlClose(nw_orig, h);
}
static int nw_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return nw_orig->xRandomness(nw_orig, n, out);
}
static int nw_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    if (nw_active)
        return us; /* the loop never sleeps: the caller's retries run out, it errs */
    return nw_orig->xSleep(nw_orig, us);
}
static int nw_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return nw_orig->xCurrentTime(nw_orig, out);
}
static int nw_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return nw_orig->xGetLastError(nw_orig, n, out);
}
static int nw_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return nw_orig->xCurrentTimeInt64(nw_orig, out);
}

static void nw_init(void)
{
    nw_orig = sqlite3_vfs_find(NULL);
    if (nw_orig == NULL || nw_orig->iVersion < 2 || nw_orig->xCurrentTimeInt64 == NULL) {
        nw_init_rc = -EIO;
        return;
    }
    nw_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(nw_file_t) + nw_orig->szOsFile,
        .mxPathname = nw_orig->mxPathname,
        .zName = OSD_NOWAIT_VFS,
        .xOpen = nw_open,
        .xDelete = nw_delete,
        .xAccess = nw_access,
        .xFullPathname = nw_full_pathname,
        .xDlOpen = nw_dlopen,
        .xDlError = nw_dlerror,
        .xDlSym = nw_dlsym,
        .xDlClose = nw_dlclose,
        .xRandomness = nw_randomness,
        .xSleep = nw_sleep,
        .xCurrentTime = nw_current_time,
        .xGetLastError = nw_last_error,
        .xCurrentTimeInt64 = nw_current_time64,
    };
    nw_init_rc = sqlite3_vfs_register(&nw_vfs, 0) == SQLITE_OK ? 0 : -ENOMEM;
}

int osd_nowait_register(void)
{
    pthread_once(&nw_once, nw_init);
    return nw_init_rc;
}

int osd_nowait_supported(void)
{
    return !atomic_load(&nw_unsupported);
}

void osd_nowait_begin(void)
{
    nw_blocked = 0;
    nw_active = 1;
}

int osd_nowait_end(void)
{
    nw_active = 0;
    return nw_blocked;
}
