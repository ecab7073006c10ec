import DNSKubernetes
import DNSRegistry
import Foundation
import Logging
import Synchronization

/// The Kubernetes API as a registry source: one `ResourceWatcher` thread per collection keeps a `KubernetesRegistry`
/// current, and `onChange` tells the owner (the control loop) to compile new answers.
///
/// Once every collection has been listed the source is synced, and stays so: an outage or a broken watch keeps the
/// last data, and `status.staleSince` says since when they may be out of date.
public final class KubernetesSource: Sendable {
    public struct Status: Sendable, Equatable {
        public var isSynced = false
        /// Since when some collection has had no working watch (the data may miss changes made since); `nil` while
        /// every watch is up.
        public var staleSince: ContinuousClock.Instant?
        public var objects: [WatchedResource: Int] = [:]
        /// Lists started again after a 410 (the resume point expired).
        public var relists: [WatchedResource: Int] = [:]
        /// Failed requests and broken watches.
        public var failures: [WatchedResource: Int] = [:]
    }

    private struct State {
        var registry: KubernetesRegistry
        /// Bumped on every change of the objects.
        var generation = 0
        var status = Status()
        /// Per collection, since when its watch has been down (absent: up, or never connected yet).
        var brokenSince: [WatchedResource: ContinuousClock.Instant] = [:]
    }

    public let settings: WatchSettings
    private let client: APIClient
    private let logger: Logger
    private let onChange: @Sendable () -> Void
    private let state: Mutex<State>
    private let watchers = Mutex<[ResourceWatcher]>([])

    public init(
        client: APIClient, settings: WatchSettings, logger: Logger, onChange: @escaping @Sendable () -> Void
    ) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.onChange = onChange
        state = Mutex(State(registry: KubernetesRegistry(resources: settings.resources)))
    }

    /// Starts listing and watching; returns at once (the first lists complete in the background).
    public func start() {
        let started = WatchedResource.allCases.filter(settings.resources.contains).map {
            ResourceWatcher(resource: $0, client: client, settings: settings, source: self, logger: logger)
        }
        watchers.withLock { $0 = started }
        logger.info(
            "watching the Kubernetes API",
            metadata: [
                "server": "\(client.access.server)",
                "resources": "\(started.map(\.resource.rawValue).joined(separator: ","))",
            ])
        started.forEach { $0.start() }
    }

    /// Stops every watcher and waits for their threads.
    public func stop() {
        let running = watchers.withLock { $0 }
        running.forEach { $0.stop() }
        running.forEach { $0.join() }
    }

    public var status: Status {
        state.withLock { $0.status }
    }

    /// True once every collection has been listed.
    public var isSynced: Bool {
        state.withLock { $0.status.isSynced }
    }

    /// Every object by namespace (the registry's own, shared), with a number that changes whenever they do.
    public func current() -> (generation: Int, namespaces: [String: PackedNamespace]) {
        state.withLock { ($0.generation, $0.registry.packedNamespaces()) }
    }

    /// What changed since the last call (everything the first time, and after a collection is listed again), with
    /// the objects of every namespace it names (`nil` with `.everything`: read them all with `current()`).
    public func takeChanges() -> (generation: Int, change: RegistryChange, namespaces: [String: PackedNamespace]?) {
        state.withLock { state in
            let change = state.registry.takeChanges()
            // Also the namespaces events unpacked without changing them.
            state.registry.packNamespaces()
            guard case .namespaces(let namespaces) = change else { return (state.generation, change, nil) }
            return (state.generation, change, Self.objects(inNamespaces: namespaces, of: &state.registry))
        }
    }

    /// The objects of each namespace in `namespaces` (empty where the API has none).
    public func objects(inNamespaces namespaces: some Sequence<String>) -> [String: PackedNamespace] {
        state.withLock { Self.objects(inNamespaces: namespaces, of: &$0.registry) }
    }

    private static func objects(inNamespaces namespaces: some Sequence<String>, of registry: inout KubernetesRegistry)
        -> [String: PackedNamespace]
    {
        var objects: [String: PackedNamespace] = [:]
        for namespace in namespaces {
            objects[namespace] = registry.packedObjects(inNamespace: namespace)
        }
        return objects
    }

    // MARK: - From the watchers

    func resourceVersion(of resource: WatchedResource) -> String? {
        state.withLock { $0.registry.resourceVersions[resource] }
    }

    /// Applies a list page; returns the continue token, `nil` after the last page.
    func applyListPage(_ body: [UInt8], of resource: WatchedResource, isFirst: Bool) throws(APIError) -> String? {
        // Decoded outside the lock: the watchers of other collections decode their pages meanwhile.
        let outcome = Result { () throws(KubernetesRegistry.ListError) in
            let decoded = try KubernetesRegistry.decodeListPage(body, of: resource)
            return state.withLock { state in
                let page = state.registry.apply(decoded, of: resource, isFirst: isFirst)
                if page.continueToken == nil {
                    state.generation += 1
                    state.status.isSynced = state.registry.isSynced
                    state.status.objects[resource] = state.registry.count(of: resource)
                }
                return page
            }
        }
        switch outcome {
        case .success(let page):
            for reason in page.skipped {
                logger.warning("skipped a \(resource.kind) from the API: \(reason)")
            }
            if page.continueToken == nil {
                logger.info("listed \(resource.rawValue)", metadata: ["objects": "\(status.objects[resource] ?? 0)"])
                onChange()
            }
            return page.continueToken
        case .failure(.status(let status)):
            throw .status(code: status.code, status)
        case .failure:
            throw .protocolError("the \(resource.rawValue) list is not a JSON list")
        }
    }

    func apply(line: [UInt8], of resource: WatchedResource) -> KubernetesRegistry.Outcome {
        let event: WatchEvent
        do {
            event = try WatchEvent(line: line, resource: resource)
        } catch {
            logger.warning("skipped a \(resource.kind) watch event: \(error)")
            return .skipped("\(error)")
        }
        let outcome = state.withLock { state in
            let outcome = state.registry.apply(event, of: resource)
            if outcome == .changed {
                state.generation += 1
                state.status.objects[resource] = state.registry.count(of: resource)
            }
            return outcome
        }
        switch outcome {
        case .changed: onChange()
        case .skipped(let reason): logger.warning("skipped a \(resource.kind) watch event: \(reason)")
        default: break
        }
        return outcome
    }

    /// A watch is established: the collection is current again.
    func watching(_ resource: WatchedResource) {
        let brokenSince = state.withLock { state in
            let since = state.brokenSince.removeValue(forKey: resource)
            state.status.staleSince = state.brokenSince.values.min()
            return since
        }
        if let brokenSince {
            logger.notice(
                "the \(resource.rawValue) watch is back; its data had been stale for \(Self.format(ContinuousClock.now - brokenSince))"
            )
        }
    }

    func relisting(_ resource: WatchedResource) {
        state.withLock { $0.status.relists[resource, default: 0] += 1 }
        logger.notice("the \(resource.rawValue) watch's resourceVersion expired: listing again")
    }

    /// The server refused to list a dispensable collection (403): answer without it. True the first time.
    @discardableResult
    func forbidden(_ resource: WatchedResource) -> Bool {
        let news = state.withLock { state in
            guard state.registry.forbidden(resource) else { return false }
            state.generation += 1
            state.status.isSynced = state.registry.isSynced
            return true
        }
        guard news else { return false }
        logger.error(
            "Kubernetes API: listing \(resource.rawValue) is forbidden (403); answering without them: a namespace with no services, slices or pods is NXDOMAIN. Grant list and watch on \(resource.rawValue) (deploy/clusterrole.yaml)"
        )
        onChange()
        return true
    }

    func failed(_ resource: WatchedResource, error: APIError, retryingAfter wait: Duration) {
        let (synced, staleFor) = state.withLock { state in
            let now = ContinuousClock.now
            if state.brokenSince[resource] == nil { state.brokenSince[resource] = now }
            state.status.staleSince = state.brokenSince.values.min()
            state.status.failures[resource, default: 0] += 1
            return (state.status.isSynced, now - (state.status.staleSince ?? now))
        }
        let serving =
            synced
            ? "serving the last data (stale for \(Self.format(staleFor)))"
            : "not synced yet: cluster names get SERVFAIL"
        logger.error("Kubernetes API: \(resource.rawValue): \(error); retrying in \(Self.format(wait)); \(serving)")
    }

    static func format(_ duration: Duration) -> String {
        String(format: "%.1fs", duration.seconds)
    }
}
