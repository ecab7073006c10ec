internal import CLibevent
internal import Glibc

/// One DNS message sent over a new TCP connection and its one reply read back (RFC 7766 framing), without blocking:
/// what a forwarder needs when an upstream's UDP reply came back truncated (RFC 7766 §5) or when it forwards over
/// TCP only.
///
/// The connection is made for the exchange and closed after it; `completion` runs exactly once on the base's
/// thread, with the reply or the error, unless `cancel()` came first. The whole exchange is bounded by `timeout`.
public final class TCPExchange {
    public enum Failure: Error, Sendable, Equatable {
        case io(IOError)
        /// The peer closed before a whole reply arrived.
        case closed
        case timedOut
    }

    public let destination: SocketAddress
    private var descriptor: Int32
    private var event: Event?
    private var completion: ((Result<[UInt8], Failure>) -> Void)?
    /// The framed query and how much of it is written.
    private let output: [UInt8]
    private var written = 0
    private var connected = false
    /// Reply bytes read so far, prefix included.
    private var input: [UInt8] = []
    private let deadline: ContinuousClock.Instant
    private let timeout: Duration
    private weak var base: EventBase?

    /// Starts connecting to `destination` on `base` and sends `message` once connected.
    public init(
        base: EventBase, to destination: SocketAddress, message: [UInt8], timeout: Duration,
        completion: @escaping (Result<[UInt8], Failure>) -> Void
    ) throws(IOError) {
        precondition(!destination.isAllAddresses, "connect to an address, not :PORT")
        precondition(!message.isEmpty && message.count <= TCPLimits.maxMessageSize, "a DNS message is 1...65535 bytes")
        self.destination = destination
        self.completion = completion
        self.timeout = timeout
        deadline = .now + timeout
        output = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
        descriptor = try Syscall.socket(family: destination.isIPv6 ? AF_INET6 : AF_INET, stream: true)
        do {
            try? Syscall.setNoDelay(descriptor)
            switch try destination.withSockaddr({ storage, length throws(IOError) in
                try Syscall.connect(descriptor, storage, length)
            }) {
            case .processed: connected = true
            case .wouldBlock: break
            }
        } catch {
            Syscall.close(descriptor)
            descriptor = -1
            throw error
        }
        // Write first (the handshake's end shows as writable), then read; the timeout covers each wait and the
        // deadline the whole exchange.
        let event = Event(base: base, descriptor: descriptor, flags: EV_WRITE | EV_PERSIST) { [unowned self] what in
            self.writable(what)
        }
        self.event = event
        do {
            try event.add(timeout: timeout)
        } catch {
            close()
            throw error
        }
        self.base = base
    }

    deinit {
        close()
    }

    /// Closes the connection; `completion` will not run. Idempotent.
    public func cancel() {
        completion = nil
        close()
    }

    private func close() {
        event?.free()
        event = nil
        if descriptor >= 0 {
            Syscall.close(descriptor)
            descriptor = -1
        }
    }

    private func finish(_ result: Result<[UInt8], Failure>) {
        let completion = self.completion
        self.completion = nil
        close()
        completion?(result)
    }

    private func timedOut(_ what: Int16) -> Bool {
        guard Int32(what) & EV_TIMEOUT != 0 || ContinuousClock.now >= deadline else { return false }
        finish(.failure(.timedOut))
        return true
    }

    private func writable(_ what: Int16) {
        guard !timedOut(what) else { return }
        if !connected {
            let code = Syscall.pendingError(descriptor)
            guard code == 0 else {
                finish(.failure(.io(IOError(function: "connect", errno: code))))
                return
            }
            connected = true
        }
        while written < output.count {
            do throws(IOError) {
                // Array's closure-taking methods rethrow untyped errors: carry the typed one out in a Result.
                let result = try output.withUnsafeBytes { bytes in
                    Result { () throws(IOError) in
                        try Syscall.send(descriptor, bytes.baseAddress! + written, output.count - written)
                    }
                }.get()
                switch result {
                case .processed(let count): written += count
                case .wouldBlock: return
                }
            } catch {
                finish(.failure(.io(error)))
                return
            }
        }
        // All sent: watch for the reply instead.
        event?.free()
        guard let base else {
            finish(.failure(.closed))
            return
        }
        let reader = Event(base: base, descriptor: descriptor, flags: EV_READ | EV_PERSIST) { [unowned self] what in
            self.readable(what)
        }
        event = reader
        do {
            try reader.add(timeout: max(deadline - .now, .milliseconds(1)))
        } catch {
            finish(.failure(.io(error)))
        }
    }

    private func readable(_ what: Int16) {
        guard !timedOut(what) else { return }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let result: IOResult<Int>
            do throws(IOError) {
                result = try chunk.withUnsafeMutableBytes { bytes in
                    Result { () throws(IOError) in try Syscall.read(descriptor, bytes.baseAddress!, bytes.count) }
                }.get()
            } catch {
                finish(.failure(.io(error)))
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                finish(.failure(.closed))
                return
            case .processed(let count):
                input += chunk[..<count]
                if input.count >= 2 {
                    let length = Int(input[0]) << 8 | Int(input[1])
                    if input.count >= 2 + length {
                        finish(.success(Array(input[2..<(2 + length)])))
                        return
                    }
                }
            }
        }
    }
}
