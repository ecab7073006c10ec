import DNSTestKit
import Foundation
import Testing

@testable import DNSEventLoop

/// evhttp on a loop thread: the small operational endpoints.
struct HTTPServerTests {
    @Test(arguments: ["127.0.0.1:0", "[::1]:0"])
    func servesWhatTheHandlerReturns(_ listen: String) throws {
        let setup: @Sendable (EventBase) throws -> HTTPServer = { base in
            try HTTPServer(base: base, socket: try BoundSocket.bindTCP(try SocketAddress(listen))) { request in
                request.path == "/health"
                    ? HTTPResponse(status: 200, body: "OK")
                    : HTTPResponse(status: 404, body: "no \(request.path)\n")
            }
        }
        try withLoop(setup) { loop in
            let local = try loop.run { _, http in http.localAddress }
            let host = local.isIPv6 ? "::1" : "127.0.0.1"
            let health = try httpGet(host: host, port: local.port, path: "/health?verbose=1")
            #expect(health.status == 200)
            #expect(health.body == "OK")
            #expect(health.headers["content-type"] == "text/plain; charset=utf-8")
            let other = try httpGet(host: host, port: local.port, path: "/nothing")
            #expect(other.status == 404)
            #expect(other.body == "no /nothing\n")
        }
    }

    @Test func stopClosesTheListener() throws {
        let setup: @Sendable (EventBase) throws -> HTTPServer = { base in
            try HTTPServer(base: base, socket: try BoundSocket.bindTCP(try SocketAddress("127.0.0.1:0"))) { _ in
                HTTPResponse(status: 200, body: "OK")
            }
        }
        try withLoop(setup) { loop in
            let local = try loop.run { _, http in http.localAddress }
            #expect(try httpGet(port: local.port, path: "/").status == 200)
            try loop.run { _, http in http.stop() }
            #expect(throws: HTTPGetError.self) { try httpGet(port: local.port, path: "/") }
        }
    }
}
