/*
 * gw_policy.h — PURE bucket policies: validation of the JSON document PutBucketPolicy stores,
 * and its evaluation for the access tern can grant through it. Own small JSON parser
 * (RFC 8259: objects, arrays, strings with every escape incl. surrogate pairs, numbers,
 * true/false/null; depth <= 32; duplicate keys refused), no allocation beyond one block.
 *
 * What is implemented (anything else is refused at PutBucketPolicy, never ignored — rule 12):
 *   Version     "2012-10-17" or "2008-10-17" (optional); Id (ignored)
 *   Statement   one object or an array of 1..GW_POLICY_MAX_STATEMENTS objects, each with
 *     Sid       optional string
 *     Effect    "Allow" | "Deny"
 *     Principal "*" or {"AWS": "*"} or {"AWS": ["*"]}  (other principals: NotImplemented —
 *               tern has no IAM principal names yet)
 *     Action    a string or array of: "s3:GetObject", "s3:ListBucket", "s3:*", "*"
 *               (case-insensitive; other actions: NotImplemented)
 *     Resource  a string or array of "arn:aws:s3:::BUCKET" (ListBucket) or
 *               "arn:aws:s3:::BUCKET/PATTERN" (GetObject), PATTERN with '*' (any run) and
 *               '?' (one character) wildcards; another bucket: MalformedPolicy
 *   NotPrincipal, NotAction, NotResource, Condition: NotImplemented.
 *   Anything else (bad JSON, unknown fields, a missing Effect/Principal/Action/Resource,
 *   a document over GW_POLICY_MAX bytes): MalformedPolicy.
 *
 * Evaluation (gw_policy_eval): a matching Deny statement -> DENY; else a matching Allow ->
 * ALLOW; else NONE. Principal "*" matches everybody (anonymous included), as in S3.
 */
#ifndef GW_POLICY_H
#define GW_POLICY_H

#include <stddef.h>
#include "s3_error.h"
#include "gw_acl.h"

#define GW_POLICY_MAX            8192 /* bytes stored (S3 allows 20 KiB; tern's record cap) */
#define GW_POLICY_MAX_STATEMENTS 32

/* Validates doc for bucket: S3_OK, MalformedPolicy or NotImplemented (why says which part). */
s3_err_t gw_policy_check(const char *doc, size_t len, const char *bucket, s3_why_t *why);

/* Evaluates a stored (validated) policy for op on key (GetObject: READ_OBJECT; ListBucket:
 * LIST_BUCKET; other ops: NONE). An invalid document evaluates to NONE. */
gw_verdict_t gw_policy_eval(const char *doc, size_t len, const char *bucket, gw_access_t op,
                            const char *key, size_t key_len);

/* Glob match ('*' any run incl. empty, '?' one byte), for resources and CORS origins. */
int gw_glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase);

#endif
