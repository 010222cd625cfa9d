/*
 * fuzz_tn_tenant.c — common/tn_tenant.c's record decoders (users, keys, buckets) and the
 * secret opener on arbitrary bytes: metadata rows come from OSDs and must never crash a
 * gateway or ternctl. Invariants: decoding stays inside the input (ASan); a user or key
 * record that decodes re-encodes to exactly the same bytes; a bucket record that decodes
 * re-encodes (as format 3) and decodes to the same fields (ACL, policy and CORS too); strings are
 * NUL-terminated within their limits; opening never succeeds on bytes not sealed with the key (GCM
 * tag).
 */
#include <stdlib.h>
#include <string.h>
#include "tn_tenant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[TN_TENANT_REC_MAX];
    tn_user_rec_t u;
    if (tn_user_rec_decode(data, size, &u) == TN_OK) {
        int n = tn_user_rec_encode(&u, out, sizeof out);
        if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
            abort();
    }
    tn_key_rec_t k;
    if (tn_key_rec_decode(data, size, &k) == TN_OK) {
        if (strlen(k.user) > TN_TENANT_NAME_MAX || strlen(k.bucket) > TN_TENANT_BUCKET_MAX ||
            k.sealed_len > TN_TENANT_SEALED_MAX)
            abort();
        int n = tn_key_rec_encode(&k, out, sizeof out);
        if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
            abort();
        static const uint8_t key[32];
        char secret[TN_TENANT_SECRET_MAX + 1];
        int rc = tn_tenant_open(key, "TNFUZZ", k.sealed, k.sealed_len, secret, sizeof secret);
        if (rc >= 0 && (size_t)rc != strlen(secret))
            abort();
    }
    static tn_bucket_rec_t b, b2; /* ~25 KiB each */
    static uint8_t bout[TN_BUCKET_REC_MAX];
    if (tn_bucket_rec_decode(data, size, &b) == TN_OK) {
        int n = tn_bucket_rec_encode(&b, bout, sizeof bout);
        if (n < 0 || tn_bucket_rec_decode(bout, (size_t)n, &b2) != TN_OK || b.id != b2.id ||
            b.created_ms != b2.created_ms || strcmp(b.owner, b2.owner) != 0 ||
            strcmp(b.user, b2.user) != 0 || b.max_bytes != b2.max_bytes ||
            b.max_objects != b2.max_objects || b.acl != b2.acl || b.policy_len != b2.policy_len ||
            b.cors_len != b2.cors_len || memcmp(b.policy, b2.policy, b.policy_len) != 0 ||
            memcmp(b.cors, b2.cors, b.cors_len) != 0)
            abort();
    }
    return 0;
}
