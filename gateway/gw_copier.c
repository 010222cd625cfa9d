/* gw_copier.c — server-side range copy into new chunk blobs (see gw_copier.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tn_endian.h"
#include "tn_log.h"
#include "gw_copier.h"
#include "gw_server.h"

struct gw_copier_chunk {
    gw_copier_t *c;
    uint8_t *buf;
    uint32_t idx;
    size_t len, fill;
};

int gw_data_ref(tn_blobref_t *ref, const uint8_t vid[16], uint32_t i, gw_server_t *s)
{
    uint8_t name[20];
    memcpy(name, vid, 16);
    tn_put_le32(name + 16, i);
    memset(ref, 0, sizeof *ref);
    int rc = gw_bucket_place(s, "data", name, sizeof name, &ref->pool, &ref->pg);
    memcpy(ref->version, vid, 16);
    ref->part = i;
    return rc;
}

static gw_req_t *op_req(gw_copier_t *c)
{
    return ((gw_opref_t *)c->op)->r;
}

static void op_ref(gw_copier_t *c)
{
    ((gw_opref_t *)c->op)->refs++;
}

static void copier_fail(gw_copier_t *c, int err)
{
    if (c->failed || c->finished)
        return;
    c->failed = 1;
    c->done(c->op, err);
}

static void copier_pump(gw_copier_t *c);

static void on_chunk_released(void *arg)
{
    gw_copier_chunk_t *k = arg;
    void *op = k->c->op;
    gw_thread_chunk_put(k->c->thread, k->buf, k->len);
    free(k);
    gw_opref_done(op);
}

static void on_chunk_written(void *arg, int err)
{
    gw_copier_chunk_t *k = arg;
    gw_copier_t *c = k->c;
    c->inflight--;
    c->ndone++;
    gw_budget_give(c->budget, k->len); /* lagging replicas: GW_CL_PUT_LAG_TOTAL bounds them */
    if (err != 0) {
        tn_log_warn("msg=\"copy: chunk write failed\" err=%d", err);
        copier_fail(c, err);
    }
    copier_pump(c);
}

static void send_chunk(gw_copier_t *c)
{
    gw_req_t *r = op_req(c);
    gw_copier_chunk_t *k = c->cur;
    c->cur = NULL;
    tn_blobref_t ref;
    int rc = gw_data_ref(&ref, c->vid, k->idx, r->thread->server);
    op_ref(c);
    c->inflight++;
    if (rc == TN_OK)
        rc = gw_cl_blob_put(r->thread->osd, &ref, k->buf, k->len, on_chunk_written,
                            on_chunk_released, k);
    if (rc != 0) {
        c->inflight--;
        gw_thread_chunk_put(c->thread, k->buf, k->len);
        gw_budget_give(c->budget, k->len);
        free(k);
        ((gw_opref_t *)c->op)->refs--;
        copier_fail(c, rc);
    }
}

static void on_piece(void *arg, uint64_t blob_len, uint64_t off, const void *data, size_t len)
{
    (void)blob_len;
    (void)off;
    gw_copier_t *c = arg;
    gw_copier_chunk_t *k = c->cur;
    if (k != NULL && k->fill + c->piece_got + len <= k->len) {
        memcpy(k->buf + k->fill + c->piece_got, data, len);
        c->piece_got += len;
    }
}

static void on_piece_done(void *arg, int err, uint64_t delivered)
{
    gw_copier_t *c = arg;
    void *op = c->op;
    gw_copier_chunk_t *k = c->cur;
    c->reading = 0;
    if (err == 0 && (delivered != c->piece_got || k == NULL))
        err = TN_ERR_CORRUPT;
    if (err != 0) {
        tn_log_warn("msg=\"copy: source read failed\" err=%d", err);
        copier_fail(c, err);
    } else {
        s3_multihash_update(&c->h, k->buf + k->fill, c->piece_got);
        k->fill += c->piece_got;
        c->pos += c->piece_got;
        copier_pump(c);
    }
    gw_opref_done(op);
}

/* Fills the current chunk: inline data at once (0), else starts one blob read (1). */
static int fill(gw_copier_t *c)
{
    gw_req_t *r = op_req(c);
    gw_copier_chunk_t *k = c->cur;
    if (c->src->is_inline) {
        size_t n = k->len - k->fill;
        memcpy(k->buf + k->fill, c->src_inl + c->pos, n);
        s3_multihash_update(&c->h, k->buf + k->fill, n);
        k->fill += n;
        c->pos += n;
        return 0;
    }
    gw_objloc_t loc;
    gw_objmeta_locate(c->src, c->src->is_multipart ? c->src_inl : NULL, c->pos, &loc);
    uint64_t n = TN_MIN(loc.avail, TN_MIN((uint64_t)GW_COPIER_PIECE, (uint64_t)(k->len - k->fill)));
    tn_blobref_t ref;
    int rc = gw_data_ref(&ref, loc.vid, loc.chunk, r->thread->server);
    c->piece_got = 0;
    c->reading = 1;
    op_ref(c);
    if (rc == TN_OK)
        rc = gw_cl_blob_get(r->thread->osd, &ref, loc.coff, n, on_piece, on_piece_done, c);
    if (rc != 0) {
        ((gw_opref_t *)c->op)->refs--;
        c->reading = 0;
        copier_fail(c, rc);
    }
    return 1;
}

static void on_budget_tick(h2o_timeout_entry_t *te)
{
    gw_copier_t *c = H2O_STRUCT_FROM_MEMBER(gw_copier_t, te, te);
    void *op = c->op;
    copier_pump(c);
    gw_opref_done(op);
}

/* The budget granted the next chunk's bytes (maybe inside gw_budget_give, even inside this
 * copier's own gw_budget_take): pump on the next loop turn. */
static void on_copier_budget(gw_budget_wait_t *w)
{
    gw_copier_t *c = H2O_STRUCT_FROM_MEMBER(gw_copier_t, wait, w);
    gw_req_t *r = op_req(c);
    if (r == NULL || c->failed || c->finished) {
        gw_budget_give(c->budget, w->want);
    } else {
        c->granted = w->want;
        if (!h2o_timeout_is_linked(&c->te)) {
            op_ref(c);
            c->te.cb = on_budget_tick;
            h2o_timeout_link(r->thread->loop, &r->thread->zero_timeout, &c->te);
        }
    }
    gw_opref_done(c->op); /* the wait's reference */
}

static void copier_pump(gw_copier_t *c)
{
    if (c->failed || c->finished || c->reading || h2o_timeout_is_linked(&c->te))
        return;
    if (op_req(c) == NULL) {
        copier_fail(c, -ECANCELED);
        return;
    }
    for (;;) {
        if (c->ndone == c->nchunks) {
            c->finished = 1;
            uint8_t raw[S3_CKSUM_MAX_RAW];
            s3_checksum_final(&c->h.md5, raw);
            memcpy(c->md5, raw, 16);
            if (c->alg != S3_CKSUM_NONE)
                s3_checksum_final(&c->h.extra, c->cksum);
            c->done(c->op, 0);
            return;
        }
        if (c->cur == NULL) {
            if (c->next == c->nchunks || c->inflight >= GW_COPIER_INFLIGHT)
                return; /* on_chunk_written pumps again */
            uint64_t remaining = c->end - c->pos;
            size_t len = (size_t)TN_MIN((uint64_t)GW_OBJMETA_CHUNK, remaining);
            if (c->wait.queued)
                return; /* on_copier_budget pumps again */
            if (c->granted == 0) {
                op_ref(c); /* the wait's, or dropped at once */
                if (!gw_budget_take(c->budget, len, &c->wait))
                    return; /* on_copier_budget pumps again */
                c->granted = len;
                ((gw_opref_t *)c->op)->refs--;
            }
            gw_copier_chunk_t *k = calloc(1, sizeof *k);
            uint8_t *buf = gw_thread_chunk_get(c->thread, len);
            if (k == NULL || buf == NULL) {
                free(k);
                gw_thread_chunk_put(c->thread, buf, len);
                copier_fail(c, -ENOMEM);
                return;
            }
            c->granted = 0; /* the chunk owns the bytes now */
            k->c = c;
            k->buf = buf;
            k->idx = c->next++;
            k->len = len;
            c->cur = k;
        }
        if (c->cur->fill < c->cur->len && fill(c))
            return; /* on_piece_done pumps again */
        if (c->failed)
            return;
        if (c->cur->fill == c->cur->len) {
            send_chunk(c);
            if (c->failed)
                return;
        }
    }
}

int gw_copier_start(gw_copier_t *c, void *op, const gw_objmeta_t *src, const uint8_t *src_inl,
                    uint64_t pos, uint64_t end, s3_cksum_alg_t alg, const uint8_t vid[16],
                    gw_copier_cb done)
{
    memset(c, 0, sizeof *c);
    if (end < pos || end > src->size || ((gw_opref_t *)op)->r == NULL)
        return -EINVAL;
    if (s3_multihash_init(&c->h, 1, alg, 0) != TN_OK)
        return -ENOMEM;
    c->h_init = 1;
    c->op = op;
    c->done = done;
    c->src = src;
    c->src_inl = src_inl;
    c->pos = pos;
    c->end = end;
    c->alg = alg;
    c->thread = ((gw_opref_t *)op)->r->thread;
    c->budget = &c->thread->chunk_budget;
    c->wait.granted = on_copier_budget;
    memcpy(c->vid, vid, 16);
    c->nchunks = (uint32_t)((end - pos + GW_OBJMETA_CHUNK - 1) / GW_OBJMETA_CHUNK);
    copier_pump(c);
    return 0;
}

void gw_copier_free(gw_copier_t *c)
{
    if (c->h_init)
        s3_multihash_free(&c->h);
    c->h_init = 0;
    if (c->cur != NULL) {
        gw_thread_chunk_put(c->thread, c->cur->buf, c->cur->len);
        gw_budget_give(c->budget, c->cur->len);
        free(c->cur);
        c->cur = NULL;
    }
    if (c->granted > 0) {
        gw_budget_give(c->budget, c->granted);
        c->granted = 0;
    }
}
