import Foundation
import Glibc
import Testing

@testable import DNSEventLoop

/// Real connections over loopback to a `TCPService` on a loop thread (RFC 7766 framing and connection handling).
struct TCPServiceTests {
    typealias Service = TCPService<EchoHandler>

    static func serve(
        _ listen: String, maxConnections: Int = TCPLimits.defaultMaxConnections,
        idleTimeout: Duration = TCPLimits.defaultIdleTimeout
    ) -> @Sendable (EventBase) throws -> Service {
        { base in
            try Service(
                base: base, address: try SocketAddress(listen), handler: EchoHandler(), maxConnections: maxConnections,
                idleTimeout: idleTimeout)
        }
    }

    @Test(arguments: ["127.0.0.1:0", "[::1]:0"])
    func answersOneQuery(_ listen: String) throws {
        try withLoop(Self.serve(listen)) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            client.writeFrame([7, 8, 9])
            #expect(client.readFrame() == [9, 8, 7])
            client.writeFrame([EchoHandler.transport])
            #expect(client.readFrame() == [UInt8(ascii: "T")])
            let counters = try loop.run { _, tcp in [tcp.accepted, tcp.queries, tcp.answered, tcp.openConnections] }
            #expect(counters == [1, 2, 2, 1])
        }
    }

    @Test func answersPipelinedQueriesInOrder() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            let queries: [[UInt8]] = [[2, 1], [EchoHandler.drop, 9], [3, 2, 1], [4]]
            client.write(queries.flatMap(TestSocket.frame))
            #expect(client.readFrame() == [1, 2])
            // The dropped query gets no reply; the next reply is the third query's.
            #expect(client.readFrame() == [1, 2, 3])
            #expect(client.readFrame() == [4])
            let counters = try loop.run { _, tcp in [tcp.queries, tcp.answered] }
            #expect(counters == [4, 3])
        }
    }

    @Test func reassemblesAQuerySentByteByByte() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            let query: [UInt8] = Array(2...40)
            // Each byte its own segment (TCP_NODELAY), spaced so the server reads them one at a time.
            for byte in TestSocket.frame(query) + TestSocket.frame([5, 6]) {
                client.write([byte])
                usleep(500)
            }
            #expect(client.readFrame() == EchoHandler.reply(to: query))
            #expect(client.readFrame() == [6, 5])
        }
    }

    @Test func answersTheLargestPossibleQuery() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            let query = (0..<TCPLimits.maxMessageSize).map { UInt8(truncatingIfNeeded: $0 * 7 + 2) }
            client.writeFrame(query)
            // Compared as one Bool: a failure should not print two 64 KiB arrays.
            let answered = client.readFrame() == EchoHandler.reply(to: query)
            #expect(answered, "the 65535-byte query gets its reversed reply")
            // The connection still works after the buffer grew.
            client.writeFrame([3, 4])
            #expect(client.readFrame() == [4, 3])
        }
    }

    @Test func keepsAnsweringAClientThatReadsSlowly() throws {
        // More reply bytes (7.2 MB) than the socket buffers hold even after autotuning (tcp_wmem's 4 MB maximum), so
        // replies back up and reading pauses.
        let count = 120
        let size = 60_000
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            // A small receive window and a late first read: the server's replies back up into its own buffer.
            let client = try TestSocket(tcpConnectingTo: local, receiveBuffer: 4096)
            let descriptor = client.descriptor
            let wrote = DispatchSemaphore(value: 0)
            let writer = Thread {
                for index in 0..<count {
                    var frame = TestSocket.frame([2, UInt8(index)] + [UInt8](repeating: 1, count: size - 2))
                    var offset = 0
                    while offset < frame.count {
                        let written = frame.withUnsafeMutableBytes {
                            send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                        }
                        if written <= 0 { break }
                        offset += written
                    }
                }
                wrote.signal()
            }
            writer.start()
            usleep(100_000)
            for index in 0..<count {
                let reply = client.readFrame()
                #expect(reply?.count == size)
                #expect(reply?.suffix(2) == [UInt8(index), 2])
                guard reply != nil else { break }
            }
            #expect(wrote.wait(timeout: .now() + .seconds(10)) == .success)
            let counters = try loop.run { _, tcp in [tcp.queries, tcp.answered] }
            #expect(counters == [count, count])
            // The point of the test: some replies did wait for the client.
            #expect(try loop.run { _, tcp in tcp.deferredReplies } > 0)
        }
    }

    @Test func answersWhatIsBufferedThenClosesAfterClientEOF() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            client.write(TestSocket.frame([2, 3]) + TestSocket.frame([4, 5]) + [0])
            client.shutdownWrite()
            #expect(client.readFrame() == [3, 2])
            #expect(client.readFrame() == [5, 4])
            // The trailing half a length prefix is discarded with the connection.
            #expect(client.read() == .endOfStream)
            #expect(try loop.eventually { _, tcp in tcp.openConnections == 0 })
        }
    }

    @Test func idleConnectionIsClosed() throws {
        try withLoop(Self.serve("127.0.0.1:0", idleTimeout: .milliseconds(200))) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let client = try TestSocket(tcpConnectingTo: local)
            client.writeFrame([2, 3])
            #expect(client.readFrame() == [3, 2])
            // Half a query, then silence: the server gives up; the client's own timeout (5 s) would say .timedOut.
            client.write([0, 10, 1])
            #expect(client.read() == .endOfStream)
            let counters = try loop.run { _, tcp in [tcp.idleClosed, tcp.openConnections] }
            #expect(counters == [1, 0])
        }
    }

    @Test func connectionsBeyondTheCapAreClosed() throws {
        try withLoop(Self.serve("127.0.0.1:0", maxConnections: 2)) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            var first: TestSocket? = try TestSocket(tcpConnectingTo: local)
            let second = try TestSocket(tcpConnectingTo: local)
            for client in [first!, second] {
                client.writeFrame([2, 3])
                #expect(client.readFrame() == [3, 2])
            }
            let third = try TestSocket(tcpConnectingTo: local)
            #expect(third.read() == .endOfStream)
            var counters = try loop.run { _, tcp in [tcp.accepted, tcp.rejected, tcp.openConnections] }
            #expect(counters == [2, 1, 2])

            // A closed connection frees its place.
            first = nil
            #expect(try loop.eventually { _, tcp in tcp.openConnections == 1 })
            let fourth = try TestSocket(tcpConnectingTo: local)
            fourth.writeFrame([4, 5])
            #expect(fourth.readFrame() == [5, 4])
            counters = try loop.run { _, tcp in [tcp.accepted, tcp.rejected, tcp.openConnections] }
            #expect(counters == [3, 1, 2])
            withExtendedLifetime(first) {}
        }
    }

    @Test func stopClosesConnectionsAndListener() throws {
        try withLoop(Self.serve("127.0.0.1:0")) { loop in
            let (local, before) = try loop.run { base, tcp in (tcp.localAddress, base.registeredEventCount) }
            let client = try TestSocket(tcpConnectingTo: local)
            client.writeFrame([2, 3])
            #expect(client.readFrame() == [3, 2])
            #expect(try !plainBindSucceeds(local, stream: true))
            let after = try loop.run { base, tcp in
                tcp.stop()
                return base.registeredEventCount
            }
            // The listener's event and the connection's read and write events are gone.
            #expect(after == before - 1)
            #expect(client.read() == .endOfStream)
            #expect(try plainBindSucceeds(local, stream: true))
        }
    }

    @Test func allAddressesAcceptsBothFamilies() throws {
        try withLoop(Self.serve(":0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            #expect(local.description == "[::]:\(local.port)")
            for address in [SocketAddress.loopbackV4(port: local.port), .loopbackV6(port: local.port)] {
                let client = try TestSocket(tcpConnectingTo: address)
                client.writeFrame([2, 3])
                #expect(client.readFrame() == [3, 2], "from \(address)")
            }
        }
    }
}
