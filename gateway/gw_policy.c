/* gw_policy.c — bucket policy JSON parsing, validation and evaluation (gw_policy.h). Pure. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gw_policy.h"

/* ---- a small JSON DOM ---- */

#define J_MAX_NODES 2048
#define J_MAX_DEPTH 32

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct {
    uint8_t type;
    int first, next;       /* children (arrays, objects); siblings; -1 none */
    uint32_t key, key_len; /* member name in the string store (objects' children) */
    uint32_t str, str_len; /* J_STR value in the string store */
} jnode_t;

typedef struct {
    const char *p, *end;
    jnode_t *nodes;
    int n;
    char *store;
    uint32_t store_len;
    int depth;
    int err;
} jparse_t;

static void ws(jparse_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(jparse_t *j, uint32_t cp)
{
    char *o = j->store + j->store_len;
    if (cp < 0x80) {
        o[0] = (char)cp;
        j->store_len += 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        j->store_len += 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        j->store_len += 3;
    } else {
        o[0] = (char)(0xf0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        j->store_len += 4;
    }
}

/* A string at j->p (the opening quote) into the store (escapes decoded; a \uXXXX never
 * decodes longer than its 6 source bytes, so the store never outgrows the input). */
static int jstring(jparse_t *j, uint32_t *off, uint32_t *len)
{
    j->p++;
    *off = j->store_len;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            j->store[j->store_len++] = (char)c;
            j->p++;
            continue;
        }
        if (j->end - j->p < 2)
            return -1;
        char e = j->p[1];
        j->p += 2;
        const char *simple = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *f = strchr(simple, e);
        if (e != '\0' && f != NULL) {
            j->store[j->store_len++] = to[f - simple];
            continue;
        }
        if (e != 'u' || j->end - j->p < 4)
            return -1;
        uint32_t cp;
        if (hex4(j->p, &cp) != 0)
            return -1;
        j->p += 4;
        if (cp >= 0xd800 && cp < 0xdc00) {
            uint32_t lo;
            if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
                hex4(j->p + 2, &lo) != 0 || lo < 0xdc00 || lo >= 0xe000)
                return -1;
            j->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp < 0xe000) {
            return -1;
        }
        put_utf8(j, cp);
    }
    if (j->p == j->end)
        return -1;
    j->p++;
    *len = j->store_len - *off;
    return 0;
}

static int jvalue(jparse_t *j);

static int jnew(jparse_t *j, uint8_t type)
{
    if (j->n == J_MAX_NODES)
        return -1;
    jnode_t *n = &j->nodes[j->n];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->first = n->next = -1;
    return j->n++;
}

static int jcontainer(jparse_t *j, int is_obj)
{
    int me = jnew(j, is_obj ? J_OBJ : J_ARR);
    if (me < 0 || ++j->depth > J_MAX_DEPTH)
        return -1;
    j->p++;
    ws(j);
    int last = -1;
    if (j->p < j->end && *j->p == (is_obj ? '}' : ']')) {
        j->p++;
        j->depth--;
        return me;
    }
    for (;;) {
        uint32_t k = 0, kl = 0;
        ws(j);
        if (is_obj) {
            if (j->p >= j->end || *j->p != '"' || jstring(j, &k, &kl) != 0)
                return -1;
            ws(j);
            if (j->p >= j->end || *j->p != ':')
                return -1;
            j->p++;
            /* duplicate member names are ambiguous: refused */
            for (int c = j->nodes[me].first; c >= 0; c = j->nodes[c].next)
                if (j->nodes[c].key_len == kl &&
                    memcmp(j->store + j->nodes[c].key, j->store + k, kl) == 0)
                    return -1;
        }
        ws(j);
        int v = jvalue(j);
        if (v < 0)
            return -1;
        j->nodes[v].key = k;
        j->nodes[v].key_len = kl;
        if (last < 0)
            j->nodes[me].first = v;
        else
            j->nodes[last].next = v;
        last = v;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == (is_obj ? '}' : ']')) {
            j->p++;
            j->depth--;
            return me;
        }
        return -1;
    }
}

static int jlit(jparse_t *j, const char *lit, uint8_t type)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return -1;
    j->p += n;
    return jnew(j, type);
}

static int jnumber(jparse_t *j)
{
    const char *p = j->p;
    if (p < j->end && *p == '-')
        p++;
    if (p >= j->end || *p < '0' || *p > '9')
        return -1;
    if (*p == '0')
        p++;
    else
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    if (p < j->end && *p == '.') {
        p++;
        if (p >= j->end || *p < '0' || *p > '9')
            return -1;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->end || *p < '0' || *p > '9')
            return -1;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    j->p = p;
    return jnew(j, J_NUM);
}

static int jvalue(jparse_t *j)
{
    if (j->p >= j->end)
        return -1;
    switch (*j->p) {
    case '{': return jcontainer(j, 1);
    case '[': return jcontainer(j, 0);
    case '"': {
        uint32_t o, l;
        if (jstring(j, &o, &l) != 0)
            return -1;
        int n = jnew(j, J_STR);
        if (n >= 0) {
            j->nodes[n].str = o;
            j->nodes[n].str_len = l;
        }
        return n;
    }
    case 't': return jlit(j, "true", J_BOOL);
    case 'f': return jlit(j, "false", J_BOOL);
    case 'n': return jlit(j, "null", J_NULL);
    default: return jnumber(j);
    }
}

/* Parses doc; returns the root's index (0) or -1. j->nodes and j->store are malloc'd
 * (freed by jfree, also after a failure). */
static int jparse(jparse_t *j, const char *doc, size_t len)
{
    memset(j, 0, sizeof *j);
    j->p = doc;
    j->end = doc + len;
    j->nodes = malloc(sizeof(jnode_t) * J_MAX_NODES);
    j->store = malloc(len + 1);
    if (j->nodes == NULL || j->store == NULL)
        return -1;
    ws(j);
    int root = jvalue(j);
    ws(j);
    if (root < 0 || j->p != j->end)
        return -1;
    return root;
}

static void jfree(jparse_t *j)
{
    free(j->nodes);
    free(j->store);
}

/* ---- policy model ---- */

#define ACT_GET  1u
#define ACT_LIST 2u

typedef struct {
    int deny;
    unsigned actions;
    int res_first; /* J_STR node or array of them */
} stmt_t;

typedef struct {
    jparse_t j;
    stmt_t st[GW_POLICY_MAX_STATEMENTS];
    int n;
} policy_t;

static int key_is(const jparse_t *j, int n, const char *k)
{
    return j->nodes[n].key_len == strlen(k) &&
           memcmp(j->store + j->nodes[n].key, k, strlen(k)) == 0;
}

static int str_is(const jparse_t *j, int n, const char *s, int nocase)
{
    const jnode_t *x = &j->nodes[n];
    if (x->type != J_STR || x->str_len != strlen(s))
        return 0;
    return nocase ? strncasecmp(j->store + x->str, s, x->str_len) == 0
                  : memcmp(j->store + x->str, s, x->str_len) == 0;
}

/* Calls fn on a string or on each element of an array of strings (non-empty). -1 if n is
 * anything else or fn fails. */
static int each_str(policy_t *p, int n, int (*fn)(policy_t *, int, void *), void *arg)
{
    jnode_t *x = &p->j.nodes[n];
    if (x->type == J_STR)
        return fn(p, n, arg);
    if (x->type != J_ARR || x->first < 0)
        return -1;
    for (int c = x->first; c >= 0; c = p->j.nodes[c].next)
        if (p->j.nodes[c].type != J_STR || fn(p, c, arg) != 0)
            return -1;
    return 0;
}

static int is_star(policy_t *p, int n, void *arg)
{
    (void)arg;
    return str_is(&p->j, n, "*", 0) ? 0 : -1;
}

static int add_action(policy_t *p, int n, void *arg)
{
    unsigned *a = arg;
    if (str_is(&p->j, n, "s3:GetObject", 1))
        *a |= ACT_GET;
    else if (str_is(&p->j, n, "s3:ListBucket", 1))
        *a |= ACT_LIST;
    else if (str_is(&p->j, n, "s3:*", 1) || str_is(&p->j, n, "*", 0))
        *a |= ACT_GET | ACT_LIST;
    else
        return -1;
    return 0;
}

typedef struct {
    const char *bucket;
    size_t blen;
} res_ctx_t;

static int check_resource(policy_t *p, int n, void *arg)
{
    res_ctx_t *rc = arg;
    const jnode_t *x = &p->j.nodes[n];
    const char *s = p->j.store + x->str;
    size_t l = x->str_len;
    if (l < 13 || memcmp(s, "arn:aws:s3:::", 13) != 0)
        return -1;
    s += 13;
    l -= 13;
    if (l < rc->blen || memcmp(s, rc->bucket, rc->blen) != 0 ||
        (l > rc->blen && s[rc->blen] != '/'))
        return -1;
    return 0;
}

/* The checks gw_policy_check documents; p->j parsed. */
static s3_err_t policy_compile(policy_t *p, const char *bucket, s3_why_t *why)
{
    jparse_t *j = &p->j;
    if (j->nodes[0].type != J_OBJ)
        return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Policies must be JSON objects");
    int stmts = -1;
    for (int c = j->nodes[0].first; c >= 0; c = j->nodes[c].next) {
        if (key_is(j, c, "Version")) {
            if (!str_is(j, c, "2012-10-17", 0) && !str_is(j, c, "2008-10-17", 0))
                return s3_why_set(why, S3_ERR_MALFORMED_POLICY,
                                  "The policy must contain a valid version string");
        } else if (key_is(j, c, "Id")) {
            if (j->nodes[c].type != J_STR)
                return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Id must be a string");
        } else if (key_is(j, c, "Statement")) {
            stmts = c;
        } else {
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Unknown field %.*s",
                              (int)j->nodes[c].key_len, j->store + j->nodes[c].key);
        }
    }
    if (stmts < 0)
        return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Missing required field Statement");
    int first = stmts, single = 1;
    if (j->nodes[stmts].type == J_ARR) {
        first = j->nodes[stmts].first;
        single = 0;
        if (first < 0)
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Statement is empty");
    }
    res_ctx_t rc = {bucket, strlen(bucket)};
    for (int s = first; s >= 0; s = single ? -1 : j->nodes[s].next) {
        if (j->nodes[s].type != J_OBJ)
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Statements must be objects");
        if (p->n == GW_POLICY_MAX_STATEMENTS)
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "More than %d statements",
                              GW_POLICY_MAX_STATEMENTS);
        stmt_t *st = &p->st[p->n++];
        int effect = -1, principal = -1, action = -1;
        st->res_first = -1;
        for (int c = j->nodes[s].first; c >= 0; c = j->nodes[c].next) {
            if (key_is(j, c, "Sid")) {
                if (j->nodes[c].type != J_STR)
                    return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Sid must be a string");
            } else if (key_is(j, c, "Effect")) {
                effect = c;
            } else if (key_is(j, c, "Principal")) {
                principal = c;
            } else if (key_is(j, c, "Action")) {
                action = c;
            } else if (key_is(j, c, "Resource")) {
                st->res_first = c;
            } else if (key_is(j, c, "Condition") || key_is(j, c, "NotPrincipal") ||
                       key_is(j, c, "NotAction") || key_is(j, c, "NotResource")) {
                return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                                  "tern does not implement %.*s in bucket policies",
                                  (int)j->nodes[c].key_len, j->store + j->nodes[c].key);
            } else {
                return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Unknown field %.*s",
                                  (int)j->nodes[c].key_len, j->store + j->nodes[c].key);
            }
        }
        if (effect < 0 || principal < 0 || action < 0 || st->res_first < 0)
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY,
                              "Missing required field (Effect, Principal, Action and Resource "
                              "are required)");
        if (str_is(j, effect, "Deny", 0))
            st->deny = 1;
        else if (!str_is(j, effect, "Allow", 0))
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Invalid effect");
        int pr = principal;
        if (j->nodes[pr].type == J_OBJ) {
            int aws = j->nodes[pr].first;
            if (aws < 0 || j->nodes[aws].next >= 0 || !key_is(j, aws, "AWS"))
                return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                                  "tern implements only the principal \"*\" (or {\"AWS\": "
                                  "\"*\"}) in bucket policies");
            pr = aws;
        } else if (j->nodes[pr].type != J_STR) {
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Invalid principal");
        }
        if (each_str(p, pr, is_star, NULL) != 0)
            return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                              "tern implements only the principal \"*\" (or {\"AWS\": \"*\"}) in "
                              "bucket policies");
        if (j->nodes[action].type != J_STR && j->nodes[action].type != J_ARR)
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Invalid action");
        if (each_str(p, action, add_action, &st->actions) != 0)
            return s3_why_set(why, S3_ERR_NOT_IMPLEMENTED,
                              "tern implements only the actions s3:GetObject, s3:ListBucket and "
                              "s3:* in bucket policies");
        if (each_str(p, st->res_first, check_resource, &rc) != 0)
            return s3_why_set(why, S3_ERR_MALFORMED_POLICY,
                              "Policy has invalid resource (resources must be "
                              "arn:aws:s3:::%s or arn:aws:s3:::%s/...)",
                              bucket, bucket);
    }
    return S3_OK;
}

static s3_err_t policy_load(policy_t *p, const char *doc, size_t len, const char *bucket,
                            s3_why_t *why)
{
    memset(p, 0, sizeof *p);
    if (len > GW_POLICY_MAX)
        return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Policies are limited to %d bytes",
                          GW_POLICY_MAX);
    if (jparse(&p->j, doc, len) != 0)
        return s3_why_set(why, S3_ERR_MALFORMED_POLICY, "Policies must be valid JSON");
    return policy_compile(p, bucket, why);
}

s3_err_t gw_policy_check(const char *doc, size_t len, const char *bucket, s3_why_t *why)
{
    policy_t *p = malloc(sizeof *p);
    if (p == NULL)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, NULL);
    s3_err_t e = policy_load(p, doc, len, bucket, why);
    jfree(&p->j);
    free(p);
    return e;
}

/* ---- evaluation ---- */

static int ceq(char a, char b, int nocase)
{
    if (nocase) {
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (char)(b + 32);
    }
    return a == b;
}

int gw_glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < slen) {
        if (pi < plen && pat[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < plen && (pat[pi] == '?' || ceq(pat[pi], s[si], nocase))) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return 0;
        }
    }
    while (pi < plen && pat[pi] == '*')
        pi++;
    return pi == plen;
}

typedef struct {
    const char *target;
    size_t tlen;
    int hit;
} match_ctx_t;

static int match_resource(policy_t *p, int n, void *arg)
{
    match_ctx_t *m = arg;
    const jnode_t *x = &p->j.nodes[n];
    if (gw_glob_match(p->j.store + x->str, x->str_len, m->target, m->tlen, 0))
        m->hit = 1;
    return 0;
}

gw_verdict_t gw_policy_eval(const char *doc, size_t len, const char *bucket, gw_access_t op,
                            const char *key, size_t key_len)
{
    unsigned act = op == GW_ACCESS_READ_OBJECT   ? ACT_GET
                   : op == GW_ACCESS_LIST_BUCKET ? ACT_LIST
                                                 : 0;
    if (act == 0 || len == 0)
        return GW_VERDICT_NONE;
    policy_t *p = malloc(sizeof *p);
    size_t blen = strlen(bucket);
    char *target = malloc(13 + blen + 1 + key_len + 1);
    gw_verdict_t v = GW_VERDICT_NONE;
    s3_why_t why;
    if (p != NULL && target != NULL && policy_load(p, doc, len, bucket, &why) == S3_OK) {
        memcpy(target, "arn:aws:s3:::", 13);
        memcpy(target + 13, bucket, blen);
        size_t tlen = 13 + blen;
        if (act == ACT_GET) {
            target[tlen++] = '/';
            memcpy(target + tlen, key, key_len);
            tlen += key_len;
        }
        for (int i = 0; i < p->n; i++) {
            if (!(p->st[i].actions & act))
                continue;
            match_ctx_t m = {target, tlen, 0};
            each_str(p, p->st[i].res_first, match_resource, &m);
            if (!m.hit)
                continue;
            if (p->st[i].deny) {
                v = GW_VERDICT_DENY;
                break;
            }
            v = GW_VERDICT_ALLOW;
        }
    }
    if (p != NULL)
        jfree(&p->j);
    free(p);
    free(target);
    return v;
}
