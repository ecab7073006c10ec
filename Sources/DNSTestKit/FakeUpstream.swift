import DNSWire
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An upstream resolver for forwarding tests: a UDP socket on 127.0.0.1 with a kernel-chosen port, served by its own
/// thread, answering every query from a closure. The closure decides per query what goes back: an answer, nothing,
/// an answer after a delay, or any bytes at all (a wrong ID, a wrong question, garbage, a truncated reply), or
/// several of these in order. `stop()` (or deinit) ends the thread and closes the socket.
public final class FakeUpstream: Sendable {
    public indirect enum Response: Sendable {
        /// Send this message.
        case answer(Message)
        /// Send these bytes as they are.
        case bytes([UInt8])
        /// Send nothing.
        case drop
        /// Send `response` after `delay` (from another thread, so later queries are not held up).
        case delayed(Duration, Response)
        /// Send each, in order.
        case several([Response])
    }

    public typealias Handler = @Sendable (Message) -> Response

    public let port: UInt16
    private let descriptor: Int32
    private let listener: Int32
    private let handler: Handler
    private let tcpHandler: Handler
    private let received = Mutex<[Message]>([])
    private let receivedOverTCP = Mutex<[Message]>([])
    private let sourcePorts = Mutex<[UInt16]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let tcpFinished = DispatchSemaphore(value: 0)

    /// Serves UDP with `handler` and TCP (a listener on the same port, one query per connection) with `tcp`, or
    /// with `handler` too when `tcp` is nil.
    public init(tcp: Handler? = nil, _ handler: @escaping Handler) throws {
        self.handler = handler
        self.tcpHandler = tcp ?? handler
        let (descriptor, listener, port) = try FakeUpstream.bindUDPAndTCP()
        self.descriptor = descriptor
        self.listener = listener
        self.port = port
        let thread = Thread { [self] in serve() }
        thread.name = "fake-upstream"
        thread.start()
        let tcpThread = Thread { [self] in serveTCP() }
        tcpThread.name = "fake-upstream-tcp"
        tcpThread.start()
    }

    /// A UDP socket on 127.0.0.1 with a kernel-chosen port and a TCP listener on the same port; when that TCP port is
    /// taken (another test's connection lingering on it), a new pair is tried.
    private static func bindUDPAndTCP() throws -> (udp: Int32, tcp: Int32, port: UInt16) {
        var lastError: Error = DNSClient.ClientError.socket("listen", EADDRINUSE)
        for _ in 0..<16 {
            let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard descriptor >= 0 else { throw DNSClient.ClientError.socket("socket", errno) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
                }
            }
            guard bound else {
                let code = errno
                close(descriptor)
                throw DNSClient.ClientError.socket("bind", code)
            }
            // A short receive timeout lets the threads notice `stop()` without a second descriptor to wake them;
            // accept(2) honours SO_RCVTIMEO too.
            var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var on: Int32 = 1
            setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            let listening = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(listener, generic, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 && listen(listener, 16) == 0
                }
            }
            if listener >= 0, listening {
                setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                return (descriptor, listener, UInt16(bigEndian: address.sin_port))
            }
            let code = errno
            close(descriptor)
            if listener >= 0 { close(listener) }
            lastError = DNSClient.ClientError.socket("listen", code)
            guard code == EADDRINUSE else { break }
        }
        throw lastError
    }

    deinit {
        stop()
        // Only here: a delayed reply holds `self`, so once deinit runs no send can use the descriptor.
        close(descriptor)
        close(listener)
    }

    /// `127.0.0.1:port`, as `--upstream` takes it.
    public var address: String { "127.0.0.1:\(port)" }

    /// Every query received over UDP so far (decodable ones), oldest first.
    public var queries: [Message] {
        received.withLock { $0 }
    }

    /// HINFO (RFC 1035 §3.3.2): the type of the loop probe a forwarding server sends every upstream at start
    /// (`LoopDetector.probeType`; not imported, so the kit stays free of the forwarder).
    public static let loopProbeType = RecordType(rawValue: 13)

    /// `queries` without the loop probes: what clients' lookups brought, for tests that count them.
    public var lookups: [Message] {
        queries.filter { $0.questions.first?.type != FakeUpstream.loopProbeType }
    }

    /// The UDP source port of every query in `queries`, in the same order (sin_port and sin6_port sit at the same
    /// offset).
    public var queryPorts: [UInt16] {
        sourcePorts.withLock { $0 }
    }

    /// Every query received over TCP so far, oldest first.
    public var tcpQueries: [Message] {
        receivedOverTCP.withLock { $0 }
    }

    /// Ends the thread and waits for it; nothing is sent afterwards. Idempotent. The socket closes at deinit.
    public func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        finished.wait()
        tcpFinished.wait()
    }

    /// One connection at a time, one query per connection: enough for a forwarder's TCP retries.
    private func serveTCP() {
        while !stopping.load(ordering: .sequentiallyConsistent) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if let prefix = readExactly(connection, 2),
                let bytes = readExactly(connection, Int(prefix[0]) << 8 | Int(prefix[1])),
                let query = try? Message(decoding: bytes)
            {
                receivedOverTCP.withLock { $0.append(query) }
                answerTCP(tcpHandler(query), on: connection)
            }
            close(connection)
        }
        tcpFinished.signal()
    }

    private func answerTCP(_ response: Response, on connection: Int32) {
        func write(_ bytes: [UInt8]) {
            let framed = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
            _ = framed.withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        switch response {
        case .answer(let message): write(message.encoded())
        case .bytes(let bytes): write(bytes)
        case .drop: break
        case .delayed(let delay, let later):
            Thread.sleep(forTimeInterval: delay.timeInterval)
            answerTCP(later, on: connection)
        case .several(let responses):
            for each in responses { answerTCP(each, on: connection) }
        }
    }

    private func readExactly(_ connection: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let read = bytes.withUnsafeMutableBytes { recv(connection, $0.baseAddress! + got, count - got, 0) }
            guard read > 0 else { return nil }
            got += read
        }
        return bytes
    }

    private func serve() {
        var buffer = [UInt8](repeating: 0, count: 65535)
        while !stopping.load(ordering: .sequentiallyConsistent) {
            var source = sockaddr_storage()
            var sourceLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &source) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(descriptor, bytes.baseAddress, bytes.count, 0, $0, &sourceLength)
                    }
                }
            }
            guard count > 0 else { continue }
            guard let query = try? Message(decoding: Array(buffer[..<count])) else { continue }
            received.withLock { $0.append(query) }
            let port = withUnsafeBytes(of: source) { raw in UInt16(raw[2]) << 8 | UInt16(raw[3]) }
            sourcePorts.withLock { $0.append(port) }
            respond(handler(query), to: source, length: sourceLength)
        }
        finished.signal()
    }

    private func respond(_ response: Response, to source: sockaddr_storage, length: socklen_t) {
        switch response {
        case .answer(let message):
            send(message.encoded(), to: source, length: length)
        case .bytes(let bytes):
            send(bytes, to: source, length: length)
        case .drop:
            break
        case .delayed(let delay, let later):
            let (seconds, attoseconds) = delay.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
                respond(later, to: source, length: length)
            }
        case .several(let responses):
            for each in responses {
                respond(each, to: source, length: length)
            }
        }
    }

    private func send(_ bytes: [UInt8], to source: sockaddr_storage, length: socklen_t) {
        // After stop() the descriptor may be closed (a delayed reply): sending then is pointless.
        guard !stopping.load(ordering: .sequentiallyConsistent) else { return }
        var destination = source
        _ = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &destination) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, raw.baseAddress, raw.count, 0, $0, length)
                }
            }
        }
    }

    // MARK: - Replies a test builds from the query

    /// The reply a resolver would send: the query's ID and question, RD copied, RA set, `records` (presentation
    /// lines) in the answer section, and OPT when the query had it.
    public static func answer(
        _ query: Message, _ records: [String], responseCode: ResponseCode = .noError, authority: [String] = []
    ) -> Message {
        var header = Header(
            id: query.header.id, isResponse: true, recursionDesired: query.header.recursionDesired,
            recursionAvailable: true)
        header.checkingDisabled = query.header.checkingDisabled
        var reply = Message(
            header: header, questions: query.questions,
            answers: records.map { try! ResourceRecord(presentation: $0) },
            authorities: authority.map { try! ResourceRecord(presentation: $0) },
            edns: query.edns.map { EDNS(udpPayloadSize: 1232, dnssecOK: $0.dnssecOK) })
        reply.responseCode = responseCode
        return reply
    }

    /// `answer`, with another ID: a reply the forwarder must not accept.
    public static func withWrongID(_ reply: Message) -> Message {
        var wrong = reply
        wrong.header.id = reply.header.id &+ 1
        return wrong
    }

    /// `answer`, for another question (same ID): a reply the forwarder must not accept.
    public static func withWrongQuestion(_ reply: Message, name: Name = "evil.example.") -> Message {
        var wrong = reply
        wrong.questions = reply.questions.map { Question(name: name, type: $0.type, recordClass: $0.recordClass) }
        wrong.answers = reply.answers.map {
            ResourceRecord(name: name, type: $0.type, recordClass: $0.recordClass, ttl: $0.ttl, data: $0.data)
        }
        return wrong
    }

    /// The header of `reply` followed by bytes that do not parse: same ID, QR set.
    public static func garbage(for reply: Message) -> [UInt8] {
        Array(reply.header.encoded().prefix(4)) + [0, 1, 0, 1, 0, 0, 0, 0] + [0xC0, 0xFF, 0xFF]
    }

    /// `reply` with TC=1 and no records: what an upstream sends when the answer does not fit in UDP.
    public static func truncated(_ reply: Message) -> Message {
        var cut = reply
        cut.header.isTruncated = true
        cut.answers = []
        return cut
    }
}
