/* gw_payload.c — x-amz-content-sha256 verification, inline or on a worker (gw_payload.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "tn_hex.h"
#include "tn_log.h"
#include "gw_payload.h"
#include "gw_server.h"

#define SLICE (4u << 20)

typedef struct {
    gw_job_t job;
    gw_req_t *r;         /* NULL once the request is gone */
    const uint8_t *data; /* the body */
    size_t len;
    EVP_MD_CTX *md;         /* on-loop mode (HTTP/2): digest in progress */
    size_t off;             /* on-loop mode: bytes hashed so far */
    h2o_timeout_entry_t te; /* on-loop mode: next slice */
    int running;            /* submitted, done() not yet run */
    int failed;             /* digest error */
    uint8_t digest[32];
    void (*done)(gw_req_t *r, s3_err_t err);
} hash_job_t;

static int hash_matches(const tn_slice_t *want, const uint8_t got[32])
{
    char hex[65];
    tn_hex_encode(hex, got, 32);
    return want->len == 64 && CRYPTO_memcmp(hex, want->base, 64) == 0;
}

static void run_hash(gw_job_t *job_)
{
    hash_job_t *j = (hash_job_t *)job_;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        j->failed = 1;
        EVP_MD_CTX_free(c);
        return;
    }
    for (size_t off = 0; off < j->len;) {
        size_t n = TN_MIN((size_t)SLICE, j->len - off);
        if (gw_job_slice_begin(&j->job) != 0) {
            EVP_MD_CTX_free(c);
            return; /* cancelled */
        }
        int ok = EVP_DigestUpdate(c, j->data + off, n);
        gw_job_slice_end(&j->job);
        if (ok != 1) {
            j->failed = 1;
            EVP_MD_CTX_free(c);
            return;
        }
        off += n;
    }
    unsigned int dl = 0;
    if (EVP_DigestFinal_ex(c, j->digest, &dl) != 1 || dl != 32)
        j->failed = 1;
    EVP_MD_CTX_free(c);
}

static void free_job(hash_job_t *j)
{
    if (h2o_timeout_is_linked(&j->te))
        h2o_timeout_unlink(&j->te);
    EVP_MD_CTX_free(j->md);
    gw_job_dispose(&j->job);
    free(j);
}

/* Loop thread: the request is disposed (client gone or response finished). */
static void on_req_gone(void *data)
{
    hash_job_t *j = data;
    j->r = NULL;
    if (j->running && j->md == NULL) {
        gw_job_cancel(&j->job); /* waits for a running slice (HTTP/1 body freed next) */
        return;                 /* done_hash frees the job */
    }
    free_job(j);
}

static void done_hash(gw_job_t *job_)
{
    hash_job_t *j = (hash_job_t *)job_;
    j->running = 0;
    gw_req_t *r = j->r;
    if (r == NULL) {
        free_job(j);
        return;
    }
    s3_err_t err = S3_OK;
    if (j->failed) {
        tn_log_error("msg=\"sha256 of request body failed\" id=%s", r->id);
        err = S3_ERR_INTERNAL_ERROR;
    } else if (!hash_matches(&r->auth.payload_hash, j->digest)) {
        err = S3_ERR_CONTENT_SHA256_MISMATCH;
    }
    gw_req_set_cancel(r, NULL, NULL);
    void (*done)(gw_req_t *, s3_err_t) = j->done;
    free_job(j);
    done(r, err);
}

/* HTTP/2: one slice on the loop thread, then yield to other connections. */
static void on_loop_slice(h2o_timeout_entry_t *te)
{
    hash_job_t *j = H2O_STRUCT_FROM_MEMBER(hash_job_t, te, te);
    size_t n = TN_MIN((size_t)SLICE, j->len - j->off);
    if (EVP_DigestUpdate(j->md, j->data + j->off, n) != 1) {
        j->failed = 1;
    } else {
        j->off += n;
        if (j->off < j->len) {
            h2o_timeout_link(j->r->thread->ctx.loop, &j->r->thread->zero_timeout, &j->te);
            return;
        }
        unsigned int dl = 0;
        if (EVP_DigestFinal_ex(j->md, j->digest, &dl) != 1 || dl != 32)
            j->failed = 1;
    }
    done_hash(&j->job);
}

void gw_payload_verify(gw_req_t *r, void (*done)(gw_req_t *r, s3_err_t err))
{
    if (r->auth.payload != S3_PAYLOAD_SHA256) {
        done(r, S3_OK);
        return;
    }
    if (r->body.len <= GW_REQ_INLINE_HASH_MAX) {
        uint8_t d[32];
        s3_sha256(r->body.base, r->body.len, d);
        done(r, hash_matches(&r->auth.payload_hash, d) ? S3_OK : S3_ERR_CONTENT_SHA256_MISMATCH);
        return;
    }
    hash_job_t *j = calloc(1, sizeof *j);
    if (j == NULL) {
        done(r, S3_ERR_INTERNAL_ERROR);
        return;
    }
    gw_job_init(&j->job);
    j->job.run = run_hash;
    j->job.done = done_hash;
    j->r = r;
    j->data = (const uint8_t *)r->body.base;
    j->len = r->body.len;
    j->done = done;
    j->running = 1;
    j->te.cb = on_loop_slice;
    gw_req_set_cancel(r, on_req_gone, j);
    if (r->req->version >= 0x200) {
        /* HTTP/2: h2o frees the body before disposing the request, so no worker may read
         * it; hash in slices on the loop instead. */
        j->md = EVP_MD_CTX_new();
        if (j->md == NULL || EVP_DigestInit_ex(j->md, EVP_sha256(), NULL) != 1) {
            gw_req_set_cancel(r, NULL, NULL);
            free_job(j);
            done(r, S3_ERR_INTERNAL_ERROR);
            return;
        }
        h2o_timeout_link(r->thread->ctx.loop, &r->thread->zero_timeout, &j->te);
        return;
    }
    gw_workers_submit(&r->thread->server->workers, &j->job, &r->thread->job_recv);
}
