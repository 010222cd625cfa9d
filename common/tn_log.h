/*
 * tn_log.h — leveled logging, one line per event in key=value style:
 *   2026-11-23T21:40:01.123Z level=warn pid=123 msg="fsync failed" path=/x err="I/O error"
 * Writes to stderr (one write(2) per line, so lines from threads never interleave).
 */
#ifndef TN_LOG_H
#define TN_LOG_H

#include "tern.h"

typedef enum { TN_LOG_DEBUG = 0, TN_LOG_INFO, TN_LOG_WARN, TN_LOG_ERROR } tn_log_level_t;

/* Minimum level printed; default TN_LOG_INFO. Safe to change while other threads log. */
void tn_log_set_level(tn_log_level_t level);
tn_log_level_t tn_log_get_level(void);
/* Parses "debug", "info", "warn" or "error"; returns 0 or -EINVAL. */
int tn_log_level_parse(const char *name, tn_log_level_t *out);

/* fmt is the rest of the line after "level=... ", e.g. "msg=\"started\" port=%d". */
void tn_log(tn_log_level_t level, const char *fmt, ...) TN_PRINTF(2, 3);

/* The same line format written to fd (an access log file opened O_APPEND), whatever the
 * minimum level. */
void tn_log_fd(int fd, tn_log_level_t level, const char *fmt, ...) TN_PRINTF(3, 4);

#define tn_log_debug(...) tn_log(TN_LOG_DEBUG, __VA_ARGS__)
#define tn_log_info(...)  tn_log(TN_LOG_INFO, __VA_ARGS__)
#define tn_log_warn(...)  tn_log(TN_LOG_WARN, __VA_ARGS__)
#define tn_log_error(...) tn_log(TN_LOG_ERROR, __VA_ARGS__)

#endif
