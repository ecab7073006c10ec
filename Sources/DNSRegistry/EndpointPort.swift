/// A port of an EndpointSlice: where the endpoints listen (the service's target port), used for SRV records of
/// headless services.
public struct EndpointPort: Sendable, Hashable {
    /// The name of the service port this one serves, `nil` when that port is unnamed.
    public var name: String?
    public var transportProtocol: TransportProtocol
    public var port: UInt16

    public init(name: String?, transportProtocol: TransportProtocol = .tcp, port: UInt16) {
        self.name = name
        self.transportProtocol = transportProtocol
        self.port = port
    }
}
