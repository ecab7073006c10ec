import DNSAnswer
import DNSEventLoop
import DNSWire
import Foundation
import Logging
import Synchronization

/// One thread with its own event loop, sockets, buffers and `Responder`: it never waits on another worker.
///
/// Other threads talk to it only through `publish(_:)` and `stop()`, which leave a note under a lock and wake the loop;
/// the loop takes the note between batches, so queries themselves see no lock.
final class Worker: Sendable {
    private struct Mailbox {
        var table: AnswerTable?
        var stopRequested = false
    }

    let index: Int
    private let mailbox = Mutex(Mailbox())
    private let wakeup = Mutex<Wakeup?>(nil)
    private let thread = LoopThread()
    private let counters = Mutex(WorkerCounters())

    init(index: Int) {
        self.index = index
    }

    /// Starts the thread, adopts `sockets` on it and returns once it serves (or failed to).
    func start(
        sockets: [BoundSocket], zones: [Name], table: AnswerTable?, tcpIdleTimeout: Duration,
        forwarding: ForwardConfiguration? = nil, queryLog: Logger? = nil, logger: Logger
    ) throws {
        try thread.start(name: "dns-worker-\(index)") { [self] started in
            run(
                sockets: sockets, zones: zones, table: table, tcpIdleTimeout: tcpIdleTimeout, forwarding: forwarding,
                queryLog: queryLog, logger: logger, started: started)
        }
    }

    /// Hands a new table to the worker; it answers from it after its current batch.
    func publish(_ table: AnswerTable) {
        mailbox.withLock { $0.table = table }
        wakeup.withLock { $0?.signal() }
    }

    /// Asks the worker to close its sockets and end its thread, and waits until it has.
    func stop() {
        mailbox.withLock { $0.stopRequested = true }
        wakeup.withLock { $0?.signal() }
        thread.join()
    }

    /// The counters as of the worker's last batch.
    var currentCounters: WorkerCounters {
        counters.withLock { $0 }
    }

    private func run(
        sockets: [BoundSocket], zones: [Name], table: AnswerTable?, tcpIdleTimeout: Duration,
        forwarding: ForwardConfiguration?, queryLog: Logger?, logger: Logger, started: (Error?) -> Void
    ) {
        let base: EventBase
        do {
            base = try EventBase()
        } catch {
            started(error)
            return
        }
        defer { base.close() }
        var forwarder: Forwarder?
        if let forwarding {
            do {
                forwarder = try Forwarder(base: base, configuration: forwarding, logger: logger)
            } catch {
                sockets.forEach { $0.close() }
                started(error)
                return
            }
        }
        let handler = WorkerQueryHandler(
            responder: Responder(zones: zones, table: table), forwarder: forwarder, queryLog: queryLog)
        var udpServices: [UDPService<WorkerQueryHandler>] = []
        var tcpServices: [TCPService<WorkerQueryHandler>] = []
        func stopServices() {
            udpServices.forEach { $0.stop() }
            tcpServices.forEach { $0.stop() }
            forwarder?.stop()
        }
        do {
            for socket in sockets {
                switch socket.transport {
                case .udp:
                    udpServices.append(try UDPService(base: base, socket: socket, handler: handler))
                case .tcp:
                    tcpServices.append(
                        try TCPService(base: base, socket: socket, handler: handler, idleTimeout: tcpIdleTimeout))
                }
            }
            let wake = try base.makeWakeup { [self] in
                let note = mailbox.withLock { box in
                    defer { box.table = nil }
                    return box
                }
                if let table = note.table {
                    handler.responder.table = table
                }
                recordCounters(handler, udpServices, tcpServices)
                if note.stopRequested {
                    stopServices()
                    base.exit()
                }
            }
            wakeup.withLock { $0 = wake }
        } catch {
            stopServices()
            sockets.forEach { $0.close() }
            started(error)
            return
        }
        // Counters reach the rest of the process at most this stale, without a shared write per query.
        let counterRefresh = base.schedule(after: .seconds(1), repeating: true) { [self] in
            recordCounters(handler, udpServices, tcpServices)
        }
        started(nil)
        do {
            try base.dispatch()
        } catch {
            logger.error("worker \(index) event loop failed: \(error)")
        }
        counterRefresh.cancel()
        stopServices()
        recordCounters(handler, udpServices, tcpServices)
        wakeup.withLock { $0 = nil }
    }

    private func recordCounters(
        _ handler: WorkerQueryHandler, _ udp: [UDPService<WorkerQueryHandler>], _ tcp: [TCPService<WorkerQueryHandler>]
    ) {
        var snapshot = WorkerCounters()
        snapshot.responder = handler.responder.counters
        snapshot.histograms = handler.histograms.detached()
        snapshot.requestTypes = handler.requestTypes.detached()
        snapshot.forwardedResponses = handler.forwardedResponses
        snapshot.forwarder = handler.forwarder?.countersWithGauges ?? ForwarderCounters()
        for service in udp {
            snapshot.deferredDropped += service.deferredDropped
            snapshot.udpReceived += service.received
            snapshot.udpDropped += service.dropped
            snapshot.udpTruncatedDatagrams += service.truncatedDatagrams
            snapshot.udpSendErrors += service.sendErrors
        }
        for service in tcp {
            snapshot.deferredDropped += service.deferredDropped
            snapshot.tcpAccepted += service.accepted
            snapshot.tcpRejected += service.rejected
            snapshot.tcpQueries += service.queries
            snapshot.tcpIdleClosed += service.idleClosed
        }
        counters.withLock { $0 = snapshot }
    }
}
