import DNSAnswer
import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Glibc
import Testing

/// The real server on loopback, asked with the project's own client over UDP and TCP.
@Suite(.timeLimit(.minutes(2)))
struct ServerIntegrationTests {
    @Test func answersOverUDPAndTCP() throws {
        let running = try RunningServer(files: ["web.yaml": ExampleManifests.web, "api.yaml": ExampleManifests.api])
        defer { running.stop() }
        for transport in [DNSClient.Transport.udp, .tcp] {
            let reply = try running.client().query("web.default.svc.cluster.local", .a, over: transport)
            #expect(reply.header.isAuthoritative)
            #expect(
                Set(reply.answers.map(\.data)) == [.a(IPv4Address("10.244.1.10")!), .a(IPv4Address("10.244.1.11")!)])
            let srv = try running.client().query("_grpc._tcp.api.prod.svc.cluster.local", .srv, over: transport)
            #expect(srv.answers.count == 1)
            #expect(srv.additionals.count == 1)
            let missing = try running.client().query("nope.prod.svc.cluster.local", .a, over: transport)
            #expect(missing.responseCode == .nxDomain)
            #expect(missing.authorities.first?.type == .soa)
        }
    }

    @Test func answersOnIPv6Loopback() throws {
        let running: RunningServer
        do {
            running = try RunningServer(files: ["api.yaml": ExampleManifests.api], listen: "[::1]:0")
        } catch let error as Server.StartError {
            // A machine without IPv6 on loopback cannot run this test; everything else must.
            guard case .cannotListen(_, let cause) = error, cause.errno == EADDRNOTAVAIL || cause.errno == EAFNOSUPPORT
            else { throw error }
            print("skipped: no IPv6 loopback here (\(error))")
            return
        }
        defer { running.stop() }
        let reply = try running.client(host: "::1").query("api.prod.svc.cluster.local", .a, over: .udp)
        #expect(reply.answers.map(\.data) == [.a(IPv4Address("10.96.7.7")!)])
        let tcp = try running.client(host: "::1").query("api.prod.svc.cluster.local", .a, over: .tcp)
        #expect(tcp.answers.count == 1)
    }

    @Test func bigAnswersAreTruncatedOverUDPAndWholeOverTCP() throws {
        let running = try RunningServer(files: ["many.yaml": ExampleManifests.many(300)])
        defer { running.stop() }
        let udp = try running.client().query("many.default.svc.cluster.local", .a, over: .udp, edns: nil)
        #expect(udp.header.isTruncated)
        #expect(udp.answers.count > 0)
        #expect(udp.encoded().count <= 512)
        let tcp = try running.client().query("many.default.svc.cluster.local", .a, over: .tcp, edns: nil)
        #expect(!tcp.header.isTruncated)
        #expect(tcp.answers.count == 300)
    }

    /// RFC 7766 §6.2.1: several queries on one connection, sent in one write, answered in order.
    @Test func severalQueriesOnOneTCPConnection() throws {
        let running = try RunningServer(files: ["web.yaml": ExampleManifests.web, "api.yaml": ExampleManifests.api])
        defer { running.stop() }
        let names = ["web.default.svc.cluster.local.", "api.prod.svc.cluster.local.", "missing.cluster.local."]
        var stream: [UInt8] = []
        for (index, name) in names.enumerated() {
            let query = Message.query(
                id: UInt16(100 + index), name: try Name(name), type: .a, recursionDesired: false, edns: nil
            ).encoded()
            stream += [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        }
        let fd = try running.client().connectTCP()
        defer { close(fd) }
        #expect(stream.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } == stream.count)
        var ids: [UInt16] = []
        for _ in names {
            let reply = try Message(decoding: try readFrame(fd))
            ids.append(reply.header.id)
        }
        #expect(ids == [100, 101, 102])
    }

    @Test func idleTCPConnectionsAreClosed() throws {
        let running = try RunningServer(files: ["api.yaml": ExampleManifests.api], tcpIdleTimeout: .milliseconds(200))
        defer { running.stop() }
        let fd = try running.client().connectTCP()
        defer { close(fd) }
        var byte: UInt8 = 0
        // The server closes the connection: recv returns 0 well before the client's 3 s receive timeout.
        #expect(recv(fd, &byte, 1, 0) == 0)
    }

    @Test func malformedPacketsAreDroppedOrFORMERR() throws {
        let running = try RunningServer(files: ["api.yaml": ExampleManifests.api])
        defer { running.stop() }
        let client = DNSClient(host: "127.0.0.1", port: running.port, timeout: .milliseconds(300))
        #expect(try client.expectNoReply(to: [1, 2, 3, 4, 5]))
        var response = Message.query(
            id: 5, name: "api.prod.svc.cluster.local.", type: .a, recursionDesired: true, edns: nil
        )
        .encoded()
        response[2] |= 0x80
        #expect(try client.expectNoReply(to: response))
        let garbage: [UInt8] = [0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1]
        let reply = try Message(decoding: try client.exchange(garbage))
        #expect(reply.responseCode == .formErr)
        #expect(reply.header.id == 9)
        // The server is still answering.
        #expect(try client.query("api.prod.svc.cluster.local", .a).answers.count == 1)
        // Each worker publishes its counts once a second, and the packets may have reached different workers.
        #expect(
            running.eventually {
                let counts = running.server.counters.responder
                return counts.droppedTooShort == 1 && counts.droppedResponses == 1 && counts.formErr == 1
            })
    }

    @Test func stopClosesTheSockets() throws {
        let running = try RunningServer(files: ["api.yaml": ExampleManifests.api])
        let port = running.port
        running.stop()
        #expect(running.server.state == .stopped)
        let client = DNSClient(host: "127.0.0.1", port: port, timeout: .milliseconds(300))
        #expect(throws: (any Error).self) { try client.query("api.prod.svc.cluster.local", .a, over: .tcp) }
    }
}

/// Reads one length-prefixed DNS message from a TCP socket.
func readFrame(_ fd: Int32) throws -> [UInt8] {
    func readExactly(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let result = bytes[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard result > 0 else { throw DNSClient.ClientError.closed }
            got += result
        }
        return bytes
    }
    let prefix = try readExactly(2)
    return try readExactly(Int(prefix[0]) << 8 | Int(prefix[1]))
}
