/*
 * mg_resume.c — the skip decision of reruns and --verify (see mg_resume.h).
 */
#include "mg_resume.h"

#include <stdio.h>
#include <string.h>

void mg_crc32c_text(uint32_t crc, char out[13])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t b[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
    uint32_t v = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
    out[0] = b64[(v >> 18) & 63];
    out[1] = b64[(v >> 12) & 63];
    out[2] = b64[(v >> 6) & 63];
    out[3] = b64[v & 63];
    v = (uint32_t)b[3] << 16;
    out[4] = b64[(v >> 18) & 63];
    out[5] = b64[(v >> 12) & 63];
    out[6] = '=';
    out[7] = '=';
    out[8] = '\0';
}

/* The ETag's hex digest between the quotes: 1 and the MD5 if it is a plain MD5. */
static int etag_md5(const char *etag, uint8_t md5[16])
{
    const char *p = etag;
    size_t n = strlen(p);
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        p++;
        n -= 2;
    }
    if (n != 32)
        return 0;
    for (int i = 0; i < 16; i++) {
        unsigned v;
        char h[3] = {p[2 * i], p[2 * i + 1], 0};
        if (sscanf(h, "%2x", &v) != 1 || strchr("0123456789abcdefABCDEF", h[0]) == NULL ||
            strchr("0123456789abcdefABCDEF", h[1]) == NULL)
            return 0;
        md5[i] = (uint8_t)v;
    }
    return 1;
}

mg_resume_t mg_resume_decide(const mg_remote_t *r, const mg_local_t *l)
{
    if (!r->found || r->size != l->size)
        return MG_RESUME_SEND;
    if (r->crc32c[0] != '\0' && strchr(r->crc32c, '-') == NULL &&
        strcmp(r->cksum_type, "COMPOSITE") != 0) {
        char t[13];
        mg_crc32c_text(l->crc32c, t);
        return strcmp(t, r->crc32c) == 0 ? MG_RESUME_SAME : MG_RESUME_SEND;
    }
    uint8_t md5[16];
    if (etag_md5(r->etag, md5)) {
        if (!l->has_md5)
            return MG_RESUME_NEED_MD5;
        return memcmp(md5, l->md5, 16) == 0 ? MG_RESUME_SAME : MG_RESUME_SEND;
    }
    return MG_RESUME_UNPROVABLE;
}
