/// One upstream's traffic, for CoreDNS's `coredns_forward_*{to="ADDR:PORT"}` metrics.
public struct UpstreamCounters: Sendable, Equatable {
    /// Attempts sent to it (first tries, retries, TCP retries of truncated replies, prefetches, chases).
    public var requests = 0
    /// Replies accepted from it, by response code.
    public var responses: [String: Int] = [:]
    /// Time from sending an attempt to accepting its reply, in CoreDNS's duration buckets (last one +Inf).
    var durations = [Int](repeating: 0, count: QueryHistograms.durationBounds.count + 1)
    var durationSum = 0.0

    public init() {}

    mutating func record(rcode: String, seconds: Double?) {
        responses[rcode, default: 0] += 1
        guard let seconds else { return }
        durations[QueryHistograms.bucket(seconds, in: QueryHistograms.durationBounds)] += 1
        durationSum += seconds
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    public static func + (lhs: UpstreamCounters, rhs: UpstreamCounters) -> UpstreamCounters {
        var sum = lhs
        sum.requests += rhs.requests
        sum.responses.merge(rhs.responses) { $0 + $1 }
        for index in sum.durations.indices { sum.durations[index] += rhs.durations[index] }
        sum.durationSum += rhs.durationSum
        return sum
    }
}
