/* Fuzz target for common/tn_metrics.c's renderer: any bytes as a label value and as HELP text
 * (up to the first NUL) must give exactly the expected lines (no raw newline escapes), and the
 * label value must read back unchanged after undoing the three escapes; any double (8 bytes of
 * the input) must be spelt so that strtod reads it back, or as NaN/+Inf/-Inf. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tn_metrics.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    double d;
    memcpy(&d, data, 8);
    char num[32];
    tn_metrics_fmt_double(num, d);
    if (isnan(d))
        CHECK(strcmp(num, "NaN") == 0);
    else if (isinf(d))
        CHECK(strcmp(num, d > 0 ? "+Inf" : "-Inf") == 0);
    else
        CHECK(strtod(num, NULL) == d);
    char *s = malloc(size - 8 + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data + 8, size - 8);
    s[size - 8] = '\0'; /* the value is a C string: up to the first NUL */
    tn_mbuf_t b;
    tn_mbuf_init(&b);
    tn_metrics_family(&b, "m", TN_MT_GAUGE, s);
    tn_label_t l[] = {{"k", s}};
    tn_metrics_f64(&b, "m", l, 1, d);
    if (b.err == 0) {
        size_t lines = 0;
        for (size_t i = 0; i < b.len; i++)
            lines += b.p[i] == '\n';
        CHECK(lines == 3 && b.p[b.len - 1] == '\n');
        /* the sample line: m{k="..."} value */
        const char *p = strstr(b.p, "\nm{k=\"");
        CHECK(p != NULL);
        p += 6;
        size_t n = 0, vlen = strlen(s);
        for (; *p != '"'; p++, n++) {
            char c = *p;
            if (c == '\\') {
                p++;
                c = *p == 'n' ? '\n' : *p;
                CHECK(*p == 'n' || *p == '\\' || *p == '"');
            }
            CHECK(n < vlen && s[n] == c);
        }
        CHECK(n == vlen);
        CHECK(strncmp(p, "\"} ", 3) == 0 && strncmp(p + 3, num, strlen(num)) == 0);
    }
    tn_mbuf_free(&b);
    free(s);
    return 0;
}
