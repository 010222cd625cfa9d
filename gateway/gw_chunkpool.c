/* gw_chunkpool.c — a loop thread's cache of chunk buffers (gw_chunkpool.h). */
#include <stdlib.h>
#include "gw_chunkpool.h"

void gw_chunkpool_init(gw_chunkpool_t *p, size_t size, size_t max)
{
    *p = (gw_chunkpool_t){.size = size, .max = max < GW_CHUNKPOOL_MAX ? max : GW_CHUNKPOOL_MAX};
}

uint8_t *gw_chunkpool_get(gw_chunkpool_t *p, size_t len)
{
    if (len > p->size)
        return malloc(len);
    p->used = 1;
    if (p->n > 0) {
        p->hits++;
        return p->free[--p->n];
    }
    p->misses++;
    return malloc(p->size); /* whole size: any later chunk fits */
}

void gw_chunkpool_put(gw_chunkpool_t *p, uint8_t *buf, size_t len)
{
    if (buf == NULL)
        return;
    if (len > p->size || p->n >= p->max) {
        free(buf);
        return;
    }
    p->used = 1;
    p->free[p->n++] = buf;
}

size_t gw_chunkpool_tick(gw_chunkpool_t *p)
{
    if (!p->used)
        gw_chunkpool_dispose(p);
    p->used = 0;
    return p->n;
}

void gw_chunkpool_dispose(gw_chunkpool_t *p)
{
    while (p->n > 0)
        free(p->free[--p->n]);
}
