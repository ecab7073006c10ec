/// A domain name, held in uncompressed wire form (length-prefixed labels ending with the zero-length root label).
///
/// Equality and hashing ignore ASCII letter case (RFC 4343); the stored bytes keep the case they were given so that a
/// name can be echoed exactly as a client wrote it.
public struct Name: Sendable, CustomStringConvertible {
    /// RFC 1035 §2.3.4: at most 255 octets in wire form, at most 63 in one label.
    public static let maxWireLength = 255
    public static let maxLabelLength = 63

    /// Wire form, always absolute (ends with a zero octet).
    public let wire: [UInt8]

    public static let root = Name(validatedWire: [0])

    init(validatedWire: [UInt8]) {
        self.wire = validatedWire
    }

    /// Builds a name from labels; throws when a label is empty or too long, or the name is too long.
    public init(labels: [[UInt8]]) throws(NameError) {
        var wire: [UInt8] = []
        wire.reserveCapacity(labels.reduce(1) { $0 + $1.count + 1 })
        for label in labels {
            guard !label.isEmpty else { throw .emptyLabel }
            guard label.count <= Name.maxLabelLength else { throw .labelTooLong }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        guard wire.count <= Name.maxWireLength else { throw .nameTooLong }
        self.wire = wire
    }

    /// Parses presentation format (`web.default.svc.cluster.local.`); the trailing dot is optional and the result is
    /// always absolute. Understands the RFC 1035 §5.1 escapes `\X` and `\DDD`.
    public init(_ text: String) throws(NameError) {
        if text == "." || text.isEmpty {
            self = .root
            return
        }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                guard !current.isEmpty else { throw .emptyLabel }
                labels.append(current)
                current = []
                index += 1
            } else if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { throw .badEscape }
                if let value = Name.decimalEscape(bytes, at: index) {
                    current.append(value)
                    index += 3
                } else if bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                    // A digit after `\` starts `\DDD`, which needs exactly three digits and a value up to 255.
                    throw .badEscape
                } else {
                    current.append(bytes[index])
                    index += 1
                }
            } else {
                current.append(byte)
                index += 1
            }
        }
        if !current.isEmpty { labels.append(current) }
        try self.init(labels: labels)
    }

    private static func decimalEscape(_ bytes: [UInt8], at index: Int) -> UInt8? {
        guard index + 2 < bytes.count else { return nil }
        var value = 0
        for offset in 0..<3 {
            let digit = bytes[index + offset]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }

    /// The labels, leftmost first, without the root label.
    public var labels: [[UInt8]] {
        var result: [[UInt8]] = []
        var offset = 0
        while wire[offset] != 0 {
            let length = Int(wire[offset])
            result.append(Array(wire[(offset + 1)..<(offset + 1 + length)]))
            offset += 1 + length
        }
        return result
    }

    public var labelCount: Int {
        var count = 0
        var offset = 0
        while wire[offset] != 0 {
            count += 1
            offset += 1 + Int(wire[offset])
        }
        return count
    }

    public var isRoot: Bool { wire.count == 1 }

    /// The name with its leftmost label removed; the root's parent is the root.
    public var parent: Name {
        guard !isRoot else { return self }
        return Name(validatedWire: Array(wire[(1 + Int(wire[0]))...]))
    }

    /// The first label, or an empty array for the root.
    public var firstLabel: [UInt8] {
        guard !isRoot else { return [] }
        return Array(wire[1..<(1 + Int(wire[0]))])
    }

    public func prepending(_ label: [UInt8]) throws(NameError) -> Name {
        guard !label.isEmpty else { throw .emptyLabel }
        guard label.count <= Name.maxLabelLength else { throw .labelTooLong }
        guard wire.count + label.count + 1 <= Name.maxWireLength else { throw .nameTooLong }
        return Name(validatedWire: [UInt8(label.count)] + label + wire)
    }

    public func prepending(_ label: String) throws(NameError) -> Name {
        try prepending(Array(label.utf8))
    }

    /// `self` with `suffix` appended (`self` treated as relative).
    public func appending(_ suffix: Name) throws(NameError) -> Name {
        let combined = Array(wire.dropLast()) + suffix.wire
        guard combined.count <= Name.maxWireLength else { throw .nameTooLong }
        return Name(validatedWire: combined)
    }

    /// The same name in ASCII lower case.
    public func lowercased() -> Name {
        Name(validatedWire: wire.map(asciiLowercase))
    }

    /// True when `self` equals `ancestor` or lies below it.
    public func isSubdomain(of ancestor: Name) -> Bool {
        let extra = wire.count - ancestor.wire.count
        guard extra >= 0 else { return false }
        // Walk label boundaries so that `xcluster.local` is not taken as below `cluster.local`.
        var offset = 0
        while offset < extra {
            offset += 1 + Int(wire[offset])
        }
        guard offset == extra else { return false }
        for index in 0..<ancestor.wire.count
        where asciiLowercase(wire[extra + index]) != asciiLowercase(ancestor.wire[index]) {
            return false
        }
        return true
    }

    public var description: String {
        if isRoot { return "." }
        var text = ""
        for label in labels {
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"),
                    UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    text.append("\\")
                    text.append(Character(Unicode.Scalar(byte)))
                case 0x21...0x7E:
                    text.append(Character(Unicode.Scalar(byte)))
                default:
                    let digits = String(byte)
                    text.append("\\" + String(repeating: "0", count: 3 - digits.count) + digits)
                }
            }
            text.append(".")
        }
        return text
    }
}

extension Name: Hashable {
    public static func == (lhs: Name, rhs: Name) -> Bool {
        guard lhs.wire.count == rhs.wire.count else { return false }
        for index in lhs.wire.indices where asciiLowercase(lhs.wire[index]) != asciiLowercase(rhs.wire[index]) {
            return false
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for byte in wire {
            hasher.combine(asciiLowercase(byte))
        }
    }
}

extension Name: ExpressibleByStringLiteral {
    /// For constants and tests: traps on an invalid literal, which is a programming error.
    public init(stringLiteral value: String) {
        do {
            try self.init(value)
        } catch {
            preconditionFailure("invalid domain name literal \(value): \(error)")
        }
    }
}

public enum NameError: Error, Sendable, Equatable {
    case emptyLabel
    case labelTooLong
    case nameTooLong
    case badEscape
}

/// ASCII-only lower-casing: DNS letter case is defined on ASCII alone (RFC 4343 §3).
@inline(__always)
public func asciiLowercase(_ byte: UInt8) -> UInt8 {
    byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
}
