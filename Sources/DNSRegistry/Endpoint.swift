/// One endpoint of an EndpointSlice (or one address of a legacy v1 Endpoints subset), stripped to what DNS answers
/// from: `nodeName`, `zone`, `hints` and `targetRef` are checked when parsed but not kept (with 300,000 endpoints they
/// would be tens of MB of strings that no answer uses).
///
/// The conditions are stored with the Kubernetes defaults for a missing value already applied: `ready` and `serving`
/// default to true, `terminating` to false (discovery.k8s.io/v1 `EndpointConditions`).
public struct Endpoint: Sendable, Hashable {
    /// One address in practice (stored inline); Kubernetes allows up to 100.
    public var addresses: AddressList
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool
    /// An RFC 1123 label; when set, the endpoint is also published as `hostname.service.namespace.svc.zone`.
    public var hostname: String?

    public init(
        addresses: AddressList, ready: Bool = true, serving: Bool = true, terminating: Bool = false,
        hostname: String? = nil
    ) {
        self.addresses = addresses
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
        self.hostname = hostname
    }
}
