/*
 * fuzz_pl_map_codec.c — libFuzzer target for pl_map_decode: any input must be rejected
 * cleanly or decode to a valid map whose encoding decodes again to the same bytes (the
 * encoding is canonical), whose hash is stable, and which maps its PGs without crashing.
 * Each input is tried twice: as is, and with its last 4 bytes replaced by a correct CRC32C,
 * so the fuzzer reaches the parser behind the checksum on every run.
 */
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>

#include "placement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const uint8_t *data, size_t size)
{
    pl_map_t *m = NULL;
    if (pl_map_decode(data, size, &m) != TN_OK) {
        if (m != NULL)
            abort(); /* *out must stay NULL on failure */
        return;
    }
    if (pl_map_validate(m, NULL, 0) != TN_OK)
        abort();
    size_t len = 0;
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL || pl_map_encode(m, buf, size, &len) != TN_OK || len != size ||
        memcmp(buf, data, size) != 0)
        abort(); /* canonical: re-encoding gives the input back */
    pl_map_t *m2 = NULL;
    if (pl_map_decode(buf, len, &m2) != TN_OK || pl_map_hash(m) != pl_map_hash(m2))
        abort();
    /* map a few PGs of each pool: must not crash, must respect the contract */
    void *work = malloc(pl_work_size(m));
    for (uint32_t p = 0; p < m->n_pools && work != NULL; p++) {
        const pl_pool_t *pool = &m->pools[p];
        for (uint32_t pg = 0; pg < pool->pg_num && pg < 8; pg++) {
            int32_t out[PL_MAX_SIZE];
            int n = pl_pg_osds(m, pool, pg, out, PL_MAX_SIZE, work);
            if (n < 0 || n > pool->size)
                abort();
            for (int i = 0; i < n; i++) {
                const pl_osd_t *o = pl_map_find_osd(m, out[i]);
                if (o == NULL || !o->in || o->weight == 0)
                    abort();
            }
        }
    }
    free(work);
    free(buf);
    pl_map_destroy(m);
    pl_map_destroy(m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_one(data, size);
    if (size < 4 || size > 1u << 20)
        return 0;
    uint8_t *fixed = malloc(size);
    if (fixed == NULL)
        return 0;
    memcpy(fixed, data, size);
    uint32_t c = crc32_iscsi(fixed, (int)(size - 4), 0xFFFFFFFFu) ^ 0xFFFFFFFFu;
    for (int i = 0; i < 4; i++)
        fixed[size - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
    check_one(fixed, size);
    free(fixed);
    return 0;
}
