/// Per-worker histograms of answered queries, with CoreDNS's buckets so that its dashboards' quantiles still work.
/// Counted on the worker's thread into storage made once; copied out with the other counters once a second.
struct QueryHistograms: Sendable, Equatable {
    /// CoreDNS `dns_request_duration_seconds`: 0.25 ms doubling to 8.192 s (16 buckets).
    static let durationBounds: [Double] = (0..<16).map { 0.00025 * Double(1 << $0) }
    /// CoreDNS `dns_request_size_bytes` / `dns_response_size_bytes`.
    static let sizeBounds: [Double] = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3]

    /// Per query type (`RequestTypeCounts` order, `other` last), counts per bucket (not cumulative; the last bucket
    /// is +Inf), as CoreDNS labels the latency histogram by `type`.
    var duration = [[Int]](
        repeating: [Int](repeating: 0, count: QueryHistograms.durationBounds.count + 1),
        count: RequestTypeCounts.types.count + 1)
    var durationSum = [Double](repeating: 0, count: RequestTypeCounts.types.count + 1)
    /// Index 0: UDP, 1: TCP.
    var requestSize = [[Int]](repeating: [Int](repeating: 0, count: sizeBounds.count + 1), count: 2)
    var requestSizeSum = [0.0, 0.0]
    var responseSize = [[Int]](repeating: [Int](repeating: 0, count: sizeBounds.count + 1), count: 2)
    var responseSizeSum = [0.0, 0.0]

    mutating func record(seconds: Double, typeIndex: Int, requestBytes: Int, responseBytes: Int, overTCP: Bool) {
        duration[typeIndex][QueryHistograms.bucket(seconds, in: QueryHistograms.durationBounds)] += 1
        durationSum[typeIndex] += seconds
        let proto = overTCP ? 1 : 0
        requestSize[proto][QueryHistograms.bucket(Double(requestBytes), in: QueryHistograms.sizeBounds)] += 1
        requestSizeSum[proto] += Double(requestBytes)
        responseSize[proto][QueryHistograms.bucket(Double(responseBytes), in: QueryHistograms.sizeBounds)] += 1
        responseSizeSum[proto] += Double(responseBytes)
    }

    @inline(__always)
    static func bucket(_ value: Double, in bounds: [Double]) -> Int {
        var index = 0
        while index < bounds.count, value > bounds[index] { index += 1 }
        return index
    }

    /// A copy with storage of its own, so the worker's next write does not have to copy shared arrays.
    func detached() -> QueryHistograms {
        var copy = QueryHistograms()
        copy.duration = duration.map { $0.map { $0 } }
        copy.durationSum = durationSum.map { $0 }
        copy.requestSize = requestSize.map { $0.map { $0 } }
        copy.requestSizeSum = requestSizeSum.map { $0 }
        copy.responseSize = responseSize.map { $0.map { $0 } }
        copy.responseSizeSum = responseSizeSum.map { $0 }
        return copy
    }

    static func + (lhs: QueryHistograms, rhs: QueryHistograms) -> QueryHistograms {
        var sum = lhs.detached()
        for type in sum.duration.indices {
            for index in sum.duration[type].indices { sum.duration[type][index] += rhs.duration[type][index] }
            sum.durationSum[type] += rhs.durationSum[type]
        }
        for proto in 0..<2 {
            for index in sum.requestSize[proto].indices {
                sum.requestSize[proto][index] += rhs.requestSize[proto][index]
                sum.responseSize[proto][index] += rhs.responseSize[proto][index]
            }
            sum.requestSizeSum[proto] += rhs.requestSizeSum[proto]
            sum.responseSizeSum[proto] += rhs.responseSizeSum[proto]
        }
        return sum
    }
}
