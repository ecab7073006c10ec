import DNSEventLoop

/// Where a deferred answer goes, and what the query log and histograms need to know about the query when it does.
struct ClientRoute {
    var route: ReplyRoute
    var client: SocketAddress
    var transport: QueryTransport
    /// The client's query as it arrived (the forward path may allocate; the cluster-zone path never gets here).
    var query: [UInt8]
    var started: ContinuousClock.Instant

    init(context: QueryContext, query: UnsafeRawBufferPointer, started: ContinuousClock.Instant) {
        route = context.route
        client = context.client
        transport = context.transport
        self.query = Array(query)
        self.started = started
    }
}
