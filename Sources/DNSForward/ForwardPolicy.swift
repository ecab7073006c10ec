/// The forwarder's limits, each with the reason it has this value. One place, so the server, the metrics and the
/// tests agree.
public enum ForwardPolicy {
    /// How long one attempt waits for an upstream before the next upstream is tried. Recursive resolvers answer
    /// cached names in milliseconds and most uncached ones well under a second; glibc's stub resolver waits 5 s
    /// per try, and a client that gave up long ago gains nothing from a longer wait here.
    public static let attemptTimeout: Duration = .seconds(1)
    /// How long one client query may wait in total, retries included, before it is answered SERVFAIL. Below glibc's
    /// and musl's first-retry timeout (5 s and 2.5 s), so our SERVFAIL arrives before the client retries by itself.
    public static let totalBudget: Duration = .seconds(2)
    /// Distinct upstream queries in flight per worker; beyond it new ones are REFUSED. Bounds memory and keeps a
    /// flood of unique names from turning us into an amplifier against the upstreams (CoreDNS `max_concurrent`).
    public static let maxConcurrent = 1000
    /// The EDNS UDP payload size we advertise upstream: the DNS Flag Day 2020 value, which fits the IPv6 minimum MTU
    /// without fragmentation (fragments are spoofable, RFC 8900 §3). Larger answers come back TC=1 and go over TCP.
    public static let upstreamUDPPayload: UInt16 = 1232
    /// The longest CNAME chain followed when completing an answer: RFC 1034 §3.6.2 asks resolvers to bound chains,
    /// and 10 is far above what real zones use (BIND and Unbound stop at similar depths) while stopping a loop early.
    public static let chainLimit = 10
    /// Consecutive failures after which an upstream is down and probed instead of used (CoreDNS `max_fails` 2): one
    /// lost UDP packet is not an outage, two in a row very likely is.
    public static let maxFails = 2
    /// First wait before probing a down upstream (CoreDNS `health_check` 0.5 s); doubled after each failed probe up
    /// to `maxProbeInterval`, so a dead upstream costs little and a recovered one is back within seconds.
    public static let probeInterval: Duration = .milliseconds(500)
    public static let maxProbeInterval: Duration = .seconds(10)
}
