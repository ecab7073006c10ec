import Glibc

/// A socket bound to 127.0.0.1 on a port the kernel picks, for tests that need a peer the server's own code would
/// never be: one that never accepts, one that hangs up halfway, or one that holds a port. The test closes it.
public struct LoopbackSocket {
    public let descriptor: Int32
    /// Where it is bound, for `connect` and for the port.
    public let address: sockaddr_in
    public var port: UInt16 { UInt16(bigEndian: address.sin_port) }

    public struct SetupError: Error {}

    /// `type`: `SOCK_STREAM` or `SOCK_DGRAM`; with `listenBacklog`, a stream socket also listens.
    public init(type: Int32, listenBacklog: Int32? = nil) throws {
        descriptor = socket(AF_INET, type, 0)
        guard descriptor >= 0 else { throw SetupError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = descriptor
        let ready = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && (listenBacklog.map { listen(descriptor, $0) == 0 } ?? true)
                    && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard ready else {
            Glibc.close(descriptor)
            throw SetupError()
        }
        self.address = address
    }

    /// Connects `other` (a socket of the same type) to this one; the result of `connect(2)`.
    public func connect(_ other: Int32) -> Int32 {
        var address = address
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(other, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    public func close() {
        Glibc.close(descriptor)
    }
}
