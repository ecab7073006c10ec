import DNSTestKit
import Foundation
import Glibc
import Synchronization
import Testing

@testable import DNSEventLoop

/// One query over a new non-blocking TCP connection, as the forwarder retries truncated replies.
struct TCPExchangeTests {
    final class Box: @unchecked Sendable {
        var exchange: TCPExchange?
    }

    /// Runs one exchange on the loop against `destination` and waits for its completion.
    static func exchange(
        _ loop: LoopThread<TCPService<EchoHandler>>, to destination: SocketAddress, message: [UInt8],
        timeout: Duration = .seconds(2)
    ) throws -> Result<[UInt8], TCPExchange.Failure> {
        let outcome = Handoff<Result<[UInt8], TCPExchange.Failure>>()
        let box = Box()
        try loop.run { base, _ in
            do throws(IOError) {
                box.exchange = try TCPExchange(base: base, to: destination, message: message, timeout: timeout) {
                    outcome.put($0)
                }
            } catch {
                outcome.put(.failure(.io(error)))
            }
        }
        let result = try outcome.take("the exchange to finish")
        try loop.run { _, _ in box.exchange = nil }
        return result
    }

    @Test(arguments: ["127.0.0.1:0", "[::1]:0"])
    func sendsAFramedQueryAndReturnsTheReply(_ listen: String) throws {
        try withLoop(TCPServiceTests.serve(listen)) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            let result = try Self.exchange(loop, to: local, message: [5, 6, 7])
            #expect(try result.get() == [7, 6, 5])
            // The whole reply of a large message arrives in several reads.
            let large = [UInt8](repeating: 9, count: 30_000) + [8]
            #expect(try Self.exchange(loop, to: local, message: large).get() == large.reversed())
        }
    }

    @Test func aRefusedConnectionFails() throws {
        try withLoop(TCPServiceTests.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            // Nothing listens on the service's port once it stops.
            try loop.run { _, tcp in tcp.stop() }
            let result = try Self.exchange(loop, to: local, message: [1, 2])
            #expect(result == .failure(.io(IOError(function: "connect", errno: ECONNREFUSED))))
        }
    }

    @Test func aPeerThatNeverRepliesTimesOut() throws {
        try withLoop(TCPServiceTests.serve("127.0.0.1:0")) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            // The echo handler drops a query starting with 0: the connection stays open and silent.
            let result = try Self.exchange(loop, to: local, message: [EchoHandler.drop], timeout: .milliseconds(200))
            #expect(result == .failure(.timedOut))
        }
    }

    @Test func aPeerThatClosesBeforeReplyingFails() throws {
        try withLoop(TCPServiceTests.serve("127.0.0.1:0", maxConnections: 0)) { loop in
            let local = try loop.run { _, tcp in tcp.localAddress }
            // With room for no connection the service accepts and closes at once.
            let result = try Self.exchange(loop, to: local, message: [1, 2])
            switch result {
            case .failure(.closed), .failure(.io): break
            default: Issue.record("expected a closed connection, got \(result)")
            }
        }
    }

    /// An upstream that announces a 100-byte reply, sends 10 bytes of it and hangs up: a failure, never a reply.
    @Test func aPeerThatSendsHalfAReplyAndClosesFails() throws {
        let loopback = try LoopbackSocket(type: Int32(SOCK_STREAM.rawValue), listenBacklog: 1)
        defer { loopback.close() }
        let listener = loopback.descriptor
        // accept and recv give up after 5 s, so the peer thread always ends.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let served = DispatchSemaphore(value: 0)
        let peer = Thread {
            let connection = accept(listener, nil, nil)
            if connection >= 0 {
                var connectionTimeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(
                    connection, SOL_SOCKET, SO_RCVTIMEO, &connectionTimeout, socklen_t(MemoryLayout<timeval>.size))
                var query = [UInt8](repeating: 0, count: 64)
                _ = recv(connection, &query, query.count, 0)
                let half: [UInt8] = [0, 100] + [UInt8](repeating: 1, count: 10)
                _ = send(connection, half, half.count, Int32(MSG_NOSIGNAL))
                close(connection)
            }
            served.signal()
        }
        peer.start()
        let port = loopback.port
        try withLoop(TCPServiceTests.serve("127.0.0.1:0")) { loop in
            let result = try Self.exchange(loop, to: try SocketAddress("127.0.0.1:\(port)"), message: [1, 2, 3])
            #expect(result == .failure(.closed), "\(result)")
        }
        served.wait()
    }
}
