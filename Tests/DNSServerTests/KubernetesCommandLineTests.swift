import DNSTestKit
import Foundation
import Testing

/// `cluster-dns --kubeconfig` as a user runs it on a laptop: a kubeconfig with the CA inline and a token, against a
/// fake API server on loopback, asked with `dig`.
@Suite(.timeLimit(.minutes(2)))
struct KubernetesCommandLineTests {
    static func kubeconfig(server: String, token: String, in directory: TemporaryDirectory) throws -> String {
        let authority = Data(try TestFixtures.bytes("tls/ca.crt")).base64EncodedString()
        return try directory.write(
            "kubeconfig",
            """
            apiVersion: v1
            kind: Config
            current-context: fake
            clusters:
            - name: fake
              cluster:
                server: \(server)
                certificate-authority-data: \(authority)
            users:
            - name: admin
              user: {token: \(token)}
            contexts:
            - name: fake
              context: {cluster: fake, user: admin}
            """)
    }

    @Test func servesTheClusterFromAKubeconfigToDig() throws {
        let cluster = try FakeKubeCluster(tls: TestFixtures.serverTLS())
        defer { cluster.stop() }
        cluster.script.withLock { $0.acceptedTokens = ["laptop-token"] }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try Self.kubeconfig(server: cluster.server.url, token: "laptop-token", in: directory)

        let server = try ServerProcess(arguments: ["--kubeconfig", path, "--listen", "127.0.0.1:0", "--threads", "1"])
        defer { _ = server.stop() }
        func dig(_ arguments: [String]) throws -> String {
            try runCommand("dig", ["@127.0.0.1", "-p", String(server.port), "+time=2", "+tries=1"] + arguments)
        }
        var answer = ""
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            answer = try dig(["web.prod.svc.cluster.local", "+noall", "+answer"])
            if answer.contains("10.110.231.206") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(answer.contains("10.110.231.206"), "\(answer)\n\(server.printed)")
        let srv = try dig(["_dns._udp.kube-dns.kube-system.svc.cluster.local", "SRV", "+short"])
        #expect(srv.contains("53 kube-dns.kube-system.svc.cluster.local."), "\(srv)")
        let nx = try dig(["nope.prod.svc.cluster.local"])
        #expect(nx.contains("status: NXDOMAIN"), "\(nx)")
        #expect(cluster.server.requests.allSatisfy { $0.bearerToken == "laptop-token" })
        #expect(server.printed.contains("watching the Kubernetes API"), "\(server.printed)")
    }

    @Test(arguments: [
        (["--kube-context", "x"], "--kube-context needs --kubeconfig"),
        (["--kubeconfig", "/nonexistent/kubeconfig"], "cannot read /nonexistent/kubeconfig"),
        // Outside a pod the environment is missing; inside one (a CI runner), the token: either way, one sentence.
        (["--kubernetes"], "--kubernetes: "),
        (["--kube-api", "10.0.0.1:443"], "not an API server URL"),
    ])
    func aWrongKubernetesFlagEndsWithOneClearSentence(arguments: [String], mentions: String) throws {
        let (status, output) = try ServerProcess.runToCompletion(arguments)
        #expect(status != 0)
        let firstLine = output.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("Error: "), "\(output)")
        #expect(firstLine.contains(mentions), "\(output)")
    }
}
