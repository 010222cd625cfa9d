/*
 * fuzz_s3_list.c — gateway/s3_list.c on arbitrary input. The first byte picks the listing
 * kind; the rest, up to the first NUL, is a raw query string (parsed as the router does, then
 * as listing parameters: max-keys, encoding-type, tokens, markers); bytes after the NUL are
 * index keys separated by '\n', fed to a page (odd ones as tombstones) in sorted order, and the
 * response XML is written. The same bytes are also tried as a continuation token.
 * Invariants: nothing reads outside its input (ASan); a token that decodes re-encodes to a
 * token that decodes to the same position; a page never holds more than max-keys items, a
 * truncated V2 page yields a token that decodes; the XML is produced.
 */
#include <stdlib.h>
#include <string.h>
#include "s3_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int key_cmp(const void *a, const void *b)
{
    const tn_slice_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->base, y->base, n) : 0;
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void token_roundtrip(const uint8_t *data, size_t size)
{
    static s3_list_pos_t a, b;
    static char tok[S3_LIST_TOKEN_MAX + 1];
    if (s3_list_token_decode((const char *)data, size, &a) != TN_OK)
        return;
    if (a.len == 0 || a.len > S3_KEY_MAX)
        abort();
    size_t n = s3_list_token_encode(&a, tok);
    if (s3_list_token_decode(tok, n, &b) != TN_OK || b.len != a.len || b.skip != a.skip ||
        memcmp(a.key, b.key, a.len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    token_roundtrip(data, size);
    if (size < 1)
        return 0;
    s3_list_kind_t kind = (s3_list_kind_t)(1 + data[0] % 3);
    const char *q = (const char *)data + 1;
    const uint8_t *nul = memchr(q, 0, size - 1);
    size_t qlen = nul ? (size_t)((const char *)nul - q) : size - 1;
    static s3_param_t params[S3_ROUTE_MAX_PARAMS];
    char *work = malloc(qlen + 1);
    if (work == NULL)
        return 0;
    size_t np = 0;
    static s3_list_params_t p;
    const char *msg = NULL;
    if (s3_query_parse(q, qlen, params, S3_ROUTE_MAX_PARAMS, &np, work, qlen + 1) != S3_OK ||
        s3_list_params_parse(kind, params, np, &p, &msg) != S3_OK) {
        free(work);
        return 0;
    }
    if (p.max_keys > S3_LIST_MAX_KEYS || p.start.len > S3_KEY_MAX)
        abort();
    /* keys after the NUL */
    tn_slice_t keys[256];
    size_t nk = 0;
    if (nul != NULL) {
        const char *k = (const char *)nul + 1, *end = (const char *)data + size;
        while (k < end && nk < 256) {
            const char *e = memchr(k, '\n', (size_t)(end - k));
            if (e == NULL)
                e = end;
            keys[nk].base = k;
            keys[nk].len = (size_t)(e - k);
            nk++;
            k = e + 1;
        }
        qsort(keys, nk, sizeof *keys, key_cmp);
    }
    s3_list_page_t pg;
    s3_list_page_init(&pg, &p);
    s3_list_obj_t o = {.size = 1, .mtime_ms = 1};
    for (size_t i = 0; i < nk; i++) {
        if (i > 0 && key_cmp(&keys[i - 1], &keys[i]) == 0)
            continue;
        int rc = s3_list_page_add(&pg, keys[i].base, keys[i].len, (i & 1) ? NULL : &o);
        if (rc == S3_LIST_FULL)
            break;
        if (rc < 0)
            break;
    }
    if (pg.n > p.max_keys)
        abort();
    uint8_t seek[S3_KEY_MAX];
    if (s3_list_page_seek(&pg, seek) > S3_KEY_MAX)
        abort();
    if (!pg.truncated && s3_list_page_can_cut(&pg))
        s3_list_page_cut(&pg);
    s3_buf_t x;
    s3_buf_init(&x, 8u << 20);
    if (s3_list_xml(&pg, "bucket", 6, "owner", &x) != TN_OK)
        abort();
    if (kind == S3_LIST_V2 && pg.truncated) {
        static char tok[S3_LIST_TOKEN_MAX + 1];
        static s3_list_pos_t back;
        size_t n = s3_list_token_encode(&pg.pos, tok);
        if (s3_list_token_decode(tok, n, &back) != TN_OK)
            abort();
    }
    s3_buf_free(&x);
    s3_list_page_free(&pg);
    free(work);
    return 0;
}
