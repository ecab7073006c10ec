internal import CSocketShims
internal import Glibc
import Synchronization

/// A bound (and, for TCP, listening) non-blocking socket with SO_REUSEPORT, waiting to be adopted by a `UDPService`
/// or `TCPService`.
///
/// Binding is separate from serving so the caller can bind on port 0, read the port the kernel chose, and bind every
/// other worker's sockets to that same port before any worker starts. It is `Sendable` so it can be bound on one
/// thread and adopted on the worker's thread; the descriptor is handed over exactly once.
public final class BoundSocket: Sendable {
    /// How deep the kernel's queue of completed, not yet accepted connections may be; the kernel caps it at
    /// `net.core.somaxconn`. Deep enough to ride out a burst while the worker is busy with a batch.
    public static let listenBacklog: Int32 = 1024

    public let transport: QueryTransport
    /// The address actually bound: the kernel's port when 0 was asked, `[::]` or `0.0.0.0` for `:PORT`.
    public let localAddress: SocketAddress
    /// -1 once adopted or closed.
    private let descriptor: Mutex<Int32>

    private init(transport: QueryTransport, descriptor: Int32, localAddress: SocketAddress) {
        self.transport = transport
        self.descriptor = Mutex(descriptor)
        self.localAddress = localAddress
    }

    deinit {
        close()
    }

    /// Binds a UDP socket to `address` (port 0 picks an ephemeral port).
    public static func bindUDP(_ address: SocketAddress) throws(IOError) -> BoundSocket {
        try bind(address, transport: .udp)
    }

    /// Binds a TCP socket to `address` and starts listening.
    public static func bindTCP(_ address: SocketAddress) throws(IOError) -> BoundSocket {
        try bind(address, transport: .tcp)
    }

    /// Binds UDP and TCP to the same port. With port 0 the kernel picks the UDP port, and TCP may find it taken by
    /// someone else's TCP socket, so this retries with a new port up to `attempts` times.
    public static func bindUDPAndTCP(
        _ address: SocketAddress, attempts: Int = 8
    ) throws(IOError) -> (udp: BoundSocket, tcp: BoundSocket) {
        guard address.port == 0 else {
            let udp = try bindUDP(address)
            return (udp, try bindTCP(address))
        }
        var lastError = IOError(function: "bind", errno: EADDRINUSE)
        for _ in 0..<max(attempts, 1) {
            let udp = try bindUDP(address)
            do {
                return (udp, try bindTCP(address.withPort(udp.localAddress.port)))
            } catch let error where error.errno == EADDRINUSE {
                udp.close()
                lastError = error
            }
        }
        throw lastError
    }

    /// Closes the socket unless a service adopted it. Idempotent.
    public func close() {
        let taken = descriptor.withLock { value in
            defer { value = -1 }
            return value
        }
        if taken >= 0 {
            Syscall.close(taken)
        }
    }

    /// Hands the descriptor to a service, which closes it from then on.
    func take() -> Int32 {
        let taken = descriptor.withLock { value in
            defer { value = -1 }
            return value
        }
        precondition(taken >= 0, "a BoundSocket is adopted once, and not after close()")
        return taken
    }

    private static func bind(_ address: SocketAddress, transport: QueryTransport) throws(IOError) -> BoundSocket {
        guard address.port != 0 else {
            // With SO_REUSEPORT set, Linux may hand out for port 0 a port that another SO_REUSEPORT socket of the
            // same user already has, and the two would then share its traffic (two test servers answering for each
            // other). A socket without it is only ever given a free port: take that port, release it, bind to it.
            var lastError = IOError(function: "bind", errno: EADDRINUSE)
            for _ in 0..<8 {
                let probe = try bindPlain(address, transport: transport)
                let port = probe.localAddress.port
                probe.close()
                do {
                    return try bindShared(address.withPort(port), transport: transport)
                } catch  where error.errno == EADDRINUSE {
                    lastError = error
                }
            }
            throw lastError
        }
        return try bindShared(address, transport: transport)
    }

    private static func bindPlain(_ address: SocketAddress, transport: QueryTransport) throws(IOError) -> BoundSocket {
        try bindChoosingFamily(address, transport: transport, reusePort: false)
    }

    private static func bindShared(
        _ address: SocketAddress, transport: QueryTransport
    ) throws(IOError) -> BoundSocket {
        try bindChoosingFamily(address, transport: transport, reusePort: true)
    }

    private static func bindChoosingFamily(
        _ address: SocketAddress, transport: QueryTransport, reusePort: Bool
    ) throws(IOError) -> BoundSocket {
        guard address.isAllAddresses else {
            return try bind(address, transport: transport, dualStack: false, reusePort: reusePort)
        }
        // `:PORT`: one dual-stack IPv6 socket serves both families; without IPv6 in the kernel (EAFNOSUPPORT) or on
        // any interface (EADDRNOTAVAIL), fall back to IPv4 only.
        do {
            return try bind(
                SocketAddress(host: .v6(high: 0, low: 0), port: address.port), transport: transport, dualStack: true,
                reusePort: reusePort)
        } catch let error where error.errno == EAFNOSUPPORT || error.errno == EADDRNOTAVAIL {
            return try bind(
                SocketAddress(host: .v4(0), port: address.port), transport: transport, dualStack: false,
                reusePort: reusePort)
        }
    }

    private static func bind(
        _ address: SocketAddress, transport: QueryTransport, dualStack: Bool, reusePort: Bool
    ) throws(IOError) -> BoundSocket {
        let stream = transport == .tcp
        let descriptor = try Syscall.socket(family: address.isIPv6 ? AF_INET6 : AF_INET, stream: stream)
        do {
            if reusePort {
                try Syscall.setReusePort(descriptor)
            }
            if stream {
                try Syscall.setReuseAddress(descriptor)
            }
            if address.isIPv6 {
                try Syscall.setV6Only(descriptor, !dualStack)
            }
            try address.withSockaddr { storage, length throws(IOError) in
                try Syscall.bind(descriptor, storage, length)
            }
            if stream, reusePort {
                try Syscall.listen(descriptor, backlog: listenBacklog)
            }
            var bound = try Syscall.localAddress(descriptor)
            guard let local = SocketAddress(&bound) else {
                preconditionFailure("getsockname returned a family we did not bind")
            }
            return BoundSocket(transport: transport, descriptor: descriptor, localAddress: local)
        } catch {
            Syscall.close(descriptor)
            throw error
        }
    }
}
