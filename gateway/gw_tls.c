/* gw_tls.c — TLS server context for the gateway listeners (see gw_tls.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <openssl/err.h>
#include <h2o.h>
#include "gw_tls.h"

static void ssl_reason(const char *what, const char *file, char *err, size_t errlen)
{
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    snprintf(err, errlen, "%s %s: %s", what, file, e != 0 ? buf : "unknown error");
    ERR_clear_error();
}

SSL_CTX *gw_tls_create(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (c == NULL) {
        ssl_reason("SSL_CTX_new", "", err, errlen);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(c, cert_file) != 1) {
        ssl_reason("cannot load certificate", cert_file, err, errlen);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(c, key_file, SSL_FILETYPE_PEM) != 1) {
        ssl_reason("cannot load private key", key_file, err, errlen);
        goto fail;
    }
    if (SSL_CTX_check_private_key(c) != 1) {
        ssl_reason("private key does not match the certificate in", cert_file, err, errlen);
        goto fail;
    }
    h2o_ssl_register_alpn_protocols(c, h2o_http2_alpn_protocols);
    return c;
fail:
    SSL_CTX_free(c);
    return NULL;
}
