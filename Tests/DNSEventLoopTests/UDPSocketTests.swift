import DNSEventLoop
import Testing

/// A `UDPSocket` (the forwarder's kind) talking to a `UDPService` on the same loop.
struct UDPSocketTests {
    /// What the socket received, as plain values that can leave the loop thread.
    struct Received: Sendable, Equatable {
        let bytes: [UInt8]
        let source: SocketAddress
        let isTruncated: Bool
    }

    /// The loop thread's objects; the socket's handler reaches the socket through it.
    final class State {
        var service: UDPService<EchoHandler>?
        var socket: UDPSocket?
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
        deinit { buffer.deallocate() }
    }

    static func setUp(_ host: String, delivering received: Handoff<Received>) -> @Sendable (EventBase) throws -> State {
        { base in
            let state = State()
            let loopback = try SocketAddress(host, defaultPort: 0)
            state.service = try UDPService(base: base, address: loopback, handler: EchoHandler())
            state.socket = try UDPSocket(base: base, bindTo: loopback) { [unowned state] in
                while let datagram = try? state.socket?.receive(into: state.buffer) {
                    received.put(
                        Received(
                            bytes: Array(state.buffer.prefix(datagram.count)), source: datagram.source,
                            isTruncated: datagram.isTruncated))
                }
            }
            return state
        }
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func sendsAndReportsTheReplysSource(_ host: String) throws {
        let received = Handoff<Received>()
        try withLoop(Self.setUp(host, delivering: received)) { loop in
            let server = try loop.run { _, state in state.service!.localAddress }
            let sent = try loop.run { _, state in
                try [UInt8]([2, 3, 4]).withUnsafeBytes { try state.socket!.send($0, to: server) }
            }
            #expect(sent)
            let reply = try received.take("the reply")
            #expect(reply == Received(bytes: [4, 3, 2], source: server, isTruncated: false))
            let local = try loop.run { _, state in state.socket!.localAddress }
            #expect(local.port != 0 && local.port != server.port)
        }
    }

    @Test func reportsADatagramLongerThanTheBuffer() throws {
        let received = Handoff<Received>()
        try withLoop(Self.setUp("127.0.0.1", delivering: received)) { loop in
            let server = try loop.run { _, state in state.service!.localAddress }
            let query = [UInt8](2..<42)
            _ = try loop.run { _, state in try query.withUnsafeBytes { try state.socket!.send($0, to: server) } }
            let reply = try received.take("the reply")
            #expect(reply == Received(bytes: Array(query.reversed().prefix(16)), source: server, isTruncated: true))
        }
    }
}
