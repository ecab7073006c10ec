import DNSEventLoop
import DNSForward
import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Synchronization
import Testing

/// RFC 8767: with `--serve-stale`, an expired entry answers when every upstream fails, instead of SERVFAIL.
@Suite(.timeLimit(.minutes(1)))
struct ServeStaleTests {
    static let record = "www.example.com. 1 IN A 192.0.2.1"

    static func run(serveStale: Duration) throws -> Message {
        let answering = Mutex(true)
        let upstream = try FakeUpstream { query in
            answering.withLock { $0 } ? .answer(FakeUpstream.answer(query, [Self.record])) : .drop
        }
        defer { upstream.stop() }
        var cache = ResponseCache.Configuration()
        cache.serveStale = serveStale
        let forwarding = ForwardConfiguration(
            upstreams: [try UpstreamAddress(parsing: upstream.address)], policy: .sequential,
            attemptTimeout: .milliseconds(200), budget: .milliseconds(600), cache: cache)
        let running = try RunningServer(files: ["api.yaml": ExampleManifests.api], threads: 1, forwarding: forwarding)
        defer { running.stop() }
        let client = running.client()
        #expect(try client.query("www.example.com", .a).answers.count == 1)
        answering.withLock { $0 = false }
        // Past the 1 s TTL: the entry is expired and the upstream now silent.
        Thread.sleep(forTimeInterval: 1.5)
        return try client.query("www.example.com", .a)
    }

    @Test func anExpiredEntryAnswersWhenEveryUpstreamFails() throws {
        let reply = try Self.run(serveStale: .seconds(60))
        #expect(reply.responseCode == .noError)
        #expect(reply.answers.map(\.data) == [.a(IPv4Address("192.0.2.1")!)])
        // RFC 8767 §4: stale answers carry a TTL of 30 s.
        #expect(reply.answers.first?.ttl == 30)
    }

    @Test func withoutServeStaleItIsSERVFAIL() throws {
        let reply = try Self.run(serveStale: .zero)
        #expect(reply.responseCode == .servFail)
    }
}
