/*
 * tn_wire.c — little-endian writer and reader with sticky overrun errors (see tn_wire.h).
 * Every access is checked against end before any byte moves, so a failed put writes nothing.
 */
#include <string.h>
#include "tn_wire.h"

void tn_wire_w_init(tn_wire_w_t *w, void *buf, size_t len)
{
    w->p = buf;
    w->end = len ? (uint8_t *)buf + len : buf;
    w->err = TN_OK;
}

size_t tn_wire_w_left(const tn_wire_w_t *w)
{
    return (size_t)(w->end - w->p);
}

/* Reserves n bytes at *q; 0 on success, -1 (and the sticky error) if they do not fit. */
static int w_take(tn_wire_w_t *w, size_t n, uint8_t **q)
{
    if (w->err != TN_OK)
        return -1;
    if (n > (size_t)(w->end - w->p)) {
        w->err = TN_ERR_TOO_BIG;
        return -1;
    }
    *q = w->p;
    if (n > 0) /* NULL + 0 is undefined in C: a zero-length buffer may be NULL */
        w->p += n;
    return 0;
}

static void put_le(tn_wire_w_t *w, uint64_t v, size_t n)
{
    uint8_t *q;
    if (w_take(w, n, &q) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        q[i] = (uint8_t)(v >> (8 * i));
}

void tn_wire_put_u8(tn_wire_w_t *w, uint8_t v)
{
    put_le(w, v, 1);
}

void tn_wire_put_u16(tn_wire_w_t *w, uint16_t v)
{
    put_le(w, v, 2);
}

void tn_wire_put_u32(tn_wire_w_t *w, uint32_t v)
{
    put_le(w, v, 4);
}

void tn_wire_put_u64(tn_wire_w_t *w, uint64_t v)
{
    put_le(w, v, 8);
}

void tn_wire_put_raw(tn_wire_w_t *w, const void *src, size_t n)
{
    uint8_t *q;
    if (w_take(w, n, &q) == 0 && n > 0)
        memcpy(q, src, n);
}

void tn_wire_put_bytes(tn_wire_w_t *w, const void *src, size_t len)
{
    if (w->err != TN_OK)
        return;
    if (len > UINT32_MAX || len > tn_wire_w_left(w) || tn_wire_w_left(w) - len < 4) {
        w->err = TN_ERR_TOO_BIG; /* checked first, so the prefix is not written alone */
        return;
    }
    tn_wire_put_u32(w, (uint32_t)len);
    tn_wire_put_raw(w, src, len);
}

void tn_wire_put_str(tn_wire_w_t *w, const char *s)
{
    tn_wire_put_bytes(w, s, strlen(s));
}

void tn_wire_r_init(tn_wire_r_t *r, const void *buf, size_t len)
{
    r->p = buf;
    r->end = len ? (const uint8_t *)buf + len : buf;
    r->err = TN_OK;
}

size_t tn_wire_r_left(const tn_wire_r_t *r)
{
    return (size_t)(r->end - r->p);
}

static int r_take(tn_wire_r_t *r, size_t n, const uint8_t **q)
{
    if (r->err != TN_OK)
        return -1;
    if (n > (size_t)(r->end - r->p)) {
        r->err = TN_ERR_PROTO;
        return -1;
    }
    *q = r->p;
    if (n > 0)
        r->p += n;
    return 0;
}

static uint64_t get_le(tn_wire_r_t *r, size_t n)
{
    const uint8_t *q;
    uint64_t v = 0;
    if (r_take(r, n, &q) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)q[i] << (8 * i);
    return v;
}

uint8_t tn_wire_get_u8(tn_wire_r_t *r)
{
    return (uint8_t)get_le(r, 1);
}

uint16_t tn_wire_get_u16(tn_wire_r_t *r)
{
    return (uint16_t)get_le(r, 2);
}

uint32_t tn_wire_get_u32(tn_wire_r_t *r)
{
    return (uint32_t)get_le(r, 4);
}

uint64_t tn_wire_get_u64(tn_wire_r_t *r)
{
    return get_le(r, 8);
}

void tn_wire_get_raw(tn_wire_r_t *r, void *dst, size_t n)
{
    const uint8_t *q;
    int rc = r_take(r, n, &q);
    if (n == 0)
        return;
    if (rc == 0)
        memcpy(dst, q, n);
    else
        memset(dst, 0, n);
}

tn_slice_t tn_wire_get_bytes(tn_wire_r_t *r)
{
    tn_slice_t s = {NULL, 0};
    const uint8_t *q;
    uint32_t len = tn_wire_get_u32(r);
    if (r_take(r, len, &q) != 0)
        return s;
    s.base = (const char *)q;
    s.len = len;
    return s;
}

int tn_wire_r_finish(const tn_wire_r_t *r)
{
    if (r->err != TN_OK)
        return r->err;
    return r->p == r->end ? TN_OK : TN_ERR_PROTO;
}
