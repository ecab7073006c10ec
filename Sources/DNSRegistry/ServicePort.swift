/// One entry of a Service's `spec.ports`: what clients connect to on the cluster IP. `targetPort`, `nodePort` and
/// `appProtocol` mean nothing to DNS and are not kept.
public struct ServicePort: Sendable, Hashable {
    /// An IANA service name (`http`, `dns-tcp`), or `nil` for an unnamed port; only named ports get SRV records.
    public var name: String?
    public var transportProtocol: TransportProtocol
    public var port: UInt16

    public init(name: String?, transportProtocol: TransportProtocol = .tcp, port: UInt16) {
        self.name = name
        self.transportProtocol = transportProtocol
        self.port = port
    }
}
