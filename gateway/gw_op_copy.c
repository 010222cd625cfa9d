/* gw_op_copy.c — CopyObject (PUT with x-amz-copy-source and no uploadId).
 *
 * Steps: parse the request (s3_copy.h: source, directives, x-amz-tagging when the tagging
 * directive is REPLACE), refuse a copy onto itself without REPLACE (S3's InvalidRequest) and
 * conditional destinations (If-Match / If-None-Match: 501, DESIGN.md rule 12); look the
 * destination bucket up; read the source head row (gw_objhead.h: NoSuchBucket / NoSuchKey);
 * check x-amz-copy-source-if-* (412) and the 5 GiB limit; build the destination head from the
 * source (COPY) or the request (REPLACE); then the data:
 *   - INLINE source (and empty objects): the bytes go into the new row's inline field;
 *   - CHUNKED or MULTIPART source: gw_copier.h copies every byte into new blobs under a fresh
 *     data vid, chunk by chunk (bounded memory), hashing MD5 and the checksum on the way.
 * The destination is always a single-part object: its ETag is the MD5 of its bytes (also
 * when the source was multipart, as S3 gives an object copied by CopyObject), its checksum a
 * FULL_OBJECT checksum of the source's algorithm (or x-amz-checksum-algorithm's) computed from
 * the bytes. A single-PUT source's MD5 and full-object checksum are compared with what was
 * read: a mismatch (corrupt source) fails the copy with 500 rather than storing bad data.
 * The head row is written last (a failed copy leaves only orphan blobs for the GC).
 *
 * WHY COPY THE BYTES (docs/ARCHITECTURE.md "CopyObject"): sharing the source's blobs would
 * make the copy free, but two head rows would then name the same blobs, and DESIGN.md rule 1
 * lets a blob be collected once no live referrer holds it; without per-blob reference rows
 * the GC could not tell the copy's blobs from the overwritten source's. Copying costs the
 * bytes once (network and disk) and keeps one owner per blob; reference-counted sharing can
 * replace it later without a format change (the head row just names a data vid).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "tn_hex.h"
#include "tn_log.h"
#include "tn_time.h"
#include "s3_checksum.h"
#include "s3_copy.h"
#include "s3_xml.h"
#include "gw_access.h"
#include "gw_copier.h"
#include "gw_intent.h"
#include "gw_objhead.h"
#include "gw_ops.h"

#define META_TOO_LARGE "Your metadata headers exceed the maximum allowed metadata size"

typedef struct {
    gw_opref_t o;
    s3_copy_source_t src_name;
    int meta_replace, tag_replace;
    s3_tag_t tags[S3_TAGS_MAX_OBJECT];
    size_t n_tags;
    s3_cksum_alg_t want_alg; /* x-amz-checksum-algorithm (NONE: the source's) */
    gw_bucket_rec_t dst_bucket;
    gw_objhead_t src;
    gw_objmeta_t d;
    gw_copier_t cp;
    uint8_t *head_val;
    uint64_t intent_deadline_ms; /* chunked copy: its intent's deadline (gw_intent.h) */
} cp_t;

static tn_slice_t req_header(gw_req_t *r, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&r->req->headers, name, strlen(name), -1);
    if (i < 0)
        return (tn_slice_t){NULL, 0};
    h2o_iovec_t v = r->req->headers.entries[i].value;
    return (tn_slice_t){v.base, v.len};
}

static void cp_cleanup(void *self)
{
    cp_t *c = self;
    gw_objhead_free(&c->src);
    gw_copier_free(&c->cp);
    free(c->head_val);
}

static void on_head_written(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    cp_t *c = arg;
    gw_req_t *r = c->o.r;
    if (r != NULL) {
        if (err != 0) {
            gw_send_cluster_error(r, err);
        } else {
            char etag[48], lm[40];
            size_t elen = gw_objmeta_etag(&c->d, etag);
            tn_time_format_iso_ms((int64_t)c->d.mtime_ms, lm);
            s3_buf_t x;
            s3_buf_init(&x, 4096);
            s3_xml_decl(&x);
            s3_xml_open_ns(&x, "CopyObjectResult", S3_XML_NS);
            s3_xml_elem(&x, "ETag", etag, elen);
            s3_xml_elem_str(&x, "LastModified", lm);
            if (c->d.cksum_alg != S3_CKSUM_NONE) {
                char ck[S3_CKSUM_MAX_TEXT];
                size_t n = s3_checksum_text(c->d.cksum, s3_checksum_size(c->d.cksum_alg), 0, ck);
                s3_xml_elem(&x, s3_checksum_xml_name(c->d.cksum_alg), ck, n);
                s3_xml_elem_str(&x, "ChecksumType", "FULL_OBJECT");
            }
            s3_xml_close(&x, "CopyObjectResult");
            if (s3_buf_ok(&x))
                gw_req_send(r, 200, "application/xml", x.base, x.len);
            else
                gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
            s3_buf_free(&x);
        }
    }
    gw_opref_done(c);
}

/* Writes the destination head row; the caller's reference passes to the write. */
static void write_head(cp_t *c)
{
    gw_req_t *r = c->o.r;
    size_t vlen = gw_objmeta_encoded_len(&c->d);
    if (!c->d.is_inline && !gw_intent_valid(c->intent_deadline_ms)) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The copy took too long");
        gw_opref_done(c);
        return;
    }
    if ((c->head_val = malloc(vlen)) == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        gw_opref_done(c);
        return;
    }
    if (gw_objmeta_encode(&c->d, c->head_val, vlen) < 0 || vlen > TN_ROW_MAX_VALUE) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT, META_TOO_LARGE);
        gw_opref_done(c);
        return;
    }
    uint32_t pool, pg;
    int rc = gw_bucket_index_pg(r->thread->server, c->dst_bucket.id, &pool, &pg);
    tn_row_t row = {.pool = pool,
                    .pg = pg,
                    .ns = c->dst_bucket.id,
                    .key = (const uint8_t *)r->route.key.base,
                    .key_len = r->route.key.len,
                    .value = c->head_val,
                    .value_len = vlen};
    if (c->d.is_inline) {
        row.inl = c->src.inl;
        row.inl_len = c->d.size;
    }
    gw_random(row.ver.vid, sizeof row.ver.vid);
    if (rc == TN_OK)
        rc = gw_cl_row_put(r->thread->osd, pool, pg, &row, TN_PROTO_ROW_PUT, on_head_written, c);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(c);
    }
}

/* The bytes read disagree with what the source's row says: corrupt source. */
static int digests_disagree(const cp_t *c, const uint8_t md5[16], const uint8_t *ck)
{
    const gw_objmeta_t *s = &c->src.m;
    if (!s->is_multipart && memcmp(md5, s->md5, 16) != 0)
        return 1;
    return s->cksum_alg != S3_CKSUM_NONE && s->cksum_type == GW_CKTYPE_FULL_OBJECT &&
           s->cksum_alg == c->d.cksum_alg && memcmp(ck, s->cksum, s3_checksum_size(s->cksum_alg));
}

static void on_copied(void *op, int err)
{
    cp_t *c = op;
    gw_req_t *r = c->o.r;
    if (r == NULL)
        return;
    if (err != 0) {
        gw_send_cluster_error(r, err);
        return;
    }
    if (digests_disagree(c, c->cp.md5, c->cp.cksum)) {
        tn_log_error("msg=\"CopyObject: source bytes do not match their digests\"");
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, "The source object failed its digest check");
        return;
    }
    memcpy(c->d.md5, c->cp.md5, 16);
    if (c->d.cksum_alg != S3_CKSUM_NONE)
        memcpy(c->d.cksum, c->cp.cksum, s3_checksum_size(c->d.cksum_alg));
    c->d.chunk_count = c->cp.nchunks;
    c->o.refs++;
    write_head(c);
}

/* Destination metadata from the request (REPLACE); S3_OK or the error. */
/* The destination's intent row is written: copy the bytes (rule 1, references first). */
static void on_cp_intent(void *arg, int err)
{
    cp_t *c = arg;
    gw_req_t *r = c->o.r;
    if (r != NULL) {
        const gw_objmeta_t *s = &c->src.m;
        if (err != 0)
            gw_send_cluster_error(r, err);
        else if (gw_copier_start(&c->cp, c, s, c->src.inl, 0, s->size, c->d.cksum_alg,
                                 c->d.data_vid, on_copied) != 0)
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    }
    gw_opref_done(c); /* the copier holds its own references */
}

static void on_source(void *op)
{
    cp_t *c = op;
    gw_req_t *r = c->o.r;
    const gw_objmeta_t *s = &c->src.m;
    char etag[48];
    size_t elen = gw_objmeta_etag(s, etag);
    s3_copy_cond_t cond = {req_header(r, "x-amz-copy-source-if-match"),
                           req_header(r, "x-amz-copy-source-if-none-match"),
                           req_header(r, "x-amz-copy-source-if-unmodified-since"),
                           req_header(r, "x-amz-copy-source-if-modified-since")};
    if (!s3_copy_cond_ok(&cond, etag, elen, (int64_t)(s->mtime_ms / 1000))) {
        gw_req_send_error(r, S3_ERR_PRECONDITION_FAILED, NULL);
        gw_opref_done(c);
        return;
    }
    if (s->size > S3_COPY_MAX_SIZE) {
        gw_req_send_error(r, S3_ERR_INVALID_REQUEST,
                          "The specified copy source is larger than the maximum allowable size "
                          "for a copy source: 5368709120");
        gw_opref_done(c);
        return;
    }
    gw_objmeta_t *d = &c->d;
    d->size = s->size;
    d->mtime_ms = gw_now_ms();
    if (c->meta_replace) {
        s3_err_t me = gw_objhead_from_request(r, d);
        if (me != S3_OK) {
            gw_req_send_error(r, me, NULL);
            gw_opref_done(c);
            return;
        }
    } else {
        d->content_type = s->content_type;
        d->cache_control = s->cache_control;
        d->content_disposition = s->content_disposition;
        d->content_encoding = s->content_encoding;
        d->expires = s->expires;
        memcpy(d->meta, s->meta, s->n_meta * sizeof s->meta[0]);
        d->n_meta = s->n_meta;
    }
    if (c->tag_replace) {
        for (size_t i = 0; i < c->n_tags; i++) {
            d->tags[i].name = c->tags[i].key;
            d->tags[i].value = c->tags[i].value;
        }
        d->n_tags = c->n_tags;
    } else {
        memcpy(d->tags, s->tags, s->n_tags * sizeof s->tags[0]);
        d->n_tags = s->n_tags;
    }
    d->cksum_alg = c->want_alg != S3_CKSUM_NONE ? c->want_alg : s->cksum_alg;
    d->cksum_type = d->cksum_alg != S3_CKSUM_NONE ? GW_CKTYPE_FULL_OBJECT : GW_CKTYPE_NONE;
    d->acl = GW_ACL_PRIVATE; /* S3 does not copy ACLs */
    if (s->is_inline || s->size == 0) {
        /* the bytes go into the new row: hash them here */
        s3_multihash_t h;
        if (s3_multihash_init(&h, 1, d->cksum_alg, 0) != TN_OK) {
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
            gw_opref_done(c);
            return;
        }
        s3_multihash_update(&h, c->src.inl, (size_t)s->size);
        uint8_t md5[S3_CKSUM_MAX_RAW], ck[S3_CKSUM_MAX_RAW];
        s3_checksum_final(&h.md5, md5);
        if (d->cksum_alg != S3_CKSUM_NONE)
            s3_checksum_final(&h.extra, ck);
        s3_multihash_free(&h);
        if (digests_disagree(c, md5, ck)) {
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR,
                              "The source object failed its digest check");
            gw_opref_done(c);
            return;
        }
        memcpy(d->md5, md5, 16);
        if (d->cksum_alg != S3_CKSUM_NONE)
            memcpy(d->cksum, ck, s3_checksum_size(d->cksum_alg));
        d->is_inline = 1;
        write_head(c);
        return;
    }
    d->chunk_size = GW_OBJMETA_CHUNK;
    gw_random(d->data_vid, sizeof d->data_vid);
    gw_intent_t in = {.bucket_id = c->dst_bucket.id,
                      .key = {r->route.key.base, r->route.key.len},
                      .vid = d->data_vid,
                      .size = s->size,
                      .chunk_size = d->chunk_size};
    int rc = gw_intent_write(r->thread, &in, &c->intent_deadline_ms, on_cp_intent, c);
    if (rc != 0) { /* else our reference passes to on_cp_intent */
        gw_send_cluster_error(r, rc);
        gw_opref_done(c);
    }
}

static void on_dst_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    cp_t *c = arg;
    if (gw_bucket_lookup_settle(c, err) == NULL)
        return;
    c->dst_bucket = *rec;
    c->src.copy_source = 1; /* may r read it? decided with the source row (gw_objhead.h) */
    gw_objhead_read(&c->src, c, c->src_name.bucket, c->src_name.key, on_source);
}

void gw_op_copy_object(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    if (req_header(r, "if-match").base != NULL || req_header(r, "if-none-match").base != NULL) {
        gw_req_send_error(r, S3_ERR_NOT_IMPLEMENTED,
                          "Conditional writes (If-Match / If-None-Match on the copy "
                          "destination) are not supported yet");
        return;
    }
    cp_t *c = gw_opref_new(r, sizeof *c);
    if (c == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    c->o.cleanup = cp_cleanup;
    s3_why_t why = {0};
    tn_slice_t cs = req_header(r, "x-amz-copy-source");
    char *work = h2o_mem_alloc_pool(&r->req->pool, cs.len + 1);
    s3_err_t e = s3_copy_source_parse(cs.base, cs.len, work, cs.len, &c->src_name, &why);
    tn_slice_t md = req_header(r, "x-amz-metadata-directive");
    tn_slice_t td = req_header(r, "x-amz-tagging-directive");
    if (e == S3_OK) {
        c->meta_replace = s3_copy_directive(md.base, md.len);
        c->tag_replace = s3_copy_directive(td.base, td.len);
        if (c->meta_replace < 0)
            e = s3_why_set(&why, S3_ERR_INVALID_ARGUMENT, "Unknown metadata directive.");
        else if (c->tag_replace < 0)
            e = s3_why_set(&why, S3_ERR_INVALID_ARGUMENT, "Unknown tagging directive.");
    }
    if (e == S3_OK && c->tag_replace) {
        tn_slice_t tg = req_header(r, "x-amz-tagging");
        char *tw = h2o_mem_alloc_pool(&r->req->pool, tg.len + 1);
        e = s3_tagging_header_parse(tg.base, tg.len, c->tags, S3_TAGS_MAX_OBJECT, &c->n_tags, tw,
                                    tg.len + 1, &why);
    }
    tn_slice_t an = req_header(r, "x-amz-checksum-algorithm");
    if (e == S3_OK && an.base != NULL) {
        c->want_alg = s3_checksum_parse_name(an.base, an.len);
        if (c->want_alg == S3_CKSUM_NONE || c->want_alg == S3_CKSUM_MD5)
            e = s3_why_set(&why, S3_ERR_INVALID_REQUEST,
                           "Checksum algorithm provided is unsupported. Please try again with any "
                           "of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
    }
    if (e == S3_OK && !c->meta_replace && c->src_name.bucket.len == r->route.bucket.len &&
        c->src_name.key.len == r->route.key.len &&
        memcmp(c->src_name.bucket.base, r->route.bucket.base, r->route.bucket.len) == 0 &&
        memcmp(c->src_name.key.base, r->route.key.base, r->route.key.len) == 0)
        e = s3_why_set(&why, S3_ERR_INVALID_REQUEST,
                       "This copy request is illegal because it is trying to copy an object to "
                       "itself without changing the object's metadata, storage class, website "
                       "redirect location or encryption attributes.");
    if (e != S3_OK) {
        const char *msg = s3_why_message(&why);
        size_t ml = strlen(msg);
        char *pm = h2o_mem_alloc_pool(&r->req->pool, ml + 1);
        memcpy(pm, msg, ml + 1);
        gw_req_send_error(r, e, pm);
        gw_opref_done(c);
        return;
    }
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                              on_dst_bucket, c);
    if (rc == 1) {
        on_dst_bucket(c, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(c);
    }
}
