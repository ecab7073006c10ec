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
    @Test func cacheHitsThroughTheWorkerAllocateNothing() throws {
        let now = ContinuousClock.now
        let base = try EventBase()
        let forwarder = try Forwarder(
            base: base,
            configuration: ForwardConfiguration(upstreams: [try UpstreamAddress(parsing: "127.0.0.1:9")]),
            logger: Logger(label: "allocation-test"))
        defer { forwarder.stop() }
        let (cache, lookups) = ResponseCacheAllocationTests.filledCache(now: now)
        defer { lookups.forEach { $0.query.deallocate() } }
        forwarder.cache = cache
        let handler = WorkerQueryHandler(
            responder: Responder(zones: ["cluster.local."], table: try AllocationFixture.table()), forwarder: forwarder)
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { response.deallocate() }
        let client = try SocketAddress("127.0.0.1:5353")
        let udp = QueryContext(
            transport: .udp, client: client,
            route: ReplyRoute(channel: ReplyChannel(transport: .udp), connection: 0, client: client))
        let tcp = QueryContext(
            transport: .tcp, client: client,
            route: ReplyRoute(channel: ReplyChannel(transport: .tcp), connection: 1, client: client))
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
}
