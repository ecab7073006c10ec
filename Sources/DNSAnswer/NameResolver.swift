import DNSRegistry
import DNSWire

/// Looks names up across the whole registry while one part of the table is compiled, and remembers which parts the
/// compiled bytes depended on.
///
/// Compiling an alias (an ExternalName) follows its target inside our data (`Compiler.chase`), and that target may be
/// in another namespace, at the apex, in a static zone or a reverse zone. `AnswerTableBuilder` compiles one namespace
/// at a time, so the other namespaces' records are collected here on demand (and kept for the rest of the build), and
/// each such look-up is recorded: a change in namespace B recompiles every namespace whose answers looked into B.
/// Build-time only.
final class NameResolver {
    /// Where a name's records come from.
    enum Owner: Equatable {
        /// `*.<namespace>.svc.<zone>` or `*.<namespace>.pod.<zone>`, the namespace's own name included.
        case namespace(String)
        /// The names of a cluster zone above the namespaces (apex, `ns.dns`, `svc`, `pod`, …).
        case apex
        /// Below `in-addr.arpa.` or `ip6.arpa.`: PTR names, which any namespace may contribute to.
        case reverse
        /// Anything else: static zones, or nothing of ours.
        case elsewhere
    }

    /// The namespace whose compiled answers depend on the apex names: kube-dns's addresses are the only part of them
    /// that a change in the registry moves (the rest follows the configuration, which rebuilds everything).
    static let apexNamespace = "kube-system"

    let snapshot: RegistrySnapshot
    let configuration: AnswerConfiguration
    /// The apex names of every cluster zone, then the static zones' records.
    let apex: RecordCollection
    let staticAuthorities: [AnswerTable.Authority]
    /// Cluster and static zones: a CNAME target below one is ours to answer, never chased upstream.
    let ourZones: [Name]
    let reverseV4Authority: Int
    let reverseV6Authority: Int
    /// Lowercased wire form of each authority's apex, by authority index (as `AnswerTable.authorities` orders them).
    let apexKeys: [[UInt8]]

    private var records: ClusterRecords
    /// Cluster zones, deepest first, so that a name is given to the most specific zone that holds it.
    private let zonesByDepth: [(zone: Name, labels: Int)]
    private var namespaceCollections: [String: RecordCollection] = [:]
    private var reverseCollection: RecordCollection?

    /// The namespace being compiled (its own collection answers for its names); `nil` for the apex and shared parts.
    private(set) var compiling: String?
    /// Namespaces looked into since `begin`.
    private(set) var dependencies: Set<String> = []
    /// A reverse name was looked up since `begin`: the answers depend on every namespace.
    private(set) var dependsOnEverything = false

    init(snapshot: RegistrySnapshot, configuration: AnswerConfiguration, serial: UInt32) {
        self.snapshot = snapshot
        self.configuration = configuration
        records = ClusterRecords(snapshot: snapshot, configuration: configuration, serial: serial)
        var apex = records.collectApex()
        staticAuthorities = AnswerTable.addStaticZones(
            snapshot.staticZones, to: &apex, firstAuthority: configuration.zones.count + 2,
            clusterZones: configuration.zones)
        self.apex = apex
        ourZones =
            configuration.zones + staticAuthorities.compactMap { Name(wireLabels: $0.apex[...]) }
        reverseV4Authority = configuration.zones.count
        reverseV6Authority = configuration.zones.count + 1
        apexKeys =
            (configuration.zones + AnswerTable.reverseZones).map { $0.lowercased().wire }
            + staticAuthorities.map(\.apex)
        zonesByDepth = configuration.zones.map { ($0, $0.labelCount) }.sorted { $0.labels > $1.labels }
    }

    func isReverse(authority: Int) -> Bool {
        authority == reverseV4Authority || authority == reverseV6Authority
    }

    /// Starts recording the look-ups made while compiling `namespace` (`nil`: the apex or the shared PTR names).
    func begin(namespace: String?) {
        compiling = namespace
        dependencies = []
        dependsOnEverything = false
    }

    /// The records of `namespace` (collected by `ClusterRecords.collect(namespace:)`).
    func collect(namespace: String) -> RecordCollection {
        records.collect(namespace: namespace)
    }

    func owner(of name: Name) -> Owner {
        for (zone, zoneLabels) in zonesByDepth where name.isSubdomain(of: zone) {
            let extra = name.labelCount - zoneLabels
            guard extra >= 2 else { return .apex }
            let labels = name.labels
            let kind = labels[extra - 1]
            guard kind == Array("svc".utf8) || kind == Array("pod".utf8) else { return .apex }
            return .namespace(String(decoding: labels[extra - 2], as: UTF8.self))
        }
        if name.isSubdomain(of: "in-addr.arpa.") || name.isSubdomain(of: "ip6.arpa.") { return .reverse }
        return .elsewhere
    }

    /// The node of `name` (lowercased) in the whole registry; `own` is the collection being compiled.
    func node(_ name: Name, own: RecordCollection) -> RecordCollection.Node? {
        switch owner(of: name) {
        case .namespace(let namespace):
            if namespace == compiling { return own.node(name) }
            if compiling != nil { dependencies.insert(namespace) }
            return namespaceCollection(namespace).node(name)
        case .apex:
            if compiling != nil { dependencies.insert(Self.apexNamespace) }
            return apex.node(name)
        case .reverse:
            dependsOnEverything = true
            return reverse().node(name)
        case .elsewhere:
            // Static zones change only with a full build.
            return apex.node(name)
        }
    }

    private func namespaceCollection(_ namespace: String) -> RecordCollection {
        if let cached = namespaceCollections[namespace] { return cached }
        let collection = records.collect(namespace: namespace)
        namespaceCollections[namespace] = collection
        return collection
    }

    /// Every PTR name of the registry, each with the records of every namespace in namespace order, as one
    /// collection of the whole registry would hold them. Costs a pass over every namespace: only an alias to a
    /// reverse name needs it.
    private func reverse() -> RecordCollection {
        if let reverseCollection { return reverseCollection }
        var merged = RecordCollection()
        for namespace in snapshot.sortedNamespaces {
            let collection = records.collect(namespace: namespace)
            for (index, node) in collection.nodes.enumerated() where isReverse(authority: node.authority) {
                for data in node.records(.ptr) {
                    merged.add(data, type: .ptr, at: collection.order[index], authority: node.authority, apex: nil)
                }
            }
        }
        reverseCollection = merged
        return merged
    }
}
