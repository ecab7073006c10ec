import DNSWire

/// Where an upstream resolver listens: an IP address and a port.
public struct UpstreamAddress: Hashable, Sendable, CustomStringConvertible {
    /// The DNS port (RFC 1035 §4.2).
    public static let defaultPort: UInt16 = 53

    public var host: IPAddress
    public var port: UInt16

    public init(host: IPAddress, port: UInt16 = UpstreamAddress.defaultPort) {
        self.host = host
        self.port = port
    }

    public enum ParseError: Error, Sendable, Equatable {
        /// Neither an IPv4 nor an IPv6 address.
        case notAnAddress
        /// The port is missing after `:`, not a number, or outside 1...65535.
        case badPort
        /// `fe80::1%eth0`: a scope names an interface of one host and cannot be used by a server on another.
        case scopedAddress
    }

    /// Parses `ADDR`, `ADDR:PORT`, `[V6]`, `[V6]:PORT` or a bare IPv6 address (which then has the default port); a
    /// `dns://` prefix, as CoreDNS's Corefile writes upstreams, is accepted.
    public init(parsing text: String) throws(ParseError) {
        var rest = Substring(text)
        if rest.hasPrefix("dns://") { rest = rest.dropFirst(6) }
        guard !rest.contains("%") else { throw .scopedAddress }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .notAnAddress }
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            guard let v6 = IPv6Address(inside) else { throw .notAnAddress }
            let tail = rest[rest.index(after: close)...]
            if tail.isEmpty {
                self.init(host: .v6(v6))
                return
            }
            guard tail.hasPrefix(":") else { throw .notAnAddress }
            self.init(host: .v6(v6), port: try UpstreamAddress.port(tail.dropFirst()))
            return
        }
        if let address = IPAddress(rest) {
            self.init(host: address)
            return
        }
        // Only IPv4 may carry a port without brackets: in IPv6 text every colon is part of the address.
        guard let colon = rest.lastIndex(of: ":"), rest[..<colon].firstIndex(of: ":") == nil,
            let v4 = IPv4Address(rest[..<colon])
        else { throw .notAnAddress }
        self.init(host: .v4(v4), port: try UpstreamAddress.port(rest[rest.index(after: colon)...]))
    }

    private static func port(_ text: Substring) throws(ParseError) -> UInt16 {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt16(text), value != 0
        else { throw .badPort }
        return value
    }

    /// `10.0.0.10:53` or `[fd00::10]:53`.
    public var description: String {
        switch host {
        case .v4(let address): "\(address):\(port)"
        case .v6(let address): "[\(address)]:\(port)"
        }
    }
}
