#ifndef CTLS_H
#define CTLS_H

#include <stddef.h>

// The OpenSSL calls the Kubernetes API client and its test server need, behind plain functions: several OpenSSL
// "functions" are macros Swift cannot call, and keeping OpenSSL's types out of Swift keeps the boundary small.

typedef struct ctls_context ctls_context;
typedef struct ctls_stream ctls_stream;

// A client context. `ca_pem` (a PEM bundle) is the only trust anchor; NULL uses the system store. `cert_pem` and
// `key_pem` (both or neither) authenticate the client. `verify` = 0 skips certificate verification (kubeconfig's
// insecure-skip-tls-verify). Returns NULL and fills `error` on failure.
ctls_context *ctls_client_context(const char *ca_pem, size_t ca_length, const char *cert_pem, size_t cert_length,
                                  const char *key_pem, size_t key_length, int verify, char *error, size_t error_size);

// A server context for tests: its certificate chain and key. If `client_ca_pem` is given, client certificates are
// requested and verified against it (but not required).
ctls_context *ctls_server_context(const char *cert_pem, size_t cert_length, const char *key_pem, size_t key_length,
                                  const char *client_ca_pem, size_t client_ca_length, char *error, size_t error_size);

void ctls_context_free(ctls_context *context);

// TLS over the connected, blocking socket `fd` (which the stream does not own). `host` (a DNS name or an IP address
// literal) is sent as SNI when it is a name and checked against the server's certificate. Returns NULL and fills
// `error` on failure.
ctls_stream *ctls_connect(ctls_context *context, int fd, const char *host, char *error, size_t error_size);
ctls_stream *ctls_accept(ctls_context *context, int fd, char *error, size_t error_size);

// The subject common name of the peer's verified certificate, or "" (server side, for tests).
void ctls_peer_common_name(ctls_stream *stream, char *name, size_t name_size);

// Bytes read (> 0), 0 at a clean end of stream, -1 on an error (then `error` says what; errno EAGAIN means the
// socket's receive timeout passed).
long ctls_read(ctls_stream *stream, void *buffer, size_t length, char *error, size_t error_size);
// Writes all of `buffer`; 0 on success, -1 on error.
int ctls_write_all(ctls_stream *stream, const void *buffer, size_t length, char *error, size_t error_size);

// Sends close_notify (best effort) and frees the stream.
void ctls_close(ctls_stream *stream);

#endif
