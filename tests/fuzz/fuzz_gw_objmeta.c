/*
 * fuzz_gw_objmeta.c — gateway/gw_objmeta.c's decoder of object head-row values and checker of
 * multipart part tables, and gateway/gw_mpu.c's upload and part row decoders, on arbitrary
 * bytes (a damaged or hostile row must never crash the gateway). Invariants: decoding stays
 * inside the input (ASan); a format-2 value that decodes re-encodes to exactly the same bytes
 * (canonical, exact decoding); a format-1 value re-encodes as format 2 with the same fields; a
 * part table that checks locates every offset inside one of its parts.
 */
#include <stdlib.h>
#include <string.h>
#include "tn_endian.h"
#include "gw_mpu.h"
#include "gw_objmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const uint8_t *data, size_t size)
{
    static gw_objmeta_t m;
    if (size < GW_OBJPARTS_HEADER)
        return;
    memset(&m, 0, sizeof m);
    m.is_multipart = 1;
    m.part_count = tn_get_le32(data + 4);
    if (m.part_count == 0 || m.part_count > GW_OBJMETA_MAX_PARTS ||
        size != gw_objparts_len(m.part_count))
        return;
    for (uint32_t i = 0; i < m.part_count; i++) {
        gw_objpart_t p;
        gw_objparts_get(data, i, &p);
        if (p.size > UINT64_MAX / 2 - m.size)
            return;
        m.size += p.size;
    }
    if (gw_objparts_check(&m, data, size) != TN_OK || m.size == 0)
        return;
    uint64_t offs[4] = {0, m.size / 3, m.size / 2, m.size - 1};
    for (int k = 0; k < 4; k++) {
        gw_objloc_t loc;
        gw_objmeta_locate(&m, data, offs[k], &loc);
        uint32_t i = gw_objparts_find(data, m.part_count, offs[k]);
        gw_objpart_t p;
        gw_objparts_get(data, i, &p);
        if (offs[k] < p.offset || offs[k] >= p.offset + p.size || loc.avail == 0 ||
            loc.coff >= p.chunk_size)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gw_objmeta_t m, again; /* large (metadata pairs): keep them off the stack */
    gw_mpu_upload_t u;
    gw_mpu_part_t p;
    (void)gw_mpu_upload_decode(data, size, &u);
    (void)gw_mpu_part_decode(data, size, &p);
    check_table(data, size);
    if (gw_objmeta_decode(data, size, &m) != TN_OK)
        return 0;
    if (m.n_meta > GW_OBJMETA_MAX_META || m.n_tags > GW_OBJMETA_MAX_TAGS ||
        (m.is_inline && m.chunk_count != 0) || (m.is_inline && m.is_multipart))
        abort();
    size_t need = gw_objmeta_encoded_len(&m);
    if (m.format == GW_OBJMETA_VERSION && need != size)
        abort();
    uint8_t *out = malloc(need ? need : 1);
    if (out == NULL)
        return 0;
    if (gw_objmeta_encode(&m, out, need) != (int)need)
        abort();
    if (m.format == GW_OBJMETA_VERSION && memcmp(out, data, size) != 0)
        abort();
    if (gw_objmeta_decode(out, need, &again) != TN_OK || again.size != m.size ||
        memcmp(again.md5, m.md5, 16) != 0 || again.n_meta != m.n_meta ||
        again.chunk_count != m.chunk_count || again.is_inline != m.is_inline)
        abort();
    free(out);
    return 0;
}
