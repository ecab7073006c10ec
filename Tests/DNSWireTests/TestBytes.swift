import DNSWire

/// Bytes from hexadecimal text; blanks (used to show field boundaries in goldens) are ignored.
func bytes(_ parts: String...) -> [UInt8] {
    let digits = parts.joined().filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    var result: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else { preconditionFailure("bad hex \(digits)") }
        result.append(byte)
        index = next
    }
    return result
}

/// The name in uncompressed wire form, as hex, for building goldens.
func wireHex(_ name: Name) -> String {
    name.wire.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// A 12-byte header with the given flags and counts.
func headerHex(id: UInt16 = 0, flags: UInt16 = 0, qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0)
    -> String
{
    [id, flags, qd, an, ns, ar].map { value in
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 4 - text.count) + text
    }.joined()
}

/// Runs `body` with a reader over `bytes` starting at `offset`.
func withReader<T>(_ bytes: [UInt8], at offset: Int = 0, _ body: (inout WireReader) throws -> T) rethrows -> T {
    try bytes.withUnsafeBytes { buffer in
        var reader = WireReader(buffer, offset: offset)
        return try body(&reader)
    }
}
