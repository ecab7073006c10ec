import DNSWire
import Testing

@testable import DNSForward

/// `WireQuery` reads in place what `ClientQuery(decoding:)` reads, or declines (`nil`) and leaves the query to it.
@Suite struct WireQueryTests {
    /// Queries of the plain shape, read alike both ways.
    static let plain: [(String, ClientQuery)] = [
        ("no EDNS", clientQuery("www.Example.COM.")),
        ("EDNS", clientQuery("www.example.", .aaaa, id: 0xFFFF, edns: EDNS(udpPayloadSize: 4096))),
        ("EDNS below 512", clientQuery("www.example.", edns: EDNS(udpPayloadSize: 100))),
        ("DO", clientQuery("www.example.", .mx, edns: EDNS(dnssecOK: true))),
        ("CD, no RD", clientQuery("a.b.c.d.", recursionDesired: false, checkingDisabled: true)),
        (
            "EDNS options",
            clientQuery(
                "www.example.",
                edns: EDNS(options: [
                    EDNSOption(code: 10, data: Array(repeating: 7, count: 8)), EDNSOption(code: 12, data: []),
                ]))
        ),
        ("root", clientQuery(".", .ns)),
        (
            "longest name",
            clientQuery(
                Name(stringLiteral: (0..<4).map { _ in String(repeating: "x", count: 62) }.joined(separator: ".") + ".")
            )
        ),
    ]

    @Test(arguments: plain)
    func readsWhatTheDecoderReads(label: String, query: ClientQuery) throws {
        let bytes = wireBytes(query)
        let decoded = try ClientQuery(decoding: bytes)
        try bytes.withUnsafeBytes { packet in
            let wire = try #require(WireQuery(packet), "\(label)")
            #expect(wire.id == decoded.id)
            #expect(wire.recursionDesired == decoded.recursionDesired)
            #expect(wire.checkingDisabled == decoded.checkingDisabled)
            #expect(Array(wire.name(in: packet)) == decoded.question.name.wire, "the name as sent, case and all")
            #expect(wire.type == decoded.question.type.rawValue)
            #expect(wire.recordClass == decoded.question.recordClass.rawValue)
            #expect(wire.hasEDNS == (decoded.edns != nil))
            #expect(wire.dnssecOK == (decoded.edns?.dnssecOK ?? false))
            #expect(wire.udpLimit == decoded.udpLimit)
        }
    }

    static func patched(_ query: ClientQuery, _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var bytes = wireBytes(query)
        change(&bytes)
        return bytes
    }

    static let edns = clientQuery("www.example.", edns: EDNS())
    /// Where the OPT record starts in `wireBytes(edns)`: after the header, name, type and class.
    static let optStart = 12 + Name("www.example.").wire.count + 4

    /// Anything but the plain shape is left to the decoder, never trapped on: malformed or not.
    static let declined: [(String, [UInt8])] = [
        ("short", [0, 1, 0, 0]),
        ("a response", patched(clientQuery("www.example.")) { $0[2] |= 0x80 }),
        ("NOTIFY", patched(clientQuery("www.example.")) { $0[2] |= 4 << 3 }),
        ("two questions", patched(clientQuery("www.example.")) { $0[5] = 2 }),
        ("an answer record", patched(clientQuery("www.example.")) { $0[7] = 1 }),
        ("two additionals", patched(edns) { $0[11] = 2 }),
        ("trailing byte", patched(clientQuery("www.example.")) { $0.append(0) }),
        ("trailing byte after OPT", patched(edns) { $0.append(0) }),
        ("truncated question", Array(wireBytes(clientQuery("www.example.")).dropLast())),
        ("truncated OPT", Array(wireBytes(edns).dropLast())),
        ("name runs past the end", patched(clientQuery("www.example.")) { $0[12] = 60 }),
        ("compressed name", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]),
        ("OPT not owned by the root", patched(edns) { $0[optStart] = 1 }),
        ("additional not OPT", patched(edns) { $0[optStart + 2] = 1 }),
        ("RDLENGTH past the end", patched(edns) { $0[optStart + 10] = 4 }),
        (
            "option past RDATA",
            patched(edns) {
                $0[optStart + 10] = 4; $0 += [0, 10, 0, 9]
            }
        ),
        (
            "option header cut",
            patched(edns) {
                $0[optStart + 10] = 2; $0 += [0, 10]
            }
        ),
        ("question type OPT", patched(clientQuery("www.example.")) { $0[optStart - 3] = 41 }),
    ]

    @Test(arguments: declined)
    func declinesAnythingElse(label: String, bytes: [UInt8]) {
        bytes.withUnsafeBytes { packet in
            #expect(WireQuery(packet) == nil, "\(label)")
        }
    }

    /// A name of more than 255 octets is the decoder's to refuse.
    @Test func declinesANameTooLong() {
        var bytes: [UInt8] = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for _ in 0..<4 { bytes += [63] + Array(repeating: UInt8(ascii: "x"), count: 63) }
        bytes += [0, 0, 1, 0, 1]
        #expect((try? ClientQuery(decoding: bytes)) == nil)
        bytes.withUnsafeBytes { #expect(WireQuery($0) == nil) }
    }
}
