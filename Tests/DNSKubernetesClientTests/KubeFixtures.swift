import DNSEventLoop
import DNSKubernetes
import DNSKubernetesClient
import DNSTestKit
import Foundation
import Logging
import Synchronization

/// Fixtures and settings for the watch tests.
enum KubeFixtures {
    static func bytes(_ path: String) throws -> [UInt8] { try TestFixtures.bytes(path) }

    static func serverTLS(clientAuthority: Bool = false) throws -> TLSContext {
        try TestFixtures.serverTLS(clientAuthority: clientAuthority)
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

    static func trusting(_ cluster: FakeKubeCluster, settings: WatchSettings = KubeFixtures.settings()) throws
        -> RunningSource
    {
        let access = ClusterAccess(
            server: try APIServerURL(parsing: cluster.server.url),
            certificateAuthority: try KubeFixtures.bytes("tls/ca.crt"), credential: .token("test-token"))
        return try RunningSource(access: access, settings: settings)
    }

    func names(of kind: String) -> Set<String> {
        Set(
            source.current().namespaces.flatMap { $1.objects.objects(namespace: $0) }.filter { $0.key.kind == kind }
                .map { "\($0.key.namespace)/\($0.key.name)" })
    }

    func stop() {
        source.stop()
    }
}
