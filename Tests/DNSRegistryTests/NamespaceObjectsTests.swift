import DNSTestKit
import DNSWire
import Testing

@testable import DNSRegistry

/// The look-ups of `NamespaceObjects` (binary searches over its sorted arrays) against the obvious linear scans, and its
/// updates one key at a time against building the namespace from scratch.
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

    /// A random object of one of a few names per kind: services, slices (of a few services), pods, the Namespace.
    private static func randomObject(_ random: inout SplitMix64, step: Int) -> RegistryObject {
        let name = "n\(random.next() % 6)"
        let address = AddressList([.v4(IPv4Address(UInt32(step)))])
        switch random.next() % 4 {
        case 0: return .service(Service(namespace: "prod", name: name, kind: .clusterIP(address)))
        case 1:
            return .endpointSlice(
                EndpointSlice(
                    namespace: "prod", name: name, serviceName: "s\(random.next() % 3)",
                    endpoints: [Endpoint(addresses: address)], ports: []))
        case 2: return .pod(Pod(namespace: "prod", name: name, ips: address))
        default: return .namespace("prod")
        }
    }

    @Test(arguments: [5, 6, 7, 8] as [UInt64])
    func updatesOneKeyAtATimeGiveWhatABuildFromScratchGives(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        // Converted legacy Endpoints, some named like slices: updates leave them alone.
        let legacy = [
            Self.slice("n1", service: "s1", legacy: true), Self.slice("n1", service: "s1", legacy: true),
            Self.slice("n4", service: "s2", legacy: true),
        ].map(RegistryObject.endpointSlice)
        var objects = NamespaceObjects(objects: legacy)
        var model: [RegistryObjectKey: RegistryObject] = [:]
        for step in 0..<400 {
            let object = Self.randomObject(&random, step: step)
            if random.next() % 3 == 0 {
                objects.remove(object.key)
                model[object.key] = nil
            } else {
                objects.update(with: object)
                model[object.key] = object
            }
            let fresh = NamespaceObjects(objects: legacy + model.keys.sorted().map { model[$0]! })
            #expect(objects == fresh, "step \(step)")
            #expect(objects.isDeclared == fresh.isDeclared, "step \(step)")
            for service in ["s0", "s1", "s2", "s3"] {
                #expect(objects.endpointSlices(service: service) == fresh.endpointSlices(service: service))
            }
            for kind in ["Service", "EndpointSlice", "Pod", "Namespace"] {
                #expect(objects.count(ofKind: kind) == model.keys.count { $0.kind == kind }, "step \(step)")
            }
        }
    }

    @Test func replacingAKindKeepsTheLaterOfTwoObjectsWithOneKeyAndLeavesTheRest() {
        let pod = Pod(namespace: "prod", name: "p", ips: [])
        let legacy = Self.slice("web", service: "web", legacy: true)
        var objects = NamespaceObjects(
            objects: [.pod(pod), .endpointSlice(legacy), .endpointSlice(Self.slice("old", service: "web"))])
        let first = Self.slice("web", service: "web")
        let second = Self.slice("web", service: "api")
        objects.replaceAll(
            ofKind: "EndpointSlice",
            with: [
                .endpointSlice(first), .pod(pod), .endpointSlice(Self.slice("a", service: "a")), .endpointSlice(second),
            ])
        #expect(objects.endpointSlices.map(\.name) == ["a", "web", "web"])
        #expect(objects.endpointSlices(service: "api") == [second])
        // The legacy Endpoints stay; "web" has no EndpointSlice left (its slice now names "api"), so they answer.
        #expect(objects.endpointSlices(service: "web") == [legacy])
        #expect(objects.pods == [pod])
        #expect(objects.count(ofKind: "EndpointSlice") == 2)
        objects.replaceAll(ofKind: "Namespace", with: [.namespace("prod")])
        #expect(objects.isDeclared)
        objects.replaceAll(ofKind: "Pod", with: [])
        #expect(objects.pods.isEmpty)
    }

    @Test func anUpdateRewritesOnlyTheArrayOfItsKind() {
        let original = NamespaceObjects(objects: [
            .service(Service(namespace: "prod", name: "web", kind: .headless)),
            .endpointSlice(Self.slice("web-1", service: "web")), .pod(Pod(namespace: "prod", name: "p", ips: [])),
        ])
        var updated = original
        updated.update(with: .service(Service(namespace: "prod", name: "api", kind: .headless)))
        #expect(updated.services.count == 2)
        #expect(Self.storage(of: updated.endpointSlices) == Self.storage(of: original.endpointSlices))
        #expect(Self.storage(of: updated.pods) == Self.storage(of: original.pods))
    }

    static func storage<Element>(of array: [Element]) -> UnsafeRawPointer? {
        array.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }
}
