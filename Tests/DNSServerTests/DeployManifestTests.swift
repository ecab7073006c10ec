import DNSKubernetesClient
import DNSRegistry
import DNSServer
import DNSTestKit
import Foundation
import Testing
import Yams

/// What a reviewer checks in `deploy/`: the kinds are all there, ports, probes and RBAC agree with the server.
struct DeployManifestTests {
    static let deployDirectory = CommandLineTests.repositoryRoot + "/deploy"

    static func documents() throws -> [[String: Any]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: deployDirectory)
            .filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }.sorted()
        var documents: [[String: Any]] = []
        for file in files {
            let text = try String(contentsOfFile: deployDirectory + "/" + file, encoding: .utf8)
            for document in try Yams.load_all(yaml: text) {
                documents.append(try #require(document as? [String: Any], "\(file) holds a non-mapping document"))
            }
        }
        return documents
    }

    static func object(_ kind: String, in documents: [[String: Any]]) throws -> [String: Any] {
        try #require(documents.first { $0["kind"] as? String == kind }, "no \(kind) in deploy/")
    }

    @Test func everyKindIsThereAndKustomizeListsEveryFile() throws {
        let documents = try Self.documents()
        let kinds = Set(documents.compactMap { $0["kind"] as? String })
        #expect(
            kinds == [
                "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Service",
                "PodDisruptionBudget",
            ])
        let kustomization = try Yams.load(
            yaml: String(contentsOfFile: Self.deployDirectory + "/kustomization.yaml", encoding: .utf8))
        let listed = Set(((kustomization as? [String: Any])?["resources"] as? [String]) ?? [])
        let files = Set(
            try FileManager.default.contentsOfDirectory(atPath: Self.deployDirectory)
                .filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" })
        #expect(listed == files)
    }

    @Test func serviceIsKubeDNSOnPort53AndMetrics() throws {
        let service = try Self.object("Service", in: try Self.documents())
        let metadata = try #require(service["metadata"] as? [String: Any])
        #expect(metadata["name"] as? String == "kube-dns")
        #expect(metadata["namespace"] as? String == "kube-system")
        let ports = try #require((service["spec"] as? [String: Any])?["ports"] as? [[String: Any]])
        let described = Set(ports.map { "\($0["port"] ?? "")/\($0["protocol"] ?? "")" })
        #expect(described == ["53/UDP", "53/TCP", "9153/TCP"])
    }

    @Test func deploymentProbesAndFlagsMatchTheServersDefaults() throws {
        let deployment = try Self.object("Deployment", in: try Self.documents())
        let spec = try #require(deployment["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 2)
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(pod["affinity"] as? [String: Any] != nil)
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let liveness = try #require((container["livenessProbe"] as? [String: Any])?["httpGet"] as? [String: Any])
        let readiness = try #require((container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any])
        #expect(liveness["path"] as? String == "/health")
        #expect(":\(liveness["port"] ?? "")" == ServerConfiguration.defaultHealthAddress)
        #expect(readiness["path"] as? String == "/ready")
        #expect(":\(readiness["port"] ?? "")" == ServerConfiguration.defaultReadyAddress)
        let args = try #require(container["args"] as? [String])
        #expect(args.contains("--health=\(ServerConfiguration.defaultHealthAddress)"))
        #expect(args.contains("--ready=\(ServerConfiguration.defaultReadyAddress)"))
        #expect(args.contains("--metrics=\(ServerConfiguration.defaultMetricsAddress)"))
        #expect(args.contains("--listen=\(ServerConfiguration.defaultListenAddress)"))
        // Every flag the Deployment passes is one the binary knows.
        let help = try ServerProcess.runToCompletion(["--help"]).output
        for flag in args.map({ String($0.prefix(while: { $0 != "=" })) }) {
            #expect(help.contains(flag), "\(flag) is not a cluster-dns flag")
        }
        let security = try #require(container["securityContext"] as? [String: Any])
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)
        let capabilities = try #require(security["capabilities"] as? [String: Any])
        #expect(capabilities["drop"] as? [String] == ["ALL"])
        #expect(capabilities["add"] as? [String] == ["NET_BIND_SERVICE"])
        #expect((pod["securityContext"] as? [String: Any])?["runAsNonRoot"] as? Bool == true)
        let resources = try #require(container["resources"] as? [String: Any])
        #expect(resources["requests"] != nil)
        #expect(resources["limits"] != nil)
    }

    @Test func rbacCoversExactlyWhatIsWatched() throws {
        let role = try Self.object("ClusterRole", in: try Self.documents())
        let rules = try #require(role["rules"] as? [[String: Any]])
        var granted: Set<String> = []
        for rule in rules {
            #expect(Set(rule["verbs"] as? [String] ?? []) == ["list", "watch"])
            for group in rule["apiGroups"] as? [String] ?? [] {
                for resource in rule["resources"] as? [String] ?? [] {
                    granted.insert("\(group)/\(resource)")
                }
            }
        }
        // What the Deployment's flags make the server watch, and nothing more.
        let deployment = try Self.object("Deployment", in: try Self.documents())
        let container = try #require(
            ((((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])?[
                "containers"] as? [[String: Any]])?.first)
        let args = try #require(container["args"] as? [String])
        #expect(args.contains("--kubernetes"))
        let watched = WatchSettings.forCluster(watchingPods: args.contains("--pods=verified")).resources
        let expected = Set(
            watched.map { resource in
                switch resource {
                case .endpointSlices: "discovery.k8s.io/endpointslices"
                default: "/\(resource.rawValue)"
                }
            })
        #expect(granted == expected)
    }

    @Test func theConfigMapsManifestsParse() throws {
        let configMap = try Self.object("ConfigMap", in: try Self.documents())
        let data = try #require(configMap["data"] as? [String: String])
        #expect(!data.isEmpty)
        // Each file is valid as it stands; its example, uncommented, is one object.
        for (name, text) in data {
            _ = try ManifestParser.parse(text, path: name)
            let example = text.split(separator: "\n").filter { $0.hasPrefix("# ") && !$0.hasPrefix("# For") }
                .map { $0.dropFirst(2) }.joined(separator: "\n")
            #expect(try ManifestParser.parse(example, path: name).count == 1, "\(name)")
        }
    }
}

/// The Dockerfile cannot be built on this machine (no Docker engine): what a reviewer checks is checked here, and
/// docs/DEVELOPING.md says how its build and run stages were tried by hand.
struct DockerfileTests {
    static let dockerfile =
        (try? String(contentsOfFile: CommandLineTests.repositoryRoot + "/Dockerfile", encoding: .utf8)) ?? ""

    @Test func multiStageStaticBuildRunsNonRootOnPort53FromZones() throws {
        let lines = Self.dockerfile.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("FROM ") }.count == 2)
        #expect(lines.contains { $0.contains("swift build -c release --product cluster-dns --static-swift-stdlib") })
        #expect(lines.contains { $0.hasPrefix("FROM debian:bookworm-slim") })
        #expect(Self.dockerfile.contains("libevent-2.1-7"))
        // The API client's TLS: OpenSSL at build and run time.
        #expect(Self.dockerfile.contains("libssl-dev"))
        #expect(Self.dockerfile.contains("libssl3"))
        #expect(Self.dockerfile.contains("setcap cap_net_bind_service=+ep /usr/local/bin/cluster-dns"))
        let user = try #require(lines.last { $0.hasPrefix("USER ") })
        #expect(user == "USER 65532:65532")
        #expect(lines.contains("EXPOSE 53/udp 53/tcp"))
        #expect(lines.contains(#"CMD ["--zones", "/zones", "--listen", ":53"]"#))
    }

    @Test func theDeploymentRunsAsTheImagesUser() throws {
        let deployment = try DeployManifestTests.object("Deployment", in: try DeployManifestTests.documents())
        let pod = try #require(
            ((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect((pod["securityContext"] as? [String: Any])?["runAsUser"] as? Int == 65532)
    }
}
