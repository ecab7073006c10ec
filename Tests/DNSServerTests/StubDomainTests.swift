import DNSEventLoop
import DNSForward
import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Testing

/// kube-dns's `stubDomains`: names at or below a stub domain go to its own upstreams, the longest stub winning.
@Suite(.timeLimit(.minutes(2)))
struct StubDomainTests {
    static func server(default upstream: FakeUpstream, stubs: [(String, [FakeUpstream])]) throws -> RunningServer {
        let forwarding = ForwardConfiguration(
            upstreams: [try UpstreamAddress(parsing: upstream.address)], policy: .sequential,
            attemptTimeout: .milliseconds(300), budget: .seconds(1),
            stubs: try stubs.map { domain, fakes in
                StubDomain(
                    domain: try Name(domain), upstreams: try fakes.map { try UpstreamAddress(parsing: $0.address) })
            })
        return try RunningServer(files: ["api.yaml": ExampleManifests.api], threads: 1, forwarding: forwarding)
    }

    static func answering(_ address: String) -> FakeUpstream.Handler {
        { query in
            let name = query.questions.first.map { "\($0.name)" } ?? "."
            return .answer(FakeUpstream.answer(query, ["\(name) 60 IN A \(address)"]))
        }
    }

    /// The names `upstream` was asked, leaving out the loop probes every upstream gets at start.
    static func askedNames(_ upstream: FakeUpstream) -> [String] {
        upstream.queries.compactMap(\.questions.first).filter { $0.type != LoopDetector.probeType }
            .map { "\($0.name)".lowercased() }
    }

    @Test func namesUnderAStubGoOnlyToItsUpstreamAndOtherNamesOnlyToTheDefault() throws {
        let fallback = try FakeUpstream(Self.answering("192.0.2.1"))
        defer { fallback.stop() }
        let corp = try FakeUpstream(Self.answering("198.51.100.1"))
        defer { corp.stop() }
        let running = try Self.server(default: fallback, stubs: [("corp.example.", [corp])])
        defer { running.stop() }
        let client = running.client()
        let below = try client.query(ForwardingTests.query("WWW.Corp.Example.", id: 1))
        #expect(below.answers.map(\.data) == [.a(IPv4Address("198.51.100.1")!)])
        #expect(below.header.recursionAvailable)
        let apex = try client.query(ForwardingTests.query("corp.example.", id: 2))
        #expect(apex.answers.map(\.data) == [.a(IPv4Address("198.51.100.1")!)])
        // A name that only ends in the same letters is not below the stub.
        let lookalike = try client.query(ForwardingTests.query("notcorp.example.", id: 3))
        #expect(lookalike.answers.map(\.data) == [.a(IPv4Address("192.0.2.1")!)])
        let other = try client.query(ForwardingTests.query("www.example.com.", id: 4))
        #expect(other.answers.map(\.data) == [.a(IPv4Address("192.0.2.1")!)])
        #expect(Self.askedNames(corp) == ["www.corp.example.", "corp.example."])
        #expect(Self.askedNames(fallback) == ["notcorp.example.", "www.example.com."])
    }

    @Test func nestedStubsPickTheLongestDomain() throws {
        let fallback = try FakeUpstream(Self.answering("192.0.2.1"))
        defer { fallback.stop() }
        let outer = try FakeUpstream(Self.answering("198.51.100.1"))
        defer { outer.stop() }
        let inner = try FakeUpstream(Self.answering("203.0.113.1"))
        defer { inner.stop() }
        // The shorter stub first, so the order given is not what decides.
        let running = try Self.server(
            default: fallback, stubs: [("example.", [outer]), ("lab.corp.example.", [inner])])
        defer { running.stop() }
        let client = running.client()
        let deep = try client.query(ForwardingTests.query("db.lab.corp.example.", id: 10))
        #expect(deep.answers.map(\.data) == [.a(IPv4Address("203.0.113.1")!)])
        let shallow = try client.query(ForwardingTests.query("www.corp.example.", id: 11))
        #expect(shallow.answers.map(\.data) == [.a(IPv4Address("198.51.100.1")!)])
        let elsewhere = try client.query(ForwardingTests.query("www.example.org.", id: 12))
        #expect(elsewhere.answers.map(\.data) == [.a(IPv4Address("192.0.2.1")!)])
        #expect(Self.askedNames(inner) == ["db.lab.corp.example."])
        #expect(Self.askedNames(outer) == ["www.corp.example."])
        #expect(Self.askedNames(fallback) == ["www.example.org."])
    }

    @Test func aDeadStubUpstreamFailsOverToTheStubsNextOneNeverToTheDefault() throws {
        let fallback = try FakeUpstream(Self.answering("192.0.2.1"))
        defer { fallback.stop() }
        let dead = try FakeUpstream { _ in .drop }
        defer { dead.stop() }
        let alive = try FakeUpstream(Self.answering("198.51.100.2"))
        defer { alive.stop() }
        let running = try Self.server(default: fallback, stubs: [("corp.example.", [dead, alive])])
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("www.corp.example.", id: 20))
        #expect(reply.answers.map(\.data) == [.a(IPv4Address("198.51.100.2")!)])
        #expect(Self.askedNames(dead) == ["www.corp.example."])
        #expect(Self.askedNames(fallback).isEmpty)
    }

    @Test func stubAnswersShareTheCache() throws {
        let fallback = try FakeUpstream(Self.answering("192.0.2.1"))
        defer { fallback.stop() }
        let corp = try FakeUpstream(Self.answering("198.51.100.1"))
        defer { corp.stop() }
        let running = try Self.server(default: fallback, stubs: [("corp.example.", [corp])])
        defer { running.stop() }
        for id in UInt16(30)...32 {
            let reply = try running.client().query(ForwardingTests.query("www.corp.example.", id: id))
            #expect(reply.answers.count == 1)
        }
        #expect(Self.askedNames(corp) == ["www.corp.example."])
    }

    @Test(arguments: [
        ("corp.example=10.0.0.1", "corp.example.", ["10.0.0.1:53"]),
        ("Corp.Example.=10.0.0.1:5353,[fd00::1]:53", "corp.example.", ["10.0.0.1:5353", "[fd00::1]:53"]),
        ("a.b=dns://192.0.2.9", "a.b.", ["192.0.2.9:53"]),
    ])
    func stubFlagsParse(text: String, domain: String, upstreams: [String]) throws {
        let stub = try StubDomain(parsing: text)
        #expect(stub.domain == (try Name(domain)))
        #expect(stub.upstreams.map(\.description) == upstreams)
    }

    @Test(arguments: [
        ("corp.example", StubDomain.ParseError.missingUpstreams),
        ("corp.example=", .missingUpstreams),
        ("=10.0.0.1", .missingUpstreams),
        ("corp.example=10.0.0.1,", .missingUpstreams),
        (".=10.0.0.1", .rootDomain),
        ("bad..name=10.0.0.1", .badDomain),
        ("corp.example=nameserver", .badUpstream("nameserver", .notAnAddress)),
    ])
    func badStubFlagsAreRejected(text: String, error: StubDomain.ParseError) {
        #expect(throws: error) { try StubDomain(parsing: text) }
    }

    @Test func aStubUpstreamThatIsOurselfIsSkippedAndAStubLeftWithoutUpstreamsStopsTheStart() throws {
        let zones = try TemporaryDirectory()
        defer { zones.remove() }
        let listen = try SocketAddress("127.0.0.1:1053")
        let ourselves = try UpstreamAddress(parsing: "127.0.0.1:1053")
        let elsewhere = try UpstreamAddress(parsing: "192.0.2.53")
        var forwarding = ForwardConfiguration(
            upstreams: [elsewhere], stubs: [StubDomain(domain: "corp.example.", upstreams: [ourselves])])
        let logs = LogCapture()
        let server = Server(
            configuration: ServerConfiguration(
                zonesDirectory: zones.path, listenAddresses: [listen], threads: 1, forwarding: forwarding),
            logger: logs.logger)
        #expect(throws: Server.StartError.self) { try server.start() }
        #expect(server.state == .idle)
        #expect(logs.all.contains { $0.contains("stub domain corp.example.") })
        // With another upstream beside it, the stub keeps that one.
        forwarding.stubs[0].upstreams.append(elsewhere)
        let kept = ForwardConfiguration.withoutLoops(forwarding.stubs[0].upstreams, listen: [listen])
        #expect(kept.kept == [elsewhere])
        #expect(kept.loops == [ourselves])
    }

    @Test func aBadStubFlagEndsWithOneClearSentence() throws {
        let (status, output) = try ServerProcess.runToCompletion(
            [
                "--zones", CommandLineTests.repositoryRoot + "/zones", "--upstream", "192.0.2.53", "--stub",
                "corp.example",
            ])
        #expect(status != 0)
        let firstLine = output.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("Error: "), "\(output)")
        #expect(firstLine.contains("--stub corp.example"), "\(output)")
    }
}
