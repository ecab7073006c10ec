import DNSEventLoop
import DNSForward
import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Synchronization
import Testing

/// Names outside the cluster zones go to upstream resolvers (fake ones on loopback) through the running server.
@Suite(.timeLimit(.minutes(2)))
struct ForwardingTests {
    static let example = "www.example.com. 300 IN A 192.0.2.1"

    /// A server with the example manifests forwarding to `upstreams`, one worker unless told otherwise (the cache and
    /// the in-flight table are per worker).
    static func server(
        _ upstreams: [FakeUpstream], threads: Int = 1, policy: UpstreamPool.Policy = .sequential,
        attemptTimeout: Duration = .milliseconds(200), budget: Duration = .seconds(1), maxConcurrent: Int = 100,
        files: [String: String] = ["api.yaml": ExampleManifests.api]
    ) throws -> RunningServer {
        let forwarding = ForwardConfiguration(
            upstreams: try upstreams.map { try UpstreamAddress(parsing: $0.address) }, policy: policy,
            attemptTimeout: attemptTimeout, budget: budget, maxConcurrent: maxConcurrent)
        return try RunningServer(files: files, threads: threads, forwarding: forwarding)
    }

    static func query(_ name: Name, _ type: RecordType = .a, id: UInt16) -> Message {
        Message.query(
            id: id, name: name, type: type, recursionDesired: true,
            edns: EDNS(udpPayloadSize: 1232, extendedResponseCode: 0, version: 0, dnssecOK: false, options: []))
    }

    static func answering(_ records: [String]) -> FakeUpstream.Handler {
        { query in .answer(FakeUpstream.answer(query, records)) }
    }

    @Test(arguments: [DNSClient.Transport.udp, .tcp])
    func outsideNameIsForwardedAndAnsweredWithTheClientsIDAndCase(_ transport: DNSClient.Transport) throws {
        let upstream = try FakeUpstream(Self.answering([Self.example]))
        defer { upstream.stop() }
        let running = try Self.server([upstream])
        defer { running.stop() }
        let reply = try running.client().query(Self.query("WwW.ExAmPlE.cOm.", id: 0x4242), over: transport)
        #expect(reply.header.id == 0x4242)
        #expect(reply.questions.first?.name.wire == (try Name("WwW.ExAmPlE.cOm.")).wire)
        #expect(reply.header.recursionAvailable)
        #expect(!reply.header.isAuthoritative)
        #expect(reply.responseCode == .noError)
        #expect(reply.answers == [try ResourceRecord(presentation: Self.example)])
        let sent = try #require(upstream.lookups.first)
        // The upstream sees the name in lower case and an ID of our own.
        #expect(sent.questions.first?.name.wire == (try Name("www.example.com.")).wire)
        #expect(sent.header.id != 0x4242)
        #expect(sent.header.recursionDesired)
    }

    @Test func secondIdenticalQueryIsACacheHitWithItsTTLCountedDown() throws {
        let upstream = try FakeUpstream(Self.answering([Self.example]))
        defer { upstream.stop() }
        let running = try Self.server([upstream])
        defer { running.stop() }
        let first = try running.client().query(Self.query("www.example.com.", id: 1))
        #expect(first.answers.first?.ttl == 300)
        // TTLs count whole seconds of age.
        Thread.sleep(forTimeInterval: 1.1)
        let second = try running.client().query(Self.query("WWW.example.com.", id: 2))
        #expect(second.header.id == 2)
        #expect(second.questions.first?.name.wire == (try Name("WWW.example.com.")).wire)
        #expect(second.header.recursionAvailable)
        let ttl = try #require(second.answers.first?.ttl)
        #expect(ttl < 300 && ttl >= 290)
        #expect(upstream.lookups.count == 1)
        // The scrape shows one hit and one miss (workers publish their counts once a second).
        #expect(
            try running.eventually {
                let body = try running.get(.metrics).body
                return body.contains(#"coredns_cache_hits_total{server="dns://127.0.0.1:0",type="success"} 1"#)
                    && body.contains(#"coredns_cache_misses_total{server="dns://127.0.0.1:0"} 1"#)
                    && body.contains("coredns_forward_requests_total{to=\"\(upstream.address)\"} 1")
                    && body.contains("coredns_forward_responses_total{rcode=\"NOERROR\",to=\"\(upstream.address)\"} 1")
                    && body.contains("coredns_forward_request_duration_seconds_count{to=\"\(upstream.address)\"} 1")
                    && body.contains(#"coredns_cache_entries{server="dns://127.0.0.1:0"} 1"#)
                    // The forwarded answer and the cache hit both count as responses, and in the latency histogram.
                    && body.contains(
                        #"coredns_dns_responses_total{rcode="NOERROR",server="dns://127.0.0.1:0",view="",zone="."} 2"#)
                    && body.contains(
                        #"coredns_dns_request_duration_seconds_count{server="dns://127.0.0.1:0",view="",zone=".",type="A"} 2"#
                    )
            })
    }

    @Test func silentUpstreamGivesSERVFAILWhileTheClusterZoneKeepsAnswering() throws {
        let upstream = try FakeUpstream { _ in .drop }
        defer { upstream.stop() }
        let running = try Self.server([upstream], attemptTimeout: .seconds(1), budget: .seconds(2))
        defer { running.stop() }
        let outcome = Mutex<Message?>(nil)
        let done = DispatchSemaphore(value: 0)
        let client = running.client()
        let thread = Thread {
            // Asked outside the lock, so the test can look at `outcome` while the query waits.
            let reply = try? client.query(Self.query("silent.example.", id: 7))
            outcome.withLock { $0 = reply }
            done.signal()
        }
        thread.start()
        #expect(running.eventually(timeout: .seconds(3)) { upstream.lookups.count >= 1 })
        // While the forwarded query waits (its budget is seconds), the same (only) worker answers the cluster zone.
        let cluster = try running.client().query("api.prod.svc.cluster.local", .a)
        #expect(cluster.answers.count == 1)
        #expect(outcome.withLock { $0 } == nil)
        #expect(done.wait(timeout: .now() + 5) == .success)
        let reply = try #require(outcome.withLock { $0 })
        #expect(reply.header.id == 7)
        #expect(reply.responseCode == .servFail)
        #expect(reply.header.recursionAvailable)
        // The budget allows two attempts: the retry went to the same (only) upstream, with a new ID.
        #expect(upstream.lookups.count == 2)
        #expect(Set(upstream.lookups.map(\.header.id)).count == upstream.lookups.count)
    }

    enum Forgery: String, CaseIterable, Sendable {
        case wrongID, wrongQuestion, garbage, truncated

        func bytes(for query: Message) -> [UInt8] {
            let real = FakeUpstream.answer(query, [ForwardingTests.example])
            switch self {
            case .wrongID: return FakeUpstream.withWrongID(real).encoded()
            case .wrongQuestion: return FakeUpstream.withWrongQuestion(real).encoded()
            case .garbage: return FakeUpstream.garbage(for: real)
            case .truncated: return Array(real.encoded().dropLast(3))
            }
        }
    }

    @Test(arguments: Forgery.allCases)
    func badUpstreamRepliesNeverReachTheClient(_ forgery: Forgery) throws {
        let upstream = try FakeUpstream { query in .bytes(forgery.bytes(for: query)) }
        defer { upstream.stop() }
        let running = try Self.server([upstream], attemptTimeout: .milliseconds(150), budget: .milliseconds(400))
        defer { running.stop() }
        let reply = try running.client().query(Self.query("www.example.com.", id: 9))
        #expect(reply.header.id == 9)
        #expect(reply.responseCode == .servFail)
        #expect(reply.answers.isEmpty)
        #expect(try running.eventually { running.server.counters.forwarder.rejectedReplies >= 1 })
    }

    @Test(arguments: Forgery.allCases)
    func aBadReplyBeforeTheRealOneIsIgnored(_ forgery: Forgery) throws {
        let upstream = try FakeUpstream { query in
            .several([.bytes(forgery.bytes(for: query)), .answer(FakeUpstream.answer(query, [Self.example]))])
        }
        defer { upstream.stop() }
        let running = try Self.server([upstream])
        defer { running.stop() }
        let reply = try running.client().query(Self.query("www.example.com.", id: 10))
        #expect(reply.header.id == 10)
        #expect(reply.responseCode == .noError)
        #expect(reply.answers == [try ResourceRecord(presentation: Self.example)])
        #expect(upstream.lookups.count == 1)
    }

    @Test func whenTheFirstUpstreamIsDeadTheSecondAnswers() throws {
        let dead = try FakeUpstream { _ in .drop }
        defer { dead.stop() }
        let alive = try FakeUpstream(Self.answering([Self.example]))
        defer { alive.stop() }
        let running = try Self.server(
            [dead, alive], policy: .sequential, attemptTimeout: .milliseconds(200), budget: .seconds(2))
        defer { running.stop() }
        let reply = try running.client().query(Self.query("www.example.com.", id: 11))
        #expect(reply.responseCode == .noError)
        #expect(reply.answers.count == 1)
        #expect(dead.lookups.count == 1)
        #expect(alive.lookups.count == 1)
    }

    @Test func identicalConcurrentQueriesShareOneUpstreamQuery() throws {
        let upstream = try FakeUpstream { query in
            .delayed(.milliseconds(400), .answer(FakeUpstream.answer(query, [Self.example])))
        }
        defer { upstream.stop() }
        let running = try Self.server([upstream], attemptTimeout: .seconds(2), budget: .seconds(2))
        defer { running.stop() }
        let count = 5
        let replies = Mutex<[UInt16: Message]>([:])
        let group = DispatchGroup()
        let client = running.client()
        for index in 0..<count {
            group.enter()
            Thread {
                let id = UInt16(100 + index)
                if let reply = try? client.query(Self.query("www.example.com.", id: id)) {
                    replies.withLock { $0[id] = reply }
                }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 10) == .success)
        let answered = replies.withLock { $0 }
        #expect(answered.count == count)
        for (id, reply) in answered {
            #expect(reply.header.id == id)
            #expect(reply.answers.count == 1)
        }
        #expect(upstream.lookups.count == 1)
    }

    @Test func overMaxConcurrentIsRefused() throws {
        let upstream = try FakeUpstream { query in
            .delayed(.milliseconds(600), .answer(FakeUpstream.answer(query, [Self.example])))
        }
        defer { upstream.stop() }
        let running = try Self.server(
            [upstream], attemptTimeout: .seconds(2), budget: .seconds(2), maxConcurrent: 1)
        defer { running.stop() }
        let first = Mutex<Message?>(nil)
        let done = DispatchSemaphore(value: 0)
        let client = running.client()
        Thread {
            let reply = try? client.query(Self.query("a.example.", id: 20))
            first.withLock { $0 = reply }
            done.signal()
        }.start()
        // Wait until the first query is in flight, then a different name has no room.
        #expect(running.eventually(timeout: .seconds(3)) { upstream.lookups.count == 1 })
        let second = try running.client().query(Self.query("b.example.", id: 21))
        #expect(second.header.id == 21)
        #expect(second.responseCode == .refused)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(first.withLock { $0 }?.responseCode == .noError)
    }

    @Test func reverseNamesWithoutAPTRAreForwardedAndClusterPTRsAreNot() throws {
        let upstream = try FakeUpstream(
            Self.answering(["4.3.2.1.in-addr.arpa. 60 IN PTR host.example."]))
        defer { upstream.stop() }
        let running = try Self.server([upstream])
        defer { running.stop() }
        let outside = try running.client().query(Self.query("4.3.2.1.in-addr.arpa.", .ptr, id: 30))
        #expect(outside.answers.count == 1)
        #expect(upstream.lookups.count == 1)
        let ours = try running.client().query(Self.query("7.7.96.10.in-addr.arpa.", .ptr, id: 31))
        #expect(ours.header.isAuthoritative)
        #expect(ours.answers.count == 1)
        let cluster = try running.client().query(Self.query("missing.prod.svc.cluster.local.", id: 32))
        #expect(cluster.responseCode == .nxDomain)
        #expect(upstream.lookups.count == 1)
    }

    @Test func namesInAStaticZoneAreNeverForwarded() throws {
        let upstream = try FakeUpstream(Self.answering(["www.corp.example. 60 IN A 203.0.113.66"]))
        defer { upstream.stop() }
        let zone = """
            $TTL 300
            @   IN SOA ns1 hostmaster 7 3600 600 86400 60
            ns1 IN A   192.0.2.1
            www IN A   192.0.2.10
            """
        let running = try Self.server(
            [upstream], files: ["api.yaml": ExampleManifests.api, "corp.example.zone": zone])
        defer { running.stop() }
        let www = try running.client().query(Self.query("www.corp.example.", id: 60))
        #expect(www.header.isAuthoritative)
        #expect(www.answers == [try ResourceRecord(presentation: "www.corp.example. 300 IN A 192.0.2.10")])
        let missing = try running.client().query(Self.query("missing.corp.example.", id: 61))
        #expect(missing.answers.isEmpty)
        #expect(upstream.lookups.isEmpty)
    }

    @Test func malformedAndUnsupportedQueriesAreAnsweredBeforeForwarding() throws {
        let upstream = try FakeUpstream(Self.answering([Self.example]))
        defer { upstream.stop() }
        let running = try Self.server([upstream])
        defer { running.stop() }
        var chaos = Self.query("version.bind.", .txt, id: 40)
        chaos.questions[0] = Question(name: "version.bind.", type: .txt, recordClass: .chaos)
        #expect(try running.client().query(chaos).responseCode == .refused)
        var axfr = Self.query("example.com.", .axfr, id: 41)
        axfr.header.recursionDesired = false
        #expect(try running.client().query(axfr, over: .tcp).responseCode == .refused)
        var badVersion = Self.query("www.example.com.", id: 42)
        badVersion.edns?.version = 1
        #expect(try running.client().query(badVersion).responseCode == .badVers)
        #expect(upstream.lookups.isEmpty)
    }

    @Test(arguments: [
        (["127.0.0.1:1053"], "127.0.0.1:1053", true),
        ([":1053"], "127.0.0.1:1053", true),
        ([":1053"], "[::1]:1053", true),
        (["127.0.0.1:1053"], "127.0.0.1:53", false),
        (["127.0.0.1:1053"], "10.0.0.10:1053", false),
        ([":53"], "10.0.0.10", false),
    ])
    func upstreamsThatAreOurOwnListenAddressesAreLoops(listen: [String], upstream: String, isLoop: Bool) throws {
        let configuration = ForwardConfiguration(upstreams: [try UpstreamAddress(parsing: upstream)])
        let (kept, loops) = configuration.withoutLoops(listen: try listen.map { try SocketAddress($0) })
        #expect(loops.count == (isLoop ? 1 : 0))
        #expect(kept.count == (isLoop ? 0 : 1))
    }

    @Test func aServerWhoseOnlyUpstreamIsItselfDoesNotStart() throws {
        let zones = try TemporaryDirectory()
        defer { zones.remove() }
        let configuration = ServerConfiguration(
            zonesDirectory: zones.path, listenAddresses: [try SocketAddress("127.0.0.1:1053")], threads: 1,
            forwarding: ForwardConfiguration(upstreams: [try UpstreamAddress(parsing: "127.0.0.1:1053")]))
        let logs = LogCapture()
        let server = Server(configuration: configuration, logger: logs.logger)
        #expect(throws: Server.StartError.self) { try server.start() }
        #expect(server.state == .idle)
        #expect(logs.all.contains { $0.contains("forwarding loop") })
    }
}

/// RFC 7766 §5: a truncated UDP reply from an upstream is asked again over TCP.
@Suite(.timeLimit(.minutes(1)))
struct ForwardingOverTCPTests {
    static let records = (1...3).map { "big.example. 60 IN A 192.0.2.\($0)" }

    @Test(arguments: [DNSClient.Transport.udp, .tcp])
    func truncatedUpstreamReplyIsRetriedOverTCP(_ transport: DNSClient.Transport) throws {
        let upstream = try FakeUpstream(
            tcp: { query in .answer(FakeUpstream.answer(query, Self.records)) },
            { query in .answer(FakeUpstream.truncated(FakeUpstream.answer(query, Self.records))) })
        defer { upstream.stop() }
        let running = try ForwardingTests.server([upstream], attemptTimeout: .seconds(1), budget: .seconds(2))
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("big.example.", id: 50), over: transport)
        #expect(reply.header.id == 50)
        #expect(!reply.header.isTruncated)
        #expect(Set(reply.answers) == Set(try Self.records.map { try ResourceRecord(presentation: $0) }))
        #expect(upstream.lookups.count == 1)
        #expect(upstream.tcpQueries.count == 1)
        #expect(upstream.tcpQueries.first?.header.id == upstream.lookups.first?.header.id)
    }

    @Test func aFailedTCPRetryEndsInSERVFAIL() throws {
        let upstream = try FakeUpstream(
            tcp: { _ in .drop },
            { query in .answer(FakeUpstream.truncated(FakeUpstream.answer(query, Self.records))) })
        defer { upstream.stop() }
        let running = try ForwardingTests.server(
            [upstream], attemptTimeout: .milliseconds(300), budget: .milliseconds(600))
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("big.example.", id: 51))
        #expect(reply.responseCode == .servFail)
        #expect(upstream.tcpQueries.count >= 1)
    }
}

extension ForwardingTests {
    /// RFC 5452 §9.2: every forwarded query leaves from a port of its own, not one fixed port per worker.
    @Test func eachForwardedQueryLeavesFromItsOwnSourcePort() throws {
        let upstream = try FakeUpstream { query in
            .answer(FakeUpstream.answer(query, ["\(query.questions[0].name) 300 IN A 192.0.2.1"]))
        }
        defer { upstream.stop() }
        let running = try Self.server([upstream])
        defer { running.stop() }
        for index in 0..<6 {
            let reply = try running.client().query(Self.query(try Name("host\(index).example.com."), id: 9))
            #expect(reply.answers.count == 1)
        }
        let lookupIDs = Set(upstream.lookups.map(\.header.id))
        let ports = zip(upstream.queries, upstream.queryPorts).filter { lookupIDs.contains($0.0.header.id) }.map(\.1)
        #expect(ports.count == 6)
        #expect(Set(ports).count == 6, "source ports \(ports)")
    }
}

extension ForwardingTests {
    /// CoreDNS's `type` label on cache hits: a cached NXDOMAIN is a `denial`.
    @Test func aCachedNXDOMAINCountsAsADenialHit() throws {
        let soa = "example.com. 60 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60"
        let upstream = try FakeUpstream { query in
            .answer(FakeUpstream.answer(query, [], responseCode: .nxDomain, authority: [soa]))
        }
        defer { upstream.stop() }
        let running = try Self.server([upstream])
        defer { running.stop() }
        #expect(try running.client().query(Self.query("gone.example.com.", id: 1)).responseCode == .nxDomain)
        #expect(try running.client().query(Self.query("gone.example.com.", id: 2)).responseCode == .nxDomain)
        #expect(upstream.lookups.count == 1)
        #expect(
            try running.eventually {
                try running.get(.metrics).body.contains(
                    #"coredns_cache_hits_total{server="dns://127.0.0.1:0",type="denial"} 1"#)
            })
    }
}
