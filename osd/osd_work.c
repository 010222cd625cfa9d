/*
 * osd_work.c — this file implements the worker pool of osd_work.h: a mutex-protected FIFO of
 * jobs, n threads that run them, and delivery of finished jobs to the event loop.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include "osd_work.h"
#include "tn_log.h"

struct st_osd_work_t {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    osd_job_t *head, *tail;
    unsigned pending; /* queued + running */
    int stopping;
    osd_idx_t *idx;
    h2o_multithread_receiver_t *recv;
    unsigned n_threads;
    pthread_t *threads;
};

static void *worker_main(void *arg)
{
    osd_work_t *w = arg;
    osd_wctx_t ctx = {NULL};
    if (w->idx != NULL) {
        int rc = osd_idx_reader_open(w->idx, &ctx.rd);
        if (rc != 0)
            tn_log_error("msg=\"worker cannot open an index reader\" err=\"%s\"", tn_strerror(rc));
    }
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->head == NULL)
            break;
        osd_job_t *job = w->head;
        w->head = job->next_;
        if (w->head == NULL)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        if (job->run != NULL)
            job->run(job, &ctx);
        h2o_multithread_send_message(w->recv, &job->msg);
        pthread_mutex_lock(&w->lock);
        w->pending--;
    }
    pthread_mutex_unlock(&w->lock);
    osd_idx_reader_close(ctx.rd);
    return NULL;
}

int osd_work_create(unsigned n, osd_idx_t *idx, h2o_multithread_receiver_t *recv, osd_work_t **out)
{
    osd_work_t *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    w->threads = calloc(n ? n : 1, sizeof(pthread_t));
    if (w->threads == NULL) {
        free(w);
        return -ENOMEM;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->idx = idx;
    w->recv = recv;
    for (unsigned i = 0; i < n; i++) {
        int rc = pthread_create(&w->threads[i], NULL, worker_main, w);
        if (rc != 0) {
            osd_work_destroy(w);
            return -rc;
        }
        w->n_threads++;
    }
    *out = w;
    return 0;
}

void osd_work_submit(osd_work_t *w, osd_job_t *job)
{
    job->next_ = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail != NULL)
        w->tail->next_ = job;
    else
        w->head = job;
    w->tail = job;
    w->pending++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void osd_work_complete(osd_work_t *w, osd_job_t *job)
{
    h2o_multithread_send_message(w->recv, &job->msg);
}

unsigned osd_work_pending(osd_work_t *w)
{
    pthread_mutex_lock(&w->lock);
    unsigned n = w->pending;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void osd_work_on_messages(h2o_multithread_receiver_t *recv, h2o_linklist_t *messages)
{
    (void)recv;
    while (!h2o_linklist_is_empty(messages)) {
        osd_job_t *job = H2O_STRUCT_FROM_MEMBER(osd_job_t, msg.link, messages->next);
        h2o_linklist_unlink(&job->msg.link);
        job->done(job);
    }
}

void osd_work_destroy(osd_work_t *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < w->n_threads; i++)
        pthread_join(w->threads[i], NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w->threads);
    free(w);
}
