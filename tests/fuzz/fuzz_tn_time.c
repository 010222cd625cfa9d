/* Fuzz target for common/tn_time.c: every parser on the input; whatever parses must format
 * back and re-parse to the same instant (and the fixed formats to the same text). */
#include <stdlib.h>
#include <string.h>
#include "tn_time.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char out[64];
    int64_t t, u;
    if (tn_time_parse_amz(s, size, &t) == TN_OK) {
        CHECK(tn_time_format_amz(t, out) == TN_OK);
        CHECK(size == TN_TIME_AMZ_LEN && memcmp(out, s, size) == 0);
    }
    if (tn_time_parse_date8(s, size, &t) == TN_OK) {
        CHECK(tn_time_format_date8(t, out) == TN_OK && memcmp(out, s, 8) == 0);
        CHECK(t % 86400 == 0);
    }
    if (tn_time_parse_iso(s, size, &t) == TN_OK) {
        CHECK(tn_time_format_iso_ms(t, out) == TN_OK);
        CHECK(tn_time_parse_iso(out, TN_TIME_ISO_LEN, &u) == TN_OK && u == t);
    }
    if (tn_time_parse_http(s, size, &t) == TN_OK) {
        CHECK(tn_time_format_http(t, out) == TN_OK);
        CHECK(tn_time_parse_http(out, TN_TIME_HTTP_LEN, &u) == TN_OK && u == t);
        tn_civil_t c;
        tn_time_to_civil(t, &c);
        CHECK(c.year >= 1 && c.year <= 9999);
    }
    /* arbitrary instants: civil round trip */
    if (size >= 8) {
        int64_t x = 0;
        memcpy(&x, data, 8);
        x %= 400000000000LL; /* about +-12,000 years */
        tn_civil_t c;
        tn_time_to_civil(x, &c);
        if (c.year >= 1 && c.year <= 9999) {
            CHECK(tn_time_from_civil(&c, &u) == TN_OK && u == x);
            CHECK(tn_time_format_http(x, out) == TN_OK);
            CHECK(tn_time_parse_http(out, TN_TIME_HTTP_LEN, &u) == TN_OK && u == x);
        }
        CHECK(tn_time_weekday(x) >= 0 && tn_time_weekday(x) < 7);
    }
    return 0;
}
