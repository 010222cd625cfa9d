/*
 * mg_progress.h — PURE text of tern-migrate's progress: the one-line bar redrawn on a
 * terminal, the plain periodic line otherwise, and the human units both use.
 */
#ifndef MG_PROGRESS_H
#define MG_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t files_done, files_total; /* done = transferred + skipped + failed */
    uint64_t bytes_done, bytes_total;
    uint64_t failed;
    double elapsed; /* seconds since the start */
} mg_prog_t;

/* "0 B", "1023 B", "1.0 KiB", "12.3 MiB", "4.00 GiB"-style binary units into out[16]. */
void mg_human_bytes(uint64_t n, char out[16]);

/* ETA as "H:MM:SS" (or "--:--" when unknown: no rate yet) into out[16]. */
void mg_fmt_eta(double seconds, char out[16]);

/* The bar for a terminal of `width` columns (>= 40; no newline):
 *   "[#####.....]  512/2000 files  1.2 GiB/3.4 GiB  45.6 MiB/s  ETA 0:00:32"
 * or, with tty == 0, the plain line:
 *   "progress: 512/2000 files, 1.2 GiB/3.4 GiB, 45.6 MiB/s, ETA 0:00:32, 0 failed"
 * Returns the length written (out NUL-terminated, truncated to cap). */
size_t mg_progress_line(const mg_prog_t *p, int tty, int width, char *out, size_t cap);

#endif
