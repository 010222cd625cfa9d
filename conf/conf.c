/*
 * conf.c — binds the YAML node tree (conf_tree.c) to conf_t and validates it: every key known,
 * every value typed and in range, cross-references (OSD → host, pool size → failure domains,
 * quorums) checked, and every problem reported with file:line:column and a fix. Also the file
 * reader and the lookups. The schema is documented in conf.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "conf.h"
#include "conf_tree.h"
#include "conf_value.h"

#define STR_MAX  4096 /* longest string value accepted (paths) */
#define MAX_KEYS 16   /* most keys a mapping of the schema knows */

struct host_ref {
    const char *name;
    size_t idx;
};

typedef struct {
    conf_arena_t *arena; /* the conf_t's arena: everything kept is copied here */
    const char *name;
    conf_error_t *err;
    int oom;
    conf_t *c;
    const conf_node_t *root;
    const conf_node_t *hosts_key;   /* the `hosts:` key, for messages about domain counts */
    const conf_node_t **pool_where; /* per pool: its entry in the file, NULL for a default */
    const conf_node_t **host_where; /* per loaded host: its entry in the file */
    struct host_ref *host_sorted;   /* hosts sorted by (name, index), for lookups */
    /* errors found so far, reported sorted by position at the end */
    struct pending_error *pending;
    size_t n_pending, cap_pending;
} ctx_t;

struct pending_error {
    unsigned line, col;
    size_t seq;
    char *msg; /* from malloc() */
};

/* Records an error at node; they are written to conf_error_t in file order by flush_errors. */
static void report(ctx_t *x, const conf_node_t *node, const char *fmt, ...) TN_PRINTF(3, 4);
static void report(ctx_t *x, const conf_node_t *node, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (x->n_pending == x->cap_pending) {
        size_t cap = x->cap_pending ? 2 * x->cap_pending : 16;
        struct pending_error *p = realloc(x->pending, cap * sizeof(*p));
        if (p == NULL) {
            x->oom = 1;
            return;
        }
        x->pending = p;
        x->cap_pending = cap;
    }
    char *copy = strdup(msg);
    if (copy == NULL) {
        x->oom = 1;
        return;
    }
    x->pending[x->n_pending] = (struct pending_error){
        .line = node->line, .col = node->col, .seq = x->n_pending, .msg = copy};
    x->n_pending++;
}

static int pending_cmp(const void *pa, const void *pb)
{
    const struct pending_error *a = pa, *b = pb;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

static void flush_errors(ctx_t *x)
{
    if (x->n_pending > 0)
        qsort(x->pending, x->n_pending, sizeof(*x->pending), pending_cmp);
    for (size_t i = 0; i < x->n_pending; i++) {
        conf__error_add(x->err, x->name, x->pending[i].line, x->pending[i].col, "%s",
                        x->pending[i].msg);
        free(x->pending[i].msg);
    }
    free(x->pending);
    x->pending = NULL;
    x->n_pending = x->cap_pending = 0;
}

/* Renders a scalar for a message: quoted, escaped, truncated. */
static const char *show(const conf_node_t *n, char *buf, size_t cap)
{
    size_t o = 0;
    if (n == NULL || n->type != CONF_NODE_SCALAR) {
        snprintf(buf, cap, "%s", conf__node_kind(n));
        return buf;
    }
    buf[o++] = '"';
    for (size_t i = 0; i < n->len && o + 8 < cap; i++) {
        unsigned char ch = (unsigned char)n->str[i];
        if (i == 60) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (ch == '"' || ch == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
        } else {
            buf[o++] = (char)ch;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static void path_join(char *out, size_t cap, const char *path, const char *key)
{
    if (path[0] == '\0')
        snprintf(out, cap, "%s", key);
    else
        snprintf(out, cap, "%s.%s", path, key);
}

static char *keep(ctx_t *x, const char *s, size_t len)
{
    char *d = conf__arena_strndup(x->arena, s, len);
    if (d == NULL)
        x->oom = 1;
    return d;
}

static void *keep_array(ctx_t *x, size_t n, size_t size)
{
    void *p = conf__arena_calloc(x->arena, n, size);
    if (p == NULL)
        x->oom = 1;
    return p;
}

/* ---- mappings ---- */

static int expect_map(ctx_t *x, const conf_node_t *n, const char *path)
{
    if (n->type == CONF_NODE_MAP)
        return 1;
    char b[96];
    report(x, n, "%s: expected a mapping (indented `key: value` lines), got %s", path,
           conf__node_is_null(n) ? "nothing" : show(n, b, sizeof(b)));
    return 0;
}

static int expect_seq(ctx_t *x, const conf_node_t *n, const char *path)
{
    if (n->type == CONF_NODE_SEQ)
        return 1;
    char b[96];
    report(x, n, "%s: expected a list (lines starting with `- `), got %s", path,
           conf__node_is_null(n) ? "nothing" : show(n, b, sizeof(b)));
    return 0;
}

/* Reports unknown and duplicate keys of map. known is NULL-terminated. */
static void check_keys(ctx_t *x, const conf_node_t *map, const char *path, const char *const *known)
{
    char where[256], b[96];
    const conf_node_t *seen[MAX_KEYS] = {NULL}; /* first occurrence of each known key */
    for (const conf_node_t *k = map->first; k != NULL; k = k->next) {
        size_t i;
        for (i = 0; known[i] != NULL; i++)
            if (strlen(known[i]) == k->len && memcmp(known[i], k->str, k->len) == 0)
                break;
        if (known[i] != NULL) {
            assert(i < MAX_KEYS);
            if (seen[i] != NULL) {
                path_join(where, sizeof(where), path, known[i]);
                report(x, k, "%s: duplicate key (first given at line %u); remove one of the two",
                       where, seen[i]->line);
            } else {
                seen[i] = k;
            }
            continue;
        }
        const char *hint = conf__suggest(k->str, known);
        char list[512];
        size_t o = 0;
        list[0] = '\0';
        for (i = 0; known[i] != NULL && o < sizeof(list); i++)
            o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", known[i]);
        if (path[0] == '\0')
            snprintf(where, sizeof(where), "top level");
        else
            snprintf(where, sizeof(where), "%s", path);
        if (hint != NULL)
            report(x, k, "%s: unknown key %s; did you mean '%s'?", where, show(k, b, sizeof(b)),
                   hint);
        else
            report(x, k, "%s: unknown key %s; known keys here: %s", where, show(k, b, sizeof(b)),
                   list);
    }
}

/* The value of the first key named key, or NULL. */
static const conf_node_t *get(const conf_node_t *map, const char *key)
{
    size_t len = strlen(key);
    for (const conf_node_t *k = map->first; k != NULL; k = k->next)
        if (k->len == len && memcmp(k->str, key, len) == 0)
            return k->value;
    return NULL;
}

static void missing(ctx_t *x, const conf_node_t *map, const char *path, const char *key,
                    const char *example)
{
    char where[256];
    path_join(where, sizeof(where), path, key);
    for (const conf_node_t *k = map->first; k != NULL; k = k->next) {
        if (k->len == strlen(key) && memcmp(k->str, key, k->len) == 0) {
            report(x, k, "%s: has no value; write `%s: %s`", where, key, example);
            return;
        }
    }
    report(x, map, "%s: missing required key '%s'; add `%s: %s`%s%s", where, key, key, example,
           path[0] ? " under " : "", path);
}

/* Value of key, or NULL if absent or YAML null (reporting it when required). */
static const conf_node_t *value_of(ctx_t *x, const conf_node_t *map, const char *path,
                                   const char *key, const char *required_example)
{
    const conf_node_t *v = get(map, key);
    if (conf__node_is_null(v)) {
        if (required_example != NULL)
            missing(x, map, path, key, required_example);
        return NULL;
    }
    return v;
}

/* ---- typed values. Each returns 1 (value set), 0 (absent: default stays), -1 (reported) ---- */

static int get_str(ctx_t *x, const conf_node_t *map, const char *path, const char *key,
                   const char *required_example, const char **out)
{
    const conf_node_t *v = value_of(x, map, path, key, required_example);
    char where[256];
    if (v == NULL)
        return required_example != NULL ? -1 : 0;
    path_join(where, sizeof(where), path, key);
    if (v->type != CONF_NODE_SCALAR) {
        report(x, v, "%s: expected a string, got %s", where, conf__node_kind(v));
        return -1;
    }
    if (v->len > STR_MAX) {
        report(x, v, "%s: value is %zu characters long; at most %d are accepted", where, v->len,
               STR_MAX);
        return -1;
    }
    for (size_t i = 0; i < v->len; i++) {
        unsigned char ch = (unsigned char)v->str[i];
        if (ch < 0x20 || ch == 0x7f) {
            char b[96];
            report(x, v, "%s: %s contains a control character; remove it", where,
                   show(v, b, sizeof(b)));
            return -1;
        }
    }
    *out = keep(x, v->str, v->len);
    return *out != NULL ? 1 : -1;
}

static int get_uint(ctx_t *x, const conf_node_t *map, const char *path, const char *key,
                    uint64_t min, uint64_t max, const char *required_example, uint64_t *out)
{
    const conf_node_t *v = value_of(x, map, path, key, required_example);
    char where[256], b[96];
    if (v == NULL)
        return required_example != NULL ? -1 : 0;
    path_join(where, sizeof(where), path, key);
    if (v->type != CONF_NODE_SCALAR) {
        report(x, v, "%s: expected a number, got %s; write a whole number between %llu and %llu",
               where, conf__node_kind(v), (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    show(v, b, sizeof(b));
    if (v->quoted) {
        report(x, v,
               "%s: %s is quoted, so YAML reads it as a string; write the number without quotes",
               where, b);
        return -1;
    }
    uint64_t n;
    int rc = conf__parse_uint(v->str, &n);
    if (rc == -EINVAL && v->str[0] == '-' && conf__parse_uint(v->str + 1, &n) != -EINVAL) {
        report(x, v, "%s: %s is negative; use a whole number between %llu and %llu", where, b,
               (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    if (rc == -EINVAL) {
        report(x, v, "%s: %s is not a whole number; use a whole number between %llu and %llu",
               where, b, (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    if (rc == -ERANGE || n < min || n > max) {
        report(x, v, "%s: %s is out of range %llu..%llu; use a whole number between %llu and %llu",
               where, b, (unsigned long long)min, (unsigned long long)max, (unsigned long long)min,
               (unsigned long long)max);
        return -1;
    }
    *out = n;
    return 1;
}

static int get_size(ctx_t *x, const conf_node_t *map, const char *path, const char *key,
                    uint64_t min, uint64_t max, const char *max_text, uint64_t *out)
{
    const conf_node_t *v = value_of(x, map, path, key, NULL);
    char where[256], b[96];
    if (v == NULL)
        return 0;
    path_join(where, sizeof(where), path, key);
    if (v->type != CONF_NODE_SCALAR) {
        report(x, v, "%s: expected a size like 16K or 5G, got %s", where, conf__node_kind(v));
        return -1;
    }
    show(v, b, sizeof(b));
    uint64_t n;
    int rc = conf__parse_size(v->str, &n);
    if (rc == -EINVAL) {
        report(x, v,
               "%s: %s is not a size; write bytes (65536) or a number with K, M, G or T "
               "(powers of 1024), e.g. 64K or 5G",
               where, b);
        return -1;
    }
    if (rc == -ERANGE || n < min || n > max) {
        report(x, v, "%s: %s is out of range; use a size between %llu bytes and %s", where, b,
               (unsigned long long)min, max_text);
        return -1;
    }
    *out = n;
    return 1;
}

/* A string of [a-z0-9-] (or also [A-Z._] when loose), 1..63, starting with a letter or digit. */
static int check_name(ctx_t *x, const conf_node_t *map, const char *path, const char *key,
                      const char *s, int loose)
{
    size_t len = strlen(s);
    int good = len >= 1 && len <= 63 && s[0] != '-' && s[0] != '.' && s[0] != '_';
    for (size_t i = 0; good && i < len; i++) {
        char ch = s[i];
        good = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
               (loose && ((ch >= 'A' && ch <= 'Z') || ch == '.' || ch == '_'));
    }
    if (good)
        return 1;
    const conf_node_t *v = get(map, key);
    char where[256], b[96];
    path_join(where, sizeof(where), path, key);
    report(x, v,
           "%s: %s is not a valid name; use 1 to 63 characters of %s, starting with a "
           "letter or digit",
           where, show(v, b, sizeof(b)),
           loose ? "letters, digits, '.', '_' and '-'" : "a-z, 0-9 and '-'");
    return 0;
}

/* Parses an address node into *a; reports and returns 0 on error. */
static int parse_addr_node(ctx_t *x, const conf_node_t *v, const char *where, conf_addr_t *a)
{
    char b[96];
    if (v->type != CONF_NODE_SCALAR) {
        report(x, v, "%s: expected host:port, got %s", where, conf__node_kind(v));
        return 0;
    }
    show(v, b, sizeof(b));
    if (strlen(v->str) != v->len || v->len > 300) {
        report(x, v, "%s: %s is not a valid host:port; write e.g. 10.0.0.1:7001", where, b);
        return 0;
    }
    size_t off = 0, hlen = 0;
    uint64_t port = 0;
    int v6 = 0;
    switch (conf__parse_addr(v->str, &off, &hlen, &port, &v6)) {
    case CONF_ADDR_OK: break;
    case CONF_ADDR_EMPTY_HOST:
        report(x, v, "%s: %s has no host before the port; write e.g. 10.0.0.1%s", where, b, v->str);
        return 0;
    case CONF_ADDR_NO_PORT:
        report(x, v, "%s: %s has no port; write it as host:port, e.g. %s:7001", where, b, v->str);
        return 0;
    case CONF_ADDR_BAD_PORT:
        report(x, v, "%s: %s has a port that is not a number; use a port between 1 and 65535",
               where, b);
        return 0;
    case CONF_ADDR_PORT_RANGE:
        if (port == UINT64_MAX)
            report(x, v, "%s: %s has a port out of range 1..65535; use a port between 1 and 65535",
                   where, b);
        else
            report(x, v,
                   "%s: %s has port %llu out of range 1..65535; use a port between 1 and 65535",
                   where, b, (unsigned long long)port);
        return 0;
    case CONF_ADDR_UNBRACKETED_V6:
        report(x, v,
               "%s: %s looks like an IPv6 address without brackets; write it as "
               "[address]:port, e.g. [::1]:7001",
               where, b);
        return 0;
    case CONF_ADDR_BAD_V6:
        report(x, v, "%s: %s is not a valid [IPv6]:port; write e.g. [fd00::1]:7001", where, b);
        return 0;
    case CONF_ADDR_BAD_V4:
        report(x, v, "%s: %s is not a valid IPv4 address and port; write e.g. 10.0.0.1:7001", where,
               b);
        return 0;
    case CONF_ADDR_BAD_NAME:
        report(x, v,
               "%s: %s has an invalid host name; use an IP address or a DNS name "
               "(letters, digits, '-' and '.')",
               where, b);
        return 0;
    }
    a->host = keep(x, v->str + off, hlen);
    a->port = (uint16_t)port;
    a->is_ipv6 = v6;
    return a->host != NULL;
}

/* ---- duplicate detection (sort, then report in file order) ---- */

typedef struct {
    const char *s; /* compared case-insensitively, or NULL */
    uint64_t v;
    size_t idx;
    const conf_node_t *node;
} dup_t;

static int dup_cmp(const void *pa, const void *pb)
{
    const dup_t *a = pa, *b = pb;
    int c = (a->s != NULL && b->s != NULL) ? strcasecmp(a->s, b->s) : 0;
    if (c != 0)
        return c;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

/* items[i].idx must be i. Reports each item equal to an earlier one. */
static void report_dups(ctx_t *x, dup_t *items, size_t n, const char *what, const char *fix)
{
    if (n < 2)
        return;
    size_t *first = malloc(n * sizeof(*first));
    dup_t *sorted = malloc(n * sizeof(*sorted));
    if (first == NULL || sorted == NULL) {
        x->oom = 1;
        free(first);
        free(sorted);
        return;
    }
    memcpy(sorted, items, n * sizeof(*items));
    qsort(sorted, n, sizeof(*sorted), dup_cmp);
    for (size_t i = 0; i < n; i++)
        first[i] = SIZE_MAX;
    for (size_t i = 1, head = 0; i < n; i++) {
        dup_t a = sorted[head], b = sorted[i];
        a.idx = b.idx = 0;
        if (dup_cmp(&a, &b) == 0)
            first[sorted[i].idx] = sorted[head].idx;
        else
            head = i;
    }
    for (size_t i = 0; i < n; i++) {
        if (first[i] == SIZE_MAX)
            continue;
        char b[96];
        report(x, items[i].node, "%s %s is used twice: also at line %u; %s", what,
               show(items[i].node, b, sizeof(b)), items[first[i]].node->line, fix);
    }
    free(first);
    free(sorted);
}

/* ---- sections ---- */

static void parse_cluster(ctx_t *x, const conf_node_t *root)
{
    static const char *const keys[] = {"name", "id", "key", NULL};
    const conf_node_t *m = value_of(x, root, "", "cluster", "{name: dev, id: <32 hex digits>}");
    conf_cluster_t *cl = &x->c->cluster;
    if (m == NULL || !expect_map(x, m, "cluster"))
        return;
    check_keys(x, m, "cluster", keys);
    if (get_str(x, m, "cluster", "name", "dev", &cl->name) == 1)
        check_name(x, m, "cluster", "name", cl->name, 0);
    const char *id = NULL;
    char b[96];
    if (get_str(x, m, "cluster", "id", "<32 hex digits>", &id) == 1) {
        if (conf__hex_decode(id, strlen(id), cl->id, sizeof(cl->id)) != 0) {
            const conf_node_t *v = get(m, "id");
            report(x, v,
                   "cluster.id: %s is not 32 hex digits (a 128-bit id); generate one with "
                   "`ternctl cluster init` or `openssl rand -hex 16`",
                   show(v, b, sizeof(b)));
        } else {
            for (size_t i = 0; i < sizeof(cl->id); i++)
                snprintf(cl->id_hex + 2 * i, 3, "%02x", cl->id[i]);
        }
    }
    const char *key = NULL;
    if (get_str(x, m, "cluster", "key", NULL, &key) == 1) {
        if (conf__hex_decode(key, strlen(key), cl->key, sizeof(cl->key)) != 0) {
            const conf_node_t *v = get(m, "key");
            report(x, v,
                   "cluster.key: the key is not 64 hex digits (a 256-bit key); generate one "
                   "with `ternctl cluster init` or `openssl rand -hex 32`");
        } else {
            cl->has_key = 1;
        }
    }
}

static int host_ref_cmp(const void *pa, const void *pb)
{
    const struct host_ref *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c != 0 ? c : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

/* Index of the first host named name, or SIZE_MAX. */
static size_t find_host_index(const ctx_t *x, const char *name)
{
    size_t lo = 0, hi = x->c->n_hosts;
    if (x->host_sorted == NULL)
        return SIZE_MAX;
    while (lo < hi) { /* first position whose name is >= name */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(x->host_sorted[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < x->c->n_hosts && strcmp(x->host_sorted[lo].name, name) == 0)
        return x->host_sorted[lo].idx;
    return SIZE_MAX;
}

static void parse_hosts(ctx_t *x, const conf_node_t *root)
{
    static const char *const keys[] = {"name", "address", NULL};
    const conf_node_t *s = value_of(x, root, "", "hosts", "[{name: host-a}]");
    if (s == NULL || !expect_seq(x, s, "hosts"))
        return;
    if (s->n == 0) {
        report(x, s, "hosts: the list is empty; list at least one host (`- name: host-a`)");
        return;
    }
    conf_host_t *hosts = keep_array(x, s->n, sizeof(*hosts));
    dup_t *dups = malloc(s->n * sizeof(*dups));
    x->host_where = malloc(s->n * sizeof(*x->host_where));
    if (hosts == NULL || dups == NULL || x->host_where == NULL) {
        x->oom = 1;
        free(dups);
        return;
    }
    size_t n = 0;
    size_t i = 0;
    for (const conf_node_t *it = s->first; it != NULL; it = it->next, i++) {
        char path[64], b[96];
        snprintf(path, sizeof(path), "hosts[%zu]", i);
        if (!expect_map(x, it, path))
            continue;
        check_keys(x, it, path, keys);
        conf_host_t h = {.line = it->line};
        int ok = get_str(x, it, path, "name", "host-a", &h.name) == 1 &&
                 check_name(x, it, path, "name", h.name, 1);
        if (get_str(x, it, path, "address", NULL, &h.address) == 1) {
            int v6;
            const conf_node_t *v = get(it, "address");
            if (conf__check_host(h.address, strlen(h.address), &v6) != CONF_ADDR_OK) {
                report(x, v,
                       "%s.address: %s is not an IP address or DNS name; write e.g. 10.0.0.1 "
                       "(no port: OSDs give their own `port:`)",
                       path, show(v, b, sizeof(b)));
                ok = 0;
            } else if (h.address[0] == '[') {
                h.address = keep(x, h.address + 1, strlen(h.address) - 2);
            }
        }
        if (!ok)
            continue;
        dups[n] = (dup_t){.s = h.name, .idx = n, .node = get(it, "name")};
        x->host_where[n] = it;
        hosts[n++] = h;
    }
    report_dups(x, dups, n, "hosts: host name", "give every host its own name");
    free(dups);
    x->c->hosts = hosts;
    x->c->n_hosts = n;
    x->host_sorted = malloc((n ? n : 1) * sizeof(*x->host_sorted));
    if (x->host_sorted == NULL) {
        x->oom = 1;
        return;
    }
    for (size_t h = 0; h < n; h++)
        x->host_sorted[h] = (struct host_ref){.name = hosts[h].name, .idx = h};
    qsort(x->host_sorted, n, sizeof(*x->host_sorted), host_ref_cmp);
}

static void parse_osd(ctx_t *x, const conf_node_t *it, const char *path, conf_osd_t *o, int *ok)
{
    static const char *const keys[] = {"id",   "host",   "addr",         "port",
                                       "data", "weight", "admin_listen", NULL};
    char b[96], where[256];
    check_keys(x, it, path, keys);
    uint64_t id = 0;
    *ok = 1;
    if (get_uint(x, it, path, "id", 0, CONF_MAX_OSD_ID, "0", &id) != 1)
        *ok = 0;
    o->id = (int)id;
    o->line = it->line;
    const conf_host_t *host = NULL;
    if (get_str(x, it, path, "host", "host-a", &o->host) == 1) {
        size_t h = find_host_index(x, o->host);
        if (h != SIZE_MAX) {
            host = &x->c->hosts[h];
            o->host_index = h;
            o->host = host->name;
        }
        if (host == NULL && x->c->n_hosts > 0) {
            const conf_node_t *v = get(it, "host");
            report(x, v,
                   "%s.host: %s is not one of the hosts listed under `hosts:`; add it "
                   "there or fix the name",
                   path, show(v, b, sizeof(b)));
        }
    }
    if (host == NULL)
        *ok = 0;
    const conf_node_t *addr = value_of(x, it, path, "addr", NULL);
    const conf_node_t *port = value_of(x, it, path, "port", NULL);
    if (addr != NULL && port != NULL) {
        report(x, port,
               "%s.port: give either addr (host:port) or port (with the host's "
               "address), not both; remove one",
               path);
        *ok = 0;
    } else if (addr != NULL) {
        path_join(where, sizeof(where), path, "addr");
        if (!parse_addr_node(x, addr, where, &o->addr))
            *ok = 0;
    } else if (port != NULL) {
        uint64_t p = 0;
        if (get_uint(x, it, path, "port", 1, 65535, NULL, &p) != 1) {
            *ok = 0;
        } else if (host != NULL && host->address == NULL) {
            report(x, port,
                   "%s.port: host '%s' has no `address`, so the OSD's address is "
                   "unknown; add `address:` to the host or write `addr: host:port` here",
                   path, host->name);
            *ok = 0;
        } else if (host != NULL) {
            int v6 = 0;
            conf__check_host(host->address, strlen(host->address), &v6);
            o->addr = (conf_addr_t){.host = host->address, .port = (uint16_t)p, .is_ipv6 = v6};
        }
    } else {
        missing(x, it, path, "addr", "127.0.0.1:7001");
        *ok = 0;
    }
    if (get_str(x, it, path, "data", "/var/lib/tern/osd.N", &o->data) != 1)
        *ok = 0;
    const conf_node_t *adm = value_of(x, it, path, "admin_listen", NULL);
    if (adm != NULL) {
        path_join(where, sizeof(where), path, "admin_listen");
        if (!parse_addr_node(x, adm, where, &o->admin)) {
            *ok = 0;
        } else if (addr != NULL && o->admin.port == o->addr.port &&
                   strcasecmp(o->admin.host, o->addr.host) == 0) {
            report(x, adm,
                   "%s: the admin port must differ from the OSD's addr; give it its own port, "
                   "e.g. 127.0.0.1:9101",
                   where);
            *ok = 0;
        } else {
            o->has_admin = 1;
        }
    }
    o->weight = 1.0;
    o->weight_fixed = CONF_WEIGHT_FIXED1;
    const conf_node_t *w = value_of(x, it, path, "weight", NULL);
    if (w != NULL) {
        int rc = -EINVAL;
        if (w->type == CONF_NODE_SCALAR && !w->quoted)
            rc = conf__parse_weight(w->str, &o->weight, &o->weight_fixed);
        if (w->type == CONF_NODE_SCALAR && w->quoted) {
            report(x, w,
                   "%s.weight: %s is quoted, so YAML reads it as a string; write the number "
                   "without quotes",
                   path, show(w, b, sizeof(b)));
            *ok = 0;
        } else if (rc == -ERANGE) {
            report(x, w, "%s.weight: %s is out of range; use a weight above 0 and at most 1000",
                   path, show(w, b, sizeof(b)));
            *ok = 0;
        } else if (rc != 0) {
            report(x, w,
                   "%s.weight: %s is not a plain decimal number; write e.g. 1.0 or 2.5 (no "
                   "quotes, at most 4 decimals)",
                   path, show(w, b, sizeof(b)));
            *ok = 0;
        }
    }
}

static void parse_osds(ctx_t *x, const conf_node_t *root)
{
    const conf_node_t *s = value_of(x, root, "", "osds", "[{id: 0, host: host-a, ...}]");
    if (s == NULL || !expect_seq(x, s, "osds"))
        return;
    if (s->n == 0) {
        report(x, s, "osds: the list is empty; list at least one OSD");
        return;
    }
    conf_osd_t *osds = keep_array(x, s->n, sizeof(*osds));
    dup_t *ids = malloc(s->n * sizeof(*ids));
    dup_t *addrs = malloc(s->n * sizeof(*addrs));
    if (osds == NULL || ids == NULL || addrs == NULL) {
        x->oom = 1;
        free(ids);
        free(addrs);
        return;
    }
    size_t n = 0, i = 0, nid = 0;
    for (const conf_node_t *it = s->first; it != NULL; it = it->next, i++) {
        char path[64];
        snprintf(path, sizeof(path), "osds[%zu]", i);
        if (!expect_map(x, it, path))
            continue;
        conf_osd_t o = {0};
        int ok;
        parse_osd(x, it, path, &o, &ok);
        const conf_node_t *idn = get(it, "id");
        uint64_t v;
        if (idn != NULL && idn->type == CONF_NODE_SCALAR && !idn->quoted &&
            conf__parse_uint(idn->str, &v) == 0 && v <= CONF_MAX_OSD_ID) {
            /* ids that parsed count for duplicates even if the entry has other errors */
            ids[nid] = (dup_t){.v = v, .idx = nid, .node = idn};
            nid++;
        }
        if (!ok)
            continue;
        const conf_node_t *an = get(it, "addr");
        if (an == NULL || conf__node_is_null(an))
            an = get(it, "port");
        addrs[n] = (dup_t){.s = o.addr.host, .v = o.addr.port, .idx = n, .node = an};
        osds[n++] = o;
        x->c->hosts[o.host_index].n_osds++;
    }
    report_dups(x, ids, nid, "osds: OSD id", "give every OSD its own id");
    report_dups(x, addrs, n, "osds: OSD address", "give every OSD its own host:port");
    free(ids);
    free(addrs);
    x->c->osds = osds;
    x->c->n_osds = n;
}

static void check_hosts_have_osds(ctx_t *x)
{
    const conf_node_t *os = get(x->root, "osds");
    /* only meaningful when every OSD entry loaded */
    if (os == NULL || os->type != CONF_NODE_SEQ || x->c->n_osds != os->n || x->c->n_osds == 0)
        return;
    for (size_t h = 0; h < x->c->n_hosts; h++) {
        const conf_host_t *host = &x->c->hosts[h];
        int dup = find_host_index(x, host->name) != h; /* reported as a duplicate */
        if (host->n_osds == 0 && !dup)
            report(x, x->host_where[h],
                   "hosts: host '%s' has no OSDs, and a host without OSDs cannot hold data; "
                   "add an OSD with `host: %s` under osds, or remove the host",
                   host->name, host->name);
    }
}

static const char *const fd_names[] = {"host", "osd", NULL};

static void parse_pool(ctx_t *x, const conf_node_t *it, const char *path, conf_pool_t *p,
                       int *have_w, int *have_r)
{
    static const char *const keys[] = {"name",        "pg_num",         "size", "write_quorum",
                                       "read_quorum", "failure_domain", NULL};
    uint64_t v;
    check_keys(x, it, path, keys);
    if (get_uint(x, it, path, "pg_num", 1, CONF_MAX_PG_NUM, NULL, &v) == 1)
        p->pg_num = (uint32_t)v;
    if (get_uint(x, it, path, "size", 1, CONF_MAX_SIZE, NULL, &v) == 1)
        p->size = (int)v;
    if (get_uint(x, it, path, "write_quorum", 1, CONF_MAX_SIZE, NULL, &v) == 1) {
        p->write_quorum = (int)v;
        *have_w = 1;
    }
    if (get_uint(x, it, path, "read_quorum", 1, CONF_MAX_SIZE, NULL, &v) == 1) {
        p->read_quorum = (int)v;
        *have_r = 1;
    }
    const char *fd = NULL;
    if (get_str(x, it, path, "failure_domain", NULL, &fd) == 1) {
        if (strcmp(fd, "host") == 0) {
            p->failure_domain = CONF_FD_HOST;
        } else if (strcmp(fd, "osd") == 0) {
            p->failure_domain = CONF_FD_OSD;
        } else {
            char b[96];
            const conf_node_t *n = get(it, "failure_domain");
            const char *hint = conf__suggest(fd, fd_names);
            report(x, n, "%s.failure_domain: %s is not host or osd; %s%s%s", path,
                   show(n, b, sizeof(b)), hint ? "did you mean '" : "use host (replicas on ",
                   hint ? hint : "different hosts) or osd (only on different OSDs)",
                   hint ? "'?" : "");
        }
    }
}

static void parse_pools(ctx_t *x, const conf_node_t *root)
{
    static const conf_pool_t defaults[] = {
        {.name = "data", .pg_num = 128, .size = 3},
        {.name = "index", .pg_num = 32, .size = 3},
        {.name = "meta", .pg_num = 8, .size = 3},
    };
    const conf_node_t *s = value_of(x, root, "", "pools", NULL);
    size_t extra = 0;
    if (s != NULL && !expect_seq(x, s, "pools"))
        s = NULL;
    if (s != NULL)
        extra = s->n;
    conf_pool_t *pools = keep_array(x, 3 + extra, sizeof(*pools));
    int *have = calloc(3 + extra, 2 * sizeof(int));
    x->pool_where = calloc(3 + extra, sizeof(*x->pool_where));
    dup_t *dups = calloc(extra + 1, sizeof(*dups));
    if (pools == NULL || have == NULL || x->pool_where == NULL || dups == NULL) {
        x->oom = 1;
        free(have);
        free(dups);
        return;
    }
    memcpy(pools, defaults, sizeof(defaults));
    size_t n = 3, nd = 0, i = 0;
    for (const conf_node_t *it = s != NULL ? s->first : NULL; it != NULL; it = it->next, i++) {
        char path[64];
        snprintf(path, sizeof(path), "pools[%zu]", i);
        if (!expect_map(x, it, path))
            continue;
        const char *name = NULL;
        if (get_str(x, it, path, "name", "data", &name) != 1 ||
            !check_name(x, it, path, "name", name, 0)) {
            conf_pool_t scratch = {0};
            int w, r;
            parse_pool(x, it, path, &scratch, &w, &r); /* still report its other errors */
            continue;
        }
        dups[nd] = (dup_t){.s = name, .idx = nd, .node = get(it, "name")};
        nd++;
        size_t slot = n;
        for (size_t d = 0; d < 3; d++)
            if (strcmp(name, defaults[d].name) == 0)
                slot = d;
        if (slot == n) {
            pools[n] = (conf_pool_t){.name = name, .pg_num = 128, .size = 3};
            n++;
        } else if (x->pool_where[slot] != NULL) {
            continue; /* a duplicate: reported below */
        }
        x->pool_where[slot] = it;
        parse_pool(x, it, path, &pools[slot], &have[2 * slot], &have[2 * slot + 1]);
    }
    report_dups(x, dups, nd, "pools: pool name", "give every pool its own name");
    free(dups);
    for (size_t p = 0; p < n; p++) {
        conf_pool_t *pl = &pools[p];
        if (!have[2 * p])
            pl->write_quorum = pl->size / 2 + 1;
        if (!have[2 * p + 1])
            pl->read_quorum = pl->size / 2 + 1;
    }
    free(have);
    x->c->pools = pools;
    x->c->n_pools = n;
}

/* Checks quorums and sizes against the cluster: after hosts, osds and pools. */
static void check_pools(ctx_t *x)
{
    size_t domains_host = 0, n_default_bad = 0, default_domains = 0;
    const char *default_bad[3] = {NULL, NULL, NULL};
    for (size_t h = 0; h < x->c->n_hosts; h++)
        domains_host += x->c->hosts[h].n_osds > 0;
    for (size_t p = 0; p < x->c->n_pools; p++) {
        const conf_pool_t *pl = &x->c->pools[p];
        const conf_node_t *it = x->pool_where != NULL ? x->pool_where[p] : NULL;
        char path[96];
        snprintf(path, sizeof(path), "pools[%s]", pl->name);
        const conf_node_t *at;
        if (it != NULL) {
            const conf_node_t *w = get(it, "write_quorum"), *r = get(it, "read_quorum");
            const conf_node_t *sz = get(it, "size");
            at = w != NULL ? w : r != NULL ? r : sz != NULL ? sz : it;
            if (pl->write_quorum > pl->size) {
                report(x, w != NULL ? w : it,
                       "%s: write_quorum %d is larger than size %d, so no write could ever "
                       "succeed; use a write_quorum between 1 and %d",
                       path, pl->write_quorum, pl->size, pl->size);
            } else if (pl->read_quorum > pl->size) {
                report(x, r != NULL ? r : it,
                       "%s: read_quorum %d is larger than size %d; use a read_quorum between 1 "
                       "and %d",
                       path, pl->read_quorum, pl->size, pl->size);
            } else if (pl->read_quorum + pl->write_quorum <= pl->size) {
                report(x, r != NULL ? r : at,
                       "%s: read_quorum %d + write_quorum %d does not exceed size %d, so a read "
                       "could miss the latest write; raise them so that their sum exceeds %d "
                       "(e.g. %d and %d)",
                       path, pl->read_quorum, pl->write_quorum, pl->size, pl->size,
                       pl->size / 2 + 1, pl->size / 2 + 1);
            }
        }
        /* failure domains: only when hosts and OSDs loaded */
        if (x->c->n_osds == 0 || domains_host == 0)
            continue;
        size_t domains = pl->failure_domain == CONF_FD_HOST ? domains_host : x->c->n_osds;
        if ((size_t)pl->size <= domains)
            continue;
        const char *unit = pl->failure_domain == CONF_FD_HOST ? "host" : "OSD";
        if (it != NULL) {
            const conf_node_t *sz = get(it, "size");
            report(x, sz != NULL ? sz : it,
                   "%s: size %d needs %d different %ss (failure_domain %s) but the cluster has "
                   "%zu; lower size, add %ss%s",
                   path, pl->size, pl->size, unit, fd_names[pl->failure_domain], domains, unit,
                   pl->failure_domain == CONF_FD_HOST ? ", or set failure_domain: osd" : "");
        } else {
            if (n_default_bad < 3)
                default_bad[n_default_bad++] = pl->name;
            default_domains = domains;
        }
    }
    if (n_default_bad > 0) {
        const conf_node_t *at = x->hosts_key != NULL ? x->hosts_key : x->root;
        char names[64];
        snprintf(names, sizeof(names), "%s%s%s%s%s", default_bad[0], n_default_bad > 1 ? ", " : "",
                 n_default_bad > 1 ? default_bad[1] : "", n_default_bad > 2 ? ", " : "",
                 n_default_bad > 2 ? default_bad[2] : "");
        report(x, at,
               "pool%s %s (not listed under `pools:`) keep%s 3 replicas on 3 different hosts, but "
               "the cluster has %zu host%s with OSDs; add hosts, or list %s under `pools:` with "
               "`size: %zu` or `failure_domain: osd`",
               n_default_bad > 1 ? "s" : "", names, n_default_bad > 1 ? "" : "s", default_domains,
               default_domains == 1 ? "" : "s", n_default_bad > 1 ? "them" : "it", default_domains);
    }
}

static int get_str_list(ctx_t *x, const conf_node_t *v, const char *where, size_t max,
                        const conf_node_t ***items, size_t *n)
{
    /* one scalar or a sequence of scalars */
    if (v->type == CONF_NODE_SCALAR) {
        *items = keep_array(x, 1, sizeof(**items));
        if (*items == NULL)
            return 0;
        (*items)[0] = v;
        *n = 1;
        return 1;
    }
    if (!expect_seq(x, v, where))
        return 0;
    if (v->n > max) {
        report(x, v, "%s: %zu entries; at most %zu are allowed", where, v->n, max);
        return 0;
    }
    *items = keep_array(x, v->n ? v->n : 1, sizeof(**items));
    if (*items == NULL)
        return 0;
    size_t i = 0;
    for (const conf_node_t *it = v->first; it != NULL; it = it->next)
        (*items)[i++] = it;
    *n = i;
    return 1;
}

static void parse_credentials(ctx_t *x, const conf_node_t *s)
{
    static const char *const keys[] = {"access_key", "secret_key", NULL};
    conf_gateway_t *g = &x->c->gateway;
    if (!expect_seq(x, s, "gateway.credentials") || s->n == 0)
        return;
    g->credentials = keep_array(x, s->n, sizeof(*g->credentials));
    dup_t *dups = malloc(s->n * sizeof(*dups));
    if (g->credentials == NULL || dups == NULL) {
        x->oom = 1;
        free(dups);
        return;
    }
    size_t i = 0, n = 0;
    for (const conf_node_t *it = s->first; it != NULL; it = it->next, i++) {
        char path[64], b[96];
        snprintf(path, sizeof(path), "gateway.credentials[%zu]", i);
        if (!expect_map(x, it, path))
            continue;
        check_keys(x, it, path, keys);
        conf_credential_t cr = {0};
        int ok = 1;
        if (get_str(x, it, path, "access_key", "AKIA...", &cr.access_key) == 1) {
            size_t len = strlen(cr.access_key);
            int good = len >= 16 && len <= 128 &&
                       strspn(cr.access_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == len;
            if (!good) {
                const conf_node_t *v = get(it, "access_key");
                report(x, v, "%s.access_key: %s must be 16 to 128 characters of A-Z and 0-9", path,
                       show(v, b, sizeof(b)));
                ok = 0;
            }
        } else {
            ok = 0;
        }
        if (get_str(x, it, path, "secret_key", "<40 random characters>", &cr.secret_key) == 1) {
            size_t len = strlen(cr.secret_key);
            int good = len >= 16 && len <= 128;
            for (size_t k = 0; good && k < len; k++)
                good = cr.secret_key[k] > 0x20 && cr.secret_key[k] < 0x7f;
            if (!good) {
                const conf_node_t *v = get(it, "secret_key");
                /* never echo a secret into a log */
                report(x, v,
                       "%s.secret_key: must be 16 to 128 printable ASCII characters without "
                       "spaces (this one has %zu characters)",
                       path, len);
                ok = 0;
            }
        } else {
            ok = 0;
        }
        if (!ok)
            continue;
        dups[n] = (dup_t){.s = cr.access_key, .idx = n, .node = get(it, "access_key")};
        g->credentials[n++] = cr;
    }
    report_dups(x, dups, n, "gateway.credentials: access key", "give every pair its own key");
    free(dups);
    g->n_credentials = n;
}

static void parse_gateway(ctx_t *x, const conf_node_t *root)
{
    static const char *const keys[] = {
        "listen",   "threads",     "region",          "domains",
        "tls",      "tmp_dir",     "max_object_size", "osd_timeout_ms",
        "hedge_ms", "credentials", "admin_listen",    "access_log",
        NULL};
    static conf_addr_t default_listen = {.host = "127.0.0.1", .port = 9000};
    conf_gateway_t *g = &x->c->gateway;
    g->listen = &default_listen;
    g->n_listen = 1;
    g->threads = 2;
    g->region = "us-east-1";
    g->tmp_dir = "/var/tmp";
    g->max_object_size = 5ull << 30;
    g->osd_timeout_ms = 2000;
    g->hedge_ms = 50;
    g->access_log = "stderr";
    const conf_node_t *m = value_of(x, root, "", "gateway", NULL);
    if (m == NULL || !expect_map(x, m, "gateway"))
        return;
    const char *path = "gateway";
    check_keys(x, m, path, keys);
    const conf_node_t *v = value_of(x, m, path, "listen", NULL), **items;
    size_t n;
    if (v != NULL && get_str_list(x, v, "gateway.listen", CONF_MAX_LISTEN, &items, &n)) {
        if (n == 0) {
            report(x, v,
                   "gateway.listen: the list is empty; give at least one host:port, e.g. "
                   "127.0.0.1:9000");
        } else {
            conf_addr_t *l = keep_array(x, n, sizeof(*l));
            size_t good = 0;
            for (size_t i = 0; l != NULL && i < n; i++) {
                char where[64];
                snprintf(where, sizeof(where), "gateway.listen[%zu]", i);
                if (!parse_addr_node(x, items[i], where, &l[good]))
                    continue;
                int dup = 0;
                for (size_t j = 0; j < good && !dup; j++)
                    dup = l[j].port == l[good].port && strcasecmp(l[j].host, l[good].host) == 0;
                if (dup)
                    report(x, items[i], "%s: the same address is listed twice; remove one", where);
                else
                    good++;
            }
            if (l != NULL && good == n) {
                g->listen = l;
                g->n_listen = n;
            }
        }
    }
    uint64_t u;
    if (get_uint(x, m, path, "threads", 1, 256, NULL, &u) == 1)
        g->threads = (int)u;
    const char *s;
    if (get_str(x, m, path, "region", NULL, &s) == 1 && check_name(x, m, path, "region", s, 0))
        g->region = s;
    v = value_of(x, m, path, "domains", NULL);
    if (v != NULL && get_str_list(x, v, "gateway.domains", CONF_MAX_DOMAINS, &items, &n)) {
        const char **d = keep_array(x, n ? n : 1, sizeof(*d));
        size_t good = 0;
        for (size_t i = 0; d != NULL && i < n; i++) {
            char b[96];
            int v6 = 0;
            const conf_node_t *it = items[i];
            if (it->type != CONF_NODE_SCALAR || strlen(it->str) != it->len ||
                conf__check_host(it->str, it->len, &v6) != CONF_ADDR_OK || v6 ||
                strspn(it->str, "0123456789.") == it->len) {
                report(x, it, "gateway.domains[%zu]: %s is not a DNS name; write e.g. s3.local", i,
                       show(it, b, sizeof(b)));
                continue;
            }
            char *low = keep(x, it->str, it->len);
            if (low == NULL)
                break;
            for (char *p = low; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p - 'A' + 'a');
            d[good++] = low;
        }
        g->domains = d;
        g->n_domains = good;
    }
    const conf_node_t *tls = value_of(x, m, path, "tls", NULL);
    if (tls != NULL && expect_map(x, tls, "gateway.tls")) {
        static const char *const tls_keys[] = {"cert", "key", NULL};
        check_keys(x, tls, "gateway.tls", tls_keys);
        const char *cert = NULL, *key = NULL;
        int rc = get_str(x, tls, "gateway.tls", "cert", NULL, &cert);
        int rk = get_str(x, tls, "gateway.tls", "key", NULL, &key);
        if (rc == 1 && rk == 0)
            report(x, tls,
                   "gateway.tls: a cert without a key; add `key: /path/to/key.pem` "
                   "or remove tls");
        else if (rc == 0 && rk == 1)
            report(x, tls,
                   "gateway.tls: a key without a cert; add `cert: /path/to/cert.pem` "
                   "or remove tls");
        else if (rc == 0 && rk == 0)
            report(x, tls, "gateway.tls: give both `cert:` and `key:`, or remove tls");
        else if (rc == 1 && rk == 1) {
            g->tls_cert = cert;
            g->tls_key = key;
        }
    }
    if (get_str(x, m, path, "tmp_dir", NULL, &s) == 1) {
        if (s[0] == '\0')
            report(x, get(m, "tmp_dir"), "gateway.tmp_dir: empty; give a directory");
        else
            g->tmp_dir = s;
    }
    get_size(x, m, path, "max_object_size", 1, 5ull << 40, "5T", &g->max_object_size);
    if (get_uint(x, m, path, "osd_timeout_ms", 1, 600000, NULL, &u) == 1)
        g->osd_timeout_ms = (uint32_t)u;
    if (get_uint(x, m, path, "hedge_ms", 0, 60000, NULL, &u) == 1)
        g->hedge_ms = (uint32_t)u;
    v = value_of(x, m, path, "admin_listen", NULL);
    if (v != NULL && parse_addr_node(x, v, "gateway.admin_listen", &g->admin)) {
        int clash = 0;
        for (size_t i = 0; i < g->n_listen; i++)
            clash |= g->listen[i].port == g->admin.port &&
                     strcasecmp(g->listen[i].host, g->admin.host) == 0;
        if (clash)
            report(x, v,
                   "gateway.admin_listen: the admin port is also in gateway.listen; give it its "
                   "own port, e.g. 127.0.0.1:9100");
        else
            g->has_admin = 1;
    }
    if (get_str(x, m, path, "access_log", NULL, &s) == 1) {
        if (strcmp(s, "off") == 0) {
            g->access_log = NULL;
        } else if (strcmp(s, "stderr") == 0 || s[0] == '/' || s[0] == '.') {
            g->access_log = s;
        } else {
            char b[96];
            report(x, get(m, "access_log"),
                   "gateway.access_log: %s is not off, stderr or a file path; write off, stderr "
                   "or a path starting with / or ./",
                   show(get(m, "access_log"), b, sizeof(b)));
        }
    }
    if (g->hedge_ms >= g->osd_timeout_ms && get(m, "hedge_ms") != NULL)
        report(x, get(m, "hedge_ms"),
               "gateway.hedge_ms: %u is not below osd_timeout_ms %u, so reads would never be "
               "hedged; lower it (or set 0 to turn hedging off)",
               g->hedge_ms, g->osd_timeout_ms);
    v = value_of(x, m, path, "credentials", NULL);
    if (v != NULL)
        parse_credentials(x, v);
}

static void parse_osd_common(ctx_t *x, const conf_node_t *root)
{
    static const char *const keys[] = {"inline_max",
                                       "group_commit_max",
                                       "recovery_interval",
                                       "recovery_max_bytes_per_sec",
                                       "recovery_max_active",
                                       "deep_scrub_interval",
                                       "scrub_max_bytes_per_sec",
                                       "gc_interval",
                                       "gc_grace",
                                       "gc_intent_ttl",
                                       "gc_upload_expiry",
                                       "gc_gone_age",
                                       NULL};
    conf_osd_common_t *o = &x->c->osd;
    o->inline_max = 16 << 10;
    o->group_commit_max = 256;
    o->recovery_interval = 60;
    o->recovery_max_bytes_per_sec = 64ull << 20;
    o->recovery_max_active = 2;
    o->deep_scrub_interval = 7 * 86400;
    o->scrub_max_bytes_per_sec = 32ull << 20;
    o->gc_interval = 600;
    o->gc_grace = 3600;
    o->gc_intent_ttl = 3600;
    o->gc_upload_expiry = 7 * 86400;
    o->gc_gone_age = 86400;
    const conf_node_t *m = value_of(x, root, "", "osd", NULL);
    if (m == NULL || !expect_map(x, m, "osd"))
        return;
    check_keys(x, m, "osd", keys);
    get_size(x, m, "osd", "inline_max", 0, 1 << 20, "1M", &o->inline_max);
    uint64_t u;
    if (get_uint(x, m, "osd", "group_commit_max", 1, 65536, NULL, &u) == 1)
        o->group_commit_max = (uint32_t)u;
    if (get_uint(x, m, "osd", "recovery_interval", 1, 86400, NULL, &u) == 1)
        o->recovery_interval = (uint32_t)u;
    get_size(x, m, "osd", "recovery_max_bytes_per_sec", 64 << 10, 1ull << 40, "1T",
             &o->recovery_max_bytes_per_sec);
    if (get_uint(x, m, "osd", "recovery_max_active", 1, 64, NULL, &u) == 1)
        o->recovery_max_active = (uint32_t)u;
    if (get_uint(x, m, "osd", "deep_scrub_interval", 0, 366 * 86400, NULL, &u) == 1)
        o->deep_scrub_interval = (uint32_t)u;
    get_size(x, m, "osd", "scrub_max_bytes_per_sec", 64 << 10, 1ull << 40, "1T",
             &o->scrub_max_bytes_per_sec);
    if (get_uint(x, m, "osd", "gc_interval", 0, 86400, NULL, &u) == 1)
        o->gc_interval = (uint32_t)u;
    if (get_uint(x, m, "osd", "gc_grace", 0, 30 * 86400, NULL, &u) == 1)
        o->gc_grace = (uint32_t)u;
    if (get_uint(x, m, "osd", "gc_intent_ttl", 1, 7 * 86400, NULL, &u) == 1)
        o->gc_intent_ttl = (uint32_t)u;
    if (get_uint(x, m, "osd", "gc_upload_expiry", 0, 366 * 86400, NULL, &u) == 1)
        o->gc_upload_expiry = (uint32_t)u;
    if (get_uint(x, m, "osd", "gc_gone_age", 0, 366 * 86400, NULL, &u) == 1)
        o->gc_gone_age = (uint32_t)u;
}

static void parse_logging(ctx_t *x, const conf_node_t *root)
{
    static const char *const keys[] = {"level", NULL};
    static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
    x->c->log_level = TN_LOG_INFO;
    const conf_node_t *m = value_of(x, root, "", "logging", NULL);
    if (m == NULL || !expect_map(x, m, "logging"))
        return;
    check_keys(x, m, "logging", keys);
    const char *s;
    if (get_str(x, m, "logging", "level", NULL, &s) != 1)
        return;
    if (tn_log_level_parse(s, &x->c->log_level) == 0)
        return;
    char b[96];
    const conf_node_t *v = get(m, "level");
    const char *hint = conf__suggest(s, levels);
    report(x, v, "logging.level: %s is not a log level; %s%s%s", show(v, b, sizeof(b)),
           hint ? "did you mean '" : "use debug, info, warn or error", hint ? hint : "",
           hint ? "'?" : "");
}

static void bind(ctx_t *x, const conf_node_t *root)
{
    static const char *const keys[] = {"cluster", "hosts", "osds",    "pools",
                                       "gateway", "osd",   "logging", NULL};
    x->root = root;
    check_keys(x, root, "", keys);
    for (const conf_node_t *k = root->first; k != NULL; k = k->next)
        if (k->len == 5 && memcmp(k->str, "hosts", 5) == 0)
            x->hosts_key = k;
    parse_cluster(x, root);
    parse_hosts(x, root);
    parse_osds(x, root);
    check_hosts_have_osds(x);
    parse_pools(x, root);
    check_pools(x);
    parse_gateway(x, root);
    parse_osd_common(x, root);
    parse_logging(x, root);
}

int conf_load_buffer(const char *name, const char *buf, size_t len, conf_t **out, conf_error_t *err)
{
    conf_error_t local;
    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof(*err));
    *out = NULL;
    if (name == NULL)
        name = "config";
    conf_arena_t *tree_arena = conf__arena_new();
    conf_arena_t *arena = conf__arena_new();
    conf_t *c = arena != NULL ? conf__arena_alloc(arena, sizeof(*c)) : NULL;
    if (tree_arena == NULL || c == NULL) {
        conf__arena_free(tree_arena);
        conf__arena_free(arena);
        return -ENOMEM;
    }
    c->arena = arena;
    ctx_t x = {.arena = arena, .name = name, .err = err, .c = c};
    c->source = keep(&x, name, strlen(name));
    conf_node_t *root = NULL;
    int rc = conf__tree_parse(tree_arena, name, buf, len, &root, err);
    if (rc == TN_OK && root == NULL) {
        conf__error_add(err, name, 1, 1,
                        "the file is empty; a config needs at least `cluster:`, `hosts:` and "
                        "`osds:` (see conf/examples/local.yaml)");
    } else if (rc == TN_OK && root->type != CONF_NODE_MAP) {
        char b[96];
        conf__error_add(err, name, root->line, root->col,
                        "the top level is %s, not a mapping; a config starts with `cluster:`, "
                        "`hosts:` and `osds:` (see conf/examples/local.yaml)",
                        conf__node_is_null(root) ? "empty" : show(root, b, sizeof(b)));
    } else if (rc == TN_OK) {
        bind(&x, root);
    }
    flush_errors(&x);
    free(x.pool_where);
    free(x.host_where);
    free(x.host_sorted);
    conf__arena_free(tree_arena);
    if (rc == TN_OK && x.oom)
        rc = -ENOMEM;
    if (rc == TN_OK && err->count > 0)
        rc = TN_ERR_CONFIG;
    conf__error_finish(err, name);
    if (rc != TN_OK) {
        conf__arena_free(arena);
        return rc;
    }
    *out = c;
    return TN_OK;
}

int conf_load_file(const char *path, conf_t **out, conf_error_t *err)
{
    conf_error_t local;
    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof(*err));
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        conf__error_add(err, path, 0, 0,
                        "cannot open the config file: %s; check the path "
                        "given with --config",
                        strerror(e));
        return -e;
    }
    char *buf = malloc(CONF_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return -ENOMEM;
    }
    size_t len = fread(buf, 1, CONF_FILE_MAX + 1, f);
    int rc = TN_OK;
    if (ferror(f)) {
        rc = errno != 0 ? -errno : -EIO;
        conf__error_add(err, path, 0, 0, "cannot read the config file: %s", tn_strerror(rc));
    } else if (len > CONF_FILE_MAX) {
        rc = TN_ERR_CONFIG;
        conf__error_add(err, path, 0, 0,
                        "the file is larger than %u bytes; is this really a tern config?",
                        CONF_FILE_MAX);
    }
    fclose(f);
    if (rc == TN_OK)
        rc = conf_load_buffer(path, buf, len, out, err);
    free(buf);
    return rc;
}

void conf_free(conf_t *c)
{
    if (c != NULL)
        conf__arena_free(c->arena); /* c itself lives in its arena */
}

const conf_osd_t *conf_find_osd(const conf_t *c, int id)
{
    for (size_t i = 0; i < c->n_osds; i++)
        if (c->osds[i].id == id)
            return &c->osds[i];
    return NULL;
}

const conf_host_t *conf_find_host(const conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->n_hosts; i++)
        if (strcmp(c->hosts[i].name, name) == 0)
            return &c->hosts[i];
    return NULL;
}

const conf_pool_t *conf_find_pool(const conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->n_pools; i++)
        if (strcmp(c->pools[i].name, name) == 0)
            return &c->pools[i];
    return NULL;
}
