/*
 * test_mg_progress.c — human units, ETA, the bar and the plain line.
 */
#include "mg_progress.h"
#include "test.h"

#include <string.h>

static void test_units(void)
{
    char b[16];
    mg_human_bytes(0, b);
    is_str(b, "0 B", "zero");
    mg_human_bytes(1023, b);
    is_str(b, "1023 B", "below a KiB");
    mg_human_bytes(1536, b);
    is_str(b, "1.50 KiB", "1.5 KiB");
    mg_human_bytes(200ull << 20, b);
    is_str(b, "200.0 MiB", "200 MiB");
    mg_human_bytes(5ull << 30, b);
    is_str(b, "5.00 GiB", "GiB");
    mg_fmt_eta(-1, b);
    is_str(b, "--:--", "unknown");
    mg_fmt_eta(3725, b);
    is_str(b, "1:02:05", "h:mm:ss");
    mg_fmt_eta(1e9, b);
    is_str(b, "--:--", "absurd");
}

static void test_lines(void)
{
    char out[256];
    mg_prog_t p = {.files_done = 5,
                   .files_total = 10,
                   .bytes_done = 50ull << 20,
                   .bytes_total = 100ull << 20,
                   .failed = 1,
                   .elapsed = 5.0};
    mg_progress_line(&p, 0, 0, out, sizeof out);
    is_str(out, "progress: 5/10 files, 50.0 MiB/100.0 MiB, 10.0 MiB/s, ETA 0:00:05, 1 failed",
           "plain line");
    size_t n = mg_progress_line(&p, 1, 100, out, sizeof out);
    ok(n == strlen(out), "length returned");
    ok(strncmp(out, "[####################....................]", 42) == 0, "half a 40-wide bar");
    ok(strstr(out, "5/10 files  50.0 MiB/100.0 MiB  10.0 MiB/s  ETA 0:00:05") != NULL, "bar text");
    p.elapsed = 0;
    mg_progress_line(&p, 0, 0, out, sizeof out);
    ok(strstr(out, "ETA --:--") != NULL, "no rate yet");
    n = mg_progress_line(&p, 0, 0, out, 10);
    is_uint(n, 9, "truncated to the buffer");
}

int main(void)
{
    subtest("units", test_units);
    subtest("lines", test_lines);
    return tt_done();
}
