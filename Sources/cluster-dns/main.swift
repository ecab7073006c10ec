import ArgumentParser
import DNSAnswer
import DNSEventLoop
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
            discovery.k8s.io/v1 EndpointSlice, v1 Endpoints and v1 Pod manifests in --zones, reloaded when they change.
            Names outside the cluster zones are refused for now.
            """)

    @Option(
        help: ArgumentHelp(
            "Directory of Kubernetes manifests (*.yaml, *.yml, *.json), read recursively.", valueName: "dir"))
    var zones = "zones"

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
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: zones, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("The zones directory \(zones) does not exist (give one with --zones DIR).")
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
        return ServerConfiguration(
            zonesDirectory: zones, listenAddresses: addresses,
            answers: AnswerConfiguration(zones: zoneNames, ttl: ttl, podMode: podMode),
            threads: threads ?? ServerConfiguration.defaultThreads,
            tcpIdleTimeout: try duration("--tcp-idle-timeout", tcpIdleTimeout),
            healthAddress: try endpointAddress("--health", health),
            readyAddress: try endpointAddress("--ready", ready),
            metricsAddress: try endpointAddress("--metrics", metrics),
            lameDuck: try duration("--lameduck", lameduck))
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
        let server = Server(configuration: try serverConfiguration(), logger: logger)
        do {
            try server.start(handlingSignals: true)
        } catch {
            FileHandle.standardError.write(Data("cluster-dns: \(error)\n".utf8))
            throw ExitCode.failure
        }
        server.waitUntilStopped()
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
ClusterDNSCommand.main()
