/*
 * tn_wire.h — bounds-checked little-endian field encoding over caller buffers, for frame
 * payloads and anything else tern puts on the wire or on disk. Pure: no allocation, no I/O.
 *
 * Encoding: integers are fixed-width little-endian (u8, u16, u32, u64). "bytes" and "str" are a
 * u32 little-endian length followed by that many raw bytes (no terminator). "raw" is a fixed
 * number of bytes with no length (for fixed-size fields such as 16-byte version ids).
 *
 * Errors are sticky: the first overrun sets w->err / r->err, and every later call does nothing
 * (a writer writes no byte past the failure; a reader returns zeros and empty slices). So
 * encode and decode code check once, at the end:
 *
 *     tn_wire_w_t w; tn_wire_w_init(&w, buf, sizeof(buf));
 *     tn_wire_put_u64(&w, epoch); tn_wire_put_str(&w, key);
 *     if (w.err) return w.err;               // TN_ERR_TOO_BIG: buffer too small
 *     size_t len = (size_t)(w.p - buf);       // bytes written
 *
 *     tn_wire_r_t r; tn_wire_r_init(&r, payload, len);
 *     uint64_t epoch = tn_wire_get_u64(&r); tn_slice_t key = tn_wire_get_bytes(&r);
 *     int err = tn_wire_r_finish(&r);         // TN_ERR_PROTO on overrun or trailing bytes
 *
 * Slices returned by the reader point into the reader's buffer (non-owning) and are valid as
 * long as that buffer is.
 */
#ifndef TN_WIRE_H
#define TN_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"

typedef struct {
    uint8_t *p;   /* next byte to write */
    uint8_t *end; /* one past the buffer */
    int err;      /* TN_OK, or TN_ERR_TOO_BIG after an overrun (sticky) */
} tn_wire_w_t;

typedef struct {
    const uint8_t *p;   /* next byte to read */
    const uint8_t *end; /* one past the buffer */
    int err;            /* TN_OK, or TN_ERR_PROTO after an overrun (sticky) */
} tn_wire_r_t;

void tn_wire_w_init(tn_wire_w_t *w, void *buf, size_t len);
void tn_wire_put_u8(tn_wire_w_t *w, uint8_t v);
void tn_wire_put_u16(tn_wire_w_t *w, uint16_t v);
void tn_wire_put_u32(tn_wire_w_t *w, uint32_t v);
void tn_wire_put_u64(tn_wire_w_t *w, uint64_t v);
/* n raw bytes, no length prefix. */
void tn_wire_put_raw(tn_wire_w_t *w, const void *src, size_t n);
/* u32 length + bytes; len > UINT32_MAX sets TN_ERR_TOO_BIG. */
void tn_wire_put_bytes(tn_wire_w_t *w, const void *src, size_t len);
/* NUL-terminated string as bytes (the terminator is not sent). */
void tn_wire_put_str(tn_wire_w_t *w, const char *s);
/* Bytes left in the buffer. */
size_t tn_wire_w_left(const tn_wire_w_t *w);

void tn_wire_r_init(tn_wire_r_t *r, const void *buf, size_t len);
uint8_t tn_wire_get_u8(tn_wire_r_t *r);
uint16_t tn_wire_get_u16(tn_wire_r_t *r);
uint32_t tn_wire_get_u32(tn_wire_r_t *r);
uint64_t tn_wire_get_u64(tn_wire_r_t *r);
/* Copies n raw bytes into dst (zero-filled on error). */
void tn_wire_get_raw(tn_wire_r_t *r, void *dst, size_t n);
/* u32 length + bytes, as a slice into the buffer ({NULL, 0} on error). */
tn_slice_t tn_wire_get_bytes(tn_wire_r_t *r);
/* Bytes not yet read. */
size_t tn_wire_r_left(const tn_wire_r_t *r);
/* TN_OK if everything was read without error and nothing is left; r->err after an overrun;
 * TN_ERR_PROTO if bytes remain (a message must be consumed exactly). */
int tn_wire_r_finish(const tn_wire_r_t *r);

#endif
