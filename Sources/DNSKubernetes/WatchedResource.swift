import DNSRegistry

/// A collection the server lists and watches, with the request paths CoreDNS's kubernetes plugin uses.
public enum WatchedResource: String, Sendable, CaseIterable, Hashable {
    case services
    case endpointSlices
    case pods
    case namespaces

    /// The kind of the objects in it, as `RegistryObjectKey.kind` names them.
    public var kind: String {
        switch self {
        case .services: "Service"
        case .endpointSlices: "EndpointSlice"
        case .pods: "Pod"
        case .namespaces: "Namespace"
        }
    }

    /// The apiVersion of its objects.
    public var apiVersion: String {
        self == .endpointSlices ? "discovery.k8s.io/v1" : "v1"
    }

    /// The collection's path, with the field selector that keeps finished pods out (as CoreDNS's pod watch does).
    public var collectionPath: String {
        switch self {
        case .services: "/api/v1/services"
        case .endpointSlices: "/apis/discovery.k8s.io/v1/endpointslices"
        case .pods: "/api/v1/pods?fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed"
        case .namespaces: "/api/v1/namespaces"
        }
    }

    /// Whether the answers can be served without this collection when the server forbids listing it (403): Namespace
    /// objects only make a namespace without other objects exist (NODATA instead of NXDOMAIN), so a cluster whose RBAC
    /// predates their watch keeps its DNS, with an error in the log, rather than SERVFAIL for every cluster name.
    public var isDispensable: Bool {
        self == .namespaces
    }

    /// True when `object` is of this collection's kind (a converted legacy Endpoints object is not an EndpointSlice).
    func holds(_ object: RegistryObject) -> Bool {
        switch (self, object) {
        case (.services, .service), (.pods, .pod), (.namespaces, .namespace): true
        case (.endpointSlices, .endpointSlice(let slice)): !slice.isLegacyEndpoints
        default: false
        }
    }
}
