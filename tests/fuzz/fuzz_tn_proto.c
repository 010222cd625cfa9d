/*
 * fuzz_tn_proto.c — every op-body decoder of common/tn_proto.c on arbitrary bytes. The first
 * byte picks the decoder, the rest is the body. Invariants: no read outside the input (ASan),
 * list iterators end (no infinite loop: each step consumes bytes or ends), and for fixed-layout
 * bodies a successful decode re-encodes to exactly the input bytes (decoding is exact).
 */
#include <stdlib.h>
#include <string.h>
#include "tn_proto.h"

static void reencode_equal(const uint8_t *in, size_t len, void (*enc)(tn_wire_w_t *, const void *),
                           const void *msg)
{
    uint8_t out[4096];
    tn_wire_w_t w;
    tn_wire_w_init(&w, out, sizeof(out));
    enc(&w, msg);
    if (w.err == TN_OK && ((size_t)(w.p - out) != len || memcmp(out, in, len) != 0))
        abort();
}

static void reencode_if(const uint8_t *in, size_t len, const tn_row_put_req_t *m,
                        const tn_proto_ver_t *ex)
{
    uint8_t out[4096];
    tn_wire_w_t w;
    tn_wire_w_init(&w, out, sizeof(out));
    tn_proto_enc_row_put_if_req(&w, m->row, ex);
    if (w.err == TN_OK && ((size_t)(w.p - out) != len || memcmp(out, in, len) != 0))
        abort();
}

#define ROUNDTRIP(type, dec, enc)                                                                  \
    do {                                                                                           \
        type m_;                                                                                   \
        if (dec(p, n, &m_) == TN_OK)                                                               \
            reencode_equal(p, n, (void (*)(tn_wire_w_t *, const void *))enc, &m_);                 \
    } while (0)

static void drain(tn_proto_iter_t *it, int kind)
{
    for (unsigned steps = 0; steps <= TN_PROTO_MAX_LIST + 1; steps++) {
        int rc;
        tn_slice_t s;
        uint64_t v;
        tn_row_entry_t e;
        tn_blob_item_t b;
        switch (kind) {
        case 0: rc = tn_proto_next_stat(it, &s, &v); break;
        case 1: rc = tn_proto_next_row_entry(it, &e); break;
        case 2: rc = tn_proto_next_row(it, &s); break;
        default: rc = tn_proto_next_blob_item(it, &b); break;
        }
        if (rc != 1)
            return;
    }
    abort(); /* more entries than any valid count */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    tn_proto_iter_t it;
    uint32_t cnt;
    uint8_t more;
    tn_slice_t cursor;
    switch (data[0] % 16) {
    case 0: ROUNDTRIP(tn_ping_req_t, tn_proto_dec_ping_req, tn_proto_enc_ping_req); break;
    case 1: ROUNDTRIP(tn_ping_rep_t, tn_proto_dec_ping_rep, tn_proto_enc_ping_rep); break;
    case 2:
        ROUNDTRIP(tn_map_offer_req_t, tn_proto_dec_map_offer_req, tn_proto_enc_map_offer_req);
        break;
    case 3:
        ROUNDTRIP(tn_blob_put_begin_t, tn_proto_dec_blob_put_begin, tn_proto_enc_blob_put_begin);
        break;
    case 4: {
        tn_blob_put_data_t d;
        tn_blob_get_rep_t g;
        if (tn_proto_dec_blob_put_data(p, n, &d) == TN_OK && d.data.len + 12 != n)
            abort();
        if (tn_proto_dec_blob_get_rep(p, n, &g) == TN_OK && g.offset + g.data.len > g.blob_len)
            abort();
        break;
    }
    case 5:
        ROUNDTRIP(tn_blob_get_req_t, tn_proto_dec_blob_get_req, tn_proto_enc_blob_get_req);
        break;
    case 6: {
        ROUNDTRIP(tn_row_put_req_t, tn_proto_dec_row_put_req, tn_proto_enc_row_put_req);
        /* every mode: the expected version is there iff the mode is IF_VERSION */
        tn_row_put_req_t m;
        tn_proto_ver_t ex;
        if (tn_proto_dec_row_put_any(p, n, &m, &ex) == TN_OK) {
            if (m.mode == TN_PROTO_ROW_IF_VERSION)
                reencode_if(p, n, &m, &ex);
            else
                reencode_equal(p, n,
                               (void (*)(tn_wire_w_t *, const void *))tn_proto_enc_row_put_req, &m);
            if (n != tn_proto_row_put_req_size(m.mode, m.row.len))
                abort();
        }
        tn_row_put_rep_t rep;
        if (tn_proto_dec_row_put_precondition(p, n, &rep) == TN_OK &&
            n != (rep.has_stored ? 28u : 0u))
            abort();
        break;
    }
    case 7: ROUNDTRIP(tn_row_get_req_t, tn_proto_dec_row_get_req, tn_proto_enc_row_get_req); break;
    case 8:
        ROUNDTRIP(tn_row_list_req_t, tn_proto_dec_row_list_req, tn_proto_enc_row_list_req);
        break;
    case 9:
        ROUNDTRIP(tn_row_delete_req_t, tn_proto_dec_row_delete_req, tn_proto_enc_row_delete_req);
        break;
    case 10:
        ROUNDTRIP(tn_pg_digest_rep_t, tn_proto_dec_pg_digest_rep, tn_proto_enc_pg_digest_rep);
        break;
    case 11: ROUNDTRIP(tn_pg_enum_req_t, tn_proto_dec_pg_enum_req, tn_proto_enc_pg_enum_req); break;
    case 12:
        if (tn_proto_dec_stats_rep(p, n, &it, &cnt) == TN_OK)
            drain(&it, 0);
        break;
    case 13:
        if (tn_proto_dec_row_list_rep(p, n, &it, &more, &cnt) == TN_OK)
            drain(&it, (data[0] / 16) & 1 ? 2 : 1);
        break;
    case 14:
        if (tn_proto_dec_pg_enum_rep(p, n, &it, &more, &cursor, &cnt) == TN_OK)
            drain(&it, (data[0] / 16) & 1 ? 2 : 3);
        break;
    default:
        if (tn_proto_dec_pg_push(p, n, &it, &cnt) == TN_OK)
            drain(&it, 2);
        break;
    }
    return 0;
}
