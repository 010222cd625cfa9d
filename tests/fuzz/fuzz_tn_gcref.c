/*
 * fuzz_tn_gcref.c — libFuzzer target for the garbage collector's reference codecs
 * (common/tn_gcref.c). Input: u8 selector, then bytes. Invariants: intent decode never reads
 * past len and an accepted value re-encodes to exactly the same bytes, with a chunk count
 * whose chunk lengths add up to the size; head-row and upload-row readers return only their
 * documented results (never crash, whatever the value and inline bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tn_gcref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[TN_GCREF_INTENT_FIXED + TN_ROW_MAX_KEY];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    if (sel % 3 == 0) {
        tn_gcref_intent_t it;
        int rc = tn_gcref_intent_decode(data, size, &it);
        if (rc != TN_OK) {
            if (rc != TN_ERR_CORRUPT)
                abort();
            return 0;
        }
        int n = tn_gcref_intent_encode(&it, out, sizeof out);
        if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
            abort();
        uint32_t c = tn_gcref_chunks(&it);
        if (c > 0 && c < 100000) {
            uint64_t sum = 0;
            for (uint32_t i = 0; i < c; i++)
                sum += tn_gcref_chunk_len(&it, i);
            if (sum != it.size)
                abort();
        }
        return 0;
    }
    /* a row value and inline split at a position taken from the input */
    size_t split = size > 0 ? data[0] % (size + 1) : 0;
    tn_row_t r = {.pool = 1, .pg = 1, .ns = 2, .key = (const uint8_t *)"k", .key_len = 1};
    r.value = data;
    r.value_len = split;
    r.inl = data + split;
    r.inl_len = size - split;
    r.flags = sel & 0x80 ? TN_ROW_TOMBSTONE : 0;
    uint8_t vid[16] = {0};
    if (size >= 16)
        memcpy(vid, data + size - 16, 16);
    if (sel % 3 == 1) {
        int rc = tn_gcref_head_names(&r, vid);
        if (rc != 0 && rc != 1 && rc != TN_ERR_CORRUPT)
            abort();
    } else {
        int rc = tn_gcref_upload_active(&r);
        uint64_t ms;
        if ((rc != 0 && rc != 1 && rc != TN_ERR_CORRUPT) ||
            (rc == 1 && tn_gcref_upload_initiated(&r, &ms) != TN_OK))
            abort();
    }
    return 0;
}
