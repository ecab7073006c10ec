import DNSWire
import Foundation
import Testing
import DNSTestKit

@testable import DNSRegistry

/// `ManifestDirectory.scan()` merges again only the namespaces a changed file touched: after any sequence of edits it
/// must hold what a scan from scratch of the same files finds (each broken file contributing its last good contents),
/// report exactly the namespaces that differ, and warn about each duplicate definition once.
struct IncrementalScanTests {

    static let paths = ["a.yaml", "b.yml", "team/c.yaml", "team/d.yaml", "z.json"]
    static let namespaces = ["default", "ns-a", "ns-b"]

    /// One object's manifest, picked at random from a small pool so that files often declare the same objects.
    static func document(_ random: inout SplitMix64) -> String {
        let namespace = namespaces.randomElement(using: &random)!
        let name = ["web", "api", "db"].randomElement(using: &random)!
        let octet = Int.random(in: 1...250, using: &random)
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            return "apiVersion: v1\nkind: Namespace\nmetadata: {name: \(namespace)}\n"
        case 1:
            let addresses = (0..<Int.random(in: 1...3, using: &random)).map {
                "  - addresses: [{ip: 10.1.0.\(octet + $0)}]\n"
            }
            return "apiVersion: v1\nkind: Endpoints\nmetadata: {name: \(name), namespace: \(namespace)}\nsubsets:\n"
                + addresses.joined()
        case 2:
            return """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: \(name)-x1
                  namespace: \(namespace)
                  labels: {kubernetes.io/service-name: \(name)}
                addressType: IPv4
                endpoints:
                  - addresses: [10.2.0.\(octet)]

                """
        case 3:
            return "apiVersion: v1\nkind: Service\nmetadata: {name: \(name), namespace: \(namespace)}\n"
                + "spec: {clusterIP: None}\n"
        default:
            return "apiVersion: v1\nkind: Service\nmetadata: {name: \(name), namespace: \(namespace)}\n"
                + "spec: {clusterIP: 10.96.0.\(octet), ports: [{port: 80}]}\n"
        }
    }

    /// What the files hold now, and what a scan from scratch should see of each (its last good contents).
    struct Model {
        var current: [String: String] = [:]
        var lastGood: [String: String] = [:]
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func incrementalScanEqualsAScanFromScratch(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let temporary = try TemporaryDirectory()
        let logs = CapturedLogs()
        let directory = ManifestDirectory(path: temporary.path, logger: logs.logger)
        var model = Model()
        var previous = try directory.scan()
        var lastDuplicates: Set<String> = []
        var loggedWarnings = 0
        /// What the sequence went through, so that a generator change cannot make the test vacuous.
        var seen: Set<String> = []
        for step in 0..<40 {
            let path = (Self.paths + ["corp.example.zone"]).randomElement(using: &random)!
            let action = Int.random(in: 0..<10, using: &random)
            if action < 2, model.current[path] != nil {
                try temporary.remove(path)
                model.current[path] = nil
                model.lastGood[path] = nil
            } else if path.hasSuffix(".zone") {
                let good = action < 8
                let text = "$TTL 60\n@ SOA ns hm \(step) 2 3 4 5\nwww A 192.0.2.\(good ? step : 300)\n"
                try temporary.write(path, text)
                model.current[path] = text
                if good { model.lastGood[path] = text }
            } else if action < 4 {
                // Broken: the file keeps its last good objects.
                let text = (model.lastGood[path] ?? "") + "---\nkind: Service\nmetadata: {name: [x\n"
                try temporary.write(path, text)
                model.current[path] = text
            } else {
                let text = (0..<Int.random(in: 0...4, using: &random)).map { _ in Self.document(&random) }
                    .joined(separator: "---\n")
                try temporary.write(path, text)
                model.current[path] = text
                model.lastGood[path] = text
            }

            let scan = try directory.scan()
            let mirror = try TemporaryDirectory()
            for (path, text) in model.lastGood { try mirror.write(path, text) }
            let mirrorLogs = CapturedLogs()
            let fresh = try ManifestDirectory(path: mirror.path, logger: mirrorLogs.logger).scan()
            let context = "seed \(seed), step \(step): \(path)"
            #expect(scan.snapshot == fresh.snapshot, "\(context)")
            #expect(scan.snapshot.services == fresh.snapshot.services, "\(context)")
            #expect(scan.snapshot.endpointSlices == fresh.snapshot.endpointSlices, "\(context)")
            #expect(scan.snapshot.pods == fresh.snapshot.pods, "\(context)")
            #expect(scan.snapshot.namespaces == fresh.snapshot.namespaces, "\(context)")
            #expect(scan.snapshot.staticZones == fresh.snapshot.staticZones, "\(context)")
            #expect(scan.snapshot.serviceCount == fresh.snapshot.serviceCount, "\(context)")
            #expect(scan.snapshot.endpointSliceCount == fresh.snapshot.endpointSliceCount, "\(context)")
            #expect(scan.errors.count == model.current.filter { model.lastGood[$0.key] != $0.value }.count)

            let differing = scan.snapshot.changedNamespaces(from: previous.snapshot)
            let zonesChanged = scan.snapshot.staticZones != previous.snapshot.staticZones
            #expect(scan.changed == (!differing.isEmpty || zonesChanged), "\(context)")
            switch scan.change {
            case .namespaces(let namespaces): #expect(namespaces == differing && !zonesChanged, "\(context)")
            case .everything: #expect(zonesChanged, "\(context)")
            }

            // Each duplicate definition now present is warned about once, when it appears.
            let duplicates = Set(
                mirrorLogs.messages(at: .warning).map { $0.replacingOccurrences(of: mirror.path, with: temporary.path) }
            )
            let warnings = logs.messages(at: .warning)
            let new = warnings[loggedWarnings...]
            #expect(Set(new) == duplicates.subtracting(lastDuplicates), "\(context)")
            #expect(Set(new).count == new.count, "\(context)")
            if !new.isEmpty { seen.insert("duplicate") }
            if !scan.errors.isEmpty { seen.insert("broken") }
            if zonesChanged { seen.insert("zones") }
            if case .namespaces(let namespaces) = scan.change, namespaces.count == 1 { seen.insert("one namespace") }
            if !scan.changed, scan.parsedFiles > 0 { seen.insert("parsed, unchanged") }
            loggedWarnings = warnings.count
            lastDuplicates = duplicates
            previous = scan
        }
        #expect(seen == ["duplicate", "broken", "zones", "one namespace", "parsed, unchanged"], "seed \(seed)")
    }
}
