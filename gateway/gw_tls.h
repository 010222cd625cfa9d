/*
 * gw_tls.h — the gateway's TLS server context (OpenSSL 3): TLS 1.2 minimum, no compression
 * or renegotiation, ALPN offering h2 and http/1.1 (h2o picks HTTP/2 when the client agrees).
 * The Debian h2o build has no picotls, so TLS 1.3 is OpenSSL's too.
 */
#ifndef GW_TLS_H
#define GW_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/* Loads the certificate chain and the private key (PEM files) and checks that they match.
 * Returns the context, or NULL with a one-line reason in err[errlen]. */
SSL_CTX *gw_tls_create(const char *cert_file, const char *key_file, char *err, size_t errlen);

#endif
