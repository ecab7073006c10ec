import DNSWire
import Testing

@testable import DNSForward

@Suite struct ResponseCacheTests {
    static let question = Question(name: "www.example.", type: .a)
    static let key = QueryKey(name: "www.example.", type: .a)
    static let soa = record("example. 900 IN SOA ns.example. admin.example. 1 7200 3600 1209600 300")

    static func positive(_ ttls: [UInt32]) -> Message {
        reply(
            id: 1, question,
            answers: ttls.enumerated().map { record("www.example. \($0.element) IN A 192.0.2.\($0.offset + 1)") })
    }

    @Test(arguments: [
        ("positive: smallest answer TTL", positive([300, 60, 120]), ResponseCache.StoreOutcome.stored(ttl: 60)),
        ("positive: capped at maxTTL", positive([86400]), .stored(ttl: 3600)),
        (
            "NXDOMAIN: SOA MINIMUM below SOA TTL", reply(id: 1, question, rcode: .nxDomain, authorities: [soa]),
            .stored(ttl: 300)
        ),
        (
            "NODATA: SOA TTL below MINIMUM",
            reply(id: 1, question, authorities: [record("example. 30 IN SOA a. b. 1 2 3 4 600")]), .stored(ttl: 30)
        ),
        (
            "NXDOMAIN: capped at 1800",
            reply(
                id: 1, question, rcode: .nxDomain,
                authorities: [record("example. 86400 IN SOA a. b. 1 2 3 4 86400")]),
            .stored(ttl: 1800)
        ),
        ("SERVFAIL: 5 s", reply(id: 1, question, rcode: .servFail), .stored(ttl: 5)),
        ("NXDOMAIN without SOA", reply(id: 1, question, rcode: .nxDomain), .notCached(.negativeWithoutSOA)),
        ("NODATA without SOA", reply(id: 1, question), .notCached(.negativeWithoutSOA)),
        ("TC", reply(id: 1, question, answers: positive([60]).answers, truncated: true), .notCached(.truncated)),
        ("FORMERR", reply(id: 1, question, rcode: .formErr), .notCached(.responseCode(.formErr))),
        ("REFUSED", reply(id: 1, question, rcode: .refused), .notCached(.responseCode(.refused))),
        ("NOTIMP", reply(id: 1, question, rcode: .notImp), .notCached(.responseCode(.notImp))),
        ("zero TTL", positive([0]), .notCached(.zeroTTL)),
        ("other question", reply(id: 1, Question(name: "x.example.", type: .a)), .notCached(.questionMismatch)),
    ])
    func ttlPolicy(name: String, message: Message, outcome: ResponseCache.StoreOutcome) {
        var cache = ResponseCache()
        #expect(cache.store(message, for: Self.key, now: t0) == outcome, "\(name)")
        if case .notCached = outcome {
            #expect(cache.lookup(clientQuery("www.example."), clientLimit: 512, now: t0) == nil)
        }
    }

    @Test func hitCountsTTLsDownAndRewritesForTheClient() throws {
        var cache = ResponseCache()
        let upstream = reply(
            id: 1, Self.question, answers: [record("www.example. 60 IN A 192.0.2.1")],
            additionals: [record("ns.example. 600 IN A 192.0.2.53")])
        cache.store(upstream, for: Self.key, now: t0)
        let client = clientQuery("WWW.example.", id: 0x0BAD, edns: EDNS())
        let (bytes, hit) = try cached(&cache, client, clientLimit: 1232, now: at(20.5))
        #expect(!hit.isStale && !hit.shouldPrefetch)
        let message = try Message(decoding: bytes)
        #expect(message.header.id == 0x0BAD)
        #expect(message.questions[0].name.wire == client.question.name.wire)
        #expect(message.answers.map(\.ttl) == [40])
        // No record outlives the entry: the glue's 600 s is capped at the 40 s left.
        #expect(message.additionals.map(\.ttl) == [40])
        #expect(message.edns?.udpPayloadSize == 1232)
        let plain = try cached(&cache, clientQuery("www.example."), clientLimit: 512, now: at(30))
        #expect(try Message(decoding: plain.reply).edns == nil)
    }

    @Test func negativeAnswerSOATTLCountsDown() throws {
        var cache = ResponseCache()
        cache.store(reply(id: 1, Self.question, rcode: .nxDomain, authorities: [Self.soa]), for: Self.key, now: t0)
        let message = try Message(
            decoding: try cached(&cache, clientQuery("www.example."), clientLimit: 512, now: at(100)).reply)
        #expect(message.responseCode == .nxDomain)
        #expect(message.authorities.map(\.ttl) == [200])
    }

    @Test func hitIsTruncatedToTheClientsSize() throws {
        var cache = ResponseCache()
        cache.store(Self.positive(Array(repeating: 60, count: 100)), for: Self.key, now: t0)
        let (bytes, _) = try cached(&cache, clientQuery("www.example."), clientLimit: 512, now: t0)
        #expect(bytes.count <= 512)
        #expect(try Message(decoding: bytes).header.isTruncated)
    }

    @Test func expiredEntryIsAMissAndRemoved() {
        var cache = ResponseCache()
        cache.store(Self.positive([60]), for: Self.key, now: t0)
        #expect(cache.lookup(clientQuery("www.example."), clientLimit: 512, now: at(59.9)) != nil)
        #expect(cache.lookup(clientQuery("www.example."), clientLimit: 512, now: at(60)) == nil)
        #expect(!cache.contains(Self.key))
    }

    @Test func keyIncludesTypeAndDOBit() {
        var cache = ResponseCache()
        cache.store(Self.positive([60]), for: Self.key, now: t0)
        #expect(cache.lookup(clientQuery("www.example.", .aaaa), clientLimit: 512, now: t0) == nil)
        #expect(cache.lookup(clientQuery("www.example.", edns: EDNS(dnssecOK: true)), clientLimit: 512, now: t0) == nil)
        #expect(cache.lookup(clientQuery("www.example.", checkingDisabled: true), clientLimit: 512, now: t0) == nil)
    }

    @Test func leastRecentlyUsedIsEvictedFirst() {
        var configuration = ResponseCache.Configuration()
        configuration.capacity = 2
        var cache = ResponseCache(configuration: configuration)
        let names: [Name] = ["a.example.", "b.example.", "c.example."]
        func store(_ name: Name) {
            cache.store(
                reply(id: 1, Question(name: name, type: .a), answers: [record("\(name) 60 IN A 192.0.2.1")]),
                for: QueryKey(name: name, type: .a), now: t0)
        }
        store(names[0])
        store(names[1])
        _ = cache.lookup(clientQuery(names[0]), clientLimit: 512, now: t0)  // a is now the most recent
        store(names[2])
        #expect(cache.contains(QueryKey(name: names[0], type: .a)))
        #expect(!cache.contains(QueryKey(name: names[1], type: .a)))
        #expect(cache.contains(QueryKey(name: names[2], type: .a)))
        #expect(cache.count == 2)
        #expect(cache.counters.evictions == 1)
        // Replacing an entry does not evict.
        store(names[2])
        #expect(cache.count == 2 && cache.counters.evictions == 1)
    }

    /// The open-addressing index against a plain model (an LRU list with expiry times) over many stores, hits,
    /// expiries and evictions in a small table, where probe runs are long and wrap around: every key is found exactly
    /// when the model holds it.
    @Test(arguments: [1, 8, 13])
    func indexAgreesWithAModel(capacity: Int) {
        var configuration = ResponseCache.Configuration()
        configuration.capacity = capacity
        var cache = ResponseCache(configuration: configuration)
        let names: [Name] = (0..<40).map { try! Name("n\($0).Example.") }
        let types: [RecordType] = [.a, .aaaa]
        var model: [(key: QueryKey, expiry: ContinuousClock.Instant)] = []  // oldest first
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        var now = t0
        for _ in 0..<5000 {
            let name = names[next(names.count)]
            let type = types[next(types.count)]
            let key = QueryKey(name: name, type: type)
            if next(2) == 0 {
                let ttl = UInt32(1 + next(5))
                cache.store(
                    reply(
                        id: 1, Question(name: name, type: type),
                        answers: [record("\(name) \(ttl) IN \(type) \(type == .a ? "192.0.2.1" : "2001:db8::1")")]),
                    for: key, now: now)
                if let index = model.firstIndex(where: { $0.key == key }) {
                    model.remove(at: index)
                } else if model.count == capacity {
                    model.removeFirst()
                }
                model.append((key, now + .seconds(ttl)))
            } else {
                let query = clientQuery(next(2) == 0 ? name : name.lowercased(), type)
                let hit = lookUpInPlace(&cache, query, clientLimit: 512, now: now) != nil
                var expected = false
                if let index = model.firstIndex(where: { $0.key == key }) {
                    let entry = model.remove(at: index)
                    if now < entry.expiry {
                        model.append(entry)
                        expected = true
                    }
                }
                #expect(hit == expected)
            }
            now += .milliseconds(100 * next(4))
            #expect(cache.count == model.count)
        }
        for name in names {
            for type in types {
                let key = QueryKey(name: name, type: type)
                #expect(cache.contains(key) == model.contains { $0.key == key })
            }
        }
    }

    @Test func prefetchIsSignalledOnceForAPopularEntryNearExpiry() throws {
        var cache = ResponseCache()
        cache.store(Self.positive([100]), for: Self.key, now: t0)
        let query = clientQuery("www.example.")
        for _ in 0..<9 {
            #expect(try cached(&cache, query, clientLimit: 512, now: at(1)).hit.shouldPrefetch == false)
        }
        // The 10th hit, but 20 % of the TTL is left: not yet.
        #expect(try cached(&cache, query, clientLimit: 512, now: at(80)).hit.shouldPrefetch == false)
        #expect(try cached(&cache, query, clientLimit: 512, now: at(91)).hit.shouldPrefetch == true)
        #expect(try cached(&cache, query, clientLimit: 512, now: at(92)).hit.shouldPrefetch == false)
        #expect(cache.counters.prefetches == 1)
    }

    /// "Less than `prefetchPercent` of the TTL left" to the attosecond: exactly 10% left is not yet, just under is.
    @Test(arguments: [(10, 90.0, false), (10, 90.000_001, true), (25, 74.9, false), (25, 75.5, true)])
    func prefetchStartsWhenLessThanThePercentageIsLeft(percent: Int, seconds: Double, due: Bool) throws {
        var configuration = ResponseCache.Configuration()
        configuration.prefetchPercent = percent
        configuration.prefetchHits = 1
        var cache = ResponseCache(configuration: configuration)
        cache.store(Self.positive([100]), for: Self.key, now: t0)
        let hit = try cached(&cache, clientQuery("www.example."), clientLimit: 512, now: t0 + .seconds(seconds)).hit
        #expect(hit.shouldPrefetch == due)
    }

    @Test func unpopularEntryNearExpiryIsNotPrefetched() throws {
        var cache = ResponseCache()
        cache.store(Self.positive([100]), for: Self.key, now: t0)
        #expect(
            try cached(&cache, clientQuery("www.example."), clientLimit: 512, now: at(95)).hit.shouldPrefetch
                == false)
    }

    /// Times are kept as nanoseconds (`CacheTime`): a stale window past any sensible length saturates instead of
    /// overflowing, and the entry is still served stale a year on.
    @Test func aHugeStaleWindowDoesNotOverflow() throws {
        var configuration = ResponseCache.Configuration()
        configuration.serveStale = .seconds(Int64.max)
        var cache = ResponseCache(configuration: configuration)
        cache.store(Self.positive([60]), for: Self.key, now: t0)
        let (_, hit) = try cached(
            &cache, clientQuery("www.example."), clientLimit: 512, now: t0 + .seconds(365 * 86400),
            upstreamsFailed: true)
        #expect(hit.isStale)
    }

    @Test func staleEntryIsServedOnlyWhenUpstreamsFailedAndWithinTheWindow() throws {
        var configuration = ResponseCache.Configuration()
        configuration.serveStale = .seconds(3600)
        var cache = ResponseCache(configuration: configuration)
        cache.store(Self.positive([60]), for: Self.key, now: t0)
        let query = clientQuery("www.example.")
        #expect(cache.lookup(query, clientLimit: 512, now: at(120)) == nil)
        let (bytes, hit) = try cached(&cache, query, clientLimit: 512, now: at(120), upstreamsFailed: true)
        #expect(hit.isStale)
        #expect(try Message(decoding: bytes).answers.map(\.ttl) == [30])
        #expect(cache.lookup(query, clientLimit: 512, now: at(60 + 3600), upstreamsFailed: true) == nil)
        #expect(!cache.contains(Self.key))
    }

    @Test func withoutServeStaleExpiredIsAMissEvenWhenUpstreamsFailed() {
        var cache = ResponseCache()
        cache.store(Self.positive([60]), for: Self.key, now: t0)
        #expect(cache.lookup(clientQuery("www.example."), clientLimit: 512, now: at(61), upstreamsFailed: true) == nil)
    }

    @Test func servFailIsNotServedStale() {
        var configuration = ResponseCache.Configuration()
        configuration.serveStale = .seconds(3600)
        var cache = ResponseCache(configuration: configuration)
        cache.store(reply(id: 1, Self.question, rcode: .servFail), for: Self.key, now: t0)
        #expect(cache.lookup(clientQuery("www.example."), clientLimit: 512, now: at(4)) != nil)
        #expect(cache.lookup(clientQuery("www.example."), clientLimit: 512, now: at(6), upstreamsFailed: true) == nil)
    }

    /// `lookup(name:…writingWith:)` for `name` (wire form, any case), type A, class IN, no DO or CD.
    static func offer(
        _ cache: inout ResponseCache, _ name: Name, now: ContinuousClock.Instant,
        _ write: (CompiledReply, CompiledReply.TTLs) -> Int?
    ) -> ResponseCache.Hit? {
        name.wire.withUnsafeBytes { name in
            cache.lookup(
                name: name, type: RecordType.a.rawValue, recordClass: RecordClass.internet.rawValue, dnssecOK: false,
                checkingDisabled: false, now: now, writingWith: write)
        }
    }

    /// The lookup a caller may decline (the in-place chase): declined, missing or expired, it leaves the counters and
    /// the entries as they were; written, it counts as `lookup` does, with the same TTLs.
    @Test func aLookupTheWriterDeclinesChangesNothing() {
        var cache = ResponseCache()
        cache.store(Self.positive([60]), for: Self.key, now: t0)
        var offered: CompiledReply.TTLs?
        #expect(Self.offer(&cache, "WWW.Example.", now: at(20.5)) { offered = $1; return nil } == nil)
        #expect(offered == .aged(by: 20, ceiling: 40))
        #expect(cache.counters == ResponseCache.Counters())
        #expect(Self.offer(&cache, "other.example.", now: at(20.5)) { _, _ in 1 } == nil)
        #expect(Self.offer(&cache, "www.example.", now: at(61)) { _, _ in 1 } == nil)
        #expect(cache.counters == ResponseCache.Counters())
        #expect(cache.count == 1, "an expired entry is left for the lookup that follows")

        let hit = Self.offer(&cache, "www.example.", now: at(20.5)) { _, _ in 42 }
        #expect(hit == ResponseCache.Hit(length: 42, shouldPrefetch: false, isStale: false))
        #expect(cache.counters.hits == 1)
        #expect(cache.counters.misses == 0)
    }
}

struct CacheMiss: Error {}

func cached(
    _ cache: inout ResponseCache, _ query: ClientQuery, clientLimit: Int, now: ContinuousClock.Instant,
    upstreamsFailed: Bool = false
) throws -> (reply: [UInt8], hit: ResponseCache.Hit) {
    // The same lookup on a copy through the in-place path (`WireQuery`) must write the same bytes and change the cache
    // the same way.
    var wireCache = cache
    let wire = lookUpInPlace(&wireCache, query, clientLimit: clientLimit, now: now, upstreamsFailed: upstreamsFailed)
    let result = cache.lookup(query, clientLimit: clientLimit, now: now, upstreamsFailed: upstreamsFailed)
    #expect(wire?.reply == result?.reply)
    #expect(wire?.hit == result?.hit)
    #expect(wireCache.counters == cache.counters)
    #expect(wireCache.count == cache.count)
    guard let result else {
        throw CacheMiss()
    }
    return result
}

/// `query` as the client sends it on the wire.
func wireBytes(_ query: ClientQuery) -> [UInt8] {
    var header = Header(id: query.id, recursionDesired: query.recursionDesired)
    header.checkingDisabled = query.checkingDisabled
    return Message(header: header, questions: [query.question], edns: query.edns).encoded()
}

/// `ResponseCache.lookup(_:in:clientLimit:now:upstreamsFailed:into:)` for `query` sent as `wireBytes(query)`.
func lookUpInPlace(
    _ cache: inout ResponseCache, _ query: ClientQuery, clientLimit: Int, now: ContinuousClock.Instant,
    upstreamsFailed: Bool = false
) -> (reply: [UInt8], hit: ResponseCache.Hit)? {
    let bytes = wireBytes(query)
    return bytes.withUnsafeBytes { packet -> (reply: [UInt8], hit: ResponseCache.Hit)? in
        guard let wire = WireQuery(packet) else {
            Issue.record("a plain query the in-place reader refused")
            return nil
        }
        var hit: ResponseCache.Hit?
        let reply = [UInt8](unsafeUninitializedCapacity: max(clientLimit, 0)) { buffer, count in
            hit = cache.lookup(
                wire, in: packet, clientLimit: clientLimit, now: now, upstreamsFailed: upstreamsFailed,
                into: UnsafeMutableRawBufferPointer(buffer))
            count = hit?.length ?? 0
        }
        guard let hit else { return nil }
        return (reply, hit)
    }
}
