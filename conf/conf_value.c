/*
 * conf_value.c — the scalar parsers behind conf/'s loader (see conf_value.h): whole numbers,
 * sizes with K/M/G/T suffixes, 16.16 fixed-point weights, host:port addresses, hex strings,
 * and the edit distance that turns an unknown key into a "did you mean" suggestion.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "conf_value.h"
#include "tn_hex.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses the digits at s[0..), stops at the first non-digit (*end). */
static int parse_digits(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;
    int overflow = 0;
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = 1;
        else
            v = v * 10 + d;
    }
    *end = p;
    if (p == s)
        return -EINVAL;
    *out = overflow ? UINT64_MAX : v;
    return overflow ? -ERANGE : 0;
}

int conf__parse_uint(const char *s, uint64_t *out)
{
    const char *end;
    uint64_t v;
    int rc = parse_digits(s, &v, &end);
    if (rc == -EINVAL || *end != '\0')
        return -EINVAL;
    if (rc == -ERANGE)
        return -ERANGE;
    *out = v;
    return 0;
}

int conf__parse_size(const char *s, uint64_t *out)
{
    const char *p;
    uint64_t v;
    int rc = parse_digits(s, &v, &p);
    if (rc == -EINVAL)
        return -EINVAL;
    unsigned shift = 0;
    switch (*p) {
    case 'k':
    case 'K': shift = 10; break;
    case 'm':
    case 'M': shift = 20; break;
    case 'g':
    case 'G': shift = 30; break;
    case 't':
    case 'T': shift = 40; break;
    default: break;
    }
    if (shift != 0) {
        p++;
        if (*p == 'i' && p[1] == 'B')
            p += 2;
        else if (*p == 'B')
            p++;
    } else if (*p == 'B') {
        p++;
    }
    if (*p != '\0')
        return -EINVAL;
    if (rc == -ERANGE || (shift != 0 && v > (UINT64_MAX >> shift)))
        return -ERANGE;
    *out = v << shift;
    return 0;
}

int conf__parse_weight(const char *s, double *w, uint32_t *fixed)
{
    const char *p;
    uint64_t ip, frac = 0, scale = 1;
    int rc = parse_digits(s, &ip, &p);
    if (rc == -EINVAL)
        return -EINVAL;
    if (*p == '.') {
        p++;
        int nd = 0;
        for (; is_digit(*p); p++, nd++) {
            if (nd == 4)
                return -EINVAL;
            frac = frac * 10 + (uint64_t)(*p - '0');
            scale *= 10;
        }
        if (nd == 0)
            return -EINVAL;
    }
    if (*p != '\0')
        return -EINVAL;
    if (rc == -ERANGE || ip > 1000 || (ip == 1000 && frac != 0) || (ip == 0 && frac == 0))
        return -ERANGE;
    uint64_t fx = ip * 65536 + (frac * 65536 + scale / 2) / scale;
    *fixed = (uint32_t)fx;
    *w = (double)ip + (double)frac / (double)scale;
    return 0;
}

static int valid_ipv4(const char *s, size_t len)
{
    char tmp[INET_ADDRSTRLEN];
    unsigned char buf[4];
    if (len >= sizeof(tmp))
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return inet_pton(AF_INET, tmp, buf) == 1;
}

static int valid_ipv6(const char *s, size_t len)
{
    char tmp[INET6_ADDRSTRLEN];
    unsigned char buf[16];
    if (len >= sizeof(tmp))
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return inet_pton(AF_INET6, tmp, buf) == 1;
}

static int valid_dns_name(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!(isalnum((unsigned char)c) || c == '-'))
            return 0;
        if (c == '-' && label == 0)
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0 && s[len - 1] != '-';
}

conf_addr_status_t conf__check_host(const char *s, size_t len, int *is_ipv6)
{
    *is_ipv6 = 0;
    if (len == 0)
        return CONF_ADDR_EMPTY_HOST;
    if (memchr(s, ':', len) != NULL) {
        *is_ipv6 = 1;
        if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
            s++;
            len -= 2;
        }
        return valid_ipv6(s, len) ? CONF_ADDR_OK : CONF_ADDR_BAD_V6;
    }
    if (strspn(s, "0123456789.") >= len)
        return valid_ipv4(s, len) ? CONF_ADDR_OK : CONF_ADDR_BAD_V4;
    return valid_dns_name(s, len) ? CONF_ADDR_OK : CONF_ADDR_BAD_NAME;
}

conf_addr_status_t conf__parse_addr(const char *s, size_t *host_off, size_t *host_len,
                                    uint64_t *port, int *is_ipv6)
{
    const char *colon;
    *is_ipv6 = 0;
    *port = 0;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL)
            return CONF_ADDR_BAD_V6;
        *is_ipv6 = 1;
        *host_off = 1;
        *host_len = (size_t)(close - s) - 1;
        if (close[1] != ':')
            return close[1] == '\0' ? CONF_ADDR_NO_PORT : CONF_ADDR_BAD_V6;
        colon = close + 1;
        if (!valid_ipv6(s + 1, *host_len))
            return CONF_ADDR_BAD_V6;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return CONF_ADDR_NO_PORT;
        *host_off = 0;
        *host_len = (size_t)(colon - s);
        if (memchr(s, ':', *host_len) != NULL)
            return CONF_ADDR_UNBRACKETED_V6;
    }
    /* port first, so "x:70001" complains about the port even if x is also odd */
    const char *end;
    int rc = parse_digits(colon + 1, port, &end);
    if (rc == -EINVAL || *end != '\0')
        return CONF_ADDR_BAD_PORT;
    if (*port < 1 || *port > 65535)
        return CONF_ADDR_PORT_RANGE;
    if (*is_ipv6)
        return CONF_ADDR_OK;
    return conf__check_host(s, *host_len, is_ipv6);
}

int conf__hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    size_t got;
    if (len != 2 * n || tn_hex_decode(s, len, out, n, &got) != TN_OK || got != n)
        return -EINVAL;
    return 0;
}

#define SUGGEST_MAX_LEN 40

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring case.
 * Both strings are at most SUGGEST_MAX_LEN long. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t prev2[SUGGEST_MAX_LEN + 1], prev[SUGGEST_MAX_LEN + 1], cur[SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    memset(prev2, 0, sizeof(prev2));
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            char ca = (char)tolower((unsigned char)a[i - 1]);
            char cb = (char)tolower((unsigned char)b[j - 1]);
            size_t cost = ca == cb ? 0 : 1;
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && ca == (char)tolower((unsigned char)b[j - 2]) &&
                (char)tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        memcpy(prev2, prev, sizeof(prev));
        memcpy(prev, cur, sizeof(cur));
    }
    return prev[lb];
}

const char *conf__suggest(const char *word, const char *const *known)
{
    size_t lw = strlen(word), best_d = 3;
    const char *best = NULL;
    if (lw == 0 || lw > SUGGEST_MAX_LEN)
        return NULL;
    for (size_t i = 0; known[i] != NULL; i++) {
        size_t lk = strlen(known[i]);
        if (lk > SUGGEST_MAX_LEN || (lk > lw ? lk - lw : lw - lk) > 2)
            continue;
        size_t d = edit_distance(word, lw, known[i], lk);
        if (d < best_d && d < lw) {
            best_d = d;
            best = known[i];
        }
    }
    return best;
}
