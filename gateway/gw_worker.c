/* gw_worker.c — worker threads for CPU-bound jobs, completions back to the loop (gw_worker.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include "tern.h"
#include "gw_worker.h"

static void *worker_main(void *arg)
{
    gw_workers_t *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->cond, &w->lock);
        gw_job_t *job = w->head;
        if (job == NULL) { /* stopping and drained */
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        w->head = job->next;
        if (w->head == NULL)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        job->run(job);
        h2o_multithread_send_message(job->reply_to, &job->super);
    }
}

int gw_workers_start(gw_workers_t *w, size_t n)
{
    *w = (gw_workers_t){0};
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if ((w->tids = calloc(n, sizeof *w->tids)) == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = pthread_create(&w->tids[i], NULL, worker_main, w);
        if (rc != 0) {
            gw_workers_stop(w);
            return -rc;
        }
        w->n++;
    }
    return TN_OK;
}

void gw_workers_stop(gw_workers_t *w)
{
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < w->n; i++)
        pthread_join(w->tids[i], NULL);
    free(w->tids);
    w->tids = NULL;
    w->n = 0;
}

void gw_job_init(gw_job_t *job)
{
    job->super.link = (h2o_linklist_t){NULL, NULL};
    pthread_mutex_init(&job->lock, NULL);
    job->cancelled = 0;
    job->next = NULL;
    job->reply_to = NULL;
}

void gw_job_dispose(gw_job_t *job)
{
    pthread_mutex_destroy(&job->lock);
}

void gw_workers_submit(gw_workers_t *w, gw_job_t *job, h2o_multithread_receiver_t *reply_to)
{
    job->reply_to = reply_to;
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail != NULL)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void gw_job_cancel(gw_job_t *job)
{
    pthread_mutex_lock(&job->lock);
    job->cancelled = 1;
    pthread_mutex_unlock(&job->lock);
}

int gw_job_slice_begin(gw_job_t *job)
{
    pthread_mutex_lock(&job->lock);
    if (job->cancelled) {
        pthread_mutex_unlock(&job->lock);
        return -1;
    }
    return 0;
}

void gw_job_slice_end(gw_job_t *job)
{
    pthread_mutex_unlock(&job->lock);
}

static void on_jobs_done(h2o_multithread_receiver_t *r, h2o_linklist_t *messages)
{
    (void)r;
    while (!h2o_linklist_is_empty(messages)) {
        gw_job_t *job = H2O_STRUCT_FROM_MEMBER(gw_job_t, super.link, messages->next);
        h2o_linklist_unlink(&job->super.link);
        job->done(job);
    }
}

void gw_worker_receiver_init(h2o_multithread_queue_t *queue, h2o_multithread_receiver_t *r)
{
    h2o_multithread_register_receiver(queue, r, on_jobs_done);
}
