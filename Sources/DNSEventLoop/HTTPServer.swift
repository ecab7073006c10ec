internal import CLibevent
internal import Glibc

/// A request to one of the small operational endpoints (`/health`, `/ready`, `/metrics`).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string.
    public var path: String
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
    }
}

/// libevent's evhttp serving one listening socket on a base: small operational endpoints, not the DNS hot path.
///
/// Ownership: libevent holds an unretained pointer to `self` as the callback context; `stop()` (or deinit) frees the
/// evhttp, and with it every pending request, before `self` goes away, so no callback outlives the object.
public final class HTTPServer {
    public let localAddress: SocketAddress
    private var http: OpaquePointer?
    private let handler: (HTTPRequest) -> HTTPResponse

    /// Adopts `socket` (from `BoundSocket.bindTCP`, already listening) and serves it on `base`; on the base's thread.
    public init(base: EventBase, socket: BoundSocket, handler: @escaping (HTTPRequest) -> HTTPResponse) throws(IOError)
    {
        precondition(socket.transport == .tcp, "HTTPServer needs a TCP socket")
        self.handler = handler
        localAddress = socket.localAddress
        guard let http = evhttp_new(base.pointer) else { throw IOError(function: "evhttp_new", errno: ENOMEM) }
        self.http = http
        // Only GET and HEAD: the endpoints are read-only, and a probe that sends anything else is misconfigured.
        evhttp_set_allowed_methods(http, UInt16(EVHTTP_REQ_GET.rawValue | EVHTTP_REQ_HEAD.rawValue))
        // Probes and scrapers reconnect each time; an idle one must not hold a descriptor for long.
        evhttp_set_timeout(http, 10)
        let context = Unmanaged.passUnretained(self).toOpaque()
        evhttp_set_gencb(http, { request, context in HTTPServer.serve(request, context) }, context)
        let descriptor = socket.take()
        guard evhttp_accept_socket_with_handle(http, descriptor) != nil else {
            let code = errno
            Syscall.close(descriptor)
            stop()
            throw IOError(function: "evhttp_accept_socket", errno: code)
        }
    }

    deinit {
        stop()
    }

    /// Closes the listener and every connection. Idempotent; on the base's thread.
    public func stop() {
        guard let http else { return }
        evhttp_free(http)
        self.http = nil
    }

    private static func serve(_ request: OpaquePointer?, _ context: UnsafeMutableRawPointer?) {
        guard let request, let context else { return }
        // Balanced with passUnretained in init: the evhttp that calls us is freed before `self` is.
        let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
        let uri = evhttp_request_get_uri(request).map { String(cString: $0) } ?? "/"
        let path = String(uri.prefix(while: { $0 != "?" && $0 != "#" }))
        let method = evhttp_request_get_command(request) == EVHTTP_REQ_HEAD ? "HEAD" : "GET"
        let response = server.handler(HTTPRequest(method: method, path: path))
        guard let buffer = evbuffer_new() else {
            evhttp_send_error(request, 500, nil)
            return
        }
        defer { evbuffer_free(buffer) }
        response.body.withUnsafeBytes { bytes in
            _ = evbuffer_add(buffer, bytes.baseAddress, bytes.count)
        }
        let headers = evhttp_request_get_output_headers(request)
        _ = evhttp_add_header(headers, "Content-Type", response.contentType)
        evhttp_send_reply(request, Int32(response.status), reasonPhrase(response.status), buffer)
    }

    private static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 404: "Not Found"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
