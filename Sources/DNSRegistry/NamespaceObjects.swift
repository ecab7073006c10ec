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

    /// The index of slices by service, for `PackedNamespace`.
    var slicePositions: [Int32] { slicePositionsByService }

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
        indexSlicesByService()
    }

    /// A namespace with nothing in it, to be filled by `update(with:)` and `replaceAll(ofKind:with:)`.
    public init() {}

    /// Objects already in order with their index, as `PackedNamespace` unpacks them.
    init(
        services: [Service], endpointSlices: [EndpointSlice], pods: [Pod], isDeclared: Bool, slicePositions: [Int32]
    ) {
        self.services = services
        self.endpointSlices = endpointSlices
        self.pods = pods
        self.isDeclared = isDeclared
        self.slicePositionsByService = slicePositions
    }

    private mutating func indexSlicesByService() {
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

    /// The endpoints DNS publishes for `service` (of this namespace), in slice order.
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
        for slice in endpointSlices(service: service.name) {
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

    /// The objects one declaration with this key yields here: an EndpointSlice, the subsets of a legacy Endpoints (in
    /// their order), a Service, a Pod, or the Namespace object. Assumes one declaration per key, as a manifest file's
    /// objects are held once the later of two declarations of an object has replaced the earlier.
    public func objects(declaredAs key: RegistryObjectKey) -> [RegistryObject] {
        switch key.kind {
        case "Service":
            return service(named: key.name).map { [.service($0)] } ?? []
        case "EndpointSlice", "Endpoints":
            return endpointSlices[sliceRange(name: key.name, legacy: key.kind == "Endpoints")]
                .map(RegistryObject.endpointSlice)
        case "Pod":
            let end = Self.partitionPoint(pods.count) { pods[$0].name <= key.name }
            return end > 0 && pods[end - 1].name == key.name ? [.pod(pods[end - 1])] : []
        case "Namespace":
            return isDeclared ? [.namespace(key.name)] : []
        default:
            return []
        }
    }

    // MARK: - Updates, one object per key

    /// Makes `object` the one object with its key: replaces what `objects(declaredAs:)` gives for that key, or adds it
    /// in its sorted place. For the kinds the API source watches (Service, EndpointSlice, Pod, Namespace); a converted
    /// legacy Endpoints subset or a master file is ignored. Only the array of the object's kind is written (and for a
    /// slice, the index of slices by service): the others stay shared with any copy of this value.
    public mutating func update(with object: RegistryObject) {
        switch object {
        case .service(let service):
            let range = Self.range(of: service.name, in: services, by: \.name)
            services.replaceSubrange(range, with: [service])
        case .endpointSlice(let slice) where !slice.isLegacyEndpoints:
            let range = sliceRange(name: slice.name, legacy: false)
            replaceSlices(range, with: [slice])
        case .pod(let pod):
            let range = Self.range(of: pod.name, in: pods, by: \.name)
            pods.replaceSubrange(range, with: [pod])
        case .namespace:
            isDeclared = true
        case .endpointSlice, .staticZone:
            break
        }
    }

    /// Removes what `objects(declaredAs:)` gives for `key`, of kind Service, EndpointSlice, Pod or Namespace.
    public mutating func remove(_ key: RegistryObjectKey) {
        switch key.kind {
        case "Service":
            let range = Self.range(of: key.name, in: services, by: \.name)
            if !range.isEmpty { services.removeSubrange(range) }
        case "EndpointSlice":
            let range = sliceRange(name: key.name, legacy: false)
            if !range.isEmpty { replaceSlices(range, with: []) }
        case "Pod":
            let range = Self.range(of: key.name, in: pods, by: \.name)
            if !range.isEmpty { pods.removeSubrange(range) }
        case "Namespace":
            isDeclared = false
        default:
            break
        }
    }

    /// Replaces every object of `kind` (Service, EndpointSlice, Pod or Namespace; converted legacy Endpoints are kept)
    /// with those of `objects` that are of that kind; of two with one key, the later is kept.
    public mutating func replaceAll(ofKind kind: String, with objects: some Sequence<RegistryObject>) {
        switch kind {
        case "Service":
            services = Self.sortedKeepingLastOfEachName(
                objects.compactMap { if case .service(let service) = $0 { service } else { nil } }, by: \.name)
        case "EndpointSlice":
            let fresh = Self.sortedKeepingLastOfEachName(
                objects.compactMap {
                    if case .endpointSlice(let slice) = $0, !slice.isLegacyEndpoints { slice } else { nil }
                }, by: \.name)
            endpointSlices = (endpointSlices.filter(\.isLegacyEndpoints) + fresh).sortedStably {
                ($0.name, $0.isLegacyEndpoints ? 1 : 0) < ($1.name, $1.isLegacyEndpoints ? 1 : 0)
            }
            indexSlicesByService()
        case "Pod":
            pods = Self.sortedKeepingLastOfEachName(
                objects.compactMap { if case .pod(let pod) = $0 { pod } else { nil } }, by: \.name)
        case "Namespace":
            isDeclared = objects.contains { if case .namespace = $0 { true } else { false } }
        default:
            break
        }
    }

    /// How many objects of `kind` (Service, EndpointSlice, Pod or Namespace) this holds.
    public func count(ofKind kind: String) -> Int {
        switch kind {
        case "Service": services.count
        case "EndpointSlice": endpointSlices.count { !$0.isLegacyEndpoints }
        case "Pod": pods.count
        case "Namespace": isDeclared ? 1 : 0
        default: 0
        }
    }

    /// Where the elements named `name` are in `elements`, sorted by name.
    private static func range<Element>(of name: String, in elements: [Element], by nameOf: KeyPath<Element, String>)
        -> Range<Int>
    {
        let lower = partitionPoint(elements.count) { elements[$0][keyPath: nameOf] < name }
        let upper = partitionPoint(elements.count) { elements[$0][keyPath: nameOf] <= name }
        return lower..<upper
    }

    /// Where the slices named `name` of that origin (EndpointSlice or legacy Endpoints) are in `endpointSlices`.
    private func sliceRange(name: String, legacy: Bool) -> Range<Int> {
        let rank = legacy ? 1 : 0
        let lower = Self.partitionPoint(endpointSlices.count) {
            (endpointSlices[$0].name, endpointSlices[$0].isLegacyEndpoints ? 1 : 0) < (name, rank)
        }
        let upper = Self.partitionPoint(endpointSlices.count) {
            (endpointSlices[$0].name, endpointSlices[$0].isLegacyEndpoints ? 1 : 0) <= (name, rank)
        }
        return lower..<upper
    }

    /// Replaces the slices at `range` with `fresh` (which must sort there) and keeps `slicePositionsByService` in
    /// step without sorting it again: positions past the range move by the change in count, which keeps their order.
    private mutating func replaceSlices(_ range: Range<Int>, with fresh: [EndpointSlice]) {
        let shift = Int32(fresh.count - range.count)
        let lower = Int32(range.lowerBound)
        let upper = Int32(range.upperBound)
        slicePositionsByService.removeAll { $0 >= lower && $0 < upper }
        if shift != 0 {
            for index in slicePositionsByService.indices where slicePositionsByService[index] >= upper {
                slicePositionsByService[index] += shift
            }
        }
        endpointSlices.replaceSubrange(range, with: fresh)
        for (offset, slice) in fresh.enumerated() {
            let position = range.lowerBound + offset
            let at = Self.partitionPoint(slicePositionsByService.count) {
                let other = Int(slicePositionsByService[$0])
                return (endpointSlices[other].serviceName, other) < (slice.serviceName, position)
            }
            slicePositionsByService.insert(Int32(position), at: at)
        }
    }

    /// `elements` sorted by name, keeping only the last (in `elements`' order) of each name.
    private static func sortedKeepingLastOfEachName<Element>(
        _ elements: [Element], by nameOf: KeyPath<Element, String>
    ) -> [Element] {
        var kept: [Element] = []
        kept.reserveCapacity(elements.count)
        for element in elements.sortedStably(by: { $0[keyPath: nameOf] < $1[keyPath: nameOf] }) {
            if let last = kept.last, last[keyPath: nameOf] == element[keyPath: nameOf] {
                kept[kept.count - 1] = element
            } else {
                kept.append(element)
            }
        }
        return kept
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
