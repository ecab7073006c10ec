import DNSWire

extension ManifestParser {
    /// A v1 Pod: its addresses, `status.podIPs` (one per family) or, in older manifests, `status.podIP`.
    static func decodePod(_ object: ManifestNode) throws(ManifestIssue) -> Declaration {
        let metadata = try metadata(of: object, nameRule: .dns1123Subdomain)
        var ips = AddressList()
        if let status = try object.field("status") {
            try status.requireMapping()
            if let list = try status.field("podIPs"), case let entries = try list.elements(), !entries.isEmpty {
                for entry in entries {
                    guard let ip = try entry.field("ip") else { throw entry.issue("ip is required") }
                    ips.append(try ipAddress(ip))
                }
            } else if let single = try status.field("podIP"), try !single.string().isEmpty {
                ips = [try ipAddress(single)]
            }
        }
        let pod = Pod(namespace: metadata.namespace, name: metadata.name, ips: ips)
        return Declaration(key: RegistryObject.pod(pod).key, line: metadata.line, objects: [.pod(pod)])
    }

    /// A v1 Namespace: its name makes `<namespace>.svc.<zone>` exist even with no service in it.
    static func decodeNamespace(_ object: ManifestNode) throws(ManifestIssue) -> Declaration {
        let metadata = try metadata(of: object, nameRule: .dns1123Label)
        return Declaration(
            key: RegistryObject.namespace(metadata.name).key, line: metadata.line,
            objects: [.namespace(metadata.name)])
    }
}
