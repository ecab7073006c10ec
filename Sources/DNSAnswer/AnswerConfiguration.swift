import DNSWire

/// What shapes the answers besides the registry itself.
public struct AnswerConfiguration: Sendable, Equatable {
    /// The cluster zones (`cluster.local`), answered authoritatively. At least one.
    public var zones: [Name]
    /// TTL on every record and the SOA minimum (RFC 2308 §5 negative TTL).
    public var ttl: UInt32
    public var podMode: PodMode
    /// The Kubernetes DNS specification version published at `dns-version.<zone>`.
    public static let specificationVersion = "1.1.0"

    public init(zones: [Name] = ["cluster.local."], ttl: UInt32 = 5, podMode: PodMode = .insecure) {
        precondition(!zones.isEmpty, "at least one cluster zone")
        self.zones = zones.map { $0.lowercased() }
        self.ttl = ttl
        self.podMode = podMode
    }
}
