/// Splits one presentation-format line into fields (RFC 1035 §5.1): blanks separate fields, `"…"` quotes a field that
/// may hold blanks, `\` escapes the next character, `;` starts a comment, and parentheses (which only group lines in a
/// zone file) count as blanks. Escapes are kept as written; each field's reader interprets them.
enum PresentationScanner {
    struct Field: Equatable {
        var text: [UInt8]
        var isQuoted: Bool

        var string: String { String(decoding: text, as: UTF8.self) }
    }

    static func fields(of line: String) throws(PresentationError) -> [Field] {
        let bytes = Array(line.utf8)
        var fields: [Field] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isSeparator(byte) {
                index += 1
            } else if byte == UInt8(ascii: ";") {
                break
            } else if byte == UInt8(ascii: "\"") {
                var text: [UInt8] = []
                index += 1
                while true {
                    guard index < bytes.count else { throw .unterminatedQuote }
                    let inner = bytes[index]
                    if inner == UInt8(ascii: "\"") { break }
                    text.append(inner)
                    if inner == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        text.append(bytes[index + 1])
                        index += 1
                    }
                    index += 1
                }
                index += 1
                fields.append(Field(text: text, isQuoted: true))
            } else {
                var text: [UInt8] = []
                while index < bytes.count, !isSeparator(bytes[index]), bytes[index] != UInt8(ascii: ";") {
                    text.append(bytes[index])
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        text.append(bytes[index + 1])
                        index += 1
                    }
                    index += 1
                }
                fields.append(Field(text: text, isQuoted: false))
            }
        }
        return fields
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "("),
            UInt8(ascii: ")"):
            true
        default:
            false
        }
    }

    /// A `<character-string>`'s bytes with `\X` and `\DDD` escapes resolved; `nil` when longer than 255 octets or
    /// badly escaped.
    static func characterString(_ field: Field) -> [UInt8]? {
        var result: [UInt8] = []
        var index = 0
        let text = field.text
        while index < text.count {
            guard text[index] == UInt8(ascii: "\\") else {
                result.append(text[index])
                index += 1
                continue
            }
            guard index + 1 < text.count else { return nil }
            if index + 3 < text.count, let value = decimal(text[(index + 1)...(index + 3)], as: UInt8.self) {
                result.append(value)
                index += 4
            } else if isDigit(text[index + 1]) {
                return nil
            } else {
                result.append(text[index + 1])
                index += 2
            }
        }
        return result.count <= 255 ? result : nil
    }

    /// Plain decimal digits that fit `T`; no sign, no blanks.
    static func decimal<T: FixedWidthInteger>(_ text: some Collection<UInt8>, as _: T.Type) -> T? {
        guard !text.isEmpty, text.count <= 20, text.allSatisfy(isDigit) else { return nil }
        var value: T = 0
        for digit in text {
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(T(digit - UInt8(ascii: "0")))
            guard !overflowShift, !overflowAdd else { return nil }
            value = sum
        }
        return value
    }

    static func decimal<T: FixedWidthInteger>(_ field: Field, as type: T.Type) -> T? {
        field.isQuoted ? nil : decimal(field.text, as: type)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Hexadecimal digits (either case) in pairs; `nil` for anything else.
    static func hexBytes(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(text.count / 2)
        var index = 0
        while index < text.count {
            guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
