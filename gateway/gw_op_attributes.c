/* gw_op_attributes.c — GetObjectAttributes (GET ?attributes): the attributes named by
 * x-amz-object-attributes (ETag, Checksum, ObjectParts, StorageClass, ObjectSize), from the
 * head row alone (no data read). ObjectParts only for multipart objects, paged by
 * x-amz-max-parts (default and limit 1000) and x-amz-part-number-marker (as S3).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "tn_time.h"
#include "s3_checksum.h"
#include "s3_copy.h"
#include "s3_xml.h"
#include "gw_objhead.h"
#include "gw_ops.h"

enum {
    ATTR_ETAG = 1,
    ATTR_CHECKSUM = 2,
    ATTR_PARTS = 4,
    ATTR_STORAGE_CLASS = 8,
    ATTR_SIZE = 16,
};

typedef struct {
    gw_opref_t o;
    gw_objhead_t h;
    unsigned attrs;
    uint32_t max_parts, marker;
} at_t;

static void at_cleanup(void *self)
{
    at_t *a = self;
    gw_objhead_free(&a->h);
}

/* The x-amz-object-attributes headers (comma-separated, maybe repeated): the ATTR_ bits, 0 if
 * none, -1 for an unknown name. */
static int parse_attrs(gw_req_t *r)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"ETag", ATTR_ETAG},
                 {"Checksum", ATTR_CHECKSUM},
                 {"ObjectParts", ATTR_PARTS},
                 {"StorageClass", ATTR_STORAGE_CLASS},
                 {"ObjectSize", ATTR_SIZE}};
    unsigned bits = 0;
    const char *hn = "x-amz-object-attributes";
    for (ssize_t i = -1; (i = h2o_find_header_by_str(&r->req->headers, hn, strlen(hn), i)) >= 0;) {
        h2o_iovec_t v = r->req->headers.entries[i].value;
        const char *p = v.base, *e = v.base + v.len;
        while (p < e) {
            while (p < e && (*p == ' ' || *p == ','))
                p++;
            const char *q = p;
            while (q < e && *q != ',' && *q != ' ')
                q++;
            if (q > p) {
                int found = 0;
                for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                    if (strlen(names[k].name) == (size_t)(q - p) &&
                        strncasecmp(names[k].name, p, (size_t)(q - p)) == 0) {
                        bits |= names[k].bit;
                        found = 1;
                    }
                if (!found)
                    return -1;
            }
            p = q;
        }
    }
    return (int)bits;
}

/* A non-negative decimal header (absent: dflt); -1 if malformed. */
static int64_t header_uint(gw_req_t *r, const char *name, int64_t dflt)
{
    ssize_t i = h2o_find_header_by_str(&r->req->headers, name, strlen(name), -1);
    if (i < 0)
        return dflt;
    h2o_iovec_t v = r->req->headers.entries[i].value;
    if (v.len == 0 || v.len > 9)
        return -1;
    int64_t n = 0;
    for (size_t k = 0; k < v.len; k++) {
        if (v.base[k] < '0' || v.base[k] > '9')
            return -1;
        n = n * 10 + (v.base[k] - '0');
    }
    return n;
}

static void on_head(void *op)
{
    at_t *a = op;
    gw_req_t *r = a->o.r;
    const gw_objmeta_t *m = &a->h.m;
    s3_buf_t x;
    s3_buf_init(&x, 1u << 20);
    s3_xml_decl(&x);
    s3_xml_open_ns(&x, "GetObjectAttributesResponse", S3_XML_NS);
    if (a->attrs & ATTR_ETAG) {
        char etag[48];
        size_t n = gw_objmeta_etag(m, etag);
        s3_xml_elem(&x, "ETag", etag + 1, n - 2); /* without quotes, as S3 */
    }
    if ((a->attrs & ATTR_CHECKSUM) && m->cksum_alg != S3_CKSUM_NONE) {
        char ck[S3_CKSUM_MAX_TEXT];
        int comp = m->cksum_type == GW_CKTYPE_COMPOSITE;
        size_t n = s3_checksum_text(m->cksum, s3_checksum_size(m->cksum_alg),
                                    comp ? m->part_count : 0, ck);
        s3_xml_open(&x, "Checksum");
        s3_xml_elem(&x, s3_checksum_xml_name(m->cksum_alg), ck, n);
        s3_xml_elem_str(&x, "ChecksumType", comp ? "COMPOSITE" : "FULL_OBJECT");
        s3_xml_close(&x, "Checksum");
    }
    if ((a->attrs & ATTR_PARTS) && m->is_multipart) {
        s3_xml_open(&x, "ObjectParts");
        s3_xml_elem_u64(&x, "PartsCount", m->part_count);
        s3_xml_elem_u64(&x, "PartNumberMarker", a->marker);
        uint32_t shown = 0, last = 0;
        int truncated = 0;
        for (uint32_t i = 0; i < m->part_count; i++) {
            gw_objpart_t p;
            gw_objparts_get(a->h.inl, i, &p);
            if (p.number <= a->marker)
                continue;
            if (shown == a->max_parts) {
                truncated = 1;
                break;
            }
            s3_xml_open(&x, "Part");
            s3_xml_elem_u64(&x, "PartNumber", p.number);
            s3_xml_elem_u64(&x, "Size", p.size);
            if (m->cksum_alg != S3_CKSUM_NONE) {
                char ck[S3_CKSUM_MAX_TEXT];
                size_t n = s3_checksum_text(p.cksum, s3_checksum_size(m->cksum_alg), 0, ck);
                s3_xml_elem(&x, s3_checksum_xml_name(m->cksum_alg), ck, n);
            }
            s3_xml_close(&x, "Part");
            shown++;
            last = p.number;
        }
        s3_xml_elem_u64(&x, "NextPartNumberMarker", shown > 0 ? last : a->marker);
        s3_xml_elem_u64(&x, "MaxParts", a->max_parts);
        s3_xml_elem_bool(&x, "IsTruncated", truncated);
        s3_xml_close(&x, "ObjectParts");
    }
    if (a->attrs & ATTR_STORAGE_CLASS)
        s3_xml_elem_str(&x, "StorageClass", "STANDARD");
    if (a->attrs & ATTR_SIZE)
        s3_xml_elem_u64(&x, "ObjectSize", m->size);
    s3_xml_close(&x, "GetObjectAttributesResponse");
    char lm[TN_TIME_HTTP_LEN + 1];
    tn_time_format_http((int64_t)(m->mtime_ms / 1000), lm);
    gw_req_add_header(r, "last-modified", lm, TN_TIME_HTTP_LEN);
    if (s3_buf_ok(&x))
        gw_req_send(r, 200, "application/xml", x.base, x.len);
    else
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
    s3_buf_free(&x);
    gw_opref_done(a);
}

void gw_op_get_object_attributes(gw_req_t *r)
{
    if (r->thread->osd == NULL) {
        gw_req_send_error(r, S3_ERR_SERVICE_UNAVAILABLE, "The gateway has no cluster map");
        return;
    }
    s3_err_t ve = s3_version_id_check(s3_route_param(&r->route, "versionId"));
    if (ve != S3_OK) {
        gw_req_send_error(r, ve,
                          ve == S3_ERR_INVALID_ARGUMENT ? "Invalid version id specified" : NULL);
        return;
    }
    int attrs = parse_attrs(r);
    if (attrs <= 0) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                          attrs < 0 ? "Invalid attribute name specified."
                                    : "Missing required header for this request: "
                                      "x-amz-object-attributes");
        return;
    }
    int64_t mp = header_uint(r, "x-amz-max-parts", 1000);
    int64_t mk = header_uint(r, "x-amz-part-number-marker", 0);
    if (mp < 0 || mk < 0) {
        gw_req_send_error(r, S3_ERR_INVALID_ARGUMENT,
                          mp < 0 ? "Invalid max-parts value" : "Invalid part-number-marker value");
        return;
    }
    at_t *a = gw_opref_new(r, sizeof *a);
    if (a == NULL) {
        gw_req_send_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    a->o.cleanup = at_cleanup;
    a->attrs = (unsigned)attrs;
    a->max_parts = (uint32_t)(mp > 1000 ? 1000 : mp);
    a->marker = (uint32_t)mk;
    gw_objhead_read(&a->h, a, r->route.bucket, r->route.key, on_head);
}
