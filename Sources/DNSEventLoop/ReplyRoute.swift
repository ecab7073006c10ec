/// Where a deferred reply goes: the UDP socket the query came in on and the client's address, or the TCP connection
/// it came in on. Opaque to handlers; keep it as long as needed (it does not keep the socket open).
///
/// A reply sent after the socket or connection closed is dropped, and `send` says so: over UDP nothing is lost a
/// client will not retry, and over TCP RFC 7766 §6.2.4 lets the server drop a connection with queries outstanding.
public struct ReplyRoute {
    let channel: ReplyChannel
    /// The TCP connection's number within its service; 0 for UDP.
    let connection: UInt64
    let client: SocketAddress

    init(channel: ReplyChannel, connection: UInt64, client: SocketAddress) {
        self.channel = channel
        self.connection = connection
        self.client = client
    }

    /// Sends `reply` to the client (over TCP with its length prefix; RFC 7766 §7 lets replies go out of order).
    /// Call on the base's thread, and never from inside `QueryHandler.respond`. False when it was dropped: the
    /// connection or socket is closed, or the kernel refused it.
    @discardableResult
    public func send(_ reply: UnsafeRawBufferPointer) -> Bool {
        channel.deliver(reply, connection: connection, client: client)
    }

    @discardableResult
    public func send(_ reply: [UInt8]) -> Bool {
        reply.withUnsafeBytes { send($0) }
    }

    public var transport: QueryTransport { channel.transport }
}

/// The non-generic end of a service that deferred replies travel through; the generic service installs `sender`
/// and removes it when it stops, so a late reply finds nothing to send on instead of a freed service.
final class ReplyChannel {
    typealias Sender = (UnsafeRawBufferPointer, UInt64, SocketAddress) -> Bool

    let transport: QueryTransport
    var sender: Sender?
    /// Deferred replies dropped because the service or connection had gone, or the kernel refused them.
    private(set) var dropped = 0
    private(set) var delivered = 0

    init(transport: QueryTransport) {
        self.transport = transport
    }

    func deliver(_ reply: UnsafeRawBufferPointer, connection: UInt64, client: SocketAddress) -> Bool {
        guard let sender, sender(reply, connection, client) else {
            dropped += 1
            return false
        }
        delivered += 1
        return true
    }
}
