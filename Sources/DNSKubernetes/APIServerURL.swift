/// Where the API server listens: `https://host:port` (or `http://` for `kubectl proxy`). Only the origin is kept; the
/// client adds the paths.
public struct APIServerURL: Sendable, Equatable, CustomStringConvertible {
    public var isTLS: Bool
    /// A DNS name or an IP address literal, without brackets.
    public var host: String
    public var port: UInt16

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case invalid(String)

        public var description: String {
            switch self {
            case .invalid(let text): "\(text) is not an API server URL (https://HOST[:PORT])"
            }
        }
    }

    public init(isTLS: Bool, host: String, port: UInt16) {
        self.isTLS = isTLS
        self.host = host
        self.port = port
    }

    /// Parses `https://HOST[:PORT][/]`, with `[v6]` for an IPv6 address. A path other than `/` is refused: a
    /// server behind a path prefix is not something the client would honour.
    public init(parsing text: String) throws(ParseError) {
        let isTLS: Bool
        var rest: Substring
        if text.hasPrefix("https://") {
            isTLS = true
            rest = text.dropFirst("https://".count)
        } else if text.hasPrefix("http://") {
            isTLS = false
            rest = text.dropFirst("http://".count)
        } else {
            throw .invalid(text)
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@") else { throw .invalid(text) }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalid(text) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalid(text) }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw .invalid(text) }
        var port: UInt16 = isTLS ? 443 : 80
        if let portText {
            guard let value = UInt16(portText), value > 0 else { throw .invalid(text) }
            port = value
        }
        self.init(isTLS: isTLS, host: String(host), port: port)
    }

    /// The value of the `Host` header.
    public var hostHeader: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        let defaultPort: UInt16 = isTLS ? 443 : 80
        return port == defaultPort ? shown : "\(shown):\(port)"
    }

    public var description: String {
        "\(isTLS ? "https" : "http")://\(hostHeader)"
    }
}
