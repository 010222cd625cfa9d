/* gw_payload.c — the payload stage: plan, one decode+hash pass (inline, on a worker, or in
 * loop slices) and the results on gw_req_t (gw_payload.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include "tn_log.h"
#include "s3_body.h"
#include "gw_payload.h"
#include "gw_server.h"

typedef struct {
    gw_job_t job;
    gw_req_t *r; /* NULL once the request is gone */
    s3_body_t body;
    h2o_timeout_entry_t te; /* on-loop mode (HTTP/2): next slice */
    int on_loop;
    int running; /* submitted, done() not yet run */
    void (*done)(gw_req_t *r, const s3_why_t *why);
    /* early dispatch (gw_payload_await): r->payload_pending points here */
    int early, finished;
    s3_why_t why; /* finished: the verdict */
    void (*await_cb)(void *arg, const s3_why_t *why);
    void *await_arg;
} pass_t;

static void free_pass(pass_t *p)
{
    if (h2o_timeout_is_linked(&p->te))
        h2o_timeout_unlink(&p->te);
    s3_body_free(&p->body);
    gw_job_dispose(&p->job);
    free(p);
}

static void run_pass(gw_job_t *job_)
{
    pass_t *p = (pass_t *)job_;
    int done = 0;
    while (!done) {
        if (gw_job_slice_begin(&p->job) != 0)
            return; /* cancelled */
        s3_body_step(&p->body, GW_PAYLOAD_SLICE, &done);
        gw_job_slice_end(&p->job);
    }
}

/* Loop thread: the request is disposed (client gone or response finished). */
static void on_req_gone(void *data)
{
    pass_t *p = data;
    p->r = NULL;
    if (p->running && !p->on_loop) {
        gw_job_cancel(&p->job); /* waits for a running slice (HTTP/1 body freed next) */
        return;                 /* pass_done frees the pass */
    }
    free_pass(p);
}

/* The verdict, and the results on r. */
static void finish(gw_req_t *r, s3_body_t *b, s3_why_t *why)
{
    s3_body_result_t res;
    if (s3_body_finish(b, &res, why) != S3_OK)
        return;
    r->body = (tn_slice_t){(const char *)b->buf, res.len};
    r->has_md5 = res.has_md5;
    memcpy(r->body_md5, res.md5, 16);
    r->cksum_alg = res.cksum_alg;
    memcpy(r->cksum, res.cksum, sizeof r->cksum);
}

static void pass_done(gw_job_t *job_)
{
    pass_t *p = (pass_t *)job_;
    p->running = 0;
    gw_req_t *r = p->r;
    if (r == NULL) {
        free_pass(p);
        return;
    }
    s3_why_t why;
    finish(r, &p->body, &why);
    if (why.err == S3_ERR_INTERNAL_ERROR)
        tn_log_error("msg=\"request body pass failed\" id=%s why=\"%s\"", r->id,
                     s3_why_message(&why));
    if (p->early) {
        if (p->await_cb == NULL) { /* the operation asks later: keep the verdict */
            p->why = why;
            p->finished = 1;
            return;
        }
        void (*cb)(void *, const s3_why_t *) = p->await_cb;
        void *arg = p->await_arg;
        r->payload_pending = NULL;
        free_pass(p);
        cb(arg, &why);
        return;
    }
    gw_req_set_cancel(r, NULL, NULL);
    void (*done)(gw_req_t *, const s3_why_t *) = p->done;
    free_pass(p);
    done(r, &why);
}

/* HTTP/2: one slice on the loop thread, then yield to other connections. */
static void on_loop_slice(h2o_timeout_entry_t *te)
{
    pass_t *p = H2O_STRUCT_FROM_MEMBER(pass_t, te, te);
    int done = 0;
    s3_body_step(&p->body, GW_PAYLOAD_LOOP_SLICE, &done);
    if (!done) {
        h2o_timeout_link(p->r->thread->ctx.loop, &p->r->thread->zero_timeout, &p->te);
        return;
    }
    pass_done(&p->job);
}

static int plan_flags(const gw_req_t *r)
{
    if (r->route.op == S3_OP_PUT_OBJECT || r->route.op == S3_OP_UPLOAD_PART)
        return S3_BODY_STORES_DATA;
    if (r->route.op == S3_OP_COMPLETE_MULTIPART_UPLOAD)
        return S3_BODY_OBJECT_CKSUM; /* checked by CompleteMultipartUpload (gw_op_multipart.c) */
    return 0;
}

/* aws-chunked: what is stored as Content-Encoding is the header without "aws-chunked". */
static void strip_aws_chunked(gw_req_t *r)
{
    if (r->content_encoding.base == NULL)
        return;
    char *out = h2o_mem_alloc_pool(&r->req->pool, r->content_encoding.len + 1);
    size_t n = s3_body_content_encoding(r->content_encoding.base, r->content_encoding.len, out);
    out[n] = '\0';
    r->content_encoding = n > 0 ? (tn_slice_t){out, n} : (tn_slice_t){NULL, 0};
}

void gw_payload_run(gw_req_t *r, void (*done)(gw_req_t *r, const s3_why_t *why))
{
    s3_why_t why;
    s3_body_plan_t plan;
    const gw_auth_result_t *a = &r->auth;
    if (s3_body_plan(a->sreq.headers, a->sreq.n_headers, a->payload, a->payload_hash, r->body.len,
                     plan_flags(r), &plan, &why) != S3_OK) {
        done(r, &why);
        return;
    }
    if (plan.streaming)
        strip_aws_chunked(r);
    if (!s3_body_plan_needs_pass(&plan)) {
        done(r, &why);
        return;
    }
    pass_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        s3_why_set(&why, S3_ERR_INTERNAL_ERROR, NULL);
        done(r, &why);
        return;
    }
    gw_job_init(&p->job);
    s3_body_keys_t keys = {
        a->signing_key, a->sig.amz_date, {a->sig.scope, a->sig.scope_len}, a->sig.signature};
    /* h2o's entity buffer is ours to write until the request is disposed */
    if (s3_body_init(&p->body, &plan, &keys, (uint8_t *)r->body.base, r->body.len) != TN_OK) {
        free_pass(p);
        s3_why_set(&why, S3_ERR_INTERNAL_ERROR, NULL);
        done(r, &why);
        return;
    }
    if (r->body.len <= GW_REQ_INLINE_HASH_MAX) {
        int fin = 0;
        s3_body_step(&p->body, r->body.len + 1, &fin);
        finish(r, &p->body, &why);
        free_pass(p);
        done(r, &why);
        return;
    }
    p->job.run = run_pass;
    p->job.done = pass_done;
    p->r = r;
    p->done = done;
    p->running = 1;
    p->te.cb = on_loop_slice;
    if (r->route.op == S3_OP_PUT_OBJECT && !plan.streaming && r->req->version < 0x200) {
        p->early = 1;
        r->payload_pending = p; /* the dispose hook is gw_payload_gone: the op takes cancel */
        gw_workers_submit(&r->thread->server->workers, &p->job, &r->thread->job_recv);
        s3_why_set(&why, S3_OK, NULL);
        done(r, &why);
        return;
    }
    gw_req_set_cancel(r, on_req_gone, p);
    if (r->req->version >= 0x200) {
        /* HTTP/2: h2o frees the body before disposing the request, so no worker may touch
         * it; run the slices on the loop instead. */
        p->on_loop = 1;
        h2o_timeout_link(r->thread->ctx.loop, &r->thread->zero_timeout, &p->te);
        return;
    }
    gw_workers_submit(&r->thread->server->workers, &p->job, &r->thread->job_recv);
}

int gw_payload_await(gw_req_t *r, void (*cb)(void *arg, const s3_why_t *why), void *arg,
                     s3_why_t *why)
{
    pass_t *p = r->payload_pending;
    if (p == NULL) {
        s3_why_set(why, S3_OK, NULL);
        return 1;
    }
    if (p->finished) {
        *why = p->why;
        r->payload_pending = NULL;
        free_pass(p);
        return 1;
    }
    p->await_cb = cb;
    p->await_arg = arg;
    return 0;
}

void gw_payload_gone(gw_req_t *r)
{
    pass_t *p = r->payload_pending;
    r->payload_pending = NULL;
    void (*cb)(void *, const s3_why_t *) = p->await_cb;
    void *arg = p->await_arg;
    p->await_cb = NULL;
    on_req_gone(p); /* cancels a running slice and frees the pass, now or in pass_done */
    if (cb != NULL)
        cb(arg, NULL);
}
