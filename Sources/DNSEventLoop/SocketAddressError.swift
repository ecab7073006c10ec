/// Why a listen or upstream address did not parse.
public struct SocketAddressError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        case empty
        /// Not an IPv4 or IPv6 literal (host names are not resolved here).
        case badAddress
        /// No `:PORT` and the caller gave no default port.
        case missingPort
        /// Not a decimal number from 0 to 65535.
        case badPort
    }

    /// The text as given.
    public let text: String
    public let reason: Reason

    public init(text: String, reason: Reason) {
        self.text = text
        self.reason = reason
    }

    public var description: String {
        let detail =
            switch reason {
            case .empty: "it is empty"
            case .badAddress: "the address is not an IPv4 or IPv6 literal"
            case .missingPort: "the port is missing"
            case .badPort: "the port is not a number from 0 to 65535"
            }
        return "\"\(text)\" is not an address:port (\(detail))"
    }
}
