import DNSKubernetes
import Testing

/// RFC 9112 §7.1 chunked bodies, as the API server sends watch streams.
struct ChunkedBodyDecoderTests {
    @Test(arguments: [
        "watch/services", "watch/endpointslices", "watch/pods-active", "pretty-curl-ua/watch/endpointslices",
        "errors/watch-410-too-old-rv-services",
    ])
    func recordedChunkedBodiesDecodeToTheirLines(_ name: String) throws {
        let chunked = try KubeAPIFixtures.bytes(name + ".chunked")
        let expected = try KubeAPIFixtures.bytes(name + ".jsonl")
        // Whole, and fed in awkward pieces (chunk boundaries fall anywhere, even inside "\r\n").
        for pieceSize in [chunked.count, 1, 7, 2048] {
            var decoder = ChunkedBodyDecoder()
            var body: [UInt8] = []
            var start = 0
            while start < chunked.count {
                let end = min(start + pieceSize, chunked.count)
                body += try decoder.decode(chunked[start..<end])
                start = end
            }
            #expect(body == expected, "piece size \(pieceSize)")
            #expect(decoder.isComplete)
        }
    }

    @Test func eventsSplitMidJSONAreReassembledByLine() throws {
        // In this recording chunks 19-21 cut events in the middle of their JSON.
        let chunked = try KubeAPIFixtures.bytes("pretty-curl-ua/watch/endpointslices.chunked")
        var decoder = ChunkedBodyDecoder()
        var splitter = LineSplitter()
        let lines = try splitter.append(try decoder.decode(chunked))
        #expect(lines == (try KubeAPIFixtures.lines("pretty-curl-ua/watch/endpointslices.jsonl")))
        #expect(!splitter.hasPartialLine)
    }

    @Test(arguments: ["zz\r\n", "\r\n", "-1\r\n", "1\r\nab\r\n", "10000000000000000\r\n"])
    func malformedChunkingIsAnError(_ text: String) {
        var decoder = ChunkedBodyDecoder()
        #expect(throws: ChunkedBodyDecoder.DecodeError.self) { try decoder.decode(Array(text.utf8)) }
    }

    @Test func extensionsAndTrailersAreSkipped() throws {
        var decoder = ChunkedBodyDecoder()
        let body = try decoder.decode(Array("3;name=value\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n".utf8))
        #expect(body == Array("abc".utf8))
        #expect(decoder.isComplete)
    }
}
