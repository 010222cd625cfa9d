/*
 * test_pl_map_codec.c — map encode/decode: round trips of random maps, canonical bytes,
 * pl_map_hash, -ENOSPC sizing, and rejection of malformed inputs (every truncation, every
 * single-bit flip, and structurally wrong inputs with a valid CRC).
 */
#include <errno.h>
#include <stdlib.h>

#include <isa-l/crc.h>

#include "test.h"
#include "placement.h"
#include "pl_test_util.h"

/* Field-by-field equality of two maps (ignoring capacities). */
static int maps_equal(const pl_map_t *a, const pl_map_t *b)
{
    if (a->epoch != b->epoch || a->n_hosts != b->n_hosts || a->n_osds != b->n_osds ||
        a->n_pools != b->n_pools)
        return 0;
    for (uint32_t i = 0; i < a->n_hosts; i++)
        if (strcmp(a->hosts[i].name, b->hosts[i].name) != 0 || a->hosts[i].id != b->hosts[i].id ||
            memcmp(a->hosts[i].draw, b->hosts[i].draw, sizeof(a->hosts[i].draw)) != 0)
            return 0;
    for (uint32_t i = 0; i < a->n_osds; i++) {
        const pl_osd_t *x = &a->osds[i], *y = &b->osds[i];
        if (x->id != y->id || x->host != y->host || x->weight != y->weight || x->in != y->in ||
            x->up != y->up || x->incarnation != y->incarnation || strcmp(x->addr, y->addr) != 0 ||
            memcmp(x->ghost, y->ghost, sizeof(x->ghost)) != 0)
            return 0;
    }
    for (uint32_t i = 0; i < a->n_pools; i++) {
        const pl_pool_t *x = &a->pools[i], *y = &b->pools[i];
        if (x->id != y->id || strcmp(x->name, y->name) != 0 || x->pg_num != y->pg_num ||
            x->size != y->size || x->write_quorum != y->write_quorum ||
            x->read_quorum != y->read_quorum || x->fd != y->fd)
            return 0;
    }
    return 1;
}

/* Encodes into a new buffer (caller frees), via the -ENOSPC sizing protocol. */
static uint8_t *encode(const pl_map_t *m, size_t *len)
{
    size_t need = 0;
    if (pl_map_encode(m, NULL, 0, &need) != -ENOSPC)
        return NULL;
    uint8_t *buf = malloc(need);
    if (buf == NULL || pl_map_encode(m, buf, need, len) != TN_OK || *len != need) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void fix_crc(uint8_t *buf, size_t len)
{
    uint32_t c = crc32_iscsi(buf, (int)(len - 4), 0xFFFFFFFFu) ^ 0xFFFFFFFFu;
    for (int i = 0; i < 4; i++)
        buf[len - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
}

static pl_map_t *fixture(void)
{
    pl_map_t *m = pl_map_create();
    m->epoch = 0x0102030405060708ull;
    pl_map_add_host(m, "host0");
    pl_map_add_host(m, "host1");
    pl_map_add_osd(m, 3, 0, 0x18000, "10.0.0.1:7001");
    pl_map_add_osd(m, 1, 1, PL_WEIGHT_ONE, "");
    pl_map_set_osd_in(m, 1, 0);
    pl_map_set_osd_up(m, 3, 0);
    pl_map_set_osd_incarnation(m, 3, 0xdeadbeefcafef00dull);
    pl_map_add_pool(m, 7, "meta", 16, 2, 2, 1, PL_FD_OSD);
    return m;
}

static void test_round_trip(void)
{
    pl_map_t *m = fixture();
    size_t len = 0;
    uint8_t *buf = encode(m, &len);
    ok(buf != NULL, "encode");
    /* header 28 + hosts 2*(1+5) + draw mask 2 + osds 2*22 + 13 + 0 + ghosts 4 + pool 14+3 +
     * crc 4 */
    is_uint(len, 28 + 12 + 2 + 44 + 13 + 4 + 17 + 4, "encoded length as documented");
    is_mem(buf, "TPLM\x02\x00\x00\x00\x08\x07\x06\x05\x04\x03\x02\x01\x02\x00\x00\x00", 20,
           "header bytes");
    pl_map_t *d = NULL;
    is_int(pl_map_decode(buf, len, &d), TN_OK, "decode");
    ok(d != NULL && maps_equal(m, d), "decoded map equals the original");
    size_t len2 = 0;
    uint8_t *buf2 = d ? encode(d, &len2) : NULL;
    ok(buf2 != NULL && len2 == len && memcmp(buf, buf2, len) == 0, "re-encoding is identical");
    is_uint(pl_map_hash(m), pl_map_hash(d), "same map, same hash");
    ok(pl_map_hash(m) != 0, "hash nonzero");
    d->osds[0].up = 1;
    ok(pl_map_hash(m) != pl_map_hash(d), "an up flag changes the hash");
    d->osds[0].up = 0;
    strcpy(d->osds[1].addr, "x:1");
    ok(pl_map_hash(m) != pl_map_hash(d), "an address changes the hash");
    d->epoch++;
    ok(pl_map_hash(m) != pl_map_hash(d), "the epoch changes the hash");
    size_t small = 0;
    is_int(pl_map_encode(m, buf2, len - 1, &small), -ENOSPC, "short buffer");
    is_uint(small, len, "needed length reported");
    m->osds[0].in = 5;
    is_int(pl_map_encode(m, buf2, len, &small), TN_ERR_CORRUPT, "invalid map not encoded");
    is_uint(pl_map_hash(m), 0, "invalid map hashes to 0");
    free(buf);
    free(buf2);
    pl_map_destroy(d);
    pl_map_destroy(m);

    uint64_t s = 11;
    int good = 0;
    for (int i = 0; i < 50; i++) {
        pl_map_t *r = plt_random_map(&s, 3, 30, 8, 1 + (uint32_t)(plt_next(&s) % 4096));
        r->epoch = plt_next(&s);
        pl_map_set_osd_in(r, 0, 0);
        pl_map_set_osd_incarnation(r, 1, plt_next(&s));
        size_t l = 0;
        uint8_t *b = encode(r, &l);
        pl_map_t *rd = NULL;
        good += b != NULL && pl_map_decode(b, l, &rd) == TN_OK && maps_equal(r, rd) &&
                pl_map_hash(r) == pl_map_hash(rd);
        free(b);
        pl_map_destroy(rd);
        pl_map_destroy(r);
    }
    is_int(good, 50, "50 random maps round-trip");

    /* draw factors and ghosts: rebalanced maps with OSDs marked out */
    good = 0;
    int with_ghosts = 0, ghost_bad = 0;
    for (int i = 0; i < 10; i++) {
        pl_map_t *r = plt_random_map(&s, 4, 12, 6, 256);
        pl_map_add_pool(r, 9, "two", 64, 2, 1, 1, PL_FD_HOST);
        pl_map_rebalance(r);
        pl_map_set_osd_in(r, 0, 0);
        pl_map_set_osd_in(r, 2, 0);
        with_ghosts += r->osds[0].ghost[2] == PL_WEIGHT_ONE || r->osds[2].ghost[2] == PL_WEIGHT_ONE;
        size_t l = 0;
        uint8_t *b = encode(r, &l);
        pl_map_t *rd = NULL;
        good += b != NULL && pl_map_decode(b, l, &rd) == TN_OK && maps_equal(r, rd) &&
                pl_map_hash(r) == pl_map_hash(rd);
        if (b != NULL && rd != NULL) { /* a ghost on an in OSD is refused */
            rd->osds[1].ghost[2] = 7;
            ghost_bad += pl_map_encode(rd, b, l, &l) == TN_ERR_CORRUPT;
        }
        free(b);
        pl_map_destroy(rd);
        pl_map_destroy(r);
    }
    is_int(good, 10, "10 rebalanced maps with ghosts round-trip");
    ok(with_ghosts > 0, "marking an OSD out of a rebalanced map gives it a full ghost");
    is_int(ghost_bad, 10, "a ghost weight on an in OSD is invalid");

    pl_map_t *e = pl_map_create();
    uint8_t *eb = encode(e, &len);
    pl_map_t *ed = NULL;
    ok(eb != NULL && len == 38 && pl_map_decode(eb, len, &ed) == TN_OK && ed->n_osds == 0,
       "empty map round-trips (38 bytes)");
    free(eb);
    pl_map_destroy(ed);
    pl_map_destroy(e);
}

static void test_malformed(void)
{
    pl_map_t *m = fixture();
    size_t len = 0;
    uint8_t *buf = encode(m, &len);
    uint8_t *t = malloc(len + 8);
    pl_map_t *d = NULL;
    int accepted = 0;
    for (size_t n = 0; n < len; n++) {
        memcpy(t, buf, n);
        accepted += pl_map_decode(t, n, &d) == TN_OK;
        if (n >= 32) { /* also with a CRC that matches the truncated body */
            fix_crc(t, n);
            accepted += pl_map_decode(t, n, &d) == TN_OK;
        }
    }
    is_int(accepted, 0, "every truncation is rejected");
    ok(d == NULL, "*out stays NULL on failure");
    int flips = 0, wrong = 0;
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(t, buf, len);
            t[i] ^= (uint8_t)(1u << bit);
            int rc = pl_map_decode(t, len, &d);
            flips += rc != TN_OK;
            wrong += rc != TN_OK && rc != TN_ERR_CHECKSUM && rc != TN_ERR_CORRUPT;
        }
    is_int(flips, (int)len * 8, "every single-bit flip is rejected");
    is_int(wrong, 0, "bit flips fail as checksum or corrupt errors");

    /* structurally wrong with a valid CRC */
    struct {
        size_t off;
        uint8_t val;
        int want;
        const char *what;
    } cases[] = {
        {4, 1, TN_ERR_UNSUPPORTED, "format version 1"},
        {4, 3, TN_ERR_UNSUPPORTED, "format version 3"},
        {40, 4, TN_ERR_CORRUPT, "draw mask bit without factors"},
        {99, 1, TN_ERR_CORRUPT, "ghost count without entries"},
        {6, 1, TN_ERR_CORRUPT, "nonzero flags"},
        {16, 3, TN_ERR_CORRUPT, "n_hosts larger than the data"},
        {19, 0x80, TN_ERR_CORRUPT, "huge n_hosts"},
        {20, 0xff, TN_ERR_CORRUPT, "n_osds larger than the data"},
        {28, 0, TN_ERR_CORRUPT, "empty host name"},
        {28, 64, TN_ERR_CORRUPT, "host name length 64"},
        {29, 0, TN_ERR_CORRUPT, "NUL inside a host name"},
        {39, '0', TN_ERR_CORRUPT, "duplicate host name"},
        {46, 5, TN_ERR_CORRUPT, "OSD host index out of range"},
        {44, 0x20, TN_ERR_CORRUPT, "OSD id above PL_MAX_OSD_ID"},
        {54, 4, TN_ERR_CORRUPT, "unknown OSD flag bit"},
        {63, 63, TN_ERR_CORRUPT, "address length past its field"},
        {63, 64, TN_ERR_CORRUPT, "address length 64"},
        {77, 3, TN_ERR_CORRUPT, "duplicate OSD id"},
        {107, 0, TN_ERR_CORRUPT, "empty pool name"},
        {112, 0, TN_ERR_CORRUPT, "pool pg_num 0"},
        {114, 1, TN_ERR_CORRUPT, "pool pg_num 65552"},
        {116, 0, TN_ERR_CORRUPT, "pool size 0"},
        {117, 3, TN_ERR_CORRUPT, "write quorum > size"},
        {118, 0, TN_ERR_CORRUPT, "read quorum 0"},
        {119, 2, TN_ERR_CORRUPT, "unknown failure domain"},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(cases); i++) {
        memcpy(t, buf, len);
        t[cases[i].off] = cases[i].val;
        fix_crc(t, len);
        is_int(pl_map_decode(t, len, &d), cases[i].want, cases[i].what);
    }
    memcpy(t, buf, len);
    t[0] = 'X';
    fix_crc(t, len);
    is_int(pl_map_decode(t, len, &d), TN_ERR_CORRUPT, "bad magic");
    /* trailing garbage before the CRC */
    memcpy(t, buf, len - 4);
    t[len - 4] = 0;
    fix_crc(t, len + 4);
    is_int(pl_map_decode(t, len + 4, &d), TN_ERR_CORRUPT, "trailing bytes");
    is_int(pl_map_decode(NULL, 100, &d), TN_ERR_CORRUPT, "NULL buffer");
    free(t);
    free(buf);
    pl_map_destroy(m);
}

int main(void)
{
    subtest("round trip", test_round_trip);
    subtest("malformed", test_malformed);
    return tt_done();
}
