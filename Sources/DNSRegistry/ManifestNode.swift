/// A node of a composed manifest together with its field path (`spec.ports[1].port`), so that every problem can be
/// reported as `path: what is wrong` at the node's own line.
///
/// Values are read as Kubernetes' decoder reads them: a JSON/YAML null or a missing key is "not set"; numbers and
/// booleans must be unquoted (`port: "80"` is a string, which the API server refuses for an integer field).
///
/// The path is only spelled out for a message: a node keeps its parent's path and its own step, since nearly every
/// node is read without a problem.
struct ManifestNode {
    private let box: YAMLDocument.Box
    let index: Int32
    /// The last step of the node's path, linked to the steps before it; `nil` for a document root.
    private let link: PathLink?

    private enum Step {
        case key(StaticString)
        case index(Int)
    }

    /// A step of a path and the steps before it: one small object per node read, where a `String` spelled out per
    /// node cost more than the rest of reading the node.
    private final class PathLink {
        let parent: PathLink?
        let step: Step

        init(parent: PathLink?, step: Step) {
            self.parent = parent
            self.step = step
        }
    }

    /// The root of `document`.
    init(root box: YAMLDocument.Box) {
        self.init(box, box.document.root, link: nil)
    }

    private init(_ box: YAMLDocument.Box, _ index: Int32, link: PathLink?) {
        self.box = box
        self.index = index
        self.link = link
    }

    /// Where the node is, for messages; empty for a document root.
    var path: String {
        var steps: [Step] = []
        var link = link
        while let current = link {
            steps.append(current.step)
            link = current.parent
        }
        var path = ""
        for step in steps.reversed() {
            switch step {
            case .key(let key): path = path.isEmpty ? key.description : "\(path).\(key)"
            case .index(let index): path = "\(path)[\(index)]"
            }
        }
        return path
    }

    private var document: YAMLDocument { box.document }

    private var entry: YAMLDocument.Entry { document.entry(index) }

    var line: Int { Int(entry.line) }

    var isMapping: Bool { entry.kind == .mapping }

    /// The text when this is a scalar, else nil.
    var scalarText: String? { entry.kind == .scalar ? document.string(index) : nil }

    /// True for a YAML null (`~`, `null`, nothing at all) or JSON `null`.
    var isNull: Bool {
        let entry = entry
        guard entry.kind == .scalar, entry.isPlain, entry.count <= 4 else { return false }
        return entry.count == 0 || document.scalar(index, equals: "~") || document.scalar(index, equals: "null")
            || document.scalar(index, equals: "Null") || document.scalar(index, equals: "NULL")
    }

    func issue(_ what: String) -> ManifestIssue {
        let path = path
        return ManifestIssue(line: line, reason: path.isEmpty ? what : "\(path): \(what)")
    }

    /// How a message names what it found instead of what it expected.
    var kindName: String {
        switch entry.kind {
        case .scalar:
            let text = document.string(index)
            return text.isEmpty ? "an empty value" : "the scalar \(text.prefix(64))"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    // MARK: - Structure

    /// The value at `key` when this node is a mapping and the value is set. A YAML merge key (`<<: *defaults`) is
    /// looked into when the mapping doesn't hold `key` itself, as Kubernetes' YAML decoder does.
    func field(_ key: StaticString) throws(ManifestIssue) -> ManifestNode? {
        guard entry.kind == .mapping else { throw issue("expected a mapping, found \(kindName)") }
        if let value = document.value(in: index, key: key) {
            let child = ManifestNode(box, value, link: PathLink(parent: link, step: .key(key)))
            return child.isNull ? nil : child
        }
        guard let merged = document.value(in: index, key: "<<", tag: YAMLDocument.mergeTag) else { return nil }
        let sources: [Int32] =
            switch document.entry(merged).kind {
            case .mapping: [merged]
            case .sequence: (0..<Int(document.entry(merged).count)).map { document.child(merged, $0) }
            case .scalar: []
            }
        for source in sources where document.entry(source).kind == .mapping {
            // The merged mapping's fields are named as if this mapping held them.
            if let found = try ManifestNode(box, source, link: link).field(key) {
                return found
            }
        }
        return nil
    }

    /// Checks that this node is a mapping, for objects whose every field is optional.
    func requireMapping() throws(ManifestIssue) {
        guard entry.kind == .mapping else { throw issue("expected a mapping, found \(kindName)") }
    }

    /// The elements of a sequence, each with its indexed path.
    func elements() throws(ManifestIssue) -> [ManifestNode] {
        let entry = entry
        guard entry.kind == .sequence else { throw issue("expected a list, found \(kindName)") }
        return (0..<Int(entry.count)).map { position in
            ManifestNode(box, document.child(index, position), link: PathLink(parent: link, step: .index(position)))
        }
    }

    /// The string pairs of a mapping such as `metadata.labels`; non-string values are skipped (they can't match).
    func stringPairs() throws(ManifestIssue) -> [String: String] {
        let entry = entry
        guard entry.kind == .mapping else { throw issue("expected a mapping, found \(kindName)") }
        var pairs: [String: String] = [:]
        for pair in 0..<Int(entry.count) / 2 {
            let key = document.child(index, 2 * pair)
            let value = document.child(index, 2 * pair + 1)
            if document.entry(key).kind == .scalar, document.entry(value).kind == .scalar {
                pairs[document.string(key)] = document.string(value)
            }
        }
        return pairs
    }

    // MARK: - Scalars

    /// The text of a scalar, whatever it looks like (`name: 123` is the name "123").
    func string() throws(ManifestIssue) -> String {
        guard entry.kind == .scalar else { throw issue("expected a string, found \(kindName)") }
        return document.string(index)
    }

    /// A plain decimal integer. Anything else (quoted, fractional, hexadecimal, sexagesimal, too many digits) is
    /// refused with `what`, which describes the value expected.
    func integer(_ what: String) throws(ManifestIssue) -> Int {
        let entry = entry
        guard entry.kind == .scalar else { throw issue("expected \(what), found \(kindName)") }
        let text = document.string(index)
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        // 18 digits always fit an Int; anything longer is out of every range checked here anyway.
        guard entry.isPlain, !digits.isEmpty, digits.utf8.count <= 18,
            digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(text)
        else {
            throw issue("\(quotedIfNeeded(text)) is not \(what)")
        }
        return value
    }

    /// An unquoted YAML boolean: true/false (any case), and the YAML 1.1 yes/no/on/off Kubernetes' decoder accepts.
    func bool() throws(ManifestIssue) -> Bool {
        guard entry.kind == .scalar else { throw issue("expected true or false, found \(kindName)") }
        let text = document.string(index)
        if entry.isPlain {
            switch text.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        throw issue("\(quotedIfNeeded(text)) is not true or false")
    }

    /// The scalar as written in a message: plain values as they are, anything else in double quotes.
    private func quotedIfNeeded(_ text: String) -> String {
        let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return entry.isPlain ? shown : "\"\(shown)\""
    }
}
