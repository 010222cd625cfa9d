/*
 * Unit tests for conf/: the examples load with the expected values, defaults apply, every
 * optional field binds, each malformed config in tests/data/conf/bad/ fails with the exact
 * file:line:column and message, several errors come out of one pass, and the scalar parsers
 * and the node tree behave at their edges.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "conf_tree.h"
#include "conf_value.h"
#include "test.h"

static const char *source_dir(void)
{
    const char *d = getenv("TERN_SOURCE_DIR");
    return d != NULL ? d : ".";
}

static int load_path(const char *dir, const char *file, conf_t **c, conf_error_t *e)
{
    char path[2200];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return conf_load_file(path, c, e);
}

static conf_error_t err; /* big: keep it off the stack */

static void test_example_local(void)
{
    char dir[1024];
    conf_t *c = NULL;
    snprintf(dir, sizeof(dir), "%s/conf/examples", source_dir());
    int rc = load_path(dir, "local.yaml", &c, &err);
    is_int(rc, TN_OK, "local.yaml loads");
    if (rc != TN_OK) {
        fprintf(stderr, "%s", err.text);
        return;
    }
    is_uint(err.count, 0, "no errors");
    is_str(c->cluster.name, "dev", "cluster name");
    is_str(c->cluster.id_hex, "7f3c9a0e5b2d4c61a8e0f1d2c3b4a596", "cluster id");
    is_uint(c->cluster.id[0], 0x7f, "id bytes");
    is_uint(c->cluster.id[15], 0x96, "id bytes end");
    is_int(c->cluster.has_key, 0, "no key");
    is_uint(c->n_hosts, 3, "3 hosts");
    is_uint(c->n_osds, 6, "6 osds");
    static const char *const hosts[] = {"host-a", "host-b", "host-c"};
    for (size_t i = 0; i < c->n_osds && i < 6; i++) {
        const conf_osd_t *o = &c->osds[i];
        char data[64];
        snprintf(data, sizeof(data), "./data/dev/osd.%zu", i);
        is_int(o->id, (int)i, "osd id in file order");
        is_str(o->host, hosts[i / 2], "osd host");
        is_uint(o->host_index, i / 2, "osd host index");
        is_str(o->addr.host, "127.0.0.1", "osd addr host");
        is_uint(o->addr.port, 7001 + i, "osd port");
        is_int(o->has_admin, 1, "osd admin port");
        is_uint(o->admin.port, 9101 + i, "osd admin port number");
        is_int(o->addr.is_ipv6, 0, "ipv4");
        is_str(o->data, data, "osd data dir");
        ok(o->weight == 1.0, "default weight 1.0");
        is_uint(o->weight_fixed, CONF_WEIGHT_FIXED1, "weight fixed 1.0");
    }
    for (size_t h = 0; h < c->n_hosts; h++) {
        is_str(c->hosts[h].name, hosts[h], "host name");
        ok(c->hosts[h].address == NULL, "no host address");
        is_uint(c->hosts[h].n_osds, 2, "2 osds per host");
    }
    is_uint(c->n_pools, 3, "3 default pools");
    is_str(c->pools[CONF_POOL_DATA].name, "data", "data pool first");
    is_uint(c->pools[CONF_POOL_DATA].pg_num, 128, "data pg_num");
    is_str(c->pools[CONF_POOL_INDEX].name, "index", "index pool");
    is_uint(c->pools[CONF_POOL_INDEX].pg_num, 32, "index pg_num");
    is_str(c->pools[CONF_POOL_META].name, "meta", "meta pool");
    is_uint(c->pools[CONF_POOL_META].pg_num, 8, "meta pg_num");
    for (size_t p = 0; p < 3; p++) {
        is_int(c->pools[p].size, 3, "size 3");
        is_int(c->pools[p].write_quorum, 2, "W 2");
        is_int(c->pools[p].read_quorum, 2, "R 2");
        is_int(c->pools[p].failure_domain, CONF_FD_HOST, "fd host");
    }
    is_uint(c->gateway.n_listen, 1, "one listener");
    is_str(c->gateway.listen[0].host, "127.0.0.1", "listen host");
    is_uint(c->gateway.listen[0].port, 9000, "listen port");
    is_int(c->gateway.threads, 2, "threads");
    is_str(c->gateway.region, "us-east-1", "region");
    is_str(c->gateway.tmp_dir, "./data/dev/tmp", "tmp dir");
    is_uint(c->gateway.n_credentials, 1, "one credential");
    is_str(c->gateway.credentials[0].access_key, "TERNDEVACCESSKEY0001", "access key");
    is_str(c->gateway.credentials[0].secret_key, "tern-dev-secret-key-do-not-use-in-production",
           "secret key");
    ok(c->gateway.tls_cert == NULL && c->gateway.tls_key == NULL, "no tls");
    is_int(c->log_level, TN_LOG_INFO, "log level");
    const conf_osd_t *o3 = conf_find_osd(c, 3);
    ok(o3 != NULL && strcmp(o3->host, "host-b") == 0, "find osd 3 on host-b");
    ok(conf_find_osd(c, 6) == NULL, "osd 6 absent");
    ok(conf_find_osd(c, -1) == NULL, "osd -1 absent");
    ok(conf_find_host(c, "host-c") == &c->hosts[2], "find host-c");
    ok(conf_find_host(c, "host-d") == NULL, "host-d absent");
    ok(conf_find_pool(c, "index") == &c->pools[1], "find index pool");
    ok(conf_find_pool(c, "cold") == NULL, "cold pool absent");
    ok(strstr(c->source, "local.yaml") != NULL, "source kept");
    conf_free(c);
}

static void test_example_three_servers(void)
{
    char dir[1024];
    conf_t *c = NULL;
    snprintf(dir, sizeof(dir), "%s/conf/examples", source_dir());
    int rc = load_path(dir, "three-servers.yaml", &c, &err);
    is_int(rc, TN_OK, "three-servers.yaml loads");
    if (rc != TN_OK) {
        fprintf(stderr, "%s", err.text);
        return;
    }
    is_str(c->cluster.name, "prod", "name");
    is_int(c->cluster.has_key, 1, "has key");
    is_uint(c->cluster.key[0], 0x9a, "key first byte");
    is_uint(c->cluster.key[31], 0x8f, "key last byte");
    is_uint(c->n_hosts, 3, "3 servers");
    is_str(c->hosts[1].address, "10.0.0.12", "srv2 address");
    is_uint(c->n_osds, 6, "6 disks");
    const conf_osd_t *o = conf_find_osd(c, 2);
    ok(o != NULL, "osd 2");
    if (o != NULL) {
        is_str(o->addr.host, "10.0.0.12", "port form takes the host address");
        is_uint(o->addr.port, 7001, "port");
        is_str(o->data, "/var/lib/tern/osd.2", "data");
    }
    o = conf_find_osd(c, 5);
    ok(o != NULL && strcmp(o->addr.host, "10.0.0.13") == 0 && o->addr.port == 7002, "addr form");
    is_uint(c->pools[0].pg_num, 512, "data pg_num");
    is_uint(c->pools[1].pg_num, 64, "index pg_num");
    is_uint(c->pools[2].pg_num, 16, "meta pg_num");
    is_int(c->pools[1].size, 3, "index size default");
    is_str(c->gateway.listen[0].host, "0.0.0.0", "listen on all");
    is_int(c->gateway.threads, 4, "threads");
    is_uint(c->gateway.n_domains, 1, "one domain");
    is_str(c->gateway.domains[0], "s3.example.com", "domain");
    is_str(c->gateway.tls_cert, "/etc/tern/tls/s3.example.com.crt", "cert");
    is_str(c->gateway.tls_key, "/etc/tern/tls/s3.example.com.key", "key");
    is_str(c->gateway.tmp_dir, "/var/lib/tern/tmp", "tmp");
    is_uint(c->gateway.max_object_size, 5ull << 30, "5G");
    is_uint(c->osd.inline_max, 16384, "inline 16K");
    is_uint(c->osd.group_commit_max, 256, "group commit");
    conf_free(c);
}

static const char minimal[] = "cluster: {name: m, id: ffffffffffffffffffffffffffffffff}\n"
                              "hosts: [{name: h}]\n"
                              "osds: [{id: 9, host: h, addr: 'localhost:1', data: d}]\n"
                              "pools: [{name: data, size: 1}, {name: index, size: 1},\n"
                              "        {name: meta, size: 1}]\n";

static void test_defaults(void)
{
    conf_t *c = NULL;
    /* not NUL-terminated: the loader must respect len */
    char *buf = malloc(sizeof(minimal) - 1);
    memcpy(buf, minimal, sizeof(minimal) - 1);
    int rc = conf_load_buffer("min.yaml", buf, sizeof(minimal) - 1, &c, &err);
    free(buf);
    is_int(rc, TN_OK, "minimal config loads");
    if (rc != TN_OK) {
        fprintf(stderr, "%s", err.text);
        return;
    }
    is_str(c->osds[0].addr.host, "localhost", "dns name");
    for (size_t p = 0; p < 3; p++) {
        is_int(c->pools[p].size, 1, "size 1");
        is_int(c->pools[p].write_quorum, 1, "W = 1/2+1 = 1");
        is_int(c->pools[p].read_quorum, 1, "R = 1");
        is_int(c->pools[p].failure_domain, CONF_FD_HOST, "fd host");
    }
    is_uint(c->pools[0].pg_num, 128, "data pg_num default");
    is_uint(c->pools[1].pg_num, 32, "index pg_num default");
    is_uint(c->pools[2].pg_num, 8, "meta pg_num default");
    is_uint(c->gateway.n_listen, 1, "default listener");
    is_str(c->gateway.listen[0].host, "127.0.0.1", "default listen host");
    is_uint(c->gateway.listen[0].port, 9000, "default listen port");
    is_int(c->gateway.threads, 2, "default threads");
    is_str(c->gateway.region, "us-east-1", "default region");
    is_uint(c->gateway.n_domains, 0, "no domains");
    ok(c->gateway.tls_cert == NULL, "no tls");
    is_str(c->gateway.tmp_dir, "/var/tmp", "default tmp");
    is_uint(c->gateway.max_object_size, 5ull << 30, "default 5G");
    is_uint(c->gateway.osd_timeout_ms, 2000, "default osd timeout");
    is_uint(c->gateway.hedge_ms, 50, "default hedge");
    is_uint(c->gateway.n_credentials, 0, "no credentials");
    is_int(c->gateway.has_admin, 0, "no admin port by default");
    is_str(c->gateway.access_log, "stderr", "access log to stderr by default");
    is_int(c->osds[0].has_admin, 0, "no OSD admin port by default");
    is_uint(c->osd.inline_max, 16 << 10, "default inline_max");
    is_uint(c->osd.group_commit_max, 256, "default group_commit_max");
    is_uint(c->osd.recovery_interval, 60, "default recovery_interval");
    is_uint(c->osd.recovery_max_bytes_per_sec, 64u << 20, "default recovery rate");
    is_uint(c->osd.recovery_max_active, 2, "default recovery_max_active");
    is_uint(c->osd.deep_scrub_interval, 7 * 86400, "default deep_scrub_interval");
    is_uint(c->osd.scrub_max_bytes_per_sec, 32u << 20, "default scrub rate");
    is_int(c->log_level, TN_LOG_INFO, "default level");
    conf_free(c);

    /* err may be NULL */
    rc = conf_load_buffer("min.yaml", minimal, strlen(minimal), &c, NULL);
    is_int(rc, TN_OK, "NULL err is fine");
    conf_free(c);
    conf_free(NULL);
}

static void test_full(void)
{
    conf_t *c = NULL;
    int rc = load_path(tt_data_dir(), "conf/full.yaml", &c, &err);
    is_int(rc, TN_OK, "full.yaml loads");
    if (rc != TN_OK) {
        fprintf(stderr, "%s", err.text);
        return;
    }
    is_str(c->cluster.id_hex, "0123456789abcdef0123456789abcdef", "id lowercased");
    is_uint(c->cluster.key[31], 0x1f, "key");
    is_str(c->hosts[0].name, "Rack1.host_A", "loose host name");
    is_str(c->hosts[1].address, "fd00::2", "bracketed host address stripped");
    is_str(c->hosts[2].address, "node-c.example.com", "dns host address");
    const conf_osd_t *o = conf_find_osd(c, 65535);
    ok(o != NULL, "osd 65535");
    if (o != NULL) {
        is_str(o->addr.host, "10.1.0.1", "port form");
        is_uint(o->addr.port, 7100, "port form port");
        ok(o->weight == 2.5, "weight 2.5");
        is_uint(o->weight_fixed, 163840, "2.5 in 16.16");
    }
    o = conf_find_osd(c, 0);
    ok(o != NULL && o->addr.is_ipv6 && strcmp(o->addr.host, "fd00::2") == 0, "ipv6 host address");
    ok(o != NULL && o->weight_fixed == 7, "0.0001 rounds to 7/65536");
    o = conf_find_osd(c, 7);
    ok(o != NULL && o->addr.is_ipv6 && strcmp(o->addr.host, "::1") == 0 && o->addr.port == 7102,
       "[::1]:7102");
    ok(o != NULL && o->weight_fixed == 1000u * 65536u, "weight 1000");
    o = conf_find_osd(c, 8);
    ok(o != NULL && strcmp(o->data, "/srv/tern/osd 8") == 0, "quoted path");
    is_uint(c->n_pools, 4, "data, index, meta + cold");
    const conf_pool_t *p = &c->pools[CONF_POOL_DATA];
    is_uint(p->pg_num, 65536, "data pg_num");
    is_int(p->size, 4, "data size");
    is_int(p->write_quorum, 3, "data W");
    is_int(p->read_quorum, 2, "data R");
    is_int(p->failure_domain, CONF_FD_OSD, "data fd osd");
    p = &c->pools[CONF_POOL_INDEX];
    is_int(p->write_quorum, 3, "index W");
    is_int(p->read_quorum, 1, "index R");
    is_uint(p->pg_num, 32, "index default pg_num kept");
    p = &c->pools[CONF_POOL_META];
    is_uint(p->pg_num, 1, "meta pg_num");
    is_int(p->size, 1, "meta size");
    p = &c->pools[3];
    is_str(p->name, "cold", "extra pool appended");
    is_int(p->size, 2, "cold size");
    is_int(p->write_quorum, 2, "cold W = 2/2+1");
    is_int(p->read_quorum, 2, "cold R");
    const conf_gateway_t *g = &c->gateway;
    is_uint(g->n_listen, 2, "two listeners");
    is_str(g->listen[1].host, "::", "ipv6 any");
    is_uint(g->listen[1].port, 8080, "port 8080");
    is_int(g->threads, 256, "threads");
    is_str(g->region, "eu-west-3", "region");
    is_uint(g->n_domains, 2, "domains");
    is_str(g->domains[0], "s3.example.com", "domain lowercased");
    is_str(g->tls_cert, "/etc/tls/c.pem", "cert");
    is_str(g->tls_key, "/etc/tls/k.pem", "key");
    is_str(g->tmp_dir, "/mnt/spill", "tmp");
    is_uint(g->max_object_size, 1ull << 40, "1T");
    is_uint(g->osd_timeout_ms, 600000, "osd timeout");
    is_uint(g->hedge_ms, 0, "no hedging");
    is_uint(g->n_credentials, 2, "two credentials");
    is_str(g->credentials[1].secret_key, "0123456789abcdef", "quoted secret");
    is_uint(c->osd.inline_max, 0, "inline off");
    is_uint(c->osd.group_commit_max, 65536, "group commit max");
    is_uint(c->osd.recovery_interval, 5, "recovery_interval");
    is_uint(c->osd.recovery_max_bytes_per_sec, 1u << 30, "recovery rate 1G");
    is_uint(c->osd.recovery_max_active, 64, "recovery_max_active");
    is_uint(c->osd.deep_scrub_interval, 0, "deep scrub off");
    is_uint(c->osd.scrub_max_bytes_per_sec, 64u << 10, "scrub rate 64K");
    is_int(c->log_level, TN_LOG_DEBUG, "debug");
    conf_free(c);
}

/* Each malformed file: the number of errors, where the first is and what it says. */
static const struct {
    const char *file;
    unsigned count;
    const char *where; /* "line:col" of the first error */
    const char *says;
} bad[] = {
    {"syntax_indent.yaml", 1, "5:2",
     "YAML syntax error: did not find expected key (while parsing "
     "a block mapping at line 2 column 1)"},
    {"empty.yaml", 1, "1:1", "the file is empty"},
    {"comments_only.yaml", 1, "1:1", "the file is empty"},
    {"unknown_key.yaml", 1, "11:5", "pools[0]: unknown key \"pgnum\"; did you mean 'pg_num'?"},
    {"duplicate_key.yaml", 1, "12:5", "osds[0].data: duplicate key (first given at line 11)"},
    {"duplicate_osd_id.yaml", 1, "9:10", "OSD id \"1\" is used twice: also at line 8"},
    {"duplicate_osd_addr.yaml", 1, "9:33",
     "OSD address \"127.0.0.1:7001\" is used twice: also at line 8"},
    {"duplicate_host.yaml", 1, "7:11", "host name \"host-a\" is used twice: also at line 6"},
    {"unknown_host.yaml", 1, "9:19", "osds[1].host: \"host-z\" is not one of the hosts"},
    {"host_without_osds.yaml", 1, "7:5", "host 'host-b' has no OSDs"},
    {"pg_num_range.yaml", 1, "11:13", "pools[0].pg_num: \"100000\" is out of range 1..65536"},
    {"size_over_hosts.yaml", 2, "5:1",
     "pools index, meta (not listed under `pools:`) keep 3 replicas on 3 different hosts, but "
     "the cluster has 2 hosts with OSDs"},
    {"quorum.yaml", 2, "14:18",
     "pools[data]: read_quorum 1 + write_quorum 2 does not exceed size 3"},
    {"missing_key.yaml", 1, "9:5", "osds[1].data: missing required key 'data'"},
    {"tls_cert_only.yaml", 1, "15:5", "gateway.tls: a cert without a key"},
    {"bad_size.yaml", 2, "14:20", "gateway.max_object_size: \"5X\" is not a size"},
    {"cluster_id.yaml", 1, "4:7", "cluster.id: \"7f3c-not-hex\" is not 32 hex digits"},
    {"log_level.yaml", 1, "14:10", "logging.level: \"warning\" is not a log level"},
    {"port_range.yaml", 1, "14:11",
     "osds[1].addr: \"127.0.0.1:70001\" has port 70001 out of range 1..65535; use a port "
     "between 1 and 65535"},
    {"quoted_number.yaml", 1, "8:10", "osds[0].id: \"0\" is quoted"},
    {"negative.yaml", 4, "8:10", "osds[0].id: \"-1\" is negative"},
    {"wrong_type.yaml", 1, "6:3", "hosts: expected a list"},
    {"alias.yaml", 1, "7:5", "alias *a: aliases are not supported"},
    {"two_documents.yaml", 1, "5:1", "a second YAML document starts here"},
    {"ipv6_unbracketed.yaml", 1, "8:33", "IPv6 address without brackets"},
    {"many_errors.yaml", 8, "3:9", "cluster.name: \"Dev\" is not a valid name"},
    {"recovery.yaml", 4, "15:22", "osd.recovery_interval: \"0\" is out of range 1..86400"},
};

/* More lines expected in the same runs (anywhere in the text). */
static const struct {
    const char *file, *line;
} bad_also[] = {
    {"recovery.yaml",
     "recovery.yaml:16:31: osd.recovery_max_bytes_per_sec: \"1K\" is out of range; use a size "
     "between 65536 bytes and 1T"},
    {"recovery.yaml", "recovery.yaml:17:24: osd.recovery_max_active: \"65\" is out of range 1..64"},
    {"recovery.yaml", "recovery.yaml:18:3: osd: unknown key \"scrub_interval\""},
    {"size_over_hosts.yaml",
     "size_over_hosts.yaml:13:11: pools[data]: size 3 needs 3 different hosts (failure_domain "
     "host) but the cluster has 2"},
    {"quorum.yaml", "quorum.yaml:16:19: pools[index]: write_quorum 4 is larger than size 3"},
    {"bad_size.yaml",
     "bad_size.yaml:16:15: osd.inline_max: \"2M\" is out of range; use a size between 0 bytes "
     "and 1M"},
    {"negative.yaml",
     "negative.yaml:11:13: gateway.hedge_ms: \"99999999999999999999999\" is out of range"},
};

/* Are the "name:line:col:" prefixes in nondecreasing order? */
static int errors_sorted(const char *text)
{
    unsigned pl = 0, pc = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        unsigned l = 0, c = 0;
        const char *q = strstr(p, ".yaml:");
        if (q != NULL && (nl == NULL || q < nl) && sscanf(q, ".yaml:%u:%u:", &l, &c) == 2) {
            if (l < pl || (l == pl && c < pc))
                return 0;
            pl = l;
            pc = c;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return 1;
}

static void test_bad_files(void)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/conf/bad", tt_data_dir());
    for (size_t i = 0; i < TN_ARRAY_SIZE(bad); i++) {
        conf_t *c = (conf_t *)&err; /* must be reset to NULL */
        char want[1600];
        int rc = load_path(dir, bad[i].file, &c, &err);
        is_int(rc, TN_ERR_CONFIG, bad[i].file);
        ok(c == NULL, "no conf on failure");
        is_uint(err.count, bad[i].count, bad[i].file);
        /* the first line is "<dir>/<file>:<line>:<col>: <message>" */
        snprintf(want, sizeof(want), "%s/%s:%s: ", dir, bad[i].file, bad[i].where);
        ok(strncmp(err.text, want, strlen(want)) == 0, bad[i].file);
        if (strncmp(err.text, want, strlen(want)) != 0)
            fprintf(stderr, "    want prefix %s\n    got %s", want, err.text);
        const char *nl = strchr(err.text, '\n');
        ok(nl != NULL, "lines end in newline");
        char first[2048];
        size_t n = nl != NULL ? (size_t)(nl - err.text) : strlen(err.text);
        if (n >= sizeof(first))
            n = sizeof(first) - 1;
        memcpy(first, err.text, n);
        first[n] = '\0';
        has_str(first, bad[i].says, bad[i].file);
        for (size_t j = 0; j < TN_ARRAY_SIZE(bad_also); j++)
            if (strcmp(bad_also[j].file, bad[i].file) == 0)
                has_str(err.text, bad_also[j].line, bad[i].file);
        /* every error names a place and a fix ("; ...") */
        unsigned lines = 0;
        for (const char *p = err.text; *p; p++)
            lines += *p == '\n';
        is_uint(lines, bad[i].count, "one line per error");
        ok(errors_sorted(err.text), "errors in file order");
    }
}

static void test_many_errors(void)
{
    conf_t *c = NULL;
    int rc = load_path(tt_data_dir(), "conf/bad/many_errors.yaml", &c, &err);
    is_int(rc, TN_ERR_CONFIG, "fails");
    is_uint(err.count, 8, "eight errors in one pass");
    is_uint(err.lines, 8, "all kept");
    has_str(err.text,
            "many_errors.yaml:9:61: osds[0]: unknown key \"weigth\"; did you mean "
            "'weight'?",
            "typo with suggestion");
    has_str(err.text, "many_errors.yaml:11:19: osds[2].host: \"host-c\"", "unknown host");
    has_str(err.text, "many_errors.yaml:10:10: osds: OSD id \"0\" is used twice", "dup id");
    has_str(err.text, "many_errors.yaml:13:43: pools[0].failure_domain: \"rack\"", "bad fd");
    has_str(err.text, "many_errors.yaml:5:1: pools index, meta (not listed under `pools:`)",
            "default pools vs 2 hosts");
    has_str(err.text, "many_errors.yaml:15:12: gateway.threads: \"0\" is out of range 1..256",
            "threads");
    has_str(err.text, "many_errors.yaml:17:10: logging.level: \"loud\"", "level");
}

static void test_error_limit(void)
{
    /* 120 OSDs with unknown keys: count all, keep CONF_ERROR_MAX_LINES lines */
    size_t cap = 64 * 1024, o = 0;
    char *buf = malloc(cap);
    o += (size_t)snprintf(buf + o, cap - o,
                          "cluster: {name: x, id: 00000000000000000000000000000000}\n"
                          "hosts: [{name: h}]\nosds:\n");
    for (int i = 0; i < 120; i++)
        o += (size_t)snprintf(buf + o, cap - o,
                              "  - {id: %d, host: h, addr: 'h:%d', data: d, bogus: 1}\n", i,
                              1000 + i);
    conf_t *c = NULL;
    int rc = conf_load_buffer("big.yaml", buf, o, &c, &err);
    is_int(rc, TN_ERR_CONFIG, "fails");
    ok(err.count >= 120, "every error counted");
    is_uint(err.lines, CONF_ERROR_MAX_LINES, "lines capped");
    has_str(err.text, "more errors not shown", "says how many were dropped");
    has_str(err.text, "big.yaml:4:47: osds[0]: unknown key \"bogus\"", "first one kept");
    free(buf);
}

static void test_inline_errors(void)
{
    static const struct {
        const char *yaml, *says;
    } cases[] = {
        {"[1, 2]", "x.yaml:1:1: the top level is"},
        {"cluster: {name: a, id: 00000000000000000000000000000000, key: abc}\n",
         "x.yaml:1:63: cluster.key: the key is not 64 hex digits"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\nhosts: [{name: h}]\n"
         "osds: [{id: 1, host: h, port: 7001, data: d}]\n",
         "x.yaml:3:31: osds[0].port: host 'h' has no `address`"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "hosts: [{name: h, address: 10.0.0.1}]\n"
         "osds: [{id: 1, host: h, port: 7001, addr: 'h:1', data: d}]\n",
         "x.yaml:3:31: osds[0].port: give either addr"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\nhosts: [{name: h}]\n"
         "osds: [{id: 1, host: h, data: d}]\n",
         "x.yaml:3:8: osds[0].addr: missing required key 'addr'"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\nhosts: [{name: h}]\n"
         "osds: [{id: 1, host: h, addr: '300.1.1.1:5', data: d, weight: '1'}]\n",
         "x.yaml:3:31: osds[0].addr: \"300.1.1.1:5\" is not a valid IPv4"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\nhosts: [{name: h}]\n"
         "osds: [{id: 1, host: h, addr: 'h:1', data: d, weight: 1.00001}]\n",
         "osds[0].weight: \"1.00001\" is not a plain decimal"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {credentials: [{access_key: short, secret_key: 'has space in it 123'}]}\n",
         "x.yaml:2:38: gateway.credentials[0].access_key: \"short\" must be 16 to 128"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {credentials: [{access_key: short, secret_key: 'has space in it 123'}]}\n",
         "gateway.credentials[0].secret_key: must be 16 to 128 printable"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {listen: ['1.2.3.4:1', '1.2.3.4:1'], tls: {key: k}}\n",
         "x.yaml:2:33: gateway.listen[1]: the same address is listed twice"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {listen: ['1.2.3.4:1', '1.2.3.4:1'], tls: {key: k}}\n",
         "gateway.tls: a key without a cert"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {domains: ['1.2.3.4']}\nlogging: {level: eror}\n",
         "gateway.domains[0]: \"1.2.3.4\" is not a DNS name"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {domains: ['1.2.3.4']}\nlogging: {level: eror}\n",
         "x.yaml:3:18: logging.level: \"eror\" is not a log level; did you mean 'error'?"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\npools: [{name: x, "
         "failure_domain: hots}]\n",
         "did you mean 'host'?"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\npools: [{name: x, "
         "read_quorum: 0}]\n",
         "pools[0].read_quorum: \"0\" is out of range 1..10"},
        {"cluster: {name: a, id: \"00000000000000000000000000000000\\n\"}\n",
         "cluster.id: \"00000000000000000000000000000000\\x0a\" contains a control character"},
        {"? [a]\n: b\n", "x.yaml:1:3: a sequence used as a mapping key"},
        {"cluster:\nhosts: [{name: h}]\n", "x.yaml:1:1: cluster: has no value; write `cluster:"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {osd_timeout_ms: 100, hedge_ms: 100}\n",
         "x.yaml:2:42: gateway.hedge_ms: 100 is not below osd_timeout_ms 100"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\nhosts: [{name: h}]\n"
         "osds: [{id: 1, host: h, addr: 'h:1', data: d, weight: '2'}]\n",
         "x.yaml:3:55: osds[0].weight: \"2\" is quoted"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\nhosts: [{name: h}]\n"
         "osds: [{id: 1, host: h, addr: 'h:1', data: d, admin_listen: 'h:70000'}]\n",
         "x.yaml:3:61: osds[0].admin_listen:"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\nhosts: [{name: h}]\n"
         "osds: [{id: 1, host: h, addr: 'h:1', data: d, admin_listen: 'h:1'}]\n",
         "x.yaml:3:61: osds[0].admin_listen: the admin port must differ from the OSD's addr"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {listen: ['1.2.3.4:1'], admin_listen: '1.2.3.4:1'}\n",
         "x.yaml:2:48: gateway.admin_listen: the admin port is also in gateway.listen"},
        {"cluster: {name: a, id: 00000000000000000000000000000000}\n"
         "gateway: {access_log: syslog}\n",
         "x.yaml:2:23: gateway.access_log: \"syslog\" is not off, stderr or a file path"},
        {"a: \xff\n", "x.yaml:1:4: cannot read the file as text"},
        {"clusterr: {}\n", "x.yaml:1:1: top level: unknown key \"clusterr\"; did you mean "
                           "'cluster'?"},
        {"zzz: {}\n", "known keys here: cluster, hosts, osds, pools, gateway, osd, logging"},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
         "nesting deeper than 32 levels"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(cases); i++) {
        conf_t *c = NULL;
        int rc = conf_load_buffer("x.yaml", cases[i].yaml, strlen(cases[i].yaml), &c, &err);
        is_int(rc, TN_ERR_CONFIG, cases[i].says);
        ok(c == NULL, "no conf");
        has_str(err.text, cases[i].says, "message");
    }
}

static void test_large_cluster(void)
{
    /* 1000 hosts x 8 OSDs, hosts listed in reverse so lookups cannot rely on order */
    size_t cap = 1 << 20, o = 0;
    char *buf = malloc(cap);
    o += (size_t)snprintf(buf + o, cap - o,
                          "cluster: {name: big, id: 00000000000000000000000000000000}\nhosts:\n");
    for (int h = 999; h >= 0; h--)
        o += (size_t)snprintf(buf + o, cap - o, "  - {name: h%d, address: 10.0.%d.%d}\n", h,
                              h / 256, h % 256);
    o += (size_t)snprintf(buf + o, cap - o, "osds:\n");
    for (int i = 0; i < 8000; i++)
        o += (size_t)snprintf(buf + o, cap - o, "  - {id: %d, host: h%d, port: %d, data: /d%d}\n",
                              i, i % 1000, 7000 + i / 1000, i);
    conf_t *c = NULL;
    int rc = conf_load_buffer("big.yaml", buf, o, &c, &err);
    is_int(rc, TN_OK, "8000 OSDs load");
    if (rc == TN_OK) {
        const conf_osd_t *osd = conf_find_osd(c, 7777);
        ok(osd != NULL && strcmp(osd->host, "h777") == 0 && osd->addr.port == 7007 &&
               strcmp(osd->addr.host, "10.0.3.9") == 0,
           "osd 7777 on h777 at 10.0.3.9:7007");
        ok(osd != NULL && osd->host_index == 999 - 777, "host index into the reversed list");
        const conf_host_t *h = conf_find_host(c, "h0");
        ok(h != NULL && h->n_osds == 8, "8 OSDs per host");
        conf_free(c);
    } else {
        fprintf(stderr, "%s", err.text);
    }
    free(buf);
}

static void test_load_file_errors(void)
{
    conf_t *c = NULL;
    is_int(conf_load_file(tt_data_dir(), &c, &err), -EISDIR, "a directory gives -EISDIR");
    ok(c == NULL, "no conf");
    has_str(err.text, "cannot read the config file", "message");
    is_int(conf_load_buffer("x", "[", 1, &c, NULL), TN_ERR_CONFIG, "bad input with NULL err");
    ok(c == NULL, "no conf");
    int rc = conf_load_file("/nonexistent/tern.yaml", &c, &err);
    is_int(rc, -ENOENT, "missing file gives -ENOENT");
    ok(c == NULL, "no conf");
    has_str(err.text, "/nonexistent/tern.yaml: cannot open the config file", "message");
    is_uint(err.count, 1, "one error");
}

static void test_scalars(void)
{
    uint64_t v = 0;
    is_int(conf__parse_uint("0", &v), 0, "0");
    is_int(conf__parse_uint("18446744073709551615", &v), 0, "max");
    is_uint(v, UINT64_MAX, "max value");
    is_int(conf__parse_uint("18446744073709551616", &v), -ERANGE, "overflow");
    is_int(conf__parse_uint("", &v), -EINVAL, "empty");
    is_int(conf__parse_uint("+1", &v), -EINVAL, "sign");
    is_int(conf__parse_uint("1 ", &v), -EINVAL, "trailing space");
    is_int(conf__parse_size("5G", &v), 0, "5G");
    is_uint(v, 5ull << 30, "5G value");
    is_int(conf__parse_size("16KiB", &v), 0, "KiB");
    is_uint(v, 16384, "16KiB");
    is_int(conf__parse_size("3MB", &v), 0, "MB");
    is_uint(v, 3u << 20, "3MB");
    is_int(conf__parse_size("100B", &v), 0, "B");
    is_uint(v, 100, "100B");
    is_int(conf__parse_size("16777215T", &v), 0, "just fits");
    is_int(conf__parse_size("16777216T", &v), -ERANGE, "overflow by suffix");
    is_int(conf__parse_size("5X", &v), -EINVAL, "bad suffix");
    is_int(conf__parse_size("G", &v), -EINVAL, "no digits");
    is_int(conf__parse_size("1.5G", &v), -EINVAL, "fractions refused");
    double w;
    uint32_t fx;
    is_int(conf__parse_weight("1", &w, &fx), 0, "1");
    is_uint(fx, 65536, "1 fixed");
    is_int(conf__parse_weight("0.5", &w, &fx), 0, "0.5");
    is_uint(fx, 32768, "0.5 fixed");
    is_int(conf__parse_weight("0.0000", &w, &fx), -ERANGE, "zero");
    is_int(conf__parse_weight("1000.0001", &w, &fx), -ERANGE, "above 1000");
    is_int(conf__parse_weight("1e3", &w, &fx), -EINVAL, "no exponent");
    is_int(conf__parse_weight("1.", &w, &fx), -EINVAL, "no trailing dot");
    is_int(conf__parse_weight(".5", &w, &fx), -EINVAL, "no leading dot");
    size_t off, len;
    uint64_t port;
    int v6;
    is_int(conf__parse_addr("[::1]:80", &off, &len, &port, &v6), CONF_ADDR_OK, "v6");
    ok(off == 1 && len == 3 && port == 80 && v6, "v6 parts");
    is_int(conf__parse_addr("[::1]", &off, &len, &port, &v6), CONF_ADDR_NO_PORT, "v6 no port");
    is_int(conf__parse_addr("[::g]:1", &off, &len, &port, &v6), CONF_ADDR_BAD_V6, "bad v6");
    is_int(conf__parse_addr("::1", &off, &len, &port, &v6), CONF_ADDR_UNBRACKETED_V6, "bare v6");
    is_int(conf__parse_addr(":1", &off, &len, &port, &v6), CONF_ADDR_EMPTY_HOST, "no host");
    is_int(conf__parse_addr("a:0", &off, &len, &port, &v6), CONF_ADDR_PORT_RANGE, "port 0");
    is_int(conf__parse_addr("a:99999999999999999999999", &off, &len, &port, &v6),
           CONF_ADDR_PORT_RANGE, "port overflow");
    is_int(conf__parse_addr("a:", &off, &len, &port, &v6), CONF_ADDR_BAD_PORT, "empty port");
    is_int(conf__parse_addr("a_b:1", &off, &len, &port, &v6), CONF_ADDR_BAD_NAME, "underscore");
    is_int(conf__parse_addr("-a:1", &off, &len, &port, &v6), CONF_ADDR_BAD_NAME, "leading -");
    is_int(conf__parse_addr("a..b:1", &off, &len, &port, &v6), CONF_ADDR_BAD_NAME, "empty label");
    is_int(conf__parse_addr("1.2.3:1", &off, &len, &port, &v6), CONF_ADDR_BAD_V4, "short v4");
    is_int(conf__parse_addr("db-1.example.com:65535", &off, &len, &port, &v6), CONF_ADDR_OK,
           "dns name");
    is_uint(port, 65535, "port 65535");
    uint8_t b[2];
    is_int(conf__hex_decode("aB09", 4, b, 2), 0, "hex");
    ok(b[0] == 0xab && b[1] == 0x09, "hex bytes");
    is_int(conf__hex_decode("aB0", 3, b, 2), -EINVAL, "odd length");
    is_int(conf__hex_decode("zz00", 4, b, 2), -EINVAL, "not hex");
    static const char *const keys[] = {"pg_num", "size", "write_quorum", "read_quorum", NULL};
    is_str(conf__suggest("pgnum", keys), "pg_num", "missing underscore");
    is_str(conf__suggest("szie", keys), "size", "transposition");
    is_str(conf__suggest("Size", keys), "size", "case");
    ok(conf__suggest("colour", keys) == NULL, "nothing close");
    ok(conf__suggest("x", keys) == NULL, "too short to guess");
}

static void test_tree(void)
{
    static const char y[] = "a:\n  - 1\n  - 'two'\nb: {c: d}\n";
    conf_arena_t *a = conf__arena_new();
    conf_node_t *root = NULL;
    memset(&err, 0, sizeof(err));
    int rc = conf__tree_parse(a, "t.yaml", y, sizeof(y) - 1, &root, &err);
    is_int(rc, TN_OK, "parses");
    ok(root != NULL && root->type == CONF_NODE_MAP && root->n == 2, "root map of 2");
    if (root != NULL && root->n == 2) {
        const conf_node_t *ka = root->first, *kb = ka->next;
        is_str(ka->str, "a", "key a");
        ok(ka->line == 1 && ka->col == 1, "a at 1:1");
        const conf_node_t *seq = ka->value;
        ok(seq->type == CONF_NODE_SEQ && seq->n == 2, "seq of 2");
        ok(seq->line == 2 && seq->col == 3, "seq at 2:3");
        ok(seq->first->line == 2 && seq->first->col == 5 && !seq->first->quoted, "1 at 2:5");
        ok(seq->last->line == 3 && seq->last->col == 5 && seq->last->quoted, "'two' at 3:5");
        is_str(seq->last->str, "two", "'two'");
        ok(kb->value->type == CONF_NODE_MAP && kb->value->line == 4 && kb->value->col == 4,
           "flow map at 4:4");
        is_str(kb->value->first->value->str, "d", "c: d");
    }
    conf__arena_free(a);
    a = conf__arena_new();
    rc = conf__tree_parse(a, "t.yaml", "", 0, &root, &err);
    ok(rc == TN_OK && root == NULL, "empty stream: no root");
    /* a large allocation and many small ones share the arena */
    ok(conf__arena_alloc(a, 100000) != NULL, "big block");
    for (int i = 0; i < 1000; i++)
        ok(conf__arena_strndup(a, "abc", 3) != NULL, "small");
    conf__arena_free(a);
}

int main(void)
{
    subtest("example local.yaml", test_example_local);
    subtest("example three-servers.yaml", test_example_three_servers);
    subtest("defaults", test_defaults);
    subtest("every optional field", test_full);
    subtest("malformed files", test_bad_files);
    subtest("many errors in one pass", test_many_errors);
    subtest("error limit", test_error_limit);
    subtest("inline malformed configs", test_inline_errors);
    subtest("large cluster", test_large_cluster);
    subtest("file errors", test_load_file_errors);
    subtest("scalar parsers", test_scalars);
    subtest("node tree", test_tree);
    return tt_done();
}
