import DNSWire
import Testing

@testable import DNSForward

@Suite struct UpstreamAddressTests {
    @Test(arguments: [
        ("10.0.0.10", "10.0.0.10", UInt16(53)),
        ("10.0.0.10:5353", "10.0.0.10", 5353),
        ("dns://8.8.8.8", "8.8.8.8", 53),
        ("[fd00::10]:5353", "fd00::10", 5353),
        ("[fd00::10]", "fd00::10", 53),
        ("fd00::10", "fd00::10", 53),
        ("::1", "::1", 53),
    ])
    func parsesAddressAndPort(text: String, host: String, port: UInt16) throws {
        let address = try UpstreamAddress(parsing: text)
        #expect(address.host == IPAddress(host)!)
        #expect(address.port == port)
    }

    @Test(arguments: [
        ("example.com", UpstreamAddress.ParseError.notAnAddress),
        ("10.0.0.10:", .badPort),
        ("10.0.0.10:0", .badPort),
        ("10.0.0.10:65536", .badPort),
        ("10.0.0.10:+53", .badPort),
        ("[fd00::10]:x", .badPort),
        ("[fd00::10", .notAnAddress),
        ("[10.0.0.1]:53", .notAnAddress),
        ("fe80::1%eth0", .scopedAddress),
        ("[fe80::1%eth0]:53", .scopedAddress),
        ("", .notAnAddress),
    ])
    func rejectsWithReason(text: String, error: UpstreamAddress.ParseError) {
        #expect(throws: error) { try UpstreamAddress(parsing: text) }
    }

    @Test func descriptionBracketsIPv6() throws {
        #expect(try UpstreamAddress(parsing: "10.0.0.10").description == "10.0.0.10:53")
        #expect(try UpstreamAddress(parsing: "fd00::10").description == "[fd00::10]:53")
    }
}

@Suite struct ResolvConfTests {
    @Test func nameserverLinesInOrderOthersIgnoredScopedSkipped() {
        let text = """
            # written by the node
            search default.svc.cluster.local svc.cluster.local
            options ndots:5 timeout:2
            nameserver 10.0.0.10
            ; a comment with nameserver 1.1.1.1 in it
            nameserver\tfd00::10   # trailing comment
            nameserver fe80::1%eth0
            nameserver not-an-ip
            nameserver
              nameserver 192.168.1.1
            domain example.com
            """
        let conf = ResolvConf(parsing: text)
        #expect(
            conf.nameservers == [
                UpstreamAddress(host: IPAddress("10.0.0.10")!), UpstreamAddress(host: IPAddress("fd00::10")!),
                UpstreamAddress(host: IPAddress("192.168.1.1")!),
            ])
        #expect(conf.skipped.map(\.reason) == [.scopedAddress, .notAnAddress, .missingAddress])
        #expect(conf.skipped.map(\.line) == [7, 8, 9])
        #expect(conf.skipped[0].text == "nameserver fe80::1%eth0")
    }

    @Test func emptyFileHasNoNameservers() {
        #expect(ResolvConf(parsing: "").nameservers.isEmpty)
    }
}
