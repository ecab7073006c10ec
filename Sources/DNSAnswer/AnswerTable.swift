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

    struct Node {
        var keyStart: UInt32
        var keyLength: UInt16
        var authority: UInt8
        var hash: UInt32
        var answersStart: UInt32
        var answersCount: UInt16
        /// Answer used for every type without its own entry: the CNAME for an alias, else -1 for NODATA.
        var fallbackAnswer: Int32
    }

    /// Finished answer sections. Compression pointers inside point into the question, which starts at offset 12 and
    /// has exactly the key's length, so the bytes are valid after any question with the same lowercased name.
    struct CompiledAnswer {
        var type: UInt16
        var answerCount: UInt16
        var additionalCount: UInt16
        var bytesStart: UInt32
        var bytesCount: UInt32
        /// Index into `recordEnds` of the first record's end offset (relative to `bytesStart`).
        var recordEndsStart: UInt32
        /// Index into `externalTargets` when the answer ends in a CNAME to a name outside every zone we serve (an
        /// ExternalName service), which a forwarding server chases upstream; -1 otherwise. Known at build time, so
        /// the hot path never reads record data to decide.
        var externalTarget: Int32 = -1
    }

    public let serial: UInt32
    public let configuration: AnswerConfiguration
    let authorities: [Authority]
    let nodes: UnsafeMutableBufferPointer<Node>
    let slots: UnsafeMutableBufferPointer<UInt32>
    let keyBytes: UnsafeMutableBufferPointer<UInt8>
    let answers: UnsafeMutableBufferPointer<CompiledAnswer>
    let answerBytes: UnsafeMutableBufferPointer<UInt8>
    let recordEnds: UnsafeMutableBufferPointer<UInt32>
    /// Wire form of the CNAME targets that `CompiledAnswer.externalTarget` names.
    let externalTargets: [[UInt8]]

    /// Number of owner names in the table.
    public var nameCount: Int { nodes.count }
    /// Bytes of compiled answers, for the memory budget.
    public var compiledBytes: Int { answerBytes.count + keyBytes.count }

    convenience init(
        serial: UInt32, configuration: AnswerConfiguration, authorities: [Authority], nodes: [Node],
        keyBytes: [UInt8], answers: [CompiledAnswer], answerBytes: [UInt8], recordEnds: [UInt32],
        externalTargets: [[UInt8]] = []
    ) {
        self.init(
            serial: serial, configuration: configuration, authorities: authorities, nodes: .copying(nodes),
            keyBytes: .copying(keyBytes), answers: .copying(answers), answerBytes: .copying(answerBytes),
            recordEnds: .copying(recordEnds), externalTargets: externalTargets)
    }

    /// Takes ownership of the buffers (freed by `deinit`).
    init(
        serial: UInt32, configuration: AnswerConfiguration, authorities: [Authority],
        nodes: UnsafeMutableBufferPointer<Node>, keyBytes: UnsafeMutableBufferPointer<UInt8>,
        answers: UnsafeMutableBufferPointer<CompiledAnswer>, answerBytes: UnsafeMutableBufferPointer<UInt8>,
        recordEnds: UnsafeMutableBufferPointer<UInt32>, externalTargets: [[UInt8]]
    ) {
        self.externalTargets = externalTargets
        self.serial = serial
        self.configuration = configuration
        self.authorities = authorities
        self.nodes = nodes
        self.keyBytes = keyBytes
        self.answers = answers
        self.answerBytes = answerBytes
        self.recordEnds = recordEnds
        // Load factor at most 1/2 keeps probe sequences short.
        var capacity = 16
        while capacity < nodes.count * 2 { capacity <<= 1 }
        let slots = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: capacity)
        slots.initialize(repeating: 0)
        let mask = capacity - 1
        for (index, node) in nodes.enumerated() {
            var slot = Int(node.hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(index + 1)
        }
        self.slots = slots
    }

    /// Takes the compiler's arrays, freeing each as soon as it is copied, so that the table and the whole compiler
    /// output are never in memory at once.
    convenience init(
        serial: UInt32, configuration: AnswerConfiguration, authorities: [Authority], taking compiler: inout Compiler
    ) {
        self.init(
            serial: serial, configuration: configuration, authorities: authorities, nodes: .moving(&compiler.nodes),
            keyBytes: .moving(&compiler.keyBytes), answers: .moving(&compiler.answers),
            answerBytes: .moving(&compiler.answerBytes), recordEnds: .moving(&compiler.recordEnds),
            externalTargets: compiler.externalTargets)
    }

    deinit {
        nodes.deallocate()
        slots.deallocate()
        keyBytes.deallocate()
        answers.deallocate()
        answerBytes.deallocate()
        recordEnds.deallocate()
    }

    /// FNV-1a over the lowercased wire name: cheap, and good enough for DNS names behind a half-empty table.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in key {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return hash
    }

    /// The node whose name is `key` (lowercased wire form), or -1.
    @inline(__always)
    func findNode(_ key: UnsafeRawBufferPointer) -> Int {
        let hash = AnswerTable.hash(key)
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return -1 }
            let index = Int(entry - 1)
            let node = nodes[index]
            if node.hash == hash, Int(node.keyLength) == key.count,
                memcmp(keyBytes.baseAddress! + Int(node.keyStart), key.baseAddress!, key.count) == 0
            {
                return index
            }
            slot = (slot + 1) & mask
        }
    }

    /// The answer for `type` at `node`: its own, the alias fallback, or -1 for NODATA.
    @inline(__always)
    func answerIndex(node: Int, type: UInt16) -> Int {
        let entry = nodes[node]
        let start = Int(entry.answersStart)
        for index in start..<(start + Int(entry.answersCount)) where answers[index].type == type {
            return index
        }
        return Int(entry.fallbackAnswer)
    }
}

extension UnsafeMutableBufferPointer {
    /// A copy of `array`, which is left empty (its storage freed when it held the only reference).
    fileprivate static func moving(_ array: inout [Element]) -> UnsafeMutableBufferPointer<Element> {
        let buffer = copying(array)
        array = []
        return buffer
    }

    fileprivate static func copying(_ array: [Element]) -> UnsafeMutableBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: Swift.max(array.count, 1))
        _ = buffer.initialize(from: array)
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<array.count])
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
