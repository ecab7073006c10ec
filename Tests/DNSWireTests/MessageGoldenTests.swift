import Testing

@testable import DNSWire

/// Hand-written wire bytes, decoded and encoded both ways.
@Suite struct MessageGoldenTests {
    static let webName = "03 776562 07 64656661756c74 03 737663 07 636c7573746572 05 6c6f63616c 00"
    static let clientCookie = bytes("f1e2d3c4b5a69788")

    /// `dig web.default.svc.cluster.local` as dig 9.18 sends it: RD and AD set, EDNS with a 1232-byte payload and
    /// an 8-byte client cookie (RFC 7873).
    static let digQuery = bytes(
        "3c1e 0120 0001 0000 0000 0001",
        webName, "0001 0001",
        "00 0029 04d0 00000000 000c", "000a 0008 f1e2d3c4b5a69788")

    @Test func digQueryDecodes() throws {
        let message = try Message(decoding: Self.digQuery)
        #expect(message.header.id == 0x3C1E)
        #expect(!message.header.isResponse)
        #expect(message.header.opCode == .query)
        #expect(message.header.recursionDesired)
        #expect(message.header.authenticData)
        #expect(!message.header.checkingDisabled)
        #expect(message.header.additionalCount == 1)
        #expect(message.questions == [Question(name: "web.default.svc.cluster.local.", type: .a)])
        #expect(message.answers.isEmpty && message.authorities.isEmpty && message.additionals.isEmpty)
        #expect(
            message.edns
                == EDNS(
                    udpPayloadSize: 1232, options: [EDNSOption(code: EDNSOption.cookieCode, data: Self.clientCookie)]))
        #expect(message.responseCode == .noError)
    }

    @Test func digQueryEncodes() {
        var query = Message.query(
            id: 0x3C1E, name: "web.default.svc.cluster.local.", type: .a,
            edns: EDNS(options: [EDNSOption(code: 10, data: Self.clientCookie)]))
        query.header.authenticData = true
        #expect(query.encoded() == Self.digQuery)
    }

    /// The answer's owner is a pointer to the question name at offset 12.
    static let aResponse = bytes(
        "3c1e 8580 0001 0001 0000 0001",
        webName, "0001 0001",
        "c00c 0001 0001 00000005 0004 0a60000a",
        "00 0029 04d0 00000000 0000")

    static let aResponseMessage = Message(
        header: Header(
            id: 0x3C1E, isResponse: true, isAuthoritative: true, recursionDesired: true, recursionAvailable: true,
            questionCount: 1, answerCount: 1, additionalCount: 1),
        questions: [Question(name: "web.default.svc.cluster.local.", type: .a)],
        answers: [try! ResourceRecord(presentation: "web.default.svc.cluster.local. 5 IN A 10.96.0.10")],
        edns: EDNS())

    @Test func aResponseBothWays() throws {
        #expect(Self.aResponseMessage.encoded() == Self.aResponse)
        #expect(try Message(decoding: Self.aResponse) == Self.aResponseMessage)
    }

    /// NXDOMAIN with the zone SOA: the SOA owner and both SOA names end in pointers to `cluster.local.` inside the
    /// question (offset 29 = 0x1D).
    static let nxDomainResponse = bytes(
        "beef 8583 0001 0000 0001 0000",
        "04 6e6f7065 07 64656661756c74 03 737663 07 636c7573746572 05 6c6f63616c 00", "0001 0001",
        "c01d 0006 0001 00000005 002a",
        "02 6e73 03 646e73 c01d",  // ns.dns.cluster.local.
        "0a 686f73746d6173746572 c01d",  // hostmaster.cluster.local.
        "00003039 00001c20 00000708 00015180 00000005")

    static let nxDomainMessage = Message(
        header: Header(
            id: 0xBEEF, isResponse: true, isAuthoritative: true, recursionDesired: true, recursionAvailable: true,
            responseCode: .nxDomain, questionCount: 1, authorityCount: 1),
        questions: [Question(name: "nope.default.svc.cluster.local.", type: .a)],
        authorities: [
            try! ResourceRecord(
                presentation:
                    "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 12345 7200 1800 86400 5")
        ])

    @Test func nxDomainResponseBothWays() throws {
        #expect(Self.nxDomainMessage.encoded() == Self.nxDomainResponse)
        let decoded = try Message(decoding: Self.nxDomainResponse)
        #expect(decoded == Self.nxDomainMessage)
        #expect(decoded.responseCode == .nxDomain)
    }

    /// SRV answer: the target is written in full (RFC 2782) although the question holds the same name at offset 23
    /// (0x17), to which the additional A record's owner points.
    static let srvResponse = bytes(
        "0001 8500 0001 0001 0000 0001",
        "05 5f68747470 04 5f746370", webName, "0021 0001",
        "c00c 0021 0001 00000005 0025 0000 0064 0050", webName,
        "c017 0001 0001 00000005 0004 0a60000a")

    static let srvMessage = Message(
        header: Header(
            id: 1, isResponse: true, isAuthoritative: true, recursionDesired: true, questionCount: 1, answerCount: 1,
            additionalCount: 1),
        questions: [Question(name: "_http._tcp.web.default.svc.cluster.local.", type: .srv)],
        answers: [
            try! ResourceRecord(
                presentation:
                    "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local.")
        ],
        additionals: [try! ResourceRecord(presentation: "web.default.svc.cluster.local. 5 IN A 10.96.0.10")])

    @Test func srvResponseBothWays() throws {
        #expect(Self.srvMessage.encoded() == Self.srvResponse)
        #expect(try Message(decoding: Self.srvResponse) == Self.srvMessage)
    }

    /// Compression must change the size, not the meaning.
    @Test func compressionShrinksTheMessageAndPointsTo0xC00C() throws {
        let name: Name = "web.default.svc.cluster.local."
        let message = Message(
            header: Header(isResponse: true),
            questions: [Question(name: name, type: .a)],
            answers: (1...3).map { ResourceRecord(name: name, ttl: 5, data: .a(IPv4Address(UInt32($0)))) })
        let encoded = message.encoded()
        let uncompressedSize = 12 + (name.wire.count + 4) + 3 * (name.wire.count + 10 + 4)
        #expect(encoded.count == uncompressedSize - 3 * (name.wire.count - 2))
        let questionEnd = 12 + name.wire.count + 4
        for answer in 0..<3 {
            #expect(encoded[questionEnd + answer * 16] == 0xC0)
            #expect(encoded[questionEnd + answer * 16 + 1] == 0x0C)
        }
        #expect(try Message(decoding: encoded) == message.withCounts(qd: 1, an: 3))
    }

    static let goldens: [[UInt8]] = [digQuery, aResponse, nxDomainResponse, srvResponse]

    /// A poor man's fuzzer that always runs: corrupting any one byte of a golden either fails to decode, or decodes
    /// to a message that survives encode → decode unchanged.
    @Test(arguments: 0..<4)
    func everySingleByteCorruptionIsRejectedOrRoundTrips(golden: Int) throws {
        let original = Self.goldens[golden]
        for index in original.indices {
            for value: UInt8 in [0x00, 0x01, 0x0C, 0x3F, 0x40, 0x80, 0xC0, 0xFF, original[index] ^ 0x01] {
                var corrupted = original
                corrupted[index] = value
                guard let message = try? Message(decoding: corrupted) else { continue }
                let again = try Message(decoding: message.encoded())
                #expect(again == message, "byte \(index) = \(value)")
            }
        }
        // Every strict prefix is too short for what its header announces.
        for length in 0..<original.count {
            #expect(throws: DecodeError.truncated) { try Message(decoding: Array(original.prefix(length))) }
        }
    }
}

extension Message {
    /// The message as decoding reports it: with the counts the header carried.
    func withCounts(qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) -> Message {
        var copy = self
        copy.header.questionCount = qd
        copy.header.answerCount = an
        copy.header.authorityCount = ns
        copy.header.additionalCount = ar
        return copy
    }
}
