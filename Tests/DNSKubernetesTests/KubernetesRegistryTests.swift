import DNSKubernetes
import DNSWire
import Foundation
import Testing

@testable import DNSRegistry

/// Lists and watch streams recorded from kube-apiserver v1.26.1, replayed into the registry.
struct KubernetesRegistryTests {
    static func listedRegistry() throws -> KubernetesRegistry {
        var registry = KubernetesRegistry(resources: [.services, .endpointSlices, .pods])
        try registry.applyList(try KubeAPIFixtures.bytes("list/services.json"), of: .services)
        try registry.applyList(try KubeAPIFixtures.bytes("list/endpointslices.json"), of: .endpointSlices)
        try registry.applyList(try KubeAPIFixtures.bytes("list/pods-active.json"), of: .pods)
        return registry
    }

    @Test func notSyncedUntilEveryCollectionIsListed() throws {
        var registry = KubernetesRegistry(resources: [.services, .endpointSlices])
        #expect(!registry.isSynced)
        try registry.applyList(try KubeAPIFixtures.bytes("list/services.json"), of: .services)
        #expect(!registry.isSynced)
        try registry.applyList(try KubeAPIFixtures.bytes("list/endpointslices.json"), of: .endpointSlices)
        #expect(registry.isSynced)
    }

    @Test func recordedListsGiveTheClustersServicesAndSlices() throws {
        var registry = try Self.listedRegistry()
        #expect(registry.count(of: .services) == 11)
        #expect(registry.resourceVersions[.services] == "274")
        let snapshot = registry.snapshot()
        let kubeDNS = try #require(snapshot.service(namespace: "kube-system", name: "kube-dns"))
        #expect(kubeDNS.kind == .clusterIP([IPAddress("10.96.0.10")!]))
        let db = try #require(snapshot.service(namespace: "prod", name: "db"))
        #expect(db.kind == .headless)
        // db-0 ready; db-1 not ready; db-2 terminating.
        let published = snapshot.publishedEndpoints(of: db).flatMap(\.endpoint.addresses)
        #expect(published.count == 1)
        let external = try #require(snapshot.service(namespace: "prod", name: "ext-db"))
        #expect(external.kind == .externalName("db.example.com."))
    }

    @Test func serviceWatchReplaysTheChurn() throws {
        var registry = try Self.listedRegistry()
        var outcomes: [KubernetesRegistry.Outcome] = []
        var kinds: [ServiceKind?] = []
        for line in try KubeAPIFixtures.lines("watch/services.jsonl") {
            outcomes.append(registry.apply(line: line, of: .services))
            kinds.append(registry.snapshot().service(namespace: "prod", name: "churn")?.kind)
        }
        #expect(outcomes == [.changed, .changed, .changed, .changed, .changed, .unchanged, .unchanged])
        #expect(kinds[0] == .externalName("a.example.com."))
        #expect(kinds[1] == .externalName("b.example.com."))
        #expect(kinds[2] == .clusterIP([IPAddress("10.109.206.0")!]))
        #expect(kinds[4] == nil)
        #expect(registry.count(of: .services) == 11)
        // The bookmarks move the resume point.
        #expect(registry.resourceVersions[.services] == "329")
    }

    @Test func endpointSliceAndPodWatchesApplyInOrder() throws {
        var registry = try Self.listedRegistry()
        for line in try KubeAPIFixtures.lines("watch/endpointslices.jsonl") {
            let outcome = registry.apply(line: line, of: .endpointSlices)
            if case .skipped(let reason) = outcome { Issue.record("skipped: \(reason)") }
        }
        for line in try KubeAPIFixtures.lines("watch/pods-active.jsonl") {
            let outcome = registry.apply(line: line, of: .pods)
            if case .skipped(let reason) = outcome { Issue.record("skipped: \(reason)") }
        }
        #expect(registry.resourceVersions[.endpointSlices] == "332")
        let snapshot = registry.snapshot()
        let web = try #require(snapshot.service(namespace: "prod", name: "web"))
        // web-3 came and went; web-1 turned not ready: web-0 and web-2 remain.
        let addresses = Set(snapshot.publishedEndpoints(of: web).flatMap(\.endpoint.addresses))
        #expect(addresses.count == 2)
        // The churn service's slice was garbage-collected with it.
        #expect(snapshot.endpointSlices(namespace: "prod", service: "churn").isEmpty)
        // The finished job's pod left the field-selected watch with a DELETED event.
        #expect(!snapshot.pods.contains { $0.name.hasPrefix("job-") })
    }

    @Test func anExpiredResourceVersionAsksForARelist() throws {
        var registry = try Self.listedRegistry()
        let lines = try KubeAPIFixtures.lines("errors/watch-410-too-old-rv-services.jsonl")
        #expect(lines.count == 1)
        #expect(registry.apply(line: lines[0], of: .services) == .relist)
        // Nothing was dropped: the last data keep serving until the relist replaces them.
        #expect(registry.count(of: .services) == 11)
    }

    @Test func errorBodiesAreReadAsStatus() throws {
        var registry = KubernetesRegistry(resources: [.services])
        #expect(throws: KubernetesRegistry.ListError.self) {
            try registry.applyList(try KubeAPIFixtures.bytes("errors/401-bad-token.json"), of: .services)
        }
        let status = try #require(
            APIStatus(body: try KubeAPIFixtures.bytes("errors/504-too-large-resource-version-list.json")))
        #expect(status.code == 504)
        #expect(status.retryAfterSeconds == 1)
        #expect(!registry.isSynced)
    }

    @Test(arguments: ["not json", #"{"type":"ADDED"}"#, #"{"type":"WHATEVER","object":{}}"#])
    func undecodableLinesAreSkippedNotFatal(_ line: String) throws {
        var registry = try Self.listedRegistry()
        guard case .skipped = registry.apply(line: Array(line.utf8), of: .services) else {
            Issue.record("not skipped")
            return
        }
        #expect(registry.count(of: .services) == 11)
    }

    @Test func anInvalidObjectIsSkippedAndTheOldCopyKept() throws {
        var registry = try Self.listedRegistry()
        let line =
            #"{"type":"MODIFIED","object":{"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"prod","resourceVersion":"999"},"spec":{"clusterIP":"999.1.1.1"}}}"#
        guard case .skipped = registry.apply(line: Array(line.utf8), of: .services) else {
            Issue.record("not skipped")
            return
        }
        #expect(registry.snapshot().service(namespace: "prod", name: "web") != nil)
    }

    @Test func paginatedPagesReplaceTheCollectionOnlyWithTheLastPage() throws {
        var registry = try Self.listedRegistry()
        let page1 = try KubeAPIFixtures.bytes("list/services-limit2-page1.json")
        let first = try registry.applyListPage(page1, of: .services, isFirst: true)
        #expect(first.continueToken != nil)
        // Until the last page, the previous list keeps serving whole.
        #expect(registry.count(of: .services) == 11)
        // A list cut short (a 410 on continue) starts over; the partial pages are dropped.
        _ = try registry.applyListPage(page1, of: .services, isFirst: true)
        var token = first.continueToken
        for number in 2...6 {
            let page = try registry.applyListPage(
                try KubeAPIFixtures.bytes("list/services-limit2-page\(number).json"), of: .services, isFirst: false)
            token = page.continueToken
            #expect((token == nil) == (number == 6))
        }
        #expect(registry.count(of: .services) == 11)
        #expect(registry.resourceVersions[.services] == "274")
    }

    @Test func oneBadItemInAListIsSkippedAndTheOthersKept() throws {
        let good = try KubeAPIFixtures.bytes("list/services.json")
        var text = String(decoding: good, as: UTF8.self)
        // The ExternalName service gets a port number as a string, which the API server itself would refuse.
        text = text.replacingOccurrences(
            of: #""externalName":"db.example.com""#, with: #""externalName":"db.example.com","ports":[{"port":"80"}]"#)
        #expect(text != String(decoding: good, as: UTF8.self))
        var registry = KubernetesRegistry(resources: [.services])
        let skipped = try registry.applyList(Array(text.utf8), of: .services)
        #expect(skipped.count == 1)
        #expect(skipped.first?.contains("services/ext-db") == true, "\(skipped)")
        #expect(registry.count(of: .services) == 10)
        // The items read one by one give what the whole list read at once gives.
        var whole = KubernetesRegistry(resources: [.services])
        try whole.applyList(good, of: .services)
        #expect(
            registry.snapshot().services == whole.snapshot().services.filter { $0.name != "ext-db" })
    }

    static func servicePage(_ services: [(name: String, ip: String)], continue token: String?) -> [UInt8] {
        let items = services.map {
            #"{"metadata":{"name":"\#($0.name)","namespace":"prod"},"spec":{"clusterIP":"\#($0.ip)"}}"#
        }
        let more = token.map { #","continue":"\#($0)""# } ?? ""
        return Array(
            #"{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"9"\#(more)},"items":[\#(items.joined(separator: ","))]}"#
                .utf8)
    }

    @Test func anObjectListedTwiceIsTakenFromItsLaterListing() throws {
        var registry = KubernetesRegistry(resources: [.services])
        _ = try registry.applyListPage(
            Self.servicePage([("web", "10.0.0.1"), ("db", "10.0.0.2")], continue: "2"), of: .services, isFirst: true)
        _ = try registry.applyListPage(
            Self.servicePage([("web", "10.0.0.3")], continue: nil), of: .services, isFirst: false)
        #expect(registry.count(of: .services) == 2)
        #expect(
            registry.snapshot().service(namespace: "prod", name: "web")?.kind == .clusterIP([IPAddress("10.0.0.3")!]))
    }

    /// The snapshot shares the registry's packed namespaces; an event repacks its own namespace only.
    @Test func anEventRewritesOnlyItsNamespace() throws {
        var registry = try Self.listedRegistry()
        let snapshot = registry.snapshot()
        #expect(registry.takeChanges() == .everything)
        func storage(_ objects: PackedNamespace?) -> UnsafeRawPointer? {
            objects?.storageAddress
        }
        #expect(storage(snapshot.packedObjects(in: "prod")) == storage(registry.packedNamespaces()["prod"]))
        let line =
            #"{"type":"ADDED","object":{"kind":"Service","apiVersion":"v1","metadata":{"name":"new","namespace":"prod","resourceVersion":"999"},"spec":{"clusterIP":"10.96.9.9"}}}"#
        #expect(registry.apply(line: Array(line.utf8), of: .services) == .changed)
        #expect(registry.takeChanges() == .namespaces(["prod"]))
        #expect(registry.count(of: .services) == 12)
        #expect(storage(snapshot.packedObjects(in: "prod")) != storage(registry.packedNamespaces()["prod"]))
        #expect(
            storage(snapshot.packedObjects(in: "kube-system"))
                == storage(registry.packedNamespaces()["kube-system"]))
        #expect(snapshot.service(namespace: "prod", name: "new") == nil)
        #expect(registry.snapshot().service(namespace: "prod", name: "new") != nil)
    }

    /// A burst of events in one namespace unpacks it once; what the registry answers is the same packed or not.
    @Test func eventsKeepTheirNamespaceUnpackedUntilItIsRead() throws {
        var registry = try Self.listedRegistry()
        let before = registry.packedNamespaces()["prod"]
        for index in 0..<3 {
            let line =
                #"{"type":"ADDED","object":{"kind":"Service","apiVersion":"v1","metadata":{"name":"new-\#(index)","namespace":"prod","resourceVersion":"99\#(index)"},"spec":{"clusterIP":"10.96.9.\#(index)"}}}"#
            #expect(registry.apply(line: Array(line.utf8), of: .services) == .changed)
        }
        let after = try #require(registry.packedNamespaces()["prod"])
        #expect(after != before)
        #expect(after.serviceCount == (before?.serviceCount ?? 0) + 3)
        #expect(registry.snapshot().service(namespace: "prod", name: "new-2") != nil)
    }
}
