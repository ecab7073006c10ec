import DNSRegistry
import DNSWire
import Foundation
import Logging
import Testing

/// `*.zone` master files in the zones directory: named after their zone, reloaded like the manifests.
struct StaticZoneFileTests {
    @Test func aZoneFileIsLoadedAndABrokenEditKeepsTheLastGoodCopy() throws {
        let directory = try TemporaryDirectory()
        try directory.write("corp.example.zone", "$TTL 60\n@ SOA ns hm 1 2 3 4 5\nwww A 192.0.2.10\n")
        let manifests = ManifestDirectory(path: directory.path, logger: Logger(label: "test"))
        let first = try manifests.scan()
        #expect(first.errors.isEmpty)
        #expect(first.snapshot.staticZones.map(\.origin) == ["corp.example."])
        #expect(first.snapshot.staticZones.first?.records.count == 2)

        try directory.write("corp.example.zone", "$TTL 60\n@ SOA ns hm 1 2 3 4 5\nwww A 192.0.2.300\n")
        let broken = try manifests.scan()
        #expect(broken.errors.count == 1)
        #expect(broken.errors.first?.description.contains("corp.example.zone:3") == true, "\(broken.errors)")
        #expect(broken.snapshot.staticZones.first?.records.count == 2)
    }

    @Test func aZoneFileNotNamedAfterAZoneIsAnError() throws {
        let directory = try TemporaryDirectory()
        try directory.write("..zone", "$TTL 60\n")
        try directory.write("bad..name.zone", "$TTL 60\n")
        let scan = try ManifestDirectory(path: directory.path, logger: Logger(label: "test")).scan()
        #expect(scan.errors.contains { $0.description.contains("bad..name.zone") })
    }
}
