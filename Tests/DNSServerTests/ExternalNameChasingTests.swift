import DNSEventLoop
import DNSForward
import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Synchronization
import Testing

/// With forwarding on, an ExternalName's CNAME to a name outside our zones is completed with the target's records
/// from upstream, as CoreDNS's kubernetes plugin does through its forwarder.
@Suite(.timeLimit(.minutes(2)))
struct ExternalNameChasingTests {
    static let manifest = """
        apiVersion: v1
        kind: Service
        metadata: {name: external-db, namespace: default}
        spec: {type: ExternalName, externalName: db.example.com}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: prod}
        spec:
          clusterIP: 10.96.7.7
          ports: [{name: grpc, port: 9090}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: inside, namespace: default}
        spec: {type: ExternalName, externalName: api.prod.svc.cluster.local}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: dangling, namespace: default}
        spec: {type: ExternalName, externalName: missing.prod.svc.cluster.local}
        """
    static let alias = "external-db.default.svc.cluster.local. 5 IN CNAME db.example.com."
    static let target = "db.example.com. 60 IN A 192.0.2.44"

    static func server(_ upstream: FakeUpstream, budget: Duration = .seconds(1)) throws -> RunningServer {
        try ForwardingTests.server(
            [upstream], attemptTimeout: .milliseconds(200), budget: budget, files: ["services.yaml": Self.manifest])
    }

    static func records(_ lines: [String]) throws -> [ResourceRecord] {
        try lines.map { try ResourceRecord(presentation: $0) }
    }

    static func asked(_ upstream: FakeUpstream) -> [String] {
        upstream.lookups.compactMap(\.questions.first).map { "\($0.name) \($0.type)".lowercased() }
    }

    @Test(arguments: [DNSClient.Transport.udp, .tcp])
    func externalNameIsAnsweredWithTheCNAMEAndTheTargetsRecords(_ transport: DNSClient.Transport) throws {
        let upstream = try FakeUpstream(ForwardingTests.answering([Self.target]))
        defer { upstream.stop() }
        let running = try Self.server(upstream)
        defer { running.stop() }
        let reply = try running.client().query(
            ForwardingTests.query("External-DB.default.svc.cluster.local.", id: 0x5151), over: transport)
        #expect(reply.header.id == 0x5151)
        #expect(reply.questions.first?.name.wire == (try Name("External-DB.default.svc.cluster.local.")).wire)
        #expect(reply.responseCode == .noError)
        #expect(reply.header.recursionAvailable)
        // RFC 1035 §4.1.1: AA is about the question's name, the alias, which is ours.
        #expect(reply.header.isAuthoritative)
        #expect(reply.answers == (try Self.records([Self.alias, Self.target])))
        #expect(reply.edns != nil)
        #expect(Self.asked(upstream) == ["db.example.com. a"])
        // The target's answer is cached like any forwarded one: asking again does not go upstream.
        let again = try running.client().query(ForwardingTests.query("external-db.default.svc.cluster.local.", id: 2))
        #expect(again.answers.count == 2)
        #expect(Self.asked(upstream) == ["db.example.com. a"])
    }

    @Test func aTargetThatFailsLeavesTheCNAMEAloneWithNOERROR() throws {
        let upstream = try FakeUpstream { query in
            .answer(FakeUpstream.answer(query, [], responseCode: .servFail))
        }
        defer { upstream.stop() }
        let running = try Self.server(upstream)
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("external-db.default.svc.cluster.local.", id: 3))
        #expect(reply.responseCode == .noError)
        #expect(reply.answers == (try Self.records([Self.alias])))
        #expect(Self.asked(upstream) == ["db.example.com. a"])
    }

    @Test func aTargetThatTimesOutLeavesTheCNAMEAloneWithNOERROR() throws {
        let upstream = try FakeUpstream { _ in .drop }
        defer { upstream.stop() }
        let running = try Self.server(upstream, budget: .milliseconds(400))
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("external-db.default.svc.cluster.local.", id: 4))
        #expect(reply.responseCode == .noError)
        #expect(reply.answers == (try Self.records([Self.alias])))
        #expect(upstream.lookups.count >= 1)
    }

    @Test func aSlowTargetIsAnsweredWithTheCNAMEAloneAtTheChaseBudgetAndCachedForLater() throws {
        let upstream = try FakeUpstream { query in
            .delayed(.milliseconds(500), .answer(FakeUpstream.answer(query, [Self.target])))
        }
        defer { upstream.stop() }
        var forwarding = ForwardConfiguration(
            upstreams: [try UpstreamAddress(parsing: upstream.address)], attemptTimeout: .seconds(2),
            budget: .seconds(2))
        forwarding.chaseBudget = .milliseconds(150)
        let running = try RunningServer(files: ["services.yaml": Self.manifest], threads: 1, forwarding: forwarding)
        defer { running.stop() }
        let first = try running.client().query(ForwardingTests.query("external-db.default.svc.cluster.local.", id: 11))
        #expect(first.responseCode == .noError)
        #expect(first.answers == (try Self.records([Self.alias])))
        // The upstream's late answer still reached the cache: the next query is complete without asking again.
        #expect(
            try running.eventually(timeout: .seconds(5)) {
                let again = try running.client().query(
                    ForwardingTests.query("external-db.default.svc.cluster.local.", id: 12))
                return again.answers.count == 2
            })
        #expect(Self.asked(upstream) == ["db.example.com. a"])
    }

    @Test func aTargetThatDoesNotExistIsNXDOMAINWithTheCNAME() throws {
        let soa = "example.com. 60 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60"
        let upstream = try FakeUpstream { query in
            .answer(FakeUpstream.answer(query, [], responseCode: .nxDomain, authority: [soa]))
        }
        defer { upstream.stop() }
        let running = try Self.server(upstream)
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("external-db.default.svc.cluster.local.", id: 5))
        // RFC 6604 §3: the RCODE speaks for the last name of the chain.
        #expect(reply.responseCode == .nxDomain)
        #expect(reply.answers == (try Self.records([Self.alias])))
        #expect(reply.authorities == (try Self.records([soa])))
    }

    @Test func aCNAMEFromUpstreamIsFollowedAndALoopIsAnsweredWithWhatWasResolved() throws {
        let hops = [
            "db.example.com.": "db.example.net. 60 IN CNAME loop-a.example.org.",
            "loop-a.example.org.": "loop-a.example.org. 60 IN CNAME loop-b.example.org.",
            "loop-b.example.org.": "loop-b.example.org. 60 IN CNAME db.example.com.",
        ]
        let upstream = try FakeUpstream { query in
            let name = query.questions.first.map { "\($0.name)".lowercased() } ?? ""
            guard let line = hops[name] else { return .drop }
            // The first hop is owned by the name asked, as a resolver writes it.
            let owned = name == "db.example.com." ? line.replacingOccurrences(of: "db.example.net.", with: name) : line
            return .answer(FakeUpstream.answer(query, [owned]))
        }
        defer { upstream.stop() }
        let running = try Self.server(upstream)
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("external-db.default.svc.cluster.local.", id: 6))
        #expect(reply.responseCode == .noError)
        #expect(
            reply.answers
                == (try Self.records([
                    Self.alias, "db.example.com. 60 IN CNAME loop-a.example.org.",
                    "loop-a.example.org. 60 IN CNAME loop-b.example.org.",
                    "loop-b.example.org. 60 IN CNAME db.example.com.",
                ])))
        // Each name once: the loop back to db.example.com. is not asked again.
        #expect(Self.asked(upstream) == ["db.example.com. a", "loop-a.example.org. a", "loop-b.example.org. a"])
    }

    @Test func aLongChainStopsAtTheChainLimit() throws {
        // Every name is a CNAME to the next: an endless chain.
        let upstream = try FakeUpstream { query in
            let name = query.questions.first.map { "\($0.name)".lowercased() } ?? ""
            let number = name.hasPrefix("n") ? Int(name.dropFirst().prefix { $0.isNumber }) ?? 0 : 0
            return .answer(FakeUpstream.answer(query, ["\(name) 60 IN CNAME n\(number + 1).example.org."]))
        }
        defer { upstream.stop() }
        let running = try Self.server(upstream)
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("external-db.default.svc.cluster.local.", id: 7))
        #expect(reply.responseCode == .noError)
        #expect(upstream.lookups.count == ForwardPolicy.chainLimit)
        #expect(reply.answers.count == ForwardPolicy.chainLimit + 1)
    }

    @Test func aCNAMEQueryAndAliasesInsideTheClusterAreNotChased() throws {
        let upstream = try FakeUpstream(ForwardingTests.answering([Self.target]))
        defer { upstream.stop() }
        let running = try Self.server(upstream)
        defer { running.stop() }
        let cname = try running.client().query(
            ForwardingTests.query("external-db.default.svc.cluster.local.", .cname, id: 8))
        #expect(cname.header.isAuthoritative)
        #expect(cname.answers == (try Self.records([Self.alias])))
        let inside = try running.client().query(ForwardingTests.query("inside.default.svc.cluster.local.", id: 9))
        #expect(inside.header.isAuthoritative)
        #expect(inside.answers.count == 2)
        // A target inside the cluster zone that has no records is ours to deny, not an upstream's to answer.
        let dangling = try running.client().query(ForwardingTests.query("dangling.default.svc.cluster.local.", id: 10))
        #expect(dangling.header.isAuthoritative)
        let dangle = "dangling.default.svc.cluster.local. 5 IN CNAME missing.prod.svc.cluster.local."
        #expect(dangling.answers == (try Self.records([dangle])))
        #expect(upstream.lookups.isEmpty)
    }
}

extension ExternalNameChasingTests {
    /// A popular target about to expire is refreshed from upstream when a chase finds it in the cache, as a popular
    /// forwarded name is.
    @Test func aCachedTargetDueForPrefetchIsRefreshed() throws {
        let upstream = try FakeUpstream(ForwardingTests.answering(["db.example.com. 10 IN A 192.0.2.44"]))
        defer { upstream.stop() }
        var cache = ResponseCache.Configuration()
        // Refresh after the first hit once less than 90% of the TTL is left: a second into a 10 s TTL.
        cache.prefetchHits = 1
        cache.prefetchPercent = 90
        let forwarding = ForwardConfiguration(
            upstreams: [try UpstreamAddress(parsing: upstream.address)], attemptTimeout: .milliseconds(500),
            budget: .seconds(1), cache: cache)
        let running = try RunningServer(files: ["services.yaml": Self.manifest], threads: 1, forwarding: forwarding)
        defer { running.stop() }
        let alias: Name = "external-db.default.svc.cluster.local."
        #expect(try running.client().query(ForwardingTests.query(alias, id: 1)).answers.count == 2)
        #expect(Self.asked(upstream) == ["db.example.com. a"])
        Thread.sleep(forTimeInterval: 1.2)
        // A cache hit, answered at once, that starts the refresh.
        #expect(try running.client().query(ForwardingTests.query(alias, id: 2)).answers.count == 2)
        #expect(running.eventually(timeout: .seconds(5)) { upstream.lookups.count == 2 })
    }

    /// alias → ExternalName inside the cluster → a name outside: the whole chain, then the target's records.
    @Test func aChainThroughOurOwnAliasesIsChasedFromWhereItLeavesTheCluster() throws {
        let upstream = try FakeUpstream(ForwardingTests.answering([Self.target]))
        defer { upstream.stop() }
        let chained =
            Self.manifest + """

                ---
                apiVersion: v1
                kind: Service
                metadata: {name: front, namespace: default}
                spec: {type: ExternalName, externalName: external-db.default.svc.cluster.local}
                """
        let running = try ForwardingTests.server(
            [upstream], attemptTimeout: .milliseconds(200), budget: .seconds(1), files: ["services.yaml": chained])
        defer { running.stop() }
        let reply = try running.client().query(ForwardingTests.query("front.default.svc.cluster.local.", id: 7))
        #expect(
            reply.answers
                == (try Self.records([
                    "front.default.svc.cluster.local. 5 IN CNAME external-db.default.svc.cluster.local.",
                    Self.alias, Self.target,
                ])))
        #expect(Self.asked(upstream) == ["db.example.com. a"])
    }
}
