import DNSWire

extension ManifestParser {
    /// A v1 Service. `spec.type` picks the kind: ClusterIP (the default), NodePort and LoadBalancer have cluster
    /// IPs (`clusterIPs` wins over `clusterIP`, as the API server keeps them in step; `None` makes the service
    /// headless); ExternalName has a target name.
    static func decodeService(_ object: ManifestNode) throws(ManifestIssue) -> Declaration {
        let metadata = try metadata(of: object, nameRule: .dns1035Label)
        var service = Service(namespace: metadata.namespace, name: metadata.name, kind: .clusterIP([]))
        if let spec = try object.field("spec") {
            try spec.requireMapping()
            service.kind = try serviceKind(spec)
            if let ports = try spec.field("ports") {
                service.ports = try ports.elements().map { (port) throws(ManifestIssue) in try servicePort(port) }
            }
            service.publishNotReadyAddresses = try optionalBool(spec, "publishNotReadyAddresses") ?? false
        }
        return Declaration(
            key: RegistryObject.service(service).key, line: metadata.line, objects: [.service(service)])
    }

    private static let serviceTypes = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]

    private static func serviceKind(_ spec: ManifestNode) throws(ManifestIssue) -> ServiceKind {
        var type = "ClusterIP"
        if let typeNode = try spec.field("type") {
            type = try typeNode.string()
            guard serviceTypes.contains(type) else {
                throw typeNode.issue(
                    "\(quoted(type)) is not a Service type (ClusterIP, NodePort, LoadBalancer or ExternalName)")
            }
        }
        if type == "ExternalName" {
            guard let target = try spec.field("externalName") else {
                throw spec.issue("externalName is required for a Service of type ExternalName")
            }
            return .externalName(try externalName(target))
        }
        // `clusterIPs` is the dual-stack form; when both are set the API server keeps clusterIP == clusterIPs[0].
        let entries: [ManifestNode]
        if let list = try spec.field("clusterIPs"), case let elements = try list.elements(), !elements.isEmpty {
            entries = elements
        } else if let single = try spec.field("clusterIP") {
            entries = [single]
        } else {
            entries = []
        }
        var addresses = AddressList()
        for entry in entries {
            let text = try entry.string()
            if text == "None" {
                guard entries.count == 1 else { throw entry.issue("None can't be listed with addresses") }
                return .headless
            }
            // An empty clusterIP asks the API server to allocate one; a manifest directory has nobody to do that.
            guard !text.isEmpty else { continue }
            let address = try ipAddress(entry)
            guard !addresses.contains(where: { $0.isV4 == address.isV4 }) else {
                throw entry.issue(
                    "\(quoted(text)) is a second address of one IP family (one IPv4 and one IPv6 at most)")
            }
            addresses.append(address)
        }
        return .clusterIP(addresses)
    }

    /// The ExternalName target: an RFC 1123 subdomain, as the API server requires, with an optional final dot.
    private static func externalName(_ node: ManifestNode) throws(ManifestIssue) -> Name {
        let text = try node.string()
        let relative = text.hasSuffix(".") ? String(text.dropLast()) : text
        guard KubernetesNames.isDNS1123Subdomain(relative), let name = try? Name(relative) else {
            throw node.issue(
                "\(quoted(text)) is not a valid DNS name (\(KubernetesNames.dns1123SubdomainRule))")
        }
        return name
    }

    private static func servicePort(_ port: ManifestNode) throws(ManifestIssue) -> ServicePort {
        try port.requireMapping()
        guard let number = try port.field("port") else { throw port.issue("port is required") }
        return ServicePort(
            name: try portName(port), transportProtocol: try transportProtocol(port), port: try portNumber(number))
    }
}
