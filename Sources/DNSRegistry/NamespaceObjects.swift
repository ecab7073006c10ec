/// The objects of one namespace, in a deterministic order: the unit a `RegistrySnapshot` is made of and replaced by.
///
/// Grouping by namespace lets a change re-sort only the namespace it touched, and lets the answer builder recompile
/// only the names of changed namespaces (every cluster name but the apex's lies in one namespace).
public struct NamespaceObjects: Sendable, Hashable {
    /// Sorted by name.
    public private(set) var services: [Service] = []
    /// Sorted by name, converted legacy Endpoints after the EndpointSlice of the same name; the subsets of one legacy
    /// Endpoints object keep their order.
    public private(set) var endpointSlices: [EndpointSlice] = []
    /// Sorted by name.
    public private(set) var pods: [Pod] = []
    /// A Namespace object declares it (else it exists only while it holds objects).
    public private(set) var isDeclared = false

    /// Where each service's slices are in `endpointSlices`, derived from it.
    private var slicesByService: [String: [Int]] = [:]
    private var serviceIndex: [String: Int] = [:]

    /// Takes the objects of one namespace as given (every object's namespace must be this one; static zones are
    /// ignored). Ties keep their relative order.
    public init(objects: some Sequence<RegistryObject>) {
        var services: [Service] = []
        var slices: [EndpointSlice] = []
        var pods: [Pod] = []
        for object in objects {
            switch object {
            case .service(let service): services.append(service)
            case .endpointSlice(let slice): slices.append(slice)
            case .pod(let pod): pods.append(pod)
            case .namespace: isDeclared = true
            case .staticZone: break
            }
        }
        self.services = services.sortedStably { $0.name < $1.name }
        self.endpointSlices = slices.sortedStably {
            ($0.name, $0.isLegacyEndpoints ? 1 : 0) < ($1.name, $1.isLegacyEndpoints ? 1 : 0)
        }
        self.pods = pods.sortedStably { $0.name < $1.name }
        for (index, slice) in endpointSlices.enumerated() {
            slicesByService[slice.serviceName, default: []].append(index)
        }
        for (index, service) in self.services.enumerated() {
            serviceIndex[service.name] = index
        }
    }

    /// Nothing in it and not declared: the namespace does not exist.
    public var isEmpty: Bool {
        !isDeclared && services.isEmpty && endpointSlices.isEmpty && pods.isEmpty
    }

    /// The objects as sources give them (a Namespace object when declared).
    public func objects(namespace: String) -> [RegistryObject] {
        var all: [RegistryObject] = services.map(RegistryObject.service)
        all += endpointSlices.map(RegistryObject.endpointSlice)
        all += pods.map(RegistryObject.pod)
        if isDeclared { all.append(.namespace(namespace)) }
        return all
    }

    /// The service with this name (the last listed, should a source give two).
    public func service(named name: String) -> Service? {
        serviceIndex[name].map { services[$0] }
    }

    /// The slices of the service named `service`: see `RegistrySnapshot.endpointSlices(namespace:service:)`.
    public func endpointSlices(service: String) -> [EndpointSlice] {
        guard let indices = slicesByService[service] else { return [] }
        let slices = indices.map { endpointSlices[$0] }
        let current = slices.filter { !$0.isLegacyEndpoints }
        return current.isEmpty ? slices : current
    }

    /// Compares what DNS sees: the objects (whether the namespace is declared changes nothing while it exists).
    public static func == (lhs: NamespaceObjects, rhs: NamespaceObjects) -> Bool {
        lhs.services == rhs.services && lhs.endpointSlices == rhs.endpointSlices
            && lhs.pods == rhs.pods
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(services)
        hasher.combine(endpointSlices)
        hasher.combine(pods)
    }
}
