import DNSAnswer
import DNSEventLoop
import DNSKubernetesClient
import DNSRegistry
import Foundation
import Logging

/// Reads the manifest directory and the Kubernetes API source, and compiles a new answer table when what they describe
/// has changed. Objects from the API win over manifests that declare the same object.
///
/// Used from one thread at a time: the starting thread for the first load, then only the control loop.
final class ZoneReloader {
    /// What the registry holds and how loading went, for `/ready` and `/metrics`.
    struct Statistics {
        var services = 0
        var endpointSlices = 0
        var pods = 0
        var namespaces = 0
        var manifestFiles = 0
        var failingFiles = 0
        /// Tables compiled and published.
        var reloads = 0
        /// Scans that found a broken file or could not read the directory.
        var reloadErrors = 0
        /// When the last scan that read the directory finished (seconds since 1970).
        var lastGoodScan: Double = 0
        var serial: UInt32 = 0
    }

    private var directory: ManifestDirectory?
    private(set) var directoryPath: String?
    private let kubernetes: KubernetesSource?
    /// The API source's generation the current table was built from.
    private var builtGeneration = -1
    private var configuration: AnswerConfiguration
    /// Set when the answer configuration changed: the next reload compiles a table even if no file changed.
    private var rebuildPending = false
    private let logger: Logger
    private var serial = SOASerial()
    private(set) var statistics = Statistics()
    /// Keeps the table current namespace by namespace.
    private let builder = AnswerTableBuilder()
    /// The manifests' objects as last scanned, and those overlaid with the API's: what the table was built from.
    private var manifests = RegistrySnapshot.empty
    private var merged = RegistrySnapshot.empty
    /// What the manifest scans reported since `manifests` was last taken from one.
    private var manifestChange = RegistryChange.none

    init(path: String?, configuration: AnswerConfiguration, kubernetes: KubernetesSource? = nil, logger: Logger) {
        directory = path.map { ManifestDirectory(path: $0, logger: logger) }
        directoryPath = path
        self.kubernetes = kubernetes
        self.configuration = configuration
        self.logger = logger
    }

    /// Takes a reloaded configuration: new answer settings are compiled into the next table, a new directory is read
    /// from scratch.
    func update(configuration newConfiguration: AnswerConfiguration, zonesDirectory: String?) {
        if newConfiguration != configuration {
            configuration = newConfiguration
            rebuildPending = true
        }
        if zonesDirectory != directoryPath {
            directory = zonesDirectory.map { ManifestDirectory(path: $0, logger: logger) }
            directoryPath = zonesDirectory
            rebuildPending = true
        }
    }

    /// A new table when the registry changed since the last call (always on the first), else `nil`. With the API as
    /// a source, nothing is built until its first lists are complete: until then cluster names get SERVFAIL.
    func reload() throws -> AnswerTable? {
        let scan: ManifestScan
        do {
            scan =
                try directory?.scan()
                ?? ManifestScan(
                    changed: false, snapshot: .empty, errors: [], files: 0, parsedFiles: 0)
        } catch {
            statistics.reloadErrors += 1
            throw error
        }
        statistics.lastGoodScan = Date().timeIntervalSince1970
        statistics.manifestFiles = scan.files
        if !scan.errors.isEmpty, scan.errors.count != statistics.failingFiles || scan.changed {
            statistics.reloadErrors += 1
        }
        statistics.failingFiles = scan.errors.count
        // The namespaces that differ from what the last table was built from; `nil`: everything.
        var changed: Set<String>? = []
        if rebuildPending || statistics.reloads == 0 { changed = nil }
        if scan.changed { manifestChange.formUnion(scan.change) }
        // Also a change an earlier scan saw but no table was built from (the API source was not yet synced).
        let manifestsChanged = !manifestChange.isEmpty
        let manifestChanges: Set<String>
        switch manifestChange {
        case .namespaces(let namespaces): manifestChanges = namespaces
        case .everything: manifestChanges = scan.snapshot.changedNamespaces(from: manifests)
        }
        var apiChanged = false
        if let kubernetes {
            guard kubernetes.isSynced else { return nil }
            let (generation, change, objects) = kubernetes.takeChanges()
            apiChanged = generation != builtGeneration || !change.isEmpty
            builtGeneration = generation
            if case .namespaces(let namespaces) = change, changed != nil {
                // Only the namespaces either source changed are overlaid again.
                let apiObjects = objects ?? [:]
                let others = kubernetes.objects(inNamespaces: manifestChanges.subtracting(namespaces))
                manifests = scan.snapshot
                manifestChange = .none
                merged.replaceStaticZones(with: manifests.staticZones)
                for namespace in namespaces.union(manifestChanges) {
                    merged.replace(
                        namespace: namespace,
                        with: RegistrySnapshot.overlay(
                            namespace: namespace, base: manifests,
                            with: apiObjects[namespace] ?? others[namespace]))
                }
                changed?.formUnion(namespaces.union(manifestChanges))
            } else if manifestsChanged || apiChanged || changed == nil {
                let fresh = scan.snapshot.overlaid(with: kubernetes.current().namespaces)
                changed = changed.map { _ in fresh.changedNamespaces(from: merged) }
                manifests = scan.snapshot
                manifestChange = .none
                merged = fresh
            }
        } else if manifestsChanged || changed == nil {
            changed?.formUnion(manifestChanges)
            manifests = scan.snapshot
            manifestChange = .none
            merged = scan.snapshot
        }
        guard manifestsChanged || apiChanged || changed == nil else { return nil }
        rebuildPending = false
        let snapshot = merged
        if changed == nil {
            // A full build is when memory in use peaks: what the sources freed first (an API list's decoded pages, in
            // its watchers' malloc arenas, which the build's threads don't reuse) goes back to the kernel before.
            ProcessMemory.returnFreedPages()
        }
        let started = ContinuousClock.now
        let table = builder.build(
            from: snapshot, configuration: configuration,
            serial: serial.next(secondsSinceEpoch: UInt64(Date().timeIntervalSince1970)), changed: changed)
        statistics.reloads += 1
        statistics.services = snapshot.serviceCount
        statistics.endpointSlices = snapshot.endpointSliceCount
        statistics.pods = snapshot.podCount
        statistics.namespaces = snapshot.namespaces.count
        statistics.serial = table.serial
        logger.info(
            "registry loaded",
            metadata: [
                "services": "\(snapshot.serviceCount)",
                "endpointslices": "\(snapshot.endpointSliceCount)",
                "pods": "\(snapshot.podCount)", "names": "\(table.nameCount)", "serial": "\(table.serial)",
                "namespaces": "\(builder.statistics.namespaces)",
                "compiled": "\(builder.statistics.wasFull ? "all" : "\(builder.statistics.compiledNamespaces)")",
                "files": "\(scan.files)", "errors": "\(scan.errors.count)",
                "build": "\(ContinuousClock.now - started)",
            ])
        return table
    }
}
