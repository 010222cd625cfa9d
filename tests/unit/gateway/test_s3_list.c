/* Unit tests for gateway/s3_list.c: parameter parsing, the continuation token, delimiter
 * grouping, page assembly (checked against a simple model over many pages, with tombstones,
 * seeks and early cuts, for V1, V2 and versions) and the response XML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "s3_list.h"
#include "tn_hex.h"
#include "test.h"

static unsigned rnd(unsigned *s) /* xorshift32: deterministic, portable */
{
    unsigned x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Parses a raw query string into params (as the router does) and then the listing params. */
static char qwork[16384];
static s3_param_t qparams[S3_ROUTE_MAX_PARAMS];

static s3_err_t parse(s3_list_kind_t kind, const char *query, s3_list_params_t *p, const char **msg)
{
    size_t n = 0;
    s3_err_t e =
        s3_query_parse(query, strlen(query), qparams, S3_ROUTE_MAX_PARAMS, &n, qwork, sizeof qwork);
    if (e != S3_OK)
        return e;
    return s3_list_params_parse(kind, qparams, n, p, msg);
}

static void test_params(void)
{
    s3_list_params_t p;
    const char *msg;
    is_int(parse(S3_LIST_V2, "list-type=2", &p, &msg), S3_OK, "defaults");
    is_uint(p.max_keys, 1000, "default max-keys");
    ok(!p.encode_url && !p.fetch_owner && p.start.len == 0, "no encoding, no owner, from start");
    is_int(parse(S3_LIST_V1, "", &p, &msg), S3_OK, "V1 defaults");
    ok(p.fetch_owner, "V1 lists owners");
    is_int(parse(S3_LIST_V2, "max-keys=0", &p, &msg), S3_OK, "max-keys 0");
    is_uint(p.max_keys, 0, "0 kept");
    is_int(parse(S3_LIST_V2, "max-keys=1", &p, &msg), S3_OK, "max-keys 1");
    is_uint(p.max_keys, 1, "1");
    is_int(parse(S3_LIST_V2, "max-keys=5000", &p, &msg), S3_OK, "max-keys 5000");
    is_uint(p.max_keys, 1000, "capped at 1000");
    is_int(parse(S3_LIST_V2, "max-keys=2147483647", &p, &msg), S3_OK, "int max");
    const char *bad_max[] = {
        "max-keys=-1",          "max-keys=abc", "max-keys=",   "max-keys=2147483648",
        "max-keys=99999999999", "max-keys=1.5", "max-keys=+3", "max-keys"};
    for (size_t i = 0; i < sizeof bad_max / sizeof *bad_max; i++) {
        is_int(parse(S3_LIST_V1, bad_max[i], &p, &msg), S3_ERR_INVALID_ARGUMENT, bad_max[i]);
        ok(msg != NULL, "message given");
    }
    is_int(parse(S3_LIST_V2, "encoding-type=url", &p, &msg), S3_OK, "encoding url");
    ok(p.encode_url, "url set");
    is_int(parse(S3_LIST_V2, "encoding-type=xml", &p, &msg), S3_ERR_INVALID_ARGUMENT,
           "other encoding");
    is_int(parse(S3_LIST_V2, "encoding-type=", &p, &msg), S3_ERR_INVALID_ARGUMENT,
           "empty encoding");
    is_int(parse(S3_LIST_V2, "fetch-owner=true", &p, &msg), S3_OK, "fetch-owner");
    ok(p.fetch_owner, "owner asked");
    is_int(parse(S3_LIST_V2, "fetch-owner=false", &p, &msg), S3_OK, "fetch-owner false");
    ok(!p.fetch_owner, "owner not asked");
    is_int(parse(S3_LIST_V2, "fetch-owner=maybe", &p, &msg), S3_ERR_INVALID_ARGUMENT,
           "fetch-owner garbage");
    is_int(parse(S3_LIST_V2, "prefix=a%2Fb&delimiter=%2F", &p, &msg), S3_OK, "prefix+delim");
    ok(p.prefix.len == 3 && memcmp(p.prefix.base, "a/b", 3) == 0, "prefix decoded");
    ok(p.delimiter.len == 1 && p.delimiter.base[0] == '/', "delimiter decoded");
    /* tokens */
    const char *bad_tok[] = {"continuation-token=", "continuation-token=garbage",
                             "continuation-token=AQBhLQOeiZ0=", "continuation-token=%00",
                             "continuation-token=AAAA"};
    for (size_t i = 0; i < sizeof bad_tok / sizeof *bad_tok; i++) {
        is_int(parse(S3_LIST_V2, bad_tok[i], &p, &msg), S3_ERR_INVALID_ARGUMENT, bad_tok[i]);
        has_str(msg, "continuation token", "token message");
    }
    /* start-after: plain key; a common prefix is skipped; ignored beside a token */
    is_int(parse(S3_LIST_V2, "start-after=a%2Fb", &p, &msg), S3_OK, "start-after");
    ok(p.has_start_after && p.start.len == 3 && !p.start.skip, "start-after position");
    is_int(parse(S3_LIST_V2, "start-after=a%2F&delimiter=%2F", &p, &msg), S3_OK, "sa prefix");
    ok(p.start.skip, "start-after that is a common prefix skips it");
    is_int(parse(S3_LIST_V2, "start-after=a%2Fb&delimiter=%2F", &p, &msg), S3_OK, "sa inside");
    ok(!p.start.skip, "start-after inside a group does not skip");
    is_int(parse(S3_LIST_V2, "start-after=a%2F&delimiter=%2F&prefix=a%2F", &p, &msg), S3_OK,
           "sa == prefix");
    ok(!p.start.skip, "the prefix itself is no common prefix");
    s3_list_pos_t pos = {.len = 2, .skip = 1};
    memcpy(pos.key, "zz", 2);
    char tok[S3_LIST_TOKEN_MAX + 1], q[S3_LIST_TOKEN_MAX * 3 + 64];
    size_t tn = s3_list_token_encode(&pos, tok);
    int qn = snprintf(q, sizeof q, "start-after=b&continuation-token=");
    tn_uri_encode(tok, tn, q + qn, sizeof q - (size_t)qn, 1);
    is_int(parse(S3_LIST_V2, q, &p, &msg), S3_OK, "token + start-after");
    ok(p.start.len == 2 && memcmp(p.start.key, "zz", 2) == 0 && p.start.skip,
       "the token wins over start-after");
    ok(p.has_start_after && p.has_token, "both echoed");
    /* V1 marker, versions markers */
    is_int(parse(S3_LIST_V1, "marker=m", &p, &msg), S3_OK, "marker");
    ok(p.has_marker && p.start.len == 1 && p.start.key[0] == 'm', "marker position");
    is_int(parse(S3_LIST_V1, "continuation-token=zzz", &p, &msg), S3_OK, "V1 ignores tokens");
    is_int(parse(S3_LIST_VERSIONS, "key-marker=k&version-id-marker=null", &p, &msg), S3_OK,
           "versions markers");
    ok(p.start.len == 1 && p.start.key[0] == 'k', "key-marker position");
    is_int(parse(S3_LIST_VERSIONS, "version-id-marker=null", &p, &msg), S3_ERR_INVALID_ARGUMENT,
           "version-id-marker alone");
    is_int(parse(S3_LIST_VERSIONS, "key-marker=k&version-id-marker=abc", &p, &msg),
           S3_ERR_INVALID_ARGUMENT, "unknown version id");
    /* a marker longer than any key is cut for positioning, echoed whole */
    char longq[3000];
    int ln = snprintf(longq, sizeof longq, "marker=");
    memset(longq + ln, 'x', 2000);
    longq[ln + 2000] = '\0';
    is_int(parse(S3_LIST_V1, longq, &p, &msg), S3_OK, "long marker");
    ok(p.start.len == S3_KEY_MAX && p.marker.len == 2000, "cut to 1024, echoed whole");
}

static void test_token(void)
{
    s3_list_pos_t a, b;
    char tok[S3_LIST_TOKEN_MAX + 1];
    unsigned seed = 7;
    for (int round = 0; round < 300; round++) {
        a.len = 1 + (size_t)(rnd(&seed) % S3_KEY_MAX);
        if (round == 0)
            a.len = S3_KEY_MAX;
        for (size_t i = 0; i < a.len; i++)
            a.key[i] = (uint8_t)rnd(&seed);
        a.skip = round & 1;
        size_t n = s3_list_token_encode(&a, tok);
        ok(n <= S3_LIST_TOKEN_MAX && strlen(tok) == n, "token length");
        memset(&b, 0, sizeof b);
        if (!ok(s3_list_token_decode(tok, n, &b) == TN_OK, "decodes"))
            continue;
        ok(b.len == a.len && memcmp(a.key, b.key, a.len) == 0 && b.skip == a.skip, "round trip");
        /* any one changed character is refused (bad base64 or CRC) */
        size_t at = (size_t)rnd(&seed) % n;
        char save = tok[at];
        tok[at] = save == 'A' ? 'B' : 'A';
        ok(s3_list_token_decode(tok, n, &b) != TN_OK, "mangled token refused");
        tok[at] = save;
        ok(s3_list_token_decode(tok, n - 1, &b) != TN_OK, "short token refused");
    }
    /* format and flags are checked */
    uint8_t raw[16] = {2, 0, 'k', 0, 0, 0, 0};
    char enc[64];
    size_t n = tn_base64_encode(enc, raw, 7);
    ok(s3_list_token_decode(enc, n, &b) != TN_OK, "unknown format");
    ok(s3_list_token_decode("", 0, &b) != TN_OK, "empty");
}

static void test_common_prefix(void)
{
    tn_slice_t none = {"", 0}, slash = {"/", 1}, ab = {"ab", 2}, pa = {"a/", 2};
    is_uint(s3_list_common_prefix("a/b/c", 5, none, slash), 2, "a/");
    is_uint(s3_list_common_prefix("a/b/c", 5, pa, slash), 4, "a/b/ under a/");
    is_uint(s3_list_common_prefix("a/", 2, pa, slash), 0, "the prefix itself");
    is_uint(s3_list_common_prefix("abc", 3, none, slash), 0, "no delimiter in key");
    is_uint(s3_list_common_prefix("a/b", 3, none, none), 0, "no delimiter given");
    is_uint(s3_list_common_prefix("b/c", 3, pa, slash), 0, "outside the prefix");
    is_uint(s3_list_common_prefix("xxabyyabz", 9, none, ab), 4, "multi-byte delimiter");
    is_uint(s3_list_common_prefix("//x", 3, none, slash), 1, "empty segment");
}

/* ---- the model: a bucket of keys (sorted), some deleted ---- */

typedef struct {
    char key[64];
    int live;
} mkey_t;

static int mkey_cmp(const void *a, const void *b)
{
    const char *x = ((const mkey_t *)a)->key, *y = ((const mkey_t *)b)->key;
    size_t xl = strlen(x), yl = strlen(y), n = xl < yl ? xl : yl;
    int c = memcmp(x, y, n);
    return c != 0 ? c : (xl > yl) - (xl < yl);
}

static mkey_t *bucket;
static size_t nbucket;

static void build_bucket(void)
{
    static const char *fixed[] = {"a/",   "a0",   "a/b", "a-",    "a/b/c",
                                  "a//d", "a b",  "a+b", "a%2F",  "\xc3\xa9/x",
                                  "z/",   "z/z/", "zz",  "/lead", "//"};
    unsigned seed = 42;
    nbucket = 0;
    bucket = calloc(1200, sizeof *bucket);
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        snprintf(bucket[nbucket].key, sizeof bucket[0].key, "%s", fixed[i]);
        bucket[nbucket++].live = 1;
    }
    /* deleted keys that are their own common prefix, with live keys under them: a V1 page
     * must not end at one (its NextMarker would skip the live keys) */
    static const char *dead[] = {"q/", "r/s/", "img/"};
    for (size_t i = 0; i < sizeof dead / sizeof *dead; i++) {
        snprintf(bucket[nbucket].key, sizeof bucket[0].key, "%s", dead[i]);
        bucket[nbucket++].live = 0;
    }
    snprintf(bucket[nbucket].key, sizeof bucket[0].key, "q/x");
    bucket[nbucket++].live = 1;
    snprintf(bucket[nbucket].key, sizeof bucket[0].key, "r/s/t");
    bucket[nbucket++].live = 1;
    static const char *dirs[] = {"img/", "img/2024/", "img/2025/", "posts/", "del/", ""};
    while (nbucket < 1100) {
        const char *d = dirs[rnd(&seed) % 6];
        snprintf(bucket[nbucket].key, sizeof bucket[0].key, "%s%u%s", d, rnd(&seed) % 100000,
                 rnd(&seed) % 4 == 0 ? "/f" : "");
        /* every key under del/ is deleted: a prefix of tombstones only must never appear */
        bucket[nbucket].live = strncmp(d, "del/", 4) != 0 && rnd(&seed) % 5 != 0;
        nbucket++;
    }
    qsort(bucket, nbucket, sizeof *bucket, mkey_cmp);
    size_t w = 0; /* drop duplicates */
    for (size_t i = 0; i < nbucket; i++)
        if (w == 0 || mkey_cmp(&bucket[w - 1], &bucket[i]) != 0)
            bucket[w++] = bucket[i];
    nbucket = w;
}

/* Everything a complete listing holds, as "K:key" / "P:prefix" lines. */
static size_t expected(const char *prefix, const char *delim, char (*out)[80])
{
    size_t n = 0, pl = strlen(prefix);
    tn_slice_t p = {prefix, pl}, d = {delim, strlen(delim)};
    for (size_t i = 0; i < nbucket; i++) {
        const char *k = bucket[i].key;
        if (!bucket[i].live || strncmp(k, prefix, pl) != 0)
            continue;
        size_t cp = s3_list_common_prefix(k, strlen(k), p, d);
        char line[80];
        if (cp)
            snprintf(line, sizeof line, "P:%.*s", (int)cp, k);
        else
            snprintf(line, sizeof line, "K:%s", k);
        if (n > 0 && strcmp(out[n - 1], line) == 0)
            continue;
        snprintf(out[n++], 80, "%s", line);
    }
    return n;
}

static char *xml_value(const char *doc, const char *tag, char *out, size_t cap)
{
    char open[64];
    snprintf(open, sizeof open, "<%s>", tag);
    const char *s = strstr(doc, open);
    if (s == NULL)
        return NULL;
    s += strlen(open);
    const char *e = strchr(s, '<');
    size_t n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* Lists the whole bucket page by page the way a client and the handler would: the handler
 * part fetches `batch` rows at a time from the page's seek position and cuts the page after
 * `cut_after` fetches when allowed; the client part resumes from the token (V2), NextMarker
 * or the last key (V1), NextKeyMarker (versions). Returns the number of lines gathered. */
static size_t list_all(s3_list_kind_t kind, const char *prefix, const char *delim,
                       unsigned max_keys, size_t batch, unsigned cut_after, char (*got)[80],
                       size_t cap, unsigned *pages)
{
    char resume[S3_LIST_TOKEN_MAX + 1] = "";
    size_t n = 0;
    *pages = 0;
    for (;;) {
        char q[8192], enc[4096];
        int qn = snprintf(q, sizeof q, "max-keys=%u", max_keys);
        tn_uri_encode(prefix, strlen(prefix), enc, sizeof enc, 1);
        qn += snprintf(q + qn, sizeof q - (size_t)qn, "&prefix=%s", enc);
        tn_uri_encode(delim, strlen(delim), enc, sizeof enc, 1);
        qn += snprintf(q + qn, sizeof q - (size_t)qn, "&delimiter=%s", enc);
        if (resume[0]) {
            tn_uri_encode(resume, strlen(resume), enc, sizeof enc, 1);
            const char *name = kind == S3_LIST_V2   ? "continuation-token"
                               : kind == S3_LIST_V1 ? "marker"
                                                    : "key-marker";
            qn += snprintf(q + qn, sizeof q - (size_t)qn, "&%s=%s", name, enc);
        }
        s3_list_params_t p;
        const char *msg;
        if (!ok(parse(kind, q, &p, &msg) == S3_OK, "page params"))
            return n;
        s3_list_page_t pg;
        s3_list_page_init(&pg, &p);
        unsigned fetches = 0;
        int full = 0;
        while (!full) {
            uint8_t seek[S3_KEY_MAX];
            size_t sl = s3_list_page_seek(&pg, seek);
            if (fetches >= cut_after && s3_list_page_can_cut(&pg)) {
                s3_list_page_cut(&pg);
                break;
            }
            fetches++;
            /* the OSD: keys > seek that start with the prefix, batch of them */
            size_t fed = 0, i = 0;
            for (; i < nbucket; i++) {
                const char *k = bucket[i].key;
                size_t kl = strlen(k), c = kl < sl ? kl : sl;
                int cmp = memcmp(k, seek, c);
                if (cmp < 0 || (cmp == 0 && kl <= sl) || strncmp(k, prefix, strlen(prefix)) != 0)
                    continue;
                break;
            }
            for (; i < nbucket && fed < batch; i++) {
                const char *k = bucket[i].key;
                if (strncmp(k, prefix, strlen(prefix)) != 0)
                    continue;
                s3_list_obj_t o = {.size = strlen(k), .mtime_ms = 1000};
                int rc = s3_list_page_add(&pg, k, strlen(k), bucket[i].live ? &o : NULL);
                fed++;
                if (rc == S3_LIST_FULL) {
                    full = 1;
                    break;
                }
            }
            if (!full && i >= nbucket)
                break; /* the shard ended */
        }
        (*pages)++;
        ok(pg.n <= max_keys, "never more than max-keys items");
        for (size_t i = 0; i < pg.n && n < cap; i++)
            snprintf(got[n++], 80, "%c:%.*s", pg.items[i].is_prefix ? 'P' : 'K',
                     (int)pg.items[i].key_len, (const char *)pg.keys + pg.items[i].key_off);
        s3_buf_t x;
        s3_buf_init(&x, 8u << 20);
        ok(s3_list_xml(&pg, "bkt", 3, "owner", &x) == TN_OK, "xml");
        int trunc = strstr(x.base, "<IsTruncated>true</IsTruncated>") != NULL;
        ok(trunc == pg.truncated, "IsTruncated as the page says");
        char v[1024];
        if (kind == S3_LIST_V2) {
            char kc[16];
            ok(xml_value(x.base, "KeyCount", kc, sizeof kc) && (size_t)atoi(kc) == pg.n,
               "KeyCount = keys + prefixes");
            if (trunc && !ok(xml_value(x.base, "NextContinuationToken", resume, sizeof resume),
                             "token when truncated"))
                trunc = 0;
        } else if (kind == S3_LIST_V1) {
            if (xml_value(x.base, "NextMarker", v, sizeof v)) {
                ok(trunc, "NextMarker only when truncated");
                ok(delim[0] || pg.n == 0, "NextMarker only with a delimiter (or an empty cut)");
                snprintf(resume, sizeof resume, "%s", v);
            } else if (trunc) {
                ok(!delim[0], "NextMarker given with a delimiter");
                const s3_list_item_t *it = &pg.items[pg.n - 1];
                snprintf(resume, sizeof resume, "%.*s", (int)it->key_len,
                         (const char *)pg.keys + it->key_off);
            }
        } else if (trunc) {
            ok(xml_value(x.base, "NextKeyMarker", resume, sizeof resume) != NULL,
               "NextKeyMarker when truncated");
        }
        s3_buf_free(&x);
        s3_list_page_free(&pg);
        if (!trunc || *pages > 5000)
            break;
    }
    return n;
}

static char (*want)[80], (*got)[80];

static void check_listing(s3_list_kind_t kind, const char *prefix, const char *delim,
                          unsigned max_keys, size_t batch, unsigned cut_after)
{
    char what[160];
    snprintf(what, sizeof what, "kind %d prefix '%s' delim '%s' max %u batch %zu cut %u", kind,
             prefix, delim, max_keys, batch, cut_after);
    size_t nw = expected(prefix, delim, want);
    unsigned pages;
    size_t ng = list_all(kind, prefix, delim, max_keys, batch, cut_after, got, 2000, &pages);
    int same = ng == nw;
    for (size_t i = 0; same && i < nw; i++)
        same = strcmp(want[i], got[i]) == 0;
    if (!ok(same, what)) {
        fprintf(stderr, "    want %zu lines, got %zu\n", nw, ng);
        for (size_t i = 0; i < nw || i < ng; i++)
            if (i >= nw || i >= ng || strcmp(want[i], got[i]) != 0) {
                fprintf(stderr, "    first difference at %zu: want %s got %s\n", i,
                        i < nw ? want[i] : "-", i < ng ? got[i] : "-");
                break;
            }
    }
    if (cut_after > 100 && max_keys > 0 && nw > 0)
        ok(pages == (nw + max_keys - 1) / max_keys, "full pages when not cut");
}

static void test_pages(void)
{
    build_bucket();
    want = calloc(2000, 80);
    got = calloc(2000, 80);
    const s3_list_kind_t kinds[] = {S3_LIST_V1, S3_LIST_V2, S3_LIST_VERSIONS};
    const char *prefixes[] = {"", "img/", "a", "del/", "nope"};
    const char *delims[] = {"", "/", "0"};
    const unsigned maxes[] = {1, 2, 7, 1000};
    const size_t batches[] = {1, 16, 1000};
    for (size_t k = 0; k < 3; k++)
        for (size_t p = 0; p < 5; p++)
            for (size_t d = 0; d < 3; d++)
                for (size_t m = 0; m < 4; m++)
                    for (size_t b = 0; b < 3; b++)
                        check_listing(kinds[k], prefixes[p], delims[d], maxes[m], batches[b],
                                      1000000);
    /* early cuts (a bound on the work per request) still list everything exactly once */
    for (size_t k = 0; k < 3; k++)
        for (size_t d = 0; d < 3; d++) {
            check_listing(kinds[k], "", delims[d], 50, 3, 1);
            check_listing(kinds[k], "", delims[d], 1000, 1, 2);
            check_listing(kinds[k], "del/", delims[d], 5, 2, 1);
            check_listing(kinds[k], "", delims[d], 3, 1, 1);
            check_listing(kinds[k], "r/", delims[d], 3, 1, 1);
            check_listing(kinds[k], "img/", delims[d], 2, 1, 1);
        }
    free(want);
    free(got);
    free(bucket);
}

static void test_page_rules(void)
{
    s3_list_params_t p;
    const char *msg;
    s3_list_page_t pg;
    s3_list_obj_t o = {.size = 5, .mtime_ms = 1700000000123ull};
    memset(o.md5, 0xab, 16);
    /* max-keys 0: empty, not truncated */
    parse(S3_LIST_V2, "max-keys=0", &p, &msg);
    s3_list_page_init(&pg, &p);
    is_int(s3_list_page_add(&pg, "a", 1, &o), S3_LIST_FULL, "max-keys 0 is full at once");
    ok(!pg.truncated && pg.n == 0, "and not truncated");
    s3_list_page_free(&pg);
    /* marker inside a group re-lists the group; marker equal to the group skips it */
    parse(S3_LIST_V1, "delimiter=%2F&marker=a%2Fb", &p, &msg);
    s3_list_page_init(&pg, &p);
    s3_list_page_add(&pg, "a/b", 3, &o);
    s3_list_page_add(&pg, "a/c", 3, &o);
    ok(pg.n == 1 && pg.items[0].is_prefix, "a/ again after a marker inside it");
    s3_list_page_free(&pg);
    parse(S3_LIST_V1, "delimiter=%2F&marker=a%2F", &p, &msg);
    s3_list_page_init(&pg, &p);
    s3_list_page_add(&pg, "a/c", 3, &o);
    s3_list_page_add(&pg, "b", 1, &o);
    ok(pg.n == 1 && !pg.items[0].is_prefix && pg.items[0].key_len == 1, "a/ skipped");
    s3_list_page_free(&pg);
    /* seek past a common prefix */
    parse(S3_LIST_V2, "delimiter=%2F", &p, &msg);
    s3_list_page_init(&pg, &p);
    s3_list_page_add(&pg, "x/1", 3, &o);
    uint8_t seek[S3_KEY_MAX];
    is_uint(s3_list_page_seek(&pg, seek), S3_KEY_MAX, "seek is the largest key under x/");
    ok(seek[0] == 'x' && seek[1] == '/' && seek[2] == 0xFF && seek[S3_KEY_MAX - 1] == 0xFF,
       "x/ + 0xFF...");
    s3_list_page_free(&pg);
    /* V1 cannot be cut at a deleted key that is itself a common prefix */
    parse(S3_LIST_V1, "delimiter=%2F", &p, &msg);
    s3_list_page_init(&pg, &p);
    s3_list_page_add(&pg, "q/", 2, NULL);
    ok(!s3_list_page_can_cut(&pg), "V1: no cut at q/ (a tombstone)");
    s3_list_page_add(&pg, "q/x", 3, NULL);
    ok(s3_list_page_can_cut(&pg), "V1: cut at q/x");
    s3_list_page_free(&pg);
    parse(S3_LIST_V2, "delimiter=%2F", &p, &msg);
    s3_list_page_init(&pg, &p);
    ok(!s3_list_page_can_cut(&pg), "no cut before anything was read");
    s3_list_page_add(&pg, "q/", 2, NULL);
    ok(s3_list_page_can_cut(&pg), "V2: the token is exact");
    s3_list_page_free(&pg);
}

static void test_xml(void)
{
    s3_list_params_t p;
    const char *msg;
    s3_list_page_t pg;
    s3_buf_t x;
    s3_list_obj_t o = {.size = 5, .mtime_ms = 1700000000123ull};
    memset(o.md5, 0xab, 16);
    parse(S3_LIST_V2,
          "list-type=2&encoding-type=url&fetch-owner=true&delimiter=%2F&prefix=p%20&max-keys=2&"
          "start-after=p%20%2B",
          &p, &msg);
    s3_list_page_init(&pg, &p);
    s3_list_page_add(&pg, "p a+b\xc3\xa9", 7, &o);
    s3_list_page_add(&pg, "p dir/x", 7, &o);
    is_int(s3_list_page_add(&pg, "p z", 3, &o), S3_LIST_FULL, "third item: full");
    s3_buf_init(&x, 1 << 20);
    is_int(s3_list_xml(&pg, "bkt", 3, "AKID", &x), TN_OK, "V2 xml");
    has_str(x.base, "<Name>bkt</Name><Prefix>p%20</Prefix>", "prefix encoded");
    has_str(x.base, "<StartAfter>p%20%2B</StartAfter><KeyCount>2</KeyCount>", "start-after");
    has_str(x.base, "<MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>", "delimiter");
    has_str(x.base, "<IsTruncated>true</IsTruncated><NextContinuationToken>", "truncated");
    has_str(x.base, "<EncodingType>url</EncodingType>", "encoding type");
    has_str(x.base,
            "<Contents><Key>p%20a%2Bb%C3%A9</Key><LastModified>2023-11-14T22:13:20.123Z"
            "</LastModified><ETag>&quot;abababababababababababababababab&quot;</ETag><Size>5"
            "</Size><Owner><ID>AKID</ID><DisplayName>AKID</DisplayName></Owner><StorageClass>"
            "STANDARD</StorageClass></Contents>",
            "contents");
    has_str(x.base, "<CommonPrefixes><Prefix>p%20dir/</Prefix></CommonPrefixes>", "prefixes");
    s3_buf_free(&x);
    s3_list_page_free(&pg);

    parse(S3_LIST_V1, "marker=%3C", &p, &msg);
    s3_list_page_init(&pg, &p);
    s3_list_page_add(&pg, "a<b", 3, &o);
    s3_buf_init(&x, 1 << 20);
    s3_list_xml(&pg, "bkt", 3, "AKID", &x);
    has_str(x.base, "<Marker>&lt;</Marker><MaxKeys>1000</MaxKeys><IsTruncated>false", "V1 head");
    has_str(x.base, "<Key>a&lt;b</Key>", "escaped without encoding-type");
    has_str(x.base, "<Owner><ID>AKID</ID>", "V1 owner");
    ok(strstr(x.base, "NextMarker") == NULL && strstr(x.base, "KeyCount") == NULL,
       "no NextMarker, no KeyCount");
    s3_buf_free(&x);
    s3_list_page_free(&pg);

    parse(S3_LIST_V1, "max-keys=1", &p, &msg);
    s3_list_page_init(&pg, &p);
    s3_list_page_add(&pg, "a", 1, &o);
    s3_list_page_add(&pg, "b", 1, &o);
    s3_buf_init(&x, 1 << 20);
    s3_list_xml(&pg, "bkt", 3, "AKID", &x);
    ok(strstr(x.base, "<IsTruncated>true") && !strstr(x.base, "NextMarker"),
       "V1 truncated without a delimiter: no NextMarker");
    s3_buf_free(&x);
    s3_list_page_free(&pg);

    parse(S3_LIST_VERSIONS, "max-keys=1&key-marker=a&version-id-marker=null", &p, &msg);
    s3_list_page_init(&pg, &p);
    s3_list_page_add(&pg, "a", 1, &o);
    s3_list_page_add(&pg, "b", 1, &o);
    s3_list_page_add(&pg, "c", 1, &o);
    s3_buf_init(&x, 1 << 20);
    s3_list_xml(&pg, "bkt", 3, "AKID", &x);
    has_str(x.base, "<ListVersionsResult xmlns=", "versions root");
    has_str(x.base,
            "<KeyMarker>a</KeyMarker><VersionIdMarker>null</VersionIdMarker><NextKeyMarker>b"
            "</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>",
            "version markers");
    has_str(x.base, "<Version><Key>b</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>",
            "version entry");
    s3_buf_free(&x);
    s3_list_page_free(&pg);

    s3_buf_init(&x, 4096);
    s3_list_versioning_xml(&x);
    has_str(x.base,
            "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "</VersioningConfiguration>",
            "versioning");
    s3_buf_free(&x);
}

int main(void)
{
    subtest("params", test_params);
    subtest("token", test_token);
    subtest("common prefix", test_common_prefix);
    subtest("page rules", test_page_rules);
    subtest("pages against the model", test_pages);
    subtest("xml", test_xml);
    return tt_done();
}
