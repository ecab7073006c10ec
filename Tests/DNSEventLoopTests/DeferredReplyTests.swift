import Foundation
import Glibc
import Testing

@testable import DNSEventLoop

/// Replies a handler makes after `respond` returned `QueryContext.deferred`, and the client address it is shown.
struct DeferredReplyTests {
    /// The local address of a connected or bound test socket, read with plain Glibc.
    static func localPort(_ socket: TestSocket) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.descriptor, $0, &length) }
        }
        return withUnsafeBytes(of: &storage) { raw in UInt16(raw[2]) << 8 | UInt16(raw[3]) }
    }

    @Test(arguments: ["127.0.0.1:0", "[::1]:0"])
    func udpHandlerSeesTheSourceAddress(_ listen: String) throws {
        try withLoop(UDPServiceTests.serve(listen)) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            let client = try TestSocket(udpFor: local)
            client.send([EchoHandler.client], to: local)
            let reply = client.read()
            let port = Self.localPort(client)
            let host = listen.hasPrefix("[") ? "[::1]" : "127.0.0.1"
            #expect(reply == .bytes(Array("\(host):\(port)".utf8)))
        }
    }

    @Test func tcpHandlerSeesThePeerAddress() throws {
        try withLoop(TCPServiceTests.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            client.writeFrame([EchoHandler.client])
            #expect(client.readFrame() == Array("127.0.0.1:\(Self.localPort(client))".utf8))
        }
    }

    @Test(arguments: ["127.0.0.1:0", "[::1]:0"])
    func deferredUDPReplyReachesTheClient(_ listen: String) throws {
        try withLoop(UDPServiceTests.serve(listen)) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            let client = try TestSocket(udpFor: local)
            client.setTimeouts(seconds: 1)
            client.send([EchoHandler.later, 1, 2], to: local)
            #expect(try loop.eventually { _, udp in udp.handler.deferred.count == 1 })
            // Nothing arrives before the handler sends.
            #expect(client.read() == .timedOut)
            #expect(try loop.run { _, udp in udp.handler.sendDeferred() } == [true])
            #expect(client.read() == .bytes([2, 1, EchoHandler.later]))
            let counters = try loop.run { _, udp in [udp.deferred, udp.deferredAnswered, udp.dropped, udp.answered] }
            #expect(counters == [1, 1, 0, 0])
        }
    }

    @Test func deferredTCPRepliesGoOutOfOrderOnTheOpenConnection() throws {
        try withLoop(TCPServiceTests.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            client.writeFrame([EchoHandler.later, 1])
            client.writeFrame([EchoHandler.later, 2])
            // A synchronous answer is not held up by the deferred ones before it.
            client.writeFrame([5, 6])
            #expect(client.readFrame() == [6, 5])
            #expect(try loop.eventually { _, tcp in tcp.handler.deferred.count == 2 })
            #expect(try loop.run { _, tcp in tcp.handler.sendDeferred() } == [true, true])
            #expect(client.readFrame() == [2, EchoHandler.later])
            #expect(client.readFrame() == [1, EchoHandler.later])
            let counters = try loop.run { _, tcp in [tcp.deferredQueries, tcp.deferredAnswered, tcp.openConnections] }
            #expect(counters == [2, 2, 1])
        }
    }

    @Test func deferredTCPReplyIsSentAfterTheClientHalfCloses() throws {
        try withLoop(TCPServiceTests.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            client.writeFrame([EchoHandler.later, 3])
            client.shutdownWrite()
            #expect(try loop.eventually { _, tcp in tcp.handler.deferred.count == 1 })
            #expect(try loop.run { _, tcp in tcp.handler.sendDeferred() } == [true])
            #expect(client.readFrame() == [3, EchoHandler.later])
            // Nothing more is owed: the server closes.
            #expect(client.read() == .endOfStream)
        }
    }

    @Test func deferredTCPReplyAfterTheClientClosedIsDropped() throws {
        try withLoop(TCPServiceTests.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            var client: TestSocket? = try TestSocket(tcpConnectingTo: local)
            client?.writeFrame([EchoHandler.later, 4])
            #expect(try loop.eventually { _, tcp in tcp.handler.deferred.count == 1 })
            // A reset, not a FIN: the connection is gone, not half-closed.
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(client!.descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            client = nil
            #expect(try loop.eventually { _, tcp in tcp.openConnections == 0 })
            #expect(try loop.run { _, tcp in tcp.handler.sendDeferred() } == [false])
            let counters = try loop.run { _, tcp in [tcp.deferredAnswered, tcp.deferredDropped] }
            #expect(counters == [0, 1])
        }
    }

    @Test func deferredRepliesAfterTheServicesStoppedAreDropped() throws {
        try withLoop(UDPServiceTests.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            let client = try TestSocket(udpFor: local)
            client.send([EchoHandler.later], to: local)
            #expect(try loop.eventually { _, udp in udp.handler.deferred.count == 1 })
            let sent = try loop.run { _, udp in
                udp.stop()
                return udp.handler.sendDeferred()
            }
            #expect(sent == [false])
            #expect(try loop.run { _, udp in udp.deferredDropped } == 1)
        }
    }
}
