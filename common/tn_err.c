/* tn_err.c — names for tern's error codes (common/tern.h) and for negative errno values. */
#include <string.h>
#include "tern.h"

static const char *const tn_err_names[] = {
    [-(TN_ERR_CHECKSUM - TN_ERR_BASE)] = "checksum mismatch",
    [-(TN_ERR_CORRUPT - TN_ERR_BASE)] = "corrupt data",
    [-(TN_ERR_NOT_FOUND - TN_ERR_BASE)] = "not found",
    [-(TN_ERR_PROTO - TN_ERR_BASE)] = "protocol error",
    [-(TN_ERR_TOO_BIG - TN_ERR_BASE)] = "length over limit",
    [-(TN_ERR_STALE_EPOCH - TN_ERR_BASE)] = "stale map epoch: update your map",
    [-(TN_ERR_QUORUM - TN_ERR_BASE)] = "quorum not reached",
    [-(TN_ERR_TIMEOUT - TN_ERR_BASE)] = "timed out",
    [-(TN_ERR_CONFIG - TN_ERR_BASE)] = "invalid configuration",
    [-(TN_ERR_STALE_TS - TN_ERR_BASE)] = "timestamp not newer than the stored row",
    [-(TN_ERR_CLOCK - TN_ERR_BASE)] = "timestamp too far from local clock",
    [-(TN_ERR_UNSUPPORTED - TN_ERR_BASE)] = "not supported",
    [-(TN_ERR_PRECONDITION - TN_ERR_BASE)] = "precondition failed: the stored row changed",
};

const char *tn_strerror(int err)
{
    if (err == TN_OK)
        return "success";
    if (err < TN_ERR_BASE && err >= TN_ERR_LAST) {
        const char *name = tn_err_names[-(err - TN_ERR_BASE)];
        return name != NULL ? name : "unknown tern error";
    }
    if (err < 0 && err > TN_ERR_BASE)
        return strerror(-err);
    return "unknown error";
}
