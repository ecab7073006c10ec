import DNSWire
import Foundation
import Logging
import Synchronization

/// The manifests in a directory tree, as a registry: the bundled `zones/`, or a ConfigMap mounted into the pod.
///
/// Every `*.yaml`, `*.yml` and `*.json` below the directory counts, and `*.zone` master files (named after their
/// zone). Names starting with a dot are not listed, but symlinks are followed: a ConfigMap volume shows each key as
/// `name -> ..data/name`, with `..data` a link to a hidden timestamped directory that Kubernetes swaps atomically on
/// update. A file reached by two names is read once.
///
/// Each `scan()` stats every file and re-reads only those whose fingerprint changed. A file that fails to parse keeps
/// contributing its last good objects (none if it never parsed), so a half-saved edit doesn't empty the cluster;
/// its error is logged once per distinct content. When files declare the same object, the file whose path sorts
/// last wins, with a warning.
public final class ManifestDirectory: Sendable {
    public let path: String
    private let logger: Logger
    private let state = Mutex(State())

    /// Larger than any real manifest set (the API server caps one object at 1.5 MB); bounds what a scan holds in
    /// memory when something else lands in the directory.
    public static let maxFileSize: Int64 = 64 << 20
    /// Far deeper than any ConfigMap volume or hand-made tree; stops a pathological tree from making scans slow.
    public static let maxDirectoryDepth = 32
    /// How recent a modification time must be for a file to be read again on the next scan whatever its
    /// fingerprint: file times come from a clock that ticks every few milliseconds on Linux (every 2 s on FAT), so
    /// two writes of the same size within one tick leave the same fingerprint.
    static let racyWindowSeconds: Int64 = 2
    static let manifestExtensions: Set<String> = ["yaml", "yml", "json", "zone"]

    public init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    private struct State {
        var files: [String: FileState] = [:]
        /// `nil` until the first scan.
        var snapshot: RegistrySnapshot?
        /// The files that declare objects of each group, so that a changed file merges again only the groups it
        /// touched (before or after the change).
        var contributors: [MergeGroup: Set<String>] = [:]
        /// Descriptions of the duplicate definitions already warned about, per group, so that each is logged once.
        var warnedDuplicates: [MergeGroup: Set<String>] = [:]
    }

    private struct FileState {
        var fingerprint: FileFingerprint
        /// The bytes last read, hashed, to tell a rewrite with the same content from a real change.
        var contentHash: Int?
        /// Modified so recently that a write within the same timestamp tick could still follow unseen: the next
        /// scan reads the file again even if its fingerprint didn't move (git's "racy clean" problem).
        var racy = false
        /// What the file declared when it last parsed, by group; empty when it never did.
        var declarations: [MergeGroup: DeclaredGroup] = [:]
        var error: ManifestError?
        /// The content whose error was last logged, so that a file that fails the same way is not logged again.
        var loggedErrorContent: Int?
    }

    /// The unit of an incremental merge: a namespace (its Namespace object included), or the master files.
    enum MergeGroup: Hashable {
        case namespace(String)
        case staticZones

        init(_ key: RegistryObjectKey) {
            self = key.kind == "Zone" ? .staticZones : .namespace(RegistryChange.namespace(of: key))
        }
    }

    /// Reads what changed since the last scan and returns the registry. Cheap when nothing changed: one `stat` per
    /// file and directory, and no reads but of files modified in the last `racyWindowSeconds`.
    public func scan() throws(ManifestDirectoryError) -> ManifestScan {
        var listing = try list()
        return state.withLock { state in
            var parsedFiles = 0
            var readFiles = 0
            /// The groups whose files changed: they are merged again.
            var touched: Set<MergeGroup> = []
            let now = Int64(Date().timeIntervalSince1970)
            var pending: [(path: String, fingerprint: FileFingerprint, known: FileState?)] = []
            for (path, fingerprint) in listing.files {
                let known = state.files[path]
                if let known, known.fingerprint == fingerprint, !known.racy { continue }
                pending.append((path, fingerprint, known))
            }
            // Each file is read, hashed and parsed by one worker, which drops its text when done: at start-up the
            // manifests' text (60 MB at 100,000 services) is never all in memory at once.
            let outcomes = Self.concurrentMap(pending.count) {
                index -> (contentHash: Int?, parsed: Result<[MergeGroup: DeclaredGroup], ManifestError>?) in
                let (path, fingerprint, known) = pending[index]
                let content = Self.read(path: path, size: fingerprint.size)
                let contentHash = try? Self.hash(content.get())
                if known != nil, contentHash != nil, contentHash == known?.contentHash {
                    // Touched, or re-checked while racy, but the same bytes: nothing to parse.
                    return (contentHash: contentHash, parsed: nil)
                }
                return (contentHash: contentHash, parsed: Self.parse(path: path, content: content))
            }
            readFiles += pending.count
            for (index, entry) in pending.enumerated() {
                let path = entry.path
                var file = entry.known ?? FileState(fingerprint: entry.fingerprint)
                file.fingerprint = entry.fingerprint
                file.racy = entry.fingerprint.modified.seconds >= now - Self.racyWindowSeconds
                let (contentHash, parsed) = outcomes[index]
                guard let parsed else {
                    state.files[path] = file
                    continue
                }
                file.contentHash = contentHash
                parsedFiles += 1
                let before = Set(file.declarations.keys)
                load(path: path, outcome: parsed, into: &file)
                let after = Set(file.declarations.keys)
                for group in before.subtracting(after) { state.contributors[group]?.remove(path) }
                for group in after.subtracting(before) { state.contributors[group, default: []].insert(path) }
                touched.formUnion(before.union(after))
                state.files[path] = file
            }
            let listed = Set(listing.files.map(\.path))
            for (path, file) in state.files where !listed.contains(path) {
                for group in file.declarations.keys {
                    state.contributors[group]?.remove(path)
                    touched.insert(group)
                }
                state.files[path] = nil
                logger.info("manifest file removed", metadata: ["path": "\(path)"])
            }

            let first = state.snapshot == nil
            var snapshot = state.snapshot ?? .empty
            var change = first ? RegistryChange.everything : .none
            merge(touched, of: &state, into: &snapshot, change: &change)
            state.snapshot = snapshot
            listing.errors += state.files.keys.sorted().compactMap { state.files[$0]?.error }
            var scan = ManifestScan(
                changed: first || !change.isEmpty, snapshot: snapshot, errors: listing.errors,
                files: listing.files.count, parsedFiles: parsedFiles)
            scan.change = change
            scan.readFiles = readFiles
            return scan
        }
    }

    // MARK: - Reading

    private static func read(path: String, size: Int64) -> Result<Data, ManifestError> {
        guard size <= Self.maxFileSize else {
            return .failure(ManifestError(path: path, line: 0, reason: "is larger than \(Self.maxFileSize >> 20) MiB"))
        }
        do {
            return .success(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            return .failure(ManifestError(path: path, line: 0, reason: "cannot be read: \(error.localizedDescription)"))
        }
    }

    /// A hash of every byte (`Data`'s own hash looks at 80 bytes at most).
    private static func hash(_ data: Data) -> Int {
        var hasher = Hasher()
        data.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }

    /// `transform` of `0..<count` on every core, in order: at start-up, reading the manifests is most of the time to
    /// the first answer, and files are independent of each other.
    static func concurrentMap<Element>(_ count: Int, _ transform: (Int) -> Element) -> [Element] {
        guard count > 1 else { return (0..<count).map(transform) }
        let results = UnsafeMutableBufferPointer<Element?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        // Each iteration writes only its own element, and `concurrentPerform` returns after the last one.
        nonisolated(unsafe) let slots = results
        withoutActuallyEscaping(transform) { transform in
            nonisolated(unsafe) let transform = transform
            DispatchQueue.concurrentPerform(iterations: count) { index in
                slots[index] = transform(index)
            }
        }
        return results.map { $0! }
    }

    /// One file's declarations, grouped as the merge takes them; pure, so files can be parsed in parallel.
    static func parse(
        path: String, content: Result<Data, ManifestError>
    ) -> Result<[MergeGroup: DeclaredGroup], ManifestError> {
        do throws(ManifestError) {
            let text = try text(of: try content.get(), path: path)
            let declarations =
                path.lowercased().hasSuffix(".zone")
                ? [try zoneDeclaration(text, path: path)] : try ManifestParser.declarations(in: text, path: path)
            return .success(Dictionary(grouping: declarations) { MergeGroup($0.key) }.mapValues(DeclaredGroup.init))
        } catch {
            return .failure(error)
        }
    }

    private func load(
        path: String, outcome: Result<[MergeGroup: DeclaredGroup], ManifestError>, into file: inout FileState
    ) {
        switch outcome {
        case .success(let declarations):
            if let previous = file.error {
                logger.notice("manifest file fixed", metadata: ["path": "\(path)", "was": "\(previous.reason)"])
            }
            file.declarations = declarations
            file.error = nil
            file.loggedErrorContent = nil
        case .failure(let error):
            file.error = error
            var hasher = Hasher()
            hasher.combine(error)
            hasher.combine(file.contentHash)
            let errorContent = hasher.finalize()
            if file.loggedErrorContent != errorContent {
                file.loggedErrorContent = errorContent
                let kept = file.declarations.isEmpty ? "it contributes no objects" : "keeping its last good objects"
                logger.error("\(error) (\(kept))")
            }
        }
    }

    /// A master file named after its zone (`example.org.zone` holds `example.org.`), as CoreDNS's `file` plugin is
    /// given the origin beside the file; `$ORIGIN` in the file still applies to the names after it.
    static func zoneDeclaration(_ text: String, path: String) throws(ManifestError) -> ManifestParser.Declaration {
        let fileName = String(path.split(separator: "/").last ?? "")
        let originText = String(fileName.dropLast(".zone".count))
        guard !originText.isEmpty, let origin = try? Name(originText) else {
            throw ManifestError(path: path, line: 0, reason: "is not named after its zone (like example.org.zone)")
        }
        do {
            let zone = try ZoneFile(parsing: text, origin: origin)
            let object = RegistryObject.staticZone(zone)
            return ManifestParser.Declaration(key: object.key, line: 1, objects: [object])
        } catch {
            throw ManifestError(path: path, line: error.line, reason: error.reason)
        }
    }

    /// The file as UTF-8 text, as YAML 1.2 and JSON require; the first bad byte is reported with its line.
    private static func text(of content: Data, path: String) throws(ManifestError) -> String {
        let bytes = [UInt8](content)
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var line = 1
        // Find the first invalid sequence by decoding until the decoder fails.
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1 }
            case .emptyInput, .error:
                break decoding
            }
        }
        throw ManifestError(path: path, line: line, reason: "is not UTF-8 text")
    }

    // MARK: - Merging

    /// Merges each group in `groups` again from the files that declare objects in it, later paths replacing earlier
    /// ones' definitions of the same object, and puts the result into `snapshot`; the namespaces whose objects
    /// differ from before are added to `change` (a change of master files alone changes no namespace, but is
    /// `.everything`).
    private func merge(
        _ groups: Set<MergeGroup>, of state: inout State, into snapshot: inout RegistrySnapshot,
        change: inout RegistryChange
    ) {
        var newDuplicates: [String] = []
        for group in groups {
            /// The path whose definition of each object wins.
            var owners: [RegistryObjectKey: String] = [:]
            var duplicated: Set<RegistryObjectKey> = []
            let paths = (state.contributors[group] ?? []).sorted()
            if paths.isEmpty { state.contributors[group] = nil }
            for path in paths {
                for site in state.files[path]!.declarations[group]?.declarationSites ?? []
                where owners.updateValue(path, forKey: site.key) != nil {
                    duplicated.insert(site.key)
                }
            }
            var duplicates: Set<String> = []
            if !duplicated.isEmpty {
                /// `path:line` of every definition, in path order.
                var definedAt: [RegistryObjectKey: [String]] = [:]
                for path in paths {
                    let sites = state.files[path]!.declarations[group]?.declarationSites ?? []
                    for site in sites where duplicated.contains(site.key) {
                        definedAt[site.key, default: []].append("\(path):\(site.line)")
                    }
                }
                for (key, places) in definedAt {
                    duplicates.insert(
                        "\(key) is defined more than once (\(places.joined(separator: ", "))); the one at "
                            + "\(places.last!) wins")
                }
            }
            newDuplicates += duplicates.subtracting(state.warnedDuplicates[group] ?? [])
            state.warnedDuplicates[group] = duplicates.isEmpty ? nil : duplicates
            let declared = paths.compactMap { state.files[$0]?.declarations[group] }
            /// Every winning definition, ordered by key.
            func mergedObjects() -> [RegistryObject] {
                var unpacked: [String: NamespaceObjects] = [:]
                return owners.keys.sorted().flatMap { key in
                    let path = owners[key]!
                    let declared = state.files[path]!.declarations[group]!
                    if unpacked[path] == nil { unpacked[path] = declared.objects.objects }
                    return declared.objects(declaredAs: key, unpacked: unpacked[path]!)
                }
            }
            switch group {
            case .staticZones:
                let zones = RegistrySnapshot(objects: mergedObjects()).staticZones
                if zones != snapshot.staticZones {
                    snapshot.replaceStaticZones(with: zones)
                    change = .everything
                }
            case .namespace(let namespace):
                // One file's objects are what merging them alone gives: the snapshot shares them.
                let merged =
                    declared.count == 1
                    ? declared[0].objects : PackedNamespace(NamespaceObjects(objects: mergedObjects()))
                let old = snapshot.packedObjects(in: namespace)
                if old != (merged.isEmpty ? nil : merged) { change.insert(namespace) }
                snapshot.replace(namespace: namespace, with: merged)
            }
        }
        for duplicate in newDuplicates.sorted() {
            logger.warning("\(duplicate)")
        }
    }
}
