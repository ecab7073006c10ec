import DNSWire
import Testing

@testable import DNSRegistry

/// The manifest reader's byte-wise IPv4 parser must accept and refuse exactly what `IPAddress(_:)` does.
struct DottedQuadTests {
    @Test(arguments: [
        "10.96.0.10", "0.0.0.0", "255.255.255.255", "1.2.3.4", "10.128.0.1", "192.0.2.300", "256.1.1.1",
        "01.2.3.4", "1.02.3.4", "1.2.3.00", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1234.1.1.1",
        "", ".", "...", "1", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4\n", "fd00::1", "::ffff:1.2.3.4", "1.2.3.-4", "+1.2.3.4",
        "1.2.3.4a", "١.٢.٣.٤", "1.2.3.0x4", "9999999999.1.1.1", "0.0.0.00",
    ])
    func agreesWithIPAddress(_ text: String) {
        #expect((ManifestParser.dottedQuad(text) ?? IPAddress(text)) == IPAddress(text))
        if let fast = ManifestParser.dottedQuad(text) {
            #expect(fast == IPAddress(text))
        }
    }
}
