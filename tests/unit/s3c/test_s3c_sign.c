/*
 * test_s3c_sign.c — the tools' request signing (tern_s3c): the AWS S3 documentation's
 * "GET Bucket (List Objects)" example signature, and a signed PUT that the gateway's own
 * verifier (s3_sigv4_parse/check/verify) accepts.
 */
#include "s3_router.h"
#include "s3_sigv4.h"
#include "s3c_sign.h"
#include "test.h"

#define DOC_AK     "AKIAIOSFODNN7EXAMPLE"
#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static void test_doc_vector(void)
{
    s3c_signer_t s;
    char auth[512];
    is_int(s3c_signer_init(&s, DOC_AK, DOC_SECRET, "us-east-1"), 0, "init");
    size_t n = s3c_sign(&s, "GET", "/", "max-keys=2&prefix=J", "examplebucket.s3.amazonaws.com",
                        "20130524T000000Z", S3_SIGV4_EMPTY_SHA256, auth, sizeof auth);
    ok(n == strlen(auth), "length returned");
    is_str(auth,
           "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
           "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
           "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
           "AWS documentation example");
    /* the cached key is reused the same day, re-derived another day */
    ok(strcmp(s.key_date, "20130524") == 0, "key cached for the day");
    char again[512];
    s3c_sign(&s, "GET", "/", "prefix=J&max-keys=2", "examplebucket.s3.amazonaws.com",
             "20130524T000000Z", S3_SIGV4_EMPTY_SHA256, again, sizeof again);
    is_str(again, auth, "query order does not matter");
    s3c_sign(&s, "GET", "/", "max-keys=2&prefix=J", "examplebucket.s3.amazonaws.com",
             "20130525T000000Z", S3_SIGV4_EMPTY_SHA256, again, sizeof again);
    ok(strcmp(s.key_date, "20130525") == 0, "new day, new key");
    ok(strcmp(again, auth) != 0, "another day, another signature");
    is_uint(s3c_sign(&s, "GET", "/", "", "h", "2013", S3_SIGV4_EMPTY_SHA256, again, sizeof again),
            0, "malformed date refused");
    is_uint(s3c_sign(&s, "GET", "/", "", "h", "20130524T000000Z", S3_SIGV4_EMPTY_SHA256, again, 20),
            0, "too small a buffer refused");
}

static void test_gateway_accepts(void)
{
    s3c_signer_t s;
    char auth[512], date[17];
    s3c_signer_init(&s, "TERNDEVACCESSKEY0001", "secret-0123", "us-east-1");
    s3c_amz_date(1700000000, date);
    is_str(date, "20231114T221320Z", "x-amz-date format");
    s3c_sign(&s, "PUT", "/tern-bench/tb-00000042", "", "127.0.0.1:9000", date, "UNSIGNED-PAYLOAD",
             auth, sizeof auth);
    s3_header_t headers[] = {
        {TN_SLICE_LIT("Host"), TN_SLICE_LIT("127.0.0.1:9000")},
        {TN_SLICE_LIT("x-amz-date"), {date, 16}},
        {TN_SLICE_LIT("x-amz-content-sha256"), TN_SLICE_LIT("UNSIGNED-PAYLOAD")},
        {TN_SLICE_LIT("Authorization"), {auth, strlen(auth)}},
        {TN_SLICE_LIT("Content-Length"), TN_SLICE_LIT("4096")},
    };
    s3_sigv4_req_t req = {
        .method = TN_SLICE_LIT("PUT"),
        .path = TN_SLICE_LIT("/tern-bench/tb-00000042"),
        .headers = headers,
        .n_headers = TN_ARRAY_SIZE(headers),
    };
    s3_sigv4_auth_t a;
    s3_why_t why;
    s3_payload_kind_t kind;
    uint8_t key[32];
    is_int(s3_sigv4_parse(&req, &a, &why), S3_OK, "gateway parses it");
    is_int(s3_sigv4_check(&req, &a, "us-east-1", "s3", 1700000000, &why), S3_OK, "checks");
    is_int(s3_sigv4_payload(&req, a.kind, &req.payload_hash, &kind, &why), S3_OK, "payload");
    is_int(kind, S3_PAYLOAD_UNSIGNED, "unsigned payload");
    s3_sigv4_signing_key("secret-0123", 11, a.date, "us-east-1", "s3", key);
    is_int(s3_sigv4_verify(&req, &a, key, &why), S3_OK, "gateway verifies it");
    key[0] ^= 1;
    is_int(s3_sigv4_verify(&req, &a, key, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
           "and refuses it with another secret");
}

/* Extra headers (x-amz-meta-*, checksums) are signed, and an encoded key path verifies. */
static void test_extra_headers(void)
{
    s3c_signer_t s;
    char auth[1024], date[17];
    s3c_signer_init(&s, "TERNDEVACCESSKEY0001", "secret-0123", "us-east-1");
    s3c_amz_date(1700000000, date);
    const s3c_hdr_t extra[] = {{"x-amz-meta-mtime", "1700000000"},
                               {"content-type", "image/png"},
                               {"x-amz-checksum-crc32c", "yZRlqg=="}};
    const char *path = "/b/a%20b/%25%2B%C3%A9.png";
    ok(s3c_sign_ext(&s, "PUT", path, "", "h:1", date, "UNSIGNED-PAYLOAD", extra, 3, auth,
                    sizeof auth) > 0,
       "signed");
    ok(strstr(auth, "SignedHeaders=content-type;host;x-amz-checksum-crc32c;x-amz-content-sha256;"
                    "x-amz-date;x-amz-meta-mtime,") != NULL,
       "sorted signed header list");
    s3_header_t headers[] = {
        {TN_SLICE_LIT("Host"), TN_SLICE_LIT("h:1")},
        {TN_SLICE_LIT("x-amz-date"), {date, 16}},
        {TN_SLICE_LIT("x-amz-content-sha256"), TN_SLICE_LIT("UNSIGNED-PAYLOAD")},
        {TN_SLICE_LIT("Authorization"), {auth, strlen(auth)}},
        {TN_SLICE_LIT("Content-Type"), TN_SLICE_LIT("image/png")},
        {TN_SLICE_LIT("x-amz-meta-mtime"), TN_SLICE_LIT("1700000000")},
        {TN_SLICE_LIT("x-amz-checksum-crc32c"), TN_SLICE_LIT("yZRlqg==")},
    };
    s3_sigv4_req_t req = {
        .method = TN_SLICE_LIT("PUT"),
        .path = {path, strlen(path)},
        .headers = headers,
        .n_headers = TN_ARRAY_SIZE(headers),
    };
    s3_sigv4_auth_t a;
    s3_why_t why;
    s3_payload_kind_t kind;
    uint8_t key[32];
    is_int(s3_sigv4_parse(&req, &a, &why), S3_OK, "gateway parses it");
    is_int(s3_sigv4_payload(&req, a.kind, &req.payload_hash, &kind, &why), S3_OK, "payload");
    s3_sigv4_signing_key("secret-0123", 11, a.date, "us-east-1", "s3", key);
    is_int(s3_sigv4_verify(&req, &a, key, &why), S3_OK, "gateway verifies it");
    headers[5].value = TN_SLICE_LIT("1700000001");
    is_int(s3_sigv4_verify(&req, &a, key, &why), S3_ERR_SIGNATURE_DOES_NOT_MATCH,
           "a changed metadata value is refused");
}

int main(void)
{
    subtest("extra headers", test_extra_headers);
    subtest("documentation vector", test_doc_vector);
    subtest("gateway accepts", test_gateway_accepts);
    return tt_done();
}
