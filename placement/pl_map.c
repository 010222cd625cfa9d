/*
 * pl_map.c — building, changing, copying and validating cluster maps (pl_map_t). These
 * functions may allocate; the mapping path (pl_select.c) never calls them.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"

pl_map_t *pl_map_create(void)
{
    return calloc(1, sizeof(pl_map_t));
}

void pl_map_destroy(pl_map_t *m)
{
    if (m == NULL)
        return;
    free(m->hosts);
    free(m->osds);
    free(m->pools);
    free(m->moving);
    free(m);
}

/* Copies n elements of size sz into a new array of at least one element. */
static void *dup_array(const void *src, uint32_t n, size_t sz)
{
    void *p = malloc((n > 0 ? n : 1) * sz);
    if (p != NULL && n > 0)
        memcpy(p, src, n * sz);
    return p;
}

pl_map_t *pl_map_clone(const pl_map_t *m)
{
    pl_map_t *c = pl_map_create();
    if (c == NULL)
        return NULL;
    c->epoch = m->epoch;
    c->hosts = dup_array(m->hosts, m->n_hosts, sizeof(pl_host_t));
    c->osds = dup_array(m->osds, m->n_osds, sizeof(pl_osd_t));
    c->pools = dup_array(m->pools, m->n_pools, sizeof(pl_pool_t));
    if (c->hosts == NULL || c->osds == NULL || c->pools == NULL) {
        pl_map_destroy(c);
        return NULL;
    }
    c->n_hosts = c->cap_hosts = m->n_hosts;
    c->n_osds = c->cap_osds = m->n_osds;
    c->n_pools = c->cap_pools = m->n_pools;
    if (c->cap_hosts == 0)
        c->cap_hosts = 1;
    if (c->cap_osds == 0)
        c->cap_osds = 1;
    if (c->cap_pools == 0)
        c->cap_pools = 1;
    if (m->n_moving > 0) {
        c->moving = dup_array(m->moving, m->n_moving, sizeof(pl_moving_t));
        if (c->moving == NULL) {
            pl_map_destroy(c);
            return NULL;
        }
        c->n_moving = c->cap_moving = m->n_moving;
    }
    return c;
}

/* Makes room for one more element in *arr (length n, capacity *cap). */
static int grow(void **arr, uint32_t n, uint32_t *cap, size_t sz)
{
    if (n < *cap)
        return TN_OK;
    uint32_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, (size_t)ncap * sz);
    if (p == NULL)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return TN_OK;
}

/* A name is valid if non-empty and shorter than PL_NAME_MAX. */
static int name_ok(const char *name)
{
    if (name == NULL)
        return 0;
    size_t n = strnlen(name, PL_NAME_MAX);
    return n > 0 && n < PL_NAME_MAX;
}

int pl_map_add_host(pl_map_t *m, const char *name)
{
    if (!name_ok(name))
        return -EINVAL;
    for (uint32_t i = 0; i < m->n_hosts; i++)
        if (strcmp(m->hosts[i].name, name) == 0)
            return -EINVAL;
    if (m->n_hosts >= PL_MAX_HOSTS)
        return -ENOSPC;
    int rc = grow((void **)&m->hosts, m->n_hosts, &m->cap_hosts, sizeof(pl_host_t));
    if (rc != TN_OK)
        return rc;
    pl_host_t *h = &m->hosts[m->n_hosts];
    memset(h, 0, sizeof(*h));
    strcpy(h->name, name);
    h->id = (int32_t)m->n_hosts;
    for (int s = 0; s < PL_MAX_SIZE; s++)
        h->draw[s] = PL_WEIGHT_ONE;
    return (int)m->n_hosts++;
}

int pl_map_add_osd(pl_map_t *m, int32_t id, int host_index, uint32_t weight, const char *addr)
{
    if (id < 0 || id > PL_MAX_OSD_ID || host_index < 0 || (uint32_t)host_index >= m->n_hosts)
        return -EINVAL;
    if (addr != NULL && strnlen(addr, PL_ADDR_MAX) >= PL_ADDR_MAX)
        return -EINVAL;
    if (pl_map_find_osd(m, id) != NULL)
        return -EINVAL;
    if (m->n_osds >= PL_MAX_OSDS)
        return -ENOSPC;
    int rc = grow((void **)&m->osds, m->n_osds, &m->cap_osds, sizeof(pl_osd_t));
    if (rc != TN_OK)
        return rc;
    pl_osd_t *o = &m->osds[m->n_osds];
    memset(o, 0, sizeof(*o));
    o->id = id;
    o->host = host_index;
    o->weight = weight;
    o->in = 1;
    o->up = 1;
    if (addr != NULL)
        strcpy(o->addr, addr);
    return (int)m->n_osds++;
}

int pl_map_add_pool(pl_map_t *m, uint32_t id, const char *name, uint32_t pg_num, uint8_t size,
                    uint8_t write_quorum, uint8_t read_quorum, pl_fd_t fd)
{
    if (!name_ok(name) || pg_num < 1 || pg_num > PL_MAX_PG_NUM || size < 1 || size > PL_MAX_SIZE ||
        write_quorum < 1 || write_quorum > size || read_quorum < 1 || read_quorum > size ||
        (fd != PL_FD_OSD && fd != PL_FD_HOST))
        return -EINVAL;
    if (pl_map_find_pool(m, id) != NULL || pl_map_find_pool_by_name(m, name) != NULL)
        return -EINVAL;
    if (m->n_pools >= PL_MAX_POOLS)
        return -ENOSPC;
    int rc = grow((void **)&m->pools, m->n_pools, &m->cap_pools, sizeof(pl_pool_t));
    if (rc != TN_OK)
        return rc;
    pl_pool_t *p = &m->pools[m->n_pools];
    memset(p, 0, sizeof(*p));
    p->id = id;
    strcpy(p->name, name);
    p->pg_num = pg_num;
    p->size = size;
    p->write_quorum = write_quorum;
    p->read_quorum = read_quorum;
    p->fd = (uint8_t)fd;
    return (int)m->n_pools++;
}

static pl_osd_t *find_osd_mut(pl_map_t *m, int32_t id)
{
    for (uint32_t i = 0; i < m->n_osds; i++)
        if (m->osds[i].id == id)
            return &m->osds[i];
    return NULL;
}

const pl_osd_t *pl_map_find_osd(const pl_map_t *m, int32_t id)
{
    return find_osd_mut((pl_map_t *)m, id);
}

const pl_pool_t *pl_map_find_pool(const pl_map_t *m, uint32_t id)
{
    for (uint32_t i = 0; i < m->n_pools; i++)
        if (m->pools[i].id == id)
            return &m->pools[i];
    return NULL;
}

const pl_pool_t *pl_map_find_pool_by_name(const pl_map_t *m, const char *name)
{
    if (name == NULL)
        return NULL;
    for (uint32_t i = 0; i < m->n_pools; i++)
        if (strcmp(m->pools[i].name, name) == 0)
            return &m->pools[i];
    return NULL;
}

int pl_map_set_osd_in(pl_map_t *m, int32_t id, int in)
{
    pl_osd_t *o = find_osd_mut(m, id);
    if (o == NULL)
        return TN_ERR_NOT_FOUND;
    for (int s = 0; s < PL_MAX_SIZE; s++) {
        int balanced = 0; /* does this size have draw factors (pl_map_rebalance ran)? */
        for (uint32_t h = 0; h < m->n_hosts && !balanced; h++)
            balanced = m->hosts[h].draw[s] != PL_WEIGHT_ONE;
        if (in)
            o->ghost[s] = 0;
        else if (o->in && balanced && o->weight > 0)
            o->ghost[s] = PL_WEIGHT_ONE; /* newly out: a full ghost (see "GHOSTS") */
    }
    o->in = in ? 1 : 0;
    return TN_OK;
}

int pl_map_set_osd_up(pl_map_t *m, int32_t id, int up)
{
    pl_osd_t *o = find_osd_mut(m, id);
    if (o == NULL)
        return TN_ERR_NOT_FOUND;
    o->up = up ? 1 : 0;
    return TN_OK;
}

int pl_map_set_osd_weight(pl_map_t *m, int32_t id, uint32_t weight)
{
    pl_osd_t *o = find_osd_mut(m, id);
    if (o == NULL)
        return TN_ERR_NOT_FOUND;
    o->weight = weight;
    return TN_OK;
}

int pl_map_set_osd_incarnation(pl_map_t *m, int32_t id, uint64_t incarnation)
{
    pl_osd_t *o = find_osd_mut(m, id);
    if (o == NULL)
        return TN_ERR_NOT_FOUND;
    o->incarnation = incarnation;
    return TN_OK;
}

/* Formats the reason into why and returns TN_ERR_CORRUPT. */
TN_PRINTF(3, 4) static int invalid(char *why, size_t whylen, const char *fmt, ...);
static int invalid(char *why, size_t whylen, const char *fmt, ...)
{
    if (why != NULL && whylen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return TN_ERR_CORRUPT;
}

/* Is s a NUL-terminated string within an array of n bytes? */
static int terminated(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

int pl_map_validate(const pl_map_t *m, char *why, size_t whylen)
{
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (m->n_hosts > PL_MAX_HOSTS || m->n_osds > PL_MAX_OSDS || m->n_pools > PL_MAX_POOLS)
        return invalid(why, whylen, "too many hosts, OSDs or pools");
    for (uint32_t i = 0; i < m->n_hosts; i++) {
        const pl_host_t *h = &m->hosts[i];
        if (!terminated(h->name, sizeof(h->name)) || !name_ok(h->name))
            return invalid(why, whylen, "host %u: bad name", i);
        if (h->id != (int32_t)i)
            return invalid(why, whylen, "host %s: id %d is not its index %u", h->name, h->id, i);
        for (int s = 0; s < PL_MAX_SIZE; s++)
            if (h->draw[s] == 0)
                return invalid(why, whylen, "host %s: draw factor 0 for size %d", h->name, s + 1);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(m->hosts[j].name, h->name) == 0)
                return invalid(why, whylen, "host %s: duplicate name", h->name);
    }
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        if (o->id < 0 || o->id > PL_MAX_OSD_ID)
            return invalid(why, whylen, "osd index %u: id %d out of range", i, o->id);
        if (o->host < 0 || (uint32_t)o->host >= m->n_hosts)
            return invalid(why, whylen, "osd.%d: host index %d out of range", o->id, o->host);
        if (o->in > 1 || o->up > 1)
            return invalid(why, whylen, "osd.%d: in/up flags must be 0 or 1", o->id);
        if (!terminated(o->addr, sizeof(o->addr)))
            return invalid(why, whylen, "osd.%d: address not terminated", o->id);
        for (int s = 0; s < PL_MAX_SIZE; s++)
            if (o->ghost[s] > PL_WEIGHT_ONE || (o->ghost[s] != 0 && o->in))
                return invalid(why, whylen,
                               "osd.%d: ghost weight %u for size %d (must be "
                               "0..1.0, and 0 while in)",
                               o->id, o->ghost[s], s + 1);
    }
    /* Duplicate ids: one bit per possible id (not the mapping path, so it may allocate). */
    uint8_t *seen = calloc(PL_MAX_OSD_ID / 8 + 1, 1);
    if (seen == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < m->n_osds; i++) {
        uint32_t id = (uint32_t)m->osds[i].id;
        if (seen[id / 8] & (1u << (id % 8))) {
            free(seen);
            return invalid(why, whylen, "osd.%u: duplicate id", id);
        }
        seen[id / 8] |= (uint8_t)(1u << (id % 8));
    }
    free(seen);
    for (uint32_t i = 0; i < m->n_pools; i++) {
        const pl_pool_t *p = &m->pools[i];
        if (!terminated(p->name, sizeof(p->name)) || !name_ok(p->name))
            return invalid(why, whylen, "pool %u: bad name", p->id);
        if (p->pg_num < 1 || p->pg_num > PL_MAX_PG_NUM)
            return invalid(why, whylen, "pool %s: pg_num %u out of range", p->name, p->pg_num);
        if (p->size < 1 || p->size > PL_MAX_SIZE)
            return invalid(why, whylen, "pool %s: size %u out of range", p->name, p->size);
        if (p->write_quorum < 1 || p->write_quorum > p->size || p->read_quorum < 1 ||
            p->read_quorum > p->size)
            return invalid(why, whylen, "pool %s: quorums must be 1..size", p->name);
        if (p->fd != PL_FD_OSD && p->fd != PL_FD_HOST)
            return invalid(why, whylen, "pool %s: unknown failure domain %u", p->name, p->fd);
        for (uint32_t j = 0; j < i; j++) {
            if (m->pools[j].id == p->id)
                return invalid(why, whylen, "pool %s: duplicate id %u", p->name, p->id);
            if (strcmp(m->pools[j].name, p->name) == 0)
                return invalid(why, whylen, "pool %s: duplicate name", p->name);
        }
    }
    if (m->n_moving > PL_MAX_MOVING)
        return invalid(why, whylen, "too many moving PGs");
    for (uint32_t i = 0; i < m->n_moving; i++) {
        const pl_moving_t *e = &m->moving[i];
        const pl_pool_t *p = pl_map_find_pool(m, e->pool);
        if (p == NULL || e->pg >= p->pg_num)
            return invalid(why, whylen, "moving entry %u: no pool %u or pg %u", i, e->pool, e->pg);
        if (i > 0 && (m->moving[i - 1].pool > e->pool ||
                      (m->moving[i - 1].pool == e->pool && m->moving[i - 1].pg >= e->pg)))
            return invalid(why, whylen, "moving entries not strictly ascending at %u", i);
        if (e->n < 1 || e->n > PL_MAX_SIZE)
            return invalid(why, whylen, "moving %u.%u: %u OSDs", e->pool, e->pg, e->n);
        for (int k = 0; k < e->n; k++) {
            if (pl_map_find_osd(m, e->old[k]) == NULL)
                return invalid(why, whylen, "moving %u.%u: unknown osd.%d", e->pool, e->pg,
                               e->old[k]);
            for (int j = 0; j < k; j++)
                if (e->old[j] == e->old[k])
                    return invalid(why, whylen, "moving %u.%u: osd.%d twice", e->pool, e->pg,
                                   e->old[k]);
        }
    }
    return TN_OK;
}
