/*
 * fuzz_conf.c — libFuzzer target for conf/: conf_load_buffer over arbitrary bytes must never
 * crash, leak or break its contract (success ⇔ no errors; failure ⇒ at least one error line,
 * every line "name:..." terminated by '\n'; a loaded conf satisfies the documented invariants).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"

static conf_error_t err;

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_conf(const conf_t *c)
{
    check(c->n_hosts >= 1 && c->n_osds >= 1 && c->n_pools >= 3);
    for (size_t i = 0; i < c->n_osds; i++) {
        const conf_osd_t *o = &c->osds[i];
        check(o->id >= 0 && o->id <= CONF_MAX_OSD_ID);
        check(o->host_index < c->n_hosts && o->host == c->hosts[o->host_index].name);
        check(o->addr.port >= 1 && o->addr.host[0] != '\0');
        check(o->weight_fixed > 0 && o->weight_fixed <= 1000u * CONF_WEIGHT_FIXED1);
        check(conf_find_osd(c, o->id) == o);
    }
    for (size_t i = 0; i < c->n_hosts; i++) {
        check(c->hosts[i].n_osds >= 1);
        check(conf_find_host(c, c->hosts[i].name) == &c->hosts[i]);
    }
    check(strcmp(c->pools[0].name, "data") == 0 && strcmp(c->pools[2].name, "meta") == 0);
    for (size_t i = 0; i < c->n_pools; i++) {
        const conf_pool_t *p = &c->pools[i];
        check(p->pg_num >= 1 && p->pg_num <= CONF_MAX_PG_NUM);
        check(p->size >= 1 && p->size <= CONF_MAX_SIZE);
        check(p->write_quorum >= 1 && p->write_quorum <= p->size);
        check(p->read_quorum >= 1 && p->read_quorum <= p->size);
        check(p->read_quorum + p->write_quorum > p->size);
        check(conf_find_pool(c, p->name) == p);
    }
    check(c->gateway.n_listen >= 1 && c->gateway.threads >= 1);
    check((c->gateway.tls_cert == NULL) == (c->gateway.tls_key == NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    conf_t *c = NULL;
    int rc = conf_load_buffer("fuzz.yaml", (const char *)data, size, &c, &err);
    size_t len = strnlen(err.text, sizeof(err.text));
    check(len < sizeof(err.text));
    if (rc == TN_OK) {
        check(c != NULL && err.count == 0 && len == 0);
        check_conf(c);
        conf_free(c);
    } else {
        check(c == NULL);
        if (rc == TN_ERR_CONFIG) {
            check(err.count >= 1 && err.lines >= 1 && err.lines <= CONF_ERROR_MAX_LINES);
            check(strncmp(err.text, "fuzz.yaml:", 10) == 0 && err.text[len - 1] == '\n');
        }
    }
    return 0;
}
