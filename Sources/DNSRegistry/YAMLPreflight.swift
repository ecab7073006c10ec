internal import CYaml

/// A pass over libyaml's event stream, before Yams composes the document tree, that turns away what would make
/// composing or walking the tree hurt: nesting so deep that Yams' recursive composer runs out of stack, and aliases
/// that expand exponentially ("billion laughs": Yams hashes every mapping key, an alias key included, in full).
///
/// It also reports syntax errors with their line, since libyaml finds them here first.
enum YAMLPreflight {
    /// Kubernetes objects nest about 10 levels, CRD schemas a few dozen; Yams composes recursively, so this bounds
    /// its stack use to a few hundred frames on any thread.
    static let maxNestingDepth = 256
    /// Nodes that aliases may add to one file once expanded. Hand-written anchors add a few hundred; the limit stops
    /// nested aliases from multiplying into millions (go-yaml, behind kubectl, refuses "excessive aliasing" too).
    static let maxAliasExpansion = 100_000

    static func check(_ bytes: [UInt8]) throws(ManifestIssue) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ManifestIssue(line: 0, reason: "the YAML parser could not start (out of memory)")
        }
        defer { yaml_parser_delete(&parser) }
        var walk = Walk()
        let result: Result<Void, ManifestIssue> = bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    return .failure(syntaxIssue(parser, bytes: buffer))
                }
                defer { yaml_event_delete(&event) }
                let done = event.type == YAML_STREAM_END_EVENT
                do throws(ManifestIssue) {
                    try walk.visit(event)
                } catch {
                    return .failure(error)
                }
                if done { return .success(()) }
            }
        }
        try result.get()
    }

    /// Running counts over the event stream: open collections and the expanded size of every anchor.
    private struct Walk {
        /// One open sequence or mapping: its anchor and the expanded size of what it holds so far.
        var open: [(anchor: String?, size: Int)] = []
        /// Expanded node count of each anchor defined in the current document (anchors are per document).
        var anchorSizes: [String: Int] = [:]
        var aliasExpansion = 0

        mutating func visit(_ event: yaml_event_t) throws(ManifestIssue) {
            let line = Int(event.start_mark.line) + 1
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                anchorSizes = [:]
            case YAML_SCALAR_EVENT:
                close(anchor: string(event.data.scalar.anchor), size: 1)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard open.count < YAMLPreflight.maxNestingDepth else {
                    throw ManifestIssue(
                        line: line, reason: "nesting is deeper than \(YAMLPreflight.maxNestingDepth) levels")
                }
                let anchor =
                    event.type == YAML_SEQUENCE_START_EVENT
                    ? string(event.data.sequence_start.anchor) : string(event.data.mapping_start.anchor)
                open.append((anchor, 0))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let collection = open.popLast() else { return }
                close(anchor: collection.anchor, size: collection.size + 1)
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                guard let size = anchorSizes[name] else {
                    throw ManifestIssue(line: line, reason: "alias *\(name) refers to no anchor before it")
                }
                aliasExpansion += size
                guard aliasExpansion <= YAMLPreflight.maxAliasExpansion else {
                    throw ManifestIssue(
                        line: line,
                        reason: "aliases expand to more than \(YAMLPreflight.maxAliasExpansion) nodes")
                }
                close(anchor: nil, size: size)
            default:
                break
            }
        }

        /// Records a finished node of `size` expanded nodes in its parent and under its anchor.
        private mutating func close(anchor: String?, size: Int) {
            if let anchor { anchorSizes[anchor] = size }
            if !open.isEmpty { open[open.count - 1].size += size }
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
