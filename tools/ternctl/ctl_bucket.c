/*
 * ctl_bucket.c — `ternctl bucket`: buckets in the cluster's metadata, their quotas and usage.
 *
 *   ternctl bucket ls [--user U] [--json]
 *   ternctl bucket quota B [--max-size SIZE] [--max-objects N]
 *       SIZE: bytes with an optional K, M, G or T suffix (powers of 1024); 0 or "none" removes
 *       the limit. Without limits given, prints the bucket's quota. Stored in the bucket's
 *       record (all replicas, IF_VERSION: rule 11); gateways apply it within 3 s (their
 *       bucket cache).
 *   ternctl bucket usage [B] [--user U] [--json]
 *       objects and bytes per bucket (every live object row of the bucket's index, read at
 *       quorum: exact once the cluster is quiet), then per user.
 * --config as for every command (default $TERN_CONFIG, else /etc/tern/cluster.yaml).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tn_endian.h"
#include "tn_row.h"
#include "tn_tenant.h"
#include "tn_time.h"
#include "gw_objmeta.h"
#include "ctl_meta.h"

typedef struct {
    const char *config, *user, *max_size, *max_objects;
    int json;
    const char *pos;
} bopts_t;

static void usage_bucket(FILE *f)
{
    fputs("usage: ternctl bucket ls [--user USER] [--json] [--config FILE]\n"
          "       ternctl bucket quota BUCKET [--max-size SIZE] [--max-objects N]\n"
          "       ternctl bucket usage [BUCKET] [--user USER] [--json] [--config FILE]\n"
          "\n"
          "SIZE is bytes with an optional K, M, G or T suffix (powers of 1024); 0 or 'none'\n"
          "removes a limit. An upload that would exceed a quota fails with QuotaExceeded.\n"
          "usage counts every live object of the bucket (exact once the cluster is quiet).\n",
          f);
}

static int parse(int argc, char **argv, bopts_t *o)
{
    memset(o, 0, sizeof *o);
    const ctl_opt_t opts[] = {
        {"--config", &o->config, NULL},     {"--user", &o->user, NULL},
        {"--max-size", &o->max_size, NULL}, {"--max-objects", &o->max_objects, NULL},
        {"--json", NULL, &o->json},         {NULL, NULL, NULL}};
    return ctl_parse_opts(argc, argv, 2, "bucket", opts, &o->pos);
}

/* "5G" -> 5 GiB; "none" or "0" -> 0. */
static int parse_size(const char *s, int suffixes, uint64_t *out)
{
    if (strcmp(s, "none") == 0) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-')
        return -EINVAL;
    unsigned shift = 0;
    if (suffixes && *end != '\0') {
        const char *u = "KMGT", *p = strchr(u, end[0] & ~0x20);
        if (p == NULL || end[0] == '\0')
            return -EINVAL;
        shift = 10u * (unsigned)(p - u + 1);
        end++;
        if (*end == 'i' || *end == 'B')
            end += *end == 'i' ? (end[1] == 'B' ? 2 : 1) : 1;
    }
    if (*end != '\0' || (shift > 0 && v > (UINT64_MAX >> shift)))
        return -EINVAL;
    *out = (uint64_t)v << shift;
    return 0;
}

static void human(uint64_t b, char *out, size_t cap)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)b;
    int i = 0;
    while (v >= 1024.0 && i < 5) {
        v /= 1024.0;
        i++;
    }
    if (i == 0)
        snprintf(out, cap, "%llu B", (unsigned long long)b);
    else
        snprintf(out, cap, "%.1f %s", v, u[i]);
}

static void limit_str(uint64_t v, int bytes, char *out, size_t cap)
{
    if (v == 0)
        snprintf(out, cap, "-");
    else if (bytes)
        human(v, out, cap);
    else
        snprintf(out, cap, "%llu", (unsigned long long)v);
}

typedef struct {
    const char *name;
    tn_bucket_rec_t rec;
    uint64_t objects, bytes;
} binfo_t;

/* Live bucket records, optionally only one name or one user's. */
static int load_buckets(ctl_cluster_t *c, const char *only, const char *user, ctl_meta_ent_t **ents,
                        size_t *n, binfo_t **out, size_t *nout)
{
    int rc = ctl_meta_list_buckets(c, ents, n);
    if (rc != 0)
        return rc;
    binfo_t *b = calloc(*n + 1, sizeof *b);
    if (b == NULL)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        const char *name = (const char *)(*ents)[i].key;
        if (only != NULL && strcmp(only, name) != 0)
            continue;
        if (tn_bucket_rec_decode((*ents)[i].value, (*ents)[i].value_len, &b[k].rec) != TN_OK)
            continue;
        if (user != NULL && strcmp(user, b[k].rec.user) != 0)
            continue;
        b[k++].name = name;
    }
    *out = b;
    *nout = k;
    return 0;
}

static int count_usage(ctl_cluster_t *c, binfo_t *b)
{
    const pl_pool_t *index = pl_map_find_pool_by_name(c->map, "index");
    if (index == NULL)
        return -ENOENT;
    uint8_t name[12];
    tn_put_le64(name, b->rec.id);
    tn_put_le32(name + 8, 0);
    ctl_meta_ent_t *e = NULL;
    size_t n = 0;
    int rc = ctl_pool_list(c, index, pl_object_pg(index, name, sizeof name), b->rec.id, &e, &n);
    if (rc != 0)
        return rc;
    static gw_objmeta_t m;
    for (size_t i = 0; i < n; i++) {
        if (e[i].flags & TN_ROW_TOMBSTONE)
            continue;
        b->objects++;
        if (gw_objmeta_decode(e[i].value, e[i].value_len, &m) == TN_OK)
            b->bytes += m.size;
    }
    ctl_meta_ents_free(e, n);
    return 0;
}

static int bucket_ls(ctl_cluster_t *c, const bopts_t *o, int with_usage)
{
    ctl_meta_ent_t *ents = NULL;
    size_t n = 0, nb = 0;
    binfo_t *b = NULL;
    const char *only = with_usage ? o->pos : NULL;
    int rc = load_buckets(c, only, o->user, &ents, &n, &b, &nb);
    for (size_t i = 0; rc == 0 && with_usage && i < nb; i++)
        rc = count_usage(c, &b[i]);
    if (rc != 0) {
        ctl_meta_explain(with_usage ? "bucket usage" : "bucket ls", rc);
        free(b);
        ctl_meta_ents_free(ents, n);
        return CTL_EXIT_FAIL;
    }
    if (only != NULL && nb == 0) {
        ctl_err("bucket usage: no bucket '%s'", only);
        free(b);
        ctl_meta_ents_free(ents, n);
        return CTL_EXIT_FAIL;
    }
    if (o->json) {
        printf("{\"buckets\": [");
        for (size_t i = 0; i < nb; i++) {
            char date[40];
            tn_time_format_iso_ms((int64_t)b[i].rec.created_ms, date);
            printf("%s\n {\"bucket\": ", i ? "," : "");
            ctl_json_str(stdout, b[i].name);
            printf(", \"user\": ");
            ctl_json_str(stdout, b[i].rec.user);
            printf(", \"created\": \"%s\", \"max_size\": %llu, \"max_objects\": %llu", date,
                   (unsigned long long)b[i].rec.max_bytes,
                   (unsigned long long)b[i].rec.max_objects);
            if (with_usage)
                printf(", \"objects\": %llu, \"bytes\": %llu", (unsigned long long)b[i].objects,
                       (unsigned long long)b[i].bytes);
            printf("}");
        }
        printf("%s]", nb ? "\n" : "");
    } else if (with_usage) {
        printf("%-32s %-20s %10s %14s %12s %12s %12s\n", "BUCKET", "USER", "OBJECTS", "BYTES",
               "SIZE", "MAX_SIZE", "MAX_OBJECTS");
        for (size_t i = 0; i < nb; i++) {
            char sz[32], ms[32], mo[32];
            human(b[i].bytes, sz, sizeof sz);
            limit_str(b[i].rec.max_bytes, 1, ms, sizeof ms);
            limit_str(b[i].rec.max_objects, 0, mo, sizeof mo);
            printf("%-32s %-20s %10llu %14llu %12s %12s %12s\n", b[i].name,
                   b[i].rec.user[0] ? b[i].rec.user : "-", (unsigned long long)b[i].objects,
                   (unsigned long long)b[i].bytes, sz, ms, mo);
        }
    } else {
        printf("%-32s %-20s %-24s %12s %12s\n", "BUCKET", "USER", "CREATED", "MAX_SIZE",
               "MAX_OBJECTS");
        for (size_t i = 0; i < nb; i++) {
            char date[40], ms[32], mo[32];
            tn_time_format_iso_ms((int64_t)b[i].rec.created_ms, date);
            limit_str(b[i].rec.max_bytes, 1, ms, sizeof ms);
            limit_str(b[i].rec.max_objects, 0, mo, sizeof mo);
            printf("%-32s %-20s %-24s %12s %12s\n", b[i].name,
                   b[i].rec.user[0] ? b[i].rec.user : "-", date, ms, mo);
        }
    }
    if (with_usage) {
        /* per user: sum over that user's buckets (buckets are sorted by name, not user) */
        if (o->json)
            printf(", \"users\": [");
        else
            printf("\n%-20s %8s %10s %14s %12s\n", "USER", "BUCKETS", "OBJECTS", "BYTES", "SIZE");
        int first = 1;
        for (size_t i = 0; i < nb; i++) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(b[j].rec.user, b[i].rec.user) == 0;
            if (seen)
                continue;
            uint64_t ob = 0, by = 0, nbk = 0;
            for (size_t j = i; j < nb; j++)
                if (strcmp(b[j].rec.user, b[i].rec.user) == 0) {
                    ob += b[j].objects;
                    by += b[j].bytes;
                    nbk++;
                }
            if (o->json) {
                printf("%s\n {\"user\": ", first ? "" : ",");
                ctl_json_str(stdout, b[i].rec.user);
                printf(", \"buckets\": %llu, \"objects\": %llu, \"bytes\": %llu}",
                       (unsigned long long)nbk, (unsigned long long)ob, (unsigned long long)by);
            } else {
                char sz[32];
                human(by, sz, sizeof sz);
                printf("%-20s %8llu %10llu %14llu %12s\n",
                       b[i].rec.user[0] ? b[i].rec.user : "(admin)", (unsigned long long)nbk,
                       (unsigned long long)ob, (unsigned long long)by, sz);
            }
            first = 0;
        }
        if (o->json)
            printf("%s]", first ? "" : "\n");
    }
    if (o->json)
        printf("}\n");
    free(b);
    ctl_meta_ents_free(ents, n);
    return CTL_EXIT_OK;
}

static int bucket_quota(ctl_cluster_t *c, const bopts_t *o)
{
    uint64_t ms = 0, mo = 0;
    if (o->max_size != NULL && parse_size(o->max_size, 1, &ms) != 0) {
        ctl_err("bucket quota: bad --max-size '%s' (e.g. 5G, 500M, 1048576, none)", o->max_size);
        return CTL_EXIT_USAGE;
    }
    if (o->max_objects != NULL && parse_size(o->max_objects, 0, &mo) != 0) {
        ctl_err("bucket quota: bad --max-objects '%s' (a count, or none)", o->max_objects);
        return CTL_EXIT_USAGE;
    }
    size_t bl = strlen(o->pos);
    ctl_meta_ent_t cur;
    tn_bucket_rec_t rec;
    uint32_t pg = bl > 0 && bl <= TN_TENANT_BUCKET_MAX ? ctl_meta_pg(c, o->pos, bl) : 0;
    int rc = bl > 0 && bl <= TN_TENANT_BUCKET_MAX ? ctl_meta_get(c, pg, 1, o->pos, bl, &cur)
                                                  : TN_ERR_NOT_FOUND;
    if (rc == 0 && ((cur.flags & TN_ROW_TOMBSTONE) ||
                    tn_bucket_rec_decode(cur.value, cur.value_len, &rec) != TN_OK)) {
        ctl_meta_ent_free(&cur);
        rc = TN_ERR_NOT_FOUND;
    }
    if (rc == TN_ERR_NOT_FOUND) {
        ctl_err("bucket quota: no bucket '%s'", o->pos);
        return CTL_EXIT_FAIL;
    }
    if (rc != 0) {
        ctl_meta_explain("bucket quota", rc);
        return CTL_EXIT_FAIL;
    }
    if (o->max_size != NULL)
        rec.max_bytes = ms;
    if (o->max_objects != NULL)
        rec.max_objects = mo;
    if (o->max_size != NULL || o->max_objects != NULL) {
        uint8_t val[TN_BUCKET_REC_MAX];
        int vl = tn_bucket_rec_encode(&rec, val, sizeof val);
        rc = vl < 0 ? vl : ctl_meta_write_all(c, pg, 1, o->pos, bl, val, (size_t)vl, &cur.ver);
        if (rc != 0) {
            ctl_meta_ent_free(&cur);
            ctl_meta_explain("bucket quota", rc);
            return CTL_EXIT_FAIL;
        }
    }
    ctl_meta_ent_free(&cur);
    char a[32], b[32];
    limit_str(rec.max_bytes, 1, a, sizeof a);
    limit_str(rec.max_objects, 0, b, sizeof b);
    printf("bucket %s: max-size %s (%llu bytes), max-objects %s\n", o->pos,
           rec.max_bytes ? a : "none", (unsigned long long)rec.max_bytes,
           rec.max_objects ? b : "none");
    return CTL_EXIT_OK;
}

int ctl_cmd_bucket(int argc, char **argv)
{
    int help = ctl_help(argc, argv, usage_bucket);
    if (help >= 0)
        return help;
    const char *sub = argv[1];
    bopts_t o;
    if (parse(argc, argv, &o) != 0)
        return CTL_EXIT_USAGE;
    int ls = strcmp(sub, "ls") == 0, quota = strcmp(sub, "quota") == 0,
        usage = strcmp(sub, "usage") == 0;
    if (!ls && !quota && !usage) {
        ctl_err("unknown 'bucket' subcommand '%s': use ls, quota or usage", sub);
        return CTL_EXIT_USAGE;
    }
    if (quota && o.pos == NULL) {
        ctl_err("bucket quota: BUCKET is required");
        return CTL_EXIT_USAGE;
    }
    if (ls && o.pos != NULL) {
        ctl_err("bucket ls: unexpected argument '%s'", o.pos);
        return CTL_EXIT_USAGE;
    }
    if (!quota && (o.max_size != NULL || o.max_objects != NULL)) {
        ctl_err("bucket %s: --max-size and --max-objects go with 'bucket quota'", sub);
        return CTL_EXIT_USAGE;
    }
    ctl_cluster_t c;
    int rc = ctl_cluster_open(&c, o.config);
    if (rc != CTL_EXIT_OK)
        return rc;
    rc = quota ? bucket_quota(&c, &o) : bucket_ls(&c, &o, usage);
    ctl_cluster_close(&c);
    return rc;
}
