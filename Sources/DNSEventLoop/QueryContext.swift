/// What a `QueryHandler` learns about a query besides its bytes: how it arrived, who sent it, and where a reply
/// made later must go.
///
/// Made per query on the stack from integers and one reference, so the synchronous path stays allocation-free.
public struct QueryContext {
    /// Returned by `QueryHandler.respond` instead of a length: the handler keeps `route` and answers later, on the
    /// same base's thread, through `ReplyRoute.send`.
    public static let deferred = -1

    public let transport: QueryTransport
    /// The UDP source address or the TCP peer.
    public let client: SocketAddress
    /// Where a deferred reply goes; only meaningful when the handler returns `deferred`.
    public let route: ReplyRoute

    public init(transport: QueryTransport, client: SocketAddress, route: ReplyRoute) {
        self.transport = transport
        self.client = client
        self.route = route
    }
}
