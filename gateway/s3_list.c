/* s3_list.c — PURE core of the bucket listings: parameters, continuation token, delimiter
 * grouping, page assembly and response XML (contract in s3_list.h). */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "s3_list.h"
#include "s3_etag.h"
#include "tn_crc.h"
#include "tn_hex.h"
#include "tn_time.h"

#define TOKEN_FORMAT 1u

/* ---- small helpers ---- */

static int slice_is(tn_slice_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.base, lit, n) == 0;
}

static int slice_is_nocase(tn_slice_t s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s.base[i];
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c != lit[i])
            return 0;
    }
    return 1;
}

static const s3_param_t *find(const s3_param_t *params, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (slice_is(params[i].name, name))
            return &params[i];
    return NULL;
}

/* Raw byte order, shorter first on a common prefix (S3's key order). */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int starts_with(const void *key, size_t len, const void *pfx, size_t plen)
{
    return len >= plen && (plen == 0 || memcmp(key, pfx, plen) == 0);
}

static const uint8_t *find_bytes(const uint8_t *hay, size_t hlen, const uint8_t *needle,
                                 size_t nlen)
{
    if (nlen == 0 || hlen < nlen)
        return NULL;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    return NULL;
}

size_t s3_list_common_prefix(const void *key, size_t len, tn_slice_t prefix, tn_slice_t delimiter)
{
    if (delimiter.len == 0 || !starts_with(key, len, prefix.base, prefix.len))
        return 0;
    const uint8_t *k = key;
    const uint8_t *d = find_bytes(k + prefix.len, len - prefix.len, (const uint8_t *)delimiter.base,
                                  delimiter.len);
    return d == NULL ? 0 : (size_t)(d - k) + delimiter.len;
}

/* ---- token ---- */

size_t s3_list_token_encode(const s3_list_pos_t *pos, char *out)
{
    uint8_t raw[2 + S3_KEY_MAX + 4];
    size_t len = pos->len <= S3_KEY_MAX ? pos->len : S3_KEY_MAX;
    raw[0] = TOKEN_FORMAT;
    raw[1] = pos->skip ? S3_LIST_TOKEN_SKIP : 0;
    memcpy(raw + 2, pos->key, len);
    uint32_t crc = tn_crc32c(0, raw, 2 + len);
    for (int i = 0; i < 4; i++)
        raw[2 + len + (size_t)i] = (uint8_t)(crc >> (8 * i));
    return tn_base64_encode(out, raw, 2 + len + 4);
}

int s3_list_token_decode(const char *tok, size_t len, s3_list_pos_t *pos)
{
    uint8_t raw[2 + S3_KEY_MAX + 4 + 3];
    size_t n = 0;
    if (len == 0 || len > S3_LIST_TOKEN_MAX ||
        tn_base64_decode(tok, len, raw, sizeof raw, &n) != TN_OK || n < 2 + 1 + 4 ||
        n > 2 + S3_KEY_MAX + 4)
        return TN_ERR_CORRUPT;
    if (raw[0] != TOKEN_FORMAT || (raw[1] & ~S3_LIST_TOKEN_SKIP) != 0)
        return TN_ERR_CORRUPT;
    uint32_t want = (uint32_t)raw[n - 4] | (uint32_t)raw[n - 3] << 8 | (uint32_t)raw[n - 2] << 16 |
                    (uint32_t)raw[n - 1] << 24;
    if (tn_crc32c(0, raw, n - 4) != want)
        return TN_ERR_CORRUPT;
    pos->len = n - 6;
    memcpy(pos->key, raw + 2, pos->len);
    pos->skip = (raw[1] & S3_LIST_TOKEN_SKIP) != 0;
    return TN_OK;
}

/* ---- parameters ---- */

static int parse_max_keys(tn_slice_t v, uint32_t *out)
{
    if (v.len == 0 || v.len > 10)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.base[i] < '0' || v.base[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(v.base[i] - '0');
    }
    if (x > 2147483647u)
        return -1;
    *out = x > S3_LIST_MAX_KEYS ? S3_LIST_MAX_KEYS : (uint32_t)x;
    return 0;
}

/* A client marker: keys after it; a marker that is itself a common prefix skips its keys. */
static void pos_from_marker(s3_list_pos_t *pos, tn_slice_t m, tn_slice_t prefix,
                            tn_slice_t delimiter)
{
    pos->len = m.len <= S3_KEY_MAX ? m.len : S3_KEY_MAX;
    memcpy(pos->key, m.base, pos->len);
    pos->skip = m.len <= S3_KEY_MAX && m.len > 0 &&
                s3_list_common_prefix(m.base, m.len, prefix, delimiter) == m.len;
}

s3_err_t s3_list_params_parse(s3_list_kind_t kind, const s3_param_t *params, size_t n,
                              s3_list_params_t *out, const char **msg)
{
    static const tn_slice_t empty = {"", 0};
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->prefix = empty;
    out->delimiter = empty;
    out->start_after = empty;
    out->marker = empty;
    out->token = empty;
    out->version_id_marker = empty;
    out->max_keys = S3_LIST_MAX_KEYS;
    out->fetch_owner = kind != S3_LIST_V2;
    *msg = NULL;
    const s3_param_t *p;
    if ((p = find(params, n, "prefix")) != NULL)
        out->prefix = p->value;
    if ((p = find(params, n, "delimiter")) != NULL)
        out->delimiter = p->value;
    if ((p = find(params, n, "max-keys")) != NULL &&
        parse_max_keys(p->value, &out->max_keys) != 0) {
        *msg = "Provided max-keys not an integer or within integer range";
        return S3_ERR_INVALID_ARGUMENT;
    }
    if ((p = find(params, n, "encoding-type")) != NULL) {
        if (!slice_is_nocase(p->value, "url")) {
            *msg = "Invalid Encoding Method specified in Request";
            return S3_ERR_INVALID_ARGUMENT;
        }
        out->encode_url = 1;
    }
    if (kind == S3_LIST_V2 && (p = find(params, n, "fetch-owner")) != NULL) {
        if (slice_is_nocase(p->value, "true"))
            out->fetch_owner = 1;
        else if (!slice_is_nocase(p->value, "false")) {
            *msg = "Invalid fetch-owner value: expected true or false";
            return S3_ERR_INVALID_ARGUMENT;
        }
    }
    switch (kind) {
    case S3_LIST_V2:
        if ((p = find(params, n, "start-after")) != NULL) {
            out->has_start_after = 1;
            out->start_after = p->value;
        }
        if ((p = find(params, n, "continuation-token")) != NULL) {
            out->has_token = 1;
            out->token = p->value;
            if (s3_list_token_decode(p->value.base, p->value.len, &out->start) != TN_OK) {
                *msg = "The continuation token provided is incorrect";
                return S3_ERR_INVALID_ARGUMENT;
            }
        } else if (out->has_start_after) {
            pos_from_marker(&out->start, out->start_after, out->prefix, out->delimiter);
        }
        break;
    case S3_LIST_V1:
        if ((p = find(params, n, "marker")) != NULL) {
            out->has_marker = 1;
            out->marker = p->value;
            pos_from_marker(&out->start, out->marker, out->prefix, out->delimiter);
        }
        break;
    case S3_LIST_VERSIONS:
        if ((p = find(params, n, "key-marker")) != NULL) {
            out->has_marker = 1;
            out->marker = p->value;
            pos_from_marker(&out->start, out->marker, out->prefix, out->delimiter);
        }
        if ((p = find(params, n, "version-id-marker")) != NULL) {
            out->has_version_id_marker = 1;
            out->version_id_marker = p->value;
            if (!out->has_marker || out->marker.len == 0) {
                *msg = "A version-id marker cannot be specified without a key marker.";
                return S3_ERR_INVALID_ARGUMENT;
            }
            if (!slice_is(p->value, "null")) {
                *msg = "Invalid version id specified";
                return S3_ERR_INVALID_ARGUMENT;
            }
        }
        break;
    }
    return S3_OK;
}

/* ---- page assembly ---- */

void s3_list_page_init(s3_list_page_t *pg, const s3_list_params_t *params)
{
    memset(pg, 0, sizeof *pg);
    pg->params = params;
    pg->pos = params->start;
}

void s3_list_page_free(s3_list_page_t *pg)
{
    free(pg->items);
    free(pg->keys);
    pg->items = NULL;
    pg->keys = NULL;
}

/* Is key (which starts with the prefix) beyond the position? */
static int after_pos(const s3_list_page_t *pg, const void *key, size_t len)
{
    const s3_list_pos_t *p = &pg->pos;
    if (p->len == 0)
        return 1;
    if (p->skip && starts_with(key, len, p->key, p->len))
        return 0;
    return key_cmp(key, len, p->key, p->len) > 0;
}

static int push_item(s3_list_page_t *pg, const void *key, size_t len, const s3_list_obj_t *obj)
{
    size_t max = pg->params->max_keys;
    if (pg->items == NULL) {
        pg->items = malloc((max ? max : 1) * sizeof *pg->items);
        if (pg->items == NULL)
            return -ENOMEM;
    }
    if (pg->keys_len + len > pg->keys_cap) {
        size_t cap = pg->keys_cap ? pg->keys_cap : 4096;
        while (cap < pg->keys_len + len)
            cap *= 2;
        uint8_t *k = realloc(pg->keys, cap);
        if (k == NULL)
            return -ENOMEM;
        pg->keys = k;
        pg->keys_cap = cap;
    }
    memcpy(pg->keys + pg->keys_len, key, len);
    s3_list_item_t *it = &pg->items[pg->n++];
    memset(it, 0, sizeof *it);
    it->key_off = (uint32_t)pg->keys_len;
    it->key_len = (uint32_t)len;
    it->is_prefix = obj == NULL;
    if (obj != NULL)
        it->obj = *obj;
    else
        pg->n_prefixes++;
    pg->keys_len += len;
    return 0;
}

static void set_pos(s3_list_page_t *pg, const void *key, size_t len, int skip)
{
    memmove(pg->pos.key, key, len);
    pg->pos.len = len;
    pg->pos.skip = skip;
}

int s3_list_page_add(s3_list_page_t *pg, const void *key, size_t len, const s3_list_obj_t *obj)
{
    const s3_list_params_t *p = pg->params;
    pg->scanned++;
    if (pg->truncated || p->max_keys == 0)
        return S3_LIST_FULL;
    if (len == 0 || len > S3_KEY_MAX || !starts_with(key, len, p->prefix.base, p->prefix.len) ||
        !after_pos(pg, key, len))
        return S3_LIST_MORE;
    size_t cp = s3_list_common_prefix(key, len, p->prefix, p->delimiter);
    if (obj == NULL) { /* a deleted key: never listed, never makes a prefix */
        set_pos(pg, key, len, 0);
        return S3_LIST_MORE;
    }
    if (pg->n >= p->max_keys) {
        pg->truncated = 1;
        return S3_LIST_FULL;
    }
    int rc = cp ? push_item(pg, key, cp, NULL) : push_item(pg, key, len, obj);
    if (rc != 0) {
        pg->failed = 1;
        return rc;
    }
    if (cp)
        set_pos(pg, key, cp, 1);
    else
        set_pos(pg, key, len, 0);
    return S3_LIST_MORE;
}

size_t s3_list_page_seek(const s3_list_page_t *pg, uint8_t out[S3_KEY_MAX])
{
    memcpy(out, pg->pos.key, pg->pos.len);
    if (!pg->pos.skip)
        return pg->pos.len;
    memset(out + pg->pos.len, 0xFF, S3_KEY_MAX - pg->pos.len);
    return S3_KEY_MAX;
}

int s3_list_page_can_cut(const s3_list_page_t *pg)
{
    const s3_list_params_t *p = pg->params;
    if (pg->pos.len == 0 || pg->truncated)
        return 0;
    if (p->kind == S3_LIST_V2 || pg->pos.skip)
        return 1;
    /* V1 NextMarker / NextKeyMarker come back as markers: one that is a common prefix would
     * skip its keys, which were not all read */
    return s3_list_common_prefix(pg->pos.key, pg->pos.len, p->prefix, p->delimiter) != pg->pos.len;
}

void s3_list_page_cut(s3_list_page_t *pg)
{
    pg->truncated = 1;
    pg->cut = 1;
}

/* ---- XML ---- */

static void text_enc(s3_buf_t *x, const void *s, size_t len, int enc)
{
    if (!enc) {
        s3_xml_text(x, s, len);
        return;
    }
    char tmp[256];
    const char *in = s;
    while (len > 0) { /* 64 bytes at a time encode to at most 192 characters */
        size_t n = len < 64 ? len : 64;
        size_t w = tn_uri_encode(in, n, tmp, sizeof tmp, 0);
        s3_buf_append(x, tmp, w);
        in += n;
        len -= n;
    }
}

static void elem_enc(s3_buf_t *x, const char *name, const void *s, size_t len, int enc)
{
    s3_xml_open(x, name);
    text_enc(x, s, len, enc);
    s3_xml_close(x, name);
}

static void owner(s3_buf_t *x, const char *id)
{
    s3_xml_open(x, "Owner");
    s3_xml_elem_str(x, "ID", id);
    s3_xml_elem_str(x, "DisplayName", id);
    s3_xml_close(x, "Owner");
}

static void object(s3_buf_t *x, const s3_list_page_t *pg, const s3_list_item_t *it, const char *own)
{
    const s3_list_params_t *p = pg->params;
    int versions = p->kind == S3_LIST_VERSIONS;
    char date[40], etag[S3_ETAG_MAX];
    tn_time_format_iso_ms((int64_t)it->obj.mtime_ms, date);
    s3_etag_format(it->obj.md5, it->obj.part_count, etag);
    s3_xml_open(x, versions ? "Version" : "Contents");
    elem_enc(x, "Key", pg->keys + it->key_off, it->key_len, p->encode_url);
    if (versions) {
        s3_xml_elem_str(x, "VersionId", "null");
        s3_xml_elem_bool(x, "IsLatest", 1);
    }
    s3_xml_elem_str(x, "LastModified", date);
    s3_xml_elem_str(x, "ETag", etag);
    s3_xml_elem_u64(x, "Size", it->obj.size);
    if (p->fetch_owner)
        owner(x, own);
    s3_xml_elem_str(x, "StorageClass", "STANDARD");
    s3_xml_close(x, versions ? "Version" : "Contents");
}

int s3_list_xml(const s3_list_page_t *pg, const char *bucket, size_t bucket_len, const char *own,
                s3_buf_t *x)
{
    const s3_list_params_t *p = pg->params;
    int enc = p->encode_url;
    const char *root = p->kind == S3_LIST_VERSIONS ? "ListVersionsResult" : "ListBucketResult";
    /* where the next page starts: the last item, or the position after an early cut */
    const s3_list_item_t *last = pg->n ? &pg->items[pg->n - 1] : NULL;
    const uint8_t *next = pg->cut || last == NULL ? pg->pos.key : pg->keys + last->key_off;
    size_t next_len = pg->cut || last == NULL ? pg->pos.len : last->key_len;
    s3_xml_decl(x);
    s3_xml_open_ns(x, root, S3_XML_NS);
    s3_xml_elem(x, "Name", bucket, bucket_len);
    elem_enc(x, "Prefix", p->prefix.base, p->prefix.len, enc);
    switch (p->kind) {
    case S3_LIST_V1:
        elem_enc(x, "Marker", p->marker.base, p->marker.len, enc);
        if (pg->truncated && (p->delimiter.len > 0 || pg->n == 0))
            elem_enc(x, "NextMarker", next, next_len, enc);
        break;
    case S3_LIST_V2:
        if (p->has_token)
            s3_xml_elem(x, "ContinuationToken", p->token.base, p->token.len);
        if (p->has_start_after)
            elem_enc(x, "StartAfter", p->start_after.base, p->start_after.len, enc);
        s3_xml_elem_u64(x, "KeyCount", pg->n);
        break;
    case S3_LIST_VERSIONS:
        elem_enc(x, "KeyMarker", p->marker.base, p->marker.len, enc);
        s3_xml_elem(x, "VersionIdMarker", p->version_id_marker.base, p->version_id_marker.len);
        if (pg->truncated) {
            elem_enc(x, "NextKeyMarker", next, next_len, enc);
            if (!pg->cut && last != NULL && !last->is_prefix)
                s3_xml_elem_str(x, "NextVersionIdMarker", "null");
        }
        break;
    }
    s3_xml_elem_u64(x, "MaxKeys", p->max_keys);
    if (p->delimiter.len > 0)
        elem_enc(x, "Delimiter", p->delimiter.base, p->delimiter.len, enc);
    s3_xml_elem_bool(x, "IsTruncated", pg->truncated);
    if (p->kind == S3_LIST_V2 && pg->truncated) {
        char tok[S3_LIST_TOKEN_MAX + 1];
        size_t n = s3_list_token_encode(&pg->pos, tok);
        s3_xml_elem(x, "NextContinuationToken", tok, n);
    }
    if (enc)
        s3_xml_elem_str(x, "EncodingType", "url");
    for (size_t i = 0; i < pg->n; i++)
        if (!pg->items[i].is_prefix)
            object(x, pg, &pg->items[i], own);
    for (size_t i = 0; i < pg->n; i++)
        if (pg->items[i].is_prefix) {
            s3_xml_open(x, "CommonPrefixes");
            elem_enc(x, "Prefix", pg->keys + pg->items[i].key_off, pg->items[i].key_len, enc);
            s3_xml_close(x, "CommonPrefixes");
        }
    s3_xml_close(x, root);
    return s3_buf_ok(x) ? TN_OK : TN_ERR_TOO_BIG;
}

int s3_list_versioning_xml(s3_buf_t *x)
{
    s3_xml_decl(x);
    s3_xml_open_ns(x, "VersioningConfiguration", S3_XML_NS);
    s3_xml_close(x, "VersioningConfiguration");
    return s3_buf_ok(x) ? TN_OK : TN_ERR_TOO_BIG;
}
