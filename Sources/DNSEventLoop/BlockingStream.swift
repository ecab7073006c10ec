internal import CSocketShims
internal import CTLS
internal import Glibc
import Synchronization

/// A TCP connection, optionally TLS, with blocking reads and writes bounded by timeouts: for threads that may wait,
/// such as the Kubernetes API watch, never for the DNS loops. `interrupt()` from another thread ends a blocked read.
public final class BlockingStream: @unchecked Sendable {
    // @unchecked: `tls` is used by the owning thread only; `state` (the descriptor's life) is behind a mutex so that
    // `interrupt()` may come from anywhere.
    private let state: Mutex<Int32?>
    private var tls: OpaquePointer?
    private let descriptor: Int32

    public enum StreamError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Nothing arrived within the receive timeout (or the connection took longer than its timeout).
        case timedOut
        case failed(String)

        public var description: String {
            switch self {
            case .timedOut: "timed out"
            case .failed(let reason): reason
            }
        }
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        state = Mutex(descriptor)
    }

    deinit {
        close()
    }

    /// Connects to `host` (a name resolved with getaddrinfo, or an address literal) within `timeout`, then starts TLS
    /// when `tls` is given, checking the certificate against `serverName` (default: `host`). `isCancelled` is asked
    /// while the TCP handshake waits, so that a stop need not wait for an address that never answers.
    public static func connect(
        host: String, port: UInt16, timeout: Duration, tls: TLSContext?, serverName: String? = nil,
        isCancelled: () -> Bool = { false }
    ) throws(StreamError) -> BlockingStream {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            throw .failed("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = StreamError.failed("\(host) has no address")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            entry = current.pointee.ai_next
            do {
                let stream = try connect(to: current.pointee, timeout: timeout, isCancelled: isCancelled)
                if let tls {
                    try stream.startTLS(tls, serverName: serverName ?? host)
                }
                return stream
            } catch {
                lastError = error
                if case .failed(let reason) = error, reason.hasPrefix("TLS") { throw error }
            }
        }
        throw lastError
    }

    /// How often a waiting connect asks whether it was cancelled.
    static let cancelCheckInterval = Duration.milliseconds(100)

    private static func connect(to address: addrinfo, timeout: Duration, isCancelled: () -> Bool) throws(StreamError)
        -> BlockingStream
    {
        let descriptor = Glibc.socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .failed("socket: \(describe(errno))") }
        let stream = BlockingStream(descriptor: descriptor)
        // Non-blocking while connecting, so that an address that never answers costs `timeout`, not minutes.
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(descriptor, address.ai_addr, address.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw .failed("connect: \(describe(errno))") }
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let deadline = ContinuousClock.now + timeout
            var ready: Int32 = 0
            while ready == 0 {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { throw .timedOut }
                guard !isCancelled() else { throw .failed("cancelled") }
                ready = poll(&poller, 1, Int32(clamping: min(left, cancelCheckInterval).milliseconds))
                if ready < 0, errno == EINTR { ready = 0 }
            }
            guard ready > 0 else { throw .failed("poll: \(describe(errno))") }
            var pending: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &pending, &length)
            guard pending == 0 else { throw .failed("connect: \(describe(pending))") }
        }
        _ = fcntl(descriptor, F_SETFL, flags)
        _ = CSocketShims_setNoDelay(descriptor)
        // The TLS handshake and the request are bounded by the same timeout until the caller sets its own.
        stream.setReceiveTimeout(timeout)
        stream.setSendTimeout(timeout)
        return stream
    }

    /// Takes an accepted connection (the tests' fake API server), starting TLS as the server when `tls` is given.
    public static func accepted(descriptor: Int32, tls: TLSContext?, timeout: Duration) throws(StreamError)
        -> BlockingStream
    {
        let stream = BlockingStream(descriptor: descriptor)
        stream.setReceiveTimeout(timeout)
        stream.setSendTimeout(timeout)
        if let tls {
            var error = [CChar](repeating: 0, count: 512)
            guard let session = ctls_accept(tls.context, descriptor, &error, error.count) else {
                throw .failed(String(cStringBuffer: error))
            }
            stream.tls = session
        }
        return stream
    }

    private func startTLS(_ context: TLSContext, serverName: String) throws(StreamError) {
        var error = [CChar](repeating: 0, count: 512)
        guard let session = ctls_connect(context.context, descriptor, serverName, &error, error.count) else {
            throw .failed(String(cStringBuffer: error))
        }
        tls = session
    }

    /// The common name of the client's verified certificate (server side), or "".
    public var peerCommonName: String {
        guard let tls else { return "" }
        var name = [CChar](repeating: 0, count: 256)
        ctls_peer_common_name(tls, &name, name.count)
        return String(cStringBuffer: name)
    }

    /// A read waits at most this long for the next bytes, then throws `.timedOut`.
    public func setReceiveTimeout(_ timeout: Duration) {
        setTimeout(SO_RCVTIMEO, timeout)
    }

    public func setSendTimeout(_ timeout: Duration) {
        setTimeout(SO_SNDTIMEO, timeout)
    }

    private func setTimeout(_ option: Int32, _ timeout: Duration) {
        // Zero would mean "wait for ever" to the kernel.
        var value = timeval(max(timeout, .milliseconds(1)))
        _ = setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads what has arrived (at least one byte), or 0 at the end of the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if let tls {
            var error = [CChar](repeating: 0, count: 256)
            let count = ctls_read(tls, base, buffer.count, &error, error.count)
            if count >= 0 { return count }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
            throw .failed(String(cStringBuffer: error))
        }
        while true {
            let count = Glibc.recv(descriptor, base, buffer.count, 0)
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw .timedOut
            default: throw .failed("recv: \(Self.describe(errno))")
            }
        }
    }

    public func write(_ bytes: [UInt8]) throws(StreamError) {
        if let tls {
            var error = [CChar](repeating: 0, count: 256)
            let result = bytes.withUnsafeBytes { ctls_write_all(tls, $0.baseAddress, $0.count, &error, error.count) }
            guard result == 0 else {
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut }
                throw .failed(String(cStringBuffer: error))
            }
            return
        }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw .timedOut
            default: throw .failed("send: \(Self.describe(errno))")
            }
        }
    }

    /// Ends the connection in both directions, waking a read blocked on another thread; the owner still calls
    /// `close()`.
    public func interrupt() {
        state.withLock { descriptor in
            if let descriptor { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }

    /// Closes the connection (TLS close_notify first when the session is healthy). Idempotent.
    public func close() {
        if let tls {
            ctls_close(tls)
            self.tls = nil
        }
        state.withLock { descriptor in
            if let open = descriptor {
                Syscall.close(open)
                descriptor = nil
            }
        }
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
