/* Fuzz target for gateway/s3_copy.c: the input is tried as an x-amz-copy-source value and as
 * an x-amz-tagging header; results are checked against their contracts (slices inside the
 * work memory, limits held, format of what parsed parses back to the same tags). */
#include <stdlib.h>
#include <string.h>
#include "s3_copy.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static int inside(tn_slice_t s, const char *w, size_t cap)
{
    return s.len == 0 || (s.base >= w && s.base + s.len <= w + cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *v = (const char *)data;
    char *work = malloc(size + 1);
    if (work == NULL)
        return 0;
    s3_copy_source_t cs;
    if (s3_copy_source_parse(v, size, work, size, &cs, NULL) == S3_OK) {
        CHECK(cs.bucket.len > 0 && cs.key.len > 0 && cs.key.len <= S3_KEY_MAX);
        CHECK(inside(cs.bucket, work, size) && inside(cs.key, work, size));
    }
    s3_tag_t tags[S3_TAGS_MAX_OBJECT], back[S3_TAGS_MAX_OBJECT];
    size_t n = 0, m = 0;
    if (s3_tagging_header_parse(v, size, tags, S3_TAGS_MAX_OBJECT, &n, work, size + 1, NULL) ==
        S3_OK) {
        CHECK(n <= S3_TAGS_MAX_OBJECT);
        size_t cap = 3 * size + 16;
        char *out = malloc(cap), *w2 = malloc(cap);
        if (out != NULL && w2 != NULL) {
            size_t fl = s3_tagging_header_format(tags, n, out, cap);
            CHECK(n == 0 || fl > 0);
            CHECK(s3_tagging_header_parse(out, fl, back, S3_TAGS_MAX_OBJECT, &m, w2, cap, NULL) ==
                  S3_OK);
            CHECK(m == n);
            for (size_t i = 0; i < n; i++)
                CHECK(back[i].key.len == tags[i].key.len &&
                      back[i].value.len == tags[i].value.len &&
                      memcmp(back[i].key.base, tags[i].key.base, tags[i].key.len) == 0 &&
                      (tags[i].value.len == 0 ||
                       memcmp(back[i].value.base, tags[i].value.base, tags[i].value.len) == 0));
        }
        free(out);
        free(w2);
    }
    free(work);
    return 0;
}
