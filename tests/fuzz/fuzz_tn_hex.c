/* Fuzz target for common/tn_hex.c: strict decoders accept only canonical encodings, so
 * decode-then-encode must give the input back; percent-decoding never grows the data. */
#include <stdlib.h>
#include <string.h>
#include "tn_hex.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    uint8_t *dec = malloc(size + 1);
    char *enc = malloc(3 * size + 8);
    if (dec == NULL || enc == NULL)
        goto out;
    size_t n;
    if (tn_base64_decode(s, size, dec, size, &n) == TN_OK) {
        size_t m = tn_base64_encode(enc, dec, n);
        CHECK(m == size && memcmp(enc, s, size) == 0);
    }
    if (tn_hex_decode(s, size, dec, size, &n) == TN_OK) {
        tn_hex_encode(enc, dec, n);
        for (size_t i = 0; i < size; i++)
            CHECK(enc[i] == s[i] || enc[i] == s[i] + 32); /* decoder accepts uppercase */
    }
    for (int plus = 0; plus < 2; plus++) {
        if (tn_uri_decode(s, size, (char *)dec, size + 1, plus, &n) == TN_OK) {
            CHECK(n <= size);
            size_t m = tn_uri_encode((char *)dec, n, enc, 3 * size + 8, 1);
            CHECK(m <= 3 * n && strlen(enc) == m);
            for (size_t i = 0; i < m; i++)
                CHECK(tn_uri_unreserved((unsigned char)enc[i]) || enc[i] == '%' ||
                      (enc[i] >= 'A' && enc[i] <= 'F'));
        }
    }
out:
    free(dec);
    free(enc);
    return 0;
}
