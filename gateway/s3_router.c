/* s3_router.c — PURE request routing for S3 (see s3_router.h). */
#include <string.h>
#include "tn_hex.h"
#include "s3_router.h"

/* Sub-resources that select an operation. */
enum {
    SUB_ACL = 1 << 0,
    SUB_CORS = 1 << 1,
    SUB_DELETE = 1 << 2,
    SUB_TAGGING = 1 << 3,
    SUB_UPLOADS = 1 << 4,
    SUB_UPLOAD_ID = 1 << 5,
    SUB_PART_NUMBER = 1 << 6,
    SUB_VERSIONING = 1 << 7,
    SUB_POLICY = 1 << 8,
    SUB_LOCATION = 1 << 9,
    SUB_VERSIONS = 1 << 10,
    SUB_ATTRIBUTES = 1 << 11,
    SUB_UNKNOWN = 1 << 12, /* a sub-resource tern does not implement */
};

static const struct {
    const char *name;
    unsigned bit;
} subs[] = {
    {"acl", SUB_ACL},
    {"cors", SUB_CORS},
    {"delete", SUB_DELETE},
    {"tagging", SUB_TAGGING},
    {"uploads", SUB_UPLOADS},
    {"uploadId", SUB_UPLOAD_ID},
    {"partNumber", SUB_PART_NUMBER},
    {"versioning", SUB_VERSIONING},
    {"policy", SUB_POLICY},
    {"location", SUB_LOCATION},
    {"versions", SUB_VERSIONS},
    {"attributes", SUB_ATTRIBUTES},
    /* S3 sub-resources that tern answers with NotImplemented */
    {"accelerate", SUB_UNKNOWN},
    {"analytics", SUB_UNKNOWN},
    {"encryption", SUB_UNKNOWN},
    {"intelligent-tiering", SUB_UNKNOWN},
    {"inventory", SUB_UNKNOWN},
    {"legal-hold", SUB_UNKNOWN},
    {"lifecycle", SUB_UNKNOWN},
    {"logging", SUB_UNKNOWN},
    {"metadataConfiguration", SUB_UNKNOWN},
    {"metadataTable", SUB_UNKNOWN},
    {"metrics", SUB_UNKNOWN},
    {"notification", SUB_UNKNOWN},
    {"object-lock", SUB_UNKNOWN},
    {"ownershipControls", SUB_UNKNOWN},
    {"policyStatus", SUB_UNKNOWN},
    {"publicAccessBlock", SUB_UNKNOWN},
    {"renameObject", SUB_UNKNOWN},
    {"replication", SUB_UNKNOWN},
    {"requestPayment", SUB_UNKNOWN},
    {"restore", SUB_UNKNOWN},
    {"retention", SUB_UNKNOWN},
    {"select", SUB_UNKNOWN},
    {"session", SUB_UNKNOWN},
    {"torrent", SUB_UNKNOWN},
    {"website", SUB_UNKNOWN},
};

static const char *const op_names[S3_OP__COUNT] = {
    [S3_OP_NONE] = "None",
    [S3_OP_LIST_BUCKETS] = "ListBuckets",
    [S3_OP_CREATE_BUCKET] = "CreateBucket",
    [S3_OP_DELETE_BUCKET] = "DeleteBucket",
    [S3_OP_HEAD_BUCKET] = "HeadBucket",
    [S3_OP_GET_BUCKET_LOCATION] = "GetBucketLocation",
    [S3_OP_LIST_OBJECTS] = "ListObjects",
    [S3_OP_LIST_OBJECTS_V2] = "ListObjectsV2",
    [S3_OP_LIST_OBJECT_VERSIONS] = "ListObjectVersions",
    [S3_OP_LIST_MULTIPART_UPLOADS] = "ListMultipartUploads",
    [S3_OP_GET_BUCKET_CORS] = "GetBucketCors",
    [S3_OP_PUT_BUCKET_CORS] = "PutBucketCors",
    [S3_OP_DELETE_BUCKET_CORS] = "DeleteBucketCors",
    [S3_OP_GET_BUCKET_ACL] = "GetBucketAcl",
    [S3_OP_PUT_BUCKET_ACL] = "PutBucketAcl",
    [S3_OP_GET_BUCKET_VERSIONING] = "GetBucketVersioning",
    [S3_OP_PUT_BUCKET_VERSIONING] = "PutBucketVersioning",
    [S3_OP_GET_BUCKET_POLICY] = "GetBucketPolicy",
    [S3_OP_PUT_BUCKET_POLICY] = "PutBucketPolicy",
    [S3_OP_DELETE_BUCKET_POLICY] = "DeleteBucketPolicy",
    [S3_OP_DELETE_OBJECTS] = "DeleteObjects",
    [S3_OP_POST_OBJECT] = "PostObject",
    [S3_OP_PUT_OBJECT] = "PutObject",
    [S3_OP_COPY_OBJECT] = "CopyObject",
    [S3_OP_GET_OBJECT] = "GetObject",
    [S3_OP_HEAD_OBJECT] = "HeadObject",
    [S3_OP_DELETE_OBJECT] = "DeleteObject",
    [S3_OP_GET_OBJECT_ACL] = "GetObjectAcl",
    [S3_OP_PUT_OBJECT_ACL] = "PutObjectAcl",
    [S3_OP_GET_OBJECT_TAGGING] = "GetObjectTagging",
    [S3_OP_PUT_OBJECT_TAGGING] = "PutObjectTagging",
    [S3_OP_DELETE_OBJECT_TAGGING] = "DeleteObjectTagging",
    [S3_OP_GET_OBJECT_ATTRIBUTES] = "GetObjectAttributes",
    [S3_OP_CREATE_MULTIPART_UPLOAD] = "CreateMultipartUpload",
    [S3_OP_UPLOAD_PART] = "UploadPart",
    [S3_OP_UPLOAD_PART_COPY] = "UploadPartCopy",
    [S3_OP_COMPLETE_MULTIPART_UPLOAD] = "CompleteMultipartUpload",
    [S3_OP_ABORT_MULTIPART_UPLOAD] = "AbortMultipartUpload",
    [S3_OP_LIST_PARTS] = "ListParts",
    [S3_OP_OPTIONS] = "Options",
    [S3_OP_UNKNOWN_SUBRESOURCE] = "UnknownSubresource",
};

const char *s3_op_name(s3_op_t op)
{
    if ((unsigned)op >= S3_OP__COUNT || op_names[op] == NULL)
        return "Unknown";
    return op_names[op];
}

static int slice_eq(tn_slice_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.base, lit, n) == 0;
}

static int ieq_prefix(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (len < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

static s3_method_t parse_method(const char *m, size_t n)
{
    static const struct {
        const char *name;
        s3_method_t method;
    } methods[] = {{"GET", S3_METHOD_GET},       {"HEAD", S3_METHOD_HEAD},
                   {"PUT", S3_METHOD_PUT},       {"POST", S3_METHOD_POST},
                   {"DELETE", S3_METHOD_DELETE}, {"OPTIONS", S3_METHOD_OPTIONS}};
    if (m == NULL)
        return S3_METHOD_OTHER;
    for (size_t i = 0; i < TN_ARRAY_SIZE(methods); i++)
        if (strlen(methods[i].name) == n && memcmp(methods[i].name, m, n) == 0)
            return methods[i].method;
    return S3_METHOD_OTHER;
}

int s3_bucket_name_valid(const char *s, size_t len)
{
    if (len < 3 || len > S3_BUCKET_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '.' && c != '-')
            return 0;
        if ((i == 0 || i == len - 1) && !alnum)
            return 0;
        if (c == '.' && s[i + 1] == '.')
            return 0;
    }
    /* not an IPv4 address: four dot-separated groups of digits */
    int dots = 0, digits_only = 1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.')
            dots++;
        else if (s[i] < '0' || s[i] > '9')
            digits_only = 0;
    }
    if (digits_only && dots == 3)
        return 0;
    static const char *const bad_prefix[] = {"xn--", "sthree-", "amzn-s3-demo-"};
    static const char *const bad_suffix[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3"};
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad_prefix); i++) {
        size_t n = strlen(bad_prefix[i]);
        if (len >= n && memcmp(s, bad_prefix[i], n) == 0)
            return 0;
    }
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad_suffix); i++) {
        size_t n = strlen(bad_suffix[i]);
        if (len >= n && memcmp(s + len - n, bad_suffix[i], n) == 0)
            return 0;
    }
    return 1;
}

const s3_param_t *s3_route_param(const s3_route_t *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (slice_eq(r->params[i].name, name))
            return &r->params[i];
    return NULL;
}

/* Bump allocator over the caller's workspace. */
typedef struct {
    char *base;
    size_t cap, used;
} arena_t;

/* Decodes raw into the arena; out points at the result. */
static s3_err_t decode_into(arena_t *a, const char *raw, size_t len, int plus_is_space,
                            tn_slice_t *out)
{
    if (len > a->cap - a->used)
        return S3_ERR_INTERNAL_ERROR;
    char *dst = a->base + a->used;
    size_t n;
    if (tn_uri_decode(raw, len, dst, a->cap - a->used, plus_is_space, &n) != TN_OK)
        return S3_ERR_INVALID_URI;
    a->used += n;
    *out = (tn_slice_t){dst, n};
    return S3_OK;
}

static s3_err_t parse_query(arena_t *a, const char *q, size_t len, s3_param_t *params, size_t max,
                            size_t *n_params)
{
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(q + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - q) : len;
        if (end > i) {
            if (*n_params == max)
                return S3_ERR_INVALID_ARGUMENT;
            s3_param_t *p = &params[*n_params];
            const char *seg = q + i;
            size_t seglen = end - i;
            const char *eq = memchr(seg, '=', seglen);
            memset(p, 0, sizeof *p);
            if (eq != NULL) {
                p->raw_name = (tn_slice_t){seg, (size_t)(eq - seg)};
                p->raw_value = (tn_slice_t){eq + 1, seglen - p->raw_name.len - 1};
                p->has_value = 1;
            } else {
                p->raw_name = (tn_slice_t){seg, seglen};
                p->raw_value = (tn_slice_t){seg + seglen, 0};
            }
            s3_err_t e = decode_into(a, p->raw_name.base, p->raw_name.len, 1, &p->name);
            if (e == S3_OK)
                e = decode_into(a, p->raw_value.base, p->raw_value.len, 1, &p->value);
            if (e != S3_OK)
                return e;
            (*n_params)++;
        }
        i = end + 1;
    }
    return S3_OK;
}

s3_err_t s3_query_parse(const char *q, size_t len, s3_param_t *params, size_t max, size_t *n,
                        char *work, size_t work_cap)
{
    arena_t a = {work, work_cap, 0};
    *n = 0;
    return parse_query(&a, q, len, params, max, n);
}

/* Host: lowercase, strip the port and one trailing dot. Returns the length in the arena. */
static s3_err_t normalize_host(arena_t *a, const char *h, size_t len, tn_slice_t *out,
                               int *is_literal_ip)
{
    *is_literal_ip = 0;
    *out = (tn_slice_t){"", 0};
    if (h == NULL || len == 0)
        return S3_OK;
    if (h[0] == '[') { /* IPv6 literal: always path style */
        *is_literal_ip = 1;
        return S3_OK;
    }
    const char *colon = memchr(h, ':', len);
    if (colon != NULL)
        len = (size_t)(colon - h);
    if (len > 0 && h[len - 1] == '.')
        len--;
    if (len > a->cap - a->used)
        return S3_ERR_INTERNAL_ERROR;
    char *dst = a->base + a->used;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    a->used += len;
    *out = (tn_slice_t){dst, len};
    return S3_OK;
}

static s3_op_t choose_op(s3_method_t m, int has_bucket, int has_key, unsigned sub,
                         const s3_route_t *r, int copy, s3_err_t *err)
{
    *err = S3_OK;
    if (m == S3_METHOD_OPTIONS)
        return S3_OP_OPTIONS;
    if (m == S3_METHOD_OTHER) {
        *err = S3_ERR_METHOD_NOT_ALLOWED;
        return S3_OP_NONE;
    }
    if (!has_bucket) {
        if (m == S3_METHOD_GET)
            return S3_OP_LIST_BUCKETS;
        *err = S3_ERR_METHOD_NOT_ALLOWED;
        return S3_OP_NONE;
    }
    if (m == S3_METHOD_HEAD)
        return has_key ? S3_OP_HEAD_OBJECT : S3_OP_HEAD_BUCKET;
    if (sub & SUB_UNKNOWN)
        return S3_OP_UNKNOWN_SUBRESOURCE;
    if (!has_key) {
        const unsigned bucket_subs = SUB_ACL | SUB_CORS | SUB_DELETE | SUB_UPLOADS |
                                     SUB_VERSIONING | SUB_POLICY | SUB_LOCATION | SUB_VERSIONS;
        if (sub & ~bucket_subs)
            return S3_OP_UNKNOWN_SUBRESOURCE; /* tagging (bucket), uploadId, attributes... */
        switch (m) {
        case S3_METHOD_GET:
            if (sub & SUB_LOCATION)
                return S3_OP_GET_BUCKET_LOCATION;
            if (sub & SUB_CORS)
                return S3_OP_GET_BUCKET_CORS;
            if (sub & SUB_ACL)
                return S3_OP_GET_BUCKET_ACL;
            if (sub & SUB_UPLOADS)
                return S3_OP_LIST_MULTIPART_UPLOADS;
            if (sub & SUB_VERSIONS)
                return S3_OP_LIST_OBJECT_VERSIONS;
            if (sub & SUB_VERSIONING)
                return S3_OP_GET_BUCKET_VERSIONING;
            if (sub & SUB_POLICY)
                return S3_OP_GET_BUCKET_POLICY;
            if (sub & SUB_DELETE)
                break;
            {
                const s3_param_t *lt = s3_route_param(r, "list-type");
                return (lt != NULL && slice_eq(lt->value, "2")) ? S3_OP_LIST_OBJECTS_V2
                                                                : S3_OP_LIST_OBJECTS;
            }
        case S3_METHOD_PUT:
            if (sub & SUB_CORS)
                return S3_OP_PUT_BUCKET_CORS;
            if (sub & SUB_ACL)
                return S3_OP_PUT_BUCKET_ACL;
            if (sub & SUB_VERSIONING)
                return S3_OP_PUT_BUCKET_VERSIONING;
            if (sub & SUB_POLICY)
                return S3_OP_PUT_BUCKET_POLICY;
            if (sub == 0)
                return S3_OP_CREATE_BUCKET;
            break;
        case S3_METHOD_DELETE:
            if (sub & SUB_CORS)
                return S3_OP_DELETE_BUCKET_CORS;
            if (sub & SUB_POLICY)
                return S3_OP_DELETE_BUCKET_POLICY;
            if (sub == 0)
                return S3_OP_DELETE_BUCKET;
            break;
        case S3_METHOD_POST:
            if (sub & SUB_DELETE)
                return S3_OP_DELETE_OBJECTS;
            if (sub == 0)
                return S3_OP_POST_OBJECT;
            break;
        default: break;
        }
        *err = S3_ERR_METHOD_NOT_ALLOWED;
        return S3_OP_NONE;
    }
    const unsigned object_subs =
        SUB_ACL | SUB_TAGGING | SUB_UPLOADS | SUB_UPLOAD_ID | SUB_PART_NUMBER | SUB_ATTRIBUTES;
    if (sub & ~object_subs)
        return S3_OP_UNKNOWN_SUBRESOURCE; /* cors, policy, location... on a key */
    switch (m) {
    case S3_METHOD_GET:
        if (sub & SUB_UPLOAD_ID)
            return S3_OP_LIST_PARTS;
        if (sub & SUB_ACL)
            return S3_OP_GET_OBJECT_ACL;
        if (sub & SUB_TAGGING)
            return S3_OP_GET_OBJECT_TAGGING;
        if (sub & SUB_ATTRIBUTES)
            return S3_OP_GET_OBJECT_ATTRIBUTES;
        if (sub & SUB_UPLOADS)
            break;
        return S3_OP_GET_OBJECT; /* ?partNumber=N alone is GetObject of one part */
    case S3_METHOD_PUT:
        if ((sub & SUB_UPLOAD_ID) || (sub & SUB_PART_NUMBER)) {
            if (!(sub & SUB_UPLOAD_ID) || !(sub & SUB_PART_NUMBER)) {
                *err = S3_ERR_INVALID_ARGUMENT;
                return S3_OP_NONE;
            }
            return copy ? S3_OP_UPLOAD_PART_COPY : S3_OP_UPLOAD_PART;
        }
        if (sub & SUB_ACL)
            return S3_OP_PUT_OBJECT_ACL;
        if (sub & SUB_TAGGING)
            return S3_OP_PUT_OBJECT_TAGGING;
        if (sub == 0)
            return copy ? S3_OP_COPY_OBJECT : S3_OP_PUT_OBJECT;
        break;
    case S3_METHOD_POST:
        if (sub & SUB_UPLOADS)
            return S3_OP_CREATE_MULTIPART_UPLOAD;
        if (sub & SUB_UPLOAD_ID)
            return S3_OP_COMPLETE_MULTIPART_UPLOAD;
        break;
    case S3_METHOD_DELETE:
        if (sub & SUB_UPLOAD_ID)
            return S3_OP_ABORT_MULTIPART_UPLOAD;
        if (sub & SUB_TAGGING)
            return S3_OP_DELETE_OBJECT_TAGGING;
        if (sub == 0)
            return S3_OP_DELETE_OBJECT;
        break;
    default: break;
    }
    *err = S3_ERR_METHOD_NOT_ALLOWED;
    return S3_OP_NONE;
}

s3_err_t s3_route(const s3_route_in_t *in, s3_route_t *out, char *work, size_t work_cap)
{
    memset(out, 0, sizeof *out);
    out->bucket = out->key = out->raw_path = out->raw_query = (tn_slice_t){"", 0};
    arena_t a = {work, work_cap, 0};
    out->method = parse_method(in->method, in->method_len);

    const char *t = in->target, *host = in->host;
    size_t tlen = in->target_len, host_len = in->host_len;
    if (t == NULL || tlen == 0)
        return S3_ERR_INVALID_URI;
    if (t[0] != '/') {
        /* absolute-form: scheme "://" authority path; the authority replaces Host */
        size_t skip = ieq_prefix(t, tlen, "http://") ? 7 : ieq_prefix(t, tlen, "https://") ? 8 : 0;
        if (skip == 0)
            return S3_ERR_INVALID_URI;
        size_t i = skip;
        while (i < tlen && t[i] != '/' && t[i] != '?')
            i++;
        host = t + skip;
        host_len = i - skip;
        if (host_len == 0 || i == tlen || t[i] != '/')
            return S3_ERR_INVALID_URI; /* "http://h" or "http://h?x": no path */
        t += i;
        tlen -= i;
    }
    const char *qmark = memchr(t, '?', tlen);
    size_t plen = qmark ? (size_t)(qmark - t) : tlen;
    out->raw_path = (tn_slice_t){t, plen};
    if (qmark != NULL) {
        out->has_query = 1;
        out->raw_query = (tn_slice_t){qmark + 1, tlen - plen - 1};
    }

    tn_slice_t h;
    int literal_ip;
    s3_err_t err = normalize_host(&a, host, host_len, &h, &literal_ip);
    if (err != S3_OK)
        return err;
    tn_slice_t raw_bucket = {"", 0}, raw_key = {"", 0};
    for (size_t i = 0; !literal_ip && i < in->n_vhost_domains; i++) {
        tn_slice_t d = in->vhost_domains[i];
        if (d.len > 0 && h.len > d.len + 1 && memcmp(h.base + h.len - d.len, d.base, d.len) == 0 &&
            h.base[h.len - d.len - 1] == '.') {
            out->style = S3_STYLE_VHOST;
            out->bucket = (tn_slice_t){h.base, h.len - d.len - 1};
            break;
        }
    }
    if (out->style == S3_STYLE_VHOST) {
        raw_key = (tn_slice_t){t + 1, plen - 1};
    } else if (plen > 1) {
        const char *slash = memchr(t + 1, '/', plen - 1);
        if (slash == NULL) {
            raw_bucket = (tn_slice_t){t + 1, plen - 1};
        } else {
            raw_bucket = (tn_slice_t){t + 1, (size_t)(slash - t - 1)};
            raw_key = (tn_slice_t){slash + 1, plen - (size_t)(slash - t) - 1};
        }
        if ((err = decode_into(&a, raw_bucket.base, raw_bucket.len, 0, &out->bucket)) != S3_OK)
            return err;
    }
    if ((err = decode_into(&a, raw_key.base, raw_key.len, 0, &out->key)) != S3_OK)
        return err;
    if (memchr(out->key.base, '\0', out->key.len) != NULL ||
        memchr(out->bucket.base, '\0', out->bucket.len) != NULL)
        return S3_ERR_INVALID_URI;
    if (out->key.len > S3_KEY_MAX)
        return S3_ERR_KEY_TOO_LONG;
    if (out->has_query &&
        (err = parse_query(&a, out->raw_query.base, out->raw_query.len, out->params,
                           S3_ROUTE_MAX_PARAMS, &out->n_params)) != S3_OK)
        return err;

    int has_bucket = out->bucket.len > 0, has_key = out->key.len > 0;
    if (has_key && !has_bucket)
        return S3_ERR_INVALID_URI; /* "//key" in path style: empty bucket segment */
    if (has_bucket && !s3_bucket_name_valid(out->bucket.base, out->bucket.len))
        return S3_ERR_INVALID_BUCKET_NAME;

    unsigned sub = 0;
    for (size_t i = 0; i < out->n_params; i++)
        for (size_t j = 0; j < TN_ARRAY_SIZE(subs); j++)
            if (slice_eq(out->params[i].name, subs[j].name))
                sub |= subs[j].bit;
    out->op = choose_op(out->method, has_bucket, has_key, sub, out, in->has_copy_source, &err);
    return err;
}
