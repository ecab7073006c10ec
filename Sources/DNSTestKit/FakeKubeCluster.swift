import DNSEventLoop
import Foundation
import Synchronization

/// The files under `Tests/Fixtures`: responses recorded from kube-apiserver v1.26.1 (`kube-api/`) and throwaway
/// certificates (`tls/`).
public enum TestFixtures {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures")

    public static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    public static func path(_ path: String) -> String {
        root.appendingPathComponent(path).path
    }

    /// The fake API server's TLS: the test CA's server certificate (127.0.0.1, ::1, localhost); with
    /// `clientAuthority`, client certificates of the test CA are verified.
    public static func serverTLS(clientAuthority: Bool = false) throws -> TLSContext {
        try TLSContext(
            serverCertificate: bytes("tls/server.crt"), key: bytes("tls/server.key"),
            clientAuthority: clientAuthority ? bytes("tls/ca.crt") : nil)
    }
}

/// A fake API server replaying the recorded cluster: lists of services and slices at resourceVersion 274, and for
/// each watch what the test scripts (by default, a stream that stays open and silent).
public final class FakeKubeCluster: Sendable {
    public struct Script: Sendable {
        public var lists: [String: [FakeKubeAPIServer.Response]] = [:]
        public var watches: [String: [FakeKubeAPIServer.Response]] = [:]
        /// Tokens the server accepts; empty: any.
        public var acceptedTokens: Set<String> = []
    }

    public let script: Locked<Script>
    public let server: FakeKubeAPIServer

    /// Serves the recorded lists (services, EndpointSlices, namespaces and active pods at resourceVersion 274); with
    /// `tls`, over TLS.
    public init(tls: TLSContext?) throws {
        var script = Script()
        script.lists["/api/v1/services"] = [.json(try TestFixtures.bytes("kube-api/list/services.json"))]
        script.lists["/apis/discovery.k8s.io/v1/endpointslices"] = [
            .json(try TestFixtures.bytes("kube-api/list/endpointslices.json"))
        ]
        script.lists["/api/v1/pods"] = [.json(try TestFixtures.bytes("kube-api/list/pods-active.json"))]
        script.lists["/api/v1/namespaces"] = [.json(try TestFixtures.bytes("kube-api/list/namespaces.json"))]
        let shared = Locked(script)
        self.script = shared
        let unauthorized = try TestFixtures.bytes("kube-api/errors/401-bad-token.json")
        server = try FakeKubeAPIServer(tls: tls) { request in
            shared.withLock { script in
                if !script.acceptedTokens.isEmpty, !script.acceptedTokens.contains(request.bearerToken ?? "") {
                    return .json(unauthorized, status: 401)
                }
                let path = request.path
                if request.isWatch {
                    // The last scripted response repeats.
                    guard let next = script.watches[path]?.first else { return .chunked([.hold]) }
                    if script.watches[path]!.count > 1 { script.watches[path]!.removeFirst() }
                    return next
                }
                guard let next = script.lists[path]?.first else { return .json([], status: 404) }
                if script.lists[path]!.count > 1 { script.lists[path]!.removeFirst() }
                return next
            }
        }
    }

    public func requests(_ path: String, watch: Bool) -> [FakeKubeAPIServer.Request] {
        server.requests.filter { $0.path == path && $0.isWatch == watch }
    }

    public func stop() {
        server.stop()
    }
}

/// A value behind a mutex that closures can share (a `Mutex` itself cannot be captured).
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) {
        mutex = Mutex(value)
    }

    public func withLock<Result>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try mutex.withLock(body)
    }
}
