import DNSWire

/// An immutable view of the cluster objects DNS answers from, in a deterministic order.
///
/// Built off the query path whenever the sources change; `AnswerTable.build(from:)` compiles it into answers. Objects
/// are held per namespace (`NamespaceObjects`), so that a change replaces one namespace (`replace(namespace:with:)`)
/// without sorting the others again.
public struct RegistrySnapshot: Sendable, Hashable {
    /// Every namespace that exists: declared by a Namespace object, or holding an object.
    private var buckets: [String: NamespaceObjects] = [:]
    /// Master files served beside the cluster zones, sorted by origin.
    public private(set) var staticZones: [ZoneFile] = []
    public private(set) var serviceCount = 0
    public private(set) var endpointSliceCount = 0
    public private(set) var podCount = 0

    /// Takes the objects as given: resolving two definitions of one object is the source's job
    /// (`ManifestDirectory` keeps the one from the file that sorts last).
    public init(objects: [RegistryObject]) {
        let (grouped, zones) = Self.grouped(objects)
        self.staticZones = zones.sortedStably { $0.origin.description < $1.origin.description }
        for (namespace, objects) in grouped {
            replace(namespace: namespace, with: NamespaceObjects(objects: objects))
        }
    }

    /// `objects` by namespace, and the master files among them.
    static func grouped(_ objects: [RegistryObject]) -> (byNamespace: [String: [RegistryObject]], zones: [ZoneFile]) {
        var byNamespace: [String: [RegistryObject]] = [:]
        var zones: [ZoneFile] = []
        for object in objects {
            if case .staticZone(let zone) = object {
                zones.append(zone)
            } else if let namespace = object.namespace {
                byNamespace[namespace, default: []].append(object)
            }
        }
        return (byNamespace, zones)
    }

    /// The empty registry: what a server holds before its first load.
    public static let empty = RegistrySnapshot(objects: [])

    public var isEmpty: Bool { buckets.isEmpty }

    /// Declared Namespace objects and every namespace any object is in.
    public var namespaces: Set<String> { Set(buckets.keys) }

    /// The namespaces, sorted.
    public var sortedNamespaces: [String] { buckets.keys.sorted() }

    /// Sorted by namespace, then name.
    public var services: [Service] { sortedNamespaces.flatMap { buckets[$0]!.services } }
    /// Sorted by namespace, then name; the subsets of one legacy Endpoints object keep their order.
    public var endpointSlices: [EndpointSlice] { sortedNamespaces.flatMap { buckets[$0]!.endpointSlices } }
    /// Sorted by namespace, then name.
    public var pods: [Pod] { sortedNamespaces.flatMap { buckets[$0]!.pods } }

    /// The objects of `namespace`; `nil` when it does not exist.
    public func objects(in namespace: String) -> NamespaceObjects? {
        buckets[namespace]
    }

    /// Replaces everything `namespace` holds; an empty, undeclared `objects` removes the namespace.
    public mutating func replace(namespace: String, with objects: NamespaceObjects) {
        if let old = buckets[namespace] {
            serviceCount -= old.services.count
            endpointSliceCount -= old.endpointSlices.count
            podCount -= old.pods.count
        }
        guard !objects.isEmpty else {
            buckets[namespace] = nil
            return
        }
        buckets[namespace] = objects
        serviceCount += objects.services.count
        endpointSliceCount += objects.endpointSlices.count
        podCount += objects.pods.count
    }

    /// Replaces the master files.
    public mutating func replaceStaticZones(with zones: [ZoneFile]) {
        staticZones = zones
    }

    /// The service with this namespace and name.
    public func service(namespace: String, name: String) -> Service? {
        buckets[namespace]?.service(named: name)
    }

    /// The slices that describe a service: its EndpointSlices; the converted legacy v1 Endpoints only when the
    /// service has no EndpointSlice at all. Kubernetes mirrors each into the other (the EndpointSlice mirroring
    /// controller and the Endpoints controller), so both are usually present and say the same; EndpointSlices win,
    /// as in CoreDNS.
    public func endpointSlices(namespace: String, service: String) -> [EndpointSlice] {
        buckets[namespace]?.endpointSlices(service: service) ?? []
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
        var positionByAddresses: [AddressList: Int] = [:]
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

    /// Static zones are not compared, as before: sources report their changes separately.
    public static func == (lhs: RegistrySnapshot, rhs: RegistrySnapshot) -> Bool {
        lhs.buckets == rhs.buckets
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(buckets)
    }

    /// The namespaces whose objects differ between `self` and `other` (present in one only, or holding other objects).
    public func changedNamespaces(from other: RegistrySnapshot) -> Set<String> {
        var changed: Set<String> = []
        for (namespace, objects) in buckets where other.buckets[namespace] != objects {
            changed.insert(namespace)
        }
        for namespace in other.buckets.keys where buckets[namespace] == nil {
            changed.insert(namespace)
        }
        return changed
    }
}
