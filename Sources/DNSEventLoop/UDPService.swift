internal import CLibevent

/// Serves DNS over UDP on one socket for one worker: recvmmsg a batch, answer each datagram through `Handler`,
/// sendmmsg the replies (DESIGN.md, "The hot path").
///
/// Each worker binds its own SO_REUSEPORT socket to the same address, and the kernel spreads clients across them.
/// All buffers are allocated at init; a batch allocates nothing. Everything runs on the base's thread, including
/// reads of the counters.
public final class UDPService<Handler: QueryHandler> {
    public let handler: Handler
    public let localAddress: SocketAddress

    /// Datagrams received, including those dropped.
    public private(set) var received = 0
    /// Replies handed to the kernel.
    public private(set) var answered = 0
    /// Datagrams not answered: truncated, from source port 0, or declined by the handler.
    public private(set) var dropped = 0
    /// Datagrams longer than the receive buffer (MSG_TRUNC); also counted in `dropped`.
    public private(set) var truncatedDatagrams = 0
    /// Replies the kernel refused (full send buffer, unreachable destination).
    public private(set) var sendErrors = 0
    /// recvmmsg failures other than "would block".
    public private(set) var receiveErrors = 0
    /// Queries the handler took to answer later (`QueryContext.deferred`).
    public private(set) var deferred = 0
    /// Deferred replies sent.
    public var deferredAnswered: Int { channel.delivered }
    /// Deferred replies dropped: the service had stopped or the kernel refused them.
    public var deferredDropped: Int { channel.dropped }

    private var descriptor: Int32
    private var event: Event?
    private let batch = UDPBatch()
    private let channel = ReplyChannel(transport: .udp)

    /// Adopts `socket` (from `BoundSocket.bindUDP`) and starts serving on `base`. Call on the base's thread.
    public init(base: EventBase, socket: BoundSocket, handler: Handler) throws(IOError) {
        precondition(socket.transport == .udp, "UDPService needs a UDP socket")
        self.handler = handler
        self.localAddress = socket.localAddress
        self.descriptor = socket.take()
        let event = Event(base: base, descriptor: descriptor, flags: EV_READ | EV_PERSIST) { [unowned self] _ in
            self.readable()
        }
        self.event = event
        channel.sender = { [unowned self] reply, _, client in self.sendDeferred(reply, to: client) }
        do {
            try event.add()
        } catch {
            stop()
            throw error
        }
    }

    /// Binds `address` with SO_REUSEPORT and starts serving on `base`.
    public convenience init(base: EventBase, address: SocketAddress, handler: Handler) throws(IOError) {
        try self.init(base: base, socket: try BoundSocket.bindUDP(address), handler: handler)
    }

    deinit {
        stop()
    }

    /// Stops serving and closes the socket. Idempotent; on the base's thread.
    public func stop() {
        channel.sender = nil
        // The event goes before the descriptor: closing first would leave epoll and libevent's fd map pointing at a
        // number the kernel may hand to the next socket.
        event?.free()
        event = nil
        if descriptor >= 0 {
            Syscall.close(descriptor)
            descriptor = -1
        }
    }

    /// One reply made after its query's batch: a plain sendto from the serving socket, so the client sees the
    /// address and port it asked.
    private func sendDeferred(_ reply: UnsafeRawBufferPointer, to client: SocketAddress) -> Bool {
        guard descriptor >= 0, reply.count > 0 else { return false }
        do {
            let result = try client.withSockaddr { storage, length throws(IOError) in
                try Syscall.sendto(descriptor, reply.baseAddress, reply.count, storage, length)
            }
            if case .processed = result { return true }
            sendErrors += 1
            return false
        } catch {
            sendErrors += 1
            return false
        }
    }

    private func readable() {
        for _ in 0..<UDPBatch.maxBatchesPerWakeup {
            let count: Int
            do {
                count = try batch.receive(from: descriptor)
            } catch {
                receiveErrors += 1
                return
            }
            guard count > 0 else { return }
            received += count
            handler.prepare(count: count) { batch.datagram($0) }
            for index in 0..<count {
                // Cheapest checks first (STYLE.md habit 3): a cut datagram cannot be parsed, and a reply to source
                // port 0 cannot be delivered (and port 0 is a reflection-attack tell).
                if batch.isTruncated(index) {
                    truncatedDatagrams += 1
                    dropped += 1
                    continue
                }
                if batch.sourcePort(index) == 0 {
                    dropped += 1
                    continue
                }
                guard let client = batch.sourceAddress(index) else {
                    dropped += 1
                    continue
                }
                let context = QueryContext(
                    transport: .udp, client: client, route: ReplyRoute(channel: channel, connection: 0, client: client))
                let length = handler.respond(
                    to: batch.datagram(index), into: batch.responseBuffer(index), context: context)
                if length == QueryContext.deferred {
                    deferred += 1
                    continue
                }
                if length <= 0 {
                    dropped += 1
                    continue
                }
                batch.queueReply(index, length: length)
            }
            let (sent, failed) = batch.flush(to: descriptor)
            answered += sent
            sendErrors += failed
            // A short batch means the socket is drained: skip the recvmmsg that would only say EAGAIN.
            if count < UDPBatch.size { return }
        }
    }
}
