/* gw_ops.c — the operation table (see gw_ops.h). Storage operations arrive with the OSD client. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include "gw_ops.h"

const gw_op_handler_t gw_op_handlers[S3_OP__COUNT] = {
    [S3_OP_UNKNOWN_SUBRESOURCE] = gw_op_not_implemented,
    [S3_OP_CREATE_BUCKET] = gw_op_create_bucket,
    [S3_OP_HEAD_BUCKET] = gw_op_head_bucket,
    [S3_OP_LIST_BUCKETS] = gw_op_list_buckets,
    [S3_OP_GET_BUCKET_LOCATION] = gw_op_get_bucket_location,
    [S3_OP_DELETE_BUCKET] = gw_op_delete_bucket,
    [S3_OP_LIST_OBJECTS] = gw_op_list_objects,
    [S3_OP_LIST_OBJECTS_V2] = gw_op_list_objects_v2,
    [S3_OP_LIST_OBJECT_VERSIONS] = gw_op_list_object_versions,
    [S3_OP_GET_BUCKET_VERSIONING] = gw_op_get_bucket_versioning,
    [S3_OP_PUT_OBJECT] = gw_op_put_object,
    [S3_OP_GET_OBJECT] = gw_op_get_object,
    [S3_OP_HEAD_OBJECT] = gw_op_get_object,
    [S3_OP_DELETE_OBJECT] = gw_op_delete_object,
    [S3_OP_CREATE_MULTIPART_UPLOAD] = gw_op_create_multipart_upload,
    [S3_OP_UPLOAD_PART] = gw_op_upload_part,
    [S3_OP_UPLOAD_PART_COPY] = gw_op_upload_part_copy,
    [S3_OP_COMPLETE_MULTIPART_UPLOAD] = gw_op_complete_multipart_upload,
    [S3_OP_ABORT_MULTIPART_UPLOAD] = gw_op_abort_multipart_upload,
    [S3_OP_LIST_PARTS] = gw_op_list_parts,
    [S3_OP_LIST_MULTIPART_UPLOADS] = gw_op_list_multipart_uploads,
    [S3_OP_DELETE_OBJECTS] = gw_op_delete_objects,
    [S3_OP_GET_BUCKET_ACL] = gw_op_bucket_setting,
    [S3_OP_PUT_BUCKET_ACL] = gw_op_bucket_setting,
    [S3_OP_GET_BUCKET_POLICY] = gw_op_bucket_setting,
    [S3_OP_PUT_BUCKET_POLICY] = gw_op_bucket_setting,
    [S3_OP_DELETE_BUCKET_POLICY] = gw_op_bucket_setting,
    [S3_OP_GET_BUCKET_CORS] = gw_op_bucket_setting,
    [S3_OP_PUT_BUCKET_CORS] = gw_op_bucket_setting,
    [S3_OP_DELETE_BUCKET_CORS] = gw_op_bucket_setting,
    [S3_OP_GET_OBJECT_ACL] = gw_op_object_acl,
    [S3_OP_PUT_OBJECT_ACL] = gw_op_object_acl,
    [S3_OP_OPTIONS] = gw_op_options,
    [S3_OP_COPY_OBJECT] = gw_op_copy_object,
    [S3_OP_GET_OBJECT_TAGGING] = gw_op_get_object_tagging,
    [S3_OP_PUT_OBJECT_TAGGING] = gw_op_put_object_tagging,
    [S3_OP_DELETE_OBJECT_TAGGING] = gw_op_delete_object_tagging,
    [S3_OP_GET_OBJECT_ATTRIBUTES] = gw_op_get_object_attributes,
    /* every other storage operation: NULL = gw_op_not_implemented */
};

void gw_op_not_implemented(gw_req_t *r)
{
    const s3_route_t *rt = &r->route;
    size_t cap = 128 + rt->bucket.len + rt->key.len;
    char *msg = h2o_mem_alloc_pool(&r->req->pool, cap);
    if (rt->op == S3_OP_UNKNOWN_SUBRESOURCE)
        snprintf(msg, cap,
                 "A query parameter of this request names a sub-resource tern does not "
                 "implement (bucket \"%.*s\", key \"%.*s\")",
                 (int)rt->bucket.len, rt->bucket.base, (int)rt->key.len, rt->key.base);
    else
        snprintf(msg, cap, "%s is not implemented yet (bucket \"%.*s\", key \"%.*s\")",
                 s3_op_name(rt->op), (int)rt->bucket.len, rt->bucket.base, (int)rt->key.len,
                 rt->key.base);
    gw_req_send_error(r, S3_ERR_NOT_IMPLEMENTED, msg);
}

/* DESIGN.md rule 12: a conditional PutObject / DeleteObject (If-Match, If-None-Match) needs a
 * compare-and-set of the head row across replicas that tern does not have yet; never run it
 * unconditionally. (CopyObject and CompleteMultipartUpload check the same in their handlers;
 * GET/HEAD conditions are reads and are implemented.) */
static int conditional_write(gw_req_t *r)
{
    if (r->route.op != S3_OP_PUT_OBJECT && r->route.op != S3_OP_DELETE_OBJECT)
        return 0;
    const h2o_headers_t *h = &r->req->headers;
    return h2o_find_header_by_str(h, "if-match", 8, -1) >= 0 ||
           h2o_find_header_by_str(h, "if-none-match", 13, -1) >= 0;
}

void gw_ops_dispatch(gw_req_t *r)
{
    if (conditional_write(r)) {
        gw_req_send_error(r, S3_ERR_NOT_IMPLEMENTED,
                          "Conditional writes (If-Match / If-None-Match on PUT or DELETE) are "
                          "not implemented");
        return;
    }
    gw_op_handler_t h = NULL;
    if ((unsigned)r->route.op < S3_OP__COUNT)
        h = gw_op_handlers[r->route.op];
    if (h == NULL)
        h = gw_op_not_implemented;
    h(r);
}
