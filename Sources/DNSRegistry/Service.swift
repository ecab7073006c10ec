/// A v1 Service, stripped to what DNS needs.
public struct Service: Sendable, Hashable {
    public var namespace: String
    /// An RFC 1035 label, as Kubernetes requires of Service names.
    public var name: String
    public var kind: ServiceKind
    public var ports: [ServicePort]
    /// `spec.publishNotReadyAddresses`: DNS publishes endpoints whether or not they are ready.
    public var publishNotReadyAddresses: Bool

    public init(
        namespace: String, name: String, kind: ServiceKind, ports: [ServicePort] = [],
        publishNotReadyAddresses: Bool = false
    ) {
        self.namespace = namespace
        self.name = name
        self.kind = kind
        self.ports = ports
        self.publishNotReadyAddresses = publishNotReadyAddresses
    }

    public var isHeadless: Bool {
        kind == .headless
    }
}
