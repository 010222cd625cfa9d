/*
 * mg_creds.c — credentials from the environment or ~/.aws/credentials (see mg_creds.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "mg_creds.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void trim(const char **b, const char **e)
{
    while (*b < *e && isspace((unsigned char)**b))
        (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

static int set(char *dst, size_t cap, const char *b, const char *e)
{
    if ((size_t)(e - b) >= cap || e == b)
        return -1;
    memcpy(dst, b, (size_t)(e - b));
    dst[e - b] = '\0';
    return 0;
}

int mg_creds_parse(const char *text, const char *profile, mg_creds_t *out)
{
    int in = 0, have_ak = 0, have_sk = 0;
    const char *p = text;
    memset(out, 0, sizeof *out);
    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *e = eol ? eol : p + strlen(p);
        const char *b = p;
        trim(&b, &e);
        if (b < e && *b == '[' && e[-1] == ']') {
            const char *nb = b + 1, *ne = e - 1;
            trim(&nb, &ne);
            in =
                (size_t)(ne - nb) == strlen(profile) && memcmp(nb, profile, (size_t)(ne - nb)) == 0;
        } else if (in && b < e && *b != '#' && *b != ';') {
            const char *eq = memchr(b, '=', (size_t)(e - b));
            if (eq != NULL) {
                const char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
                trim(&kb, &ke);
                trim(&vb, &ve);
                size_t kl = (size_t)(ke - kb);
                if (kl == 17 && memcmp(kb, "aws_access_key_id", 17) == 0) {
                    if (set(out->access_key, sizeof out->access_key, vb, ve) != 0)
                        return -1;
                    have_ak = 1;
                } else if (kl == 21 && memcmp(kb, "aws_secret_access_key", 21) == 0) {
                    if (set(out->secret, sizeof out->secret, vb, ve) != 0)
                        return -1;
                    have_sk = 1;
                }
            }
        }
        p = eol ? eol + 1 : e;
    }
    return have_ak && have_sk ? 0 : -1;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
        if (n + 1 == cap) {
            if (cap > (1u << 20)) { /* a credentials file is small: refuse more */
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf != NULL)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static int from_file(const char *profile, mg_creds_t *out)
{
    char path[4096];
    const char *f = getenv("AWS_SHARED_CREDENTIALS_FILE");
    if (f == NULL || *f == '\0') {
        const char *home = getenv("HOME");
        if (home == NULL)
            return -1;
        int n = snprintf(path, sizeof path, "%s/.aws/credentials", home);
        if (n < 0 || (size_t)n >= sizeof path)
            return -1;
        f = path;
    }
    char *text = read_text(f);
    if (text == NULL)
        return -1;
    int rc = mg_creds_parse(text, profile, out);
    free(text);
    return rc;
}

int mg_creds_load(const char *profile, mg_creds_t *out, const char **why)
{
    if (profile == NULL || *profile == '\0') {
        const char *p = getenv("AWS_PROFILE");
        profile = p != NULL && *p != '\0' ? p : NULL;
    }
    if (profile != NULL) {
        if (from_file(profile, out) != 0) {
            *why = "profile not found (or incomplete) in the shared credentials file";
            return -1;
        }
        return 0;
    }
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (ak != NULL && sk != NULL && *ak && *sk) {
        memset(out, 0, sizeof *out);
        if (strlen(ak) >= sizeof out->access_key || strlen(sk) >= sizeof out->secret) {
            *why = "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY too long";
            return -1;
        }
        strcpy(out->access_key, ak);
        strcpy(out->secret, sk);
        return 0;
    }
    if (from_file("default", out) == 0)
        return 0;
    *why = "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile";
    return -1;
}
