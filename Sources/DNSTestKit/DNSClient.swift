import DNSWire
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small blocking DNS client for tests: one query over UDP or TCP to a loopback server, with a timeout so that a
/// test can never hang.
public struct DNSClient: Sendable {
    public enum Transport: Sendable {
        case udp
        case tcp
    }

    public enum ClientError: Error, CustomStringConvertible {
        case badAddress(String)
        case socket(String, Int32)
        case timedOut
        case closed

        public var description: String {
            switch self {
            case .badAddress(let text): "not an address: \(text)"
            case .socket(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
            case .timedOut: "no reply before the timeout"
            case .closed: "the server closed the connection"
            }
        }
    }

    public let host: String
    public let port: UInt16
    public var timeout: Duration

    public init(host: String = "127.0.0.1", port: UInt16, timeout: Duration = .seconds(3)) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    /// Sends `message` and decodes the reply.
    public func query(_ message: Message, over transport: Transport = .udp) throws -> Message {
        let reply = try exchange(message.encoded(), over: transport)
        return try Message(decoding: reply)
    }

    /// Sends a question (RD set, EDNS with a 1232-byte payload unless `edns` is nil) and decodes the reply.
    public func query(
        _ name: String, _ type: RecordType, over transport: Transport = .udp,
        edns: EDNS? = EDNS(udpPayloadSize: 1232, extendedResponseCode: 0, version: 0, dnssecOK: false, options: [])
    ) throws -> Message {
        let message = Message.query(
            id: UInt16.random(in: 0...UInt16.max), name: try Name(name), type: type, recursionDesired: true,
            edns: edns)
        return try query(message, over: transport)
    }

    /// Sends raw bytes and returns the raw reply (for malformed-input tests).
    public func exchange(_ bytes: [UInt8], over transport: Transport = .udp) throws -> [UInt8] {
        let fd = try openSocket(transport)
        defer { close(fd) }
        switch transport {
        case .udp:
            try sendAll(fd, bytes)
            return try receive(fd, maximum: 65535)
        case .tcp:
            try sendAll(fd, [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes)
            let prefix = try receiveExactly(fd, 2)
            return try receiveExactly(fd, Int(prefix[0]) << 8 | Int(prefix[1]))
        }
    }

    /// Sends raw bytes over UDP and reports whether any reply came back before the timeout.
    public func expectNoReply(to bytes: [UInt8]) throws -> Bool {
        let fd = try openSocket(.udp)
        defer { close(fd) }
        try sendAll(fd, bytes)
        do {
            _ = try receive(fd, maximum: 65535)
            return false
        } catch ClientError.timedOut {
            return true
        }
    }

    /// A connected TCP socket for tests that drive framing by hand; the caller closes it.
    public func connectTCP() throws -> Int32 {
        try openSocket(.tcp)
    }

    private func openSocket(_ transport: Transport) throws -> Int32 {
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        if host.contains(":") {
            family = AF_INET6
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw ClientError.badAddress(host) }
            withUnsafeBytes(of: address) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            family = AF_INET
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw ClientError.badAddress(host) }
            withUnsafeBytes(of: address) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        let type = transport == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        let fd = socket(family, type, 0)
        guard fd >= 0 else { throw ClientError.socket("socket", errno) }
        let (seconds, attoseconds) = timeout.components
        var interval = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw ClientError.socket("connect", code)
        }
        return fd
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard result >= 0 else {
                if errno == EINTR { continue }
                throw ClientError.socket("send", errno)
            }
            sent += result
        }
    }

    private func receive(_ fd: Int32, maximum: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let result = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if result >= 0 {
                if result == 0, maximum > 0, isStream(fd) { throw ClientError.closed }
                return Array(buffer[0..<result])
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw ClientError.timedOut }
            throw ClientError.socket("recv", errno)
        }
    }

    private func receiveExactly(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        while result.count < count {
            let chunk = try receive(fd, maximum: count - result.count)
            result += chunk
        }
        return result
    }

    private func isStream(_ fd: Int32) -> Bool {
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length)
        return type == Int32(SOCK_STREAM.rawValue)
    }
}
