import DNSRegistry
import DNSWire
import Foundation
import Testing

/// The example cluster in `zones/` loads cleanly and answers exactly what `zones/README.md` promises.
struct BundledZonesTests {
    private static let zone = "cluster.local"

    private static func load() throws -> (scan: ManifestScan, logs: CapturedLogs) {
        let logs = CapturedLogs()
        let directory = ManifestDirectory(path: Fixtures.zones.path, logger: logs.logger)
        return (try directory.scan(), logs)
    }

    @Test func loadsWithoutErrorsOrWarnings() throws {
        let (scan, logs) = try Self.load()
        #expect(scan.errors.isEmpty, "\(scan.errors)")
        #expect(scan.files == 11)
        #expect(logs.messages(at: .warning).isEmpty)
        #expect(logs.messages(at: .error).isEmpty)
        #expect(scan.snapshot.namespaces == ["default", "kube-system"])
    }

    @Test func servicesAreTheDocumentedOnes() throws {
        let snapshot = try Self.load().scan.snapshot
        func address(_ text: String) -> IPAddress { IPAddress(text)! }
        let expected: [Service] = [
            Service(
                namespace: "default", name: "db-headless", kind: .headless,
                ports: [ServicePort(name: "postgres", port: 5432)]),
            Service(
                namespace: "default", name: "dual",
                kind: .clusterIP([address("10.96.0.50"), address("fd00:10:96::50")]),
                ports: [ServicePort(name: "http", port: 80)]),
            Service(namespace: "default", name: "external-db", kind: .externalName("db.example.com")),
            Service(
                namespace: "default", name: "kubernetes", kind: .clusterIP([address("10.96.0.1")]),
                ports: [ServicePort(name: "https", port: 443)]),
            Service(
                namespace: "default", name: "sample-clusterip", kind: .clusterIP([address("10.96.0.20")]),
                ports: [ServicePort(name: "http-port", port: 8080), ServicePort(name: "https-port", port: 8443)]),
            Service(
                namespace: "default", name: "sample-loadbalancer", kind: .clusterIP([address("10.96.0.40")]),
                ports: [ServicePort(name: "http", port: 80)]),
            Service(
                namespace: "default", name: "sample-nodeport", kind: .clusterIP([address("10.96.0.30")]),
                ports: [ServicePort(name: "http", port: 80)]),
            Service(namespace: "default", name: "web", kind: .headless, ports: [ServicePort(name: "http", port: 80)]),
            Service(
                namespace: "kube-system", name: "kube-dns", kind: .clusterIP([address("10.96.0.10")]),
                ports: [
                    ServicePort(name: "dns", transportProtocol: .udp, port: 53),
                    ServicePort(name: "dns-tcp", transportProtocol: .tcp, port: 53),
                    ServicePort(name: "metrics", transportProtocol: .tcp, port: 9153),
                ]),
        ]
        #expect(snapshot.services == expected)
    }

    @Test func terminatingAndNotReadyEndpointsAreNotPublished() throws {
        let snapshot = try Self.load().scan.snapshot
        let web = try #require(snapshot.service(namespace: "default", name: "web"))
        #expect(snapshot.publishedEndpoints(of: web).compactMap(\.endpoint.hostname) == ["web-0", "web-1", "web-2"])
        let allWeb = snapshot.endpointSlices(namespace: "default", service: "web").flatMap(\.endpoints)
        #expect(allWeb.contains { $0.hostname == "web-3" && $0.terminating && !$0.ready })
        let db = try #require(snapshot.service(namespace: "default", name: "db-headless"))
        #expect(snapshot.publishedEndpoints(of: db).map(\.endpoint.addresses) == [[IPAddress("10.244.2.20")!]])
    }

    // MARK: - README

    struct Record: Hashable, CustomStringConvertible {
        var name: String
        var type: String
        var data: String
        var description: String { "\(name) \(type) \(data)" }
    }

    /// The `NAME TYPE DATA` lines of the README's code blocks under "Names it answers", one record per address.
    private static func readmeRecords() throws -> [Record] {
        let text = try Fixtures.text(Fixtures.zones.appendingPathComponent("README.md"))
        let section = try #require(text.range(of: "## Names it answers")).upperBound
        var records: [Record] = []
        var inBlock = false
        for line in text[section...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inBlock.toggle()
                continue
            }
            guard inBlock else { continue }
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 3 else { continue }
            if fields[1] == "A" || fields[1] == "AAAA" {
                records += fields[2...].map { Record(name: fields[0], type: fields[1], data: $0) }
            } else {
                records.append(Record(name: fields[0], type: fields[1], data: fields[2...].joined(separator: " ")))
            }
        }
        return records
    }

    /// What the Kubernetes DNS specification derives from the snapshot, for the record types the README shows.
    private static func derivedRecords(_ snapshot: RegistrySnapshot) -> Set<Record> {
        var records: Set<Record> = []
        func addressRecord(_ name: String, _ address: IPAddress) {
            records.insert(Record(name: name, type: address.isV4 ? "A" : "AAAA", data: address.description))
        }
        func reverse(_ address: IPAddress, _ target: String) {
            let name = address.reverseName.description
            records.insert(Record(name: String(name.dropLast()), type: "PTR", data: target + "."))
        }
        for service in snapshot.services {
            let serviceName = "\(service.name).\(service.namespace).svc.\(zone)"
            switch service.kind {
            case .clusterIP(let addresses):
                for address in addresses {
                    addressRecord(serviceName, address)
                    reverse(address, serviceName)
                }
                for port in service.ports {
                    guard let portName = port.name else { continue }
                    records.insert(
                        Record(
                            name: "_\(portName)._\(port.transportProtocol.srvLabel).\(serviceName)", type: "SRV",
                            data: "\(port.port) \(serviceName).")
                    )
                }
            case .externalName(let target):
                records.insert(Record(name: serviceName, type: "CNAME", data: target.description))
            case .headless:
                for published in snapshot.publishedEndpoints(of: service) {
                    let endpoint = published.endpoint
                    let label = endpoint.hostname ?? endpoint.addresses[0].dashed
                    let endpointName = "\(label).\(serviceName)"
                    for address in endpoint.addresses {
                        addressRecord(serviceName, address)
                        addressRecord(endpointName, address)
                        reverse(address, endpointName)
                    }
                    for port in published.ports {
                        guard let portName = port.name else { continue }
                        records.insert(
                            Record(
                                name: "_\(portName)._\(port.transportProtocol.srvLabel).\(serviceName)",
                                type: "SRV", data: "\(port.port) \(endpointName).")
                        )
                    }
                }
            }
        }
        for pod in snapshot.pods {
            for address in pod.ips {
                addressRecord("\(address.dashed).\(pod.namespace).pod.\(zone)", address)
            }
        }
        return records
    }

    @Test func readmeListsExactlyWhatTheManifestsAnswer() throws {
        let snapshot = try Self.load().scan.snapshot
        let documented = try Self.readmeRecords()
        #expect(documented.count > 50)
        #expect(Set(documented).count == documented.count, "a README line is repeated")
        let derived = Self.derivedRecords(snapshot)
        let undocumented = derived.subtracting(documented).sorted { $0.description < $1.description }
        let unfounded = Set(documented).subtracting(derived).sorted { $0.description < $1.description }
        #expect(undocumented.isEmpty, "answered but not in zones/README.md: \(undocumented)")
        #expect(unfounded.isEmpty, "in zones/README.md but not answered: \(unfounded)")
    }

    @Test func readmeShowsTheHeadlineAnswers() throws {
        let documented = Set(try Self.readmeRecords())
        for address in ["10.244.1.10", "10.244.1.11", "10.244.1.12"] {
            #expect(documented.contains(Record(name: "web.default.svc.cluster.local", type: "A", data: address)))
        }
        #expect(!documented.contains { $0.data.contains("10.244.1.13") && $0.name.contains(".svc.") })
        #expect(!documented.contains { $0.name.hasPrefix("web-3.") })
        #expect(
            documented.contains(
                Record(name: "10-244-2-20.db-headless.default.svc.cluster.local", type: "A", data: "10.244.2.20")))
        #expect(!documented.contains { $0.name.hasPrefix("10-244-2-21.db-headless") })
        #expect(
            documented.contains(
                Record(name: "external-db.default.svc.cluster.local", type: "CNAME", data: "db.example.com.")))
    }
}
