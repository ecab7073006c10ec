import ArgumentParser
import DNSAnswer
import DNSEventLoop
import DNSForward
import DNSKubernetes
import DNSKubernetesClient
import DNSServer
import DNSWire
import Foundation
import Glibc
import Logging

struct ClusterDNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster-dns",
        abstract: "A Kubernetes cluster DNS server: answers the cluster zone from Kubernetes manifests.",
        discussion: """
            Serves A/AAAA, SRV, PTR, CNAME (ExternalName), pod, SOA and NS records for the cluster zone as the
            Kubernetes DNS-Based Service Discovery specification 1.1.0 describes, from the v1 Service,
            discovery.k8s.io/v1 EndpointSlice, v1 Endpoints and v1 Pod manifests in --zones, reloaded when they change,
            and from the Kubernetes API (--kubernetes in a pod, --kubeconfig outside), listed and watched.
            Names outside the cluster zones are forwarded to the --upstream resolvers (or the nameservers of
            --resolv-conf), with a cache.
            """)

    @Option(
        help: ArgumentHelp(
            "Directory of Kubernetes manifests (*.yaml, *.yml, *.json) and *.zone files, read recursively. (default: zones, unless the Kubernetes API is the source)",
            valueName: "dir"))
    var zones: String?

    @Flag(
        help: ArgumentHelp(
            "Watch the Kubernetes API from inside a pod: the service account's token and CA, KUBERNETES_SERVICE_HOST/PORT."
        ))
    var kubernetes = false

    @Option(
        help: ArgumentHelp("Watch the Kubernetes API as this kubeconfig says (outside a cluster).", valueName: "path"))
    var kubeconfig: String?

    @Option(
        name: .customLong("kube-context"),
        help: ArgumentHelp("The kubeconfig context to use. (default: its current-context)", valueName: "name"))
    var kubeContext: String?

    @Option(
        name: .customLong("kube-api"),
        help: ArgumentHelp(
            "The API server URL, overriding the in-cluster or kubeconfig one; alone, an unauthenticated server such as `kubectl proxy` (http://127.0.0.1:8001).",
            valueName: "url"))
    var kubeAPI: String?

    @Option(
        help: ArgumentHelp(
            "YAML file of flag settings (flag name: value, or a list for repeatable flags); flags given here win. SIGHUP re-reads it and the zones.",
            valueName: "file"))
    var config: String?

    @Option(
        help: ArgumentHelp(
            "Address to answer on over UDP and TCP: ADDR:PORT, [IPv6]:PORT, or :PORT for every address. Repeatable.",
            valueName: "addr:port"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("Cluster zone to answer for. Repeatable. (default: cluster.local)", valueName: "zone"))
    var domain: [String] = []

    @Option(help: ArgumentHelp("TTL in seconds of every record, and of negative answers.", valueName: "seconds"))
    var ttl: UInt32 = 5

    @Option(help: ArgumentHelp("Worker threads, each with its own event loop and sockets. (default: one per core)"))
    var threads: Int?

    @Option(
        help: ArgumentHelp(
            "Pod records <a-b-c-d>.<namespace>.pod.<zone>: disabled, insecure (any IP, as kubeadm ships), or verified (only IPs of known Pods).",
            valueName: "mode"))
    var pods = "insecure"

    @Option(
        name: .customLong("tcp-idle-timeout"),
        help: ArgumentHelp("Close idle TCP connections after this long.", valueName: "duration"))
    var tcpIdleTimeout = "10s"

    @Option(
        help: ArgumentHelp(
            "After SIGTERM, fail /health but keep answering this long before exiting (SIGINT exits at once).",
            valueName: "duration"))
    var lameduck = "5s"

    @Option(
        help: ArgumentHelp("Where to serve /health (200 while running): ADDR:PORT, or none.", valueName: "addr:port"))
    var health = ServerConfiguration.defaultHealthAddress

    @Option(
        help: ArgumentHelp(
            "Where to serve /ready (200 once the registry is loaded, 503 before): ADDR:PORT, or none.",
            valueName: "addr:port"))
    var ready = ServerConfiguration.defaultReadyAddress

    @Option(
        help: ArgumentHelp(
            "Where to serve /metrics (Prometheus text, CoreDNS's metric names): ADDR:PORT, or none.",
            valueName: "addr:port"))
    var metrics = ServerConfiguration.defaultMetricsAddress

    @Option(
        help: ArgumentHelp(
            "Upstream resolver for names outside the cluster zones: ADDR, ADDR:PORT or [IPv6]:PORT. Repeatable.",
            valueName: "addr[:port]"))
    var upstream: [String] = []

    @Option(
        name: .customLong("stub"),
        help: ArgumentHelp(
            "Names equal to or below DOMAIN go to these upstreams instead (the longest stub wins). Repeatable.",
            valueName: "DOMAIN=ADDR[:PORT][,ADDR[:PORT]...]"))
    var stub: [String] = []

    @Option(
        name: .customLong("resolv-conf"),
        help: ArgumentHelp(
            "Take the upstreams from this file's nameserver lines when no --upstream is given.",
            valueName: "path"))
    var resolvConf = "/etc/resolv.conf"

    @Option(
        name: .customLong("upstream-policy"),
        help: ArgumentHelp("Order to try upstreams in: random, round_robin or sequential.", valueName: "policy"))
    var upstreamPolicy = "random"

    @Option(
        name: .customLong("upstream-timeout"),
        help: ArgumentHelp(
            "How long one upstream attempt waits before the next upstream is tried.",
            valueName: "duration"))
    var upstreamTimeout = "1s"

    @Option(
        name: .customLong("forward-budget"),
        help: ArgumentHelp("How long a forwarded query may take in total before SERVFAIL.", valueName: "duration"))
    var forwardBudget = "2s"

    @Option(
        name: .customLong("max-concurrent"),
        help: ArgumentHelp("Upstream queries in flight per worker; beyond it queries are refused.", valueName: "n"))
    var maxConcurrent = ForwardPolicy.maxConcurrent

    @Option(
        name: .customLong("cache-size"),
        help: ArgumentHelp("Upstream answers cached per worker.", valueName: "n"))
    var cacheSize = 10_000

    @Option(
        name: .customLong("cache-max-ttl"),
        help: ArgumentHelp("The longest an upstream answer is cached, whatever its TTL.", valueName: "seconds"))
    var cacheMaxTTL: UInt32 = 3600

    @Option(
        name: .customLong("serve-stale"),
        help: ArgumentHelp(
            "When every upstream fails, answer from expired cache entries up to this long past expiry (RFC 8767); 0 is off.",
            valueName: "duration"))
    var serveStale = "0"

    @Flag(
        name: .customLong("force-tcp"),
        help: "Ask upstreams over TCP only (for upstreams behind networks that drop UDP).")
    var forceTCP = false

    @Flag(
        name: .customLong("log-queries"),
        help: "Log one line per answered query in CoreDNS's log format (costs an allocation per query).")
    var logQueries = false

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel = "info"

    func validate() throws {
        _ = try serverConfiguration()
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical.")
        }
    }

    func serverConfiguration() throws -> ServerConfiguration {
        let kubernetesConfiguration = try kubernetesSource()
        let zones = self.zones ?? (kubernetesConfiguration == nil ? "zones" : nil)
        if let zones {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: zones, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw ValidationError("The zones directory \(zones) does not exist (give one with --zones DIR).")
            }
        }
        var addresses: [SocketAddress] = []
        for text in listen.isEmpty ? [ServerConfiguration.defaultListenAddress] : listen {
            do {
                addresses.append(try SocketAddress(text, defaultPort: 53))
            } catch {
                throw ValidationError("--listen \(text): \(error)")
            }
        }
        var zoneNames: [Name] = []
        for text in domain.isEmpty ? ["cluster.local"] : domain {
            guard let name = try? Name(text), !name.isRoot else {
                throw ValidationError("--domain \(text) is not a domain name.")
            }
            zoneNames.append(name)
        }
        guard let podMode = PodMode(rawValue: pods) else {
            throw ValidationError("--pods \(pods) is not one of disabled, insecure, verified.")
        }
        if let threads, !(1...256).contains(threads) {
            throw ValidationError("--threads \(threads) must be between 1 and 256.")
        }
        var configuration = ServerConfiguration(
            zonesDirectory: zones, listenAddresses: addresses,
            answers: AnswerConfiguration(zones: zoneNames, ttl: ttl, podMode: podMode),
            threads: threads ?? ServerConfiguration.defaultThreads,
            tcpIdleTimeout: try duration("--tcp-idle-timeout", tcpIdleTimeout),
            healthAddress: try endpointAddress("--health", health),
            readyAddress: try endpointAddress("--ready", ready),
            metricsAddress: try endpointAddress("--metrics", metrics),
            lameDuck: try duration("--lameduck", lameduck),
            forwarding: try forwardConfiguration())
        configuration.logQueries = logQueries
        configuration.forwarding?.forceTCP = forceTCP
        configuration.kubernetes = kubernetesConfiguration
        return configuration
    }

    /// The API source from `--kubernetes`, `--kubeconfig` (and `--kube-context`) and `--kube-api`; `nil` without.
    func kubernetesSource() throws -> KubernetesConfiguration? {
        guard kubernetes || kubeconfig != nil || kubeAPI != nil else {
            if kubeContext != nil { throw ValidationError("--kube-context needs --kubeconfig.") }
            return nil
        }
        if kubernetes, kubeconfig != nil {
            throw ValidationError("--kubernetes (in-cluster) and --kubeconfig exclude each other; give one.")
        }
        if kubeContext != nil, kubeconfig == nil { throw ValidationError("--kube-context needs --kubeconfig.") }
        var access: ClusterAccess
        do {
            if kubernetes {
                access = try ClusterAccess.inCluster()
            } else if let kubeconfig {
                access = try ClusterAccess.kubeconfig(path: kubeconfig, context: kubeContext)
            } else {
                access = ClusterAccess(server: try APIServerURL(parsing: kubeAPI!))
            }
            if let kubeAPI {
                access.server = try APIServerURL(parsing: kubeAPI)
            }
        } catch let error as ClusterAccess.LoadError {
            throw ValidationError(error.description)
        } catch {
            throw ValidationError("--kube-api: \(error)")
        }
        guard let podMode = PodMode(rawValue: pods) else { return nil }
        return KubernetesConfiguration(
            access: access, settings: WatchSettings.forCluster(watchingPods: podMode == .verified))
    }

    /// The forwarding flags; the upstreams from `--upstream`, else from `--resolv-conf`.
    func forwardConfiguration() throws -> ForwardConfiguration {
        var upstreams: [UpstreamAddress] = []
        for text in upstream {
            do {
                upstreams.append(try UpstreamAddress(parsing: text))
            } catch {
                throw ValidationError("--upstream \(text): \(error)")
            }
        }
        if upstream.isEmpty {
            guard let text = try? String(contentsOfFile: resolvConf, encoding: .utf8) else {
                throw ValidationError(
                    "cannot read \(resolvConf) for upstream resolvers; give them with --upstream ADDR[:PORT]")
            }
            upstreams = ResolvConf(parsing: text).nameservers
            guard !upstreams.isEmpty else {
                throw ValidationError(
                    "\(resolvConf) names no usable nameserver; give upstreams with --upstream ADDR[:PORT]")
            }
        }
        guard let policy = UpstreamPool.Policy(rawValue: upstreamPolicy) else {
            throw ValidationError("--upstream-policy \(upstreamPolicy) is not one of random, round_robin, sequential.")
        }
        guard maxConcurrent >= 1 else { throw ValidationError("--max-concurrent must be at least 1.") }
        guard cacheSize >= 1 else { throw ValidationError("--cache-size must be at least 1.") }
        let attemptTimeout = try duration("--upstream-timeout", upstreamTimeout)
        let budget = try duration("--forward-budget", forwardBudget)
        guard attemptTimeout > .zero, budget > .zero else {
            throw ValidationError("--upstream-timeout and --forward-budget must be longer than 0.")
        }
        var cache = ResponseCache.Configuration()
        cache.capacity = cacheSize
        cache.maxTTL = cacheMaxTTL
        cache.serveStale = try duration("--serve-stale", serveStale)
        var stubs: [StubDomain] = []
        for text in stub {
            do {
                stubs.append(try StubDomain(parsing: text))
            } catch {
                throw ValidationError("--stub \(text): \(error)")
            }
        }
        return ForwardConfiguration(
            upstreams: upstreams, policy: policy, attemptTimeout: attemptTimeout, budget: budget,
            maxConcurrent: maxConcurrent, cache: cache, stubs: stubs)
    }

    private func duration(_ flag: String, _ text: String) throws -> Duration {
        do {
            return try DurationText.parse(text)
        } catch {
            throw ValidationError("\(flag): \(error)")
        }
    }

    private func endpointAddress(_ flag: String, _ text: String) throws -> SocketAddress? {
        guard text != "none" else { return nil }
        do {
            return try SocketAddress(text)
        } catch {
            throw ValidationError("\(flag) \(text): \(error)")
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "cluster-dns")
        var configuration = try serverConfiguration()
        let commandLine = Array(CommandLine.arguments.dropFirst())
        configuration.reloadConfiguration = {
            do {
                return try ClusterDNSCommand.parse(try ConfigFile.merged(commandLine)).serverConfiguration()
            } catch let problem as ConfigFile.Problem {
                throw problem
            } catch {
                throw ConfigFile.Problem(description: ClusterDNSCommand.message(for: error))
            }
        }
        let server = Server(configuration: configuration, logger: logger)
        do {
            try server.start(handlingSignals: true)
        } catch {
            FileHandle.standardError.write(Data("cluster-dns: \(error)\n".utf8))
            throw ExitCode.failure
        }
        server.waitUntilStopped()
        if case .failed = server.state {
            // Already logged; CoreDNS exits non-zero on a loop too, so an orchestrator sees the crash.
            throw ExitCode.failure
        }
    }
}

/// A parent may start us with signals blocked (threads of Dispatch and of test runners block them, and a child
/// inherits the mask): unblock the ones we handle, or SIGTERM would never arrive. SIGPIPE is ignored because a peer
/// that closes its TCP connection early must not end the server.
func prepareSignals() {
    var handled = sigset_t()
    sigemptyset(&handled)
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        sigaddset(&handled, signal)
    }
    pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    Glibc.signal(SIGPIPE, SIG_IGN)
}

prepareSignals()
do {
    ClusterDNSCommand.main(try ConfigFile.merged(Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(64)
}
