/*
 * osd_thread.h — what the OSD's background threads (repair: osd_recovery.c; garbage
 * collection: osd_gc.c) share: the clocks they read, and the lock + condition + stop flag that
 * a thread sleeps on between turns and that its owner uses to stop it.
 *
 * Pattern: the owner initializes an osd_thread_sync_t, starts its thread(s), and at the end
 * calls osd_thread_stop (sets the flag, wakes every waiter), joins, then destroys it. A thread
 * loops while !osd_thread_stopping, and sleeps with osd_thread_wait_ms (lock held) when it
 * has nothing to do; a kick is a flag set under the lock plus osd_thread_wake.
 */
#ifndef OSD_THREAD_H
#define OSD_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* CLOCK_REALTIME in ms (wall clock: row times, HLC input). */
uint64_t osd_clock_wall_ms(void);
/* CLOCK_MONOTONIC in ns and ms (intervals, schedules). */
uint64_t osd_clock_mono_ns(void);
uint64_t osd_clock_mono_ms(void);

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    _Atomic int stopping;
} osd_thread_sync_t;

void osd_thread_sync_init(osd_thread_sync_t *s);
void osd_thread_sync_destroy(osd_thread_sync_t *s);
/* Sets the stop flag and wakes every waiter (takes the lock). */
void osd_thread_stop(osd_thread_sync_t *s);
static inline int osd_thread_stopping(osd_thread_sync_t *s)
{
    return atomic_load(&s->stopping);
}
/* Wakes every waiter; the caller holds the lock (after changing what they wait for). */
void osd_thread_wake(osd_thread_sync_t *s);
/* With the lock held: waits until woken or ms pass, unless stopping (then returns at once). */
void osd_thread_wait_ms(osd_thread_sync_t *s, unsigned ms);

#endif
