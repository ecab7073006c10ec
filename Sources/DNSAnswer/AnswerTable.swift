import DNSWire

/// Every answer of the cluster zones, compiled into wire bytes, indexed by lowercased owner name.
///
/// Built off the event loop when the registry changes (`AnswerTable.build`), then only read: a worker looks a name up
/// without allocating, locking or touching `String`. Immutable after `init`, so it is safe to share between threads.
public final class AnswerTable: @unchecked Sendable {
    /// SOA timers as CoreDNS's kubernetes plugin sets them (RFC 1912 §2.2 ranges).
    static let soaRefresh: UInt32 = 7200
    static let soaRetry: UInt32 = 1800
    static let soaExpire: UInt32 = 86400

    /// A zone this table speaks for: a cluster zone or a static zone from a master file (NXDOMAIN below it when a name
    /// is missing), or a reverse zone (only its exact PTR names; other names are not ours).
    struct Authority {
        /// Lowercased wire form of the apex.
        var apex: [UInt8]
        /// True for cluster and static zones: every name below the apex is ours, so a missing one is NXDOMAIN.
        var isClusterZone: Bool
        /// The zone's SOA record for negative answers (RFC 2308 §3), with its owner (and, for cluster zones, the
        /// names inside it) written as compression pointers whose value is patched to the apex's offset per reply.
        var negativeSOA: [UInt8]
        var pointerPatchOffsets: [Int]
    }

    /// 16 bytes (a test holds it to that): a table holds one per name.
    struct Node {
        var keyStart: UInt32
        var hash: UInt32
        var answersStart: UInt32
        var keyLength: UInt8
        var authority: UInt8
        var answersCount: UInt8
        /// `isAlias` in bit 0; the namespace suffix the key leaves out in bits 1-2 (`NamespaceSuffix`).
        private var flags: UInt8

        init(
            keyStart: UInt32, hash: UInt32, answersStart: UInt32, keyLength: UInt8, authority: UInt8,
            answersCount: UInt8, isAlias: Bool, suffix: NamespaceSuffix = .none
        ) {
            self.keyStart = keyStart
            self.hash = hash
            self.answersStart = answersStart
            self.keyLength = keyLength
            self.authority = authority
            self.answersCount = answersCount
            flags = (isAlias ? 1 : 0) | suffix.rawValue << 1
        }

        /// An alias: its first answer is the CNAME, used for every type without an answer of its own. Otherwise a
        /// type without an answer is NODATA, and ANY at a name with one answer is that answer's answer records
        /// (`answerLocation(node:type:)`).
        var isAlias: Bool { flags & 1 != 0 }

        var suffix: NamespaceSuffix { NamespaceSuffix(rawValue: flags >> 1) ?? .none }
    }

    /// The labels between a namespace part's key and its apex that the key leaves out: `<namespace>.svc` or
    /// `<namespace>.pod` (13 of a name's ~35 bytes at 100,000 services), or nothing (PTR names, and other parts).
    enum NamespaceSuffix: UInt8 {
        case none = 0
        case services = 1
        case pods = 2
    }

    /// Finished answer sections. Compression pointers inside point into the question, which starts at offset 12 and
    /// is the node's name, so the bytes are valid after any question with the same lowercased name.
    /// 16 bytes (a test holds it to that): a table holds about one per name. The byte count is the last record's end
    /// (`AnswerTable.byteCount(of:)`), and an external target is looked up by answer (`AnswerPart.externalTargets`).
    struct CompiledAnswer {
        var type: UInt16
        var answerCount: UInt16
        var additionalCount: UInt16
        /// The answer ends in a CNAME to a name outside every zone we serve (an ExternalName service), which a
        /// forwarding server chases upstream. Known at build time, so the hot path never reads record data to decide.
        var hasExternalTarget = false
        /// One PTR record whose target's namespace suffix and apex are left out (`Compiler.storeTargetByKey`): written
        /// with `writeTargetByKey`, never copied as it is.
        var isTargetByKey = false
        var bytesStart: UInt32
        /// Index into `recordEnds` of the first record's end offset (relative to `bytesStart`); answer records come
        /// first, then additional ones.
        var recordEndsStart: UInt32
    }

    /// Where a node or an answer is: which part, and which index inside it.
    struct Location: Equatable {
        var part: Int
        var index: Int
    }

    /// A part's buffers as raw pointers, so the hot path reads them without retaining the part.
    struct PartView {
        var nodes: UnsafeMutablePointer<Node>?
        var keyBytes: UnsafeMutablePointer<UInt8>?
        var answers: UnsafeMutablePointer<CompiledAnswer>?
        var answerBytes: UnsafeMutablePointer<UInt8>?
        var recordEnds: UnsafeMutablePointer<UInt16>?
        /// `<namespace>.svc` then `<namespace>.pod` in wire form, each `suffixLength` bytes (`NamespaceSuffix`).
        var suffixes: UnsafeMutablePointer<UInt8>?
        var suffixLength = 0

        init(_ part: AnswerPart?) {
            nodes = part?.nodes.baseAddress
            keyBytes = part?.keyBytes.baseAddress
            answers = part?.answers.baseAddress
            answerBytes = part?.answerBytes.baseAddress
            recordEnds = part?.recordEnds.baseAddress
            suffixes = part?.namespaceSuffixes.baseAddress
            suffixLength = part?.namespaceSuffixLength ?? 0
        }
    }

    public let serial: UInt32
    public let configuration: AnswerConfiguration
    let authorities: [Authority]
    /// Indexed by part number; a number is kept by its namespace across builds, and unused numbers are `nil`.
    let parts: [AnswerPart?]
    let views: UnsafeMutableBufferPointer<PartView>
    /// Every node of every part by its name's hash.
    let index: NodeIndex
    /// The apexes that node keys leave out, by authority index: the bytes end to end, and where each ends.
    let apexBytes: UnsafeMutableBufferPointer<UInt8>
    let apexEnds: UnsafeMutableBufferPointer<Int>

    /// Number of owner names in the table.
    public let nameCount: Int
    /// Bytes of compiled answers and their index, for the memory budget.
    public var compiledBytes: Int {
        parts.reduce(0) { $0 + ($1?.byteCount ?? 0) } + index.capacity * (index.narrow == nil ? 8 : 4)
    }

    /// The table of `parts`. With `previous`, whose parts are the same except at the numbers in `replaced` (changed,
    /// added or removed), the index is the previous one with only those parts' names taken out and put in, instead
    /// of every name hashed again.
    init(
        serial: UInt32, configuration: AnswerConfiguration, authorities: [Authority], parts: [AnswerPart?],
        previous: AnswerTable? = nil, replaced: Set<Int> = []
    ) {
        self.serial = serial
        self.configuration = configuration
        self.authorities = authorities
        self.parts = parts
        let apexes = authorities.map(\.apex)
        apexBytes = .allocate(capacity: max(apexes.reduce(0) { $0 + $1.count }, 1))
        _ = apexBytes.initialize(from: apexes.joined())
        apexEnds = .allocate(capacity: max(apexes.count, 1))
        var end = 0
        for (index, apex) in apexes.enumerated() {
            end += apex.count
            apexEnds[index] = end
        }
        views = .allocate(capacity: max(parts.count, 1))
        for (number, part) in parts.enumerated() {
            (views.baseAddress! + number).initialize(to: PartView(part))
        }
        nameCount = parts.reduce(0) { $0 + ($1?.nodes.count ?? 0) }
        index = NodeIndex(nameCount: nameCount, parts: parts, reusing: previous?.index)
        if let previous, index.hasLayout(of: previous.index), patchIndex(of: previous, replaced: replaced) {
            return
        }
        index.clear()
        for number in parts.indices { insertSlots(of: number) }
    }

    /// The previous index with the `replaced` parts' entries taken out and their new ones put in; false (the slots
    /// then hold garbage) when an entry that must be there is missing, which would be a bug: the caller indexes every
    /// part from scratch rather than serve from a broken index or stop.
    private func patchIndex(of previous: AnswerTable, replaced: Set<Int>) -> Bool {
        index.copy(from: previous.index)
        for number in replaced.sorted() where number < previous.parts.count {
            guard let old = previous.parts[number] else { continue }
            for node in old.nodes.indices {
                guard index.remove(part: number, node: node, hash: old.nodes[node].hash, views: previous.views)
                else { return false }
            }
        }
        for number in replaced.sorted() { insertSlots(of: number) }
        return true
    }

    deinit {
        views.deallocate()
        index.deallocate()
        apexBytes.deallocate()
        apexEnds.deallocate()
    }

    private func insertSlots(of number: Int) {
        guard number < parts.count, let part = parts[number] else { return }
        for (node, entry) in part.nodes.enumerated() {
            index.insert(part: number, node: node, hash: entry.hash)
        }
    }

    /// FNV-1a over the lowercased wire name: cheap, and good enough for DNS names behind a sparse table.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt32 {
        var hash = hashBasis
        for byte in key {
            hash = Self.hash(hash, adding: byte)
        }
        return hash
    }

    static let hashBasis: UInt32 = 2_166_136_261

    /// One byte more of FNV-1a, for hashing a name while reading it.
    @inline(__always)
    static func hash(_ hash: UInt32, adding byte: UInt8) -> UInt32 {
        (hash ^ UInt32(byte)) &* 16_777_619
    }

    /// The node whose name is `key` (lowercased wire form).
    @inline(__always)
    func findNode(_ key: UnsafeRawBufferPointer) -> Location? {
        findNode(key, hash: AnswerTable.hash(key))
    }

    /// `findNode(_:)` for a caller that hashed `key` already (`AnswerTable.hash`) while reading it.
    @inline(__always)
    func findNode(_ key: UnsafeRawBufferPointer, hash: UInt32) -> Location? {
        index.probe(hash: hash) { part, index in
            let view = views[part]
            let node = view.nodes![index]
            guard node.hash == hash else { return false }
            // The key is the name without its namespace suffix and its authority's apex, which must end the name.
            let authority = Int(node.authority)
            let apexStart = authority == 0 ? 0 : apexEnds[authority - 1]
            let apexLength = apexEnds[authority] - apexStart
            let keyLength = Int(node.keyLength)
            let suffix = node.suffix
            let suffixLength = suffix == .none ? 0 : view.suffixLength
            guard keyLength + suffixLength + apexLength == key.count,
                memcmp(view.keyBytes! + Int(node.keyStart), key.baseAddress!, keyLength) == 0
            else { return false }
            if suffix != .none {
                let suffixStart = view.suffixes! + (suffix == .services ? 0 : suffixLength)
                guard memcmp(suffixStart, key.baseAddress! + keyLength, suffixLength) == 0 else { return false }
            }
            return memcmp(
                apexBytes.baseAddress! + apexStart, key.baseAddress! + keyLength + suffixLength, apexLength) == 0
        }
    }

    @inline(__always)
    func node(_ location: Location) -> Node {
        views[location.part].nodes![location.index]
    }

    /// The answer for `type` at `node`: its own, the alias's CNAME, the only answer for ANY, or `nil` for NODATA.
    /// For ANY, the caller writes only the answer records of an answer of another type.
    @inline(__always)
    func answerLocation(node location: Location, type: UInt16) -> Location? {
        let view = views[location.part]
        let entry = view.nodes![location.index]
        let start = Int(entry.answersStart)
        for index in start..<(start + Int(entry.answersCount)) where view.answers![index].type == type {
            return Location(part: location.part, index: index)
        }
        if entry.isAlias || (type == RecordType.any.rawValue && entry.answersCount == 1) {
            return Location(part: location.part, index: start)
        }
        return nil
    }

    @inline(__always)
    func answer(_ location: Location) -> CompiledAnswer {
        views[location.part].answers![location.index]
    }

    /// The first byte of `answer`'s records.
    @inline(__always)
    func answerBytes(_ location: Location) -> UnsafePointer<UInt8> {
        UnsafePointer(views[location.part].answerBytes! + Int(answer(location).bytesStart))
    }

    /// The end of record `record` of `answer`, relative to its first byte.
    @inline(__always)
    func recordEnd(_ location: Location, record: Int) -> Int {
        let view = views[location.part]
        return Int(view.recordEnds![Int(view.answers![location.index].recordEndsStart) + record])
    }

    /// Writes answer `location`, a PTR record stored without the end of its target (`isTargetByKey`), whole at
    /// `destination`: `byteCount(of:)` bytes.
    @inline(__always)
    func writeTargetByKey(_ location: Location, to destination: UnsafeMutablePointer<UInt8>) {
        let view = views[location.part]
        let stored = view.answerBytes! + Int(view.answers![location.index].bytesStart)
        let recordLength = recordEnd(location, record: 0)
        let authority = Int(stored[10])
        let apexStart = authority == 0 ? 0 : apexEnds[authority - 1]
        let apexLength = apexEnds[authority] - apexStart
        let suffixLength = view.suffixLength
        let labelsLength = recordLength - 12 - suffixLength - apexLength
        destination.update(from: stored, count: 10)
        let targetLength = labelsLength + suffixLength + apexLength
        destination[10] = UInt8(truncatingIfNeeded: targetLength >> 8)
        destination[11] = UInt8(truncatingIfNeeded: targetLength)
        (destination + 12).update(from: stored + 11, count: labelsLength)
        (destination + 12 + labelsLength).update(from: view.suffixes!, count: suffixLength)
        (destination + 12 + labelsLength + suffixLength).update(
            from: apexBytes.baseAddress! + apexStart, count: apexLength)
    }

    /// Bytes of `answer`'s records, answer and additional: the last one's end.
    @inline(__always)
    func byteCount(of location: Location) -> Int {
        let answer = answer(location)
        let records = Int(answer.answerCount) + Int(answer.additionalCount)
        return records == 0 ? 0 : recordEnd(location, record: records - 1)
    }

    /// The CNAME target outside our zones that `answer` ends at (`hasExternalTarget`).
    func externalTarget(_ location: Location) -> [UInt8] {
        parts[location.part]!.externalTarget(ofAnswer: location.index)
    }
}

/// `memcmp` without importing the C library into a module that has none.
@inline(__always)
func memcmp(_ lhs: UnsafeRawPointer, _ rhs: UnsafeRawPointer, _ count: Int) -> Int {
    for index in 0..<count
    where lhs.load(fromByteOffset: index, as: UInt8.self)
        != rhs.load(fromByteOffset: index, as: UInt8.self)
    {
        return 1
    }
    return 0
}
