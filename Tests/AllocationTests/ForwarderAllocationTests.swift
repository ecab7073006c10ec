import CMallocCounter
import DNSAnswer
import DNSForward
import DNSWire
import Logging
import Testing

@testable import DNSEventLoop
@testable import DNSServer

/// STYLE habit 6 for the whole forwarding hot path in process: `WorkerQueryHandler.respond` → `Responder` (hands
/// over) → `Forwarder.handle` → cache hit, as a worker runs it for every datagram, allocates nothing. The forwarder's
/// sockets are bound but never used: every query hits its cache. Release builds only.
@Suite(.enabled(if: isOptimizedBuild, "allocation counts are only meaningful with -O"))
struct ForwarderAllocationTests {
    /// A forwarder whose sockets are bound but never used: every query of these tests hits its cache.
    static func forwarder(on base: EventBase) throws -> Forwarder {
        try Forwarder(
            base: base,
            configuration: ForwardConfiguration(upstreams: [try UpstreamAddress(parsing: "127.0.0.1:9")]),
            logger: Logger(label: "allocation-test"))
    }

    /// A worker's handler: the responder on the allocation fixture's table, handing over to `forwarder`.
    static func handler(forwarding forwarder: Forwarder) throws -> WorkerQueryHandler {
        WorkerQueryHandler(
            responder: Responder(zones: ["cluster.local."], table: try AllocationFixture.table()), forwarder: forwarder)
    }

    /// The contexts a worker gives one client's UDP and TCP queries.
    static func contexts() throws -> (udp: QueryContext, tcp: QueryContext) {
        let client = try SocketAddress("127.0.0.1:5353")
        return (
            QueryContext(
                transport: .udp, client: client,
                route: ReplyRoute(channel: ReplyChannel(transport: .udp), connection: 0, client: client)),
            QueryContext(
                transport: .tcp, client: client,
                route: ReplyRoute(channel: ReplyChannel(transport: .tcp), connection: 1, client: client))
        )
    }

    @Test func cacheHitsThroughTheWorkerAllocateNothing() throws {
        let now = ContinuousClock.now
        let base = try EventBase()
        let forwarder = try Self.forwarder(on: base)
        defer { forwarder.stop() }
        let (cache, lookups) = ResponseCacheAllocationTests.filledCache(now: now)
        defer { lookups.forEach { $0.query.deallocate() } }
        forwarder.cache = cache
        let handler = try Self.handler(forwarding: forwarder)
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { response.deallocate() }
        let (udp, tcp) = try Self.contexts()
        let contexts = lookups.map { $0.limit == 65535 ? tcp : udp }

        for (index, lookup) in lookups.enumerated() {
            let length = handler.respond(
                to: UnsafeRawBufferPointer(lookup.query), into: response, context: contexts[index])
            #expect(length > 0, "answered from the cache at once")
            if length > 0 {
                let reply = try Message(decoding: Array(response[0..<length]))
                #expect(reply.header.id == UInt16(index))
                #expect(reply.header.recursionAvailable)
                #expect(
                    Array(response[12..<(12 + reply.questions[0].name.wire.count)])
                        == Array(lookup.query[12..<(12 + reply.questions[0].name.wire.count)]), "the question as sent")
            }
        }
        let hitsBefore = forwarder.counters.cacheHits

        let count = lookups.count
        var total = 0
        CMallocCounter_start()
        for index in 0..<ResponseCacheAllocationTests.lookupsPerRun {
            let which = index % count
            total &+= handler.respond(
                to: UnsafeRawBufferPointer(lookups[which].query), into: response, context: contexts[which])
        }
        let allocations = CMallocCounter_stop()
        #expect(total > 0)
        #expect(forwarder.counters.cacheHits == hitsBefore + ResponseCacheAllocationTests.lookupsPerRun)
        #expect(forwarder.inFlight == 0)
        #expect(
            allocations == 0,
            "\(allocations) allocations in \(ResponseCacheAllocationTests.lookupsPerRun) forwarded cache hits")
    }

    /// An ExternalName (`external-db.default` → `db.example.com`) whose target is cached: the responder hands over
    /// its CNAME with a chase note and the forwarder completes it in place (`AliasReply`), for positive answers,
    /// NODATA and NXDOMAIN, with and without EDNS, DO and CD, in mixed case, over UDP and TCP.
    @Test func chasedCacheHitsThroughTheWorkerAllocateNothing() throws {
        let now = ContinuousClock.now
        let base = try EventBase()
        let forwarder = try Self.forwarder(on: base)
        defer { forwarder.stop() }
        let target = try Name("db.example.com.")
        let soa = ResponseCacheAllocationTests.record(
            "example.com. 900 IN SOA ns.example.com. admin.example.com. 1 7200 3600 1209600 300")
        let addresses = (1...4).map { ResponseCacheAllocationTests.record("db.example.com. 300 IN A 192.0.2.\($0)") }
        var cache = ResponseCache()
        for (type, rcode, answers, dnssecOK, checkingDisabled) in [
            (RecordType.a, ResponseCode.noError, addresses, false, false), (.a, .noError, addresses, true, false),
            (.a, .noError, addresses, false, true), (.aaaa, .noError, [], false, false),
            (.txt, .nxDomain, [], false, false),
        ] {
            var header = Header(id: 1, isResponse: true, recursionDesired: true, recursionAvailable: true)
            header.checkingDisabled = checkingDisabled
            var reply = Message(
                header: header, questions: [Question(name: target, type: type)], answers: answers,
                authorities: answers.isEmpty ? [soa] : [], edns: EDNS())
            reply.responseCode = rcode
            let key = QueryKey(name: target, type: type, dnssecOK: dnssecOK, checkingDisabled: checkingDisabled)
            guard case .stored = cache.store(reply, for: key, now: now) else { fatalError("not cached: \(key)") }
        }
        forwarder.cache = cache
        let handler = try Self.handler(forwarding: forwarder)
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { response.deallocate() }
        let (udp, tcp) = try Self.contexts()
        let alias = "external-db.default.svc.cluster.local."
        let asks: [(name: String, type: RecordType, edns: EDNS?, checkingDisabled: Bool, context: QueryContext)] = [
            (alias, .a, EDNS(udpPayloadSize: 1232), false, udp), (alias, .a, nil, false, udp),
            ("External-DB.Default.SVC.cluster.local.", .a, EDNS(udpPayloadSize: 4096), false, tcp),
            (alias, .a, EDNS(udpPayloadSize: 1232, dnssecOK: true), false, udp), (alias, .a, nil, true, udp),
            (alias, .aaaa, EDNS(udpPayloadSize: 1232), false, udp), (alias, .txt, nil, false, tcp),
        ]
        let queries = try asks.enumerated().map { index, ask in
            var header = Header(id: UInt16(index), recursionDesired: true)
            header.checkingDisabled = ask.checkingDisabled
            let bytes = Message(
                header: header, questions: [Question(name: try Name(ask.name), type: ask.type)], edns: ask.edns
            ).encoded()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            buffer.copyBytes(from: bytes)
            return UnsafeRawBufferPointer(buffer)
        }
        defer { queries.forEach { $0.deallocate() } }

        for (index, query) in queries.enumerated() {
            let length = handler.respond(to: query, into: response, context: asks[index].context)
            #expect(length > 0, "answered from the cache at once")
            guard length > 0 else { continue }
            let reply = try Message(decoding: Array(response[0..<length]))
            #expect(reply.header.id == UInt16(index))
            #expect(reply.answers.first?.type == .cname)
            #expect(reply.answers.count == (asks[index].type == .a ? 1 + addresses.count : 1))
            #expect(reply.responseCode == (asks[index].type == .txt ? .nxDomain : .noError))
        }
        #expect(forwarder.chasesCompletedInPlace == queries.count, "every chase completed in place")
        let chasedBefore = forwarder.counters.chased
        let hitsBefore = forwarder.counters.cacheHits

        var total = 0
        CMallocCounter_start()
        for index in 0..<ResponseCacheAllocationTests.lookupsPerRun {
            let which = index % queries.count
            total &+= handler.respond(to: queries[which], into: response, context: asks[which].context)
        }
        let allocations = CMallocCounter_stop()
        #expect(total > 0)
        #expect(forwarder.counters.chased == chasedBefore + ResponseCacheAllocationTests.lookupsPerRun)
        #expect(forwarder.counters.cacheHits == hitsBefore + ResponseCacheAllocationTests.lookupsPerRun)
        #expect(forwarder.chasesCompletedInPlace == queries.count + ResponseCacheAllocationTests.lookupsPerRun)
        #expect(forwarder.inFlight == 0)
        #expect(
            allocations == 0,
            "\(allocations) allocations in \(ResponseCacheAllocationTests.lookupsPerRun) chased cache hits")
    }
}
