/*
 * s3_xml_parse.h — PURE parsers for S3 XML request bodies (expat underneath): DeleteObjects,
 * CompleteMultipartUpload, PutBucketCors, Put{Object,Bucket}Tagging, Put{Bucket,Object}Acl,
 * PutBucketVersioning and CreateBucket.
 *
 * Input: the whole body (callers buffer it; every limit below is far under what an
 * event-loop thread can parse at once). Output: a caller-owned result struct whose strings
 * and arrays live in one arena (res.arena); s3_xml_arena_free(&res.arena) releases all of
 * it, and is safe after a failed parse or on a zeroed struct. Strings are tn_slice_t whose
 * base is also NUL-terminated (XML 1.0 cannot carry NUL, so len == strlen(base)); absent
 * optional strings are {NULL, 0}.
 *
 * Rules shared by every parser:
 *   - Size: at most S3_XML_MAX_BODY bytes (S3_XML_MAX_BODY_COMPLETE for
 *     CompleteMultipartUpload, whose 10,000 parts with checksums need more); depth at most
 *     S3_XML_MAX_DEPTH; at most S3_XML_MAX_ELEMENTS elements; each element's text at most
 *     S3_XML_MAX_TEXT bytes.
 *   - Namespaces: element names are matched on their local name whatever their namespace,
 *     so bodies with and without xmlns="http://s3.amazonaws.com/doc/2006-03-01/" both
 *     parse. Attributes are ignored, except xsi:type on an ACL Grantee.
 *   - Entities: the five predefined ones and character references (&#x41;) and CDATA are
 *     text like any other. Any DOCTYPE is refused (so no entity can be declared: no
 *     billion laughs, no external entities) -> MalformedXML.
 *   - Schema: the root must be the expected element; unknown elements, elements repeated
 *     where S3's schema allows one, and text inside container elements (other than
 *     whitespace) are refused, as S3 does -> MalformedXML (MalformedACLError for ACLs).
 *     Element values are taken exactly (no trimming), except booleans, numbers and enums,
 *     which may be surrounded by XML whitespace.
 *   - Anything not well-formed (including truncated bodies and bytes that are not UTF-8)
 *     -> MalformedXML. Specific errors are listed with each parser.
 * Not thread-bound; each call is independent. Expat picks its own hash salt (from the
 * kernel's random source): the one place this module touches anything outside memory.
 */
#ifndef S3_XML_PARSE_H
#define S3_XML_PARSE_H

#include "tern.h"
#include "s3_error.h"
#include "s3_checksum.h"

#define S3_XML_MAX_BODY          (1024 * 1024)
#define S3_XML_MAX_BODY_COMPLETE (8 * 1024 * 1024)
#define S3_XML_MAX_DEPTH         16
#define S3_XML_MAX_ELEMENTS      200000
#define S3_XML_MAX_TEXT          8192
#define S3_XML_MAX_DELETE        1000  /* objects per DeleteObjects */
#define S3_XML_MAX_PARTS         10000 /* parts per CompleteMultipartUpload */
#define S3_XML_MAX_CORS_RULES    100
#define S3_XML_MAX_CORS_LIST     100 /* origins / headers per rule */
#define S3_XML_MAX_GRANTS        100
#define S3_XML_MAX_TAG_KEY       128 /* characters (Unicode code points) */
#define S3_XML_MAX_TAG_VALUE     256

/* Memory of one parse result: a chain of blocks, freed at once. */
typedef struct {
    struct st_s3_xml_block *head;
} s3_xml_arena_t;

void s3_xml_arena_free(s3_xml_arena_t *a);

/* ---- DeleteObjects: <Delete><Quiet/>?<Object><Key/><VersionId/>?<ETag/>?
 *      <LastModifiedTime/>?<Size/>?</Object>+</Delete>
 * Quiet is "true" or "false". Key is required and non-empty; 1..1000 objects (0 or more
 * -> MalformedXML, as S3). Key length limits are the caller's (KeyTooLongError per key). */
typedef struct {
    tn_slice_t key;
    tn_slice_t version_id;
    tn_slice_t etag;               /* conditional delete (If-Match per object) */
    tn_slice_t last_modified_time; /* as sent */
    tn_slice_t size;               /* as sent */
} s3_delete_object_t;

typedef struct {
    int quiet;
    s3_delete_object_t *objects; /* in document order */
    size_t n_objects;
    s3_xml_arena_t arena;
} s3_delete_req_t;

s3_err_t s3_xml_parse_delete(const char *body, size_t len, s3_delete_req_t *out, s3_why_t *why);

/* ---- CompleteMultipartUpload: <CompleteMultipartUpload><Part><PartNumber/><ETag/>
 *      <ChecksumCRC32/>?<ChecksumCRC32C/>?<ChecksumCRC64NVME/>?<ChecksumSHA1/>?
 *      <ChecksumSHA256/>?</Part>+</CompleteMultipartUpload>
 * PartNumber and ETag required (MalformedXML). Part numbers outside 1..10000 ->
 * InvalidArgument (S3_ERR_TOO_MANY_PARTS's text); more than 10,000 parts or none ->
 * MalformedXML. The ETag is given without its surrounding double quotes (they are
 * optional in the body). Parts are in document order: ascending order and duplicates
 * (InvalidPartOrder) are the caller's checks. Checksums are the base64 text as sent,
 * indexed by s3_cksum_alg_t (MD5 and NONE slots stay empty). */
typedef struct {
    uint32_t part_number;
    tn_slice_t etag;
    tn_slice_t checksum[S3_CKSUM__COUNT];
} s3_complete_part_t;

typedef struct {
    s3_complete_part_t *parts;
    size_t n_parts;
    s3_xml_arena_t arena;
} s3_complete_req_t;

s3_err_t s3_xml_parse_complete(const char *body, size_t len, s3_complete_req_t *out, s3_why_t *why);

/* ---- PutBucketCors: <CORSConfiguration><CORSRule><ID/>?<AllowedOrigin/>+
 *      <AllowedMethod/>+<AllowedHeader/>*<ExposeHeader/>*<MaxAgeSeconds/>?</CORSRule>+
 *      </CORSConfiguration>
 * 1..100 rules (MalformedXML otherwise); each needs an origin and a method (MalformedXML).
 * Methods other than GET PUT POST DELETE HEAD -> InvalidRequest ("Found unsupported HTTP
 * method in CORS config. Unsupported method is X"); an origin or allowed header with more
 * than one '*' -> InvalidRequest; MaxAgeSeconds a non-negative decimal < 2^31 else
 * MalformedXML. ID at most 255 characters (InvalidArgument). */
#define S3_CORS_GET    0x01u
#define S3_CORS_PUT    0x02u
#define S3_CORS_POST   0x04u
#define S3_CORS_DELETE 0x08u
#define S3_CORS_HEAD   0x10u

typedef struct {
    tn_slice_t id;
    tn_slice_t *origins;
    size_t n_origins;
    unsigned methods; /* S3_CORS_* bits */
    tn_slice_t *allowed_headers;
    size_t n_allowed_headers;
    tn_slice_t *expose_headers;
    size_t n_expose_headers;
    int64_t max_age; /* -1 if absent */
} s3_cors_rule_t;

typedef struct {
    s3_cors_rule_t *rules;
    size_t n_rules;
    s3_xml_arena_t arena;
} s3_cors_config_t;

s3_err_t s3_xml_parse_cors(const char *body, size_t len, s3_cors_config_t *out, s3_why_t *why);

/* ---- Tagging: <Tagging><TagSet><Tag><Key/><Value/></Tag>*</TagSet></Tagging>
 * TagSet required (MalformedXML); Key and Value required in each Tag (MalformedXML).
 * InvalidTag for: more than max_tags tags (10 for objects, 50 for buckets: the caller's),
 * an empty key, a key over 128 or a value over 256 characters, a key starting with
 * "aws:", the same key twice. */
typedef struct {
    tn_slice_t key;
    tn_slice_t value;
} s3_tag_t;

typedef struct {
    s3_tag_t *tags;
    size_t n_tags;
    s3_xml_arena_t arena;
} s3_tagging_t;

s3_err_t s3_xml_parse_tagging(const char *body, size_t len, size_t max_tags, s3_tagging_t *out,
                              s3_why_t *why);

/* ---- AccessControlPolicy: <AccessControlPolicy><Owner><ID/><DisplayName/>?</Owner>?
 *      <AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 *      xsi:type="CanonicalUser|Group|AmazonCustomerByEmail"><ID/>?<DisplayName/>?<URI/>?
 *      <EmailAddress/>?</Grantee><Permission/></Grant>*</AccessControlList>
 *      </AccessControlPolicy>
 * Every error is MalformedACLError (as S3): bad xsi:type, a CanonicalUser without ID, a
 * Group without URI, an AmazonCustomerByEmail without EmailAddress, a Grant without
 * Grantee or Permission, a permission other than FULL_CONTROL READ WRITE READ_ACP
 * WRITE_ACP, more than 100 grants. AccessControlList is required, Owner optional. Mapping
 * the grants to a canned ACL (or NotImplemented) is the caller's. */
typedef enum {
    S3_GRANTEE_CANONICAL_USER = 1,
    S3_GRANTEE_GROUP,
    S3_GRANTEE_EMAIL,
} s3_grantee_type_t;

typedef enum {
    S3_PERM_FULL_CONTROL = 1,
    S3_PERM_READ,
    S3_PERM_WRITE,
    S3_PERM_READ_ACP,
    S3_PERM_WRITE_ACP,
} s3_permission_t;

typedef struct {
    s3_grantee_type_t type;
    tn_slice_t id;
    tn_slice_t display_name;
    tn_slice_t uri; /* groups: http://acs.amazonaws.com/groups/global/AllUsers ... */
    tn_slice_t email;
    s3_permission_t permission;
} s3_grant_t;

typedef struct {
    tn_slice_t owner_id; /* {NULL,0} if no Owner */
    tn_slice_t owner_display_name;
    s3_grant_t *grants;
    size_t n_grants;
    s3_xml_arena_t arena;
} s3_acl_t;

s3_err_t s3_xml_parse_acl(const char *body, size_t len, s3_acl_t *out, s3_why_t *why);

/* ---- VersioningConfiguration: <VersioningConfiguration><Status/>?<MfaDelete/>?
 * Status "Enabled" / "Suspended", MfaDelete "Enabled" / "Disabled" (MalformedXML
 * otherwise). No arena (no strings). */
typedef enum {
    S3_VERSIONING_UNSET = 0,
    S3_VERSIONING_ENABLED,
    S3_VERSIONING_SUSPENDED,
} s3_versioning_status_t;

typedef struct {
    s3_versioning_status_t status;
    int mfa_delete; /* -1 absent, 0 Disabled, 1 Enabled */
} s3_versioning_t;

s3_err_t s3_xml_parse_versioning(const char *body, size_t len, s3_versioning_t *out, s3_why_t *why);

/* ---- CreateBucketConfiguration: <CreateBucketConfiguration><LocationConstraint/>?
 * An empty (or all-whitespace) body is allowed and means "no constraint". The location is
 * copied into out->location (NUL-terminated; longer than 63 bytes -> InvalidArgument);
 * empty when absent. Matching it to the configured region (IllegalLocationConstraint...)
 * is the caller's. Newer elements (Location, Bucket for directory buckets) are refused as
 * unknown. No arena. */
typedef struct {
    char location[64];
    int has_location; /* the element was present (possibly empty) */
} s3_create_bucket_t;

s3_err_t s3_xml_parse_create_bucket(const char *body, size_t len, s3_create_bucket_t *out,
                                    s3_why_t *why);

#endif
