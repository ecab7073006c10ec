import DNSTestKit
import DNSWire
import Foundation
import Testing

/// The built `cluster-dns` in front of a real upstream, Knot DNS, asked the way clients ask: the project's
/// `DNSClient`, `dig`, and, inside a network namespace set up like a pod's, glibc's and musl's stub resolvers.
/// Knot is authoritative only and never recurses, so no packet leaves loopback.
@Suite(.timeLimit(.minutes(3)))
struct EndToEndTests {
    /// The upstream's zone: every record type the tests follow through the forwarder, and the target of the bundled
    /// `external-db` ExternalName service (`db.example.com`).
    static let exampleZone = """
        $ORIGIN example.com.
        $TTL 300
        @       IN SOA   ns1.example.com. hostmaster.example.com. 1 3600 600 86400 60
        @       IN NS    ns1.example.com.
        ns1     IN A     127.0.0.1
        www     IN A     192.0.2.10
        www     IN AAAA  2001:db8::10
        alias   IN CNAME www.example.com.
        info    IN TXT   "cluster-dns end-to-end"
        db      IN A     192.0.2.50

        """

    static let edns = EDNS(udpPayloadSize: 1232, extendedResponseCode: 0, version: 0, dnssecOK: false, options: [])

    static let www = RecordData.a(IPv4Address("192.0.2.10")!)
    static let wwwV6 = RecordData.aaaa(IPv6Address("2001:db8::10")!)

    // MARK: - A real upstream

    @Test func forwardsToKnotFollowsItsAnswersAndCachesThem() throws {
        let knot = try KnotServer(origin: "example.com.", zone: Self.exampleZone)
        defer { knot.stop() }
        let server = try ServerProcess(arguments: [
            "--zones", CommandLineTests.repositoryRoot + "/zones", "--listen", "127.0.0.1:0", "--threads", "1",
            "--upstream", "127.0.0.1:\(knot.port)",
        ])
        defer { server.stop() }
        let client = DNSClient(port: server.port, timeout: .seconds(5))
        func ask(_ name: String, _ type: RecordType, over transport: DNSClient.Transport = .udp) throws -> Message {
            try client.query(name, type, over: transport, edns: Self.edns)
        }

        // The client's own ID comes back, with RA: a recursive service answered, whoever it asked.
        let id = UInt16.random(in: 1...UInt16.max)
        let www = try client.query(
            Message.query(id: id, name: "www.example.com.", type: .a, recursionDesired: true, edns: Self.edns))
        #expect(www.header.id == id)
        #expect(www.header.isResponse)
        #expect(www.header.recursionAvailable)
        #expect(www.responseCode == .noError)
        #expect(www.answers.map(\.data) == [Self.www])
        #expect(www.answers.map(\.name) == ["www.example.com."])
        let firstTTL = try #require(www.answers.first?.ttl)
        #expect(firstTTL <= 300)

        let aaaa = try ask("www.example.com", .aaaa)
        #expect(aaaa.responseCode == .noError)
        #expect(aaaa.answers.map(\.data) == [Self.wwwV6])

        let alias = try ask("alias.example.com", .a)
        #expect(alias.responseCode == .noError)
        #expect(alias.answers.map(\.data) == [.cname("www.example.com."), Self.www])
        #expect(alias.answers.map(\.name) == ["alias.example.com.", "www.example.com."])

        let info = try ask("info.example.com", .txt, over: .tcp)
        #expect(info.answers.map(\.data) == [.txt([Array("cluster-dns end-to-end".utf8)])])

        // RFC 2308 §2.1: the upstream's NXDOMAIN keeps its SOA in the authority section.
        let nothing = try ask("nothing.example.com", .a)
        #expect(nothing.responseCode == .nxDomain)
        #expect(nothing.answers.isEmpty)
        #expect(nothing.authorities.map(\.type) == [.soa])
        #expect(nothing.authorities.map(\.name) == ["example.com."])

        // The same through dig, as a person checks it.
        let port = String(server.port)
        func dig(_ arguments: [String]) throws -> String {
            try runCommand("dig", ["@127.0.0.1", "-p", port, "+time=3", "+tries=1"] + arguments)
        }
        let digWWW = try dig(["www.example.com", "A"])
        #expect(digWWW.contains("status: NOERROR"), "\(digWWW)")
        #expect(digWWW.range(of: #";; flags: qr[a-z ]* rd ra"#, options: .regularExpression) != nil, "\(digWWW)")
        #expect(try dig(["www.example.com", "AAAA", "+short"]) == "2001:db8::10\n")
        #expect(try dig(["alias.example.com", "A", "+short"]) == "www.example.com.\n192.0.2.10\n")
        let digNothing = try dig(["nothing.example.com", "A", "+noall", "+comments", "+authority"])
        #expect(digNothing.contains("status: NXDOMAIN"), "\(digNothing)")
        #expect(
            digNothing.range(
                of: #"\nexample\.com\.\s+\d+\s+IN\s+SOA\s+ns1\.example\.com\."#, options: .regularExpression)
                != nil, "\(digNothing)")

        // With Knot gone only the cache can answer: the same record, its TTL counted down, never up.
        knot.stop()
        let cached = try ask("www.example.com", .a)
        #expect(cached.responseCode == .noError)
        #expect(cached.answers.map(\.data) == [Self.www])
        #expect(try #require(cached.answers.first?.ttl) <= firstTTL)
        // A name that was never asked has nowhere to come from now, so the answer above was the cache's.
        #expect(try ask("db.example.com", .a).responseCode == .servFail)
        let metricsPort = try #require(server.httpPort("metrics"))
        let metrics = try httpGet(port: metricsPort, path: "/metrics").body
        let hits = metrics.split(separator: "\n").filter { $0.hasPrefix("coredns_cache_hits_total") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        #expect(hits >= 1, "\(metrics)")

        // The cluster zone does not depend on the upstream.
        let cluster = try ask("web.default.svc.cluster.local", .a)
        #expect(cluster.responseCode == .noError)
        #expect(cluster.header.isAuthoritative)
        #expect(cluster.answers.count == 3)
    }

    // MARK: - As a pod sees it

    /// What a pod in namespace `default` looks up, and the addresses it must get: short names through the search
    /// list, the ExternalName chased into the upstream's zone, and an outside name through the upstream.
    static let podLookups: [(name: String, addresses: Set<String>)] = [
        ("web", ["10.244.1.10", "10.244.1.11", "10.244.1.12"]),
        ("web.default", ["10.244.1.10", "10.244.1.11", "10.244.1.12"]),
        ("web.default.svc", ["10.244.1.10", "10.244.1.11", "10.244.1.12"]),
        ("sample-clusterip", ["10.96.0.20"]),
        ("external-db", ["192.0.2.50"]),
        ("www.example.com", ["192.0.2.10", "2001:db8::10"]),
    ]

    /// Port 53 and Knot's port are fixed here: the namespace is new and ours alone.
    static let knotPortInNamespace: UInt16 = 5300

    @Test func aPodResolvesThroughGlibcAndMuslInItsOwnNetworkNamespace() throws {
        let build = try TemporaryDirectory(prefix: "cdns-musl")
        defer { build.remove() }
        let getaddrinfo: String
        do {
            getaddrinfo = try GetaddrinfoProgram.build(in: build)
        } catch {
            guard case .compilerMissing = error else { throw error }
            print("SKIPPED aPodResolvesThroughGlibcAndMuslInItsOwnNetworkNamespace: \(error)")
            return
        }
        let namespace: NetworkNamespace
        do {
            namespace = try NetworkNamespace.create()
        } catch {
            guard case .unavailable = error else { throw error }
            print("SKIPPED aPodResolvesThroughGlibcAndMuslInItsOwnNetworkNamespace: \(error)")
            return
        }
        // Declared first, so it runs last: the processes inside are stopped before the namespace goes.
        defer { namespace.remove() }
        try namespace.writeResolvConf(
            """
            nameserver 127.0.0.1
            search default.svc.cluster.local svc.cluster.local cluster.local
            options ndots:5

            """)

        let knot = try KnotServer(
            origin: "example.com.", zone: Self.exampleZone, port: Self.knotPortInNamespace,
            launcher: namespace.launcher
        ) { port in
            let soa = try? namespace.run(
                ["dig", "@127.0.0.1", "-p", String(port), "+time=1", "+tries=1", "+norec", "example.com", "SOA"],
                timeout: .seconds(5))
            return soa?.output.contains("status: NOERROR") == true && soa?.output.contains(" aa") == true
        }
        defer { knot.stop() }
        let server = try ChildProcess(
            "ip",
            Array(namespace.launcher.dropFirst()) + [
                ServerProcess.binaryPath, "--zones", CommandLineTests.repositoryRoot + "/zones",
                "--listen", "127.0.0.1:53", "--upstream", "127.0.0.1:\(Self.knotPortInNamespace)",
                "--health", "none", "--ready", "none", "--metrics", "none", "--lameduck", "0s", "--threads", "1",
            ])
        defer { server.stop() }
        try #require(server.waitUntilPrinted("listening on 127.0.0.1:53", timeout: .seconds(30)), "\(server.printed)")

        let musl = try namespace.run([getaddrinfo] + Self.podLookups.map(\.name) + ["nothing.example.com"])
        let muslAddresses = GetaddrinfoProgram.addresses(in: musl.output)
        for lookup in Self.podLookups {
            let glibc = try namespace.run(["getent", "ahosts", lookup.name])
            let glibcAddresses = Set(
                glibc.output.split(separator: "\n").compactMap { $0.split(separator: " ").first }
                    .map(String.init))
            #expect(glibc.status == 0, "glibc \(lookup.name): \(glibc.output)")
            #expect(glibcAddresses == lookup.addresses, "glibc \(lookup.name): \(glibc.output)")
            #expect(muslAddresses[lookup.name] == lookup.addresses, "musl \(lookup.name): \(musl.output)")
        }
        // A name nobody has fails in both: the search list does not turn NXDOMAIN into some answer.
        #expect(musl.output.contains("nothing.example.com error"), "\(musl.output)")
        #expect(musl.status == 1, "\(musl.output)")
        let glibcNothing = try namespace.run(["getent", "ahosts", "nothing.example.com"])
        #expect(glibcNothing.status != 0, "\(glibcNothing.output)")
        #expect(server.isRunning, "\(server.printed)")
    }
}
