/* tn_log.c — the leveled key=value logger declared in tn_log.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tn_log.h"

/* Atomic: a daemon may change it on reload while other threads log. */
static _Atomic int min_level = TN_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* The pid for the line prefix, cached: getpid() is a real syscall (glibc stopped caching it),
 * and the gateway logs a line per request. Reset in a forked child (pthread_atfork). */
static _Atomic int cached_pid;

static void pid_reset(void)
{
    atomic_store_explicit(&cached_pid, 0, memory_order_relaxed);
}

static pthread_once_t hook_once = PTHREAD_ONCE_INIT;
static int hook_ok;

static void hook_install(void)
{
    hook_ok = pthread_atfork(NULL, NULL, pid_reset) == 0;
}

static int log_pid(void)
{
    (void)pthread_once(&hook_once, hook_install);
    if (!hook_ok)
        return (int)getpid(); /* no reset after fork possible: do not cache */
    int pid = atomic_load_explicit(&cached_pid, memory_order_relaxed);
    if (pid == 0) {
        pid = (int)getpid();
        atomic_store_explicit(&cached_pid, pid, memory_order_relaxed);
    }
    return pid;
}

void tn_log_set_level(tn_log_level_t level)
{
    atomic_store_explicit(&min_level, (int)level, memory_order_relaxed);
}

tn_log_level_t tn_log_get_level(void)
{
    return (tn_log_level_t)atomic_load_explicit(&min_level, memory_order_relaxed);
}

int tn_log_level_parse(const char *name, tn_log_level_t *out)
{
    for (size_t i = 0; i < TN_ARRAY_SIZE(level_names); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (tn_log_level_t)i;
            return TN_OK;
        }
    }
    return -EINVAL;
}

static void vlog(int fd, tn_log_level_t level, const char *fmt, va_list ap) TN_PRINTF(3, 0);

static void vlog(int fd, tn_log_level_t level, const char *fmt, va_list ap)
{
    char line[4096];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s pid=%d ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level], log_pid());
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : TN_MIN((size_t)m, sizeof(line) - (size_t)n - 2));
    line[len++] = '\n';
    /* Logging must never fail the caller: a short or failed write to stderr is dropped. */
    ssize_t w;
    do {
        w = write(fd, line, len);
    } while (w < 0 && errno == EINTR);
}

void tn_log(tn_log_level_t level, const char *fmt, ...)
{
    if ((int)level < atomic_load_explicit(&min_level, memory_order_relaxed))
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(STDERR_FILENO, level, fmt, ap);
    va_end(ap);
}

void tn_log_fd(int fd, tn_log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(fd, level, fmt, ap);
    va_end(ap);
}
