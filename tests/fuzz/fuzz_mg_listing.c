/*
 * fuzz_mg_listing.c — tern-migrate's readers of S3 listing answers (tools/migrate/mg_listing.c
 * over tools/s3c/s3c_xml.c) on arbitrary bytes: the input is fed as a ListObjectsV2, a
 * ListMultipartUploads and a ListParts page, and each s3c_xml_text decoding mode is tried.
 * Invariants: nothing reads outside its input (ASan); decoded text fits its buffer and is
 * NUL-terminated; a parts plan never claims more parts than the file has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mg_listing.h"
#include "s3c_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *x = malloc(size ? size : 1); /* exactly size bytes: overreads hit ASan */
    if (x == NULL)
        return 0;
    memcpy(x, data, size);
    char out[64], tok[128], nk[128], nid[128];
    int tr;
    for (int url = 0; url < 2; url++) {
        long n = s3c_xml_text(x, size, "Key", url, out, sizeof out);
        if (n >= (long)sizeof out || (n >= 0 && out[n] != '\0'))
            abort();
    }
    mg_objs_t o = {0};
    if (mg_objs_add_page(&o, x, size, &tr, tok, sizeof tok) == 0) {
        mg_objs_sort(&o);
        for (size_t i = 0; i < o.n; i++)
            if (mg_objs_find(&o, o.v[i].key) == NULL)
                abort();
    }
    mg_objs_free(&o);
    mg_uploads_t u = {0};
    (void)mg_uploads_add_page(&u, x, size, &tr, nk, sizeof nk, nid, sizeof nid);
    mg_uploads_free(&u);
    mg_parts_t p = {0};
    uint32_t marker;
    if (mg_parts_add_page(&p, x, size, &tr, &marker) == 0) {
        uint32_t crcs[4] = {0, 1, 2, 3};
        uint8_t have[4];
        char etags[4][S3C_MP_ETAG];
        uint64_t there;
        long k = mg_parts_plan(&p, 30, 8, crcs, 4, have, etags, &there);
        if (k > 4 || there > 30)
            abort();
    }
    mg_parts_free(&p);
    free(x);
    return 0;
}
