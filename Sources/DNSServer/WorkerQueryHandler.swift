import DNSAnswer
import DNSEventLoop

/// What a worker's UDP and TCP services call for every query: straight into the worker's own `Responder`, and for
/// names it hands over (`Responder.forward`), into the worker's `Forwarder`.
final class WorkerQueryHandler: QueryHandler {
    let responder: Responder
    /// Set when upstreams are configured; then the responder hands over names outside the cluster zones.
    let forwarder: Forwarder?

    init(responder: Responder, forwarder: Forwarder? = nil) {
        self.responder = responder
        self.forwarder = forwarder
        responder.forwardsOtherNames = forwarder != nil
    }

    @inline(__always)
    func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int {
        let length = responder.respond(to: query, into: response, transport: context.transport == .udp ? .udp : .tcp)
        guard length == Responder.forward else { return length }
        // The responder only hands over when forwarding is on, so the forwarder is there; drop if it ever is not.
        guard let forwarder else { return 0 }
        return forwarder.handle(query, into: response, context: context)
    }
}
