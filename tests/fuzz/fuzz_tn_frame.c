/*
 * fuzz_tn_frame.c — libFuzzer target for common/tn_frame.c. The input is a byte stream as a
 * receiver would read it from a socket, delivered in random splits; the target parses frames
 * out of it the way the OSD server will (header, then payload, then the next header) and
 * checks invariants:
 *   - decoding never reads past the bytes given (ASan) and never crashes;
 *   - a prefix shorter than a header is INCOMPLETE unless its first bytes already disagree
 *     with the magic or version, and every such early error is also reported, with the same
 *     reason, once the whole header is there (the split never changes the verdict);
 *   - a header that decodes re-encodes to exactly the same 48 bytes, and its fields respect
 *     the limits (payload length <= max_payload, reserved bits clear, no status in requests);
 *   - tn_frame_check_payload agrees with an independent CRC of the payload bytes.
 *
 * Input layout: byte 0 = mode, byte 1 = split seed, rest = the stream.
 *   mode bit 0: "fix up" each header in the stream (magic, version, payload CRC, header CRC)
 *               before delivery, so the fuzzer reaches the valid-header paths;
 *   mode bit 1: with fix-up, also clear reserved bits/field and the status of requests, and
 *               cut payload lengths down to what fits;
 *   mode bit 2: with fix-up, leave the payload CRC as it is (exercises checksum failures);
 *   mode bits 4..7: max_payload = nibble * 64 (15 = TN_FRAME_MAX_PAYLOAD).
 */
#include <stdlib.h>
#include <string.h>
#include "tn_crc.h"
#include "tn_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walks the stream frame by frame and makes each header self-consistent. */
static void fix_up(uint8_t *s, size_t n, int clean, int fix_pcrc, size_t max_payload)
{
    size_t off = 0;
    while (n - off >= TN_FRAME_HDR_SIZE) {
        uint8_t *h = s + off;
        memcpy(h, "TERN", 4);
        h[4] = TN_FRAME_VERSION;
        if (clean) {
            h[5] &= (uint8_t)~TN_FRAME_F_RESERVED;
            h[10] = h[11] = 0;
            if (!(h[5] & TN_FRAME_F_REPLY)) {
                h[5] &= (uint8_t)~TN_FRAME_F_MORE;
                h[8] = h[9] = 0;
            }
            uint32_t plen = get32(h + 12);
            size_t room = n - off - TN_FRAME_HDR_SIZE;
            size_t lim = max_payload < room ? max_payload : room;
            if (plen > lim)
                put32(h + 12, (uint32_t)(plen % (lim + 1)));
        }
        uint32_t plen = get32(h + 12);
        size_t room = n - off - TN_FRAME_HDR_SIZE;
        if (plen <= room && fix_pcrc)
            put32(h + 40, tn_crc32c(0, h + TN_FRAME_HDR_SIZE, plen));
        put32(h + 44, tn_crc32c(0, h, 44));
        if (plen > room)
            break;
        off += TN_FRAME_HDR_SIZE + plen;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0];
    uint32_t rng = data[1] * 2654435761u + 1;
    data += 2;
    size -= 2;
    size_t max_payload = (mode >> 4) == 15 ? TN_FRAME_MAX_PAYLOAD : (size_t)(mode >> 4) * 64;

    uint8_t *stream = malloc(size ? size : 1);
    if (stream == NULL)
        return 0;
    if (size > 0)
        memcpy(stream, data, size);
    if (mode & 1)
        fix_up(stream, size, (mode & 2) != 0, (mode & 4) == 0, max_payload);

    /* The receive buffer holds exactly what has arrived, so ASan catches any over-read. */
    size_t arrived = 0, off = 0;
    int closed = 0;
    while (!closed && arrived < size) {
        rng = rng * 1103515245u + 12345u;
        size_t chunk = 1 + (rng >> 16) % 70;
        if (chunk > size - arrived)
            chunk = size - arrived;
        arrived += chunk;
        for (;;) {
            size_t avail = arrived - off;
            uint8_t *rx = malloc(avail ? avail : 1);
            if (rx == NULL) {
                closed = 1;
                break;
            }
            if (avail > 0)
                memcpy(rx, stream + off, avail);
            tn_frame_hdr_t h;
            tn_frame_why_t why = TN_FRAME_WHY_NONE;
            ssize_t r = tn_frame_decode_header(rx, avail, max_payload, &h, &why);
            if (r == TN_PARSE_INCOMPLETE) {
                CHECK(avail < TN_FRAME_HDR_SIZE);
                CHECK(avail == 0 || memcmp(rx, "TERN", avail < 4 ? avail : 4) == 0);
                free(rx);
                break;
            }
            if (r == TN_PARSE_ERROR) {
                CHECK(why != TN_FRAME_WHY_NONE);
                /* the verdict must not depend on how the bytes were split */
                tn_frame_hdr_t h2;
                tn_frame_why_t why2;
                CHECK(tn_frame_decode_header(stream + off, size - off, max_payload, &h2, &why2) ==
                      TN_PARSE_ERROR);
                CHECK(why2 == why);
                CHECK(tn_frame_why_str(why) != NULL);
                free(rx);
                closed = 1; /* a receiver drops the connection */
                break;
            }
            CHECK(r == TN_FRAME_HDR_SIZE);
            CHECK(why == TN_FRAME_WHY_NONE);
            CHECK(h.payload_len <= max_payload);
            CHECK((h.flags & TN_FRAME_F_RESERVED) == 0);
            CHECK((h.flags & TN_FRAME_F_REPLY) || (h.status == 0 && !(h.flags & TN_FRAME_F_MORE)));
            CHECK(h.version == TN_FRAME_VERSION);
            uint8_t again[TN_FRAME_HDR_SIZE];
            tn_frame_hdr_t copy = h;
            tn_frame_encode_header(&copy, again);
            CHECK(memcmp(again, rx, TN_FRAME_HDR_SIZE) == 0);
            CHECK(copy.hdr_crc == h.hdr_crc);
            (void)tn_frame_op_name(h.op);
            int err = tn_frame_status_to_err(h.status);
            CHECK(err <= 0);
            if (avail - TN_FRAME_HDR_SIZE < h.payload_len) {
                free(rx);
                break; /* wait for the rest of the payload */
            }
            const uint8_t *payload = rx + TN_FRAME_HDR_SIZE;
            int pc = tn_frame_check_payload(&h, payload);
            int match = tn_crc32c(0, payload, h.payload_len) == h.payload_crc;
            CHECK(pc == (match ? TN_OK : TN_ERR_CHECKSUM));
            off += TN_FRAME_HDR_SIZE + h.payload_len;
            free(rx);
        }
    }
    free(stream);
    return 0;
}
