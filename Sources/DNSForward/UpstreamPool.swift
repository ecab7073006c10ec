import DNSWire

/// The upstream resolvers, the order to try them in, and their health.
///
/// Sans-IO: the caller reports outcomes (`recordSuccess`, `recordFailure`) with the time, asks for the try order of
/// each query (`plan`) and for the probes that are due (`probesDue`); nothing here sends or waits.
///
/// Health follows CoreDNS's `forward`: `ForwardPolicy.maxFails` consecutive failures mark an upstream down; a down
/// upstream is left out of plans and probed with backoff until a probe (or any reply) succeeds. When every upstream
/// is down one is still tried, chosen at random, because an answer from a doubtful upstream beats a certain SERVFAIL.
public struct UpstreamPool {
    /// How the healthy upstreams are ordered for each query.
    public enum Policy: String, Sendable, CaseIterable {
        /// A fresh random order per query: spreads load without coordination between workers (CoreDNS's default).
        case random
        /// Each query starts one further along the list.
        case roundRobin = "round_robin"
        /// Always in the configured order: the first is preferred, the rest are fallbacks.
        case sequential
    }

    /// What the pool knows about one upstream.
    public struct Health: Sendable, Equatable {
        public var consecutiveFailures = 0
        public var isDown = false
        /// When the next probe is due; set only while down.
        public var nextProbe: ContinuousClock.Instant?
        /// The wait before the probe after `nextProbe`, doubled after each failed probe.
        public var probeInterval = ForwardPolicy.probeInterval
    }

    public let upstreams: [Upstream]
    public let policy: Policy
    public private(set) var health: [Health]
    private var nextStart = 0
    /// Returns a uniformly random integer in `0..<bound`; injected so tests are deterministic.
    private let randomBelow: (Int) -> Int

    public init(
        _ addresses: [UpstreamAddress], policy: Policy = .random,
        randomBelow: @escaping (Int) -> Int = { Int.random(in: 0..<$0) }
    ) {
        upstreams = addresses.enumerated().map { Upstream(index: $0.offset, address: $0.element) }
        self.policy = policy
        health = Array(repeating: Health(), count: addresses.count)
        self.randomBelow = randomBelow
    }

    public func isDown(_ upstream: Upstream) -> Bool {
        health[upstream.index].isDown
    }

    /// The upstreams to try for one query, first choice first: the healthy ones in policy order, or, when none is
    /// healthy, one random upstream. Empty only when the pool is.
    public mutating func plan(now: ContinuousClock.Instant) -> [Upstream] {
        guard !upstreams.isEmpty else { return [] }
        var ordered: [Upstream]
        switch policy {
        case .sequential:
            ordered = upstreams
        case .roundRobin:
            ordered = Array(upstreams[nextStart...] + upstreams[..<nextStart])
            nextStart = (nextStart + 1) % upstreams.count
        case .random:
            ordered = upstreams
            // Fisher–Yates.
            var index = ordered.count - 1
            while index > 0 {
                ordered.swapAt(index, randomBelow(index + 1))
                index -= 1
            }
        }
        ordered.removeAll { health[$0.index].isDown }
        if ordered.isEmpty {
            ordered = [upstreams[randomBelow(upstreams.count)]]
        }
        return ordered
    }

    /// Any reply that passed validation, whatever its RCODE: the upstream is alive.
    public mutating func recordSuccess(_ upstream: Upstream, now: ContinuousClock.Instant) {
        health[upstream.index] = Health()
    }

    /// A timeout or a network error. The `maxFails`-th in a row marks the upstream down and schedules its first
    /// probe; a failure while down (a failed probe) doubles the probe interval.
    public mutating func recordFailure(_ upstream: Upstream, now: ContinuousClock.Instant) {
        var state = health[upstream.index]
        state.consecutiveFailures += 1
        if state.isDown {
            state.probeInterval = min(state.probeInterval * 2, ForwardPolicy.maxProbeInterval)
            state.nextProbe = now + state.probeInterval
        } else if state.consecutiveFailures >= ForwardPolicy.maxFails {
            state.isDown = true
            state.probeInterval = ForwardPolicy.probeInterval
            state.nextProbe = now + state.probeInterval
        }
        health[upstream.index] = state
    }

    /// The down upstreams whose probe is due; each is not due again until its outcome is recorded or another
    /// interval passes, so a lost probe cannot stop probing.
    public mutating func probesDue(now: ContinuousClock.Instant) -> [Upstream] {
        var due: [Upstream] = []
        for upstream in upstreams {
            var state = health[upstream.index]
            guard state.isDown, let next = state.nextProbe, next <= now else { continue }
            state.nextProbe = now + state.probeInterval
            health[upstream.index] = state
            due.append(upstream)
        }
        return due
    }

    /// When the earliest probe is due, for the caller's timer; `nil` when every upstream is up.
    public var nextProbe: ContinuousClock.Instant? {
        health.compactMap(\.nextProbe).min()
    }

    /// A probe: `. IN NS` with RD clear, which any resolver answers from its root hints without recursing (CoreDNS
    /// probes the same way). Any reply from the probed address with this ID counts as success.
    public static func probeQuery(id: UInt16) -> [UInt8] {
        Message.query(id: id, name: .root, type: .ns, recursionDesired: false).encoded()
    }
}
