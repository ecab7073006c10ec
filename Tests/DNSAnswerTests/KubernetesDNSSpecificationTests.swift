import DNSAnswer
import DNSWire
import Testing

/// The answers of the Kubernetes DNS-Based Service Discovery specification 1.1.0 (and CoreDNS where it is silent),
/// written as zone presentation lines.
struct KubernetesDNSSpecificationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var type: RecordType
        var rcode: ResponseCode = .noError
        var answer: [String] = []
        var additional: [String] = []
        /// Negative answers carry the zone SOA in the authority section.
        var negative: Bool = false

        var testDescription: String { "\(name) \(type)" }
    }

    static let zone = "cluster.local."

    static let cases: [Case] = [
        Case(
            name: "sample-clusterip.default.svc.cluster.local.", type: .a,
            answer: ["sample-clusterip.default.svc.cluster.local. 5 IN A 10.96.0.20"]),
        Case(name: "sample-clusterip.default.svc.cluster.local.", type: .aaaa, negative: true),
        Case(name: "sample-clusterip.default.svc.cluster.local.", type: .mx, negative: true),
        Case(
            name: "_http-port._tcp.sample-clusterip.default.svc.cluster.local.", type: .srv,
            answer: [
                "_http-port._tcp.sample-clusterip.default.svc.cluster.local. 5 IN SRV 0 100 8080 sample-clusterip.default.svc.cluster.local."
            ],
            additional: ["sample-clusterip.default.svc.cluster.local. 5 IN A 10.96.0.20"]),
        Case(
            name: "_https-port._tcp.sample-clusterip.default.svc.cluster.local.", type: .srv,
            answer: [
                "_https-port._tcp.sample-clusterip.default.svc.cluster.local. 5 IN SRV 0 100 8443 sample-clusterip.default.svc.cluster.local."
            ],
            additional: ["sample-clusterip.default.svc.cluster.local. 5 IN A 10.96.0.20"]),
        // The SRV name exists, so other types are NODATA; the wrong protocol does not exist at all.
        Case(name: "_http-port._tcp.sample-clusterip.default.svc.cluster.local.", type: .a, negative: true),
        Case(name: "_tcp.sample-clusterip.default.svc.cluster.local.", type: .srv, negative: true),
        Case(
            name: "_http-port._udp.sample-clusterip.default.svc.cluster.local.", type: .srv, rcode: .nxDomain,
            negative: true),
        // ANY at a name with one RRset: that RRset, without the additional records its own type carries.
        Case(
            name: "sample-clusterip.default.svc.cluster.local.", type: .any,
            answer: ["sample-clusterip.default.svc.cluster.local. 5 IN A 10.96.0.20"]),
        Case(
            name: "_http-port._tcp.sample-clusterip.default.svc.cluster.local.", type: .any,
            answer: [
                "_http-port._tcp.sample-clusterip.default.svc.cluster.local. 5 IN SRV 0 100 8080 sample-clusterip.default.svc.cluster.local."
            ]),
        Case(name: "_tcp.sample-clusterip.default.svc.cluster.local.", type: .any, negative: true),
        Case(
            name: "dual.default.svc.cluster.local.", type: .a,
            answer: ["dual.default.svc.cluster.local. 5 IN A 10.96.0.50"]),
        Case(
            name: "dual.default.svc.cluster.local.", type: .aaaa,
            answer: ["dual.default.svc.cluster.local. 5 IN AAAA fd00:10:96::50"]),
        Case(
            name: "_dns._udp.dual.default.svc.cluster.local.", type: .srv,
            answer: ["_dns._udp.dual.default.svc.cluster.local. 5 IN SRV 0 100 53 dual.default.svc.cluster.local."],
            additional: [
                "dual.default.svc.cluster.local. 5 IN A 10.96.0.50",
                "dual.default.svc.cluster.local. 5 IN AAAA fd00:10:96::50",
            ]),
        // Headless: ready endpoints (a missing ready condition counts as ready), never terminating ones.
        Case(
            name: "web.default.svc.cluster.local.", type: .a,
            answer: [
                "web.default.svc.cluster.local. 5 IN A 10.244.1.10",
                "web.default.svc.cluster.local. 5 IN A 10.244.1.11",
                "web.default.svc.cluster.local. 5 IN A 10.244.1.12",
            ]),
        Case(
            name: "web-0.web.default.svc.cluster.local.", type: .a,
            answer: ["web-0.web.default.svc.cluster.local. 5 IN A 10.244.1.10"]),
        Case(
            name: "10-244-1-12.web.default.svc.cluster.local.", type: .a,
            answer: ["10-244-1-12.web.default.svc.cluster.local. 5 IN A 10.244.1.12"]),
        Case(name: "web-3.web.default.svc.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        Case(name: "web-4.web.default.svc.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        Case(
            name: "_http._tcp.web.default.svc.cluster.local.", type: .srv,
            answer: [
                "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 33 8080 web-0.web.default.svc.cluster.local.",
                "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 33 8080 web-1.web.default.svc.cluster.local.",
                "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 33 8080 10-244-1-12.web.default.svc.cluster.local.",
            ],
            additional: [
                "web-0.web.default.svc.cluster.local. 5 IN A 10.244.1.10",
                "web-1.web.default.svc.cluster.local. 5 IN A 10.244.1.11",
                "10-244-1-12.web.default.svc.cluster.local. 5 IN A 10.244.1.12",
            ]),
        // No ready endpoint: the headless service does not exist; publishNotReadyAddresses brings them back.
        Case(name: "idle.default.svc.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        Case(
            name: "early.default.svc.cluster.local.", type: .a,
            answer: ["early.default.svc.cluster.local. 5 IN A 10.244.4.1"]),
        Case(
            name: "external-db.default.svc.cluster.local.", type: .a,
            answer: ["external-db.default.svc.cluster.local. 5 IN CNAME db.example.com."]),
        Case(
            name: "external-db.default.svc.cluster.local.", type: .cname,
            answer: ["external-db.default.svc.cluster.local. 5 IN CNAME db.example.com."]),
        Case(
            name: "alias.default.svc.cluster.local.", type: .a,
            answer: [
                "alias.default.svc.cluster.local. 5 IN CNAME sample-clusterip.default.svc.cluster.local.",
                "sample-clusterip.default.svc.cluster.local. 5 IN A 10.96.0.20",
            ]),
        Case(
            name: "alias.default.svc.cluster.local.", type: .any,
            answer: ["alias.default.svc.cluster.local. 5 IN CNAME sample-clusterip.default.svc.cluster.local."]),
        Case(
            name: "alias.default.svc.cluster.local.", type: .mx,
            answer: ["alias.default.svc.cluster.local. 5 IN CNAME sample-clusterip.default.svc.cluster.local."]),
        Case(
            name: "loop-a.default.svc.cluster.local.", type: .a,
            answer: ["loop-a.default.svc.cluster.local. 5 IN CNAME loop-b.default.svc.cluster.local."]),
        Case(name: "missing.default.svc.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        Case(name: "default.svc.cluster.local.", type: .a, negative: true),
        Case(name: "empty.svc.cluster.local.", type: .a, negative: true),
        Case(name: "nowhere.svc.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        Case(name: "svc.cluster.local.", type: .a, negative: true),
        Case(name: "pod.cluster.local.", type: .a, negative: true),
        Case(name: "default.pod.cluster.local.", type: .a, negative: true),
        Case(name: "cluster.local.", type: .a, negative: true),
        Case(name: "nothing.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        Case(
            name: "cluster.local.", type: .soa,
            answer: ["cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800 86400 5"]),
        Case(
            name: "cluster.local.", type: .ns, answer: ["cluster.local. 5 IN NS ns.dns.cluster.local."],
            additional: ["ns.dns.cluster.local. 5 IN A 10.96.0.10"]),
        Case(name: "ns.dns.cluster.local.", type: .a, answer: ["ns.dns.cluster.local. 5 IN A 10.96.0.10"]),
        Case(
            name: "dns-version.cluster.local.", type: .txt,
            answer: ["dns-version.cluster.local. 5 IN TXT \"1.1.0\""]),
        // Pods, insecure (the default): any dashed IP in an existing namespace.
        Case(
            name: "10-244-9-9.default.pod.cluster.local.", type: .a,
            answer: ["10-244-9-9.default.pod.cluster.local. 5 IN A 10.244.9.9"]),
        Case(
            name: "fd00--1.default.pod.cluster.local.", type: .aaaa,
            answer: ["fd00--1.default.pod.cluster.local. 5 IN AAAA fd00::1"]),
        Case(name: "10-244-9-9.default.pod.cluster.local.", type: .aaaa, negative: true),
        Case(name: "10-244-9-9.nonexistent.pod.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        Case(name: "not-an-ip.default.pod.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        Case(name: "10-244-09-9.default.pod.cluster.local.", type: .a, rcode: .nxDomain, negative: true),
        // Reverse: ClusterIPs and headless endpoints.
        Case(
            name: "20.0.96.10.in-addr.arpa.", type: .ptr,
            answer: ["20.0.96.10.in-addr.arpa. 5 IN PTR sample-clusterip.default.svc.cluster.local."]),
        Case(
            name: "10.1.244.10.in-addr.arpa.", type: .ptr,
            answer: ["10.1.244.10.in-addr.arpa. 5 IN PTR web-0.web.default.svc.cluster.local."]),
        Case(
            name: "0.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.", type: .ptr,
            answer: [
                "0.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa. 5 IN PTR dual.default.svc.cluster.local."
            ]),
    ]

    @Test(arguments: cases)
    func answers(_ expected: Case) throws {
        let asker = Asker(table: try AnswerFixture.table())
        let reply = try asker.ask(expected.name, expected.type)
        #expect(reply.header.isResponse)
        #expect(reply.header.isAuthoritative)
        #expect(reply.header.id == 0x1234)
        #expect(reply.responseCode == expected.rcode)
        #expect(Set(reply.answers) == (try records(expected.answer)))
        #expect(Set(reply.additionals) == (try records(expected.additional)))
        if expected.negative {
            #expect(reply.answers.isEmpty)
            let apex = expected.name.hasSuffix("arpa.") ? nil : "cluster.local."
            #expect(reply.authorities.count == 1)
            #expect(reply.authorities.first?.type == .soa)
            if let apex { #expect(reply.authorities.first?.name == (try Name(apex))) }
            #expect(reply.authorities.first?.ttl == 5)
        } else {
            #expect(reply.authorities.isEmpty)
        }
        #expect(reply.edns != nil)
    }

    @Test func negativeAnswerCarriesTheZoneSOAWithTheCurrentSerial() throws {
        let asker = Asker(table: try AnswerFixture.table(serial: 2_000_000_123))
        let reply = try asker.ask("missing.default.svc.cluster.local", .a)
        #expect(
            Set(reply.authorities)
                == (try records([
                    "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 2000000123 7200 1800 86400 5"
                ])))
    }

    @Test func questionIsEchoedWithTheClientsLetterCase() throws {
        let asker = Asker(table: try AnswerFixture.table())
        let reply = try asker.ask("Sample-ClusterIP.DEFAULT.svc.Cluster.Local.", .a)
        #expect(reply.questions.first?.name.description == "Sample-ClusterIP.DEFAULT.svc.Cluster.Local.")
        #expect(reply.answers.first?.name.description == "Sample-ClusterIP.DEFAULT.svc.Cluster.Local.")
        #expect(reply.answers.first?.data == .a(IPv4Address("10.96.0.20")!))
        let missing = try asker.ask("MISSING.default.svc.CLUSTER.local.", .a)
        #expect(missing.responseCode == .nxDomain)
        #expect(missing.authorities.first?.name.description == "CLUSTER.local.")
    }

    @Test func ttlFlagAppliesToEveryRecordAndTheNegativeTTL() throws {
        let table = try AnswerFixture.table(configuration: AnswerConfiguration(ttl: 30))
        let asker = Asker(table: table)
        let srv = try asker.ask("_http._tcp.web.default.svc.cluster.local", .srv)
        #expect(!srv.answers.isEmpty)
        #expect((srv.answers + srv.additionals).allSatisfy { $0.ttl == 30 })
        let missing = try asker.ask("missing.default.svc.cluster.local", .a)
        guard case .soa(let soa) = missing.authorities.first?.data else {
            Issue.record("no SOA")
            return
        }
        #expect(soa.minimum == 30)
        #expect(missing.authorities.first?.ttl == 30)
    }

    @Test func everyDomainIsAnswered() throws {
        let configuration = AnswerConfiguration(zones: ["cluster.local.", "corp.example."])
        let asker = Asker(table: try AnswerFixture.table(configuration: configuration), zones: configuration.zones)
        let first = try asker.ask("sample-clusterip.default.svc.cluster.local", .a)
        let second = try asker.ask("sample-clusterip.default.svc.corp.example", .a)
        #expect(first.answers.count == 1)
        #expect(second.answers.map(\.data) == first.answers.map(\.data))
        let missing = try asker.ask("missing.svc.corp.example", .a)
        #expect(missing.responseCode == .nxDomain)
        #expect(missing.authorities.first?.name == "corp.example.")
    }

    @Test func namesOutsideTheClusterZonesAreRefusedForNow() throws {
        let asker = Asker(table: try AnswerFixture.table())
        for name in ["example.com.", "local.", "xcluster.local.", "1.2.3.4.in-addr.arpa."] {
            let reply = try asker.ask(name, .a)
            #expect(reply.responseCode == .refused, "\(name)")
            #expect(!reply.header.isAuthoritative)
        }
    }

    @Test func podsDisabledHasNoPodSubtree() throws {
        let asker = Asker(table: try AnswerFixture.table(configuration: AnswerConfiguration(podMode: .disabled)))
        #expect(try asker.ask("10-244-1-10.default.pod.cluster.local", .a).responseCode == .nxDomain)
        #expect(try asker.ask("pod.cluster.local", .a).responseCode == .nxDomain)
    }

    @Test func podsVerifiedAnswersOnlyKnownPodIPs() throws {
        let asker = Asker(table: try AnswerFixture.table(configuration: AnswerConfiguration(podMode: .verified)))
        let known = try asker.ask("10-244-1-10.default.pod.cluster.local", .a)
        #expect(Set(known.answers) == (try records(["10-244-1-10.default.pod.cluster.local. 5 IN A 10.244.1.10"])))
        #expect(try asker.ask("10-244-9-9.default.pod.cluster.local", .a).responseCode == .nxDomain)
        #expect(try asker.ask("10-244-1-10.kube-system.pod.cluster.local", .a).responseCode == .nxDomain)
    }

    @Test func beforeTheFirstLoadTheClusterZoneIsSERVFAIL() throws {
        let asker = Asker(table: nil)
        #expect(try asker.ask("web.default.svc.cluster.local", .a).responseCode == .servFail)
        #expect(try asker.ask("example.com", .a).responseCode == .refused)
    }

    @Test func anyReturnsEveryTypeAtTheName() throws {
        let asker = Asker(table: try AnswerFixture.table())
        let reply = try asker.ask("dual.default.svc.cluster.local", .any)
        #expect(Set(reply.answers.map(\.type)) == [.a, .aaaa])
    }
}
