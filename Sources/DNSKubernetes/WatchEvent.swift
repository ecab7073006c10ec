import DNSRegistry

/// One line of a watch stream (`{"type":"ADDED","object":{…}}`), reduced to what the registry needs.
public struct WatchEvent: Sendable {
    public enum Change: Sendable, Equatable {
        case added([RegistryObject])
        case modified([RegistryObject])
        case deleted(RegistryObjectKey)
        /// Progress only: nothing changed up to this resourceVersion.
        case bookmark
        case error(APIStatus)
    }

    public var change: Change
    /// `object.metadata.resourceVersion`: where to resume the watch.
    public var resourceVersion: String?
    /// The object's identity, from its metadata (also for objects DNS cannot use).
    public var key: RegistryObjectKey

    public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        case notJSON
        case unknownType(String)
        case invalidObject(String)

        public var description: String {
            switch self {
            case .notJSON: "a watch event that is not a JSON object"
            case .unknownType(let type): "a watch event of unknown type \(type)"
            case .invalidObject(let reason): "a watched object DNS cannot use: \(reason)"
            }
        }
    }

    /// Decodes one event of `resource`. Objects go through the same parser and validation as manifests, so the API
    /// and the zones directory give identical answers; only the envelope is read here, without decoding the object.
    public init(line: [UInt8], resource: WatchedResource) throws(DecodeError) {
        let event = JSONScanner(line)
        guard let type = event.string(at: ["type"]), let object = event.value(at: ["object"]),
            line[object.lowerBound] == UInt8(ascii: "{")
        else { throw .notJSON }
        resourceVersion = event.string(at: ["object", "metadata", "resourceVersion"])
        key = WatchEvent.key(
            name: event.string(at: ["object", "metadata", "name"]),
            namespace: event.string(at: ["object", "metadata", "namespace"]), resource: resource)
        switch type {
        case "BOOKMARK":
            change = .bookmark
        case "ERROR":
            change = .error(APIStatus(body: Array(line[object])) ?? APIStatus(code: 0, reason: "", message: ""))
        case "DELETED":
            change = .deleted(key)
        case "ADDED", "MODIFIED":
            let objects = try WatchEvent.registryObjects(Array(line[object]), resource: resource, name: key.name)
            change = type == "ADDED" ? .added(objects) : .modified(objects)
        default:
            throw .unknownType(type)
        }
    }

    static func key(name: String?, namespace: String?, resource: WatchedResource) -> RegistryObjectKey {
        RegistryObjectKey(
            kind: resource.kind,
            namespace: resource == .namespaces ? "" : (namespace?.isEmpty == false ? namespace! : "default"),
            name: name ?? "")
    }

    /// The registry objects of one object's JSON text. List items carry no kind or apiVersion (the list has them):
    /// they are added as the API's types say.
    static func registryObjects(_ object: [UInt8], resource: WatchedResource, name: String) throws(DecodeError)
        -> [RegistryObject]
    {
        var text = object
        let scanner = JSONScanner(object)
        var missing = ""
        if scanner.value(at: ["kind"]) == nil { missing += #""kind":"\#(resource.kind)","# }
        if scanner.value(at: ["apiVersion"]) == nil { missing += #""apiVersion":"\#(resource.apiVersion)","# }
        if !missing.isEmpty {
            // Inserted after the opening brace; in an empty object, without the comma.
            let rest = object.dropFirst()
            if rest.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }) == UInt8(ascii: "}") {
                missing.removeLast()
            }
            text = [UInt8(ascii: "{")] + Array(missing.utf8) + rest
        }
        do {
            return try ManifestParser.parse(String(decoding: text, as: UTF8.self), path: "\(resource.rawValue)/\(name)")
        } catch {
            throw .invalidObject("\(error)")
        }
    }
}
