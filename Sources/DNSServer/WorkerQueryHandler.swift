import DNSAnswer
import DNSEventLoop
import Logging

/// What a worker's UDP and TCP services call for every query: straight into the worker's own `Responder`, and for
/// names it hands over (`Responder.forward`), into the worker's `Forwarder`.
final class WorkerQueryHandler: QueryHandler {
    let responder: Responder
    /// Set when upstreams are configured; then the responder hands over names outside the cluster zones.
    let forwarder: Forwarder?
    /// With `--log-queries`: where each answered query's line goes.
    let queryLog: Logger?
    /// Durations and sizes of the queries answered here (forwarded answers leave later and are not in them).
    private(set) var histograms = QueryHistograms()

    init(responder: Responder, forwarder: Forwarder? = nil, queryLog: Logger? = nil) {
        self.responder = responder
        self.forwarder = forwarder
        self.queryLog = queryLog
        responder.forwardsOtherNames = forwarder != nil
    }

    @inline(__always)
    func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int {
        let started = ContinuousClock.now
        let length = answer(query, into: response, context: context)
        guard length > 0 else { return length }
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
        histograms.record(
            seconds: Double(seconds) + Double(attoseconds) * 1e-18, requestBytes: query.count, responseBytes: length,
            overTCP: context.transport == .tcp)
        if let queryLog {
            let line = QueryLogLine.make(
                client: context.client, transport: context.transport, query: query,
                response: UnsafeRawBufferPointer(rebasing: response[0..<length]), duration: elapsed)
            queryLog.info("\(line)")
        }
        return length
    }

    @inline(__always)
    private func answer(
        _ query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int {
        let length = responder.respond(to: query, into: response, transport: context.transport == .udp ? .udp : .tcp)
        guard length == Responder.forward else { return length }
        // The responder only hands over when forwarding is on, so the forwarder is there; drop if it ever is not.
        guard let forwarder else { return 0 }
        return forwarder.handle(query, into: response, context: context)
    }
}
