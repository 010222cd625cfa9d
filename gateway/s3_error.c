/* s3_error.c — PURE table: s3_err_t -> HTTP status, S3 <Code>, default <Message>. */
#include <stdarg.h>
#include <stdio.h>
#include "s3_error.h"

static const s3_err_info_t table[S3_ERR__COUNT] = {
    [S3_OK] = {200, "OK", "OK"},
    [S3_ERR_ACCESS_DENIED] = {403, "AccessDenied", "Access Denied"},
    [S3_ERR_ACCOUNT_PROBLEM] = {403, "AccountProblem",
                                "There is a problem with your AWS account that prevents the "
                                "operation from completing successfully."},
    [S3_ERR_AUTH_HEADER_MALFORMED] = {400, "AuthorizationHeaderMalformed",
                                      "The authorization header is malformed."},
    [S3_ERR_AUTH_QUERY_PARAMS] = {400, "AuthorizationQueryParametersError",
                                  "Error parsing the query-string authentication parameters."},
    [S3_ERR_BAD_DIGEST] = {400, "BadDigest",
                           "The Content-MD5 you specified did not match what we received."},
    [S3_ERR_BUCKET_ALREADY_EXISTS] = {409, "BucketAlreadyExists",
                                      "The requested bucket name is not available. The bucket "
                                      "namespace is shared by all users of the system. Please "
                                      "select a different name and try again."},
    [S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU] = {409, "BucketAlreadyOwnedByYou",
                                            "Your previous request to create the named bucket "
                                            "succeeded and you already own it."},
    [S3_ERR_BUCKET_NOT_EMPTY] = {409, "BucketNotEmpty",
                                 "The bucket you tried to delete is not empty"},
    [S3_ERR_ENTITY_TOO_LARGE] = {400, "EntityTooLarge",
                                 "Your proposed upload exceeds the maximum allowed size"},
    [S3_ERR_ENTITY_TOO_SMALL] = {400, "EntityTooSmall",
                                 "Your proposed upload is smaller than the minimum allowed "
                                 "object size."},
    [S3_ERR_EXPIRED_TOKEN] = {400, "ExpiredToken", "The provided token has expired."},
    [S3_ERR_HEADERS_NOT_SIGNED] = {403, "AccessDenied",
                                   "There were headers present in the request which were not "
                                   "signed"},
    [S3_ERR_INCOMPLETE_BODY] = {400, "IncompleteBody",
                                "You did not provide the number of bytes specified by the "
                                "Content-Length HTTP header"},
    [S3_ERR_INTERNAL_ERROR] = {500, "InternalError",
                               "We encountered an internal error. Please try again."},
    [S3_ERR_INVALID_ACCESS_KEY_ID] = {403, "InvalidAccessKeyId",
                                      "The AWS Access Key Id you provided does not exist in our "
                                      "records."},
    [S3_ERR_INVALID_ARGUMENT] = {400, "InvalidArgument", "Invalid Argument"},
    [S3_ERR_INVALID_BUCKET_NAME] = {400, "InvalidBucketName", "The specified bucket is not valid."},
    [S3_ERR_INVALID_CHUNK_SIZE] = {400, "InvalidChunkSizeError",
                                   "Only the last chunk is allowed to have a size less than "
                                   "8192 bytes"},
    [S3_ERR_INVALID_DIGEST] = {400, "InvalidDigest", "The Content-MD5 you specified is not valid."},
    [S3_ERR_INVALID_PART] = {400, "InvalidPart",
                             "One or more of the specified parts could not be found.  The part "
                             "may not have been uploaded, or the specified entity tag may not "
                             "match the part's entity tag."},
    [S3_ERR_INVALID_PART_ORDER] = {400, "InvalidPartOrder",
                                   "The list of parts was not in ascending order. The parts "
                                   "list must be specified in order by part number."},
    [S3_ERR_INVALID_RANGE] = {416, "InvalidRange", "The requested range is not satisfiable"},
    [S3_ERR_INVALID_REQUEST] = {400, "InvalidRequest", "Invalid Request"},
    [S3_ERR_INVALID_STORAGE_CLASS] = {400, "InvalidStorageClass",
                                      "The storage class you specified is not valid"},
    [S3_ERR_INVALID_TOKEN] = {400, "InvalidToken",
                              "The provided token is malformed or otherwise invalid."},
    [S3_ERR_INVALID_URI] = {400, "InvalidURI", "Couldn't parse the specified URI."},
    [S3_ERR_KEY_TOO_LONG] = {400, "KeyTooLongError", "Your key is too long"},
    [S3_ERR_MALFORMED_XML] = {400, "MalformedXML",
                              "The XML you provided was not well-formed or did not validate "
                              "against our published schema"},
    [S3_ERR_METHOD_NOT_ALLOWED] = {405, "MethodNotAllowed",
                                   "The specified method is not allowed against this resource."},
    [S3_ERR_MISSING_CONTENT_LENGTH] = {411, "MissingContentLength",
                                       "You must provide the Content-Length HTTP header."},
    [S3_ERR_MISSING_SECURITY_HEADER] = {400, "MissingSecurityHeader",
                                        "Your request is missing a required header."},
    [S3_ERR_NO_SUCH_BUCKET] = {404, "NoSuchBucket", "The specified bucket does not exist"},
    [S3_ERR_NO_SUCH_CORS_CONFIGURATION] = {404, "NoSuchCORSConfiguration",
                                           "The CORS configuration does not exist"},
    [S3_ERR_NO_SUCH_KEY] = {404, "NoSuchKey", "The specified key does not exist."},
    [S3_ERR_NO_SUCH_TAG_SET] = {404, "NoSuchTagSet", "The TagSet does not exist"},
    [S3_ERR_NO_SUCH_UPLOAD] = {404, "NoSuchUpload",
                               "The specified upload does not exist. The upload ID may be "
                               "invalid, or the upload may have been aborted or completed."},
    [S3_ERR_NO_SUCH_BUCKET_POLICY] = {404, "NoSuchBucketPolicy",
                                      "The bucket policy does not exist"},
    [S3_ERR_NOT_IMPLEMENTED] = {501, "NotImplemented",
                                "A header you provided implies functionality that is not "
                                "implemented"},
    [S3_ERR_NOT_MODIFIED] = {304, "NotModified", "Not Modified"},
    [S3_ERR_PRECONDITION_FAILED] = {412, "PreconditionFailed",
                                    "At least one of the pre-conditions you specified did not "
                                    "hold"},
    [S3_ERR_QUOTA_EXCEEDED] = {403, "QuotaExceeded", "The quota for this bucket is exceeded"},
    [S3_ERR_REQUEST_EXPIRED] = {403, "AccessDenied", "Request has expired"},
    [S3_ERR_REQUEST_NOT_YET_VALID] = {403, "AccessDenied", "Request is not valid yet"},
    [S3_ERR_REQUEST_TIME_TOO_SKEWED] = {403, "RequestTimeTooSkewed",
                                        "The difference between the request time and the "
                                        "current time is too large."},
    [S3_ERR_REQUEST_TIMEOUT] = {400, "RequestTimeout",
                                "Your socket connection to the server was not read from or "
                                "written to within the timeout period."},
    [S3_ERR_SERVICE_UNAVAILABLE] = {503, "ServiceUnavailable", "Please reduce your request rate."},
    [S3_ERR_SIGNATURE_DOES_NOT_MATCH] = {403, "SignatureDoesNotMatch",
                                         "The request signature we calculated does not match the "
                                         "signature you provided. Check your key and signing "
                                         "method."},
    [S3_ERR_SLOW_DOWN] = {503, "SlowDown", "Please reduce your request rate."},
    [S3_ERR_TOO_MANY_PARTS] = {400, "InvalidArgument",
                               "Part number must be an integer between 1 and 10000, inclusive"},
    [S3_ERR_UNEXPECTED_CONTENT] = {400, "UnexpectedContent",
                                   "This request does not support content"},
    [S3_ERR_UNSUPPORTED_SIGNATURE] = {400, "InvalidRequest",
                                      "The authorization mechanism you have provided is not "
                                      "supported. Please use AWS4-HMAC-SHA256."},
    [S3_ERR_CONTENT_SHA256_MISMATCH] = {400, "XAmzContentSHA256Mismatch",
                                        "The provided 'x-amz-content-sha256' header does not "
                                        "match what was computed."},
    [S3_ERR_INVALID_TAG] = {400, "InvalidTag", "The tag provided was not a valid tag."},
    [S3_ERR_MALFORMED_TRAILER] = {400, "MalformedTrailerError",
                                  "The request contained trailing data that was not "
                                  "well-formed or did not conform to our published schema."},
    [S3_ERR_MALFORMED_ACL] = {400, "MalformedACLError",
                              "The XML you provided was not well-formed or did not validate "
                              "against our published schema."},
    [S3_ERR_OPERATION_ABORTED] = {409, "OperationAborted",
                                  "A conflicting conditional operation is currently in progress "
                                  "against this resource. Please try again."},
    [S3_ERR_NO_SUCH_VERSION] = {404, "NoSuchVersion", "The specified version does not exist."},
    [S3_ERR_INVALID_PART_NUMBER] = {416, "InvalidPartNumber",
                                    "The requested partnumber is not satisfiable"},
    [S3_ERR_MALFORMED_POLICY] = {400, "MalformedPolicy", "Policies must be valid JSON."},
    [S3_ERR_CORS_FORBIDDEN] = {403, "AccessForbidden",
                               "CORSResponse: This CORS request is not allowed. This is usually "
                               "because the evalution of Origin, request method / "
                               "Access-Control-Request-Method or Access-Control-Request-Headers "
                               "are not whitelisted by the resource's CORS spec."},
    [S3_ERR_METADATA_TOO_LARGE] = {400, "MetadataTooLarge",
                                   "Your metadata headers exceed the maximum allowed metadata "
                                   "size."},
};

const s3_err_info_t *s3_err_info(s3_err_t err)
{
    if ((unsigned)err >= S3_ERR__COUNT || table[err].code == NULL)
        return &table[S3_ERR_INTERNAL_ERROR];
    return &table[err];
}

int s3_err_status(s3_err_t err)
{
    return s3_err_info(err)->status;
}

const char *s3_err_code(s3_err_t err)
{
    return s3_err_info(err)->code;
}

const char *s3_err_message(s3_err_t err)
{
    return s3_err_info(err)->message;
}

int s3_err_has_body(s3_err_t err)
{
    return err != S3_OK && s3_err_status(err) != 304;
}

s3_err_t s3_why_set(s3_why_t *why, s3_err_t err, const char *fmt, ...)
{
    if (why == NULL)
        return err;
    why->err = err;
    why->message[0] = '\0';
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why->message, sizeof why->message, fmt, ap);
        va_end(ap);
    }
    return err;
}

const char *s3_why_message(const s3_why_t *why)
{
    return why->message[0] != '\0' ? why->message : s3_err_message(why->err);
}
