import DNSEventLoop
import DNSForward
import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Synchronization
import Testing

/// `--force-tcp` asks upstreams over TCP only; popular cache entries are refreshed before they expire.
@Suite(.timeLimit(.minutes(1)))
struct ForceTCPAndPrefetchTests {
    static let record = "www.example.com. 10 IN A 192.0.2.1"

    static func server(_ upstream: FakeUpstream, forceTCP: Bool = false, cache: ResponseCache.Configuration = .init())
        throws -> RunningServer
    {
        var forwarding = ForwardConfiguration(
            upstreams: [try UpstreamAddress(parsing: upstream.address)], policy: .sequential,
            attemptTimeout: .milliseconds(500), budget: .seconds(1), cache: cache)
        forwarding.forceTCP = forceTCP
        return try RunningServer(files: ["api.yaml": ExampleManifests.api], threads: 1, forwarding: forwarding)
    }

    @Test func forceTCPSendsEveryQueryOverTCP() throws {
        let answer: FakeUpstream.Handler = { query in .answer(FakeUpstream.answer(query, [Self.record])) }
        let upstream = try FakeUpstream(tcp: answer, answer)
        defer { upstream.stop() }
        let running = try Self.server(upstream, forceTCP: true)
        defer { running.stop() }
        let reply = try running.client().query("www.example.com", .a)
        #expect(reply.answers == [try ResourceRecord(presentation: Self.record)])
        #expect(upstream.tcpQueries.count == 1)
        #expect(upstream.lookups.count == 0, "no UDP lookup: \(upstream.lookups)")
    }

    @Test func aPopularEntryIsRefreshedBeforeItExpires() throws {
        let upstream = try FakeUpstream { query in .answer(FakeUpstream.answer(query, [Self.record])) }
        defer { upstream.stop() }
        var cache = ResponseCache.Configuration()
        // Refresh after the first hit once less than 90% of the TTL is left: a second into a 10 s TTL.
        cache.prefetchHits = 1
        cache.prefetchPercent = 90
        let running = try Self.server(upstream, cache: cache)
        defer { running.stop() }
        let client = running.client()
        _ = try client.query("www.example.com", .a)
        #expect(upstream.lookups.count == 1)
        Thread.sleep(forTimeInterval: 1.2)
        // A cache hit, answered at once, that starts the refresh.
        #expect(try client.query("www.example.com", .a).answers.count == 1)
        #expect(running.eventually(timeout: .seconds(5)) { upstream.lookups.count == 2 })
    }

    @Test func withForceTCPADownUpstreamIsProbedOverTCPAndComesBack() throws {
        let probed = Mutex(false)
        // Lookups go unanswered until a health probe (". NS") has come over TCP: the upstream goes down after two
        // failures and only a TCP probe can bring it back.
        let tcp: FakeUpstream.Handler = { query in
            if query.questions.first?.type == .ns, query.questions.first?.name == .root {
                probed.withLock { $0 = true }
                return .answer(FakeUpstream.answer(query, []))
            }
            return probed.withLock { $0 } ? .answer(FakeUpstream.answer(query, [Self.record])) : .drop
        }
        let upstream = try FakeUpstream(tcp: tcp) { _ in .drop }
        defer { upstream.stop() }
        let running = try Self.server(upstream, forceTCP: true)
        defer { running.stop() }
        #expect(try running.client().query("www.example.com", .a).responseCode == .servFail)
        // Down after two failures: the next query finds no healthy upstream, still tries one, and is counted.
        _ = try? running.client().query("other.example.com", .a)
        #expect(
            try running.eventually {
                try running.get(.metrics).body.split(separator: "\n").contains {
                    $0.hasPrefix("coredns_forward_healthcheck_broken_total ") && !$0.hasSuffix(" 0")
                }
            })
        // The health probe (". NS") reaches the upstream over TCP and brings it back.
        #expect(
            running.eventually(timeout: .seconds(10)) {
                upstream.tcpQueries.contains { $0.questions.first?.type == .ns && $0.questions.first?.name == .root }
            })
        #expect(
            try running.eventually(timeout: .seconds(5)) {
                try running.client().query("www.example.com", .a).answers.count == 1
            })
    }
}
