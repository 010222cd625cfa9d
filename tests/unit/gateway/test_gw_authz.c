/* test_gw_authz.c — the authorization table (gateway/gw_authz.c): every principal kind
 * against own, foreign, admin and missing buckets, for reads, writes, owner-only operations,
 * CreateBucket and ListBuckets. */
#include <string.h>
#include "gw_authz.h"
#include "../test.h"

static tn_bucket_rec_t mk(uint64_t id, const char *owner, const char *user)
{
    tn_bucket_rec_t b;
    memset(&b, 0, sizeof b);
    b.id = id;
    strcpy(b.owner, owner);
    strcpy(b.user, user);
    return b;
}

static void test_need(void)
{
    is_int(gw_authz_need(S3_OP_LIST_BUCKETS), GW_NEED_NONE, "ListBuckets");
    is_int(gw_authz_need(S3_OP_CREATE_BUCKET), GW_NEED_CREATE, "CreateBucket");
    is_int(gw_authz_need(S3_OP_DELETE_BUCKET), GW_NEED_OWNER, "DeleteBucket");
    is_int(gw_authz_need(S3_OP_PUT_BUCKET_ACL), GW_NEED_OWNER, "PutBucketAcl");
    is_int(gw_authz_need(S3_OP_GET_OBJECT), GW_NEED_READ, "GetObject");
    is_int(gw_authz_need(S3_OP_HEAD_BUCKET), GW_NEED_READ, "HeadBucket");
    is_int(gw_authz_need(S3_OP_LIST_OBJECTS_V2), GW_NEED_READ, "ListObjectsV2");
    is_int(gw_authz_need(S3_OP_LIST_PARTS), GW_NEED_READ, "ListParts");
    is_int(gw_authz_need(S3_OP_PUT_OBJECT), GW_NEED_WRITE, "PutObject");
    is_int(gw_authz_need(S3_OP_COPY_OBJECT), GW_NEED_WRITE, "CopyObject");
    is_int(gw_authz_need(S3_OP_DELETE_OBJECTS), GW_NEED_WRITE, "DeleteObjects");
    is_int(gw_authz_need(S3_OP_UPLOAD_PART), GW_NEED_WRITE, "UploadPart");
    is_int(gw_authz_need(S3_OP_COMPLETE_MULTIPART_UPLOAD), GW_NEED_WRITE, "Complete");
    is_int(gw_authz_need(S3_OP_UNKNOWN_SUBRESOURCE), GW_NEED_OWNER, "unknown: owner only");
}

static void test_table(void)
{
    tn_bucket_rec_t a = mk(1, "TNKEYA", "site-a"), b = mk(2, "TNKEYB", "site-b"),
                    adm = mk(3, "ADMINKEY", "");
    gw_principal_t admin = {GW_PRINC_ADMIN, "ADMINKEY", NULL, NULL, 0, 0};
    gw_principal_t ua = {GW_PRINC_USER, "TNKEYA", "site-a", "", 0, TN_KEY_ALLOW_RW};
    gw_principal_t ro = {GW_PRINC_BUCKET, "TNRO", "site-a", "a", 1, TN_KEY_ALLOW_READ};
    gw_principal_t wo = {GW_PRINC_BUCKET, "TNWO", "site-a", "a", 1, TN_KEY_ALLOW_WRITE};
    gw_principal_t rw = {GW_PRINC_BUCKET, "TNRW", "site-a", "a", 1, TN_KEY_ALLOW_RW};
    gw_principal_t anon = {GW_PRINC_ANON, NULL, NULL, NULL, 0, 0};
    const struct {
        const gw_principal_t *p;
        s3_op_t op;
        const char *bucket;
        const tn_bucket_rec_t *rec;
        int want;
        const char *what;
    } t[] = {
        {&admin, S3_OP_GET_OBJECT, "a", &a, 1, "admin reads a user's bucket"},
        {&admin, S3_OP_DELETE_BUCKET, "b", &b, 1, "admin deletes any bucket"},
        {&admin, S3_OP_CREATE_BUCKET, NULL, NULL, 1, "admin creates"},
        {&ua, S3_OP_GET_OBJECT, "a", &a, 1, "user reads its bucket"},
        {&ua, S3_OP_PUT_OBJECT, "a", &a, 1, "user writes its bucket"},
        {&ua, S3_OP_DELETE_BUCKET, "a", &a, 1, "user deletes its bucket"},
        {&ua, S3_OP_PUT_BUCKET_ACL, "a", &a, 1, "user configures its bucket"},
        {&ua, S3_OP_GET_OBJECT, "b", &b, 0, "user cannot read another user's bucket"},
        {&ua, S3_OP_PUT_OBJECT, "b", &b, 0, "user cannot write another user's bucket"},
        {&ua, S3_OP_DELETE_OBJECT, "b", &b, 0, "user cannot delete in another user's bucket"},
        {&ua, S3_OP_LIST_OBJECTS_V2, "b", &b, 0, "user cannot list another user's bucket"},
        {&ua, S3_OP_GET_OBJECT, "adm", &adm, 0, "user cannot read an admin bucket"},
        {&ua, S3_OP_GET_OBJECT, "x", NULL, 0, "user: missing bucket denied"},
        {&ua, S3_OP_CREATE_BUCKET, NULL, NULL, 1, "user creates"},
        {&ua, S3_OP_LIST_BUCKETS, NULL, NULL, 1, "user lists buckets"},
        {&ro, S3_OP_GET_OBJECT, "a", &a, 1, "read key reads"},
        {&ro, S3_OP_HEAD_OBJECT, "a", &a, 1, "read key heads"},
        {&ro, S3_OP_LIST_OBJECTS, "a", &a, 1, "read key lists"},
        {&ro, S3_OP_PUT_OBJECT, "a", &a, 0, "read key cannot write"},
        {&ro, S3_OP_DELETE_OBJECT, "a", &a, 0, "read key cannot delete"},
        {&ro, S3_OP_CREATE_MULTIPART_UPLOAD, "a", &a, 0, "read key cannot start multipart"},
        {&ro, S3_OP_GET_OBJECT, "b", &b, 0, "read key: other bucket denied"},
        {&wo, S3_OP_PUT_OBJECT, "a", &a, 1, "write key writes"},
        {&wo, S3_OP_UPLOAD_PART, "a", &a, 1, "write key uploads parts"},
        {&wo, S3_OP_DELETE_OBJECTS, "a", &a, 1, "write key deletes objects"},
        {&wo, S3_OP_GET_OBJECT, "a", &a, 0, "write key cannot read"},
        {&rw, S3_OP_GET_OBJECT, "a", &a, 1, "readwrite key reads"},
        {&rw, S3_OP_PUT_OBJECT, "a", &a, 1, "readwrite key writes"},
        {&rw, S3_OP_DELETE_BUCKET, "a", &a, 0, "scoped key cannot delete the bucket"},
        {&rw, S3_OP_PUT_BUCKET_ACL, "a", &a, 0, "scoped key cannot configure the bucket"},
        {&rw, S3_OP_CREATE_BUCKET, NULL, NULL, 0, "scoped key cannot create buckets"},
        {&rw, S3_OP_LIST_BUCKETS, NULL, NULL, 1, "scoped key lists buckets"},
        {&rw, S3_OP_GET_OBJECT, "a", NULL, 0, "scoped key: missing bucket denied"},
        {&anon, S3_OP_GET_OBJECT, "a", &a, 0, "anonymous denied"},
        {&anon, S3_OP_LIST_BUCKETS, NULL, NULL, 0, "anonymous cannot list buckets"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        is_int(gw_authz_allow(t[i].p, t[i].op, t[i].bucket, t[i].rec), t[i].want, t[i].what);
    /* a bucket re-created under the same name (new id) is not the scoped key's bucket */
    tn_bucket_rec_t a2 = mk(99, "TNKEYA", "site-a");
    is_int(gw_authz_allow(&rw, S3_OP_GET_OBJECT, "a", &a2), 0, "scoped key: new id denied");
    /* ListBuckets filter */
    ok(gw_authz_lists(&ua, "a", &a), "user lists its bucket");
    ok(!gw_authz_lists(&ua, "b", &b), "user does not list another's");
    ok(!gw_authz_lists(&ua, "adm", &adm), "user does not list admin buckets");
    ok(gw_authz_lists(&admin, "adm", &adm), "admin lists what it created");
    ok(!gw_authz_lists(&admin, "a", &a), "admin does not list users' buckets");
    ok(gw_authz_lists(&ro, "a", &a), "scoped key lists its bucket");
    ok(!gw_authz_lists(&ro, "b", &b), "scoped key does not list others");
    ok(!gw_authz_lists(&anon, "a", &a), "anonymous lists nothing");
}

int main(void)
{
    subtest("operation classes", test_need);
    subtest("decision table", test_table);
    return tt_done();
}
