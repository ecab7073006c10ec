extension ManifestParser {
    /// A legacy v1 Endpoints object: each subset becomes one slice named after the Endpoints (and so after its
    /// service), `addresses` ready and `notReadyAddresses` not ready. Nothing in v1 Endpoints says "terminating".
    static func decodeEndpoints(_ object: ManifestNode) throws(ManifestIssue) -> Declaration {
        let metadata = try metadata(of: object, nameRule: .dns1123Label)
        var slices: [RegistryObject] = []
        for subset in try object.field("subsets")?.elements() ?? [] {
            try subset.requireMapping()
            var endpoints: [Endpoint] = []
            for (key, ready) in [("addresses", true), ("notReadyAddresses", false)] as [(StaticString, Bool)] {
                for address in try subset.field(key)?.elements() ?? [] {
                    try address.requireMapping()
                    guard let ip = try address.field("ip") else { throw address.issue("ip is required") }
                    var endpoint = Endpoint(addresses: [try ipAddress(ip)], ready: ready, serving: ready)
                    try decodeAddressDetails(address, into: &endpoint)
                    endpoints.append(endpoint)
                }
            }
            var ports: [EndpointPort] = []
            for node in try subset.field("ports")?.elements() ?? [] {
                if let port = try endpointPort(node) { ports.append(port) }
            }
            let slice = EndpointSlice(
                namespace: metadata.namespace, name: metadata.name, serviceName: metadata.name, endpoints: endpoints,
                ports: ports, isLegacyEndpoints: true)
            slices.append(.endpointSlice(slice))
        }
        let key = RegistryObjectKey(kind: "Endpoints", namespace: metadata.namespace, name: metadata.name)
        return Declaration(key: key, line: metadata.line, objects: slices)
    }
}
