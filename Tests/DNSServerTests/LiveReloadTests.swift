import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Testing

/// The zones directory is watched: added, changed and removed files show in the answers; a broken file keeps its
/// last good objects and is reported with path and line.
@Suite(.timeLimit(.minutes(2)))
struct LiveReloadTests {
    @Test func addedChangedAndRemovedFilesShowInTheAnswers() throws {
        let running = try RunningServer(files: ["web.yaml": ExampleManifests.web])
        defer { running.stop() }
        let client = running.client()
        #expect(try client.query("api.prod.svc.cluster.local", .a).responseCode == .nxDomain)
        let serialBefore = try soaSerial(client)

        try running.zones.write("api.yaml", ExampleManifests.api)
        #expect(try running.eventually { try client.query("api.prod.svc.cluster.local", .a).answers.count == 1 })
        #expect(try soaSerial(client) > serialBefore)

        try running.zones.write(
            "api.yaml", ExampleManifests.api.replacingOccurrences(of: "10.96.7.7", with: "10.96.7.8"))
        #expect(
            try running.eventually {
                try client.query("api.prod.svc.cluster.local", .a).answers.map(\.data) == [
                    .a(IPv4Address("10.96.7.8")!)
                ]
            })

        try running.zones.removeFile("api.yaml")
        #expect(try running.eventually { try client.query("api.prod.svc.cluster.local", .a).responseCode == .nxDomain })
    }

    @Test func filesInNewSubdirectoriesAreRead() throws {
        let running = try RunningServer(files: ["web.yaml": ExampleManifests.web])
        defer { running.stop() }
        try running.zones.write("team/prod/api.yaml", ExampleManifests.api)
        #expect(
            try running.eventually { try running.client().query("api.prod.svc.cluster.local", .a).answers.count == 1 })
    }

    @Test func aBrokenFileKeepsItsLastGoodObjectsAndIsReportedWithItsLine() throws {
        let running = try RunningServer(files: ["web.yaml": ExampleManifests.web, "api.yaml": ExampleManifests.api])
        defer { running.stop() }
        let client = running.client()
        let broken = ExampleManifests.api.replacingOccurrences(of: "port: 9090", with: "port: 909090")
        try running.zones.write("api.yaml", broken)
        let report = running.logs.waitFor("api.yaml:")
        #expect(report != nil)
        #expect(report?.contains("api.yaml:6") == true, "\(report ?? "no report")")
        // Still served from the last good copy, and the other file is unaffected.
        #expect(try client.query("api.prod.svc.cluster.local", .a).answers.count == 1)
        #expect(try client.query("web.default.svc.cluster.local", .a).answers.count == 2)
        // Fixing the file brings the new content.
        try running.zones.write(
            "api.yaml", ExampleManifests.api.replacingOccurrences(of: "10.96.7.7", with: "10.96.7.9"))
        #expect(
            try running.eventually {
                try client.query("api.prod.svc.cluster.local", .a).answers.map(\.data) == [
                    .a(IPv4Address("10.96.7.9")!)
                ]
            })
    }

    @Test func aMissingZonesDirectoryFailsToStart() throws {
        let configuration = ServerConfiguration(
            zonesDirectory: "/nonexistent/zones-\(UUID().uuidString)", listenAddresses: [try .init("127.0.0.1:0")],
            threads: 1)
        let server = Server(configuration: configuration, logger: LogCapture().logger)
        #expect(throws: Server.StartError.self) { try server.start() }
        #expect(server.state == .idle)
    }

    private func soaSerial(_ client: DNSClient) throws -> UInt32 {
        let reply = try client.query("cluster.local", .soa)
        guard case .soa(let soa) = reply.answers.first?.data else { return 0 }
        return soa.serial
    }
}
