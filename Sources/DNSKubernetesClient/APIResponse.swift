import DNSEventLoop
import DNSKubernetes

/// A response being read from the API server: its head is known, its body arrives piece by piece.
public final class APIResponse: @unchecked Sendable {
    // @unchecked: read by the one thread that made the request; only `interrupt()` may come from another, and it goes
    // to the stream, which allows that.
    private let stream: BlockingStream
    private let path: String
    private var parser = HTTPResponseParser()
    private var pendingBody: [UInt8] = []
    private var ended = false
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    init(stream: BlockingStream, path: String) {
        self.stream = stream
        self.path = path
    }

    deinit {
        stream.close()
    }

    /// The status code and headers.
    public var head: HTTPResponseParser.Head {
        parser.head!
    }

    func readHead() throws(APIError) {
        while parser.head == nil {
            guard let bytes = try receive() else {
                throw .protocolError("\(path): the connection closed before a response")
            }
            pendingBody += try feed(bytes)
        }
    }

    /// The next body bytes, or `nil` at the end of the body.
    public func nextBody() throws(APIError) -> [UInt8]? {
        if !pendingBody.isEmpty {
            defer { pendingBody = [] }
            return pendingBody
        }
        while !ended, !parser.isComplete {
            guard let bytes = try receive() else {
                ended = true
                do {
                    try parser.finish()
                } catch {
                    throw .connection("\(path): \(error)")
                }
                return nil
            }
            let body = try feed(bytes)
            if !body.isEmpty { return body }
        }
        return nil
    }

    /// The whole body, refused beyond `limit` bytes.
    public func readBody(limit: Int) throws(APIError) -> [UInt8] {
        var body: [UInt8] = []
        while let more = try nextBody() {
            body += more
            guard body.count <= limit else {
                throw .protocolError("\(path): the response is larger than \(limit) bytes")
            }
        }
        return body
    }

    /// Wakes a read blocked on another thread; the reader then sees the connection end.
    public func interrupt() {
        stream.interrupt()
    }

    public func close() {
        stream.close()
    }

    private func receive() throws(APIError) -> ArraySlice<UInt8>? {
        let read = buffer.withUnsafeMutableBytes { pointer in
            Result { () throws(BlockingStream.StreamError) in try stream.read(into: pointer) }
        }
        switch read {
        case .success(let count):
            return count == 0 ? nil : buffer[..<count]
        case .failure(.timedOut):
            throw .stalled(path)
        case .failure(let error):
            throw .connection("\(path): \(error)")
        }
    }

    private func feed(_ bytes: ArraySlice<UInt8>) throws(APIError) -> [UInt8] {
        do {
            return try parser.feed(bytes)
        } catch {
            throw .protocolError("\(path): \(error)")
        }
    }
}
