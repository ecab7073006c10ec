import DNSWire

extension ManifestParser {
    /// The label that ties an EndpointSlice to its Service.
    static let serviceNameLabel = "kubernetes.io/service-name"

    /// A discovery.k8s.io/v1 EndpointSlice. FQDN slices (deprecated, and never made by Kubernetes' controllers) and
    /// slices without the service-name label belong to no service DNS answers for: they yield nothing. Endpoints
    /// without addresses and ports without a number (allowed, meaning "all ports") can't become records and are
    /// left out.
    static func decodeEndpointSlice(_ object: ManifestNode) throws(ManifestIssue) -> Declaration {
        let metadata = try metadata(of: object, nameRule: .dns1123Subdomain)
        let key = RegistryObjectKey(kind: "EndpointSlice", namespace: metadata.namespace, name: metadata.name)
        guard let typeNode = try object.field("addressType") else {
            throw object.issue("addressType is required (IPv4, IPv6 or FQDN)")
        }
        let addressType = try typeNode.string()
        let family: IPFamily
        switch addressType {
        case "IPv4": family = .ipv4
        case "IPv6": family = .ipv6
        case "FQDN": return Declaration(key: key, line: metadata.line, objects: [])
        default: throw typeNode.issue("\(quoted(addressType)) is not an address type (IPv4, IPv6 or FQDN)")
        }
        guard let serviceName = metadata.labels[serviceNameLabel] else {
            return Declaration(key: key, line: metadata.line, objects: [])
        }
        guard KubernetesNames.isDNS1035Label(serviceName) else {
            throw ManifestIssue(
                line: metadata.labelsNode?.line ?? metadata.line,
                reason: "metadata.labels[\"\(serviceNameLabel)\"]: \(quoted(serviceName)) "
                    + NameRule.dns1035Label.explanation)
        }
        // Reserved up front: grown by appending, the arrays kept a quarter of their bytes unused on average.
        let endpointNodes = try object.field("endpoints")?.elements() ?? []
        var endpoints: [Endpoint] = []
        endpoints.reserveCapacity(endpointNodes.count)
        for node in endpointNodes {
            if let endpoint = try sliceEndpoint(node, family: family) { endpoints.append(endpoint) }
        }
        let portNodes = try object.field("ports")?.elements() ?? []
        var ports: [EndpointPort] = []
        ports.reserveCapacity(portNodes.count)
        for node in portNodes {
            if let port = try endpointPort(node) { ports.append(port) }
        }
        let slice = EndpointSlice(
            namespace: metadata.namespace, name: metadata.name, serviceName: serviceName, endpoints: endpoints,
            ports: ports)
        return Declaration(key: key, line: metadata.line, objects: [.endpointSlice(slice)])
    }

    private static func sliceEndpoint(_ node: ManifestNode, family: IPFamily) throws(ManifestIssue) -> Endpoint? {
        try node.requireMapping()
        var addresses = AddressList()
        for address in try node.field("addresses")?.elements() ?? [] {
            addresses.append(try ipAddress(address, family: family))
        }
        var endpoint = Endpoint(addresses: addresses)
        if let conditions = try node.field("conditions") {
            try conditions.requireMapping()
            // discovery.k8s.io/v1 EndpointConditions: nil ready and serving mean true, nil terminating false.
            endpoint.ready = try optionalBool(conditions, "ready") ?? true
            endpoint.serving = try optionalBool(conditions, "serving") ?? true
            endpoint.terminating = try optionalBool(conditions, "terminating") ?? false
        }
        try decodeAddressDetails(node, into: &endpoint)
        return addresses.isEmpty ? nil : endpoint
    }

    /// `hostname`, `nodeName` and `targetRef`, which EndpointSlice endpoints and Endpoints addresses share; only the
    /// hostname is kept, the others are checked for their shape as the API server would.
    static func decodeAddressDetails(_ node: ManifestNode, into endpoint: inout Endpoint) throws(ManifestIssue) {
        if let hostnameNode = try node.field("hostname") {
            let hostname = try hostnameNode.string()
            guard KubernetesNames.isDNS1123Label(hostname) else {
                throw hostnameNode.issue(
                    "\(quoted(hostname)) is not a valid hostname (\(KubernetesNames.dns1123LabelRule))")
            }
            endpoint.hostname = hostname
        }
        _ = try optionalString(node, "nodeName")
        if let reference = try node.field("targetRef") {
            try reference.requireMapping()
            _ = try optionalString(reference, "kind")
            _ = try optionalString(reference, "namespace")
            _ = try optionalString(reference, "name")
        }
    }

    /// A port of an EndpointSlice or of an Endpoints subset.
    static func endpointPort(_ node: ManifestNode) throws(ManifestIssue) -> EndpointPort? {
        try node.requireMapping()
        let name = try portName(node)
        let transport = try transportProtocol(node)
        guard let number = try node.field("port") else { return nil }
        return EndpointPort(name: name, transportProtocol: transport, port: try portNumber(number))
    }
}
