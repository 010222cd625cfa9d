/* Unit tests for conf/conf_map.c: the placement map built from a config. */
#include <stdio.h>
#include "conf_map.h"
#include "test.h"

static conf_t *load_example(const char *name)
{
    char path[1024];
    const char *src = getenv("TERN_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/conf/examples/%s", src != NULL ? src : ".", name);
    conf_t *c = NULL;
    conf_error_t err;
    int rc = conf_load_file(path, &c, &err);
    if (!ok(rc == TN_OK, "example loads"))
        fprintf(stderr, "%s", err.text);
    return c;
}

static void test_local(void)
{
    conf_t *c = load_example("local.yaml");
    if (c == NULL)
        return;
    pl_map_t *m = NULL;
    char why[256] = "";
    is_int(conf_build_map(c, &m, why, sizeof(why)), TN_OK, "builds");
    if (m == NULL) {
        conf_free(c);
        return;
    }
    is_uint(m->epoch, 1, "epoch 1");
    is_uint(m->n_hosts, c->n_hosts, "every host");
    is_uint(m->n_osds, c->n_osds, "every osd");
    is_uint(m->n_pools, c->n_pools, "every pool");
    for (size_t i = 0; i < c->n_osds; i++) {
        const pl_osd_t *o = pl_map_find_osd(m, c->osds[i].id);
        ok(o != NULL, "osd present");
        if (o == NULL)
            continue;
        is_str(m->hosts[o->host].name, c->osds[i].host, "osd on its host");
        is_uint(o->weight, c->osds[i].weight_fixed, "weight");
        ok(o->in && o->up, "in and up");
    }
    const pl_osd_t *o0 = pl_map_find_osd(m, 0);
    is_str(o0 != NULL ? o0->addr : NULL, "127.0.0.1:7001", "address formatted host:port");
    const pl_pool_t *data = pl_map_find_pool_by_name(m, "data");
    ok(data != NULL, "data pool");
    if (data != NULL) {
        is_uint(data->id, conf_pool_id("data"), "pool id is the name hash");
        is_uint(data->pg_num, 128, "pg_num");
        is_int(data->size, 3, "size");
        is_int(data->write_quorum, 2, "write quorum");
        is_int(data->fd, PL_FD_HOST, "failure domain");
    }
    pl_map_destroy(m);
    conf_free(c);
}

static void test_pool_ids_stable(void)
{
    /* Frozen: these ids seed the object hash of every pool; a change moves all data. */
    is_uint(conf_pool_id("data"), pl_murmur3_32("data", 4, 0x7465726e), "definition");
    ok(conf_pool_id("data") != conf_pool_id("index"), "distinct");
    ok(conf_pool_id("index") != conf_pool_id("meta"), "distinct");
}

static void test_ipv6_addr(void)
{
    static const char y[] = "cluster: {name: v6, id: 0123456789abcdef0123456789abcdef}\n"
                            "hosts: [{name: h}]\n"
                            "osds: [{id: 7, host: h, addr: '[::1]:7001', data: /d}]\n"
                            "pools: [{name: data, size: 1, failure_domain: osd},\n"
                            "        {name: index, size: 1}, {name: meta, size: 1}]\n";
    conf_t *c = NULL;
    conf_error_t err;
    int rc = conf_load_buffer("v6.yaml", y, sizeof(y) - 1, &c, &err);
    if (!ok(rc == TN_OK, "ipv6 config loads")) {
        fprintf(stderr, "%s", err.text);
        return;
    }
    pl_map_t *m = NULL;
    is_int(conf_build_map(c, &m, NULL, 0), TN_OK, "builds");
    const pl_osd_t *o = m != NULL ? pl_map_find_osd(m, 7) : NULL;
    is_str(o != NULL ? o->addr : NULL, "[::1]:7001", "ipv6 address bracketed");
    pl_map_destroy(m);
    conf_free(c);
}

int main(void)
{
    subtest("local example", test_local);
    subtest("pool ids", test_pool_ids_stable);
    subtest("ipv6", test_ipv6_addr);
    return tt_done();
}
