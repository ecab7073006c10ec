import DNSAnswer
import DNSEventLoop
import DNSForward
import DNSKubernetesClient
import DNSWire
import Foundation
import Glibc
import Logging
import Synchronization

/// The whole server: sockets, workers, and the control loop that watches the zones directory and signals.
///
/// `start()` binds every address (UDP and TCP on the same port; port 0 picks one), loads the registry, and starts one
/// worker per thread, each with its own SO_REUSEPORT sockets. The control loop runs on a thread of its own, so
/// reading manifests and compiling tables never delays an answer.
public final class Server: Sendable {
    public enum State: Sendable, Equatable {
        case idle
        case running
        case stopped
        /// Stopped by itself for a reason it cannot serve through (a forwarding loop); the process should exit
        /// non-zero.
        case failed(String)
    }

    public enum StartError: Error, CustomStringConvertible {
        case cannotListen(SocketAddress, IOError)
        case zones(String)
        case alreadyStarted
        case noUpstream(String)

        public var description: String {
            switch self {
            case .cannotListen(let address, let error):
                let hint = error.errno == EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : ""
                return "cannot listen on \(address): \(error)\(hint)"
            case .zones(let reason): return reason
            case .alreadyStarted: return "the server was already started"
            case .noUpstream(let reason): return reason
            }
        }
    }

    private struct Running {
        var workers: [Worker]
        var control: ControlLoop
        var kubernetes: KubernetesSource?
        var addresses: [SocketAddress]
        var endpoints: [OperationalEndpoint: SocketAddress]
    }

    public let configuration: ServerConfiguration
    private let logger: Logger
    private let running = Mutex<Running?>(nil)
    private let stateBox = Mutex(State.idle)
    private let stopped = DispatchSemaphore(value: 0)
    private let onFatal: @Sendable (String) -> Void

    /// `onFatal` is called once, from a thread of the server's, when the server stops itself (`State.failed`).
    public init(
        configuration: ServerConfiguration, logger: Logger, onFatal: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onFatal = onFatal
    }

    public var state: State { stateBox.withLock { $0 } }

    /// The addresses actually served, with the ports the kernel chose for port 0.
    public var boundAddresses: [SocketAddress] {
        running.withLock { $0?.addresses ?? [] }
    }

    /// Where `/health`, `/ready` and `/metrics` are served, with the ports the kernel chose for port 0.
    public func address(of endpoint: OperationalEndpoint) -> SocketAddress? {
        running.withLock { $0?.endpoints[endpoint] }
    }

    /// The counters of every worker, added up (at most a second old).
    public var counters: WorkerCounters {
        running.withLock { $0?.workers.map(\.currentCounters).reduce(WorkerCounters(), +) ?? WorkerCounters() }
    }

    /// Binds, loads the zones and starts serving. With `handlingSignals`, SIGINT and SIGTERM stop the server.
    public func start(handlingSignals: Bool = false) throws {
        guard stateBox.withLock({ $0 }) == .idle else { throw StartError.alreadyStarted }
        let forwarding = try usableForwarding()
        let (sockets, addresses) = try bindAll()
        let httpSockets: [OperationalEndpoint: BoundSocket]
        do {
            httpSockets = try bindOperationalEndpoints()
        } catch {
            sockets.joined().forEach { $0.close() }
            throw error
        }
        // The source starts watching once the control loop runs; its changes reach the loop through this box.
        let registryChanged = RegistryChangeSignal()
        var kubernetes: KubernetesSource?
        if let settings = configuration.kubernetes {
            do {
                let client = try APIClient(access: settings.access)
                kubernetes = KubernetesSource(client: client, settings: settings.settings, logger: logger) {
                    registryChanged.signal()
                }
            } catch {
                sockets.joined().forEach { $0.close() }
                httpSockets.values.forEach { $0.close() }
                throw StartError.zones("--kubernetes: \(error)")
            }
        }
        let reloader = ZoneReloader(
            path: configuration.zonesDirectory, configuration: configuration.answers, kubernetes: kubernetes,
            logger: logger)
        let table: AnswerTable?
        do {
            table = try reloader.reload()
        } catch {
            sockets.joined().forEach { $0.close() }
            throw StartError.zones("\(error)")
        }
        var workers: [Worker] = []
        do {
            for (index, workerSockets) in sockets.enumerated() {
                let worker = Worker(index: index)
                try worker.start(
                    sockets: workerSockets, zones: configuration.answers.zones, table: table,
                    tcpIdleTimeout: configuration.tcpIdleTimeout, forwarding: forwarding,
                    queryLog: configuration.logQueries ? logger : nil, logger: logger)
                workers.append(worker)
            }
        } catch {
            workers.forEach { $0.stop() }
            sockets.joined().forEach { $0.close() }
            throw error
        }
        let startedWorkers = workers
        let publish: @Sendable (AnswerTable) -> Void = { table in
            for worker in startedWorkers { worker.publish(table) }
        }
        var onSignal: (@Sendable () -> Void)?
        if handlingSignals {
            onSignal = { [weak self] in self?.stop() }
        }
        let counters: @Sendable () -> WorkerCounters = {
            startedWorkers.map(\.currentCounters).reduce(WorkerCounters(), +)
        }
        let control = ControlLoop(
            reloader: reloader, configuration: configuration, logger: logger, publish: publish, onSignal: onSignal,
            httpSockets: httpSockets, counters: counters, kubernetes: kubernetes)
        do {
            try control.start()
        } catch {
            workers.forEach { $0.stop() }
            throw error
        }
        registryChanged.connect { control.registryChanged() }
        kubernetes?.start()
        let endpoints = httpSockets.mapValues(\.localAddress)
        running.withLock {
            $0 = Running(
                workers: workers, control: control, kubernetes: kubernetes, addresses: addresses, endpoints: endpoints)
        }
        let failedWhileStarting = stateBox.withLock { state in
            if case .failed = state { return true }
            state = .running
            return false
        }
        if failedWhileStarting {
            // A loop found before `running` was set: the stop that `fail` started found nothing to stop.
            stop()
            return
        }
        for address in addresses {
            logger.notice("listening on \(address) (udp, tcp) with \(workers.count) worker(s)")
        }
        for (endpoint, address) in endpoints.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            logger.notice("serving /\(endpoint.rawValue) on http://\(address)")
        }
    }

    /// Stops the control loop and every worker, closing all sockets. Idempotent.
    public func stop() {
        guard
            let current = running.withLock({ box in
                defer { box = nil }; return box
            })
        else { return }
        current.kubernetes?.stop()
        current.control.stop()
        current.workers.forEach { $0.stop() }
        stateBox.withLock { state in
            if case .failed = state { return }
            state = .stopped
        }
        logger.notice("stopped")
        stopped.signal()
    }

    /// Blocks until `stop()` is called (by a signal when started with `handlingSignals`).
    public func waitUntilStopped() {
        stopped.wait()
        stopped.signal()
    }

    /// Stops the server from one of its own threads (a worker cannot join itself, so another thread does it).
    private func fail(_ reason: String) {
        stateBox.withLock { $0 = .failed(reason) }
        logger.critical("\(reason)")
        onFatal(reason)
        Thread { [self] in stop() }.start()
    }

    /// The forwarding configuration without upstreams that are this server (each logged), with the loop watch that
    /// probes the rest; an error when none is left, for the default route or for a stub domain.
    private func usableForwarding() throws -> ForwardConfiguration? {
        guard var forwarding = configuration.forwarding else { return nil }
        let listen = configuration.listenAddresses
        let (kept, loops) = forwarding.withoutLoops(listen: listen)
        for upstream in loops {
            logger.warning("skipping upstream \(upstream): it is one of our own listen addresses (a forwarding loop)")
        }
        guard !kept.isEmpty else {
            throw StartError.noUpstream(
                "no usable upstream resolver (every one is this server itself); give one with --upstream ADDR[:PORT]")
        }
        forwarding.upstreams = kept
        for index in forwarding.stubs.indices {
            let stub = forwarding.stubs[index]
            let (keptStub, loopsStub) = ForwardConfiguration.withoutLoops(stub.upstreams, listen: listen)
            for upstream in loopsStub {
                logger.warning(
                    "skipping upstream \(upstream) of stub domain \(stub.domain): it is one of our own listen addresses"
                )
            }
            guard !keptStub.isEmpty else {
                throw StartError.noUpstream(
                    "no usable upstream resolver for stub domain \(stub.domain) (every one is this server itself)")
            }
            forwarding.stubs[index].upstreams = keptStub
        }
        forwarding.loopWatch = LoopWatch(upstreams: forwarding.allUpstreams) { [weak self] upstream, probe in
            // CoreDNS's words, so operators who know its troubleshooting page recognise the failure.
            self?.fail(
                "Loop detected for zone \".\": upstream \(upstream) sends our queries back to us "
                    + "(probe \(probe) HINFO came back \(LoopDetector.threshold + 1) times); "
                    + "point --upstream or --resolv-conf at a resolver that does not forward to this server")
        }
        return forwarding
    }

    private func bindOperationalEndpoints() throws -> [OperationalEndpoint: BoundSocket] {
        var bound: [OperationalEndpoint: BoundSocket] = [:]
        let wanted: [(OperationalEndpoint, SocketAddress?)] = [
            (.health, configuration.healthAddress), (.ready, configuration.readyAddress),
            (.metrics, configuration.metricsAddress),
        ]
        for case let (endpoint, address?) in wanted {
            do {
                bound[endpoint] = try BoundSocket.bindTCP(address)
            } catch {
                bound.values.forEach { $0.close() }
                throw StartError.cannotListen(address, error)
            }
        }
        return bound
    }

    /// Per worker, a UDP and a TCP socket for every listen address; all on the port the first one got.
    private func bindAll() throws -> (sockets: [[BoundSocket]], addresses: [SocketAddress]) {
        var perWorker = [[BoundSocket]](repeating: [], count: max(1, configuration.threads))
        var addresses: [SocketAddress] = []
        func closeAll() { perWorker.joined().forEach { $0.close() } }
        for address in configuration.listenAddresses {
            do {
                let first = try BoundSocket.bindUDPAndTCP(address)
                let resolved = address.withPort(first.udp.localAddress.port)
                perWorker[0] += [first.udp, first.tcp]
                for worker in 1..<perWorker.count {
                    perWorker[worker] += [try BoundSocket.bindUDP(resolved), try BoundSocket.bindTCP(resolved)]
                }
                addresses.append(resolved)
            } catch {
                closeAll()
                throw StartError.cannotListen(address, error)
            }
        }
        return (perWorker, addresses)
    }
}
