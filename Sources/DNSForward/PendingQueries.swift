import DNSWire

/// The forwarded queries in flight, keyed by `QueryKey` so that identical client queries share one upstream query.
///
/// Sans-IO: `admit` takes a client query and says what to send, `receive` takes the bytes an upstream sent and says
/// who gets which reply, `expire` takes the time and says what to retry and who gets SERVFAIL. `Client` is whatever
/// the caller needs to send a reply back (an address and transport); it is only stored and returned.
///
/// Every attempt gets a fresh random ID from the injected generator, unique among those in flight and never the
/// client's, and a reply is accepted only when its source, ID and question match the attempt (RFC 5452 §9.1). The
/// upstream query asks for the name in lower case, with RD set, EDNS advertising `ForwardPolicy.upstreamUDPPayload`,
/// and the key's DO and CD bits.
public struct PendingQueries<Client> {
    public enum Admission {
        /// Send `upstreamQuery` (whose ID is `id`) to `upstream`.
        case send(upstreamQuery: [UInt8], id: UInt16, upstream: Upstream, overTCP: Bool)
        /// The same question is already in flight: the client waits for its reply.
        case coalesced
        /// Over `maxConcurrent` (or no upstream): answer REFUSED.
        case rejected
    }

    /// A client waiting for an upstream reply.
    public struct Waiter {
        public var client: Client
        public var query: ClientQuery
        /// The most bytes its reply may have (`query.udpLimit` over UDP, 65535 over TCP).
        public var clientLimit: Int
    }

    /// An upstream query to send (a retry after a timeout, or the same query over TCP after TC=1).
    public struct Attempt: Sendable, Equatable {
        public var id: UInt16
        public var upstream: Upstream
        public var upstreamQuery: [UInt8]
        public var overTCP: Bool

        public init(id: UInt16, upstream: Upstream, upstreamQuery: [UInt8], overTCP: Bool) {
            self.id = id
            self.upstream = upstream
            self.upstreamQuery = upstreamQuery
            self.overTCP = overTCP
        }
    }

    /// A finished reply for one client.
    public struct Delivery {
        public var client: Client
        public var reply: [UInt8]
    }

    public enum ReplyOutcome {
        /// Accepted: `reply` (decoded, for the cache) came from `upstream`; every waiting client gets its delivery.
        case answered(reply: Message, key: QueryKey, upstream: Upstream, deliveries: [Delivery])
        /// TC=1 over UDP: send `Attempt` over TCP to the same upstream (RFC 7766 §5); the clients keep waiting.
        case retryOverTCP(Attempt)
        case rejected(ReplyRejection)
    }

    /// A client whose query ran out of budget: answer `servFail`, or a stale cache entry (RFC 8767) if there is one.
    public struct Failure {
        public var client: Client
        public var query: ClientQuery
        public var clientLimit: Int
        public var servFail: [UInt8]
    }

    public struct Expiry {
        /// Attempts that timed out: `recordFailure` each upstream.
        public var timedOut: [Upstream] = []
        /// New attempts to send, on the next upstream of each plan.
        public var retries: [Attempt] = []
        /// Clients whose budget is spent.
        public var failures: [Failure] = []
    }

    private struct Entry {
        var key: QueryKey
        var waiters: [Waiter]
        var plan: [Upstream]
        var planIndex: Int
        var started: ContinuousClock.Instant
        var attempt: Attempt
        var deadline: ContinuousClock.Instant
    }

    public let maxConcurrent: Int
    /// `--force-tcp`: every attempt goes over TCP from the start, and only TCP replies are accepted.
    public var forceTCP = false
    public let attemptTimeout: Duration
    public let budget: Duration
    private var entries: [QueryKey: Entry] = [:]
    private var keysByID: [UInt16: QueryKey] = [:]
    private let randomID: () -> UInt16

    public private(set) var rejections = RejectionCounts()
    /// Client queries refused because `maxConcurrent` upstream queries were in flight.
    public private(set) var refusedOverLimit = 0
    public private(set) var coalescedCount = 0
    public private(set) var timeouts = 0

    public init(
        maxConcurrent: Int = ForwardPolicy.maxConcurrent, attemptTimeout: Duration = ForwardPolicy.attemptTimeout,
        budget: Duration = ForwardPolicy.totalBudget,
        randomID: @escaping () -> UInt16 = { UInt16.random(in: .min ... .max) }
    ) {
        self.maxConcurrent = maxConcurrent
        self.attemptTimeout = attemptTimeout
        self.budget = budget
        self.randomID = randomID
    }

    /// Distinct upstream queries in flight.
    public var count: Int { entries.count }

    /// A client query that missed the cache. `plan` is the pool's try order for it (`UpstreamPool.plan`).
    public mutating func admit(
        _ query: ClientQuery, client: Client, clientLimit: Int, plan: [Upstream], now: ContinuousClock.Instant
    ) -> Admission {
        let key = query.key
        let waiter = Waiter(client: client, query: query, clientLimit: clientLimit)
        if entries[key] != nil {
            entries[key]!.waiters.append(waiter)
            coalescedCount += 1
            return .coalesced
        }
        guard entries.count < maxConcurrent, let upstream = plan.first, let id = freshID(avoiding: query.id) else {
            refusedOverLimit += 1
            return .rejected
        }
        let attempt = Attempt(
            id: id, upstream: upstream, upstreamQuery: PendingQueries.upstreamQuery(for: key, id: id),
            overTCP: forceTCP)
        entries[key] = Entry(
            key: key, waiters: [waiter], plan: plan, planIndex: 0, started: now, attempt: attempt,
            deadline: min(now + attemptTimeout, now + budget))
        keysByID[id] = key
        return .send(upstreamQuery: attempt.upstreamQuery, id: id, upstream: upstream, overTCP: attempt.overTCP)
    }

    /// An ID no attempt in flight uses and unlike the client's; `nil` only if the generator keeps repeating itself.
    private func freshID(avoiding clientID: UInt16) -> UInt16? {
        // With at most `maxConcurrent` (1000) of 65536 IDs taken, a uniform draw fails 64 times in a row with
        // probability below 1e-76: the bound only guards against a broken generator.
        for _ in 0..<64 {
            let id = randomID()
            if id != clientID, keysByID[id] == nil { return id }
        }
        return nil
    }

    static func upstreamQuery(for key: QueryKey, id: UInt16) -> [UInt8] {
        var header = Header(id: id, recursionDesired: true)
        header.checkingDisabled = key.checkingDisabled
        let message = Message(
            header: header, questions: [Question(name: key.name, type: key.type, recordClass: key.recordClass)],
            edns: EDNS(udpPayloadSize: ForwardPolicy.upstreamUDPPayload, dnssecOK: key.dnssecOK))
        return message.encoded()
    }

    /// Bytes that arrived from `source` (over TCP when `overTCP`). Never traps on any input.
    public mutating func receive(
        _ bytes: [UInt8], from source: UpstreamAddress, overTCP: Bool = false, now: ContinuousClock.Instant
    ) -> ReplyOutcome {
        switch check(bytes, from: source, overTCP: overTCP) {
        case .failure(let reason):
            rejections.record(reason)
            return .rejected(reason)
        case .success(let (key, reply)):
            var entry = entries[key]!
            if reply.header.isTruncated, !entry.attempt.overTCP {
                entry.attempt.overTCP = true
                entry.deadline = min(now + attemptTimeout, entry.started + budget)
                entries[key] = entry
                return .retryOverTCP(entry.attempt)
            }
            entries[key] = nil
            keysByID[entry.attempt.id] = nil
            let compiled = CompiledReply(reply)
            let deliveries = entry.waiters.map { waiter in
                Delivery(client: waiter.client, reply: compiled.rendered(for: waiter.query, limit: waiter.clientLimit))
            }
            return .answered(reply: reply, key: key, upstream: entry.attempt.upstream, deliveries: deliveries)
        }
    }

    private func check(
        _ bytes: [UInt8], from source: UpstreamAddress, overTCP: Bool
    ) -> Result<(QueryKey, Message), ReplyRejection> {
        guard bytes.count >= Header.byteCount else { return .failure(.tooShort) }
        guard bytes.count <= (overTCP ? Int(UInt16.max) : Int(ForwardPolicy.upstreamUDPPayload)) else {
            return .failure(.oversized)
        }
        guard bytes[2] & 0x80 != 0 else { return .failure(.notAResponse) }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard let key = keysByID[id], let entry = entries[key] else { return .failure(.unknownID) }
        guard entry.attempt.upstream.address == source, entry.attempt.overTCP == overTCP else {
            return .failure(.wrongSource)
        }
        let reply: Message
        do {
            reply = try Message(decoding: bytes)
        } catch {
            return .failure(ReplyRejection(error))
        }
        guard reply.header.opCode == .query else { return .failure(.malformed) }
        guard reply.questions.count == 1, key.matches(reply.questions[0]) else { return .failure(.wrongQuestion) }
        return .success((key, reply))
    }

    /// The earliest attempt deadline, for the caller's timer; `nil` when nothing is in flight.
    public var nextDeadline: ContinuousClock.Instant? {
        entries.values.map(\.deadline).min()
    }

    /// Attempts whose deadline has passed: each is retried on the next upstream of its plan (with a new ID; the old
    /// one is no longer accepted) while budget remains, else its clients are returned as failures. O(entries in
    /// flight), at most `maxConcurrent`; call it when `nextDeadline` is reached.
    public mutating func expire(now: ContinuousClock.Instant) -> Expiry {
        var expiry = Expiry()
        for key in entries.keys {
            guard var entry = entries[key], entry.deadline <= now else { continue }
            timeouts += 1
            expiry.timedOut.append(entry.attempt.upstream)
            keysByID[entry.attempt.id] = nil
            let end = entry.started + budget
            let nextID = now < end ? freshID(avoiding: entry.waiters[0].query.id) : nil
            guard let id = nextID else {
                entries[key] = nil
                for waiter in entry.waiters {
                    expiry.failures.append(
                        Failure(
                            client: waiter.client, query: waiter.query, clientLimit: waiter.clientLimit,
                            servFail: waiter.query.errorReply(.servFail)))
                }
                continue
            }
            // Cycle through the plan: with one upstream, the retry goes to it again (UDP loses packets).
            entry.planIndex = (entry.planIndex + 1) % entry.plan.count
            let upstream = entry.plan[entry.planIndex]
            entry.attempt = Attempt(
                id: id, upstream: upstream, upstreamQuery: PendingQueries.upstreamQuery(for: key, id: id),
                overTCP: forceTCP)
            entry.deadline = min(now + attemptTimeout, end)
            entries[key] = entry
            keysByID[id] = key
            expiry.retries.append(entry.attempt)
        }
        return expiry
    }
}
