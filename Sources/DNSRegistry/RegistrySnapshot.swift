import DNSWire

/// An immutable view of the cluster objects DNS answers from, in a deterministic order.
///
/// Built off the query path whenever the sources change; `AnswerTable.build(from:)` compiles it into answers.
public struct RegistrySnapshot: Sendable, Hashable {
    /// Sorted by namespace, then name.
    public private(set) var services: [Service]
    /// Sorted by namespace, then name; the subsets of one legacy Endpoints object keep their order.
    public private(set) var endpointSlices: [EndpointSlice]
    /// Sorted by namespace, then name.
    public private(set) var pods: [Pod]
    /// Declared Namespace objects and every namespace any object is in.
    public private(set) var namespaces: Set<String>
    /// Master files served beside the cluster zones, sorted by origin.
    public private(set) var staticZones: [ZoneFile]

    /// Where each service's slices are in `endpointSlices`, derived from it.
    private var slicesByService: [ServiceKey: [Int]]
    private var serviceIndex: [ServiceKey: Int]

    private struct ServiceKey: Hashable {
        var namespace: String
        var name: String
    }

    /// Takes the objects as given: resolving two definitions of one object is the source's job
    /// (`ManifestDirectory` keeps the one from the file that sorts last).
    public init(objects: [RegistryObject]) {
        var services: [Service] = []
        var slices: [EndpointSlice] = []
        var pods: [Pod] = []
        var namespaces: Set<String> = []
        var zones: [ZoneFile] = []
        for object in objects {
            if let namespace = object.namespace { namespaces.insert(namespace) }
            switch object {
            case .service(let service): services.append(service)
            case .endpointSlice(let slice): slices.append(slice)
            case .pod(let pod): pods.append(pod)
            case .namespace: break
            case .staticZone(let zone): zones.append(zone)
            }
        }
        self.staticZones = zones.sortedStably { $0.origin.description < $1.origin.description }
        self.services = services.sortedStably { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        self.endpointSlices = slices.sortedStably {
            ($0.namespace, $0.name, $0.isLegacyEndpoints ? 1 : 0) < (
                $1.namespace, $1.name, $1.isLegacyEndpoints ? 1 : 0
            )
        }
        self.pods = pods.sortedStably { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        self.namespaces = namespaces

        var slicesByService: [ServiceKey: [Int]] = [:]
        for (index, slice) in endpointSlices.enumerated() {
            slicesByService[ServiceKey(namespace: slice.namespace, name: slice.serviceName), default: []].append(index)
        }
        self.slicesByService = slicesByService
        var serviceIndex: [ServiceKey: Int] = [:]
        for (index, service) in self.services.enumerated() {
            serviceIndex[ServiceKey(namespace: service.namespace, name: service.name)] = index
        }
        self.serviceIndex = serviceIndex
    }

    /// The empty registry: what a server holds before its first load.
    public static let empty = RegistrySnapshot(objects: [])

    public var isEmpty: Bool {
        services.isEmpty && endpointSlices.isEmpty && pods.isEmpty && namespaces.isEmpty
    }

    /// The service with this namespace and name.
    public func service(namespace: String, name: String) -> Service? {
        serviceIndex[ServiceKey(namespace: namespace, name: name)].map { services[$0] }
    }

    /// The slices that describe a service: its EndpointSlices; the converted legacy v1 Endpoints only when the
    /// service has no EndpointSlice at all. Kubernetes mirrors each into the other (the EndpointSlice mirroring
    /// controller and the Endpoints controller), so both are usually present and say the same; EndpointSlices win,
    /// as in CoreDNS.
    public func endpointSlices(namespace: String, service: String) -> [EndpointSlice] {
        guard let indices = slicesByService[ServiceKey(namespace: namespace, name: service)] else { return [] }
        let slices = indices.map { endpointSlices[$0] }
        let current = slices.filter { !$0.isLegacyEndpoints }
        return current.isEmpty ? slices : current
    }

    /// The endpoints DNS publishes for `service`, in slice order.
    ///
    /// An endpoint is published when it is not terminating, and it is ready (a missing `ready` condition counts as
    /// ready) or the service has `publishNotReadyAddresses`. Terminating endpoints never are, even then; note that
    /// Kubernetes' controllers mark every endpoint of such a service ready, terminating ones included, and that
    /// CoreDNS, which looks at `ready` alone, publishes those.
    ///
    /// An address listed by several slices, or by several subsets of a legacy Endpoints object (which is how
    /// Endpoints give one address several port sets), is published once, with the ports of every listing; its first
    /// listing gives the hostname and the other fields.
    public func publishedEndpoints(of service: Service) -> [PublishedEndpoint] {
        var published: [PublishedEndpoint] = []
        var positionByAddresses: [[IPAddress]: Int] = [:]
        for slice in endpointSlices(namespace: service.namespace, service: service.name) {
            for endpoint in slice.endpoints where Self.publishes(endpoint, of: service) {
                if let position = positionByAddresses[endpoint.addresses] {
                    for port in slice.ports where !published[position].ports.contains(port) {
                        published[position].ports.append(port)
                    }
                } else {
                    positionByAddresses[endpoint.addresses] = published.count
                    published.append(PublishedEndpoint(endpoint: endpoint, ports: slice.ports))
                }
            }
        }
        return published
    }

    /// The publication rule of `publishedEndpoints(of:)` for one endpoint.
    public static func publishes(_ endpoint: Endpoint, of service: Service) -> Bool {
        !endpoint.terminating && (endpoint.ready || service.publishNotReadyAddresses)
    }

    public static func == (lhs: RegistrySnapshot, rhs: RegistrySnapshot) -> Bool {
        lhs.services == rhs.services && lhs.endpointSlices == rhs.endpointSlices && lhs.pods == rhs.pods
            && lhs.namespaces == rhs.namespaces
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(services)
        hasher.combine(endpointSlices)
        hasher.combine(pods)
        hasher.combine(namespaces)
    }
}
