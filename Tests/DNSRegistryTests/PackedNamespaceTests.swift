import DNSWire
import Testing

@testable import DNSRegistry

struct PackedNamespaceTests {
    private static func address(_ text: String) -> IPAddress {
        IPAddress(text)!
    }

    /// Every field and every value shape the format has a case for: each service kind (a dual-stack and an empty
    /// cluster IP list, an ExternalName target in mixed case), unnamed and named ports of every protocol, the largest
    /// port, endpoints with several addresses of both families and every condition, a `nil` and an empty hostname,
    /// a legacy Endpoints subset, a pod without an IP, and names long enough for two-byte lengths.
    static let everyShape: [RegistryObject] = [
        .service(
            Service(
                namespace: "prod", name: "web",
                kind: .clusterIP([address("10.96.0.1"), address("fd00::1")]),
                ports: [
                    ServicePort(name: "http", transportProtocol: .tcp, port: 80),
                    ServicePort(name: nil, transportProtocol: .udp, port: 65535),
                    ServicePort(name: "sig", transportProtocol: .sctp, port: 0),
                ])),
        .service(Service(namespace: "prod", name: "no-ip", kind: .clusterIP([]))),
        .service(
            Service(
                namespace: "prod", name: "db", kind: .headless, ports: [ServicePort(name: "pg", port: 5432)],
                publishNotReadyAddresses: true)),
        .service(Service(namespace: "prod", name: "ext", kind: .externalName("Mail.Example.COM"))),
        .endpointSlice(
            EndpointSlice(
                namespace: "prod", name: "db-abcde", serviceName: "db",
                endpoints: [
                    Endpoint(addresses: [address("10.1.0.1")], hostname: "db-0"),
                    Endpoint(
                        addresses: [address("10.1.0.2"), address("10.1.0.3"), address("2001:db8::2")], ready: false,
                        serving: false, terminating: true, hostname: ""),
                    Endpoint(addresses: [], ready: true, serving: false, terminating: false),
                ],
                ports: [
                    EndpointPort(name: "pg", port: 5432), EndpointPort(name: nil, transportProtocol: .udp, port: 9),
                ]
            )),
        .endpointSlice(
            EndpointSlice(
                namespace: "prod", name: "db", serviceName: "db",
                endpoints: [Endpoint(addresses: [address("10.1.0.9")])], ports: [], isLegacyEndpoints: true)),
        .endpointSlice(
            EndpointSlice(
                namespace: "prod", name: String(repeating: "s", count: 200), serviceName: "web", endpoints: [],
                ports: [])),
        .pod(Pod(namespace: "prod", name: String(repeating: "p", count: 300), ips: [])),
        .pod(Pod(namespace: "prod", name: "client", ips: [address("10.2.0.1"), address("fd00::2:1")])),
        .namespace("prod"),
    ]

    @Test func unpackingGivesBackEveryField() {
        let objects = NamespaceObjects(objects: Self.everyShape)
        let unpacked = PackedNamespace(objects).objects
        #expect(unpacked.services == objects.services)
        #expect(unpacked.endpointSlices == objects.endpointSlices)
        #expect(unpacked.pods == objects.pods)
        #expect(unpacked.isDeclared)
        #expect(unpacked.objects(namespace: "prod") == objects.objects(namespace: "prod"))
        // The index by service comes back too: the legacy subset gives way to the service's EndpointSlice.
        #expect(unpacked.endpointSlices(service: "db") == objects.endpointSlices(service: "db"))
        #expect(unpacked.endpointSlices(service: "db").map(\.name) == ["db-abcde"])
        #expect(unpacked.endpointSlices(service: "web").count == 1)
        // A `nil` hostname and an empty one stay apart.
        let hostnames = unpacked.endpointSlices.flatMap(\.endpoints).map(\.hostname)
        #expect(hostnames.contains(nil) && hostnames.contains(""))
    }

    @Test func countsAndEmptiness() {
        let packed = PackedNamespace(NamespaceObjects(objects: Self.everyShape))
        #expect(packed.serviceCount == 4)
        #expect(packed.endpointSliceCount == 3)
        #expect(packed.podCount == 2)
        #expect(packed.isDeclared)
        #expect(!packed.isEmpty)
        #expect(PackedNamespace().isEmpty)
        #expect(PackedNamespace().objects.isEmpty)
        let declaredOnly = PackedNamespace(NamespaceObjects(objects: [RegistryObject.namespace("quiet")]))
        #expect(!declaredOnly.isEmpty)
        #expect(declaredOnly.objects.isDeclared)
    }

    /// Equal exactly when the objects are, as `NamespaceObjects` compares them: one condition of one endpoint is a
    /// difference; being declared is not.
    @Test func equalityFollowsTheObjects() {
        let objects = NamespaceObjects(objects: Self.everyShape)
        #expect(PackedNamespace(objects) == PackedNamespace(NamespaceObjects(objects: Self.everyShape)))
        var changed = Self.everyShape
        guard case .endpointSlice(var slice) = changed[4] else {
            Issue.record("fixture order changed")
            return
        }
        slice.endpoints[0].ready = false
        changed[4] = .endpointSlice(slice)
        #expect(PackedNamespace(NamespaceObjects(objects: changed)) != PackedNamespace(objects))
        let undeclared = Self.everyShape.filter { if case .namespace = $0 { false } else { true } }
        #expect(PackedNamespace(NamespaceObjects(objects: undeclared)) == PackedNamespace(objects))
        #expect(NamespaceObjects(objects: undeclared) == objects)
    }

    /// The point of packing: a ClusterIP service with two named ports and its slice of three endpoints, the common
    /// shape at 100,000 services, in about 100 bytes (unpacked, about 500).
    @Test func aTypicalServiceAndSliceTakeFewBytes() {
        var objects: [RegistryObject] = []
        for index in 0..<100 {
            let name = "svc-\(100_000 + index)"
            objects.append(
                .service(
                    Service(
                        namespace: "ns-0001", name: name, kind: .clusterIP([Self.address("10.96.1.\(index)")]),
                        ports: [ServicePort(name: "http", port: 80), ServicePort(name: "metrics", port: 9090)])))
            objects.append(
                .endpointSlice(
                    EndpointSlice(
                        namespace: "ns-0001", name: "\(name)-abcde", serviceName: name,
                        endpoints: (0..<3).map { Endpoint(addresses: [Self.address("10.244.\(index).\($0)")]) },
                        ports: [EndpointPort(name: "http", port: 8080), EndpointPort(name: "metrics", port: 9090)])))
        }
        let packed = PackedNamespace(NamespaceObjects(objects: objects))
        #expect(packed.byteCount < 100 * 105)
        #expect(packed.objects == NamespaceObjects(objects: objects))
    }

    /// A list's pages held packed: each object comes back whole, under the namespace it was appended as, in order.
    @Test func objectListGivesBackEachObjectByNamespace() {
        var list = PackedObjectList()
        let others: [RegistryObject] = [
            .service(Service(namespace: "dev", name: "api", kind: .headless)), .namespace("dev"),
        ]
        for (index, object) in Self.everyShape.enumerated() {
            list.append(object, namespace: "prod")
            if index < others.count { list.append(others[index], namespace: "dev") }
        }
        #expect(list.objects(in: "prod") == Self.everyShape)
        #expect(list.objects(in: "dev") == others)
        #expect(list.objects(in: "nowhere").isEmpty)
        #expect(Set(list.offsetsByNamespace.keys) == ["prod", "dev"])
    }
}
