/*
 * ctl_user.c — `ternctl user` and `ternctl key`: tenants in the cluster's metadata
 * (records and placement in tn_tenant.h; reads and all-replica writes in ctl_meta.h).
 *
 *   ternctl user create NAME            a user (names: 1..64 of [a-z0-9._-])
 *   ternctl user ls [--json]            users with their key and bucket counts
 *   ternctl user rm NAME                refused while the user has keys or buckets
 *   ternctl key create --user U         a full key of U: every bucket U owns, CreateBucket
 *   ternctl key create --bucket B --allow read|write|readwrite
 *                                       a key for bucket B only (B's owner is its user)
 *   ternctl key ls [--user U] [--json]  keys (never secrets)
 *   ternctl key rm ACCESS_KEY
 * Every command takes --config FILE (default $TERN_CONFIG, else /etc/tern/cluster.yaml) and
 * talks to the OSDs named there. `key create` prints the secret once: it is stored only
 * sealed with the config's cluster.key, which it needs.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tn_row.h"
#include "tn_tenant.h"
#include "tn_time.h"
#include "ctl_meta.h"

typedef struct {
    const char *config, *user, *bucket, *allow;
    int json;
    const char *pos; /* one positional argument */
} uopts_t;

static int parse(int argc, char **argv, uopts_t *o, const char *cmd)
{
    memset(o, 0, sizeof *o);
    const ctl_opt_t opts[] = {{"--config", &o->config, NULL}, {"--user", &o->user, NULL},
                              {"--bucket", &o->bucket, NULL}, {"--allow", &o->allow, NULL},
                              {"--json", NULL, &o->json},     {NULL, NULL, NULL}};
    return ctl_parse_opts(argc, argv, 2, cmd, opts, &o->pos);
}

static void usage_user(FILE *f)
{
    fputs("usage: ternctl user create NAME [--config FILE]\n"
          "       ternctl user ls [--json] [--config FILE]\n"
          "       ternctl user rm NAME [--config FILE]\n"
          "\n"
          "Users own buckets and access keys. Names: 1..64 of [a-z0-9._-], starting with a\n"
          "letter or digit. 'rm' is refused while the user has keys or buckets.\n"
          "--config defaults to $TERN_CONFIG, else " CTL_DEFAULT_CONFIG ".\n",
          f);
}

static void usage_key(FILE *f)
{
    fputs("usage: ternctl key create --user USER [--json] [--config FILE]\n"
          "       ternctl key create --bucket BUCKET --allow read|write|readwrite [--json]\n"
          "       ternctl key ls [--user USER] [--json] [--config FILE]\n"
          "       ternctl key rm ACCESS_KEY [--config FILE]\n"
          "\n"
          "A --user key may use every bucket the user owns and create buckets (they belong to\n"
          "the user). A --bucket key may use only that bucket: read = GET/HEAD/list, write =\n"
          "PUT/DELETE/multipart. The secret is printed once; gateways notice new and removed\n"
          "keys within about 2 seconds.\n",
          f);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *allow_name(unsigned a)
{
    return a == TN_KEY_ALLOW_READ ? "read" : a == TN_KEY_ALLOW_WRITE ? "write" : "readwrite";
}

static uint32_t users_pg(ctl_cluster_t *c)
{
    return ctl_meta_pg(c, TN_TENANT_USERS_PG_NAME, sizeof TN_TENANT_USERS_PG_NAME - 1);
}

static uint32_t keys_pg(ctl_cluster_t *c)
{
    return ctl_meta_pg(c, TN_TENANT_KEYS_PG_NAME, sizeof TN_TENANT_KEYS_PG_NAME - 1);
}

/* ---- user ---- */

static int user_create(ctl_cluster_t *c, const char *name)
{
    if (!tn_tenant_user_name_valid(name)) {
        ctl_err("user create: invalid name '%s': use 1..64 of [a-z0-9._-], starting with a "
                "letter or digit",
                name);
        return CTL_EXIT_USAGE;
    }
    tn_user_rec_t u = {.created_ms = now_ms()};
    uint8_t val[TN_TENANT_REC_MAX];
    int vl = tn_user_rec_encode(&u, val, sizeof val);
    uint32_t pg = users_pg(c);
    /* a removed user leaves a tombstone: re-creating writes over it with IF_VERSION */
    ctl_meta_ent_t cur;
    int rc = ctl_meta_get(c, pg, TN_TENANT_USER_NS, name, strlen(name), &cur);
    if (rc == 0 && !(cur.flags & TN_ROW_TOMBSTONE)) {
        ctl_meta_ent_free(&cur);
        ctl_err("user create: user '%s' already exists", name);
        return CTL_EXIT_FAIL;
    }
    if (rc == 0)
        rc = ctl_meta_write_all(c, pg, TN_TENANT_USER_NS, name, strlen(name), val, (size_t)vl,
                                &cur.ver);
    else if (rc == TN_ERR_NOT_FOUND)
        rc =
            ctl_meta_write_all(c, pg, TN_TENANT_USER_NS, name, strlen(name), val, (size_t)vl, NULL);
    ctl_meta_ent_free(&cur);
    if (rc == -EEXIST) {
        ctl_err("user create: user '%s' already exists", name);
        return CTL_EXIT_FAIL;
    }
    if (rc != 0) {
        ctl_meta_explain("user create", rc);
        return CTL_EXIT_FAIL;
    }
    printf("created user %s\n", name);
    return CTL_EXIT_OK;
}

/* Keys (live, decoded) and buckets (live) of the cluster. */
typedef struct {
    ctl_meta_ent_t *keys, *buckets;
    size_t n_keys, n_buckets;
} inventory_t;

static int inventory(ctl_cluster_t *c, inventory_t *inv, int with_buckets)
{
    memset(inv, 0, sizeof *inv);
    int rc = ctl_meta_list(c, keys_pg(c), TN_TENANT_KEY_NS, &inv->keys, &inv->n_keys);
    if (rc == 0 && with_buckets)
        rc = ctl_meta_list_buckets(c, &inv->buckets, &inv->n_buckets);
    return rc;
}

static void inventory_free(inventory_t *inv)
{
    ctl_meta_ents_free(inv->keys, inv->n_keys);
    ctl_meta_ents_free(inv->buckets, inv->n_buckets);
}

static void user_counts(const inventory_t *inv, const char *user, size_t *keys, size_t *buckets)
{
    *keys = *buckets = 0;
    for (size_t i = 0; i < inv->n_keys; i++) {
        tn_key_rec_t k;
        if (!(inv->keys[i].flags & TN_ROW_TOMBSTONE) &&
            tn_key_rec_decode(inv->keys[i].value, inv->keys[i].value_len, &k) == TN_OK &&
            strcmp(k.user, user) == 0)
            (*keys)++;
    }
    for (size_t i = 0; i < inv->n_buckets; i++) {
        tn_bucket_rec_t b;
        if (tn_bucket_rec_decode(inv->buckets[i].value, inv->buckets[i].value_len, &b) == TN_OK &&
            strcmp(b.user, user) == 0)
            (*buckets)++;
    }
}

static int user_ls(ctl_cluster_t *c, int json)
{
    ctl_meta_ent_t *users = NULL;
    size_t n = 0;
    inventory_t inv;
    int rc = ctl_meta_list(c, users_pg(c), TN_TENANT_USER_NS, &users, &n);
    if (rc == 0)
        rc = inventory(c, &inv, 1);
    if (rc != 0) {
        ctl_meta_ents_free(users, n);
        ctl_meta_explain("user ls", rc);
        return CTL_EXIT_FAIL;
    }
    if (json)
        fputs("[", stdout);
    else
        printf("%-24s %5s %8s  %s\n", "USER", "KEYS", "BUCKETS", "CREATED");
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        tn_user_rec_t u;
        if ((users[i].flags & TN_ROW_TOMBSTONE) ||
            tn_user_rec_decode(users[i].value, users[i].value_len, &u) != TN_OK)
            continue;
        const char *name = (const char *)users[i].key;
        size_t nk, nb;
        user_counts(&inv, name, &nk, &nb);
        char date[40];
        tn_time_format_iso_ms((int64_t)u.created_ms, date);
        if (json) {
            printf("%s\n {\"user\": ", first ? "" : ",");
            ctl_json_str(stdout, name);
            printf(", \"keys\": %zu, \"buckets\": %zu, \"created\": \"%s\"}", nk, nb, date);
        } else {
            printf("%-24s %5zu %8zu  %s\n", name, nk, nb, date);
        }
        first = 0;
    }
    if (json)
        fputs(first ? "]\n" : "\n]\n", stdout);
    ctl_meta_ents_free(users, n);
    inventory_free(&inv);
    return CTL_EXIT_OK;
}

static int user_rm(ctl_cluster_t *c, const char *name)
{
    ctl_meta_ent_t cur;
    uint32_t pg = users_pg(c);
    int rc = ctl_meta_get(c, pg, TN_TENANT_USER_NS, name, strlen(name), &cur);
    if (rc == TN_ERR_NOT_FOUND || (rc == 0 && (cur.flags & TN_ROW_TOMBSTONE))) {
        ctl_meta_ent_free(&cur);
        ctl_err("user rm: no user '%s'", name);
        return CTL_EXIT_FAIL;
    }
    if (rc != 0) {
        ctl_meta_explain("user rm", rc);
        return CTL_EXIT_FAIL;
    }
    inventory_t inv;
    if ((rc = inventory(c, &inv, 1)) != 0) {
        ctl_meta_ent_free(&cur);
        ctl_meta_explain("user rm", rc);
        return CTL_EXIT_FAIL;
    }
    size_t nk, nb;
    user_counts(&inv, name, &nk, &nb);
    inventory_free(&inv);
    if (nk > 0 || nb > 0) {
        ctl_meta_ent_free(&cur);
        ctl_err("user rm: user '%s' still has %zu key(s) and %zu bucket(s); remove them first "
                "('ternctl key ls --user %s', then 'ternctl key rm', and delete the buckets)",
                name, nk, nb, name);
        return CTL_EXIT_FAIL;
    }
    rc = ctl_meta_write_all(c, pg, TN_TENANT_USER_NS, name, strlen(name), NULL, 0, &cur.ver);
    ctl_meta_ent_free(&cur);
    if (rc != 0) {
        ctl_meta_explain("user rm", rc);
        return CTL_EXIT_FAIL;
    }
    printf("removed user %s\n", name);
    return CTL_EXIT_OK;
}

int ctl_cmd_user(int argc, char **argv)
{
    int help = ctl_help(argc, argv, usage_user);
    if (help >= 0)
        return help;
    const char *sub = argv[1];
    uopts_t o;
    if (parse(argc, argv, &o, "user") != 0)
        return CTL_EXIT_USAGE;
    int is_ls = strcmp(sub, "ls") == 0;
    if (!is_ls && strcmp(sub, "create") != 0 && strcmp(sub, "rm") != 0) {
        ctl_err("unknown 'user' subcommand '%s': use create, ls or rm", sub);
        return CTL_EXIT_USAGE;
    }
    if (!is_ls && o.pos == NULL) {
        ctl_err("user %s: NAME is required", sub);
        return CTL_EXIT_USAGE;
    }
    ctl_cluster_t c;
    int rc = ctl_cluster_open(&c, o.config);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (is_ls)
        rc = user_ls(&c, o.json);
    else if (strcmp(sub, "create") == 0)
        rc = user_create(&c, o.pos);
    else
        rc = user_rm(&c, o.pos);
    ctl_cluster_close(&c);
    return rc;
}

/* ---- key ---- */

static int key_create(ctl_cluster_t *c, const uopts_t *o)
{
    if ((o->user == NULL) == (o->bucket == NULL)) {
        ctl_err("key create: give exactly one of --user USER or --bucket BUCKET");
        return CTL_EXIT_USAGE;
    }
    if (!c->conf->cluster.has_key) {
        ctl_err("key create: %s has no cluster.key (64 hex digits): secrets are stored "
                "encrypted with it, and gateways need the same key; add it to every server's "
                "config",
                c->path);
        return CTL_EXIT_USAGE;
    }
    tn_key_rec_t k;
    memset(&k, 0, sizeof k);
    k.created_ms = now_ms();
    if (o->user != NULL) {
        if (o->allow != NULL) {
            ctl_err("key create: --allow goes with --bucket (a --user key has full access)");
            return CTL_EXIT_USAGE;
        }
        ctl_meta_ent_t u;
        int rc = ctl_meta_get(c, users_pg(c), TN_TENANT_USER_NS, o->user, strlen(o->user), &u);
        int live = rc == 0 && !(u.flags & TN_ROW_TOMBSTONE);
        ctl_meta_ent_free(&u);
        if (rc != 0 && rc != TN_ERR_NOT_FOUND) {
            ctl_meta_explain("key create", rc);
            return CTL_EXIT_FAIL;
        }
        if (!live) {
            ctl_err("key create: no user '%s' (create it with 'ternctl user create %s')", o->user,
                    o->user);
            return CTL_EXIT_FAIL;
        }
        snprintf(k.user, sizeof k.user, "%s", o->user);
        k.scope = TN_KEY_SCOPE_USER;
        k.allow = TN_KEY_ALLOW_RW;
    } else {
        if (o->allow == NULL) {
            ctl_err("key create: --bucket needs --allow read|write|readwrite");
            return CTL_EXIT_USAGE;
        }
        if (strcmp(o->allow, "read") == 0)
            k.allow = TN_KEY_ALLOW_READ;
        else if (strcmp(o->allow, "write") == 0)
            k.allow = TN_KEY_ALLOW_WRITE;
        else if (strcmp(o->allow, "readwrite") == 0)
            k.allow = TN_KEY_ALLOW_RW;
        else {
            ctl_err("key create: --allow must be read, write or readwrite, not '%s'", o->allow);
            return CTL_EXIT_USAGE;
        }
        size_t bl = strlen(o->bucket);
        ctl_meta_ent_t b;
        tn_bucket_rec_t br;
        int rc = bl == 0 || bl > TN_TENANT_BUCKET_MAX
                     ? TN_ERR_NOT_FOUND
                     : ctl_meta_get(c, ctl_meta_pg(c, o->bucket, bl), 1, o->bucket, bl, &b);
        if (rc == 0 && ((b.flags & TN_ROW_TOMBSTONE) ||
                        tn_bucket_rec_decode(b.value, b.value_len, &br) != TN_OK))
            rc = TN_ERR_NOT_FOUND;
        if (rc == 0)
            ctl_meta_ent_free(&b);
        if (rc == TN_ERR_NOT_FOUND) {
            ctl_err("key create: no bucket '%s'", o->bucket);
            return CTL_EXIT_FAIL;
        }
        if (rc != 0) {
            ctl_meta_explain("key create", rc);
            return CTL_EXIT_FAIL;
        }
        snprintf(k.user, sizeof k.user, "%s", br.user);
        snprintf(k.bucket, sizeof k.bucket, "%s", o->bucket);
        k.bucket_id = br.id;
        k.scope = TN_KEY_SCOPE_BUCKET;
    }
    uint8_t rnd[TN_TENANT_AKID_RAND + TN_TENANT_SECRET_RAND], nonce[TN_TENANT_NONCE_LEN];
    ctl_random(rnd, sizeof rnd);
    ctl_random(nonce, sizeof nonce);
    char akid[TN_TENANT_AKID_LEN + 1], secret[TN_TENANT_SECRET_LEN + 1];
    tn_tenant_make_akid(rnd, akid);
    tn_tenant_make_secret(rnd + TN_TENANT_AKID_RAND, secret);
    int sl = tn_tenant_seal(c->conf->cluster.key, akid, nonce, secret, strlen(secret), k.sealed,
                            sizeof k.sealed);
    uint8_t val[TN_TENANT_REC_MAX];
    int vl = sl > 0 ? (k.sealed_len = (size_t)sl, tn_key_rec_encode(&k, val, sizeof val)) : sl;
    if (vl < 0) {
        ctl_err("key create: cannot seal the secret (%s)", tn_strerror(vl));
        return CTL_EXIT_FAIL;
    }
    int rc = ctl_meta_write_all(c, keys_pg(c), TN_TENANT_KEY_NS, akid, strlen(akid), val,
                                (size_t)vl, NULL);
    if (rc != 0) {
        ctl_meta_explain("key create", rc);
        return CTL_EXIT_FAIL;
    }
    if (o->json) {
        printf("{\"access_key\": \"%s\", \"secret_key\": \"%s\", \"user\": ", akid, secret);
        ctl_json_str(stdout, k.user);
        printf(", \"scope\": \"%s\"", k.scope == TN_KEY_SCOPE_USER ? "user" : "bucket");
        if (k.scope == TN_KEY_SCOPE_BUCKET) {
            printf(", \"bucket\": ");
            ctl_json_str(stdout, k.bucket);
            printf(", \"allow\": \"%s\"", allow_name(k.allow));
        }
        printf("}\n");
    } else {
        printf("access_key: %s\nsecret_key: %s\n", akid, secret);
        if (k.scope == TN_KEY_SCOPE_USER)
            printf("scope:      user %s (every bucket it owns)\n", k.user);
        else
            printf("scope:      bucket %s, %s\n", k.bucket, allow_name(k.allow));
        printf("The secret is shown only now; store it safely.\n");
    }
    memset(secret, 0, sizeof secret);
    return CTL_EXIT_OK;
}

static int key_ls(ctl_cluster_t *c, const uopts_t *o)
{
    inventory_t inv;
    int rc = inventory(c, &inv, 0);
    if (rc != 0) {
        ctl_meta_explain("key ls", rc);
        return CTL_EXIT_FAIL;
    }
    if (o->json)
        fputs("[", stdout);
    else
        printf("%-22s %-20s %-7s %-24s %-9s  %s\n", "ACCESS_KEY", "USER", "SCOPE", "BUCKET",
               "ALLOW", "CREATED");
    int first = 1;
    for (size_t i = 0; i < inv.n_keys; i++) {
        tn_key_rec_t k;
        if ((inv.keys[i].flags & TN_ROW_TOMBSTONE) ||
            tn_key_rec_decode(inv.keys[i].value, inv.keys[i].value_len, &k) != TN_OK)
            continue;
        if (o->user != NULL && strcmp(o->user, k.user) != 0)
            continue;
        const char *akid = (const char *)inv.keys[i].key;
        const char *scope = k.scope == TN_KEY_SCOPE_USER ? "user" : "bucket";
        char date[40];
        tn_time_format_iso_ms((int64_t)k.created_ms, date);
        if (o->json) {
            printf("%s\n {\"access_key\": ", first ? "" : ",");
            ctl_json_str(stdout, akid);
            printf(", \"user\": ");
            ctl_json_str(stdout, k.user);
            printf(", \"scope\": \"%s\", \"bucket\": ", scope);
            ctl_json_str(stdout, k.bucket);
            printf(", \"allow\": \"%s\", \"created\": \"%s\"}", allow_name(k.allow), date);
        } else {
            printf("%-22s %-20s %-7s %-24s %-9s  %s\n", akid, k.user[0] ? k.user : "-", scope,
                   k.bucket[0] ? k.bucket : "-", allow_name(k.allow), date);
        }
        first = 0;
    }
    if (o->json)
        fputs(first ? "]\n" : "\n]\n", stdout);
    inventory_free(&inv);
    return CTL_EXIT_OK;
}

static int key_rm(ctl_cluster_t *c, const char *akid)
{
    ctl_meta_ent_t cur;
    uint32_t pg = keys_pg(c);
    int rc = ctl_meta_get(c, pg, TN_TENANT_KEY_NS, akid, strlen(akid), &cur);
    if (rc == TN_ERR_NOT_FOUND || (rc == 0 && (cur.flags & TN_ROW_TOMBSTONE))) {
        ctl_meta_ent_free(&cur);
        ctl_err("key rm: no access key '%s' in the cluster's metadata (keys in the config's "
                "gateway.credentials are removed by editing the config)",
                akid);
        return CTL_EXIT_FAIL;
    }
    if (rc != 0) {
        ctl_meta_explain("key rm", rc);
        return CTL_EXIT_FAIL;
    }
    rc = ctl_meta_write_all(c, pg, TN_TENANT_KEY_NS, akid, strlen(akid), NULL, 0, &cur.ver);
    ctl_meta_ent_free(&cur);
    if (rc != 0) {
        ctl_meta_explain("key rm", rc);
        return CTL_EXIT_FAIL;
    }
    printf("removed key %s (gateways stop accepting it within about 2 seconds)\n", akid);
    return CTL_EXIT_OK;
}

int ctl_cmd_key(int argc, char **argv)
{
    int help = ctl_help(argc, argv, usage_key);
    if (help >= 0)
        return help;
    const char *sub = argv[1];
    uopts_t o;
    if (parse(argc, argv, &o, "key") != 0)
        return CTL_EXIT_USAGE;
    if (strcmp(sub, "create") != 0 && strcmp(sub, "ls") != 0 && strcmp(sub, "rm") != 0) {
        ctl_err("unknown 'key' subcommand '%s': use create, ls or rm", sub);
        return CTL_EXIT_USAGE;
    }
    if (strcmp(sub, "rm") == 0 && o.pos == NULL) {
        ctl_err("key rm: ACCESS_KEY is required");
        return CTL_EXIT_USAGE;
    }
    if (strcmp(sub, "rm") != 0 && o.pos != NULL) {
        ctl_err("key %s: unexpected argument '%s'", sub, o.pos);
        return CTL_EXIT_USAGE;
    }
    ctl_cluster_t c;
    int rc = ctl_cluster_open(&c, o.config);
    if (rc != CTL_EXIT_OK)
        return rc;
    if (strcmp(sub, "create") == 0)
        rc = key_create(&c, &o);
    else if (strcmp(sub, "ls") == 0)
        rc = key_ls(&c, &o);
    else
        rc = key_rm(&c, o.pos);
    ctl_cluster_close(&c);
    return rc;
}
