/*
 * tn_frame.h — the frame layer of tern's OSD protocol (docs/PROTOCOL.md): a fixed 48-byte
 * header followed by a payload, over TCP, between gateways, ternctl and OSDs. Pure: bytes in,
 * bytes out; the caller owns sockets and buffers.
 *
 * Frame header, version 1 (all integers little-endian):
 *
 *   OFFSET SIZE DESCRIPTION
 *        0    4 magic: the bytes 'T' 'E' 'R' 'N' (0x4E524554 read as a u32)
 *        4    1 protocol version: 1. Offsets 0..4 are fixed for every future version.
 *        5    1 flags: bit 0 REPLY, bit 1 MORE (more reply frames follow for this request
 *               id; replies only in version 1); bits 2..7 are reserved and must be 0
 *        6    2 op (tn_frame_op_t); a reply repeats the request's op
 *        8    2 status: 0 in requests; in replies 0 (OK) or a wire status (tn_frame_status_t)
 *       10    2 reserved, must be 0
 *       12    4 payload length in bytes (at most the receiver's max_payload)
 *       16    8 request id: chosen by the requester, echoed by the reply; many requests may be
 *               in flight on one connection and replies come in any order
 *       24    8 sender's cluster map epoch (DESIGN.md rule 3: the side behind fetches the map)
 *       32    8 sender's HLC (tn_hlc.h layout; every reply carries one, rule 2)
 *       40    4 payload CRC32C (tn_crc32c; 0 for an empty payload)
 *       44    4 header CRC32C over bytes 0..43
 *       48      payload (payload length bytes)
 *
 * A receiver rejects (and closes the connection on) a header with a bad magic, unknown version,
 * bad header CRC, reserved bits or field set, MORE or a nonzero status in a request, or a
 * payload length over its limit. A bad payload CRC is reported by tn_frame_check_payload(); the
 * header was intact, so the receiver may answer that request with TN_FRAME_ST_CHECKSUM and carry
 * on.
 */
#ifndef TN_FRAME_H
#define TN_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "tern.h"

#define TN_FRAME_HDR_SIZE 48
#define TN_FRAME_MAGIC    0x4E524554u /* "TERN" in little-endian byte order */
#define TN_FRAME_VERSION  1
/* Default payload limit: one 8 MiB blob piece plus room for its op header. */
#define TN_FRAME_MAX_PAYLOAD (8u * 1024 * 1024 + 4096)

#define TN_FRAME_F_REPLY    0x01u
#define TN_FRAME_F_MORE     0x02u
#define TN_FRAME_F_RESERVED 0xfcu

/*
 * Op numbers (u16). Families sit in blocks of 16 so each can grow in place; numbers are never
 * reused. 0 is invalid. The frame layer accepts any op; an OSD answers an op it does not know
 * with TN_FRAME_ST_UNSUPPORTED. Bodies are specified per family in docs/PROTOCOL.md.
 */
typedef enum {
    TN_OP_NONE = 0x0000,
    /* 0x0001.. liveness and introspection */
    TN_OP_PING = 0x0001,
    TN_OP_STATS = 0x0002,
    TN_OP_KICK = 0x0003, /* start background work now: scrub, deep scrub, GC */
    /* 0x0010.. cluster map */
    TN_OP_MAP_GET = 0x0010,
    TN_OP_MAP_OFFER = 0x0011,
    /* 0x0020.. blobs (immutable bytes of a version, in chunks) */
    TN_OP_BLOB_PUT_BEGIN = 0x0020,
    TN_OP_BLOB_PUT_DATA = 0x0021,
    TN_OP_BLOB_PUT_END = 0x0022,
    TN_OP_BLOB_GET = 0x0023,
    TN_OP_BLOB_STAT = 0x0024,
    TN_OP_BLOB_DELETE = 0x0025,
    /* 0x0030.. index rows (LWW registers) */
    TN_OP_ROW_PUT = 0x0030,
    TN_OP_ROW_GET = 0x0031,
    TN_OP_ROW_LIST = 0x0032,
    TN_OP_ROW_DELETE = 0x0033,
    /* 0x0040.. placement-group repair and rebalance */
    TN_OP_PG_DIGEST = 0x0040,
    TN_OP_PG_ENUM = 0x0041,
    TN_OP_PG_PUSH = 0x0042,
} tn_frame_op_t;

/*
 * Wire status codes (u16), stable across platforms and versions: tern's TN_ERR_* and the errno
 * values that can cross the wire each have their own code; raw errno numbers are never sent.
 * Codes are never reused. A code the receiver does not know maps to -EIO.
 */
typedef enum {
    TN_FRAME_ST_OK = 0,
    TN_FRAME_ST_INTERNAL = 1, /* an error with no code of its own; decodes to -EIO */
    /* 2..31: tern errors */
    TN_FRAME_ST_CHECKSUM = 2,     /* TN_ERR_CHECKSUM */
    TN_FRAME_ST_CORRUPT = 3,      /* TN_ERR_CORRUPT */
    TN_FRAME_ST_NOT_FOUND = 4,    /* TN_ERR_NOT_FOUND */
    TN_FRAME_ST_PROTO = 5,        /* TN_ERR_PROTO */
    TN_FRAME_ST_TOO_BIG = 6,      /* TN_ERR_TOO_BIG */
    TN_FRAME_ST_STALE_EPOCH = 7,  /* TN_ERR_STALE_EPOCH: update your map */
    TN_FRAME_ST_QUORUM = 8,       /* TN_ERR_QUORUM */
    TN_FRAME_ST_TIMEOUT = 9,      /* TN_ERR_TIMEOUT */
    TN_FRAME_ST_CONFIG = 10,      /* TN_ERR_CONFIG */
    TN_FRAME_ST_STALE_TS = 11,    /* TN_ERR_STALE_TS: row is newer; body carries its stamp */
    TN_FRAME_ST_CLOCK = 12,       /* TN_ERR_CLOCK */
    TN_FRAME_ST_UNSUPPORTED = 13, /* TN_ERR_UNSUPPORTED (also: unknown op) */
    /* TN_ERR_PRECONDITION: a ROW_PUT IF_VERSION found another version stored, or none */
    TN_FRAME_ST_PRECONDITION = 14,
    /* 32..63: system errors */
    TN_FRAME_ST_IO = 32,          /* EIO */
    TN_FRAME_ST_NOSPC = 33,       /* ENOSPC, EDQUOT */
    TN_FRAME_ST_NOMEM = 34,       /* ENOMEM */
    TN_FRAME_ST_INVAL = 35,       /* EINVAL */
    TN_FRAME_ST_AGAIN = 36,       /* EAGAIN, EBUSY: retry later */
    TN_FRAME_ST_EXIST = 37,       /* EEXIST */
    TN_FRAME_ST_NOENT = 38,       /* ENOENT */
    TN_FRAME_ST_ACCES = 39,       /* EACCES, EPERM */
    TN_FRAME_ST_ROFS = 40,        /* EROFS */
    TN_FRAME_ST_CANCELED = 41,    /* ECANCELED */
    TN_FRAME_ST_SHUTDOWN = 42,    /* ESHUTDOWN: the daemon is stopping */
    TN_FRAME_ST_NAMETOOLONG = 43, /* ENAMETOOLONG */
} tn_frame_status_t;

/* Why tn_frame_decode_header() returned TN_PARSE_ERROR. */
typedef enum {
    TN_FRAME_WHY_NONE = 0,
    TN_FRAME_WHY_MAGIC,    /* not a tern frame */
    TN_FRAME_WHY_VERSION,  /* a protocol version this side does not speak */
    TN_FRAME_WHY_HDR_CRC,  /* header CRC mismatch */
    TN_FRAME_WHY_FLAGS,    /* reserved flag bits set, or MORE in a request */
    TN_FRAME_WHY_RESERVED, /* reserved field not zero */
    TN_FRAME_WHY_STATUS,   /* nonzero status in a request */
    TN_FRAME_WHY_TOO_BIG,  /* payload length over max_payload */
} tn_frame_why_t;

typedef struct {
    uint8_t version;      /* TN_FRAME_VERSION; set by tn_frame_encode_header() */
    uint8_t flags;        /* TN_FRAME_F_* */
    uint16_t op;          /* tn_frame_op_t */
    uint16_t status;      /* tn_frame_status_t; 0 in requests */
    uint32_t payload_len; /* bytes after the header */
    uint64_t req_id;
    uint64_t epoch;
    uint64_t hlc;
    uint32_t payload_crc; /* tn_crc32c(0, payload, payload_len) */
    uint32_t hdr_crc;     /* set by encode, checked by decode */
} tn_frame_hdr_t;

/*
 * Decodes a header from the start of buf. Returns TN_FRAME_HDR_SIZE when buf holds a whole,
 * valid header (the payload follows it and is not examined), TN_PARSE_INCOMPLETE when more
 * bytes are needed, TN_PARSE_ERROR when the bytes are not a valid header, with the reason in
 * *why (may be NULL). A bad magic is reported as soon as the first bytes disagree.
 * max_payload is the receiver's limit on payload_len (TN_FRAME_MAX_PAYLOAD by default).
 */
ssize_t tn_frame_decode_header(const uint8_t *buf, size_t len, size_t max_payload,
                               tn_frame_hdr_t *out, tn_frame_why_t *why);

/* Writes h as 48 bytes, setting h->version to TN_FRAME_VERSION and computing h->hdr_crc.
 * The caller has set payload_len and payload_crc (tn_frame_set_payload() does both). */
void tn_frame_encode_header(tn_frame_hdr_t *h, uint8_t out[TN_FRAME_HDR_SIZE]);

/* Sets payload_len and payload_crc for a payload held in one buffer. For a payload sent from
 * several buffers, chain tn_crc32c() over them instead. Returns TN_ERR_TOO_BIG over 4 GiB-1. */
int tn_frame_set_payload(tn_frame_hdr_t *h, const void *payload, size_t len);

/* TN_OK if payload (h->payload_len bytes) matches h->payload_crc, else TN_ERR_CHECKSUM. */
int tn_frame_check_payload(const tn_frame_hdr_t *h, const uint8_t *payload);

/* Error code (TN_OK, TN_ERR_*, -errno) → wire status, and back. Round trip is exact for every
 * code listed in tn_frame_status_t (EDQUOT → ENOSPC, EBUSY → EAGAIN, EPERM → EACCES are
 * folded); anything else becomes TN_FRAME_ST_INTERNAL. */
uint16_t tn_frame_status_from_err(int err);
int tn_frame_status_to_err(uint16_t status);

/* Names for logs: "PING", "BLOB_GET"...; NULL for an unknown op. */
const char *tn_frame_op_name(uint16_t op);
/* Description of a decode failure reason. Never NULL. */
const char *tn_frame_why_str(tn_frame_why_t why);

#endif
