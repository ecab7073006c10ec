import CMallocCounter
import DNSForward
import DNSWire
import Testing

/// STYLE habit 6 for forwarding: a query answered from the cache (`Forwarder`'s fast path: `WireQuery`, then
/// `ResponseCache.lookup(_:in:clientLimit:now:upstreamsFailed:into:)`) allocates nothing. Storing may allocate; hits
/// may not. Release builds only, as `ResponderAllocationTests`.
@Suite(.enabled(if: isOptimizedBuild, "allocation counts are only meaningful with -O"))
struct ResponseCacheAllocationTests {
    static let lookupsPerRun = 10_000

    /// One cached question as clients send it: the bytes, and the reply limit it is answered under.
    struct Lookup {
        var query: UnsafeMutableRawBufferPointer
        var limit: Int
    }

    static func record(_ line: String) -> ResourceRecord {
        try! ResourceRecord(presentation: line)
    }

    /// A cache holding positive answers (one big enough to truncate at 512), a NODATA and an NXDOMAIN with SOA, for
    /// queries with and without EDNS, DO and CD, and the queries that hit them in a mix of letter case and limits.
    static func filledCache(
        configuration: ResponseCache.Configuration = .init(), now: ContinuousClock.Instant
    ) -> (ResponseCache, [Lookup]) {
        var cache = ResponseCache(configuration: configuration)
        var lookups: [Lookup] = []
        let soa = record("example. 900 IN SOA ns.example. admin.example. 1 7200 3600 1209600 300")
        for index in 0..<50 {
            let name = try! Name("host\(index).example.")
            let asSent = try! Name("Host\(index).EXAMPLE.")
            let type: RecordType = [.a, .aaaa, .mx][index % 3]
            let edns: EDNS? =
                index % 4 == 0 ? nil : EDNS(udpPayloadSize: [512, 1232, 4096][index % 3], dnssecOK: index % 5 == 0)
            let checkingDisabled = index % 7 == 0
            let question = Question(name: name, type: type)
            var answers: [ResourceRecord] = []
            var authorities: [ResourceRecord] = []
            var rcode = ResponseCode.noError
            switch index % 10 {
            case 8: authorities = [soa]  // NODATA
            case 9: rcode = .nxDomain; authorities = [soa]
            default:
                let count = index % 10 == 1 ? 40 : 2
                answers = (0..<count).map { record("host\(index).example. 300 IN A 192.0.2.\($0 + 1)") }
            }
            var header = Header(id: 1, isResponse: true, recursionDesired: true, recursionAvailable: true)
            header.checkingDisabled = checkingDisabled
            var reply = Message(
                header: header, questions: [question], answers: answers, authorities: authorities, edns: EDNS())
            reply.responseCode = rcode
            let key = QueryKey(
                name: name, type: type, dnssecOK: edns?.dnssecOK ?? false, checkingDisabled: checkingDisabled)
            guard case .stored = cache.store(reply, for: key, now: now) else { fatalError("not cached: \(key)") }
            var queryHeader = Header(id: UInt16(index), recursionDesired: index % 6 != 0)
            queryHeader.checkingDisabled = checkingDisabled
            let bytes = Message(
                header: queryHeader, questions: [Question(name: index % 2 == 0 ? asSent : name, type: type)],
                edns: edns
            ).encoded()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            buffer.copyBytes(from: bytes)
            // UDP at the client's limit, or TCP's 65535.
            let limit = index % 3 == 2 ? 65535 : (edns == nil ? 512 : min(Int(max(edns!.udpPayloadSize, 512)), 1232))
            lookups.append(Lookup(query: buffer, limit: limit))
        }
        return (cache, lookups)
    }

    static func run(
        _ cache: inout ResponseCache, _ lookups: [Lookup], now: ContinuousClock.Instant, upstreamsFailed: Bool,
        into response: UnsafeMutableRawBufferPointer
    ) -> (allocations: Int, hits: Int, bytes: Int) {
        let count = lookups.count
        var hits = 0
        var bytes = 0
        CMallocCounter_start()
        for index in 0..<lookupsPerRun {
            let lookup = lookups[index % count]
            let packet = UnsafeRawBufferPointer(lookup.query)
            guard let wire = WireQuery(packet) else { continue }
            if let hit = cache.lookup(
                wire, in: packet, clientLimit: lookup.limit, now: now, upstreamsFailed: upstreamsFailed,
                into: response)
            {
                hits += 1
                bytes &+= hit.length
            }
        }
        let allocations = CMallocCounter_stop()
        return (allocations, hits, bytes)
    }

    @Test func freshHitsAllocateNothing() {
        let t0 = ContinuousClock.now
        var (cache, lookups) = Self.filledCache(now: t0)
        defer { lookups.forEach { $0.query.deallocate() } }
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { response.deallocate() }
        // Warm-up, and a check that every lookup hits and writes what the decoding path writes.
        for lookup in lookups {
            let packet = UnsafeRawBufferPointer(lookup.query)
            let wire = WireQuery(packet)
            #expect(wire != nil)
            let hit = wire.flatMap {
                cache.lookup($0, in: packet, clientLimit: lookup.limit, now: t0 + .seconds(10), into: response)
            }
            #expect(hit != nil)
            guard let hit, let client = try? ClientQuery(decoding: Array(packet)) else { continue }
            let inPlace = Array(response[0..<hit.length])
            var copy = cache
            let decoded = copy.lookup(client, clientLimit: lookup.limit, now: t0 + .seconds(10))
            #expect(decoded?.reply == inPlace)
        }
        let hitsBefore = cache.counters.hits
        let (allocations, hits, bytes) = Self.run(
            &cache, lookups, now: t0 + .seconds(20), upstreamsFailed: false, into: response)
        #expect(hits == Self.lookupsPerRun)
        #expect(bytes > 0)
        #expect(cache.counters.hits == hitsBefore + Self.lookupsPerRun)
        #expect(allocations == 0, "\(allocations) allocations in \(Self.lookupsPerRun) cache hits")
    }

    /// RFC 8767: every upstream failed, entries past their TTL are served with the stale TTL, still without allocating.
    @Test func staleHitsAllocateNothing() {
        let t0 = ContinuousClock.now
        var configuration = ResponseCache.Configuration()
        configuration.serveStale = .seconds(3600)
        var (cache, lookups) = Self.filledCache(configuration: configuration, now: t0)
        defer { lookups.forEach { $0.query.deallocate() } }
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
        defer { response.deallocate() }
        let later = t0 + .seconds(1000)
        _ = Self.run(&cache, lookups, now: later, upstreamsFailed: true, into: response)
        let (allocations, hits, _) = Self.run(&cache, lookups, now: later, upstreamsFailed: true, into: response)
        #expect(hits == Self.lookupsPerRun)
        #expect(cache.counters.staleHits == 2 * Self.lookupsPerRun)
        #expect(allocations == 0, "\(allocations) allocations in \(Self.lookupsPerRun) stale hits")
    }
}
