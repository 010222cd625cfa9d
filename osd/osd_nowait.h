/*
 * osd_nowait.h — the "tern-nowait" SQLite VFS: reads that never wait for the disk, so the OSD's
 * event loop can answer a ROW_GET itself when the pages it needs are in memory.
 *
 * Why: a ROW_GET handed to a worker and back costs two thread wake-ups and their context
 * switches (futex, eventfd, epoll): with 16 clients reading 4 KiB objects, the OSDs spent most
 * of their CPU there, not in SQLite (docs/BENCHMARKS.md, "4 KiB GET: rows read on the loop").
 * But the loop must never block on the disk: every other connection of the OSD would wait.
 *
 * How: a shim over SQLite's default VFS. Files opened through it (the main database and its
 * WAL) get a second, read-only descriptor, and between osd_nowait_begin and osd_nowait_end
 * xRead uses preadv2(RWF_NOWAIT) on it (outside, e.g. while opening, it reads normally): data in
 * the page cache is copied at once; data that would need the disk fails with EAGAIN, which
 * xRead turns into SQLITE_IOERR_READ after setting a per-thread flag
 * (osd_nowait_end() reports it). SQLite gives such an error back from sqlite3_step without
 * changing the connection's state, so the caller retries the same read on a worker. Any other
 * failure of the no-wait read is treated the same way (the worker's ordinary read reports
 * it); a kernel or file system without RWF_NOWAIT for buffered reads also turns the shim off
 * (osd_nowait_supported() 0). A short read at the end of a file is completed by the default
 * VFS's read (the bytes there were in memory; SQLite zero-fills past the end). Every
 * other method is the default VFS's, except xSleep, which does not sleep inside begin/end
 * (SQLite's busy and WAL retry back-offs end in an error there, retried on a worker), and
 * xFetch, which always declines (a page fault of a memory-mapped read cannot be made
 * non-blocking).
 */
#ifndef OSD_NOWAIT_H
#define OSD_NOWAIT_H

#define OSD_NOWAIT_VFS "tern-nowait"

/* Registers the VFS (once per process; thread-safe). 0, or -ENOMEM / -EIO. */
int osd_nowait_register(void);
/* 0 once a read through the VFS found RWF_NOWAIT unsupported, else 1. */
int osd_nowait_supported(void);
/* Brackets the calling thread's use of a connection opened through the VFS: inside, a read
 * that would wait for the disk fails (and is remembered) and xSleep (SQLite's busy and WAL
 * retry back-off) returns at once instead of sleeping. osd_nowait_end returns 1 if a read
 * would have blocked since osd_nowait_begin. */
void osd_nowait_begin(void);
int osd_nowait_end(void);

#endif
