import DNSWire

/// One object a manifest declares, reduced to what DNS needs.
public enum RegistryObject: Sendable, Hashable {
    case service(Service)
    case endpointSlice(EndpointSlice)
    case pod(Pod)
    /// A v1 Namespace, by name.
    case namespace(String)
    /// An RFC 1035 master file (`*.zone`) served authoritatively beside the cluster zones.
    case staticZone(ZoneFile)

    /// The Kubernetes identity of the object this came from: the kind, namespace and name `kubectl apply` would
    /// create or replace. All subsets of one legacy Endpoints object share the Endpoints' identity.
    public var key: RegistryObjectKey {
        switch self {
        case .service(let service):
            RegistryObjectKey(kind: "Service", namespace: service.namespace, name: service.name)
        case .endpointSlice(let slice) where slice.isLegacyEndpoints:
            RegistryObjectKey(kind: "Endpoints", namespace: slice.namespace, name: slice.name)
        case .endpointSlice(let slice):
            RegistryObjectKey(kind: "EndpointSlice", namespace: slice.namespace, name: slice.name)
        case .pod(let pod):
            RegistryObjectKey(kind: "Pod", namespace: pod.namespace, name: pod.name)
        case .namespace(let name):
            RegistryObjectKey(kind: "Namespace", namespace: "", name: name)
        case .staticZone(let zone):
            RegistryObjectKey(kind: "Zone", namespace: "", name: zone.origin.description)
        }
    }

    /// The namespace the object lives in; a Namespace object is taken to live in itself; a zone lives in none.
    public var namespace: String? {
        switch self {
        case .service(let service): service.namespace
        case .endpointSlice(let slice): slice.namespace
        case .pod(let pod): pod.namespace
        case .namespace(let name): name
        case .staticZone: nil
        }
    }
}
