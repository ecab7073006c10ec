import DNSAnswer
import DNSEventLoop
import DNSKubernetes
import DNSKubernetesClient
import DNSWire
import Glibc

/// Everything the server needs to run, already validated: the command line and, later, the config file build one.
public struct ServerConfiguration: Sendable {
    /// Manifest directory (`--zones`); `nil`: the registry comes from the Kubernetes API alone.
    public var zonesDirectory: String?
    /// Addresses to serve DNS on, UDP and TCP each (`--listen`).
    public var listenAddresses: [SocketAddress]
    public var answers: AnswerConfiguration
    /// Worker threads, each with its own event loop and sockets (`--threads`).
    public var threads: Int
    /// RFC 7766 §6.2.3: idle TCP connections are closed after this long.
    public var tcpIdleTimeout: Duration
    /// How long to wait after a change in the zones directory before reading it, so that an editor's or `kubectl
    /// cp`'s burst of writes is read once.
    public var reloadDelay: Duration

    /// `/health` (`--health`): 200 while the server runs. `nil`: not served.
    public var healthAddress: SocketAddress?
    /// `/ready` (`--ready`): 200 once the first registry load succeeded, 503 before.
    public var readyAddress: SocketAddress?
    /// `/metrics` (`--metrics`): Prometheus text, CoreDNS's metric names.
    public var metricsAddress: SocketAddress?

    /// Called on SIGHUP to read the configuration again (the config file and the flags); `nil`: SIGHUP only re-reads
    /// the zones directory. Settings that need new sockets or threads take effect at the next start.
    public var reloadConfiguration: (@Sendable () throws -> ServerConfiguration)?

    /// `--log-queries`: one line per answered query, in CoreDNS's log format.
    public var logQueries = false

    /// After SIGTERM, how long `/health` fails while queries are still answered, before stopping (`--lameduck`).
    public var lameDuck: Duration

    /// Without inotify events (some filesystems never send them) the directory is still checked this often.
    public var rescanInterval: Duration

    /// The Kubernetes API as a registry source (`--kubernetes`, `--kubeconfig`), beside the zones directory or alone.
    public var kubernetes: KubernetesConfiguration?

    /// Where names outside the cluster zones go (`--upstream`, `--resolv-conf`, ...); `nil`: they are refused.
    public var forwarding: ForwardConfiguration?

    public init(
        zonesDirectory: String? = "zones",
        listenAddresses: [SocketAddress],
        answers: AnswerConfiguration = AnswerConfiguration(),
        threads: Int = ServerConfiguration.defaultThreads,
        tcpIdleTimeout: Duration = .seconds(10),
        reloadDelay: Duration = .milliseconds(100),
        rescanInterval: Duration = .seconds(5),
        healthAddress: SocketAddress? = nil,
        readyAddress: SocketAddress? = nil,
        metricsAddress: SocketAddress? = nil,
        lameDuck: Duration = .seconds(5),
        forwarding: ForwardConfiguration? = nil
    ) {
        self.forwarding = forwarding
        self.zonesDirectory = zonesDirectory
        self.listenAddresses = listenAddresses
        self.answers = answers
        self.threads = threads
        self.tcpIdleTimeout = tcpIdleTimeout
        self.reloadDelay = reloadDelay
        self.rescanInterval = rescanInterval
        self.healthAddress = healthAddress
        self.readyAddress = readyAddress
        self.metricsAddress = metricsAddress
        self.lameDuck = lameDuck
    }

    /// CoreDNS's ports for the health, ready and prometheus plugins, which probes and scrapers already expect.
    public static let defaultHealthAddress = ":8080"
    public static let defaultReadyAddress = ":8181"
    public static let defaultMetricsAddress = ":9153"
    public static let defaultListenAddress = ":53"

    /// One worker per online core.
    public static var defaultThreads: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// How to reach the API server and what to watch.
public struct KubernetesConfiguration: Sendable {
    public var access: ClusterAccess
    public var settings: WatchSettings

    public init(access: ClusterAccess, settings: WatchSettings) {
        self.access = access
        self.settings = settings
    }
}
