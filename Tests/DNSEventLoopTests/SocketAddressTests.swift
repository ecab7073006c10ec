import DNSEventLoop
import Testing

struct SocketAddressTests {
    struct Good: Sendable, CustomTestStringConvertible {
        let text: String
        let defaultPort: UInt16?
        let description: String
        let port: UInt16
        let isIPv6: Bool
        var testDescription: String { text }
    }

    @Test(arguments: [
        Good(text: "127.0.0.1:1053", defaultPort: nil, description: "127.0.0.1:1053", port: 1053, isIPv6: false),
        Good(text: "[::1]:1053", defaultPort: nil, description: "[::1]:1053", port: 1053, isIPv6: true),
        Good(text: ":1053", defaultPort: nil, description: ":1053", port: 1053, isIPv6: false),
        Good(text: "0.0.0.0:53", defaultPort: nil, description: "0.0.0.0:53", port: 53, isIPv6: false),
        Good(text: "[::]:53", defaultPort: nil, description: "[::]:53", port: 53, isIPv6: true),
        // RFC 5952 canonical text: lower case, longest zero run compressed.
        Good(
            text: "[2001:DB8:0:0:0:0:0:1]:53", defaultPort: nil, description: "[2001:db8::1]:53", port: 53,
            isIPv6: true),
        Good(text: "127.0.0.1:0", defaultPort: nil, description: "127.0.0.1:0", port: 0, isIPv6: false),
        Good(text: "1.2.3.4:65535", defaultPort: nil, description: "1.2.3.4:65535", port: 65535, isIPv6: false),
        Good(text: "10.0.0.10", defaultPort: 53, description: "10.0.0.10:53", port: 53, isIPv6: false),
        Good(text: "10.0.0.10:5353", defaultPort: 53, description: "10.0.0.10:5353", port: 5353, isIPv6: false),
        Good(text: "::1", defaultPort: 53, description: "[::1]:53", port: 53, isIPv6: true),
        Good(text: "[fd00::10]", defaultPort: 53, description: "[fd00::10]:53", port: 53, isIPv6: true),
        Good(text: "[fd00::10]:5353", defaultPort: 53, description: "[fd00::10]:5353", port: 5353, isIPv6: true),
    ])
    func parsesCoreDNSStyleAddresses(_ good: Good) throws {
        let address = try SocketAddress(good.text, defaultPort: good.defaultPort)
        #expect(address.description == good.description)
        #expect(address.port == good.port)
        #expect(address.isIPv6 == good.isIPv6)
        // The printed form parses back to the same value.
        #expect(try SocketAddress(address.description) == address)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let text: String
        let defaultPort: UInt16?
        let reason: SocketAddressError.Reason
        var testDescription: String { text }
    }

    @Test(arguments: [
        Bad(text: "", defaultPort: nil, reason: .empty),
        Bad(text: "256.0.0.1:53", defaultPort: nil, reason: .badAddress),
        Bad(text: "1.2.3:53", defaultPort: nil, reason: .badAddress),
        Bad(text: "01.2.3.4:53", defaultPort: nil, reason: .badAddress),
        Bad(text: " 1.2.3.4:53", defaultPort: nil, reason: .badAddress),
        Bad(text: "localhost:53", defaultPort: nil, reason: .badAddress),
        Bad(text: "[127.0.0.1]:53", defaultPort: nil, reason: .badAddress),
        Bad(text: "[::1]53", defaultPort: nil, reason: .badAddress),
        Bad(text: "[::1:53", defaultPort: nil, reason: .badAddress),
        Bad(text: "[]:53", defaultPort: nil, reason: .badAddress),
        Bad(text: "[fe80::1%eth0]:53", defaultPort: nil, reason: .badAddress),
        Bad(text: "localhost", defaultPort: 53, reason: .badAddress),
        Bad(text: "127.0.0.1", defaultPort: nil, reason: .missingPort),
        Bad(text: "[::1]", defaultPort: nil, reason: .missingPort),
        Bad(text: "::1", defaultPort: nil, reason: .missingPort),
        Bad(text: "127.0.0.1:", defaultPort: nil, reason: .badPort),
        Bad(text: "127.0.0.1:", defaultPort: 53, reason: .badPort),
        Bad(text: ":", defaultPort: nil, reason: .badPort),
        Bad(text: "[::1]:", defaultPort: nil, reason: .badPort),
        Bad(text: "127.0.0.1:65536", defaultPort: nil, reason: .badPort),
        Bad(text: "127.0.0.1:-1", defaultPort: nil, reason: .badPort),
        Bad(text: "127.0.0.1:53a", defaultPort: nil, reason: .badPort),
        Bad(text: "127.0.0.1:+53", defaultPort: nil, reason: .badPort),
        Bad(text: "127.0.0.1:000053", defaultPort: nil, reason: .badPort),
    ])
    func rejectsWhatIsNotAnAddressAndPort(_ bad: Bad) {
        #expect(throws: SocketAddressError(text: bad.text, reason: bad.reason)) {
            try SocketAddress(bad.text, defaultPort: bad.defaultPort)
        }
    }

    @Test func errorMessageQuotesTheInput() {
        let error = SocketAddressError(text: "256.0.0.1:53", reason: .badAddress)
        #expect(error.description.hasPrefix(#""256.0.0.1:53" is not an address:port"#))
    }

    @Test func helpersBuildTheSameValuesAsParsing() throws {
        #expect(SocketAddress.loopbackV4(port: 53) == (try SocketAddress("127.0.0.1:53")))
        #expect(SocketAddress.loopbackV6(port: 53) == (try SocketAddress("[::1]:53")))
        #expect(SocketAddress.allAddresses(port: 53) == (try SocketAddress(":53")))
        #expect(try SocketAddress("10.0.0.1:53").withPort(5353) == (try SocketAddress("10.0.0.1:5353")))
        #expect(try SocketAddress(":53").isAllAddresses)
        #expect(try !SocketAddress("0.0.0.0:53").isAllAddresses)
        #expect(try SocketAddress("[::1]:53").hostText == "::1")
        #expect(try SocketAddress("10.1.2.3:53").hostText == "10.1.2.3")
        #expect(try SocketAddress(":53").hostText == "")
    }

    @Test func equalAddressesHashEqually() throws {
        let set: Set<SocketAddress> = [try SocketAddress("[::1]:53"), try SocketAddress("[0:0::1]:53")]
        #expect(set.count == 1)
        #expect(try SocketAddress("127.0.0.1:53") != SocketAddress("127.0.0.1:54"))
    }
}
