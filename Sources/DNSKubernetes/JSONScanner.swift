/// Finds values in a JSON text by walking its bytes, without building objects: enough to read a list's metadata, cut
/// a list into its items, and read a watch event's type, without decoding the objects themselves (which
/// `ManifestParser` does once, from their text). Malformed JSON makes every lookup fail, never trap.
public struct JSONScanner: Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Nesting deeper than this is refused rather than walked (Kubernetes objects nest a dozen levels).
    static let maxDepth = 512

    /// The byte range of the value at `path` (object keys, from the top), or nil.
    public func value(at path: [String]) -> Range<Int>? {
        guard var range = topValue() else { return nil }
        for key in path {
            guard let member = members(of: range)?.first(where: { $0.key == key }) else { return nil }
            range = member.value
        }
        return range
    }

    /// The string at `path`, unescaped; nil when absent or not a string.
    public func string(at path: [String]) -> String? {
        value(at: path).flatMap(string(in:))
    }

    /// The byte ranges of the elements of the array at `path`; nil when absent or not an array.
    public func elements(at path: [String]) -> [Range<Int>]? {
        guard let range = value(at: path), bytes[range.lowerBound] == UInt8(ascii: "[") else { return nil }
        var elements: [Range<Int>] = []
        var index = skipSpace(range.lowerBound + 1)
        if index < range.upperBound, bytes[index] == UInt8(ascii: "]") { return [] }
        while index < range.upperBound {
            guard let end = skipValue(index, depth: 0) else { return nil }
            elements.append(index..<end)
            index = skipSpace(end)
            guard index < range.upperBound else { return nil }
            if bytes[index] == UInt8(ascii: "]") { return elements }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index = skipSpace(index + 1)
        }
        return nil
    }

    /// The text of `range`.
    public func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    // MARK: - Walking

    private func topValue() -> Range<Int>? {
        let start = skipSpace(0)
        guard start < bytes.count, let end = skipValue(start, depth: 0) else { return nil }
        return start..<end
    }

    /// The key/value pairs of the object in `range`, or nil when it is not an object.
    private func members(of range: Range<Int>) -> [(key: String, value: Range<Int>)]? {
        guard bytes[range.lowerBound] == UInt8(ascii: "{") else { return nil }
        var members: [(key: String, value: Range<Int>)] = []
        var index = skipSpace(range.lowerBound + 1)
        if index < range.upperBound, bytes[index] == UInt8(ascii: "}") { return [] }
        while index < range.upperBound {
            guard bytes[index] == UInt8(ascii: "\""), let keyEnd = skipString(index),
                let key = string(in: index..<keyEnd)
            else { return nil }
            index = skipSpace(keyEnd)
            guard index < range.upperBound, bytes[index] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipSpace(index + 1)
            guard valueStart < range.upperBound, let valueEnd = skipValue(valueStart, depth: 1) else { return nil }
            members.append((key, valueStart..<valueEnd))
            index = skipSpace(valueEnd)
            guard index < range.upperBound else { return nil }
            if bytes[index] == UInt8(ascii: "}") { return members }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index = skipSpace(index + 1)
        }
        return nil
    }

    private func skipSpace(_ start: Int) -> Int {
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return index
            }
        }
        return index
    }

    /// The end of the value starting at `start`.
    private func skipValue(_ start: Int, depth: Int) -> Int? {
        guard start < bytes.count, depth < Self.maxDepth else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return skipString(start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Brackets are matched by counting, strings skipped whole: their contents never count.
            var nesting = 0
            var index = start
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard let end = skipString(index) else { return nil }
                    index = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    nesting += 1
                    guard nesting < Self.maxDepth else { return nil }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    nesting -= 1
                    if nesting == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            return nil
        default:
            // A number, true, false or null: up to the next delimiter.
            var index = start
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "), UInt8(ascii: "\n"),
                    UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                    return index == start ? nil : index
                default:
                    index += 1
                }
            }
            return index == start ? nil : index
        }
    }

    /// The end (past the closing quote) of the string starting at `start`.
    private func skipString(_ start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return nil
    }

    /// The unescaped contents of the string literal in `range`.
    private func string(in range: Range<Int>) -> String? {
        guard range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
        let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: inner, as: UTF8.self) }
        // Escapes are rare in the strings read here (names, versions, tokens): let Foundation-free decoding handle
        // them through the general path.
        var result: [UInt8] = []
        var index = inner.startIndex
        while index < inner.endIndex {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < inner.endIndex else {
                result.append(byte)
                index += 1
                continue
            }
            let escaped = inner[index + 1]
            switch escaped {
            case UInt8(ascii: "n"): result.append(10)
            case UInt8(ascii: "t"): result.append(9)
            case UInt8(ascii: "r"): result.append(13)
            case UInt8(ascii: "b"): result.append(8)
            case UInt8(ascii: "f"): result.append(12)
            case UInt8(ascii: "u"):
                guard index + 6 <= inner.endIndex,
                    let code = UInt32(String(decoding: inner[(index + 2)..<(index + 6)], as: UTF8.self), radix: 16)
                else { return nil }
                var scalarCode = code
                var consumed = 6
                // A surrogate pair (\uD83D\uDE00) is one scalar.
                if (0xD800..<0xDC00).contains(code), index + 12 <= inner.endIndex,
                    inner[index + 6] == UInt8(ascii: "\\"), inner[index + 7] == UInt8(ascii: "u"),
                    let low = UInt32(String(decoding: inner[(index + 8)..<(index + 12)], as: UTF8.self), radix: 16),
                    (0xDC00..<0xE000).contains(low)
                {
                    scalarCode = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    consumed = 12
                }
                guard let scalar = Unicode.Scalar(scalarCode) else { return nil }
                result += Array(String(Character(scalar)).utf8)
                index += consumed
                continue
            default: result.append(escaped)
            }
            index += 2
        }
        return String(decoding: result, as: UTF8.self)
    }
}
