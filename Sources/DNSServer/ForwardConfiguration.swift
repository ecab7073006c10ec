import DNSEventLoop
import DNSForward
import DNSWire

/// How names outside the cluster zones are forwarded (`--upstream`, `--resolv-conf` and the forwarding flags).
/// Absent from `ServerConfiguration` (nil): such names are refused.
public struct ForwardConfiguration: Sendable {
    /// Upstream resolvers, in configured order.
    public var upstreams: [UpstreamAddress]
    /// Domains with upstreams of their own (`--stub`); a name goes to the longest stub holding it, else to `upstreams`.
    public var stubs: [StubDomain]
    public var policy: UpstreamPool.Policy
    /// How long one attempt waits before the next upstream is tried (`--upstream-timeout`).
    public var attemptTimeout: Duration
    /// `--force-tcp`: ask upstreams over TCP only.
    public var forceTCP = false
    /// How long a client query may wait in total before SERVFAIL (`--forward-budget`).
    public var budget: Duration
    /// How long an ExternalName's alias waits for its target's records before it is answered alone (the CNAME is a
    /// complete answer the client can follow itself, so completing it may cost one upstream attempt, not the whole
    /// budget: kube-dns answered the alias at once). Defaults to `attemptTimeout`.
    public var chaseBudget: Duration
    /// Distinct upstream queries in flight per worker; beyond it, REFUSED (`--max-concurrent`).
    public var maxConcurrent: Int
    /// Per worker: `capacity` (`--cache-size`), `maxTTL` (`--cache-max-ttl`), `serveStale` (`--serve-stale`).
    public var cache: ResponseCache.Configuration

    public init(
        upstreams: [UpstreamAddress], policy: UpstreamPool.Policy = .random,
        attemptTimeout: Duration = ForwardPolicy.attemptTimeout, budget: Duration = ForwardPolicy.totalBudget,
        maxConcurrent: Int = ForwardPolicy.maxConcurrent, cache: ResponseCache.Configuration = .init(),
        stubs: [StubDomain] = []
    ) {
        self.upstreams = upstreams
        self.stubs = stubs
        self.policy = policy
        self.attemptTimeout = attemptTimeout
        self.budget = budget
        self.chaseBudget = min(attemptTimeout, budget)
        self.maxConcurrent = maxConcurrent
        self.cache = cache
    }

    /// Set by the server when it starts: the loop probes the forwarders send and watch for (shared by every worker).
    var loopWatch: LoopWatch?

    /// Every upstream, default and stub, each once.
    var allUpstreams: [UpstreamAddress] {
        var seen = Set<UpstreamAddress>()
        return (upstreams + stubs.flatMap(\.upstreams)).filter { seen.insert($0).inserted }
    }

    /// Splits `upstreams` into those to use and those that are this server itself: an upstream at one of `listen`
    /// (same port, and the same address, or a loopback or unspecified address when we listen on every address)
    /// would send every forwarded query back to us until it times out.
    public func withoutLoops(listen: [SocketAddress]) -> (kept: [UpstreamAddress], loops: [UpstreamAddress]) {
        Self.withoutLoops(upstreams, listen: listen)
    }

    /// `withoutLoops(listen:)` for any list, such as a stub domain's upstreams.
    public static func withoutLoops(
        _ upstreams: [UpstreamAddress], listen: [SocketAddress]
    ) -> (kept: [UpstreamAddress], loops: [UpstreamAddress]) {
        var kept: [UpstreamAddress] = []
        var loops: [UpstreamAddress] = []
        for upstream in upstreams {
            let isOurs = listen.contains { address in
                guard address.port == upstream.port else { return false }
                if address.isAllAddresses {
                    return Self.isLocal(upstream.host)
                }
                return address.hostText == "\(upstream.host)"
            }
            if isOurs { loops.append(upstream) } else { kept.append(upstream) }
        }
        return (kept, loops)
    }

    /// The socket address of `upstream`, for sending.
    static func socketAddress(_ upstream: UpstreamAddress) -> SocketAddress {
        guard let address = try? SocketAddress("\(upstream.host)", defaultPort: upstream.port) else {
            preconditionFailure("an IPAddress always prints as an address SocketAddress parses")
        }
        return address
    }

    private static func isLocal(_ host: IPAddress) -> Bool {
        switch host {
        case .v4(let address): address.value >> 24 == 127 || address.value == 0
        case .v6(let address): address.high == 0 && address.low <= 1
        }
    }
}
