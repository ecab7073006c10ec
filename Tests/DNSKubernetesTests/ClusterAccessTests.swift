import DNSKubernetes
import Foundation
import Testing

/// Reading the connection settings as client-go does: in-cluster files and environment, kubeconfig contexts.
struct ClusterAccessTests {
    static let incluster = KubeAPIFixtures.root.appendingPathComponent("incluster").path

    @Test func inClusterUsesTheServiceEnvironmentTheCAAndTheTokenFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(
            atPath: Self.incluster + "/serviceaccount/ca.crt", toPath: directory.path + "/ca.crt")
        try Data("first".utf8).write(to: directory.appendingPathComponent("token"))

        let access = try ClusterAccess.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            directory: directory.path)
        #expect(access.server == APIServerURL(isTLS: true, host: "10.96.0.1", port: 443))
        #expect(access.certificateAuthority == Array(try Data(contentsOf: directory.appendingPathComponent("ca.crt"))))
        #expect(try access.bearerToken() == "first")
        // The kubelet rotates the token: the next request reads the new one.
        try Data("second\n".utf8).write(to: directory.appendingPathComponent("token"))
        #expect(try access.bearerToken() == "second")
    }

    @Test func inClusterWithoutTheEnvironmentSaysWhatIsMissing() {
        #expect(throws: ClusterAccess.LoadError.self) {
            try ClusterAccess.inCluster(environment: [:], directory: Self.incluster + "/serviceaccount")
        }
        do {
            _ = try ClusterAccess.inCluster(environment: [:], directory: "/nonexistent")
        } catch {
            #expect(error.description.contains("KUBERNETES_SERVICE_HOST"))
        }
    }

    @Test func anIPv6ServiceHostIsBracketedInTheHostHeader() throws {
        let url = APIServerURL(isTLS: true, host: "fd00::1", port: 443)
        #expect(url.hostHeader == "[fd00::1]")
        #expect(url.description == "https://[fd00::1]")
    }

    @Test func theRecordedKubeconfigGivesServerCAAndToken() throws {
        let access = try ClusterAccess.kubeconfig(path: Self.incluster + "/kubeconfig-inline-ca")
        #expect(access.server == APIServerURL(isTLS: true, host: "127.0.0.1", port: 16443))
        let authority = try Data(contentsOf: URL(fileURLWithPath: Self.incluster + "/serviceaccount/ca.crt"))
        #expect(access.certificateAuthority == Array(authority))
        #expect(access.credential == .token("REDACTED-TEST-TOKEN"))
    }

    @Test func aMissingCertificateAuthorityFileIsNamed() {
        // The recorded kubeconfig names `ca.crt` beside itself, which the fixtures keep elsewhere.
        do {
            _ = try ClusterAccess.kubeconfig(path: Self.incluster + "/kubeconfig")
            Issue.record("a missing CA file was accepted")
        } catch {
            #expect(error.description.contains("incluster/ca.crt"))
        }
    }

    @Test func aRelativeCertificateAuthorityIsReadBesideTheKubeconfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: Self.incluster + "/kubeconfig", toPath: directory.path + "/config")
        try FileManager.default.copyItem(
            atPath: Self.incluster + "/serviceaccount/ca.crt", toPath: directory.path + "/ca.crt")
        let access = try ClusterAccess.kubeconfig(path: directory.path + "/config")
        #expect(access.certificateAuthority == Array(try Data(contentsOf: directory.appendingPathComponent("ca.crt"))))
    }

    static let contexts = """
        apiVersion: v1
        kind: Config
        current-context: laptop
        clusters:
        - name: prod
          cluster: {server: "https://[2001:db8::1]:6443", insecure-skip-tls-verify: true, tls-server-name: api.prod}
        - name: dev
          cluster: {server: "http://127.0.0.1:8001"}
        users:
        - name: robot
          user: {tokenFile: token}
        - name: sso
          user:
            exec: {command: kubelogin}
        contexts:
        - name: laptop
          context: {cluster: dev, user: ""}
        - name: prod-robot
          context: {cluster: prod, user: robot}
        - name: prod-sso
          context: {cluster: prod, user: sso}
        - name: broken
          context: {cluster: nowhere, user: robot}
        """

    func writeContexts() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(Self.contexts.utf8).write(to: directory.appendingPathComponent("config"))
        return directory
    }

    @Test func aContextIsChosenByNameElseTheCurrentOne() throws {
        let directory = try writeContexts()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path + "/config"

        let laptop = try ClusterAccess.kubeconfig(path: path)
        #expect(laptop.server == APIServerURL(isTLS: false, host: "127.0.0.1", port: 8001))
        #expect(laptop.credential == .none)

        let robot = try ClusterAccess.kubeconfig(path: path, context: "prod-robot")
        #expect(robot.server == APIServerURL(isTLS: true, host: "2001:db8::1", port: 6443))
        #expect(robot.skipsVerification)
        #expect(robot.serverName == "api.prod")
        #expect(robot.credential == .tokenFile(directory.path + "/token"))
    }

    @Test(arguments: [
        ("prod-sso", "exec"), ("broken", "no cluster"), ("missing", "no context named missing"),
    ])
    func unusableContextsAreExplained(context: String, reason: String) throws {
        let directory = try writeContexts()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try ClusterAccess.kubeconfig(path: directory.path + "/config", context: context)
            Issue.record("context \(context) was accepted")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test(arguments: [
        ("https://10.0.0.1", "https://10.0.0.1", 443),
        ("https://kubernetes.default.svc:6443/", "https://kubernetes.default.svc:6443", 6443),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001", 8001), ("https://[::1]:6443", "https://[::1]:6443", 6443),
    ])
    func serverURLsParse(text: String, shown: String, port: Int) throws {
        let url = try APIServerURL(parsing: text)
        #expect(url.description == shown)
        #expect(Int(url.port) == port)
    }

    @Test(arguments: [
        "10.0.0.1:443", "https://", "https://host:0", "https://host/prefix", "ftp://host", "https://[::1",
    ])
    func malformedServerURLsAreRefused(text: String) {
        #expect(throws: APIServerURL.ParseError.self) { try APIServerURL(parsing: text) }
    }

    @Test func aClientCertificateComesInlineOrFromFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8)
        let key = Data("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n".utf8)
        try key.write(to: directory.appendingPathComponent("client.key"))
        let config = """
            apiVersion: v1
            kind: Config
            current-context: c
            clusters: [{name: k, cluster: {server: "https://10.0.0.1:6443"}}]
            users: [{name: u, user: {client-certificate-data: \(certificate.base64EncodedString()), client-key: client.key}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """
        try Data(config.utf8).write(to: directory.appendingPathComponent("config"))
        let access = try ClusterAccess.kubeconfig(path: directory.path + "/config")
        #expect(access.clientCertificate == Array(certificate))
        #expect(access.clientKey == Array(key))
        #expect(access.credential == .none)
        // No CA named: the system's store is trusted, as kubectl does.
        #expect(access.certificateAuthority == nil)
    }

    @Test func aCertificateWithoutItsKeyIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = """
            apiVersion: v1
            kind: Config
            current-context: c
            clusters: [{name: k, cluster: {server: "https://10.0.0.1:6443"}}]
            users: [{name: u, user: {client-certificate-data: QUJD}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """
        try Data(config.utf8).write(to: directory.appendingPathComponent("config"))
        #expect(throws: ClusterAccess.LoadError.self) { try ClusterAccess.kubeconfig(path: directory.path + "/config") }
    }
}
