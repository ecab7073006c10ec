/// Answers one DNS message; called by `UDPService` and `TCPService` on their base's thread.
///
/// The services are generic over the handler, so each call is a direct (witness-table) call: no existential box and no
/// closure per query. A handler must not keep the buffers past the call; they are reused for the next query.
public protocol QueryHandler: AnyObject {
    /// Writes the reply to `query` into `response` (its count is the most that may be sent: 65535 for TCP, the UDP
    /// buffer size for UDP) and returns the reply's length; 0 means drop silently, and `QueryContext.deferred`
    /// means the handler answers later through `context.route` (or never, which is a drop).
    func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, context: QueryContext
    ) -> Int

    /// Called by `UDPService` with each batch of datagrams it received, before `respond` is called for them: the
    /// handler may start loading what answering them will read (cache prefetches), but must not answer or change
    /// anything an answer depends on. `query(i)` is the i-th datagram for `i` in `0..<count`.
    func prepare(count: Int, query: (Int) -> UnsafeRawBufferPointer)
}

extension QueryHandler {
    public func prepare(count: Int, query: (Int) -> UnsafeRawBufferPointer) {}
}
