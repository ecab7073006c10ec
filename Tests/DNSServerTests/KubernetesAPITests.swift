import DNSAnswer
import DNSKubernetes
import DNSKubernetesClient
import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Testing

/// The server with the Kubernetes API as its registry: a fake API server on loopback (TLS) replays the recorded
/// cluster, and the tests ask the real server over UDP.
@Suite(.timeLimit(.minutes(2)))
struct KubernetesAPITests {
    static let web = "web.prod.svc.cluster.local"
    static let webAddress = RecordData.a(IPv4Address("10.110.231.206")!)

    static func configuration(_ cluster: FakeKubeCluster, token: String = "test-token") throws
        -> KubernetesConfiguration
    {
        var settings = WatchSettings.forCluster(watchingPods: false)
        settings.backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(100))
        settings.requestTimeout = .seconds(5)
        return KubernetesConfiguration(
            access: ClusterAccess(
                server: try APIServerURL(parsing: cluster.server.url),
                certificateAuthority: try TestFixtures.bytes("tls/ca.crt"), credential: .token(token)),
            settings: settings)
    }

    @Test func clusterNamesAreSERVFAILAndNotReadyUntilTheFirstListsComplete() throws {
        let cluster = try FakeKubeCluster(tls: TestFixtures.serverTLS())
        defer { cluster.stop() }
        // The API refuses us at first (as before RBAC is applied).
        cluster.script.withLock { $0.acceptedTokens = ["not-yet"] }
        let running = try RunningServer(files: [:], kubernetes: Self.configuration(cluster), readsZones: false)
        defer { running.stop() }
        let client = running.client()

        #expect(running.eventually { cluster.server.requests.count >= 2 })
        #expect(try client.query(Self.web, .a).header.responseCode == .servFail)
        let notReady = try running.get(.ready)
        #expect(notReady.status == 503)
        #expect(notReady.body.contains("Kubernetes"))
        #expect(try running.get(.metrics).body.contains("clusterdns_kubernetes_synced 0"))

        cluster.script.withLock { $0.acceptedTokens = [] }
        #expect(try running.eventually { try client.query(Self.web, .a).answers.map(\.data) == [Self.webAddress] })
        #expect(try running.get(.ready).status == 200)
        let metrics = try running.get(.metrics).body
        #expect(metrics.contains("clusterdns_kubernetes_synced 1"))
        #expect(metrics.contains(#"clusterdns_kubernetes_objects{resource="services"} 11"#))
        // Headless records come from the recorded EndpointSlices: db has one ready endpoint, db-0.
        let db = try client.query("db.prod.svc.cluster.local", .a)
        #expect(db.answers.count == 1)
        #expect(try client.query("db-0.db.prod.svc.cluster.local", .a).answers.count == 1)
        #expect(
            try client.query("ext-db.prod.svc.cluster.local", .cname).answers.map(\.data) == [
                .cname(try Name("db.example.com"))
            ])
    }

    /// CoreDNS watches Namespaces too: a namespace that exists has its `svc` and `pod` names (NODATA, and `insecure`
    /// pod records) even without a service. The recorded cluster's kube-public and kube-node-lease have none.
    @Test func aNamespaceWithoutServicesExists() throws {
        let cluster = try FakeKubeCluster(tls: TestFixtures.serverTLS())
        defer { cluster.stop() }
        let running = try RunningServer(files: [:], kubernetes: Self.configuration(cluster), readsZones: false)
        defer { running.stop() }
        let client = running.client()
        #expect(try running.eventually { try client.query(Self.web, .a).answers.count == 1 })

        let bare = try client.query("kube-public.svc.cluster.local", .a)
        #expect(bare.header.responseCode == .noError)
        #expect(bare.header.isAuthoritative && bare.answers.isEmpty)
        let pod = try client.query("10-244-7-9.kube-node-lease.pod.cluster.local", .a)
        #expect(pod.answers.map(\.data) == [.a(IPv4Address("10.244.7.9")!)])
        #expect(try client.query("missing.svc.cluster.local", .a).header.responseCode == .nxDomain)
        #expect(try running.get(.metrics).body.contains(#"clusterdns_kubernetes_objects{resource="namespaces"} 5"#))
    }

    /// A ClusterRole that predates the namespace watch must not take DNS down: a 403 on the namespaces list is logged
    /// once, and everything else is served (a namespace without objects is NXDOMAIN then).
    @Test func forbiddenNamespacesAreLoggedAndDoNotBlockTheSync() throws {
        let cluster = try FakeKubeCluster(tls: TestFixtures.serverTLS())
        defer { cluster.stop() }
        let forbidden = try TestFixtures.bytes("kube-api/errors/403-create-in-terminating-namespace.json")
        cluster.script.withLock { $0.lists["/api/v1/namespaces"] = [.json(forbidden, status: 403)] }
        let running = try RunningServer(files: [:], kubernetes: Self.configuration(cluster), readsZones: false)
        defer { running.stop() }
        let client = running.client()

        #expect(try running.eventually { try client.query(Self.web, .a).answers.map(\.data) == [Self.webAddress] })
        #expect(try running.get(.ready).status == 200)
        #expect(try client.query("kube-public.svc.cluster.local", .a).header.responseCode == .nxDomain)
        #expect(running.logs.waitFor("listing namespaces is forbidden (403)") != nil)
        // Tried again after each back-off, without a log line or a failure count each time.
        #expect(running.eventually { cluster.requests("/api/v1/namespaces", watch: false).count >= 3 })
        #expect(running.logs.all.filter { $0.contains("forbidden") }.count == 1)
        #expect(try running.get(.metrics).body.contains("clusterdns_kubernetes_synced 1"))
    }

    @Test func aWatchEventIsAnsweredWithoutARestart() throws {
        let cluster = try FakeKubeCluster(tls: TestFixtures.serverTLS())
        defer { cluster.stop() }
        let events = try TestFixtures.bytes("kube-api/watch/services.jsonl").split(separator: UInt8(ascii: "\n"))
        cluster.script.withLock {
            // Synced first, then (a moment later) the churn service is ADDED as ExternalName a.example.com.
            $0.watches["/api/v1/services"] = [
                .chunked([.pause(.milliseconds(300)), .chunk(Array(events[0]) + [10]), .hold])
            ]
        }
        let running = try RunningServer(files: [:], kubernetes: Self.configuration(cluster), readsZones: false)
        defer { running.stop() }
        let client = running.client()

        #expect(try running.eventually { try client.query(Self.web, .a).answers.count == 1 })
        #expect(
            try running.eventually {
                try client.query("churn.prod.svc.cluster.local", .cname).answers.map(\.data) == [
                    .cname(try Name("a.example.com"))
                ]
            })
    }

    @Test func anAPIOutageKeepsTheLastAnswersAndReportsTheirAge() throws {
        let cluster = try FakeKubeCluster(tls: TestFixtures.serverTLS())
        let running = try RunningServer(files: [:], kubernetes: Self.configuration(cluster), readsZones: false)
        defer { running.stop() }
        let client = running.client()
        #expect(try running.eventually { try client.query(Self.web, .a).answers.count == 1 })

        cluster.stop()  // the API server goes away: watches break, reconnects are refused
        #expect(running.eventually { running.logs.all.contains { $0.contains("serving the last data (stale for") } })
        #expect(try client.query(Self.web, .a).answers.map(\.data) == [Self.webAddress])
        #expect(try running.get(.ready).status == 200)
        #expect(
            try running.eventually {
                let metrics = try running.get(.metrics).body
                return !metrics.contains("clusterdns_kubernetes_stale_seconds 0\n")
                    && metrics.contains("clusterdns_kubernetes_stale_seconds ")
            })
    }

    @Test func manifestsAndTheAPIServeTogether() throws {
        let cluster = try FakeKubeCluster(tls: TestFixtures.serverTLS())
        defer { cluster.stop() }
        let running = try RunningServer(
            files: ["api.yaml": ExampleManifests.api], kubernetes: Self.configuration(cluster))
        defer { running.stop() }
        let client = running.client()

        #expect(try running.eventually { try client.query(Self.web, .a).answers.count == 1 })
        #expect(
            try client.query("api.prod.svc.cluster.local", .a).answers.map(\.data) == [.a(IPv4Address("10.96.7.7")!)])
        // A manifest edit still reloads beside the API.
        try running.zones.write("extra.yaml", ExampleManifests.web)
        #expect(try running.eventually { try client.query("web.default.svc.cluster.local", .a).answers.count == 2 })
        #expect(try client.query(Self.web, .a).answers.count == 1)
    }
}
