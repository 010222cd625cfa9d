/* Fuzz target for tools/bench/tb_http.c: any bytes, fed whole or split in two at a point the
 * first byte picks, give the same outcome (consumed count, state, status, body bytes); the
 * head buffer is never overrun. */
#include <stdlib.h>
#include <string.h>
#include "tb_http.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

typedef struct {
    uint64_t n, sum;
} acc_t;

static void on_body(void *arg, const char *d, size_t n)
{
    acc_t *a = arg;
    a->n += n;
    for (size_t i = 0; i < n; i++)
        a->sum = a->sum * 31 + (unsigned char)d[i];
}

static void on_header(void *arg, const char *line, size_t n)
{
    (void)arg;
    CHECK(memchr(line, '\n', n) == NULL);
}

static tb_http_resp_t r1, r2;

static long run(tb_http_resp_t *r, const char *d, size_t n, size_t split, int head, acc_t *a)
{
    tb_http_begin(r, head);
    if (split == 0 || split >= n)
        return tb_http_feed(r, d, n, on_body, on_header, a);
    long x = tb_http_feed(r, d, split, on_body, on_header, a);
    if (x < 0 || (size_t)x < split)
        return x;
    long y = tb_http_feed(r, d + split, n - split, on_body, on_header, a);
    return y < 0 ? y : x + y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int head = data[0] & 1;
    size_t split = data[0] >> 1;
    const char *d = (const char *)data + 1;
    size_t n = size - 1;
    acc_t a1 = {0, 0}, a2 = {0, 0};
    long k1 = run(&r1, d, n, 0, head, &a1);
    long k2 = run(&r2, d, n, split, head, &a2);
    CHECK(k1 <= (long)n && k2 <= (long)n && (k1 < 0) == (k2 < 0));
    CHECK(r1.head_len <= TB_HTTP_HEAD_MAX && r2.head_len <= TB_HTTP_HEAD_MAX);
    if (k1 >= 0 && k2 >= 0) {
        CHECK(k1 == k2 && r1.state == r2.state && r1.status == r2.status &&
              r1.keep_alive == r2.keep_alive);
        CHECK(a1.n == a2.n && a1.sum == a2.sum);
    }
    return 0;
}
