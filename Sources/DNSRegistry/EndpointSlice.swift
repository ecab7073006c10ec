/// A discovery.k8s.io/v1 EndpointSlice, or one subset of a legacy v1 Endpoints object converted to the same shape.
public struct EndpointSlice: Sendable, Hashable {
    public var namespace: String
    /// The slice's own name; for a converted Endpoints subset, the Endpoints' name.
    public var name: String
    /// The service it belongs to: the `kubernetes.io/service-name` label, or the Endpoints' name.
    public var serviceName: String
    public var endpoints: [Endpoint]
    public var ports: [EndpointPort]
    /// True when this came from a v1 Endpoints object rather than an EndpointSlice.
    public var isLegacyEndpoints: Bool

    public init(
        namespace: String, name: String, serviceName: String, endpoints: [Endpoint], ports: [EndpointPort],
        isLegacyEndpoints: Bool = false
    ) {
        self.namespace = namespace
        self.name = name
        self.serviceName = serviceName
        self.endpoints = endpoints
        self.ports = ports
        self.isLegacyEndpoints = isLegacyEndpoints
    }
}
