/*
 * fuzz_tn_row.c — libFuzzer target for the canonical OSD row encoding (osd/tn_row.c).
 * Invariants: decode never reads past len and either fails with a documented error or yields
 * a row that verifies and re-encodes to exactly the bytes it came from; any row built from
 * the input round-trips through seal/encode/decode unchanged; a single flipped bit is never
 * accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tn_row.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[TN_ROW_MAX_ENCODED];

static void decode_invariants(const uint8_t *data, size_t size)
{
    tn_row_t r;
    size_t used = 0, len = 0;
    int rc = tn_row_decode(data, size, &r, &used);
    if (rc != 0) {
        if (rc != TN_ERR_CORRUPT && rc != TN_ERR_CHECKSUM && rc != TN_ERR_UNSUPPORTED)
            abort();
        return;
    }
    if (used > size || used != tn_row_encoded_size(&r) || r.key_len == 0 ||
        r.key_len > TN_ROW_MAX_KEY || tn_row_verify(&r) != 0)
        abort();
    if (tn_row_encode(&r, out, sizeof(out), &len) != 0 || len != used ||
        memcmp(out, data, len) != 0)
        abort();
    tn_row_digest_t d = {0};
    tn_row_digest_add(&d, r.ns, r.key, r.key_len, &r.ver, r.flags);
    if (d.count != 1 || tn_row_digest_bucket(r.key, r.key_len) >= TN_ROW_DIGEST_BUCKETS)
        abort();
}

/* Builds a row whose fields are taken from the input, and round-trips it. */
static void build_invariants(const uint8_t *data, size_t size)
{
    if (size < 40)
        return;
    tn_row_t r;
    memset(&r, 0, sizeof(r));
    memcpy(&r.pool, data, 4);
    memcpy(&r.pg, data + 4, 4);
    memcpy(&r.ns, data + 8, 8);
    memcpy(&r.ver.hlc, data + 16, 8);
    memcpy(&r.ver.origin, data + 24, 4);
    memcpy(r.ver.vid, data + 24, TN_ROW_VID_LEN);
    r.flags = data[39];
    const uint8_t *rest = data + 40;
    size_t n = size - 40;
    r.key_len = n == 0 ? 0 : 1 + (n - 1) % TN_ROW_MAX_KEY;
    r.key = r.key_len > 0 ? rest : NULL;
    size_t left = n - r.key_len;
    r.value_len = TN_MIN(left / 2, (size_t)TN_ROW_MAX_VALUE);
    r.value = r.value_len > 0 ? rest + r.key_len : NULL;
    r.inl_len = left - r.value_len;
    r.inl = r.inl_len > 0 ? rest + r.key_len + r.value_len : NULL;
    if (tn_row_seal(&r) != 0) {
        if (r.key_len != 0 && r.inl_len <= TN_ROW_MAX_INLINE)
            abort();
        return;
    }
    size_t len = 0, used = 0;
    if (tn_row_encode(&r, out, sizeof(out), &len) != 0)
        abort();
    tn_row_t d;
    if (tn_row_decode(out, len, &d, &used) != 0 || used != len || d.pool != r.pool ||
        d.pg != r.pg || d.ns != r.ns || tn_row_ver_cmp(&d.ver, &r.ver) != 0 || d.flags != r.flags ||
        d.crc != r.crc || d.key_len != r.key_len || memcmp(d.key, r.key, r.key_len) != 0 ||
        d.value_len != r.value_len || d.inl_len != r.inl_len)
        abort();
    size_t bit = (size_t)data[0] * 8 + data[1];
    if (bit < len * 8) {
        out[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (tn_row_decode(out, len, &d, &used) == 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_invariants(data, size);
    build_invariants(data, size);
    return 0;
}
