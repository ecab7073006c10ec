import DNSEventLoop
import DNSKubernetes
import DNSKubernetesClient
import DNSTestKit
import Foundation
import Logging
import Synchronization

/// Recorded API responses and the test certificates (`Tests/Fixtures`).
enum KubeFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    static func path(_ path: String) -> String {
        root.appendingPathComponent(path).path
    }

    static func serverTLS(clientAuthority: Bool = false) throws -> TLSContext {
        try TLSContext(
            serverCertificate: bytes("tls/server.crt"), key: bytes("tls/server.key"),
            clientAuthority: clientAuthority ? bytes("tls/ca.crt") : nil)
    }

    /// Settings for tests: quick back-off, short watches.
    static func settings(_ resources: Set<WatchedResource> = [.services, .endpointSlices]) -> WatchSettings {
        var settings = WatchSettings(resources: resources)
        settings.backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(100))
        settings.requestTimeout = .seconds(5)
        settings.stallTimeout = .seconds(5)
        return settings
    }
}

/// Waits until `condition` holds, at most `timeout`.
func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return try condition()
}

/// A fake API server replaying the recorded cluster: lists of services and slices at resourceVersion 274, and for
/// each watch what the test scripts (by default, a stream that stays open and silent).
final class RecordedCluster: Sendable {
    struct Script {
        var lists: [String: [FakeKubeAPIServer.Response]] = [:]
        var watches: [String: [FakeKubeAPIServer.Response]] = [:]
        /// Tokens the server accepts; empty: any.
        var acceptedTokens: Set<String> = []
    }

    let script: Locked<Script>
    let server: FakeKubeAPIServer

    init(tls: TLSContext?) throws {
        var script = Script()
        script.lists["/api/v1/services"] = [.json(try KubeFixtures.bytes("kube-api/list/services.json"))]
        script.lists["/apis/discovery.k8s.io/v1/endpointslices"] = [
            .json(try KubeFixtures.bytes("kube-api/list/endpointslices.json"))
        ]
        script.lists["/api/v1/pods"] = [.json(try KubeFixtures.bytes("kube-api/list/pods-active.json"))]
        let shared = Locked(script)
        self.script = shared
        let unauthorized = try KubeFixtures.bytes("kube-api/errors/401-bad-token.json")
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

    func requests(_ path: String, watch: Bool) -> [FakeKubeAPIServer.Request] {
        server.requests.filter { $0.path == path && $0.isWatch == watch }
    }

    func stop() {
        server.stop()
    }
}

/// A source against `cluster`, with its log captured; stopped by `stop()`.
final class RunningSource: Sendable {
    let source: KubernetesSource
    let log = LogCapture()
    let changes = Locked(0)

    init(access: ClusterAccess, settings: WatchSettings = KubeFixtures.settings()) throws {
        let client = try APIClient(access: access, connectTimeout: .seconds(5))
        let changes = self.changes
        source = KubernetesSource(client: client, settings: settings, logger: log.logger) {
            changes.withLock { $0 += 1 }
        }
        source.start()
    }

    static func trusting(_ cluster: RecordedCluster, settings: WatchSettings = KubeFixtures.settings()) throws
        -> RunningSource
    {
        let access = ClusterAccess(
            server: try APIServerURL(parsing: cluster.server.url),
            certificateAuthority: try KubeFixtures.bytes("tls/ca.crt"), credential: .token("test-token"))
        return try RunningSource(access: access, settings: settings)
    }

    func names(of kind: String) -> Set<String> {
        Set(
            source.current().objects.filter { $0.key.kind == kind }.map { "\($0.key.namespace)/\($0.key.name)" })
    }

    func stop() {
        source.stop()
    }
}

/// A value behind a mutex that closures can share (a `Mutex` itself cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try mutex.withLock(body)
    }
}
