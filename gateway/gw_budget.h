/*
 * gw_budget.h — a loop thread's budget of chunk-buffer bytes: the memory PutObject,
 * UploadPart and the copier (CopyObject, UploadPartCopy) hold in chunk copies between
 * filling a chunk and the moment its write reached quorum. (After quorum a copy lives on only
 * for lagging replicas, bounded by the replication layer: GW_CL_PUT_LAG_TOTAL per thread.
 * Counting those here let a frozen OSD, whose requests hold their copies until they time
 * out, hold the budget and stall every PUT of the thread.)
 *
 * Why: h2o 2.2.5 hands the handler the whole body (LIBS.md), and every chunk a PUT sends is
 * copied out of it first, so a replica write never reads memory of a client that went away.
 * Without a bound, N concurrent large PUTs held N x (chunks in flight) x 4 MiB (64 uploads of
 * 64 MiB: 1 GiB of RssAnon, docs/BENCHMARKS.md). With it, a request that finds the budget
 * spent waits (FIFO) for bytes to come back: back-pressure, never an error. A request whose
 * chunk is larger than the whole budget still runs, alone (the budget is then exceeded by
 * that one chunk), so nothing can wait forever.
 *
 * PURE bookkeeping, no I/O, one thread (the loop's): gw_budget_take either takes the bytes
 * at once (1) or queues the caller's waiter (0); gw_budget_give returns bytes and grants
 * queued waiters in order while they fit, calling granted(w) with the bytes already taken.
 * granted may run inside gw_budget_give (from whatever callback returned the bytes, even
 * before gw_budget_take returned 0 when the pressure hook returned bytes), so it should only
 * record the grant and schedule the waiter's next step.
 *
 * Pressure hook (optional, unused by the gateway today): when a waiter queues,
 * on_pressure(arg) runs once, e.g. to make holders give bytes back.
 */
#ifndef GW_BUDGET_H
#define GW_BUDGET_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_budget_wait gw_budget_wait_t;
struct gw_budget_wait {
    gw_budget_wait_t *next;
    size_t want;
    int queued;
    void (*granted)(gw_budget_wait_t *w); /* the bytes are taken: go on */
};

typedef struct {
    size_t limit;
    size_t used;
    size_t peak;     /* highest used (stats, tests) */
    uint64_t waits;  /* takes that had to wait */
    size_t nwaiting; /* waiters queued now */
    gw_budget_wait_t *head, *tail;
    void (*on_pressure)(void *arg); /* optional */
    void *pressure_arg;
} gw_budget_t;

void gw_budget_init(gw_budget_t *b, size_t limit);
/* Takes n bytes now (1) when no one waits and they fit (or nothing is taken at all), else
 * queues w (0): w->granted runs later with the bytes taken. w must stay valid until then. */
int gw_budget_take(gw_budget_t *b, size_t n, gw_budget_wait_t *w);
/* Returns n bytes taken earlier; grants queued waiters that now fit, in order. */
void gw_budget_give(gw_budget_t *b, size_t n);

#endif
