/* gw_acl_check.c — the handlers' glue for public access: the object-ACL check after the head
 * row, CORS headers on actual responses, ACL request headers (gw_acl_check.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "gw_cors.h"
#include "gw_acl_check.h"

int gw_acl_check_object(gw_req_t *r, gw_acl_who_t who, gw_acl_t object_acl)
{
    gw_verdict_t v =
        gw_acl_decide(who, GW_ACCESS_READ_OBJECT, GW_ACL_PRIVATE, object_acl, GW_VERDICT_NONE);
    if (v == GW_VERDICT_ALLOW)
        return 1;
    gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL);
    return 0;
}

static tn_slice_t header(gw_req_t *r, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&r->req->headers, name, strlen(name), -1);
    if (i < 0)
        return (tn_slice_t){NULL, 0};
    return (tn_slice_t){r->req->headers.entries[i].value.base,
                        r->req->headers.entries[i].value.len};
}

void gw_acl_check_cors(gw_req_t *r, const gw_bucket_rec_t *b)
{
    if (b->cors_len == 0)
        return;
    tn_slice_t origin = header(r, "origin");
    if (origin.base == NULL || origin.len == 0)
        return;
    s3_cors_config_t c;
    s3_why_t why;
    if (s3_xml_parse_cors(b->cors, b->cors_len, &c, &why) != S3_OK) {
        s3_xml_arena_free(&c.arena); /* validated when stored: cannot happen */
        return;
    }
    const s3_cors_rule_t *rule =
        gw_cors_match(&c, origin, gw_cors_method_bit(r->req->method.base, r->req->method.len),
                      (tn_slice_t){NULL, 0});
    if (rule != NULL) {
        size_t cap = 4096;
        char *work = h2o_mem_alloc_pool(&r->req->pool, cap);
        gw_cors_hdr_t hs[GW_CORS_MAX_HDRS];
        size_t n = gw_cors_headers(rule, origin, (tn_slice_t){NULL, 0}, 0, work, cap, hs);
        for (size_t i = 0; i < n; i++)
            gw_req_add_header(r, hs[i].name, hs[i].value.base, hs[i].value.len);
    }
    s3_xml_arena_free(&c.arena);
}

s3_err_t gw_acl_check_headers(gw_req_t *r, const char *owner, int is_object, gw_acl_t *out,
                              int *present, s3_why_t *why)
{
    *out = GW_ACL_PRIVATE;
    *present = 0;
    tn_slice_t canned = header(r, "x-amz-acl");
    gw_acl_grant_hdrs_t g = {header(r, "x-amz-grant-read"), header(r, "x-amz-grant-write"),
                             header(r, "x-amz-grant-read-acp"), header(r, "x-amz-grant-write-acp"),
                             header(r, "x-amz-grant-full-control")};
    int grants = g.read.base != NULL || g.write.base != NULL || g.read_acp.base != NULL ||
                 g.write_acp.base != NULL || g.full_control.base != NULL;
    if (canned.base != NULL && grants)
        return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                          "Specifying both Canned ACLs and Header Grants is not allowed");
    if (canned.base != NULL) {
        *present = 1;
        return gw_acl_parse_canned(canned.base, canned.len, is_object, out, why);
    }
    if (grants) {
        *present = 1;
        return gw_acl_from_grant_headers(&g, owner, is_object, out, why);
    }
    return S3_OK;
}
