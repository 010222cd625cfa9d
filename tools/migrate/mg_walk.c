/*
 * mg_walk.c — the source tree scan (see mg_walk.h).
 */
#define _GNU_SOURCE
#include "mg_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static mg_entry_t *push(mg_list_t *l, const char *rel)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        mg_entry_t *nv = realloc(l->v, nc * sizeof *nv);
        if (nv == NULL)
            return NULL;
        l->v = nv;
        l->cap = nc;
    }
    mg_entry_t *e = &l->v[l->n];
    memset(e, 0, sizeof *e);
    e->rel = strdup(rel);
    if (e->rel == NULL)
        return NULL;
    l->n++;
    return e;
}

static const char *kind_name(mode_t m)
{
    if (S_ISLNK(m))
        return "symbolic link (not followed)";
    if (S_ISSOCK(m))
        return "socket";
    if (S_ISFIFO(m))
        return "FIFO";
    if (S_ISCHR(m))
        return "character device";
    if (S_ISBLK(m))
        return "block device";
    return "not a regular file";
}

/* Walks the open directory dfd (consumed) whose relative path is rel ("" for the root). */
static int walk_dir(int dfd, char *rel, size_t rel_len, const mg_map_t *m, mg_list_t *out)
{
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return 0; /* caller already checked; nothing to list */
    }
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        size_t nl = strlen(name);
        if (rel_len + nl + 2 > 4096) {
            mg_entry_t *e = push(out, name);
            if (e == NULL) {
                rc = -1;
            } else {
                e->kind = MG_ENT_FAIL;
                snprintf(e->why, sizeof e->why, "path longer than 4096 bytes");
            }
            continue;
        }
        if (rel_len > 0)
            rel[rel_len] = '/';
        size_t off = rel_len > 0 ? rel_len + 1 : 0;
        memcpy(rel + off, name, nl + 1);
        size_t sub_len = off + nl;
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            mg_entry_t *e = push(out, rel);
            if (e == NULL) {
                rc = -1;
            } else {
                e->kind = MG_ENT_FAIL;
                snprintf(e->why, sizeof e->why, "stat: %s", strerror(errno));
            }
        } else if (S_ISDIR(st.st_mode)) {
            const char *dwhy = NULL;
            if (!mg_map_descend(m, rel, &dwhy)) {
                mg_entry_t *e = push(out, rel);
                if (e == NULL) {
                    rc = -1;
                } else {
                    e->kind = MG_ENT_SKIP;
                    snprintf(e->why, sizeof e->why, "%s", dwhy);
                }
            } else {
                int sfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0) {
                    mg_entry_t *e = push(out, rel);
                    if (e == NULL) {
                        rc = -1;
                    } else {
                        e->kind = MG_ENT_FAIL;
                        snprintf(e->why, sizeof e->why, "directory: %s", strerror(errno));
                    }
                } else {
                    rc = walk_dir(sfd, rel, sub_len, m, out);
                }
            }
        } else {
            mg_entry_t *e = push(out, rel);
            if (e == NULL) {
                rc = -1;
            } else if (S_ISREG(st.st_mode)) {
                e->kind = MG_ENT_FILE;
                e->size = (uint64_t)st.st_size;
                e->mtime_s = (int64_t)st.st_mtim.tv_sec;
                e->mtime_ns = st.st_mtim.tv_nsec;
            } else {
                e->kind = MG_ENT_SKIP;
                snprintf(e->why, sizeof e->why, "%s", kind_name(st.st_mode));
            }
        }
        rel[rel_len] = '\0';
        errno = 0;
    }
    if (rc == 0 && errno != 0) {
        mg_entry_t *e = push(out, rel_len ? rel : ".");
        if (e == NULL) {
            rc = -1;
        } else {
            e->kind = MG_ENT_FAIL;
            snprintf(e->why, sizeof e->why, "readdir: %s", strerror(errno));
        }
    }
    closedir(d);
    return rc;
}

int mg_walk(const char *root, const mg_map_t *m, mg_list_t *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char *rel = malloc(4096);
    if (rel == NULL) {
        close(fd);
        return -1;
    }
    rel[0] = '\0';
    int rc = walk_dir(fd, rel, 0, m, out);
    free(rel);
    if (rc != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void mg_list_free(mg_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].rel);
    free(l->v);
    memset(l, 0, sizeof *l);
}
