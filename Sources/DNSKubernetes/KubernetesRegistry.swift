import DNSRegistry

/// The cluster as the API server describes it: the result of each collection's list, kept current by its watch
/// events. Sans-IO: the transport feeds bodies and lines in, and reads back what to request next.
public struct KubernetesRegistry: Sendable {
    public enum ListError: Error, Equatable, Sendable {
        case notAList
        case status(APIStatus)
    }

    /// What a watch event meant for the caller.
    public enum Outcome: Sendable, Equatable {
        /// The registry changed: rebuild the answers.
        case changed
        /// Only the resume point moved (a bookmark, or an event that changed nothing DNS uses).
        case unchanged
        /// The object could not be used; it was skipped, the last good state keeps serving.
        case skipped(String)
        /// The resourceVersion expired (410): list again, with the resourceVersion unset.
        case relist
        /// Any other error event: the stream is broken; reconnect after a back-off.
        case failed(APIStatus)
    }

    public let resources: Set<WatchedResource>
    /// The objects of every collection, by the namespace they count as in (`RegistryChange.namespace(of:)`), one per
    /// key, packed as a `RegistrySnapshot` holds them: where the manifests declare nothing in a namespace, the
    /// snapshot shares them. Namespaces changed since they were last packed are in `unpacked` instead.
    private var packed: [String: PackedNamespace] = [:]
    /// Namespaces that lists or events changed since `packNamespaces()`: a burst of events in one namespace unpacks it
    /// once, not once per event.
    private var unpacked: [String: NamespaceObjects] = [:]
    /// Objects held per collection (`count(of:)`).
    private var counts: [WatchedResource: Int] = [:]
    /// What changed since the last `takeChanges()`.
    private var pendingChange = RegistryChange.everything
    private var listed: Set<WatchedResource> = []
    /// Pages of a paginated list read so far, per collection, packed.
    private var pendingLists: [WatchedResource: PackedObjectList] = [:]
    /// Per collection, where its watch resumes.
    public private(set) var resourceVersions: [WatchedResource: String] = [:]

    public init(resources: Set<WatchedResource>) {
        self.resources = resources
    }

    /// True once every collection has been listed (or, for a dispensable one, refused): until then cluster names are
    /// SERVFAIL and `/ready` is 503.
    public var isSynced: Bool { listed == resources }

    /// The server forbids listing `resource`, which `WatchedResource.isDispensable` allows to do without: it counts as
    /// listed, with the objects it had (none, unless an earlier list was allowed). Returns whether that was news.
    @discardableResult
    public mutating func forbidden(_ resource: WatchedResource) -> Bool {
        guard resource.isDispensable, !listed.contains(resource) else { return false }
        listed.insert(resource)
        pendingChange = .everything
        return true
    }

    /// Replaces `resource`'s objects with the list in `body`, a whole list in one response. Items DNS cannot use are
    /// skipped and returned as reasons, never fatal.
    @discardableResult
    public mutating func applyList(_ body: [UInt8], of resource: WatchedResource) throws(ListError) -> [String] {
        try applyListPage(body, of: resource, isFirst: true).skipped
    }

    /// One page of a paginated list (`limit`/`continue`).
    public struct ListPage: Sendable, Equatable {
        /// The token for the next page; `nil` on the last page, which committed the whole list.
        public var continueToken: String?
        /// Why items were skipped.
        public var skipped: [String]
    }

    /// Reads one page of `resource`'s list. Pages are held aside until the last one arrives; only then do they
    /// replace the collection, so a list cut short (a 410 on `continue`, a lost connection) changes nothing.
    public mutating func applyListPage(_ body: [UInt8], of resource: WatchedResource, isFirst: Bool)
        throws(ListError) -> ListPage
    {
        apply(try Self.decodeListPage(body, of: resource), of: resource, isFirst: isFirst)
    }

    /// A list page decoded, not yet applied: decoding is the slow part, and needs no access to the registry.
    public struct DecodedListPage: Sendable {
        /// The items of the collection's kind, in list order.
        var objects: [RegistryObject]
        var continueToken: String?
        var resourceVersion: String?
        var skipped: [String]
    }

    /// Decodes a list page; items DNS cannot use are skipped with their reason.
    ///
    /// The page is read as one typed list (`ServiceList`) by `ManifestParser`, as a manifest file would be: one pass
    /// over the text, no JSON objects built. Only when that fails is each item read on its own, so that one bad object
    /// is skipped and the rest kept.
    public static func decodeListPage(_ body: [UInt8], of resource: WatchedResource) throws(ListError)
        -> DecodedListPage
    {
        let list = JSONScanner(body)
        guard let kind = list.string(at: ["kind"]) else { throw .notAList }
        if kind == "Status" {
            throw .status(APIStatus(body: body) ?? APIStatus(code: 0, reason: "", message: ""))
        }
        guard kind.hasSuffix("List"), let items = list.value(at: ["items"]) else { throw .notAList }
        let token = list.string(at: ["metadata", "continue"])
        var page = DecodedListPage(
            objects: [], continueToken: token?.isEmpty == false ? token : nil,
            resourceVersion: list.string(at: ["metadata", "resourceVersion"]), skipped: [])
        guard body[items.lowerBound] == UInt8(ascii: "[") else { return page }  // "items": null
        if let objects = try? ManifestParser.parse(
            String(decoding: body, as: UTF8.self), path: "\(resource.rawValue) list")
        {
            page.objects = objects.filter(resource.holds)
            return page
        }
        for item in list.elements(at: ["items"]) ?? [] {
            let scanner = JSONScanner(Array(body[item]))
            let name = scanner.string(at: ["metadata", "name"])
            do {
                let converted = try WatchEvent.registryObjects(
                    scanner.bytes, resource: resource, name: name ?? "?")
                page.objects += converted.filter(resource.holds)
            } catch {
                page.skipped.append("\(error)")
            }
        }
        return page
    }

    /// Applies a decoded page (see `applyListPage`). Should a list name one object twice, the later is kept.
    public mutating func apply(_ page: DecodedListPage, of resource: WatchedResource, isFirst: Bool) -> ListPage {
        var fresh = pendingLists.removeValue(forKey: resource) ?? PackedObjectList()
        if isFirst { fresh = PackedObjectList() }
        for object in page.objects {
            fresh.append(object, namespace: object.namespace ?? "")
        }
        if let token = page.continueToken {
            pendingLists[resource] = fresh
            return ListPage(continueToken: token, skipped: page.skipped)
        }
        var count = 0
        for namespace in Set(packed.keys).union(unpacked.keys).union(fresh.offsetsByNamespace.keys) {
            update(namespace) { objects in
                objects.replaceAll(ofKind: resource.kind, with: fresh.objects(in: namespace))
                count += objects.count(ofKind: resource.kind)
            }
            // Packed one by one, so that a whole list is never held unpacked.
            packNamespace(namespace)
        }
        counts[resource] = count
        pendingChange = .everything
        listed.insert(resource)
        if let version = page.resourceVersion {
            resourceVersions[resource] = version
        }
        return ListPage(continueToken: nil, skipped: page.skipped)
    }

    /// Applies one watch event of `resource`.
    public mutating func apply(_ event: WatchEvent, of resource: WatchedResource) -> Outcome {
        switch event.change {
        case .error(let status):
            return status.isExpired ? .relist : .failed(status)
        case .bookmark:
            remember(event, of: resource)
            return .unchanged
        case .deleted(let key):
            remember(event, of: resource)
            return remove(key, of: resource)
        case .added(let converted), .modified(let converted):
            remember(event, of: resource)
            guard let object = converted.last(where: { resource.holds($0) && $0.key == event.key }) else {
                // Nothing DNS uses any more (an FQDN slice, a slice without its service label): drop any older copy.
                return remove(event.key, of: resource)
            }
            let namespace = RegistryChange.namespace(of: event.key)
            let previous = unpackedObjects(namespace).objects(declaredAs: event.key)
            guard previous != [object] else { return .unchanged }
            if previous.isEmpty { counts[resource, default: 0] += 1 }
            update(namespace) { $0.update(with: object) }
            pendingChange.insert(namespace)
            return .changed
        }
    }

    private mutating func remove(_ key: RegistryObjectKey, of resource: WatchedResource) -> Outcome {
        let namespace = RegistryChange.namespace(of: key)
        guard !unpackedObjects(namespace).objects(declaredAs: key).isEmpty else { return .unchanged }
        update(namespace) { $0.remove(key) }
        counts[resource, default: 0] -= 1
        pendingChange.insert(namespace)
        return .changed
    }

    /// Changes one namespace's objects, leaving them unpacked; a namespace left empty is dropped.
    private mutating func update(_ namespace: String, _ change: (inout NamespaceObjects) -> Void) {
        var objects = unpackedObjects(namespace)
        unpacked[namespace] = nil
        change(&objects)
        if !objects.isEmpty { unpacked[namespace] = objects }
    }

    /// The objects of `namespace`, unpacked (and kept so until `packNamespaces()`).
    private mutating func unpackedObjects(_ namespace: String) -> NamespaceObjects {
        if let objects = unpacked[namespace] { return objects }
        guard let objects = packed.removeValue(forKey: namespace)?.objects else { return NamespaceObjects() }
        unpacked[namespace] = objects
        return objects
    }

    private mutating func packNamespace(_ namespace: String) {
        guard let objects = unpacked.removeValue(forKey: namespace) else { return }
        packed[namespace] = PackedNamespace(objects)
    }

    /// Packs the namespaces changed since the last call.
    public mutating func packNamespaces() {
        for namespace in Array(unpacked.keys) { packNamespace(namespace) }
    }

    /// The objects of every collection by namespace, packed (`packNamespaces()` first).
    public mutating func packedNamespaces() -> [String: PackedNamespace] {
        packNamespaces()
        return packed
    }

    /// What changed since the last call (everything, the first time).
    public mutating func takeChanges() -> RegistryChange {
        defer { pendingChange = .none }
        return pendingChange
    }

    /// The objects of every collection that count as in `namespace`, packed (shared, not copied).
    public mutating func packedObjects(inNamespace namespace: String) -> PackedNamespace {
        packNamespace(namespace)
        return packed[namespace] ?? PackedNamespace()
    }

    /// Applies a line of `resource`'s watch stream; a line that does not decode is skipped.
    public mutating func apply(line: [UInt8], of resource: WatchedResource) -> Outcome {
        do {
            return apply(try WatchEvent(line: line, resource: resource), of: resource)
        } catch {
            return .skipped("\(error)")
        }
    }

    /// Every object of every collection, as the answer builder takes them.
    public mutating func snapshot() -> RegistrySnapshot {
        RegistrySnapshot.empty.overlaid(with: packedNamespaces())
    }

    /// Every object of every collection, in no particular order.
    public mutating func objects() -> [RegistryObject] {
        packedNamespaces().flatMap { namespace, objects in objects.objects.objects(namespace: namespace) }
    }

    /// Objects held for `resource`.
    public func count(of resource: WatchedResource) -> Int {
        counts[resource] ?? 0
    }

    private mutating func remember(_ event: WatchEvent, of resource: WatchedResource) {
        if let version = event.resourceVersion {
            resourceVersions[resource] = version
        }
    }
}
