/// Problems that come per packet (malformed queries, dropped datagrams, upstream failures) are logged as one line per
/// kind and interval with a count, never once per packet: a flood must not turn into a flood of log lines.
struct ErrorDigest {
    /// How often the counts are compared and, when they grew, logged (CoreDNS's `errors` plugin consolidates over a
    /// similar window).
    static let interval: Duration = .seconds(10)

    private var previous = WorkerCounters()

    /// Lines describing what grew since the last call, and remembers `current` for the next.
    mutating func lines(for current: WorkerCounters) -> [String] {
        defer { previous = current }
        let seconds = ErrorDigest.interval.components.seconds
        var lines: [String] = []
        func report(_ what: String, _ parts: [(String, Int, Int)]) {
            let grown = parts.map { ($0.0, $0.1 - $0.2) }.filter { $0.1 > 0 }
            guard !grown.isEmpty else { return }
            let total = grown.reduce(0) { $0 + $1.1 }
            let detail = grown.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            lines.append("\(what): \(total) in the last \(seconds)s (\(detail))")
        }
        let now = current.responder
        let before = previous.responder
        report(
            "dropped queries",
            [
                ("too short", now.droppedTooShort, before.droppedTooShort),
                ("responses sent to us", now.droppedResponses, before.droppedResponses),
                ("oversized datagrams", current.udpTruncatedDatagrams, previous.udpTruncatedDatagrams),
            ])
        report(
            "malformed queries answered",
            [("FORMERR", now.formErr, before.formErr), ("NOTIMP", now.notImp, before.notImp)])
        let forwarder = current.forwarder
        let was = previous.forwarder
        report(
            "upstream failures",
            [
                ("SERVFAIL after the budget", forwarder.servFail, was.servFail),
                ("rejected replies", forwarder.rejectedReplies, was.rejectedReplies),
                ("TCP retries failed", forwarder.tcpFailures, was.tcpFailures),
                ("send errors", forwarder.sendErrors, was.sendErrors),
                ("refused at the concurrency limit", forwarder.refused, was.refused),
            ])
        report(
            "TCP connections refused at the per-worker limit",
            [("connections", current.tcpRejected, previous.tcpRejected)])
        return lines
    }
}
