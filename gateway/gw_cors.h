/*
 * gw_cors.h — PURE CORS rule matching (the bucket's CORSConfiguration, parsed by
 * s3_xml_parse_cors) for preflight OPTIONS requests and for actual requests carrying Origin.
 *
 * A rule matches when: one AllowedOrigin matches Origin (at most one '*' wildcard, matched
 * case-sensitively as S3 does), the method (Access-Control-Request-Method for a preflight, the
 * request's own method otherwise) is one of AllowedMethod, and (preflight only) every header
 * named in Access-Control-Request-Headers (comma-separated, case-insensitive) matches one
 * AllowedHeader (with '*' wildcards). The FIRST matching rule answers, as in S3.
 *
 * Response headers for a matching rule (gw_cors_headers): Access-Control-Allow-Origin ("*"
 * when the rule's origin is exactly "*", else the request's Origin, plus
 * Access-Control-Allow-Credentials: true), Access-Control-Allow-Methods (the rule's methods),
 * Access-Control-Allow-Headers (preflight: the requested headers, lowercased),
 * Access-Control-Max-Age (if set), Access-Control-Expose-Headers (if any), and Vary (Origin,
 * plus Access-Control-Request-Headers, Access-Control-Request-Method for preflights).
 */
#ifndef GW_CORS_H
#define GW_CORS_H

#include <stddef.h>
#include "s3_xml_parse.h"

/* S3_CORS_* bit of an HTTP method, 0 if none (not a CORS-able method). */
unsigned gw_cors_method_bit(const char *m, size_t len);

/* The first matching rule or NULL. req_headers {NULL,0} when none were requested. */
const s3_cors_rule_t *gw_cors_match(const s3_cors_config_t *c, tn_slice_t origin, unsigned method,
                                    tn_slice_t req_headers);

/* One header to send. name is a static lowercase string, value points into the rule, origin,
 * req_headers or work. */
typedef struct {
    const char *name;
    tn_slice_t value;
} gw_cors_hdr_t;
#define GW_CORS_MAX_HDRS 8

/* Fills out[] (returns the count) for rule r; preflight selects the preflight set. work
 * (work_cap bytes) holds the built lists; lists that do not fit are cut at a comma. */
size_t gw_cors_headers(const s3_cors_rule_t *r, tn_slice_t origin, tn_slice_t req_headers,
                       int preflight, char *work, size_t work_cap,
                       gw_cors_hdr_t out[GW_CORS_MAX_HDRS]);

#endif
