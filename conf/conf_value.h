/*
 * conf_value.h — conf/'s scalar parsers (numbers, sizes, weights, host:port, hex) and the
 * "did you mean" helper. Pure functions over NUL-terminated strings; exported with the conf__
 * prefix for the loader and the unit tests only.
 */
#ifndef CONF_VALUE_H
#define CONF_VALUE_H

#include <stddef.h>
#include <stdint.h>

/* Plain decimal digits, no sign: 0, -EINVAL (empty or not digits), -ERANGE (> UINT64_MAX). */
int conf__parse_uint(const char *s, uint64_t *out);

/* A size: digits, then optionally K, M, G or T (either case; powers of 1024), optionally followed
 * by "B" or "iB"; or digits followed by "B". 0, -EINVAL, -ERANGE (does not fit in 64 bits). */
int conf__parse_size(const char *s, uint64_t *out);

/* A weight: digits, optionally '.' and 1..4 digits. Sets *w and *fixed = round(w * 65536).
 * 0, -EINVAL (malformed), -ERANGE (0 or above 1000). */
int conf__parse_weight(const char *s, double *w, uint32_t *fixed);

typedef enum {
    CONF_ADDR_OK = 0,
    CONF_ADDR_EMPTY_HOST,     /* ":7001" */
    CONF_ADDR_NO_PORT,        /* "10.0.0.1" */
    CONF_ADDR_BAD_PORT,       /* "10.0.0.1:http" */
    CONF_ADDR_PORT_RANGE,     /* "10.0.0.1:0", "10.0.0.1:70001" */
    CONF_ADDR_UNBRACKETED_V6, /* "::1:7001" */
    CONF_ADDR_BAD_V6,         /* "[::g]:7001" */
    CONF_ADDR_BAD_V4,         /* "300.0.0.1:7001" */
    CONF_ADDR_BAD_NAME,       /* "a_b:7001", "-x:1" */
} conf_addr_status_t;

/* Checks a host without port: IPv4 (digits and dots only), IPv6 (has ':'; brackets allowed
 * when allow_brackets) or DNS name (labels of [A-Za-z0-9-], 1..63 chars, total <= 253). Sets
 * *is_ipv6. Returns CONF_ADDR_OK or the reason. */
conf_addr_status_t conf__check_host(const char *s, size_t len, int *is_ipv6);

/* Splits and checks "host:port" or "[ipv6]:port". On CONF_ADDR_OK, s[*host_off..+*host_len) is
 * the host (without brackets) and *port is 1..65535. *port is set whenever digits were found
 * (UINT64_MAX when they overflow), for messages. */
conf_addr_status_t conf__parse_addr(const char *s, size_t *host_off, size_t *host_len,
                                    uint64_t *port, int *is_ipv6);

/* Decodes exactly 2*n hex digits of s into out[n]. 0 or -EINVAL. */
int conf__hex_decode(const char *s, size_t len, uint8_t *out, size_t n);

/* The entry of known[] (NULL-terminated) closest to word, if close enough to be a likely typo
 * (case-insensitive edit distance with transpositions <= 2, and less than the word's length);
 * else NULL. */
const char *conf__suggest(const char *word, const char *const *known);

#endif
