/* test_gw_bucket_rec.c — bucket record encoding (gw_bucket.h, tn_tenant.h): format 3 round
 * trip with user, quota, ACL, policy and CORS; format 1 and (tenants') format 2 records still
 * decode (private, no policy, no CORS); corrupt and oversized records are refused. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "tn_wire.h"
#include "gw_bucket.h"

static void test_round_trip(void)
{
    gw_bucket_rec_t *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    uint8_t *buf = malloc(GW_BUCKET_REC_MAX);
    a->id = 0x1122334455667788ull;
    a->created_ms = 1700000000123ull;
    strcpy(a->owner, "AKOWNER");
    strcpy(a->user, "site-a");
    a->max_bytes = 5ull << 30;
    a->max_objects = 9;
    a->acl = GW_ACL_PUBLIC_READ;
    const char *pol = "{\"Statement\":[]}";
    memcpy(a->policy, pol, strlen(pol));
    a->policy_len = (uint32_t)strlen(pol);
    memset(a->cors, 'c', sizeof a->cors);
    a->cors_len = sizeof a->cors;
    int n = gw_bucket_rec_encode(a, buf, GW_BUCKET_REC_MAX);
    ok(n > 0, "encoded");
    is_int(gw_bucket_rec_decode(buf, (size_t)n, b), TN_OK, "decoded");
    ok(b->id == a->id && b->created_ms == a->created_ms, "id, time");
    is_str(b->owner, "AKOWNER", "owner");
    is_str(b->user, "site-a", "user");
    ok(b->max_bytes == 5ull << 30 && b->max_objects == 9, "quota");
    is_int(b->acl, GW_ACL_PUBLIC_READ, "acl");
    ok(b->policy_len == a->policy_len && memcmp(b->policy, pol, a->policy_len) == 0, "policy");
    ok(b->cors_len == a->cors_len && memcmp(b->cors, a->cors, a->cors_len) == 0, "cors");
    is_int(gw_bucket_rec_encode(a, buf, (size_t)n - 1), TN_ERR_TOO_BIG, "short buffer");
    is_int(gw_bucket_rec_decode(buf, (size_t)n - 1, b), TN_ERR_CORRUPT, "truncated");
    a->policy_len = sizeof a->policy + 1;
    is_int(gw_bucket_rec_encode(a, buf, GW_BUCKET_REC_MAX), TN_ERR_TOO_BIG, "policy too long");
    /* an unknown ACL byte */
    a->policy_len = 0;
    a->cors_len = 0;
    a->acl = GW_ACL__COUNT;
    n = gw_bucket_rec_encode(a, buf, GW_BUCKET_REC_MAX);
    is_int(gw_bucket_rec_decode(buf, (size_t)n, b), TN_ERR_CORRUPT, "unknown ACL");
    free(a);
    free(b);
    free(buf);
}

static void test_format1(void)
{
    uint8_t buf[64];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof buf);
    tn_wire_put_u32(&w, 1);
    tn_wire_put_u64(&w, 42);
    tn_wire_put_u64(&w, 7);
    tn_wire_put_bytes(&w, "AK1", 3);
    gw_bucket_rec_t *b = calloc(1, sizeof *b);
    b->acl = 3;
    b->policy_len = 5;
    is_int(gw_bucket_rec_decode(buf, 24 + 3, b), TN_OK, "format 1 decodes");
    ok(b->id == 42 && b->created_ms == 7, "fields");
    is_str(b->owner, "AK1", "owner");
    ok(b->acl == GW_ACL_PRIVATE && b->policy_len == 0 && b->cors_len == 0, "private, no extras");
    buf[0] = 4;
    is_int(gw_bucket_rec_decode(buf, 24 + 3, b), TN_ERR_CORRUPT, "unknown format");
    free(b);
}

/* tenants' format 2: owner user and quota, no ACL/policy/CORS */
static void test_format2(void)
{
    uint8_t buf[128];
    tn_wire_w_t w;
    tn_wire_w_init(&w, buf, sizeof buf);
    tn_wire_put_u32(&w, 2);
    tn_wire_put_u64(&w, 42);
    tn_wire_put_u64(&w, 7);
    tn_wire_put_bytes(&w, "AK1", 3);
    tn_wire_put_bytes(&w, "bob", 3);
    tn_wire_put_u64(&w, 1000);
    tn_wire_put_u64(&w, 10);
    size_t n = sizeof buf - tn_wire_w_left(&w);
    gw_bucket_rec_t *b = calloc(1, sizeof *b);
    b->acl = 3;
    is_int(gw_bucket_rec_decode(buf, n, b), TN_OK, "format 2 decodes");
    is_str(b->owner, "AK1", "owner");
    is_str(b->user, "bob", "user");
    ok(b->max_bytes == 1000 && b->max_objects == 10, "quota");
    ok(b->acl == GW_ACL_PRIVATE && b->policy_len == 0 && b->cors_len == 0, "private, no extras");
    /* the access branch's unshipped "format 2" (ACL byte right after the owner) is refused */
    tn_wire_w_init(&w, buf, sizeof buf);
    tn_wire_put_u32(&w, 2);
    tn_wire_put_u64(&w, 42);
    tn_wire_put_u64(&w, 7);
    tn_wire_put_bytes(&w, "AK1", 3);
    tn_wire_put_u8(&w, 1);
    tn_wire_put_bytes(&w, "", 0);
    tn_wire_put_bytes(&w, "", 0);
    n = sizeof buf - tn_wire_w_left(&w);
    is_int(gw_bucket_rec_decode(buf, n, b), TN_ERR_CORRUPT, "unshipped layout refused");
    free(b);
}

int main(void)
{
    subtest("round trip", test_round_trip);
    subtest("format 1", test_format1);
    subtest("format 2", test_format2);
    return tt_done();
}
