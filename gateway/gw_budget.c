/* gw_budget.c — a loop thread's budget of chunk-buffer bytes with FIFO waiting (gw_budget.h). */
#include "gw_budget.h"

void gw_budget_init(gw_budget_t *b, size_t limit)
{
    *b = (gw_budget_t){.limit = limit};
}

static int fits(const gw_budget_t *b, size_t n)
{
    return b->used == 0 || (b->used <= b->limit && n <= b->limit - b->used);
}

static void take_now(gw_budget_t *b, size_t n)
{
    b->used += n;
    if (b->used > b->peak)
        b->peak = b->used;
}

int gw_budget_take(gw_budget_t *b, size_t n, gw_budget_wait_t *w)
{
    if (b->head == NULL && fits(b, n)) {
        take_now(b, n);
        return 1;
    }
    w->next = NULL;
    w->want = n;
    w->queued = 1;
    if (b->tail != NULL)
        b->tail->next = w;
    else
        b->head = w;
    b->tail = w;
    b->nwaiting++;
    b->waits++;
    if (b->on_pressure != NULL)
        b->on_pressure(b->pressure_arg); /* may give bytes back, and so grant w already */
    return 0;
}

void gw_budget_give(gw_budget_t *b, size_t n)
{
    b->used = n <= b->used ? b->used - n : 0;
    while (b->head != NULL && fits(b, b->head->want)) {
        gw_budget_wait_t *w = b->head;
        b->head = w->next;
        if (b->head == NULL)
            b->tail = NULL;
        b->nwaiting--;
        w->next = NULL;
        w->queued = 0;
        take_now(b, w->want);
        w->granted(w); /* may take or give again: the queue is consistent here */
    }
}
