import DNSWire

extension AnswerTable {
    /// One compiled answer as a reply would carry it.
    struct AnswerContents: Equatable {
        var type: UInt16
        var answerCount: UInt16
        var additionalCount: UInt16
        var bytes: [UInt8]
        var recordEnds: [UInt16]
        var externalTarget: [UInt8]?
    }

    /// What the table says for one name.
    struct NameContents: Equatable {
        var key: [UInt8]
        var authority: UInt8
        var answers: [AnswerContents]
        var isAlias: Bool
    }

    /// Every name with its answers, sorted by key: equal for two tables that answer every question alike, whichever
    /// parts, part numbers and index layout they were made of (incremental builds are checked against full ones).
    func contents() -> [NameContents] {
        var names: [NameContents] = []
        for case let (number, part?) in parts.enumerated() {
            for (index, node) in part.nodes.enumerated() {
                func answer(_ position: Int) -> AnswerContents {
                    let compiled = part.answers[position]
                    let start = Int(compiled.bytesStart)
                    let endsStart = Int(compiled.recordEndsStart)
                    let records = Int(compiled.answerCount) + Int(compiled.additionalCount)
                    let location = Location(part: number, index: position)
                    let byteCount = byteCount(of: location)
                    // As a reply carries them: a PTR record stored by key is written out whole.
                    let bytes =
                        compiled.isTargetByKey
                        ? [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
                            writeTargetByKey(location, to: buffer.baseAddress!)
                            initialized = byteCount
                        }
                        : Array(part.answerBytes[start..<(start + byteCount)])
                    return AnswerContents(
                        type: compiled.type, answerCount: compiled.answerCount,
                        additionalCount: compiled.additionalCount,
                        bytes: bytes,
                        recordEnds: Array(part.recordEnds[endsStart..<(endsStart + records)]),
                        externalTarget: compiled.hasExternalTarget ? part.externalTarget(ofAnswer: position) : nil)
                }
                let start = Int(node.answersStart)
                names.append(
                    NameContents(
                        key: part.key(of: index), authority: node.authority,
                        answers: (start..<(start + Int(node.answersCount))).map(answer),
                        isAlias: node.isAlias))
            }
        }
        return names.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// Whether the index finds every node of every part at its own place, and holds nothing else.
    func indexIsConsistent() -> Bool {
        guard index.entryCount == nameCount else { return false }
        for (number, part) in parts.enumerated() {
            guard let part else { continue }
            for index in part.nodes.indices {
                let key = part.key(of: index)
                guard key.withUnsafeBytes({ findNode($0) }) == Location(part: number, index: index) else {
                    return false
                }
            }
        }
        return true
    }
}

extension AnswerTable {
    /// Where two tables would answer differently (names, answers, authorities, serial) or an index is inconsistent;
    /// empty when they answer alike. Tests compare incremental builds with full ones through it.
    func differences(from other: AnswerTable) -> [String] {
        var found: [String] = []
        if serial != other.serial { found.append("serial \(serial) vs \(other.serial)") }
        if nameCount != other.nameCount { found.append("name count \(nameCount) vs \(other.nameCount)") }
        let mine = contents()
        let theirs = other.contents()
        if mine != theirs {
            let byKey = Dictionary(theirs.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            let mineKeys = Set(mine.map(\.key))
            for name in mine where byKey[name.key] != name {
                found.append("name \(Name(wireLabels: name.key[...])?.description ?? "?") differs")
                if found.count > 5 { break }
            }
            for name in theirs where !mineKeys.contains(name.key) {
                found.append("name \(Name(wireLabels: name.key[...])?.description ?? "?") missing")
                if found.count > 5 { break }
            }
        }
        if authorities.count != other.authorities.count { found.append("authority count") }
        for (lhs, rhs) in zip(authorities, other.authorities)
        where lhs.apex != rhs.apex || lhs.isClusterZone != rhs.isClusterZone || lhs.negativeSOA != rhs.negativeSOA
            || lhs.pointerPatchOffsets != rhs.pointerPatchOffsets
        {
            found.append("authority \(lhs.apex)")
        }
        if !indexIsConsistent() { found.append("index") }
        return found
    }
}
