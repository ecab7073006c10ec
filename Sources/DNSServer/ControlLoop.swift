import DNSAnswer
import DNSEventLoop
import DNSKubernetesClient
import Foundation
import Glibc
import Logging
import Synchronization

/// The server's housekeeping thread: notices changes in the zones directory (inotify, and a slow periodic rescan for
/// filesystems that send no events), compiles new answer tables, publishes them, and turns SIGINT/SIGTERM into a stop.
final class ControlLoop: @unchecked Sendable {
    // @unchecked: every mutable field below is touched only on the control thread, after `start()` hands it over;
    // `stop()` from other threads goes through `wakeup`, which is thread-safe.
    private let reloader: ZoneReloader
    private let configuration: ServerConfiguration
    private let logger: Logger
    private let publish: @Sendable (AnswerTable) -> Void
    private let onSignal: (@Sendable () -> Void)?
    private let httpSockets: [OperationalEndpoint: BoundSocket]
    private let counters: @Sendable () -> WorkerCounters
    private let kubernetes: KubernetesSource?
    /// Set by `registryChanged()` from a watcher thread, read on the control thread after the wake-up.
    private let apiChanged = Mutex(false)
    /// Set by SIGTERM: `/health` fails while the server keeps answering for the lame-duck period.
    private var draining = false
    private var drainTimer: DNSEventLoop.Timer?
    private let wakeup = Mutex<Wakeup?>(nil)
    private let stopRequested = Mutex(false)
    private let thread = LoopThread()

    init(
        reloader: ZoneReloader, configuration: ServerConfiguration, logger: Logger,
        publish: @escaping @Sendable (AnswerTable) -> Void, onSignal: (@Sendable () -> Void)?,
        httpSockets: [OperationalEndpoint: BoundSocket] = [:], counters: @escaping @Sendable () -> WorkerCounters,
        kubernetes: KubernetesSource? = nil
    ) {
        self.kubernetes = kubernetes
        self.reloader = reloader
        self.configuration = configuration
        self.logger = logger
        self.publish = publish
        self.onSignal = onSignal
        self.httpSockets = httpSockets
        self.counters = counters
    }

    func start() throws {
        try thread.start(name: "dns-control") { [self] started in run(started: started) }
    }

    /// The API source changed: compile new answers soon (from any thread).
    func registryChanged() {
        apiChanged.withLock { $0 = true }
        wakeup.withLock { $0?.signal() }
    }

    /// How long an API change waits for more to arrive before the answers are compiled: watch events come in bursts
    /// (a rollout touches every slice of a service), and a change must be answered within 100 ms of its event.
    static let apiReloadDelay = Duration.milliseconds(20)

    /// How long after publishing a table the freed memory is handed back to the kernel: workers release the old table
    /// when they next pick up theirs, and the build's temporary records are gone by then.
    static let trimDelay = Duration.seconds(1)

    func stop() {
        stopRequested.withLock { $0 = true }
        wakeup.withLock { $0?.signal() }
        thread.join()
    }

    private func run(started: (Error?) -> Void) {
        let base: EventBase
        do {
            base = try EventBase()
        } catch {
            started(error)
            return
        }
        defer { base.close() }
        var watches: [Watch] = []
        var httpServers: [HTTPServer] = []
        var timers: [DNSEventLoop.Timer] = []
        // The debounce timer is replaced, never released from inside its own callback.
        var pendingReload: DNSEventLoop.Timer?
        var reloadScheduled = false
        let directoryWatch = configuration.zonesDirectory == nil ? nil : DirectoryWatch()
        if let zones = configuration.zonesDirectory { directoryWatch?.watchTree(zones) }

        var pendingTrim: DNSEventLoop.Timer?
        func reload() {
            reloadScheduled = false
            do {
                if let table = try reloader.reload() {
                    publish(table)
                    pendingTrim?.cancel()
                    pendingTrim = base.schedule(after: ControlLoop.trimDelay) { ProcessMemory.returnFreedPages() }
                }
            } catch {
                logger.error("cannot read the zones directory; still serving the last good registry: \(error)")
            }
            if let zones = reloader.directoryPath { directoryWatch?.watchTree(zones) }
        }

        do {
            let wake = try base.makeWakeup { [self] in
                if stopRequested.withLock({ $0 }) {
                    base.exit()
                    return
                }
                let changed = apiChanged.withLock { changed in
                    defer { changed = false }
                    return changed
                }
                if changed, !reloadScheduled {
                    reloadScheduled = true
                    pendingReload = base.schedule(after: ControlLoop.apiReloadDelay) { reload() }
                }
            }
            wakeup.withLock { $0 = wake }
            if let directoryWatch {
                watches.append(
                    try base.watchReadable(descriptor: directoryWatch.fileDescriptor) { [self] in
                        guard directoryWatch.drain(), !reloadScheduled else { return }
                        reloadScheduled = true
                        pendingReload = base.schedule(after: configuration.reloadDelay) { reload() }
                    })
            } else if configuration.zonesDirectory != nil {
                logger.warning(
                    "inotify is unavailable; the zones directory is rescanned every \(configuration.rescanInterval)")
            }
            timers.append(base.schedule(after: configuration.rescanInterval, repeating: true) { reload() })
            var digest = ErrorDigest()
            timers.append(
                base.schedule(after: ErrorDigest.interval, repeating: true) { [self] in
                    for line in digest.lines(for: counters()) {
                        logger.warning("\(line)")
                    }
                })
            for (endpoint, socket) in httpSockets {
                httpServers.append(
                    try HTTPServer(base: base, socket: socket) { [self] request in respond(to: request, at: endpoint) })
            }
            if let onSignal {
                for signal in [SIGINT, SIGTERM] {
                    watches.append(
                        try base.watchSignal(signal) { [self] in
                            signalled(signal, base: base, stop: onSignal)
                        })
                }
                // SIGHUP re-reads the configuration and the zones; queries are answered throughout.
                watches.append(
                    try base.watchSignal(SIGHUP) { [self] in
                        reloadConfiguration()
                        reload()
                    })
            }
        } catch {
            httpServers.forEach { $0.stop() }
            httpSockets.values.forEach { $0.close() }
            started(error)
            return
        }
        started(nil)
        do {
            try base.dispatch()
        } catch {
            logger.error("control loop failed: \(error)")
        }
        httpServers.forEach { $0.stop() }
        drainTimer?.cancel()
        pendingReload?.cancel()
        pendingTrim?.cancel()
        timers.forEach { $0.cancel() }
        watches.forEach { $0.cancel() }
        wakeup.withLock { $0 = nil }
    }

    /// Applies what a configuration reload can change while serving: the answer settings (zones, TTL, pods) and the
    /// zones directory. An invalid configuration keeps the running one; settings that need new sockets or threads are
    /// named and wait for a restart.
    private func reloadConfiguration() {
        guard let read = configuration.reloadConfiguration else {
            logger.notice("SIGHUP: re-reading the zones directory")
            return
        }
        let fresh: ServerConfiguration
        do {
            fresh = try read()
        } catch {
            logger.error("SIGHUP: the configuration is invalid, keeping the running one: \(error)")
            return
        }
        reloader.update(configuration: fresh.answers, zonesDirectory: fresh.zonesDirectory)
        var needRestart: [String] = []
        if fresh.listenAddresses != configuration.listenAddresses { needRestart.append("listen") }
        if fresh.threads != configuration.threads { needRestart.append("threads") }
        if fresh.healthAddress != configuration.healthAddress || fresh.readyAddress != configuration.readyAddress
            || fresh.metricsAddress != configuration.metricsAddress
        {
            needRestart.append("health/ready/metrics addresses")
        }
        if !needRestart.isEmpty {
            logger.warning(
                "SIGHUP: configuration reloaded; \(needRestart.joined(separator: ", ")) take effect at the next start")
        } else {
            logger.notice("SIGHUP: configuration reloaded")
        }
    }

    /// SIGTERM starts the lame-duck period (CoreDNS's `health … lameduck`): `/health` fails so load balancers and
    /// kube-proxy stop sending, queries keep being answered, then the server stops. SIGINT, or a second signal,
    /// stops at once.
    private func signalled(_ signal: Int32, base: EventBase, stop: @escaping @Sendable () -> Void) {
        // Stopping joins this thread, so it must happen on another.
        guard signal == SIGTERM, !draining, configuration.lameDuck > .zero else {
            logger.notice("signal \(signal): stopping")
            Thread.detachNewThread { stop() }
            return
        }
        draining = true
        logger.notice(
            "signal \(signal): failing /health, answering for \(DurationText.format(configuration.lameDuck)), then stopping"
        )
        drainTimer = base.schedule(after: configuration.lameDuck) { [logger] in
            logger.notice("lame-duck period over: stopping")
            Thread.detachNewThread { stop() }
        }
    }

    /// Each endpoint answers its own path only, as CoreDNS's health, ready and prometheus plugins do.
    private func respond(to request: HTTPRequest, at endpoint: OperationalEndpoint) -> HTTPResponse {
        guard request.path == "/" + endpoint.rawValue else {
            return HTTPResponse(status: 404, body: "404 page not found\n")
        }
        switch endpoint {
        case .health:
            return draining ? HTTPResponse(status: 503, body: "draining\n") : HTTPResponse(status: 200, body: "OK")
        case .ready:
            // Ready once a registry has been loaded and published (with the API, once every first list is in):
            // before that, cluster names get SERVFAIL.
            guard reloader.statistics.reloads > 0 else {
                let waiting = kubernetes.map { $0.isSynced ? "" : " (waiting for the first Kubernetes API lists)" } ?? ""
                return HTTPResponse(status: 503, body: "registry not loaded yet\(waiting)\n")
            }
            return HTTPResponse(status: 200, body: "OK")
        case .metrics:
            let first = configuration.listenAddresses.first.map { "dns://\($0)" } ?? "dns://"
            return HTTPResponse(
                status: 200, contentType: Metrics.contentType,
                body: Metrics.render(
                    counters: counters(), registry: reloader.statistics, kubernetes: kubernetes?.status,
                    labels: Metrics.Labels(server: first)))
        }
    }
}
