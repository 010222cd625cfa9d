/*
 * osd_disk.h — the only place the OSD's blob store makes file system calls, so that tests can
 * make any of them fail (SQLite-style simulated I/O errors).
 *
 * Every function returns 0 (or a count / descriptor, where said) on success and -errno on
 * failure; none of them logs, the caller does (it knows what the file was for). The *_full
 * functions loop over EINTR and short transfers.
 *
 * Fault injection (compiled in always; one relaxed atomic load per call when nothing is armed):
 *   osd_disk_inject(op, err, countdown)  the next `countdown` calls of `op` behave normally and
 *                                        the one after fails with -err, once. err == 0 disarms.
 *                                        An injected failure happens before the real syscall,
 *                                        so nothing is transferred or changed.
 *   osd_disk_inject_partial(on)          while on, each pread/pwrite syscall transfers at most
 *                                        half of what is asked (at least one byte) and every
 *                                        other call first fails with EINTR: exercises the loops.
 *   osd_disk_inject_reset()              disarms everything.
 *   osd_disk_op_count(op)                how many times op was called (including injected
 *                                        failures): lets tests check the write sequence.
 * Injection state is process-global (tests only); it is thread-safe.
 */
#ifndef OSD_DISK_H
#define OSD_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum {
    OSD_DISK_OPEN = 0,  /* osd_disk_open, osd_disk_lock */
    OSD_DISK_CLOSE,     /* osd_disk_close */
    OSD_DISK_WRITE,     /* osd_disk_pwrite_full (one count per call, not per syscall) */
    OSD_DISK_READ,      /* osd_disk_pread_full (one count per call) */
    OSD_DISK_FSYNC,     /* osd_disk_fsync */
    OSD_DISK_FSYNC_DIR, /* osd_disk_fsync_dir */
    OSD_DISK_RENAME,    /* osd_disk_rename */
    OSD_DISK_UNLINK,    /* osd_disk_unlink */
    OSD_DISK_MKDIR,     /* osd_disk_mkdir */
    OSD_DISK_STAT,      /* osd_disk_size */
    OSD_DISK_LIST,      /* osd_disk_list (fails at opendir) */
    OSD_DISK_OP_COUNT
} osd_disk_op_t;

/* Opens path with open(2) flags (O_CLOEXEC is always added); returns a descriptor or -errno. */
int osd_disk_open(const char *path, int flags, mode_t mode);
/* Closes fd; returns 0 or -errno (the descriptor is released either way). */
int osd_disk_close(int fd);
/* Writes all len bytes at off; 0 or -errno (then an unknown prefix may have been written). */
int osd_disk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* Reads up to len bytes at off, stopping early only at end of file; returns the count read
 * (< len means end of file) or -errno. */
int64_t osd_disk_pread_full(int fd, void *buf, size_t len, uint64_t off);
/* fsync(2). A failure here means the kernel may have dropped dirty pages: never retry. */
int osd_disk_fsync(int fd);
/* Opens the directory path and fsyncs it (makes entries created/renamed/removed in it durable). */
int osd_disk_fsync_dir(const char *path);
/* rename(2): atomic replacement within one file system. */
int osd_disk_rename(const char *from, const char *to);
/* unlink(2). */
int osd_disk_unlink(const char *path);
/* mkdir(2): -EEXIST when it exists already. */
int osd_disk_mkdir(const char *path, mode_t mode);
/* Size of the open file in bytes (fstat). */
int osd_disk_size(int fd, uint64_t *size);
/* Calls on_entry(arg, name) for every entry of directory path except "." and ".."; stops and
 * returns the callback's value when it is non-zero. Returns 0, that value, or -errno. */
int osd_disk_list(const char *path, int (*on_entry)(void *arg, const char *name), void *arg);
/* Opens (creating) path and takes an exclusive flock on it without waiting; returns the
 * descriptor holding the lock, -EBUSY if another holder has it, or -errno. */
int osd_disk_lock(const char *path);
/* Fills buf with len random bytes from the kernel (getrandom); 0 or -errno. */
int osd_disk_random(void *buf, size_t len);

void osd_disk_inject(osd_disk_op_t op, int err, int countdown);
void osd_disk_inject_partial(int on);
void osd_disk_inject_reset(void);
/* 1 while an injection armed on op has not fired yet (tests assert it did fire). */
int osd_disk_inject_pending(osd_disk_op_t op);
uint64_t osd_disk_op_count(osd_disk_op_t op);

#endif
