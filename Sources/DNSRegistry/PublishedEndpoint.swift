/// An endpoint DNS publishes for a service, with the ports it serves (from the slice or slices that list it).
public struct PublishedEndpoint: Sendable, Hashable {
    public var endpoint: Endpoint
    public var ports: [EndpointPort]

    public init(endpoint: Endpoint, ports: [EndpointPort]) {
        self.endpoint = endpoint
        self.ports = ports
    }
}
