import DNSAnswer

/// One worker's counts, copied out of its loop once a second; the server adds them up.
public struct WorkerCounters: Sendable, Equatable {
    public var responder = ResponderCounters()
    public var udpReceived = 0
    /// Datagrams the UDP service dropped itself (source port 0) or the responder dropped.
    public var udpDropped = 0
    /// Datagrams larger than the receive buffer: dropped.
    public var udpTruncatedDatagrams = 0
    public var udpSendErrors = 0
    public var tcpAccepted = 0
    /// Connections closed at once because the worker already had its maximum.
    public var tcpRejected = 0
    public var tcpQueries = 0
    public var tcpIdleClosed = 0
    /// Queries deferred by the handler (forwarded) and their replies dropped because the client had gone.
    public var deferredDropped = 0
    public var forwarder = ForwarderCounters()
    var histograms = QueryHistograms()
    var requestTypes = RequestTypeCounts()
    /// Response codes of forwarded answers.
    public var forwardedResponses: [String: Int] = [:]

    public init() {}

    public static func + (lhs: WorkerCounters, rhs: WorkerCounters) -> WorkerCounters {
        var sum = lhs
        sum.responder = lhs.responder + rhs.responder
        sum.udpReceived += rhs.udpReceived
        sum.udpDropped += rhs.udpDropped
        sum.udpTruncatedDatagrams += rhs.udpTruncatedDatagrams
        sum.udpSendErrors += rhs.udpSendErrors
        sum.tcpAccepted += rhs.tcpAccepted
        sum.tcpRejected += rhs.tcpRejected
        sum.tcpQueries += rhs.tcpQueries
        sum.tcpIdleClosed += rhs.tcpIdleClosed
        sum.deferredDropped += rhs.deferredDropped
        sum.histograms = lhs.histograms + rhs.histograms
        sum.requestTypes = lhs.requestTypes + rhs.requestTypes
        sum.forwardedResponses.merge(rhs.forwardedResponses) { $0 + $1 }
        sum.forwarder = lhs.forwarder + rhs.forwarder
        return sum
    }
}
