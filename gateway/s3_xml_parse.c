/* s3_xml_parse.c — PURE S3 request-body parsers: one small schema-driven engine over
 * expat (element tables, limits, DOCTYPE refusal, text collection) and one table plus two
 * callbacks per document type. Rules in s3_xml_parse.h. */
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <expat.h>
#include "s3_xml_parse.h"

/* ---- arena ---- */

struct st_s3_xml_block {
    struct st_s3_xml_block *next;
    size_t used, cap;
    alignas(16) unsigned char data[];
};

#define ARENA_BLOCK 8192

void s3_xml_arena_free(s3_xml_arena_t *a)
{
    struct st_s3_xml_block *b = a->head;
    while (b != NULL) {
        struct st_s3_xml_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

static void *arena_alloc(s3_xml_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct st_s3_xml_block *b = a->head;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (b == NULL)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

/* ---- the engine ---- */

enum { N_LEAF = 1, N_MULTI = 2 };

typedef struct {
    const char *name; /* local name */
    int parent;       /* index of the parent node; -1 for the root */
    unsigned flags;   /* N_LEAF, N_MULTI */
} node_t;

typedef struct parser parser_t;
struct parser {
    XML_Parser xp;
    const node_t *nodes;
    int n_nodes;
    int stack[S3_XML_MAX_DEPTH];
    uint32_t seen[S3_XML_MAX_DEPTH]; /* children seen by the element open at each depth */
    int depth;
    int root_done;
    size_t elements;
    char text[S3_XML_MAX_TEXT + 1];
    size_t text_len;
    s3_err_t malformed; /* MalformedXML, or MalformedACLError for ACL bodies */
    s3_why_t why;       /* the error, once one happened */
    s3_xml_arena_t *arena;
    void *out;
    size_t limit; /* document-specific count limit (tags) */
    /* called when an element opens (attributes as expat gives them) */
    int (*on_start)(parser_t *p, int node, const XML_Char **attrs);
    /* called when an element closes: text for leaves, children = bitmask of child nodes */
    int (*on_end)(parser_t *p, int node, const char *text, size_t len, uint32_t children);
};

#define HAS(children, node) (((children) >> (node)) & 1u)

/* Records an error (the first one wins) and stops expat. Returns -1. */
static int fail(parser_t *p, s3_err_t err, const char *fmt, ...) TN_PRINTF(3, 4);
static int fail(parser_t *p, s3_err_t err, const char *fmt, ...)
{
    if (p->why.err == S3_OK) {
        p->why.err = err;
        p->why.message[0] = '\0';
        if (fmt != NULL) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->why.message, sizeof(p->why.message), fmt, ap);
            va_end(ap);
        }
    }
    XML_StopParser(p->xp, XML_FALSE);
    return -1;
}

static const char *local_name(const XML_Char *name)
{
    const char *sep = strrchr(name, '|');
    return sep != NULL ? sep + 1 : name;
}

static int find_child(const parser_t *p, int parent, const char *local)
{
    for (int i = 0; i < p->n_nodes; i++)
        if (p->nodes[i].parent == parent && strcmp(p->nodes[i].name, local) == 0)
            return i;
    return -1;
}

static void XMLCALL on_start_el(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    parser_t *p = ud;
    const char *local = local_name(name);
    if (p->why.err != S3_OK)
        return;
    if (++p->elements > S3_XML_MAX_ELEMENTS) {
        fail(p, p->malformed, "more than %d XML elements", S3_XML_MAX_ELEMENTS);
        return;
    }
    if (p->depth >= S3_XML_MAX_DEPTH) {
        fail(p, p->malformed, "XML nested deeper than %d", S3_XML_MAX_DEPTH);
        return;
    }
    int node;
    if (p->depth == 0) {
        if (p->root_done || strcmp(local, p->nodes[0].name) != 0) {
            fail(p, p->malformed, "the root element must be %s", p->nodes[0].name);
            return;
        }
        node = 0;
    } else {
        int parent = p->stack[p->depth - 1];
        node = find_child(p, parent, local);
        if (node < 0) {
            fail(p, p->malformed, "unexpected element %.64s in %s", local, p->nodes[parent].name);
            return;
        }
        uint32_t *seen = &p->seen[p->depth - 1];
        if (HAS(*seen, node) && !(p->nodes[node].flags & N_MULTI)) {
            fail(p, p->malformed, "element %s given more than once", local);
            return;
        }
        *seen |= 1u << node;
    }
    p->stack[p->depth] = node;
    p->seen[p->depth] = 0;
    p->depth++;
    p->text_len = 0;
    if (p->on_start != NULL)
        p->on_start(p, node, attrs);
}

static void XMLCALL on_end_el(void *ud, const XML_Char *name)
{
    parser_t *p = ud;
    (void)name;
    if (p->why.err != S3_OK || p->depth == 0)
        return;
    int node = p->stack[p->depth - 1];
    uint32_t children = p->seen[p->depth - 1];
    p->text[p->text_len] = '\0';
    if (p->on_end != NULL &&
        p->on_end(p, node, p->text, (p->nodes[node].flags & N_LEAF) ? p->text_len : 0, children) !=
            0)
        return;
    p->depth--;
    p->text_len = 0;
    if (p->depth == 0)
        p->root_done = 1;
}

static int is_xml_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    parser_t *p = ud;
    if (p->why.err != S3_OK || p->depth == 0 || len <= 0)
        return;
    int node = p->stack[p->depth - 1];
    if (!(p->nodes[node].flags & N_LEAF)) {
        for (int i = 0; i < len; i++)
            if (!is_xml_space((unsigned char)s[i])) {
                fail(p, p->malformed, "text inside element %s", p->nodes[node].name);
                return;
            }
        return;
    }
    if ((size_t)len > S3_XML_MAX_TEXT - p->text_len) {
        fail(p, p->malformed, "value of %s longer than %d bytes", p->nodes[node].name,
             S3_XML_MAX_TEXT);
        return;
    }
    memcpy(p->text + p->text_len, s, (size_t)len);
    p->text_len += (size_t)len;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    parser_t *p = ud;
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(p, p->malformed, "DOCTYPE is not allowed");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
                                   const XML_Char *value, int value_len, const XML_Char *base,
                                   const XML_Char *sysid, const XML_Char *pubid,
                                   const XML_Char *notation)
{
    parser_t *p = ud;
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    fail(p, p->malformed, "entity declarations are not allowed");
}

static void why_out(const parser_t *p, s3_why_t *why)
{
    if (why != NULL)
        *why = p->why;
}

/*
 * Runs the engine over body. The caller has set nodes, n_nodes, callbacks, out, arena.
 * On error the arena is released.
 */
static s3_err_t run(parser_t *p, const char *body, size_t len, size_t max, s3_why_t *why)
{
    p->why.err = S3_OK;
    p->why.message[0] = '\0';
    if (p->malformed == S3_OK)
        p->malformed = S3_ERR_MALFORMED_XML;
    if (len > max) {
        s3_why_set(&p->why, p->malformed, "XML body larger than %zu bytes", max);
    } else if (len == 0) {
        s3_why_set(&p->why, p->malformed, "empty XML body");
    } else {
        p->xp = XML_ParserCreateNS(NULL, '|');
        if (p->xp == NULL) {
            s3_why_set(&p->why, S3_ERR_INTERNAL_ERROR, "out of memory");
        } else {
            XML_SetUserData(p->xp, p);
            XML_SetElementHandler(p->xp, on_start_el, on_end_el);
            XML_SetCharacterDataHandler(p->xp, on_text);
            XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
            XML_SetEntityDeclHandler(p->xp, on_entity_decl);
            XML_SetParamEntityParsing(p->xp, XML_PARAM_ENTITY_PARSING_NEVER);
            if (XML_Parse(p->xp, body, (int)len, XML_TRUE) != XML_STATUS_OK && p->why.err == S3_OK)
                s3_why_set(&p->why, p->malformed, "XML error at line %lu: %s",
                           (unsigned long)XML_GetCurrentLineNumber(p->xp),
                           XML_ErrorString(XML_GetErrorCode(p->xp)));
            else if (p->why.err == S3_OK && !p->root_done)
                s3_why_set(&p->why, p->malformed, "no root element");
            XML_ParserFree(p->xp);
            p->xp = NULL;
        }
    }
    if (p->why.err != S3_OK && p->arena != NULL)
        s3_xml_arena_free(p->arena);
    why_out(p, why);
    return p->why.err;
}

/* ---- helpers for the document callbacks ---- */

static int copy_str(parser_t *p, tn_slice_t *dst, const char *s, size_t len)
{
    char *m = arena_alloc(p->arena, len + 1);
    if (m == NULL)
        return fail(p, S3_ERR_INTERNAL_ERROR, "out of memory");
    memcpy(m, s, len);
    m[len] = '\0';
    dst->base = m;
    dst->len = len;
    return 0;
}

/* Makes room for element n (0-based) of an arena array, doubling it when full. */
static void *grow(parser_t *p, void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *m = arena_alloc(p->arena, ncap * elem);
    if (m == NULL) {
        fail(p, S3_ERR_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    if (arr != NULL)
        memcpy(m, arr, *cap * elem);
    memset((char *)m + *cap * elem, 0, (ncap - *cap) * elem);
    *cap = ncap;
    return m;
}

/* Text without surrounding XML whitespace. */
static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_xml_space((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_xml_space((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static int word_is(const char *s, size_t len, const char *w)
{
    trim(&s, &len);
    return len == strlen(w) && memcmp(s, w, len) == 0;
}

/* Non-negative decimal (XML whitespace around it); saturates at UINT64_MAX. -1 if not. */
static int parse_uint(const char *s, size_t len, uint64_t *v)
{
    trim(&s, &len);
    if (len == 0)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
    }
    *v = x;
    return 0;
}

/* Unicode code points in well-formed UTF-8 (expat only hands out UTF-8). */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* ---- DeleteObjects ---- */

enum { D_ROOT, D_QUIET, D_OBJECT, D_KEY, D_VERSION, D_ETAG, D_LMT, D_SIZE };
static const node_t delete_nodes[] = {
    [D_ROOT] = {"Delete", -1, 0},
    [D_QUIET] = {"Quiet", D_ROOT, N_LEAF},
    [D_OBJECT] = {"Object", D_ROOT, N_MULTI},
    [D_KEY] = {"Key", D_OBJECT, N_LEAF},
    [D_VERSION] = {"VersionId", D_OBJECT, N_LEAF},
    [D_ETAG] = {"ETag", D_OBJECT, N_LEAF},
    [D_LMT] = {"LastModifiedTime", D_OBJECT, N_LEAF},
    [D_SIZE] = {"Size", D_OBJECT, N_LEAF},
};

typedef struct {
    s3_delete_req_t *r;
    size_t cap;
} delete_ctx_t;

static int delete_start(parser_t *p, int node, const XML_Char **attrs)
{
    delete_ctx_t *c = p->out;
    (void)attrs;
    if (node != D_OBJECT)
        return 0;
    if (c->r->n_objects == S3_XML_MAX_DELETE)
        return fail(p, S3_ERR_MALFORMED_XML, "more than %d objects to delete", S3_XML_MAX_DELETE);
    c->r->objects = grow(p, c->r->objects, &c->cap, c->r->n_objects, sizeof(s3_delete_object_t));
    if (c->r->objects == NULL)
        return -1;
    c->r->n_objects++;
    return 0;
}

static int delete_end(parser_t *p, int node, const char *t, size_t len, uint32_t children)
{
    delete_ctx_t *c = p->out;
    s3_delete_object_t *o = c->r->n_objects ? &c->r->objects[c->r->n_objects - 1] : NULL;
    switch (node) {
    case D_QUIET:
        if (word_is(t, len, "true"))
            c->r->quiet = 1;
        else if (word_is(t, len, "false"))
            c->r->quiet = 0;
        else
            return fail(p, S3_ERR_MALFORMED_XML, "Quiet must be true or false");
        return 0;
    case D_KEY:
        if (len == 0)
            return fail(p, S3_ERR_MALFORMED_XML, "empty Key");
        return copy_str(p, &o->key, t, len);
    case D_VERSION: return copy_str(p, &o->version_id, t, len);
    case D_ETAG: return copy_str(p, &o->etag, t, len);
    case D_LMT: return copy_str(p, &o->last_modified_time, t, len);
    case D_SIZE: return copy_str(p, &o->size, t, len);
    case D_OBJECT:
        if (!HAS(children, D_KEY))
            return fail(p, S3_ERR_MALFORMED_XML, "Object without Key");
        return 0;
    case D_ROOT:
        if (c->r->n_objects == 0)
            return fail(p, S3_ERR_MALFORMED_XML, "no Object to delete");
        return 0;
    default: return 0;
    }
}

static void parser_init(parser_t *p, const node_t *nodes, int n, s3_xml_arena_t *arena, void *out)
{
    memset(p, 0, sizeof(*p));
    p->nodes = nodes;
    p->n_nodes = n;
    p->arena = arena;
    p->out = out;
}

s3_err_t s3_xml_parse_delete(const char *body, size_t len, s3_delete_req_t *out, s3_why_t *why)
{
    parser_t *p = malloc(sizeof(*p));
    memset(out, 0, sizeof(*out));
    if (p == NULL)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "out of memory");
    delete_ctx_t c = {out, 0};
    parser_init(p, delete_nodes, (int)TN_ARRAY_SIZE(delete_nodes), &out->arena, &c);
    p->on_start = delete_start;
    p->on_end = delete_end;
    s3_err_t e = run(p, body, len, S3_XML_MAX_BODY, why);
    free(p);
    if (e != S3_OK)
        memset(out, 0, sizeof(*out));
    return e;
}

/* ---- CompleteMultipartUpload ---- */

enum { C_ROOT, C_PART, C_NUMBER, C_ETAG, C_CRC32, C_CRC32C, C_CRC64, C_SHA1, C_SHA256 };
static const node_t complete_nodes[] = {
    [C_ROOT] = {"CompleteMultipartUpload", -1, 0},
    [C_PART] = {"Part", C_ROOT, N_MULTI},
    [C_NUMBER] = {"PartNumber", C_PART, N_LEAF},
    [C_ETAG] = {"ETag", C_PART, N_LEAF},
    [C_CRC32] = {"ChecksumCRC32", C_PART, N_LEAF},
    [C_CRC32C] = {"ChecksumCRC32C", C_PART, N_LEAF},
    [C_CRC64] = {"ChecksumCRC64NVME", C_PART, N_LEAF},
    [C_SHA1] = {"ChecksumSHA1", C_PART, N_LEAF},
    [C_SHA256] = {"ChecksumSHA256", C_PART, N_LEAF},
};

typedef struct {
    s3_complete_req_t *r;
    size_t cap;
} complete_ctx_t;

static int complete_start(parser_t *p, int node, const XML_Char **attrs)
{
    complete_ctx_t *c = p->out;
    (void)attrs;
    if (node != C_PART)
        return 0;
    if (c->r->n_parts == S3_XML_MAX_PARTS)
        return fail(p, S3_ERR_MALFORMED_XML, "more than %d parts", S3_XML_MAX_PARTS);
    c->r->parts = grow(p, c->r->parts, &c->cap, c->r->n_parts, sizeof(s3_complete_part_t));
    if (c->r->parts == NULL)
        return -1;
    c->r->n_parts++;
    return 0;
}

static int complete_end(parser_t *p, int node, const char *t, size_t len, uint32_t children)
{
    complete_ctx_t *c = p->out;
    s3_complete_part_t *pt = c->r->n_parts ? &c->r->parts[c->r->n_parts - 1] : NULL;
    uint64_t v;
    switch (node) {
    case C_NUMBER:
        if (parse_uint(t, len, &v) != 0)
            return fail(p, S3_ERR_MALFORMED_XML, "PartNumber is not a number");
        if (v < 1 || v > S3_XML_MAX_PARTS)
            return fail(p, S3_ERR_TOO_MANY_PARTS, NULL);
        pt->part_number = (uint32_t)v;
        return 0;
    case C_ETAG:
        if (len >= 2 && t[0] == '"' && t[len - 1] == '"') {
            t++;
            len -= 2;
        }
        return copy_str(p, &pt->etag, t, len);
    case C_CRC32: return copy_str(p, &pt->checksum[S3_CKSUM_CRC32], t, len);
    case C_CRC32C: return copy_str(p, &pt->checksum[S3_CKSUM_CRC32C], t, len);
    case C_CRC64: return copy_str(p, &pt->checksum[S3_CKSUM_CRC64NVME], t, len);
    case C_SHA1: return copy_str(p, &pt->checksum[S3_CKSUM_SHA1], t, len);
    case C_SHA256: return copy_str(p, &pt->checksum[S3_CKSUM_SHA256], t, len);
    case C_PART:
        if (!HAS(children, C_NUMBER) || !HAS(children, C_ETAG))
            return fail(p, S3_ERR_MALFORMED_XML, "Part needs PartNumber and ETag");
        return 0;
    case C_ROOT:
        if (c->r->n_parts == 0)
            return fail(p, S3_ERR_MALFORMED_XML, "no Part");
        return 0;
    default: return 0;
    }
}

s3_err_t s3_xml_parse_complete(const char *body, size_t len, s3_complete_req_t *out, s3_why_t *why)
{
    parser_t *p = malloc(sizeof(*p));
    memset(out, 0, sizeof(*out));
    if (p == NULL)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "out of memory");
    complete_ctx_t c = {out, 0};
    parser_init(p, complete_nodes, (int)TN_ARRAY_SIZE(complete_nodes), &out->arena, &c);
    p->on_start = complete_start;
    p->on_end = complete_end;
    s3_err_t e = run(p, body, len, S3_XML_MAX_BODY_COMPLETE, why);
    free(p);
    if (e != S3_OK)
        memset(out, 0, sizeof(*out));
    return e;
}

/* ---- CORSConfiguration ---- */

enum { R_ROOT, R_RULE, R_ID, R_ORIGIN, R_METHOD, R_AHEADER, R_EHEADER, R_MAXAGE };
static const node_t cors_nodes[] = {
    [R_ROOT] = {"CORSConfiguration", -1, 0},
    [R_RULE] = {"CORSRule", R_ROOT, N_MULTI},
    [R_ID] = {"ID", R_RULE, N_LEAF},
    [R_ORIGIN] = {"AllowedOrigin", R_RULE, N_LEAF | N_MULTI},
    [R_METHOD] = {"AllowedMethod", R_RULE, N_LEAF | N_MULTI},
    [R_AHEADER] = {"AllowedHeader", R_RULE, N_LEAF | N_MULTI},
    [R_EHEADER] = {"ExposeHeader", R_RULE, N_LEAF | N_MULTI},
    [R_MAXAGE] = {"MaxAgeSeconds", R_RULE, N_LEAF},
};

typedef struct {
    s3_cors_config_t *r;
    size_t cap, origins_cap, aheaders_cap, eheaders_cap;
} cors_ctx_t;

static int cors_start(parser_t *p, int node, const XML_Char **attrs)
{
    cors_ctx_t *c = p->out;
    (void)attrs;
    if (node != R_RULE)
        return 0;
    if (c->r->n_rules == S3_XML_MAX_CORS_RULES)
        return fail(p, S3_ERR_MALFORMED_XML, "more than %d CORS rules", S3_XML_MAX_CORS_RULES);
    c->r->rules = grow(p, c->r->rules, &c->cap, c->r->n_rules, sizeof(s3_cors_rule_t));
    if (c->r->rules == NULL)
        return -1;
    c->r->rules[c->r->n_rules++].max_age = -1;
    c->origins_cap = c->aheaders_cap = c->eheaders_cap = 0;
    return 0;
}

static int list_add(parser_t *p, tn_slice_t **arr, size_t *n, size_t *cap, const char *what,
                    const char *t, size_t len)
{
    if (*n == S3_XML_MAX_CORS_LIST)
        return fail(p, S3_ERR_MALFORMED_XML, "more than %d %s in a CORS rule", S3_XML_MAX_CORS_LIST,
                    what);
    *arr = grow(p, *arr, cap, *n, sizeof(tn_slice_t));
    if (*arr == NULL)
        return -1;
    return copy_str(p, &(*arr)[(*n)++], t, len);
}

static int wildcards(const char *t, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += t[i] == '*';
    return n;
}

static int cors_end(parser_t *p, int node, const char *t, size_t len, uint32_t children)
{
    cors_ctx_t *c = p->out;
    s3_cors_rule_t *r = c->r->n_rules ? &c->r->rules[c->r->n_rules - 1] : NULL;
    static const struct {
        const char *name;
        unsigned bit;
    } methods[] = {{"GET", S3_CORS_GET},
                   {"PUT", S3_CORS_PUT},
                   {"POST", S3_CORS_POST},
                   {"DELETE", S3_CORS_DELETE},
                   {"HEAD", S3_CORS_HEAD}};
    uint64_t v;
    switch (node) {
    case R_ID:
        if (utf8_chars(t, len) > 255)
            return fail(p, S3_ERR_INVALID_ARGUMENT, "CORS rule ID longer than 255 characters");
        return copy_str(p, &r->id, t, len);
    case R_ORIGIN:
        if (wildcards(t, len) > 1)
            return fail(p, S3_ERR_INVALID_REQUEST,
                        "AllowedOrigin \"%.*s\" can not have more than one wildcard.",
                        (int)TN_MIN(len, 100), t);
        return list_add(p, &r->origins, &r->n_origins, &c->origins_cap, "AllowedOrigin", t, len);
    case R_AHEADER:
        if (wildcards(t, len) > 1)
            return fail(p, S3_ERR_INVALID_REQUEST,
                        "AllowedHeader \"%.*s\" can not have more than one wildcard.",
                        (int)TN_MIN(len, 100), t);
        return list_add(p, &r->allowed_headers, &r->n_allowed_headers, &c->aheaders_cap,
                        "AllowedHeader", t, len);
    case R_EHEADER:
        return list_add(p, &r->expose_headers, &r->n_expose_headers, &c->eheaders_cap,
                        "ExposeHeader", t, len);
    case R_METHOD:
        for (size_t i = 0; i < TN_ARRAY_SIZE(methods); i++)
            if (len == strlen(methods[i].name) && memcmp(t, methods[i].name, len) == 0) {
                r->methods |= methods[i].bit;
                return 0;
            }
        return fail(p, S3_ERR_INVALID_REQUEST,
                    "Found unsupported HTTP method in CORS config. Unsupported method is %.*s",
                    (int)TN_MIN(len, 64), t);
    case R_MAXAGE:
        if (parse_uint(t, len, &v) != 0 || v > INT32_MAX)
            return fail(p, S3_ERR_MALFORMED_XML, "MaxAgeSeconds is not a valid number");
        r->max_age = (int64_t)v;
        return 0;
    case R_RULE:
        if (!HAS(children, R_ORIGIN) || !HAS(children, R_METHOD))
            return fail(p, S3_ERR_MALFORMED_XML,
                        "a CORSRule needs AllowedOrigin and AllowedMethod");
        return 0;
    case R_ROOT:
        if (c->r->n_rules == 0)
            return fail(p, S3_ERR_MALFORMED_XML, "no CORSRule");
        return 0;
    default: return 0;
    }
}

s3_err_t s3_xml_parse_cors(const char *body, size_t len, s3_cors_config_t *out, s3_why_t *why)
{
    parser_t *p = malloc(sizeof(*p));
    memset(out, 0, sizeof(*out));
    if (p == NULL)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "out of memory");
    cors_ctx_t c = {out, 0, 0, 0, 0};
    parser_init(p, cors_nodes, (int)TN_ARRAY_SIZE(cors_nodes), &out->arena, &c);
    p->on_start = cors_start;
    p->on_end = cors_end;
    s3_err_t e = run(p, body, len, S3_XML_MAX_BODY, why);
    free(p);
    if (e != S3_OK)
        memset(out, 0, sizeof(*out));
    return e;
}

/* ---- Tagging ---- */

enum { T_ROOT, T_SET, T_TAG, T_KEY, T_VALUE };
static const node_t tagging_nodes[] = {
    [T_ROOT] = {"Tagging", -1, 0},        [T_SET] = {"TagSet", T_ROOT, 0},
    [T_TAG] = {"Tag", T_SET, N_MULTI},    [T_KEY] = {"Key", T_TAG, N_LEAF},
    [T_VALUE] = {"Value", T_TAG, N_LEAF},
};

#define TAGS_HARD_MAX 1000 /* bound on max_tags, keeps the duplicate check cheap */

typedef struct {
    s3_tagging_t *r;
    size_t cap;
} tagging_ctx_t;

static int tagging_start(parser_t *p, int node, const XML_Char **attrs)
{
    tagging_ctx_t *c = p->out;
    (void)attrs;
    if (node != T_TAG)
        return 0;
    if (c->r->n_tags >= p->limit)
        return fail(p, S3_ERR_INVALID_TAG, "Cannot have more than %zu tags", p->limit);
    c->r->tags = grow(p, c->r->tags, &c->cap, c->r->n_tags, sizeof(s3_tag_t));
    if (c->r->tags == NULL)
        return -1;
    c->r->n_tags++;
    return 0;
}

static int tagging_end(parser_t *p, int node, const char *t, size_t len, uint32_t children)
{
    tagging_ctx_t *c = p->out;
    s3_tag_t *tag = c->r->n_tags ? &c->r->tags[c->r->n_tags - 1] : NULL;
    switch (node) {
    case T_KEY:
        if (len == 0)
            return fail(p, S3_ERR_INVALID_TAG, "The TagKey you have provided is invalid");
        if (utf8_chars(t, len) > S3_XML_MAX_TAG_KEY)
            return fail(p, S3_ERR_INVALID_TAG, "The TagKey you have provided is too long, max %d",
                        S3_XML_MAX_TAG_KEY);
        if (len >= 4 && memcmp(t, "aws:", 4) == 0)
            return fail(p, S3_ERR_INVALID_TAG, "Your TagKey cannot be prefixed with aws:");
        for (size_t i = 0; i + 1 < c->r->n_tags; i++)
            if (c->r->tags[i].key.len == len && memcmp(c->r->tags[i].key.base, t, len) == 0)
                return fail(p, S3_ERR_INVALID_TAG,
                            "Cannot provide multiple Tags with the same key");
        return copy_str(p, &tag->key, t, len);
    case T_VALUE:
        if (utf8_chars(t, len) > S3_XML_MAX_TAG_VALUE)
            return fail(p, S3_ERR_INVALID_TAG, "The TagValue you have provided is too long, max %d",
                        S3_XML_MAX_TAG_VALUE);
        return copy_str(p, &tag->value, t, len);
    case T_TAG:
        if (!HAS(children, T_KEY) || !HAS(children, T_VALUE))
            return fail(p, S3_ERR_MALFORMED_XML, "a Tag needs Key and Value");
        return 0;
    case T_ROOT:
        if (!HAS(children, T_SET))
            return fail(p, S3_ERR_MALFORMED_XML, "no TagSet");
        return 0;
    default: return 0;
    }
}

s3_err_t s3_xml_parse_tagging(const char *body, size_t len, size_t max_tags, s3_tagging_t *out,
                              s3_why_t *why)
{
    parser_t *p = malloc(sizeof(*p));
    memset(out, 0, sizeof(*out));
    if (p == NULL)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "out of memory");
    tagging_ctx_t c = {out, 0};
    parser_init(p, tagging_nodes, (int)TN_ARRAY_SIZE(tagging_nodes), &out->arena, &c);
    p->limit = TN_MIN(max_tags, (size_t)TAGS_HARD_MAX);
    p->on_start = tagging_start;
    p->on_end = tagging_end;
    s3_err_t e = run(p, body, len, S3_XML_MAX_BODY, why);
    free(p);
    if (e != S3_OK)
        memset(out, 0, sizeof(*out));
    return e;
}

/* ---- AccessControlPolicy ---- */

enum {
    A_ROOT,
    A_OWNER,
    A_OWNER_ID,
    A_OWNER_NAME,
    A_LIST,
    A_GRANT,
    A_GRANTEE,
    A_G_ID,
    A_G_NAME,
    A_G_URI,
    A_G_EMAIL,
    A_PERM
};
static const node_t acl_nodes[] = {
    [A_ROOT] = {"AccessControlPolicy", -1, 0},
    [A_OWNER] = {"Owner", A_ROOT, 0},
    [A_OWNER_ID] = {"ID", A_OWNER, N_LEAF},
    [A_OWNER_NAME] = {"DisplayName", A_OWNER, N_LEAF},
    [A_LIST] = {"AccessControlList", A_ROOT, 0},
    [A_GRANT] = {"Grant", A_LIST, N_MULTI},
    [A_GRANTEE] = {"Grantee", A_GRANT, 0},
    [A_G_ID] = {"ID", A_GRANTEE, N_LEAF},
    [A_G_NAME] = {"DisplayName", A_GRANTEE, N_LEAF},
    [A_G_URI] = {"URI", A_GRANTEE, N_LEAF},
    [A_G_EMAIL] = {"EmailAddress", A_GRANTEE, N_LEAF},
    [A_PERM] = {"Permission", A_GRANT, N_LEAF},
};

#define XSI_TYPE "http://www.w3.org/2001/XMLSchema-instance|type"

typedef struct {
    s3_acl_t *r;
    size_t cap;
} acl_ctx_t;

static int acl_start(parser_t *p, int node, const XML_Char **attrs)
{
    acl_ctx_t *c = p->out;
    s3_grant_t *g = c->r->n_grants ? &c->r->grants[c->r->n_grants - 1] : NULL;
    if (node == A_GRANT) {
        if (c->r->n_grants == S3_XML_MAX_GRANTS)
            return fail(p, S3_ERR_MALFORMED_ACL, "more than %d grants", S3_XML_MAX_GRANTS);
        c->r->grants = grow(p, c->r->grants, &c->cap, c->r->n_grants, sizeof(s3_grant_t));
        if (c->r->grants == NULL)
            return -1;
        c->r->n_grants++;
        return 0;
    }
    if (node != A_GRANTEE)
        return 0;
    static const struct {
        const char *name;
        s3_grantee_type_t type;
    } types[] = {{"CanonicalUser", S3_GRANTEE_CANONICAL_USER},
                 {"Group", S3_GRANTEE_GROUP},
                 {"AmazonCustomerByEmail", S3_GRANTEE_EMAIL}};
    for (size_t i = 0; attrs[i] != NULL; i += 2) {
        if (strcmp(attrs[i], XSI_TYPE) != 0)
            continue;
        for (size_t k = 0; k < TN_ARRAY_SIZE(types); k++)
            if (strcmp(attrs[i + 1], types[k].name) == 0) {
                g->type = types[k].type;
                return 0;
            }
        return fail(p, S3_ERR_MALFORMED_ACL, "unknown Grantee xsi:type");
    }
    return fail(p, S3_ERR_MALFORMED_ACL, "Grantee without xsi:type");
}

static int acl_end(parser_t *p, int node, const char *t, size_t len, uint32_t children)
{
    acl_ctx_t *c = p->out;
    s3_grant_t *g = c->r->n_grants ? &c->r->grants[c->r->n_grants - 1] : NULL;
    static const struct {
        const char *name;
        s3_permission_t perm;
    } perms[] = {{"FULL_CONTROL", S3_PERM_FULL_CONTROL},
                 {"READ", S3_PERM_READ},
                 {"WRITE", S3_PERM_WRITE},
                 {"READ_ACP", S3_PERM_READ_ACP},
                 {"WRITE_ACP", S3_PERM_WRITE_ACP}};
    switch (node) {
    case A_OWNER_ID: return copy_str(p, &c->r->owner_id, t, len);
    case A_OWNER_NAME: return copy_str(p, &c->r->owner_display_name, t, len);
    case A_G_ID: return copy_str(p, &g->id, t, len);
    case A_G_NAME: return copy_str(p, &g->display_name, t, len);
    case A_G_URI: return copy_str(p, &g->uri, t, len);
    case A_G_EMAIL: return copy_str(p, &g->email, t, len);
    case A_PERM:
        for (size_t i = 0; i < TN_ARRAY_SIZE(perms); i++)
            if (word_is(t, len, perms[i].name)) {
                g->permission = perms[i].perm;
                return 0;
            }
        return fail(p, S3_ERR_MALFORMED_ACL, "unknown Permission");
    case A_OWNER:
        if (!HAS(children, A_OWNER_ID))
            return fail(p, S3_ERR_MALFORMED_ACL, "Owner without ID");
        return 0;
    case A_GRANTEE:
        if ((g->type == S3_GRANTEE_CANONICAL_USER && !HAS(children, A_G_ID)) ||
            (g->type == S3_GRANTEE_GROUP && !HAS(children, A_G_URI)) ||
            (g->type == S3_GRANTEE_EMAIL && !HAS(children, A_G_EMAIL)))
            return fail(p, S3_ERR_MALFORMED_ACL, "Grantee lacks the field its type needs");
        return 0;
    case A_GRANT:
        if (!HAS(children, A_GRANTEE) || !HAS(children, A_PERM))
            return fail(p, S3_ERR_MALFORMED_ACL, "a Grant needs Grantee and Permission");
        return 0;
    case A_ROOT:
        if (!HAS(children, A_LIST))
            return fail(p, S3_ERR_MALFORMED_ACL, "no AccessControlList");
        return 0;
    default: return 0;
    }
}

s3_err_t s3_xml_parse_acl(const char *body, size_t len, s3_acl_t *out, s3_why_t *why)
{
    parser_t *p = malloc(sizeof(*p));
    memset(out, 0, sizeof(*out));
    if (p == NULL)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "out of memory");
    acl_ctx_t c = {out, 0};
    parser_init(p, acl_nodes, (int)TN_ARRAY_SIZE(acl_nodes), &out->arena, &c);
    p->malformed = S3_ERR_MALFORMED_ACL;
    p->on_start = acl_start;
    p->on_end = acl_end;
    s3_err_t e = run(p, body, len, S3_XML_MAX_BODY, why);
    free(p);
    if (e != S3_OK)
        memset(out, 0, sizeof(*out));
    return e;
}

/* ---- VersioningConfiguration ---- */

enum { V_ROOT, V_STATUS, V_MFA };
static const node_t versioning_nodes[] = {
    [V_ROOT] = {"VersioningConfiguration", -1, 0},
    [V_STATUS] = {"Status", V_ROOT, N_LEAF},
    [V_MFA] = {"MfaDelete", V_ROOT, N_LEAF},
};

static int versioning_end(parser_t *p, int node, const char *t, size_t len, uint32_t children)
{
    s3_versioning_t *r = p->out;
    (void)children;
    if (node == V_STATUS) {
        if (word_is(t, len, "Enabled"))
            r->status = S3_VERSIONING_ENABLED;
        else if (word_is(t, len, "Suspended"))
            r->status = S3_VERSIONING_SUSPENDED;
        else
            return fail(p, S3_ERR_MALFORMED_XML, "Status must be Enabled or Suspended");
    } else if (node == V_MFA) {
        if (word_is(t, len, "Enabled"))
            r->mfa_delete = 1;
        else if (word_is(t, len, "Disabled"))
            r->mfa_delete = 0;
        else
            return fail(p, S3_ERR_MALFORMED_XML, "MfaDelete must be Enabled or Disabled");
    }
    return 0;
}

s3_err_t s3_xml_parse_versioning(const char *body, size_t len, s3_versioning_t *out, s3_why_t *why)
{
    parser_t *p = malloc(sizeof(*p));
    memset(out, 0, sizeof(*out));
    out->mfa_delete = -1;
    if (p == NULL)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "out of memory");
    parser_init(p, versioning_nodes, (int)TN_ARRAY_SIZE(versioning_nodes), NULL, out);
    p->on_end = versioning_end;
    s3_err_t e = run(p, body, len, S3_XML_MAX_BODY, why);
    free(p);
    if (e != S3_OK) {
        memset(out, 0, sizeof(*out));
        out->mfa_delete = -1;
    }
    return e;
}

/* ---- CreateBucketConfiguration ---- */

enum { B_ROOT, B_LOCATION };
static const node_t create_nodes[] = {
    [B_ROOT] = {"CreateBucketConfiguration", -1, 0},
    [B_LOCATION] = {"LocationConstraint", B_ROOT, N_LEAF},
};

static int create_end(parser_t *p, int node, const char *t, size_t len, uint32_t children)
{
    s3_create_bucket_t *r = p->out;
    (void)children;
    if (node != B_LOCATION)
        return 0;
    trim(&t, &len);
    if (len >= sizeof(r->location))
        return fail(p, S3_ERR_INVALID_ARGUMENT, "LocationConstraint longer than %zu bytes",
                    sizeof(r->location) - 1);
    memcpy(r->location, t, len);
    r->location[len] = '\0';
    r->has_location = 1;
    return 0;
}

s3_err_t s3_xml_parse_create_bucket(const char *body, size_t len, s3_create_bucket_t *out,
                                    s3_why_t *why)
{
    memset(out, 0, sizeof(*out));
    size_t i = 0;
    while (i < len && is_xml_space((unsigned char)body[i]))
        i++;
    if (i == len) { /* empty body: no configuration */
        if (why != NULL)
            s3_why_set(why, S3_OK, NULL);
        return S3_OK;
    }
    parser_t *p = malloc(sizeof(*p));
    if (p == NULL)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, "out of memory");
    parser_init(p, create_nodes, (int)TN_ARRAY_SIZE(create_nodes), NULL, out);
    p->on_end = create_end;
    s3_err_t e = run(p, body, len, S3_XML_MAX_BODY, why);
    free(p);
    if (e != S3_OK)
        memset(out, 0, sizeof(*out));
    return e;
}
