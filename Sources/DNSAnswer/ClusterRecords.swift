import DNSRegistry
import DNSWire

/// Turns a registry snapshot into the records the Kubernetes DNS-Based Service Discovery specification 1.1.0 asks for,
/// with CoreDNS's behaviour where the specification is silent.
struct ClusterRecords {
    let configuration: AnswerConfiguration
    let snapshot: RegistrySnapshot
    /// `AnswerTable.authorities` index of the reverse zones (`in-addr.arpa`, `ip6.arpa`).
    let reverseV4Authority: Int
    let reverseV6Authority: Int
    let serial: UInt32

    private(set) var collection = RecordCollection()
    /// The namespace `collect(namespace:)` is reading, unpacked once for all its services.
    private var namespaceObjects = NamespaceObjects()

    init(snapshot: RegistrySnapshot, configuration: AnswerConfiguration, serial: UInt32) {
        self.snapshot = snapshot
        self.configuration = configuration
        self.serial = serial
        reverseV4Authority = configuration.zones.count
        reverseV6Authority = configuration.zones.count + 1
    }

    /// The names above the namespaces, in every cluster zone: apex (SOA, NS), `dns-version`, `ns.dns` (with
    /// kube-dns's addresses), and the `svc` and `pod` empty non-terminals. They hold the serial.
    mutating func collectApex() -> RecordCollection {
        collection = RecordCollection()
        for (index, zone) in configuration.zones.enumerated() {
            addApex(zone: zone, authority: index)
        }
        defer { collection = RecordCollection() }
        return collection
    }

    /// The names of one namespace in every cluster zone (`*.<namespace>.svc.<zone>`, `*.<namespace>.pod.<zone>`),
    /// and the PTR records of its addresses. The namespace's own name is the top of each subtree: no ancestor of it is
    /// added, those are `collectApex`'s.
    mutating func collect(namespace: String) -> RecordCollection {
        collection = RecordCollection()
        defer { collection = RecordCollection() }
        guard let objects = snapshot.objects(in: namespace) else { return collection }
        namespaceObjects = objects
        defer { namespaceObjects = NamespaceObjects() }
        for (index, zone) in configuration.zones.enumerated() {
            addNamespace(namespace, zone: zone, authority: index)
            for service in objects.services {
                addService(service, zone: zone, authority: index)
            }
            if configuration.podMode == .verified {
                for pod in objects.pods {
                    addPod(pod, zone: zone, authority: index)
                }
            }
        }
        return collection
    }

    private var ttl: UInt32 { configuration.ttl }

    private func label(_ text: String) -> [UInt8] {
        Array(text.lowercased().utf8)
    }

    // MARK: - Apex

    private mutating func addApex(zone: Name, authority: Int) {
        let nameServer = try! zone.prepending("dns").prepending("ns")
        let soa = SOAData(
            mname: nameServer,
            rname: try! zone.prepending("hostmaster"),
            serial: serial,
            refresh: AnswerTable.soaRefresh,
            retry: AnswerTable.soaRetry,
            expire: AnswerTable.soaExpire,
            minimum: ttl
        )
        collection.add(.soa(soa), type: .soa, at: zone, authority: authority, apex: zone)
        collection.add(.ns(nameServer), type: .ns, at: zone, authority: authority, apex: zone)
        collection.add(
            .txt([Array(AnswerConfiguration.specificationVersion.utf8)]), type: .txt,
            at: try! zone.prepending("dns-version"), authority: authority, apex: zone)
        collection.ensureExists(nameServer, authority: authority, apex: zone)
        collection.ensureExists(try! zone.prepending("svc"), authority: authority, apex: zone)
        if configuration.podMode != .disabled {
            collection.ensureExists(try! zone.prepending("pod"), authority: authority, apex: zone)
        }
        // CoreDNS publishes the cluster DNS service's own addresses at ns.dns.<zone>.
        if let dnsService = snapshot.service(namespace: "kube-system", name: "kube-dns"),
            case .clusterIP(let addresses) = dnsService.kind
        {
            for address in addresses {
                addAddress(address, at: nameServer, authority: authority, apex: zone)
                collection.addAdditional(
                    addressRecord(address, owner: nameServer), forType: .ns, at: zone)
            }
        }
    }

    private mutating func addNamespace(_ namespace: String, zone: Name, authority: Int) {
        guard let svcName = try? zone.prepending("svc").prepending(label(namespace)) else { return }
        collection.ensureExists(svcName, authority: authority, apex: nil)
        if configuration.podMode != .disabled, let podName = try? zone.prepending("pod").prepending(label(namespace)) {
            collection.ensureExists(podName, authority: authority, apex: nil)
        }
    }

    // MARK: - Services

    private mutating func addService(_ service: Service, zone: Name, authority: Int) {
        guard
            let serviceName = try? zone.prepending("svc").prepending(label(service.namespace))
                .prepending(label(service.name))
        else { return }
        switch service.kind {
        case .clusterIP(let addresses):
            addClusterIPService(service, addresses: addresses, name: serviceName, zone: zone, authority: authority)
        case .headless:
            addHeadlessService(service, name: serviceName, zone: zone, authority: authority)
        case .externalName(let target):
            collection.add(.cname(target), type: .cname, at: serviceName, authority: authority, apex: zone)
        }
    }

    private mutating func addClusterIPService(
        _ service: Service, addresses: AddressList, name: Name, zone: Name, authority: Int
    ) {
        collection.ensureExists(name, authority: authority, apex: zone)
        for address in addresses {
            addAddress(address, at: name, authority: authority, apex: zone)
            if authority == 0 { addPointer(from: address, to: name) }
        }
        for port in service.ports {
            guard let portName = port.name, !portName.isEmpty,
                let srvName = srvOwner(portName: portName, transport: port.transportProtocol, service: name)
            else { continue }
            let srv = SRVData(priority: 0, weight: 100, port: port.port, target: name)
            collection.add(.srv(srv), type: .srv, at: srvName, authority: authority, apex: zone)
            for address in addresses {
                collection.addAdditional(addressRecord(address, owner: name), forType: .srv, at: srvName)
            }
        }
    }

    /// Headless: one address record per published endpoint at the service name and at the endpoint's own name;
    /// a service without a published endpoint does not exist (NXDOMAIN), as CoreDNS answers.
    private mutating func addHeadlessService(_ service: Service, name: Name, zone: Name, authority: Int) {
        let published = namespaceObjects.publishedEndpoints(of: service)
        guard !published.isEmpty else { return }
        var targetsByPort: [Name: [(target: Name, port: UInt16, address: IPAddress)]] = [:]
        var portOrder: [Name] = []
        for entry in published {
            for address in entry.endpoint.addresses {
                addAddress(address, at: name, authority: authority, apex: zone)
                let hostLabel = entry.endpoint.hostname.map(label) ?? label(address.dashed)
                guard let endpointName = try? name.prepending(hostLabel) else { continue }
                addAddress(address, at: endpointName, authority: authority, apex: zone)
                if authority == 0 { addPointer(from: address, to: endpointName) }
                for port in entry.ports {
                    guard let portName = port.name, !portName.isEmpty,
                        let srvName = srvOwner(portName: portName, transport: port.transportProtocol, service: name)
                    else { continue }
                    if targetsByPort[srvName] == nil { portOrder.append(srvName) }
                    targetsByPort[srvName, default: []].append((endpointName, port.port, address))
                }
            }
        }
        for srvName in portOrder {
            let targets = targetsByPort[srvName]!
            var seen = Set<SRVKey>()
            let distinctCount = Set(targets.map { SRVKey(target: $0.target, port: $0.port) }).count
            // CoreDNS splits 100 evenly between the records of one priority, at least 1 each.
            let weight = UInt16(max(1, 100 / max(1, distinctCount)))
            for target in targets {
                if seen.insert(SRVKey(target: target.target, port: target.port)).inserted {
                    let srv = SRVData(priority: 0, weight: weight, port: target.port, target: target.target)
                    collection.add(.srv(srv), type: .srv, at: srvName, authority: authority, apex: zone)
                }
                collection.addAdditional(
                    addressRecord(target.address, owner: target.target), forType: .srv, at: srvName)
            }
        }
    }

    private struct SRVKey: Hashable {
        var target: Name
        var port: UInt16
    }

    private func srvOwner(portName: String, transport: TransportProtocol, service: Name) -> Name? {
        let protocolLabel = "_" + transport.rawValue.lowercased()
        return try? service.prepending(protocolLabel).prepending("_" + portName.lowercased())
    }

    // MARK: - Pods

    private mutating func addPod(_ pod: Pod, zone: Name, authority: Int) {
        for address in pod.ips {
            guard
                let name = try? zone.prepending("pod").prepending(label(pod.namespace))
                    .prepending(label(address.dashed))
            else { continue }
            addAddress(address, at: name, authority: authority, apex: zone)
        }
    }

    // MARK: - Records

    private mutating func addAddress(_ address: IPAddress, at name: Name, authority: Int, apex: Name) {
        switch address {
        case .v4(let v4): collection.add(.a(v4), type: .a, at: name, authority: authority, apex: apex)
        case .v6(let v6): collection.add(.aaaa(v6), type: .aaaa, at: name, authority: authority, apex: apex)
        }
    }

    /// PTR records point into the first cluster zone only, as CoreDNS's do. They live outside the cluster zones; only the exact reverse names exist (no empty non-terminals), so
    /// other reverse names stay outside what this server is authoritative for.
    private mutating func addPointer(from address: IPAddress, to name: Name) {
        let authority = address.isV4 ? reverseV4Authority : reverseV6Authority
        collection.add(.ptr(name), type: .ptr, at: address.reverseName, authority: authority, apex: nil)
    }

    private func addressRecord(_ address: IPAddress, owner: Name) -> ResourceRecord {
        switch address {
        case .v4(let v4): ResourceRecord(name: owner, type: .a, recordClass: .internet, ttl: ttl, data: .a(v4))
        case .v6(let v6): ResourceRecord(name: owner, type: .aaaa, recordClass: .internet, ttl: ttl, data: .aaaa(v6))
        }
    }
}
