import DNSEventLoop
import DNSWire

/// Requests by transport, address family and query type, as CoreDNS labels `coredns_dns_requests_total`
/// (`proto`, `family` 1 for IPv4 and 2 for IPv6, `type`: a common type's mnemonic, else `other`). A fixed table, so
/// counting is an index and an increment.
struct RequestTypeCounts: Sendable, Equatable {
    /// The types CoreDNS's metrics name; everything else is `other`.
    static let types: [RecordType] = [.a, .aaaa, .mx, .soa, .cname, .ptr, .txt, .ns, .srv, .any, .axfr, .ixfr]
    static let otherIndex = types.count

    /// [proto (udp, tcp)][family (v4, v6)][type index]
    private(set) var counts = [Int](repeating: 0, count: 2 * 2 * (types.count + 1))

    @inline(__always)
    static func typeIndex(_ type: UInt16?) -> Int {
        guard let type else { return otherIndex }
        for (index, known) in types.enumerated() where known.rawValue == type { return index }
        return otherIndex
    }

    /// The type index of a query's first question, read from its bytes (for answers sent later; the hot path takes
    /// the type the responder already read).
    static func typeIndex(ofQuery query: [UInt8]) -> Int {
        guard query.count > 12 else { return otherIndex }
        var offset = 12
        while offset < query.count, query[offset] != 0 {
            guard query[offset] & 0xC0 == 0 else { return otherIndex }
            offset += 1 + Int(query[offset])
        }
        guard offset + 2 < query.count else { return otherIndex }
        return typeIndex(UInt16(query[offset + 1]) << 8 | UInt16(query[offset + 2]))
    }

    /// The label of a type index.
    static func label(_ index: Int) -> String {
        index == otherIndex ? "other" : types[index].description
    }

    mutating func record(transport: QueryTransport, isIPv6: Bool, type: UInt16?) {
        let proto = transport == .tcp ? 1 : 0
        let family = isIPv6 ? 1 : 0
        counts[(proto * 2 + family) * (Self.types.count + 1) + Self.typeIndex(type)] += 1
    }

    /// Non-zero counts with their labels.
    var samples: [(proto: String, family: String, type: String, count: Int)] {
        var result: [(String, String, String, Int)] = []
        for proto in 0..<2 {
            for family in 0..<2 {
                for typeIndex in 0...Self.types.count {
                    let count = counts[(proto * 2 + family) * (Self.types.count + 1) + typeIndex]
                    guard count > 0 else { continue }
                    let type = Self.label(typeIndex)
                    result.append((proto == 0 ? "udp" : "tcp", family == 0 ? "1" : "2", type, count))
                }
            }
        }
        return result
    }

    func detached() -> RequestTypeCounts {
        var copy = RequestTypeCounts()
        copy.counts = counts.map { $0 }
        return copy
    }

    static func + (lhs: RequestTypeCounts, rhs: RequestTypeCounts) -> RequestTypeCounts {
        var sum = lhs.detached()
        for index in sum.counts.indices { sum.counts[index] += rhs.counts[index] }
        return sum
    }
}
