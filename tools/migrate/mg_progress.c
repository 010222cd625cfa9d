/*
 * mg_progress.c — progress bar and plain progress lines (see mg_progress.h).
 */
#include "mg_progress.h"

#include <stdio.h>
#include <string.h>

void mg_human_bytes(uint64_t n, char out[16])
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (n < 1024) {
        snprintf(out, 16, "%u B", (unsigned)n);
        return;
    }
    double v = (double)n;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, 16, v < 10.0 ? "%.2f %s" : "%.1f %s", v, unit[u]);
}

void mg_fmt_eta(double s, char out[16])
{
    if (!(s >= 0.0) || s > 359999.0) {
        snprintf(out, 16, "--:--");
        return;
    }
    unsigned t = (unsigned)(s + 0.5);
    snprintf(out, 16, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
}

size_t mg_progress_line(const mg_prog_t *p, int tty, int width, char *out, size_t cap)
{
    char done[16], total[16], rate[16], eta[16];
    double r = p->elapsed > 0.0 ? (double)p->bytes_done / p->elapsed : 0.0;
    mg_human_bytes(p->bytes_done, done);
    mg_human_bytes(p->bytes_total, total);
    mg_human_bytes((uint64_t)r, rate);
    uint64_t left = p->bytes_total > p->bytes_done ? p->bytes_total - p->bytes_done : 0;
    mg_fmt_eta(r > 0.0 ? (double)left / r : -1.0, eta);
    int n;
    if (!tty) {
        n = snprintf(out, cap, "progress: %llu/%llu files, %s/%s, %s/s, ETA %s, %llu failed",
                     (unsigned long long)p->files_done, (unsigned long long)p->files_total, done,
                     total, rate, eta, (unsigned long long)p->failed);
    } else {
        char text[160];
        int tl = snprintf(text, sizeof text, "  %llu/%llu files  %s/%s  %s/s  ETA %s",
                          (unsigned long long)p->files_done, (unsigned long long)p->files_total,
                          done, total, rate, eta);
        if (tl < 0)
            tl = 0;
        int bar = width - tl - 2;
        if (bar > 40)
            bar = 40;
        if (bar < 10)
            bar = 10;
        double frac = p->bytes_total > 0   ? (double)p->bytes_done / (double)p->bytes_total
                      : p->files_total > 0 ? (double)p->files_done / (double)p->files_total
                                           : 1.0;
        if (frac > 1.0)
            frac = 1.0;
        int fill = (int)(frac * bar + 0.5);
        char b[48];
        for (int i = 0; i < bar; i++)
            b[i] = i < fill ? '#' : '.';
        b[bar] = '\0';
        n = snprintf(out, cap, "[%s]%s", b, text);
    }
    if (n < 0) {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    return (size_t)n >= cap ? (cap > 0 ? cap - 1 : 0) : (size_t)n;
}
