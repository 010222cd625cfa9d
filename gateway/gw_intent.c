/*
 * gw_intent.c — this file implements the intent rows written before a data version's blobs
 * (gw_intent.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tn_endian.h"
#include "tn_gcref.h"
#include "gw_bucket.h"
#include "gw_cluster.h"
#include "gw_intent.h"

#define MARGIN_MS 5000u /* at most: the head row is sent this long before the expiry */

typedef struct {
    gw_intent_cb cb;
    void *arg;
} pending_t;

static void on_written(void *arg, int err, const tn_row_ver_t *ver)
{
    (void)ver;
    pending_t *p = arg;
    gw_intent_cb cb = p->cb;
    void *a = p->arg;
    free(p);
    cb(a, err);
}

int gw_intent_write(struct gw_thread *t, const gw_intent_t *in, uint64_t *deadline_ms,
                    gw_intent_cb cb, void *arg)
{
    if (t->osd == NULL)
        return -ESHUTDOWN;
    gw_server_t *s = t->server;
    uint8_t name[20];
    memcpy(name, in->vid, 16);
    tn_put_le32(name + 16, 0);
    uint32_t dpool, dpg, pool, pg;
    int rc = gw_bucket_place(s, "data", name, sizeof name, &dpool, &dpg);
    if (rc == TN_OK)
        rc = gw_bucket_index_pg(s, in->bucket_id, &pool, &pg);
    if (rc != TN_OK)
        return rc;
    uint64_t ttl_ms = (uint64_t)s->conf->osd.gc_intent_ttl * 1000u;
    uint64_t margin = ttl_ms / 10 < MARGIN_MS ? ttl_ms / 10 : MARGIN_MS;
    tn_gcref_intent_t it = {.kind = in->upload_id ? TN_GCREF_PART : TN_GCREF_OBJECT,
                            .bucket_id = in->bucket_id,
                            .expiry_ms = gw_now_ms() + ttl_ms,
                            .data_pool = dpool,
                            .size = in->size,
                            .chunk_size = in->chunk_size,
                            .key = in->key};
    if (in->upload_id != NULL)
        memcpy(it.upload_id, in->upload_id, 16);
    uint8_t val[TN_GCREF_INTENT_FIXED + TN_ROW_MAX_KEY];
    int n = tn_gcref_intent_encode(&it, val, sizeof val);
    if (n < 0)
        return n;
    pending_t *p = malloc(sizeof *p);
    if (p == NULL)
        return -ENOMEM;
    p->cb = cb;
    p->arg = arg;
    tn_row_t row = {.pool = pool,
                    .pg = pg,
                    .ns = TN_GCREF_NS_INTENTS,
                    .key = in->vid,
                    .key_len = 16,
                    .value = val,
                    .value_len = (size_t)n};
    memcpy(row.ver.vid, in->vid, 16);
    rc = gw_cl_row_put(t->osd, pool, pg, &row, TN_PROTO_ROW_PUT, on_written, p);
    if (rc != 0) {
        free(p);
        return rc;
    }
    *deadline_ms = it.expiry_ms - margin;
    return 0;
}

int gw_intent_valid(uint64_t deadline_ms)
{
    return gw_now_ms() < deadline_ms;
}

int gw_intent_bucket_deleting(struct gw_thread *t, uint64_t bucket_id, const void *name, size_t len,
                              gw_intent_cb cb, void *arg)
{
    if (t->osd == NULL)
        return -ESHUTDOWN;
    uint32_t pool, pg;
    int rc = gw_bucket_index_pg(t->server, bucket_id, &pool, &pg);
    if (rc != TN_OK)
        return rc;
    uint8_t val[8 + TN_GCREF_BUCKET_NAME_MAX];
    int n = tn_gcref_deadbkt_encode(name, len, val, sizeof val);
    if (n < 0)
        return n;
    uint8_t key[8];
    tn_put_le64(key, bucket_id);
    pending_t *p = malloc(sizeof *p);
    if (p == NULL)
        return -ENOMEM;
    p->cb = cb;
    p->arg = arg;
    tn_row_t row = {.pool = pool,
                    .pg = pg,
                    .ns = TN_GCREF_NS_DEADBKT,
                    .key = key,
                    .key_len = sizeof key,
                    .value = val,
                    .value_len = (size_t)n};
    gw_random(row.ver.vid, sizeof row.ver.vid);
    rc = gw_cl_row_put(t->osd, pool, pg, &row, TN_PROTO_ROW_PUT, on_written, p);
    if (rc != 0)
        free(p);
    return rc;
}
