internal import CTLS
internal import Glibc

/// OpenSSL settings shared by connections: trust anchors and our own certificate (`BlockingStream` uses it).
/// Immutable once made, which is what lets several threads start connections from one context.
public final class TLSContext: @unchecked Sendable {
    // @unchecked: the SSL_CTX is configured in `init` and only read afterwards (OpenSSL allows that from any thread).
    let context: OpaquePointer

    public struct SetupError: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A client context. `certificateAuthority` (PEM) is the only trust anchor; `nil` trusts the system's store.
    /// `verify: false` accepts any certificate (kubeconfig's `insecure-skip-tls-verify`).
    public init(
        certificateAuthority: [UInt8]?, clientCertificate: [UInt8]? = nil, clientKey: [UInt8]? = nil,
        verify: Bool = true
    ) throws(SetupError) {
        TLSContext.ignoreBrokenPipes()
        var error = [CChar](repeating: 0, count: 512)
        let made = certificateAuthority.withOptionalBytes { authority in
            clientCertificate.withOptionalBytes { certificate in
                clientKey.withOptionalBytes { key in
                    ctls_client_context(
                        authority.base, authority.count, certificate.base, certificate.count, key.base, key.count,
                        verify ? 1 : 0, &error, error.count)
                }
            }
        }
        guard let made else { throw SetupError(description: String(cStringBuffer: error)) }
        context = made
    }

    /// A server context (the tests' fake API server): its certificate chain and key, and the CA client certificates
    /// must chain to, if any.
    public init(serverCertificate: [UInt8], key: [UInt8], clientAuthority: [UInt8]? = nil) throws(SetupError) {
        TLSContext.ignoreBrokenPipes()
        var error = [CChar](repeating: 0, count: 512)
        let made = Optional(serverCertificate).withOptionalBytes { certificate in
            Optional(key).withOptionalBytes { key in
                clientAuthority.withOptionalBytes { authority in
                    ctls_server_context(
                        certificate.base, certificate.count, key.base, key.count, authority.base, authority.count,
                        &error, error.count)
                }
            }
        }
        guard let made else { throw SetupError(description: String(cStringBuffer: error)) }
        context = made
    }

    deinit {
        ctls_context_free(context)
    }

    /// OpenSSL writes to sockets with write(2): a peer that has gone would raise SIGPIPE and kill the process. The
    /// server ignores it from `main`; this covers library users (tests) that have not.
    private static func ignoreBrokenPipes() {
        var current = sigaction()
        if sigaction(SIGPIPE, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil {
            signal(SIGPIPE, SIG_IGN)
        }
    }
}

extension Optional where Wrapped == [UInt8] {
    /// Calls `body` with the bytes as C sees them (`char *`, length); `nil` gives a null pointer.
    fileprivate func withOptionalBytes<Result>(
        _ body: ((base: UnsafePointer<CChar>?, count: Int)) -> Result
    ) -> Result {
        guard let self else { return body((nil, 0)) }
        return self.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body(($0.baseAddress, $0.count)) }
        }
    }
}
