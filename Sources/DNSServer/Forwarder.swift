import DNSAnswer
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

    /// The upstreams of the default route (no domain) or of one stub domain, with their health.
    private struct Route {
        var domain: Name?
        var pool: UpstreamPool
    }

    /// An alias answer of ours (an ExternalName's CNAME) being completed with its target's records from upstream.
    struct Chase {
        /// Tells this chase's entry in `openChases` from others'.
        var serial: UInt64
        /// When the client gets what was resolved so far, whatever is still in flight.
        var deadline: ContinuousClock.Instant
        var route: ClientRoute
        /// The client's query, and the largest reply it takes.
        var query: ClientQuery
        var limit: Int
        /// Our answer so far: the CNAME, then whatever the targets brought.
        var answer: Message
        /// How many records `answer` had before chasing: what is left when the answer must be cut.
        var aliasCount: Int
        /// Names already asked, against loops; their count bounds the chain (`ForwardPolicy.chainLimit`).
        var asked: [Name]
    }

    /// Who waits for an upstream reply: a client, or a chase that completes a client's answer with it.
    enum Waiter {
        case client(ClientRoute)
        case chase(Chase)
        /// A prefetch of a popular cache entry before it expires: the answer only refreshes the cache.
        case refresh
    }

    /// A chase step's outcome: the client's reply now, or later through its route.
    private enum Step {
        case reply([UInt8])
        case deferred
    }

    let configuration: ForwardConfiguration
    private(set) var counters = ForwarderCounters()
    /// Told of every answer sent later through a route (not those written at once), for the query log and the
    /// histograms the worker keeps.
    var onAnswered: ((ClientRoute, UnsafeRawBufferPointer) -> Void)?

    /// The counters with the gauges filled in as they stand now.
    var countersWithGauges: ForwarderCounters {
        var current = counters
        current.cacheEntries = cache.count
        return current
    }
    private var pending: PendingQueries<Waiter>
    /// The default route first, then the stub domains, longest first so the first match is the longest. Each has its
    /// own pool, so a dead stub upstream never takes the default ones down with it; an address in several routes
    /// has its outcomes recorded in each.
    private var routes: [Route]
    /// Internal rather than private so that the allocation tests can fill it without an upstream.
    var cache: ResponseCache
    /// Whether a chase whose target is cached is completed in place (`answerChaseFromCache`); turned off only by
    /// tests, to run the decoding path on the same data and compare.
    var completesChasesInPlace = true
    /// Chases `answerChaseFromCache` completed: how tests tell the in-place path from its fallback.
    private(set) var chasesCompletedInPlace = 0
    private var sockets: [UDPSocket] = []
    private var socketByFamily: (v4: UDPSocket?, v6: UDPSocket?) = (nil, nil)
    /// Source address of a reply → the upstream it must be, so a datagram from anywhere else is rejected at once.
    private var upstreamBySource: [SocketAddress: UpstreamAddress] = [:]
    /// RFC 5452 §9.2: each client query's attempt leaves from a socket of its own, so its source port is as random as
    /// the kernel's ephemeral ports; the socket closes once its reply arrived or a grace period after its deadline.
    /// Health and loop probes use the shared sockets above.
    private var attemptSockets: [UInt16: (socket: UDPSocket, closeAfter: ContinuousClock.Instant)] = [:]
    private var socketAddressByUpstream: [UpstreamAddress: SocketAddress] = [:]
    /// Health probes in flight: ID → the route and upstream probed and when the probe counts as failed.
    private var probes: [UInt16: (route: Int, upstream: Upstream, deadline: ContinuousClock.Instant)] = [:]
    /// Loop probes sent (`LoopWatch`): ID → the upstream, whose reply (NXDOMAIN, usually) only says it answers.
    private var loopProbes: [UInt16: UpstreamAddress] = [:]
    /// Chases waiting for an upstream, by serial: answered by the first of their target's reply and their deadline;
    /// whichever comes second finds no entry and does nothing.
    private var openChases: [UInt64: Chase] = [:]
    private var nextChaseSerial: UInt64 = 0
    /// Set on the one forwarder that sends the loop probes: the rounds sent so far and when the next is due.
    private var loopRounds: (sent: Int, next: ContinuousClock.Instant)?
    private var timer: Timer?
    /// TCP retries of truncated replies in flight, by the attempt's ID.
    private var exchanges: [UInt16: TCPExchange] = [:]
    /// Health probes sent over TCP (`--force-tcp`), by probe ID; kept apart from attempts, whose IDs may coincide.
    private var probeExchanges: [UInt16: TCPExchange] = [:]
    /// When each attempt in flight was sent, for the per-upstream duration histogram.
    private var attemptSent: [UInt16: ContinuousClock.Instant] = [:]
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
        pending.forceTCP = configuration.forceTCP
        let stubs = configuration.stubs.sorted { $0.domain.labelCount > $1.domain.labelCount }
        routes =
            [Route(domain: nil, pool: UpstreamPool(configuration.upstreams, policy: configuration.policy))]
            + stubs.map { Route(domain: $0.domain, pool: UpstreamPool($0.upstreams, policy: configuration.policy)) }
        cache = ResponseCache(configuration: configuration.cache)
        receiveBuffer = .allocate(byteCount: Forwarder.receiveBufferSize, alignment: 16)
        let allUpstreams = configuration.allUpstreams
        for upstream in allUpstreams {
            let address = ForwardConfiguration.socketAddress(upstream)
            upstreamBySource[address] = upstream
            socketAddressByUpstream[upstream] = address
        }
        // Every stored property has its value now, so the sockets' callbacks may capture `self`.
        do {
            for isIPv6 in [false, true] where allUpstreams.contains(where: { $0.host.isV4 != isIPv6 }) {
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
        if configuration.loopWatch?.claimProbing() == true {
            // Sent from the first tick, once the worker serves: a probe that comes back must find us listening.
            loopRounds = (0, clock.now)
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
        probeExchanges.values.forEach { $0.cancel() }
        probeExchanges = [:]
        sockets.forEach { $0.close() }
        sockets = []
        socketByFamily = (nil, nil)
        attemptSockets.values.forEach { $0.socket.close() }
        attemptSockets = [:]
    }

    /// Distinct upstream queries in flight.
    var inFlight: Int { pending.count }

    // MARK: - Client queries

    /// A query the responder handed over: answered from the cache into `response` (returning its length), refused
    /// when too many are in flight, or sent upstream (returning `QueryContext.deferred`).
    func handle(
        _ query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int {
        handle(query, into: response, context: context, now: clock.now)
    }

    /// `handle(_:into:context:)` at `now` (tests pass their own).
    func handle(
        _ query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext,
        now: ContinuousClock.Instant
    ) -> Int {
        let cached = answerFromCache(query, into: response, context: context, now: now)
        if case .answered(let length) = cached {
            return length
        }
        let clientQuery: ClientQuery
        do {
            clientQuery = try ClientQuery(decoding: Array(query))
        } catch {
            // The responder accepted its header and question; what is left (a record it skipped) is malformed.
            counters.malformed += 1
            return 0
        }
        if let watch = configuration.loopWatch, let index = watch.probeIndex(clientQuery.question) {
            passOnLoopProbe(clientQuery, upstream: index, watch: watch)
            return 0
        }
        let limit = min(
            context.transport == .udp ? clientQuery.udpLimit : Forwarder.tcpReplyLimit, response.count)
        if case .chase(let reply, let target) = Responder.handOver(in: UnsafeRawBufferPointer(response)) {
            guard let answer = try? Message(decoding: reply) else { return 0 }
            counters.chased += 1
            nextChaseSerial += 1
            let chase = Chase(
                serial: nextChaseSerial, deadline: now + configuration.chaseBudget,
                route: ClientRoute(context: context, query: query, started: now),
                query: clientQuery, limit: limit, answer: answer,
                aliasCount: answer.answers.count, asked: [clientQuery.question.name])
            switch resolve(chase, target: target, now: now) {
            case .deferred:
                return QueryContext.deferred
            case .reply(var bytes):
                guard bytes.count <= response.count else { return 0 }
                bytes.withUnsafeMutableBytes { Forwarder.setRecursionAvailable($0) }
                response.copyBytes(from: bytes)
                return bytes.count
            }
        }
        // A query `answerFromCache` looked up has missed already: a second lookup would count a second miss.
        if case .notTried = cached, let hit = cache.lookup(clientQuery, clientLimit: limit, now: now, into: response) {
            answeredFromCache(response)
            if hit.shouldPrefetch {
                prefetch(clientQuery, now: now)
            }
            return hit.length
        }
        let route = routeIndex(for: clientQuery.question.name)
        let plan = plan(route: route, now: now)
        switch pending.admit(
            clientQuery, client: .client(ClientRoute(context: context, query: query, started: now)), clientLimit: limit,
            plan: plan, now: now)
        {
        case .send(let upstreamQuery, let id, let upstream, let overTCP):
            counters.forwarded += 1
            send(upstreamQuery, id: id, to: upstream, overTCP: overTCP)
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

    /// What `answerFromCache` did.
    private enum CacheAttempt {
        /// A hit, written into the response.
        case answered(Int)
        /// Looked up and not found (or not servable): the slow path must not look up again.
        case missed
        /// Not of the shape the fast path reads, or possibly a loop probe or a chase: the slow path does it all.
        case notTried
    }

    /// The cache-hit path, which allocates nothing (STYLE habit 6; `ForwarderAllocationTests`): the query is read in
    /// place (`WireQuery`) and looked up by its wire name. `handle`'s order of checks stands: a loop probe is HINFO
    /// IN (`LoopDetector.probeType`), so a query of any other type is none, and an HINFO query goes the slow way when
    /// loop detection is on; a chase note in `response` goes to `answerChaseFromCache`.
    private func answerFromCache(
        _ query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext,
        now: ContinuousClock.Instant
    ) -> CacheAttempt {
        guard let wire = WireQuery(query) else { return .notTried }
        if configuration.loopWatch != nil, wire.type == LoopDetector.probeType.rawValue { return .notTried }
        let limit = min(context.transport == .udp ? wire.udpLimit : Forwarder.tcpReplyLimit, response.count)
        if let note = Responder.ChaseNote(UnsafeRawBufferPointer(response)) {
            return answerChaseFromCache(query, wire, note: note, into: response, limit: limit, now: now)
        }
        guard case .forward = Responder.handOver(in: UnsafeRawBufferPointer(response)) else { return .notTried }
        guard let hit = cache.lookup(wire, in: query, clientLimit: limit, now: now, into: response) else {
            return .missed
        }
        answeredFromCache(response)
        if hit.shouldPrefetch, let clientQuery = try? ClientQuery(decoding: Array(query)) {
            // Once per entry and TTL: allocating here is fine.
            prefetch(clientQuery, now: now)
        }
        return .answered(hit.length)
    }

    /// The chase of an alias whose target's reply is cached and ends the chain, completed in place (`AliasReply`):
    /// the bytes the decoding path (`resolve`, `complete`, `encode`) sends, the counters it counts, the prefetch it
    /// starts, without allocating. Anything else (a miss, an expired entry, a reply `AliasReply` declines) is
    /// `.notTried`: nothing was counted or changed, and the decoding path does it all.
    private func answerChaseFromCache(
        _ query: UnsafeRawBufferPointer, _ wire: WireQuery, note: Responder.ChaseNote,
        into response: UnsafeMutableRawBufferPointer, limit: Int, now: ContinuousClock.Instant
    ) -> CacheAttempt {
        guard completesChasesInPlace, let alias = AliasReply(note.reply, target: note.target) else { return .notTried }
        // The key of the decoding path's `targetQuery`: the target, the client's type, class IN, its DO and CD.
        let hit = cache.lookup(
            name: note.target, type: wire.type, recordClass: RecordClass.internet.rawValue,
            dnssecOK: wire.hasEDNS && wire.dnssecOK, checkingDisabled: wire.checkingDisabled, now: now
        ) { cached, ttls in
            alias.write(completingWith: cached, ttls: ttls, limit: limit, into: response)
        }
        guard let hit else { return .notTried }
        counters.chased += 1
        counters.cacheHits += 1
        chasesCompletedInPlace += 1
        Forwarder.setRecursionAvailable(response)
        if hit.shouldPrefetch {
            // Once per entry and TTL: allocating here is fine. The note is overwritten; the target is our last
            // CNAME's, in the reply just written.
            var reader = WireReader(
                UnsafeRawBufferPointer(rebasing: response[0..<hit.length]), offset: alias.targetOffset)
            if let clientQuery = try? ClientQuery(decoding: Array(query)), let target = try? reader.readName() {
                prefetch(Forwarder.targetQuery(for: clientQuery, target: target), now: now)
            }
        }
        return .answered(hit.length)
    }

    /// Counts a reply the cache wrote into `response`, and sets RA on it.
    private func answeredFromCache(_ response: UnsafeMutableRawBufferPointer) {
        counters.cacheHits += 1
        // CoreDNS's `type` label: a denial is NXDOMAIN, or NOERROR with no answer record.
        let rcode = response[3] & 0x0F
        let answers = Int(response[6]) << 8 | Int(response[7])
        if rcode == 3 || (rcode == 0 && answers == 0) { counters.cacheDenialHits += 1 }
        Forwarder.setRecursionAvailable(response)
    }

    /// The try order for one query on `route`, counting the queries that found every upstream down (CoreDNS's
    /// `healthcheck_broken`: one is still tried).
    private func plan(route: Int, now: ContinuousClock.Instant) -> [Upstream] {
        let pool = routes[route].pool
        if pool.upstreams.allSatisfy({ pool.isDown($0) }) {
            counters.healthcheckBroken += 1
        }
        return routes[route].pool.plan(now: now)
    }

    /// The route of `name`: the longest stub domain holding it, else the default (0).
    private func routeIndex(for name: Name) -> Int {
        for index in routes.indices.dropFirst() where name.isSubdomain(of: routes[index].domain!) {
            return index
        }
        return 0
    }

    // MARK: - Chasing aliases

    /// The query a chase asks for `target`: the type the client asked, class IN, the client's CD bit and EDNS (so
    /// its DO bit), as `answerChaseFromCache` looks it up too.
    private static func targetQuery(for client: ClientQuery, target: Name) -> ClientQuery {
        ClientQuery(
            id: client.id, question: Question(name: target, type: client.question.type, recordClass: .internet),
            checkingDisabled: client.checkingDisabled, edns: client.edns)
    }

    /// Asks for `target` (the type the client asked), from the cache or upstream, on behalf of `chase`.
    private func resolve(_ chase: Chase, target: Name, now: ContinuousClock.Instant) -> Step {
        var chase = chase
        chase.asked.append(target)
        let query = Forwarder.targetQuery(for: chase.query, target: target)
        if let (reply, hit) = cache.lookup(query, clientLimit: Forwarder.tcpReplyLimit, now: now) {
            counters.cacheHits += 1
            if hit.shouldPrefetch {
                prefetch(query, now: now)
            }
            return complete(chase, with: reply, now: now)
        }
        let route = routeIndex(for: target)
        let plan = plan(route: route, now: now)
        switch pending.admit(query, client: .chase(chase), clientLimit: Forwarder.tcpReplyLimit, plan: plan, now: now) {
        case .send(let upstreamQuery, let id, let upstream, let overTCP):
            counters.forwarded += 1
            send(upstreamQuery, id: id, to: upstream, overTCP: overTCP)
            openChases[chase.serial] = chase
            return .deferred
        case .coalesced:
            counters.coalesced += 1
            openChases[chase.serial] = chase
            return .deferred
        case .rejected:
            counters.refused += 1
            return .reply(Forwarder.encode(chase))
        }
    }

    /// Adds the target's reply to the chase's answer; follows a CNAME the upstream left unresolved, at most
    /// `ForwardPolicy.chainLimit` names and never one already asked (a loop is answered with what it has). A target
    /// that failed (SERVFAIL, REFUSED, garbage) leaves the alias alone, NOERROR, as CoreDNS answers.
    private func complete(_ chase: Chase, with reply: [UInt8], now: ContinuousClock.Instant) -> Step {
        guard let targetReply = try? Message(decoding: reply),
            targetReply.responseCode == .noError || targetReply.responseCode == .nxDomain
        else { return .reply(Forwarder.encode(chase)) }
        var chase = chase
        chase.answer.answers += targetReply.answers
        // RFC 6604 §3: the RCODE is the last name's; a negative answer keeps the target's SOA (RFC 2308 §3).
        chase.answer.responseCode = targetReply.responseCode
        if targetReply.answers.isEmpty { chase.answer.authorities = targetReply.authorities }
        // AA stays set: RFC 1035 §4.1.1 ties it to the question's name (the first owner of a CNAME chain), which is
        // ours; CoreDNS's kubernetes plugin answers chased aliases authoritatively too.
        let type = chase.query.question.type
        if let last = targetReply.answers.last, case .cname(let next) = last.data,
            !targetReply.answers.contains(where: { $0.name == next && $0.type == type }),
            chase.asked.count <= ForwardPolicy.chainLimit, !chase.asked.contains(next)
        {
            return resolve(chase, target: next, now: now)
        }
        return .reply(Forwarder.encode(chase))
    }

    /// The chase's answer as the client gets it: within its size, else cut to our alias with TC=1 (RFC 2181 §9).
    private static func encode(_ chase: Chase) -> [UInt8] {
        let bytes = chase.answer.encoded()
        guard bytes.count > chase.limit else { return bytes }
        var cut = chase.answer
        cut.answers = Array(cut.answers.prefix(chase.aliasCount))
        cut.authorities = []
        cut.additionals = []
        cut.header.isTruncated = true
        return cut.encoded()
    }

    // MARK: - Loop detection

    /// Our own probe came back as a client query: count it, and send it once more through the upstream it belongs
    /// to, so a loop keeps circling until it is counted (coalescing or the cache would stop it after one turn). The
    /// asker (the looping upstream) gets no answer.
    private func passOnLoopProbe(_ query: ClientQuery, upstream index: Int, watch: LoopWatch) {
        counters.loopProbesSeen += 1
        watch.observe(query, upstream: index)
        sendLoopProbe(upstream: index, watch: watch)
    }

    private func sendLoopProbe(upstream index: Int, watch: LoopWatch) {
        let address = watch.upstreams[index]
        guard let route = routes.firstIndex(where: { $0.pool.upstreams.contains { $0.address == address } }),
            let upstream = routes[route].pool.upstreams.first(where: { $0.address == address })
        else { return }
        var generator = SystemRandomNumberGenerator()
        var id = UInt16.random(in: .min ... .max, using: &generator)
        while loopProbes[id] != nil || probes[id] != nil { id &+= 1 }
        loopProbes[id] = address
        send(watch.probeQuery(upstream: index, id: id), to: upstream)
    }

    /// One round of loop probes to the upstreams that have not answered one, at most `LoopWatch.probeRounds`.
    private func sendLoopProbesIfDue(now: ContinuousClock.Instant) {
        guard let watch = configuration.loopWatch, let rounds = loopRounds, rounds.next <= now else { return }
        guard rounds.sent < LoopWatch.probeRounds else {
            loopRounds = nil
            return
        }
        loopRounds = (rounds.sent + 1, now + LoopWatch.probeInterval)
        for index in watch.unanswered {
            sendLoopProbe(upstream: index, watch: watch)
        }
    }

    // MARK: - Upstream traffic

    /// Sends an attempt the way `PendingQueries` made it: over UDP, or over TCP with `--force-tcp`.
    private func send(_ message: [UInt8], id: UInt16, to upstream: Upstream, overTCP: Bool) {
        counters.perUpstream[upstream.address.description, default: UpstreamCounters()].requests += 1
        attemptSent[id] = clock.now
        if overTCP {
            exchange(PendingQueries<Waiter>.Attempt(id: id, upstream: upstream, upstreamQuery: message, overTCP: true))
        } else if let socket = attemptSocket(id: id, family: upstream.address.host.isV4 ? .v4 : .v6) {
            send(message, to: upstream, through: socket)
        } else {
            send(message, to: upstream)
        }
    }

    private enum Family { case v4, v6 }

    /// A fresh socket for attempt `id`, or `nil` when the process is out of descriptors (the shared socket then
    /// carries the attempt: slower to spoof-proof, never a failed query).
    private func attemptSocket(id: UInt16, family: Family) -> UDPSocket? {
        attemptSockets.removeValue(forKey: id)?.socket.close()
        let bindAddress = try! SocketAddress(family == .v6 ? "[::]:0" : "0.0.0.0:0")
        var created: UDPSocket?
        do {
            created = try UDPSocket(base: base, bindTo: bindAddress) { [unowned self] in
                self.readable(attempt: id)
            }
        } catch {
            return nil
        }
        guard let socket = created else { return nil }
        // Late replies still find the socket for one more attempt timeout; after that they would be rejected anyway.
        attemptSockets[id] = (socket, clock.now + configuration.attemptTimeout * 2)
        return socket
    }

    private func readable(attempt id: UInt16) {
        guard let socket = attemptSockets[id]?.socket else { return }
        for _ in 0..<8 {
            let datagram: UDPSocket.Datagram?
            do {
                datagram = try socket.receive(into: receiveBuffer)
            } catch {
                counters.receiveErrors += 1
                continue
            }
            guard let datagram else { return }
            if receive(datagram) {
                // Answered (or moved to TCP): this attempt's socket has done its job.
                attemptSockets.removeValue(forKey: id)?.socket.close()
                return
            }
        }
    }

    private func closeExpiredAttemptSockets(now: ContinuousClock.Instant) {
        for (id, entry) in attemptSockets where entry.closeAfter <= now {
            entry.socket.close()
            attemptSockets[id] = nil
        }
    }

    /// Refreshes a popular entry shortly before it expires, so its clients keep hitting the cache; coalesced with any
    /// client query for the same name, never refused on their account.
    private func prefetch(_ query: ClientQuery, now: ContinuousClock.Instant) {
        let plan = routes[routeIndex(for: query.question.name)].pool.plan(now: now)
        if case .send(let upstreamQuery, let id, let upstream, let overTCP) = pending.admit(
            query, client: .refresh, clientLimit: Int(ForwardPolicy.upstreamUDPPayload), plan: plan, now: now)
        {
            send(upstreamQuery, id: id, to: upstream, overTCP: overTCP)
        }
    }

    /// A health probe goes the way queries go: over TCP with `--force-tcp` (an upstream reachable only over TCP must
    /// be able to come back up), else over the shared UDP socket.
    private func sendProbe(_ message: [UInt8], id: UInt16, to upstream: Upstream) {
        guard configuration.forceTCP, let destination = socketAddressByUpstream[upstream.address] else {
            send(message, to: upstream)
            return
        }
        probeExchanges.removeValue(forKey: id)?.cancel()
        probeExchanges[id] = try? TCPExchange(
            base: base, to: destination, message: message, timeout: configuration.attemptTimeout
        ) { [unowned self] result in
            probeExchanges[id] = nil
            // A failed probe is left to its deadline, which records the failure.
            guard case .success(let bytes) = result, bytes.count >= 12, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id,
                let probe = probes.removeValue(forKey: id)
            else { return }
            recordSuccess(probe.upstream.address, now: clock.now)
            logger.info("upstream \(probe.upstream.address) answers again")
        }
    }

    private func send(_ message: [UInt8], to upstream: Upstream) {
        let socket = upstream.address.host.isV4 ? socketByFamily.v4 : socketByFamily.v6
        guard let socket else { return }
        send(message, to: upstream, through: socket)
    }

    private func send(_ message: [UInt8], to upstream: Upstream, through socket: UDPSocket) {
        guard let destination = socketAddressByUpstream[upstream.address] else {
            preconditionFailure("every pool upstream has a socket address")
        }
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

    /// True when the datagram was a reply accepted for an attempt (answered, or moved to TCP).
    @discardableResult
    private func receive(_ datagram: UDPSocket.Datagram) -> Bool {
        guard let source = upstreamBySource[datagram.source] else {
            counters.rejectedReplies += 1
            return false
        }
        guard !datagram.isTruncated else {
            counters.rejectedReplies += 1
            return false
        }
        let bytes = Array(UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<datagram.count]))
        let now = clock.now
        let id = bytes.count >= 12 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : 0
        if bytes.count >= 12, let probe = probes[id], probe.upstream.address == source {
            probes[id] = nil
            recordSuccess(source, now: now)
            logger.info("upstream \(source) answers again")
            return false
        }
        if bytes.count >= 12, loopProbes[id] == source {
            loopProbes[id] = nil
            configuration.loopWatch?.markAnswered(source)
            recordSuccess(source, now: now)
            return false
        }
        let outcome = pending.receive(bytes, from: source, overTCP: false, now: now)
        handle(outcome, id: id, now: now)
        if case .rejected = outcome { return false }
        return true
    }

    private func handle(_ outcome: PendingQueries<Waiter>.ReplyOutcome, id: UInt16, now: ContinuousClock.Instant) {
        switch outcome {
        case .rejected:
            counters.rejectedReplies += 1
        case .answered(let reply, let key, let upstream, let deliveries):
            let sent = attemptSent.removeValue(forKey: id)
            counters.perUpstream[upstream.address.description, default: UpstreamCounters()].record(
                rcode: reply.responseCode.description, seconds: sent.map { UpstreamCounters.seconds(now - $0) })
            recordSuccess(upstream.address, now: now)
            cache.store(reply, for: key, now: now)
            for delivery in deliveries {
                deliver(delivery.reply, to: delivery.client, now: now)
            }
        case .retryOverTCP(let attempt):
            counters.truncatedUpstreamReplies += 1
            retryOverTCP(attempt)
        }
    }

    /// RFC 7766 §5: a truncated UDP reply is asked again over TCP, of the same upstream. A failed exchange is left to
    /// the attempt's timeout, which moves on to the next upstream.
    private func retryOverTCP(_ attempt: PendingQueries<Waiter>.Attempt) {
        exchange(attempt)
    }

    /// One query over TCP to the attempt's upstream; its reply goes through the same validation as a datagram.
    private func exchange(_ attempt: PendingQueries<Waiter>.Attempt) {
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
                    handle(
                        pending.receive(bytes, from: source, overTCP: true, now: clock.now), id: id, now: clock.now)
                case .failure(let failure):
                    counters.tcpFailures += 1
                    logger.debug("TCP retry to \(source) failed: \(failure)")
                }
            }
        } catch {
            counters.tcpFailures += 1
        }
    }

    /// An upstream reply for `waiter`: to the client as it is, or into the chase it completes.
    private func deliver(_ reply: [UInt8], to waiter: Waiter, now: ContinuousClock.Instant) {
        switch waiter {
        case .client(let route):
            deliver(reply, to: route)
        case .refresh:
            counters.prefetches += 1
        case .chase(let chase):
            // Already answered when its deadline passed.
            guard openChases.removeValue(forKey: chase.serial) != nil else { return }
            if case .reply(let bytes) = complete(chase, with: reply, now: now) {
                deliver(bytes, to: chase.route)
            }
        }
    }

    private func deliver(_ reply: [UInt8], to client: ClientRoute) {
        var reply = reply
        reply.withUnsafeMutableBytes { Forwarder.setRecursionAvailable($0) }
        if client.route.send(reply) {
            counters.answered += 1
            reply.withUnsafeBytes { onAnswered?(client, $0) }
        } else {
            counters.undeliverable += 1
        }
    }

    /// A reply from `address` passed validation: it is up, in every route that has it.
    private func recordSuccess(_ address: UpstreamAddress, now: ContinuousClock.Instant) {
        for route in routes.indices {
            for upstream in routes[route].pool.upstreams where upstream.address == address {
                routes[route].pool.recordSuccess(upstream, now: now)
            }
        }
    }

    /// An attempt to `address` timed out: a failure in every route that has it.
    private func recordFailure(_ address: UpstreamAddress, now: ContinuousClock.Instant) {
        for route in routes.indices {
            for upstream in routes[route].pool.upstreams where upstream.address == address {
                let wasDown = routes[route].pool.isDown(upstream)
                routes[route].pool.recordFailure(upstream, now: now)
                if !wasDown, routes[route].pool.isDown(upstream) {
                    logger.warning("upstream \(upstream) is not answering; probing it until it does")
                }
            }
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
        closeExpiredAttemptSockets(now: now)
        // Attempts that never got a reply: forget their send time once no reply could still be accepted.
        attemptSent = attemptSent.filter { now - $0.value < configuration.budget * 2 }
        if let deadline = pending.nextDeadline, deadline <= now {
            let expiry = pending.expire(now: now)
            for upstream in expiry.timedOut {
                recordFailure(upstream.address, now: now)
            }
            for attempt in expiry.retries {
                counters.retries += 1
                send(attempt.upstreamQuery, id: attempt.id, to: attempt.upstream, overTCP: attempt.overTCP)
            }
            for failure in expiry.failures {
                answerFailure(failure, now: now)
            }
        }
        for (id, probe) in probes where probe.deadline <= now {
            probes[id] = nil
            routes[probe.route].pool.recordFailure(probe.upstream, now: now)
        }
        for route in routes.indices {
            for upstream in routes[route].pool.probesDue(now: now) {
                var generator = SystemRandomNumberGenerator()
                var id = UInt16.random(in: .min ... .max, using: &generator)
                while probes[id] != nil || loopProbes[id] != nil { id &+= 1 }
                probes[id] = (route, upstream, now + configuration.attemptTimeout)
                counters.probes += 1
                sendProbe(UpstreamPool.probeQuery(id: id), id: id, to: upstream)
            }
        }
        sendLoopProbesIfDue(now: now)
        for (serial, chase) in openChases where chase.deadline <= now {
            // What was resolved so far (the alias at least); the upstream query goes on and fills the cache.
            openChases[serial] = nil
            counters.chaseTimeouts += 1
            deliver(Forwarder.encode(chase), to: chase.route)
        }
    }

    /// The budget ran out: a stale answer if the cache may serve one (RFC 8767), else SERVFAIL.
    private func answerFailure(_ failure: PendingQueries<Waiter>.Failure, now: ContinuousClock.Instant) {
        if configuration.cache.serveStale > .zero,
            let (reply, _) = cache.lookup(
                failure.query, clientLimit: failure.clientLimit, now: now, upstreamsFailed: true)
        {
            counters.staleAnswers += 1
            deliver(reply, to: failure.client, now: now)
            return
        }
        switch failure.client {
        case .refresh:
            // Nobody waits on a prefetch: the entry simply expires as it would have.
            break
        case .client(let route):
            counters.servFail += 1
            deliver(failure.servFail, to: route)
        case .chase(let chase):
            // The target did not resolve in time: the alias alone, NOERROR, as CoreDNS answers.
            guard openChases.removeValue(forKey: chase.serial) != nil else { return }
            deliver(Forwarder.encode(chase), to: chase.route)
        }
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
    /// Our own loop probes that came back to us as client queries (`LoopWatch`): nonzero means a forwarding loop.
    public var loopProbesSeen = 0
    public var sendErrors = 0
    public var receiveErrors = 0
    public var malformed = 0
    /// Popular entries refreshed before they expired.
    public var prefetches = 0
    /// Queries that found every upstream of their route down.
    public var healthcheckBroken = 0
    /// Of `cacheHits`, those answered with a denial (NXDOMAIN or NODATA).
    public var cacheDenialHits = 0
    /// By upstream (`ADDR:PORT`), for CoreDNS's `to` label.
    public var perUpstream: [String: UpstreamCounters] = [:]
    /// Entries in the cache when the counters were taken (a gauge; summed over workers).
    public var cacheEntries = 0
    /// Alias answers (ExternalName CNAMEs) completed with their target's records from the cache or upstream.
    public var chased = 0
    /// Chases answered with what they had when `ForwardConfiguration.chaseBudget` ran out.
    public var chaseTimeouts = 0

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
        sum.prefetches += rhs.prefetches
        sum.healthcheckBroken += rhs.healthcheckBroken
        sum.cacheDenialHits += rhs.cacheDenialHits
        sum.perUpstream.merge(rhs.perUpstream) { $0 + $1 }
        sum.cacheEntries += rhs.cacheEntries
        sum.refused += rhs.refused
        sum.rejectedReplies += rhs.rejectedReplies
        sum.truncatedUpstreamReplies += rhs.truncatedUpstreamReplies
        sum.tcpRetries += rhs.tcpRetries
        sum.tcpFailures += rhs.tcpFailures
        sum.probes += rhs.probes
        sum.loopProbesSeen += rhs.loopProbesSeen
        sum.sendErrors += rhs.sendErrors
        sum.receiveErrors += rhs.receiveErrors
        sum.malformed += rhs.malformed
        sum.chased += rhs.chased
        sum.chaseTimeouts += rhs.chaseTimeouts
        return sum
    }
}
