/*
 * pl_map_codec.c — the binary encoding of a cluster map (what OSDs, gateways and ternctl
 * exchange and persist), its decoder, and pl_map_hash(). Pure; the decoder is fuzzed
 * (tests/fuzz/fuzz_pl_map_codec.c) and rejects every malformed input without reading outside
 * the buffer.
 *
 * FORMAT (version 2; version 1 had no draw factors). All integers little-endian, no padding,
 * no alignment.
 *
 *   OFFSET SIZE  DESCRIPTION
 *   0      4     magic "TPLM"
 *   4      2     format version = 2 (decoders refuse other versions: TN_ERR_UNSUPPORTED)
 *   6      2     flags: bit 0 = a moving section follows the pools; other bits 0 (refused)
 *   8      8     epoch
 *   16     4     n_hosts  (<= PL_MAX_HOSTS)
 *   20     4     n_osds   (<= PL_MAX_OSDS)
 *   24     4     n_pools  (<= PL_MAX_POOLS)
 *   28     ...   n_hosts host entries, in index order (the index is the host id):
 *                  1   name length L (1..63)
 *                  L   name bytes (no NUL inside)
 *          2     draw mask D: bit s-1 set iff some host's draw factor for size s is not
 *                PL_WEIGHT_ONE (sizes 1..16)
 *          ...   for each host in index order, for each set bit of D from the lowest:
 *                  4   draw factor (16.16, >= 1); factors of sizes not in D are PL_WEIGHT_ONE
 *          ...   n_osds OSD entries, in map order:
 *                  4   id (0..PL_MAX_OSD_ID)
 *                  4   host index (< n_hosts)
 *                  4   weight (16.16)
 *                  1   flags: bit 0 in, bit 1 up, other bits 0
 *                  8   incarnation
 *                  1   address length A (0..63)
 *                  A   address bytes (no NUL inside)
 *          4     n_ghosts: nonzero ghost weights (<= n_osds * PL_MAX_SIZE)
 *          ...   n_ghosts entries, strictly ascending by (OSD index, size):
 *                  4   OSD index (< n_osds; the OSD must be out)
 *                  1   size (1..PL_MAX_SIZE)
 *                  4   ghost weight (1..PL_WEIGHT_ONE); all others are 0
 *          ...   n_pools pool entries, in map order:
 *                  4   id
 *                  1   name length L (1..63)
 *                  L   name bytes (no NUL inside)
 *                  4   pg_num (1..PL_MAX_PG_NUM)
 *                  1   size (1..PL_MAX_SIZE)
 *                  1   write quorum (1..size)
 *                  1   read quorum (1..size)
 *                  1   failure domain (pl_fd_t)
 *          ...   only if flags bit 0 (set iff n_moving > 0, so a map without moving PGs
 *                encodes exactly as before the section existed):
 *                  4   n_moving (1..PL_MAX_MOVING)
 *                  n_moving entries, strictly ascending by (pool id, pg):
 *                    4   pool id
 *                    4   pg
 *                    1   n (1..PL_MAX_SIZE)
 *                    4n  old OSD ids (distinct OSDs of the map)
 *   len-4  4     CRC32C of every preceding byte
 *
 * The encoding is canonical: a valid map has exactly one encoding, and decoding then
 * re-encoding gives the same bytes. After parsing, the decoder runs pl_map_validate (unique
 * ids and names, ...). Trailing bytes before the CRC are an error.
 *
 * pl_map_hash is FNV-1a 64 over the whole encoding, CRC included, computed while encoding
 * into nowhere, so it does not allocate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>

#include "placement.h"
#include "pl_internal.h"

#define MAGIC          "TPLM"
#define FORMAT_VERSION 2
#define HEADER_LEN     28
#define DRAW_MASK_LEN  2
#define GHOST_HDR_LEN  4
#define GHOST_LEN      9
#define HOST_MIN       2  /* name length byte + at least one name byte */
#define OSD_MIN        22 /* fixed fields + empty address */
#define POOL_MIN       14 /* fixed fields + one name byte */

/* ---- encoding: a byte sink that writes (if it has room), CRCs and hashes ---- */

typedef struct {
    uint8_t *buf; /* may be NULL (measure or hash only) */
    size_t cap, pos;
    uint32_t crc; /* raw CRC32C state (not inverted) */
    uint64_t fnv;
} sink_t;

static void put(sink_t *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (s->buf != NULL && s->pos + n <= s->cap)
        memcpy(s->buf + s->pos, p, n);
    s->pos += n;
    s->crc = crc32_iscsi((unsigned char *)(uintptr_t)p, (int)n, s->crc);
    for (size_t i = 0; i < n; i++)
        s->fnv = (s->fnv ^ p[i]) * 0x100000001b3ull;
}

static void put_u8(sink_t *s, uint8_t v)
{
    put(s, &v, 1);
}

static void put_u16(sink_t *s, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(s, b, 2);
}

static void put_u32(sink_t *s, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(s, b, 4);
}

static void put_u64(sink_t *s, uint64_t v)
{
    put_u32(s, (uint32_t)v);
    put_u32(s, (uint32_t)(v >> 32));
}

static void put_str(sink_t *s, const char *str)
{
    size_t n = strlen(str); /* validated: < 64 */
    put_u8(s, (uint8_t)n);
    put(s, str, n);
}

/* Bit s-1 set iff some host has a draw factor for size s other than PL_WEIGHT_ONE. */
static uint16_t draw_mask(const pl_map_t *m)
{
    uint16_t mask = 0;
    for (uint32_t i = 0; i < m->n_hosts; i++)
        for (int z = 0; z < PL_MAX_SIZE; z++)
            if (m->hosts[i].draw[z] != PL_WEIGHT_ONE)
                mask |= (uint16_t)(1u << z);
    return mask;
}

static void encode_all(const pl_map_t *m, sink_t *s)
{
    put(s, MAGIC, 4);
    put_u16(s, FORMAT_VERSION);
    put_u16(s, m->n_moving > 0 ? 1 : 0);
    put_u64(s, m->epoch);
    put_u32(s, m->n_hosts);
    put_u32(s, m->n_osds);
    put_u32(s, m->n_pools);
    for (uint32_t i = 0; i < m->n_hosts; i++)
        put_str(s, m->hosts[i].name);
    uint16_t mask = draw_mask(m);
    put_u16(s, mask);
    for (uint32_t i = 0; i < m->n_hosts; i++)
        for (int z = 0; z < PL_MAX_SIZE; z++)
            if (mask & (1u << z))
                put_u32(s, m->hosts[i].draw[z]);
    for (uint32_t i = 0; i < m->n_osds; i++) {
        const pl_osd_t *o = &m->osds[i];
        put_u32(s, (uint32_t)o->id);
        put_u32(s, (uint32_t)o->host);
        put_u32(s, o->weight);
        put_u8(s, (uint8_t)((o->in ? 1 : 0) | (o->up ? 2 : 0)));
        put_u64(s, o->incarnation);
        put_str(s, o->addr);
    }
    uint32_t ng = 0;
    for (uint32_t i = 0; i < m->n_osds; i++)
        for (int z = 0; z < PL_MAX_SIZE; z++)
            ng += m->osds[i].ghost[z] != 0;
    put_u32(s, ng);
    for (uint32_t i = 0; i < m->n_osds; i++)
        for (int z = 0; z < PL_MAX_SIZE; z++)
            if (m->osds[i].ghost[z] != 0) {
                put_u32(s, i);
                put_u8(s, (uint8_t)(z + 1));
                put_u32(s, m->osds[i].ghost[z]);
            }
    for (uint32_t i = 0; i < m->n_pools; i++) {
        const pl_pool_t *p = &m->pools[i];
        put_u32(s, p->id);
        put_str(s, p->name);
        put_u32(s, p->pg_num);
        put_u8(s, p->size);
        put_u8(s, p->write_quorum);
        put_u8(s, p->read_quorum);
        put_u8(s, p->fd);
    }
    if (m->n_moving > 0) {
        put_u32(s, m->n_moving);
        for (uint32_t i = 0; i < m->n_moving; i++) {
            const pl_moving_t *e = &m->moving[i];
            put_u32(s, e->pool);
            put_u32(s, e->pg);
            put_u8(s, e->n);
            for (int k = 0; k < e->n; k++)
                put_u32(s, (uint32_t)e->old[k]);
        }
    }
    put_u32(s, s->crc ^ 0xFFFFFFFFu);
}

static void sink_init(sink_t *s, uint8_t *buf, size_t cap)
{
    s->buf = buf;
    s->cap = cap;
    s->pos = 0;
    s->crc = 0xFFFFFFFFu;
    s->fnv = 0xcbf29ce484222325ull;
}

int pl_map_encode(const pl_map_t *m, uint8_t *buf, size_t cap, size_t *len_out)
{
    int rc = pl_map_validate(m, NULL, 0);
    if (rc != TN_OK)
        return rc;
    sink_t s;
    sink_init(&s, buf, cap);
    encode_all(m, &s);
    *len_out = s.pos;
    return s.pos <= cap && buf != NULL ? TN_OK : -ENOSPC;
}

uint64_t pl_map_hash(const pl_map_t *m)
{
    if (pl_map_validate(m, NULL, 0) != TN_OK)
        return 0;
    sink_t s;
    sink_init(&s, NULL, 0);
    encode_all(m, &s);
    return s.fnv;
}

/* ---- decoding: a bounds-checked reader ---- */

typedef struct {
    const uint8_t *p;
    size_t left;
    int bad; /* set once any read ran past the end; further reads return zeros */
} reader_t;

static const uint8_t *take(reader_t *r, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint8_t get_u8(reader_t *r)
{
    const uint8_t *p = take(r, 1);
    return p ? p[0] : 0;
}

static uint16_t get_u16(reader_t *r)
{
    const uint8_t *p = take(r, 2);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

static uint32_t get_u32(reader_t *r)
{
    const uint8_t *p = take(r, 4);
    return p ? pl__le32(p) : 0;
}

static uint64_t get_u64(reader_t *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

/* Reads a length-prefixed string into dst (PL_NAME_MAX bytes) with length in [min, 63] and no
 * NUL inside. Returns 0 or -1. */
static int get_str(reader_t *r, char *dst, size_t min)
{
    uint8_t n = get_u8(r);
    const uint8_t *p = take(r, n);
    if (p == NULL || n < min || n >= PL_NAME_MAX || memchr(p, '\0', n) != NULL)
        return -1;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

static int decode_entries(reader_t *r, pl_map_t *m)
{
    for (uint32_t i = 0; i < m->n_hosts; i++) {
        pl_host_t *h = &m->hosts[i];
        memset(h, 0, sizeof(*h));
        if (get_str(r, h->name, 1) != 0)
            return TN_ERR_CORRUPT;
        h->id = (int32_t)i;
        for (int z = 0; z < PL_MAX_SIZE; z++)
            h->draw[z] = PL_WEIGHT_ONE;
    }
    uint16_t mask = get_u16(r);
    for (uint32_t i = 0; i < m->n_hosts; i++)
        for (int z = 0; z < PL_MAX_SIZE; z++)
            if (mask & (1u << z))
                m->hosts[i].draw[z] = get_u32(r);
    if (r->bad)
        return TN_ERR_CORRUPT;
    /* canonical: every size in the mask has a factor other than 1.0 (and none is 0, which
     * pl_map_validate refuses) */
    if (draw_mask(m) != mask)
        return TN_ERR_CORRUPT;
    for (uint32_t i = 0; i < m->n_osds; i++) {
        pl_osd_t *o = &m->osds[i];
        memset(o, 0, sizeof(*o));
        uint32_t id = get_u32(r), host = get_u32(r);
        o->weight = get_u32(r);
        uint8_t flags = get_u8(r);
        o->incarnation = get_u64(r);
        if (id > PL_MAX_OSD_ID || host >= m->n_hosts || (flags & ~3u) != 0 ||
            get_str(r, o->addr, 0) != 0)
            return TN_ERR_CORRUPT;
        o->id = (int32_t)id;
        o->host = (int32_t)host;
        o->in = flags & 1;
        o->up = (flags >> 1) & 1;
    }
    uint32_t ng = get_u32(r);
    if (r->bad || (uint64_t)ng * GHOST_LEN > r->left)
        return TN_ERR_CORRUPT;
    uint64_t last = 0; /* (index * 32 + size) of the previous entry, strictly increasing */
    for (uint32_t j = 0; j < ng; j++) {
        uint32_t idx = get_u32(r);
        uint8_t size = get_u8(r);
        uint32_t g = get_u32(r);
        uint64_t key = (uint64_t)idx * 32 + size;
        if (r->bad || idx >= m->n_osds || size < 1 || size > PL_MAX_SIZE || g == 0 ||
            g > PL_WEIGHT_ONE || (j > 0 && key <= last))
            return TN_ERR_CORRUPT;
        last = key;
        m->osds[idx].ghost[size - 1] = g;
    }
    for (uint32_t i = 0; i < m->n_pools; i++) {
        pl_pool_t *p = &m->pools[i];
        memset(p, 0, sizeof(*p));
        p->id = get_u32(r);
        if (get_str(r, p->name, 1) != 0)
            return TN_ERR_CORRUPT;
        p->pg_num = get_u32(r);
        p->size = get_u8(r);
        p->write_quorum = get_u8(r);
        p->read_quorum = get_u8(r);
        p->fd = get_u8(r);
    }
    return r->bad ? TN_ERR_CORRUPT : TN_OK;
}

/* The moving section (flags bit 0). */
static int decode_moving(reader_t *r, pl_map_t *m)
{
    uint32_t n = get_u32(r);
    if (r->bad || n == 0 || n > PL_MAX_MOVING || (uint64_t)n * 13 > r->left)
        return TN_ERR_CORRUPT;
    m->moving = malloc(n * sizeof(pl_moving_t));
    if (m->moving == NULL)
        return -ENOMEM;
    m->cap_moving = n;
    for (uint32_t i = 0; i < n; i++) {
        pl_moving_t *e = &m->moving[i];
        memset(e, 0, sizeof(*e));
        e->pool = get_u32(r);
        e->pg = get_u32(r);
        e->n = get_u8(r);
        if (r->bad || e->n < 1 || e->n > PL_MAX_SIZE)
            return TN_ERR_CORRUPT;
        for (int k = 0; k < e->n; k++)
            e->old[k] = (int32_t)get_u32(r);
        if (r->bad)
            return TN_ERR_CORRUPT;
        m->n_moving = i + 1;
    }
    return TN_OK;
}

int pl_map_decode(const uint8_t *buf, size_t len, pl_map_t **out)
{
    *out = NULL;
    if (buf == NULL || len < HEADER_LEN + 4 || len > (size_t)INT32_MAX)
        return TN_ERR_CORRUPT;
    if (memcmp(buf, MAGIC, 4) != 0)
        return TN_ERR_CORRUPT;
    uint32_t want = pl__le32(buf + len - 4);
    uint32_t got =
        crc32_iscsi((unsigned char *)(uintptr_t)buf, (int)(len - 4), 0xFFFFFFFFu) ^ 0xFFFFFFFFu;
    if (want != got)
        return TN_ERR_CHECKSUM;
    reader_t r = {buf + 4, len - 8, 0};
    uint16_t version = get_u16(&r), flags = get_u16(&r);
    if (version != FORMAT_VERSION)
        return TN_ERR_UNSUPPORTED;
    if ((flags & ~1u) != 0)
        return TN_ERR_CORRUPT;
    uint64_t epoch = get_u64(&r);
    uint32_t nh = get_u32(&r), no = get_u32(&r), np = get_u32(&r);
    if (nh > PL_MAX_HOSTS || no > PL_MAX_OSDS || np > PL_MAX_POOLS)
        return TN_ERR_CORRUPT;
    /* Refuse counts the remaining bytes cannot hold before allocating for them. */
    if ((uint64_t)nh * HOST_MIN + DRAW_MASK_LEN + (uint64_t)no * OSD_MIN + GHOST_HDR_LEN +
            (uint64_t)np * POOL_MIN >
        r.left)
        return TN_ERR_CORRUPT;
    pl_map_t *m = pl_map_create();
    if (m == NULL)
        return -ENOMEM;
    m->epoch = epoch;
    m->cap_hosts = nh ? nh : 1;
    m->cap_osds = no ? no : 1;
    m->cap_pools = np ? np : 1;
    m->hosts = malloc(m->cap_hosts * sizeof(pl_host_t));
    m->osds = malloc(m->cap_osds * sizeof(pl_osd_t));
    m->pools = malloc(m->cap_pools * sizeof(pl_pool_t));
    if (m->hosts == NULL || m->osds == NULL || m->pools == NULL) {
        pl_map_destroy(m);
        return -ENOMEM;
    }
    m->n_hosts = nh;
    m->n_osds = no;
    m->n_pools = np;
    int rc = decode_entries(&r, m);
    if (rc == TN_OK && (flags & 1u))
        rc = decode_moving(&r, m);
    if (rc == TN_OK && r.left != 0)
        rc = TN_ERR_CORRUPT; /* trailing bytes */
    if (rc == TN_OK)
        rc = pl_map_validate(m, NULL, 0);
    if (rc != TN_OK) {
        pl_map_destroy(m);
        return rc;
    }
    *out = m;
    return TN_OK;
}
