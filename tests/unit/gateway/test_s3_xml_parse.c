/* test_s3_xml_parse.c — S3 XML request bodies: valid documents of each kind (with and
 * without the S3 namespace, whitespace, entities, character references, CDATA), every
 * limit, DOCTYPE / entity bombs, truncation, wrong roots, unknown and duplicate elements,
 * and each document's specific errors. */
#include "test.h"
#include "s3_xml_parse.h"

#define NS " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static int slice_is(tn_slice_t s, const char *want)
{
    return s.base != NULL && s.len == strlen(want) && memcmp(s.base, want, s.len) == 0 &&
           s.base[s.len] == '\0';
}

/* A growable string for generated documents. */
typedef struct {
    char *p;
    size_t len, cap;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static void sb_free(sbuf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static s3_err_t del(const char *doc, s3_delete_req_t *r, s3_why_t *why)
{
    return s3_xml_parse_delete(doc, strlen(doc), r, why);
}

static void test_delete(void)
{
    s3_delete_req_t r;
    s3_why_t why;
    const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<Delete" NS ">\n  <Quiet>true</Quiet>\n"
                      "  <Object><Key>a&amp;b &lt;c&gt; &#x41;&#66;</Key></Object>\n"
                      "  <Object><Key><![CDATA[x<y>&z]]></Key><VersionId>v1</VersionId>"
                      "<ETag>\"e\"</ETag></Object>\n"
                      "  <Object><Key>caf\xc3\xa9/\xe2\x82\xac \t </Key></Object>\n"
                      "</Delete>";
    is_int(del(doc, &r, &why), S3_OK, "valid Delete with namespace");
    ok(r.quiet == 1, "quiet");
    is_uint(r.n_objects, 3, "three objects");
    if (r.n_objects == 3) {
        ok(slice_is(r.objects[0].key, "a&b <c> AB"), "entities and character references");
        ok(slice_is(r.objects[1].key, "x<y>&z"), "CDATA");
        ok(slice_is(r.objects[1].version_id, "v1"), "version id");
        ok(slice_is(r.objects[1].etag, "\"e\""), "etag as sent");
        ok(r.objects[0].version_id.base == NULL, "absent version id");
        ok(slice_is(r.objects[2].key, "caf\xc3\xa9/\xe2\x82\xac \t "), "UTF-8, spaces kept");
    }
    s3_xml_arena_free(&r.arena);
    s3_xml_arena_free(&r.arena); /* idempotent */

    is_int(del("<Delete><Object><Key>k</Key></Object></Delete>", &r, &why), S3_OK,
           "without namespace, without Quiet");
    ok(r.quiet == 0 && r.n_objects == 1, "defaults");
    s3_xml_arena_free(&r.arena);
    is_int(del("<s3:Delete xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Object>"
               "<s3:Key>k</s3:Key></s3:Object></s3:Delete>",
               &r, &why),
           S3_OK, "prefixed namespace");
    s3_xml_arena_free(&r.arena);
    is_int(del("<Delete><Quiet> false </Quiet><Object><Key>k</Key></Object></Delete>", &r, &why),
           S3_OK, "boolean with spaces");
    s3_xml_arena_free(&r.arena);

    static const struct {
        const char *doc;
        const char *msg;
    } bad[] = {
        {"<Delete></Delete>", "no Object"},
        {"<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>", "Quiet"},
        {"<Delete><Object><VersionId>v</VersionId></Object></Delete>", "without Key"},
        {"<Delete><Object><Key></Key></Object></Delete>", "empty Key"},
        {"<Delete><Object><Key>k</Key><Key>j</Key></Object></Delete>", "more than once"},
        {"<Delete><Quiet>true</Quiet><Quiet>true</Quiet><Object><Key>k</Key></Object></Delete>",
         "more than once"},
        {"<Delete><Object><Key>k</Key><Foo/></Object></Delete>", "unexpected element Foo"},
        {"<Delete><Object><Key>k<b>x</b></Key></Object></Delete>", "unexpected element b"},
        {"<Delete>junk<Object><Key>k</Key></Object></Delete>", "text inside"},
        {"<Remove><Object><Key>k</Key></Object></Remove>", "root element must be Delete"},
        {"<Delete><Object><Key>k</Key></Object>", "XML error"},
        {"<Delete><Object><Key>k</Key></Object></Delete><Delete/>", "XML error"},
        {"<Delete><Object><Key>k</Object></Delete>", "XML error"},
        {"<Delete><Object><Key>&bogus;</Key></Object></Delete>", "XML error"},
        {"<Delete><Object><Key>&#0;</Key></Object></Delete>", "XML error"},
        {"<Delete><Object><Key>\xff</Key></Object></Delete>", "XML error"},
        {"", "empty"},
        {"   ", "XML error"},
        {"<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>", "DOCTYPE"},
        {"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
         "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><Delete><Object><Key>&lol2;"
         "</Key></Object></Delete>",
         "DOCTYPE"},
        {"<!DOCTYPE Delete SYSTEM \"file:///etc/passwd\"><Delete><Object><Key>&xxe;</Key>"
         "</Object></Delete>",
         "DOCTYPE"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        is_int(del(bad[i].doc, &r, &why), S3_ERR_MALFORMED_XML, bad[i].doc);
        has_str(s3_why_message(&why), bad[i].msg, bad[i].doc);
        ok(r.objects == NULL && r.n_objects == 0 && r.arena.head == NULL, "nothing kept");
        s3_xml_arena_free(&r.arena);
    }
    /* every truncation of a valid document fails cleanly */
    const char *v = "<Delete" NS "><Quiet>true</Quiet><Object><Key>k1</Key></Object></Delete>";
    int bad_trunc = 0;
    for (size_t n = 0; n < strlen(v); n++) {
        if (s3_xml_parse_delete(v, n, &r, &why) != S3_ERR_MALFORMED_XML)
            bad_trunc++;
        s3_xml_arena_free(&r.arena);
    }
    is_int(bad_trunc, 0, "every truncation is MalformedXML");

    /* 1000 objects pass, 1001 do not */
    sbuf_t b = {0};
    sb_add(&b, "<Delete>");
    for (int i = 0; i < 1000; i++) {
        char o[64];
        snprintf(o, sizeof(o), "<Object><Key>key-%d</Key></Object>", i);
        sb_add(&b, o);
    }
    size_t before_end = b.len;
    sb_add(&b, "</Delete>");
    is_int(s3_xml_parse_delete(b.p, b.len, &r, &why), S3_OK, "1000 objects");
    is_uint(r.n_objects, 1000, "all of them");
    ok(r.n_objects == 1000 && slice_is(r.objects[999].key, "key-999") &&
           slice_is(r.objects[0].key, "key-0"),
       "order kept across array growth");
    s3_xml_arena_free(&r.arena);
    b.len = before_end;
    sb_add(&b, "<Object><Key>one-more</Key></Object></Delete>");
    is_int(s3_xml_parse_delete(b.p, b.len, &r, &why), S3_ERR_MALFORMED_XML, "1001 objects");
    has_str(s3_why_message(&why), "more than 1000", "says why");
    sb_free(&b);

    /* text limit and body limit */
    sb_add(&b, "<Delete><Object><Key>");
    for (int i = 0; i < S3_XML_MAX_TEXT; i++)
        sb_add(&b, "k");
    sb_add(&b, "</Key></Object></Delete>");
    is_int(s3_xml_parse_delete(b.p, b.len, &r, &why), S3_OK, "key of S3_XML_MAX_TEXT bytes");
    ok(r.n_objects == 1 && r.objects[0].key.len == S3_XML_MAX_TEXT, "whole key");
    s3_xml_arena_free(&r.arena);
    sb_free(&b);
    sb_add(&b, "<Delete><Object><Key>");
    for (int i = 0; i < S3_XML_MAX_TEXT + 1; i++)
        sb_add(&b, "&amp;");
    sb_add(&b, "</Key></Object></Delete>");
    is_int(s3_xml_parse_delete(b.p, b.len, &r, &why), S3_ERR_MALFORMED_XML,
           "decoded text over the limit");
    has_str(s3_why_message(&why), "longer than", "says why");
    sb_free(&b);
    sb_add(&b, "<Delete><Object><Key>k</Key></Object>");
    while (b.len <= S3_XML_MAX_BODY)
        sb_add(&b, "<!-- padding padding padding padding padding padding padding -->\n");
    sb_add(&b, "</Delete>");
    is_int(s3_xml_parse_delete(b.p, b.len, &r, &why), S3_ERR_MALFORMED_XML, "body over 1 MiB");
    has_str(s3_why_message(&why), "larger than", "says why");
    sb_free(&b);
    /* depth: unknown elements are refused long before the depth limit */
    sb_add(&b, "<Delete>");
    for (int i = 0; i < 100; i++)
        sb_add(&b, "<Object>");
    is_int(s3_xml_parse_delete(b.p, b.len, &r, &why), S3_ERR_MALFORMED_XML, "deep nesting");
    sb_free(&b);
}

static void test_complete(void)
{
    s3_complete_req_t r;
    s3_why_t why;
    const char *doc = "<CompleteMultipartUpload" NS ">"
                      "<Part><PartNumber>1</PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\""
                      "</ETag></Part>"
                      "<Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag>"
                      "<PartNumber> 2 </PartNumber><ChecksumCRC32>y/Q5Jg==</ChecksumCRC32>"
                      "<ChecksumSHA256>abc=</ChecksumSHA256></Part>"
                      "<Part><PartNumber>10000</PartNumber><ETag>noquotes</ETag>"
                      "<ChecksumCRC64NVME>rosUhgp5mIg=</ChecksumCRC64NVME></Part>"
                      "<Part><PartNumber>3</PartNumber><ETag>\"\"</ETag></Part>"
                      "</CompleteMultipartUpload>";
    is_int(s3_xml_parse_complete(doc, strlen(doc), &r, &why), S3_OK, "valid");
    is_uint(r.n_parts, 4, "four parts");
    if (r.n_parts == 4) {
        is_uint(r.parts[0].part_number, 1, "1");
        ok(slice_is(r.parts[0].etag, "a54357aff0632cce46d942af68356b38"), "quotes stripped");
        is_uint(r.parts[1].part_number, 2, "2 with spaces");
        ok(slice_is(r.parts[1].etag, "0c78aef83f66abc1fa1e8477f296d394"), "&quot; stripped");
        ok(slice_is(r.parts[1].checksum[S3_CKSUM_CRC32], "y/Q5Jg=="), "crc32");
        ok(slice_is(r.parts[1].checksum[S3_CKSUM_SHA256], "abc="), "sha256");
        ok(r.parts[1].checksum[S3_CKSUM_CRC32C].base == NULL, "absent checksum");
        is_uint(r.parts[2].part_number, 10000, "10000");
        ok(slice_is(r.parts[2].etag, "noquotes"), "quotes optional");
        ok(slice_is(r.parts[2].checksum[S3_CKSUM_CRC64NVME], "rosUhgp5mIg="), "crc64");
        is_uint(r.parts[3].part_number, 3, "document order kept (caller checks order)");
        ok(slice_is(r.parts[3].etag, ""), "empty etag");
    }
    s3_xml_arena_free(&r.arena);
    static const struct {
        const char *doc;
        s3_err_t err;
    } bad[] = {
        {"<CompleteMultipartUpload></CompleteMultipartUpload>", S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>e</ETag></Part>"
         "</CompleteMultipartUpload>",
         S3_ERR_TOO_MANY_PARTS},
        {"<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>e</ETag></Part>"
         "</CompleteMultipartUpload>",
         S3_ERR_TOO_MANY_PARTS},
        {"<CompleteMultipartUpload><Part><PartNumber>99999999999999999999999</PartNumber>"
         "<ETag>e</ETag></Part></CompleteMultipartUpload>",
         S3_ERR_TOO_MANY_PARTS},
        {"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>e</ETag></Part>"
         "</CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><PartNumber>1x</PartNumber><ETag>e</ETag></Part>"
         "</CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
         "</CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
         "<ChecksumMD5>x</ChecksumMD5></Part></CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber>"
         "<ETag>e</ETag></Part></CompleteMultipartUpload>",
         S3_ERR_MALFORMED_XML},
        {"<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>", S3_ERR_MALFORMED_XML},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        is_int(s3_xml_parse_complete(bad[i].doc, strlen(bad[i].doc), &r, &why), bad[i].err,
               bad[i].doc);
        s3_xml_arena_free(&r.arena);
    }
    /* 10,000 parts with quotes and a checksum: more than 1 MiB, within the larger limit */
    sbuf_t b = {0};
    sb_add(&b, "<CompleteMultipartUpload" NS ">\n");
    for (int i = 1; i <= 10000; i++) {
        char part[256];
        snprintf(
            part, sizeof(part),
            "  <Part>\n    <PartNumber>%d</PartNumber>\n"
            "    <ETag>\"0123456789abcdef0123456789abcdef\"</ETag>\n"
            "    <ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ChecksumSHA256>\n"
            "  </Part>\n",
            i);
        sb_add(&b, part);
    }
    size_t before_end = b.len;
    sb_add(&b, "</CompleteMultipartUpload>");
    ok(b.len > S3_XML_MAX_BODY, "document is over 1 MiB");
    is_int(s3_xml_parse_complete(b.p, b.len, &r, &why), S3_OK, "10000 parts");
    ok(r.n_parts == 10000 && r.parts[9999].part_number == 10000, "all parts");
    s3_xml_arena_free(&r.arena);
    b.len = before_end;
    sb_add(&b, "<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>");
    is_int(s3_xml_parse_complete(b.p, b.len, &r, &why), S3_ERR_MALFORMED_XML, "10001 parts");
    sb_free(&b);
}

static void test_cors(void)
{
    s3_cors_config_t r;
    s3_why_t why;
    const char *doc =
        "<CORSConfiguration" NS ">"
        "<CORSRule><ID>rule1</ID><AllowedOrigin>http://www.example.com</AllowedOrigin>"
        "<AllowedOrigin>https://*.example.com</AllowedOrigin>"
        "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>"
        "<AllowedMethod>DELETE</AllowedMethod><AllowedHeader>*</AllowedHeader>"
        "<ExposeHeader>x-amz-server-side-encryption</ExposeHeader><ExposeHeader>ETag"
        "</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        "<AllowedMethod>HEAD</AllowedMethod></CORSRule>"
        "</CORSConfiguration>";
    is_int(s3_xml_parse_cors(doc, strlen(doc), &r, &why), S3_OK, "valid CORS");
    is_uint(r.n_rules, 2, "two rules");
    if (r.n_rules == 2) {
        s3_cors_rule_t *a = &r.rules[0], *c = &r.rules[1];
        ok(slice_is(a->id, "rule1"), "id");
        ok(a->n_origins == 2 && slice_is(a->origins[1], "https://*.example.com"), "origins");
        is_uint(a->methods, S3_CORS_PUT | S3_CORS_POST | S3_CORS_DELETE, "methods");
        ok(a->n_allowed_headers == 1 && slice_is(a->allowed_headers[0], "*"), "allowed header");
        ok(a->n_expose_headers == 2 && slice_is(a->expose_headers[1], "ETag"), "expose");
        is_int(a->max_age, 3000, "max age");
        is_uint(c->methods, S3_CORS_GET | S3_CORS_HEAD, "GET HEAD");
        is_int(c->max_age, -1, "no max age");
        ok(c->id.base == NULL && c->n_allowed_headers == 0, "absent fields");
    }
    s3_xml_arena_free(&r.arena);
    static const struct {
        const char *doc;
        s3_err_t err;
        const char *msg;
    } bad[] = {
        {"<CORSConfiguration/>", S3_ERR_MALFORMED_XML, "no CORSRule"},
        {"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>"
         "</CORSConfiguration>",
         S3_ERR_MALFORMED_XML, "AllowedOrigin"},
        {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"
         "</CORSConfiguration>",
         S3_ERR_MALFORMED_XML, "AllowedMethod"},
        {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH"
         "</AllowedMethod></CORSRule></CORSConfiguration>",
         S3_ERR_INVALID_REQUEST, "Unsupported method is PATCH"},
        {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>get"
         "</AllowedMethod></CORSRule></CORSConfiguration>",
         S3_ERR_INVALID_REQUEST, "Unsupported method is get"},
        {"<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*.com</AllowedOrigin>"
         "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
         S3_ERR_INVALID_REQUEST, "more than one wildcard"},
        {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedHeader>**"
         "</AllowedHeader><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
         S3_ERR_INVALID_REQUEST, "AllowedHeader"},
        {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
         "</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule></CORSConfiguration>",
         S3_ERR_MALFORMED_XML, "MaxAgeSeconds"},
        {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
         "</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds>"
         "</CORSRule></CORSConfiguration>",
         S3_ERR_MALFORMED_XML, "more than once"},
        {"<CORSConfiguration><AllowedOrigin>*</AllowedOrigin></CORSConfiguration>",
         S3_ERR_MALFORMED_XML, "unexpected element"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        is_int(s3_xml_parse_cors(bad[i].doc, strlen(bad[i].doc), &r, &why), bad[i].err, bad[i].doc);
        has_str(s3_why_message(&why), bad[i].msg, bad[i].doc);
        s3_xml_arena_free(&r.arena);
    }
    /* 100 rules pass, 101 do not */
    sbuf_t b = {0};
    sb_add(&b, "<CORSConfiguration>");
    for (int i = 0; i < 100; i++)
        sb_add(&b, "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                   "</CORSRule>");
    size_t before_end = b.len;
    sb_add(&b, "</CORSConfiguration>");
    is_int(s3_xml_parse_cors(b.p, b.len, &r, &why), S3_OK, "100 rules");
    is_uint(r.n_rules, 100, "all rules");
    s3_xml_arena_free(&r.arena);
    b.len = before_end;
    sb_add(&b, "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
               "</CORSRule></CORSConfiguration>");
    is_int(s3_xml_parse_cors(b.p, b.len, &r, &why), S3_ERR_MALFORMED_XML, "101 rules");
    sb_free(&b);
}

static void test_tagging(void)
{
    s3_tagging_t r;
    s3_why_t why;
    const char *doc = "<Tagging" NS "><TagSet><Tag><Key>Project</Key><Value>Project One</Value>"
                      "</Tag><Tag><Key>a&amp;b</Key><Value></Value></Tag><Tag><Key>project</Key>"
                      "<Value>x</Value></Tag></TagSet></Tagging>";
    is_int(s3_xml_parse_tagging(doc, strlen(doc), 10, &r, &why), S3_OK, "valid tagging");
    is_uint(r.n_tags, 3, "three tags (keys are case-sensitive)");
    if (r.n_tags == 3) {
        ok(slice_is(r.tags[0].key, "Project") && slice_is(r.tags[0].value, "Project One"), "tag");
        ok(slice_is(r.tags[1].key, "a&b") && slice_is(r.tags[1].value, ""), "empty value");
    }
    s3_xml_arena_free(&r.arena);
    is_int(s3_xml_parse_tagging(TN_STRLIT("<Tagging><TagSet/></Tagging>"), 10, &r, &why), S3_OK,
           "empty tag set");
    is_uint(r.n_tags, 0, "no tags");
    s3_xml_arena_free(&r.arena);

    /* key of 128 characters (multi-byte) passes, 129 does not; value 256 / 257 */
    sbuf_t k = {0}, b = {0};
    for (int i = 0; i < 128; i++)
        sb_add(&k, "\xc3\xa9");
    sb_add(&b, "<Tagging><TagSet><Tag><Key>");
    sb_add(&b, k.p);
    sb_add(&b, "</Key><Value>v</Value></Tag></TagSet></Tagging>");
    is_int(s3_xml_parse_tagging(b.p, b.len, 10, &r, &why), S3_OK, "128-character key");
    s3_xml_arena_free(&r.arena);
    sb_free(&b);
    sb_add(&b, "<Tagging><TagSet><Tag><Key>");
    sb_add(&b, k.p);
    sb_add(&b, "x</Key><Value>v</Value></Tag></TagSet></Tagging>");
    is_int(s3_xml_parse_tagging(b.p, b.len, 10, &r, &why), S3_ERR_INVALID_TAG, "129 characters");
    has_str(s3_why_message(&why), "too long", "says why");
    sb_free(&b);
    sb_free(&k);
    for (int i = 0; i < 256; i++)
        sb_add(&k, "v");
    sb_add(&b, "<Tagging><TagSet><Tag><Key>k</Key><Value>");
    sb_add(&b, k.p);
    sb_add(&b, "</Value></Tag></TagSet></Tagging>");
    is_int(s3_xml_parse_tagging(b.p, b.len, 10, &r, &why), S3_OK, "256-character value");
    s3_xml_arena_free(&r.arena);
    sb_free(&b);
    sb_add(&b, "<Tagging><TagSet><Tag><Key>k</Key><Value>");
    sb_add(&b, k.p);
    sb_add(&b, "v</Value></Tag></TagSet></Tagging>");
    is_int(s3_xml_parse_tagging(b.p, b.len, 10, &r, &why), S3_ERR_INVALID_TAG, "257 characters");
    sb_free(&b);
    sb_free(&k);

    /* count limit given by the caller */
    sb_add(&b, "<Tagging><TagSet>");
    for (int i = 0; i < 11; i++) {
        char t[64];
        snprintf(t, sizeof(t), "<Tag><Key>k%d</Key><Value>v</Value></Tag>", i);
        sb_add(&b, t);
    }
    sb_add(&b, "</TagSet></Tagging>");
    is_int(s3_xml_parse_tagging(b.p, b.len, 10, &r, &why), S3_ERR_INVALID_TAG, "11 object tags");
    is_int(s3_xml_parse_tagging(b.p, b.len, 50, &r, &why), S3_OK, "11 bucket tags");
    is_uint(r.n_tags, 11, "all");
    s3_xml_arena_free(&r.arena);
    sb_free(&b);

    static const struct {
        const char *doc;
        s3_err_t err;
        const char *msg;
    } bad[] = {
        {"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2"
         "</Value></Tag></TagSet></Tagging>",
         S3_ERR_INVALID_TAG, "same key"},
        {"<Tagging><TagSet><Tag><Key></Key><Value>1</Value></Tag></TagSet></Tagging>",
         S3_ERR_INVALID_TAG, "invalid"},
        {"<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value></Tag></TagSet></Tagging>",
         S3_ERR_INVALID_TAG, "aws:"},
        {"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>", S3_ERR_MALFORMED_XML,
         "Key and Value"},
        {"<Tagging><TagSet><Tag><Value>1</Value></Tag></TagSet></Tagging>", S3_ERR_MALFORMED_XML,
         "Key and Value"},
        {"<Tagging></Tagging>", S3_ERR_MALFORMED_XML, "no TagSet"},
        {"<Tagging><TagSet/><TagSet/></Tagging>", S3_ERR_MALFORMED_XML, "more than once"},
        {"<Tagging><Tag><Key>a</Key><Value>1</Value></Tag></Tagging>", S3_ERR_MALFORMED_XML,
         "unexpected element Tag"},
        {"<TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet>", S3_ERR_MALFORMED_XML,
         "root element must be Tagging"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        is_int(s3_xml_parse_tagging(bad[i].doc, strlen(bad[i].doc), 10, &r, &why), bad[i].err,
               bad[i].doc);
        has_str(s3_why_message(&why), bad[i].msg, bad[i].doc);
        s3_xml_arena_free(&r.arena);
    }
}

#define XSI " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""

static void test_acl(void)
{
    s3_acl_t r;
    s3_why_t why;
    const char *doc =
        "<AccessControlPolicy" NS "><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078e"
        "fc7c6caea54ba06a</ID><DisplayName>owner</DisplayName></Owner><AccessControlList>"
        "<Grant><Grantee" XSI " xsi:type=\"CanonicalUser\"><ID>75aa57f09aa0c8caeab4f8c24e99d10f"
        "8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>owner</DisplayName></Grantee>"
        "<Permission>FULL_CONTROL</Permission></Grant>"
        "<Grant><Grantee" XSI " xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/"
        "AllUsers</URI></Grantee><Permission>READ</Permission></Grant>"
        "<Grant><Grantee xmlns:x=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "x:type=\"AmazonCustomerByEmail\"><EmailAddress>a@example.com</EmailAddress></Grantee>"
        "<Permission>WRITE_ACP</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>";
    is_int(s3_xml_parse_acl(doc, strlen(doc), &r, &why), S3_OK, "valid ACL");
    if (why.err != S3_OK)
        fprintf(stderr, "    %s\n", s3_why_message(&why));
    ok(slice_is(r.owner_id, "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"),
       "owner");
    ok(slice_is(r.owner_display_name, "owner"), "owner name");
    is_uint(r.n_grants, 3, "three grants");
    if (r.n_grants == 3) {
        is_int(r.grants[0].type, S3_GRANTEE_CANONICAL_USER, "canonical user");
        is_int(r.grants[0].permission, S3_PERM_FULL_CONTROL, "full control");
        is_int(r.grants[1].type, S3_GRANTEE_GROUP, "group");
        ok(slice_is(r.grants[1].uri, "http://acs.amazonaws.com/groups/global/AllUsers"), "uri");
        is_int(r.grants[1].permission, S3_PERM_READ, "read");
        is_int(r.grants[2].type, S3_GRANTEE_EMAIL, "email (any prefix for the xsi namespace)");
        is_int(r.grants[2].permission, S3_PERM_WRITE_ACP, "write acp");
    }
    s3_xml_arena_free(&r.arena);
    is_int(s3_xml_parse_acl(TN_STRLIT("<AccessControlPolicy><AccessControlList/>"
                                      "</AccessControlPolicy>"),
                            &r, &why),
           S3_OK, "no owner, no grants");
    ok(r.owner_id.base == NULL && r.n_grants == 0, "empty");
    s3_xml_arena_free(&r.arena);

    static const char *const bad[] = {
        "<AccessControlPolicy></AccessControlPolicy>",
        ("<AccessControlPolicy><Owner><DisplayName>x</DisplayName></Owner><AccessControlList/>"
         "</AccessControlPolicy>"),
        ("<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>x</ID></Grantee>"
         "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"),
        ("<AccessControlPolicy><AccessControlList><Grant><Grantee" XSI " xsi:type=\"Robot\">"
         "<ID>x</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
         "</AccessControlPolicy>"),
        ("<AccessControlPolicy><AccessControlList><Grant><Grantee" XSI " xsi:type=\"Group\">"
         "<ID>x</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
         "</AccessControlPolicy>"),
        ("<AccessControlPolicy><AccessControlList><Grant><Grantee" XSI
         " xsi:type=\"CanonicalUser\"><ID>x</ID></Grantee><Permission>ALL</Permission></Grant>"
         "</AccessControlList></AccessControlPolicy>"),
        ("<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant>"
         "</AccessControlList></AccessControlPolicy>"),
        ("<AccessControlPolicy><AccessControlList><Grant><Grantee" XSI
         " xsi:type=\"CanonicalUser\"><ID>x</ID></Grantee></Grant></AccessControlList>"
         "</AccessControlPolicy>"),
        ("<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type=\"CanonicalUser\">"
         "<ID>x</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
         "</AccessControlPolicy>"), /* unbound prefix: not well-formed with namespaces */
        ("<AccessControlPolicy><AccessControlList><Foo/></AccessControlList>"
         "</AccessControlPolicy>"),
        "<AccessControlPolicy><AccessControlList>",
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        is_int(s3_xml_parse_acl(bad[i], strlen(bad[i]), &r, &why), S3_ERR_MALFORMED_ACL, bad[i]);
        s3_xml_arena_free(&r.arena);
    }
    /* 100 grants pass, 101 do not */
    sbuf_t b = {0};
    sb_add(&b, "<AccessControlPolicy" XSI "><AccessControlList>");
    for (int i = 0; i < 101; i++) {
        sb_add(&b, "<Grant><Grantee xsi:type=\"CanonicalUser\"><ID>id</ID></Grantee>"
                   "<Permission>READ</Permission></Grant>");
        if (i == 99) {
            sbuf_t c = {0};
            sb_add(&c, b.p);
            sb_add(&c, "</AccessControlList></AccessControlPolicy>");
            is_int(s3_xml_parse_acl(c.p, c.len, &r, &why), S3_OK, "100 grants");
            is_uint(r.n_grants, 100, "all grants");
            s3_xml_arena_free(&r.arena);
            sb_free(&c);
        }
    }
    sb_add(&b, "</AccessControlList></AccessControlPolicy>");
    is_int(s3_xml_parse_acl(b.p, b.len, &r, &why), S3_ERR_MALFORMED_ACL, "101 grants");
    sb_free(&b);
}

static void test_versioning(void)
{
    s3_versioning_t v;
    s3_why_t why;
    is_int(s3_xml_parse_versioning(TN_STRLIT("<VersioningConfiguration" NS "><Status>Enabled"
                                             "</Status></VersioningConfiguration>"),
                                   &v, &why),
           S3_OK, "Enabled");
    ok(v.status == S3_VERSIONING_ENABLED && v.mfa_delete == -1, "enabled, no mfa");
    is_int(s3_xml_parse_versioning(TN_STRLIT("<VersioningConfiguration><Status> Suspended "
                                             "</Status><MfaDelete>Disabled</MfaDelete>"
                                             "</VersioningConfiguration>"),
                                   &v, &why),
           S3_OK, "Suspended");
    ok(v.status == S3_VERSIONING_SUSPENDED && v.mfa_delete == 0, "suspended, mfa disabled");
    is_int(s3_xml_parse_versioning(TN_STRLIT("<VersioningConfiguration/>"), &v, &why), S3_OK,
           "empty configuration");
    ok(v.status == S3_VERSIONING_UNSET, "unset");
    static const char *const bad[] = {
        "<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>",
        ("<VersioningConfiguration><Status>Enabled</Status><Status>Enabled</Status>"
         "</VersioningConfiguration>"),
        "<VersioningConfiguration><MfaDelete>Maybe</MfaDelete></VersioningConfiguration>",
        "<VersioningConfiguration><Other/></VersioningConfiguration>",
        "<Versioning><Status>Enabled</Status></Versioning>",
        "",
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++)
        is_int(s3_xml_parse_versioning(bad[i], strlen(bad[i]), &v, &why), S3_ERR_MALFORMED_XML,
               bad[i]);
}

static void test_create_bucket(void)
{
    s3_create_bucket_t c;
    s3_why_t why;
    is_int(s3_xml_parse_create_bucket("", 0, &c, &why), S3_OK, "empty body");
    ok(!c.has_location && c.location[0] == '\0', "no location");
    is_int(s3_xml_parse_create_bucket(TN_STRLIT(" \r\n"), &c, &why), S3_OK, "whitespace body");
    is_int(s3_xml_parse_create_bucket(TN_STRLIT("<CreateBucketConfiguration" NS ">"
                                                "<LocationConstraint>eu-west-1"
                                                "</LocationConstraint>"
                                                "</CreateBucketConfiguration>"),
                                      &c, &why),
           S3_OK, "location");
    ok(c.has_location, "has location");
    is_str(c.location, "eu-west-1", "location value");
    is_int(s3_xml_parse_create_bucket(TN_STRLIT("<CreateBucketConfiguration/>"), &c, &why), S3_OK,
           "empty configuration");
    ok(!c.has_location, "no location");
    is_int(s3_xml_parse_create_bucket(TN_STRLIT("<CreateBucketConfiguration><LocationConstraint/>"
                                                "</CreateBucketConfiguration>"),
                                      &c, &why),
           S3_OK, "empty location (us-east-1)");
    ok(c.has_location && c.location[0] == '\0', "present, empty");
    is_int(s3_xml_parse_create_bucket(
               TN_STRLIT("<CreateBucketConfiguration><LocationConstraint>"
                         "0123456789012345678901234567890123456789012345678901234567890123"
                         "</LocationConstraint></CreateBucketConfiguration>"),
               &c, &why),
           S3_ERR_INVALID_ARGUMENT, "64-byte location");
    is_int(s3_xml_parse_create_bucket(TN_STRLIT("<CreateBucketConfiguration><Location><Name>x"
                                                "</Name></Location></CreateBucketConfiguration>"),
                                      &c, &why),
           S3_ERR_MALFORMED_XML, "directory-bucket elements refused");
    is_int(s3_xml_parse_create_bucket(TN_STRLIT("<LocationConstraint>x</LocationConstraint>"), &c,
                                      &why),
           S3_ERR_MALFORMED_XML, "wrong root");
    is_int(s3_xml_parse_create_bucket(TN_STRLIT("not xml"), &c, &why), S3_ERR_MALFORMED_XML,
           "garbage");
}

int main(void)
{
    subtest("DeleteObjects", test_delete);
    subtest("CompleteMultipartUpload", test_complete);
    subtest("CORSConfiguration", test_cors);
    subtest("Tagging", test_tagging);
    subtest("AccessControlPolicy", test_acl);
    subtest("VersioningConfiguration", test_versioning);
    subtest("CreateBucketConfiguration", test_create_bucket);
    return tt_done();
}
