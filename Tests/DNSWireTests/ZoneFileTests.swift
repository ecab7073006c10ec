import DNSWire
import Testing

/// RFC 1035 §5 master files, as CoreDNS's `file` plugin reads them.
struct ZoneFileTests {
    static let example = """
        $ORIGIN example.org.
        $TTL 1h
        @   IN  SOA ns1 hostmaster (
                2024010101 ; serial
                7200       ; refresh
                1800 86400
                300 )      ; minimum
            IN  NS  ns1
            IN  NS  ns2.example.net.
        ns1     A   192.0.2.1
        www 60  IN  A   192.0.2.10
                IN  AAAA 2001:db8::10
        mail    MX  10 www
        _sip._tcp SRV 0 5 5060 www
        alias   CNAME www
        text    TXT "hello; not a comment" "two"
        $ORIGIN sub.example.org.
        deep    A   192.0.2.99
        """

    @Test func parsesDirectivesRelativeNamesBlankOwnersAndParentheses() throws {
        let zone = try ZoneFile(parsing: Self.example, origin: "example.org.")
        let expected = try [
            "example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 1800 86400 300",
            "example.org. 3600 IN NS ns1.example.org.",
            "example.org. 3600 IN NS ns2.example.net.",
            "ns1.example.org. 3600 IN A 192.0.2.1",
            "www.example.org. 60 IN A 192.0.2.10",
            "www.example.org. 3600 IN AAAA 2001:db8::10",
            "mail.example.org. 3600 IN MX 10 www.example.org.",
            "_sip._tcp.example.org. 3600 IN SRV 0 5 5060 www.example.org.",
            "alias.example.org. 3600 IN CNAME www.example.org.",
            "text.example.org. 3600 IN TXT \"hello; not a comment\" \"two\"",
            "deep.sub.example.org. 3600 IN A 192.0.2.99",
        ].map { line throws(PresentationError) in try ResourceRecord(presentation: line) }
        #expect(zone.records == expected)
        #expect(zone.soa?.name == "example.org.")
    }

    @Test func withoutDollarOriginTheGivenOriginIsUsed() throws {
        let zone = try ZoneFile(
            parsing: "@ 30 IN SOA ns hm 1 2 3 4 5\nhost 30 IN A 10.0.0.1\n", origin: "corp.internal.")
        #expect(zone.records.map(\.name) == ["corp.internal.", "host.corp.internal."])
    }

    @Test func theLastExplicitTTLIsTheDefaultWithoutDollarTTL() throws {
        let zone = try ZoneFile(parsing: "@ 120 IN SOA ns hm 1 2 3 4 5\nhost IN A 10.0.0.1\n", origin: "z.")
        #expect(zone.records.map(\.ttl) == [120, 120])
    }

    @Test(arguments: [
        ("host IN A 10.0.0.1\n", 1, "no TTL"),
        ("$TTL 60\n@ SOA ns hm 1 2 3 4 5\nhost A 10.0.0.300\n", 3, "bad RDATA"),
        ("$TTL 60\n@ SOA ns hm (1 2 3\n 4 5\n", 2, "never closed"),
        ("$TTL 60\n@ SOA ns hm 1 2 3 4 5\nhost.other. A 10.0.0.1\n", 3, "outside the zone"),
        ("$TTL 60\nhost A 10.0.0.1\n", 1, "no SOA"),
        ("$TTL 60\n@ SOA ns hm 1 2 3 4 5\n$INCLUDE other.zone\n", 3, "not supported"),
        ("$TTL 60\n@ SOA ns hm 1 2 3 4 5\nhost BOGUS 1\n", 3, "unknown type BOGUS"),
        ("$TTL 60\n  A 10.0.0.1\n", 2, "without an owner"),
    ])
    func badFilesSayWhichLineAndWhy(_ text: String, line: Int, reason: String) {
        #expect {
            try ZoneFile(parsing: text, origin: "z.")
        } throws: { error in
            guard let error = error as? ZoneFile.ParseError else { return false }
            return error.line == line && error.reason.contains(reason)
        }
    }

    @Test(arguments: [("3600", 3600), ("1h", 3600), ("1h30m", 5400), ("2d", 172_800), ("1w", 604_800), ("0", 0)])
    func ttlsWithUnits(_ text: String, seconds: UInt32) throws {
        let zone = try ZoneFile(parsing: "$TTL \(text)\n@ SOA ns hm 1 2 3 4 5\n", origin: "z.")
        #expect(zone.records.first?.ttl == seconds)
    }
}
