import DNSRegistry
import DNSWire
import Foundation
import Testing

/// Manifests and API lists recorded from a real kube-apiserver v1.26.1 (see Tests/Fixtures/manifests).
struct KubeAPIFixtureTests {
    private static func parse(_ relativePath: String) throws -> [RegistryObject] {
        let url = Fixtures.manifests.appendingPathComponent(relativePath)
        return try ManifestParser.parse(try Fixtures.text(url), path: relativePath)
    }

    private static func address(_ text: String) -> IPAddress {
        IPAddress(text)!
    }

    @Test func appliedManifestGivesTheServicesItDeclares() throws {
        let snapshot = RegistrySnapshot(objects: try Self.parse("objects.yaml"))
        let services = snapshot.services.map { "\($0.namespace)/\($0.name)" }
        #expect(
            services == [
                "default/legacy", "kube-system/kube-dns", "prod/db", "prod/db-peers", "prod/dual", "prod/ext-db",
                "prod/web", "prod/web-lb", "prod/web-nodeport", "prod/web-prefer-dual",
            ])
        // The API server allocates cluster IPs; the manifest leaves them out except for kube-dns.
        #expect(
            snapshot.service(namespace: "kube-system", name: "kube-dns")?.kind
                == .clusterIP([Self.address("10.96.0.10")]))
        #expect(snapshot.service(namespace: "prod", name: "web")?.kind == .clusterIP([]))
        #expect(snapshot.service(namespace: "prod", name: "db")?.kind == .headless)
        #expect(snapshot.service(namespace: "prod", name: "ext-db")?.kind == .externalName("db.example.com"))
        #expect(snapshot.service(namespace: "prod", name: "db-peers")?.publishNotReadyAddresses == true)
        #expect(
            snapshot.service(namespace: "kube-system", name: "kube-dns")?.ports == [
                ServicePort(name: "dns", transportProtocol: .udp, port: 53),
                ServicePort(name: "dns-tcp", transportProtocol: .tcp, port: 53),
                ServicePort(name: "metrics", transportProtocol: .tcp, port: 9153),
            ])
        #expect(snapshot.pods.count == 9)
        #expect(snapshot.namespaces == ["default", "kube-system", "prod"])
    }

    @Test func appliedManifestEndpoints() throws {
        let snapshot = RegistrySnapshot(objects: try Self.parse("objects.yaml"))
        let legacy = try #require(snapshot.service(namespace: "default", name: "legacy"))
        #expect(
            snapshot.publishedEndpoints(of: legacy) == [
                PublishedEndpoint(
                    endpoint: Endpoint(
                        addresses: [Self.address("10.244.9.1")], hostname: "legacy-a"),
                    ports: [EndpointPort(name: "api", port: 9000)])
            ])
        let dual = try #require(snapshot.service(namespace: "prod", name: "dual"))
        #expect(
            snapshot.publishedEndpoints(of: dual).map(\.endpoint.addresses) == [
                [Self.address("10.244.5.1")], [Self.address("fd00:10:244::5:1")],
            ])
    }

    @Test func apiListsInJSON() throws {
        let objects = try ["services", "endpointslices", "endpoints", "pods-active", "namespaces"].flatMap {
            try Self.parse("api-lists/\($0).json")
        }
        let snapshot = RegistrySnapshot(objects: objects)
        #expect(snapshot.services.count == 11)
        #expect(
            snapshot.service(namespace: "default", name: "kubernetes")?.kind == .clusterIP([Self.address("10.96.0.1")]))
        #expect(snapshot.service(namespace: "prod", name: "web-lb")?.kind == .clusterIP([Self.address("10.98.196.18")]))
        #expect(snapshot.pods.count == 8)
        #expect(snapshot.namespaces == ["default", "kube-node-lease", "kube-public", "kube-system", "prod"])
        // 10 EndpointSlices and 8 Endpoints (one slice per subset).
        #expect(snapshot.endpointSlices.filter { !$0.isLegacyEndpoints }.count == 10)
        #expect(snapshot.endpointSlices.filter(\.isLegacyEndpoints).count == 8)
    }

    /// Kubernetes mirrors the hand-written Endpoints `legacy` into an EndpointSlice: the slice is what counts.
    @Test func mirroredSliceWinsOverLegacyEndpoints() throws {
        let objects = try Self.parse("api-lists/endpointslices.json") + Self.parse("api-lists/endpoints.json")
        let snapshot = RegistrySnapshot(objects: objects)
        let slices = snapshot.endpointSlices(namespace: "default", service: "legacy")
        #expect(slices.map(\.name) == ["legacy-4xrf4"])
        #expect(slices.allSatisfy { !$0.isLegacyEndpoints })
        let onlyLegacy = RegistrySnapshot(objects: try Self.parse("api-lists/endpoints.json"))
        #expect(onlyLegacy.endpointSlices(namespace: "default", service: "legacy").map(\.isLegacyEndpoints) == [true])
    }

    /// `db` hides its not-ready and terminating pods. `db-peers` (publishNotReadyAddresses) shows the not-ready one
    /// but not the terminating db-2, which the real controller lists as `ready: true, terminating: true`.
    @Test func realConditionsOfHeadlessServices() throws {
        let objects = try Self.parse("api-lists/services.json") + Self.parse("api-lists/endpointslices.json")
        let snapshot = RegistrySnapshot(objects: objects)
        let db = try #require(snapshot.service(namespace: "prod", name: "db"))
        #expect(snapshot.publishedEndpoints(of: db).compactMap(\.endpoint.hostname) == ["db-0"])
        let peers = try #require(snapshot.service(namespace: "prod", name: "db-peers"))
        #expect(
            snapshot.publishedEndpoints(of: peers).map(\.endpoint.addresses) == [
                [Self.address("10.244.1.20")], [Self.address("10.244.2.21")],
            ])
        let peerSlices = snapshot.endpointSlices(namespace: "prod", service: "db-peers")
        #expect(
            peerSlices.flatMap(\.endpoints).contains {
                $0.addresses == [Self.address("10.244.1.22")] && $0.ready && $0.terminating
            })
        let kubeDNS = try #require(snapshot.service(namespace: "kube-system", name: "kube-dns"))
        #expect(
            snapshot.publishedEndpoints(of: kubeDNS) == [
                PublishedEndpoint(
                    endpoint: Endpoint(
                        addresses: [Self.address("10.244.1.2")]),
                    ports: [
                        EndpointPort(name: "metrics", transportProtocol: .tcp, port: 9153),
                        EndpointPort(name: "dns", transportProtocol: .udp, port: 53),
                        EndpointPort(name: "dns-tcp", transportProtocol: .tcp, port: 53),
                    ])
            ])
    }
}
