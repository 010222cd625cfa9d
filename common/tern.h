/*
 * tern.h — the vocabulary every tern module shares: error codes, the incremental-parser
 * return convention, byte slices and a few helpers. Pure: libc only.
 *
 * Return conventions (one for the whole tree):
 *   - int status functions return TN_OK (0) on success and a negative value on failure:
 *     -errno for system errors, TN_ERR_* (all below -4096, so never confused with errno) for
 *     tern's own errors. tn_strerror() names either kind.
 *   - Incremental parsers return ssize_t: >= 0 bytes consumed, TN_PARSE_ERROR (-1) or
 *     TN_PARSE_INCOMPLETE (-2), as picohttpparser does. They never return errno values; the
 *     reason for an error goes in an out-parameter.
 *   - Functions that compute a count return it.
 */
#ifndef TERN_H
#define TERN_H

#include <stddef.h>
#include <stdint.h>

#define TN_OK 0

/* tern's own errors. Keep in sync with the table in tn_err.c. */
#define TN_ERR_BASE        (-4096)
#define TN_ERR_CHECKSUM    (TN_ERR_BASE - 1)  /* stored or received data failed its CRC */
#define TN_ERR_CORRUPT     (TN_ERR_BASE - 2)  /* structure is damaged (bad magic, length) */
#define TN_ERR_NOT_FOUND   (TN_ERR_BASE - 3)  /* no such object, row, blob or entry */
#define TN_ERR_PROTO       (TN_ERR_BASE - 4)  /* peer violated the wire protocol */
#define TN_ERR_TOO_BIG     (TN_ERR_BASE - 5)  /* a length exceeds its limit */
#define TN_ERR_STALE_EPOCH (TN_ERR_BASE - 6)  /* sender's map epoch is older: update your map */
#define TN_ERR_QUORUM      (TN_ERR_BASE - 7)  /* not enough replicas answered */
#define TN_ERR_TIMEOUT     (TN_ERR_BASE - 8)  /* operation did not finish in time */
#define TN_ERR_CONFIG      (TN_ERR_BASE - 9)  /* configuration is invalid */
#define TN_ERR_STALE_TS    (TN_ERR_BASE - 10) /* write stamped at or below the stored row */
#define TN_ERR_CLOCK       (TN_ERR_BASE - 11) /* timestamp too far from the local clock */
#define TN_ERR_UNSUPPORTED (TN_ERR_BASE - 12) /* valid request, not implemented */

/* A conditional write's condition failed: ROW_PUT IF_VERSION found another version or none. */
#define TN_ERR_PRECONDITION (TN_ERR_BASE - 13)
#define TN_ERR_LAST         (TN_ERR_BASE - 13)

#define TN_PARSE_ERROR      (-1)
#define TN_PARSE_INCOMPLETE (-2)

/* A non-owning byte slice. */
typedef struct {
    const char *base;
    size_t len;
} tn_slice_t;

#define TN_STRLIT(s) (s), (sizeof(s) - 1)
#define TN_SLICE_LIT(s)                                                                            \
    (tn_slice_t)                                                                                   \
    {                                                                                              \
        (s), sizeof(s) - 1                                                                         \
    }
#define TN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TN_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define TN_MAX(a, b)     ((a) > (b) ? (a) : (b))

#if defined(__GNUC__)
#define TN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define TN_UNUSED            __attribute__((unused))
#define TN_NORETURN          __attribute__((noreturn))
#else
#define TN_PRINTF(fmt, args)
#define TN_UNUSED
#define TN_NORETURN
#endif

/* Name of an error code: a TN_ERR_* name's description or strerror(-err). Never NULL. */
const char *tn_strerror(int err);

#endif
