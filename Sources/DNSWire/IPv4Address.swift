/// An IPv4 address, held in host byte order.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 4, "IPv4 address needs 4 bytes")
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Parses dotted-quad text (`10.96.0.10`); `nil` for anything else, including leading zeros that some parsers
    /// read as octal.
    public init?(_ text: some StringProtocol) {
        var result: UInt32 = 0
        var parts = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let octet = UInt32(part), octet <= 255
            else { return nil }
            result = result << 8 | octet
            parts += 1
        }
        guard parts == 4 else { return nil }
        value = result
    }

    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    public var description: String {
        bytes.map(String.init).joined(separator: ".")
    }

    /// The form Kubernetes uses in DNS labels: `10-244-1-5`.
    public var dashed: String {
        bytes.map(String.init).joined(separator: "-")
    }

    /// `5.1.244.10.in-addr.arpa.` (RFC 1035 §3.5).
    public var reverseName: Name {
        let labels = bytes.reversed().map { Array(String($0).utf8) } + [Array("in-addr".utf8), Array("arpa".utf8)]
        // Four short labels and two fixed ones always fit.
        return try! Name(labels: labels)
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool {
        lhs.value < rhs.value
    }
}
