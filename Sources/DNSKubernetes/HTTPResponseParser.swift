/// Reads an HTTP/1.1 response (RFC 9112) as its bytes arrive: the status line and headers, then the body as
/// `Content-Length`, chunked, or everything until the connection closes. The API server sends short lists with a
/// length, long lists and every watch chunked.
public struct HTTPResponseParser: Sendable {
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case badStatusLine
        case headTooLarge
        case badContentLength
        case badChunk
        case truncated

        public var description: String {
            switch self {
            case .badStatusLine: "the response does not start with an HTTP/1.x status line"
            case .headTooLarge: "the response headers exceed \(HTTPResponseParser.maxHeadLength) bytes"
            case .badContentLength: "the response has an invalid Content-Length"
            case .badChunk: "the response's chunked body is malformed"
            case .truncated: "the connection closed before the response was complete"
            }
        }
    }

    public struct Head: Sendable, Equatable {
        public var status: Int
        /// Header names lowercased; a repeated header keeps its last value.
        public var headers: [String: String]
    }

    /// The API server's headers are a few hundred bytes; anything this large is not a reply we can use.
    public static let maxHeadLength = 64 << 10

    private enum Framing: Sendable {
        case length(remaining: Int)
        case chunked(ChunkedBodyDecoder)
        case untilClose
    }

    private var headBytes: [UInt8] = []
    public private(set) var head: Head?
    private var framing: Framing?

    public init() {}

    /// True once the whole body has arrived (never for a body that runs until the connection closes).
    public var isComplete: Bool {
        switch framing {
        case .length(let remaining): remaining == 0
        case .chunked(let decoder): decoder.isComplete
        case .untilClose, nil: false
        }
    }

    /// Feeds bytes from the connection; returns the body bytes among them. `head` is set once it has been read.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(ParseError) -> [UInt8] {
        guard head != nil else {
            headBytes.append(contentsOf: bytes)
            guard let end = Self.endOfHead(headBytes) else {
                guard headBytes.count <= Self.maxHeadLength else { throw .headTooLarge }
                return []
            }
            let parsed = try Self.parseHead(headBytes[..<end])
            let rest = Array(headBytes[end...])
            headBytes = []
            head = parsed
            framing = try Self.framing(of: parsed)
            return try feedBody(rest)
        }
        return try feedBody(bytes)
    }

    /// The connection closed: a body that runs until the close ends here; any other unfinished response is cut.
    public func finish() throws(ParseError) {
        guard head != nil else { throw .truncated }
        if case .untilClose = framing { return }
        guard isComplete else { throw .truncated }
    }

    private mutating func feedBody(_ bytes: some Collection<UInt8>) throws(ParseError) -> [UInt8] {
        switch framing {
        case .length(let remaining):
            let taken = Array(bytes.prefix(remaining))
            framing = .length(remaining: remaining - taken.count)
            return taken
        case .chunked(var decoder):
            do {
                let body = try decoder.decode(bytes)
                framing = .chunked(decoder)
                return body
            } catch {
                throw .badChunk
            }
        case .untilClose:
            return Array(bytes)
        case nil:
            return []
        }
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index] == UInt8(ascii: "\n") && bytes[index - 1] == UInt8(ascii: "\r")
            && bytes[index - 2] == UInt8(ascii: "\n") && bytes[index - 3] == UInt8(ascii: "\r")
        {
            return index + 1
        }
        return nil
    }

    private static func parseHead(_ bytes: ArraySlice<UInt8>) throws(ParseError) -> Head {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)[...]
        guard let statusLine = lines.popFirst() else { throw .badStatusLine }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
            throw .badStatusLine
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingWhitespace()
        }
        return Head(status: status, headers: headers)
    }

    private static func framing(of head: Head) throws(ParseError) -> Framing {
        // 1xx, 204 and 304 have no body (RFC 9112 §6.3).
        if head.status < 200 || head.status == 204 || head.status == 304 { return .length(remaining: 0) }
        if let coding = head.headers["transfer-encoding"], coding.lowercased().hasSuffix("chunked") {
            return .chunked(ChunkedBodyDecoder())
        }
        if let length = head.headers["content-length"] {
            guard let value = Int(length), value >= 0 else { throw .badContentLength }
            return .length(remaining: value)
        }
        return .untilClose
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
