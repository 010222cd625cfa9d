/*
 * fuzz_gw_objmeta.c — gateway/gw_objmeta.c's decoder of object head-row values on arbitrary
 * bytes (a damaged or hostile row must never crash the gateway). Invariants: decoding stays
 * inside the input (ASan), and a value that decodes re-encodes to exactly the same bytes
 * (the encoding is canonical and decoding is exact).
 */
#include <stdlib.h>
#include <string.h>
#include "gw_objmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gw_objmeta_t m; /* large (metadata pairs): keep it off the stack */
    if (gw_objmeta_decode(data, size, &m) != TN_OK)
        return 0;
    if (m.n_meta > GW_OBJMETA_MAX_META || (m.is_inline && m.chunk_count != 0))
        abort();
    size_t need = gw_objmeta_encoded_len(&m);
    if (need != size)
        abort();
    uint8_t *out = malloc(need ? need : 1);
    if (out == NULL)
        return 0;
    if (gw_objmeta_encode(&m, out, need) < 0 || memcmp(out, data, size) != 0)
        abort();
    free(out);
    return 0;
}
