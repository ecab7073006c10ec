import DNSEventLoop

/// A stand-in for the DNS pipeline with behaviour a test can steer by the first byte:
/// 0 drops the query, 1 answers with the transport (`U` or `T`), `client` answers with the client's address as text,
/// `later` defers the reply (kept until `sendDeferred`), anything else answers with the bytes reversed.
final class EchoHandler: QueryHandler {
    static let drop: UInt8 = 0
    static let transport: UInt8 = 1
    static let client: UInt8 = 0xFE
    static let later: UInt8 = 0xFD

    /// Queries seen, on the loop thread.
    private(set) var calls = 0
    /// Deferred queries: their route and the reply they will get (the query reversed).
    private(set) var deferred: [(route: ReplyRoute, reply: [UInt8])] = []
    /// Every `prepare` batch and `respond` call in order, with the queries each saw.
    private(set) var events: [(isPrepare: Bool, queries: [[UInt8]])] = []

    func prepare(count: Int, query: (Int) -> UnsafeRawBufferPointer) {
        events.append((true, (0..<count).map { Array(query($0)) }))
    }

    func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int {
        calls += 1
        events.append((false, [Array(query)]))
        guard let first = query.first, first != Self.drop, query.count <= response.count else { return 0 }
        if first == Self.transport {
            response[0] = context.transport == .udp ? UInt8(ascii: "U") : UInt8(ascii: "T")
            return 1
        }
        if first == Self.client {
            let text = Array(context.client.description.utf8)
            response.copyBytes(from: text)
            return text.count
        }
        if first == Self.later {
            deferred.append((context.route, Self.reply(to: Array(query))))
            return QueryContext.deferred
        }
        for index in 0..<query.count {
            response[index] = query[query.count - 1 - index]
        }
        return query.count
    }

    /// Sends every deferred reply, newest first (replies may go out of order); whether each was sent.
    func sendDeferred() -> [Bool] {
        let waiting = deferred
        deferred = []
        return waiting.reversed().map { $0.route.send($0.reply) }
    }

    static func reply(to query: [UInt8]) -> [UInt8] {
        query.reversed()
    }
}
