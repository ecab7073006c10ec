import DNSRegistry
import DNSWire
import Dispatch

/// Keeps an `AnswerTable` current change by change: only the namespaces that changed (and those whose answers looked
/// into them) are compiled again; the new table shares every other part with the previous one.
///
/// Every cluster name below a zone's `svc` and `pod` names belongs to one namespace, so the table is made of parts
/// (`AnswerPart`): the apex part (the names above the namespaces in every cluster zone, and the static zones), one
/// part per namespace (its names in every cluster zone, and the PTR names of its addresses), and the PTR names that
/// several namespaces share. A table made from parts of several builds answers every name exactly as a build from
/// scratch does.
///
/// - The apex part holds the SOA serial and is compiled on every build (a few names per zone, plus the static zones).
/// - A namespace's answers depend on other namespaces only through aliases, whose targets are chased at compile time
///   (`NameResolver` records each namespace looked into; the apex counts as `kube-system`, whose kube-dns service
///   gives `ns.dns`); an alias to a reverse name depends on every namespace and is compiled on every build.
/// - A PTR name that addresses in several namespaces point to (two services on one address, hostNetwork pods) is
///   left out of those namespaces' parts and compiled, from their records, into the shared part.
/// - A new configuration or new static zones rebuild everything.
///
/// Used from one thread at a time.
public final class AnswerTableBuilder {
    /// Part numbers of the apex and the shared PTR names; namespaces take the numbers after them.
    static let apexPartNumber = 0
    static let sharedPartNumber = 1

    /// PTR records one namespace gives a shared reverse name.
    struct SharedPointers {
        var authority: Int
        var records: [RecordData]
    }

    /// What is kept of a namespace's part between builds: its number in the table, and what would make it stale.
    struct Fragment {
        var partNumber: Int
        /// Namespaces its answers looked into.
        var dependencies: Set<String>
        var dependsOnEverything: Bool
        /// Its records at shared PTR names, which its part leaves out.
        var sharedPointers: [[UInt8]: SharedPointers]
    }

    /// A part compiled in this build, not yet in a table.
    struct CompiledPart {
        var part: AnswerPart
        var dependencies: Set<String> = []
        var dependsOnEverything = false
        var sharedPointers: [[UInt8]: SharedPointers] = [:]
    }

    /// What the last build did, for the log.
    public struct Statistics: Sendable, Equatable {
        public var namespaces = 0
        /// Namespaces compiled (the rest were shared with the previous table).
        public var compiledNamespaces = 0
        public var sharedPointerNames = 0
        public var wasFull = false
    }

    public private(set) var table: AnswerTable?
    public private(set) var statistics = Statistics()
    private var configuration: AnswerConfiguration?
    private var staticZones: [ZoneFile] = []
    private var fragments: [String: Fragment] = [:]
    /// The namespace of each part number in use (`nil` for the apex, the shared part and free numbers).
    private var partOwners: [String?] = [nil, nil]
    private var freePartNumbers: [Int] = []
    /// Reverse names that several namespaces give PTR records, with those namespaces, sorted.
    private var shared: [[UInt8]: [String]] = [:]

    /// Namespaces compiled at once at most: each group has a `NameResolver` of its own (they cache what they look up).
    let compileConcurrency: Int

    public init() {
        compileConcurrency = 4
    }

    init(compileConcurrency: Int) {
        self.compileConcurrency = compileConcurrency
    }

    /// The table for `snapshot`. `changed` names the namespaces whose objects differ from the previous call's snapshot
    /// (present in one of the two only, or with other objects); `nil` when unknown, which compiles everything.
    /// `serial` is the SOA serial, which the caller grows on every change.
    public func build(
        from snapshot: RegistrySnapshot, configuration: AnswerConfiguration, serial: UInt32, changed: Set<String>?
    ) -> AnswerTable {
        let isFull =
            table == nil || changed == nil || configuration != self.configuration
            || snapshot.staticZones != staticZones
        if isFull {
            table = nil
            fragments = [:]
            partOwners = [nil, nil]
            freePartNumbers = []
            shared = [:]
        }
        let previous = table
        self.configuration = configuration
        staticZones = snapshot.staticZones
        let namespaces = snapshot.sortedNamespaces
        let resolver = NameResolver(snapshot: snapshot, configuration: configuration, serial: serial)

        var stale = Set(isFull ? namespaces : [])
        if !isFull, let changed {
            stale = changed
            for (namespace, fragment) in fragments
            where fragment.dependsOnEverything || !fragment.dependencies.isDisjoint(with: changed) {
                stale.insert(namespace)
            }
            // Whatever the caller says, a namespace without a part, or a part without a namespace, is stale.
            for namespace in namespaces where fragments[namespace] == nil { stale.insert(namespace) }
            for namespace in fragments.keys where !snapshot.contains(namespace: namespace) { stale.insert(namespace) }
        }

        var compiled = compileConcurrently(
            stale.sorted().filter { snapshot.contains(namespace: $0) }, resolver: resolver, snapshot: snapshot,
            configuration: configuration, serial: serial)
        // Owners of PTR names moved: names that became shared or stopped being so change their owners' parts.
        let flipped = updateSharedNames(stale: stale, compiled: compiled, previous: previous, resolver: resolver)
        var recompile: Set<String> = []
        for owners in flipped.values {
            recompile.formUnion(owners)
        }
        for namespace in recompile.sorted() where snapshot.contains(namespace: namespace) {
            compiled[namespace] = compile(namespace: namespace, resolver: resolver)
        }
        var removed: [String] = []
        for namespace in stale where compiled[namespace] == nil && fragments[namespace] != nil {
            removed.append(namespace)
        }

        let apexPart = compileApex(resolver: resolver)
        let sharedPart = compileShared(compiled: compiled, resolver: resolver)
        let authorities = AnswerTable.authorities(
            configuration: configuration, serial: serial, staticAuthorities: resolver.staticAuthorities)
        let built = assemble(
            apex: apexPart, compiled: &compiled, removed: removed, shared: sharedPart, previous: previous,
            serial: serial, configuration: configuration, authorities: authorities)
        table = built
        statistics = Statistics(
            namespaces: namespaces.count, compiledNamespaces: stale.union(recompile).count,
            sharedPointerNames: shared.count, wasFull: isFull)
        return built
    }

    // MARK: - Compiling parts

    /// Compiles `namespaces` in groups on every core: parts are independent of each other, and a full build is a
    /// third of the start. A group has its own resolver (`resolver` is the first group's); `shared` is only read.
    private func compileConcurrently(
        _ namespaces: [String], resolver: NameResolver, snapshot: RegistrySnapshot,
        configuration: AnswerConfiguration, serial: UInt32
    ) -> [String: CompiledPart] {
        let groups = min(namespaces.count, compileConcurrency)
        guard groups > 1 else {
            var compiled: [String: CompiledPart] = [:]
            for namespace in namespaces { compiled[namespace] = compile(namespace: namespace, resolver: resolver) }
            return compiled
        }
        let results = UnsafeMutableBufferPointer<CompiledPart?>.allocate(capacity: namespaces.count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        // Each group writes only the elements of its own namespaces, and `concurrentPerform` returns after the last.
        // `compile` only reads the builder's state (`shared`), and each resolver is used by one group alone.
        nonisolated(unsafe) let slots = results
        nonisolated(unsafe) let builder = self
        nonisolated(unsafe) let firstResolver = resolver
        DispatchQueue.concurrentPerform(iterations: groups) { group in
            let own =
                group == 0
                ? firstResolver : NameResolver(snapshot: snapshot, configuration: configuration, serial: serial)
            for index in stride(from: group, to: namespaces.count, by: groups) {
                slots[index] = builder.compile(namespace: namespaces[index], resolver: own)
            }
        }
        var compiled: [String: CompiledPart] = [:]
        for (index, namespace) in namespaces.enumerated() { compiled[namespace] = results[index] }
        return compiled
    }

    private func compile(namespace: String, resolver: NameResolver) -> CompiledPart {
        resolver.begin(namespace: namespace)
        let collection = resolver.collect(namespace: namespace)
        var compiler = AnswerTable.Compiler(
            collection: collection, ttl: resolver.configuration.ttl, ourZones: resolver.ourZones, resolver: resolver)
        compiler.leaveOutSuffixes(of: namespace)
        var sharedPointers: [[UInt8]: SharedPointers] = [:]
        for index in collection.nodes.indices {
            let node = collection.nodes[index]
            if resolver.isReverse(authority: node.authority) {
                let key = collection.order[index].wire
                if shared[key] != nil {
                    sharedPointers[key] = SharedPointers(authority: node.authority, records: node.records(.ptr))
                    continue
                }
            }
            compiler.compileNode(index)
        }
        compiler.releaseCollection()
        return CompiledPart(
            part: AnswerPart(taking: &compiler), dependencies: resolver.dependencies,
            dependsOnEverything: resolver.dependsOnEverything, sharedPointers: sharedPointers)
    }

    private func compileApex(resolver: NameResolver) -> CompiledPart {
        resolver.begin(namespace: nil)
        var compiler = AnswerTable.Compiler(
            collection: resolver.apex, ttl: resolver.configuration.ttl, ourZones: resolver.ourZones,
            resolver: resolver)
        for index in resolver.apex.nodes.indices {
            compiler.compileNode(index)
        }
        compiler.releaseCollection()
        return CompiledPart(part: AnswerPart(taking: &compiler))
    }

    /// The shared PTR names, in wire-byte order, each with its owners' records in namespace order.
    private func compileShared(compiled: [String: CompiledPart], resolver: NameResolver) -> CompiledPart {
        resolver.begin(namespace: nil)
        var collection = RecordCollection()
        for key in shared.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let name = Name(wireLabels: key[...]) else { continue }
            for owner in shared[key]! {
                guard
                    let pointers = compiled[owner]?.sharedPointers[key] ?? fragments[owner]?.sharedPointers[key]
                else { continue }
                for data in pointers.records {
                    collection.add(data, type: .ptr, at: name, authority: pointers.authority, apex: nil)
                }
            }
        }
        var compiler = AnswerTable.Compiler(
            collection: collection, ttl: resolver.configuration.ttl, ourZones: resolver.ourZones, resolver: resolver)
        for index in collection.nodes.indices {
            compiler.compileNode(index)
        }
        compiler.releaseCollection()
        return CompiledPart(part: AnswerPart(taking: &compiler))
    }

    // MARK: - Shared PTR names

    /// Updates `shared` for the PTR names the `stale` namespaces gained or lost; returns the names that became shared
    /// or stopped being so, with their owners now.
    private func updateSharedNames(
        stale: Set<String>, compiled: [String: CompiledPart], previous: AnswerTable?, resolver: NameResolver
    ) -> [[UInt8]: [String]] {
        if previous == nil {
            shared = Self.sharedPointerNames(of: compiled, resolver: resolver)
            return shared
        }
        var owners: [[UInt8]: [String]] = [:]
        func currentOwners(_ key: [UInt8]) -> [String] {
            if let known = owners[key] ?? shared[key] { return known }
            return previousOwner(of: key, in: previous, resolver: resolver).map { [$0] } ?? []
        }
        for namespace in stale {
            let before = previousPointerNames(of: namespace, in: previous, resolver: resolver)
            let after =
                compiled[namespace].map {
                    pointerNames(of: $0.part, sharedPointers: $0.sharedPointers, resolver: resolver)
                } ?? []
            for key in before where !after.contains(key) {
                owners[key] = currentOwners(key).filter { $0 != namespace }
            }
            for key in after where !before.contains(key) {
                var list = currentOwners(key)
                if !list.contains(namespace) {
                    list.append(namespace)
                    list.sort()
                }
                owners[key] = list
            }
        }
        var flipped: [[UInt8]: [String]] = [:]
        for (key, list) in owners {
            let wasShared = shared[key] != nil
            shared[key] = list.count > 1 ? list : nil
            if wasShared != (list.count > 1) { flipped[key] = list }
        }
        return flipped
    }

    /// The PTR names that more than one of `compiled` holds, with those namespaces, sorted: what `shared` is after a
    /// full build, whose parts were compiled with none shared.
    ///
    /// Found by sorting 12 bytes per PTR name by hash and comparing the names of equal hashes only: a dictionary of
    /// every PTR name with its owners, as an incremental build keeps for the few names it touches, took about 150
    /// bytes per name at the end of a full build (19 MB at 100,000 services), when the memory in use is highest.
    private static func sharedPointerNames(of compiled: [String: CompiledPart], resolver: NameResolver)
        -> [[UInt8]: [String]]
    {
        struct Entry {
            var hash: UInt32
            var namespace: Int32
            var node: Int32
        }
        let namespaces = compiled.keys.sorted()
        let parts = namespaces.map { compiled[$0]!.part }
        var entries: [Entry] = []
        for (number, part) in parts.enumerated() {
            assert(compiled[namespaces[number]]!.sharedPointers.isEmpty, "a full build shares no PTR name")
            for index in part.nodes.indices where resolver.isReverse(authority: Int(part.nodes[index].authority)) {
                entries.append(Entry(hash: part.nodes[index].hash, namespace: Int32(number), node: Int32(index)))
            }
        }
        entries.sort { ($0.hash, $0.namespace) < ($1.hash, $1.namespace) }
        var shared: [[UInt8]: [String]] = [:]
        var runStart = 0
        while runStart < entries.count {
            var runEnd = runStart + 1
            while runEnd < entries.count, entries[runEnd].hash == entries[runStart].hash { runEnd += 1 }
            if runEnd - runStart > 1 {
                // Names of one hash, in namespace order; a namespace holds a name once.
                var owners: [[UInt8]: [String]] = [:]
                for entry in entries[runStart..<runEnd] {
                    let key = parts[Int(entry.namespace)].key(of: Int(entry.node))
                    owners[key, default: []].append(namespaces[Int(entry.namespace)])
                }
                for (key, list) in owners where list.count > 1 { shared[key] = list }
            }
            runStart = runEnd
        }
        return shared
    }

    /// The PTR names `namespace`'s part had in `previous`, and its shared ones.
    private func previousPointerNames(
        of namespace: String, in previous: AnswerTable?, resolver: NameResolver
    ) -> Set<[UInt8]> {
        guard let fragment = fragments[namespace], let previous,
            let part = previous.parts[fragment.partNumber]
        else { return [] }
        return pointerNames(of: part, sharedPointers: fragment.sharedPointers, resolver: resolver)
    }

    /// Every reverse name a namespace has: those in its part, and the shared ones its part leaves out.
    private func pointerNames(
        of part: AnswerPart, sharedPointers: [[UInt8]: SharedPointers], resolver: NameResolver
    ) -> Set<[UInt8]> {
        var names = Set(sharedPointers.keys)
        for index in part.nodes.indices where resolver.isReverse(authority: Int(part.nodes[index].authority)) {
            names.insert(part.key(of: index))
        }
        return names
    }

    /// The one namespace whose part held the PTR name `key` in `previous`.
    private func previousOwner(of key: [UInt8], in previous: AnswerTable?, resolver: NameResolver) -> String? {
        guard let previous, let location = key.withUnsafeBytes({ previous.findNode($0) }),
            resolver.isReverse(authority: Int(previous.node(location).authority)),
            location.part < partOwners.count
        else { return nil }
        return partOwners[location.part]
    }

    // MARK: - Making the table

    /// The previous table's parts with the apex, the shared part, and the compiled and removed namespaces replaced.
    private func assemble(
        apex: CompiledPart, compiled: inout [String: CompiledPart], removed: [String], shared: CompiledPart,
        previous: AnswerTable?, serial: UInt32, configuration: AnswerConfiguration, authorities: [AnswerTable.Authority]
    ) -> AnswerTable {
        var parts = previous?.parts ?? []
        while parts.count < partOwners.count { parts.append(nil) }
        parts[Self.apexPartNumber] = apex.part
        parts[Self.sharedPartNumber] = shared.part
        var replaced: Set<Int> = [Self.apexPartNumber, Self.sharedPartNumber]
        for namespace in removed {
            guard let number = fragments.removeValue(forKey: namespace)?.partNumber else { continue }
            parts[number] = nil
            partOwners[number] = nil
            freePartNumbers.append(number)
            replaced.insert(number)
        }
        for namespace in compiled.keys.sorted() {
            let part = compiled.removeValue(forKey: namespace)!
            let number = fragments[namespace]?.partNumber ?? takePartNumber(for: namespace)
            if number == parts.count { parts.append(nil) }
            parts[number] = part.part
            replaced.insert(number)
            fragments[namespace] = Fragment(
                partNumber: number, dependencies: part.dependencies, dependsOnEverything: part.dependsOnEverything,
                sharedPointers: part.sharedPointers)
        }
        return AnswerTable(
            serial: serial, configuration: configuration, authorities: authorities, parts: parts, previous: previous,
            replaced: replaced)
    }

    private func takePartNumber(for namespace: String) -> Int {
        if let number = freePartNumbers.popLast() {
            partOwners[number] = namespace
            return number
        }
        partOwners.append(namespace)
        return partOwners.count - 1
    }
}
