/*
 * osd_mapstore.c — this file implements the persisted cluster map of osd_mapstore.h.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "osd_disk.h"
#include "osd_ident.h"
#include "osd_mapstore.h"
#include "tn_log.h"

typedef struct {
    uint64_t epoch;
    uint8_t *buf;
    size_t len;
} enc_map_t;

struct st_osd_mapstore_t {
    pthread_mutex_t lock;
    char *dir;
    _Atomic uint64_t epoch;
    uint64_t hash;
    enc_map_t keep[OSD_MS_KEEP]; /* keep[0] is the current map */
    /* rule 4: this daemon's OSD id and data-directory incarnation (osd_ms_set_self) */
    int has_self;
    int32_t self_id;
    uint64_t self_inc;
    _Atomic int admission; /* OSD_MS_* below */
};

static int encode(const pl_map_t *m, uint8_t **buf, size_t *len)
{
    size_t need = 0;
    int rc = pl_map_encode(m, NULL, 0, &need);
    if (rc != -ENOSPC && rc != 0)
        return rc;
    *buf = malloc(need ? need : 1);
    if (*buf == NULL)
        return -ENOMEM;
    rc = pl_map_encode(m, *buf, need, len);
    if (rc != 0) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

/* Recomputes the admission state from map m (under lock or before publication). */
static void set_admission(osd_mapstore_t *ms, const pl_map_t *m)
{
    if (!ms->has_self)
        return;
    const pl_osd_t *o = pl_map_find_osd(m, ms->self_id);
    int a = o == NULL || o->incarnation == 0 ? OSD_MS_UNCLAIMED
            : o->incarnation == ms->self_inc ? OSD_MS_ADMITTED
                                             : OSD_MS_NOT_ADMITTED;
    int was = atomic_exchange(&ms->admission, a);
    if (a == OSD_MS_NOT_ADMITTED && was != a)
        tn_log_error("msg=\"NOT ADMITTED: this data directory (incarnation %016" PRIx64
                     ") is not the one the map knows for osd.%d (incarnation %016" PRIx64
                     "): a replaced or wiped disk must not vote (DESIGN rule 4); refusing data "
                     "requests until an operator runs `ternctl osd replace %d`\" epoch=%" PRIu64,
                     ms->self_inc, ms->self_id, o->incarnation, ms->self_id, m->epoch);
    else if (a == OSD_MS_ADMITTED && was == OSD_MS_NOT_ADMITTED)
        tn_log_info("msg=\"admitted: the map now records this data directory\" osd=%d "
                    "incarnation=%016" PRIx64 " epoch=%" PRIu64,
                    ms->self_id, ms->self_inc, m->epoch);
}

/* Makes (buf, len) of map m the current one (takes buf). */
static void set_current(osd_mapstore_t *ms, const pl_map_t *m, uint8_t *buf, size_t len)
{
    set_admission(ms, m);
    free(ms->keep[OSD_MS_KEEP - 1].buf);
    memmove(&ms->keep[1], &ms->keep[0], sizeof(enc_map_t) * (OSD_MS_KEEP - 1));
    ms->keep[0] = (enc_map_t){m->epoch, buf, len};
    ms->hash = pl_map_hash(m);
    atomic_store(&ms->epoch, m->epoch);
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    int fd = osd_disk_open(path, O_RDONLY, 0);
    if (fd < 0)
        return fd;
    uint64_t size = 0;
    int rc = osd_disk_size(fd, &size);
    if (rc == 0 && size > (64u << 20))
        rc = TN_ERR_TOO_BIG;
    if (rc == 0 && (*buf = malloc(size ? size : 1)) == NULL)
        rc = -ENOMEM;
    if (rc == 0) {
        int64_t got = osd_disk_pread_full(fd, *buf, size, 0);
        if (got < 0 || (uint64_t)got != size) {
            rc = got < 0 ? (int)got : -EIO;
            free(*buf);
        }
        *len = size;
    }
    osd_disk_close(fd);
    return rc;
}

int osd_ms_open(const char *data_dir, const pl_map_t *conf_map, osd_mapstore_t **out, char *why,
                size_t whylen)
{
    osd_mapstore_t *ms = calloc(1, sizeof(*ms));
    if (ms == NULL || (ms->dir = strdup(data_dir)) == NULL) {
        free(ms);
        return -ENOMEM;
    }
    pthread_mutex_init(&ms->lock, NULL);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", data_dir, OSD_MS_FILE);
    uint8_t *buf = NULL;
    size_t len = 0;
    pl_map_t *disk = NULL;
    int rc = read_file(path, &buf, &len);
    if (rc == 0) {
        rc = pl_map_decode(buf, len, &disk);
        if (rc != 0) {
            snprintf(why, whylen,
                     "%s does not decode (%s): restore it from another OSD (ternctl map get) or "
                     "remove it to start from the config's map",
                     path, tn_strerror(rc));
            free(buf);
            osd_ms_close(ms);
            return rc;
        }
    } else if (rc != -ENOENT) {
        snprintf(why, whylen, "cannot read %s: %s", path, tn_strerror(rc));
        osd_ms_close(ms);
        return rc;
    }
    if (disk != NULL && disk->epoch >= conf_map->epoch) {
        if (disk->epoch == conf_map->epoch && pl_map_hash(disk) != pl_map_hash(conf_map))
            tn_log_warn("msg=\"persisted map differs from the config's map at the same epoch; "
                        "using the persisted one\" epoch=%" PRIu64,
                        disk->epoch);
        set_current(ms, disk, buf, len);
        pl_map_destroy(disk);
    } else {
        free(buf);
        pl_map_destroy(disk);
        rc = encode(conf_map, &buf, &len);
        if (rc == 0)
            rc = osd_write_file_atomic(data_dir, OSD_MS_FILE, buf, len);
        if (rc != 0) {
            free(buf);
            snprintf(why, whylen, "cannot persist the config's map in %s: %s", path,
                     tn_strerror(rc));
            osd_ms_close(ms);
            return rc;
        }
        set_current(ms, conf_map, buf, len);
    }
    *out = ms;
    return 0;
}

void osd_ms_close(osd_mapstore_t *ms)
{
    if (ms == NULL)
        return;
    for (int i = 0; i < OSD_MS_KEEP; i++)
        free(ms->keep[i].buf);
    pthread_mutex_destroy(&ms->lock);
    free(ms->dir);
    free(ms);
}

void osd_ms_set_self(osd_mapstore_t *ms, int32_t id, uint64_t incarnation)
{
    pthread_mutex_lock(&ms->lock);
    ms->has_self = 1;
    ms->self_id = id;
    ms->self_inc = incarnation;
    pl_map_t *m = NULL;
    if (ms->keep[0].buf != NULL && pl_map_decode(ms->keep[0].buf, ms->keep[0].len, &m) == 0)
        set_admission(ms, m);
    pl_map_destroy(m);
    pthread_mutex_unlock(&ms->lock);
}

int osd_ms_admission(osd_mapstore_t *ms)
{
    return atomic_load(&ms->admission);
}

uint64_t osd_ms_epoch(osd_mapstore_t *ms)
{
    return atomic_load(&ms->epoch);
}

uint64_t osd_ms_hash(osd_mapstore_t *ms)
{
    pthread_mutex_lock(&ms->lock);
    uint64_t h = ms->hash;
    pthread_mutex_unlock(&ms->lock);
    return h;
}

int osd_ms_get(osd_mapstore_t *ms, uint64_t epoch, uint8_t **buf, size_t *len)
{
    int rc = TN_ERR_NOT_FOUND;
    pthread_mutex_lock(&ms->lock);
    for (int i = 0; i < OSD_MS_KEEP; i++) {
        enc_map_t *e = &ms->keep[i];
        if (e->buf == NULL || (epoch != 0 && e->epoch != epoch) || (epoch == 0 && i != 0))
            continue;
        *buf = malloc(e->len ? e->len : 1);
        if (*buf == NULL) {
            rc = -ENOMEM;
            break;
        }
        memcpy(*buf, e->buf, e->len);
        *len = e->len;
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&ms->lock);
    return rc;
}

int osd_ms_offer(osd_mapstore_t *ms, uint8_t mode, uint64_t base_epoch, const uint8_t *map,
                 size_t len, uint64_t *epoch, uint64_t *hash, int *adopted)
{
    *adopted = 0;
    if (mode > 1)
        return -EINVAL;
    pl_map_t *m = NULL;
    int rc = pl_map_decode(map, len, &m);
    pthread_mutex_lock(&ms->lock);
    uint64_t cur = atomic_load(&ms->epoch);
    if (rc != 0)
        goto out;
    uint64_t h = pl_map_hash(m);
    if (m->epoch == cur && h != ms->hash) {
        tn_log_error("msg=\"MAP OFFER WITH THE CURRENT EPOCH BUT A DIFFERENT MAP: two maps exist "
                     "at one epoch, refusing\" epoch=%" PRIu64 " have_hash=%016" PRIx64
                     " offered_hash=%016" PRIx64,
                     cur, ms->hash, h);
        rc = TN_ERR_CORRUPT;
        goto out;
    }
    int adopt;
    if (mode == 1) {
        if (cur != base_epoch || m->epoch != base_epoch + 1) {
            rc = TN_ERR_STALE_EPOCH;
            goto out;
        }
        adopt = 1;
    } else {
        adopt = m->epoch > cur;
    }
    if (adopt) {
        uint8_t *copy = malloc(len ? len : 1);
        if (copy == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        memcpy(copy, map, len);
        rc = osd_write_file_atomic(ms->dir, OSD_MS_FILE, copy, len);
        if (rc != 0) {
            tn_log_error("msg=\"cannot persist an offered map\" epoch=%" PRIu64 " err=\"%s\"",
                         m->epoch, tn_strerror(rc));
            free(copy);
            goto out;
        }
        set_current(ms, m, copy, len);
        *adopted = 1;
        tn_log_info("msg=\"map adopted\" epoch=%" PRIu64 " previous=%" PRIu64 " hash=%016" PRIx64,
                    m->epoch, cur, h);
    }
out:
    *epoch = atomic_load(&ms->epoch);
    *hash = ms->hash;
    pthread_mutex_unlock(&ms->lock);
    pl_map_destroy(m);
    return rc;
}
