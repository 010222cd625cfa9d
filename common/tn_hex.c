/* tn_hex.c — PURE hex, base64 and SigV4 URI percent-encoding (see tn_hex.h). */
#include <string.h>
#include "tn_hex.h"

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

static void hex_encode(char *out, const uint8_t *in, size_t len, const char *digits)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void tn_hex_encode(char *out, const void *in, size_t len)
{
    hex_encode(out, in, len, hex_lower);
}

void tn_hex_encode_upper(char *out, const void *in, size_t len)
{
    hex_encode(out, in, len, hex_upper);
}

int tn_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tn_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    if (len % 2 != 0)
        return TN_ERR_CORRUPT;
    if (len / 2 > cap)
        return TN_ERR_TOO_BIG;
    for (size_t i = 0; i < len; i += 2) {
        int hi = tn_hex_digit((unsigned char)in[i]), lo = tn_hex_digit((unsigned char)in[i + 1]);
        if (hi < 0 || lo < 0)
            return TN_ERR_CORRUPT;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *outlen = len / 2;
    return TN_OK;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t tn_base64_encode(char *out, const void *in_, size_t len)
{
    const uint8_t *in = in_;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int tn_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    if (len % 4 != 0)
        return TN_ERR_CORRUPT;
    size_t pad = 0;
    if (len > 0 && in[len - 1] == '=')
        pad = (len > 1 && in[len - 2] == '=') ? 2 : 1;
    size_t n = len / 4 * 3 - pad;
    if (n > cap)
        return TN_ERR_TOO_BIG;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int last = (i + 4 == len);
        int v[4];
        for (int k = 0; k < 4; k++) {
            if (last && (size_t)k >= 4 - pad) {
                v[k] = 0; /* padding position, checked to be '=' above for the tail */
                continue;
            }
            v[k] = b64_value((unsigned char)in[i + k]);
            if (v[k] < 0)
                return TN_ERR_CORRUPT;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | v[3];
        if (last && pad == 2) {
            if (w & 0xFFFF) /* non-zero unused bits: not the canonical encoding */
                return TN_ERR_CORRUPT;
            out[o++] = (uint8_t)(w >> 16);
        } else if (last && pad == 1) {
            if (w & 0xFF)
                return TN_ERR_CORRUPT;
            out[o++] = (uint8_t)(w >> 16);
            out[o++] = (uint8_t)(w >> 8);
        } else {
            out[o++] = (uint8_t)(w >> 16);
            out[o++] = (uint8_t)(w >> 8);
            out[o++] = (uint8_t)w;
        }
    }
    *outlen = o;
    return TN_OK;
}

int tn_uri_unreserved(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

size_t tn_uri_encode(const char *in, size_t len, char *out, size_t cap, int encode_slash)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (tn_uri_unreserved(c) || (c == '/' && !encode_slash)) {
            if (o + 1 < cap)
                out[o] = (char)c;
            o++;
        } else {
            if (o + 3 < cap) {
                out[o] = '%';
                out[o + 1] = hex_upper[c >> 4];
                out[o + 2] = hex_upper[c & 15];
            }
            o += 3;
        }
    }
    if (o < cap)
        out[o] = '\0';
    else if (cap > 0)
        out[cap - 1] = '\0'; /* truncated: still a C string, but the caller must check */
    return o;
}

int tn_uri_decode(const char *in, size_t len, char *out, size_t cap, int plus_is_space,
                  size_t *outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%') {
            if (len - i < 3)
                return TN_ERR_CORRUPT;
            int hi = tn_hex_digit((unsigned char)in[i + 1]);
            int lo = tn_hex_digit((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0)
                return TN_ERR_CORRUPT;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (o >= cap)
            return TN_ERR_TOO_BIG;
        out[o++] = c;
    }
    if (o < cap)
        out[o] = '\0';
    *outlen = o;
    return TN_OK;
}
