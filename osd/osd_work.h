/*
 * osd_work.h — the daemon's worker pool: blocking disk work (blob files, SQLite reads) runs on a
 * few worker threads, never on the event loop; completions come back to the loop thread through
 * an h2o multithread receiver.
 *
 * A job is embedded in the caller's request. osd_work_submit() queues it; a worker calls
 * job->run(job, ctx) (ctx holds that thread's index reader), then hands the job to the loop,
 * where the receiver calls job->done(job). Jobs run in submission order but concurrently:
 * a caller that needs strict order (the pieces of one blob stream) submits the next job only
 * after the previous one's done() ran. osd_work_complete() hands a job straight to the loop
 * (used by the index writer's callbacks). The pool owns no job: done() releases it.
 */
#ifndef OSD_WORK_H
#define OSD_WORK_H

#include <h2o/multithread.h>
#include "osd_index.h"

typedef struct st_osd_work_t osd_work_t;
typedef struct st_osd_job_t osd_job_t;

/* Per worker thread state passed to run(). rd is NULL if the reader could not be opened (the
 * job must then fail its index reads with -EIO). */
typedef struct {
    osd_idx_reader_t *rd;
} osd_wctx_t;

struct st_osd_job_t {
    h2o_multithread_message_t msg;                /* private: link to the loop's queue */
    osd_job_t *next_;                             /* private: link in the pool's queue */
    void (*run)(osd_job_t *job, osd_wctx_t *ctx); /* worker thread; NULL = nothing to run */
    void (*done)(osd_job_t *job);                 /* loop thread */
};

/* Starts n worker threads, each with its own index reader (idx may be NULL in tests).
 * Completions go to recv, which must have been registered with osd_work_on_messages as its
 * callback. 0, -ENOMEM or -errno from pthread_create. */
int osd_work_create(unsigned n, osd_idx_t *idx, h2o_multithread_receiver_t *recv, osd_work_t **out);
/* Queues job for a worker. Thread-safe. */
void osd_work_submit(osd_work_t *w, osd_job_t *job);
/* Hands job to the loop thread (its done() runs there). Thread-safe. */
void osd_work_complete(osd_work_t *w, osd_job_t *job);
/* Jobs queued or running on workers. */
unsigned osd_work_pending(osd_work_t *w);
/* The receiver callback: runs done() of every delivered job. */
void osd_work_on_messages(h2o_multithread_receiver_t *recv, h2o_linklist_t *messages);
/* Lets the workers finish the queue, joins them and frees the pool. Completions already sent
 * are delivered only if the loop runs again. NULL is a no-op. */
void osd_work_destroy(osd_work_t *w);

#endif
