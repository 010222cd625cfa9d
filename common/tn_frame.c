/*
 * tn_frame.c — encode/decode of the 48-byte frame header (layout in tn_frame.h), payload CRC
 * check, and the mapping between tern error codes and stable wire status codes.
 */
#include <errno.h>
#include <string.h>
#include "tn_crc.h"
#include "tn_frame.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static const uint8_t magic[4] = {'T', 'E', 'R', 'N'};

void tn_frame_encode_header(tn_frame_hdr_t *h, uint8_t out[TN_FRAME_HDR_SIZE])
{
    h->version = TN_FRAME_VERSION;
    memcpy(out, magic, 4);
    out[4] = h->version;
    out[5] = h->flags;
    put16(out + 6, h->op);
    put16(out + 8, h->status);
    put16(out + 10, 0);
    put32(out + 12, h->payload_len);
    put64(out + 16, h->req_id);
    put64(out + 24, h->epoch);
    put64(out + 32, h->hlc);
    put32(out + 40, h->payload_crc);
    h->hdr_crc = tn_crc32c(0, out, 44);
    put32(out + 44, h->hdr_crc);
}

static ssize_t fail(tn_frame_why_t *why, tn_frame_why_t reason)
{
    if (why != NULL)
        *why = reason;
    return TN_PARSE_ERROR;
}

ssize_t tn_frame_decode_header(const uint8_t *buf, size_t len, size_t max_payload,
                               tn_frame_hdr_t *out, tn_frame_why_t *why)
{
    if (why != NULL)
        *why = TN_FRAME_WHY_NONE;
    /* Reject garbage early: the magic is checked on however many bytes there are. */
    if (len > 0 && memcmp(buf, magic, len < 4 ? len : 4) != 0)
        return fail(why, TN_FRAME_WHY_MAGIC);
    if (len >= 5 && buf[4] != TN_FRAME_VERSION)
        return fail(why, TN_FRAME_WHY_VERSION);
    if (len < TN_FRAME_HDR_SIZE)
        return TN_PARSE_INCOMPLETE;
    uint32_t hdr_crc = get32(buf + 44);
    if (tn_crc32c(0, buf, 44) != hdr_crc)
        return fail(why, TN_FRAME_WHY_HDR_CRC);
    tn_frame_hdr_t h;
    h.version = buf[4];
    h.flags = buf[5];
    h.op = get16(buf + 6);
    h.status = get16(buf + 8);
    h.payload_len = get32(buf + 12);
    h.req_id = get64(buf + 16);
    h.epoch = get64(buf + 24);
    h.hlc = get64(buf + 32);
    h.payload_crc = get32(buf + 40);
    h.hdr_crc = hdr_crc;
    if ((h.flags & TN_FRAME_F_RESERVED) ||
        (h.flags & (TN_FRAME_F_REPLY | TN_FRAME_F_MORE)) == TN_FRAME_F_MORE)
        return fail(why, TN_FRAME_WHY_FLAGS);
    if (get16(buf + 10) != 0)
        return fail(why, TN_FRAME_WHY_RESERVED);
    if (!(h.flags & TN_FRAME_F_REPLY) && h.status != 0)
        return fail(why, TN_FRAME_WHY_STATUS);
    if (h.payload_len > max_payload)
        return fail(why, TN_FRAME_WHY_TOO_BIG);
    *out = h;
    return TN_FRAME_HDR_SIZE;
}

int tn_frame_set_payload(tn_frame_hdr_t *h, const void *payload, size_t len)
{
    if (len > UINT32_MAX)
        return TN_ERR_TOO_BIG;
    h->payload_len = (uint32_t)len;
    h->payload_crc = tn_crc32c(0, payload, len);
    return TN_OK;
}

int tn_frame_check_payload(const tn_frame_hdr_t *h, const uint8_t *payload)
{
    return tn_crc32c(0, payload, h->payload_len) == h->payload_crc ? TN_OK : TN_ERR_CHECKSUM;
}

/* One table for both directions; the first row for an err is its canonical code. */
static const struct {
    uint16_t status;
    int err;
} status_map[] = {
    {TN_FRAME_ST_OK, TN_OK},
    {TN_FRAME_ST_CHECKSUM, TN_ERR_CHECKSUM},
    {TN_FRAME_ST_CORRUPT, TN_ERR_CORRUPT},
    {TN_FRAME_ST_NOT_FOUND, TN_ERR_NOT_FOUND},
    {TN_FRAME_ST_PROTO, TN_ERR_PROTO},
    {TN_FRAME_ST_TOO_BIG, TN_ERR_TOO_BIG},
    {TN_FRAME_ST_STALE_EPOCH, TN_ERR_STALE_EPOCH},
    {TN_FRAME_ST_QUORUM, TN_ERR_QUORUM},
    {TN_FRAME_ST_TIMEOUT, TN_ERR_TIMEOUT},
    {TN_FRAME_ST_CONFIG, TN_ERR_CONFIG},
    {TN_FRAME_ST_STALE_TS, TN_ERR_STALE_TS},
    {TN_FRAME_ST_CLOCK, TN_ERR_CLOCK},
    {TN_FRAME_ST_UNSUPPORTED, TN_ERR_UNSUPPORTED},
    {TN_FRAME_ST_PRECONDITION, TN_ERR_PRECONDITION},
    {TN_FRAME_ST_IO, -EIO},
    {TN_FRAME_ST_NOSPC, -ENOSPC},
    {TN_FRAME_ST_NOSPC, -EDQUOT},
    {TN_FRAME_ST_NOMEM, -ENOMEM},
    {TN_FRAME_ST_INVAL, -EINVAL},
    {TN_FRAME_ST_AGAIN, -EAGAIN},
    {TN_FRAME_ST_AGAIN, -EBUSY},
    {TN_FRAME_ST_EXIST, -EEXIST},
    {TN_FRAME_ST_NOENT, -ENOENT},
    {TN_FRAME_ST_ACCES, -EACCES},
    {TN_FRAME_ST_ACCES, -EPERM},
    {TN_FRAME_ST_ROFS, -EROFS},
    {TN_FRAME_ST_CANCELED, -ECANCELED},
    {TN_FRAME_ST_SHUTDOWN, -ESHUTDOWN},
    {TN_FRAME_ST_NAMETOOLONG, -ENAMETOOLONG},
    {TN_FRAME_ST_INTERNAL, -EIO},
};

uint16_t tn_frame_status_from_err(int err)
{
    for (size_t i = 0; i < TN_ARRAY_SIZE(status_map); i++)
        if (status_map[i].err == err)
            return status_map[i].status;
    return TN_FRAME_ST_INTERNAL;
}

int tn_frame_status_to_err(uint16_t status)
{
    for (size_t i = 0; i < TN_ARRAY_SIZE(status_map); i++)
        if (status_map[i].status == status)
            return status_map[i].err;
    return -EIO;
}

const char *tn_frame_op_name(uint16_t op)
{
    switch ((tn_frame_op_t)op) {
    case TN_OP_NONE: return NULL;
    case TN_OP_PING: return "PING";
    case TN_OP_STATS: return "STATS";
    case TN_OP_KICK: return "KICK";
    case TN_OP_MAP_GET: return "MAP_GET";
    case TN_OP_MAP_OFFER: return "MAP_OFFER";
    case TN_OP_BLOB_PUT_BEGIN: return "BLOB_PUT_BEGIN";
    case TN_OP_BLOB_PUT_DATA: return "BLOB_PUT_DATA";
    case TN_OP_BLOB_PUT_END: return "BLOB_PUT_END";
    case TN_OP_BLOB_GET: return "BLOB_GET";
    case TN_OP_BLOB_STAT: return "BLOB_STAT";
    case TN_OP_BLOB_DELETE: return "BLOB_DELETE";
    case TN_OP_ROW_PUT: return "ROW_PUT";
    case TN_OP_ROW_GET: return "ROW_GET";
    case TN_OP_ROW_LIST: return "ROW_LIST";
    case TN_OP_ROW_DELETE: return "ROW_DELETE";
    case TN_OP_PG_DIGEST: return "PG_DIGEST";
    case TN_OP_PG_ENUM: return "PG_ENUM";
    case TN_OP_PG_PUSH: return "PG_PUSH";
    }
    return NULL;
}

const char *tn_frame_why_str(tn_frame_why_t why)
{
    switch (why) {
    case TN_FRAME_WHY_NONE: return "no error";
    case TN_FRAME_WHY_MAGIC: return "bad magic: not a tern frame";
    case TN_FRAME_WHY_VERSION: return "unsupported protocol version";
    case TN_FRAME_WHY_HDR_CRC: return "header checksum mismatch";
    case TN_FRAME_WHY_FLAGS: return "reserved flag bits set, or MORE in a request";
    case TN_FRAME_WHY_RESERVED: return "reserved header field not zero";
    case TN_FRAME_WHY_STATUS: return "status set in a request";
    case TN_FRAME_WHY_TOO_BIG: return "payload length over limit";
    }
    return "unknown reason";
}
