internal import CSocketShims
internal import Glibc

/// The preallocated recvmmsg/sendmmsg state of one UDP socket: headers, vectors, source addresses, and receive and
/// response buffers, all made once at init so the steady state allocates nothing.
///
/// Slot `i` of every array belongs to the `i`th datagram of the current batch; replies are queued into the send
/// headers in order and point at the response buffer and source address of their query's slot.
final class UDPBatch {
    /// Datagrams per recvmmsg/sendmmsg: enough to amortize the syscall, small enough that one batch's latency stays
    /// low and the buffers (2 × 32 × 4 KiB) stay in cache.
    static let size = 32
    /// Per-datagram buffer. 4096 bytes covers the EDNS buffer sizes clients advertise in practice (1232 is the DNS
    /// Flag Day 2020 default; RFC 6891 section 6.2.5 suggests 4096 at most); a larger query is dropped as truncated.
    static let bufferSize = 4096
    /// Batches per readable callback before yielding to the loop's other events (fairness with TCP and timers).
    static let maxBatchesPerWakeup = 4

    private let receiveHeaders: UnsafeMutablePointer<CSocketShims_mmsghdr>
    private let sendHeaders: UnsafeMutablePointer<CSocketShims_mmsghdr>
    private let receiveVectors: UnsafeMutablePointer<iovec>
    private let sendVectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    private let receiveBuffers: UnsafeMutableRawPointer
    private let responseBuffers: UnsafeMutableRawPointer
    /// Datagrams the last `receive` returned: only their headers need resetting.
    private var received = 0
    /// Replies queued for `flush`.
    private var queued = 0

    init() {
        let size = Self.size
        receiveHeaders = .allocate(capacity: size)
        receiveHeaders.initialize(repeating: CSocketShims_mmsghdr(), count: size)
        sendHeaders = .allocate(capacity: size)
        sendHeaders.initialize(repeating: CSocketShims_mmsghdr(), count: size)
        receiveVectors = .allocate(capacity: size)
        receiveVectors.initialize(repeating: iovec(), count: size)
        sendVectors = .allocate(capacity: size)
        sendVectors.initialize(repeating: iovec(), count: size)
        addresses = .allocate(capacity: size)
        addresses.initialize(repeating: sockaddr_storage(), count: size)
        // 16-byte alignment is more than any DNS parser needs; buffers never share a cache line with headers.
        receiveBuffers = .allocate(byteCount: size * Self.bufferSize, alignment: 16)
        responseBuffers = .allocate(byteCount: size * Self.bufferSize, alignment: 16)

        for index in 0..<size {
            receiveVectors[index] = iovec(
                iov_base: receiveBuffers + index * Self.bufferSize, iov_len: Self.bufferSize)
            receiveHeaders[index].msg_hdr.msg_name = UnsafeMutableRawPointer(addresses + index)
            receiveHeaders[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            receiveHeaders[index].msg_hdr.msg_iov = receiveVectors + index
            receiveHeaders[index].msg_hdr.msg_iovlen = 1
            // Send slot i always uses vector i; `queue` fills in the vector and the destination.
            sendHeaders[index].msg_hdr.msg_iov = sendVectors + index
            sendHeaders[index].msg_hdr.msg_iovlen = 1
        }
    }

    deinit {
        receiveHeaders.deallocate()
        sendHeaders.deallocate()
        receiveVectors.deallocate()
        sendVectors.deallocate()
        addresses.deallocate()
        receiveBuffers.deallocate()
        responseBuffers.deallocate()
    }

    /// Receives up to `size` datagrams; 0 when none is waiting. The socket is non-blocking, which matters: on a
    /// blocking socket recvmmsg waits until the whole batch is full.
    @inline(__always)
    func receive(from descriptor: Int32) throws(IOError) -> Int {
        precondition(queued == 0, "flush the previous batch's replies before receiving over their addresses")
        // The kernel overwrote the name lengths of the slots it filled last time.
        for index in 0..<received {
            receiveHeaders[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        }
        switch try Syscall.recvmmsg(descriptor, receiveHeaders, Self.size) {
        case .processed(let count):
            received = Int(count)
        case .wouldBlock:
            received = 0
        }
        return received
    }

    /// The datagram in slot `index`, cut to the bytes received.
    @inline(__always)
    func datagram(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(
            start: receiveBuffers + index * Self.bufferSize, count: Int(receiveHeaders[index].msg_len))
    }

    /// MSG_TRUNC: the datagram was longer than `bufferSize` and its tail is lost.
    @inline(__always)
    func isTruncated(_ index: Int) -> Bool {
        receiveHeaders[index].msg_hdr.msg_flags & CSocketShims_MSG_TRUNC != 0
    }

    /// The source port of slot `index`, host order.
    @inline(__always)
    func sourcePort(_ index: Int) -> UInt16 {
        CSocketShims_sockaddrPort(addresses + index)
    }

    /// The source address of slot `index`.
    func sourceAddress(_ index: Int) -> SocketAddress? {
        SocketAddress(addresses + index)
    }

    /// Where the reply to slot `index` is written.
    @inline(__always)
    func responseBuffer(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: responseBuffers + index * Self.bufferSize, count: Self.bufferSize)
    }

    /// Queues the first `length` bytes of slot `index`'s response buffer for its query's source address.
    @inline(__always)
    func queueReply(_ index: Int, length: Int) {
        precondition(length > 0 && length <= Self.bufferSize, "reply longer than the response buffer")
        sendVectors[queued] = iovec(iov_base: responseBuffers + index * Self.bufferSize, iov_len: length)
        sendHeaders[queued].msg_hdr.msg_name = UnsafeMutableRawPointer(addresses + index)
        sendHeaders[queued].msg_hdr.msg_namelen = receiveHeaders[index].msg_hdr.msg_namelen
        queued += 1
    }

    /// Sends the queued replies; returns how many went out and how many failed. A full send buffer drops the rest:
    /// a DNS client retries, and waiting for EV_WRITE would stall every other query on this worker.
    @inline(__always)
    func flush(to descriptor: Int32) -> (sent: Int, failed: Int) {
        var offset = 0
        var sent = 0
        var failed = 0
        while offset < queued {
            do {
                switch try Syscall.sendmmsg(descriptor, sendHeaders + offset, queued - offset) {
                case .processed(let count) where count > 0:
                    offset += Int(count)
                    sent += Int(count)
                case .processed:
                    // sendmmsg(2) returns at least 1 or fails; never spin if a kernel says otherwise.
                    failed += queued - offset
                    offset = queued
                case .wouldBlock:
                    failed += queued - offset
                    offset = queued
                }
            } catch {
                // sendmmsg reports the error of the first message it could not send (EHOSTUNREACH, EPERM from a
                // firewall, ...): skip that one and send the rest.
                failed += 1
                offset += 1
            }
        }
        queued = 0
        return (sent, failed)
    }
}
