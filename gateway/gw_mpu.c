/* gw_mpu.c — multipart upload rows, part choice and the Complete plan (gw_mpu.h). */
#include <errno.h>
#include <string.h>
#include "tn_hex.h"
#include "tn_wire.h"
#include "gw_mpu.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

size_t gw_mpu_upload_key(uint8_t *out, const void *key, size_t key_len, const uint8_t id[16])
{
    if (key_len == 0 || key_len > GW_MPU_KEY_MAX)
        return 0;
    memcpy(out, key, key_len);
    out[key_len] = 0;
    memcpy(out + key_len + 1, id, 16);
    return key_len + 17;
}

int gw_mpu_upload_key_split(const uint8_t *rk, size_t len, tn_slice_t *key, const uint8_t **id)
{
    if (len < 18 || rk[len - 17] != 0)
        return TN_ERR_CORRUPT;
    *key = (tn_slice_t){(const char *)rk, len - 17};
    *id = rk + len - 16;
    return TN_OK;
}

void gw_mpu_part_key(uint8_t out[GW_MPU_PART_KEY_LEN], const uint8_t id[16], uint32_t number,
                     const uint8_t vid[16])
{
    memcpy(out, id, 16);
    put_be32(out + 16, number);
    if (vid != NULL)
        memcpy(out + 20, vid, 16);
    else
        memset(out + 20, 0, 16);
}

uint32_t gw_mpu_part_key_number(const uint8_t *rk, size_t len, const uint8_t id[16])
{
    if (len != GW_MPU_PART_KEY_LEN || memcmp(rk, id, 16) != 0)
        return 0;
    uint32_t n = (uint32_t)rk[16] << 24 | (uint32_t)rk[17] << 16 | (uint32_t)rk[18] << 8 | rk[19];
    return n >= 1 && n <= GW_OBJMETA_MAX_PARTS ? n : 0;
}

int gw_mpu_id_parse(const char *s, size_t len, uint8_t id[16])
{
    size_t n = 0;
    if (len != GW_MPU_ID_HEX || tn_hex_decode(s, len, id, 16, &n) != TN_OK || n != 16)
        return TN_ERR_CORRUPT;
    return TN_OK;
}

size_t gw_mpu_upload_len(const gw_mpu_upload_t *u)
{
    return 4 + 1 + 8 + 12 + u->initiator.len + u->key.len + u->meta.len;
}

int gw_mpu_upload_encode(const gw_mpu_upload_t *u, uint8_t *buf, size_t cap)
{
    size_t need = gw_mpu_upload_len(u);
    if (need > cap || need > INT32_MAX)
        return TN_ERR_TOO_BIG;
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, cap);
    tn_wire_put_u32(&w, 1);
    tn_wire_put_u8(&w, (uint8_t)u->state);
    tn_wire_put_u64(&w, u->initiated_ms);
    tn_wire_put_bytes(&w, u->initiator.base, u->initiator.len);
    tn_wire_put_bytes(&w, u->key.base, u->key.len);
    tn_wire_put_bytes(&w, u->meta.base, u->meta.len);
    return w.err != TN_OK ? TN_ERR_TOO_BIG : (int)need;
}

int gw_mpu_upload_decode(const void *buf, size_t len, gw_mpu_upload_t *u)
{
    tn_wire_r_t r;
    memset(u, 0, sizeof *u);
    tn_wire_r_init(&r, buf, len);
    uint32_t v = tn_wire_get_u32(&r);
    u->state = tn_wire_get_u8(&r);
    u->initiated_ms = tn_wire_get_u64(&r);
    u->initiator = tn_wire_get_bytes(&r);
    u->key = tn_wire_get_bytes(&r);
    u->meta = tn_wire_get_bytes(&r);
    if (tn_wire_r_finish(&r) != TN_OK || v != 1 || u->state > GW_MPU_COMPLETED)
        return TN_ERR_CORRUPT;
    return TN_OK;
}

int gw_mpu_part_encode(const gw_mpu_part_t *p, uint8_t *buf, size_t cap)
{
    size_t ck = p->cksum_alg == S3_CKSUM_NONE ? 0 : s3_checksum_size(p->cksum_alg);
    if (p->cksum_alg != S3_CKSUM_NONE && (ck == 0 || p->cksum_alg == S3_CKSUM_MD5))
        return TN_ERR_TOO_BIG;
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, cap);
    tn_wire_put_u32(&w, 1);
    tn_wire_put_u8(&w, (uint8_t)p->state);
    tn_wire_put_u64(&w, p->size);
    tn_wire_put_u32(&w, p->chunk_size);
    tn_wire_put_raw(&w, p->vid, 16);
    tn_wire_put_raw(&w, p->md5, 16);
    tn_wire_put_u8(&w, (uint8_t)p->cksum_alg);
    tn_wire_put_raw(&w, p->cksum, ck);
    tn_wire_put_u64(&w, p->mtime_ms);
    return w.err != TN_OK ? TN_ERR_TOO_BIG : (int)(w.p - buf);
}

int gw_mpu_part_decode(const void *buf, size_t len, gw_mpu_part_t *p)
{
    tn_wire_r_t r;
    memset(p, 0, sizeof *p);
    tn_wire_r_init(&r, buf, len);
    uint32_t v = tn_wire_get_u32(&r);
    p->state = tn_wire_get_u8(&r);
    p->size = tn_wire_get_u64(&r);
    p->chunk_size = tn_wire_get_u32(&r);
    tn_wire_get_raw(&r, p->vid, 16);
    tn_wire_get_raw(&r, p->md5, 16);
    uint8_t alg = tn_wire_get_u8(&r);
    if (r.err != TN_OK || v != 1 || p->state > GW_MPU_PART_DONE || alg >= S3_CKSUM_MD5)
        return TN_ERR_CORRUPT;
    p->cksum_alg = (s3_cksum_alg_t)alg;
    if (alg != S3_CKSUM_NONE)
        tn_wire_get_raw(&r, p->cksum, s3_checksum_size(p->cksum_alg));
    p->mtime_ms = tn_wire_get_u64(&r);
    if (tn_wire_r_finish(&r) != TN_OK || (p->size > 0 && p->chunk_size == 0))
        return TN_ERR_CORRUPT;
    return TN_OK;
}

void gw_mpu_slot_offer(gw_mpu_slot_t *slots, uint32_t number, const tn_row_ver_t *ver,
                       const gw_mpu_part_t *p)
{
    if (number < 1 || number > GW_OBJMETA_MAX_PARTS)
        return;
    gw_mpu_slot_t *s = &slots[number - 1];
    if (s->present && tn_row_ver_cmp(&s->ver, ver) >= 0)
        return;
    s->present = 1;
    s->ver = *ver;
    s->part = *p;
}

int gw_mpu_etag_parse(const char *s, size_t len, uint8_t md5[16])
{
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        s++;
        len -= 2;
    }
    size_t n = 0;
    if (len != 32 || tn_hex_decode(s, len, md5, 16, &n) != TN_OK || n != 16)
        return TN_ERR_CORRUPT;
    return TN_OK;
}

int gw_mpu_request_md5(const s3_complete_req_t *req, uint8_t out[16])
{
    s3_checksum_t c;
    if (s3_checksum_init(&c, S3_CKSUM_MD5) != TN_OK)
        return -ENOMEM;
    int rc = TN_OK;
    for (size_t i = 0; i < req->n_parts && rc == TN_OK; i++) {
        uint8_t md5[16];
        rc = gw_mpu_etag_parse(req->parts[i].etag.base, req->parts[i].etag.len, md5);
        s3_checksum_update(&c, md5, 16);
    }
    uint8_t raw[S3_CKSUM_MAX_RAW];
    if (rc == TN_OK && s3_checksum_final(&c, raw) != 16)
        rc = TN_ERR_CORRUPT;
    s3_checksum_free(&c);
    if (rc == TN_OK)
        memcpy(out, raw, 16);
    return rc;
}

static int is_crc(s3_cksum_alg_t a)
{
    return a == S3_CKSUM_CRC32 || a == S3_CKSUM_CRC32C || a == S3_CKSUM_CRC64NVME;
}

s3_err_t gw_mpu_plan(const s3_complete_req_t *req, const gw_mpu_slot_t *slots, s3_cksum_alg_t alg,
                     gw_cktype_t type, uint8_t *tbl, gw_objmeta_t *out, s3_why_t *why)
{
    if (req->n_parts == 0 || req->n_parts > GW_OBJMETA_MAX_PARTS)
        return s3_why_set(why, S3_ERR_MALFORMED_XML, NULL);
    if (alg != S3_CKSUM_NONE && type == GW_CKTYPE_FULL_OBJECT && !is_crc(alg))
        return s3_why_set(why, S3_ERR_INVALID_REQUEST,
                          "The FULL_OBJECT checksum type needs a CRC algorithm");
    uint32_t prev = 0;
    for (size_t i = 0; i < req->n_parts; i++) {
        if (req->parts[i].part_number <= prev)
            return s3_why_set(why, S3_ERR_INVALID_PART_ORDER, NULL);
        prev = req->parts[i].part_number;
    }
    /* every part named must exist with that ETag before sizes are judged (as S3 answers) */
    for (size_t i = 0; i < req->n_parts; i++) {
        const s3_complete_part_t *rp = &req->parts[i];
        const gw_mpu_slot_t *s = &slots[rp->part_number - 1];
        uint8_t want[16];
        if (gw_mpu_etag_parse(rp->etag.base, rp->etag.len, want) != TN_OK || !s->present ||
            memcmp(want, s->part.md5, 16) != 0)
            return s3_why_set(why, S3_ERR_INVALID_PART,
                              "One or more of the specified parts could not be found. The part "
                              "may not have been uploaded, or the specified entity tag may not "
                              "match the part's entity tag. (part %u)",
                              rp->part_number);
    }
    for (size_t i = 0; i + 1 < req->n_parts; i++)
        if (slots[req->parts[i].part_number - 1].part.size < GW_MPU_MIN_PART)
            return s3_why_set(why, S3_ERR_ENTITY_TOO_SMALL, NULL);
    size_t ck = alg == S3_CKSUM_NONE ? 0 : s3_checksum_size(alg);
    s3_checksum_t md5, comp;
    memset(&comp, 0, sizeof comp);
    if (s3_checksum_init(&md5, S3_CKSUM_MD5) != TN_OK)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, NULL);
    if (ck > 0 && type == GW_CKTYPE_COMPOSITE && s3_checksum_init(&comp, alg) != TN_OK) {
        s3_checksum_free(&md5);
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, NULL);
    }
    s3_err_t e = S3_OK;
    uint64_t off = 0;
    uint8_t full[8] = {0};
    gw_objparts_init(tbl, (uint32_t)req->n_parts);
    for (size_t i = 0; i < req->n_parts && e == S3_OK; i++) {
        const s3_complete_part_t *rp = &req->parts[i];
        const gw_mpu_slot_t *s = &slots[rp->part_number - 1];
        for (int a = S3_CKSUM_CRC32; a <= S3_CKSUM_SHA256; a++) {
            if (rp->checksum[a].base == NULL)
                continue;
            uint8_t raw[S3_CKSUM_MAX_RAW];
            if (a != (int)alg || s->part.cksum_alg != alg ||
                s3_checksum_decode(alg, rp->checksum[a].base, rp->checksum[a].len, raw) != TN_OK ||
                memcmp(raw, s->part.cksum, ck) != 0) {
                e = s3_why_set(why, S3_ERR_INVALID_PART,
                               "The checksum of part %u does not match the uploaded part",
                               rp->part_number);
                break;
            }
        }
        if (e != S3_OK)
            break;
        if (ck > 0 && s->part.cksum_alg != alg) {
            e = s3_why_set(why, S3_ERR_INVALID_PART, "Part %u has no %s checksum", rp->part_number,
                           s3_checksum_name(alg));
            break;
        }
        gw_objpart_t p;
        memset(&p, 0, sizeof p);
        p.number = rp->part_number;
        p.chunk_size = s->part.chunk_size;
        p.offset = off;
        p.size = s->part.size;
        memcpy(p.vid, s->part.vid, 16);
        memcpy(p.md5, s->part.md5, 16);
        memcpy(p.cksum, s->part.cksum, ck);
        gw_objparts_put(tbl, (uint32_t)i, &p);
        s3_checksum_update(&md5, s->part.md5, 16);
        if (ck > 0 && type == GW_CKTYPE_COMPOSITE) {
            s3_checksum_update(&comp, s->part.cksum, ck);
        } else if (ck > 0) {
            if (i == 0)
                memcpy(full, s->part.cksum, ck);
            else if (s3_checksum_combine(alg, full, s->part.cksum, s->part.size, full) != TN_OK)
                e = s3_why_set(why, S3_ERR_INTERNAL_ERROR, NULL);
        }
        off += s->part.size;
    }
    if (e == S3_OK) {
        uint8_t raw[S3_CKSUM_MAX_RAW];
        if (s3_checksum_final(&md5, raw) != 16) {
            e = s3_why_set(why, S3_ERR_INTERNAL_ERROR, NULL);
        } else {
            memcpy(out->md5, raw, 16);
            out->size = off;
            out->is_multipart = 1;
            out->is_inline = 0;
            out->chunk_size = out->chunk_count = 0;
            memset(out->data_vid, 0, 16);
            out->part_count = (uint32_t)req->n_parts;
            out->cksum_alg = ck > 0 ? alg : S3_CKSUM_NONE;
            out->cksum_type = ck > 0 ? type : GW_CKTYPE_NONE;
            memset(out->cksum, 0, sizeof out->cksum);
            if (ck > 0 && type == GW_CKTYPE_COMPOSITE) {
                if (s3_checksum_final(&comp, out->cksum) != ck)
                    e = s3_why_set(why, S3_ERR_INTERNAL_ERROR, NULL);
            } else if (ck > 0) {
                memcpy(out->cksum, full, ck);
            }
        }
    }
    s3_checksum_free(&md5);
    s3_checksum_free(&comp);
    return e;
}
