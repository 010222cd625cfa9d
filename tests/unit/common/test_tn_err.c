/* Unit tests for common/tn_err.c: every tern error code has its own name. */
#include <errno.h>
#include "tern.h"
#include "test.h"

static void test_names(void)
{
    is_str(tn_strerror(TN_OK), "success", "TN_OK");
    is_str(tn_strerror(-ENOENT), "No such file or directory", "errno passthrough");
    for (int e = TN_ERR_BASE - 1; e >= TN_ERR_LAST; e--) {
        const char *name = tn_strerror(e);
        ok(name != NULL && strcmp(name, "unknown tern error") != 0, "every TN_ERR_* is named");
        for (int f = e - 1; f >= TN_ERR_LAST; f--)
            ok(strcmp(name, tn_strerror(f)) != 0, "names are distinct");
    }
    is_str(tn_strerror(TN_ERR_LAST - 1), "unknown error", "out of range");
}

int main(void)
{
    subtest("names", test_names);
    return tt_done();
}
