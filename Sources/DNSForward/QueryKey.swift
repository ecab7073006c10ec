import DNSWire

/// What makes two queries the same for coalescing and caching: the name in lower case, type, class, and the two
/// bits that change what an upstream returns, DO (DNSSEC records included, RFC 3225 §3) and CD (validation
/// skipped, RFC 4035 §3.2.2: a CD=1 answer may hold data a validator would refuse, so it must not reach CD=0
/// clients; CoreDNS's cache key has both bits for this reason).
public struct QueryKey: Hashable, Sendable, CustomStringConvertible {
    public let name: Name
    public let type: RecordType
    public let recordClass: RecordClass
    public let dnssecOK: Bool
    public let checkingDisabled: Bool

    public init(
        name: Name, type: RecordType, recordClass: RecordClass = .internet, dnssecOK: Bool = false,
        checkingDisabled: Bool = false
    ) {
        self.name = name.lowercased()
        self.type = type
        self.recordClass = recordClass
        self.dnssecOK = dnssecOK
        self.checkingDisabled = checkingDisabled
    }

    /// True when `question` asks this key's name (in any letter case, RFC 4343), type and class.
    public func matches(_ question: Question) -> Bool {
        question.name == name && question.type == type && question.recordClass == recordClass
    }

    public var description: String {
        "\(name) \(recordClass) \(type)\(dnssecOK ? " +do" : "")\(checkingDisabled ? " +cd" : "")"
    }
}
