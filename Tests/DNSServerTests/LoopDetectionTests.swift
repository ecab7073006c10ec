import DNSEventLoop
import DNSForward
import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Synchronization
import Testing

/// CoreDNS's `loop` plugin: at start a probe goes through each upstream; if it keeps coming back to us, the upstream
/// forwards to us and every forwarded query would circle, so the server stops with an error naming it.
@Suite(.timeLimit(.minutes(2)))
struct LoopDetectionTests {
    /// Where the relaying upstream sends what it receives: our server, once its port is known.
    final class Target: Sendable {
        let port = Mutex<UInt16>(0)
    }

    /// An upstream that forwards every query to our own server (as a resolver whose upstream is us would), from a
    /// socket of its own, and answers nothing itself.
    static func relaying(to target: Target) -> FakeUpstream.Handler {
        { query in
            let deadline = ContinuousClock.now + .seconds(3)
            var port = target.port.withLock { $0 }
            while port == 0, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.01)
                port = target.port.withLock { $0 }
            }
            let bytes = query.encoded()
            let destination = port
            Thread {
                _ = try? DNSClient(port: destination, timeout: .milliseconds(300)).exchange(bytes)
            }.start()
            return .drop
        }
    }

    static func isFailed(_ server: Server) -> String? {
        if case .failed(let reason) = server.state { return reason }
        return nil
    }

    @Test func anUpstreamThatSendsOurQueriesBackIsALoopAndTheServerStops() throws {
        let target = Target()
        let loop = try FakeUpstream(Self.relaying(to: target))
        defer { loop.stop() }
        let running = try ForwardingTests.server([loop], threads: 2)
        defer { running.stop() }
        target.port.withLock { $0 = running.port }
        #expect(running.eventually(timeout: .seconds(10)) { Self.isFailed(running.server) != nil })
        let reason = try #require(Self.isFailed(running.server))
        #expect(reason.contains("Loop detected"))
        #expect(reason.contains(loop.address))
        #expect(running.logs.all.contains { $0.contains("Loop detected") && $0.contains(loop.address) })
        // Stopped, not just flagged: it no longer answers.
        #expect(running.server.boundAddresses.isEmpty)
        // The probe the upstream saw is HINFO for a name outside every zone we serve.
        let probe = try #require(loop.queries.first?.questions.first)
        #expect(probe.type == LoopDetector.probeType)
    }

    @Test func theLoopNamesOnlyTheUpstreamThatLoops() throws {
        let target = Target()
        let loop = try FakeUpstream(Self.relaying(to: target))
        defer { loop.stop() }
        let good = try FakeUpstream(ForwardingTests.answering([ForwardingTests.example]))
        defer { good.stop() }
        let fatal = Mutex<[String]>([])
        let zones = try TemporaryDirectory()
        defer { zones.remove() }
        let forwarding = ForwardConfiguration(
            upstreams: [try UpstreamAddress(parsing: good.address), try UpstreamAddress(parsing: loop.address)],
            policy: .sequential)
        let server = Server(
            configuration: ServerConfiguration(
                zonesDirectory: zones.path, listenAddresses: [try SocketAddress("127.0.0.1:0")], threads: 1,
                forwarding: forwarding),
            logger: LogCapture().logger, onFatal: { reason in fatal.withLock { $0.append(reason) } })
        try server.start()
        defer { server.stop() }
        target.port.withLock { $0 = server.boundAddresses[0].port }
        let deadline = ContinuousClock.now + .seconds(10)
        while fatal.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let reasons = fatal.withLock { $0 }
        #expect(reasons.count == 1)
        #expect(reasons.first?.contains(loop.address) == true)
        #expect(reasons.first?.contains(good.address) == false)
        server.waitUntilStopped()
        #expect(Self.isFailed(server) != nil)
    }

    @Test func aNormalUpstreamAnswersTheProbeAndTheServerKeepsRunning() throws {
        let upstream = try FakeUpstream { query in
            .answer(FakeUpstream.answer(query, [], responseCode: .nxDomain))
        }
        defer { upstream.stop() }
        let running = try ForwardingTests.server([upstream])
        defer { running.stop() }
        #expect(
            running.eventually(timeout: .seconds(5)) {
                upstream.queries.contains { $0.questions.first?.type == LoopDetector.probeType }
            })
        // Answered, so not probed again: a second round would come a second later.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(upstream.queries.filter { $0.questions.first?.type == LoopDetector.probeType }.count == 1)
        #expect(running.server.state == .running)
        #expect(running.server.counters.forwarder.loopProbesSeen == 0)
        #expect(running.server.counters.forwarder.rejectedReplies == 0)
        let reply = try running.client().query(ForwardingTests.query("www.example.com.", id: 1))
        #expect(reply.responseCode == .nxDomain)
    }
}
