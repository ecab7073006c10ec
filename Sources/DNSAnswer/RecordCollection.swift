import DNSWire

/// The records of the cluster zones gathered by owner name, before they are compiled into wire bytes.
///
/// Build-time only: plain dictionaries, clarity over speed.
struct RecordCollection {
    struct Node {
        /// Index into `AnswerTable.authorities` of the zone that holds this name.
        var authority: Int
        /// Answer records by type, each set kept in insertion order without duplicates.
        var records: [RecordType: [RecordData]] = [:]
        /// Extra records to put in the additional section of an answer of that type (SRV targets, NS addresses).
        var additionals: [RecordType: [ResourceRecord]] = [:]
        var cnameTarget: Name?
        /// TTL of an RRset where it differs from the configured one (static zones carry their own); the lowest of the
        /// set's records, as RFC 2181 §5.2 wants one TTL per RRset.
        var ttls: [RecordType: UInt32] = [:]
    }

    private(set) var nodes: [Name: Node] = [:]
    /// Insertion order, so the built table is deterministic.
    private(set) var order: [Name] = []

    /// Adds `data` at `name` (lowercased by the caller), creating the name and its empty non-terminal ancestors down to
    /// the zone apex so that they answer NODATA rather than NXDOMAIN (RFC 8020).
    mutating func add(
        _ data: RecordData, type: RecordType, at name: Name, authority: Int, apex: Name?, ttl: UInt32? = nil
    ) {
        ensureExists(name, authority: authority, apex: apex)
        if let ttl {
            nodes[name]!.ttls[type] = min(ttl, nodes[name]!.ttls[type] ?? ttl)
        }
        guard !(nodes[name]!.records[type]?.contains(data) ?? false) else { return }
        nodes[name]!.records[type, default: []].append(data)
        if case .cname(let target) = data {
            nodes[name]!.cnameTarget = target
        }
    }

    mutating func addAdditional(_ record: ResourceRecord, forType type: RecordType, at name: Name) {
        guard nodes[name] != nil, !(nodes[name]!.additionals[type]?.contains(record) ?? false) else { return }
        nodes[name]!.additionals[type, default: []].append(record)
    }

    /// Makes `name` exist; with an `apex`, every name between it and the apex exists too.
    mutating func ensureExists(_ name: Name, authority: Int, apex: Name?) {
        var current = name
        while nodes[current] == nil {
            nodes[current] = Node(authority: authority)
            order.append(current)
            guard let apex, current != apex, current.isSubdomain(of: apex), !current.isRoot else { break }
            current = current.parent
        }
    }

    func node(_ name: Name) -> Node? {
        nodes[name]
    }
}
