/* test_gw_access.c — the pure access pieces: canned ACLs and their mapping from grant lists
 * and headers (gw_acl), bucket policy parsing and evaluation (gw_policy), CORS matching and
 * headers (gw_cors). */
#include <string.h>
#include "test.h"
#include "gw_acl.h"
#include "gw_cors.h"
#include "gw_policy.h"
#include "s3_xml_parse.h"

#define S(lit) ((tn_slice_t){(lit), sizeof(lit) - 1})
#define NOS    ((tn_slice_t){NULL, 0})

static void test_canned(void)
{
    gw_acl_t a;
    s3_why_t why;
    for (int i = 0; i < GW_ACL__COUNT; i++) {
        const char *n = gw_acl_name((gw_acl_t)i);
        s3_err_t e = gw_acl_parse_canned(n, strlen(n), 1, &a, &why);
        if (i == GW_ACL_AWS_EXEC_READ)
            is_int(e, S3_ERR_NOT_IMPLEMENTED, "aws-exec-read refused");
        else
            ok(e == S3_OK && a == (gw_acl_t)i, n);
    }
    is_int(gw_acl_parse_canned("bucket-owner-read", 17, 0, &a, &why), S3_ERR_INVALID_ARGUMENT,
           "bucket-owner-read not on buckets");
    is_int(gw_acl_parse_canned("public", 6, 1, &a, &why), S3_ERR_INVALID_ARGUMENT, "unknown");
    is_int(gw_acl_parse_canned("log-delivery-write", 18, 0, &a, &why), S3_ERR_NOT_IMPLEMENTED,
           "log-delivery-write");
}

static s3_err_t from_xml(const char *xml, int is_object, gw_acl_t *out)
{
    s3_acl_t acp;
    s3_why_t why;
    s3_err_t e = s3_xml_parse_acl(xml, strlen(xml), &acp, &why);
    if (e == S3_OK)
        e = gw_acl_from_policy(&acp, "AKOWNER", is_object, out, &why);
    s3_xml_arena_free(&acp.arena);
    return e;
}

#define XSI "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
#define OWNER_FULL                                                                                 \
    "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>AKOWNER</ID></Grantee>"                \
    "<Permission>FULL_CONTROL</Permission></Grant>"
#define GROUP(uri, perm)                                                                           \
    "<Grant><Grantee " XSI " xsi:type=\"Group\"><URI>" uri "</URI></Grantee><Permission>" perm     \
    "</Permission></Grant>"
#define ACP(grants)                                                                                \
    "<AccessControlPolicy><Owner><ID>AKOWNER</ID></Owner><AccessControlList>" grants               \
    "</AccessControlList></AccessControlPolicy>"

static void test_policy_mapping(void)
{
    gw_acl_t a = GW_ACL__COUNT;
    is_int(from_xml(ACP(OWNER_FULL), 0, &a), S3_OK, "owner only");
    is_int(a, GW_ACL_PRIVATE, "= private");
    is_int(from_xml(ACP(OWNER_FULL GROUP(GW_ACL_ALL_USERS, "READ")), 1, &a), S3_OK, "public-read");
    is_int(a, GW_ACL_PUBLIC_READ, "= public-read");
    is_int(
        from_xml(ACP(OWNER_FULL GROUP(GW_ACL_ALL_USERS, "READ") GROUP(GW_ACL_ALL_USERS, "WRITE")),
                 0, &a),
        S3_OK, "public-read-write");
    is_int(a, GW_ACL_PUBLIC_READ_WRITE, "= public-read-write");
    is_int(
        from_xml(ACP(OWNER_FULL GROUP(GW_ACL_ALL_USERS, "READ") GROUP(GW_ACL_ALL_USERS, "WRITE")),
                 1, &a),
        S3_ERR_NOT_IMPLEMENTED, "AllUsers WRITE on an object");
    is_int(from_xml(ACP(OWNER_FULL GROUP(GW_ACL_AUTH_USERS, "READ")), 0, &a), S3_OK, "auth-read");
    is_int(a, GW_ACL_AUTHENTICATED_READ, "= authenticated-read");
    is_int(from_xml(ACP(GROUP(GW_ACL_ALL_USERS, "READ")), 0, &a), S3_ERR_NOT_IMPLEMENTED,
           "owner without FULL_CONTROL");
    is_int(from_xml(ACP(OWNER_FULL GROUP(GW_ACL_ALL_USERS, "READ_ACP")), 0, &a),
           S3_ERR_NOT_IMPLEMENTED, "READ_ACP to a group");
    is_int(from_xml(ACP(OWNER_FULL "<Grant><Grantee " XSI " xsi:type=\"CanonicalUser\"><ID>other"
                                   "</ID></Grantee><Permission>READ</Permission></Grant>"),
                    0, &a),
           S3_ERR_NOT_IMPLEMENTED, "another user");
    is_int(from_xml(
               "<AccessControlPolicy><Owner><ID>someone</ID></Owner><AccessControlList>" OWNER_FULL
               "</AccessControlList></AccessControlPolicy>",
               0, &a),
           S3_ERR_ACCESS_DENIED, "foreign owner");
    is_int(from_xml("<AccessControlPolicy><AccessControlList><Grant><Grantee " XSI
                    " xsi:type=\"Nobody\"/></Grant></AccessControlList></AccessControlPolicy>",
                    0, &a),
           S3_ERR_MALFORMED_ACL, "malformed");
}

static void test_grant_headers(void)
{
    gw_acl_t a;
    s3_why_t why;
    gw_acl_grant_hdrs_t h = {0};
    h.read = S("uri=\"" GW_ACL_ALL_USERS "\"");
    is_int(gw_acl_from_grant_headers(&h, "AKOWNER", 1, &a, &why), S3_OK, "grant-read AllUsers");
    is_int(a, GW_ACL_PUBLIC_READ, "= public-read");
    h.full_control = S("id=\"AKOWNER\"");
    is_int(gw_acl_from_grant_headers(&h, "AKOWNER", 1, &a, &why), S3_OK, "with owner full");
    is_int(a, GW_ACL_PUBLIC_READ, "still public-read");
    h.read = S("uri=\"" GW_ACL_AUTH_USERS "\"");
    is_int(gw_acl_from_grant_headers(&h, "AKOWNER", 0, &a, &why), S3_OK, "auth users");
    is_int(a, GW_ACL_AUTHENTICATED_READ, "= authenticated-read");
    h.read = S("emailAddress=\"x@example.com\"");
    is_int(gw_acl_from_grant_headers(&h, "AKOWNER", 0, &a, &why), S3_ERR_NOT_IMPLEMENTED, "email");
    h.read = S("bogus=1");
    is_int(gw_acl_from_grant_headers(&h, "AKOWNER", 0, &a, &why), S3_ERR_INVALID_ARGUMENT, "bogus");
}

static void test_render(void)
{
    s3_buf_t x;
    s3_buf_init(&x, 1 << 16);
    gw_acl_render(&x, GW_ACL_PUBLIC_READ, "AKOWNER");
    ok(s3_buf_ok(&x), "rendered");
    s3_buf_append(&x, "", 1);
    has_str(x.base, "<ID>AKOWNER</ID>", "owner");
    has_str(x.base, "xsi:type=\"Group\"><URI>" GW_ACL_ALL_USERS "</URI>", "AllUsers group");
    has_str(x.base, "<Permission>READ</Permission>", "READ");
    /* the rendered XML parses back to the same canned ACL */
    s3_acl_t acp;
    s3_why_t why;
    gw_acl_t back = GW_ACL_PRIVATE;
    is_int(s3_xml_parse_acl(x.base, x.len - 1, &acp, &why), S3_OK, "parses");
    is_int(gw_acl_from_policy(&acp, "AKOWNER", 1, &back, &why), S3_OK, "maps");
    is_int(back, GW_ACL_PUBLIC_READ, "round trip");
    s3_xml_arena_free(&acp.arena);
    s3_buf_free(&x);
}

static void test_decide(void)
{
    const gw_acl_who_t A = GW_PRINCIPAL_ANONYMOUS, U = GW_PRINCIPAL_AUTHENTICATED,
                       O = GW_PRINCIPAL_OWNER;
    is_int(gw_acl_decide(O, GW_ACCESS_READ_OBJECT, 0, GW_ACL_PRIVATE, 0), GW_VERDICT_ALLOW,
           "owner");
    is_int(gw_acl_decide(A, GW_ACCESS_READ_OBJECT, 0, GW_ACL_PRIVATE, 0), GW_VERDICT_DENY,
           "anon private");
    is_int(gw_acl_decide(A, GW_ACCESS_READ_OBJECT, 0, GW_ACL_PUBLIC_READ, 0), GW_VERDICT_ALLOW,
           "anon public-read");
    is_int(gw_acl_decide(A, GW_ACCESS_READ_OBJECT, GW_ACL_PUBLIC_READ, GW_ACL_PRIVATE, 0),
           GW_VERDICT_DENY, "bucket public-read does not open private objects");
    is_int(gw_acl_decide(A, GW_ACCESS_READ_OBJECT, 0, GW_ACL_AUTHENTICATED_READ, 0),
           GW_VERDICT_DENY, "anon authenticated-read");
    is_int(gw_acl_decide(U, GW_ACCESS_READ_OBJECT, 0, GW_ACL_AUTHENTICATED_READ, 0),
           GW_VERDICT_ALLOW, "user authenticated-read");
    is_int(gw_acl_decide(U, GW_ACCESS_READ_OBJECT, 0, GW_ACL_BUCKET_OWNER_READ, 0), GW_VERDICT_DENY,
           "bucket-owner-read");
    is_int(gw_acl_decide(A, GW_ACCESS_LIST_BUCKET, GW_ACL_PUBLIC_READ, 0, 0), GW_VERDICT_ALLOW,
           "list public-read bucket");
    is_int(gw_acl_decide(A, GW_ACCESS_WRITE_OBJECT, GW_ACL_PUBLIC_READ, 0, 0), GW_VERDICT_DENY,
           "write public-read bucket");
    is_int(gw_acl_decide(U, GW_ACCESS_WRITE_OBJECT, GW_ACL_PUBLIC_READ_WRITE, 0, 0),
           GW_VERDICT_ALLOW, "write public-read-write bucket");
    is_int(gw_acl_decide(A, GW_ACCESS_READ_OBJECT, 0, GW_ACL_PUBLIC_READ, GW_VERDICT_DENY),
           GW_VERDICT_DENY, "policy deny wins");
    is_int(gw_acl_decide(A, GW_ACCESS_READ_OBJECT, 0, GW_ACL_PRIVATE, GW_VERDICT_ALLOW),
           GW_VERDICT_ALLOW, "policy allow");
}

#define POL(stmts) "{\"Version\":\"2012-10-17\",\"Statement\":" stmts "}"
#define PUBGET                                                                                     \
    "[{\"Sid\":\"p\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","        \
    "\"Resource\":\"arn:aws:s3:::bk/pub/*\"}]"

static s3_err_t chk(const char *doc)
{
    s3_why_t why;
    return gw_policy_check(doc, strlen(doc), "bk", &why);
}

static gw_verdict_t ev(const char *doc, gw_access_t op, const char *key)
{
    return gw_policy_eval(doc, strlen(doc), "bk", op, key, strlen(key));
}

static void test_policy(void)
{
    is_int(chk(POL(PUBGET)), S3_OK, "public get");
    is_int(ev(POL(PUBGET), GW_ACCESS_READ_OBJECT, "pub/a.jpg"), GW_VERDICT_ALLOW, "allowed");
    is_int(ev(POL(PUBGET), GW_ACCESS_READ_OBJECT, "priv/a.jpg"), GW_VERDICT_NONE, "other prefix");
    is_int(ev(POL(PUBGET), GW_ACCESS_LIST_BUCKET, ""), GW_VERDICT_NONE, "list not granted");
    const char *both = POL("[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"*\"]},\"Action\":"
                           "[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::bk\","
                           "\"arn:aws:s3:::bk/*\"]},{\"Effect\":\"Deny\",\"Principal\":\"*\","
                           "\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::bk/secret?/*\"}]");
    is_int(chk(both), S3_OK, "allow + deny");
    is_int(ev(both, GW_ACCESS_LIST_BUCKET, ""), GW_VERDICT_ALLOW, "list");
    is_int(ev(both, GW_ACCESS_READ_OBJECT, "x"), GW_VERDICT_ALLOW, "get any");
    is_int(ev(both, GW_ACCESS_READ_OBJECT, "secret1/x"), GW_VERDICT_DENY, "deny wins");
    is_int(ev(both, GW_ACCESS_READ_OBJECT, "secret12/x"), GW_VERDICT_ALLOW, "? is one char");
    /* a single statement object, escapes in strings */
    is_int(chk("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"\\u002a\",\"Action\":"
               "\"S3:GETOBJECT\",\"Resource\":\"arn:aws:s3:::bk/\\u00e9*\"}}"),
           S3_OK, "single statement, escapes");
    /* malformed */
    is_int(chk("{"), S3_ERR_MALFORMED_POLICY, "bad json");
    is_int(chk("[]"), S3_ERR_MALFORMED_POLICY, "not an object");
    is_int(chk("{\"Statement\":[]}"), S3_ERR_MALFORMED_POLICY, "empty statements");
    is_int(chk(POL(PUBGET) " x"), S3_ERR_MALFORMED_POLICY, "trailing garbage");
    is_int(chk("{\"Version\":\"2012-10-17\",\"Version\":\"2012-10-17\",\"Statement\":" PUBGET "}"),
           S3_ERR_MALFORMED_POLICY, "duplicate key");
    is_int(chk("{\"Version\":\"1999\",\"Statement\":" PUBGET "}"), S3_ERR_MALFORMED_POLICY,
           "version");
    is_int(chk(POL("[{\"Effect\":\"Maybe\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                   "\"Resource\":\"arn:aws:s3:::bk/*\"}]")),
           S3_ERR_MALFORMED_POLICY, "effect");
    is_int(chk(POL("[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"}]")),
           S3_ERR_MALFORMED_POLICY, "no resource");
    is_int(chk(POL("[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                   "\"Resource\":\"arn:aws:s3:::other/*\"}]")),
           S3_ERR_MALFORMED_POLICY, "another bucket");
    is_int(chk("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
               "\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bk/*\",\"Bogus\":1}]}"),
           S3_ERR_MALFORMED_POLICY, "unknown field");
    /* refused, never ignored */
    is_int(chk(POL("[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                   "\"Resource\":\"arn:aws:s3:::bk/*\",\"Condition\":{\"IpAddress\":{}}}]")),
           S3_ERR_NOT_IMPLEMENTED, "Condition");
    is_int(chk(POL("[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\","
                   "\"Resource\":\"arn:aws:s3:::bk/*\"}]")),
           S3_ERR_NOT_IMPLEMENTED, "PutObject");
    is_int(chk(POL("[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::1:root\"},"
                   "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bk/*\"}]")),
           S3_ERR_NOT_IMPLEMENTED, "named principal");
    is_int(ev("{", GW_ACCESS_READ_OBJECT, "x"), GW_VERDICT_NONE, "invalid evaluates to none");
    /* depth limit */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    is_int(gw_policy_check(deep, 200, "bk", NULL), S3_ERR_MALFORMED_POLICY, "too deep");
}

static void test_glob(void)
{
    ok(gw_glob_match("*", 1, "", 0, 0), "* empty");
    ok(gw_glob_match("a*c", 3, "abbbc", 5, 0), "a*c");
    ok(!gw_glob_match("a*c", 3, "abbbd", 5, 0), "a*c no");
    ok(gw_glob_match("https://*.example.com", 21, "https://www.example.com", 23, 0), "origin");
    ok(!gw_glob_match("x-AMZ-*", 7, "x-amz-date", 10, 0), "case-sensitive");
    ok(gw_glob_match("x-AMZ-*", 7, "x-amz-date", 10, 1), "case-insensitive");
}

#define CORS_XML                                                                                   \
    "<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>"            \
    "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"                         \
    "<AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader>"            \
    "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>"               \
    "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"      \
    "</CORSConfiguration>"

static void test_cors(void)
{
    s3_cors_config_t c;
    s3_why_t why;
    is_int(s3_xml_parse_cors(CORS_XML, strlen(CORS_XML), &c, &why), S3_OK, "parsed");
    is_uint(gw_cors_method_bit("PUT", 3), S3_CORS_PUT, "PUT bit");
    is_uint(gw_cors_method_bit("PATCH", 5), 0, "PATCH");
    const s3_cors_rule_t *r =
        gw_cors_match(&c, S("https://app.example.com"), S3_CORS_PUT, S("X-Amz-Date, content-type"));
    ok(r == &c.rules[0], "first rule for PUT with headers");
    ok(gw_cors_match(&c, S("https://app.example.com"), S3_CORS_PUT, S("authorization")) == NULL,
       "header not allowed");
    ok(gw_cors_match(&c, S("https://evil.org"), S3_CORS_PUT, NOS) == NULL, "origin not allowed");
    ok(gw_cors_match(&c, S("https://evil.org"), S3_CORS_GET, NOS) == &c.rules[1], "* for GET");
    ok(gw_cors_match(&c, NOS, S3_CORS_GET, NOS) == NULL, "no origin");
    char work[512];
    gw_cors_hdr_t h[GW_CORS_MAX_HDRS];
    size_t n = gw_cors_headers(r, S("https://app.example.com"), S("X-Amz-Date, content-type"), 1,
                               work, sizeof work, h);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        char v[256];
        snprintf(v, sizeof v, "%.*s", (int)h[i].value.len, h[i].value.base);
        if (strcmp(h[i].name, "access-control-allow-origin") == 0) {
            is_str(v, "https://app.example.com", "allow-origin");
            seen++;
        } else if (strcmp(h[i].name, "access-control-allow-methods") == 0) {
            is_str(v, "GET, PUT", "allow-methods");
            seen++;
        } else if (strcmp(h[i].name, "access-control-allow-headers") == 0) {
            is_str(v, "x-amz-date, content-type", "allow-headers");
            seen++;
        } else if (strcmp(h[i].name, "access-control-max-age") == 0) {
            is_str(v, "600", "max-age");
            seen++;
        } else if (strcmp(h[i].name, "access-control-expose-headers") == 0) {
            is_str(v, "ETag", "expose");
            seen++;
        }
    }
    is_int(seen, 5, "all preflight headers");
    n = gw_cors_headers(&c.rules[1], S("https://evil.org"), NOS, 0, work, sizeof work, h);
    ok(n >= 3 && strcmp(h[0].name, "access-control-allow-origin") == 0 && h[0].value.len == 1 &&
           h[0].value.base[0] == '*',
       "* origin answered as *");
    ok(strcmp(h[n - 1].name, "vary") == 0, "vary");
    s3_xml_arena_free(&c.arena);
}

int main(void)
{
    subtest("canned", test_canned);
    subtest("policy mapping", test_policy_mapping);
    subtest("grant headers", test_grant_headers);
    subtest("render", test_render);
    subtest("decide", test_decide);
    subtest("policy", test_policy);
    subtest("glob", test_glob);
    subtest("cors", test_cors);
    return tt_done();
}
