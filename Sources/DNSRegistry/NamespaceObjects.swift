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

    /// Positions in `endpointSlices`, ordered by service name, then by position: each service's slices are one run,
    /// found by binary search. Four bytes a slice, where a dictionary of position arrays by service (and one of
    /// services by name) took about a hundred.
    private var slicePositionsByService: [Int32] = []

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
        let sorted = endpointSlices
        slicePositionsByService = endpointSlices.indices
            .sorted { (sorted[$0].serviceName, $0) < (sorted[$1].serviceName, $1) }
            .map { Int32($0) }
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
        let end = Self.partitionPoint(services.count) { services[$0].name <= name }
        return end > 0 && services[end - 1].name == name ? services[end - 1] : nil
    }

    /// The slices of the service named `service`: see `RegistrySnapshot.endpointSlices(namespace:service:)`.
    public func endpointSlices(service: String) -> [EndpointSlice] {
        let positions = slicePositionsByService
        var index = Self.partitionPoint(positions.count) { endpointSlices[Int(positions[$0])].serviceName < service }
        var slices: [EndpointSlice] = []
        while index < positions.count, case let slice = endpointSlices[Int(positions[index])],
            slice.serviceName == service
        {
            slices.append(slice)
            index += 1
        }
        let current = slices.filter { !$0.isLegacyEndpoints }
        return current.isEmpty ? slices : current
    }

    /// The objects one declaration with this key yields here: an EndpointSlice, the subsets of a legacy Endpoints (in
    /// their order), a Service, a Pod, or the Namespace object. Assumes one declaration per key, as a manifest file's
    /// objects are held once the later of two declarations of an object has replaced the earlier.
    func objects(declaredAs key: RegistryObjectKey) -> [RegistryObject] {
        switch key.kind {
        case "Service":
            return service(named: key.name).map { [.service($0)] } ?? []
        case "EndpointSlice", "Endpoints":
            let legacy = key.kind == "Endpoints"
            let rank = legacy ? 1 : 0
            var index = Self.partitionPoint(endpointSlices.count) {
                (endpointSlices[$0].name, endpointSlices[$0].isLegacyEndpoints ? 1 : 0) < (key.name, rank)
            }
            var objects: [RegistryObject] = []
            while index < endpointSlices.count, endpointSlices[index].name == key.name,
                endpointSlices[index].isLegacyEndpoints == legacy
            {
                objects.append(.endpointSlice(endpointSlices[index]))
                index += 1
            }
            return objects
        case "Pod":
            let end = Self.partitionPoint(pods.count) { pods[$0].name <= key.name }
            return end > 0 && pods[end - 1].name == key.name ? [.pod(pods[end - 1])] : []
        case "Namespace":
            return isDeclared ? [.namespace(key.name)] : []
        default:
            return []
        }
    }

    /// The first of `0..<count` for which `isBefore` is false, `isBefore` being true for a prefix of the range.
    private static func partitionPoint(_ count: Int, isBefore: (Int) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = low + (high - low) / 2
            if isBefore(middle) { low = middle + 1 } else { high = middle }
        }
        return low
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
