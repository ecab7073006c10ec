internal import CLibevent
internal import Glibc

/// One accepted DNS-over-TCP connection (RFC 7766).
///
/// Reads accumulate in `input` until a whole length-prefixed message is there (queries may arrive split across
/// packets or several in one); each is answered in order and written at once. If the socket will not take a whole
/// reply, the rest waits in `output`, reading stops (so a client that does not read cannot make us buffer without
/// bound), and a write event finishes the job. The idle timeout rides on whichever event is armed.
final class TCPConnection<Handler: QueryHandler> {
    let id: UInt64
    let peer: SocketAddress
    private unowned let service: TCPService<Handler>
    private var descriptor: Int32
    private var readEvent: Event?
    private var writeEvent: Event?
    private var reading = false

    /// Bytes read and not yet consumed are `input[inputStart..<inputEnd]`.
    private var input: UnsafeMutableRawPointer
    private var inputCapacity: Int
    private var inputStart = 0
    private var inputEnd = 0

    /// Reply bytes the socket has not taken yet are `output[outputStart..<outputEnd]`; allocated on first need.
    private var output: UnsafeMutableRawPointer?
    private var outputStart = 0
    private var outputEnd = 0

    /// The client sent EOF: answer what is buffered, then close.
    private var peerClosed = false
    /// Queries the handler deferred and has not answered yet; after EOF the connection stays open for them until
    /// they are answered or `lingerTimer` fires.
    private var pendingDeferred = 0
    private var lingerTimer: Timer?

    /// Takes ownership of `descriptor`, closing it on failure.
    init(service: TCPService<Handler>, descriptor: Int32, id: UInt64) throws(IOError) {
        self.service = service
        self.descriptor = descriptor
        self.id = id
        do throws(IOError) {
            var storage = try Syscall.peerAddress(descriptor)
            guard let peer = SocketAddress(&storage) else {
                throw IOError(function: "getpeername", errno: EAFNOSUPPORT)
            }
            self.peer = peer
        } catch {
            // ENOTCONN: the client reset before we looked; nothing to serve.
            Syscall.close(descriptor)
            throw error
        }
        inputCapacity = TCPLimits.initialReadBufferSize
        input = .allocate(byteCount: inputCapacity, alignment: 16)
        // Both closures hold the connection unowned: the service's table owns it, and close() frees both events
        // before the table lets it go.
        readEvent = Event(base: service.base, descriptor: descriptor, flags: EV_READ | EV_PERSIST) {
            [unowned self] what in
            self.readReady(what)
        }
        writeEvent = Event(base: service.base, descriptor: descriptor, flags: EV_WRITE | EV_PERSIST) {
            [unowned self] what in
            self.writeReady(what)
        }
        do {
            try startReading()
        } catch {
            close()
            throw error
        }
    }

    deinit {
        input.deallocate()
        output?.deallocate()
    }

    /// Frees the events, closes the socket and, unless the service itself is closing everything, leaves its table.
    func close(notifyService: Bool = true) {
        lingerTimer?.cancel()
        lingerTimer = nil
        readEvent?.free()
        readEvent = nil
        writeEvent?.free()
        writeEvent = nil
        if descriptor >= 0 {
            Syscall.close(descriptor)
            descriptor = -1
        }
        if notifyService {
            service.connectionClosed(self)
        }
    }

    // MARK: Events

    private func readReady(_ what: Int16) {
        if Int32(what) & EV_TIMEOUT != 0 {
            service.countIdleClose()
            close()
            return
        }
        makeRoomToRead()
        do {
            switch try Syscall.read(descriptor, input + inputEnd, inputCapacity - inputEnd) {
            case .processed(0):
                peerClosed = true
            case .processed(let count):
                inputEnd += count
            case .wouldBlock:
                return
            }
        } catch {
            // ECONNRESET, ETIMEDOUT, ...: the peer is gone.
            close()
            return
        }
        answerBufferedQueries()
    }

    private func writeReady(_ what: Int16) {
        if Int32(what) & EV_TIMEOUT != 0 {
            service.countIdleClose()
            close()
            return
        }
        guard let output else { preconditionFailure("write event armed with nothing to write") }
        while outputStart < outputEnd {
            do {
                switch try Syscall.send(descriptor, output + outputStart, outputEnd - outputStart) {
                case .processed(let count): outputStart += count
                case .wouldBlock: return
                }
            } catch {
                close()
                return
            }
        }
        outputStart = 0
        outputEnd = 0
        writeEvent?.remove()
        answerBufferedQueries()
    }

    // MARK: Framing (RFC 7766 section 8: two-byte length, then the message)

    /// Answers every complete query in `input` while the socket takes the replies, then arms the right event.
    private func answerBufferedQueries() {
        while outputEnd == 0 {
            let available = inputEnd - inputStart
            guard available >= 2 else { break }
            let length =
                Int(input.load(fromByteOffset: inputStart, as: UInt8.self)) << 8
                | Int(input.load(fromByteOffset: inputStart + 1, as: UInt8.self))
            guard available >= 2 + length else { break }
            let query = UnsafeRawBufferPointer(start: input + inputStart + 2, count: length)
            let reply = service.replyBuffer
            let context = QueryContext(
                transport: .tcp, client: peer, route: ReplyRoute(channel: service.channel, connection: id, client: peer)
            )
            let replyLength = service.handler.respond(
                to: query,
                into: UnsafeMutableRawBufferPointer(start: reply + 2, count: TCPLimits.maxMessageSize),
                context: context)
            inputStart += 2 + length
            service.countQuery(answered: replyLength > 0)
            if replyLength == QueryContext.deferred {
                pendingDeferred += 1
                service.countDeferredQuery()
                continue
            }
            guard replyLength > 0 else { continue }
            precondition(replyLength <= TCPLimits.maxMessageSize, "reply longer than the response buffer")
            reply.storeBytes(of: UInt8(replyLength >> 8), toByteOffset: 0, as: UInt8.self)
            reply.storeBytes(of: UInt8(replyLength & 0xFF), toByteOffset: 1, as: UInt8.self)
            guard send(reply, count: 2 + replyLength) else {
                close()
                return
            }
        }
        compactInput()

        if outputEnd > 0 {
            // Back-pressure: stop reading until the client takes the reply; the write event carries the timeout.
            stopReading()
            do {
                try writeEvent?.add(timeout: service.idleTimeout)
            } catch {
                close()
            }
        } else if peerClosed {
            lingerOrClose()
        } else {
            do {
                try startReading()
            } catch {
                close()
            }
        }
    }

    /// After EOF: close now, or, with deferred replies still owed, stop reading (EOF stays readable) and wait for
    /// them at most one idle timeout.
    private func lingerOrClose() {
        guard pendingDeferred > 0 else {
            close()
            return
        }
        stopReading()
        guard lingerTimer == nil else { return }
        lingerTimer = service.base.schedule(after: service.idleTimeout) { [unowned self] in
            self.lingerTimer = nil
            self.service.countIdleClose()
            self.close()
        }
    }

    /// A reply the handler made after `respond` returned `QueryContext.deferred`, framed and written now (RFC 7766
    /// §7: replies may go out of order). Behind a reply the socket has not taken yet, it is appended while the output
    /// buffer has room and dropped otherwise: a client that does not read gets no unbounded buffer.
    func sendDeferred(_ message: UnsafeRawBufferPointer) -> Bool {
        guard descriptor >= 0, message.count > 0, message.count <= TCPLimits.maxMessageSize else { return false }
        pendingDeferred = max(0, pendingDeferred - 1)
        let framed = 2 + message.count
        if outputEnd > 0 {
            guard let output else { preconditionFailure("output bytes without an output buffer") }
            if outputStart > 0 {
                memmove(output, output + outputStart, outputEnd - outputStart)
                outputEnd -= outputStart
                outputStart = 0
            }
            guard outputEnd + framed <= 2 + TCPLimits.maxMessageSize else { return false }
            output.storeBytes(of: UInt8(message.count >> 8), toByteOffset: outputEnd, as: UInt8.self)
            output.storeBytes(of: UInt8(message.count & 0xFF), toByteOffset: outputEnd + 1, as: UInt8.self)
            (output + outputEnd + 2).copyMemory(from: message.baseAddress!, byteCount: message.count)
            outputEnd += framed
            return true
        }
        // Outside `respond` the service's reply buffer is free: deferred replies arrive from other events.
        let reply = service.replyBuffer
        reply.storeBytes(of: UInt8(message.count >> 8), toByteOffset: 0, as: UInt8.self)
        reply.storeBytes(of: UInt8(message.count & 0xFF), toByteOffset: 1, as: UInt8.self)
        (reply + 2).copyMemory(from: message.baseAddress!, byteCount: message.count)
        guard send(reply, count: framed) else {
            close()
            return false
        }
        if outputEnd > 0 {
            stopReading()
            do {
                try writeEvent?.add(timeout: service.idleTimeout)
            } catch {
                close()
                return false
            }
        } else if peerClosed, pendingDeferred == 0 {
            close()
        }
        return true
    }

    /// Writes what the socket takes now and keeps the rest in `output`; false when the connection failed.
    private func send(_ bytes: UnsafeRawPointer, count: Int) -> Bool {
        var sent = 0
        while sent < count {
            do {
                switch try Syscall.send(descriptor, bytes + sent, count - sent) {
                case .processed(let written):
                    sent += written
                case .wouldBlock:
                    // Only one reply is ever pending (answering stops while output waits), so one message's room is
                    // enough, allocated once per connection that needs it.
                    let pending = output ?? .allocate(byteCount: 2 + TCPLimits.maxMessageSize, alignment: 16)
                    output = pending
                    pending.copyMemory(from: bytes + sent, byteCount: count - sent)
                    outputStart = 0
                    outputEnd = count - sent
                    service.countDeferredReply()
                    return true
                }
            } catch {
                return false
            }
        }
        return true
    }

    private func startReading() throws(IOError) {
        guard !reading else { return }
        try readEvent?.add(timeout: service.idleTimeout)
        reading = true
    }

    private func stopReading() {
        guard reading else { return }
        readEvent?.remove()
        reading = false
    }

    /// Moves an unfinished message to the front of `input` once the ones before it are consumed.
    private func compactInput() {
        if inputStart == inputEnd {
            inputStart = 0
            inputEnd = 0
        } else if inputStart > 0 {
            // The regions overlap when the unfinished message is longer than what was consumed: memmove.
            memmove(input, input + inputStart, inputEnd - inputStart)
            inputEnd -= inputStart
            inputStart = 0
        }
    }

    /// Ensures `input` has free space: grows it when one unfinished message fills it, up to a whole message.
    private func makeRoomToRead() {
        guard inputEnd == inputCapacity else { return }
        precondition(inputStart == 0, "compactInput runs after every batch of answers")
        let largest = 2 + TCPLimits.maxMessageSize
        precondition(inputCapacity < largest, "a full buffer of one whole message would have been answered")
        let grown = UnsafeMutableRawPointer.allocate(byteCount: min(inputCapacity * 2, largest), alignment: 16)
        grown.copyMemory(from: input, byteCount: inputEnd)
        input.deallocate()
        input = grown
        inputCapacity = min(inputCapacity * 2, largest)
    }
}
