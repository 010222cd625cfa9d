/*
 * conf_tree.c — the pure half of conf/: an arena, the error collector, and the builder that
 * turns libyaml's event stream over a buffer into a node tree with 1-based line/column marks.
 * See conf_tree.h for the tree's shape and limits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "conf_tree.h"

/* ---- arena ---- */

#define ARENA_CHUNK 16384

struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct conf_arena {
    struct chunk *head;
};

conf_arena_t *conf__arena_new(void)
{
    return calloc(1, sizeof(conf_arena_t));
}

void conf__arena_free(conf_arena_t *a)
{
    if (a == NULL)
        return;
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *conf__arena_alloc(conf_arena_t *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + align - 1) / align * align;
    if (n == 0)
        n = align;
    struct chunk *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->used = 0;
        c->cap = cap;
        if (cap == ARENA_CHUNK || a->head == NULL) {
            c->next = a->head;
            a->head = c;
        } else {
            /* a big block: keep the current chunk in front so its free space is still used */
            c->next = a->head->next;
            a->head->next = c;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void *conf__arena_calloc(conf_arena_t *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / 2 / size)
        return NULL;
    return conf__arena_alloc(a, n * size);
}

char *conf__arena_strndup(conf_arena_t *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *d = conf__arena_alloc(a, len + 1);
    if (d != NULL) {
        if (len > 0)
            memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* ---- errors ---- */

/* Room kept at the end of text for conf__error_finish's summary line. */
#define ERROR_RESERVE 160

void conf__error_add(conf_error_t *e, const char *name, unsigned line, unsigned col,
                     const char *fmt, ...)
{
    if (e == NULL)
        return;
    e->count++;
    if (e->lines >= CONF_ERROR_MAX_LINES)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t used = strlen(e->text);
    size_t room = sizeof(e->text) - ERROR_RESERVE;
    if (used >= room)
        return;
    int n;
    if (line > 0)
        n = snprintf(e->text + used, room - used, "%s:%u:%u: %s\n", name, line, col, msg);
    else
        n = snprintf(e->text + used, room - used, "%s: %s\n", name, msg);
    if (n < 0 || (size_t)n >= room - used) {
        e->text[used] = '\0'; /* did not fit: drop the whole line */
        return;
    }
    e->lines++;
}

void conf__error_finish(conf_error_t *e, const char *name)
{
    if (e == NULL || e->count <= e->lines)
        return;
    size_t used = strlen(e->text);
    snprintf(e->text + used, sizeof(e->text) - used, "%s: %u more errors not shown\n", name,
             e->count - e->lines);
}

/* ---- tree ---- */

int conf__node_is_null(const conf_node_t *n)
{
    if (n == NULL)
        return 1;
    if (n->type != CONF_NODE_SCALAR || n->quoted)
        return 0;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

const char *conf__node_kind(const conf_node_t *n)
{
    if (n == NULL || conf__node_is_null(n))
        return "nothing";
    switch (n->type) {
    case CONF_NODE_MAP: return "a mapping";
    case CONF_NODE_SEQ: return "a sequence";
    case CONF_NODE_SCALAR: break;
    }
    return n->quoted ? "a quoted string" : "a scalar";
}

typedef struct {
    conf_arena_t *arena;
    const char *name;
    const char *buf;
    size_t len;
    conf_error_t *err;
    conf_node_t *stack[CONF_TREE_MAX_DEPTH];
    conf_node_t *pending[CONF_TREE_MAX_DEPTH]; /* per open mapping: key awaiting its value */
    int depth;
    size_t nodes;
    conf_node_t *root;
} builder_t;

static void append_child(conf_node_t *parent, conf_node_t *child)
{
    if (parent->last != NULL)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
    parent->n++;
}

static unsigned mark_line(const yaml_mark_t *m)
{
    return m->line >= UINT32_MAX ? UINT32_MAX : (unsigned)m->line + 1;
}

static unsigned mark_col(const yaml_mark_t *m)
{
    return m->column >= UINT32_MAX ? UINT32_MAX : (unsigned)m->column + 1;
}

/* Creates a node at the event's position and hangs it in the tree. */
static int add_node(builder_t *b, const yaml_event_t *ev, conf_node_type_t type, conf_node_t **out)
{
    if (++b->nodes > CONF_TREE_MAX_NODES) {
        conf__error_add(b->err, b->name, mark_line(&ev->start_mark), mark_col(&ev->start_mark),
                        "more than %d YAML nodes; a tern config is far smaller: is this the "
                        "right file?",
                        CONF_TREE_MAX_NODES);
        return TN_ERR_CONFIG;
    }
    conf_node_t *n = conf__arena_alloc(b->arena, sizeof(*n));
    if (n == NULL)
        return -ENOMEM;
    n->type = type;
    n->line = mark_line(&ev->start_mark);
    n->col = mark_col(&ev->start_mark);
    if (type == CONF_NODE_SCALAR) {
        n->str = conf__arena_strndup(b->arena, (const char *)ev->data.scalar.value,
                                     ev->data.scalar.length);
        if (n->str == NULL)
            return -ENOMEM;
        n->len = ev->data.scalar.length;
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    }
    if (b->depth == 0) {
        b->root = n;
    } else {
        conf_node_t *parent = b->stack[b->depth - 1];
        conf_node_t **pending = &b->pending[b->depth - 1];
        if (parent->type == CONF_NODE_SEQ) {
            append_child(parent, n);
        } else if (*pending == NULL) {
            if (type != CONF_NODE_SCALAR) {
                conf__error_add(b->err, b->name, n->line, n->col,
                                "a %s used as a mapping key; keys must be plain names like "
                                "`name:`",
                                type == CONF_NODE_MAP ? "mapping" : "sequence");
                return TN_ERR_CONFIG;
            }
            append_child(parent, n);
            *pending = n;
        } else {
            (*pending)->value = n;
            *pending = NULL;
        }
    }
    if (type != CONF_NODE_SCALAR) {
        if (b->depth >= CONF_TREE_MAX_DEPTH) {
            conf__error_add(b->err, b->name, n->line, n->col,
                            "nesting deeper than %d levels; a tern config needs at most 4",
                            CONF_TREE_MAX_DEPTH);
            return TN_ERR_CONFIG;
        }
        b->stack[b->depth] = n;
        b->pending[b->depth] = NULL;
        b->depth++;
    }
    *out = n;
    return TN_OK;
}

/* 1-based line and column of byte offset off in the buffer. */
static void offset_to_mark(const builder_t *b, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;
    for (size_t i = 0; i < off && i < b->len; i++) {
        if (b->buf[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)b->buf[i] & 0xc0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int syntax_error(builder_t *b, const yaml_parser_t *p)
{
    const char *problem = p->problem != NULL ? p->problem : "unknown problem";
    unsigned line, col;
    switch (p->error) {
    case YAML_MEMORY_ERROR: return -ENOMEM;
    case YAML_READER_ERROR:
        offset_to_mark(b, p->problem_offset, &line, &col);
        conf__error_add(b->err, b->name, line, col,
                        "cannot read the file as text: %s (byte %zu); save it as UTF-8 text",
                        problem, p->problem_offset);
        return TN_ERR_CONFIG;
    default: break;
    }
    line = mark_line(&p->problem_mark);
    col = mark_col(&p->problem_mark);
    const char *hint = "check the indentation (spaces only) and the quoting on this line";
    if (p->problem_mark.index < b->len && b->buf[p->problem_mark.index] == '\t')
        hint = "YAML does not allow tabs here; indent with spaces";
    if (p->context != NULL)
        conf__error_add(b->err, b->name, line, col,
                        "YAML syntax error: %s (%s at line %u column %u); %s", problem, p->context,
                        mark_line(&p->context_mark), mark_col(&p->context_mark), hint);
    else
        conf__error_add(b->err, b->name, line, col, "YAML syntax error: %s; %s", problem, hint);
    return TN_ERR_CONFIG;
}

static int on_event(builder_t *b, const yaml_event_t *ev, int *docs, int *done)
{
    conf_node_t *n;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT: *done = 1; return TN_OK;
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1) {
            conf__error_add(b->err, b->name, mark_line(&ev->start_mark), mark_col(&ev->start_mark),
                            "a second YAML document starts here; a tern config is one document: "
                            "remove this '---' and merge what follows into the first");
            return TN_ERR_CONFIG;
        }
        return TN_OK;
    case YAML_ALIAS_EVENT:
        conf__error_add(b->err, b->name, mark_line(&ev->start_mark), mark_col(&ev->start_mark),
                        "alias *%s: aliases are not supported; write the value out in full",
                        (const char *)ev->data.alias.anchor);
        return TN_ERR_CONFIG;
    case YAML_SCALAR_EVENT: return add_node(b, ev, CONF_NODE_SCALAR, &n);
    case YAML_SEQUENCE_START_EVENT: return add_node(b, ev, CONF_NODE_SEQ, &n);
    case YAML_MAPPING_START_EVENT: return add_node(b, ev, CONF_NODE_MAP, &n);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0)
            b->depth--;
        return TN_OK;
    default: return TN_OK;
    }
}

int conf__tree_parse(conf_arena_t *arena, const char *name, const char *buf, size_t len,
                     conf_node_t **root, conf_error_t *err)
{
    builder_t *b = calloc(1, sizeof(*b));
    yaml_parser_t p;
    *root = NULL;
    if (b == NULL)
        return -ENOMEM;
    if (!yaml_parser_initialize(&p)) {
        free(b);
        return -ENOMEM;
    }
    b->arena = arena;
    b->name = name;
    b->buf = buf;
    b->len = len;
    b->err = err;
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    int rc = TN_OK, docs = 0, done = 0;
    while (rc == TN_OK && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(b, &p);
            break;
        }
        rc = on_event(b, &ev, &docs, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (rc == TN_OK)
        *root = b->root;
    free(b);
    return rc;
}
