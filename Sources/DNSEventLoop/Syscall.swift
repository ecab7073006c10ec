internal import CSocketShims
internal import Glibc

/// The one place system calls are made and their `errno` interpreted.
///
/// Every call retries on EINTR, reports EAGAIN/EWOULDBLOCK as `.wouldBlock`, throws `IOError` for conditions the
/// program must handle, and traps on errnos that can only mean a bug in this process: EBADF (a descriptor we closed
/// or never had), EFAULT (a bad pointer) and, for calls whose arguments we fully control, EINVAL.
enum Syscall {
    /// Runs `body` until it does not fail with EINTR; `body` returns -1 and sets `errno` on failure.
    @inline(__always)
    static func run<Result: FixedWidthInteger>(
        _ function: StaticString, invalidArgumentIsBug: Bool = true, _ body: () -> Result
    ) throws(IOError) -> IOResult<Result> {
        while true {
            let result = body()
            if result >= 0 {
                return .processed(result)
            }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                return .wouldBlock
            case EBADF, EFAULT:
                preconditionFailure("\(function) failed with errno \(code): a bug in the caller")
            case EINVAL where invalidArgumentIsBug:
                preconditionFailure("\(function) failed with EINVAL: a bug in the caller")
            default:
                throw IOError(function: function, errno: code)
            }
        }
    }

    /// Like `run`, for calls on blocking-irrelevant descriptors (setsockopt, bind, listen): EAGAIN is an error too.
    @inline(__always)
    static func check<Result: FixedWidthInteger>(
        _ function: StaticString, invalidArgumentIsBug: Bool = true, _ body: () -> Result
    ) throws(IOError) -> Result {
        switch try run(function, invalidArgumentIsBug: invalidArgumentIsBug, body) {
        case .processed(let result): return result
        case .wouldBlock: throw IOError(function: function, errno: EAGAIN)
        }
    }

    /// close(2). Linux releases the descriptor even when close is interrupted, so EINTR must not be retried (the
    /// number may already belong to another thread's new socket); EBADF is a double close, a bug.
    static func close(_ descriptor: Int32) {
        if Glibc.close(descriptor) != 0 {
            let code = errno
            precondition(code != EBADF, "close(\(descriptor)): descriptor was not open")
        }
    }

    // MARK: One-line wrappers for the C calls this module makes.

    static func socket(family: Int32, stream: Bool) throws(IOError) -> Int32 {
        try check("socket", invalidArgumentIsBug: false) { CSocketShims_socket(family, stream ? 1 : 0) }
    }

    static func setReusePort(_ descriptor: Int32) throws(IOError) {
        _ = try check("setsockopt(SO_REUSEPORT)") { CSocketShims_setReusePort(descriptor) }
    }

    static func setReuseAddress(_ descriptor: Int32) throws(IOError) {
        _ = try check("setsockopt(SO_REUSEADDR)") { CSocketShims_setReuseAddress(descriptor) }
    }

    static func setV6Only(_ descriptor: Int32, _ on: Bool) throws(IOError) {
        _ = try check("setsockopt(IPV6_V6ONLY)") { CSocketShims_setV6Only(descriptor, on ? 1 : 0) }
    }

    static func setNoDelay(_ descriptor: Int32) throws(IOError) {
        _ = try check("setsockopt(TCP_NODELAY)") { CSocketShims_setNoDelay(descriptor) }
    }

    static func bind(
        _ descriptor: Int32, _ storage: UnsafePointer<sockaddr_storage>, _ length: socklen_t
    ) throws(IOError) {
        // EINVAL from bind means "already bound": we never rebind, so that is a bug.
        _ = try check("bind") { CSocketShims_bind(descriptor, storage, length) }
    }

    static func listen(_ descriptor: Int32, backlog: Int32) throws(IOError) {
        _ = try check("listen") { Glibc.listen(descriptor, backlog) }
    }

    static func localAddress(_ descriptor: Int32) throws(IOError) -> sockaddr_storage {
        var storage = sockaddr_storage()
        _ = try check("getsockname") { CSocketShims_getsockname(descriptor, &storage) }
        return storage
    }

    /// getpeername(2): the address of a connected socket's peer. ENOTCONN (the peer already reset) is thrown.
    static func peerAddress(_ descriptor: Int32) throws(IOError) -> sockaddr_storage {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // sockaddr_storage is sized and aligned for every sockaddr_* the kernel writes, which is its purpose.
        _ = try check("getpeername") {
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.getpeername(descriptor, $0, &length) }
            }
        }
        return storage
    }

    /// connect(2) on a non-blocking socket: `.wouldBlock` when the handshake is under way (EINPROGRESS); the outcome
    /// is then read with `pendingError` once the socket is writable.
    static func connect(
        _ descriptor: Int32, _ storage: UnsafePointer<sockaddr_storage>, _ length: socklen_t
    ) throws(IOError) -> IOResult<Int32> {
        do {
            return try run("connect", invalidArgumentIsBug: false) {
                storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, length) }
            }
        } catch  where error.errno == EINPROGRESS {
            return .wouldBlock
        }
    }

    /// getsockopt(SO_ERROR): the error a non-blocking connect ended with; 0 when it succeeded.
    static func pendingError(_ descriptor: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code
    }

    static func accept(_ listener: Int32) throws(IOError) -> IOResult<Int32> {
        // EINVAL means the socket is not listening, which TCPService guarantees it is.
        try run("accept4") { CSocketShims_accept(listener) }
    }

    static func read(
        _ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int
    ) throws(IOError) -> IOResult<Int> {
        try run("read") { Glibc.read(descriptor, buffer, count) }
    }

    static func send(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) throws(IOError) -> IOResult<Int> {
        try run("send", invalidArgumentIsBug: false) { CSocketShims_send(descriptor, bytes, UInt(count)) }
    }

    static func write(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) throws(IOError) -> IOResult<Int> {
        try run("write") { Glibc.write(descriptor, bytes, count) }
    }

    static func sendto(
        _ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, _ storage: UnsafePointer<sockaddr_storage>,
        _ length: socklen_t
    ) throws(IOError) -> IOResult<Int> {
        // EINVAL here can be a destination of the wrong family: the caller's data, not our bug.
        try run("sendto", invalidArgumentIsBug: false) {
            CSocketShims_sendto(descriptor, bytes, UInt(count), storage, length)
        }
    }

    static func recvfrom(
        _ descriptor: Int32, _ bytes: UnsafeMutableRawPointer?, _ capacity: Int,
        _ storage: UnsafeMutablePointer<sockaddr_storage>
    ) throws(IOError) -> IOResult<Int> {
        try run("recvfrom") { CSocketShims_recvfrom(descriptor, bytes, UInt(capacity), storage) }
    }

    static func recvmmsg(
        _ descriptor: Int32, _ messages: UnsafeMutablePointer<CSocketShims_mmsghdr>, _ count: Int
    ) throws(IOError) -> IOResult<Int32> {
        try run("recvmmsg") { CSocketShims_recvmmsg(descriptor, messages, UInt32(count), 0) }
    }

    static func sendmmsg(
        _ descriptor: Int32, _ messages: UnsafeMutablePointer<CSocketShims_mmsghdr>, _ count: Int
    ) throws(IOError) -> IOResult<Int32> {
        // A destination the kernel rejects (EINVAL for a bad address family, say) is the client's problem, not ours.
        try run("sendmmsg", invalidArgumentIsBug: false) {
            CSocketShims_sendmmsg(descriptor, messages, UInt32(count), 0)
        }
    }

    static func eventfd() throws(IOError) -> Int32 {
        try check("eventfd", invalidArgumentIsBug: false) {
            CSocketShims_eventfd(0, CSocketShims_EFD_NONBLOCK | CSocketShims_EFD_CLOEXEC)
        }
    }
}
