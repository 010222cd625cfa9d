/*
 * osd_thread.c — this file implements the clocks and the stop/wake/wait helpers of the OSD's
 * background threads (osd_thread.h).
 */
#define _DEFAULT_SOURCE
#include <time.h>
#include "osd_thread.h"

uint64_t osd_clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t osd_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t osd_clock_mono_ms(void)
{
    return osd_clock_mono_ns() / 1000000u;
}

void osd_thread_sync_init(osd_thread_sync_t *s)
{
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    atomic_store(&s->stopping, 0);
}

void osd_thread_sync_destroy(osd_thread_sync_t *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

void osd_thread_stop(osd_thread_sync_t *s)
{
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stopping, 1);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void osd_thread_wake(osd_thread_sync_t *s)
{
    pthread_cond_broadcast(&s->cond);
}

void osd_thread_wait_ms(osd_thread_sync_t *s, unsigned ms)
{
    if (atomic_load(&s->stopping))
        return;
    /* the condition uses the default clock (CLOCK_REALTIME): a wall-clock step only makes one
     * wait shorter or longer, and every caller re-checks its schedule on the monotonic clock */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000u;
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}
