import DNSWire
import Testing

@testable import DNSAnswer

/// `Responder.prefetch` only starts loads for what `respond` will read: the same key's hash, the node the lookup
/// finds, and no change to any answer.
struct PrefetchTests {
    static func query(_ name: String, _ type: RecordType, id: UInt16 = 7) throws -> [UInt8] {
        Message.query(id: id, name: try Name(name), type: type, recursionDesired: true, edns: nil).encoded()
    }

    /// The question as `respond` and `prefetch` read it; nil where they cannot.
    static func parse(_ query: UnsafeRawBufferPointer) -> Responder.ParsedQuery? {
        var parsed = Responder.ParsedQuery()
        return Asker(table: nil).responder.parseQuestion(query, into: &parsed) ? parsed : nil
    }

    @Test(arguments: [
        "Web.Default.SVC.cluster.local.", "_http._tcp.web.default.svc.cluster.local.", ".", "www.example.COM.",
        "10.1.0.10.in-addr.arpa.",
    ])
    func theQuestionReadIsTheKeyLookedUp(_ name: String) throws {
        let key = try Name(name).lowercased().wire
        let question = try Self.query(name, .srv).withUnsafeBytes { Self.parse($0) }
        #expect(question?.nameHash == key.withUnsafeBytes { AnswerTable.hash($0) })
        #expect(question?.questionType == RecordType.srv.rawValue)
    }

    @Test func aQuestionRespondWouldNotReadIsNotRead() {
        let header: [UInt8] = [0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        let cases: [[UInt8]] = [
            [],
            header,
            header + [3, 0x61, 0x62],  // a label running past the end
            header + [1, 0x61, 0, 0],  // no room for the type
            header + [0xC0, 12, 0, 1, 0, 1],  // a compression pointer
            header + Array(repeating: [63] + Array(repeating: 0x61, count: 63), count: 5).flatMap { $0 } + [0],
        ]
        for bytes in cases {
            #expect(bytes.withUnsafeBytes { Self.parse($0) } == nil, "\(bytes.prefix(20))")
        }
    }

    /// The node stage 2 loads is the one the lookup then finds, for every name of the table.
    @Test func theNodePrefetchedIsTheNodeFound() throws {
        let table = try AnswerFixture.table(AnswerFixture.manifests + "\n---\n" + AnswerFixture.bigHeadless(count: 300))
        var names = 0
        for case let (number, part?) in table.parts.enumerated() {
            for index in part.nodes.indices {
                let hash = part.key(of: index).withUnsafeBytes { AnswerTable.hash($0) }
                #expect(table.prefetchNode(hash: hash) == AnswerTable.Location(part: number, index: index))
                names += 1
            }
        }
        #expect(names > 300)
    }

    /// A batch prefetched (names of the table, misses, other zones, malformed bytes), then answered, gets the same
    /// replies as without; and a responder without a table prefetches nothing and stays alive.
    @Test func prefetchingChangesNoAnswer() throws {
        let table = try AnswerFixture.table()
        let batch: [[UInt8]] = [
            try Self.query("web.default.svc.cluster.local.", .a),
            try Self.query("WEB-0.web.default.svc.cluster.local.", .aaaa),
            try Self.query("_http._tcp.web.default.svc.cluster.local.", .srv),
            try Self.query("missing.default.svc.cluster.local.", .a),
            try Self.query("web.default.svc.cluster.local.default.svc.cluster.local.", .a),
            try Self.query("external-db.default.svc.cluster.local.", .a),
            try Self.query("example.org.", .a),
            [0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61],
            [1, 2, 3],
        ]
        // Longer than `prefetchBatch`, so it is taken in chunks; in buffers that outlive the call, as a worker's do.
        let buffers = (0..<(Responder.prefetchBatch * 2 + 5)).map { index in
            let bytes = batch[index % batch.count]
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            buffer.copyBytes(from: bytes)
            return UnsafeRawBufferPointer(buffer)
        }
        defer { buffers.forEach { $0.deallocate() } }
        let plain = Asker(table: table)
        let prefetching = Asker(table: table)
        prefetching.responder.prefetch(count: buffers.count) { buffers[$0] }
        for query in batch {
            #expect(prefetching.raw(query) == plain.raw(query))
        }
        let empty = Asker(table: nil)
        empty.responder.prefetch(count: buffers.count) { buffers[$0] }
        #expect(empty.raw(batch[0]) == Asker(table: nil).raw(batch[0]))
    }
}
