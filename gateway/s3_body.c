/* s3_body.c — PURE one-pass request-body checks: plan from headers, in-place aws-chunked
 * decode plus multihash, verdict (s3_body.h). */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include "s3_body.h"
#include "tn_hex.h"

static int ieq(const char *a, size_t alen, const char *b)
{
    size_t bl = strlen(b);
    if (alen != bl)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static tn_slice_t trim(const char *p, size_t len)
{
    while (len > 0 && is_ows(p[0])) {
        p++;
        len--;
    }
    while (len > 0 && is_ows(p[len - 1]))
        len--;
    return (tn_slice_t){p, len};
}

/* The first header named name, trimmed; {NULL, 0} if absent. *count: how many there are. */
static tn_slice_t header(const s3_header_t *h, size_t n, const char *name, size_t *count)
{
    tn_slice_t v = {NULL, 0};
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (ieq(h[i].name.base, h[i].name.len, name)) {
            if (c++ == 0)
                v = trim(h[i].value.base, h[i].value.len);
        }
    if (count != NULL)
        *count = c;
    if (v.base == NULL && c > 0)
        v.base = "";
    return v;
}

static int is_trailer_mode(s3_payload_kind_t p)
{
    return p == S3_PAYLOAD_STREAMING_SIGNED_TRAILER || p == S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER;
}

static int parse_u64(tn_slice_t v, uint64_t *out)
{
    if (v.len == 0 || v.len > 20)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.base[i];
        if (c < '0' || c > '9')
            return -1;
        if (x > (UINT64_MAX - (c - '0')) / 10)
            return -1;
        x = x * 10 + (c - '0');
    }
    *out = x;
    return 0;
}

/* x-amz-trailer: a comma-separated list; S3 supports exactly one x-amz-checksum-* name. */
static s3_err_t plan_trailer(tn_slice_t v, s3_body_plan_t *plan, s3_why_t *why)
{
    const char *p = v.base, *end = v.base + v.len;
    while (p <= end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (c == NULL)
            c = end;
        tn_slice_t item = trim(p, (size_t)(c - p));
        if (item.len > 0) {
            s3_cksum_alg_t a = s3_checksum_parse_header(item.base, item.len);
            if (a == S3_CKSUM_NONE)
                return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                                  "The value specified in the x-amz-trailer header is not "
                                  "supported");
            if (plan->cksum_alg != S3_CKSUM_NONE)
                return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                                  "Expecting a single x-amz-checksum- header. Multiple checksum "
                                  "Types are not allowed.");
            plan->cksum_alg = a;
            plan->cksum_in_trailer = 1;
        }
        p = c + 1;
    }
    return S3_OK;
}

s3_err_t s3_body_plan(const s3_header_t *headers, size_t n_headers, s3_payload_kind_t payload,
                      tn_slice_t payload_hash, uint64_t body_len, int flags, s3_body_plan_t *plan,
                      s3_why_t *why)
{
    int stores_data = (flags & S3_BODY_STORES_DATA) != 0;
    memset(plan, 0, sizeof(*plan));
    plan->payload = payload;
    plan->streaming = payload == S3_PAYLOAD_STREAMING_SIGNED ||
                      payload == S3_PAYLOAD_STREAMING_SIGNED_TRAILER ||
                      payload == S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER;
    if (payload == S3_PAYLOAD_SHA256) {
        size_t got = 0;
        if (tn_hex_decode(payload_hash.base, payload_hash.len, plan->payload_sha256, 32, &got) !=
                TN_OK ||
            got != 32)
            return s3_why_set(why, S3_ERR_INVALID_ARGUMENT,
                              "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-* or a "
                              "SHA-256 in hex");
        plan->want_sha256 = 1;
    }
    /* Content-MD5 */
    tn_slice_t cm = header(headers, n_headers, "content-md5", NULL);
    if (cm.base != NULL) {
        uint8_t raw[S3_CKSUM_MAX_RAW];
        if (s3_checksum_decode(S3_CKSUM_MD5, cm.base, cm.len, raw) != TN_OK)
            return s3_why_set(why, S3_ERR_INVALID_DIGEST, NULL);
        memcpy(plan->content_md5, raw, 16);
        plan->has_content_md5 = 1;
    }
    plan->want_md5 = stores_data || plan->has_content_md5;
    /* x-amz-checksum-<alg> headers: at most one */
    for (size_t i = 0; i < n_headers; i++) {
        s3_cksum_alg_t a = s3_checksum_parse_header(headers[i].name.base, headers[i].name.len);
        if (a == S3_CKSUM_NONE)
            continue;
        if (plan->cksum_alg != S3_CKSUM_NONE)
            return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                              "Expecting a single x-amz-checksum- header. Multiple checksum "
                              "Types are not allowed.");
        tn_slice_t v = trim(headers[i].value.base, headers[i].value.len);
        unsigned parts = 0;
        if ((flags & S3_BODY_OBJECT_CKSUM
                 ? s3_checksum_decode_object(a, v.base, v.len, plan->cksum_want, &parts)
                 : s3_checksum_decode(a, v.base, v.len, plan->cksum_want)) != TN_OK)
            return s3_why_set(why, S3_ERR_INVALID_REQUEST, "Value for %s header is invalid.",
                              s3_checksum_header(a));
        plan->cksum_alg = a;
    }
    s3_cksum_alg_t header_alg = plan->cksum_alg;
    if (flags & S3_BODY_OBJECT_CKSUM)
        plan->cksum_alg = S3_CKSUM_NONE; /* the object's checksum: the operation checks it */
    /* x-amz-trailer */
    tn_slice_t tr = header(headers, n_headers, "x-amz-trailer", NULL);
    if (tr.base != NULL) {
        if (!is_trailer_mode(payload))
            return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                              "x-amz-trailer needs x-amz-content-sha256 "
                              "STREAMING-UNSIGNED-PAYLOAD-TRAILER or "
                              "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
        s3_err_t e = plan_trailer(tr, plan, why);
        if (e != S3_OK)
            return e;
    }
    /* x-amz-sdk-checksum-algorithm */
    tn_slice_t sdk = header(headers, n_headers, "x-amz-sdk-checksum-algorithm", NULL);
    if (sdk.base != NULL) {
        s3_cksum_alg_t a = s3_checksum_parse_name(sdk.base, sdk.len);
        if (a == S3_CKSUM_NONE)
            return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                              "Value for x-amz-sdk-checksum-algorithm header is invalid.");
        if (a != plan->cksum_alg && a != header_alg)
            return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                              "x-amz-sdk-checksum-algorithm specified, but no corresponding "
                              "x-amz-checksum-* or x-amz-trailer headers were found.");
    }
    /* aws-chunked framing */
    if (plan->streaming) {
        size_t count = 0;
        tn_slice_t dl = header(headers, n_headers, "x-amz-decoded-content-length", &count);
        if (dl.base == NULL)
            return s3_why_set(why, S3_ERR_MISSING_CONTENT_LENGTH,
                              "aws-chunked uploads need x-amz-decoded-content-length");
        if (count > 1 || parse_u64(dl, &plan->decoded_length) != 0)
            return s3_why_set(why, S3_ERR_INVALID_ARGUMENT,
                              "x-amz-decoded-content-length is not a valid length");
        if (plan->decoded_length > body_len)
            return s3_why_set(why, S3_ERR_INCOMPLETE_BODY,
                              "x-amz-decoded-content-length (%llu) is larger than the body "
                              "(%llu bytes)",
                              (unsigned long long)plan->decoded_length,
                              (unsigned long long)body_len);
    }
    return s3_why_set(why, S3_OK, NULL);
}

int s3_body_plan_needs_pass(const s3_body_plan_t *plan)
{
    return plan->streaming || plan->want_md5 || plan->want_sha256 ||
           plan->cksum_alg != S3_CKSUM_NONE;
}

size_t s3_body_content_encoding(const char *value, size_t len, char *out)
{
    size_t o = 0;
    const char *p = value, *end = value + len;
    while (p <= end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (c == NULL)
            c = end;
        tn_slice_t item = trim(p, (size_t)(c - p));
        if (item.len > 0 && !ieq(item.base, item.len, S3_BODY_CE_AWS_CHUNKED)) {
            if (o > 0)
                out[o++] = ',';
            memcpy(out + o, item.base, item.len);
            o += item.len;
        }
        p = c + 1;
    }
    return o;
}

int s3_body_init(s3_body_t *b, const s3_body_plan_t *plan, const s3_body_keys_t *keys, uint8_t *buf,
                 size_t len)
{
    memset(b, 0, sizeof(*b));
    b->plan = *plan;
    b->buf = buf;
    b->len = len;
    if (plan->streaming) {
        int sig = plan->payload != S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER;
        if (sig && keys == NULL)
            return -EINVAL;
        b->ch_init = 1;
        int rc =
            s3_chunked_init(&b->ch, plan->payload, sig ? keys->signing_key : NULL,
                            sig ? keys->amz_date : NULL, sig ? keys->scope : (tn_slice_t){NULL, 0},
                            sig ? keys->seed : NULL, plan->decoded_length);
        if (rc != TN_OK)
            return rc;
    }
    /* x-amz-checksum-sha256 and a signed payload hash are the same digest: compute it once */
    int sha = plan->want_sha256 && plan->cksum_alg != S3_CKSUM_SHA256;
    b->mh_init = 1;
    return s3_multihash_init(&b->mh, plan->want_md5, plan->cksum_alg, sha);
}

void s3_body_step(s3_body_t *b, size_t max, int *done)
{
    size_t end = b->in + TN_MIN(max, b->len - b->in);
    if (!b->plan.streaming) {
        s3_multihash_update(&b->mh, b->buf + b->in, end - b->in);
        b->in = b->out = end;
    } else {
        while (b->in < end) {
            tn_slice_t data;
            ssize_t n = s3_chunked_decode(&b->ch, b->buf + b->in, end - b->in, &data, &b->err);
            if (n == TN_PARSE_ERROR) {
                b->done = 1;
                break;
            }
            if (n == TN_PARSE_INCOMPLETE) {
                b->in = end;
                break;
            }
            if (data.len > 0) {
                /* data lies at or after buf + out: the decoded bytes only move forward */
                memmove(b->buf + b->out, data.base, data.len);
                s3_multihash_update(&b->mh, b->buf + b->out, data.len);
                b->out += data.len;
            }
            b->in += (size_t)n;
        }
    }
    if (b->in == b->len)
        b->done = 1;
    *done = b->done;
}

/* Received trailers must be exactly the announced checksum (if any). */
static s3_err_t check_trailers(s3_body_t *b, s3_why_t *why)
{
    const s3_body_plan_t *p = &b->plan;
    const char *want = p->cksum_in_trailer ? s3_checksum_header(p->cksum_alg) : NULL;
    for (size_t i = 0; i < b->ch.n_trailers; i++) {
        const s3_chunked_trailer_t *t = &b->ch.trailers[i];
        if (want == NULL || !ieq(t->name.base, t->name.len, want))
            return s3_why_set(why, S3_ERR_MALFORMED_TRAILER,
                              "The request contained trailing data that was not announced in "
                              "x-amz-trailer: %.*s",
                              (int)TN_MIN(t->name.len, 64), t->name.base);
    }
    if (want == NULL)
        return S3_OK;
    const tn_slice_t *v = s3_chunked_trailer(&b->ch, want);
    if (v == NULL)
        return s3_why_set(why, S3_ERR_MALFORMED_TRAILER,
                          "The request did not contain the trailer announced in x-amz-trailer: "
                          "%s",
                          want);
    if (s3_checksum_decode(p->cksum_alg, v->base, v->len, b->plan.cksum_want) != TN_OK)
        return s3_why_set(why, S3_ERR_INVALID_REQUEST, "Value for %s trailing header is invalid.",
                          want);
    return S3_OK;
}

s3_err_t s3_body_finish(s3_body_t *b, s3_body_result_t *res, s3_why_t *why)
{
    const s3_body_plan_t *p = &b->plan;
    memset(res, 0, sizeof(*res));
    if (p->streaming) {
        if (b->err.err != S3_OK) {
            if (why != NULL)
                *why = b->err;
            return b->err.err;
        }
        s3_err_t e = s3_chunked_finish(&b->ch, why);
        if (e != S3_OK)
            return e;
    } else if (b->in != b->len) {
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "body pass not finished");
    }
    uint8_t md5[S3_CKSUM_MAX_RAW], ck[S3_CKSUM_MAX_RAW], sha[S3_CKSUM_MAX_RAW];
    size_t ck_len = 0;
    if (p->want_md5 && s3_checksum_final(&b->mh.md5, md5) != 16)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "MD5 failed");
    if (p->cksum_alg != S3_CKSUM_NONE &&
        (ck_len = s3_checksum_final(&b->mh.extra, ck)) != s3_checksum_size(p->cksum_alg))
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "checksum failed");
    if (p->want_sha256) {
        if (p->cksum_alg == S3_CKSUM_SHA256)
            memcpy(sha, ck, 32);
        else if (s3_checksum_final(&b->mh.sha256, sha) != 32)
            return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "SHA-256 failed");
        if (CRYPTO_memcmp(sha, p->payload_sha256, 32) != 0)
            return s3_why_set(why, S3_ERR_CONTENT_SHA256_MISMATCH, NULL);
    }
    if (p->streaming) {
        s3_err_t e = check_trailers(b, why);
        if (e != S3_OK)
            return e;
    }
    if (p->has_content_md5 && memcmp(md5, p->content_md5, 16) != 0)
        return s3_why_set(why, S3_ERR_BAD_DIGEST, NULL);
    if (p->cksum_alg != S3_CKSUM_NONE && memcmp(ck, b->plan.cksum_want, ck_len) != 0)
        return s3_why_set(why, S3_ERR_BAD_DIGEST,
                          "The %s you specified did not match the calculated checksum.",
                          s3_checksum_name(p->cksum_alg));
    res->len = b->out;
    if (p->want_md5) {
        res->has_md5 = 1;
        memcpy(res->md5, md5, 16);
    }
    res->cksum_alg = p->cksum_alg;
    if (ck_len > 0)
        memcpy(res->cksum, ck, ck_len);
    return s3_why_set(why, S3_OK, NULL);
}

void s3_body_free(s3_body_t *b)
{
    if (b->ch_init)
        s3_chunked_free(&b->ch);
    if (b->mh_init)
        s3_multihash_free(&b->mh);
    b->ch_init = b->mh_init = 0;
}
