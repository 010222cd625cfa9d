/* gw_op_multipart.c — CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts and ListMultipartUploads on the rows
 * gw_mpu.h describes (data model, keys and encodings there; pure logic in gw_mpu.c).
 *
 * Every operation starts alike: bucket lookup, then (but Create and ListMultipartUploads) a
 * quorum read of the upload row: absent, deleted (aborted), completed (for everything but a
 * retried Complete) or for another key -> NoSuchUpload.
 *
 * UploadPart / UploadPartCopy: a fresh part vid; the PENDING part row; the data as chunk blobs
 * (GW_OBJMETA_CHUNK bytes, at most PART_INFLIGHT in flight; UploadPart copies and hashes the
 * body PART_SLICE bytes per loop turn like PutObject, its chunk copies counted in the loop
 * thread's chunk budget until quorum (gw_budget.h: waits when it is spent); UploadPartCopy copies
 * the source range with gw_copier.h, as CopyObject does); then the DONE part row, and only then the
 * answer. Any failure answers an error and leaves the PENDING row (and whatever blobs were written)
 * for the GC (docs/ARCHITECTURE.md, "Multipart uploads").
 *
 * CompleteMultipartUpload: parses the body, reads the upload row, lists the upload's part rows
 * (pages of LIST_PAGE), keeps the newest DONE attempt per number (gw_mpu_slot_offer), plans the
 * object (gw_mpu_plan: errors, ETag, checksum, part table), writes the object head row (part
 * table in its inline field; no data copied), then the upload row as COMPLETED with the
 * result; answers after both. A retried Complete finding COMPLETED answers the stored result
 * when the request names the same parts (same multipart ETag), else NoSuchUpload.
 * Conditional Completes (If-Match / If-None-Match) answer 501 (DESIGN.md rule 12).
 *
 * AbortMultipartUpload: tombstones the upload row, then every part row of the upload
 * (ABORT_INFLIGHT at a time); 204 once the upload row's tombstone is at quorum and every part
 * tombstone was tried (a part tombstone that failed is logged: the upload's tombstone already
 * makes its blobs garbage for the GC).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "tn_endian.h"
#include "tn_hex.h"
#include "tn_log.h"
#include "tn_time.h"
#include "s3_checksum.h"
#include "s3_copy.h"
#include "s3_etag.h"
#include "s3_xml.h"
#include "s3_xml_parse.h"
#include "gw_access.h"
#include "gw_bucket.h"
#include "gw_copier.h"
#include "gw_intent.h"
#include "gw_mpu.h"
#include "gw_objhead.h"
#include "gw_objmeta.h"
#include "gw_acl_check.h"
#include "gw_ops.h"
#include "gw_server.h"

#define PART_INFLIGHT  4
#define PART_SLICE     (1u << 20)
#define LIST_PAGE      1000u
#define ABORT_INFLIGHT 8
#define META_TOO_LARGE "Your metadata headers exceed the maximum allowed metadata size"

static tn_slice_t req_header(gw_req_t *r, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&r->req->headers, name, strlen(name), -1);
    if (i < 0)
        return (tn_slice_t){NULL, 0};
    h2o_iovec_t v = r->req->headers.entries[i].value;
    return (tn_slice_t){v.base, v.len};
}

static const char *pool_strndup(gw_req_t *r, const char *s, size_t n)
{
    char *c = h2o_mem_alloc_pool(&r->req->pool, n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* ---- the shared context and prologue ---- */

typedef struct mp mp_t;
typedef void (*mp_step_t)(mp_t *m);

typedef struct {
    mp_t *m;
    uint8_t *buf;
    uint32_t idx;
    size_t len, fill;
} mp_chunk_t;

struct mp {
    gw_opref_t o;
    mp_step_t after_bucket, after_upload;
    gw_bucket_rec_t bucket;
    uint32_t ipool, ipg; /* the bucket's index shard (upload rows) */
    uint32_t ppool, ppg; /* the upload's part rows */
    uint8_t id[16];
    uint64_t intent_deadline_ms; /* UploadPart(Copy): the part intent's deadline (gw_intent.h) */
    char id_hex[GW_MPU_ID_HEX + 1];
    uint8_t ukey[TN_ROW_MAX_KEY];
    size_t ukey_len;
    /* the upload row */
    uint8_t *uval;
    gw_mpu_upload_t up;
    gw_objmeta_t tmpl;
    /* part listing */
    gw_mpu_slot_t *slots;
    uint8_t after[GW_MPU_PART_KEY_LEN];
    size_t after_len;
    uint32_t list_stop; /* stop once more part numbers than this were seen (0: list all) */
    uint32_t distinct;  /* part numbers with a DONE attempt seen so far */
    mp_step_t after_list;
    /* UploadPart / UploadPartCopy */
    uint32_t number;
    gw_mpu_part_t part;
    s3_multihash_t h;
    int h_init, hash_body; /* hash_body 0: digests come from the payload stage */
    uint32_t nchunks, next, done, inflight;
    int failed, finishing;
    mp_chunk_t *cur;
    h2o_timeout_entry_t te;
    gw_thread_t *thread;   /* the loop thread: chunk buffers (gw_thread_chunk_get) */
    gw_budget_t *budget;   /* the loop thread's chunk budget */
    gw_budget_wait_t wait; /* queued for budget (holds a reference) */
    size_t granted;        /* bytes taken for the next chunk, not yet allocated */
    const char *src_body;
    /* UploadPartCopy source */
    gw_objmeta_t src;
    uint8_t *src_val, *src_inl;
    size_t src_inl_len;
    uint64_t src_pos, src_end;
    gw_copier_t cp;
    s3_copy_source_t src_name;
    int src_by_acl; /* UploadPartCopy: the source's object ACL decides */
    /* Complete */
    s3_complete_req_t creq;
    uint8_t *tbl;
    size_t tbl_len;
    gw_objmeta_t obj;
    uint8_t *head_val;
    /* Abort */
    uint32_t ab_inflight, ab_failed;
    int ab_listing_done;
    /* ListMultipartUploads */
    s3_buf_t x;
    int x_init;
};

static void mp_cleanup(void *self)
{
    mp_t *m = self;
    free(m->uval);
    free(m->slots);
    if (m->h_init)
        s3_multihash_free(&m->h);
    if (m->cur != NULL) {
        gw_thread_chunk_put(m->thread, m->cur->buf, m->cur->len);
        gw_budget_give(m->budget, m->cur->len);
        free(m->cur);
    }
    if (m->granted > 0)
        gw_budget_give(m->budget, m->granted);
    free(m->src_val);
    free(m->src_inl);
    gw_copier_free(&m->cp);
    s3_xml_arena_free(&m->creq.arena);
    free(m->tbl);
    free(m->head_val);
    if (m->x_init)
        s3_buf_free(&m->x);
}

static int has_cluster(gw_req_t *r)
{
    if (r->thread->osd != NULL)
        return 1;
    gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
    return 0;
}

static void on_mp_bucket(void *arg, int err, const gw_bucket_rec_t *rec, const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    gw_req_t *r = gw_bucket_lookup_settle(m, err);
    if (r == NULL)
        return;
    m->bucket = *rec;
    int rc = gw_bucket_index_pg(r->thread->server, rec->id, &m->ipool, &m->ipg);
    if (rc == TN_OK)
        rc = gw_bucket_place(r->thread->server, "index", m->id, 16, &m->ppool, &m->ppg);
    if (rc != TN_OK) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(m);
        return;
    }
    m->after_bucket(m);
}

/* Allocates the context and looks the bucket up; after runs with the bucket known (m->id
 * must be set before when the op has an upload id). NULL when answered already. */
static mp_t *mp_new(gw_req_t *r)
{
    if (!has_cluster(r))
        return NULL;
    mp_t *m = gw_opref_new(r, sizeof *m);
    if (m == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return NULL;
    }
    m->o.cleanup = mp_cleanup;
    m->thread = r->thread;
    m->budget = &r->thread->chunk_budget;
    return m;
}

static void mp_lookup(mp_t *m, mp_step_t after)
{
    gw_req_t *r = m->o.r;
    m->after_bucket = after;
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, r->route.bucket.base, r->route.bucket.len, 1, &hit,
                              on_mp_bucket, m);
    if (rc == 1) {
        on_mp_bucket(m, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(m);
    }
}

/* Sets m->id from ?uploadId= (NoSuchUpload if malformed) and the upload row key; 0 if
 * answered. */
static int mp_parse_upload(mp_t *m)
{
    gw_req_t *r = m->o.r;
    const s3_param_t *p = s3_route_param(&r->route, "uploadId");
    if (p == NULL || gw_mpu_id_parse(p->value.base, p->value.len, m->id) != TN_OK) {
        gw_req_send_error(r, S3_ERR_NO_SUCH_UPLOAD, NULL);
        return 0;
    }
    tn_hex_encode(m->id_hex, m->id, 16);
    m->id_hex[GW_MPU_ID_HEX] = '\0';
    m->ukey_len = gw_mpu_upload_key(m->ukey, r->route.key.base, r->route.key.len, m->id);
    if (m->ukey_len == 0) {
        gw_req_send_error(r, S3_ERR_NO_SUCH_UPLOAD, NULL);
        return 0;
    }
    return 1;
}

static void on_upload_row(void *arg, int err, const tn_row_t *row)
{
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r == NULL) {
        gw_opref_done(m);
        return;
    }
    if (err == TN_ERR_NOT_FOUND || (err == 0 && (row->flags & TN_ROW_TOMBSTONE))) {
        gw_req_send_error(r, S3_ERR_NO_SUCH_UPLOAD, NULL);
    } else if (err != 0) {
        gw_send_cluster_error(r, err);
    } else if ((m->uval = malloc(row->value_len + 1)) == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    } else {
        memcpy(m->uval, row->value, row->value_len);
        if (gw_mpu_upload_decode(m->uval, row->value_len, &m->up) != TN_OK ||
            gw_objmeta_decode(m->up.meta.base, m->up.meta.len, &m->tmpl) != TN_OK) {
            tn_log_error("msg=\"undecodable multipart upload row\" upload=%s", m->id_hex);
            gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        } else if (m->up.key.len != r->route.key.len ||
                   memcmp(m->up.key.base, r->route.key.base, r->route.key.len) != 0) {
            gw_req_send_error(r, S3_ERR_NO_SUCH_UPLOAD, NULL);
        } else {
            m->after_upload(m);
            return;
        }
    }
    gw_opref_done(m);
}

static void mp_read_upload(mp_t *m, mp_step_t after)
{
    gw_req_t *r = m->o.r;
    m->after_upload = after;
    int rc = gw_cl_row_get(r->thread->osd, m->ipool, m->ipg, gw_mpu_ns_uploads(m->bucket.id),
                           m->ukey, m->ukey_len, on_upload_row, m);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(m);
    }
}

/* An ACTIVE upload or NoSuchUpload; 0 if answered (and the op reference dropped). */
static int mp_require_active(mp_t *m)
{
    if (m->up.state == GW_MPU_ACTIVE)
        return 1;
    gw_req_send_error(m->o.r, S3_ERR_NO_SUCH_UPLOAD, NULL);
    gw_opref_done(m);
    return 0;
}

static void mp_add_cksum_headers(gw_req_t *r, s3_cksum_alg_t alg, gw_cktype_t type)
{
    if (alg == S3_CKSUM_NONE)
        return;
    const char *n = s3_checksum_name(alg);
    gw_req_add_header(r, "x-amz-checksum-algorithm", n, strlen(n));
    const char *t = type == GW_CKTYPE_COMPOSITE ? "COMPOSITE" : "FULL_OBJECT";
    gw_req_add_header(r, "x-amz-checksum-type", t, strlen(t));
}

/* ---- CreateMultipartUpload ---- */

/* The object template from the request headers into m->tmpl; S3_OK or the error. */
static s3_err_t create_template(gw_req_t *r, gw_objmeta_t *t, const char **msg)
{
    s3_err_t me = gw_objhead_from_request(r, t);
    if (me != S3_OK)
        return me;
    /* x-amz-acl / x-amz-grant-* (gw_acl_check.h); id= grants name the caller's key */
    gw_acl_t acl;
    int present;
    s3_why_t *acl_why = h2o_mem_alloc_pool(&r->req->pool, sizeof *acl_why);
    s3_err_t ae = gw_acl_check_headers(r, r->access_key, 1, &acl, &present, acl_why);
    if (ae != S3_OK) {
        *msg = s3_why_message(acl_why);
        return ae;
    }
    t->acl = acl;
    tn_slice_t tg = req_header(r, "x-amz-tagging");
    if (tg.base != NULL) {
        s3_tag_t *tags = h2o_mem_alloc_pool(&r->req->pool, sizeof *tags * S3_TAGS_MAX_OBJECT);
        char *work = h2o_mem_alloc_pool(&r->req->pool, tg.len + 1);
        s3_why_t why = {0};
        size_t n = 0;
        if (s3_tagging_header_parse(tg.base, tg.len, tags, S3_TAGS_MAX_OBJECT, &n, work, tg.len + 1,
                                    &why) != S3_OK) {
            const char *wm = s3_why_message(&why);
            *msg = pool_strndup(r, wm, strlen(wm));
            return why.err;
        }
        for (size_t i = 0; i < n; i++) {
            t->tags[i].name = tags[i].key;
            t->tags[i].value = tags[i].value;
        }
        t->n_tags = n;
    }
    tn_slice_t an = req_header(r, "x-amz-checksum-algorithm");
    tn_slice_t ty = req_header(r, "x-amz-checksum-type");
    if (an.base != NULL) {
        t->cksum_alg = s3_checksum_parse_name(an.base, an.len);
        if (t->cksum_alg == S3_CKSUM_NONE) {
            *msg = "Checksum algorithm provided is unsupported. Please try again with any of the "
                   "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]";
            return S3_ERR_INVALID_REQUEST;
        }
        int crc = t->cksum_alg <= S3_CKSUM_CRC64NVME;
        t->cksum_type =
            t->cksum_alg == S3_CKSUM_CRC64NVME ? GW_CKTYPE_FULL_OBJECT : GW_CKTYPE_COMPOSITE;
        if (ty.base != NULL) {
            if (ty.len == 11 && strncasecmp(ty.base, "FULL_OBJECT", 11) == 0 && crc) {
                t->cksum_type = GW_CKTYPE_FULL_OBJECT;
            } else if (ty.len == 9 && strncasecmp(ty.base, "COMPOSITE", 9) == 0 &&
                       t->cksum_alg != S3_CKSUM_CRC64NVME) {
                t->cksum_type = GW_CKTYPE_COMPOSITE;
            } else {
                *msg = "The checksum type is not valid for this checksum algorithm";
                return S3_ERR_INVALID_REQUEST;
            }
        }
    } else if (ty.base != NULL) {
        *msg = "The x-amz-checksum-type header can only be used with the "
               "x-amz-checksum-algorithm header.";
        return S3_ERR_INVALID_REQUEST;
    }
    t->is_multipart = 1;
    t->part_count = 1;
    return S3_OK;
}

static void on_create_written(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r != NULL) {
        if (err != 0) {
            gw_send_cluster_error(r, err);
        } else {
            s3_buf_t x;
            s3_buf_init(&x, 16384);
            s3_xml_decl(&x);
            s3_xml_open_ns(&x, "InitiateMultipartUploadResult", S3_XML_NS);
            s3_xml_elem(&x, "Bucket", r->route.bucket.base, r->route.bucket.len);
            s3_xml_elem(&x, "Key", r->route.key.base, r->route.key.len);
            s3_xml_elem_str(&x, "UploadId", m->id_hex);
            s3_xml_close(&x, "InitiateMultipartUploadResult");
            mp_add_cksum_headers(r, m->tmpl.cksum_alg, m->tmpl.cksum_type);
            if (s3_buf_ok(&x))
                gw_req_send(r, 200, "application/xml", x.base, x.len);
            else
                gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
            s3_buf_free(&x);
        }
    }
    gw_opref_done(m);
}

static void create_go(mp_t *m)
{
    gw_req_t *r = m->o.r;
    const char *msg = NULL;
    s3_err_t e = create_template(r, &m->tmpl, &msg);
    if (e != S3_OK) {
        gw_req_send_error(r, e, msg);
        gw_opref_done(m);
        return;
    }
    size_t mlen = gw_objmeta_encoded_len(&m->tmpl);
    uint8_t *mb = h2o_mem_alloc_pool(&r->req->pool, mlen);
    int n = gw_objmeta_encode(&m->tmpl, mb, mlen);
    gw_mpu_upload_t u = {.state = GW_MPU_ACTIVE,
                         .initiated_ms = gw_now_ms(),
                         .initiator = {r->access_key, strlen(r->access_key)},
                         .key = r->route.key,
                         .meta = {(const char *)mb, (size_t)(n > 0 ? n : 0)}};
    size_t ulen = gw_mpu_upload_len(&u);
    uint8_t *ub = h2o_mem_alloc_pool(&r->req->pool, ulen);
    if (n < 0 || ulen > TN_ROW_MAX_VALUE || gw_mpu_upload_encode(&u, ub, ulen) < 0) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT, META_TOO_LARGE);
        gw_opref_done(m);
        return;
    }
    tn_row_t row = {.pool = m->ipool,
                    .pg = m->ipg,
                    .ns = gw_mpu_ns_uploads(m->bucket.id),
                    .key = m->ukey,
                    .key_len = m->ukey_len,
                    .value = ub,
                    .value_len = ulen};
    gw_random(row.ver.vid, sizeof row.ver.vid);
    int rc = gw_cl_row_put(r->thread->osd, m->ipool, m->ipg, &row, TN_PROTO_ROW_PUT,
                           on_create_written, m);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(m);
    }
}

void gw_op_create_multipart_upload(gw_req_t *r)
{
    if (r->route.key.len > GW_MPU_KEY_MAX) {
        gw_req_send_error(r, S3_ERR_KEY_TOO_LONG,
                          "Keys of multipart uploads are limited to 1007 bytes in tern");
        return;
    }
    mp_t *m = mp_new(r);
    if (m == NULL)
        return;
    gw_random(m->id, 16);
    tn_hex_encode(m->id_hex, m->id, 16);
    m->id_hex[GW_MPU_ID_HEX] = '\0';
    m->ukey_len = gw_mpu_upload_key(m->ukey, r->route.key.base, r->route.key.len, m->id);
    mp_lookup(m, create_go);
}

/* ---- UploadPart / UploadPartCopy: the part writer ---- */

static void part_pump(mp_t *m);
static void part_finish(mp_t *m);

/* The digests of the part's bytes: MD5 (ETag) and the upload's checksum algorithm, in one
 * pass. When the payload stage already computed them (r->has_md5, and the checksum the upload
 * needs), nothing is hashed here. */
static int part_hash_init(mp_t *m)
{
    gw_req_t *r = m->o.r;
    s3_cksum_alg_t alg = m->tmpl.cksum_alg;
    m->hash_body =
        !(m->src_body != NULL && r->has_md5 && (alg == S3_CKSUM_NONE || r->cksum_alg == alg));
    if (!m->hash_body)
        return TN_OK;
    if (s3_multihash_init(&m->h, 1, alg, 0) != TN_OK)
        return -ENOMEM;
    m->h_init = 1;
    return TN_OK;
}

static void part_hash(mp_t *m, const void *p, size_t n)
{
    if (m->hash_body)
        s3_multihash_update(&m->h, p, n);
}

static void part_hash_final(mp_t *m)
{
    gw_req_t *r = m->o.r;
    if (!m->hash_body) {
        memcpy(m->part.md5, r->body_md5, 16);
        m->part.cksum_alg = m->tmpl.cksum_alg;
        if (m->part.cksum_alg != S3_CKSUM_NONE)
            memcpy(m->part.cksum, r->cksum, s3_checksum_size(m->part.cksum_alg));
        return;
    }
    uint8_t raw[S3_CKSUM_MAX_RAW];
    s3_checksum_final(&m->h.md5, raw);
    memcpy(m->part.md5, raw, 16);
    m->part.cksum_alg = m->tmpl.cksum_alg;
    if (m->part.cksum_alg != S3_CKSUM_NONE)
        s3_checksum_final(&m->h.extra, m->part.cksum);
}

static void part_fail(mp_t *m, s3_err_t e, int cluster_err)
{
    if (m->failed)
        return;
    m->failed = 1;
    if (m->o.r == NULL)
        return;
    if (cluster_err != 0)
        gw_send_cluster_error(m->o.r, cluster_err);
    else
        gw_req_send_error(m->o.r, e, NULL);
}

static int part_row_put(mp_t *m, gw_cl_put_cb cb)
{
    gw_req_t *r = m->o.r;
    uint8_t key[GW_MPU_PART_KEY_LEN], val[GW_MPU_PART_VALUE_MAX];
    gw_mpu_part_key(key, m->id, m->number, m->part.vid);
    int n = gw_mpu_part_encode(&m->part, val, sizeof val);
    if (n < 0)
        return n;
    tn_row_t row = {.pool = m->ppool,
                    .pg = m->ppg,
                    .ns = gw_mpu_ns_parts(m->bucket.id),
                    .key = key,
                    .key_len = sizeof key,
                    .value = val,
                    .value_len = (size_t)n};
    gw_random(row.ver.vid, sizeof row.ver.vid);
    m->o.refs++;
    int rc = gw_cl_row_put(r->thread->osd, m->ppool, m->ppg, &row, TN_PROTO_ROW_PUT, cb, m);
    if (rc != 0)
        m->o.refs--;
    return rc;
}

static void on_chunk_released(void *arg)
{
    mp_chunk_t *c = arg;
    mp_t *m = c->m;
    gw_thread_chunk_put(m->thread, c->buf, c->len);
    free(c);
    gw_opref_done(m);
}

static void on_chunk_written(void *arg, int err)
{
    mp_chunk_t *c = arg;
    mp_t *m = c->m;
    m->inflight--;
    m->done++;
    gw_budget_give(m->budget, c->len); /* lagging replicas: GW_CL_PUT_LAG_TOTAL bounds them */
    if (err != 0) {
        tn_log_warn("msg=\"UploadPart: chunk write failed\" err=%d", err);
        part_fail(m, S3_OK, err);
    }
    if (!m->failed)
        part_pump(m);
}

static void on_pump_tick(h2o_timeout_entry_t *te)
{
    mp_t *m = H2O_STRUCT_FROM_MEMBER(mp_t, te, te);
    part_pump(m);
    gw_opref_done(m);
}

static void part_schedule(mp_t *m)
{
    if (h2o_timeout_is_linked(&m->te))
        return;
    m->o.refs++;
    m->te.cb = on_pump_tick;
    h2o_timeout_link(m->o.r->thread->loop, &m->o.r->thread->zero_timeout, &m->te);
}

/* The budget granted the next chunk's bytes (maybe inside gw_budget_give): pump next turn. */
static void on_part_budget(gw_budget_wait_t *w)
{
    mp_t *m = H2O_STRUCT_FROM_MEMBER(mp_t, wait, w);
    if (m->o.r == NULL || m->failed) {
        gw_budget_give(m->budget, w->want); /* nothing more will be sent */
    } else {
        m->granted = w->want;
        part_schedule(m);
    }
    gw_opref_done(m); /* the wait's reference; cleanup gives the bytes back if unused */
}

/* The current chunk is full: send it. */
static void part_send_chunk(mp_t *m)
{
    gw_req_t *r = m->o.r;
    mp_chunk_t *c = m->cur;
    m->cur = NULL;
    tn_blobref_t ref;
    int rc = gw_data_ref(&ref, m->part.vid, c->idx, r->thread->server);
    m->o.refs++;
    m->inflight++;
    if (rc == TN_OK)
        rc = gw_cl_blob_put(r->thread->osd, &ref, c->buf, c->len, on_chunk_written,
                            on_chunk_released, c);
    if (rc != 0) {
        m->inflight--;
        gw_thread_chunk_put(m->thread, c->buf, c->len);
        gw_budget_give(m->budget, c->len);
        free(c);
        m->o.refs--;
        part_fail(m, S3_OK, rc);
    }
}

static void part_pump(mp_t *m)
{
    if (m->failed || m->finishing)
        return;
    if (m->o.r == NULL) {
        m->failed = 1;
        return;
    }
    if (h2o_timeout_is_linked(&m->te))
        return;
    for (;;) {
        if (m->done == m->nchunks) {
            part_finish(m);
            return;
        }
        if (m->cur == NULL) {
            if (m->next == m->nchunks || m->inflight >= PART_INFLIGHT)
                return; /* on_chunk_written pumps again */
            uint64_t off = (uint64_t)m->next * GW_OBJMETA_CHUNK;
            size_t len = (size_t)TN_MIN((uint64_t)GW_OBJMETA_CHUNK, m->part.size - off);
            if (m->wait.queued)
                return; /* on_part_budget pumps again */
            if (m->granted == 0) {
                m->o.refs++; /* the wait's, or dropped at once */
                m->wait.granted = on_part_budget;
                if (!gw_budget_take(m->budget, len, &m->wait))
                    return; /* on_part_budget pumps again */
                m->granted = len;
                m->o.refs--;
            }
            mp_chunk_t *c = calloc(1, sizeof *c);
            uint8_t *buf = gw_thread_chunk_get(m->thread, len);
            if (c == NULL || buf == NULL) {
                free(c);
                gw_thread_chunk_put(m->thread, buf, len);
                part_fail(m, S3_ERR_INTERNAL_ERROR, 0);
                return;
            }
            m->granted = 0; /* the chunk owns the bytes now */
            c->m = m;
            c->buf = buf;
            c->idx = m->next++;
            c->len = len;
            m->cur = c;
        }
        mp_chunk_t *c = m->cur;
        if (c->fill < c->len) {
            size_t n = TN_MIN((size_t)PART_SLICE, c->len - c->fill);
            const char *src = m->src_body + (uint64_t)c->idx * GW_OBJMETA_CHUNK + c->fill;
            memcpy(c->buf + c->fill, src, n);
            part_hash(m, c->buf + c->fill, n);
            c->fill += n;
            if (c->fill < c->len) {
                part_schedule(m); /* one slice per loop turn */
                return;
            }
        }
        if (m->failed)
            return;
        if (c->fill == c->len) {
            part_send_chunk(m);
            if (m->failed)
                return;
            if (m->next < m->nchunks && m->inflight < PART_INFLIGHT) {
                part_schedule(m);
                return;
            }
        }
    }
}

static void on_part_done_row(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r != NULL) {
        if (err != 0) {
            gw_send_cluster_error(r, err);
        } else {
            char etag[S3_ETAG_MAX];
            size_t elen = s3_etag_format(m->part.md5, 0, etag);
            char ck[S3_CKSUM_MAX_TEXT];
            size_t ckn = 0;
            if (m->part.cksum_alg != S3_CKSUM_NONE)
                ckn = s3_checksum_text(m->part.cksum, s3_checksum_size(m->part.cksum_alg), 0, ck);
            if (m->src_body != NULL) {
                gw_req_add_header(r, "etag", etag, elen);
                if (ckn > 0)
                    gw_req_add_header(r, s3_checksum_header(m->part.cksum_alg), ck, ckn);
                gw_req_send(r, 200, NULL, "", 0);
            } else {
                s3_buf_t x;
                char lm[40];
                tn_time_format_iso_ms((int64_t)m->part.mtime_ms, lm);
                s3_buf_init(&x, 4096);
                s3_xml_decl(&x);
                s3_xml_open_ns(&x, "CopyPartResult", S3_XML_NS);
                s3_xml_elem(&x, "ETag", etag, elen);
                s3_xml_elem_str(&x, "LastModified", lm);
                if (ckn > 0)
                    s3_xml_elem(&x, s3_checksum_xml_name(m->part.cksum_alg), ck, ckn);
                s3_xml_close(&x, "CopyPartResult");
                if (s3_buf_ok(&x))
                    gw_req_send(r, 200, "application/xml", x.base, x.len);
                else
                    gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
                s3_buf_free(&x);
            }
        }
    }
    gw_opref_done(m);
}

static void part_finish(mp_t *m)
{
    gw_req_t *r = m->o.r;
    m->finishing = 1;
    if (m->src_body != NULL)
        part_hash_final(m); /* a copy's digests come from the copier (on_part_copied) */
    if (m->src_body != NULL && r->cksum_alg != S3_CKSUM_NONE && r->cksum_alg == m->part.cksum_alg &&
        memcmp(r->cksum, m->part.cksum, s3_checksum_size(r->cksum_alg)) != 0) {
        gw_req_send_error(r, S3_ERR_BAD_DIGEST, "The checksum of the part does not match");
        return;
    }
    tn_slice_t cm = m->src_body != NULL ? req_header(r, "content-md5") : (tn_slice_t){NULL, 0};
    if (cm.base != NULL) {
        uint8_t raw[S3_CKSUM_MAX_RAW];
        if (s3_checksum_decode(S3_CKSUM_MD5, cm.base, cm.len, raw) != TN_OK) {
            gw_req_send_error(r, S3_ERR_INVALID_DIGEST, NULL);
            return;
        }
        if (memcmp(raw, m->part.md5, 16) != 0) {
            gw_req_send_error(r, S3_ERR_BAD_DIGEST, NULL);
            return;
        }
    }
    if (!gw_intent_valid(m->intent_deadline_ms)) {
        /* rule 1: after its intent's expiry the GC may already be deleting these blobs */
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The write took too long");
        return;
    }
    m->part.state = GW_MPU_PART_DONE;
    m->part.mtime_ms = gw_now_ms();
    int rc = part_row_put(m, on_part_done_row);
    if (rc != 0)
        gw_send_cluster_error(r, rc);
}

/* UploadPartCopy: the range is in the part's blobs (gw_copier.h); the copier holds a
 * reference on m during this call. */
static void on_part_copied(void *op, int err)
{
    mp_t *m = op;
    if (m->o.r == NULL)
        return;
    if (err != 0) {
        part_fail(m, S3_OK, err);
        return;
    }
    memcpy(m->part.md5, m->cp.md5, 16);
    m->part.cksum_alg = m->tmpl.cksum_alg;
    if (m->part.cksum_alg != S3_CKSUM_NONE)
        memcpy(m->part.cksum, m->cp.cksum, s3_checksum_size(m->part.cksum_alg));
    part_finish(m);
}

static void on_part_pending_row(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    if (m->o.r == NULL) {
        gw_opref_done(m);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(m->o.r, err);
        gw_opref_done(m);
        return;
    }
    if (m->src_body != NULL)
        part_pump(m);
    else if (gw_copier_start(&m->cp, m, &m->src, m->src_inl, m->src_pos, m->src_end,
                             m->tmpl.cksum_alg, m->part.vid, on_part_copied) != 0)
        part_fail(m, S3_ERR_INTERNAL_ERROR, 0);
    gw_opref_done(m);
}

static void on_part_intent(void *arg, int err)
{
    mp_t *m = arg;
    if (m->o.r != NULL) {
        int rc = err != 0 ? err : part_row_put(m, on_part_pending_row);
        if (rc != 0)
            gw_send_cluster_error(m->o.r, rc);
    }
    gw_opref_done(m);
}

/* Starts writing the part of m->part.size bytes (source: m->src_body or the copy source):
 * the intent row, the PENDING row, then the blobs. */
static void part_begin(mp_t *m)
{
    gw_req_t *r = m->o.r;
    if (m->src_body != NULL && part_hash_init(m) != TN_OK) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    gw_random(m->part.vid, 16);
    m->part.state = GW_MPU_PART_PENDING;
    m->part.chunk_size = GW_OBJMETA_CHUNK;
    m->part.mtime_ms = gw_now_ms();
    m->nchunks = (uint32_t)((m->part.size + GW_OBJMETA_CHUNK - 1) / GW_OBJMETA_CHUNK);
    gw_intent_t in = {.bucket_id = m->bucket.id,
                      .key = {r->route.key.base, r->route.key.len},
                      .upload_id = m->id,
                      .vid = m->part.vid,
                      .size = m->part.size,
                      .chunk_size = m->part.chunk_size};
    m->o.refs++;
    int rc = gw_intent_write(r->thread, &in, &m->intent_deadline_ms, on_part_intent, m);
    if (rc != 0) {
        m->o.refs--;
        gw_send_cluster_error(r, rc);
    }
}

/* ?partNumber= in 1..10000; 0 if answered. */
static int mp_parse_number(mp_t *m)
{
    gw_req_t *r = m->o.r;
    const s3_param_t *p = s3_route_param(&r->route, "partNumber");
    uint64_t v = 0;
    int okn = p != NULL && p->value.len > 0 && p->value.len <= 6;
    for (size_t i = 0; okn && i < p->value.len; i++) {
        if (p->value.base[i] < '0' || p->value.base[i] > '9')
            okn = 0;
        else
            v = v * 10 + (uint64_t)(p->value.base[i] - '0');
    }
    if (!okn || v < 1 || v > GW_OBJMETA_MAX_PARTS) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                          "Part number must be an integer between 1 and 10000, inclusive");
        return 0;
    }
    m->number = (uint32_t)v;
    return 1;
}

static void upload_part_go(mp_t *m)
{
    if (!mp_require_active(m))
        return;
    part_begin(m);
    gw_opref_done(m); /* the prologue's reference */
}

static void upload_part_bucket(mp_t *m)
{
    mp_read_upload(m, upload_part_go);
}

void gw_op_upload_part(gw_req_t *r)
{
    if (r->body.len > GW_MPU_MAX_PART_SIZE ||
        r->body.len > r->thread->server->conf->gateway.max_object_size) {
        gw_req_send_error(r, S3_ERR_ENTITY_TOO_LARGE, NULL);
        return;
    }
    mp_t *m = mp_new(r);
    if (m == NULL)
        return;
    if (!mp_parse_number(m) || !mp_parse_upload(m)) {
        gw_opref_done(m);
        return;
    }
    m->src_body = r->body.base != NULL ? r->body.base : "";
    m->part.size = r->body.len;
    mp_lookup(m, upload_part_bucket);
}

/* ---- UploadPartCopy ---- */

static void on_copy_src_row(void *arg, int err, const tn_row_t *row)
{
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r == NULL) {
        gw_opref_done(m);
        return;
    }
    if (err == TN_ERR_NOT_FOUND || (err == 0 && (row->flags & TN_ROW_TOMBSTONE))) {
        /* a caller the object's ACL would decide for learns nothing about missing keys */
        gw_req_send_error(r, m->src_by_acl ? S3_ERR_ACCESS_DENIED : S3_ERR_NO_SUCH_KEY, NULL);
        goto out;
    }
    if (err != 0) {
        gw_send_cluster_error(r, err);
        goto out;
    }
    if ((m->src_val = malloc(row->value_len + 1)) == NULL ||
        (m->src_inl = malloc(row->inl_len + 1)) == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    if (row->value_len > 0)
        memcpy(m->src_val, row->value, row->value_len);
    if (row->inl_len > 0) /* a chunked source has no inline bytes (row->inl may be NULL) */
        memcpy(m->src_inl, row->inl, row->inl_len);
    m->src_inl_len = row->inl_len;
    if (gw_objmeta_decode(m->src_val, row->value_len, &m->src) != TN_OK ||
        (m->src.is_multipart && gw_objparts_check(&m->src, m->src_inl, m->src_inl_len) != TN_OK) ||
        (m->src.is_inline && m->src_inl_len != m->src.size)) {
        tn_log_error("msg=\"undecodable object head row (copy source)\"");
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    if (m->src_by_acl && !gw_access_object_acl_allows(r, m->src.acl)) {
        gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL);
        goto out;
    }
    /* source conditionals */
    char etag[48];
    size_t elen = gw_objmeta_etag(&m->src, etag);
    int64_t mt = (int64_t)(m->src.mtime_ms / 1000);
    s3_copy_cond_t cond = {req_header(r, "x-amz-copy-source-if-match"),
                           req_header(r, "x-amz-copy-source-if-none-match"),
                           req_header(r, "x-amz-copy-source-if-unmodified-since"),
                           req_header(r, "x-amz-copy-source-if-modified-since")};
    int fail = !s3_copy_cond_ok(&cond, etag, elen, mt);
    if (fail) {
        gw_req_send_error(r, S3_ERR_PRECONDITION_FAILED, NULL);
        goto out;
    }
    /* range */
    m->src_pos = 0;
    m->src_end = m->src.size;
    tn_slice_t rg = req_header(r, "x-amz-copy-source-range");
    if (rg.base != NULL) {
        uint64_t a = 0, b = 0;
        size_t i = 6;
        int okr = rg.len > 6 && memcmp(rg.base, "bytes=", 6) == 0;
        int da = 0, db = 0;
        while (okr && i < rg.len && rg.base[i] >= '0' && rg.base[i] <= '9' && da < 19) {
            a = a * 10 + (uint64_t)(rg.base[i++] - '0');
            da++;
        }
        okr = okr && da > 0 && i < rg.len && rg.base[i++] == '-';
        while (okr && i < rg.len && rg.base[i] >= '0' && rg.base[i] <= '9' && db < 19) {
            b = b * 10 + (uint64_t)(rg.base[i++] - '0');
            db++;
        }
        okr = okr && db > 0 && i == rg.len && a <= b;
        if (!okr) {
            gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                              "The x-amz-copy-source-range value must be of the form "
                              "bytes=first-last where first and last are the zero-based "
                              "offsets of the first and last bytes to copy");
            goto out;
        }
        if (b >= m->src.size) {
            char msg[128];
            snprintf(msg, sizeof msg,
                     "Range specified is not valid for source object of size: %llu",
                     (unsigned long long)m->src.size);
            gw_req_send_error(r, S3_ERR_INVALID_RANGE, pool_strndup(r, msg, strlen(msg)));
            goto out;
        }
        m->src_pos = a;
        m->src_end = b + 1;
    }
    if (m->src_end - m->src_pos > GW_MPU_MAX_PART_SIZE) {
        gw_req_send_error(r, S3_ERR_ENTITY_TOO_LARGE, NULL);
        goto out;
    }
    m->part.size = m->src_end - m->src_pos;
    part_begin(m);
out:
    gw_opref_done(m);
}

static void on_copy_src_bucket(void *arg, int err, const gw_bucket_rec_t *rec,
                               const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    gw_req_t *r = gw_bucket_lookup_settle(m, err);
    if (r == NULL)
        return;
    int may = gw_access_copy_source(r, m->src_name.bucket, rec, m->src_name.key);
    if (may == 0) {
        gw_req_send_error(r, S3_ERR_ACCESS_DENIED, NULL); /* may not read the copy source */
        gw_opref_done(m);
        return;
    }
    m->src_by_acl = may < 0; /* the source's object ACL decides (on_copy_src_row) */
    uint32_t pool, pg;
    int rc = gw_bucket_index_pg(r->thread->server, rec->id, &pool, &pg);
    if (rc == TN_OK)
        rc = gw_cl_row_get(r->thread->osd, pool, pg, rec->id, m->src_name.key.base,
                           m->src_name.key.len, on_copy_src_row, m);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(m);
    }
}

static void copy_go(mp_t *m)
{
    if (!mp_require_active(m))
        return;
    gw_req_t *r = m->o.r;
    gw_bucket_rec_t hit;
    int rc = gw_bucket_lookup(r->thread, m->src_name.bucket.base, m->src_name.bucket.len, 1, &hit,
                              on_copy_src_bucket, m);
    if (rc == 1) {
        on_copy_src_bucket(m, 0, &hit, NULL);
    } else if (rc != 0) {
        gw_bucket_send_lookup_error(r, rc);
        gw_opref_done(m);
    }
}

static void copy_bucket(mp_t *m)
{
    mp_read_upload(m, copy_go);
}

void gw_op_upload_part_copy(gw_req_t *r)
{
    mp_t *m = mp_new(r);
    if (m == NULL)
        return;
    if (!mp_parse_number(m) || !mp_parse_upload(m)) {
        gw_opref_done(m);
        return;
    }
    tn_slice_t cs = req_header(r, "x-amz-copy-source");
    char *dec = h2o_mem_alloc_pool(&r->req->pool, cs.len + 1);
    s3_why_t why = {0};
    s3_err_t e = s3_copy_source_parse(cs.base, cs.len, dec, cs.len, &m->src_name, &why);
    if (e != S3_OK) {
        const char *msg = s3_why_message(&why);
        gw_req_send_error(r, e, pool_strndup(r, msg, strlen(msg)));
        gw_opref_done(m);
        return;
    }
    mp_lookup(m, copy_bucket);
}

/* ---- part listing (Complete, ListParts, Abort) ---- */

static void mp_list_next(mp_t *m);

static void on_parts_page(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r == NULL) {
        gw_opref_done(m);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(r, err);
        gw_opref_done(m);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t num = gw_mpu_part_key_number((const uint8_t *)e[i].key.base, e[i].key.len, m->id);
        if (num == 0 || (e[i].flags & TN_ROW_TOMBSTONE))
            continue;
        gw_mpu_part_t p;
        if (gw_mpu_part_decode(e[i].value.base, e[i].value.len, &p) != TN_OK) {
            tn_log_error("msg=\"undecodable part row\" upload=%s part=%u", m->id_hex, num);
            continue;
        }
        if (p.state != GW_MPU_PART_DONE)
            continue;
        if (!m->slots[num - 1].present)
            m->distinct++;
        gw_mpu_slot_offer(m->slots, num, &e[i].ver, &p);
    }
    if (n > 0) {
        memcpy(m->after, e[n - 1].key.base, TN_MIN(e[n - 1].key.len, sizeof m->after));
        m->after_len = TN_MIN(e[n - 1].key.len, sizeof m->after);
    }
    if (more && n > 0 && !(m->list_stop != 0 && m->distinct > m->list_stop)) {
        mp_list_next(m);
        gw_opref_done(m);
        return;
    }
    m->after_list(m);
}

static void mp_list_next(mp_t *m)
{
    gw_req_t *r = m->o.r;
    m->o.refs++;
    int rc = gw_cl_row_list(r->thread->osd, m->ppool, m->ppg, gw_mpu_ns_parts(m->bucket.id), m->id,
                            16, m->after, m->after_len, LIST_PAGE, on_parts_page, m);
    if (rc != 0) {
        m->o.refs--;
        gw_send_cluster_error(r, rc);
    }
}

/* Lists the part rows after part number `from` into m->slots, then runs after (with the
 * prologue's reference). */
static void mp_list_parts(mp_t *m, uint32_t from, mp_step_t after)
{
    m->slots = calloc(GW_OBJMETA_MAX_PARTS, sizeof *m->slots);
    if (m->slots == NULL) {
        gw_req_send_error(m->o.r, S3_ERR_INTERNAL_ERROR, NULL);
        gw_opref_done(m);
        return;
    }
    m->after_list = after;
    if (from > 0) {
        uint8_t ff[16];
        memset(ff, 0xff, 16);
        gw_mpu_part_key(m->after, m->id, from, ff);
        m->after_len = GW_MPU_PART_KEY_LEN;
    } else {
        m->after_len = 0;
    }
    mp_list_next(m);
    gw_opref_done(m); /* mp_list_next took its own */
}

/* ---- CompleteMultipartUpload ---- */

static void complete_answer(mp_t *m, const gw_objmeta_t *o)
{
    gw_req_t *r = m->o.r;
    char etag[48];
    size_t elen = gw_objmeta_etag(o, etag);
    s3_buf_t x;
    s3_buf_init(&x, 16384);
    s3_xml_decl(&x);
    s3_xml_open_ns(&x, "CompleteMultipartUploadResult", S3_XML_NS);
    tn_slice_t host = {r->req->authority.base, r->req->authority.len};
    s3_buf_append_str(&x, "<Location>");
    s3_xml_text(&x, "http://", 7);
    s3_xml_text(&x, host.base, host.len);
    s3_xml_text(&x, r->route.raw_path.base, r->route.raw_path.len);
    s3_buf_append_str(&x, "</Location>");
    s3_xml_elem(&x, "Bucket", r->route.bucket.base, r->route.bucket.len);
    s3_xml_elem(&x, "Key", r->route.key.base, r->route.key.len);
    s3_xml_elem(&x, "ETag", etag, elen);
    if (o->cksum_alg != S3_CKSUM_NONE) {
        char ck[S3_CKSUM_MAX_TEXT];
        size_t n = s3_checksum_text(o->cksum, s3_checksum_size(o->cksum_alg),
                                    o->cksum_type == GW_CKTYPE_COMPOSITE ? o->part_count : 0, ck);
        s3_xml_elem(&x, s3_checksum_xml_name(o->cksum_alg), ck, n);
        s3_xml_elem_str(&x, "ChecksumType",
                        o->cksum_type == GW_CKTYPE_COMPOSITE ? "COMPOSITE" : "FULL_OBJECT");
    }
    s3_xml_close(&x, "CompleteMultipartUploadResult");
    if (s3_buf_ok(&x))
        gw_req_send(r, 200, "application/xml", x.base, x.len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(&x);
}

static void on_upload_completed(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r != NULL) {
        if (err != 0) {
            tn_log_warn("msg=\"Complete: object written, upload row not marked completed\" "
                        "upload=%s err=%d",
                        m->id_hex, err);
            gw_send_cluster_error(r, err);
        } else {
            complete_answer(m, &m->obj);
        }
    }
    gw_opref_done(m);
}

static void on_complete_head(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r == NULL) {
        gw_opref_done(m);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(r, err);
        gw_opref_done(m);
        return;
    }
    /* the upload row: COMPLETED, remembering the object's head fields */
    size_t mlen = gw_objmeta_encoded_len(&m->obj);
    uint8_t *mb = h2o_mem_alloc_pool(&r->req->pool, mlen);
    int n = gw_objmeta_encode(&m->obj, mb, mlen);
    gw_mpu_upload_t u = m->up;
    u.state = GW_MPU_COMPLETED;
    u.meta = (tn_slice_t){(const char *)mb, (size_t)(n > 0 ? n : 0)};
    size_t ulen = gw_mpu_upload_len(&u);
    uint8_t *ub = h2o_mem_alloc_pool(&r->req->pool, ulen);
    int rc = n < 0 || gw_mpu_upload_encode(&u, ub, ulen) < 0 ? TN_ERR_TOO_BIG : TN_OK;
    tn_row_t row = {.pool = m->ipool,
                    .pg = m->ipg,
                    .ns = gw_mpu_ns_uploads(m->bucket.id),
                    .key = m->ukey,
                    .key_len = m->ukey_len,
                    .value = ub,
                    .value_len = ulen};
    gw_random(row.ver.vid, sizeof row.ver.vid);
    if (rc == TN_OK)
        rc = gw_cl_row_put(r->thread->osd, m->ipool, m->ipg, &row, TN_PROTO_ROW_PUT,
                           on_upload_completed, m);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(m);
    }
}

/* An x-amz-checksum-<alg> header on Complete is the client's expected checksum of the whole
 * object (not of the XML body: the payload stage leaves it alone, S3_BODY_OBJECT_CKSUM), as
 * S3 defines it: for a FULL_OBJECT upload the checksum of the object's bytes, for a COMPOSITE
 * one the checksum of the parts' checksums ("-<parts>" may follow and must then be the part
 * count). It must name the upload's algorithm; an upload created without one cannot check it
 * (InvalidRequest: never a silently skipped integrity check, rule 12). S3_OK without the
 * header or when it matches obj (gw_mpu_plan's result). */
static s3_err_t complete_check_cksum(gw_req_t *r, const gw_objmeta_t *obj, const char **msg)
{
    const h2o_header_t *h = NULL;
    s3_cksum_alg_t alg = S3_CKSUM_NONE;
    for (size_t i = 0; i < r->req->headers.size && alg == S3_CKSUM_NONE; i++) {
        h = &r->req->headers.entries[i];
        alg = s3_checksum_parse_header(h->name->base, h->name->len);
    }
    if (alg == S3_CKSUM_NONE)
        return S3_OK;
    if (obj->cksum_alg == S3_CKSUM_NONE) {
        *msg = "The upload was created without a checksum algorithm: the object checksum "
               "cannot be checked";
        return S3_ERR_INVALID_REQUEST;
    }
    if (alg != obj->cksum_alg) {
        char *b = h2o_mem_alloc_pool(&r->req->pool, 160);
        snprintf(b, 160,
                 "Checksum Type mismatch occurred, expected checksum Type: %s, actual "
                 "checksum Type: %s",
                 s3_checksum_name(obj->cksum_alg), s3_checksum_name(alg));
        *msg = b;
        return S3_ERR_INVALID_REQUEST;
    }
    uint8_t raw[S3_CKSUM_MAX_RAW];
    unsigned parts = 0;
    const char *v = h->value.base;
    size_t n = h->value.len;
    while (n > 0 && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (s3_checksum_decode_object(alg, v, n, raw, &parts) != TN_OK) {
        *msg = "The x-amz-checksum value is invalid";
        return S3_ERR_INVALID_REQUEST;
    }
    int composite = obj->cksum_type == GW_CKTYPE_COMPOSITE;
    if ((parts != 0 && (!composite || parts != obj->part_count)) ||
        memcmp(raw, obj->cksum, s3_checksum_size(alg)) != 0) {
        char *b = h2o_mem_alloc_pool(&r->req->pool, 96);
        snprintf(b, 96, "The %s you specified did not match the calculated checksum.",
                 s3_checksum_name(alg));
        *msg = b;
        return S3_ERR_BAD_DIGEST;
    }
    return S3_OK;
}

static void complete_write(mp_t *m)
{
    gw_req_t *r = m->o.r;
    s3_why_t why = {0};
    m->tbl_len = gw_objparts_len((uint32_t)m->creq.n_parts);
    if ((m->tbl = malloc(m->tbl_len)) == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        gw_opref_done(m);
        return;
    }
    m->obj = m->tmpl;
    s3_err_t e = gw_mpu_plan(&m->creq, m->slots, m->tmpl.cksum_alg, m->tmpl.cksum_type, m->tbl,
                             &m->obj, &why);
    if (e != S3_OK) {
        gw_req_send_error(
            r, e, why.message[0] ? pool_strndup(r, why.message, strlen(why.message)) : NULL);
        gw_opref_done(m);
        return;
    }
    if (m->obj.size > r->thread->server->conf->gateway.max_object_size) {
        gw_req_send_error(r, S3_ERR_ENTITY_TOO_LARGE, NULL);
        gw_opref_done(m);
        return;
    }
    const char *cmsg = NULL;
    e = complete_check_cksum(r, &m->obj, &cmsg);
    if (e != S3_OK) {
        gw_req_send_error(r, e, cmsg);
        gw_opref_done(m);
        return;
    }
    m->obj.mtime_ms = gw_now_ms();
    size_t vlen = gw_objmeta_encoded_len(&m->obj);
    int rc = TN_OK;
    if ((m->head_val = malloc(vlen)) == NULL || gw_objmeta_encode(&m->obj, m->head_val, vlen) < 0 ||
        vlen > TN_ROW_MAX_VALUE)
        rc = -ENOMEM;
    tn_row_t row = {.pool = m->ipool,
                    .pg = m->ipg,
                    .ns = m->bucket.id,
                    .key = (const uint8_t *)r->route.key.base,
                    .key_len = r->route.key.len,
                    .value = m->head_val,
                    .value_len = vlen,
                    .inl = m->tbl,
                    .inl_len = m->tbl_len};
    gw_random(row.ver.vid, sizeof row.ver.vid);
    if (rc == TN_OK)
        rc = gw_cl_row_put(r->thread->osd, m->ipool, m->ipg, &row, TN_PROTO_ROW_PUT,
                           on_complete_head, m);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(m);
    }
}

static void complete_go(mp_t *m)
{
    gw_req_t *r = m->o.r;
    if (m->up.state == GW_MPU_COMPLETED) {
        /* a retried Complete: the same parts get the same answer (rule 10) */
        uint8_t md5[16];
        if (gw_mpu_request_md5(&m->creq, md5) == TN_OK && m->tmpl.is_multipart &&
            m->tmpl.part_count == m->creq.n_parts && memcmp(md5, m->tmpl.md5, 16) == 0)
            complete_answer(m, &m->tmpl);
        else
            gw_req_send_error(r, S3_ERR_NO_SUCH_UPLOAD, NULL);
        gw_opref_done(m);
        return;
    }
    uint32_t prev = 0;
    for (size_t i = 0; i < m->creq.n_parts; i++) {
        if (m->creq.parts[i].part_number <= prev) {
            gw_req_send_error(r, S3_ERR_INVALID_PART_ORDER, NULL);
            gw_opref_done(m);
            return;
        }
        prev = m->creq.parts[i].part_number;
    }
    mp_list_parts(m, 0, complete_write);
}

static void complete_bucket(mp_t *m)
{
    mp_read_upload(m, complete_go);
}

void gw_op_complete_multipart_upload(gw_req_t *r)
{
    if (req_header(r, "if-match").base != NULL || req_header(r, "if-none-match").base != NULL) {
        gw_req_send_error(r, S3_ERR_NOT_IMPLEMENTED,
                          "Conditional CompleteMultipartUpload is not implemented");
        return;
    }
    mp_t *m = mp_new(r);
    if (m == NULL)
        return;
    if (!mp_parse_upload(m)) {
        gw_opref_done(m);
        return;
    }
    s3_why_t why = {0};
    s3_err_t e = s3_xml_parse_complete(r->body.base != NULL ? r->body.base : "", r->body.len,
                                       &m->creq, &why);
    if (e != S3_OK) {
        const char *msg = s3_why_message(&why);
        gw_req_send_error(r, e, pool_strndup(r, msg, strlen(msg)));
        gw_opref_done(m);
        return;
    }
    mp_lookup(m, complete_bucket);
}

/* ---- AbortMultipartUpload ---- */

static void abort_maybe_answer(mp_t *m)
{
    if (!m->ab_listing_done || m->ab_inflight > 0)
        return;
    if (m->ab_failed > 0)
        tn_log_warn("msg=\"AbortMultipartUpload: some part rows not tombstoned\" upload=%s "
                    "failed=%u",
                    m->id_hex, m->ab_failed);
    if (m->o.r != NULL)
        gw_req_send(m->o.r, 204, NULL, "", 0);
    m->ab_listing_done = 2; /* answered */
}

static void on_part_tombstone(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    m->ab_inflight--;
    if (err != 0)
        m->ab_failed++;
    abort_maybe_answer(m);
    gw_opref_done(m);
}

static void abort_next_page(mp_t *m);

static void on_abort_page(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r == NULL || err != 0) {
        if (err != 0)
            m->ab_failed++;
        m->ab_listing_done = 1;
        if (r != NULL)
            abort_maybe_answer(m);
        gw_opref_done(m);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (gw_mpu_part_key_number((const uint8_t *)e[i].key.base, e[i].key.len, m->id) == 0 ||
            (e[i].flags & TN_ROW_TOMBSTONE))
            continue;
        tn_row_t row = {.pool = m->ppool,
                        .pg = m->ppg,
                        .ns = gw_mpu_ns_parts(m->bucket.id),
                        .key = (const uint8_t *)e[i].key.base,
                        .key_len = e[i].key.len,
                        .flags = TN_ROW_TOMBSTONE};
        gw_random(row.ver.vid, sizeof row.ver.vid);
        m->o.refs++;
        m->ab_inflight++;
        if (gw_cl_row_put(r->thread->osd, m->ppool, m->ppg, &row, TN_PROTO_ROW_PUT,
                          on_part_tombstone, m) != 0) {
            m->o.refs--;
            m->ab_inflight--;
            m->ab_failed++;
        }
    }
    if (n > 0) {
        m->after_len = TN_MIN(e[n - 1].key.len, sizeof m->after);
        memcpy(m->after, e[n - 1].key.base, m->after_len);
    }
    if (more && n > 0)
        abort_next_page(m);
    else
        m->ab_listing_done = 1;
    abort_maybe_answer(m);
    gw_opref_done(m);
}

static void abort_next_page(mp_t *m)
{
    gw_req_t *r = m->o.r;
    m->o.refs++;
    int rc = gw_cl_row_list(r->thread->osd, m->ppool, m->ppg, gw_mpu_ns_parts(m->bucket.id), m->id,
                            16, m->after, m->after_len, LIST_PAGE, on_abort_page, m);
    if (rc != 0) {
        m->o.refs--;
        m->ab_failed++;
        m->ab_listing_done = 1;
    }
}

static void on_abort_upload_row(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    mp_t *m = arg;
    gw_req_t *r = m->o.r;
    if (r == NULL) {
        gw_opref_done(m);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(r, err);
        gw_opref_done(m);
        return;
    }
    m->after_len = 0;
    abort_next_page(m);
    abort_maybe_answer(m);
    gw_opref_done(m);
}

static void abort_go(mp_t *m)
{
    if (!mp_require_active(m))
        return;
    gw_req_t *r = m->o.r;
    tn_row_t row = {.pool = m->ipool,
                    .pg = m->ipg,
                    .ns = gw_mpu_ns_uploads(m->bucket.id),
                    .key = m->ukey,
                    .key_len = m->ukey_len,
                    .flags = TN_ROW_TOMBSTONE};
    gw_random(row.ver.vid, sizeof row.ver.vid);
    int rc = gw_cl_row_put(r->thread->osd, m->ipool, m->ipg, &row, TN_PROTO_ROW_PUT,
                           on_abort_upload_row, m);
    if (rc != 0) {
        gw_send_cluster_error(r, rc);
        gw_opref_done(m);
    }
}

static void abort_bucket(mp_t *m)
{
    mp_read_upload(m, abort_go);
}

void gw_op_abort_multipart_upload(gw_req_t *r)
{
    mp_t *m = mp_new(r);
    if (m == NULL)
        return;
    if (!mp_parse_upload(m)) {
        gw_opref_done(m);
        return;
    }
    mp_lookup(m, abort_bucket);
}

/* ---- ListParts ---- */

/* Decimal parameter name (absent: dflt); -1 if malformed. */
static int64_t param_uint(gw_req_t *r, const char *name, int64_t dflt)
{
    const s3_param_t *p = s3_route_param(&r->route, name);
    if (p == NULL)
        return dflt;
    if (p->value.len == 0 || p->value.len > 9)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < p->value.len; i++) {
        if (p->value.base[i] < '0' || p->value.base[i] > '9')
            return -1;
        v = v * 10 + (p->value.base[i] - '0');
    }
    return v;
}

static void owner_xml(s3_buf_t *x, const char *elem, tn_slice_t id)
{
    s3_xml_open(x, elem);
    s3_xml_elem(x, "ID", id.base, id.len);
    s3_xml_elem(x, "DisplayName", id.base, id.len);
    s3_xml_close(x, elem);
}

static void list_parts_answer(mp_t *m)
{
    gw_req_t *r = m->o.r;
    uint32_t marker = (uint32_t)param_uint(r, "part-number-marker", 0);
    uint32_t max = (uint32_t)param_uint(r, "max-parts", 1000);
    if (max > 1000)
        max = 1000;
    s3_buf_t x;
    s3_buf_init(&x, 4u << 20);
    s3_xml_decl(&x);
    s3_xml_open_ns(&x, "ListPartsResult", S3_XML_NS);
    s3_xml_elem(&x, "Bucket", r->route.bucket.base, r->route.bucket.len);
    s3_xml_elem(&x, "Key", r->route.key.base, r->route.key.len);
    s3_xml_elem_str(&x, "UploadId", m->id_hex);
    s3_xml_elem_u64(&x, "PartNumberMarker", marker);
    uint32_t count = 0, last = marker, truncated = 0;
    s3_buf_t parts;
    s3_buf_init(&parts, 4u << 20);
    for (uint32_t num = marker + 1; num <= GW_OBJMETA_MAX_PARTS; num++) {
        const gw_mpu_slot_t *s = &m->slots[num - 1];
        if (!s->present)
            continue;
        if (count == max) {
            truncated = 1;
            break;
        }
        char etag[S3_ETAG_MAX], lm[40], ck[S3_CKSUM_MAX_TEXT];
        size_t elen = s3_etag_format(s->part.md5, 0, etag);
        tn_time_format_iso_ms((int64_t)s->part.mtime_ms, lm);
        s3_xml_open(&parts, "Part");
        s3_xml_elem_u64(&parts, "PartNumber", num);
        s3_xml_elem_str(&parts, "LastModified", lm);
        s3_xml_elem(&parts, "ETag", etag, elen);
        s3_xml_elem_u64(&parts, "Size", s->part.size);
        if (s->part.cksum_alg != S3_CKSUM_NONE) {
            size_t n = s3_checksum_text(s->part.cksum, s3_checksum_size(s->part.cksum_alg), 0, ck);
            s3_xml_elem(&parts, s3_checksum_xml_name(s->part.cksum_alg), ck, n);
        }
        s3_xml_close(&parts, "Part");
        count++;
        last = num;
    }
    s3_xml_elem_u64(&x, "NextPartNumberMarker", last);
    s3_xml_elem_u64(&x, "MaxParts", max);
    s3_xml_elem_bool(&x, "IsTruncated", truncated);
    owner_xml(&x, "Initiator", m->up.initiator);
    owner_xml(&x, "Owner", (tn_slice_t){m->bucket.owner, strlen(m->bucket.owner)});
    s3_xml_elem_str(&x, "StorageClass", "STANDARD");
    if (m->tmpl.cksum_alg != S3_CKSUM_NONE) {
        s3_xml_elem_str(&x, "ChecksumAlgorithm", s3_checksum_name(m->tmpl.cksum_alg));
        s3_xml_elem_str(&x, "ChecksumType",
                        m->tmpl.cksum_type == GW_CKTYPE_COMPOSITE ? "COMPOSITE" : "FULL_OBJECT");
    }
    if (s3_buf_ok(&parts))
        s3_buf_append(&x, parts.base, parts.len);
    s3_xml_close(&x, "ListPartsResult");
    if (s3_buf_ok(&x) && s3_buf_ok(&parts))
        gw_req_send(r, 200, "application/xml", x.base, x.len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(&x);
    s3_buf_free(&parts);
    gw_opref_done(m);
}

static void list_parts_go(mp_t *m)
{
    if (!mp_require_active(m))
        return;
    gw_req_t *r = m->o.r;
    uint32_t marker = (uint32_t)param_uint(r, "part-number-marker", 0);
    uint32_t max = (uint32_t)param_uint(r, "max-parts", 1000);
    m->list_stop = TN_MIN(max, 1000u) + 1;
    mp_list_parts(m, marker, list_parts_answer);
}

static void list_parts_bucket(mp_t *m)
{
    mp_read_upload(m, list_parts_go);
}

void gw_op_list_parts(gw_req_t *r)
{
    int64_t marker = param_uint(r, "part-number-marker", 0);
    int64_t max = param_uint(r, "max-parts", 1000);
    if (marker < 0 || marker > GW_OBJMETA_MAX_PARTS) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                          "Provided part-number-marker not an integer or within integer range");
        return;
    }
    if (max < 0) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                          "Provided max-parts not an integer or within integer range");
        return;
    }
    mp_t *m = mp_new(r);
    if (m == NULL)
        return;
    if (!mp_parse_upload(m)) {
        gw_opref_done(m);
        return;
    }
    mp_lookup(m, list_parts_bucket);
}

/* ---- ListMultipartUploads ---- */

static void lu_next(mp_t *m);

/* ListMultipartUploads state kept in the shared context's fields: after/after_len is too
 * small for object keys, so the listing position lives in lu_after below. */
typedef struct {
    mp_t m;
    tn_slice_t prefix, delim;
    uint32_t max, count;
    int truncated;
    int url; /* encoding-type=url: keys, prefixes and markers percent-encoded */
    uint8_t lu_after[TN_ROW_MAX_KEY];
    size_t lu_after_len;
    char last_cp[TN_ROW_MAX_KEY + 1];
    size_t last_cp_len;
    tn_slice_t next_key;
    char next_id[GW_MPU_ID_HEX + 1];
    char next_key_buf[TN_ROW_MAX_KEY];
    s3_buf_t ups, cps;
} lu_t;

/* <name>key</name>, percent-encoded (slashes kept, as S3 does) with encoding-type=url. */
static void lu_key_elem(const lu_t *l, s3_buf_t *x, const char *name, const char *k, size_t n)
{
    if (!l->url) {
        s3_xml_elem(x, name, k, n);
        return;
    }
    size_t cap = 3 * n + 1;
    char *e = malloc(cap);
    if (e == NULL) {
        x->failed = 1;
        return;
    }
    size_t en = tn_uri_encode(k, n, e, cap, 0);
    s3_xml_elem(x, name, e, en);
    free(e);
}

static void lu_cleanup(void *self)
{
    lu_t *l = self;
    mp_cleanup(&l->m);
    s3_buf_free(&l->ups);
    s3_buf_free(&l->cps);
}

static void lu_answer(lu_t *l)
{
    gw_req_t *r = l->m.o.r;
    const s3_param_t *km = s3_route_param(&r->route, "key-marker");
    const s3_param_t *um = s3_route_param(&r->route, "upload-id-marker");
    s3_buf_t x;
    s3_buf_init(&x, 16u << 20);
    s3_xml_decl(&x);
    s3_xml_open_ns(&x, "ListMultipartUploadsResult", S3_XML_NS);
    s3_xml_elem(&x, "Bucket", r->route.bucket.base, r->route.bucket.len);
    if (l->url)
        s3_xml_elem_str(&x, "EncodingType", "url");
    lu_key_elem(l, &x, "KeyMarker", km ? km->value.base : "", km ? km->value.len : 0);
    s3_xml_elem(&x, "UploadIdMarker", um ? um->value.base : "", um ? um->value.len : 0);
    if (l->truncated) {
        lu_key_elem(l, &x, "NextKeyMarker", l->next_key.base, l->next_key.len);
        s3_xml_elem_str(&x, "NextUploadIdMarker", l->next_id);
    }
    if (l->delim.len > 0)
        lu_key_elem(l, &x, "Delimiter", l->delim.base, l->delim.len);
    if (l->prefix.len > 0)
        lu_key_elem(l, &x, "Prefix", l->prefix.base, l->prefix.len);
    s3_xml_elem_u64(&x, "MaxUploads", l->max);
    s3_xml_elem_bool(&x, "IsTruncated", l->truncated);
    if (s3_buf_ok(&l->ups))
        s3_buf_append(&x, l->ups.base, l->ups.len);
    if (s3_buf_ok(&l->cps))
        s3_buf_append(&x, l->cps.base, l->cps.len);
    s3_xml_close(&x, "ListMultipartUploadsResult");
    if (s3_buf_ok(&x) && s3_buf_ok(&l->ups) && s3_buf_ok(&l->cps))
        gw_req_send(r, 200, "application/xml", x.base, x.len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(&x);
}

static void lu_mark(lu_t *l, tn_slice_t key, const uint8_t *id)
{
    size_t n = TN_MIN(key.len, sizeof l->next_key_buf);
    memcpy(l->next_key_buf, key.base, n);
    l->next_key = (tn_slice_t){l->next_key_buf, n};
    if (id != NULL)
        tn_hex_encode(l->next_id, id, 16);
    else
        memset(l->next_id, 0, sizeof l->next_id);
    l->next_id[id != NULL ? GW_MPU_ID_HEX : 0] = '\0';
}

static void on_lu_page(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    lu_t *l = arg;
    gw_req_t *r = l->m.o.r;
    if (r == NULL) {
        gw_opref_done(l);
        return;
    }
    if (err != 0) {
        gw_send_cluster_error(r, err);
        gw_opref_done(l);
        return;
    }
    int skipped_to = 0;
    for (size_t i = 0; i < n && !l->truncated && !skipped_to; i++) {
        tn_slice_t key;
        const uint8_t *id;
        l->lu_after_len = e[i].key.len;
        memcpy(l->lu_after, e[i].key.base, e[i].key.len);
        if (gw_mpu_upload_key_split((const uint8_t *)e[i].key.base, e[i].key.len, &key, &id) !=
                TN_OK ||
            (e[i].flags & TN_ROW_TOMBSTONE))
            continue;
        gw_mpu_upload_t u;
        gw_objmeta_t *t = &l->m.tmpl;
        if (gw_mpu_upload_decode(e[i].value.base, e[i].value.len, &u) != TN_OK ||
            gw_objmeta_decode(u.meta.base, u.meta.len, t) != TN_OK || u.state != GW_MPU_ACTIVE)
            continue;
        /* common prefix? */
        if (l->delim.len > 0 && key.len >= l->prefix.len + l->delim.len) {
            const char *rest = key.base + l->prefix.len;
            size_t rl = key.len - l->prefix.len;
            const char *d = memmem(rest, rl, l->delim.base, l->delim.len);
            if (d != NULL) {
                size_t cpl = (size_t)(d - key.base) + l->delim.len;
                if (l->count == l->max) {
                    l->truncated = 1;
                    break;
                }
                s3_xml_open(&l->cps, "CommonPrefixes");
                lu_key_elem(l, &l->cps, "Prefix", key.base, cpl);
                s3_xml_close(&l->cps, "CommonPrefixes");
                l->count++;
                lu_mark(l, (tn_slice_t){key.base, cpl}, NULL);
                /* skip every key under the prefix: cp || 0xff (no UTF-8 byte is 0xff) */
                if (cpl + 1 <= sizeof l->lu_after) {
                    memcpy(l->lu_after, key.base, cpl);
                    l->lu_after[cpl] = 0xff;
                    l->lu_after_len = cpl + 1;
                    skipped_to = 1;
                }
                continue;
            }
        }
        if (l->count == l->max) {
            l->truncated = 1;
            break;
        }
        char idh[GW_MPU_ID_HEX + 1], date[40];
        tn_hex_encode(idh, id, 16);
        tn_time_format_iso_ms((int64_t)u.initiated_ms, date);
        s3_xml_open(&l->ups, "Upload");
        lu_key_elem(l, &l->ups, "Key", key.base, key.len);
        s3_xml_elem(&l->ups, "UploadId", idh, GW_MPU_ID_HEX);
        owner_xml(&l->ups, "Initiator", u.initiator);
        owner_xml(&l->ups, "Owner", (tn_slice_t){l->m.bucket.owner, strlen(l->m.bucket.owner)});
        s3_xml_elem_str(&l->ups, "StorageClass", "STANDARD");
        s3_xml_elem_str(&l->ups, "Initiated", date);
        if (t->cksum_alg != S3_CKSUM_NONE) {
            s3_xml_elem_str(&l->ups, "ChecksumAlgorithm", s3_checksum_name(t->cksum_alg));
            s3_xml_elem_str(&l->ups, "ChecksumType",
                            t->cksum_type == GW_CKTYPE_COMPOSITE ? "COMPOSITE" : "FULL_OBJECT");
        }
        s3_xml_close(&l->ups, "Upload");
        l->count++;
        lu_mark(l, key, id);
    }
    if (!l->truncated && ((more && n > 0) || skipped_to)) {
        lu_next(&l->m);
        gw_opref_done(l);
        return;
    }
    lu_answer(l);
    gw_opref_done(l);
}

static void lu_next(mp_t *m)
{
    lu_t *l = (lu_t *)m;
    gw_req_t *r = m->o.r;
    m->o.refs++;
    int rc = gw_cl_row_list(r->thread->osd, m->ipool, m->ipg, gw_mpu_ns_uploads(m->bucket.id),
                            l->prefix.base, l->prefix.len, l->lu_after, l->lu_after_len, LIST_PAGE,
                            on_lu_page, m);
    if (rc != 0) {
        m->o.refs--;
        gw_send_cluster_error(r, rc);
    }
}

static void lu_go(mp_t *m)
{
    lu_next(m);
    gw_opref_done(m);
}

void gw_op_list_multipart_uploads(gw_req_t *r)
{
    int64_t max = param_uint(r, "max-uploads", 1000);
    if (max < 0) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                          "Provided max-uploads not an integer or within integer range");
        return;
    }
    const s3_param_t *et = s3_route_param(&r->route, "encoding-type");
    if (et != NULL && !(et->value.len == 3 && memcmp(et->value.base, "url", 3) == 0)) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                          "Invalid Encoding Method specified in Request");
        return;
    }
    if (!has_cluster(r))
        return;
    lu_t *l = gw_opref_new(r, sizeof *l);
    if (l == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    l->m.o.cleanup = lu_cleanup;
    s3_buf_init(&l->ups, 16u << 20);
    s3_buf_init(&l->cps, 16u << 20);
    l->max = (uint32_t)TN_MIN(max, 1000);
    l->url = et != NULL;
    const s3_param_t *p = s3_route_param(&r->route, "prefix");
    if (p != NULL)
        l->prefix = p->value;
    p = s3_route_param(&r->route, "delimiter");
    if (p != NULL)
        l->delim = p->value;
    const s3_param_t *km = s3_route_param(&r->route, "key-marker");
    const s3_param_t *um = s3_route_param(&r->route, "upload-id-marker");
    if (km != NULL && km->value.len > 0 && km->value.len <= GW_MPU_KEY_MAX) {
        uint8_t id[16];
        memset(id, 0xff, 16);
        if (um != NULL && um->value.len > 0 &&
            gw_mpu_id_parse(um->value.base, um->value.len, id) != TN_OK)
            memset(id, 0xff, 16);
        l->lu_after_len = gw_mpu_upload_key(l->lu_after, km->value.base, km->value.len, id);
        /* a common prefix as marker: skip everything under it */
        if (l->delim.len > 0 && (um == NULL || um->value.len == 0) &&
            km->value.len >= l->delim.len &&
            memcmp(km->value.base + km->value.len - l->delim.len, l->delim.base, l->delim.len) ==
                0) {
            memcpy(l->lu_after, km->value.base, km->value.len);
            l->lu_after[km->value.len] = 0xff;
            l->lu_after_len = km->value.len + 1;
        }
    }
    mp_lookup(&l->m, lu_go);
}
