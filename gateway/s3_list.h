/*
 * s3_list.h — PURE core of the bucket listings (ListObjects V1, ListObjectsV2,
 * ListObjectVersions of an unversioned bucket): request parameters, the continuation token,
 * delimiter grouping and page assembly, and the response XML. No I/O: the handler
 * (gw_op_list.c) feeds the index rows it fetched, in key order, and asks where to fetch next.
 *
 * POSITION. A listing resumes at a position (key, skip): every key > key is listed, and when
 * skip is set every key starting with key is passed over too (key is a common prefix already
 * returned). The next fetch of index rows starts after s3_list_page_seek(): the key itself, or
 * for skip the largest possible key under it (key padded with 0xFF bytes to S3_KEY_MAX), so a
 * whole common prefix costs one seek, not a read of every key under it.
 *
 * WHERE THE FIRST POSITION COMES FROM
 *   V2 continuation-token: decoded exactly (the token carries key and skip); start-after is
 *     then ignored (echoed only), as S3 does.
 *   V2 start-after, V1 marker, versions key-marker: keys after it. If a delimiter is given and
 *     the marker is itself a common prefix (it starts with prefix and its first delimiter
 *     after the prefix ends exactly at its end, e.g. "photos/" with delimiter "/"), every key
 *     under it is skipped too: that is what a client sends back from NextMarker, and
 *     returning that prefix again would repeat it. A marker inside a group ("photos/a")
 *     resumes inside it, so the group's prefix appears again (nothing is ever hidden).
 *   A marker longer than S3_KEY_MAX bytes is cut to S3_KEY_MAX for positioning (keys are at
 *   most that long, so "after the cut marker" lists exactly the same keys); it is echoed whole.
 *
 * CONTINUATION TOKEN (opaque to clients): standard base64 of
 *     u8 format (1) | u8 flags (bit 0: skip) | key (1..S3_KEY_MAX bytes) | u32 LE CRC32C of
 *     the preceding bytes
 *   Anything else (bad base64, unknown format or flags, empty or too long key, CRC mismatch,
 *   an empty token) is InvalidArgument. The CRC makes a mangled token an error, not a silent
 *   jump elsewhere. The token names a key, not a shard cursor: a listing merged from several
 *   index shards in key order resumes every shard at the same key.
 *
 * PAGE ASSEMBLY (s3_list_page_add, entries fed in ascending key order, each at most once):
 *   - keys not starting with prefix, or not after the position, are ignored;
 *   - a key under the common prefix returned last is ignored (one entry per prefix);
 *   - a tombstone (deleted key) is never listed and never creates a common prefix (a prefix
 *     whose keys are all deleted must not appear); it only moves the position forward;
 *   - a live key with the delimiter after the prefix adds its common prefix; else the key;
 *   - once max_keys items (keys + prefixes) are gathered, the next live item that would be
 *     listed marks the page truncated (IsTruncated is exact, never a guess) and is not added.
 *   The caller may also end a page early (a bound on its work): s3_list_page_cut() marks it
 *   truncated at the current position when s3_list_page_can_cut() says that position can be
 *   resumed from (V1 hands it out as NextMarker, which is interpreted as a marker).
 *
 * RESPONSES (s3_list_xml): V1 ListBucketResult (Owner in every Contents, NextMarker only when
 *   truncated and a delimiter was given, except for an early-cut page without items, where it
 *   is the only way to resume: S3 never returns a truncated page without items, so this is the
 *   one deviation), V2 ListBucketResult (KeyCount = keys + prefixes, Owner with
 *   fetch-owner, NextContinuationToken when truncated), ListVersionsResult (every object a
 *   Version with VersionId "null", IsLatest true; NextKeyMarker / NextVersionIdMarker when
 *   truncated). LastModified is ISO 8601 with milliseconds, ETag quoted, StorageClass STANDARD.
 *   With encoding-type=url, Key, Prefix (request and CommonPrefixes), Delimiter, StartAfter,
 *   Marker, NextMarker, KeyMarker and NextKeyMarker are percent-encoded (every byte but
 *   A-Z a-z 0-9 - _ . ~ and '/'), the set botocore decodes; the token is not (it is base64).
 */
#ifndef S3_LIST_H
#define S3_LIST_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"
#include "tn_hex.h"
#include "s3_error.h"
#include "s3_router.h"
#include "s3_xml.h"

#define S3_LIST_MAX_KEYS   1000u /* max-keys is capped here (S3's limit) */
#define S3_LIST_TOKEN_MAX  TN_BASE64_ENCODED_LEN(2 + S3_KEY_MAX + 4)
#define S3_LIST_TOKEN_SKIP 1u

typedef enum { S3_LIST_V1 = 1, S3_LIST_V2, S3_LIST_VERSIONS } s3_list_kind_t;

/* A listing position (see POSITION). */
typedef struct {
    uint8_t key[S3_KEY_MAX];
    size_t len; /* 0 = from the start */
    int skip;
} s3_list_pos_t;

/* Parsed request parameters. Slices point into the caller's parameter array. */
typedef struct {
    s3_list_kind_t kind;
    tn_slice_t prefix, delimiter;
    uint32_t max_keys; /* 0..S3_LIST_MAX_KEYS */
    int encode_url;
    int fetch_owner; /* V2: fetch-owner=true; V1 and versions always list owners */
    int has_start_after, has_marker, has_token, has_version_id_marker;
    tn_slice_t start_after; /* V2 start-after, as given */
    tn_slice_t marker;      /* V1 marker / versions key-marker, as given */
    tn_slice_t token;       /* V2 continuation-token, as given */
    tn_slice_t version_id_marker;
    s3_list_pos_t start; /* where the listing begins */
} s3_list_params_t;

/* Parses the listing parameters of kind. Unknown parameters are ignored. Returns S3_OK, or
 * S3_ERR_INVALID_ARGUMENT with *msg (static) naming the problem: max-keys not a
 * non-negative integer (or above 2^31-1), encoding-type other than "url", fetch-owner other
 * than true/false, a bad continuation token, version-id-marker without key-marker or other
 * than "null" (the bucket is unversioned). */
s3_err_t s3_list_params_parse(s3_list_kind_t kind, const s3_param_t *params, size_t n,
                              s3_list_params_t *out, const char **msg);

/* Token codec. Encode writes at most S3_LIST_TOKEN_MAX characters plus a NUL and returns the
 * length (pos->len must be 1..S3_KEY_MAX). Decode returns TN_OK or TN_ERR_CORRUPT. */
size_t s3_list_token_encode(const s3_list_pos_t *pos, char *out);
int s3_list_token_decode(const char *tok, size_t len, s3_list_pos_t *pos);

/* The common prefix of key under prefix/delimiter: its length (the end of the first
 * delimiter after the prefix), or 0 when key has none (or does not start with prefix). */
size_t s3_list_common_prefix(const void *key, size_t len, tn_slice_t prefix, tn_slice_t delimiter);

/* One object as listed. */
typedef struct {
    uint64_t size;
    uint64_t mtime_ms;
    uint8_t md5[16];     /* the ETag */
    uint32_t part_count; /* > 0: a multipart object, ETag "hex-N" */
} s3_list_obj_t;

typedef struct {
    uint32_t key_off, key_len; /* into keys */
    int is_prefix;
    s3_list_obj_t obj; /* objects only */
} s3_list_item_t;

typedef struct {
    const s3_list_params_t *params;
    s3_list_item_t *items; /* in key order (objects and prefixes interleaved) */
    size_t n, n_prefixes;
    uint8_t *keys; /* item key bytes */
    size_t keys_len, keys_cap;
    s3_list_pos_t pos; /* resume position: advances with every entry consumed */
    int truncated;     /* more items follow */
    int cut;           /* ended early by the caller (s3_list_page_cut) */
    int failed;        /* out of memory */
    uint64_t scanned;  /* entries fed */
} s3_list_page_t;

/* Results of s3_list_page_add. */
#define S3_LIST_MORE 0 /* keep feeding */
#define S3_LIST_FULL 1 /* page complete and truncated: stop */

/* Starts a page at params->start (params must outlive the page). */
void s3_list_page_init(s3_list_page_t *pg, const s3_list_params_t *params);
void s3_list_page_free(s3_list_page_t *pg);
/* Feeds one index entry (key order!). obj NULL = a tombstone. Returns S3_LIST_MORE,
 * S3_LIST_FULL (also at once when max_keys is 0: such a page is empty and not truncated), or
 * -ENOMEM (pg->failed is set). */
int s3_list_page_add(s3_list_page_t *pg, const void *key, size_t len, const s3_list_obj_t *obj);
/* Where the next fetch of index rows starts (exclusive): writes up to S3_KEY_MAX bytes to
 * out and returns the length (0 = from the beginning of the prefix). */
size_t s3_list_page_seek(const s3_list_page_t *pg, uint8_t out[S3_KEY_MAX]);
/* Would a page ended at the current position resume correctly (see PAGE ASSEMBLY)? */
int s3_list_page_can_cut(const s3_list_page_t *pg);
/* Ends the page early at the current position (truncated). Only when can_cut. */
void s3_list_page_cut(s3_list_page_t *pg);

/* The response document. bucket: the name; owner: ID and DisplayName for Owner elements.
 * Returns TN_OK, or TN_ERR_TOO_BIG when the buffer failed (over its limit or out of memory). */
int s3_list_xml(const s3_list_page_t *pg, const char *bucket, size_t bucket_len, const char *owner,
                s3_buf_t *out);

/* <VersioningConfiguration/> of a bucket never versioned. */
int s3_list_versioning_xml(s3_buf_t *out);

#endif
