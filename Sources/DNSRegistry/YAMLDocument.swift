/// One composed YAML document in flat arrays: what `ManifestNode` reads, built by `BlockYAMLScanner` from the text or,
/// for YAML outside its subset, by `YAMLComposer` from libyaml's events, identically.
///
/// It keeps what the manifest reader needs and nothing else: each node's kind, line, whether a scalar was plain, the
/// tag a key is matched by, scalar bytes, and children. An alias is its anchor's node (the same index), as in Yams.
///
/// A value type while it is built; readers share it through a `Box`, whose `let` spares them the runtime
/// exclusivity checks every access to a class's `var` costs.
struct YAMLDocument: Equatable {
    final class Box {
        let document: YAMLDocument

        init(_ document: YAMLDocument) {
            self.document = document
        }
    }

    enum Kind: UInt8 {
        case scalar, sequence, mapping
    }

    struct Entry: Equatable {
        var kind: Kind
        /// Scalar written without quotes (libyaml's plain or "any" style): only these can be null, numbers or
        /// booleans.
        var isPlain: Bool
        /// The node's resolved tag (`tagCode(_:)`): what two keys must share to be the same key.
        var tag: Int32
        /// 1-based line where the node starts.
        var line: Int32
        /// Scalar: offset in `bytes`; collection: offset in `children`.
        var start: Int32
        /// Scalar: byte length; sequence: element count; mapping: 2 × pair count (keys and values interleaved).
        var count: Int32
    }

    var entries: [Entry] = []
    var children: [Int32] = []
    var bytes: [UInt8] = []
    /// Explicit tags other than the predefined codes, by code − `firstCustomTag`.
    var customTags: [String] = []
    var root: Int32 = -1

    /// Resolved tags as Yams resolves them with the basic resolver plus the merge rule: every scalar is a string but
    /// a plain `<<`, which is a merge key; collections are maps and sequences; an explicit tag is itself.
    static let stringTag: Int32 = 0
    static let mergeTag: Int32 = 1
    static let mapTag: Int32 = 2
    static let sequenceTag: Int32 = 3
    static let firstCustomTag: Int32 = 4

    mutating func tagCode(explicit name: String) -> Int32 {
        switch name {
        case "tag:yaml.org,2002:str": return Self.stringTag
        case "tag:yaml.org,2002:merge": return Self.mergeTag
        case "tag:yaml.org,2002:map": return Self.mapTag
        case "tag:yaml.org,2002:seq": return Self.sequenceTag
        default:
            if let index = customTags.firstIndex(of: name) { return Self.firstCustomTag + Int32(index) }
            customTags.append(name)
            return Self.firstCustomTag + Int32(customTags.count - 1)
        }
    }

    // MARK: - Reading

    @inline(__always)
    func entry(_ node: Int32) -> Entry {
        entries[Int(node)]
    }

    /// The text of a scalar (its bytes, which libyaml or `BlockYAMLScanner` has checked are UTF-8).
    func string(_ node: Int32) -> String {
        let entry = entries[Int(node)]
        return bytes.withUnsafeBufferPointer { buffer in
            String(
                decoding: UnsafeBufferPointer(rebasing: buffer[Int(entry.start)..<Int(entry.start + entry.count)]),
                as: UTF8.self)
        }
    }

    /// True when scalar `node` holds exactly the UTF-8 bytes of `text`.
    func scalar(_ node: Int32, equals text: StaticString) -> Bool {
        let entry = entries[Int(node)]
        guard entry.kind == .scalar, Int(entry.count) == text.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            let start = Int(entry.start)
            let key = text.utf8Start
            for offset in 0..<Int(entry.count) where buffer[start + offset] != key[offset] { return false }
            return true
        }
    }

    /// The child at `position` of collection `node`.
    @inline(__always)
    func child(_ node: Int32, _ position: Int) -> Int32 {
        children[Int(entries[Int(node)].start) + position]
    }

    /// The value of `key` in mapping `node`: a key with the same text and resolved tag (`tag`), as Yams'
    /// `Node.Mapping` subscript matches it.
    func value(in node: Int32, key: StaticString, tag: Int32 = YAMLDocument.stringTag) -> Int32? {
        let entry = entries[Int(node)]
        var position = Int(entry.start)
        let end = position + Int(entry.count)
        while position < end {
            let keyNode = children[position]
            if entries[Int(keyNode)].tag == tag, scalar(keyNode, equals: key) { return children[position + 1] }
            position += 2
        }
        return nil
    }

    // MARK: - Equality of keys

    /// Yams' `Node ==`: same kind, same resolved tag, same text or the same children in order.
    func isEqual(_ lhs: Int32, _ rhs: Int32) -> Bool {
        if lhs == rhs { return true }
        let left = entries[Int(lhs)]
        let right = entries[Int(rhs)]
        guard left.kind == right.kind, left.tag == right.tag, left.count == right.count else { return false }
        switch left.kind {
        case .scalar:
            return bytes.withUnsafeBufferPointer { buffer in
                let a = Int(left.start)
                let b = Int(right.start)
                for offset in 0..<Int(left.count) where buffer[a + offset] != buffer[b + offset] { return false }
                return true
            }
        case .sequence, .mapping:
            for position in 0..<Int(left.count)
            where !isEqual(children[Int(left.start) + position], children[Int(right.start) + position]) {
                return false
            }
            return true
        }
    }

    /// A hash consistent with `isEqual`.
    func hashValue(of node: Int32, into hasher: inout Hasher) {
        let entry = entries[Int(node)]
        hasher.combine(entry.kind)
        hasher.combine(entry.tag)
        hasher.combine(entry.count)
        switch entry.kind {
        case .scalar:
            bytes.withUnsafeBufferPointer { buffer in
                hasher.combine(
                    bytes: UnsafeRawBufferPointer(
                        UnsafeBufferPointer(rebasing: buffer[Int(entry.start)..<Int(entry.start + entry.count)])))
            }
        case .sequence, .mapping:
            for position in 0..<Int(entry.count) {
                hashValue(of: children[Int(entry.start) + position], into: &hasher)
            }
        }
    }

    /// `duplicateKeys(in:)` as the problem a manifest reports.
    func duplicateKeyIssue(in node: Int32) -> ManifestIssue? {
        guard let duplicates = duplicateKeys(in: node) else { return nil }
        let keys = duplicates.keys.map { ManifestParser.quoted($0) }.joined(separator: ", ")
        return ManifestIssue(line: duplicates.line, reason: "a mapping has the key \(keys) more than once")
    }

    /// The first key of mapping `node` given more than once, as Yams reports it: every duplicated key's text (sorted;
    /// a collection key has none) and the line of the first occurrence of the one sorting first.
    func duplicateKeys(in node: Int32) -> (keys: [String], line: Int)? {
        let entry = entries[Int(node)]
        let pairs = Int(entry.count) / 2
        guard pairs > 1 else { return nil }
        let start = Int(entry.start)
        var duplicated: [Int32] = []  // first occurrence of each key given more than once
        if pairs <= 16 {
            for i in 1..<pairs {
                let key = children[start + 2 * i]
                for j in 0..<i where isEqual(children[start + 2 * j], key) {
                    let first = children[start + 2 * j]
                    if !duplicated.contains(where: { isEqual($0, first) }) { duplicated.append(first) }
                    break
                }
            }
        } else {
            var firstByHash: [Int: [Int32]] = [:]
            for i in 0..<pairs {
                let key = children[start + 2 * i]
                var hasher = Hasher()
                hashValue(of: key, into: &hasher)
                let hash = hasher.finalize()
                if let first = firstByHash[hash]?.first(where: { isEqual($0, key) }) {
                    if !duplicated.contains(where: { isEqual($0, first) }) { duplicated.append(first) }
                } else {
                    firstByHash[hash, default: []].append(key)
                }
            }
        }
        guard !duplicated.isEmpty else { return nil }
        // Yams sorts scalars by text; it has no order between a scalar and a collection, so those go last here.
        let sorted = duplicated.enumerated().sorted { lhs, rhs in
            let left = entries[Int(lhs.element)].kind == .scalar ? string(lhs.element) : nil
            let right = entries[Int(rhs.element)].kind == .scalar ? string(rhs.element) : nil
            switch (left, right) {
            case (let left?, let right?): return left < right
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return lhs.offset < rhs.offset
            }
        }.map(\.element)
        let keys = sorted.map { entries[Int($0)].kind == .scalar ? string($0) : "<uncovertable>" }
        return (keys, Int(entries[Int(sorted[0])].line))
    }
}
