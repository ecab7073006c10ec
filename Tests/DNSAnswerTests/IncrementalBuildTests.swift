import DNSRegistry
import DNSTestKit
import DNSWire
import Testing

@testable import DNSAnswer

/// `AnswerTableBuilder` must give, after any sequence of changes, a table that answers exactly as a build from scratch
/// does: the same names with the same answer bytes, the same authorities, and an index that finds every name.
@Suite struct IncrementalBuildTests {
    static let configurations: [(String, AnswerConfiguration)] = [
        ("verified pods", AnswerConfiguration(zones: ["cluster.local."], ttl: 5, podMode: .verified)),
        ("two zones", AnswerConfiguration(zones: ["cluster.local.", "Corp.Example."], ttl: 30, podMode: .insecure)),
        ("no pods", AnswerConfiguration(zones: ["cluster.local."], ttl: 5, podMode: .disabled)),
    ]

    @Test(arguments: 0..<configurations.count, [1, 2, 3])
    func randomChangesGiveTheTableOfAFullBuild(configurationIndex: Int, seed: UInt64) throws {
        let configuration = Self.configurations[configurationIndex].1
        var cluster = RandomCluster(seed: seed)
        let builder = AnswerTableBuilder()
        var serial: UInt32 = 100
        var fullBuilds = 0
        var sawSharedPointers = false
        var sawPartialBuild = false
        for step in 0..<120 {
            let changed = step == 0 ? nil : try cluster.mutate(count: 1 + Int(cluster.random.next() % 3))
            if step == 0 { try cluster.populate() }
            serial += 1
            let snapshot = try cluster.snapshot()
            let incremental = builder.build(
                from: snapshot, configuration: configuration, serial: serial, changed: changed)
            if builder.statistics.wasFull { fullBuilds += 1 }
            sawSharedPointers = sawSharedPointers || builder.statistics.sharedPointerNames > 0
            sawPartialBuild =
                sawPartialBuild || builder.statistics.compiledNamespaces < builder.statistics.namespaces
            let full = AnswerTable.build(from: snapshot, configuration: configuration, serial: serial)
            let differences = incremental.differences(from: full)
            #expect(differences.isEmpty, "step \(step), changed \(changed ?? []): \(differences.prefix(5))")
            if !differences.isEmpty { return }
        }
        #expect(fullBuilds == 1)
        #expect(sawSharedPointers)
        #expect(sawPartialBuild)
    }

    /// Should the previous index miss an entry it must hold (a bug), the next table indexes everything again instead
    /// of stopping the server or answering from a broken index.
    @Test func aBrokenPreviousIndexIsRebuiltFromScratch() throws {
        var cluster = RandomCluster(seed: 5)
        try cluster.populate()
        let configuration = Self.configurations[0].1
        let builder = AnswerTableBuilder()
        let first = builder.build(from: try cluster.snapshot(), configuration: configuration, serial: 1, changed: nil)
        // Lose the entry of the apex part's first node, as a bug would: every build replaces that part, so the next
        // one must take the entry out of the copied index and cannot find it.
        let number = AnswerTableBuilder.apexPartNumber
        let key = first.parts[number]!.key(of: 0)
        let slot = try #require(first.index.slot(part: number, node: 0))
        first.index.clearSlot(slot)
        #expect(key.withUnsafeBytes { first.findNode($0) } == nil)

        let again = builder.build(from: try cluster.snapshot(), configuration: configuration, serial: 2, changed: [])
        #expect(again.indexIsConsistent())
        let full = AnswerTable.build(from: try cluster.snapshot(), configuration: configuration, serial: 2)
        #expect(again.differences(from: full).isEmpty)
    }

    /// The table holds one node per name and about one answer entry per name: their size is most of its memory
    /// after the answer bytes (bench/RESULTS.md), so a field added to either should be a decision.
    @Test func nodesAndAnswerEntriesKeepTheirSize() {
        #expect(MemoryLayout<AnswerTable.Node>.stride == 16)
        #expect(MemoryLayout<AnswerTable.CompiledAnswer>.stride == 16)
    }

    /// A namespace part stores `web` for `web.c.svc.cluster.local.` and `1-2-3-4` for a pod name: the namespace
    /// and its `svc`/`pod` label are the part's, once; PTR names keep their whole key. The index still finds them all.
    @Test func namespacePartKeysLeaveOutTheirNamespace() throws {
        var cluster = RandomCluster(seed: 4)
        try cluster.populate()
        try cluster.set(
            "Service c/lonely",
            "kind: Service\nmetadata: {name: lonely, namespace: c}\nspec: {clusterIP: 10.99.99.99}\n")
        let configuration = Self.configurations[0].1
        let table = AnswerTable.build(from: try cluster.snapshot(), configuration: configuration, serial: 1)
        #expect(table.indexIsConsistent())
        let name = Name("lonely.c.svc.cluster.local").lowercased().wire
        let location = try #require(name.withUnsafeBytes { table.findNode($0) })
        let node = table.node(location)
        #expect(node.suffix == .services)
        #expect(Int(node.keyLength) == 1 + "lonely".utf8.count)
        #expect(table.parts[location.part]!.key(of: location.index) == name)
        let pointer = Name("99.99.99.10.in-addr.arpa").wire
        let reverse = try #require(pointer.withUnsafeBytes { table.findNode($0) })
        #expect(table.node(reverse).suffix == .none)
        // Its PTR answer keeps only `lonely` of the target; written out, it is the whole record.
        let answer = try #require(table.answerLocation(node: reverse, type: RecordType.ptr.rawValue))
        #expect(table.answer(answer).isTargetByKey)
        let written = try #require(table.contents().first { $0.key == pointer }?.answers.first?.bytes)
        #expect(Array(written.suffix(name.count)) == name)
        #expect(Int(written[10]) << 8 | Int(written[11]) == name.count)
        // A name that differs only in the namespace label is not found through another namespace's suffix.
        let elsewhere = Name("lonely.d.svc.cluster.local").lowercased().wire
        #expect(elsewhere.withUnsafeBytes { table.findNode($0) } == nil)
    }

    @Test(arguments: [1, 2, 3])
    func concurrentCompilationGivesTheTableOfOneThread(seed: UInt64) throws {
        var cluster = RandomCluster(seed: seed)
        try cluster.populate()
        let snapshot = try cluster.snapshot()
        for (_, configuration) in Self.configurations {
            let one = AnswerTableBuilder(compileConcurrency: 1)
                .build(from: snapshot, configuration: configuration, serial: 7, changed: nil)
            let four = AnswerTableBuilder(compileConcurrency: 4)
                .build(from: snapshot, configuration: configuration, serial: 7, changed: nil)
            #expect(four.differences(from: one).isEmpty)
        }
    }

    @Test func configurationChangeRebuildsEverything() throws {
        var cluster = RandomCluster(seed: 9)
        try cluster.populate()
        let snapshot = try cluster.snapshot()
        let builder = AnswerTableBuilder()
        _ = builder.build(from: snapshot, configuration: Self.configurations[0].1, serial: 1, changed: nil)
        let second = builder.build(from: snapshot, configuration: Self.configurations[1].1, serial: 2, changed: [])
        #expect(builder.statistics.wasFull)
        #expect(
            second.differences(
                from: AnswerTable.build(from: snapshot, configuration: Self.configurations[1].1, serial: 2)
            ).isEmpty)
    }

    @Test func unchangedNamespacesAreSharedWithThePreviousTable() throws {
        var cluster = RandomCluster(seed: 4)
        try cluster.populate()
        let builder = AnswerTableBuilder()
        let configuration = Self.configurations[0].1
        let first = builder.build(from: try cluster.snapshot(), configuration: configuration, serial: 1, changed: nil)
        try cluster.set(
            "Service c/lonely",
            "kind: Service\nmetadata: {name: lonely, namespace: c}\nspec: {clusterIP: 10.99.99.99}\n")
        let snapshot = try cluster.snapshot()
        let table = builder.build(from: snapshot, configuration: configuration, serial: 2, changed: ["c"])
        #expect(!builder.statistics.wasFull)
        #expect(builder.statistics.compiledNamespaces < builder.statistics.namespaces)
        #expect(
            table.differences(from: AnswerTable.build(from: snapshot, configuration: configuration, serial: 2)).isEmpty)
        // Only the apex, the shared PTR names and namespace c are new objects; every other part is the same one.
        var kept = 0
        for (before, after) in zip(first.parts, table.parts) {
            if let before, let after, before === after { kept += 1 }
        }
        let namespaceParts = first.parts.compactMap { $0 }.count - 2
        #expect(kept == namespaceParts - 1)
    }
}

/// A small cluster changed at random: services of every kind, slices, pods and Namespace objects in a few namespaces,
/// with addresses drawn from small pools (so that PTR names are shared across namespaces and come and go) and
/// ExternalName targets inside the cluster (chains across namespaces, loops, reverse names, the apex).
struct RandomCluster {
    static let namespaces = ["default", "kube-system", "a", "b", "c", "d"]
    static let names = ["web", "db", "api", "cache", "kube-dns"]

    var random: SplitMix64
    /// Manifest text by object key description.
    private(set) var manifests: [String: String] = [:]
    private var parsed: [String: [RegistryObject]] = [:]

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    mutating func pick<T>(_ values: [T]) -> T {
        values[Int(random.next() % UInt64(values.count))]
    }

    mutating func chance(_ percent: UInt64) -> Bool {
        random.next() % 100 < percent
    }

    mutating func address() -> String {
        chance(15) ? "fd00::\(random.next() % 6)" : "10.0.0.\(random.next() % 12)"
    }

    mutating func populate() throws {
        try set(
            "Service kube-system/kube-dns",
            "kind: Service\nmetadata: {name: kube-dns, namespace: kube-system}\nspec: {clusterIP: 10.96.0.10}\n")
        for _ in 0..<25 { _ = try mutate(count: 1) }
    }

    /// Applies `count` random changes; returns the namespaces they touched.
    mutating func mutate(count: Int) throws -> Set<String> {
        var touched: Set<String> = []
        for _ in 0..<count {
            let namespace = pick(Self.namespaces)
            let name = pick(Self.names)
            touched.insert(namespace)
            switch random.next() % 10 {
            case 0:
                // Delete whatever lives under this name.
                for key in manifests.keys
                where key.hasSuffix(" \(namespace)/\(name)") || key.hasSuffix(" \(namespace)/\(name)-1") {
                    try set(key, nil)
                }
            case 1:
                try set(
                    "Namespace \(namespace)",
                    chance(50) ? "kind: Namespace\nmetadata: {name: \(namespace)}\n" : nil)
            case 2, 3:
                try set("Service \(namespace)/\(name)", serviceManifest(namespace: namespace, name: name))
            case 4, 5:
                try set("EndpointSlice \(namespace)/\(name)-1", sliceManifest(namespace: namespace, name: name))
            case 6:
                try set(
                    "Pod \(namespace)/\(name)",
                    "kind: Pod\nmetadata: {name: \(name), namespace: \(namespace)}\nstatus: {podIP: \(address())}\n")
            default:
                try set("Service \(namespace)/\(name)", aliasManifest(namespace: namespace, name: name))
            }
        }
        return touched
    }

    mutating func serviceManifest(namespace: String, name: String) -> String {
        if chance(40) {
            return "kind: Service\nmetadata: {name: \(name), namespace: \(namespace)}\n"
                + "spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n"
        }
        let v4 = "10.0.0.\(random.next() % 12)"
        let ips = chance(20) ? "[\(v4), fd00::\(random.next() % 6)]" : "[\(address())]"
        return "kind: Service\nmetadata: {name: \(name), namespace: \(namespace)}\n"
            + "spec: {clusterIPs: \(ips), ports: [{name: http, port: \(80 + random.next() % 3)}, {name: dns, port: 53, protocol: UDP}]}\n"
    }

    mutating func sliceManifest(namespace: String, name: String) -> String {
        var endpoints = ""
        for index in 0..<(1 + random.next() % 3) {
            let hostname = chance(50) ? ", hostname: \(name)-\(index)" : ""
            endpoints +=
                "- {addresses: [10.0.0.\(random.next() % 12)]\(hostname), conditions: {ready: \(chance(85))}}\n"
        }
        return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
            + "metadata: {name: \(name)-1, namespace: \(namespace), labels: {kubernetes.io/service-name: \(name)}}\n"
            + "addressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n\(endpoints)"
    }

    mutating func aliasManifest(namespace: String, name: String) -> String {
        let target: String
        switch random.next() % 6 {
        case 0: target = "www.example.com"
        case 1: target = "ns.dns.cluster.local"
        case 2: target = "1.0.0.10.in-addr.arpa"
        default: target = "\(pick(Self.names)).\(pick(Self.namespaces)).svc.cluster.local"
        }
        return "kind: Service\nmetadata: {name: \(name), namespace: \(namespace)}\n"
            + "spec: {type: ExternalName, externalName: \(target)}\n"
    }

    mutating func set(_ key: String, _ manifest: String?) throws {
        manifests[key] = manifest
        parsed[key] = try manifest.map {
            try ManifestParser.parse($0.hasPrefix("apiVersion") ? $0 : "apiVersion: v1\n" + $0, path: key)
        }
    }

    func snapshot() throws -> RegistrySnapshot {
        let zone = try ZoneFile(
            parsing: """
                $TTL 60
                @ IN SOA ns.corp.test. admin.corp.test. 1 7200 1800 86400 60
                www IN CNAME web.a.svc.cluster.local.
                db IN CNAME db.b.svc.cluster.local.
                """, origin: "corp.test.")
        return RegistrySnapshot(
            objects: parsed.keys.sorted().flatMap { parsed[$0]! } + [.staticZone(zone)])
    }
}
