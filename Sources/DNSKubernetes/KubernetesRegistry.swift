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
    private var objectsByKey: [WatchedResource: [RegistryObjectKey: [RegistryObject]]] = [:]
    /// The keys of every collection's objects, by the namespace they count as in (`RegistryChange.namespace(of:)`).
    private var keysByNamespace: [String: Set<RegistryObjectKey>] = [:]
    /// What changed since the last `takeChanges()`.
    private var pendingChange = RegistryChange.everything
    private var listed: Set<WatchedResource> = []
    /// Pages of a paginated list read so far, per collection.
    private var pendingLists: [WatchedResource: [RegistryObjectKey: [RegistryObject]]] = [:]
    /// Per collection, where its watch resumes.
    public private(set) var resourceVersions: [WatchedResource: String] = [:]

    public init(resources: Set<WatchedResource>) {
        self.resources = resources
    }

    /// True once every collection has been listed: until then cluster names are SERVFAIL and `/ready` is 503.
    public var isSynced: Bool { listed == resources }

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
        var objects: [RegistryObjectKey: [RegistryObject]]
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
            objects: [:], continueToken: token?.isEmpty == false ? token : nil,
            resourceVersion: list.string(at: ["metadata", "resourceVersion"]), skipped: [])
        guard body[items.lowerBound] == UInt8(ascii: "[") else { return page }  // "items": null
        if let objects = try? ManifestParser.parse(
            String(decoding: body, as: UTF8.self), path: "\(resource.rawValue) list")
        {
            for object in objects where object.key.kind == resource.kind {
                page.objects[object.key, default: []].append(object)
            }
            return page
        }
        for item in list.elements(at: ["items"]) ?? [] {
            let scanner = JSONScanner(Array(body[item]))
            let name = scanner.string(at: ["metadata", "name"])
            do {
                let converted = try WatchEvent.registryObjects(
                    scanner.bytes, resource: resource, name: name ?? "?")
                if !converted.isEmpty {
                    let key = WatchEvent.key(
                        name: name, namespace: scanner.string(at: ["metadata", "namespace"]), resource: resource)
                    page.objects[key] = converted
                }
            } catch {
                page.skipped.append("\(error)")
            }
        }
        return page
    }

    /// Applies a decoded page (see `applyListPage`).
    public mutating func apply(_ page: DecodedListPage, of resource: WatchedResource, isFirst: Bool) -> ListPage {
        var fresh = isFirst ? [:] : pendingLists[resource] ?? [:]
        fresh.merge(page.objects) { _, new in new }
        if let token = page.continueToken {
            pendingLists[resource] = fresh
            return ListPage(continueToken: token, skipped: page.skipped)
        }
        pendingLists[resource] = nil
        for key in (objectsByKey[resource] ?? [:]).keys {
            keysByNamespace[RegistryChange.namespace(of: key), default: []].remove(key)
        }
        for key in fresh.keys {
            keysByNamespace[RegistryChange.namespace(of: key), default: []].insert(key)
        }
        objectsByKey[resource] = fresh
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
            guard !converted.isEmpty else {
                // Nothing DNS uses any more (an FQDN slice, a slice without its service label): drop any older copy.
                return remove(event.key, of: resource)
            }
            let previous = objectsByKey[resource, default: [:]].updateValue(converted, forKey: event.key)
            guard previous != converted else { return .unchanged }
            let namespace = RegistryChange.namespace(of: event.key)
            keysByNamespace[namespace, default: []].insert(event.key)
            pendingChange.insert(namespace)
            return .changed
        }
    }

    private mutating func remove(_ key: RegistryObjectKey, of resource: WatchedResource) -> Outcome {
        guard objectsByKey[resource, default: [:]].removeValue(forKey: key) != nil else { return .unchanged }
        let namespace = RegistryChange.namespace(of: key)
        keysByNamespace[namespace]?.remove(key)
        if keysByNamespace[namespace]?.isEmpty == true { keysByNamespace[namespace] = nil }
        pendingChange.insert(namespace)
        return .changed
    }

    /// What changed since the last call (everything, the first time).
    public mutating func takeChanges() -> RegistryChange {
        defer { pendingChange = .none }
        return pendingChange
    }

    /// The objects of every collection that count as in `namespace`.
    public func objects(inNamespace namespace: String) -> [RegistryObject] {
        var all: [RegistryObject] = []
        for key in keysByNamespace[namespace] ?? [] {
            for resource in WatchedResource.allCases {
                all += objectsByKey[resource]?[key] ?? []
            }
        }
        return all
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
    public var snapshot: RegistrySnapshot {
        RegistrySnapshot(objects: objects)
    }

    /// Every object of every collection, in no particular order (`RegistrySnapshot` sorts).
    public var objects: [RegistryObject] {
        var all: [RegistryObject] = []
        for resource in WatchedResource.allCases {
            for (_, converted) in objectsByKey[resource] ?? [:] {
                all += converted
            }
        }
        return all
    }

    /// Objects held for `resource`.
    public func count(of resource: WatchedResource) -> Int {
        objectsByKey[resource]?.count ?? 0
    }

    private mutating func remember(_ event: WatchEvent, of resource: WatchedResource) {
        if let version = event.resourceVersion {
            resourceVersions[resource] = version
        }
    }
}
