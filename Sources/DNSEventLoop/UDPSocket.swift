internal import CLibevent
internal import CSocketShims
internal import Glibc

/// A non-blocking datagram socket on an `EventBase` for talking to other servers, e.g. the forwarder's queries to
/// upstreams: it sends to any address and reports each datagram's source, so replies can be matched against the
/// server they were sent to (DESIGN.md: accept upstream replies only when source, ID and question match).
///
/// Unlike `UDPService` it has no SO_REUSEPORT and no batching: a worker's upstream traffic is a small share of its
/// queries. Sending and receiving allocate nothing. Use it on the base's thread only.
public final class UDPSocket {
    /// One received datagram.
    public struct Datagram: Sendable, Hashable {
        /// Bytes stored in the caller's buffer.
        public let count: Int
        public let source: SocketAddress
        /// The datagram was longer than the buffer; its tail is lost.
        public let isTruncated: Bool
    }

    /// The address bound, with the kernel's port.
    public let localAddress: SocketAddress
    private var descriptor: Int32
    private var event: Event?

    /// Binds `address` (usually `0.0.0.0:0` or `[::]:0`; its family is the family of every destination) and calls
    /// `onReadable` on the base's thread whenever datagrams wait; the handler should `receive` until it returns nil.
    public init(base: EventBase, bindTo address: SocketAddress, _ onReadable: @escaping () -> Void) throws(IOError) {
        precondition(!address.isAllAddresses, "pick a family: 0.0.0.0:0 or [::]:0")
        let descriptor = try Syscall.socket(family: address.isIPv6 ? AF_INET6 : AF_INET, stream: false)
        do {
            try address.withSockaddr { storage, length throws(IOError) in
                try Syscall.bind(descriptor, storage, length)
            }
            var bound = try Syscall.localAddress(descriptor)
            guard let local = SocketAddress(&bound) else {
                preconditionFailure("getsockname returned a family we did not bind")
            }
            localAddress = local
        } catch {
            Syscall.close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        let event = Event(base: base, descriptor: descriptor, flags: EV_READ | EV_PERSIST) { _ in onReadable() }
        self.event = event
        do {
            try event.add()
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Sends one datagram; false when the send buffer is full (the datagram is not sent).
    public func send(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) throws(IOError) -> Bool {
        precondition(descriptor >= 0, "UDPSocket used after close()")
        let result = try destination.withSockaddr { storage, length throws(IOError) in
            try Syscall.sendto(descriptor, datagram.baseAddress, datagram.count, storage, length)
        }
        switch result {
        case .processed: return true
        case .wouldBlock: return false
        }
    }

    /// Receives one waiting datagram into `buffer`; nil when none is waiting.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(IOError) -> Datagram? {
        precondition(descriptor >= 0, "UDPSocket used after close()")
        var storage = sockaddr_storage()
        switch try Syscall.recvfrom(descriptor, buffer.baseAddress, buffer.count, &storage) {
        case .wouldBlock:
            return nil
        case .processed(let length):
            // Only AF_INET/AF_INET6 can reach a socket of those families.
            guard let source = SocketAddress(&storage) else { preconditionFailure("datagram from a foreign family") }
            // With MSG_TRUNC, recvfrom returns the datagram's real length.
            return Datagram(count: min(length, buffer.count), source: source, isTruncated: length > buffer.count)
        }
    }

    /// Stops watching and closes the socket. Idempotent.
    public func close() {
        // The event goes before the descriptor (see UDPService.stop).
        event?.free()
        event = nil
        if descriptor >= 0 {
            Syscall.close(descriptor)
            descriptor = -1
        }
    }
}
