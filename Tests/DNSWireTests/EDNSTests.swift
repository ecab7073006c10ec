import Testing

@testable import DNSWire

/// RFC 6891 §6.1: OPT's CLASS is the UDP payload size; its TTL is extended RCODE, version, DO and Z.
@Suite struct EDNSTests {
    static let question = wireHex("a.example.") + "0001 0001"

    @Test func fieldsAreReadFromClassAndTTLAndOptionsKeptInOrder() throws {
        let message = try Message(
            decoding: bytes(
                headerHex(flags: 0x8000, qd: 1, ar: 1), Self.question,
                // ext RCODE 1, version 1, DO plus a stray Z bit that must be ignored.
                "00 0029 1000 01 01 8001 0013", "000a 0008 0102030405060708", "fde9 0003 aabbcc"))
        let edns = try #require(message.edns)
        #expect(edns.udpPayloadSize == 4096)
        #expect(edns.extendedResponseCode == 1)
        #expect(edns.version == 1)
        #expect(edns.dnssecOK)
        #expect(
            edns.options == [
                EDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8]),
                EDNSOption(code: 0xFDE9, data: [0xAA, 0xBB, 0xCC]),
            ])
        #expect(message.responseCode == .badVers)
        #expect(message.additionals.isEmpty)
        // Written back: same fields, Z cleared, OPT last.
        #expect(
            Array(message.encoded().suffix(30))
                == bytes("00 0029 1000 01 01 8000 0013", "000a 0008 0102030405060708", "fde9 0003 aabbcc"))
    }

    @Test func optComesLastInTheAdditionalSection() throws {
        let glue = ResourceRecord(name: "ns.example.", ttl: 5, data: .a(IPv4Address(1)))
        let message = Message(questions: [Question(name: "a.example.", type: .a)], additionals: [glue], edns: EDNS())
        let encoded = message.encoded()
        #expect(Array(encoded.suffix(11)) == bytes("00 0029 04d0 00000000 0000"))
        #expect(Array(encoded[10..<12]) == [0, 2])
        let decoded = try Message(decoding: encoded)
        #expect(decoded.additionals == [glue])
        #expect(decoded.edns == EDNS())
    }

    @Test(arguments: [
        (ResponseCode.noError, UInt8(0), UInt8(0)),
        (.nxDomain, 0, 3),
        (.badVers, 1, 0),
        (ResponseCode(rawValue: 0xFFF), 0xFF, 0xF),
    ])
    func responseCodeIsTwelveBitsSplitBetweenHeaderAndOPT(code: ResponseCode, extended: UInt8, headerBits: UInt8)
        throws
    {
        var message = Message(edns: EDNS())
        message.responseCode = code
        #expect(message.edns?.extendedResponseCode == extended)
        #expect(message.header.responseCode.rawValue == UInt16(headerBits))
        #expect(message.responseCode == code)
        let decoded = try Message(decoding: message.encoded())
        #expect(decoded.responseCode == code)
        #expect(decoded.encoded()[3] & 0xF == headerBits)
    }

    @Test func extendedCodeWithoutEDNSAddsIt() {
        var message = Message()
        message.responseCode = .nxDomain
        #expect(message.edns == nil)
        message.responseCode = .badVers
        #expect(message.edns?.extendedResponseCode == 1)
        #expect(message.responseCode == .badVers)
    }

    @Test func recordConversionBothWays() throws {
        let edns = EDNS(udpPayloadSize: 512, extendedResponseCode: 2, version: 0, dnssecOK: true, options: [])
        let record = edns.record
        #expect(record.name == .root)
        #expect(record.type == .opt)
        #expect(record.recordClass.rawValue == 512)
        #expect(record.ttl == 0x0200_8000)
        #expect(try EDNS(record: record) == edns)
        var notRoot = record
        notRoot.name = "example."
        #expect(throws: DecodeError.badOPT) { try EDNS(record: notRoot) }
        let notOPT = ResourceRecord(name: .root, ttl: 0, data: .a(IPv4Address(1)))
        #expect(throws: DecodeError.badOPT) { try EDNS(record: notOPT) }
    }

    @Test func payloadSizesBelow512CountAs512() {
        #expect(EDNS(udpPayloadSize: 0).effectiveUDPPayloadSize == 512)
        #expect(EDNS(udpPayloadSize: 511).effectiveUDPPayloadSize == 512)
        #expect(EDNS(udpPayloadSize: 4096).effectiveUDPPayloadSize == 4096)
    }
}
