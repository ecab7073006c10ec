import DNSEventLoop
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An API server for tests: HTTP/1.1 (with TLS when given a context) on 127.0.0.1, answering each request with what
/// the test's handler returns: recorded bodies, and scripted faults (a stalled stream, a connection cut mid-body, a
/// slow response).
public final class FakeKubeAPIServer: Sendable {
    public struct Request: Sendable, CustomStringConvertible {
        public var method: String
        /// The path with its query, as sent.
        public var target: String
        /// Header names lowercased.
        public var headers: [String: String]
        /// The verified client certificate's common name, or "".
        public var clientCommonName: String

        public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }

        /// Query parameters, percent-decoded.
        public var query: [String: String] {
            guard let question = target.firstIndex(of: "?") else { return [:] }
            var values: [String: String] = [:]
            for pair in target[target.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
                values[name] = value
            }
            return values
        }

        public var isWatch: Bool { query["watch"] == "1" || query["watch"] == "true" }

        /// The token of `Authorization: Bearer …`.
        public var bearerToken: String? {
            guard let value = headers["authorization"], value.hasPrefix("Bearer ") else { return nil }
            return String(value.dropFirst("Bearer ".count))
        }

        public var description: String { "\(method) \(target)" }
    }

    /// What the server does with the connection, in order.
    public enum Step: Sendable {
        /// Bytes as they go on the wire (already framed, e.g. a recorded `.chunked` body).
        case raw([UInt8])
        /// One chunk of a chunked body.
        case chunk([UInt8])
        /// The last chunk (`0\r\n\r\n`): a normal end of a chunked body.
        case endChunks
        case pause(Duration)
        /// Sends nothing more until the client goes away or the server stops: a stalled stream.
        case hold
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var steps: [Step]

        public init(status: Int, headers: [(String, String)], steps: [Step]) {
            self.status = status
            self.headers = headers
            self.steps = steps
        }

        /// A whole JSON body with its length, as the API server sends short responses.
        public static func json(_ body: [UInt8], status: Int = 200) -> Response {
            Response(
                status: status,
                headers: [("Content-Type", "application/json"), ("Content-Length", "\(body.count)")],
                steps: [.raw(body)])
        }

        /// A chunked body made of `steps` (as the API server sends long lists and every watch).
        public static func chunked(_ steps: [Step], status: Int = 200) -> Response {
            Response(
                status: status,
                headers: [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
                steps: steps)
        }

        /// A recorded chunked body, replayed byte for byte.
        public static func recordedChunked(_ body: [UInt8]) -> Response {
            chunked([.raw(body)])
        }

        /// The body of a watch that delivers `events` (one JSON object each) and then ends normally, as the server
        /// does at `timeoutSeconds`.
        public static func watch(_ events: [[UInt8]], then end: Step = .endChunks) -> Response {
            chunked(events.map { .chunk($0 + [UInt8(ascii: "\n")]) } + [end])
        }
    }

    public typealias Handler = @Sendable (Request) -> Response

    private struct State {
        var requests: [Request] = []
        var connections: [Int32: BlockingStream] = [:]
        var stopped = false
    }

    public let port: UInt16
    private let listener: Int32
    private let tls: TLSContext?
    private let handler: Handler
    private let state = Mutex(State())
    private let finished = DispatchGroup()

    /// Listens on 127.0.0.1 (a kernel-chosen port). With `tls`, connections speak TLS.
    public init(tls: TLSContext?, handler: @escaping Handler) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw DNSClient.ClientError.socket("socket", errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            let code = errno
            close(descriptor)
            throw DNSClient.ClientError.socket("bind", code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = descriptor
        self.tls = tls
        self.handler = handler
        finished.enter()
        let thread = Thread { [self] in
            acceptLoop()
            finished.leave()
        }
        thread.name = "fake-kube-api"
        thread.start()
    }

    /// `https://127.0.0.1:PORT` (or `http://` without TLS).
    public var url: String {
        "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)"
    }

    /// Every request so far, in order of arrival.
    public var requests: [Request] {
        state.withLock { $0.requests }
    }

    /// Closes the listener and every connection, and waits for the server's threads.
    public func stop() {
        let open = state.withLock { state in
            state.stopped = true
            return Array(state.connections.values)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        open.forEach { $0.interrupt() }
        finished.wait()
        close(listener)
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop() {
        while !isStopped {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            finished.enter()
            let thread = Thread { [self] in
                serve(connection)
                finished.leave()
            }
            thread.name = "fake-kube-api-connection"
            thread.start()
        }
    }

    private func serve(_ descriptor: Int32) {
        let stream: BlockingStream
        do {
            stream = try BlockingStream.accepted(descriptor: descriptor, tls: tls, timeout: .seconds(10))
        } catch {
            close(descriptor)
            return
        }
        let registered = state.withLock { state in
            guard !state.stopped else { return false }
            state.connections[descriptor] = stream
            return true
        }
        defer {
            _ = state.withLock { $0.connections.removeValue(forKey: descriptor) }
            stream.close()
        }
        guard registered, var request = readRequest(stream) else { return }
        request.clientCommonName = stream.peerCommonName
        state.withLock { $0.requests.append(request) }
        let response = handler(request)
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Date: Sun, 22 Nov 2026 02:01:00 GMT\r\n\r\n"
        do {
            try stream.write(Array(head.utf8))
            for step in response.steps {
                switch step {
                case .raw(let bytes):
                    try stream.write(bytes)
                case .chunk(let bytes):
                    try stream.write(Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10])
                case .endChunks:
                    try stream.write(Array("0\r\n\r\n".utf8))
                case .pause(let duration):
                    Thread.sleep(forTimeInterval: duration.timeInterval)
                    if isStopped { return }
                case .hold:
                    // Wait for the client to close (a read then returns) or `stop()` to interrupt.
                    stream.setReceiveTimeout(.seconds(3600))
                    var byte = [UInt8](repeating: 0, count: 1)
                    _ = try? byte.withUnsafeMutableBytes { try stream.read(into: $0) }
                    return
                }
            }
        } catch {
            return
        }
    }

    private func readRequest(_ stream: BlockingStream) -> Request? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !bytes.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard bytes.count < 65536,
                let count = try? buffer.withUnsafeMutableBytes({ try stream.read(into: $0) }), count > 0
            else { return nil }
            bytes += buffer[..<count]
        }
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, clientCommonName: "")
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 410: "Gone"
        case 500: "Internal Server Error"
        case 504: "Gateway Timeout"
        default: "Status"
        }
    }
}
