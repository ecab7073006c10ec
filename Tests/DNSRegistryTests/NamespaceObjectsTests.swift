import DNSTestKit
import DNSWire
import Testing

@testable import DNSRegistry

/// The look-ups of `NamespaceObjects` (binary searches over its sorted arrays) against the obvious linear scans.
struct NamespaceObjectsTests {
    private static func slice(_ name: String, service: String, legacy: Bool = false) -> EndpointSlice {
        EndpointSlice(
            namespace: "prod", name: name, serviceName: service,
            endpoints: [Endpoint(addresses: [.v4(IPv4Address(UInt32(name.count)))])], ports: [],
            isLegacyEndpoints: legacy)
    }

    @Test(arguments: [1, 2, 3, 4])
    func slicesOfEachServiceAreThoseNamingItInSliceOrder(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let services = ["a", "api", "db", "web", "web-1", "z"]
        var slices: [EndpointSlice] = []
        for index in 0..<40 {
            let service = services[Int(random.next() % UInt64(services.count))]
            slices.append(Self.slice("\(service)-\(index % 7)", service: service, legacy: random.next() % 5 == 0))
        }
        let objects = NamespaceObjects(objects: slices.map(RegistryObject.endpointSlice))
        for service in services + ["", "b", "zz", "web-"] {
            let all = objects.endpointSlices.filter { $0.serviceName == service }
            let current = all.filter { !$0.isLegacyEndpoints }
            #expect(objects.endpointSlices(service: service) == (current.isEmpty ? all : current))
        }
    }

    @Test func serviceByNameIsTheLastListedOfThatName() {
        let first = Service(namespace: "prod", name: "web", kind: .headless)
        let second = Service(namespace: "prod", name: "web", kind: .clusterIP([.v4(IPv4Address(1))]))
        let objects = NamespaceObjects(
            objects: [
                .service(Service(namespace: "prod", name: "z", kind: .headless)), .service(first),
                .service(Service(namespace: "prod", name: "a", kind: .headless)), .service(second),
            ])
        #expect(objects.service(named: "web") == second)
        #expect(objects.service(named: "a")?.name == "a")
        #expect(objects.service(named: "z")?.name == "z")
        for missing in ["", "b", "we", "web-1", "zz"] {
            #expect(objects.service(named: missing) == nil)
        }
    }
}
