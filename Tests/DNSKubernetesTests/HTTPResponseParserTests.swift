import DNSKubernetes
import Testing

/// HTTP/1.1 responses as the API server frames them: a length for short bodies, chunks for long lists and watches.
struct HTTPResponseParserTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func aBodyWithContentLengthEndsAtItsLength() throws {
        var parser = HTTPResponseParser()
        let body = try parser.feed(
            Self.bytes("HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello"))
        #expect(parser.head?.status == 401)
        #expect(parser.head?.headers["x-a"] == "b")
        #expect(body == Self.bytes("hello"))
        #expect(parser.isComplete)
        try parser.finish()
    }

    @Test func aChunkedBodyMayArriveOneByteAtATime() throws {
        let response = Self.bytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n")
        var parser = HTTPResponseParser()
        var body: [UInt8] = []
        for byte in response {
            body += try parser.feed([byte])
        }
        #expect(body == Self.bytes("{\"a\":1}"))
        #expect(parser.isComplete)
    }

    @Test func recordedWatchStreamDecodesToItsJSONLines() throws {
        let chunked = try KubeAPIFixtures.bytes("watch/services.chunked")
        var parser = HTTPResponseParser()
        var body = try parser.feed(Self.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
        for start in stride(from: 0, to: chunked.count, by: 1000) {
            body += try parser.feed(chunked[start..<min(start + 1000, chunked.count)])
        }
        #expect(body == (try KubeAPIFixtures.bytes("watch/services.jsonl")))
        #expect(parser.isComplete)
    }

    @Test func aConnectionCutBeforeTheEndIsTruncation() throws {
        var parser = HTTPResponseParser()
        _ = try parser.feed(Self.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"))
        #expect(throws: HTTPResponseParser.ParseError.truncated) { try parser.finish() }
        var short = HTTPResponseParser()
        _ = try short.feed(Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
        #expect(throws: HTTPResponseParser.ParseError.truncated) { try short.finish() }
        #expect(throws: HTTPResponseParser.ParseError.truncated) { try HTTPResponseParser().finish() }
    }

    @Test func aBodyWithoutFramingRunsUntilClose() throws {
        var parser = HTTPResponseParser()
        let body = try parser.feed(Self.bytes("HTTP/1.0 200 OK\r\n\r\nabc"))
        #expect(body == Self.bytes("abc"))
        try parser.finish()
    }

    @Test(arguments: [
        "SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    ])
    func malformedHeadsAreRefused(text: String) {
        var parser = HTTPResponseParser()
        #expect(throws: HTTPResponseParser.ParseError.self) { _ = try parser.feed(Self.bytes(text)) }
    }

    @Test func endlessHeadersAreRefused() {
        var parser = HTTPResponseParser()
        #expect(throws: HTTPResponseParser.ParseError.headTooLarge) {
            _ = try parser.feed(Self.bytes("HTTP/1.1 200 OK\r\n") + [UInt8](repeating: 65, count: 70_000))
        }
    }
}

/// The reconnect waits: doubling with jitter, capped, reset after a long-lived connection.
struct BackoffTests {
    @Test func waitsDoubleWithJitterUpToTheMaximum() {
        var backoff = Backoff(initial: .milliseconds(800), maximum: .seconds(30))
        #expect(backoff.next(random: 0) == .milliseconds(800))
        #expect(backoff.next(random: 0.5) == .milliseconds(2400))
        #expect(backoff.next(random: 0) == .milliseconds(3200))
        for _ in 0..<10 { _ = backoff.next(random: 0) }
        #expect(backoff.next(random: 0) == .seconds(30))
        #expect(backoff.next(random: 1) == .seconds(60))
    }

    @Test func aLongConnectionStartsOverButAShortOneDoesNot() {
        var backoff = Backoff(initial: .milliseconds(800), maximum: .seconds(30), resetAfter: .seconds(120))
        _ = backoff.next(random: 0)
        _ = backoff.next(random: 0)
        backoff.connectionEnded(after: .seconds(5))
        #expect(backoff.next(random: 0) == .milliseconds(3200))
        backoff.connectionEnded(after: .seconds(300))
        #expect(backoff.next(random: 0) == .milliseconds(800))
    }
}
