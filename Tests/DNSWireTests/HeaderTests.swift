import Testing

@testable import DNSWire

@Suite struct HeaderTests {
    enum Flag: CaseIterable, Sendable {
        case response, authoritative, truncated, recursionDesired, recursionAvailable, authenticData
        case checkingDisabled

        /// RFC 1035 §4.1.1 and RFC 4035 §3.2 bit positions in the second header word.
        var mask: UInt16 {
            switch self {
            case .response: 0x8000
            case .authoritative: 0x0400
            case .truncated: 0x0200
            case .recursionDesired: 0x0100
            case .recursionAvailable: 0x0080
            case .authenticData: 0x0020
            case .checkingDisabled: 0x0010
            }
        }

        func isSet(in header: Header) -> Bool {
            switch self {
            case .response: header.isResponse
            case .authoritative: header.isAuthoritative
            case .truncated: header.isTruncated
            case .recursionDesired: header.recursionDesired
            case .recursionAvailable: header.recursionAvailable
            case .authenticData: header.authenticData
            case .checkingDisabled: header.checkingDisabled
            }
        }

        func set(in header: inout Header) {
            switch self {
            case .response: header.isResponse = true
            case .authoritative: header.isAuthoritative = true
            case .truncated: header.isTruncated = true
            case .recursionDesired: header.recursionDesired = true
            case .recursionAvailable: header.recursionAvailable = true
            case .authenticData: header.authenticData = true
            case .checkingDisabled: header.checkingDisabled = true
            }
        }
    }

    @Test(arguments: Flag.allCases)
    func eachFlagHasItsOwnBit(flag: Flag) throws {
        var header = Header(id: 0x1234)
        flag.set(in: &header)
        let encoded = header.encoded()
        #expect(encoded == bytes(headerHex(id: 0x1234, flags: flag.mask)))
        let decoded = try Header(decoding: encoded)
        #expect(decoded == header)
        for other in Flag.allCases {
            #expect(other.isSet(in: decoded) == (other == flag), "\(other)")
        }
    }

    @Test func fieldsAndCountsBothWays() throws {
        let header = Header(
            id: 0xBEEF, isResponse: true, opCode: .notify, responseCode: .refused, questionCount: 1, answerCount: 2,
            authorityCount: 3, additionalCount: 4)
        let golden = bytes("beef a005 0001 0002 0003 0004")
        #expect(header.encoded() == golden)
        #expect(try Header(decoding: golden) == header)
        #expect(header.flags == 0xA005)
    }

    @Test func zBitIsIgnoredAndOnlyFourRCODEBitsAreSent() throws {
        let decoded = try Header(decoding: bytes("0000 0040 0000 0000 0000 0000"))
        #expect(decoded == Header())
        #expect(Header(responseCode: .badVers).encoded() == bytes(headerHex()))
    }

    @Test func shortHeaderIsTruncated() {
        #expect(throws: DecodeError.truncated) { try Header(decoding: bytes("0000 0000 0000 0000 0000 00")) }
    }
}
