import DNSTestKit
import DNSWire
import Foundation
import Testing

@testable import DNSRegistry

/// Files that declare the same objects merge as one file holding them all in path order would parse: the later
/// definition wins, one that yields nothing (an FQDN EndpointSlice) included. `ManifestDirectory` keeps each file's
/// objects per namespace and shares them with the snapshot when one file declares a namespace alone; this checks that
/// against `ManifestParser.parse`, which knows nothing of files or namespaces.
struct ManifestMergeTests {
    static let paths = ["a.yaml", "b.yaml", "team/c.yaml"]

    static func document(_ random: inout SplitMix64) -> String {
        let namespace = ["default", "ns-a"].randomElement(using: &random)!
        let name = ["web", "api"].randomElement(using: &random)!
        let octet = Int.random(in: 1...250, using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            return """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: \(name)-x1, namespace: \(namespace), labels: {kubernetes.io/service-name: \(name)}}
                addressType: FQDN
                endpoints: [{addresses: [host.example]}]

                """
        case 1:
            // Two subsets: one object, two slices that must keep their order.
            return """
                apiVersion: v1
                kind: Endpoints
                metadata: {name: \(name), namespace: \(namespace)}
                subsets:
                  - addresses: [{ip: 10.1.0.\(octet)}]
                    ports: [{name: http, port: 80}]
                  - addresses: [{ip: 10.1.1.\(octet)}]
                    ports: [{name: dns, port: 53, protocol: UDP}]

                """
        case 2:
            return """
                apiVersion: v1
                kind: Pod
                metadata: {name: \(name)-0, namespace: \(namespace)}
                status: {podIPs: [{ip: 10.3.0.\(octet)}, {ip: "fd00::\(octet)"}]}

                """
        default:
            return IncrementalScanTests.document(&random)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func filesMergeAsTheirConcatenationInPathOrderParses(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let temporary = try TemporaryDirectory()
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)
        var texts: [String: String] = [:]
        for step in 0..<12 {
            let path = Self.paths.randomElement(using: &random)!
            texts[path] = (0..<Int.random(in: 1...5, using: &random)).map { _ in Self.document(&random) }
                .joined(separator: "---\n")
            try temporary.write(path, texts[path]!)
            let scan = try directory.scan()
            let concatenated = texts.keys.sorted().map { texts[$0]! }.joined(separator: "---\n")
            let expected = RegistrySnapshot(objects: try ManifestParser.parse(concatenated, path: "all.yaml"))
            let context = "seed \(seed), step \(step)"
            #expect(scan.snapshot == expected, "\(context)")
            #expect(scan.snapshot.endpointSlices == expected.endpointSlices, "\(context)")
            #expect(scan.snapshot.pods == expected.pods, "\(context)")
            #expect(scan.snapshot.namespaces == expected.namespaces, "\(context)")
            for service in expected.services {
                #expect(
                    scan.snapshot.publishedEndpoints(of: service) == expected.publishedEndpoints(of: service),
                    "\(context)")
            }
        }
    }
}
