internal import CLibevent
internal import Glibc

/// Serves DNS over TCP (RFC 7766) for one worker: a SO_REUSEPORT listener, at most `maxConnections` connections,
/// each carrying any number of length-prefixed queries, answered in order.
///
/// Per-connection state (read buffer, events) is allocated when the connection opens; the reply buffer is one per
/// service, because the handler writes a reply and it is sent before the next query is looked at. Everything runs on
/// the base's thread, including reads of the counters.
public final class TCPService<Handler: QueryHandler> {
    public let handler: Handler
    public let localAddress: SocketAddress
    public let maxConnections: Int
    public let idleTimeout: Duration

    /// Connections accepted and served.
    public private(set) var accepted = 0
    /// Connections accepted and closed at once because `maxConnections` were open.
    public private(set) var rejected = 0
    /// accept4 failures that paused accepting (out of descriptors or memory).
    public private(set) var acceptErrors = 0
    /// Complete queries read.
    public private(set) var queries = 0
    /// Replies sent (or queued behind a full socket buffer).
    public private(set) var answered = 0
    /// Connections closed by the idle timeout.
    public private(set) var idleClosed = 0
    /// Replies the socket would not take at once, finished later by a write event (a client reading slowly).
    public private(set) var deferredReplies = 0

    /// Queries the handler took to answer later (`QueryContext.deferred`).
    public private(set) var deferredQueries = 0
    /// Deferred replies written (or queued behind a full socket buffer).
    public var deferredAnswered: Int { channel.delivered }
    /// Deferred replies dropped because their connection had closed (or could not take them).
    public var deferredDropped: Int { channel.dropped }

    /// Connections open now.
    public var openConnections: Int { connections.count }

    let base: EventBase
    /// The length prefix and reply, written by the handler for one query at a time.
    let replyBuffer: UnsafeMutableRawPointer
    private var listener: Int32
    private var listenEvent: Event?
    private var backoff: Timer?
    private var connections: [UInt64: TCPConnection<Handler>] = [:]
    /// Connection numbers are never reused, so a deferred reply cannot reach a later connection on the same socket.
    private var nextConnectionID: UInt64 = 1
    let channel = ReplyChannel(transport: .tcp)

    /// Adopts `socket` (from `BoundSocket.bindTCP`, already listening) and starts accepting on `base`. Call on the
    /// base's thread.
    public init(
        base: EventBase, socket: BoundSocket, handler: Handler,
        maxConnections: Int = TCPLimits.defaultMaxConnections, idleTimeout: Duration = TCPLimits.defaultIdleTimeout
    ) throws(IOError) {
        precondition(socket.transport == .tcp, "TCPService needs a TCP socket")
        precondition(maxConnections >= 0, "maxConnections cannot be negative")
        self.base = base
        self.handler = handler
        self.localAddress = socket.localAddress
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.replyBuffer = .allocate(byteCount: 2 + TCPLimits.maxMessageSize, alignment: 16)
        self.listener = socket.take()
        let event = Event(base: base, descriptor: listener, flags: EV_READ | EV_PERSIST) { [unowned self] _ in
            self.acceptConnections()
        }
        listenEvent = event
        channel.sender = { [unowned self] reply, connection, _ in
            self.connections[connection]?.sendDeferred(reply) ?? false
        }
        do {
            try event.add()
        } catch {
            stop()
            throw error
        }
    }

    /// Binds `address` with SO_REUSEPORT, listens, and starts accepting on `base`.
    public convenience init(
        base: EventBase, address: SocketAddress, handler: Handler,
        maxConnections: Int = TCPLimits.defaultMaxConnections, idleTimeout: Duration = TCPLimits.defaultIdleTimeout
    ) throws(IOError) {
        try self.init(
            base: base, socket: try BoundSocket.bindTCP(address), handler: handler, maxConnections: maxConnections,
            idleTimeout: idleTimeout)
    }

    deinit {
        stop()
        replyBuffer.deallocate()
    }

    /// Stops accepting, closes every connection and the listener. Idempotent; on the base's thread.
    public func stop() {
        channel.sender = nil
        backoff?.cancel()
        backoff = nil
        // Events before descriptors, so libevent never watches a closed (and maybe reused) descriptor number.
        listenEvent?.free()
        listenEvent = nil
        if listener >= 0 {
            Syscall.close(listener)
            listener = -1
        }
        // Take the table first: stop() also runs from deinit, when the connections' unowned reference back to this
        // service may no longer be loaded.
        let open = connections
        connections = [:]
        for connection in open.values {
            connection.close(notifyService: false)
        }
    }

    func connectionClosed(_ connection: TCPConnection<Handler>) {
        connections[connection.id] = nil
    }

    func countDeferredQuery() {
        deferredQueries += 1
    }

    func countQuery(answered wasAnswered: Bool) {
        queries += 1
        if wasAnswered {
            answered += 1
        }
    }

    func countIdleClose() {
        idleClosed += 1
    }

    func countDeferredReply() {
        deferredReplies += 1
    }

    private func acceptConnections() {
        for _ in 0..<TCPLimits.acceptsPerWakeup {
            let descriptor: Int32
            do {
                switch try Syscall.accept(listener) {
                case .processed(let accepted): descriptor = accepted
                case .wouldBlock: return
                }
            } catch {
                switch error.errno {
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    acceptErrors += 1
                    pauseAccepting()
                    return
                default:
                    // accept(2): ECONNABORTED and pending network errors (ENETDOWN, EPROTO, EHOSTUNREACH, ...) belong
                    // to that one connection; the next may be fine.
                    continue
                }
            }
            guard connections.count < maxConnections else {
                Syscall.close(descriptor)
                rejected += 1
                continue
            }
            // Without TCP_NODELAY a pipelined second reply waits for the client's delayed ACK of the first.
            try? Syscall.setNoDelay(descriptor)
            do {
                let connection = try TCPConnection(service: self, descriptor: descriptor, id: nextConnectionID)
                nextConnectionID += 1
                connections[connection.id] = connection
                accepted += 1
            } catch {
                // TCPConnection closed the descriptor; nothing else to undo.
                continue
            }
        }
    }

    /// Takes the listener out of the loop for `TCPLimits.acceptBackoff`, then puts it back.
    private func pauseAccepting() {
        guard backoff == nil, let listenEvent else { return }
        listenEvent.remove()
        backoff = base.schedule(after: TCPLimits.acceptBackoff) { [unowned self] in
            self.backoff = nil
            try? self.listenEvent?.add()
        }
    }
}
