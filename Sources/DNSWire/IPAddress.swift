/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family; IPv4-mapped IPv6 text stays IPv6, as Kubernetes keeps it.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// Parses the dashed form used in pod and endpoint labels (`10-244-1-5`, `fd00--1`).
    /// Text that already holds `.` or `:` is not in the dashed form and gives `nil`.
    public init?(dashed text: some StringProtocol) {
        guard !text.contains("."), !text.contains(":") else { return nil }
        let dotted = String(text.map { $0 == "-" ? "." : $0 })
        if let v4 = IPv4Address(dotted) {
            self = .v4(v4)
            return
        }
        let coloned = String(text.map { $0 == "-" ? ":" : $0 })
        guard let v6 = IPv6Address(coloned) else { return nil }
        self = .v6(v6)
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    public var dashed: String {
        switch self {
        case .v4(let address): address.dashed
        case .v6(let address): address.dashed
        }
    }

    public var reverseName: Name {
        switch self {
        case .v4(let address): address.reverseName
        case .v6(let address): address.reverseName
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let address): address.bytes
        case .v6(let address): address.bytes
        }
    }

    public var isV4: Bool {
        if case .v4 = self { return true }
        return false
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let l), .v4(let r)): l < r
        case (.v6(let l), .v6(let r)): l < r
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}
