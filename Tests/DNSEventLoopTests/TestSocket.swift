import DNSEventLoop
import Foundation
import Glibc

/// A blocking client socket with receive and send timeouts, written with plain Glibc calls so the tests do not trust
/// the code under test to build addresses.
final class TestSocket {
    enum ReadResult: Equatable {
        case bytes([UInt8])
        case endOfStream
        case timedOut
        case failed(Int32)
    }

    let descriptor: Int32

    init(udpFor address: SocketAddress) throws {
        descriptor = socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        setTimeouts(seconds: 5)
    }

    /// Connects a TCP socket, with TCP_NODELAY so each `write` leaves as its own segment.
    /// `receiveBuffer` shrinks SO_RCVBUF before connecting (the window is fixed then), to make the server block.
    init(tcpConnectingTo address: SocketAddress, receiveBuffer: Int32? = nil) throws {
        descriptor = socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        setTimeouts(seconds: 5)
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var on: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        var (storage, length) = Self.cAddress(for: address)
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, length) }
        }
        guard result == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(.init(rawValue: code)!)
        }
    }

    deinit {
        close(descriptor)
    }

    func setTimeouts(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The `sockaddr` for `address`, built with inet_pton and htons independently of `SocketAddress`'s own code.
    static func cAddress(for address: SocketAddress) -> (sockaddr_storage, socklen_t) {
        var storage = sockaddr_storage()
        if address.isIPv6 {
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = address.port.bigEndian
            precondition(inet_pton(AF_INET6, address.hostText, &v6.sin6_addr) == 1)
            withUnsafeBytes(of: v6) { source in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
            }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = address.port.bigEndian
        precondition(inet_pton(AF_INET, address.hostText, &v4.sin_addr) == 1)
        withUnsafeBytes(of: v4) { source in
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
        }
        return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
    }

    /// The local port, so a test can tell its sockets apart.
    var localPort: UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    func send(_ bytes: [UInt8], to address: SocketAddress) {
        var (storage, length) = Self.cAddress(for: address)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, length)
                }
            }
        }
        precondition(sent == bytes.count, "sendto failed: errno \(errno)")
    }

    /// One datagram, or up to `maximum` bytes of a stream.
    func read(maximum: Int = 70_000) -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: maximum)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, maximum, 0) }
        if count > 0 { return .bytes(Array(buffer[..<count])) }
        if count == 0 { return .endOfStream }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .timedOut : .failed(errno)
    }

    /// Writes all of `bytes` to a stream.
    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            precondition(written > 0, "send failed: errno \(errno)")
            offset += written
        }
    }

    /// Reads exactly `count` bytes from a stream; nil on end of stream, timeout or error.
    func read(exactly count: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            guard case .bytes(let chunk) = read(maximum: count - bytes.count) else { return nil }
            bytes += chunk
        }
        return bytes
    }

    /// One RFC 7766 frame: the two-byte length, then the message.
    func writeFrame(_ message: [UInt8]) {
        write(Self.frame(message))
    }

    /// Reads one RFC 7766 frame; nil on end of stream, timeout or error.
    func readFrame() -> [UInt8]? {
        guard let prefix = read(exactly: 2) else { return nil }
        let length = Int(prefix[0]) << 8 | Int(prefix[1])
        return length == 0 ? [] : read(exactly: length)
    }

    static func frame(_ message: [UInt8]) -> [UInt8] {
        [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    /// Sends FIN: no more queries.
    func shutdownWrite() {
        shutdown(descriptor, Int32(SHUT_WR))
    }
}
