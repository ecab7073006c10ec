import CMallocCounter
import DNSAnswer
import DNSWire
import Testing

#if DEBUG
    let isOptimizedBuild = false
#else
    let isOptimizedBuild = true
#endif

/// STYLE habit 6: once warm, answering allocates nothing, whatever the query. Counted by `CMallocCounter`, which
/// interposes the malloc family in this test process.
///
/// Runs only in an optimized build (`swift test -c release -Xswiftc -enable-testing --filter AllocationTests`): the
/// hot path is what ships, and at -Onone the unspecialized standard library allocates where release code does not
/// (1 allocation per query in `Responder.clusterZone`, 3 in `writeNegative`, none with -O).
@Suite(.enabled(if: isOptimizedBuild, "allocation counts are only meaningful with -O"))
struct ResponderAllocationTests {
    static let queriesPerRun = 10_000
    static let warmUpQueries = 100

    /// Checks the reply is the one the case names, so a zero below is about the path the case claims to take.
    static func check(_ reply: UnsafeRawBufferPointer, _ queryCase: QueryCase) throws {
        switch queryCase.expected {
        case .dropped:
            #expect(reply.isEmpty)
        case .reply(let rcode, let answers, let truncated):
            let message = try Message(decoding: Array(reply))
            #expect(message.responseCode == rcode)
            #expect(message.answers.count == answers)
            #expect(message.header.isTruncated == truncated)
            #expect(message.header.id == 0xBEEF)
        }
    }

    /// Copies each query into its own buffer made before counting, as a worker's receive buffers are.
    static func buffers(_ cases: [QueryCase]) -> [UnsafeMutableRawBufferPointer] {
        cases.map { queryCase in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: queryCase.bytes.count, alignment: 8)
            buffer.copyBytes(from: queryCase.bytes)
            return buffer
        }
    }

    @Test(arguments: QueryCase.all)
    func answeringOneKindAllocatesNothing(_ queryCase: QueryCase) throws {
        let responder = Responder(zones: ["cluster.local."], table: try AllocationFixture.table())
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { response.deallocate() }
        let query = Self.buffers([queryCase])[0]
        defer { query.deallocate() }
        let queryBytes = UnsafeRawBufferPointer(query)
        let transport = queryCase.transport

        var length = 0
        for _ in 0..<Self.warmUpQueries {
            length = responder.respond(to: queryBytes, into: response, transport: transport)
        }
        try Self.check(UnsafeRawBufferPointer(rebasing: response[0..<length]), queryCase)

        var total = 0
        CMallocCounter_start()
        for _ in 0..<Self.queriesPerRun {
            total &+= responder.respond(to: queryBytes, into: response, transport: transport)
        }
        let allocations = CMallocCounter_stop()
        #expect(total == length * Self.queriesPerRun)
        #expect(allocations == 0, "\(queryCase.label): \(allocations) allocations in \(Self.queriesPerRun) queries")
    }

    /// Every kind interleaved, as a worker sees them, TCP and UDP alike, each batch prefetched first.
    @Test func answeringAMixAllocatesNothing() throws {
        let responder = Responder(zones: ["cluster.local."], table: try AllocationFixture.table())
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { response.deallocate() }
        let cases = QueryCase.all
        let queries = Self.buffers(cases)
        defer { queries.forEach { $0.deallocate() } }
        let transports = UnsafeMutableBufferPointer<ResponseTransport>.allocate(capacity: cases.count)
        defer { transports.deallocate() }
        for (index, queryCase) in cases.enumerated() { transports[index] = queryCase.transport }
        let queryCount = queries.count

        for (index, queryCase) in cases.enumerated() {
            let length = responder.respond(
                to: UnsafeRawBufferPointer(queries[index]), into: response, transport: queryCase.transport)
            try Self.check(UnsafeRawBufferPointer(rebasing: response[0..<length]), queryCase)
        }
        let answeredBefore = responder.counters.answered

        // As a worker's UDP service does: each batch of 32 prefetched (`Responder.prefetch`), then answered.
        let batchSize = 32
        var total = 0
        CMallocCounter_start()
        for batchStart in stride(from: 0, to: Self.queriesPerRun, by: batchSize) {
            responder.prefetch(count: batchSize) { UnsafeRawBufferPointer(queries[(batchStart + $0) % queryCount]) }
            for index in batchStart..<(batchStart + batchSize) {
                let which = index % queryCount
                total &+= responder.respond(
                    to: UnsafeRawBufferPointer(queries[which]), into: response, transport: transports[which])
            }
        }
        let allocations = CMallocCounter_stop()
        #expect(total > 0)
        #expect(responder.counters.answered > answeredBefore)
        #expect(allocations == 0, "\(allocations) allocations in \(Self.queriesPerRun) mixed queries")
    }
}
