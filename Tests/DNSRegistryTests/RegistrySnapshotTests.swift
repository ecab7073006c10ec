import DNSRegistry
import DNSWire
import Testing

struct RegistrySnapshotTests {
    private static func address(_ text: String) -> IPAddress {
        IPAddress(text)!
    }

    private static func slice(
        _ name: String, service: String = "web", namespace: String = "prod", legacy: Bool = false,
        endpoints: [Endpoint], ports: [EndpointPort] = [EndpointPort(name: "http", port: 80)]
    ) -> EndpointSlice {
        EndpointSlice(
            namespace: namespace, name: name, serviceName: service, endpoints: endpoints, ports: ports,
            isLegacyEndpoints: legacy)
    }

    private static func headless(publishNotReady: Bool = false) -> Service {
        Service(namespace: "prod", name: "web", kind: .headless, publishNotReadyAddresses: publishNotReady)
    }

    struct ConditionCase: CustomTestStringConvertible, Sendable {
        /// `nil` stands for a manifest without the condition.
        var ready: Bool?
        var terminating: Bool?
        var publishNotReady: Bool
        var published: Bool
        var testDescription: String {
            "ready \(ready.map(String.init) ?? "unset"), terminating \(terminating.map(String.init) ?? "unset"), "
                + "publishNotReadyAddresses \(publishNotReady) → \(published ? "published" : "hidden")"
        }
    }

    /// Every combination of the conditions that decide publication, written as a manifest would write them.
    /// Terminating endpoints are never published, not even with publishNotReadyAddresses.
    static let conditionCases: [ConditionCase] = [
        ConditionCase(ready: nil, terminating: nil, publishNotReady: false, published: true),
        ConditionCase(ready: nil, terminating: nil, publishNotReady: true, published: true),
        ConditionCase(ready: nil, terminating: false, publishNotReady: false, published: true),
        ConditionCase(ready: nil, terminating: false, publishNotReady: true, published: true),
        ConditionCase(ready: nil, terminating: true, publishNotReady: false, published: false),
        ConditionCase(ready: nil, terminating: true, publishNotReady: true, published: false),
        ConditionCase(ready: true, terminating: nil, publishNotReady: false, published: true),
        ConditionCase(ready: true, terminating: nil, publishNotReady: true, published: true),
        ConditionCase(ready: true, terminating: false, publishNotReady: false, published: true),
        ConditionCase(ready: true, terminating: false, publishNotReady: true, published: true),
        ConditionCase(ready: true, terminating: true, publishNotReady: false, published: false),
        ConditionCase(ready: true, terminating: true, publishNotReady: true, published: false),
        ConditionCase(ready: false, terminating: nil, publishNotReady: false, published: false),
        ConditionCase(ready: false, terminating: nil, publishNotReady: true, published: true),
        ConditionCase(ready: false, terminating: false, publishNotReady: false, published: false),
        ConditionCase(ready: false, terminating: false, publishNotReady: true, published: true),
        ConditionCase(ready: false, terminating: true, publishNotReady: false, published: false),
        ConditionCase(ready: false, terminating: true, publishNotReady: true, published: false),
    ]

    @Test(arguments: conditionCases)
    func endpointConditionsDecidePublication(_ example: ConditionCase) throws {
        var conditions: [String] = []
        if let ready = example.ready { conditions.append("ready: \(ready)") }
        if let terminating = example.terminating { conditions.append("terminating: \(terminating)") }
        let objects = try ManifestParser.parse(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: prod}
            spec: {clusterIP: None, publishNotReadyAddresses: \(example.publishNotReady)}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-1, namespace: prod, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            endpoints:
              - addresses: [10.244.1.10]
                conditions: {\(conditions.joined(separator: ", "))}
            """, path: "conditions.yaml")
        let snapshot = RegistrySnapshot(objects: objects)
        let service = try #require(snapshot.service(namespace: "prod", name: "web"))
        let published = snapshot.publishedEndpoints(of: service).flatMap(\.endpoint.addresses)
        #expect(published == (example.published ? [Self.address("10.244.1.10")] : []))
    }

    @Test func legacyEndpointsOnlyWhenTheServiceHasNoSlice() {
        let current = Self.slice("web-abc", endpoints: [Endpoint(addresses: [Self.address("10.0.0.1")])])
        let legacy = Self.slice("web", legacy: true, endpoints: [Endpoint(addresses: [Self.address("10.0.0.9")])])
        let otherLegacy = Self.slice(
            "api", service: "api", legacy: true, endpoints: [Endpoint(addresses: [Self.address("10.0.0.5")])])
        let snapshot = RegistrySnapshot(
            objects: [.endpointSlice(legacy), .endpointSlice(current), .endpointSlice(otherLegacy)])
        #expect(snapshot.endpointSlices(namespace: "prod", service: "web") == [current])
        #expect(snapshot.endpointSlices(namespace: "prod", service: "api") == [otherLegacy])
        #expect(snapshot.endpointSlices(namespace: "prod", service: "none").isEmpty)
        #expect(snapshot.endpointSlices(namespace: "other", service: "web").isEmpty)
        let published = snapshot.publishedEndpoints(of: Self.headless())
        #expect(published.map(\.endpoint.addresses) == [[Self.address("10.0.0.1")]])
    }

    @Test func addressInSeveralSlicesIsPublishedOnceWithAllItsPorts() {
        let http = EndpointPort(name: "http", port: 80)
        let metrics = EndpointPort(name: "metrics", port: 9090)
        let first = Self.slice(
            "web-a", endpoints: [Endpoint(addresses: [Self.address("10.0.0.1")], hostname: "web-0")], ports: [http])
        let second = Self.slice(
            "web-b",
            endpoints: [
                Endpoint(addresses: [Self.address("10.0.0.1")], hostname: "other"),
                Endpoint(addresses: [Self.address("10.0.0.2")]),
            ],
            ports: [http, metrics])
        let snapshot = RegistrySnapshot(objects: [.endpointSlice(second), .endpointSlice(first)])
        #expect(
            snapshot.publishedEndpoints(of: Self.headless()) == [
                PublishedEndpoint(
                    endpoint: Endpoint(addresses: [Self.address("10.0.0.1")], hostname: "web-0"),
                    ports: [http, metrics]),
                PublishedEndpoint(endpoint: Endpoint(addresses: [Self.address("10.0.0.2")]), ports: [http, metrics]),
            ])
    }

    @Test func arraysAreSortedByNamespaceThenName() {
        let objects: [RegistryObject] = [
            .service(Service(namespace: "b", name: "a", kind: .headless)),
            .service(Service(namespace: "a", name: "z", kind: .headless)),
            .service(Service(namespace: "a", name: "b", kind: .headless)),
            .pod(Pod(namespace: "b", name: "p", ips: [])),
            .pod(Pod(namespace: "a", name: "q", ips: [])),
            .endpointSlice(Self.slice("z", namespace: "a", endpoints: [])),
            .endpointSlice(Self.slice("a", namespace: "b", endpoints: [])),
            .endpointSlice(Self.slice("m", namespace: "a", endpoints: [])),
        ]
        let snapshot = RegistrySnapshot(objects: objects)
        #expect(snapshot.services.map { "\($0.namespace)/\($0.name)" } == ["a/b", "a/z", "b/a"])
        #expect(snapshot.pods.map { "\($0.namespace)/\($0.name)" } == ["a/q", "b/p"])
        #expect(snapshot.endpointSlices.map { "\($0.namespace)/\($0.name)" } == ["a/m", "a/z", "b/a"])
        #expect(snapshot == RegistrySnapshot(objects: objects.reversed()))
    }

    @Test func legacySubsetsKeepTheirOrder() {
        let subsets = (1...5).map { index in
            Self.slice("web", legacy: true, endpoints: [Endpoint(addresses: [Self.address("10.0.0.\(index)")])])
        }
        let snapshot = RegistrySnapshot(objects: subsets.map(RegistryObject.endpointSlice))
        #expect(snapshot.endpointSlices == subsets)
    }

    @Test func namespacesAreDeclaredAndUsedOnes() {
        let snapshot = RegistrySnapshot(objects: [
            .namespace("empty"),
            .service(Service(namespace: "prod", name: "web", kind: .headless)),
            .pod(Pod(namespace: "jobs", name: "p", ips: [])),
            .endpointSlice(Self.slice("s", namespace: "mirrors", endpoints: [])),
        ])
        #expect(snapshot.namespaces == ["empty", "prod", "jobs", "mirrors"])
        #expect(RegistrySnapshot.empty.namespaces.isEmpty)
        #expect(RegistrySnapshot.empty.isEmpty)
        #expect(!snapshot.isEmpty)
    }

    @Test func serviceLookup() {
        let web = Service(namespace: "prod", name: "web", kind: .clusterIP([Self.address("10.96.0.5")]))
        let snapshot = RegistrySnapshot(objects: [.service(web)])
        #expect(snapshot.service(namespace: "prod", name: "web") == web)
        #expect(snapshot.service(namespace: "default", name: "web") == nil)
    }

    @Test func objectKeysNameTheKubernetesObject() {
        #expect(
            RegistryObject.endpointSlice(Self.slice("web", legacy: true, endpoints: [])).key
                == RegistryObjectKey(kind: "Endpoints", namespace: "prod", name: "web"))
        #expect(
            RegistryObject.endpointSlice(Self.slice("web-x", endpoints: [])).key
                == RegistryObjectKey(kind: "EndpointSlice", namespace: "prod", name: "web-x"))
        #expect(RegistryObject.namespace("prod").key.description == "Namespace prod")
        #expect(RegistryObject.pod(Pod(namespace: "a", name: "b", ips: [])).key.description == "Pod a/b")
    }
}
