import Foundation
import Glibc
import Testing

@testable import DNSEventLoop

/// Real datagrams over loopback to a `UDPService` on a loop thread.
struct UDPServiceTests {
    typealias Service = UDPService<EchoHandler>

    static func serve(_ listen: String) -> @Sendable (EventBase) throws -> Service {
        { base in try Service(base: base, address: try SocketAddress(listen), handler: EchoHandler()) }
    }

    @Test(arguments: ["127.0.0.1:0", "[::1]:0"])
    func answersADatagramFromItsSourceAddress(_ listen: String) throws {
        try withLoop(Self.serve(listen)) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            #expect(local.port != 0)
            #expect(local.isIPv6 == listen.hasPrefix("["))
            let client = try TestSocket(udpFor: local)
            client.send([7, 8, 9], to: local)
            #expect(client.read() == .bytes([9, 8, 7]))
            client.send([EchoHandler.transport], to: local)
            #expect(client.read() == .bytes([UInt8(ascii: "U")]))
            let counters = try loop.run { _, udp in [udp.received, udp.answered, udp.dropped, udp.sendErrors] }
            #expect(counters == [2, 2, 0, 0])
        }
    }

    @Test func answersEveryDatagramOfABurst() throws {
        let burst = 100
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            let client = try TestSocket(udpFor: local)
            // More than one recvmmsg batch (32), all queued before the service reads any.
            for index in 0..<burst {
                client.send([2, UInt8(index)], to: local)
            }
            var seen = Set<UInt8>()
            for _ in 0..<burst {
                guard case .bytes(let reply) = client.read() else { break }
                #expect(reply.count == 2 && reply[1] == 2)
                seen.insert(reply[0])
            }
            #expect(seen == Set((0..<burst).map { UInt8($0) }))
            let counters = try loop.run { _, udp in [udp.received, udp.answered, udp.dropped] }
            #expect(counters == [burst, burst, 0])
        }
    }

    /// The handler sees each received batch (`prepare`) before it is asked to answer any query of it.
    @Test func everyBatchIsPreparedBeforeItsQueriesAreAnswered() throws {
        let burst = 80
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            let client = try TestSocket(udpFor: local)
            for index in 0..<burst {
                client.send([2, UInt8(index)], to: local)
            }
            for _ in 0..<burst {
                guard case .bytes = client.read() else { break }
            }
            let events = try loop.run { _, udp in udp.handler.events }
            var prepared: [[UInt8]] = []
            var answered = 0
            for event in events {
                if event.isPrepare {
                    #expect(event.queries.count <= UDPBatch.size)
                    // A batch is prepared only once the previous one is answered.
                    #expect(answered == prepared.count)
                    prepared += event.queries
                } else {
                    #expect(answered < prepared.count && event.queries[0] == prepared[answered])
                    answered += 1
                }
            }
            #expect(answered == burst)
            #expect(prepared.count == burst)
        }
    }

    @Test func handlerReturningZeroSendsNothing() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            let client = try TestSocket(udpFor: local)
            client.send([EchoHandler.drop, 5], to: local)
            client.send([3, 4], to: local)
            // The first reply to arrive is the second query's: the first got none.
            #expect(client.read() == .bytes([4, 3]))
            let counters = try loop.run { _, udp in [udp.received, udp.answered, udp.dropped, udp.handler.calls] }
            #expect(counters == [2, 1, 1, 2])
        }
    }

    @Test func datagramLongerThanTheBufferIsDroppedAndCounted() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            let client = try TestSocket(udpFor: local)
            client.send([5] + [UInt8](repeating: 9, count: UDPBatch.bufferSize), to: local)
            let exactlyFits = [6] + [UInt8](repeating: 7, count: UDPBatch.bufferSize - 1)
            client.send(exactlyFits, to: local)
            // Compared as one Bool: a failure should not print two 4 KiB arrays.
            let fitsAnswered = client.read() == .bytes(EchoHandler.reply(to: exactlyFits))
            #expect(fitsAnswered, "the datagram of exactly the buffer size gets its reply")
            let counters = try loop.run { _, udp in
                [udp.received, udp.answered, udp.dropped, udp.truncatedDatagrams, udp.handler.calls]
            }
            #expect(counters == [2, 1, 1, 1, 1])
        }
    }

    @Test(.enabled(if: RawUDP.isAvailable, "needs CAP_NET_RAW to forge a source port"))
    func datagramFromSourcePortZeroIsDroppedAndCounted() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            try RawUDP.sendFromPortZero([3, 4], to: local.port)
            #expect(try loop.eventually { _, udp in udp.received == 1 })
            let counters = try loop.run { _, udp in [udp.received, udp.answered, udp.dropped, udp.handler.calls] }
            #expect(counters == [1, 0, 1, 0])
        }
    }

    @Test func workersShareOnePortThroughReusePort() throws {
        try withLoop { base in
            let first = try Service(base: base, address: try SocketAddress("127.0.0.1:0"), handler: EchoHandler())
            let second = try Service(base: base, address: first.localAddress, handler: EchoHandler())
            return [first, second]
        } run: { loop in
            let addresses = try loop.run { _, services in services.map(\.localAddress) }
            #expect(addresses[0] == addresses[1])
            // The kernel spreads clients over the two sockets by a hash of the source port: with 32 clients, both
            // get some unless the hash is broken (odds 2 in 2^32).
            let clients = try (0..<32).map { _ in try TestSocket(udpFor: addresses[0]) }
            for (index, client) in clients.enumerated() {
                client.send([2, UInt8(index)], to: addresses[0])
                #expect(client.read() == .bytes([UInt8(index), 2]))
            }
            let received = try loop.run { _, services in services.map(\.received) }
            #expect(received.reduce(0, +) == 32)
            #expect(received.allSatisfy { $0 > 0 })
        }
    }

    @Test func allAddressesIsDualStack() throws {
        try withLoop(Self.serve(":0")) { loop in
            let local = try loop.run { _, udp in udp.localAddress }
            #expect(local.description == "[::]:\(local.port)")
            for address in [SocketAddress.loopbackV4(port: local.port), .loopbackV6(port: local.port)] {
                let client = try TestSocket(udpFor: address)
                client.send([2, 3], to: address)
                #expect(client.read() == .bytes([3, 2]), "from \(address)")
            }
        }
    }

    @Test func stopClosesTheSocketAndFreesTheEvent() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let (local, before) = try loop.run { base, udp in (udp.localAddress, base.registeredEventCount) }
            #expect(try !plainBindSucceeds(local))
            let after = try loop.run { base, udp in
                udp.stop()
                udp.stop()
                return base.registeredEventCount
            }
            #expect(after == before - 1)
            // A socket without SO_REUSEPORT can bind the port only once nobody holds it.
            #expect(try plainBindSucceeds(local))
        }
    }

    @Test func bindsUDPAndTCPOnOnePort() throws {
        let (udp, tcp) = try BoundSocket.bindUDPAndTCP(.loopbackV4(port: 0))
        defer {
            udp.close()
            tcp.close()
        }
        #expect(udp.localAddress.port != 0)
        #expect(udp.localAddress == tcp.localAddress)
        #expect(udp.transport == .udp && tcp.transport == .tcp)
        // The other workers bind the same port, which SO_REUSEPORT allows.
        let (udp2, tcp2) = try BoundSocket.bindUDPAndTCP(udp.localAddress)
        defer {
            udp2.close()
            tcp2.close()
        }
        #expect(udp2.localAddress == udp.localAddress && tcp2.localAddress == udp.localAddress)
    }

    @Test func bindingAPortInUseWithoutReusePortFails() throws {
        let plain = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(plain) }
        var (storage, length) = TestSocket.cAddress(for: .loopbackV4(port: 0))
        #expect(
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(plain, $0, length) }
            } == 0)
        var bound = sockaddr_in()
        var boundLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(plain, $0, &boundLength) }
        }
        let port = UInt16(bigEndian: bound.sin_port)
        #expect(throws: IOError(function: "bind", errno: EADDRINUSE)) {
            _ = try BoundSocket.bindUDP(.loopbackV4(port: port))
        }
    }
}

/// Whether `address`'s port can be bound by a socket without SO_REUSEPORT, i.e. no socket holds it. For TCP the
/// probe sets SO_REUSEADDR, which tolerates the TIME_WAIT left by connections the server closed but not a listener.
func plainBindSucceeds(_ address: SocketAddress, stream: Bool = false) throws -> Bool {
    let descriptor = socket(
        address.isIPv6 ? AF_INET6 : AF_INET, stream ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(descriptor) }
    if stream {
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
    }
    var (storage, length) = TestSocket.cAddress(for: address)
    return withUnsafePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    } == 0
}

/// Port 0 must mean a port of our own: with SO_REUSEPORT Linux could otherwise hand a socket a port another
/// SO_REUSEPORT socket of ours already holds, and two servers in one test run would answer for each other.
struct EphemeralPortTests {
    @Test(arguments: [QueryTransport.udp, .tcp])
    func portZeroNeverSharesAPortWithAnotherOfOurSockets(_ transport: QueryTransport) throws {
        var sockets: [BoundSocket] = []
        defer { sockets.forEach { $0.close() } }
        for _ in 0..<300 {
            let address = try SocketAddress("127.0.0.1:0")
            sockets.append(try transport == .udp ? BoundSocket.bindUDP(address) : BoundSocket.bindTCP(address))
        }
        let ports = sockets.map(\.localAddress.port)
        #expect(Set(ports).count == ports.count)
    }
}
