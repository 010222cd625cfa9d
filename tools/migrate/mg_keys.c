/*
 * mg_keys.c — source path to object key mapping, plain and Ghost (see mg_keys.h).
 */
#include "mg_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void mg_prefix_norm(char *p)
{
    size_t o = 0;
    for (size_t i = 0; p[i]; i++) {
        if (p[i] == '/' && (o == 0 || p[o - 1] == '/'))
            continue;
        p[o++] = p[i];
    }
    while (o > 0 && p[o - 1] == '/')
        o--;
    p[o] = '\0';
}

int mg_utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t c = *u;
        int n;
        if (c < 0x80) {
            u++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            c &= 0x07;
        } else {
            return 0;
        }
        for (int i = 1; i <= n; i++) {
            if ((u[i] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (u[i] & 0x3F);
        }
        static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
        if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        u += n + 1;
    }
    return 1;
}

static int join(const char *prefix, const char *mid, const char *rest, char *out, size_t cap)
{
    int n =
        snprintf(out, cap, "%s%s%s%s", prefix, *prefix && (*mid || *rest) ? "/" : "", mid, rest);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* rel starts with dir "/": returns the rest, else NULL */
static const char *under(const char *rel, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(rel, dir, n) == 0 && rel[n] == '/' && rel[n + 1] ? rel + n + 1 : NULL;
}

int mg_map_descend(const mg_map_t *m, const char *rel_dir, const char **why)
{
    if (!m->ghost)
        return 1;
    const char *slash = strchr(rel_dir, '/');
    size_t n = slash ? (size_t)(slash - rel_dir) : strlen(rel_dir);
#define IS(s) (n == sizeof(s) - 1 && memcmp(rel_dir, s, n) == 0)
    if (IS("images") || IS("media") || IS("files") || (m->include_themes && IS("themes")))
        return 1;
    *why = IS("themes") ? "Ghost themes directory (use --include-themes)"
                        : "directory kept locally by Ghost (not images/, media/ or files/)";
    return 0;
#undef IS
}

int mg_map_key(const mg_map_t *m, const char *rel, char *out, size_t cap, const char **why)
{
    char key[MG_KEY_MAX + 2];
    int rc;
    if (!mg_utf8_valid(rel)) {
        *why = "name is not valid UTF-8 (S3 keys are UTF-8)";
        return 1;
    }
    if (!m->ghost) {
        rc = join(m->prefix, "", rel, key, sizeof key);
    } else {
        const char *r;
        if ((r = under(rel, "images")) != NULL)
            rc = join(m->prefix, "", r, key, sizeof key);
        else if ((r = under(rel, "media")) != NULL)
            rc = join(m->prefix, "media/", r, key, sizeof key);
        else if ((r = under(rel, "files")) != NULL)
            rc = join(m->prefix, "files/", r, key, sizeof key);
        else if ((r = under(rel, "themes")) != NULL && m->include_themes)
            rc = join(m->prefix, "themes/", r, key, sizeof key);
        else if (under(rel, "themes") != NULL) {
            *why = "Ghost themes directory (use --include-themes)";
            return 1;
        } else {
            *why = "kept locally by Ghost (not images/, media/ or files/)";
            return 1;
        }
    }
    if (rc != 0 || strlen(key) > MG_KEY_MAX) {
        *why = "key longer than 1024 bytes";
        return 1;
    }
    if (strlen(key) + 1 > cap) {
        *why = "key does not fit";
        return 1;
    }
    memcpy(out, key, strlen(key) + 1);
    return 0;
}
