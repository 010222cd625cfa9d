/*
 * gw_auth.h — SigV4 authentication glue between h2o requests and the pure s3_sigv4 code:
 * the credential snapshot (swapped on SIGHUP), the per-thread signing-key cache, and the
 * translation of an h2o request into an s3_sigv4_req_t.
 *
 * Credentials: a gw_creds_t wraps a loaded conf_t (its gateway.credentials) with an atomic
 * reference count. Each loop thread holds one reference in its gw_auth_thread_t; a reload
 * hands every thread the new snapshot (an h2o_multithread message) and each thread drops
 * its reference to the old one, the last one freeing it. Requests never keep a reference:
 * they copy what they need (access key, signing key) into their own pool during auth.
 * Lookup is a linear scan (a handful of bootstrap keys); these are the admin keys
 * (gw_authz.h). Keys not in the config are looked up in the thread's table of keys from the
 * cluster's metadata (gw_keys.h), which the thread refreshes every few seconds.
 *
 * Signing keys: derived with s3_sigv4_signing_key (4 HMACs) and cached per thread by
 * (access key, date, region) in GW_KEYCACHE_SIZE slots, round-robin replacement; the cache
 * is flushed when the thread receives a new snapshot (a secret may have changed).
 *
 * Headers for SigV4: h2o removes Host (-> req->authority, also the only source on HTTP/2),
 * Content-Length, Transfer-Encoding and Expect from req->headers. gw_auth_build_req puts
 * back "host" (from the authority) always, and "content-length" (the body length) and
 * "expect: 100-continue" only when the client listed them in SignedHeaders (h2o only lets
 * a request through with Expect when it was exactly 100-continue). A signed
 * content-length on a Transfer-Encoding: chunked request would be synthesized too and
 * would not match: no client signs a header it did not send.
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stdatomic.h>
#include <h2o.h>
#include "conf.h"
#include "s3_sigv4.h"
#include "gw_authz.h"

typedef struct {
    atomic_int refs;
    conf_t *conf; /* owned: freed with the last reference */
} gw_creds_t;

/* A snapshot owning conf, with refs references. NULL on allocation failure (conf not freed). */
gw_creds_t *gw_creds_new(conf_t *conf, int refs);
/* Drops one reference; the last one frees the conf and the snapshot. NULL is fine. */
void gw_creds_release(gw_creds_t *c);
/* The secret for an access key, or NULL if unknown. */
const char *gw_creds_secret(const gw_creds_t *c, const char *access_key);

#define GW_KEYCACHE_SIZE 32

typedef struct {
    char access_key[S3_SIGV4_MAX_AKID + 1]; /* "" = empty slot */
    char date[9];
    char region[S3_SIGV4_MAX_REGION + 1];
    uint8_t key[32];
} gw_keycache_entry_t;

typedef struct {
    gw_creds_t *creds;      /* this thread's reference */
    struct gw_keytab *keys; /* keys from metadata (gw_keys.h; NULL: none), owned */
    gw_keycache_entry_t cache[GW_KEYCACHE_SIZE];
    unsigned next; /* round-robin victim */
    uint64_t hits, misses;
} gw_auth_thread_t;

/* Installs a snapshot (the caller's reference moves to the thread), flushes the cache and
 * releases the previous snapshot. */
void gw_auth_thread_set_creds(gw_auth_thread_t *a, gw_creds_t *c);

/* What a successful authentication yields. */
typedef struct {
    s3_sigv4_req_t sreq; /* points into the request pool and the route */
    s3_sigv4_auth_t sig; /* kind NONE for anonymous requests */
    s3_payload_kind_t payload;
    tn_slice_t payload_hash;  /* the x-amz-content-sha256 value (or UNSIGNED-PAYLOAD) */
    uint8_t signing_key[32];  /* kept for aws-chunked chunk signatures */
    gw_principal_t principal; /* who signed (strings in the request pool); ANON if nobody */
} gw_auth_result_t;

/* Builds out->sreq from the request (headers copied into req->pool, see above). */
void gw_auth_build_req(h2o_req_t *req, const s3_route_t *route, gw_auth_result_t *out);

/*
 * Authenticates a request whose route is known: parse, scope/time check against region and
 * now, access-key lookup, signing key (cached), payload-hash kind, signature verify.
 * S3_OK with out->sig.kind == S3_AUTH_NONE for an anonymous request (the caller decides);
 * otherwise S3_OK (signature valid; the payload hash itself is not checked here) or the
 * error to answer, explained in why.
 */
s3_err_t gw_auth_verify(gw_auth_thread_t *a, h2o_req_t *req, const s3_route_t *route,
                        const char *region, int64_t now, gw_auth_result_t *out, s3_why_t *why);

#endif
