/*
 * tn_tenant.h — PURE: the metadata records of tenants (users, access keys, buckets), the
 * sealing of key secrets with the cluster key, and the generation of key ids and secrets from
 * caller-supplied random bytes. Shared by ternctl (writes users and keys) and the gateway
 * (reads them; writes buckets). No I/O, no clock, no randomness of its own.
 *
 * WHERE THEY LIVE (pool "meta"; every write to all replicas, DESIGN.md rule 11)
 *   users:   ns TN_TENANT_USER_NS (3), key = user name, all in ONE PG: the PG of the object
 *            name TN_TENANT_USERS_PG_NAME in the meta pool (one ROW_LIST reads every user);
 *   keys:    ns TN_TENANT_KEY_NS (4), key = access key id, all in the PG of
 *            TN_TENANT_KEYS_PG_NAME (one ROW_LIST per gateway refresh reads every key);
 *   buckets: ns 1, key = bucket name, PG of the bucket name (gw_bucket.h).
 *   A deleted user or key is a tombstone row. Thousands of users/keys fit one PG comfortably
 *   (a key record is ~150 bytes); a provider with millions would shard by name later.
 *
 * RECORDS (integers little-endian, "bytes" = u32 length + bytes)
 *   user v1:   u32 1 | u64 created_ms | u8 status (0 active)
 *   key v1:    u32 1 | bytes user | u8 scope (1 user, 2 bucket) | u8 allow (bit 1 read,
 *              bit 2 write; 3 for full-user keys) | bytes bucket ("" for user keys) |
 *              u64 bucket id (0 for user keys) | u64 created_ms | u8 status (0 active) |
 *              bytes sealed secret (below)
 *   bucket v1: u32 1 | u64 id | u64 created_ms | bytes owner access key
 *   bucket v2: u32 2 | u64 id | u64 created_ms | bytes owner access key | bytes owner user
 *              ("" = created by a config (admin) key) | u64 quota max bytes (0 = none) |
 *              u64 quota max objects (0 = none)
 *   bucket v3: v2's fields | u8 canned ACL (gw_acl.h's gw_acl_t; 0 = private) | bytes bucket
 *              policy JSON (empty = none, <= TN_BUCKET_POLICY_MAX) | bytes CORSConfiguration
 *              XML (empty = none, <= TN_BUCKET_CORS_MAX). Written by every encoder since
 *              access control (ACLs/policy/CORS) merged; v1 and v2 decode as ACL private, no
 *              policy, no CORS. (The access branch's own "v2" with ACL but no user/quota never
 *              shipped and is not accepted.)
 *   Decoders accept exactly these layouts (no trailing bytes) and validate every length.
 *
 * SEALED SECRET: nonce (12 random bytes) || AES-256-GCM(cluster key, nonce, AAD = the access
 * key id, plaintext = the secret) || tag (16). The AAD binds a sealed secret to its key id: a
 * record copied under another id does not open.
 *
 * NAMES: user names 1..64 of [a-z0-9._-], starting with a letter or digit. Access key ids:
 * "TN" + 18 of [A-Z0-9] (20 chars, like AWS's); secrets: 40 of [A-Za-z0-9].
 */
#ifndef TN_TENANT_H
#define TN_TENANT_H

#include <stddef.h>
#include <stdint.h>
#include "tern.h"

#define TN_TENANT_USER_NS       3u
#define TN_TENANT_KEY_NS        4u
#define TN_TENANT_USERS_PG_NAME "tern.users"
#define TN_TENANT_KEYS_PG_NAME  "tern.keys"

#define TN_TENANT_NAME_MAX   64u  /* user names */
#define TN_TENANT_BUCKET_MAX 63u  /* S3 bucket names */
#define TN_TENANT_AKID_LEN   20u  /* generated ids */
#define TN_TENANT_AKID_MAX   128u /* ids accepted (config keys may be longer) */
#define TN_TENANT_SECRET_LEN 40u
#define TN_TENANT_SECRET_MAX 128u
#define TN_TENANT_NONCE_LEN  12u
#define TN_TENANT_TAG_LEN    16u
#define TN_TENANT_SEALED_MAX (TN_TENANT_NONCE_LEN + TN_TENANT_SECRET_MAX + TN_TENANT_TAG_LEN)
/* random bytes the generators consume */
#define TN_TENANT_AKID_RAND   18u
#define TN_TENANT_SECRET_RAND 40u

#define TN_KEY_SCOPE_USER   1u
#define TN_KEY_SCOPE_BUCKET 2u
#define TN_KEY_ALLOW_READ   1u
#define TN_KEY_ALLOW_WRITE  2u
#define TN_KEY_ALLOW_RW     3u

typedef struct {
    uint64_t created_ms;
    uint8_t status;
} tn_user_rec_t;

typedef struct {
    char user[TN_TENANT_NAME_MAX + 1]; /* NUL-terminated; "" for a key on an admin bucket */
    uint8_t scope;                     /* TN_KEY_SCOPE_* */
    uint8_t allow;                     /* TN_KEY_ALLOW_* */
    char bucket[TN_TENANT_BUCKET_MAX + 1];
    uint64_t bucket_id;
    uint64_t created_ms;
    uint8_t status;
    uint8_t sealed[TN_TENANT_SEALED_MAX];
    size_t sealed_len;
} tn_key_rec_t;

#define TN_BUCKET_FORMAT     3u
#define TN_BUCKET_OWNER_MAX  128u
#define TN_BUCKET_POLICY_MAX 8192u  /* bytes of policy JSON (S3 allows 20 KiB) */
#define TN_BUCKET_CORS_MAX   16384u /* bytes of CORS XML */
#define TN_BUCKET_ACL_LIMIT  16u    /* acl bytes >= this are corrupt (gw_acl_t has fewer) */

typedef struct {
    uint64_t id;
    uint64_t created_ms;
    char owner[TN_BUCKET_OWNER_MAX + 1]; /* creating access key, NUL-terminated */
    char user[TN_TENANT_NAME_MAX + 1];   /* owning user; "" = an admin (config key) bucket */
    uint64_t max_bytes;                  /* quota; 0 = none */
    uint64_t max_objects;                /* quota; 0 = none */
    uint8_t acl;                         /* canned ACL (gw_acl_t); 0 = private */
    uint32_t policy_len;                 /* 0: no policy */
    uint32_t cors_len;                   /* 0: no CORS configuration */
    char policy[TN_BUCKET_POLICY_MAX];   /* NOT NUL-terminated */
    char cors[TN_BUCKET_CORS_MAX];       /* NOT NUL-terminated */
} tn_bucket_rec_t;

/* Encoders return the length written or TN_ERR_TOO_BIG (cap too small, a field too long);
 * decoders TN_OK or TN_ERR_CORRUPT (out zeroed first). Buffers of TN_TENANT_REC_MAX always
 * suffice for users and keys. */
#define TN_TENANT_REC_MAX 512u
/* Bucket records are larger (policy and CORS): buffers of TN_BUCKET_REC_MAX always suffice for
 * them; TN_TENANT_REC_MAX suffices for one without policy and CORS (CreateBucket's). */
#define TN_BUCKET_REC_MAX                                                                          \
    (128u + TN_BUCKET_OWNER_MAX + TN_TENANT_NAME_MAX + TN_BUCKET_POLICY_MAX + TN_BUCKET_CORS_MAX)
int tn_user_rec_encode(const tn_user_rec_t *u, uint8_t *buf, size_t cap);
int tn_user_rec_decode(const void *buf, size_t len, tn_user_rec_t *u);
int tn_key_rec_encode(const tn_key_rec_t *k, uint8_t *buf, size_t cap);
int tn_key_rec_decode(const void *buf, size_t len, tn_key_rec_t *k);
int tn_bucket_rec_encode(const tn_bucket_rec_t *b, uint8_t *buf, size_t cap);
int tn_bucket_rec_decode(const void *buf, size_t len, tn_bucket_rec_t *b);

/* Seals secret (1..TN_TENANT_SECRET_MAX bytes) for access key akid with the 32-byte cluster
 * key and the 12-byte nonce (random, from the caller). Returns the sealed length
 * (nonce + secret_len + tag) or TN_ERR_TOO_BIG / -EINVAL / -ENOMEM. */
int tn_tenant_seal(const uint8_t key[32], const char *akid, const uint8_t nonce[12],
                   const char *secret, size_t secret_len, uint8_t *out, size_t cap);
/* Opens a sealed secret into out (NUL-terminated; cap >= TN_TENANT_SECRET_MAX + 1).
 * Returns the secret's length, or TN_ERR_CHECKSUM (wrong key, wrong id, tampered) or
 * TN_ERR_CORRUPT (too short / long). */
int tn_tenant_open(const uint8_t key[32], const char *akid, const uint8_t *sealed, size_t len,
                   char *out, size_t cap);

/* Access key id ("TN" + 18 chars) from TN_TENANT_AKID_RAND random bytes; out has room for
 * TN_TENANT_AKID_LEN + 1. */
void tn_tenant_make_akid(const uint8_t rnd[TN_TENANT_AKID_RAND], char *out);
/* Secret (40 chars) from TN_TENANT_SECRET_RAND random bytes; out: TN_TENANT_SECRET_LEN + 1. */
void tn_tenant_make_secret(const uint8_t rnd[TN_TENANT_SECRET_RAND], char *out);
/* 1 if name is a valid user name (see NAMES). */
int tn_tenant_user_name_valid(const char *name);

#endif
