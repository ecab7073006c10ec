import DNSForward
import DNSRegistry
import DNSWire
import Logging
import Testing

@testable import DNSAnswer
@testable import DNSEventLoop
@testable import DNSServer

/// A chase whose target is cached is completed in place (`AliasReply`, `Forwarder.answerChaseFromCache`), or falls
/// back to the decoding path. Each case runs both paths on the same cache at the same instant and requires the same
/// bytes (not merely the same decoded message: the in-place path keeps the encoder's compression), the same
/// counters, the same cache afterwards, and that the in-place path answered exactly the cases it should.
@Suite(.timeLimit(.minutes(1)))
struct ChasedCacheHitTests {
    static let manifest = """
        apiVersion: v1
        kind: Service
        metadata: {name: external-db, namespace: default}
        spec: {type: ExternalName, externalName: db.example.com}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: front, namespace: default}
        spec: {type: ExternalName, externalName: external-db.default.svc.cluster.local}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: corp, namespace: default}
        spec: {type: ExternalName, externalName: db.corp.local}
        """
    static let target = try! Name("db.example.com.")
    static let soa = "example.com. 900 IN SOA ns1.example.com. hostmaster.example.com. 7 7200 900 1209600 300"
    /// How long before the query each entry was stored: TTLs are counted down by 7 s.
    static let age: Duration = .milliseconds(7_500)

    /// One cached reply for a name the chase asks.
    struct Entry: Sendable {
        var name = ChasedCacheHitTests.target
        var type: RecordType = .a
        var dnssecOK = false
        var checkingDisabled = false
        var rcode: ResponseCode = .noError
        var answers: [String] = []
        var authorities: [String] = []
        /// Stored this long before the query; `age` unless the case says otherwise.
        var storedBefore = ChasedCacheHitTests.age
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var name = "external-db.default.svc.cluster.local."
        var type: RecordType = .a
        var edns: EDNS? = EDNS(udpPayloadSize: 1232)
        var checkingDisabled = false
        var transport: QueryTransport = .udp
        var entries: [Entry]
        /// Whether the in-place path answers (else it declines and the decoding path answers).
        var inPlace: Bool
    }

    static func addresses(_ count: Int, owner: String = "db.example.com.", ttl: Int = 300) -> [String] {
        (0..<count).map { "\(owner) \(ttl) IN A 192.0.2.\($0 + 1)" }
    }

    static let cases: [Case] = [
        Case(testDescription: "A with several records", entries: [Entry(answers: addresses(3))], inPlace: true),
        Case(
            testDescription: "without EDNS", edns: nil, entries: [Entry(answers: addresses(3))], inPlace: true),
        Case(
            testDescription: "AAAA NODATA: no answers, the target's SOA", type: .aaaa,
            entries: [Entry(type: .aaaa, authorities: [soa])], inPlace: true),
        Case(
            testDescription: "NXDOMAIN target", entries: [Entry(rcode: .nxDomain, authorities: [soa])], inPlace: true),
        Case(
            testDescription: "NXDOMAIN target without EDNS", edns: nil,
            entries: [Entry(rcode: .nxDomain, authorities: [soa])], inPlace: true),
        Case(
            testDescription: "upstream answer that is a resolved CNAME chain (TTLs capped at the entry's)",
            entries: [
                Entry(answers: [
                    "db.example.com. 300 IN CNAME db.example.com.cdn.example.net.",
                    "db.example.com.cdn.example.net. 60 IN CNAME e12.a.cdn.example.net.",
                    "e12.a.cdn.example.net. 20 IN A 192.0.2.7", "e12.a.cdn.example.net. 20 IN A 192.0.2.8",
                ])
            ], inPlace: true),
        Case(
            testDescription: "DO bit set", edns: EDNS(udpPayloadSize: 4096, dnssecOK: true),
            entries: [Entry(dnssecOK: true, answers: addresses(2))], inPlace: true),
        Case(
            testDescription: "CD bit set", checkingDisabled: true,
            entries: [Entry(checkingDisabled: true, answers: addresses(2))], inPlace: true),
        Case(
            testDescription: "mixed-case query name", name: "External-DB.DEFAULT.svc.Cluster.LOCAL.",
            entries: [Entry(answers: addresses(3))], inPlace: true),
        Case(
            testDescription: "chain through our own aliases", name: "front.default.svc.cluster.local.",
            entries: [Entry(answers: addresses(2))], inPlace: true),
        Case(
            testDescription: "target whose name we compress into our question", name: "corp.default.svc.cluster.local.",
            entries: [
                Entry(
                    name: try! Name("db.corp.local."),
                    answers: ["db.corp.local. 300 IN CNAME web.db.corp.local.", "web.db.corp.local. 300 IN A 10.1.1.1"])
            ], inPlace: true),
        Case(
            testDescription: "MX, whose RDATA names point into the target", type: .mx,
            entries: [
                Entry(
                    type: .mx,
                    answers: [
                        "db.example.com. 300 IN MX 10 mx1.db.example.com.",
                        "db.example.com. 300 IN MX 20 mx2.example.com.",
                    ])
            ], inPlace: true),
        Case(
            testDescription: "SRV, whose target is never compressed", type: .srv,
            entries: [Entry(type: .srv, answers: ["db.example.com. 300 IN SRV 0 5 5432 pg.db.example.com."])],
            inPlace: true),
        Case(
            testDescription: "over TCP, beyond any UDP limit", transport: .tcp,
            entries: [Entry(answers: addresses(90))], inPlace: true),
        Case(
            testDescription: "a reply over 512 bytes without EDNS falls back (and is truncated)", edns: nil,
            entries: [Entry(answers: addresses(40))], inPlace: false),
        Case(
            testDescription: "a reply over the 1232 bytes of EDNS falls back", entries: [Entry(answers: addresses(90))],
            inPlace: false),
        Case(
            testDescription: "an expired entry falls back (and goes upstream)",
            entries: [Entry(answers: addresses(2, ttl: 5))], inPlace: false),
        Case(
            testDescription: "a cached SERVFAIL falls back (the alias alone)", entries: [Entry(rcode: .servFail)],
            inPlace: false),
        Case(
            testDescription: "an answer ending in a CNAME falls back (the chase follows it, here from the cache too)",
            entries: [
                Entry(answers: ["db.example.com. 300 IN CNAME next.example.org."]),
                Entry(name: try! Name("next.example.org."), answers: addresses(2, owner: "next.example.org.")),
            ], inPlace: false),
        Case(
            testDescription: "records sharing a suffix with our question fall back (the encoder points them there)",
            entries: [
                Entry(answers: [
                    "db.example.com. 300 IN CNAME lb.cluster.local.", "lb.cluster.local. 300 IN A 10.0.0.1",
                ])
            ], inPlace: false),
        Case(
            testDescription: "a missing entry falls back (and goes upstream)",
            entries: [Entry(name: try! Name("other.example.com."), answers: addresses(1))], inPlace: false),
    ]

    /// What one path did with one query.
    struct Outcome: Equatable {
        var handled: Int
        var reply: [UInt8]
        var counters: ForwarderCounters
        var cacheCounters: ResponseCache.Counters
        var cacheEntries: Int
        var inFlight: Int
    }

    /// A responder over `manifest` and a forwarder whose upstream is never reached when the cache answers.
    final class Harness {
        let responder: Responder
        let forwarder: Forwarder
        let base: EventBase

        init(cache: ResponseCache.Configuration = .init(), inPlace: Bool) throws {
            let snapshot = RegistrySnapshot(
                objects: try ManifestParser.parse(ChasedCacheHitTests.manifest, path: "services.yaml"))
            responder = Responder(
                zones: [try Name("cluster.local.")],
                table: AnswerTable.build(from: snapshot, configuration: AnswerConfiguration(), serial: 1))
            responder.forwardsOtherNames = true
            base = try EventBase()
            forwarder = try Forwarder(
                base: base,
                configuration: ForwardConfiguration(
                    upstreams: [try UpstreamAddress(parsing: "127.0.0.1:9")], cache: cache),
                logger: Logger(label: "chased-cache-hit-test"))
            forwarder.completesChasesInPlace = inPlace
        }

        deinit {
            forwarder.stop()
        }

        /// The query through the responder (which hands it over with a chase note) and the forwarder, at `now`.
        func answer(_ query: [UInt8], transport: QueryTransport, now: ContinuousClock.Instant) -> Outcome {
            let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)
            defer { response.deallocate() }
            let client = try! SocketAddress("127.0.0.1:5353")
            let context = QueryContext(
                transport: transport, client: client,
                route: ReplyRoute(channel: ReplyChannel(transport: transport), connection: 0, client: client))
            let handled = query.withUnsafeBytes { query in
                let handedOver = responder.respond(
                    to: query, into: response, transport: transport == .udp ? .udp : .tcp)
                #expect(handedOver == Responder.forward)
                ChasedCacheHitTests.expectNoteReadAlike(UnsafeRawBufferPointer(response))
                return forwarder.handle(query, into: response, context: context, now: now)
            }
            return Outcome(
                handled: handled, reply: handled > 0 ? Array(response[0..<handled]) : [],
                counters: forwarder.counters, cacheCounters: forwarder.cache.counters,
                cacheEntries: forwarder.cache.count, inFlight: forwarder.inFlight)
        }
    }

    /// `Responder.ChaseNote` reads the note as `Responder.handOver(in:)` does, where the note starts with the chase
    /// marker and its header.
    static func expectNoteReadAlike(_ response: UnsafeRawBufferPointer) {
        #expect(response[0] == Responder.handOverChase)
        #expect(Responder.chaseNoteHeader + (Int(response[1]) << 8 | Int(response[2])) < response.count)
        guard case .chase(let reply, let target) = Responder.handOver(in: response) else {
            Issue.record("no chase note")
            return
        }
        let note = Responder.ChaseNote(response)
        #expect(note.map { Array($0.reply) } == reply)
        #expect(note.map { Array($0.target) } == target.wire)
    }

    static func filledCache(
        _ entries: [Entry], configuration: ResponseCache.Configuration, now: ContinuousClock.Instant
    )
        throws -> ResponseCache
    {
        var cache = ResponseCache(configuration: configuration)
        for entry in entries {
            let question = Question(name: entry.name, type: entry.type)
            var header = Header(id: 1, isResponse: true, recursionDesired: true, recursionAvailable: true)
            header.checkingDisabled = entry.checkingDisabled
            var reply = Message(
                header: header, questions: [question],
                answers: try entry.answers.map { try ResourceRecord(presentation: $0) },
                authorities: try entry.authorities.map { try ResourceRecord(presentation: $0) }, edns: EDNS())
            reply.responseCode = entry.rcode
            let key = QueryKey(
                name: entry.name, type: entry.type, dnssecOK: entry.dnssecOK,
                checkingDisabled: entry.checkingDisabled)
            let outcome = cache.store(reply, for: key, now: now - entry.storedBefore)
            guard case .stored = outcome else {
                Issue.record("not cached: \(key): \(outcome)")
                continue
            }
        }
        return cache
    }

    static func query(_ test: Case, id: UInt16 = 0x4242) throws -> [UInt8] {
        var header = Header(id: id, recursionDesired: true)
        header.checkingDisabled = test.checkingDisabled
        return Message(
            header: header, questions: [Question(name: try Name(test.name), type: test.type)], edns: test.edns
        )
        .encoded()
    }

    /// Both paths on the same cache at the same instant.
    static func bothPaths(
        _ test: Case, cache configuration: ResponseCache.Configuration = .init()
    ) throws -> (inPlace: Outcome, decoding: Outcome, completedInPlace: Int) {
        let now = ContinuousClock.now
        let cache = try filledCache(test.entries, configuration: configuration, now: now)
        let query = try query(test)
        let fast = try Harness(cache: configuration, inPlace: true)
        fast.forwarder.cache = cache
        let slow = try Harness(cache: configuration, inPlace: false)
        slow.forwarder.cache = cache
        let inPlace = fast.answer(query, transport: test.transport, now: now)
        let decoding = slow.answer(query, transport: test.transport, now: now)
        #expect(slow.forwarder.chasesCompletedInPlace == 0)
        return (inPlace, decoding, fast.forwarder.chasesCompletedInPlace)
    }

    @Test(arguments: cases)
    func theInPlacePathSendsWhatTheDecodingPathSends(_ test: Case) throws {
        let (inPlace, decoding, completed) = try Self.bothPaths(test)
        #expect(completed == (test.inPlace ? 1 : 0), "answered in place")
        #expect(inPlace.handled == decoding.handled)
        #expect(inPlace.reply == decoding.reply, "byte for byte")
        #expect(inPlace.counters == decoding.counters)
        #expect(inPlace.cacheCounters == decoding.cacheCounters)
        #expect(inPlace.cacheEntries == decoding.cacheEntries)
        #expect(inPlace.inFlight == decoding.inFlight)
        if test.inPlace {
            #expect(inPlace.counters.chased == 1)
            #expect(inPlace.counters.cacheHits == 1)
            #expect(inPlace.cacheCounters.hits == 1)
            #expect(inPlace.cacheCounters.misses == 0)
        }
    }

    /// The bytes both paths agree on mean what the chase promises: our CNAMEs, then the target's records counted
    /// down by the entry's age, the target's RCODE, AA and RA, the client's ID, question and OPT.
    @Test func aCompletedChaseIsTheAliasThenTheTargetsRecordsCountedDown() throws {
        let test = Self.cases[0]
        let (inPlace, _, completed) = try Self.bothPaths(test)
        #expect(completed == 1)
        let reply = try Message(decoding: inPlace.reply)
        #expect(reply.header.id == 0x4242)
        #expect(reply.header.isAuthoritative)
        #expect(reply.header.recursionAvailable)
        #expect(reply.header.recursionDesired)
        #expect(!reply.header.isTruncated)
        #expect(reply.responseCode == .noError)
        #expect(reply.questions == [Question(name: try Name(test.name), type: .a)])
        let expected =
            ["external-db.default.svc.cluster.local. 5 IN CNAME db.example.com."] + Self.addresses(3, ttl: 293)
        #expect(reply.answers == (try expected.map { try ResourceRecord(presentation: $0) }))
        #expect(reply.authorities.isEmpty)
        #expect(reply.edns == EDNS(udpPayloadSize: 1232))
    }

    @Test func anNXDOMAINTargetKeepsItsSOAAndItsRCODE() throws {
        let test = Self.cases[3]
        let (inPlace, _, completed) = try Self.bothPaths(test)
        #expect(completed == 1)
        let reply = try Message(decoding: inPlace.reply)
        // RFC 6604 §3: the RCODE is the last name's.
        #expect(reply.responseCode == .nxDomain)
        #expect(reply.answers.count == 1)
        #expect(reply.authorities.map(\.ttl) == [293])
        #expect(reply.authorities.first?.type == .soa)
    }

    /// A popular entry about to expire is refreshed from upstream when a chase hits it, on either path.
    @Test func aChaseHitDueForPrefetchRefreshesTheTarget() throws {
        var configuration = ResponseCache.Configuration()
        configuration.prefetchHits = 1
        configuration.prefetchPercent = 100
        let (inPlace, decoding, completed) = try Self.bothPaths(Self.cases[0], cache: configuration)
        #expect(completed == 1)
        #expect(inPlace == decoding)
        #expect(inPlace.cacheCounters.prefetches == 1)
        #expect(inPlace.inFlight == 1, "the refresh is in flight")
        #expect(inPlace.counters.perUpstream["127.0.0.1:9"]?.requests == 1)
    }
}
