import DNSWire
import Testing

@testable import DNSRegistry

/// Two sources at once: an object both declare is taken from the one laid over; everything else of both is kept.
struct RegistrySnapshotOverlayTests {
    static func service(_ namespace: String, _ name: String, _ address: String) -> RegistryObject {
        .service(Service(namespace: namespace, name: name, kind: .clusterIP([IPAddress(address)!])))
    }

    @Test func theOverlayWinsForTheSameObjectAndKeepsTheRest() {
        let manifests = RegistrySnapshot(objects: [
            Self.service("a", "shared", "10.0.0.1"), Self.service("a", "static", "10.0.0.2"),
            Self.service("b", "other", "10.0.0.3"), .namespace("empty"),
        ])
        let api = [Self.service("a", "shared", "10.0.0.9"), Self.service("c", "new", "10.0.0.4")]
        let merged = manifests.overlaid(with: api)
        #expect(merged.service(namespace: "a", name: "shared")?.kind == .clusterIP([IPAddress("10.0.0.9")!]))
        #expect(merged.service(namespace: "a", name: "static") != nil)
        #expect(merged.service(namespace: "b", name: "other") != nil)
        #expect(merged.service(namespace: "c", name: "new") != nil)
        #expect(merged.namespaces == ["a", "b", "c", "empty"])
        #expect(merged.serviceCount == 4)
        // The same as building the merged list from scratch.
        #expect(
            merged
                == RegistrySnapshot(
                    objects: [
                        Self.service("a", "static", "10.0.0.2"), Self.service("b", "other", "10.0.0.3"),
                        .namespace("empty"),
                    ] + api))
    }

    @Test func anOverlayByNamespaceIsTheSameAndSharesTheNamespacesOnlyItHolds() {
        let manifests = RegistrySnapshot(objects: [
            Self.service("a", "shared", "10.0.0.1"), Self.service("a", "static", "10.0.0.2"), .namespace("b"),
        ])
        let api = [
            Self.service("a", "shared", "10.0.0.9"), Self.service("b", "x", "10.0.0.3"),
            Self.service("c", "new", "10.0.0.4"), .namespace("c"),
        ]
        var byNamespace: [String: PackedNamespace] = [:]
        for namespace in ["a", "b", "c"] {
            byNamespace[namespace] = PackedNamespace(
                NamespaceObjects(objects: api.filter { $0.namespace == namespace }))
        }
        byNamespace["gone"] = PackedNamespace()
        let merged = manifests.overlaid(with: byNamespace)
        #expect(merged == manifests.overlaid(with: api))
        #expect(merged.namespaces == ["a", "b", "c"])
        #expect(merged.objects(in: "c")?.isDeclared == true)
        #expect(merged.packedObjects(in: "c")!.storageAddress == byNamespace["c"]!.storageAddress)
    }
}
