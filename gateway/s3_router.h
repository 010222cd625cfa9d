/*
 * s3_router.h — PURE request routing: (method, Host, raw request-target, copy-source flag,
 * configured virtual-host domains) -> S3 operation, bucket, key, style and query parameters.
 *
 * Input is the raw request-target as the client sent it (h2o's req->path, query included),
 * never a normalized path: the key is the rest of the path after the bucket, percent-decoded
 * exactly once, with '//', '.', '..', '+' and any UTF-8 kept literally ('+' is a plus in a
 * path). Query parameters are split on '&', names and values percent-decoded with '+' as
 * space (HTML-form rules, which is how S3 reads query strings); the raw slices are kept for
 * SigV4, in the order sent. Empty segments ("a&&b") are skipped.
 *
 * Addressing: the Host header (or an absolute-form target's authority) is lowercased and its
 * port stripped; if it ends in ".<domain>" for a configured domain, the label(s) before it
 * are the bucket (virtual-host style) and the whole path is the key. Otherwise (the domain
 * itself, an IP address, anything else) the first path segment is the bucket (path style).
 *
 * Operation: chosen by method, whether a bucket/key is present, and the sub-resource query
 * parameters (acl, cors, delete, tagging, uploads, uploadId, partNumber, versioning,
 * policy, location, versions, attributes, list-type=2). Sub-resources tern does not
 * implement (lifecycle, website, replication, encryption, ... see s3_router.c) give
 * S3_OP_UNKNOWN_SUBRESOURCE, for a NotImplemented answer. Any other parameter (prefix,
 * versionId, x-id, response-*, X-Amz-*...) is an ordinary parameter and does not change the
 * operation.
 *
 * Memory: decoded strings (bucket, key, parameter names/values) are written into the
 * caller's workspace; work_cap >= target_len + host_len + 2 always suffices (decoding never
 * grows). The route points into the workspace and into the caller's target; both must
 * outlive it.
 */
#ifndef S3_ROUTER_H
#define S3_ROUTER_H

#include "tern.h"
#include "s3_error.h"

#define S3_KEY_MAX          1024 /* bytes, after decoding (KeyTooLongError beyond) */
#define S3_BUCKET_MAX       63
#define S3_ROUTE_MAX_PARAMS 64 /* more query parameters -> InvalidArgument */

typedef enum {
    S3_OP_NONE = 0,
    S3_OP_LIST_BUCKETS,
    S3_OP_CREATE_BUCKET,
    S3_OP_DELETE_BUCKET,
    S3_OP_HEAD_BUCKET,
    S3_OP_GET_BUCKET_LOCATION,
    S3_OP_LIST_OBJECTS,
    S3_OP_LIST_OBJECTS_V2,
    S3_OP_LIST_OBJECT_VERSIONS,
    S3_OP_LIST_MULTIPART_UPLOADS,
    S3_OP_GET_BUCKET_CORS,
    S3_OP_PUT_BUCKET_CORS,
    S3_OP_DELETE_BUCKET_CORS,
    S3_OP_GET_BUCKET_ACL,
    S3_OP_PUT_BUCKET_ACL,
    S3_OP_GET_BUCKET_VERSIONING,
    S3_OP_PUT_BUCKET_VERSIONING,
    S3_OP_GET_BUCKET_POLICY,
    S3_OP_PUT_BUCKET_POLICY,
    S3_OP_DELETE_BUCKET_POLICY,
    S3_OP_DELETE_OBJECTS,
    S3_OP_POST_OBJECT, /* browser form upload (POST bucket, no sub-resource) */
    S3_OP_PUT_OBJECT,
    S3_OP_COPY_OBJECT,
    S3_OP_GET_OBJECT,
    S3_OP_HEAD_OBJECT,
    S3_OP_DELETE_OBJECT,
    S3_OP_GET_OBJECT_ACL,
    S3_OP_PUT_OBJECT_ACL,
    S3_OP_GET_OBJECT_TAGGING,
    S3_OP_PUT_OBJECT_TAGGING,
    S3_OP_DELETE_OBJECT_TAGGING,
    S3_OP_GET_OBJECT_ATTRIBUTES,
    S3_OP_CREATE_MULTIPART_UPLOAD,
    S3_OP_UPLOAD_PART,
    S3_OP_UPLOAD_PART_COPY,
    S3_OP_COMPLETE_MULTIPART_UPLOAD,
    S3_OP_ABORT_MULTIPART_UPLOAD,
    S3_OP_LIST_PARTS,
    S3_OP_OPTIONS, /* CORS preflight */
    S3_OP_UNKNOWN_SUBRESOURCE,
    S3_OP__COUNT
} s3_op_t;

typedef enum { S3_STYLE_PATH = 0, S3_STYLE_VHOST } s3_style_t;

typedef enum {
    S3_METHOD_OTHER = 0,
    S3_METHOD_GET,
    S3_METHOD_HEAD,
    S3_METHOD_PUT,
    S3_METHOD_POST,
    S3_METHOD_DELETE,
    S3_METHOD_OPTIONS,
} s3_method_t;

typedef struct {
    tn_slice_t raw_name;  /* as sent, still percent-encoded */
    tn_slice_t raw_value; /* as sent; empty when there was no '=' */
    tn_slice_t name;      /* decoded (in the workspace) */
    tn_slice_t value;     /* decoded */
    int has_value;        /* an '=' was present */
} s3_param_t;

typedef struct {
    const char *method;
    size_t method_len;
    const char *host; /* Host / :authority, port allowed; may be NULL */
    size_t host_len;
    const char *target; /* raw request-target, query included */
    size_t target_len;
    const tn_slice_t *vhost_domains; /* e.g. "s3.local"; lowercase, no port */
    size_t n_vhost_domains;
    int has_copy_source; /* an x-amz-copy-source header is present */
} s3_route_in_t;

typedef struct {
    s3_op_t op;
    s3_method_t method;
    s3_style_t style;
    tn_slice_t bucket;    /* decoded; len 0 = no bucket (ListBuckets) */
    tn_slice_t key;       /* decoded; len 0 = no key (bucket operation) */
    tn_slice_t raw_path;  /* the target's path as sent (no query) */
    tn_slice_t raw_query; /* after '?', as sent; len 0 if none */
    int has_query;        /* a '?' was present */
    s3_param_t params[S3_ROUTE_MAX_PARAMS];
    size_t n_params;
} s3_route_t;

/*
 * Routes one request. Returns S3_OK or the error to answer:
 *   InvalidURI (bad percent escape, target not origin/absolute form, NUL in bucket/key),
 *   KeyTooLongError (key > 1024 bytes), InvalidBucketName, MethodNotAllowed,
 *   InvalidArgument (too many parameters; partNumber without uploadId or the reverse on PUT),
 *   InternalError (workspace too small).
 * On error *out is still filled as far as it got (bucket/key may be set for <Resource>).
 */
s3_err_t s3_route(const s3_route_in_t *in, s3_route_t *out, char *work, size_t work_cap);

/* S3 bucket naming rules (general purpose buckets): 3-63 characters of a-z 0-9 . -,
 * starting and ending with a letter or digit, no "..", not shaped like an IPv4 address, not
 * starting with "xn--", "sthree-" or "amzn-s3-demo-", not ending with "-s3alias",
 * "--ol-s3", ".mrap" or "--x-s3". */
int s3_bucket_name_valid(const char *name, size_t len);

/* Splits a raw query string (without '?') into params (at most max; more ->
 * InvalidArgument), decoding names and values ('+' = space) into work (InternalError if
 * work_cap < len; InvalidURI for a bad escape). Used by s3_route. */
s3_err_t s3_query_parse(const char *q, size_t len, s3_param_t *params, size_t max, size_t *n,
                        char *work, size_t work_cap);

/* First parameter named exactly name (decoded), or NULL. */
const s3_param_t *s3_route_param(const s3_route_t *r, const char *name);

/* "GetObject" etc., for logs and metrics. */
const char *s3_op_name(s3_op_t op);

#endif
