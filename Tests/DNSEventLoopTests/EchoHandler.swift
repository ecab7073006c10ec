import DNSEventLoop

/// A stand-in for the DNS pipeline with behaviour a test can steer by the first byte:
/// 0 drops the query, 1 answers with the transport (`U` or `T`), anything else answers with the bytes reversed.
final class EchoHandler: QueryHandler {
    static let drop: UInt8 = 0
    static let transport: UInt8 = 1

    /// Queries seen, on the loop thread.
    private(set) var calls = 0

    func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, transport: QueryTransport
    ) -> Int {
        calls += 1
        guard let first = query.first, first != Self.drop, query.count <= response.count else { return 0 }
        if first == Self.transport {
            response[0] = transport == .udp ? UInt8(ascii: "U") : UInt8(ascii: "T")
            return 1
        }
        for index in 0..<query.count {
            response[index] = query[query.count - 1 - index]
        }
        return query.count
    }

    static func reply(to query: [UInt8]) -> [UInt8] {
        query.reversed()
    }
}
