/* Unit tests for gateway/s3_error.c: every error has a status, a code and a message, and the
 * ones clients depend on map to AWS's values. */
#include "s3_error.h"
#include "test.h"

static void test_table(void)
{
    for (int e = 1; e < S3_ERR__COUNT; e++) {
        const s3_err_info_t *i = s3_err_info((s3_err_t)e);
        ok(i->status >= 300 && i->status <= 599, "status in range");
        ok(i->code != NULL && i->code[0] != '\0', "code");
        ok(i->message != NULL && i->message[0] != '\0', "message");
        ok(strcmp(i->code, "InternalError") != 0 || e == S3_ERR_INTERNAL_ERROR,
           "every entry is filled (no fallback)");
    }
    static const struct {
        s3_err_t e;
        int status;
        const char *code;
    } want[] = {
        {S3_ERR_ACCESS_DENIED, 403, "AccessDenied"},
        {S3_ERR_BAD_DIGEST, 400, "BadDigest"},
        {S3_ERR_BUCKET_ALREADY_EXISTS, 409, "BucketAlreadyExists"},
        {S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU, 409, "BucketAlreadyOwnedByYou"},
        {S3_ERR_BUCKET_NOT_EMPTY, 409, "BucketNotEmpty"},
        {S3_ERR_ENTITY_TOO_LARGE, 400, "EntityTooLarge"},
        {S3_ERR_ENTITY_TOO_SMALL, 400, "EntityTooSmall"},
        {S3_ERR_METADATA_TOO_LARGE, 400, "MetadataTooLarge"},
        {S3_ERR_INCOMPLETE_BODY, 400, "IncompleteBody"},
        {S3_ERR_INTERNAL_ERROR, 500, "InternalError"},
        {S3_ERR_INVALID_ACCESS_KEY_ID, 403, "InvalidAccessKeyId"},
        {S3_ERR_INVALID_ARGUMENT, 400, "InvalidArgument"},
        {S3_ERR_INVALID_BUCKET_NAME, 400, "InvalidBucketName"},
        {S3_ERR_INVALID_DIGEST, 400, "InvalidDigest"},
        {S3_ERR_INVALID_PART, 400, "InvalidPart"},
        {S3_ERR_INVALID_PART_ORDER, 400, "InvalidPartOrder"},
        {S3_ERR_INVALID_RANGE, 416, "InvalidRange"},
        {S3_ERR_INVALID_REQUEST, 400, "InvalidRequest"},
        {S3_ERR_INVALID_URI, 400, "InvalidURI"},
        {S3_ERR_KEY_TOO_LONG, 400, "KeyTooLongError"},
        {S3_ERR_MALFORMED_XML, 400, "MalformedXML"},
        {S3_ERR_METHOD_NOT_ALLOWED, 405, "MethodNotAllowed"},
        {S3_ERR_MISSING_CONTENT_LENGTH, 411, "MissingContentLength"},
        {S3_ERR_MISSING_SECURITY_HEADER, 400, "MissingSecurityHeader"},
        {S3_ERR_NO_SUCH_BUCKET, 404, "NoSuchBucket"},
        {S3_ERR_NO_SUCH_KEY, 404, "NoSuchKey"},
        {S3_ERR_NO_SUCH_UPLOAD, 404, "NoSuchUpload"},
        {S3_ERR_NOT_IMPLEMENTED, 501, "NotImplemented"},
        {S3_ERR_PRECONDITION_FAILED, 412, "PreconditionFailed"},
        {S3_ERR_NOT_MODIFIED, 304, "NotModified"},
        {S3_ERR_REQUEST_TIME_TOO_SKEWED, 403, "RequestTimeTooSkewed"},
        {S3_ERR_SIGNATURE_DOES_NOT_MATCH, 403, "SignatureDoesNotMatch"},
        {S3_ERR_SERVICE_UNAVAILABLE, 503, "ServiceUnavailable"},
        {S3_ERR_SLOW_DOWN, 503, "SlowDown"},
        {S3_ERR_AUTH_HEADER_MALFORMED, 400, "AuthorizationHeaderMalformed"},
        {S3_ERR_AUTH_QUERY_PARAMS, 400, "AuthorizationQueryParametersError"},
        {S3_ERR_REQUEST_EXPIRED, 403, "AccessDenied"},
        {S3_ERR_CONTENT_SHA256_MISMATCH, 400, "XAmzContentSHA256Mismatch"},
        {S3_ERR_INVALID_CHUNK_SIZE, 400, "InvalidChunkSizeError"},
        {S3_ERR_QUOTA_EXCEEDED, 403, "QuotaExceeded"},
        {S3_ERR_NO_SUCH_CORS_CONFIGURATION, 404, "NoSuchCORSConfiguration"},
        {S3_ERR_NO_SUCH_TAG_SET, 404, "NoSuchTagSet"},
        {S3_ERR_INVALID_STORAGE_CLASS, 400, "InvalidStorageClass"},
        {S3_ERR_TOO_MANY_PARTS, 400, "InvalidArgument"},
        {S3_ERR_UNEXPECTED_CONTENT, 400, "UnexpectedContent"},
        {S3_ERR_REQUEST_TIMEOUT, 400, "RequestTimeout"},
        {S3_ERR_EXPIRED_TOKEN, 400, "ExpiredToken"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(want); i++) {
        is_int(s3_err_status(want[i].e), want[i].status, want[i].code);
        is_str(s3_err_code(want[i].e), want[i].code, want[i].code);
    }
    is_str(s3_err_message(S3_ERR_REQUEST_EXPIRED), "Request has expired", "presigned expiry");
    is_str(s3_err_code((s3_err_t)9999), "InternalError", "out of range");
    is_str(s3_err_code((s3_err_t)-1), "InternalError", "negative");
    ok(!s3_err_has_body(S3_ERR_NOT_MODIFIED), "304 has no body");
    ok(s3_err_has_body(S3_ERR_NO_SUCH_KEY), "404 has a body");
}

static void test_why(void)
{
    s3_why_t w;
    is_int(s3_why_set(&w, S3_ERR_NO_SUCH_KEY, NULL), S3_ERR_NO_SUCH_KEY, "returns err");
    is_str(s3_why_message(&w), "The specified key does not exist.", "default message");
    s3_why_set(&w, S3_ERR_INVALID_ARGUMENT, "bad %s %d", "x", 7);
    is_str(s3_why_message(&w), "bad x 7", "formatted");
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    s3_why_set(&w, S3_ERR_INVALID_ARGUMENT, "%s", big);
    is_uint(strlen(w.message), sizeof w.message - 1, "truncated");
    is_int(s3_why_set(NULL, S3_ERR_SLOW_DOWN, NULL), S3_ERR_SLOW_DOWN, "NULL why");
}

int main(void)
{
    subtest("table", test_table);
    subtest("why", test_why);
    return tt_done();
}
