/* ctl_meta.c — ternctl's metadata client: quorum reads, listings, all-replica writes
 * (ctl_meta.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "tn_proto.h"
#include "tn_row.h"
#include "ctl_meta.h"

void ctl_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ctl_err("getrandom failed: %s", strerror(errno));
            exit(CTL_EXIT_FAIL);
        }
        p += n;
        len -= (size_t)n;
    }
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int set_osds(ctl_cluster_t *c)
{
    tn_osdc_t *oc = tn_osdc_sync_client(c->sc);
    for (uint32_t i = 0; i < c->map->n_osds; i++)
        if (c->map->osds[i].addr[0] != '\0' &&
            tn_osdc_set_osd(oc, c->map->osds[i].id, c->map->osds[i].addr) != 0)
            return -EINVAL;
    tn_osdc_set_epoch(oc, c->map->epoch);
    free(c->work);
    c->work = malloc(pl_work_size(c->map) + 16);
    c->meta = pl_map_find_pool_by_name(c->map, "meta");
    return c->work != NULL ? 0 : -ENOMEM;
}

int ctl_cluster_open(ctl_cluster_t *c, const char *path)
{
    memset(c, 0, sizeof *c);
    if (path == NULL)
        path = getenv("TERN_CONFIG");
    if (path == NULL)
        path = CTL_DEFAULT_CONFIG;
    c->path = path;
    int rc = ctl_load(path, &c->conf, &c->map);
    if (rc != CTL_EXIT_OK)
        return rc;
    tn_hlc_init(&c->hlc, 0);
    ctl_random(&c->origin, sizeof c->origin);
    c->origin |= 1u;
    tn_osdc_opts_t o = {.connect_timeout_ms = 1000, .request_timeout_ms = 3000, .hlc = &c->hlc};
    c->sc = tn_osdc_sync_create(&o);
    if (c->sc == NULL || set_osds(c) != 0) {
        ctl_err("out of memory");
        ctl_cluster_close(c);
        return CTL_EXIT_FAIL;
    }
    /* the newest map any OSD has (the config's map is epoch 1) */
    int answered = 0;
    for (uint32_t i = 0; i < c->map->n_osds && !answered; i++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (tn_osdc_sync_map_get(c->sc, c->map->osds[i].id, 0, &buf, &len) != 0)
            continue;
        answered = 1;
        pl_map_t *m = NULL;
        if (buf != NULL && pl_map_decode(buf, len, &m) == 0 && m->epoch > c->map->epoch) {
            pl_map_destroy(c->map);
            c->map = m;
            m = NULL;
            if (set_osds(c) != 0) {
                free(buf);
                ctl_err("out of memory");
                ctl_cluster_close(c);
                return CTL_EXIT_FAIL;
            }
        }
        pl_map_destroy(m);
        free(buf);
    }
    if (!answered) {
        ctl_err("cannot reach the cluster: none of the %u OSDs in %s answered (first: osd.%d "
                "at %s); are the OSDs running, and is this the right config?",
                (unsigned)c->map->n_osds, path, (int)c->map->osds[0].id, c->map->osds[0].addr);
        ctl_cluster_close(c);
        return CTL_EXIT_FAIL;
    }
    if (c->meta == NULL) {
        ctl_err("%s: the cluster map has no 'meta' pool", path);
        ctl_cluster_close(c);
        return CTL_EXIT_USAGE;
    }
    return CTL_EXIT_OK;
}

void ctl_cluster_close(ctl_cluster_t *c)
{
    if (c->sc != NULL)
        tn_osdc_sync_destroy(c->sc);
    pl_map_destroy(c->map);
    conf_free(c->conf);
    free(c->work);
    memset(c, 0, sizeof *c);
}

uint32_t ctl_meta_pg(const ctl_cluster_t *c, const void *name, size_t len)
{
    return pl_object_pg(c->meta, name, len);
}

static int pool_pg_osds(ctl_cluster_t *c, const pl_pool_t *pool, uint32_t pg, int32_t *osds)
{
    int n = pl_pg_osds(c->map, pool, pg, osds, PL_MAX_SIZE, c->work);
    return n < 0 ? 0 : n;
}

static int pg_osds(ctl_cluster_t *c, uint32_t pg, int32_t *osds)
{
    int n = pl_pg_osds(c->map, c->meta, pg, osds, PL_MAX_SIZE, c->work);
    return n < 0 ? 0 : n;
}

void ctl_meta_ent_free(ctl_meta_ent_t *e)
{
    free(e->key);
    free(e->value);
    memset(e, 0, sizeof *e);
}

void ctl_meta_ents_free(ctl_meta_ent_t *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ctl_meta_ent_free(&e[i]);
    free(e);
}

static int ent_copy(ctl_meta_ent_t *e, const void *key, size_t key_len, const tn_proto_ver_t *ver,
                    uint32_t flags, const void *value, size_t value_len)
{
    memset(e, 0, sizeof *e);
    e->key = malloc(key_len + 1);
    e->value = malloc(value_len + 1);
    if (e->key == NULL || e->value == NULL) {
        ctl_meta_ent_free(e);
        return -ENOMEM;
    }
    memcpy(e->key, key, key_len);
    e->key[key_len] = 0;
    e->key_len = key_len;
    if (value_len > 0)
        memcpy(e->value, value, value_len);
    e->value_len = value_len;
    e->ver = *ver;
    e->flags = flags;
    return 0;
}

static int ver_cmp(const tn_proto_ver_t *a, const tn_proto_ver_t *b)
{
    tn_row_ver_t x = {.hlc = a->hlc, .origin = a->origin}, y = {.hlc = b->hlc, .origin = b->origin};
    memcpy(x.vid, a->vid, TN_ROW_VID_LEN);
    memcpy(y.vid, b->vid, TN_ROW_VID_LEN);
    return tn_row_ver_cmp(&x, &y);
}

int ctl_meta_get(ctl_cluster_t *c, uint32_t pg, uint64_t ns, const void *key, size_t len,
                 ctl_meta_ent_t *out)
{
    int32_t osds[PL_MAX_SIZE];
    int n = pg_osds(c, pg, osds), answers = 0, found = 0;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++) {
        tn_row_get_req_t m = {.pool = c->meta->id, .pg = pg, .ns = ns, .key = {key, len}};
        uint8_t *buf = NULL;
        size_t blen = 0;
        int rc = tn_osdc_sync_row_get(c->sc, osds[i], &m, &buf, &blen);
        if (rc == TN_ERR_NOT_FOUND) {
            answers++;
            continue;
        }
        tn_row_t row;
        size_t used;
        if (rc != 0 || tn_row_decode(buf, blen, &row, &used) != TN_OK) {
            free(buf);
            continue;
        }
        answers++;
        tn_proto_ver_t v = {.hlc = row.ver.hlc, .origin = row.ver.origin};
        memcpy(v.vid, row.ver.vid, TN_ROW_VID_LEN);
        if (!found || ver_cmp(&v, &out->ver) > 0) {
            ctl_meta_ent_free(out);
            if (ent_copy(out, row.key, row.key_len, &v, row.flags, row.value, row.value_len) != 0) {
                free(buf);
                return -ENOMEM;
            }
            found = 1;
        }
        free(buf);
    }
    if (answers < c->meta->read_quorum) {
        ctl_meta_ent_free(out);
        return TN_ERR_QUORUM;
    }
    return found ? 0 : TN_ERR_NOT_FOUND;
}

static int ent_cmp(const void *a, const void *b)
{
    const ctl_meta_ent_t *x = a, *y = b;
    int k = tn_row_key_cmp(x->key, x->key_len, y->key, y->key_len);
    return k != 0 ? k : -ver_cmp(&x->ver, &y->ver); /* newest first */
}

/* Appends every entry of one replica's listing of (pg, ns). */
static int list_replica(ctl_cluster_t *c, const pl_pool_t *pool, int32_t osd, uint32_t pg,
                        uint64_t ns, ctl_meta_ent_t **ents, size_t *n, size_t *cap)
{
    uint8_t after[TN_ROW_MAX_KEY];
    size_t after_len = 0;
    for (;;) {
        tn_row_list_req_t m = {.pool = pool->id,
                               .pg = pg,
                               .ns = ns,
                               .start_after = {(const char *)after, after_len},
                               .limit = 1000};
        uint8_t *body = NULL;
        size_t blen = 0;
        int rc = tn_osdc_sync_row_list(c->sc, osd, &m, &body, &blen);
        if (rc != 0)
            return rc;
        tn_proto_iter_t it;
        uint8_t more = 0;
        uint32_t cnt = 0;
        if (tn_proto_dec_row_list_rep(body, blen, &it, &more, &cnt) != TN_OK) {
            free(body);
            return TN_ERR_PROTO;
        }
        tn_row_entry_t e;
        uint32_t got = 0;
        while (got < cnt && tn_proto_next_row_entry(&it, &e) == 1) {
            if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 64;
                ctl_meta_ent_t *ne = realloc(*ents, nc * sizeof *ne);
                if (ne == NULL) {
                    free(body);
                    return -ENOMEM;
                }
                *ents = ne;
                *cap = nc;
            }
            if (ent_copy(&(*ents)[*n], e.key.base, e.key.len, &e.ver, e.flags, e.value.base,
                         e.value.len) != 0) {
                free(body);
                return -ENOMEM;
            }
            (*n)++;
            got++;
            if (e.key.len <= sizeof after) {
                memcpy(after, e.key.base, e.key.len);
                after_len = e.key.len;
            }
        }
        free(body);
        if (!more || got == 0)
            return 0;
    }
}

int ctl_meta_list(ctl_cluster_t *c, uint32_t pg, uint64_t ns, ctl_meta_ent_t **out, size_t *nout)
{
    return ctl_pool_list(c, c->meta, pg, ns, out, nout);
}

int ctl_pool_list(ctl_cluster_t *c, const pl_pool_t *pool, uint32_t pg, uint64_t ns,
                  ctl_meta_ent_t **out, size_t *nout)
{
    int32_t osds[PL_MAX_SIZE];
    int n = pool_pg_osds(c, pool, pg, osds), answers = 0;
    ctl_meta_ent_t *ents = NULL;
    size_t cnt = 0, cap = 0;
    for (int i = 0; i < n; i++) {
        size_t before = cnt;
        int rc = list_replica(c, pool, osds[i], pg, ns, &ents, &cnt, &cap);
        if (rc == -ENOMEM) {
            ctl_meta_ents_free(ents, cnt);
            return rc;
        }
        if (rc != 0) { /* drop this replica's partial answer */
            for (size_t k = before; k < cnt; k++)
                ctl_meta_ent_free(&ents[k]);
            cnt = before;
            continue;
        }
        answers++;
    }
    if (answers < pool->read_quorum) {
        ctl_meta_ents_free(ents, cnt);
        return TN_ERR_QUORUM;
    }
    if (cnt > 1)
        qsort(ents, cnt, sizeof *ents, ent_cmp);
    size_t w = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (w > 0 && tn_row_key_cmp(ents[w - 1].key, ents[w - 1].key_len, ents[i].key,
                                    ents[i].key_len) == 0) {
            ctl_meta_ent_free(&ents[i]); /* an older version of the same key */
            continue;
        }
        ents[w++] = ents[i];
    }
    *out = ents;
    *nout = w;
    return 0;
}

int ctl_meta_list_buckets(ctl_cluster_t *c, ctl_meta_ent_t **out, size_t *nout)
{
    ctl_meta_ent_t *all = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t pg = 0; pg < c->meta->pg_num; pg++) {
        ctl_meta_ent_t *e = NULL;
        size_t k = 0;
        int rc = ctl_meta_list(c, pg, 1, &e, &k);
        if (rc != 0) {
            ctl_meta_ents_free(all, n);
            return rc;
        }
        for (size_t i = 0; i < k; i++) {
            if (e[i].flags & TN_ROW_TOMBSTONE) {
                ctl_meta_ent_free(&e[i]);
                continue;
            }
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                ctl_meta_ent_t *ne = realloc(all, nc * sizeof *ne);
                if (ne == NULL) {
                    ctl_meta_ents_free(e, k);
                    ctl_meta_ents_free(all, n);
                    return -ENOMEM;
                }
                all = ne;
                cap = nc;
            }
            all[n++] = e[i];
            memset(&e[i], 0, sizeof e[i]);
        }
        ctl_meta_ents_free(e, k);
    }
    if (n > 1)
        qsort(all, n, sizeof *all, ent_cmp);
    *out = all;
    *nout = n;
    return 0;
}

int ctl_meta_write_all(ctl_cluster_t *c, uint32_t pg, uint64_t ns, const void *key, size_t len,
                       const void *value, size_t value_len, const tn_proto_ver_t *expect)
{
    tn_row_t row = {.pool = c->meta->id,
                    .pg = pg,
                    .ns = ns,
                    .key = key,
                    .key_len = len,
                    .flags = value == NULL ? TN_ROW_TOMBSTONE : 0,
                    .value = value,
                    .value_len = value != NULL ? value_len : 0};
    uint64_t h = tn_hlc_now(&c->hlc, wall_ms());
    row.ver.hlc = expect != NULL && expect->hlc >= h ? expect->hlc + 1 : h;
    row.ver.origin = c->origin;
    ctl_random(row.ver.vid, sizeof row.ver.vid);
    int rc = tn_row_check(&row);
    if (rc != TN_OK)
        return rc;
    tn_row_seal(&row);
    size_t cap = tn_row_encoded_size(&row), elen = 0;
    uint8_t *enc = malloc(cap);
    if (enc == NULL)
        return -ENOMEM;
    if (tn_row_encode(&row, enc, cap, &elen) != TN_OK) {
        free(enc);
        return -EINVAL;
    }
    int32_t osds[PL_MAX_SIZE];
    int n = pg_osds(c, pg, osds);
    int ok = 0, exist = 0, precondition = 0, applied[PL_MAX_SIZE] = {0};
    for (int i = 0; i < n; i++) {
        tn_row_put_rep_t rep;
        memset(&rep, 0, sizeof rep);
        rc = expect == NULL
                 ? tn_osdc_sync_row_put(c->sc, osds[i], TN_PROTO_ROW_CREATE, enc, elen, &rep)
                 : tn_osdc_sync_row_put_if(c->sc, osds[i], enc, elen, expect, &rep);
        if (rc == 0) {
            ok++;
            applied[i] = rep.result == TN_PROTO_RESULT_APPLIED;
        } else if (rc == -EEXIST) {
            exist++;
        } else if (rc == TN_ERR_PRECONDITION) {
            precondition++;
        }
    }
    int replicas = c->meta->size;
    if (ok == replicas && n == replicas) {
        free(enc);
        return 0;
    }
    if (expect == NULL) { /* roll the partial CREATE back */
        tn_row_delete_req_t d = {.pool = row.pool,
                                 .pg = pg,
                                 .ns = ns,
                                 .key = {key, len},
                                 .ver = {.hlc = row.ver.hlc, .origin = row.ver.origin}};
        memcpy(d.ver.vid, row.ver.vid, TN_ROW_VID_LEN);
        for (int i = 0; i < n; i++) {
            uint8_t res;
            if (applied[i] && tn_osdc_sync_row_delete(c->sc, osds[i], &d, &res) != 0)
                ctl_err("warning: rolling back on osd.%d failed; repair removes the partial "
                        "record",
                        (int)osds[i]);
        }
    }
    free(enc);
    if (exist > 0)
        return -EEXIST;
    if (precondition > 0)
        return TN_ERR_PRECONDITION;
    return TN_ERR_QUORUM;
}

void ctl_meta_explain(const char *what, int err)
{
    if (err == TN_ERR_QUORUM)
        ctl_err("%s: not enough replicas of the metadata answered (users, keys and buckets "
                "change only when every replica is up); check the OSDs and retry",
                what);
    else if (err == TN_ERR_PRECONDITION)
        ctl_err("%s: the record changed meanwhile; retry", what);
    else if (err == -ENOMEM)
        ctl_err("%s: out of memory", what);
    else
        ctl_err("%s: %s", what, tn_strerror(err));
}
