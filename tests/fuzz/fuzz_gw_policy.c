/* Fuzz target for gateway/gw_policy.c (and gw_cors.c's matching via gw_glob_match): input =
 * a bucket policy document. A document that validates must evaluate without crashing, and
 * one that does not must evaluate to NONE. */
#include <stdlib.h>
#include <string.h>
#include "gw_policy.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *doc = (const char *)data;
    s3_why_t why;
    s3_err_t e = gw_policy_check(doc, size, "bk", &why);
    CHECK(e == S3_OK || e == S3_ERR_MALFORMED_POLICY || e == S3_ERR_NOT_IMPLEMENTED);
    gw_verdict_t g = gw_policy_eval(doc, size, "bk", GW_ACCESS_READ_OBJECT, "pub/a", 5);
    gw_verdict_t l = gw_policy_eval(doc, size, "bk", GW_ACCESS_LIST_BUCKET, "", 0);
    if (e != S3_OK)
        CHECK(g == GW_VERDICT_NONE && l == GW_VERDICT_NONE);
    if (size > 0)
        (void)gw_glob_match(doc, size / 2, doc + size / 2, size - size / 2, size & 1);
    return 0;
}
