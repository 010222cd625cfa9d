/*
 * mg_listing.c — tables built from S3 listing answers (see mg_listing.h).
 */
#define _GNU_SOURCE
#include "mg_listing.h"

#include <stdlib.h>
#include <string.h>

#include "mg_resume.h"
#include "s3c_xml.h"

#define KEY_CAP 4096 /* a 1,024-byte key, percent-encoded, with room */

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    void *nv = realloc(*v, nc * elem);
    if (nv == NULL)
        return -1;
    *v = nv;
    *cap = nc;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (*s == '\0')
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int truncated_of(const char *xml, size_t len)
{
    char t[8];
    return s3c_xml_text(xml, len, "IsTruncated", 0, t, sizeof t) > 0 && strcmp(t, "true") == 0;
}

int mg_objs_add_page(mg_objs_t *t, const char *xml, size_t len, int *truncated, char *token,
                     size_t cap)
{
    char key[KEY_CAP], num[32];
    size_t pos = 0, bl;
    const char *b;
    int url =
        s3c_xml_text(xml, len, "EncodingType", 0, num, sizeof num) == 3 && strcmp(num, "url") == 0;
    while (s3c_xml_next(xml, len, &pos, "Contents", &b, &bl)) {
        uint64_t size;
        if (s3c_xml_text(b, bl, "Key", url, key, sizeof key) <= 0 ||
            s3c_xml_text(b, bl, "Size", 0, num, sizeof num) <= 0 || parse_u64(num, &size) != 0)
            return -1;
        if (grow((void **)&t->v, &t->cap, t->n, sizeof *t->v) != 0)
            return -1;
        char *k = strdup(key);
        if (k == NULL)
            return -1;
        mg_obj_t *o = &t->v[t->n++];
        *o = (mg_obj_t){.key = k, .size = size};
        if (s3c_xml_text(b, bl, "ETag", 0, o->etag, sizeof o->etag) < 0)
            o->etag[0] = '\0';
        t->sorted = 0;
    }
    *truncated = truncated_of(xml, len);
    token[0] = '\0';
    if (*truncated && s3c_xml_text(xml, len, "NextContinuationToken", 0, token, cap) <= 0)
        return -1;
    return 0;
}

static int cmp_obj(const void *a, const void *b)
{
    return strcmp(((const mg_obj_t *)a)->key, ((const mg_obj_t *)b)->key);
}

void mg_objs_sort(mg_objs_t *t)
{
    if (t->n > 1)
        qsort(t->v, t->n, sizeof *t->v, cmp_obj);
    t->sorted = 1;
}

const mg_obj_t *mg_objs_find(const mg_objs_t *t, const char *key)
{
    if (!t->sorted || t->n == 0)
        return NULL;
    mg_obj_t probe = {.key = (char *)key};
    return bsearch(&probe, t->v, t->n, sizeof *t->v, cmp_obj);
}

void mg_objs_free(mg_objs_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].key);
    free(t->v);
    memset(t, 0, sizeof *t);
}

int mg_uploads_add_page(mg_uploads_t *t, const char *xml, size_t len, int *truncated,
                        char *next_key, size_t key_cap, char *next_id, size_t id_cap)
{
    char key[KEY_CAP], enc[8];
    size_t pos = 0, bl;
    const char *b;
    int url =
        s3c_xml_text(xml, len, "EncodingType", 0, enc, sizeof enc) == 3 && strcmp(enc, "url") == 0;
    while (s3c_xml_next(xml, len, &pos, "Upload", &b, &bl)) {
        if (grow((void **)&t->v, &t->cap, t->n, sizeof *t->v) != 0)
            return -1;
        mg_upload_t *u = &t->v[t->n];
        memset(u, 0, sizeof *u);
        if (s3c_xml_text(b, bl, "Key", url, key, sizeof key) <= 0 ||
            s3c_xml_text(b, bl, "UploadId", 0, u->id, sizeof u->id) <= 0)
            return -1;
        if (s3c_xml_text(b, bl, "Initiated", 0, u->initiated, sizeof u->initiated) < 0)
            u->initiated[0] = '\0';
        u->key = strdup(key);
        if (u->key == NULL)
            return -1;
        t->n++;
    }
    *truncated = truncated_of(xml, len);
    next_key[0] = next_id[0] = '\0';
    if (*truncated) {
        if (s3c_xml_text(xml, len, "NextKeyMarker", url, next_key, key_cap) <= 0)
            return -1;
        if (s3c_xml_text(xml, len, "NextUploadIdMarker", 0, next_id, id_cap) < 0)
            next_id[0] = '\0';
    }
    return 0;
}

void mg_uploads_free(mg_uploads_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].key);
    free(t->v);
    memset(t, 0, sizeof *t);
}

int mg_parts_add_page(mg_parts_t *t, const char *xml, size_t len, int *truncated,
                      uint32_t *next_marker)
{
    char num[32], alg[16], type[16];
    size_t pos = 0, bl;
    const char *b;
    t->crc32c_full = s3c_xml_text(xml, len, "ChecksumAlgorithm", 0, alg, sizeof alg) > 0 &&
                     s3c_xml_text(xml, len, "ChecksumType", 0, type, sizeof type) > 0 &&
                     strcmp(alg, "CRC32C") == 0 && strcmp(type, "FULL_OBJECT") == 0;
    uint32_t last = 0;
    while (s3c_xml_next(xml, len, &pos, "Part", &b, &bl)) {
        uint64_t n, size;
        if (grow((void **)&t->v, &t->cap, t->n, sizeof *t->v) != 0)
            return -1;
        mg_part_t *p = &t->v[t->n];
        memset(p, 0, sizeof *p);
        if (s3c_xml_text(b, bl, "PartNumber", 0, num, sizeof num) <= 0 || parse_u64(num, &n) != 0 ||
            n < 1 || n > S3C_MP_MAX_PARTS || s3c_xml_text(b, bl, "Size", 0, num, sizeof num) <= 0 ||
            parse_u64(num, &size) != 0 ||
            s3c_xml_text(b, bl, "ETag", 0, p->etag, sizeof p->etag) <= 0)
            return -1;
        if (s3c_xml_text(b, bl, "ChecksumCRC32C", 0, p->crc32c, sizeof p->crc32c) < 0)
            p->crc32c[0] = '\0';
        p->num = (uint32_t)n;
        p->size = size;
        last = p->num;
        t->n++;
    }
    *truncated = truncated_of(xml, len);
    *next_marker = last;
    if (*truncated) {
        uint64_t m;
        if (s3c_xml_text(xml, len, "NextPartNumberMarker", 0, num, sizeof num) <= 0 ||
            parse_u64(num, &m) != 0 || m <= 0 || m > S3C_MP_MAX_PARTS)
            return -1;
        *next_marker = (uint32_t)m;
    }
    return 0;
}

void mg_parts_free(mg_parts_t *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

long mg_parts_plan(const mg_parts_t *t, uint64_t size, uint64_t part_size, const uint32_t *crcs,
                   uint32_t n_parts, uint8_t *have, char (*etags)[S3C_MP_ETAG],
                   uint64_t *bytes_there)
{
    memset(have, 0, n_parts);
    *bytes_there = 0;
    if (!t->crc32c_full || part_size == 0)
        return -1;
    long count = 0;
    for (size_t i = 0; i < t->n; i++) {
        const mg_part_t *p = &t->v[i];
        if (p->num < 1 || p->num > n_parts || have[p->num - 1])
            continue;
        uint64_t off = (uint64_t)(p->num - 1) * part_size;
        uint64_t want = size - off < part_size ? size - off : part_size;
        char ctext[13];
        mg_crc32c_text(crcs[p->num - 1], ctext);
        if (p->size != want || strcmp(p->crc32c, ctext) != 0 || p->etag[0] == '\0')
            continue;
        have[p->num - 1] = 1;
        memcpy(etags[p->num - 1], p->etag, S3C_MP_ETAG);
        *bytes_there += want;
        count++;
    }
    return count;
}
