import DNSRegistry
import Foundation

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
    /// and the zones directory give identical answers.
    public init(line: [UInt8], resource: WatchedResource) throws(DecodeError) {
        guard let event = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let type = event["type"] as? String, let object = event["object"] as? [String: Any]
        else { throw .notJSON }
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        resourceVersion = metadata["resourceVersion"] as? String
        key = WatchEvent.key(metadata, resource: resource)
        switch type {
        case "BOOKMARK":
            change = .bookmark
        case "ERROR":
            change = .error(APIStatus(object))
        case "DELETED":
            change = .deleted(key)
        case "ADDED", "MODIFIED":
            let objects = try WatchEvent.registryObjects(object, resource: resource)
            change = type == "ADDED" ? .added(objects) : .modified(objects)
        default:
            throw .unknownType(type)
        }
    }

    static func key(_ metadata: [String: Any], resource: WatchedResource) -> RegistryObjectKey {
        let namespace = metadata["namespace"] as? String
        return RegistryObjectKey(
            kind: resource.kind,
            namespace: resource == .namespaces ? "" : (namespace?.isEmpty == false ? namespace! : "default"),
            name: metadata["name"] as? String ?? "")
    }

    static func registryObjects(_ object: [String: Any], resource: WatchedResource) throws(DecodeError)
        -> [RegistryObject]
    {
        var object = object
        // Lists carry no kind on their items; watch events do, but fill it in the same way for both.
        if object["kind"] == nil { object["kind"] = resource.kind }
        if object["apiVersion"] == nil {
            object["apiVersion"] = resource == .endpointSlices ? "discovery.k8s.io/v1" : "v1"
        }
        let name = (object["metadata"] as? [String: Any])?["name"] as? String ?? "?"
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            return try ManifestParser.parse(String(decoding: data, as: UTF8.self), path: "\(resource.rawValue)/\(name)")
        } catch let error as ManifestError {
            throw .invalidObject("\(error)")
        } catch {
            throw .invalidObject("\(error)")
        }
    }
}
