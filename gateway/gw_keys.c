/* gw_keys.c — the per-thread access key table and its refresh (gw_keys.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "tn_log.h"
#include "gw_bucket.h"
#include "gw_keys.h"
#include "gw_metrics.h"

static int ent_cmp(const void *a, const void *b)
{
    return strcmp(((const gw_keyent_t *)a)->akid, ((const gw_keyent_t *)b)->akid);
}

const gw_keyent_t *gw_keytab_find(const gw_keytab_t *t, const char *akid)
{
    if (t == NULL || t->n == 0)
        return NULL;
    gw_keyent_t probe;
    size_t n = strnlen(akid, sizeof probe.akid);
    if (n >= sizeof probe.akid)
        return NULL;
    memcpy(probe.akid, akid, n + 1);
    return bsearch(&probe, t->ents, t->n, sizeof *t->ents, ent_cmp);
}

void gw_keytab_free(gw_keytab_t *t)
{
    if (t == NULL)
        return;
    if (t->ents != NULL)
        memset(t->ents, 0, t->n * sizeof *t->ents); /* secrets */
    free(t->ents);
    free(t);
}

struct gw_keys {
    gw_thread_t *t;
    h2o_timeout_t tick;
    h2o_timeout_entry_t te;
    int stopped, busy;
    gw_keytab_t *next; /* being built */
    size_t cap;
    char after[TN_TENANT_AKID_MAX + 1];
    size_t after_len;
    unsigned fails;
};

static void schedule(gw_keys_t *k)
{
    if (!k->stopped && !h2o_timeout_is_linked(&k->te))
        h2o_timeout_link(k->t->loop, &k->tick, &k->te);
}

static int tab_equal(const gw_keytab_t *a, const gw_keytab_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return a->n == b->n && (a->n == 0 || memcmp(a->ents, b->ents, a->n * sizeof *a->ents) == 0);
}

static void finish(gw_keys_t *k)
{
    gw_keytab_t *nt = k->next;
    k->next = NULL;
    k->busy = 0;
    gw_metrics_event(GW_M_KEY_REFRESH_OK);
    if (nt->n > 1)
        qsort(nt->ents, nt->n, sizeof *nt->ents, ent_cmp);
    gw_auth_thread_t *a = &k->t->auth;
    if (!tab_equal(a->keys, nt)) {
        tn_log_info("msg=\"access keys from metadata\" thread=%u keys=%zu", k->t->idx, nt->n);
        memset(a->cache, 0, sizeof a->cache); /* a removed key's signing key goes too */
        gw_keytab_free(a->keys);
        a->keys = nt;
    } else {
        gw_keytab_free(nt);
    }
    k->fails = 0;
    schedule(k);
}

static void add(gw_keys_t *k, const gw_cl_entry_t *e)
{
    tn_key_rec_t rec;
    gw_keyent_t ent;
    memset(&ent, 0, sizeof ent);
    if (e->key.len == 0 || e->key.len > TN_TENANT_AKID_MAX ||
        memchr(e->key.base, '\0', e->key.len) != NULL)
        return;
    memcpy(ent.akid, e->key.base, e->key.len);
    if (tn_key_rec_decode(e->value.base, e->value.len, &rec) != TN_OK) {
        tn_log_warn("msg=\"undecodable access key record skipped\" key=\"%s\"", ent.akid);
        return;
    }
    if (rec.status != 0)
        return;
    const conf_t *c = k->t->server->conf;
    if (tn_tenant_open(c->cluster.key, ent.akid, rec.sealed, rec.sealed_len, ent.secret,
                       sizeof ent.secret) < 0) {
        tn_log_warn("msg=\"access key secret does not open with this cluster.key; key skipped\" "
                    "key=\"%s\"",
                    ent.akid);
        return;
    }
    memcpy(ent.user, rec.user, sizeof ent.user);
    memcpy(ent.bucket, rec.bucket, sizeof ent.bucket);
    ent.bucket_id = rec.bucket_id;
    ent.scope = rec.scope;
    ent.allow = rec.allow;
    gw_keytab_t *nt = k->next;
    if (nt->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 16;
        gw_keyent_t *ne = realloc(nt->ents, nc * sizeof *ne);
        if (ne == NULL)
            return;
        nt->ents = ne;
        k->cap = nc;
    }
    nt->ents[nt->n++] = ent;
    memset(&ent, 0, sizeof ent);
}

static void list_next(gw_keys_t *k);

static void on_list(void *arg, int err, const gw_cl_entry_t *e, size_t n, int more)
{
    gw_keys_t *k = arg;
    if (k->stopped) {
        k->busy = 0;
        return;
    }
    if (err != 0) {
        gw_metrics_event(GW_M_KEY_REFRESH_FAIL);
        if (k->fails++ % 30 == 0)
            tn_log_warn("msg=\"access key refresh failed; keeping the previous keys\" thread=%u "
                        "err=%d",
                        k->t->idx, err);
        gw_keytab_free(k->next);
        k->next = NULL;
        k->busy = 0;
        schedule(k);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!(e[i].flags & TN_ROW_TOMBSTONE))
            add(k, &e[i]);
    if (more && n > 0 && e[n - 1].key.len < sizeof k->after) {
        memcpy(k->after, e[n - 1].key.base, e[n - 1].key.len);
        k->after_len = e[n - 1].key.len;
        list_next(k);
        return;
    }
    finish(k);
}

static void list_next(gw_keys_t *k)
{
    uint32_t pool, pg;
    static const char name[] = TN_TENANT_KEYS_PG_NAME;
    int rc = gw_bucket_place(k->t->server, "meta", name, sizeof name - 1, &pool, &pg);
    if (rc == TN_OK)
        rc = gw_cl_row_list(k->t->osd, pool, pg, TN_TENANT_KEY_NS, NULL, 0, k->after, k->after_len,
                            TN_PROTO_MAX_LIST, on_list, k);
    if (rc != 0) {
        gw_keytab_free(k->next);
        k->next = NULL;
        k->busy = 0;
        schedule(k);
    }
}

static void on_tick(h2o_timeout_entry_t *te)
{
    gw_keys_t *k = H2O_STRUCT_FROM_MEMBER(gw_keys_t, te, te);
    if (k->stopped || k->busy)
        return;
    if ((k->next = calloc(1, sizeof *k->next)) == NULL) {
        schedule(k);
        return;
    }
    k->cap = 0;
    k->after_len = 0;
    k->busy = 1;
    list_next(k);
}

gw_keys_t *gw_keys_start(gw_thread_t *t)
{
    if (t->osd == NULL || !t->server->conf->cluster.has_key)
        return NULL;
    gw_keys_t *k = calloc(1, sizeof *k);
    if (k == NULL)
        return NULL;
    k->t = t;
    h2o_timeout_init(t->loop, &k->tick, GW_KEYS_REFRESH_MS);
    k->te.cb = on_tick;
    /* the first list right away (next loop turn) */
    h2o_timeout_link(t->loop, &t->zero_timeout, &k->te);
    return k;
}

void gw_keys_stop(gw_keys_t *k)
{
    if (k == NULL)
        return;
    k->stopped = 1;
    if (h2o_timeout_is_linked(&k->te))
        h2o_timeout_unlink(&k->te);
}

void gw_keys_free(gw_keys_t *k)
{
    if (k == NULL)
        return;
    h2o_timeout_dispose(k->t->loop, &k->tick);
    gw_keytab_free(k->next);
    free(k);
}
