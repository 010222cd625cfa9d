/*
 * tb_opts.c — parsing of tern-bench option values (see tb_opts.h).
 */
#include "tb_opts.h"

#include <string.h>
#include <strings.h>

static const char *const op_names[TB_OP_COUNT] = {"put", "get", "head", "delete", "list"};

const char *tb_op_name(tb_op_t op)
{
    return (unsigned)op < TB_OP_COUNT ? op_names[op] : "?";
}

int tb_op_parse(const char *name)
{
    for (int i = 0; i < TB_OP_COUNT; i++)
        if (strcmp(name, op_names[i]) == 0)
            return i;
    return -1;
}

int tb_parse_size(const char *s, uint64_t *out)
{
    const uint64_t limit = UINT64_C(1) << 62;
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > limit)
            return -1;
    }
    unsigned shift = 0;
    if (*p != '\0') {
        switch (*p) {
        case 'k':
        case 'K': shift = 10; break;
        case 'm':
        case 'M': shift = 20; break;
        case 'g':
        case 'G': shift = 30; break;
        case 't':
        case 'T': shift = 40; break;
        default: return -1;
        }
        p++;
        if (strcasecmp(p, "ib") == 0 || strcasecmp(p, "b") == 0)
            p += strlen(p);
        if (*p != '\0')
            return -1;
    }
    if (shift && v > (limit >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

int tb_parse_mix(const char *s, unsigned weights[TB_OP_COUNT])
{
    int seen[TB_OP_COUNT] = {0};
    uint64_t total = 0;
    for (int i = 0; i < TB_OP_COUNT; i++)
        weights[i] = 0;
    const char *p = s;
    for (;;) {
        const char *eq = strchr(p, '=');
        if (eq == NULL || eq == p || (size_t)(eq - p) > 15)
            return -1;
        char name[16];
        memcpy(name, p, (size_t)(eq - p));
        name[eq - p] = '\0';
        int op = tb_op_parse(name);
        if (op < 0 || seen[op])
            return -1;
        seen[op] = 1;
        p = eq + 1;
        if (*p < '0' || *p > '9')
            return -1;
        uint64_t w = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            w = w * 10 + (uint64_t)(*p - '0');
            if (w > 1000000)
                return -1;
        }
        weights[op] = (unsigned)w;
        total += w;
        if (*p == '\0')
            break;
        if (*p != ',')
            return -1;
        p++;
    }
    return total > 0 ? 0 : -1;
}

tb_op_t tb_mix_pick(const unsigned weights[TB_OP_COUNT], uint64_t r)
{
    for (int i = 0; i < TB_OP_COUNT; i++) {
        if (r < weights[i])
            return (tb_op_t)i;
        r -= weights[i];
    }
    for (int i = TB_OP_COUNT - 1; i >= 0; i--)
        if (weights[i])
            return (tb_op_t)i;
    return TB_PUT;
}
