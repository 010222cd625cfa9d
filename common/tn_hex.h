/*
 * tn_hex.h — PURE byte/text encodings: hex, base64 and URI percent-encoding (SigV4 rules).
 *
 * Conventions: encoders write into caller buffers and NUL-terminate; decoders are strict
 * (any malformed input is an error, never silently skipped) and return TN_OK,
 * TN_ERR_CORRUPT (malformed input) or TN_ERR_TOO_BIG (output buffer too small).
 * No allocation, no locale.
 */
#ifndef TN_HEX_H
#define TN_HEX_H

#include "tern.h"

/* Hex: writes 2*len digits plus a NUL to out (so out needs 2*len+1 bytes). */
void tn_hex_encode(char *out, const void *in, size_t len);       /* lowercase */
void tn_hex_encode_upper(char *out, const void *in, size_t len); /* uppercase */
/* Decodes len hex digits (either case; len must be even) into out[cap]; *outlen = len/2. */
int tn_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen);
/* Value of one hex digit, or -1. */
int tn_hex_digit(int c);

/* Base64, standard alphabet (A-Z a-z 0-9 + /) with '=' padding (RFC 4648 section 4). */
#define TN_BASE64_ENCODED_LEN(n) (4 * (((n) + 2) / 3))
/* Writes TN_BASE64_ENCODED_LEN(len) characters plus a NUL; returns the length written. */
size_t tn_base64_encode(char *out, const void *in, size_t len);
/* Strict decode: length a multiple of 4, only alphabet characters, padding only at the end
 * ("xx==" or "xxx="), and the unused low bits of the last symbol must be zero (so every
 * byte string has exactly one accepted encoding). Whitespace is an error. Empty input
 * decodes to zero bytes. */
int tn_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen);

/*
 * URI percent-encoding as SigV4 defines it: the unreserved characters A-Z a-z 0-9 - _ . ~
 * are kept, every other byte becomes %XX with uppercase hex; '/' is kept unless
 * encode_slash is set (path: keep; query names and values: encode).
 * Returns the full encoded length (excluding the NUL), like snprintf: the output is complete
 * and NUL-terminated only if the return value is < cap (cap 0 allowed for measuring).
 */
size_t tn_uri_encode(const char *in, size_t len, char *out, size_t cap, int encode_slash);
/* Is c kept literally by tn_uri_encode? */
int tn_uri_unreserved(int c);

/*
 * Percent-decoding, strict: '%' must be followed by two hex digits (either case), else
 * TN_ERR_CORRUPT. If plus_is_space, '+' decodes to ' ' (HTML-form query strings); otherwise
 * '+' is kept literally (S3 object keys in the path). Every other byte is copied as is
 * (including bytes that should have been encoded, e.g. a raw space). The output is never
 * longer than the input, so cap >= len always suffices and out may equal in (in place).
 * Writes a NUL if room remains after the decoded bytes. %00 decodes to a NUL byte: callers
 * that need C strings must check *outlen.
 */
int tn_uri_decode(const char *in, size_t len, char *out, size_t cap, int plus_is_space,
                  size_t *outlen);

#endif
