/*
 * test_pl_map.c — the map builder, setters, lookups, clone and pl_map_validate's errors.
 */
#include <errno.h>

#include "test.h"
#include "placement.h"

static void test_builder(void)
{
    pl_map_t *m = pl_map_create();
    ok(m != NULL, "create");
    is_int(m->epoch, 0, "epoch 0");
    is_int(pl_map_add_host(m, "a"), 0, "first host index 0");
    is_int(pl_map_add_host(m, "b"), 1, "second host index 1");
    is_int(pl_map_add_host(m, "a"), -EINVAL, "duplicate host name");
    is_int(pl_map_add_host(m, ""), -EINVAL, "empty host name");
    is_int(pl_map_add_host(m, NULL), -EINVAL, "NULL host name");
    char longname[80];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[79] = '\0';
    is_int(pl_map_add_host(m, longname), -EINVAL, "79-byte host name");
    longname[64] = '\0';
    is_int(pl_map_add_host(m, longname), -EINVAL, "64-byte host name");
    longname[63] = '\0';
    is_int(pl_map_add_host(m, longname), 2, "63-byte host name is fine");

    is_int(pl_map_add_osd(m, 0, 0, PL_WEIGHT_ONE, "10.0.0.1:7000"), 0, "osd.0");
    is_int(pl_map_add_osd(m, 5, 1, 2 * PL_WEIGHT_ONE, NULL), 1, "osd.5, NULL addr");
    is_int(pl_map_add_osd(m, 5, 0, PL_WEIGHT_ONE, NULL), -EINVAL, "duplicate osd id");
    is_int(pl_map_add_osd(m, -1, 0, PL_WEIGHT_ONE, NULL), -EINVAL, "negative osd id");
    is_int(pl_map_add_osd(m, PL_MAX_OSD_ID + 1, 0, PL_WEIGHT_ONE, NULL), -EINVAL, "id too big");
    is_int(pl_map_add_osd(m, 9, 3, PL_WEIGHT_ONE, NULL), -EINVAL, "bad host index");
    is_int(pl_map_add_osd(m, 9, -1, PL_WEIGHT_ONE, NULL), -EINVAL, "negative host index");
    is_int(pl_map_add_osd(m, 9, 0, PL_WEIGHT_ONE, longname), 2, "63-byte address");
    longname[63] = 'x';
    is_int(pl_map_add_osd(m, 10, 0, PL_WEIGHT_ONE, longname), -EINVAL, "64-byte address");
    longname[62] = '\0';
    is_int(pl_map_add_osd(m, 10, 0, PL_WEIGHT_ONE, longname), 3, "62-byte address");

    const pl_osd_t *o = pl_map_find_osd(m, 5);
    ok(o != NULL && o->host == 1 && o->weight == 2 * PL_WEIGHT_ONE && o->in && o->up &&
           o->addr[0] == '\0',
       "find osd.5 with its fields");
    ok(pl_map_find_osd(m, 6) == NULL, "absent osd");

    is_int(pl_map_add_pool(m, 1, "data", 256, 3, 2, 2, PL_FD_HOST), 0, "pool");
    is_int(pl_map_add_pool(m, 1, "other", 256, 3, 2, 2, PL_FD_HOST), -EINVAL, "duplicate pool id");
    is_int(pl_map_add_pool(m, 2, "data", 256, 3, 2, 2, PL_FD_HOST), -EINVAL, "duplicate name");
    is_int(pl_map_add_pool(m, 2, "p", 0, 3, 2, 2, PL_FD_HOST), -EINVAL, "pg_num 0");
    is_int(pl_map_add_pool(m, 2, "p", 65537, 3, 2, 2, PL_FD_HOST), -EINVAL, "pg_num 65537");
    is_int(pl_map_add_pool(m, 2, "p", 65536, 3, 2, 2, PL_FD_HOST), 1, "pg_num 65536");
    is_int(pl_map_add_pool(m, 3, "q", 8, 0, 1, 1, PL_FD_HOST), -EINVAL, "size 0");
    is_int(pl_map_add_pool(m, 3, "q", 8, 17, 1, 1, PL_FD_HOST), -EINVAL, "size 17");
    is_int(pl_map_add_pool(m, 3, "q", 8, 3, 4, 1, PL_FD_HOST), -EINVAL, "write quorum > size");
    is_int(pl_map_add_pool(m, 3, "q", 8, 3, 2, 0, PL_FD_HOST), -EINVAL, "read quorum 0");
    is_int(pl_map_add_pool(m, 3, "q", 8, 3, 2, 2, (pl_fd_t)7), -EINVAL, "bad failure domain");
    const pl_pool_t *p = pl_map_find_pool_by_name(m, "data");
    ok(p != NULL && p->id == 1 && p->pg_num == 256 && p->size == 3, "find pool by name");
    ok(pl_map_find_pool(m, 2) == &m->pools[1], "find pool by id");
    ok(pl_map_find_pool_by_name(m, "nope") == NULL, "absent pool");

    is_int(pl_map_set_osd_in(m, 5, 0), TN_OK, "set out");
    is_int(pl_map_set_osd_up(m, 5, 0), TN_OK, "set down");
    is_int(pl_map_set_osd_weight(m, 5, 77), TN_OK, "reweight");
    is_int(pl_map_set_osd_incarnation(m, 5, 99), TN_OK, "incarnation");
    o = pl_map_find_osd(m, 5);
    ok(!o->in && !o->up && o->weight == 77 && o->incarnation == 99, "setters applied");
    is_int(pl_map_set_osd_in(m, 42, 0), TN_ERR_NOT_FOUND, "set on absent osd");
    is_int(pl_map_set_osd_weight(m, 42, 0), TN_ERR_NOT_FOUND, "reweight absent osd");

    char why[128];
    is_int(pl_map_validate(m, why, sizeof(why)), TN_OK, "built map is valid");
    pl_map_t *c = pl_map_clone(m);
    ok(c != NULL && c->n_osds == m->n_osds && c->n_hosts == m->n_hosts &&
           c->n_pools == m->n_pools && memcmp(c->osds, m->osds, m->n_osds * sizeof(pl_osd_t)) == 0,
       "clone is equal");
    pl_map_set_osd_in(c, 0, 0);
    ok(pl_map_find_osd(m, 0)->in == 1, "clone is deep");
    is_int(pl_map_add_host(c, "c"), 3, "clone can grow");
    pl_map_destroy(c);
    pl_map_destroy(m);
    pl_map_destroy(NULL);

    pl_map_t *e = pl_map_create();
    pl_map_t *ec = pl_map_clone(e);
    ok(ec != NULL && ec->n_osds == 0, "clone of an empty map");
    is_int(pl_map_add_host(ec, "h"), 0, "empty clone can grow");
    pl_map_destroy(ec);
    pl_map_destroy(e);
}

/* A small valid map for the validation tests. */
static pl_map_t *small_map(void)
{
    pl_map_t *m = pl_map_create();
    pl_map_add_host(m, "h0");
    pl_map_add_host(m, "h1");
    pl_map_add_osd(m, 0, 0, PL_WEIGHT_ONE, "a:1");
    pl_map_add_osd(m, 1, 1, PL_WEIGHT_ONE, "b:1");
    pl_map_add_pool(m, 1, "data", 64, 2, 2, 1, PL_FD_HOST);
    return m;
}

static void test_validate(void)
{
    char why[128];
    pl_map_t *m = small_map();
    is_int(pl_map_validate(m, why, sizeof(why)), TN_OK, "small map valid");
    is_str(why, "", "no reason when valid");

    m->osds[1].id = 0;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "duplicate osd id");
    has_str(why, "duplicate", "reason names the duplicate");
    m->osds[1].id = 1;
    m->osds[1].host = 2;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "host index out of range");
    has_str(why, "osd.1", "reason names the OSD");
    m->osds[1].host = 1;
    m->osds[1].in = 2;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "in flag 2");
    m->osds[1].in = 1;
    m->osds[1].id = -3;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "negative id");
    m->osds[1].id = 1;
    memset(m->osds[1].addr, 'x', sizeof(m->osds[1].addr));
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "unterminated address");
    m->osds[1].addr[0] = '\0';
    strcpy(m->hosts[1].name, "h0");
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "duplicate host name");
    has_str(why, "h0", "reason names the host");
    m->hosts[1].name[0] = '\0';
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "empty host name");
    strcpy(m->hosts[1].name, "h1");
    m->hosts[1].id = 7;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "host id != index");
    m->hosts[1].id = 1;
    m->pools[0].pg_num = 0;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "pg_num 0");
    has_str(why, "pg_num", "reason names pg_num");
    m->pools[0].pg_num = 64;
    m->pools[0].read_quorum = 3;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "read quorum > size");
    m->pools[0].read_quorum = 1;
    m->pools[0].fd = 9;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "bad failure domain");
    m->pools[0].fd = PL_FD_HOST;
    m->pools[0].size = 0;
    is_int(pl_map_validate(m, NULL, 0), TN_ERR_CORRUPT, "size 0 (no why buffer)");
    m->pools[0].size = 2;
    is_int(pl_map_validate(m, why, 4), TN_OK, "valid again");
    pl_map_add_pool(m, 2, "second", 8, 1, 1, 1, PL_FD_OSD);
    m->pools[1].id = 1;
    is_int(pl_map_validate(m, why, 8), TN_ERR_CORRUPT, "duplicate pool id, short why buffer");
    ok(strlen(why) < 8, "why is truncated to its buffer");
    pl_map_destroy(m);
}

/* Draw factors default to 1.0; marking an OSD out gives it a full ghost only once the map has
 * factors; marking it in clears it; validation refuses bad values. */
static void test_draw_ghost(void)
{
    pl_map_t *m = pl_map_create();
    for (int h = 0; h < 5; h++) {
        char name[8];
        snprintf(name, sizeof(name), "h%d", h);
        pl_map_add_host(m, name);
        pl_map_add_osd(m, h * 2, h, PL_WEIGHT_ONE * (uint32_t)(h + 1), NULL);
        pl_map_add_osd(m, h * 2 + 1, h, PL_WEIGHT_ONE, NULL);
    }
    pl_map_add_pool(m, 1, "data", 64, 3, 2, 2, PL_FD_HOST);
    ok(m->hosts[3].draw[2] == PL_WEIGHT_ONE && m->hosts[3].draw[15] == PL_WEIGHT_ONE,
       "new hosts: factors 1.0");
    pl_map_set_osd_in(m, 0, 0);
    ok(m->osds[0].ghost[2] == 0, "no factors yet: out leaves no ghost (the plain rule)");
    pl_map_set_osd_in(m, 0, 1);
    is_int(pl_map_rebalance(m), TN_OK, "rebalance");
    int differs = 0;
    for (int h = 0; h < 5; h++)
        differs |= m->hosts[h].draw[2] != PL_WEIGHT_ONE;
    ok(differs, "uneven hosts get factors for size 3");
    ok(m->hosts[0].draw[1] == PL_WEIGHT_ONE, "unused size 2 keeps 1.0");
    pl_map_set_osd_in(m, 3, 0);
    is_uint(m->osds[3].ghost[2], PL_WEIGHT_ONE, "out: a full ghost for size 3");
    is_uint(m->osds[3].ghost[1], 0, "no ghost for a size without factors");
    pl_map_set_osd_in(m, 3, 0);
    is_uint(m->osds[3].ghost[2], PL_WEIGHT_ONE, "out twice: unchanged");
    is_int(pl_map_validate(m, NULL, 0), TN_OK, "a map with a ghost is valid");
    pl_map_set_osd_in(m, 3, 1);
    is_uint(m->osds[3].ghost[2], 0, "in again: ghost cleared");
    char why[128];
    m->osds[2].ghost[2] = 5;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "ghost on an in OSD refused");
    has_str(why, "ghost", "reason names the ghost");
    m->osds[2].ghost[2] = 0;
    m->osds[2].in = 0;
    m->osds[2].ghost[2] = PL_WEIGHT_ONE + 1;
    is_int(pl_map_validate(m, NULL, 0), TN_ERR_CORRUPT, "ghost above 1.0 refused");
    m->osds[2].ghost[2] = 0;
    m->hosts[1].draw[4] = 0;
    is_int(pl_map_validate(m, why, sizeof(why)), TN_ERR_CORRUPT, "draw factor 0 refused");
    has_str(why, "draw factor", "reason names the factor");
    is_int(pl_map_rebalance(NULL), -EINVAL, "rebalance(NULL)");
    pl_map_destroy(m);
}

int main(void)
{
    subtest("builder", test_builder);
    subtest("draw factors and ghosts", test_draw_ghost);
    subtest("validate", test_validate);
    return tt_done();
}
