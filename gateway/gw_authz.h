/*
 * gw_authz.h — PURE: who may do what. One decision function every request passes through
 * (gw_ops_dispatch calls it after looking the bucket up), and the ListBuckets filter.
 *
 * Principals (what authentication yields):
 *   ADMIN   a key from the config (gateway.credentials): the operator's bootstrap keys. They
 *           may touch every bucket (migrations, backups, repairs need that) and own the
 *           buckets they create (record user ""); ListBuckets shows an admin key the
 *           buckets it created, as before users existed.
 *   USER    a full key of a user (ternctl key create --user U): every operation on the
 *           buckets whose record names U as owner; CreateBucket (the bucket then belongs to
 *           U); ListBuckets shows U's buckets.
 *   BUCKET  a bucket-scoped key (ternctl key create --bucket B --allow ...): only bucket B,
 *           and only while B is the bucket the key was made for (same immutable bucket id:
 *           a bucket deleted and re-created under the same name is another bucket); read =
 *           GET/HEAD object, HeadBucket, GetBucketLocation, List*; write = PUT/POST/DELETE
 *           object, DeleteObjects, multipart, copy destination, tagging/ACL writes. No
 *           CreateBucket or DeleteBucket. ListBuckets shows B.
 *   ANON    no signature: denied everything here (a bucket's policy and ACLs may still open
 *           reads to it and to other principals: gw_access.h decides that after this says no).
 * Everything not allowed is AccessDenied (403).
 */
#ifndef GW_AUTHZ_H
#define GW_AUTHZ_H

#include <stddef.h>
#include <stdint.h>
#include "s3_router.h"
#include "tn_tenant.h"

typedef enum { GW_PRINC_ANON = 0, GW_PRINC_ADMIN, GW_PRINC_USER, GW_PRINC_BUCKET } gw_princ_kind_t;

typedef struct {
    gw_princ_kind_t kind;
    const char *access_key; /* NULL for ANON */
    const char *user;       /* USER and BUCKET ("" for a key on an admin bucket) */
    const char *bucket;     /* BUCKET: the one bucket */
    uint64_t bucket_id;     /* BUCKET: its id */
    unsigned allow;         /* BUCKET: TN_KEY_ALLOW_* */
} gw_principal_t;

/* What an operation needs. */
typedef enum {
    GW_NEED_NONE = 0, /* no bucket (ListBuckets): any authenticated principal */
    GW_NEED_CREATE,   /* CreateBucket */
    GW_NEED_OWNER,    /* DeleteBucket and bucket configuration writes */
    GW_NEED_READ,     /* reads of a bucket or its objects */
    GW_NEED_WRITE     /* writes of objects */
} gw_need_t;

gw_need_t gw_authz_need(s3_op_t op);

/* May p run op on the bucket called bucket (NUL-terminated) whose record is rec (NULL: the
 * bucket does not exist)? 1 allow, 0 deny. For op with need NONE or CREATE, bucket and rec
 * are ignored. */
int gw_authz_allow(const gw_principal_t *p, s3_op_t op, const char *bucket,
                   const tn_bucket_rec_t *rec);
/* Does ListBuckets show p the bucket name with record rec? */
int gw_authz_lists(const gw_principal_t *p, const char *name, const tn_bucket_rec_t *rec);

#endif
