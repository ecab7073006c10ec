import DNSWire

/// An immutable view of the cluster objects DNS answers from, in a deterministic order.
///
/// Built off the query path whenever the sources change; `AnswerTable.build(from:)` compiles it into answers. Objects
/// are held per namespace, packed (`PackedNamespace`), so that a change replaces one namespace
/// (`replace(namespace:with:)`) without sorting the others again; reading a namespace's objects unpacks them.
public struct RegistrySnapshot: Sendable, Hashable {
    /// Every namespace that exists: declared by a Namespace object, or holding an object.
    private var buckets: [String: PackedNamespace] = [:]
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
    public var services: [Service] { sortedNamespaces.flatMap { buckets[$0]!.objects.services } }
    /// Sorted by namespace, then name; the subsets of one legacy Endpoints object keep their order.
    public var endpointSlices: [EndpointSlice] { sortedNamespaces.flatMap { buckets[$0]!.objects.endpointSlices } }
    /// Sorted by namespace, then name.
    public var pods: [Pod] { sortedNamespaces.flatMap { buckets[$0]!.objects.pods } }

    /// The objects of `namespace`, unpacked; `nil` when it does not exist.
    public func objects(in namespace: String) -> NamespaceObjects? {
        buckets[namespace]?.objects
    }

    /// The objects of `namespace` as held; `nil` when it does not exist.
    public func packedObjects(in namespace: String) -> PackedNamespace? {
        buckets[namespace]
    }

    public func contains(namespace: String) -> Bool {
        buckets[namespace] != nil
    }

    /// Replaces everything `namespace` holds; an empty, undeclared `objects` removes the namespace.
    public mutating func replace(namespace: String, with objects: NamespaceObjects) {
        replace(namespace: namespace, with: PackedNamespace(objects))
    }

    /// Replaces everything `namespace` holds; an empty, undeclared `objects` removes the namespace.
    public mutating func replace(namespace: String, with objects: PackedNamespace) {
        if let old = buckets[namespace] {
            serviceCount -= old.serviceCount
            endpointSliceCount -= old.endpointSliceCount
            podCount -= old.podCount
        }
        guard !objects.isEmpty else {
            buckets[namespace] = nil
            return
        }
        buckets[namespace] = objects
        serviceCount += objects.serviceCount
        endpointSliceCount += objects.endpointSliceCount
        podCount += objects.podCount
    }

    /// Replaces the master files.
    public mutating func replaceStaticZones(with zones: [ZoneFile]) {
        staticZones = zones
    }

    /// The service with this namespace and name.
    public func service(namespace: String, name: String) -> Service? {
        objects(in: namespace)?.service(named: name)
    }

    /// The slices that describe a service: its EndpointSlices; the converted legacy v1 Endpoints only when the
    /// service has no EndpointSlice at all. Kubernetes mirrors each into the other (the EndpointSlice mirroring
    /// controller and the Endpoints controller), so both are usually present and say the same; EndpointSlices win,
    /// as in CoreDNS.
    public func endpointSlices(namespace: String, service: String) -> [EndpointSlice] {
        objects(in: namespace)?.endpointSlices(service: service) ?? []
    }

    /// The endpoints DNS publishes for `service`: see `NamespaceObjects.publishedEndpoints(of:)`.
    public func publishedEndpoints(of service: Service) -> [PublishedEndpoint] {
        objects(in: service.namespace)?.publishedEndpoints(of: service) ?? []
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
