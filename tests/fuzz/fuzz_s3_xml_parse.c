/* Fuzz target for gateway/s3_xml_parse.c. Input: byte 0 picks the document type (modulo 7:
 * Delete, CompleteMultipartUpload, CORS, Tagging, ACL, Versioning, CreateBucket), the rest
 * is the body. Checks the documented limits and output invariants on success (counts,
 * NUL-terminated strings, part numbers, methods), that failures leave nothing allocated,
 * and that each parser only answers with the errors it documents. */
#include <stdlib.h>
#include <string.h>
#include "s3_xml_parse.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void check_str(tn_slice_t s)
{
    if (s.base == NULL) {
        CHECK(s.len == 0);
        return;
    }
    CHECK(s.len <= S3_XML_MAX_TEXT && s.base[s.len] == '\0' && strlen(s.base) == s.len);
}

static int err_in(s3_err_t e, const s3_err_t *allowed, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (e == allowed[i])
            return 1;
    return 0;
}

#define ALLOWED(e, ...)                                                                            \
    do {                                                                                           \
        static const s3_err_t a_[] = {S3_OK, S3_ERR_INTERNAL_ERROR, __VA_ARGS__};                  \
        CHECK(err_in((e), a_, TN_ARRAY_SIZE(a_)));                                                 \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    s3_why_t why;
    s3_err_t e;
    switch (data[0] % 7) {
    case 0: {
        s3_delete_req_t r;
        e = s3_xml_parse_delete(body, len, &r, &why);
        ALLOWED(e, S3_ERR_MALFORMED_XML);
        if (e == S3_OK) {
            CHECK(r.n_objects >= 1 && r.n_objects <= S3_XML_MAX_DELETE && r.quiet <= 1);
            for (size_t i = 0; i < r.n_objects; i++) {
                CHECK(r.objects[i].key.len > 0);
                check_str(r.objects[i].key);
                check_str(r.objects[i].version_id);
                check_str(r.objects[i].etag);
            }
        } else {
            CHECK(r.arena.head == NULL && r.objects == NULL && r.n_objects == 0);
        }
        s3_xml_arena_free(&r.arena);
        break;
    }
    case 1: {
        s3_complete_req_t r;
        e = s3_xml_parse_complete(body, len, &r, &why);
        ALLOWED(e, S3_ERR_MALFORMED_XML, S3_ERR_TOO_MANY_PARTS);
        if (e == S3_OK) {
            CHECK(r.n_parts >= 1 && r.n_parts <= S3_XML_MAX_PARTS);
            for (size_t i = 0; i < r.n_parts; i++) {
                CHECK(r.parts[i].part_number >= 1 && r.parts[i].part_number <= 10000);
                check_str(r.parts[i].etag);
                CHECK(r.parts[i].etag.base != NULL);
                for (int a = 0; a < S3_CKSUM__COUNT; a++)
                    check_str(r.parts[i].checksum[a]);
            }
        } else {
            CHECK(r.arena.head == NULL && r.parts == NULL);
        }
        s3_xml_arena_free(&r.arena);
        break;
    }
    case 2: {
        s3_cors_config_t r;
        e = s3_xml_parse_cors(body, len, &r, &why);
        ALLOWED(e, S3_ERR_MALFORMED_XML, S3_ERR_INVALID_REQUEST, S3_ERR_INVALID_ARGUMENT);
        if (e == S3_OK) {
            CHECK(r.n_rules >= 1 && r.n_rules <= S3_XML_MAX_CORS_RULES);
            for (size_t i = 0; i < r.n_rules; i++) {
                const s3_cors_rule_t *c = &r.rules[i];
                CHECK(c->n_origins >= 1 && c->n_origins <= S3_XML_MAX_CORS_LIST);
                CHECK(c->methods != 0 && (c->methods & ~0x1Fu) == 0);
                CHECK(c->max_age >= -1 && c->max_age <= INT32_MAX);
                for (size_t k = 0; k < c->n_origins; k++)
                    check_str(c->origins[k]);
                for (size_t k = 0; k < c->n_allowed_headers; k++)
                    check_str(c->allowed_headers[k]);
                for (size_t k = 0; k < c->n_expose_headers; k++)
                    check_str(c->expose_headers[k]);
            }
        } else {
            CHECK(r.arena.head == NULL && r.rules == NULL);
        }
        s3_xml_arena_free(&r.arena);
        break;
    }
    case 3: {
        s3_tagging_t r;
        size_t max = (size_t)(len % 3 == 0 ? 10 : 50);
        e = s3_xml_parse_tagging(body, len, max, &r, &why);
        ALLOWED(e, S3_ERR_MALFORMED_XML, S3_ERR_INVALID_TAG);
        if (e == S3_OK) {
            CHECK(r.n_tags <= max);
            for (size_t i = 0; i < r.n_tags; i++) {
                check_str(r.tags[i].key);
                check_str(r.tags[i].value);
                CHECK(r.tags[i].key.len > 0 && r.tags[i].value.base != NULL);
                for (size_t k = 0; k < i; k++)
                    CHECK(r.tags[k].key.len != r.tags[i].key.len ||
                          memcmp(r.tags[k].key.base, r.tags[i].key.base, r.tags[i].key.len) != 0);
            }
        } else {
            CHECK(r.arena.head == NULL && r.tags == NULL);
        }
        s3_xml_arena_free(&r.arena);
        break;
    }
    case 4: {
        s3_acl_t r;
        e = s3_xml_parse_acl(body, len, &r, &why);
        ALLOWED(e, S3_ERR_MALFORMED_ACL);
        if (e == S3_OK) {
            CHECK(r.n_grants <= S3_XML_MAX_GRANTS);
            check_str(r.owner_id);
            for (size_t i = 0; i < r.n_grants; i++) {
                const s3_grant_t *g = &r.grants[i];
                CHECK(g->type >= S3_GRANTEE_CANONICAL_USER && g->type <= S3_GRANTEE_EMAIL);
                CHECK(g->permission >= S3_PERM_FULL_CONTROL && g->permission <= S3_PERM_WRITE_ACP);
                CHECK(g->type != S3_GRANTEE_CANONICAL_USER || g->id.base != NULL);
                CHECK(g->type != S3_GRANTEE_GROUP || g->uri.base != NULL);
                CHECK(g->type != S3_GRANTEE_EMAIL || g->email.base != NULL);
                check_str(g->id);
                check_str(g->uri);
                check_str(g->email);
                check_str(g->display_name);
            }
        } else {
            CHECK(r.arena.head == NULL && r.grants == NULL);
        }
        s3_xml_arena_free(&r.arena);
        break;
    }
    case 5: {
        s3_versioning_t v;
        e = s3_xml_parse_versioning(body, len, &v, &why);
        ALLOWED(e, S3_ERR_MALFORMED_XML);
        CHECK(v.status <= S3_VERSIONING_SUSPENDED && v.mfa_delete >= -1 && v.mfa_delete <= 1);
        break;
    }
    default: {
        s3_create_bucket_t c;
        e = s3_xml_parse_create_bucket(body, len, &c, &why);
        ALLOWED(e, S3_ERR_MALFORMED_XML, S3_ERR_INVALID_ARGUMENT);
        CHECK(strlen(c.location) < sizeof(c.location));
        CHECK(e == S3_OK || (!c.has_location && c.location[0] == '\0'));
        break;
    }
    }
    CHECK(why.err == e);
    return 0;
}
