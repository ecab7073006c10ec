#include "CTLS.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct ctls_context {
    SSL_CTX *ssl;
};

struct ctls_stream {
    SSL *ssl;
};

static void describe(const char *what, char *error, size_t error_size) {
    if (error == NULL || error_size == 0) return;
    unsigned long code = ERR_get_error();
    if (code != 0) {
        char reason[256];
        ERR_error_string_n(code, reason, sizeof reason);
        snprintf(error, error_size, "%s: %s", what, reason);
    } else if (errno != 0) {
        snprintf(error, error_size, "%s: %s", what, strerror(errno));
    } else {
        snprintf(error, error_size, "%s", what);
    }
    ERR_clear_error();
}

static int add_certificates(X509_STORE *store, const char *pem, size_t length) {
    BIO *bio = BIO_new_mem_buf(pem, (int)length);
    if (bio == NULL) return 0;
    int added = 0;
    X509 *certificate;
    while ((certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, certificate) == 1) added++;
        X509_free(certificate);
    }
    ERR_clear_error();  // the loop ends with a "no start line" error
    BIO_free(bio);
    return added;
}

static int use_identity(SSL_CTX *ssl, const char *cert_pem, size_t cert_length, const char *key_pem,
                        size_t key_length) {
    BIO *bio = BIO_new_mem_buf(cert_pem, (int)cert_length);
    if (bio == NULL) return 0;
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    int ok = leaf != NULL && SSL_CTX_use_certificate(ssl, leaf) == 1;
    X509_free(leaf);
    // Intermediate certificates follow the leaf in the same PEM.
    X509 *extra;
    while (ok && (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (SSL_CTX_add_extra_chain_cert(ssl, extra) != 1) {
            X509_free(extra);
            ok = 0;
        }
    }
    if (ok) ERR_clear_error();
    BIO_free(bio);
    if (!ok) return 0;
    bio = BIO_new_mem_buf(key_pem, (int)key_length);
    if (bio == NULL) return 0;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ok = key != NULL && SSL_CTX_use_PrivateKey(ssl, key) == 1 && SSL_CTX_check_private_key(ssl) == 1;
    EVP_PKEY_free(key);
    return ok;
}

// A new SSL_CTX for `method`, or NULL with `error` filled.
static SSL_CTX *new_ssl_context(const SSL_METHOD *method, char *error, size_t error_size) {
    errno = 0;
    SSL_CTX *ssl = SSL_CTX_new(method);
    if (ssl == NULL) {
        describe("cannot create a TLS context", error, error_size);
        return NULL;
    }
    SSL_CTX_set_mode(ssl, SSL_MODE_AUTO_RETRY);
    return ssl;
}

// Frees `ssl` and returns NULL after `error` was filled: the failure path of both context constructors.
static ctls_context *fail_context(SSL_CTX *ssl, const char *what, char *error, size_t error_size) {
    describe(what, error, error_size);
    SSL_CTX_free(ssl);
    return NULL;
}

// Wraps a configured SSL_CTX (taking ownership).
static ctls_context *wrap_context(SSL_CTX *ssl) {
    ctls_context *context = malloc(sizeof *context);
    if (context == NULL) {
        SSL_CTX_free(ssl);
        return NULL;
    }
    context->ssl = ssl;
    return context;
}

ctls_context *ctls_client_context(const char *ca_pem, size_t ca_length, const char *cert_pem, size_t cert_length,
                                  const char *key_pem, size_t key_length, int verify, char *error, size_t error_size) {
    SSL_CTX *ssl = new_ssl_context(TLS_client_method(), error, error_size);
    if (ssl == NULL) return NULL;
    SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION);
    if (verify) {
        SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER, NULL);
        if (ca_pem != NULL) {
            if (add_certificates(SSL_CTX_get_cert_store(ssl), ca_pem, ca_length) == 0) {
                return fail_context(ssl, "the certificate authority holds no PEM certificate", error, error_size);
            }
        } else if (SSL_CTX_set_default_verify_paths(ssl) != 1) {
            return fail_context(ssl, "cannot load the system's certificate authorities", error, error_size);
        }
    } else {
        SSL_CTX_set_verify(ssl, SSL_VERIFY_NONE, NULL);
    }
    if (cert_pem != NULL && key_pem != NULL && !use_identity(ssl, cert_pem, cert_length, key_pem, key_length)) {
        return fail_context(ssl, "cannot use the client certificate and key", error, error_size);
    }
    return wrap_context(ssl);
}

ctls_context *ctls_server_context(const char *cert_pem, size_t cert_length, const char *key_pem, size_t key_length,
                                  const char *client_ca_pem, size_t client_ca_length, char *error,
                                  size_t error_size) {
    SSL_CTX *ssl = new_ssl_context(TLS_server_method(), error, error_size);
    if (ssl == NULL) return NULL;
    if (!use_identity(ssl, cert_pem, cert_length, key_pem, key_length)) {
        return fail_context(ssl, "cannot use the server certificate and key", error, error_size);
    }
    if (client_ca_pem != NULL) {
        add_certificates(SSL_CTX_get_cert_store(ssl), client_ca_pem, client_ca_length);
        SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER, NULL);
    }
    return wrap_context(ssl);
}

void ctls_context_free(ctls_context *context) {
    if (context == NULL) return;
    SSL_CTX_free(context->ssl);
    free(context);
}

static ctls_stream *wrap(SSL *ssl) {
    ctls_stream *stream = malloc(sizeof *stream);
    if (stream == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    stream->ssl = ssl;
    return stream;
}

ctls_stream *ctls_connect(ctls_context *context, int fd, const char *host, char *error, size_t error_size) {
    errno = 0;
    SSL *ssl = SSL_new(context->ssl);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        describe("cannot start TLS", error, error_size);
        SSL_free(ssl);
        return NULL;
    }
    unsigned char address[16];
    int is_address = inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
    if (is_address) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
    } else {
        SSL_set_tlsext_host_name(ssl, host);
        SSL_set1_host(ssl, host);
    }
    if (SSL_connect(ssl) != 1) {
        long verified = SSL_get_verify_result(ssl);
        if (verified != X509_V_OK && error != NULL) {
            snprintf(error, error_size, "TLS handshake with %s failed: certificate verification: %s", host,
                     X509_verify_cert_error_string(verified));
            ERR_clear_error();
        } else {
            describe("TLS handshake failed", error, error_size);
        }
        SSL_free(ssl);
        return NULL;
    }
    return wrap(ssl);
}

ctls_stream *ctls_accept(ctls_context *context, int fd, char *error, size_t error_size) {
    errno = 0;
    SSL *ssl = SSL_new(context->ssl);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        describe("cannot start TLS", error, error_size);
        SSL_free(ssl);
        return NULL;
    }
    if (SSL_accept(ssl) != 1) {
        describe("TLS handshake failed", error, error_size);
        SSL_free(ssl);
        return NULL;
    }
    return wrap(ssl);
}

void ctls_peer_common_name(ctls_stream *stream, char *name, size_t name_size) {
    if (name_size == 0) return;
    name[0] = 0;
    X509 *peer = SSL_get1_peer_certificate(stream->ssl);
    if (peer == NULL) return;
    if (SSL_get_verify_result(stream->ssl) == X509_V_OK) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, (int)name_size);
    }
    X509_free(peer);
}

long ctls_read(ctls_stream *stream, void *buffer, size_t length, char *error, size_t error_size) {
    errno = 0;
    size_t read = 0;
    int result = SSL_read_ex(stream->ssl, buffer, length, &read);
    if (result == 1) return (long)read;
    int reason = SSL_get_error(stream->ssl, result);
    if (reason == SSL_ERROR_ZERO_RETURN) return 0;
    if (reason == SSL_ERROR_SYSCALL && errno == 0) {
        // The peer closed the connection without close_notify: an abrupt end, which HTTP framing detects.
        ERR_clear_error();
        return 0;
    }
    int saved = errno;
    describe("TLS read failed", error, error_size);
    errno = saved;
    return -1;
}

int ctls_write_all(ctls_stream *stream, const void *buffer, size_t length, char *error, size_t error_size) {
    const unsigned char *bytes = buffer;
    while (length > 0) {
        errno = 0;
        size_t written = 0;
        if (SSL_write_ex(stream->ssl, bytes, length, &written) != 1) {
            describe("TLS write failed", error, error_size);
            return -1;
        }
        bytes += written;
        length -= written;
    }
    return 0;
}

void ctls_close(ctls_stream *stream) {
    if (stream == NULL) return;
    // Only when the session is healthy: after an error OpenSSL forbids further I/O on it.
    if ((SSL_get_shutdown(stream->ssl) & SSL_SENT_SHUTDOWN) == 0 && SSL_is_init_finished(stream->ssl)) {
        SSL_shutdown(stream->ssl);
    }
    ERR_clear_error();
    SSL_free(stream->ssl);
    free(stream);
}
