/*
 * Unit tests for common/tn_crc.c: check values, agreement with bit-at-a-time reference
 * implementations, chaining at every split, the PCLMUL CRC-64 against the table version on
 * random buffers, lengths and alignments, lengths over INT_MAX, and the combine functions
 * (random splits, empty parts, a 5 GiB logical object).
 */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <sys/mman.h>
#include "tn_crc.h"
#include "test.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so failures reproduce */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

/* Bit-at-a-time reflected CRC with init = xorout = all ones (width 32 or 64). */
static uint64_t ref_crc(uint64_t poly, int width, uint64_t crc, const uint8_t *p, size_t n)
{
    uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
    uint64_t r = ~crc & mask;
    for (size_t i = 0; i < n; i++) {
        r ^= p[i];
        for (int k = 0; k < 8; k++)
            r = (r & 1) ? (r >> 1) ^ poly : r >> 1;
    }
    return ~r & mask;
}

#define REF32C(c, p, n) ((uint32_t)ref_crc(0x82F63B78u, 32, (c), (p), (n)))
#define REF32(c, p, n)  ((uint32_t)ref_crc(0xEDB88320u, 32, (c), (p), (n)))
#define REF64(c, p, n)  ref_crc(0x9A6C9329AC4BC9B5ull, 64, (c), (p), (n))

static void test_check_values(void)
{
    const char *s = "123456789";
    is_uint(tn_crc32c(0, s, 9), 0xe3069283u, "crc32c check value");
    is_uint(tn_crc32(0, s, 9), 0xcbf43926u, "crc32 check value");
    is_uint(tn_crc64nvme(0, s, 9), 0xae8b14860a799888ull, "crc64nvme check value");
    is_uint(tn__crc64nvme_table(0, s, 9), 0xae8b14860a799888ull, "crc64nvme table check value");
    is_uint(tn__crc64nvme_clmul(0, s, 9), 0xae8b14860a799888ull, "crc64nvme clmul check value");
    is_uint(tn_crc32c(0, NULL, 0), 0, "crc32c of nothing");
    is_uint(tn_crc32(0, NULL, 0), 0, "crc32 of nothing");
    is_uint(tn_crc64nvme(0, NULL, 0), 0, "crc64nvme of nothing");
    is_uint(tn_crc32c(0x12345678, NULL, 0), 0x12345678, "crc32c of nothing keeps the value");
    is_uint(tn_crc32(0x12345678, NULL, 0), 0x12345678, "crc32 of nothing keeps the value");
    is_uint(tn_crc64nvme(0x1234, NULL, 0), 0x1234, "crc64nvme of nothing keeps the value");
    uint8_t zeros[32] = {0};
    is_uint(tn_crc32c(0, zeros, 32), 0x8a9136aau, "crc32c of 32 zero bytes (RFC 3720)");
    uint8_t ones[32];
    memset(ones, 0xff, sizeof(ones));
    is_uint(tn_crc32c(0, ones, 32), 0x62a8ab43u, "crc32c of 32 0xff bytes (RFC 3720)");
}

static void test_reference(void)
{
    static uint8_t buf[4096 + 64];
    fill(buf, sizeof(buf));
    int bad32c = 0, bad32 = 0, bad64 = 0, bad64t = 0;
    for (int t = 0; t < 400; t++) {
        size_t off = rnd() % 64, n = rnd() % 4097;
        uint64_t seed = rnd();
        uint32_t s32 = (uint32_t)seed;
        bad32c += tn_crc32c(s32, buf + off, n) != REF32C(s32, buf + off, n);
        bad32 += tn_crc32(s32, buf + off, n) != REF32(s32, buf + off, n);
        bad64 += tn_crc64nvme(seed, buf + off, n) != REF64(seed, buf + off, n);
        bad64t += tn__crc64nvme_table(seed, buf + off, n) != REF64(seed, buf + off, n);
    }
    is_int(bad32c, 0, "crc32c agrees with the bitwise reference (random seeds, lengths, offsets)");
    is_int(bad32, 0, "crc32 agrees with the bitwise reference");
    is_int(bad64, 0, "crc64nvme agrees with the bitwise reference");
    is_int(bad64t, 0, "crc64nvme table agrees with the bitwise reference");
}

static void test_chaining(void)
{
    uint8_t buf[300];
    fill(buf, sizeof(buf));
    uint32_t w32c = tn_crc32c(0, buf, sizeof(buf)), w32 = tn_crc32(0, buf, sizeof(buf));
    uint64_t w64 = tn_crc64nvme(0, buf, sizeof(buf));
    int bad = 0;
    for (size_t a = 0; a <= sizeof(buf); a++) {
        bad += tn_crc32c(tn_crc32c(0, buf, a), buf + a, sizeof(buf) - a) != w32c;
        bad += tn_crc32(tn_crc32(0, buf, a), buf + a, sizeof(buf) - a) != w32;
        bad += tn_crc64nvme(tn_crc64nvme(0, buf, a), buf + a, sizeof(buf) - a) != w64;
        bad += tn__crc64nvme_clmul(tn__crc64nvme_clmul(0, buf, a), buf + a, sizeof(buf) - a) != w64;
    }
    is_int(bad, 0, "chaining at every split point gives the one-shot value");
}

static void test_clmul_vs_table(void)
{
    if (!tn__crc64nvme_has_clmul()) {
        printf("# skip: CPU has no PCLMULQDQ\n");
        return;
    }
    size_t cap = 1 << 17;
    uint8_t *buf = malloc(cap + 64);
    ok(buf != NULL, "allocated");
    if (buf == NULL)
        return;
    fill(buf, cap + 64);
    int bad = 0;
    for (int t = 0; t < 3000; t++) {
        size_t off = rnd() % 64;
        /* mostly short lengths around the 16/64-byte block edges, some long ones */
        size_t n = (t % 10 == 0) ? rnd() % cap : rnd() % 300;
        uint64_t seed = (t & 1) ? rnd() : 0;
        bad += tn__crc64nvme_clmul(seed, buf + off, n) != tn__crc64nvme_table(seed, buf + off, n);
    }
    for (size_t n = 0; n <= 260; n++)
        bad += tn__crc64nvme_clmul(0, buf, n) != tn__crc64nvme_table(0, buf, n);
    is_int(bad, 0, "PCLMUL CRC-64 equals the table version on random buffers");
    is_uint(tn_crc64nvme(0, buf, cap), tn__crc64nvme_table(0, buf, cap), "dispatch uses it");
    free(buf);
}

/* Lengths over INT_MAX (and over 4 GiB, so a 32-bit truncation cannot pass by luck):
 * crc32_iscsi takes an int, tn_crc32c must loop. Mostly-zero pages of an anonymous mapping cost
 * no memory; a few bytes are set so the data is not trivial. */
static void test_over_int_max(void)
{
    size_t n = ((size_t)1 << 32) + 4097;
    uint8_t *p =
        mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        printf("# skip: cannot map %zu bytes\n", n);
        return;
    }
    p[0] = 1;
    p[12345] = 0x55;
    p[(size_t)1 << 30] = 0xaa;
    p[(size_t)INT_MAX] = 7;
    p[(size_t)1 << 32] = 9;
    p[n - 1] = 0xee;
    size_t a = (size_t)INT_MAX - 5, b = (size_t)INT_MAX - 9, c = n - a - b;
    uint32_t pieces = tn_crc32c(tn_crc32c(tn_crc32c(0, p, a), p + a, b), p + a + b, c);
    is_uint(tn_crc32c(0, p, n), pieces, "crc32c over INT_MAX bytes equals the chained pieces");
    uint32_t z = tn_crc32(tn_crc32(0, p, a), p + a, n - a);
    is_uint(tn_crc32(0, p, n), z, "crc32 over INT_MAX bytes equals the chained pieces");
    is_uint(tn_crc32c_combine(tn_crc32c(0, p, a), tn_crc32c(0, p + a, n - a), n - a), pieces,
            "crc32c combine over INT_MAX bytes");
    munmap(p, n);
}

static void test_combine_random(void)
{
    static uint8_t buf[8192];
    fill(buf, sizeof(buf));
    int bad = 0;
    for (int t = 0; t < 500; t++) {
        size_t n = rnd() % sizeof(buf);
        size_t a = t % 7 == 0 ? 0 : t % 7 == 1 ? n : (n ? rnd() % (n + 1) : 0);
        size_t b = n - a;
        bad += tn_crc32c_combine(tn_crc32c(0, buf, a), tn_crc32c(0, buf + a, b), b) !=
               tn_crc32c(0, buf, n);
        bad += tn_crc32_combine(tn_crc32(0, buf, a), tn_crc32(0, buf + a, b), b) !=
               tn_crc32(0, buf, n);
        bad += tn_crc64nvme_combine(tn_crc64nvme(0, buf, a), tn_crc64nvme(0, buf + a, b), b) !=
               tn_crc64nvme(0, buf, n);
    }
    is_int(bad, 0, "combine(crc(A), crc(B), len B) == crc(A||B) for random splits");
    is_uint(tn_crc32c_combine(0xdeadbeef, 0, 0), 0xdeadbeef, "crc32c combine with empty B");
    is_uint(tn_crc64nvme_combine(0x0123456789abcdefull, 0, 0), 0x0123456789abcdefull,
            "crc64 combine with empty B");
    is_uint(tn_crc32_combine(0, 0x1234, 10), 0x1234, "crc32 combine with empty A");

    /* three parts, as a multipart upload would */
    size_t l1 = 1000, l2 = 3000, l3 = 4192;
    uint64_t c = tn_crc64nvme(0, buf, l1);
    c = tn_crc64nvme_combine(c, tn_crc64nvme(0, buf + l1, l2), l2);
    c = tn_crc64nvme_combine(c, tn_crc64nvme(0, buf + l1 + l2, l3), l3);
    is_uint(c, tn_crc64nvme(0, buf, l1 + l2 + l3), "crc64 combine of three parts");
}

/* A 5 GiB object made of one 1 MiB block repeated 5120 times: the direct CRC is computed by
 * chaining over the same buffer (no 5 GiB allocation) and compared with combine applied
 * part by part and by doubling. */
static void test_combine_5gib(void)
{
    const size_t blk = (size_t)1 << 20;
    const int reps = 5120;
    uint8_t *b = malloc(blk);
    ok(b != NULL, "allocated");
    if (b == NULL)
        return;
    fill(b, blk);
    uint32_t d32c = 0, d32 = 0;
    uint64_t d64 = 0;
    for (int i = 0; i < reps; i++) {
        d32c = tn_crc32c(d32c, b, blk);
        d32 = tn_crc32(d32, b, blk);
        d64 = tn_crc64nvme(d64, b, blk);
    }
    uint32_t k32c = tn_crc32c(0, b, blk), k32 = tn_crc32(0, b, blk);
    uint64_t k64 = tn_crc64nvme(0, b, blk);
    /* part by part, as Complete would with 5120 parts of 1 MiB */
    uint32_t s32c = k32c, s32 = k32;
    uint64_t s64 = k64;
    for (int i = 1; i < reps; i++) {
        s32c = tn_crc32c_combine(s32c, k32c, blk);
        s32 = tn_crc32_combine(s32, k32, blk);
        s64 = tn_crc64nvme_combine(s64, k64, blk);
    }
    is_uint(s32c, d32c, "crc32c of 5 GiB by 5120 combines");
    is_uint(s32, d32, "crc32 of 5 GiB by 5120 combines");
    is_uint(s64, d64, "crc64nvme of 5 GiB by 5120 combines");
    /* by doubling: 5120 = 4096 + 1024 blocks, exercising len2 of 4 GiB */
    uint64_t p64 = k64, len = blk, c1024 = 0;
    uint32_t p32c = k32c, c1024_32c = 0;
    for (int i = 0; i < 12; i++) {
        if (len == 1024 * blk) {
            c1024 = p64;
            c1024_32c = p32c;
        }
        p64 = tn_crc64nvme_combine(p64, p64, len);
        p32c = tn_crc32c_combine(p32c, p32c, len);
        len *= 2;
    }
    is_uint(len, 4096 * blk, "doubled to 4 GiB");
    is_uint(tn_crc64nvme_combine(p64, c1024, 1024 * blk), d64, "crc64nvme 5 GiB by doubling");
    is_uint(tn_crc32c_combine(c1024_32c, p32c, 4096 * blk), d32c, "crc32c 5 GiB, len2 = 4 GiB");
    free(b);
}

int main(void)
{
    subtest("check values", test_check_values);
    subtest("bitwise reference", test_reference);
    subtest("chaining", test_chaining);
    subtest("pclmul vs table", test_clmul_vs_table);
    subtest("over INT_MAX and 4 GiB", test_over_int_max);
    subtest("combine random", test_combine_random);
    subtest("combine 5 GiB", test_combine_5gib);
    return tt_done();
}
