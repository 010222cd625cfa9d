/*
 * gw_worker.h — a small pool of worker threads for CPU-bound work that must not run on an
 * event loop (hashing a multi-GiB request body, later MD5 ETags and checksums).
 *
 * A job is submitted from a loop thread; job->run() executes on some worker thread; then
 * job->done() runs back on the submitting loop thread, delivered as an h2o_multithread
 * message to the receiver given at submit time (each loop thread registers one receiver
 * with gw_worker_receiver_init). done() always runs, exactly once, also for a job that was
 * cancelled; it owns the job afterwards (usually frees it).
 *
 * Cancellation: the loop thread may call gw_job_cancel() at any time before done() ran
 * (e.g. the HTTP/2 stream was reset and the body the job reads is about to be freed).
 * run() must do its work in bounded slices, each inside gw_job_slice_begin()/_end(): once
 * gw_job_cancel() has returned, no slice is running or will start, so memory the job reads
 * can be released right after. gw_job_cancel() blocks for at most one slice.
 */
#ifndef GW_WORKER_H
#define GW_WORKER_H

#include <pthread.h>
#include <stddef.h>
#include <h2o.h>

typedef struct gw_job gw_job_t;

struct gw_job {
    h2o_multithread_message_t super;      /* first: carries the job back to the loop */
    void (*run)(gw_job_t *job);           /* worker thread */
    void (*done)(gw_job_t *job);          /* loop thread; owns the job afterwards */
    h2o_multithread_receiver_t *reply_to; /* set by gw_workers_submit */
    pthread_mutex_t lock;                 /* held while a slice runs */
    int cancelled;                        /* set under lock by gw_job_cancel */
    gw_job_t *next;                       /* queue link */
};

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    gw_job_t *head, *tail;
    pthread_t *tids;
    size_t n;
    int stopping;
} gw_workers_t;

/* Starts n (>= 1) worker threads. TN_OK or -errno. */
int gw_workers_start(gw_workers_t *w, size_t n);
/* Lets queued jobs finish, then joins the threads. Call only when no loop will submit. */
void gw_workers_stop(gw_workers_t *w);

/* Initializes the job's lock and flags (call before submit; run/done set by the caller). */
void gw_job_init(gw_job_t *job);
/* Destroys the job's lock (call from done() before freeing the job). */
void gw_job_dispose(gw_job_t *job);
/* Queues the job; done() will be delivered to reply_to (a receiver of the calling loop). */
void gw_workers_submit(gw_workers_t *w, gw_job_t *job, h2o_multithread_receiver_t *reply_to);
/* Loop thread: marks the job cancelled and waits for a running slice to end. */
void gw_job_cancel(gw_job_t *job);
/* Worker: returns 0 (slice may run, lock held) or -1 (cancelled: stop, nothing held). */
int gw_job_slice_begin(gw_job_t *job);
void gw_job_slice_end(gw_job_t *job);

/* Registers the completion receiver of one loop thread on its context queue. */
void gw_worker_receiver_init(h2o_multithread_queue_t *queue, h2o_multithread_receiver_t *r);

#endif
