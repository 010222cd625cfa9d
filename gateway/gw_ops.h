/*
 * gw_ops.h — where S3 operations plug in: one handler per s3_op_t.
 *
 * gw_ops_dispatch(r) runs after routing and authentication succeeded (r->access_key set,
 * r->body verified against x-amz-content-sha256 when one was given) and calls
 * gw_op_handlers[r->route.op]. A handler answers through the gw_req.h API, now or later
 * from a callback on r->thread's loop (see gw_req.h for the rules). A NULL slot answers
 * 501 NotImplemented naming the operation, e.g. "PutObject is not implemented yet".
 *
 * To add an operation: write `void gw_op_put_object(gw_req_t *r)` in its own file
 * (gw_object.c, gw_bucket.c, ...), declare it here, and set its slot in gw_ops.c.
 */
#ifndef GW_OPS_H
#define GW_OPS_H

#include "gw_req.h"

typedef void (*gw_op_handler_t)(gw_req_t *r);

extern const gw_op_handler_t gw_op_handlers[S3_OP__COUNT];

/* Calls the handler of r->route.op (NotImplemented for NULL slots and unknown ops). */
void gw_ops_dispatch(gw_req_t *r);

/* The default for operations without storage yet: 501 NotImplemented with a message that
 * names the operation and the routed bucket and key (clients and tests can read them). */
void gw_op_not_implemented(gw_req_t *r);

/* gw_op_bucket.c */
void gw_op_create_bucket(gw_req_t *r);
void gw_op_head_bucket(gw_req_t *r);
void gw_op_list_buckets(gw_req_t *r);
void gw_op_get_bucket_location(gw_req_t *r);
void gw_op_delete_bucket(gw_req_t *r);
/* gw_op_list.c */
void gw_op_list_objects(gw_req_t *r);
void gw_op_list_objects_v2(gw_req_t *r);
void gw_op_list_object_versions(gw_req_t *r);
void gw_op_get_bucket_versioning(gw_req_t *r);
/* gw_op_object.c */
void gw_op_put_object(gw_req_t *r);
void gw_op_get_object(gw_req_t *r);
void gw_op_delete_object(gw_req_t *r);
/* gw_op_multipart.c */
void gw_op_create_multipart_upload(gw_req_t *r);
void gw_op_upload_part(gw_req_t *r);
void gw_op_upload_part_copy(gw_req_t *r);
void gw_op_complete_multipart_upload(gw_req_t *r);
void gw_op_abort_multipart_upload(gw_req_t *r);
void gw_op_list_parts(gw_req_t *r);
void gw_op_list_multipart_uploads(gw_req_t *r);
/* gw_op_copy.c, gw_op_tagging.c, gw_op_attributes.c */
void gw_op_copy_object(gw_req_t *r);
void gw_op_get_object_tagging(gw_req_t *r);
void gw_op_put_object_tagging(gw_req_t *r);
void gw_op_delete_object_tagging(gw_req_t *r);
void gw_op_get_object_attributes(gw_req_t *r);
/* gw_op_delete_objects.c */
void gw_op_delete_objects(gw_req_t *r);

/* gw_op_access.c: bucket ACL / policy / CORS (one handler), object ACL, CORS preflight */
void gw_op_bucket_setting(gw_req_t *r);
void gw_op_object_acl(gw_req_t *r);
void gw_op_options(gw_req_t *r);

#endif
