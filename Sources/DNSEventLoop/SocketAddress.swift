internal import CSocketShims
internal import Glibc

/// An IP address and port to listen on or send to, written as CoreDNS writes them.
///
/// Accepted forms: `127.0.0.1:1053`, `[::1]:1053`, `:1053` (all addresses), and, when the caller supplies a default
/// port, a bare `10.0.0.10`, `::1` or `[::1]`. Host names are rejected: resolving them is not this module's job.
///
/// `:PORT` binds `[::]` dual-stack (IPV6_V6ONLY off) and falls back to `0.0.0.0` when the machine has no IPv6; an
/// explicit `[::]:PORT` is IPv6 only, so it can sit beside an explicit `0.0.0.0:PORT`.
///
/// The value holds integers only, so making one from a datagram's source address does not allocate.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    enum Host: Sendable, Hashable {
        /// `:PORT`: every local address, both families when the system allows.
        case all
        /// Network byte order read as a big-endian integer: `10.0.0.1` is `0x0A00_0001`.
        case v4(UInt32)
        /// The 16 bytes as two big-endian halves.
        case v6(high: UInt64, low: UInt64)
    }

    let host: Host
    /// The port in host byte order; 0 asks the kernel for an ephemeral port when binding.
    public let port: UInt16

    init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `ADDR:PORT`, `[V6]:PORT` or `:PORT`; with `defaultPort`, a bare `ADDR`, `V6` or `[V6]` too.
    public init(_ text: String, defaultPort: UInt16? = nil) throws(SocketAddressError) {
        func fail(_ reason: SocketAddressError.Reason) -> SocketAddressError {
            SocketAddressError(text: text, reason: reason)
        }
        guard !text.isEmpty else { throw fail(.empty) }
        let hostText: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail(.badAddress) }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                portText = nil
            } else if rest.first == ":" {
                portText = rest.dropFirst()
            } else {
                throw fail(.badAddress)
            }
            // Brackets are for IPv6 only (RFC 3986 section 3.2.2).
            guard Self.parseV6(hostText) != nil else { throw fail(.badAddress) }
        } else {
            let colons = text.count(where: { $0 == ":" })
            if colons == 1, let colon = text.firstIndex(of: ":") {
                hostText = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                // No colon is a bare IPv4 address; several are a bare IPv6 address (its port needs brackets).
                hostText = text[...]
                portText = nil
            }
        }

        let port: UInt16
        if let portText {
            guard let parsed = Self.parsePort(portText) else { throw fail(.badPort) }
            port = parsed
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw fail(.missingPort)
        }

        if hostText.isEmpty {
            guard portText != nil else { throw fail(.badAddress) }
            self.init(host: .all, port: port)
        } else if let v4 = Self.parseV4(hostText) {
            self.init(host: .v4(v4), port: port)
        } else if let v6 = Self.parseV6(hostText) {
            self.init(host: .v6(high: v6.high, low: v6.low), port: port)
        } else {
            throw fail(.badAddress)
        }
    }

    /// `127.0.0.1:port`.
    public static func loopbackV4(port: UInt16) -> SocketAddress {
        SocketAddress(host: .v4(0x7F00_0001), port: port)
    }

    /// `[::1]:port`.
    public static func loopbackV6(port: UInt16) -> SocketAddress {
        SocketAddress(host: .v6(high: 0, low: 1), port: port)
    }

    /// `:port`, every local address.
    public static func allAddresses(port: UInt16) -> SocketAddress {
        SocketAddress(host: .all, port: port)
    }

    public func withPort(_ port: UInt16) -> SocketAddress {
        SocketAddress(host: host, port: port)
    }

    /// True for an IPv6 literal; false for IPv4 and for `:PORT`, whose family is only known once bound.
    public var isIPv6: Bool {
        if case .v6 = host { return true }
        return false
    }

    /// True for `:PORT`.
    public var isAllAddresses: Bool {
        host == .all
    }

    /// The address alone in presentation form, without brackets: `127.0.0.1`, `::1`; empty for `:PORT`.
    public var hostText: String {
        switch host {
        case .all:
            return ""
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
        case .v6:
            var bytes = addressBytes
            // INET6_ADDRSTRLEN is 46 including the terminator (RFC 5952 canonical text from inet_ntop).
            var text = [CChar](repeating: 0, count: 46)
            let written = bytes.withUnsafeMutableBytes { raw in
                inet_ntop(AF_INET6, raw.baseAddress, &text, socklen_t(text.count))
            }
            precondition(written != nil, "inet_ntop cannot fail for AF_INET6 with a 46-byte buffer")
            return String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public var description: String {
        switch host {
        case .all: ":\(port)"
        case .v4: "\(hostText):\(port)"
        case .v6: "[\(hostText)]:\(port)"
        }
    }

    // MARK: Conversions for the socket calls in this module.

    /// The 4 or 16 address bytes in network order; empty for `.all`.
    var addressBytes: [UInt8] {
        withAddressBytes { Array($0) }
    }

    /// Calls `body` with the 4 or 16 address bytes in network order (none for `.all`), from the stack: sending to an
    /// address must not allocate.
    private func withAddressBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        switch host {
        case .all:
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        case .v4(let value):
            var bigEndian = value.bigEndian
            return try withUnsafeBytes(of: &bigEndian) { bytes throws(Failure) in try body(bytes) }
        case .v6(let high, let low):
            // A homogeneous tuple is laid out contiguously, so the two halves are the 16 bytes in order.
            var halves = (high.bigEndian, low.bigEndian)
            return try withUnsafeBytes(of: &halves) { bytes throws(Failure) in try body(bytes) }
        }
    }

    /// Calls `body` with this address as a `sockaddr_storage` and its length. `.all` must be resolved to a family
    /// first (see `BoundSocket`).
    func withSockaddr<Result>(
        _ body: (UnsafePointer<sockaddr_storage>, socklen_t) throws(IOError) -> Result
    ) throws(IOError) -> Result {
        precondition(host != .all, "resolve :PORT to [::] or 0.0.0.0 before making a sockaddr")
        var storage = sockaddr_storage()
        let length = withAddressBytes { bytes in
            CSocketShims_makeSockaddr(
                &storage, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(bytes.count), port)
        }
        precondition(length > 0, "a v4 or v6 host always has 4 or 16 address bytes")
        return try body(&storage, length)
    }

    /// Reads an `AF_INET`/`AF_INET6` socket address; nil for another family.
    init?(_ storage: UnsafePointer<sockaddr_storage>) {
        // Two UInt64s give the 16 bytes IPv6 needs without a heap buffer; readSockaddr writes plain bytes into them,
        // which is fine for trivial integer storage.
        var raw: (UInt64, UInt64) = (0, 0)
        var port: UInt16 = 0
        let count = withUnsafeMutableBytes(of: &raw) { buffer in
            CSocketShims_readSockaddr(storage, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &port)
        }
        switch count {
        case 4:
            let v4 = withUnsafeBytes(of: raw.0) { $0.load(as: UInt32.self) }
            self.init(host: .v4(UInt32(bigEndian: v4)), port: port)
        case 16:
            self.init(host: .v6(high: UInt64(bigEndian: raw.0), low: UInt64(bigEndian: raw.1)), port: port)
        default:
            return nil
        }
    }

    // MARK: Parsing helpers.

    private static func parsePort(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard let value = Int(text), value <= Int(UInt16.max) else { return nil }
        return UInt16(value)
    }

    /// inet_pton accepts exactly the dotted quad (no leading zeros, no shorthand), which is what CoreDNS accepts.
    private static func parseV4(_ text: Substring) -> UInt32? {
        var address = in_addr()
        guard inet_pton(AF_INET, String(text), &address) == 1 else { return nil }
        return UInt32(bigEndian: address.s_addr)
    }

    private static func parseV6(_ text: Substring) -> (high: UInt64, low: UInt64)? {
        var raw: (UInt64, UInt64) = (0, 0)
        guard inet_pton(AF_INET6, String(text), &raw) == 1 else { return nil }
        return (UInt64(bigEndian: raw.0), UInt64(bigEndian: raw.1))
    }
}
