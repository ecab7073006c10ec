/// An IPv6 address, held as two 64-bit halves in host byte order.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "IPv6 address needs 16 bytes")
        high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Parses RFC 4291 §2.2 text: full, `::`-compressed, and with an embedded dotted quad (`::ffff:10.0.0.1`).
    /// A zone suffix (`%eth0`) is not an address and gives `nil`.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, !text.contains("%") else { return nil }
        var groups: [UInt16] = []
        var compressedAt: Int?
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        for (halfIndex, half) in halves.enumerated() {
            if halfIndex == 1 { compressedAt = groups.count }
            guard !half.isEmpty else { continue }
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (partIndex, part) in parts.enumerated() {
                let isLast = halfIndex == halves.count - 1 && partIndex == parts.count - 1
                if isLast, part.contains(".") {
                    guard let v4 = IPv4Address(part) else { return nil }
                    groups.append(UInt16(v4.value >> 16))
                    groups.append(UInt16(v4.value & 0xFFFF))
                    continue
                }
                // Hex digits only: `UInt16(_:radix:)` alone would also take a sign (`+1::`).
                guard (1...4).contains(part.count), part.allSatisfy(\.isHexDigit), part.allSatisfy(\.isASCII),
                    let group = UInt16(part, radix: 16)
                else { return nil }
                groups.append(group)
            }
        }
        if let position = compressedAt {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: position)
        }
        guard groups.count == 8 else { return nil }
        high = groups[0..<4].reduce(0) { $0 << 16 | UInt64($1) }
        low = groups[4..<8].reduce(0) { $0 << 16 | UInt64($1) }
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(high >> (56 - 8 * $0) & 0xFF) } + (0..<8).map { UInt8(low >> (56 - 8 * $0) & 0xFF) }
    }

    var groups: [UInt16] {
        (0..<4).map { UInt16(high >> (48 - 16 * $0) & 0xFFFF) } + (0..<4).map { UInt16(low >> (48 - 16 * $0) & 0xFFFF) }
    }

    /// RFC 5952 canonical text: lower case, no leading zeros, the longest run (of two or more) of zero groups as `::`
    /// (the first such run on a tie), and IPv4-mapped addresses as `::ffff:192.0.2.1` (RFC 5952 §5).
    public var description: String {
        if isIPv4Mapped {
            return "::ffff:" + IPv4Address(UInt32(truncatingIfNeeded: low)).description
        }
        return hexText
    }

    /// `::ffff:0:0/96` (RFC 4291 §2.5.5.2).
    public var isIPv4Mapped: Bool {
        high == 0 && low >> 32 == 0xFFFF
    }

    /// RFC 5952 text with hexadecimal groups only, also for IPv4-mapped addresses.
    private var hexText: String {
        let groups = self.groups
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(groups[...]) }
        return hex(groups[0..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }

    /// The form Kubernetes uses in DNS labels: canonical hexadecimal text with `:` replaced by `-` (`fd00--1`). Never
    /// the dotted form, whose dots would split the label.
    public var dashed: String {
        hexText.replacingOccurrences(of: ":", with: "-")
    }

    /// Full-nibble `ip6.arpa.` name (RFC 3596 §2.5).
    public var reverseName: Name {
        var labels: [[UInt8]] = []
        for byte in bytes.reversed() {
            labels.append([hexDigit(byte & 0x0F)])
            labels.append([hexDigit(byte >> 4)])
        }
        labels.append(Array("ip6".utf8))
        labels.append(Array("arpa".utf8))
        // 32 one-octet labels and two fixed ones always fit.
        return try! Name(labels: labels)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}

extension String {
    /// Splits at every `::`; more than one yields three or more parts, which callers reject.
    fileprivate func components(separatedByDoubleColon _: Void) -> [Substring] {
        var parts: [Substring] = []
        var start = startIndex
        var index = startIndex
        while index < endIndex {
            let next = self.index(after: index)
            if self[index] == ":", next < endIndex, self[next] == ":" {
                parts.append(self[start..<index])
                start = self.index(after: next)
                index = start
            } else {
                index = next
            }
        }
        parts.append(self[start...])
        return parts
    }

    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
