import Testing

@testable import DNSWire

/// Zone presentation lines (RFC 1035 §5.1, RFC 3597 §5) read into records and printed back the same.
@Suite struct PresentationTests {
    static let canonicalLines: [String] = [
        "web.default.svc.cluster.local. 5 IN A 10.96.0.10",
        "web.default.svc.cluster.local. 5 IN AAAA fd00::10",
        "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local.",
        "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 12345 7200 1800 86400 5",
        "dns-version.cluster.local. 5 IN TXT \"1.1.0\"",
        "alias.default.svc.cluster.local. 30 IN CNAME web.default.svc.cluster.local.",
        "cluster.local. 5 IN NS ns.dns.cluster.local.",
        "10.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local.",
        "example.com. 300 IN MX 10 mail.example.com.",
        "example.com. 5 IN TYPE65 \\# 3 010203",
        "example.com. 5 IN TYPE1234 \\# 0",
        "txt.example. 0 IN TXT \"a \\\"quoted\\\" word\" \"semi;colon\" \"back\\\\slash\" \"\\255\\000\" \"\"",
        "version.bind. 0 CH TXT \"ClusterDNS\"",
        "chaos.example. 5 CH A \\# 4 0A000001",
        "mapped.example. 4294967295 IN AAAA ::ffff:10.0.0.1",
        "esc\\.aped.example. 5 IN CNAME a\\032b.example.",
        "minfo.example. 5 IN TYPE14 \\# 6 016100016200",
    ]

    @Test(arguments: canonicalLines)
    func lineReadsAndPrintsTheSame(line: String) throws {
        let record = try ResourceRecord(presentation: line)
        #expect(record.description == line)
    }

    @Test(arguments: canonicalLines)
    func recordRoundTripsThroughWireForm(line: String) throws {
        let record = try ResourceRecord(presentation: line)
        let message = Message(
            header: Header(id: 9, isResponse: true),
            questions: [Question(name: record.name, type: record.type, recordClass: record.recordClass)],
            answers: [record], authorities: [record], additionals: [record])
        let decoded = try Message(decoding: message.encoded())
        #expect(decoded.answers == [record])
        #expect(decoded.authorities == [record])
        #expect(decoded.additionals == [record])
        #expect(try Message(decoding: decoded.encoded()) == decoded)
        #expect(decoded.answers.first?.description == line)
    }

    @Test(arguments: [
        ("web. IN 5 A 10.0.0.1", "web. 5 IN A 10.0.0.1"),
        ("web 5 A 10.0.0.1", "web. 5 IN A 10.0.0.1"),
        ("web.\t5\tin\ta\t10.0.0.1   ; a comment", "web. 5 IN A 10.0.0.1"),
        ("web. 5 IN A \\# 4 0a000001", "web. 5 IN A 10.0.0.1"),
        ("web. 5 IN TYPE1 \\# 4 0A00 0001", "web. 5 IN A 10.0.0.1"),
        ("web. 5 IN AAAA FD00:0:0:0:0:0:0:10", "web. 5 IN AAAA fd00::10"),
        ("web. 5 IN TXT bare words", "web. 5 IN TXT \"bare\" \"words\""),
        ("web. 5 IN TXT \"\\065\\066C\"", "web. 5 IN TXT \"ABC\""),
        ("zone. 5 IN SOA ns.zone. host.zone. ( 1 2 3 4 5 )", "zone. 5 IN SOA ns.zone. host.zone. 1 2 3 4 5"),
        ("x. 5 CLASS1 A 10.0.0.1", "x. 5 IN A 10.0.0.1"),
        ("x. 5 IN OPT \\# 4 000a0000", "x. 5 IN OPT \\# 4 000A0000"),
    ])
    func acceptedVariantsPrintCanonically(line: String, canonical: String) throws {
        #expect(try ResourceRecord(presentation: line).description == canonical)
    }

    @Test func parsedFieldsAreTheRecordsFields() throws {
        let srv = try ResourceRecord(
            presentation: "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local.")
        #expect(srv.name == "_http._tcp.web.default.svc.cluster.local.")
        #expect(srv.type == .srv)
        #expect(srv.recordClass == .internet)
        #expect(srv.ttl == 5)
        #expect(srv.data == .srv(SRVData(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local.")))
        let txt = try ResourceRecord(presentation: "t. 1 IN TXT \"a b\" c \"\\\"\"")
        #expect(txt.data == .txt([Array("a b".utf8), Array("c".utf8), Array("\"".utf8)]))
        let generic = try ResourceRecord(presentation: "g. 1 IN TYPE65 \\# 3 010203")
        #expect(generic.type == RecordType(rawValue: 65))
        #expect(generic.data == .unknown([1, 2, 3]))
    }

    @Test(
        arguments: [
            ("", PresentationError.missingField("owner name")),
            ("web.", .missingField("TTL")),
            ("web. IN A 10.0.0.1", .badTTL("A")),
            ("web. 5", .missingField("type")),
            ("web. 5 IN", .missingField("type")),
            ("web. 99999999999 IN A 10.0.0.1", .badTTL("99999999999")),
            ("web. 5 IN FOO 1", .badType("FOO")),
            ("web. 5 IN TYPE+1 1", .badType("TYPE+1")),
            ("web. 5 IN A 10.0.0.256", .badRecordData("10.0.0.256")),
            ("web. 5 IN A", .missingField("1 RDATA fields")),
            ("web. 5 IN A 10.0.0.1 10.0.0.2", .extraFields("10.0.0.2")),
            ("web. 5 IN AAAA 10.0.0.1", .badRecordData("10.0.0.1")),
            ("a..b. 5 IN A 10.0.0.1", .badName("a..b.")),
            ("web. 5 IN CNAME a..b.", .badName("a..b.")),
            ("web. 5 IN MX 10", .missingField("2 RDATA fields")),
            ("web. 5 IN MX x mail.", .badRecordData("x mail.")),
            ("web. 5 IN SRV 0 100 70000 t.", .badRecordData("0 100 70000 t.")),
            ("web. 5 IN SOA a. b. 1 2 3 4 -5", .badRecordData("a. b. 1 2 3 4 -5")),
            ("web. 5 IN TXT", .missingField("TXT character-string")),
            ("web. 5 IN TXT \"unterminated", .unterminatedQuote),
            (
                "web. 5 IN TXT \"" + String(repeating: "x", count: 256) + "\"",
                .badRecordData(String(repeating: "x", count: 256))
            ),
            ("web. 5 IN TXT \"\\999\"", .badRecordData("\\999")),
            ("web. 5 IN TYPE65 010203", .badRecordData("TYPE65 in class IN needs the generic form \\# <length> <hex>")),
            ("web. 5 CH A 10.0.0.1", .badRecordData("A in class CH needs the generic form \\# <length> <hex>")),
            ("web. 5 IN TYPE65 \\#", .missingField("RDATA length after \\#")),
            ("web. 5 IN TYPE65 \\# 3 0102", .badRecordData("0102")),
            ("web. 5 IN TYPE65 \\# 1 0g", .badRecordData("0g")),
            ("web. 5 IN A \\# 3 010203", .badRecordData("A RDATA 010203")),
        ] as [(String, PresentationError)])
    func malformedLinesAreRejected(line: String, error: PresentationError) {
        #expect(throws: error) { try ResourceRecord(presentation: line) }
    }

    @Test func questionPrintsLikeDig() {
        #expect(
            Question(name: "web.default.svc.cluster.local.", type: .srv).description
                == "web.default.svc.cluster.local. IN SRV")
    }

    @Test(arguments: [("A", 1), ("srv", 33), ("TYPE65", 65), ("type0", 0)] as [(String, UInt16)])
    func typeMnemonics(text: String, value: UInt16) {
        #expect(RecordType(mnemonic: text)?.rawValue == value)
    }

    @Test(arguments: ["", "TYPE", "TYPE65536", "TYPE-1", "FOO"])
    func badTypeMnemonics(text: String) {
        #expect(RecordType(mnemonic: text) == nil)
    }

    @Test(arguments: [("IN", 1), ("ch", 3), ("NONE", 254), ("ANY", 255), ("CLASS42", 42)] as [(String, UInt16)])
    func classMnemonics(text: String, value: UInt16) {
        let recordClass = RecordClass(mnemonic: text)
        #expect(recordClass?.rawValue == value)
        #expect(recordClass.flatMap { RecordClass(mnemonic: $0.description) } == recordClass)
    }

    @Test(arguments: ["", "CLASS", "CLASS+1", "HS1", "INX"])
    func badClassMnemonics(text: String) {
        #expect(RecordClass(mnemonic: text) == nil)
    }
}
