import DNSWire
import Foundation
import Testing

@testable import DNSRegistry

struct ManifestDirectoryTests {
    private static func service(_ name: String, ip: String, namespace: String = "default") -> String {
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: \(name)
          namespace: \(namespace)
        spec:
          clusterIP: \(ip)
          ports:
            - {name: http, port: 80}
        """ + "\n"
    }

    private static func clusterIP(_ scan: ManifestScan, _ name: String, namespace: String = "default") -> String? {
        guard case .clusterIP(let addresses) = scan.snapshot.service(namespace: namespace, name: name)?.kind else {
            return nil
        }
        return addresses.first?.description
    }

    /// Moves a file's modification time an hour back, so that its fingerprint alone says it is unchanged.
    private static func backdate(_ path: String) throws {
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path)
    }

    @Test func addChangeAndRemoveFiles() throws {
        let temporary = try TemporaryDirectory()
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)

        let empty = try directory.scan()
        #expect(empty.changed)
        #expect(empty.snapshot.isEmpty)
        #expect(empty.files == 0)

        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.1"))
        let added = try directory.scan()
        #expect(added.changed)
        #expect(added.parsedFiles == 1)
        #expect(Self.clusterIP(added, "alpha") == "10.96.0.1")

        try temporary.write("b.yml", Self.service("beta", ip: "10.96.0.2"))
        let second = try directory.scan()
        #expect(second.changed)
        #expect(second.parsedFiles == 1)
        #expect(second.files == 2)
        #expect(second.snapshot.services.map(\.name) == ["alpha", "beta"])

        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.11"))
        let changed = try directory.scan()
        #expect(changed.changed)
        #expect(changed.parsedFiles == 1)
        #expect(Self.clusterIP(changed, "alpha") == "10.96.0.11")

        try temporary.remove("b.yml")
        let removed = try directory.scan()
        #expect(removed.changed)
        #expect(removed.files == 1)
        #expect(removed.snapshot.services.map(\.name) == ["alpha"])
    }

    @Test func unchangedScanReportsNoChangeAndReadsNothing() throws {
        let temporary = try TemporaryDirectory()
        try Self.backdate(try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.1")))
        try Self.backdate(try temporary.write("nested/b.json", #"{"kind": "Namespace", "metadata": {"name": "b"}}"#))
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)
        let first = try directory.scan()
        #expect(first.changed)
        #expect(first.readFiles == 2)
        let second = try directory.scan()
        #expect(!second.changed)
        #expect(second.parsedFiles == 0)
        #expect(second.readFiles == 0)
        #expect(second.snapshot == first.snapshot)
    }

    /// Two writes of the same size within one timestamp tick leave the same fingerprint: a file modified moments
    /// before a scan is read again on the next one.
    @Test func sameSizeRewriteRightAfterAScanIsSeen() throws {
        let temporary = try TemporaryDirectory()
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)
        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.1"))
        _ = try directory.scan()
        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.2"))
        let scan = try directory.scan()
        #expect(scan.changed)
        #expect(Self.clusterIP(scan, "alpha") == "10.96.0.2")
    }

    /// The guard behind the test above, which a filesystem with fine timestamps passes without it: a file modified
    /// within the last two seconds is read again even when its fingerprint hasn't moved, and parsed only if its
    /// bytes differ.
    @Test func recentlyModifiedFileIsReadAgainOnTheNextScan() throws {
        let temporary = try TemporaryDirectory()
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)
        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.1"))
        _ = try directory.scan()
        let again = try directory.scan()
        #expect(again.readFiles == 1)
        #expect(again.parsedFiles == 0)
        #expect(!again.changed)
    }

    @Test func rewriteWithTheSameContentIsNotParsedAgain() throws {
        let temporary = try TemporaryDirectory()
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)
        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.1"))
        _ = try directory.scan()
        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.1"))
        let scan = try directory.scan()
        #expect(!scan.changed)
        #expect(scan.parsedFiles == 0)
        #expect(scan.readFiles == 1)
    }

    @Test func editThatChangesNoObjectIsNotAChange() throws {
        let temporary = try TemporaryDirectory()
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)
        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.1"))
        _ = try directory.scan()
        try temporary.write("a.yaml", "# a comment\n" + Self.service("alpha", ip: "10.96.0.1"))
        try temporary.write("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
        let scan = try directory.scan()
        #expect(!scan.changed)
        #expect(scan.parsedFiles == 2)
    }

    @Test func brokenEditKeepsTheLastGoodObjectsAndIsLoggedOnce() throws {
        let temporary = try TemporaryDirectory()
        let logs = CapturedLogs()
        let directory = ManifestDirectory(path: temporary.path, logger: logs.logger)
        let path = try temporary.write("web.yaml", Self.service("web", ip: "10.96.0.5"))
        _ = try directory.scan()

        try temporary.write("web.yaml", Self.service("web", ip: "10.96.0.6") + "    - {name: bad, port: 70000}\n")
        let broken = try directory.scan()
        #expect(!broken.changed)
        #expect(Self.clusterIP(broken, "web") == "10.96.0.5")
        let expected = ManifestError(
            path: path, line: 10, reason: "spec.ports[1].port: 70000 is not a port number (1-65535)")
        #expect(broken.errors == [expected])
        #expect(logs.messages(at: .error).count == 1)
        #expect(logs.messages(at: .error).first?.contains("\(path):10: spec.ports[1].port") == true)

        // Scanned again, and rewritten with the same bytes: still failing, reported, not logged again.
        #expect(try directory.scan().errors == [expected])
        try temporary.write("web.yaml", Self.service("web", ip: "10.96.0.6") + "    - {name: bad, port: 70000}\n")
        #expect(try directory.scan().errors == [expected])
        #expect(logs.messages(at: .error).count == 1)

        // Broken differently: logged again.
        try temporary.write("web.yaml", Self.service("web", ip: "10.96.0.6") + "    - {name: bad, port: 70001}\n")
        #expect(try directory.scan().errors.first?.reason.contains("70001") == true)
        #expect(logs.messages(at: .error).count == 2)

        try temporary.write("web.yaml", Self.service("web", ip: "10.96.0.7"))
        let fixed = try directory.scan()
        #expect(fixed.changed)
        #expect(fixed.errors.isEmpty)
        #expect(Self.clusterIP(fixed, "web") == "10.96.0.7")
        #expect(logs.messages(at: .notice).contains("manifest file fixed"))
    }

    @Test func fileThatNeverParsedContributesNothing() throws {
        let temporary = try TemporaryDirectory()
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)
        try temporary.write("good.yaml", Self.service("good", ip: "10.96.0.1"))
        let path = try temporary.write(
            "bad.yaml", "kind: Namespace\nmetadata: {name: ok}\n---\nkind: Service\nmetadata: {name: [x\n")
        let scan = try directory.scan()
        #expect(scan.snapshot.services.map(\.name) == ["good"])
        #expect(!scan.snapshot.namespaces.contains("ok"))
        #expect(scan.errors.map(\.path) == [path])
        #expect(scan.errors.first?.line == 6)
    }

    @Test func nonUTF8FileIsRejectedAtTheLineOfTheBadByte() throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.url.appendingPathComponent("latin1.yaml")
        try Data("kind: Namespace\nmetadata:\n  name: caf".utf8 + [0xE9] + Data("\n".utf8)).write(to: path)
        let scan = try ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger).scan()
        #expect(scan.errors == [ManifestError(path: path.path, line: 3, reason: "is not UTF-8 text")])
    }

    @Test func nestedDirectoriesAndWhichNamesCount() throws {
        let temporary = try TemporaryDirectory()
        try temporary.write("top.yaml", Self.service("top", ip: "10.96.0.1"))
        try temporary.write("apps/web/web.yml", Self.service("web", ip: "10.96.0.2"))
        try temporary.write("apps/api.JSON", #"{"kind": "Namespace", "metadata": {"name": "api"}}"#)
        try temporary.write("apps/notes.txt", Self.service("notes", ip: "10.96.0.3"))
        try temporary.write("apps/yaml", Self.service("noextension", ip: "10.96.0.4"))
        try temporary.write(".hidden.yaml", Self.service("hidden", ip: "10.96.0.5"))
        try temporary.write(".git/config.yaml", Self.service("git", ip: "10.96.0.6"))
        let scan = try ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger).scan()
        #expect(scan.files == 3)
        #expect(scan.snapshot.services.map(\.name) == ["top", "web"])
        #expect(scan.snapshot.namespaces.contains("api"))
    }

    /// How a ConfigMap volume looks: each key a link into `..data`, itself a link to a hidden timestamped directory
    /// that the kubelet swaps on update.
    @Test func configMapVolumeSymlinks() throws {
        let temporary = try TemporaryDirectory()
        try temporary.write("..2026_01_01_00_00_00.1/app.yaml", Self.service("app", ip: "10.96.0.1"))
        try temporary.symlink("..data", to: "..2026_01_01_00_00_00.1")
        try temporary.symlink("app.yaml", to: "..data/app.yaml")
        let directory = ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger)
        let first = try directory.scan()
        #expect(first.files == 1)
        #expect(first.errors.isEmpty)
        #expect(Self.clusterIP(first, "app") == "10.96.0.1")

        try temporary.write("..2026_01_01_00_05_00.2/app.yaml", Self.service("app", ip: "10.96.0.2"))
        try temporary.symlink("..data_tmp", to: "..2026_01_01_00_05_00.2")
        try FileManager.default.removeItem(at: temporary.url.appendingPathComponent("..data"))
        try FileManager.default.moveItem(
            at: temporary.url.appendingPathComponent("..data_tmp"), to: temporary.url.appendingPathComponent("..data"))
        try temporary.remove("..2026_01_01_00_00_00.1")
        let swapped = try directory.scan()
        #expect(swapped.changed)
        #expect(swapped.files == 1)
        #expect(Self.clusterIP(swapped, "app") == "10.96.0.2")
    }

    @Test func fileReachedByTwoNamesIsReadOnce() throws {
        let temporary = try TemporaryDirectory()
        let logs = CapturedLogs()
        try temporary.write("a.yaml", Self.service("alpha", ip: "10.96.0.1"))
        try temporary.symlink("b.yaml", to: "a.yaml")
        try temporary.symlink("linked-dir", to: ".")
        let scan = try ManifestDirectory(path: temporary.path, logger: logs.logger).scan()
        #expect(scan.files == 1)
        #expect(scan.snapshot.services.count == 1)
        #expect(logs.messages(at: .warning).isEmpty)
    }

    @Test func danglingSymlinkIsIgnored() throws {
        let temporary = try TemporaryDirectory()
        try temporary.symlink("gone.yaml", to: "nowhere.yaml")
        let scan = try ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger).scan()
        #expect(scan.files == 0)
        #expect(scan.errors.isEmpty)
    }

    @Test func duplicateObjectsTheLastPathWinsWithOneWarning() throws {
        let temporary = try TemporaryDirectory()
        let logs = CapturedLogs()
        try temporary.write("a/z.yaml", Self.service("web", ip: "10.96.0.3"))
        try temporary.write("a-b.yaml", Self.service("web", ip: "10.96.0.2"))
        try temporary.write("0.yaml", Self.service("web", ip: "10.96.0.1"))
        let directory = ManifestDirectory(path: temporary.path, logger: logs.logger)
        let scan = try directory.scan()
        // Byte order of paths: "0.yaml" < "a-b.yaml" < "a/z.yaml".
        #expect(Self.clusterIP(scan, "web") == "10.96.0.3")
        #expect(scan.snapshot.services.count == 1)
        let warnings = logs.messages(at: .warning)
        let prefix = temporary.path + "/"
        #expect(
            warnings == [
                "Service default/web is defined more than once (\(prefix)0.yaml:1, \(prefix)a-b.yaml:1, "
                    + "\(prefix)a/z.yaml:1); the one at \(prefix)a/z.yaml:1 wins"
            ])

        try temporary.write("other.yaml", Self.service("other", ip: "10.96.0.9"))
        #expect(try directory.scan().changed)
        #expect(logs.messages(at: .warning).count == 1, "a known duplicate is not warned about again")
    }

    @Test func legacyEndpointsDuplicatedAcrossFilesAreReplacedWhole() throws {
        let temporary = try TemporaryDirectory()
        let endpoints = { (addresses: [String]) in
            "apiVersion: v1\nkind: Endpoints\nmetadata: {name: legacy}\nsubsets:\n"
                + addresses.map { "- addresses: [{ip: \($0)}]\n" }.joined()
        }
        try temporary.write("a.yaml", endpoints(["10.0.0.1", "10.0.0.2", "10.0.0.3"]))
        try temporary.write("b.yaml", endpoints(["10.0.0.9"]))
        let scan = try ManifestDirectory(path: temporary.path, logger: CapturedLogs().logger).scan()
        #expect(scan.snapshot.endpointSlices.flatMap(\.endpoints).map(\.addresses) == [[IPAddress("10.0.0.9")!]])
    }

    @Test func missingDirectory() throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.url.appendingPathComponent("absent").path
        #expect(throws: ManifestDirectoryError(path: path, reason: "does not exist")) {
            try ManifestDirectory(path: path, logger: CapturedLogs().logger).scan()
        }
        #expect(
            ManifestDirectoryError(path: path, reason: "does not exist").description
                == "manifest directory \(path) does not exist")
    }

    @Test func fileInsteadOfDirectory() throws {
        let temporary = try TemporaryDirectory()
        let path = try temporary.write("file.yaml", "")
        #expect(throws: ManifestDirectoryError(path: path, reason: "is not a directory")) {
            try ManifestDirectory(path: path, logger: CapturedLogs().logger).scan()
        }
    }

    @Test func directoryThatDisappearsAfterwardsFailsTheScan() throws {
        let temporary = try TemporaryDirectory()
        let zones = temporary.url.appendingPathComponent("zones")
        try FileManager.default.createDirectory(at: zones, withIntermediateDirectories: true)
        let directory = ManifestDirectory(path: zones.path, logger: CapturedLogs().logger)
        _ = try directory.scan()
        try FileManager.default.removeItem(at: zones)
        #expect(throws: ManifestDirectoryError.self) { try directory.scan() }
    }
}
