/*
 * s3_error.h — the S3 error vocabulary: one enum, mapped by one table (s3_error.c) to the
 * HTTP status, the <Code> of the S3 XML error document and AWS's default <Message>.
 *
 * Several enum values may share a <Code> with different messages (AWS answers an expired
 * presigned URL with AccessDenied "Request has expired", for instance); the enum names the
 * situation, the table names what the client sees. S3_OK (0) is "no error".
 * S3_ERR_NOT_MODIFIED is a 304 that must be sent without a body.
 */
#ifndef S3_ERROR_H
#define S3_ERROR_H

#include "tern.h"

typedef enum {
    S3_OK = 0,
    S3_ERR_ACCESS_DENIED,
    S3_ERR_ACCOUNT_PROBLEM,
    S3_ERR_AUTH_HEADER_MALFORMED, /* AuthorizationHeaderMalformed */
    S3_ERR_AUTH_QUERY_PARAMS,     /* AuthorizationQueryParametersError */
    S3_ERR_BAD_DIGEST,
    S3_ERR_BUCKET_ALREADY_EXISTS,
    S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU,
    S3_ERR_BUCKET_NOT_EMPTY,
    S3_ERR_ENTITY_TOO_LARGE,
    S3_ERR_ENTITY_TOO_SMALL,
    S3_ERR_EXPIRED_TOKEN,
    S3_ERR_HEADERS_NOT_SIGNED, /* AccessDenied: unsigned x-amz-* headers */
    S3_ERR_INCOMPLETE_BODY,
    S3_ERR_INTERNAL_ERROR,
    S3_ERR_INVALID_ACCESS_KEY_ID,
    S3_ERR_INVALID_ARGUMENT,
    S3_ERR_INVALID_BUCKET_NAME,
    S3_ERR_INVALID_CHUNK_SIZE, /* InvalidChunkSizeError */
    S3_ERR_INVALID_DIGEST,
    S3_ERR_INVALID_PART,
    S3_ERR_INVALID_PART_ORDER,
    S3_ERR_INVALID_RANGE,
    S3_ERR_INVALID_REQUEST,
    S3_ERR_INVALID_STORAGE_CLASS,
    S3_ERR_INVALID_TOKEN,
    S3_ERR_INVALID_URI,
    S3_ERR_KEY_TOO_LONG, /* KeyTooLongError */
    S3_ERR_MALFORMED_XML,
    S3_ERR_METHOD_NOT_ALLOWED,
    S3_ERR_MISSING_CONTENT_LENGTH,
    S3_ERR_MISSING_SECURITY_HEADER,
    S3_ERR_NO_SUCH_BUCKET,
    S3_ERR_NO_SUCH_CORS_CONFIGURATION,
    S3_ERR_NO_SUCH_KEY,
    S3_ERR_NO_SUCH_TAG_SET,
    S3_ERR_NO_SUCH_UPLOAD,
    S3_ERR_NO_SUCH_BUCKET_POLICY,
    S3_ERR_NOT_IMPLEMENTED,
    S3_ERR_NOT_MODIFIED, /* 304, no body */
    S3_ERR_PRECONDITION_FAILED,
    S3_ERR_QUOTA_EXCEEDED,
    S3_ERR_REQUEST_EXPIRED,       /* AccessDenied "Request has expired" (presigned) */
    S3_ERR_REQUEST_NOT_YET_VALID, /* AccessDenied (presigned X-Amz-Date in the future) */
    S3_ERR_REQUEST_TIME_TOO_SKEWED,
    S3_ERR_REQUEST_TIMEOUT,
    S3_ERR_SERVICE_UNAVAILABLE,
    S3_ERR_SIGNATURE_DOES_NOT_MATCH,
    S3_ERR_SLOW_DOWN,
    S3_ERR_TOO_MANY_PARTS, /* InvalidArgument: part number / count over 10,000 */
    S3_ERR_UNEXPECTED_CONTENT,
    S3_ERR_UNSUPPORTED_SIGNATURE,   /* InvalidRequest: not AWS4-HMAC-SHA256 */
    S3_ERR_CONTENT_SHA256_MISMATCH, /* XAmzContentSHA256Mismatch */
    S3_ERR_INVALID_TAG,             /* InvalidTag (Tagging bodies) */
    S3_ERR_MALFORMED_TRAILER,       /* MalformedTrailerError (aws-chunked trailers) */
    S3_ERR_MALFORMED_ACL,           /* MalformedACLError (AccessControlPolicy bodies) */
    S3_ERR_OPERATION_ABORTED,       /* 409: a conflicting operation on the same bucket */
    S3_ERR_NO_SUCH_VERSION,         /* 404 NoSuchVersion */
    S3_ERR_INVALID_PART_NUMBER,     /* 416 InvalidPartNumber (GET/HEAD ?partNumber=) */
    S3_ERR_MALFORMED_POLICY,        /* 400 MalformedPolicy (PutBucketPolicy) */
    S3_ERR_CORS_FORBIDDEN,          /* 403 AccessForbidden (CORS preflight refused) */
    S3_ERR_METADATA_TOO_LARGE,      /* 400 MetadataTooLarge (x-amz-meta-* over 2 KiB) */
    S3_ERR__COUNT
} s3_err_t;

typedef struct {
    int status;          /* HTTP status */
    const char *code;    /* the <Code> text */
    const char *message; /* AWS's default <Message> text */
} s3_err_info_t;

/* An error with its message, for functions that explain themselves (SigV4, routing).
 * message[0] == '\0' means "use the table's default message". */
typedef struct {
    s3_err_t err;
    char message[256];
} s3_why_t;

/* Sets why (if not NULL) and returns err. fmt NULL leaves the default message; the text is
 * truncated to fit. */
s3_err_t s3_why_set(s3_why_t *why, s3_err_t err, const char *fmt, ...) TN_PRINTF(3, 4);
/* The message to send: why->message, or the default for why->err. */
const char *s3_why_message(const s3_why_t *why);

/* Never NULL: out-of-range values map to InternalError. */
const s3_err_info_t *s3_err_info(s3_err_t err);
int s3_err_status(s3_err_t err);
const char *s3_err_code(s3_err_t err);
const char *s3_err_message(s3_err_t err);
/* Does this error's response carry the XML body? (All but 304 NotModified and any error to a
 * HEAD request, which the caller handles.) */
int s3_err_has_body(s3_err_t err);

#endif
