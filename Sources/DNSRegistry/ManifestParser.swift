import DNSWire

/// Reads Kubernetes manifests (what `kubectl apply -f` takes) into registry objects.
///
/// A file is multi-document YAML (`---`) or JSON (one document; JSON is YAML here, parsed by the same code, so its
/// errors carry lines too). A document is one object or a list (`kind: List`, or a typed list such as the API's
/// `ServiceList`, whose items carry no kind of their own). Understood: v1 Service, Endpoints, Pod and Namespace, and
/// discovery.k8s.io EndpointSlice; every other kind is skipped without a word, so a directory may hold Deployments
/// and ConfigMaps too.
///
/// A file is all or nothing: the first problem rejects it with its line, as `kubectl apply` would refuse it.
public enum ManifestParser {
    /// The objects `text` declares, in file order. When one file declares the same object twice, the later one wins,
    /// as it would with `kubectl apply`.
    public static func parse(_ text: String, path: String) throws(ManifestError) -> [RegistryObject] {
        let declarations = try declarations(in: text, path: path)
        var lastIndex: [RegistryObjectKey: Int] = [:]
        for (index, declaration) in declarations.enumerated() {
            lastIndex[declaration.key] = index
        }
        return declarations.enumerated().flatMap { index, declaration in
            lastIndex[declaration.key] == index ? declaration.objects : []
        }
    }

    /// One object of a known kind as a manifest declares it: its identity, where it starts, and what it yields (a
    /// legacy Endpoints yields one slice per subset; an FQDN EndpointSlice or a slice of no service, nothing).
    struct Declaration: Sendable, Hashable {
        var key: RegistryObjectKey
        var line: Int
        var objects: [RegistryObject]
    }

    /// Every declaration of a known kind in `text`, in file order, duplicates included.
    ///
    /// Documents are composed one at a time and read into objects before the next is composed, so no file's whole
    /// tree is ever in memory: by `BlockYAMLScanner` straight from the text when the file is in the subset of YAML it
    /// reads (what manifests use), else from libyaml's events (`YAMLComposer`), which then reads the whole file again.
    /// `ManifestNode` reads every scalar from its text and style, as Kubernetes' decoder does; only merge keys (`<<`)
    /// need a tag.
    static func declarations(in text: String, path: String) throws(ManifestError) -> [Declaration] {
        var declarations: [Declaration] = []
        func read(_ composed: YAMLDocument.Box) throws(ManifestIssue) {
            let document = ManifestNode(root: composed)
            guard !document.isNull else { return }  // an empty document, or one of comments only
            guard document.isMapping else {
                throw ManifestIssue(
                    line: document.line, reason: "a document must be a mapping (an object), found \(document.kindName)")
            }
            try declarations.append(contentsOf: decodeDocument(document))
        }
        do throws(ManifestIssue) {
            if try BlockYAMLScanner.compose(text, read) == .outsideSubset {
                // What the scanner's documents gave is dropped: libyaml reads the file from its start.
                declarations.removeAll()
                try YAMLComposer.compose(text, read)
            }
            return declarations
        } catch {
            throw error.error(path: path)
        }
    }

    // MARK: - Documents and lists

    private static func decodeDocument(_ document: ManifestNode) throws(ManifestIssue) -> [Declaration] {
        guard let kind = try scalarText(document.field("kind")) else { return [] }
        let apiVersion = try scalarText(document.field("apiVersion"))
        guard kind.hasSuffix("List"), let items = try document.field("items") else {
            return try decodeObject(document, kind: kind, apiVersion: apiVersion).map { [$0] } ?? []
        }
        // A typed list (`ServiceList`, as the API serves it) leaves kind and apiVersion out of its items.
        let itemKind = kind == "List" ? nil : String(kind.dropLast("List".count))
        var declarations: [Declaration] = []
        for item in try items.elements() {
            try item.requireMapping()
            guard let kind = try scalarText(item.field("kind")) ?? itemKind else { continue }
            let apiVersion = try scalarText(item.field("apiVersion")) ?? apiVersion
            // Lists don't nest in what kubectl or the API produce; a nested one is some other kind, skipped.
            guard kind != "List" else { continue }
            if let declaration = try decodeObject(item, kind: kind, apiVersion: apiVersion) {
                declarations.append(declaration)
            }
        }
        return declarations
    }

    /// A `kind` or `apiVersion` value: text when it is a scalar, else nothing (then the document is not one of ours).
    private static func scalarText(_ node: ManifestNode?) throws(ManifestIssue) -> String? {
        node?.scalarText
    }

    private static func decodeObject(
        _ object: ManifestNode, kind: String, apiVersion: String?
    ) throws(ManifestIssue) -> Declaration? {
        // The API group is what tells a v1 Service from, say, a Knative `serving.knative.dev/v1` Service.
        let group = apiVersion.map { version in
            version.firstIndex(of: "/").map { String(version[..<$0]) } ?? ""
        }
        let expectedGroup: String
        switch kind {
        case "Service", "Endpoints", "Pod", "Namespace": expectedGroup = ""
        case "EndpointSlice": expectedGroup = "discovery.k8s.io"
        default: return nil
        }
        // A missing apiVersion is taken as the usual one for the kind.
        if let group, group != expectedGroup { return nil }
        switch kind {
        case "Service": return try decodeService(object)
        case "EndpointSlice": return try decodeEndpointSlice(object)
        case "Endpoints": return try decodeEndpoints(object)
        case "Pod": return try decodePod(object)
        default: return try decodeNamespace(object)
        }
    }

    // MARK: - Metadata

    /// `metadata.name` and `metadata.namespace` (default `default`), validated.
    struct Metadata {
        var name: String
        var namespace: String
        var labels: [String: String]
        /// The node of `metadata.labels`, for messages about a label.
        var labelsNode: ManifestNode?
        /// Where the object starts.
        var line: Int
    }

    enum NameRule {
        case dns1123Label, dns1035Label, dns1123Subdomain

        func accepts(_ name: String) -> Bool {
            switch self {
            case .dns1123Label: KubernetesNames.isDNS1123Label(name)
            case .dns1035Label: KubernetesNames.isDNS1035Label(name)
            case .dns1123Subdomain: KubernetesNames.isDNS1123Subdomain(name)
            }
        }

        var explanation: String {
            switch self {
            case .dns1123Label: "is not a valid name (\(KubernetesNames.dns1123LabelRule))"
            case .dns1035Label: "is not a valid Service name (\(KubernetesNames.dns1035LabelRule))"
            case .dns1123Subdomain: "is not a valid name (\(KubernetesNames.dns1123SubdomainRule))"
            }
        }
    }

    static func metadata(of object: ManifestNode, nameRule: NameRule) throws(ManifestIssue) -> Metadata {
        guard let metadata = try object.field("metadata") else {
            throw object.issue("metadata.name is required")
        }
        guard let nameNode = try metadata.field("name") else {
            throw ManifestIssue(line: metadata.line, reason: "\(metadata.path).name is required")
        }
        let name = try nameNode.string()
        guard nameRule.accepts(name) else { throw nameNode.issue("\(quoted(name)) \(nameRule.explanation)") }
        var namespace = "default"
        // An empty namespace means the default one, as kubectl takes it.
        if let namespaceNode = try metadata.field("namespace"), try !namespaceNode.string().isEmpty {
            namespace = try namespaceNode.string()
            guard KubernetesNames.isDNS1123Label(namespace) else {
                throw namespaceNode.issue(
                    "\(quoted(namespace)) is not a valid namespace (\(KubernetesNames.dns1123LabelRule))")
            }
        }
        let labelsNode = try metadata.field("labels")
        let labels = try labelsNode?.stringPairs() ?? [:]
        return Metadata(name: name, namespace: namespace, labels: labels, labelsNode: labelsNode, line: object.line)
    }

    // MARK: - Shared field readers

    static func quoted(_ text: String) -> String {
        "\"\(text.count > 64 ? String(text.prefix(64)) + "…" : text)\""
    }

    static func optionalString(_ object: ManifestNode, _ key: StaticString) throws(ManifestIssue) -> String? {
        try object.field(key)?.string()
    }

    static func optionalBool(_ object: ManifestNode, _ key: StaticString) throws(ManifestIssue) -> Bool? {
        try object.field(key)?.bool()
    }

    /// A port number, 1–65535.
    static func portNumber(_ node: ManifestNode) throws(ManifestIssue) -> UInt16 {
        let value = try node.integer("a port number (1-65535)")
        guard (1...65535).contains(value) else { throw node.issue("\(value) is not a port number (1-65535)") }
        return UInt16(value)
    }

    /// `protocol`, TCP when absent.
    static func transportProtocol(_ object: ManifestNode) throws(ManifestIssue) -> TransportProtocol {
        guard let node = try object.field("protocol") else { return .tcp }
        let text = try node.string()
        guard let value = TransportProtocol(rawValue: text) else {
            throw node.issue("\(quoted(text)) is not a protocol (TCP, UDP or SCTP)")
        }
        return value
    }

    /// A port `name`: `nil` when absent or empty (the EndpointSlice controller writes `name: ""` for unnamed ports).
    static func portName(_ object: ManifestNode) throws(ManifestIssue) -> String? {
        guard let node = try object.field("name") else { return nil }
        let name = try node.string()
        guard !name.isEmpty else { return nil }
        guard KubernetesNames.isIANAServiceName(name) else {
            throw node.issue("\(quoted(name)) is not a valid port name (\(KubernetesNames.ianaServiceNameRule))")
        }
        return name
    }

    static func ipAddress(_ node: ManifestNode, family: IPFamily? = nil) throws(ManifestIssue) -> IPAddress {
        let text = try node.string()
        guard let address = dottedQuad(text) ?? IPAddress(text) else {
            throw node.issue("\(quoted(text)) is not an IP address")
        }
        if let family, family.isV4 != address.isV4 {
            throw node.issue("\(quoted(text)) is not an \(family.rawValue) address")
        }
        return address
    }

    /// `IPv4Address(_:)`'s rules (four decimal parts of 1-3 digits, no leading zero, at most 255) over the bytes,
    /// for text of digits and dots only, which can't be anything else; `nil` otherwise (also for text with other
    /// characters, which `IPAddress(_:)` then reads). Endpoint addresses are most of a cluster's scalars, and the
    /// general parser splits into substrings per part.
    static func dottedQuad(_ text: String) -> IPAddress? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return nil }
                digits += 1
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                guard digits <= 3, part <= 255 else { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
            default:
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return .v4(IPv4Address(value << 8 | part))
    }

    enum IPFamily: String {
        case ipv4 = "IPv4"
        case ipv6 = "IPv6"

        var isV4: Bool { self == .ipv4 }
    }
}
