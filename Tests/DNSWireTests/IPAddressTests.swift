import Testing

@testable import DNSWire

@Suite struct IPAddressTests {
    @Test(arguments: ["10.96.0.10", "0.0.0.0", "255.255.255.255", "192.168.1.1"])
    func ipv4PrintsAsParsed(text: String) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.description == text)
        #expect(IPv4Address(bytes: address.bytes) == address)
    }

    @Test(arguments: [
        "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", "+1.2.3.4", " 1.2.3.4", "1.2.3.4.", "", "a.b.c.d",
        "1.2.3.٤",
    ])
    func ipv4RejectsMalformedText(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    /// RFC 5952 §4: lower case, no leading zeros, `::` for the longest run of two or more zero groups (the first on a
    /// tie), and §5: IPv4-mapped addresses in mixed notation.
    @Test(arguments: [
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("0:0:1:0:0:0:0:0", "0:0:1::"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("FD00::A", "fd00::a"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("::ffff:a00:1", "::ffff:10.0.0.1"),
        ("::10.0.0.1", "::a00:1"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
    ])
    func ipv6PrintsCanonically(text: String, canonical: String) throws {
        let address = try #require(IPv6Address(text))
        #expect(address.description == canonical)
        #expect(IPv6Address(canonical) == address)
        #expect(IPv6Address(bytes: address.bytes) == address)
    }

    @Test(arguments: [
        "", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "12345::", "+1::", "-0::", "g::", "1:2:3:4:5:6:7:8::",
        "fe80::1%eth0", ":1::", "1.2.3.4", "::1.2.3", "::1.2.3.4:5", "1:2:3:4:5:6:7", "1::２",
    ])
    func ipv6RejectsMalformedText(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test(arguments: [
        ("10.244.1.5", "10-244-1-5"),
        ("fd00::1", "fd00--1"),
        ("2001:db8::1:0:0:1", "2001-db8--1-0-0-1"),
        ("::ffff:10.0.0.1", "--ffff-a00-1"),
    ])
    func dashedFormRoundTrips(text: String, dashed: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.dashed == dashed)
        #expect(IPAddress(dashed: dashed) == address)
    }

    @Test(arguments: ["10.244.1.5", "fd00::1", "10-244-1", "10-244-1-5-6", "x-y", ""])
    func dashedFormRejectsOtherText(text: String) {
        #expect(IPAddress(dashed: text) == nil)
    }

    @Test func reverseNames() throws {
        #expect(IPAddress("10.244.1.5")?.reverseName == "5.1.244.10.in-addr.arpa.")
        // The example of RFC 3596 §2.5.
        #expect(
            IPAddress("4321:0:1:2:3:4:567:89ab")?.reverseName
                == "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.IP6.ARPA.")
    }

    @Test func familiesAndOrdering() throws {
        let v4 = try #require(IPAddress("10.0.0.2"))
        let v6 = try #require(IPAddress("::1"))
        #expect(v4.isV4)
        #expect(!v6.isV4)
        #expect(v4 < v6)
        #expect(try #require(IPAddress("10.0.0.1")) < v4)
        #expect(v4.bytes == [10, 0, 0, 2])
        #expect(v6.bytes == Array(repeating: 0, count: 15) + [1])
        #expect(IPAddress("::ffff:10.0.0.1")?.isV4 == false)
        #expect(IPAddress("10.0.0.2")?.description == "10.0.0.2")
    }
}
