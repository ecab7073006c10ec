import DNSAnswer
import DNSRegistry
import DNSWire
import Testing

/// Master files served beside the cluster zone, as CoreDNS's `file` plugin serves them.
struct StaticZoneTests {
    static let zoneText = """
        $TTL 300
        @       IN SOA ns1 hostmaster 7 3600 600 86400 60
                IN NS  ns1
        ns1     IN A   192.0.2.1
        www  30 IN A   192.0.2.10
        www     IN AAAA 2001:db8::10
        alias   IN CNAME www
        """

    static func table(zones: [ZoneFile]) throws -> AnswerTable {
        let objects =
            try ManifestParser.parse(AnswerFixture.manifests, path: "fixture.yaml")
            + zones.map { RegistryObject.staticZone($0) }
        return AnswerTable.build(
            from: RegistrySnapshot(objects: objects), configuration: AnswerConfiguration(), serial: 1)
    }

    @Test func recordsAnswerWithTheirOwnTTLs() throws {
        let zone = try ZoneFile(parsing: Self.zoneText, origin: "corp.example.")
        let asker = Asker(table: try Self.table(zones: [zone]))
        let www = try asker.ask("WWW.corp.example.", .a)
        #expect(www.header.isAuthoritative)
        #expect(Set(www.answers) == (try records(["WWW.corp.example. 30 IN A 192.0.2.10"])))
        let alias = try asker.ask("alias.corp.example.", .aaaa)
        #expect(
            Set(alias.answers)
                == (try records([
                    "alias.corp.example. 300 IN CNAME www.corp.example.", "www.corp.example. 300 IN AAAA 2001:db8::10",
                ])))
        let soa = try asker.ask("corp.example.", .soa)
        #expect(soa.answers.first?.ttl == 300)
    }

    @Test func noDataCarriesTheZonesOwnSOAWithTheNegativeTTL() throws {
        let zone = try ZoneFile(parsing: Self.zoneText, origin: "corp.example.")
        let asker = Asker(table: try Self.table(zones: [zone]))
        let reply = try asker.ask("ns1.corp.example.", .mx)
        #expect(reply.responseCode == .noError)
        #expect(reply.answers.isEmpty)
        #expect(
            Set(reply.authorities)
                == (try records([
                    "corp.example. 60 IN SOA ns1.corp.example. hostmaster.corp.example. 7 3600 600 86400 60"
                ])))
        // The cluster zone is untouched.
        #expect(try asker.ask("sample-clusterip.default.svc.cluster.local.", .a).answers.count == 1)
    }

    @Test func aZoneInsideTheClusterZoneIsLeftOut() throws {
        let shadow = try ZoneFile(
            parsing: "$TTL 60\n@ SOA ns hm 1 2 3 4 5\nsample-clusterip A 10.0.0.99\n",
            origin: "default.svc.cluster.local.")
        let asker = Asker(table: try Self.table(zones: [shadow]))
        let reply = try asker.ask("sample-clusterip.default.svc.cluster.local.", .a)
        #expect(reply.answers.map(\.data) == [.a(IPv4Address("10.96.0.20")!)])
    }
}

extension StaticZoneTests {
    @Test func aMissingNameInAStaticZoneIsNXDOMAINWithItsSOA() throws {
        let zone = try ZoneFile(parsing: Self.zoneText, origin: "corp.example.")
        let asker = Asker(table: try Self.table(zones: [zone]))
        let reply = try asker.ask("nothing.corp.example.", .a)
        #expect(reply.responseCode == .nxDomain)
        #expect(reply.header.isAuthoritative)
        #expect(reply.authorities.first?.name == "corp.example.")
        #expect(reply.authorities.first?.type == .soa)
        // A dashed-IP name below a static zone is not a pod name.
        #expect(try asker.ask("10-1-2-3.default.pod.corp.example.", .a).responseCode == .nxDomain)
        // Neighbours of the zone stay outside it.
        #expect(try asker.ask("xcorp.example.", .a).responseCode == .refused)
    }
}
