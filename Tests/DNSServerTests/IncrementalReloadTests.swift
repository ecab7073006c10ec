import DNSRegistry
import DNSTestKit
import DNSWire
import Logging
import Testing

@testable import DNSAnswer
@testable import DNSServer

/// `ZoneReloader` rebuilds only the namespaces a manifest edit touched; after every edit its table must be the one a
/// build from scratch makes from the directory.
@Suite(.timeLimit(.minutes(2)))
struct IncrementalReloadTests {
    static let namespaces = ["default", "kube-system", "a", "b"]

    @Test(arguments: [11, 12] as [UInt64])
    func randomManifestEditsGiveTheTableOfAFullBuild(seed: UInt64) throws {
        let directory = try TemporaryDirectory(prefix: "incremental-reload")
        defer { directory.remove() }
        var random = SplitMix64(seed: seed)
        let configuration = AnswerConfiguration(zones: ["cluster.local."], ttl: 5, podMode: .verified)
        let reloader = ZoneReloader(
            path: directory.path, configuration: configuration, logger: Logger(label: "test"))
        for namespace in Self.namespaces {
            _ = try directory.write("\(namespace).yaml", Self.manifest(namespace: namespace, random: &random))
        }
        var builds = 0
        for step in 0..<30 {
            if step > 0 {
                let namespace = Self.namespaces[Int(random.next() % UInt64(Self.namespaces.count))]
                if random.next() % 5 == 0 {
                    try? directory.removeFile("\(namespace).yaml")
                } else {
                    _ = try directory.write("\(namespace).yaml", Self.manifest(namespace: namespace, random: &random))
                }
            }
            guard let table = try reloader.reload() else { continue }
            builds += 1
            let snapshot = try ManifestDirectory(path: directory.path, logger: Logger(label: "test")).scan().snapshot
            let full = AnswerTable.build(from: snapshot, configuration: configuration, serial: table.serial)
            expectSameTable(table, full, step: step)
        }
        #expect(builds > 1)
    }

    /// A few services of every kind, with addresses from a pool small enough that namespaces share PTR names, and
    /// aliases into the other namespaces.
    static func manifest(namespace: String, random: inout SplitMix64) -> String {
        var text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: \(namespace)}\n"
        for index in 0..<(1 + random.next() % 4) {
            let name = "svc\(index)"
            text += "---\napiVersion: v1\nkind: Service\nmetadata: {name: \(name), namespace: \(namespace)}\n"
            switch random.next() % 4 {
            case 0:
                text += "spec: {clusterIP: 10.1.0.\(random.next() % 8), ports: [{name: http, port: 80}]}\n"
            case 1:
                let other = namespaces[Int(random.next() % UInt64(namespaces.count))]
                text += "spec: {type: ExternalName, externalName: svc\(random.next() % 3).\(other).svc.cluster.local}\n"
            default:
                text += "spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n"
                text += "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
                text += "metadata: {name: \(name)-x, namespace: \(namespace), labels: {kubernetes.io/service-name: \(name)}}\n"
                text += "addressType: IPv4\nports: [{name: http, port: 8080}]\n"
                text += "endpoints:\n- {addresses: [10.2.0.\(random.next() % 8)], hostname: h\(index)}\n"
            }
        }
        if random.next() % 2 == 0 {
            text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: \(namespace)}\n"
            text += "status: {podIP: 10.2.0.\(random.next() % 8)}\n"
        }
        return text
    }
}

/// `table` answers as a build from scratch (`full`) does.
func expectSameTable(_ table: AnswerTable, _ full: AnswerTable, step: Int) {
    let differences = table.differences(from: full)
    #expect(differences.isEmpty, "step \(step): \(differences)")
}
