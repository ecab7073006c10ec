import DNSAnswer
import DNSEventLoop

/// What a worker's UDP and TCP services call for every query: straight into the worker's own `Responder`.
final class WorkerQueryHandler: QueryHandler {
    let responder: Responder

    init(responder: Responder) {
        self.responder = responder
    }

    @inline(__always)
    func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, transport: QueryTransport
    ) -> Int {
        responder.respond(to: query, into: response, transport: transport == .udp ? .udp : .tcp)
    }
}
