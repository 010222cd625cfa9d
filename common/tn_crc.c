/*
 * tn_crc.c — CRC-32C and CRC-32 over ISA-L, CRC-64/NVME of our own (slice-by-8 tables and a
 * PCLMULQDQ folding version picked at run time), and GF(2) combine for all three.
 *
 * Representation used throughout (the "reflected" convention, as in zlib): a W-bit register
 * value v stands for the polynomial sum(v_i * x^(W-1-i)), i.e. bit W-1 is x^0 and bit 0 is
 * x^(W-1). Multiplying by x is then a right shift, with the polynomial xored in when the bit
 * shifted out (x^(W-1)) becomes x^W.
 */
#include <limits.h>
#include <string.h>
#include <isa-l/crc.h>
#include "tn_crc.h"

#define POLY_CRC32C 0x82F63B78u
#define POLY_CRC32  0xEDB88320u
#define POLY_CRC64  0x9A6C9329AC4BC9B5ull

/* ---- GF(2) arithmetic modulo a CRC polynomial, reflected representation ---- */

/* a * b mod P, for W-bit CRCs: top = 1 << (W-1) is x^0. */
static uint64_t gf_mul(uint64_t a, uint64_t b, uint64_t poly, uint64_t top)
{
    uint64_t p = 0;
    for (uint64_t m = top; m != 0 && a != 0; m >>= 1) {
        if (a & m) {
            p ^= b;
            a ^= m;
        }
        b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
    }
    return p;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* base^e mod P by square-and-multiply: O(log e) multiplications (PCLMUL fold constants). */
static uint64_t gf_pow(uint64_t base, uint64_t e, uint64_t poly, uint64_t top)
{
    uint64_t r = top; /* x^0 */
    while (e != 0) {
        if (e & 1)
            r = gf_mul(r, base, poly, top);
        e >>= 1;
        if (e != 0)
            base = gf_mul(base, base, poly, top);
    }
    return r;
}
#endif

/*
 * x^(8 * 2^k) mod P for k = 0..63, one table per polynomial (zlib's x2n_table idea): x^(8*len)
 * is the product of the entries for the set bits of len, so a combine costs popcount(len)
 * multiplications instead of a square-and-multiply ladder.
 */
static uint64_t x8pow2_crc32c[64], x8pow2_crc32[64], x8pow2_crc64[64];
static int tables_ready;
static void tables_build(void);

static void x8pow2_build(uint64_t *t, uint64_t poly, uint64_t top)
{
    t[0] = top >> 8; /* x^8 */
    for (int k = 1; k < 64; k++)
        t[k] = gf_mul(t[k - 1], t[k - 1], poly, top);
}

/*
 * crc(A||B) = crc(A) * x^(8*len(B)) + crc(B) (mod P): the pre- and post-inversions cancel
 * because both CRCs use init = xorout = all ones.
 */
static uint64_t combine(const uint64_t *t, uint64_t crc1, uint64_t crc2, uint64_t len2,
                        uint64_t poly, uint64_t top)
{
    if (!tables_ready)
        tables_build(); /* only reachable from another constructor, before main() */
    for (int k = 0; len2 != 0; k++, len2 >>= 1)
        if (len2 & 1)
            crc1 = gf_mul(t[k], crc1, poly, top);
    return crc1 ^ crc2;
}

uint32_t tn_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
    return (uint32_t)combine(x8pow2_crc32c, crc1, crc2, len2, POLY_CRC32C, 1ull << 31);
}

uint32_t tn_crc32_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
    return (uint32_t)combine(x8pow2_crc32, crc1, crc2, len2, POLY_CRC32, 1ull << 31);
}

uint64_t tn_crc64nvme_combine(uint64_t crc1, uint64_t crc2, uint64_t len2)
{
    return combine(x8pow2_crc64, crc1, crc2, len2, POLY_CRC64, 1ull << 63);
}

/* ---- CRC-32C and CRC-32 over ISA-L ---- */

uint32_t tn_crc32c(uint32_t crc, const void *buf, size_t len)
{
    /* crc32_iscsi neither inverts nor takes more than INT_MAX bytes at once. */
    const size_t step = (size_t)1 << 30;
    unsigned char *p = (unsigned char *)(uintptr_t)buf; /* ISA-L's prototype lacks const */
    uint32_t r = ~crc;
    while (len > 0) {
        size_t n = len < step ? len : step;
        r = crc32_iscsi(p, (int)n, r);
        p += n;
        len -= n;
    }
    return ~r;
}

uint32_t tn_crc32(uint32_t crc, const void *buf, size_t len)
{
    if (len == 0)
        return crc;
    return crc32_gzip_refl(crc, buf, (uint64_t)len);
}

/* ---- CRC-64/NVME: slice-by-8 ---- */

static uint64_t crc64_tab[8][256];
static int crc64_clmul; /* CPU has PCLMULQDQ and SSE4.1 */

static uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static void tables_build(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint64_t v = b;
        for (int k = 0; k < 8; k++)
            v = (v & 1) ? (v >> 1) ^ POLY_CRC64 : v >> 1;
        crc64_tab[0][b] = v;
    }
    for (unsigned b = 0; b < 256; b++)
        for (int t = 1; t < 8; t++) {
            uint64_t v = crc64_tab[t - 1][b];
            crc64_tab[t][b] = (v >> 8) ^ crc64_tab[0][v & 0xff];
        }
    x8pow2_build(x8pow2_crc32c, POLY_CRC32C, 1ull << 31);
    x8pow2_build(x8pow2_crc32, POLY_CRC32, 1ull << 31);
    x8pow2_build(x8pow2_crc64, POLY_CRC64, 1ull << 63);
    tables_ready = 1;
}

/* Advances the raw (un-inverted) register over buf. */
static uint64_t crc64_update(uint64_t r, const uint8_t *p, size_t len)
{
    if (!tables_ready)
        tables_build(); /* only reachable from another constructor, before main() */
    while (len >= 8) {
        r ^= load_le64(p);
        r = crc64_tab[7][r & 0xff] ^ crc64_tab[6][(r >> 8) & 0xff] ^
            crc64_tab[5][(r >> 16) & 0xff] ^ crc64_tab[4][(r >> 24) & 0xff] ^
            crc64_tab[3][(r >> 32) & 0xff] ^ crc64_tab[2][(r >> 40) & 0xff] ^
            crc64_tab[1][(r >> 48) & 0xff] ^ crc64_tab[0][r >> 56];
        p += 8;
        len -= 8;
    }
    while (len-- > 0)
        r = (r >> 8) ^ crc64_tab[0][(r ^ *p++) & 0xff];
    return r;
}

uint64_t tn__crc64nvme_table(uint64_t crc, const void *buf, size_t len)
{
    return ~crc64_update(~crc, buf, len);
}

/* ---- CRC-64/NVME: PCLMULQDQ folding (x86-64) ---- */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_CLMUL_CODE 1

/*
 * Folding. A 16-byte block loaded little-endian into an xmm register holds a polynomial of
 * degree < 128 with bit j standing for x^(127-j): the low qword h holds the high-degree half
 * (h(x) * x^64), the high qword l the low half. Moving a block D bits forward multiplies it by
 * x^D: h * x^(D+64) + l * x^D. A carry-less product of two reflected 64-bit values comes out
 * one bit short (bit k stands for x^(126-k)), so the constants are x^(D+63) and x^(D-1)
 * mod P, which makes each product land exactly in the 128-bit block layout.
 */
static uint64_t k512_lo, k512_hi, k128_lo, k128_hi;

__attribute__((target("pclmul,sse4.1"))) static __m128i fold(__m128i a, __m128i k)
{
    __m128i lo = _mm_clmulepi64_si128(a, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(a, k, 0x11);
    return _mm_xor_si128(lo, hi);
}

__attribute__((target("pclmul,sse4.1"))) static uint64_t clmul_update(uint64_t r, const uint8_t *p,
                                                                      size_t len)
{
    if (len < 64)
        return crc64_update(r, p, len);
    const __m128i k512 = _mm_set_epi64x((long long)k512_hi, (long long)k512_lo);
    const __m128i k128 = _mm_set_epi64x((long long)k128_hi, (long long)k128_lo);
    /* The register's value is folded into the first 8 message bytes; from then on the
     * message is processed with a zero register. */
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)p),
                               _mm_cvtsi64_si128((long long)r));
    __m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    p += 64;
    len -= 64;
    while (len >= 64) {
        x0 = _mm_xor_si128(fold(x0, k512), _mm_loadu_si128((const __m128i *)(const void *)p));
        x1 =
            _mm_xor_si128(fold(x1, k512), _mm_loadu_si128((const __m128i *)(const void *)(p + 16)));
        x2 =
            _mm_xor_si128(fold(x2, k512), _mm_loadu_si128((const __m128i *)(const void *)(p + 32)));
        x3 =
            _mm_xor_si128(fold(x3, k512), _mm_loadu_si128((const __m128i *)(const void *)(p + 48)));
        p += 64;
        len -= 64;
    }
    __m128i x = _mm_xor_si128(fold(x0, k128), x1);
    x = _mm_xor_si128(fold(x, k128), x2);
    x = _mm_xor_si128(fold(x, k128), x3);
    while (len >= 16) {
        x = _mm_xor_si128(fold(x, k128), _mm_loadu_si128((const __m128i *)(const void *)p));
        p += 16;
        len -= 16;
    }
    /* x is now a 16-byte message equivalent to everything so far; finish with the table. */
    uint8_t tmp[16];
    _mm_storeu_si128((__m128i *)(void *)tmp, x);
    return crc64_update(crc64_update(0, tmp, sizeof(tmp)), p, len);
}

static void clmul_init(void)
{
    const uint64_t top = 1ull << 63, x1 = top >> 1;
    k512_lo = gf_pow(x1, 512 + 63, POLY_CRC64, top);
    k512_hi = gf_pow(x1, 512 - 1, POLY_CRC64, top);
    k128_lo = gf_pow(x1, 128 + 63, POLY_CRC64, top);
    k128_hi = gf_pow(x1, 128 - 1, POLY_CRC64, top);
    __builtin_cpu_init();
    crc64_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}
#endif

uint64_t tn__crc64nvme_clmul(uint64_t crc, const void *buf, size_t len)
{
#ifdef HAVE_CLMUL_CODE
    return ~clmul_update(~crc, buf, len);
#else
    return tn__crc64nvme_table(crc, buf, len);
#endif
}

int tn__crc64nvme_has_clmul(void)
{
    return crc64_clmul;
}

uint64_t tn_crc64nvme(uint64_t crc, const void *buf, size_t len)
{
#ifdef HAVE_CLMUL_CODE
    if (crc64_clmul)
        return ~clmul_update(~crc, buf, len);
#endif
    return ~crc64_update(~crc, buf, len);
}

__attribute__((constructor)) static void tn_crc_init(void)
{
    if (!tables_ready)
        tables_build();
#ifdef HAVE_CLMUL_CODE
    clmul_init();
#endif
}
