import DNSEventLoop
import DNSForward
import DNSWire
import Logging

/// Forwards one worker's queries for names outside the cluster zones, on the worker's own event base: its own
/// upstream UDP sockets (one per address family, source port from the kernel), pending-query table, upstream pool
/// and response cache. Nothing here is shared with another worker, so nothing is locked.
///
/// A cache hit is answered synchronously from `handle`; a miss is sent upstream and answered later through the
/// query's `ReplyRoute` (or coalesced with an identical query already in flight). A repeating timer retries timed-out
/// attempts on the next upstream, answers SERVFAIL (or a stale entry, RFC 8767) when the budget is spent, and probes
/// upstreams that are down. Use on the base's thread only.
final class Forwarder {
    /// How often the timer looks for expired attempts and due probes: a SERVFAIL comes at most this late after the
    /// budget, and an idle worker wakes 20 times a second, which costs nothing measurable.
    static let tick: Duration = .milliseconds(50)
    /// Receive buffer for upstream datagrams: more than the 1232 bytes we advertise, so an oversized reply is seen
    /// whole and rejected as such rather than cut.
    static let receiveBufferSize = 4096
    /// The most TCP bytes a reply may have (RFC 1035 §4.2.2).
    static let tcpReplyLimit = 65535

    let configuration: ForwardConfiguration
    private(set) var counters = ForwarderCounters()
    private var pending: PendingQueries<ReplyRoute>
    private var pool: UpstreamPool
    private var cache: ResponseCache
    private var sockets: [UDPSocket] = []
    private var socketByFamily: (v4: UDPSocket?, v6: UDPSocket?) = (nil, nil)
    /// Source address of a reply → the upstream it must be, so a datagram from anywhere else is rejected at once.
    private var upstreamBySource: [SocketAddress: UpstreamAddress] = [:]
    private var socketAddressByUpstream: [UpstreamAddress: SocketAddress] = [:]
    /// Health probes in flight: ID → the upstream probed and when the probe counts as failed.
    private var probes: [UInt16: (upstream: Upstream, deadline: ContinuousClock.Instant)] = [:]
    private var timer: Timer?
    /// TCP retries of truncated replies in flight, by the attempt's ID.
    private var exchanges: [UInt16: TCPExchange] = [:]
    private let base: EventBase
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    private let logger: Logger
    private let clock = ContinuousClock()

    init(base: EventBase, configuration: ForwardConfiguration, logger: Logger) throws(IOError) {
        precondition(!configuration.upstreams.isEmpty, "forwarding needs at least one upstream")
        self.configuration = configuration
        self.logger = logger
        self.base = base
        pending = PendingQueries(
            maxConcurrent: configuration.maxConcurrent, attemptTimeout: configuration.attemptTimeout,
            budget: configuration.budget,
            randomID: {
                // RFC 5452 §9.2: an unpredictable ID is half of what stops off-path spoofing (the other half is the
                // kernel's random source port).
                var generator = SystemRandomNumberGenerator()
                return UInt16.random(in: .min ... .max, using: &generator)
            })
        pool = UpstreamPool(configuration.upstreams, policy: configuration.policy)
        cache = ResponseCache(configuration: configuration.cache)
        receiveBuffer = .allocate(byteCount: Forwarder.receiveBufferSize, alignment: 16)
        for upstream in configuration.upstreams {
            let address = ForwardConfiguration.socketAddress(upstream)
            upstreamBySource[address] = upstream
            socketAddressByUpstream[upstream] = address
        }
        // Every stored property has its value now, so the sockets' callbacks may capture `self`.
        do {
            for isIPv6 in [false, true] where configuration.upstreams.contains(where: { $0.host.isV4 != isIPv6 }) {
                let bindAddress = try! SocketAddress(isIPv6 ? "[::]:0" : "0.0.0.0:0")
                let socket = try UDPSocket(base: base, bindTo: bindAddress) { [unowned self] in
                    self.readable(family: isIPv6)
                }
                sockets.append(socket)
                if isIPv6 { socketByFamily.v6 = socket } else { socketByFamily.v4 = socket }
            }
        } catch {
            sockets.forEach { $0.close() }
            throw error
        }
        timer = base.schedule(after: Forwarder.tick, repeating: true) { [unowned self] in
            self.expire()
        }
    }

    deinit {
        stop()
        receiveBuffer.deallocate()
    }

    /// Closes the upstream sockets and stops the timer; queries in flight are never answered. Idempotent.
    func stop() {
        timer?.cancel()
        timer = nil
        exchanges.values.forEach { $0.cancel() }
        exchanges = [:]
        sockets.forEach { $0.close() }
        sockets = []
        socketByFamily = (nil, nil)
    }

    /// Distinct upstream queries in flight.
    var inFlight: Int { pending.count }

    // MARK: - Client queries

    /// A query the responder handed over: answered from the cache into `response` (returning its length), refused
    /// when too many are in flight, or sent upstream (returning `QueryContext.deferred`).
    func handle(
        _ query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int {
        let clientQuery: ClientQuery
        do {
            clientQuery = try ClientQuery(decoding: Array(query))
        } catch {
            // The responder accepted its header and question; what is left (a record it skipped) is malformed.
            counters.malformed += 1
            return 0
        }
        let limit = min(
            context.transport == .udp ? clientQuery.udpLimit : Forwarder.tcpReplyLimit, response.count)
        let now = clock.now
        if let hit = cache.lookup(clientQuery, clientLimit: limit, now: now, into: response) {
            counters.cacheHits += 1
            Forwarder.setRecursionAvailable(response)
            return hit.length
        }
        let plan = pool.plan(now: now)
        switch pending.admit(clientQuery, client: context.route, clientLimit: limit, plan: plan, now: now) {
        case .send(let upstreamQuery, _, let upstream):
            counters.forwarded += 1
            send(upstreamQuery, to: upstream)
            return QueryContext.deferred
        case .coalesced:
            counters.coalesced += 1
            return QueryContext.deferred
        case .rejected:
            counters.refused += 1
            let reply = clientQuery.errorReply(.refused)
            guard reply.count <= response.count else { return 0 }
            response.copyBytes(from: reply)
            return reply.count
        }
    }

    // MARK: - Upstream traffic

    private func send(_ message: [UInt8], to upstream: Upstream) {
        guard let destination = socketAddressByUpstream[upstream.address] else {
            preconditionFailure("every pool upstream has a socket address")
        }
        let socket = upstream.address.host.isV4 ? socketByFamily.v4 : socketByFamily.v6
        guard let socket else { return }
        let sent = message.withUnsafeBytes { bytes in (try? socket.send(bytes, to: destination)) ?? false }
        if !sent {
            // A full send buffer or an unreachable network: the attempt times out and the next upstream is tried.
            counters.sendErrors += 1
        }
    }

    private func readable(family isIPv6: Bool) {
        guard let socket = isIPv6 ? socketByFamily.v6 : socketByFamily.v4 else { return }
        // Bounded per wakeup so a flood of garbage cannot starve the worker's clients.
        for _ in 0..<64 {
            let datagram: UDPSocket.Datagram?
            do {
                datagram = try socket.receive(into: receiveBuffer)
            } catch {
                // ICMP port unreachable and similar arrive as errors on the next receive: the timeout handles them.
                counters.receiveErrors += 1
                continue
            }
            guard let datagram else { return }
            receive(datagram)
        }
    }

    private func receive(_ datagram: UDPSocket.Datagram) {
        guard let source = upstreamBySource[datagram.source] else {
            counters.rejectedReplies += 1
            return
        }
        guard !datagram.isTruncated else {
            counters.rejectedReplies += 1
            return
        }
        let bytes = Array(UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<datagram.count]))
        let now = clock.now
        if bytes.count >= 12, let probe = probes[UInt16(bytes[0]) << 8 | UInt16(bytes[1])],
            probe.upstream.address == source
        {
            probes[UInt16(bytes[0]) << 8 | UInt16(bytes[1])] = nil
            pool.recordSuccess(probe.upstream, now: now)
            logger.info("upstream \(source) answers again")
            return
        }
        handle(pending.receive(bytes, from: source, overTCP: false, now: now), now: now)
    }

    private func handle(_ outcome: PendingQueries<ReplyRoute>.ReplyOutcome, now: ContinuousClock.Instant) {
        switch outcome {
        case .rejected:
            counters.rejectedReplies += 1
        case .answered(let reply, let key, let upstream, let deliveries):
            pool.recordSuccess(upstream, now: now)
            cache.store(reply, for: key, now: now)
            for delivery in deliveries {
                deliver(delivery.reply, to: delivery.client)
            }
        case .retryOverTCP(let attempt):
            counters.truncatedUpstreamReplies += 1
            retryOverTCP(attempt)
        }
    }

    /// RFC 7766 §5: a truncated UDP reply is asked again over TCP, of the same upstream. A failed exchange is left to
    /// the attempt's timeout, which moves on to the next upstream.
    private func retryOverTCP(_ attempt: PendingQueries<ReplyRoute>.Attempt) {
        guard let destination = socketAddressByUpstream[attempt.upstream.address] else { return }
        let id = attempt.id
        let source = attempt.upstream.address
        do {
            exchanges[id]?.cancel()
            exchanges[id] = try TCPExchange(
                base: base, to: destination, message: attempt.upstreamQuery, timeout: configuration.attemptTimeout
            ) { [unowned self] result in
                exchanges[id] = nil
                switch result {
                case .success(let bytes):
                    counters.tcpRetries += 1
                    handle(pending.receive(bytes, from: source, overTCP: true, now: clock.now), now: clock.now)
                case .failure(let failure):
                    counters.tcpFailures += 1
                    logger.debug("TCP retry to \(source) failed: \(failure)")
                }
            }
        } catch {
            counters.tcpFailures += 1
        }
    }

    private func deliver(_ reply: [UInt8], to route: ReplyRoute) {
        var reply = reply
        reply.withUnsafeMutableBytes { Forwarder.setRecursionAvailable($0) }
        if route.send(reply) {
            counters.answered += 1
        } else {
            counters.undeliverable += 1
        }
    }

    /// RA=1 (RFC 1035 §4.1.1): we recurse, through the upstreams, for every name we forward.
    private static func setRecursionAvailable(_ message: UnsafeMutableRawBufferPointer) {
        guard message.count >= 4 else { return }
        message[3] |= 0x80
    }

    // MARK: - Timer

    private func expire() {
        let now = clock.now
        if let deadline = pending.nextDeadline, deadline <= now {
            let expiry = pending.expire(now: now)
            for upstream in expiry.timedOut {
                let wasDown = pool.isDown(upstream)
                pool.recordFailure(upstream, now: now)
                if !wasDown, pool.isDown(upstream) {
                    logger.warning("upstream \(upstream) is not answering; probing it until it does")
                }
            }
            for attempt in expiry.retries {
                counters.retries += 1
                send(attempt.upstreamQuery, to: attempt.upstream)
            }
            for failure in expiry.failures {
                answerFailure(failure, now: now)
            }
        }
        for (id, probe) in probes where probe.deadline <= now {
            probes[id] = nil
            pool.recordFailure(probe.upstream, now: now)
        }
        for upstream in pool.probesDue(now: now) {
            var generator = SystemRandomNumberGenerator()
            var id = UInt16.random(in: .min ... .max, using: &generator)
            while probes[id] != nil { id &+= 1 }
            probes[id] = (upstream, now + configuration.attemptTimeout)
            counters.probes += 1
            send(UpstreamPool.probeQuery(id: id), to: upstream)
        }
    }

    /// The budget ran out: a stale answer if the cache may serve one (RFC 8767), else SERVFAIL.
    private func answerFailure(_ failure: PendingQueries<ReplyRoute>.Failure, now: ContinuousClock.Instant) {
        if configuration.cache.serveStale > .zero,
            let (reply, _) = cache.lookup(
                failure.query, clientLimit: failure.clientLimit, now: now, upstreamsFailed: true)
        {
            counters.staleAnswers += 1
            deliver(reply, to: failure.client)
            return
        }
        counters.servFail += 1
        deliver(failure.servFail, to: failure.client)
    }
}

/// What one worker's forwarder did, copied out with the worker's other counters.
public struct ForwarderCounters: Sendable, Equatable {
    /// Queries answered from the cache.
    public var cacheHits = 0
    /// Queries sent upstream (first attempts).
    public var forwarded = 0
    /// Queries that joined an identical one already in flight.
    public var coalesced = 0
    /// Attempts retried on the next upstream after a timeout.
    public var retries = 0
    /// Upstream answers delivered to clients.
    public var answered = 0
    /// Answers whose client had gone (closed TCP connection, stopped service).
    public var undeliverable = 0
    public var servFail = 0
    public var staleAnswers = 0
    /// Refused because `maxConcurrent` upstream queries were in flight.
    public var refused = 0
    /// Upstream datagrams not accepted: unknown source, wrong ID or question, garbage, oversized.
    public var rejectedReplies = 0
    /// TC=1 replies from upstreams, each retried over TCP.
    public var truncatedUpstreamReplies = 0
    /// TCP retries that brought a reply back, and those that failed (connect, reset, timeout).
    public var tcpRetries = 0
    public var tcpFailures = 0
    public var probes = 0
    public var sendErrors = 0
    public var receiveErrors = 0
    public var malformed = 0

    public init() {}

    public static func + (lhs: ForwarderCounters, rhs: ForwarderCounters) -> ForwarderCounters {
        var sum = lhs
        sum.cacheHits += rhs.cacheHits
        sum.forwarded += rhs.forwarded
        sum.coalesced += rhs.coalesced
        sum.retries += rhs.retries
        sum.answered += rhs.answered
        sum.undeliverable += rhs.undeliverable
        sum.servFail += rhs.servFail
        sum.staleAnswers += rhs.staleAnswers
        sum.refused += rhs.refused
        sum.rejectedReplies += rhs.rejectedReplies
        sum.truncatedUpstreamReplies += rhs.truncatedUpstreamReplies
        sum.tcpRetries += rhs.tcpRetries
        sum.tcpFailures += rhs.tcpFailures
        sum.probes += rhs.probes
        sum.sendErrors += rhs.sendErrors
        sum.receiveErrors += rhs.receiveErrors
        sum.malformed += rhs.malformed
        return sum
    }
}
