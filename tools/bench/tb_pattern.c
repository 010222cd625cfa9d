/*
 * tb_pattern.c — tern-bench's deterministic object bodies (see tb_pattern.h).
 */
#include "tb_pattern.h"

#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int tb_pattern_init(tb_pattern_t *p)
{
    p->buf = malloc(TB_PATTERN_PERIOD);
    if (p->buf == NULL)
        return -1;
    uint64_t s = UINT64_C(0x7465726e2d62656e); /* "tern-ben" */
    for (size_t i = 0; i < TB_PATTERN_PERIOD; i += 8) {
        uint64_t r = splitmix64(&s);
        size_t n = TB_PATTERN_PERIOD - i < 8 ? TB_PATTERN_PERIOD - i : 8;
        memcpy(p->buf + i, &r, n);
    }
    return 0;
}

void tb_pattern_free(tb_pattern_t *p)
{
    free(p->buf);
    p->buf = NULL;
}

size_t tb_pattern_offset(const char *key, size_t key_len, uint64_t size)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < key_len; i++) {
        h ^= (uint8_t)key[i];
        h *= UINT64_C(0x100000001b3);
    }
    for (int i = 0; i < 8; i++) {
        h ^= (uint8_t)(size >> (8 * i));
        h *= UINT64_C(0x100000001b3);
    }
    return (size_t)(h % TB_PATTERN_PERIOD);
}

void tb_pattern_copy(const tb_pattern_t *p, size_t off, uint64_t pos, void *dst, size_t n)
{
    uint8_t *d = dst;
    size_t at = (size_t)((off + pos % TB_PATTERN_PERIOD) % TB_PATTERN_PERIOD);
    while (n > 0) {
        size_t run = TB_PATTERN_PERIOD - at;
        if (run > n)
            run = n;
        memcpy(d, p->buf + at, run);
        d += run;
        n -= run;
        at = 0;
    }
}

int tb_pattern_check(const tb_pattern_t *p, size_t off, uint64_t pos, const void *src, size_t n)
{
    const uint8_t *s = src;
    size_t at = (size_t)((off + pos % TB_PATTERN_PERIOD) % TB_PATTERN_PERIOD);
    while (n > 0) {
        size_t run = TB_PATTERN_PERIOD - at;
        if (run > n)
            run = n;
        if (memcmp(s, p->buf + at, run) != 0)
            return 0;
        s += run;
        n -= run;
        at = 0;
    }
    return 1;
}
