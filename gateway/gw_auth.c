/* gw_auth.c — SigV4 glue: credential snapshots, signing-key cache, h2o -> s3_sigv4_req_t. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gw_auth.h"
#include "gw_keys.h"

gw_creds_t *gw_creds_new(conf_t *conf, int refs)
{
    gw_creds_t *c = malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    atomic_init(&c->refs, refs);
    c->conf = conf;
    return c;
}

void gw_creds_release(gw_creds_t *c)
{
    if (c == NULL)
        return;
    if (atomic_fetch_sub(&c->refs, 1) == 1) {
        conf_free(c->conf);
        free(c);
    }
}

const char *gw_creds_secret(const gw_creds_t *c, const char *access_key)
{
    const conf_gateway_t *g = &c->conf->gateway;
    for (size_t i = 0; i < g->n_credentials; i++)
        if (strcmp(g->credentials[i].access_key, access_key) == 0)
            return g->credentials[i].secret_key;
    return NULL;
}

void gw_auth_thread_set_creds(gw_auth_thread_t *a, gw_creds_t *c)
{
    gw_creds_t *old = a->creds;
    a->creds = c;
    memset(a->cache, 0, sizeof a->cache);
    a->next = 0;
    gw_creds_release(old);
}

static int signing_key(gw_auth_thread_t *a, const char *secret, const s3_sigv4_auth_t *sig,
                       uint8_t key[32])
{
    for (size_t i = 0; i < GW_KEYCACHE_SIZE; i++) {
        gw_keycache_entry_t *e = &a->cache[i];
        if (e->access_key[0] != '\0' && strcmp(e->access_key, sig->access_key) == 0 &&
            strcmp(e->date, sig->date) == 0 && strcmp(e->region, sig->region) == 0) {
            memcpy(key, e->key, 32);
            a->hits++;
            return TN_OK;
        }
    }
    int rc =
        s3_sigv4_signing_key(secret, strlen(secret), sig->date, sig->region, sig->service, key);
    if (rc != TN_OK)
        return rc;
    a->misses++;
    gw_keycache_entry_t *e = &a->cache[a->next];
    a->next = (a->next + 1) % GW_KEYCACHE_SIZE;
    memcpy(e->access_key, sig->access_key, sizeof e->access_key);
    memcpy(e->date, sig->date, sizeof e->date);
    memcpy(e->region, sig->region, sizeof e->region);
    memcpy(e->key, key, 32);
    return TN_OK;
}

/* Is name (lowercase) one of the ';'-separated names in the list? */
static int signed_header_listed(const char *list, size_t len, const char *name)
{
    size_t n = strlen(name);
    const char *p = list, *end = list + len;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        size_t l = semi != NULL ? (size_t)(semi - p) : (size_t)(end - p);
        if (l == n && memcmp(p, name, n) == 0)
            return 1;
        p += l + 1;
    }
    return 0;
}

static int has_header(h2o_req_t *req, const h2o_token_t *token)
{
    return h2o_find_header(&req->headers, token, -1) != -1;
}

void gw_auth_build_req(h2o_req_t *req, const s3_route_t *route, gw_auth_result_t *out)
{
    size_t n = req->headers.size;
    /* +3: host, content-length, expect */
    s3_header_t *h = h2o_mem_alloc_pool(&req->pool, sizeof(*h) * (n + 3));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const h2o_header_t *src = &req->headers.entries[i];
        h[k++] =
            (s3_header_t){{src->name->base, src->name->len}, {src->value.base, src->value.len}};
    }
    h[k++] = (s3_header_t){TN_SLICE_LIT("host"), {req->authority.base, req->authority.len}};
    out->sreq = (s3_sigv4_req_t){
        .method = {req->method.base, req->method.len},
        .path = route->raw_path,
        .params = route->params,
        .n_params = route->n_params,
        .headers = h,
        .n_headers = k,
    };
}

/* After parsing: add the headers h2o swallowed if the client signed them. */
static void add_swallowed_headers(h2o_req_t *req, gw_auth_result_t *out)
{
    s3_header_t *h = (s3_header_t *)out->sreq.headers;
    const char *list = out->sig.signed_headers;
    size_t len = out->sig.signed_headers_len;
    if (signed_header_listed(list, len, "content-length") &&
        !has_header(req, H2O_TOKEN_CONTENT_LENGTH)) {
        char *v = h2o_mem_alloc_pool(&req->pool, 24);
        int l = snprintf(v, 24, "%zu", req->entity.base != NULL ? req->entity.len : (size_t)0);
        h[out->sreq.n_headers++] =
            (s3_header_t){TN_SLICE_LIT("content-length"), {v, (size_t)(l > 0 ? l : 0)}};
    }
    if (signed_header_listed(list, len, "expect") && !has_header(req, H2O_TOKEN_EXPECT))
        h[out->sreq.n_headers++] =
            (s3_header_t){TN_SLICE_LIT("expect"), TN_SLICE_LIT("100-continue")};
}

s3_err_t gw_auth_verify(gw_auth_thread_t *a, h2o_req_t *req, const s3_route_t *route,
                        const char *region, int64_t now, gw_auth_result_t *out, s3_why_t *why)
{
    s3_err_t e;
    out->principal = (gw_principal_t){.kind = GW_PRINC_ANON};
    gw_auth_build_req(req, route, out);
    if ((e = s3_sigv4_parse(&out->sreq, &out->sig, why)) != S3_OK)
        return e;
    if (out->sig.kind == S3_AUTH_NONE)
        return S3_OK;
    add_swallowed_headers(req, out);
    if ((e = s3_sigv4_check(&out->sreq, &out->sig, region, "s3", now, why)) != S3_OK)
        return e;
    const char *secret = a->creds != NULL ? gw_creds_secret(a->creds, out->sig.access_key) : NULL;
    gw_principal_t *p = &out->principal;
    p->access_key = h2o_mem_alloc_pool(&req->pool, strlen(out->sig.access_key) + 1);
    strcpy((char *)p->access_key, out->sig.access_key);
    if (secret != NULL) {
        p->kind = GW_PRINC_ADMIN;
    } else {
        const gw_keyent_t *k = gw_keytab_find(a->keys, out->sig.access_key);
        if (k == NULL)
            return s3_why_set(why, S3_ERR_INVALID_ACCESS_KEY_ID, NULL);
        secret = k->secret;
        p->kind = k->scope == TN_KEY_SCOPE_BUCKET ? GW_PRINC_BUCKET : GW_PRINC_USER;
        p->user = h2o_strdup(&req->pool, k->user, SIZE_MAX).base;
        p->bucket = h2o_strdup(&req->pool, k->bucket, SIZE_MAX).base;
        p->bucket_id = k->bucket_id;
        p->allow = k->allow;
    }
    if (signing_key(a, secret, &out->sig, out->signing_key) != TN_OK)
        return s3_why_set(why, S3_ERR_INTERNAL_ERROR, NULL);
    e = s3_sigv4_payload(&out->sreq, out->sig.kind, &out->payload_hash, &out->payload, why);
    if (e != S3_OK)
        return e;
    out->sreq.payload_hash = out->payload_hash;
    return s3_sigv4_verify(&out->sreq, &out->sig, out->signing_key, why);
}
