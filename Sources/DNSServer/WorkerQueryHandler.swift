import DNSAnswer
import DNSEventLoop
import DNSWire
import Logging

/// What a worker's UDP and TCP services call for every query: straight into the worker's own `Responder`, and for
/// names it hands over (`Responder.forward`), into the worker's `Forwarder`.
final class WorkerQueryHandler: QueryHandler {
    let responder: Responder
    /// Set when upstreams are configured; then the responder hands over names outside the cluster zones.
    let forwarder: Forwarder?
    /// With `--log-queries`: where each answered query's line goes.
    let queryLog: Logger?
    /// Durations and sizes of every answered query, forwarded ones when their answer leaves.
    private(set) var histograms = QueryHistograms()
    /// Every query that reached the responder, by transport, family and type.
    private(set) var requestTypes = RequestTypeCounts()
    /// Response codes of forwarded answers (the responder counts its own).
    private(set) var forwardedResponses: [String: Int] = [:]
    /// When the UDP query answered last finished, or its batch arrived (`prepare`): the next UDP query's start.
    private var batchClock = ContinuousClock.now

    init(responder: Responder, forwarder: Forwarder? = nil, queryLog: Logger? = nil) {
        self.responder = responder
        self.forwarder = forwarder
        self.queryLog = queryLog
        responder.forwardsOtherNames = forwarder != nil
        // Unowned: the handler owns the forwarder, and so outlives it.
        forwarder?.onAnswered = { [unowned self] client, reply in
            answeredLater(client, reply: reply)
        }
    }

    /// A forwarded query's answer has left: count and log it as the synchronous path does.
    private func answeredLater(_ client: ClientRoute, reply: UnsafeRawBufferPointer) {
        let elapsed = ContinuousClock.now - client.started
        let (seconds, attoseconds) = elapsed.components
        histograms.record(
            seconds: Double(seconds) + Double(attoseconds) * 1e-18,
            typeIndex: RequestTypeCounts.typeIndex(ofQuery: client.query), requestBytes: client.query.count,
            responseBytes: reply.count, overTCP: client.transport == .tcp)
        if reply.count >= 4 {
            countForwarded(rcodeBits: reply[3])
        }
        if let queryLog {
            let line = client.query.withUnsafeBytes { query in
                QueryLogLine.make(
                    client: client.client, transport: client.transport, query: query, response: reply,
                    duration: elapsed)
            }
            queryLog.info("\(line)")
        }
    }

    @inline(__always)
    func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int {
        // A UDP batch's queries are answered back to back, so one's end is the next one's start: one clock read
        // per query instead of two (each was ~1% of a query's CPU under load).
        let isUDP = context.transport == .udp
        let started = isUDP ? batchClock : ContinuousClock.now
        let length = answer(query, into: response, context: context)
        let finished = ContinuousClock.now
        if isUDP { batchClock = finished }
        guard length > 0 else { return length }
        let elapsed = finished - started
        let (seconds, attoseconds) = elapsed.components
        histograms.record(
            seconds: Double(seconds) + Double(attoseconds) * 1e-18,
            typeIndex: RequestTypeCounts.typeIndex(responder.lastQuestionType), requestBytes: query.count,
            responseBytes: length, overTCP: context.transport == .tcp)
        if let queryLog {
            let line = QueryLogLine.make(
                client: context.client, transport: context.transport, query: query,
                response: UnsafeRawBufferPointer(rebasing: response[0..<length]), duration: elapsed)
            queryLog.info("\(line)")
        }
        return length
    }

    func prepare(count: Int, query: (Int) -> UnsafeRawBufferPointer) {
        batchClock = ContinuousClock.now
        responder.prefetch(count: count, query: query)
    }

    @inline(__always)
    private func answer(
        _ query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int {
        let length = responder.respond(to: query, into: response, transport: context.transport == .udp ? .udp : .tcp)
        requestTypes.record(
            transport: context.transport, isIPv6: context.client.isIPv6, type: responder.lastQuestionType)
        guard length == Responder.forward else { return length }
        // The responder only hands over when forwarding is on, so the forwarder is there; drop if it ever is not.
        guard let forwarder else { return 0 }
        let handled = forwarder.handle(query, into: response, context: context)
        if handled >= 4 {
            // Answered at once by the forwarder (a cache hit, a refusal at the concurrency limit).
            countForwarded(rcodeBits: response[3])
        }
        return handled
    }

    private func countForwarded(rcodeBits: UInt8) {
        forwardedResponses[ResponseCode(rawValue: UInt16(rcodeBits & 0x0F)).description, default: 0] += 1
    }
}
