/* conf_map.c — builds the placement map from a loaded configuration (see conf_map.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "conf_map.h"

#define CONF_POOL_ID_SEED 0x7465726eu /* "tern" */

uint32_t conf_pool_id(const char *name)
{
    return pl_murmur3_32(name, strlen(name), CONF_POOL_ID_SEED);
}

static void format_addr(const conf_addr_t *a, char *buf, size_t len)
{
    if (a->is_ipv6)
        snprintf(buf, len, "[%s]:%u", a->host, (unsigned)a->port);
    else
        snprintf(buf, len, "%s:%u", a->host, (unsigned)a->port);
}

/* Destroys m, writes "<what> <name>: <reason of err>" to why and returns the error to report. */
static int fail(pl_map_t *m, int err, char *why, size_t whylen, const char *what, const char *name)
{
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s %s: %s", what, name, tn_strerror(err));
    pl_map_destroy(m);
    return err == -ENOMEM ? err : TN_ERR_CONFIG;
}

int conf_build_map(const conf_t *c, pl_map_t **out, char *why, size_t whylen)
{
    *out = NULL;
    pl_map_t *m = pl_map_create();
    if (m == NULL)
        return -ENOMEM;
    m->epoch = 1;
    for (size_t i = 0; i < c->n_hosts; i++) {
        int rc = pl_map_add_host(m, c->hosts[i].name);
        if (rc < 0)
            return fail(m, rc, why, whylen, "cannot add to the map host", c->hosts[i].name);
    }
    for (size_t i = 0; i < c->n_osds; i++) {
        const conf_osd_t *o = &c->osds[i];
        char addr[PL_ADDR_MAX];
        format_addr(&o->addr, addr, sizeof(addr));
        int rc = pl_map_add_osd(m, o->id, (int)o->host_index, o->weight_fixed, addr);
        if (rc < 0)
            return fail(m, rc, why, whylen, "cannot add to the map the osd at", addr);
    }
    for (size_t i = 0; i < c->n_pools; i++) {
        const conf_pool_t *p = &c->pools[i];
        pl_fd_t fd = p->failure_domain == CONF_FD_OSD ? PL_FD_OSD : PL_FD_HOST;
        int rc = pl_map_add_pool(m, conf_pool_id(p->name), p->name, p->pg_num, (uint8_t)p->size,
                                 (uint8_t)p->write_quorum, (uint8_t)p->read_quorum, fd);
        if (rc < 0)
            return fail(m, rc, why, whylen,
                        "cannot add to the map (if two pool names hash to one id, rename one) pool",
                        p->name);
    }
    /* Draw factors against the multi-pick anomaly (placement.h, "DRAW FACTORS"): part of the
     * map, computed by whoever creates an epoch, bit-exact on every IEEE-754 platform. */
    int rc = pl_map_rebalance(m);
    if (rc != TN_OK) {
        if (why != NULL && whylen > 0)
            snprintf(why, whylen, "cannot compute the placement factors: %s", tn_strerror(rc));
        pl_map_destroy(m);
        return rc == -ENOMEM ? rc : TN_ERR_CONFIG;
    }
    char reason[256];
    rc = pl_map_validate(m, reason, sizeof(reason));
    if (rc != TN_OK) {
        if (why != NULL && whylen > 0)
            snprintf(why, whylen, "invalid map: %s", reason);
        pl_map_destroy(m);
        return rc == -ENOMEM ? rc : TN_ERR_CONFIG;
    }
    *out = m;
    return TN_OK;
}
