/// The compiled answers of one part of the cluster: one namespace, the apex, or the PTR names several namespaces share.
///
/// Offsets inside (key starts, answer indices, byte starts, record-end indices, external targets) are relative to the
/// part's own buffers, so a part is never copied or shifted: a table made after a change keeps every unchanged part
/// by reference and holds only the changed ones anew. Immutable after `init`, so it is safe to share between threads.
final class AnswerPart: @unchecked Sendable {
    let nodes: UnsafeMutableBufferPointer<AnswerTable.Node>
    let keyBytes: UnsafeMutableBufferPointer<UInt8>
    let answers: UnsafeMutableBufferPointer<AnswerTable.CompiledAnswer>
    let answerBytes: UnsafeMutableBufferPointer<UInt8>
    let recordEnds: UnsafeMutableBufferPointer<UInt16>
    /// Wire form of the CNAME target of each answer with `hasExternalTarget`, by answer index, sorted.
    let externalTargets: [(answer: Int, target: [UInt8])]
    /// Each authority's apex, which node keys leave out.
    let apexKeys: [[UInt8]]
    /// A namespace part's `<namespace>.svc` and `<namespace>.pod` in wire form, end to end, which keys of the
    /// names below them leave out (`AnswerTable.NamespaceSuffix`); empty for other parts.
    let namespaceSuffixes: UnsafeMutableBufferPointer<UInt8>
    var namespaceSuffixLength: Int { namespaceSuffixes.count / 2 }

    /// Takes the compiler's arrays, freeing each as soon as it is copied into an exactly sized buffer (the compiler
    /// grows its arrays by doubling; the part keeps no slack).
    init(taking compiler: inout AnswerTable.Compiler) {
        nodes = .moving(&compiler.nodes)
        keyBytes = .moving(&compiler.keyBytes)
        answers = .moving(&compiler.answers)
        answerBytes = .moving(&compiler.answerBytes)
        recordEnds = .moving(&compiler.recordEnds)
        externalTargets = compiler.externalTargets
        compiler.externalTargets = []
        apexKeys = compiler.apexKeys
        var suffixes = compiler.namespaceSuffixes
        namespaceSuffixes = .moving(&suffixes)
    }

    deinit {
        nodes.deallocate()
        keyBytes.deallocate()
        answers.deallocate()
        answerBytes.deallocate()
        recordEnds.deallocate()
        namespaceSuffixes.deallocate()
    }

    /// Bytes held, for the memory budget.
    var byteCount: Int {
        nodes.count * MemoryLayout<AnswerTable.Node>.stride + keyBytes.count
            + answers.count * MemoryLayout<AnswerTable.CompiledAnswer>.stride + answerBytes.count
            + recordEnds.count * MemoryLayout<UInt16>.stride
    }

    /// The external target of answer `index` (which has one): a binary search over the few of a part.
    func externalTarget(ofAnswer index: Int) -> [UInt8] {
        var low = 0
        var high = externalTargets.count
        while low < high {
            let middle = (low + high) / 2
            if externalTargets[middle].answer < index { low = middle + 1 } else { high = middle }
        }
        precondition(low < externalTargets.count && externalTargets[low].answer == index, "no external target")
        return externalTargets[low].target
    }

    /// The lowercased wire name of node `index`.
    func key(of index: Int) -> [UInt8] {
        let node = nodes[index]
        let start = Int(node.keyStart)
        let suffixLength = namespaceSuffixLength
        let suffix: [UInt8] =
            switch node.suffix {
            case .none: []
            case .services: Array(namespaceSuffixes[0..<suffixLength])
            case .pods: Array(namespaceSuffixes[suffixLength..<(2 * suffixLength)])
            }
        return Array(keyBytes[start..<(start + Int(node.keyLength))]) + suffix + apexKeys[Int(node.authority)]
    }
}

extension UnsafeMutableBufferPointer {
    /// A copy of `array`, which is left empty (its storage freed when it held the only reference).
    fileprivate static func moving(_ array: inout [Element]) -> UnsafeMutableBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: Swift.max(array.count, 1))
        _ = buffer.initialize(from: array)
        let count = array.count
        array = []
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
    }
}
