/* s3_checksum.c — PURE S3 checksums: CRCs via tn_crc, SHA1/SHA256/MD5 via OpenSSL EVP. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <openssl/evp.h>
#include "s3_checksum.h"
#include "tn_crc.h"
#include "tn_hex.h"

static const struct {
    const char *name;
    const char *header;
    const char *xml;
    size_t size;
} algs[S3_CKSUM__COUNT] = {
    [S3_CKSUM_NONE] = {"", NULL, NULL, 0},
    [S3_CKSUM_CRC32] = {"CRC32", "x-amz-checksum-crc32", "ChecksumCRC32", 4},
    [S3_CKSUM_CRC32C] = {"CRC32C", "x-amz-checksum-crc32c", "ChecksumCRC32C", 4},
    [S3_CKSUM_CRC64NVME] = {"CRC64NVME", "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", 8},
    [S3_CKSUM_SHA1] = {"SHA1", "x-amz-checksum-sha1", "ChecksumSHA1", 20},
    [S3_CKSUM_SHA256] = {"SHA256", "x-amz-checksum-sha256", "ChecksumSHA256", 32},
    [S3_CKSUM_MD5] = {"MD5", NULL, NULL, 16},
};

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha1, *md_sha256, *md_md5;

static void fetch_mds(void)
{
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
}

static const EVP_MD *md_for(s3_cksum_alg_t alg)
{
    pthread_once(&md_once, fetch_mds);
    switch (alg) {
    case S3_CKSUM_SHA1: return md_sha1;
    case S3_CKSUM_SHA256: return md_sha256;
    case S3_CKSUM_MD5: return md_md5;
    default: return NULL;
    }
}

static int is_crc(s3_cksum_alg_t alg)
{
    return alg == S3_CKSUM_CRC32 || alg == S3_CKSUM_CRC32C || alg == S3_CKSUM_CRC64NVME;
}

static int valid(s3_cksum_alg_t alg)
{
    return alg > S3_CKSUM_NONE && alg < S3_CKSUM__COUNT;
}

size_t s3_checksum_size(s3_cksum_alg_t alg)
{
    return valid(alg) ? algs[alg].size : 0;
}

const char *s3_checksum_name(s3_cksum_alg_t alg)
{
    return valid(alg) ? algs[alg].name : "";
}

const char *s3_checksum_header(s3_cksum_alg_t alg)
{
    return valid(alg) ? algs[alg].header : NULL;
}

const char *s3_checksum_xml_name(s3_cksum_alg_t alg)
{
    return valid(alg) ? algs[alg].xml : NULL;
}

static int ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y)
            return 0;
    }
    return 1;
}

s3_cksum_alg_t s3_checksum_parse_name(const char *s, size_t len)
{
    for (int a = S3_CKSUM_CRC32; a <= S3_CKSUM_SHA256; a++)
        if (ieq(s, len, algs[a].name))
            return (s3_cksum_alg_t)a;
    return S3_CKSUM_NONE;
}

s3_cksum_alg_t s3_checksum_parse_header(const char *name, size_t len)
{
    for (int a = S3_CKSUM_CRC32; a <= S3_CKSUM_SHA256; a++)
        if (ieq(name, len, algs[a].header))
            return (s3_cksum_alg_t)a;
    return S3_CKSUM_NONE;
}

int s3_checksum_init(s3_checksum_t *c, s3_cksum_alg_t alg)
{
    memset(c, 0, sizeof(*c));
    if (!valid(alg))
        return -EINVAL;
    c->alg = alg;
    if (is_crc(alg))
        return TN_OK;
    const EVP_MD *md = md_for(alg);
    if (md == NULL)
        return -ENOMEM; /* provider unavailable (e.g. MD5 under FIPS) */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return -ENOMEM;
    if (!EVP_DigestInit_ex2(ctx, md, NULL)) {
        EVP_MD_CTX_free(ctx);
        return -ENOMEM;
    }
    c->md = ctx;
    return TN_OK;
}

void s3_checksum_update(s3_checksum_t *c, const void *p, size_t n)
{
    if (n == 0)
        return;
    c->len += n;
    switch (c->alg) {
    case S3_CKSUM_CRC32: c->crc = tn_crc32((uint32_t)c->crc, p, n); break;
    case S3_CKSUM_CRC32C: c->crc = tn_crc32c((uint32_t)c->crc, p, n); break;
    case S3_CKSUM_CRC64NVME: c->crc = tn_crc64nvme(c->crc, p, n); break;
    default:
        if (c->md == NULL || !EVP_DigestUpdate(c->md, p, n))
            c->failed = 1;
        break;
    }
}

static void put_be(uint8_t *out, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *in, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | in[i];
    return v;
}

void s3_checksum_reset(s3_checksum_t *c)
{
    c->crc = 0;
    c->len = 0;
    c->failed = 0;
    if (c->md != NULL && !EVP_DigestInit_ex2(c->md, NULL, NULL))
        c->failed = 1;
}

size_t s3_checksum_final(s3_checksum_t *c, uint8_t raw[S3_CKSUM_MAX_RAW])
{
    size_t n = s3_checksum_size(c->alg);
    if (n == 0)
        return 0;
    if (is_crc(c->alg)) {
        put_be(raw, c->crc, n);
    } else {
        unsigned int outl = 0;
        if (c->failed || c->md == NULL || !EVP_DigestFinal_ex(c->md, raw, &outl) || outl != n) {
            s3_checksum_reset(c);
            return 0;
        }
    }
    s3_checksum_reset(c);
    return n;
}

void s3_checksum_free(s3_checksum_t *c)
{
    EVP_MD_CTX_free(c->md);
    c->md = NULL;
}

size_t s3_checksum_oneshot(s3_cksum_alg_t alg, const void *buf, size_t len,
                           uint8_t raw[S3_CKSUM_MAX_RAW])
{
    s3_checksum_t c;
    if (s3_checksum_init(&c, alg) != TN_OK)
        return 0;
    s3_checksum_update(&c, buf, len);
    size_t n = s3_checksum_final(&c, raw);
    s3_checksum_free(&c);
    return n;
}

size_t s3_checksum_text(const uint8_t *raw, size_t raw_len, unsigned parts,
                        char out[S3_CKSUM_MAX_TEXT])
{
    if (raw_len > S3_CKSUM_MAX_RAW)
        raw_len = S3_CKSUM_MAX_RAW;
    size_t n = tn_base64_encode(out, raw, raw_len);
    if (parts > 0) {
        char digits[12];
        size_t d = 0;
        do {
            digits[d++] = (char)('0' + parts % 10);
            parts /= 10;
        } while (parts > 0);
        out[n++] = '-';
        while (d > 0)
            out[n++] = digits[--d];
        out[n] = '\0';
    }
    return n;
}

int s3_checksum_decode(s3_cksum_alg_t alg, const char *text, size_t len,
                       uint8_t raw[S3_CKSUM_MAX_RAW])
{
    size_t want = s3_checksum_size(alg), got = 0;
    if (want == 0 || len != TN_BASE64_ENCODED_LEN(want))
        return TN_ERR_CORRUPT;
    if (tn_base64_decode(text, len, raw, S3_CKSUM_MAX_RAW, &got) != TN_OK || got != want)
        return TN_ERR_CORRUPT;
    return TN_OK;
}

int s3_checksum_decode_object(s3_cksum_alg_t alg, const char *text, size_t len,
                              uint8_t raw[S3_CKSUM_MAX_RAW], unsigned *parts)
{
    size_t dash = 0;
    while (dash < len && text[dash] != '-')
        dash++;
    *parts = 0;
    if (dash < len) {
        size_t nd = len - dash - 1;
        if (nd == 0 || nd > 5 || text[dash + 1] == '0')
            return TN_ERR_CORRUPT;
        unsigned n = 0;
        for (size_t i = dash + 1; i < len; i++) {
            if (text[i] < '0' || text[i] > '9')
                return TN_ERR_CORRUPT;
            n = n * 10 + (unsigned)(text[i] - '0');
        }
        if (n > 10000)
            return TN_ERR_CORRUPT;
        *parts = n;
    }
    return s3_checksum_decode(alg, text, dash, raw);
}

int s3_checksum_combine(s3_cksum_alg_t alg, const uint8_t *raw1, const uint8_t *raw2, uint64_t len2,
                        uint8_t out[8])
{
    switch (alg) {
    case S3_CKSUM_CRC32:
        put_be(out, tn_crc32_combine((uint32_t)get_be(raw1, 4), (uint32_t)get_be(raw2, 4), len2),
               4);
        return TN_OK;
    case S3_CKSUM_CRC32C:
        put_be(out, tn_crc32c_combine((uint32_t)get_be(raw1, 4), (uint32_t)get_be(raw2, 4), len2),
               4);
        return TN_OK;
    case S3_CKSUM_CRC64NVME:
        put_be(out, tn_crc64nvme_combine(get_be(raw1, 8), get_be(raw2, 8), len2), 8);
        return TN_OK;
    default: return -EINVAL;
    }
}

int s3_multihash_init(s3_multihash_t *m, int want_md5, s3_cksum_alg_t extra, int want_sha256)
{
    memset(m, 0, sizeof(*m));
    if ((want_md5 && s3_checksum_init(&m->md5, S3_CKSUM_MD5) != TN_OK) ||
        (extra != S3_CKSUM_NONE && s3_checksum_init(&m->extra, extra) != TN_OK) ||
        (want_sha256 && s3_checksum_init(&m->sha256, S3_CKSUM_SHA256) != TN_OK)) {
        s3_multihash_free(m);
        return -ENOMEM;
    }
    return TN_OK;
}

#define MULTIHASH_SLICE (64 * 1024)

void s3_multihash_update(s3_multihash_t *m, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        size_t k = TN_MIN(n, (size_t)MULTIHASH_SLICE);
        if (m->md5.alg != S3_CKSUM_NONE)
            s3_checksum_update(&m->md5, b, k);
        if (m->extra.alg != S3_CKSUM_NONE)
            s3_checksum_update(&m->extra, b, k);
        if (m->sha256.alg != S3_CKSUM_NONE)
            s3_checksum_update(&m->sha256, b, k);
        b += k;
        n -= k;
    }
}

void s3_multihash_free(s3_multihash_t *m)
{
    s3_checksum_free(&m->md5);
    s3_checksum_free(&m->extra);
    s3_checksum_free(&m->sha256);
}
