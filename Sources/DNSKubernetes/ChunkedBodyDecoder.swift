/// HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), fed bytes as they arrive: watch streams come chunked, and chunk
/// boundaries fall anywhere, even inside an event.
public struct ChunkedBodyDecoder: Sendable {
    public enum DecodeError: Error, Equatable, Sendable {
        case badChunkSize
        case missingCRLF
    }

    /// A chunk-size line longer than this is not HTTP: refuse rather than buffer without end.
    static let maxSizeLineLength = 1024

    private enum State: Sendable {
        case size(line: [UInt8])
        case data(remaining: Int)
        case dataEnd(seen: Int)
        case trailer(line: [UInt8])
        case done
    }

    private var state = State.size(line: [])

    public init() {}

    /// True once the last (zero-size) chunk and the trailer have been read.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// The body bytes contained in `bytes`.
    public mutating func decode(_ bytes: some Collection<UInt8>) throws(DecodeError) -> [UInt8] {
        var body: [UInt8] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            switch state {
            case .size(var line):
                let byte = bytes[index]
                index = bytes.index(after: index)
                if byte == UInt8(ascii: "\n") {
                    state = try sizeParsed(line)
                } else {
                    guard line.count < ChunkedBodyDecoder.maxSizeLineLength else { throw .badChunkSize }
                    line.append(byte)
                    state = .size(line: line)
                }
            case .data(let remaining):
                let available = bytes.distance(from: index, to: bytes.endIndex)
                let take = min(available, remaining)
                let end = bytes.index(index, offsetBy: take)
                body.append(contentsOf: bytes[index..<end])
                index = end
                state = take == remaining ? .dataEnd(seen: 0) : .data(remaining: remaining - take)
            case .dataEnd(let seen):
                let byte = bytes[index]
                index = bytes.index(after: index)
                let expected = seen == 0 ? UInt8(ascii: "\r") : UInt8(ascii: "\n")
                guard byte == expected else { throw .missingCRLF }
                state = seen == 0 ? .dataEnd(seen: 1) : .size(line: [])
            case .trailer(var line):
                let byte = bytes[index]
                index = bytes.index(after: index)
                if byte == UInt8(ascii: "\n") {
                    // An empty line ends the trailer section.
                    state = line.isEmpty || line == [UInt8(ascii: "\r")] ? .done : .trailer(line: [])
                } else {
                    line.append(byte)
                    state = .trailer(line: line)
                }
            case .done:
                return body
            }
        }
        return body
    }

    private func sizeParsed(_ line: [UInt8]) throws(DecodeError) -> State {
        var digits = line
        if digits.last == UInt8(ascii: "\r") { digits.removeLast() }
        // Chunk extensions (`;name=value`) carry nothing we use.
        if let semicolon = digits.firstIndex(of: UInt8(ascii: ";")) { digits = Array(digits[..<semicolon]) }
        guard !digits.isEmpty, digits.count <= 15 else { throw .badChunkSize }
        var size = 0
        for digit in digits {
            let value: Int
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(digit - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(digit - UInt8(ascii: "A")) + 10
            default: throw .badChunkSize
            }
            size = size * 16 + value
        }
        return size == 0 ? .trailer(line: []) : .data(remaining: size)
    }
}
