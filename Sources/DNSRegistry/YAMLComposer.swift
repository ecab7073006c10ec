internal import CYaml

/// Composes YAML documents straight from libyaml's event stream into `YAMLDocument`s, one document at a time, and
/// refuses on the way what would make reading hurt: nesting deeper than `maxNestingDepth`, and aliases that expand
/// exponentially ("billion laughs").
///
/// It replaces Yams' `compose_all` for manifests (Yams builds a class per node, resolves tags and hashes every
/// mapping; with 100,000 services that was most of the start-up time, bench/RESULTS.md) and keeps its meaning:
/// aliases are their anchor's node, a key given twice in one mapping is an error at the first occurrence's line, a
/// plain `<<` key is a merge key. The whole stream is checked for syntax, depth and aliases before any document's own
/// problem counts, as when this was a separate pass before Yams: a syntax error anywhere in a file is what gets
/// reported, whatever an earlier document says.
enum YAMLComposer {
    /// Kubernetes objects nest about 10 levels, CRD schemas a few dozen; the reader and key comparisons recurse, so
    /// this bounds their stack use to a few hundred frames on any thread.
    static let maxNestingDepth = 256
    /// Nodes that aliases may add to one file once expanded. Hand-written anchors add a few hundred; the limit stops
    /// nested aliases from multiplying into millions (go-yaml, behind kubectl, refuses "excessive aliasing" too).
    static let maxAliasExpansion = 100_000

    /// Calls `body` with each document of `text` in order. After the first document problem (a duplicate key, or one
    /// `body` throws) the rest of the stream is only checked; that problem is thrown at the end unless the stream has
    /// a syntax, depth or alias problem, which wins.
    static func compose(
        _ text: String, _ body: (YAMLDocument.Box) throws(ManifestIssue) -> Void
    ) throws(ManifestIssue) {
        var text = text
        let result = text.withUTF8 { buffer in compose(buffer, body) }
        try result.get()
    }

    private static func compose(
        _ buffer: UnsafeBufferPointer<UInt8>, _ body: (YAMLDocument.Box) throws(ManifestIssue) -> Void
    ) -> Result<Void, ManifestIssue> {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure(ManifestIssue(line: 0, reason: "the YAML parser could not start (out of memory)"))
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        var walk = Walk()
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                return .failure(syntaxIssue(parser, bytes: buffer))
            }
            defer { yaml_event_delete(&event) }
            let done = event.type == YAML_STREAM_END_EVENT
            do throws(ManifestIssue) {
                if let document = try walk.visit(event) {
                    do throws(ManifestIssue) {
                        try body(document)
                    } catch {
                        walk.documentProblem = error
                    }
                }
            } catch {
                return .failure(error)
            }
            if done { break }
        }
        if let problem = walk.documentProblem { return .failure(problem) }
        return .success(())
    }

    /// The stream so far: open collections, anchors of the current document, alias expansion of the file, and the
    /// document being built (none once a document problem was found).
    private struct Walk {
        struct Open {
            var node: Int32
            var anchor: String?
            /// Expanded node count of what it holds so far.
            var size: Int
            /// Where its children start in `pending`.
            var firstChild: Int
        }

        var open: [Open] = []
        /// Finished children of the open collections, innermost last.
        var pending: [Int32] = []
        /// Each anchor of the current document (anchors are per document): its node and expanded size.
        var anchors: [String: (node: Int32, size: Int)] = [:]
        var aliasExpansion = 0
        /// The document being built, when `building`.
        var document = YAMLDocument()
        var building = false
        var documentProblem: ManifestIssue?

        /// Takes one event; returns the document it completes.
        mutating func visit(_ event: yaml_event_t) throws(ManifestIssue) -> YAMLDocument.Box? {
            let line = Int32(truncatingIfNeeded: event.start_mark.line + 1)
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                anchors = [:]
                pending.removeAll(keepingCapacity: true)
                document = YAMLDocument()
                building = documentProblem == nil
            case YAML_DOCUMENT_END_EVENT:
                guard building, let root = pending.last else { return nil }
                document.root = root
                building = false
                defer { document = YAMLDocument() }
                return YAMLDocument.Box(document)
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                var node: Int32 = -1
                if building {
                    let tag: Int32
                    if scalar.quoted_implicit == 1 {
                        tag = YAMLDocument.stringTag
                    } else if let explicit = scalar.tag {
                        tag = document.tagCode(explicit: String(cString: explicit))
                    } else {
                        tag =
                            scalar.length == 2 && scalar.value[0] == 0x3C && scalar.value[1] == 0x3C
                            ? YAMLDocument.mergeTag : YAMLDocument.stringTag
                    }
                    node = Int32(document.entries.count)
                    document.entries.append(
                        YAMLDocument.Entry(
                            kind: .scalar,
                            isPlain: scalar.style == YAML_ANY_SCALAR_STYLE || scalar.style == YAML_PLAIN_SCALAR_STYLE,
                            tag: tag, line: line, start: Int32(document.bytes.count),
                            count: Int32(truncatingIfNeeded: scalar.length)))
                    if scalar.length > 0 {
                        document.bytes.append(
                            contentsOf: UnsafeBufferPointer(start: scalar.value, count: scalar.length))
                    }
                }
                close(node: node, anchor: string(scalar.anchor), size: 1)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard open.count < YAMLComposer.maxNestingDepth else {
                    throw ManifestIssue(
                        line: Int(line), reason: "nesting is deeper than \(YAMLComposer.maxNestingDepth) levels")
                }
                let isSequence = event.type == YAML_SEQUENCE_START_EVENT
                let anchor = isSequence ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                let explicitTag = isSequence ? event.data.sequence_start.tag : event.data.mapping_start.tag
                var node: Int32 = -1
                if building {
                    let tag =
                        explicitTag.map { document.tagCode(explicit: String(cString: $0)) }
                        ?? (isSequence ? YAMLDocument.sequenceTag : YAMLDocument.mapTag)
                    node = Int32(document.entries.count)
                    document.entries.append(
                        YAMLDocument.Entry(
                            kind: isSequence ? .sequence : .mapping, isPlain: false, tag: tag, line: line, start: 0,
                            count: 0))
                }
                open.append(Open(node: node, anchor: string(anchor), size: 0, firstChild: pending.count))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let collection = open.popLast() else { return nil }
                if building {
                    let node = Int(collection.node)
                    document.entries[node].start = Int32(document.children.count)
                    document.entries[node].count = Int32(pending.count - collection.firstChild)
                    document.children.append(contentsOf: pending[collection.firstChild...])
                    pending.removeSubrange(collection.firstChild...)
                    if event.type == YAML_MAPPING_END_EVENT,
                        let duplicate = document.duplicateKeyIssue(in: collection.node)
                    {
                        documentProblem = duplicate
                        building = false
                    }
                }
                close(node: collection.node, anchor: collection.anchor, size: collection.size + 1)
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                guard let anchor = anchors[name] else {
                    throw ManifestIssue(line: Int(line), reason: "alias *\(name) refers to no anchor before it")
                }
                aliasExpansion += anchor.size
                guard aliasExpansion <= YAMLComposer.maxAliasExpansion else {
                    throw ManifestIssue(
                        line: Int(line), reason: "aliases expand to more than \(YAMLComposer.maxAliasExpansion) nodes")
                }
                close(node: anchor.node, anchor: nil, size: anchor.size)
            default:
                break
            }
            return nil
        }

        /// Records a finished node of `size` expanded nodes in its parent and under its anchor.
        private mutating func close(node: Int32, anchor: String?, size: Int) {
            if let anchor { anchors[anchor] = (node, size) }
            if !open.isEmpty { open[open.count - 1].size += size }
            if building { pending.append(node) }
        }

        private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
    }

    private static func syntaxIssue(_ parser: yaml_parser_t, bytes: UnsafeBufferPointer<UInt8>) -> ManifestIssue {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        switch parser.error {
        case YAML_READER_ERROR:
            // The reader reports a byte offset rather than a line: count the line breaks before it.
            let offset = min(parser.problem_offset, bytes.count)
            let line = bytes[..<offset].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            return ManifestIssue(line: line, reason: "unreadable YAML: \(problem)")
        case YAML_MEMORY_ERROR:
            return ManifestIssue(line: 0, reason: "the YAML parser ran out of memory")
        default:
            var reason = "invalid YAML: \(problem)"
            if let context = parser.context.map({ String(cString: $0) }) {
                reason += " (\(context) at line \(parser.context_mark.line + 1))"
            }
            return ManifestIssue(line: Int(parser.problem_mark.line) + 1, reason: reason)
        }
    }
}
