/*
 * test_tb_pattern.c — tern-bench's deterministic bodies: chunked copy equals one copy,
 * check accepts the right body in any chunking and rejects wrong keys, sizes, offsets and
 * single flipped bytes, and the body is the same across runs (fixed seed).
 */
#include "tb_pattern.h"
#include "test.h"

static tb_pattern_t p;

static void test_copy_check(void)
{
    const size_t size = 3 * TB_PATTERN_PERIOD + 12345; /* wraps the period three times */
    uint8_t *a = malloc(size), *b = malloc(size);
    ok(a && b, "alloc");
    size_t off = tb_pattern_offset("tb-00000001", 11, size);
    ok(off < TB_PATTERN_PERIOD, "offset inside the period");
    tb_pattern_copy(&p, off, 0, a, size);
    /* chunked in odd pieces */
    size_t pos = 0, step = 1;
    while (pos < size) {
        size_t n = size - pos < step ? size - pos : step;
        tb_pattern_copy(&p, off, pos, b + pos, n);
        pos += n;
        step = step * 3 + 7;
    }
    is_mem(a, b, size, "chunked copy == whole copy");
    ok(tb_pattern_check(&p, off, 0, a, size), "whole body checks");
    int all = 1;
    for (pos = 0; pos < size; pos += 65536) {
        size_t n = size - pos < 65536 ? size - pos : 65536;
        all &= tb_pattern_check(&p, off, pos, a + pos, n);
    }
    ok(all, "body checks in 64 KiB chunks");
    /* byte i of the body is period[(off + i) % PERIOD] */
    ok(a[0] == p.buf[off], "first byte");
    ok(a[TB_PATTERN_PERIOD] == p.buf[off], "periodic");
    a[size / 2] ^= 1;
    ok(!tb_pattern_check(&p, off, 0, a, size), "a flipped byte fails");
    a[size / 2] ^= 1;
    ok(!tb_pattern_check(&p, off, 1, a, size - 1), "a shifted body fails");
    size_t other = tb_pattern_offset("tb-00000002", 11, size);
    ok(other != off, "another key, another offset");
    ok(!tb_pattern_check(&p, other, 0, a, 4096), "another key's body fails");
    size_t resized = tb_pattern_offset("tb-00000001", 11, size + 1);
    ok(resized != off, "another size, another offset");
    free(a);
    free(b);
}

static void test_stable(void)
{
    /* Fixed seed: the first bytes of the period never change (a body written by one build
     * must verify with the next). */
    static const uint8_t want[8] = {0};
    uint8_t first[8];
    memcpy(first, p.buf, 8);
    ok(memcmp(first, want, 8) != 0, "period is not zeros");
    tb_pattern_t q;
    ok(tb_pattern_init(&q) == 0, "second init");
    is_mem(q.buf, p.buf, TB_PATTERN_PERIOD, "same period every time");
    tb_pattern_free(&q);
    is_uint(tb_pattern_offset("", 0, 0), UINT64_C(0xa8c7f832281a39c5) % TB_PATTERN_PERIOD,
            "FNV-1a of eight zero bytes");
}

int main(void)
{
    if (tb_pattern_init(&p) != 0)
        return 1;
    subtest("copy and check", test_copy_check);
    subtest("stable", test_stable);
    tb_pattern_free(&p);
    return tt_done();
}
