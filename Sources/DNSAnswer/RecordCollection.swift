import DNSWire

/// The records of the cluster zones gathered by owner name, before they are compiled into wire bytes.
///
/// Build-time only. Nodes sit in an array in insertion order (so the built table is deterministic) behind one
/// name → index dictionary, and a node keeps its few RRsets in a small array: with 100,000 services there are about a
/// million names, and a dictionary per node and per field was most of the build's time and memory.
struct RecordCollection {
    struct Node {
        /// Index into `AnswerTable.authorities` of the zone that holds this name.
        var authority: Int
        /// Answer records by type, in the order types were first seen; each set in insertion order without
        /// duplicates. A set may be empty when only additionals were given for its type.
        var rrsets: [RRset] = []
        var cnameTarget: Name?

        /// The records of `type`, empty when there are none.
        func records(_ type: RecordType) -> [RecordData] {
            rrsets.first { $0.type == type }?.records ?? []
        }

        /// TTL of the RRset of `type` where it differs from the configured one.
        func ttl(_ type: RecordType) -> UInt32? {
            rrsets.first { $0.type == type }?.ttl
        }

        fileprivate mutating func rrsetIndex(_ type: RecordType) -> Int {
            if let index = rrsets.firstIndex(where: { $0.type == type }) { return index }
            rrsets.append(RRset(type: type))
            return rrsets.count - 1
        }
    }

    struct RRset {
        var type: RecordType
        var records: [RecordData] = []
        /// Extra records to put in the additional section of an answer of this type (SRV targets, NS addresses).
        var additionals: [ResourceRecord] = []
        /// Where it differs from the configured one (static zones carry their own): the lowest of the set's records,
        /// as RFC 2181 §5.2 wants one TTL per RRset.
        var ttl: UInt32?
    }

    private(set) var nodes: [Node] = []
    /// The name of each node, by index.
    private(set) var order: [Name] = []
    private var indices: [NameKey: Int] = [:]

    /// Adds `data` at `name` (lowercased by the caller), creating the name and its empty non-terminal ancestors down to
    /// the zone apex so that they answer NODATA rather than NXDOMAIN (RFC 8020).
    mutating func add(
        _ data: RecordData, type: RecordType, at name: Name, authority: Int, apex: Name?, ttl: UInt32? = nil
    ) {
        let node = ensureExists(name, authority: authority, apex: apex)
        let set = nodes[node].rrsetIndex(type)
        if let ttl {
            nodes[node].rrsets[set].ttl = min(ttl, nodes[node].rrsets[set].ttl ?? ttl)
        }
        guard !nodes[node].rrsets[set].records.contains(data) else { return }
        nodes[node].rrsets[set].records.append(data)
        if case .cname(let target) = data {
            nodes[node].cnameTarget = target
        }
    }

    mutating func addAdditional(_ record: ResourceRecord, forType type: RecordType, at name: Name) {
        guard let node = indices[NameKey(name)] else { return }
        let set = nodes[node].rrsetIndex(type)
        guard !nodes[node].rrsets[set].additionals.contains(record) else { return }
        nodes[node].rrsets[set].additionals.append(record)
    }

    /// Makes `name` exist; with an `apex`, every name between it and the apex exists too. Returns its index.
    @discardableResult
    mutating func ensureExists(_ name: Name, authority: Int, apex: Name?) -> Int {
        if let index = indices[NameKey(name)] { return index }
        let index = nodes.count
        var current = name
        while true {
            let key = NameKey(current)
            guard indices[key] == nil else { break }
            indices[key] = nodes.count
            nodes.append(Node(authority: authority))
            order.append(current)
            guard let apex, current != apex, current.isSubdomain(of: apex), !current.isRoot else { break }
            current = current.parent
        }
        return index
    }

    func index(of name: Name) -> Int? {
        indices[NameKey(name)]
    }

    func node(_ name: Name) -> Node? {
        indices[NameKey(name)].map { nodes[$0] }
    }
}

/// A `Name` as a dictionary key, equal as names are (ASCII case ignored), hashed in one call rather than one
/// `Hasher.combine` per byte as `Name.hash(into:)` does.
struct NameKey: Hashable {
    let name: Name

    init(_ name: Name) {
        self.name = name
    }

    static func == (lhs: NameKey, rhs: NameKey) -> Bool {
        lhs.name == rhs.name
    }

    func hash(into hasher: inout Hasher) {
        // FNV-1a over the lowercased wire form; the Hasher still seeds and finishes it.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.wire {
            let lowered = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            hash = (hash ^ UInt64(lowered)) &* 0x100_0000_01b3
        }
        hasher.combine(hash)
    }
}
