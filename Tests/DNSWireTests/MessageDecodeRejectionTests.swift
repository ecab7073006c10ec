import Testing

@testable import DNSWire

/// Every malformed message is rejected with the error that names what is wrong.
@Suite struct MessageDecodeRejectionTests {
    static let question = wireHex("a.example.") + "0001 0001"
    static let opt = "00 0029 04d0 00000000 0000"

    static func record(_ owner: String = "c00c", type: String = "0001", rdata: String) -> String {
        let length = bytes(rdata).count
        return owner + type + "0001 00000005" + String(format4: length) + rdata
    }

    @Test(
        arguments: [
            ("truncated header", bytes("0001 0000 0000 0000 0000 00"), DecodeError.truncated),
            ("empty message", [], DecodeError.truncated),
            ("question count larger than questions", bytes(headerHex(qd: 2), question), DecodeError.truncated),
            (
                "answer count larger than answers",
                bytes(headerHex(qd: 1, an: 2), question, record(rdata: "0a000001")), DecodeError.truncated
            ),
            ("additional count with no records", bytes(headerHex(ar: 1)), DecodeError.truncated),
            (
                "huge counts, no bytes", bytes(headerHex(qd: 0xFFFF, an: 0xFFFF, ns: 0xFFFF, ar: 0xFFFF)),
                DecodeError.truncated
            ),
            (
                "RDLENGTH past the end", bytes(headerHex(qd: 1, an: 1), question, "c00c 0001 0001 00000005 0004 0a00"),
                DecodeError.truncated
            ),
            ("trailing bytes", bytes(headerHex(qd: 1), question, "00"), DecodeError.trailingBytes),
            (
                "trailing record", bytes(headerHex(qd: 1), question, record(rdata: "0a000001")),
                DecodeError.trailingBytes
            ),
            (
                "A with RDLENGTH 5", bytes(headerHex(qd: 1, an: 1), question, record(rdata: "0a00000100")),
                DecodeError.badRecordData
            ),
            (
                "A with RDLENGTH 3", bytes(headerHex(qd: 1, an: 1), question, record(rdata: "0a0000")),
                DecodeError.badRecordData
            ),
            (
                "AAAA with RDLENGTH 15",
                bytes(
                    headerHex(qd: 1, an: 1), question, record(type: "001c", rdata: String(repeating: "00", count: 15))),
                DecodeError.badRecordData
            ),
            (
                "CNAME whose name runs past RDLENGTH",
                bytes(headerHex(qd: 1, an: 1), question, "c00c 0005 0001 00000005 0002 01 61 00"),
                DecodeError.badRecordData
            ),
            (
                "CNAME with a byte after its name",
                bytes(headerHex(qd: 1, an: 1), question, record(type: "0005", rdata: "c00c ff")),
                DecodeError.badRecordData
            ),
            (
                "SOA missing its last number",
                bytes(
                    headerHex(qd: 1, an: 1), question,
                    record(type: "0006", rdata: "c00c c00c" + String(repeating: "00", count: 16))),
                DecodeError.badRecordData
            ),
            (
                "SRV whose target runs past RDLENGTH",
                bytes(headerHex(qd: 1, an: 1), question, "c00c 0021 0001 00000005 0008 0000 0000 0050 03 61"),
                DecodeError.badRecordData
            ),
            (
                "TXT string past RDLENGTH",
                bytes(headerHex(qd: 1, an: 1), question, record(type: "0010", rdata: "05 616263")),
                DecodeError.badRecordData
            ),
            (
                "TXT without any string",
                bytes(headerHex(qd: 1, an: 1), question, record(type: "0010", rdata: "")), DecodeError.badRecordData
            ),
            (
                "MX without exchange",
                bytes(headerHex(qd: 1, an: 1), question, record(type: "000f", rdata: "000a")), DecodeError.badRecordData
            ),
            (
                "OPT option past RDLENGTH",
                bytes(headerHex(qd: 1, ar: 1), question, "00 0029 04d0 00000000 0006 000a 0008 0102"),
                DecodeError.badRecordData
            ),
            (
                "MINFO whose second name is missing",
                bytes(headerHex(qd: 1, an: 1), question, record(type: "000e", rdata: "c00c")), DecodeError.badRecordData
            ),
            ("two OPT records", bytes(headerHex(qd: 1, ar: 2), question, opt, opt), DecodeError.badOPT),
            ("OPT in the answer section", bytes(headerHex(qd: 1, an: 1), question, opt), DecodeError.badOPT),
            ("OPT in the authority section", bytes(headerHex(qd: 1, ns: 1), question, opt), DecodeError.badOPT),
            (
                "OPT not owned by the root", bytes(headerHex(qd: 1, ar: 1), question, "c00c 0029 04d0 00000000 0000"),
                DecodeError.badOPT
            ),
            (
                "forward pointer in an owner",
                bytes(headerHex(qd: 1, an: 1), question, record("c020", rdata: "0a000001")),
                DecodeError.badPointer
            ),
            ("pointer loop in the question", bytes(headerHex(qd: 1), "01 61 c00c 0001 0001"), DecodeError.badPointer),
            ("reserved label type in the question", bytes(headerHex(qd: 1), "80 0001 0001"), DecodeError.badLabel),
            (
                "forward pointer inside RDATA",
                bytes(headerHex(qd: 1, an: 1), question, record(type: "0005", rdata: "c0ff")), DecodeError.badPointer
            ),
        ] as [(String, [UInt8], DecodeError)])
    func malformedMessageIsRejected(_ why: String, message: [UInt8], error: DecodeError) {
        #expect(throws: error, "\(why)") { try Message(decoding: message) }
    }

    @Test func wellFormedNeighboursOfTheRejectedMessagesDecode() throws {
        // The same shapes, well formed, so that the rejections above are about the defect and nothing else.
        let a = try Message(decoding: bytes(headerHex(qd: 1, an: 1), Self.question, Self.record(rdata: "0a000001")))
        #expect(a.answers.first?.data == .a(IPv4Address(0x0A00_0001)))
        let cname = try Message(
            decoding: bytes(headerHex(qd: 1, an: 1), Self.question, Self.record(type: "0005", rdata: "c00c")))
        #expect(cname.answers.first?.data == .cname("a.example."))
        let withOPT = try Message(decoding: bytes(headerHex(qd: 1, ar: 1), Self.question, Self.opt))
        #expect(withOPT.edns == EDNS())
        #expect(withOPT.additionals.isEmpty)
    }

    @Test func typesWithCompressibleNamesAreStoredDecompressed() throws {
        // MINFO (RFC 1035 §3.3.7) is opaque to ClusterDNS, but its names may be compressed: the stored RDATA must
        // not keep a pointer that means nothing elsewhere.
        let message = try Message(
            decoding: bytes(headerHex(qd: 1, an: 1), Self.question, Self.record(type: "000e", rdata: "c00c 01 62 c00e"))
        )
        #expect(message.answers.first?.data == .unknown(bytes(wireHex("a.example."), wireHex("b.example."))))
        let again = try Message(decoding: message.encoded())
        #expect(again == message)
    }

    @Test func classSpecificTypesOutsideINStayOpaque() throws {
        // A in class CH (RFC 1035 §3.4.1 is IN only) must not be checked for 4 octets.
        let message = try Message(
            decoding: bytes(headerHex(qd: 1, an: 1), Self.question, "c00c 0001 0003 00000005 0003 010203"))
        #expect(message.answers.first?.data == .unknown([1, 2, 3]))
        #expect(message.answers.first?.recordClass == .chaos)
    }

    @Test func updateStyleEmptyRDATAInClassANYIsAccepted() throws {
        let message = try Message(
            decoding: bytes(headerHex(qd: 1, an: 1), Self.question, "c00c 0002 00ff 00000000 0000"))
        #expect(message.answers.first?.data == .unknown([]))
    }
}

extension String {
    /// Four lower-case hex digits.
    init(format4 value: Int) {
        let text = String(value, radix: 16)
        self = String(repeating: "0", count: 4 - text.count) + text
    }
}
