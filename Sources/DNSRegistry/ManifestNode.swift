import Yams

/// A node of a composed manifest together with its field path (`spec.ports[1].port`), so that every problem can be
/// reported as `path: what is wrong` at the node's own line.
///
/// Values are read as Kubernetes' decoder reads them: a JSON/YAML null or a missing key is "not set"; numbers and
/// booleans must be unquoted (`port: "80"` is a string, which the API server refuses for an integer field).
struct ManifestNode {
    let node: Node
    /// Where the node is, for messages; empty for a document root.
    let path: String
    /// The line to report when the node itself carries no mark.
    let fallbackLine: Int

    init(_ node: Node, path: String = "", fallbackLine: Int = 1) {
        self.node = node
        self.path = path
        self.fallbackLine = fallbackLine
    }

    var line: Int {
        node.mark?.line ?? fallbackLine
    }

    /// True for a YAML null (`~`, `null`, nothing at all) or JSON `null`.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        switch scalar.string {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    func issue(_ what: String) -> ManifestIssue {
        ManifestIssue(line: line, reason: path.isEmpty ? what : "\(path): \(what)")
    }

    private func childPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    // MARK: - Structure

    /// The value at `key` when this node is a mapping and the value is set. A YAML merge key (`<<: *defaults`) is
    /// looked into when the mapping doesn't hold `key` itself, as Kubernetes' YAML decoder does.
    func field(_ key: String) throws(ManifestIssue) -> ManifestNode? {
        guard case .mapping(let mapping) = node else { throw issue("expected a mapping, found \(node.kindName)") }
        if let value = mapping[key] {
            let child = ManifestNode(value, path: childPath(key), fallbackLine: line)
            return child.isNull ? nil : child
        }
        guard let merged = mapping["<<"] else { return nil }
        let sources: [Node] =
            switch merged {
            case .mapping: [merged]
            case .sequence(let sequence): Array(sequence)
            default: []
            }
        for source in sources where source.mapping != nil {
            if let found = try ManifestNode(source, path: path, fallbackLine: line).field(key) { return found }
        }
        return nil
    }

    /// Checks that this node is a mapping, for objects whose every field is optional.
    func requireMapping() throws(ManifestIssue) {
        guard case .mapping = node else { throw issue("expected a mapping, found \(node.kindName)") }
    }

    /// The elements of a sequence, each with its indexed path.
    func elements() throws(ManifestIssue) -> [ManifestNode] {
        guard case .sequence(let sequence) = node else { throw issue("expected a list, found \(node.kindName)") }
        return sequence.enumerated().map { index, element in
            ManifestNode(element, path: "\(path)[\(index)]", fallbackLine: line)
        }
    }

    /// The string pairs of a mapping such as `metadata.labels`; non-string values are skipped (they can't match).
    func stringPairs() throws(ManifestIssue) -> [String: String] {
        guard case .mapping(let mapping) = node else { throw issue("expected a mapping, found \(node.kindName)") }
        var pairs: [String: String] = [:]
        for (key, value) in mapping {
            if case .scalar(let keyScalar) = key, case .scalar(let valueScalar) = value {
                pairs[keyScalar.string] = valueScalar.string
            }
        }
        return pairs
    }

    // MARK: - Scalars

    /// The text of a scalar, whatever it looks like (`name: 123` is the name "123").
    func string() throws(ManifestIssue) -> String {
        guard case .scalar(let scalar) = node else { throw issue("expected a string, found \(node.kindName)") }
        return scalar.string
    }

    /// A plain decimal integer. Anything else (quoted, fractional, hexadecimal, sexagesimal, too many digits) is
    /// refused with `what`, which describes the value expected.
    func integer(_ what: String) throws(ManifestIssue) -> Int {
        guard case .scalar(let scalar) = node else { throw issue("expected \(what), found \(node.kindName)") }
        let text = scalar.string
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        // 18 digits always fit an Int; anything longer is out of every range checked here anyway.
        guard scalar.style == .plain || scalar.style == .any, !digits.isEmpty, digits.count <= 18,
            digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(text)
        else {
            throw issue("\(quotedIfNeeded(scalar)) is not \(what)")
        }
        return value
    }

    /// An unquoted YAML boolean: true/false (any case), and the YAML 1.1 yes/no/on/off Kubernetes' decoder accepts.
    func bool() throws(ManifestIssue) -> Bool {
        guard case .scalar(let scalar) = node else { throw issue("expected true or false, found \(node.kindName)") }
        if scalar.style == .plain || scalar.style == .any {
            switch scalar.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        throw issue("\(quotedIfNeeded(scalar)) is not true or false")
    }

    /// The scalar as written in a message: plain values as they are, anything else in double quotes.
    private func quotedIfNeeded(_ scalar: Node.Scalar) -> String {
        let text = scalar.string.count > 64 ? String(scalar.string.prefix(64)) + "…" : scalar.string
        return scalar.style == .plain || scalar.style == .any ? text : "\"\(text)\""
    }
}

extension Node {
    /// How a message names what it found instead of what it expected.
    var kindName: String {
        switch self {
        case .scalar(let scalar): scalar.string.isEmpty ? "an empty value" : "the scalar \(scalar.string.prefix(64))"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
