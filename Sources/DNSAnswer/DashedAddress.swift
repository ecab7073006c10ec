/// Reads the dashed IP form Kubernetes uses in DNS labels (`10-244-1-5`, `fd00--1`) straight from packet bytes,
/// without allocating: it runs for every pod query.
enum DashedAddress {
    /// Writes the address into `out` (16 bytes available) and returns 4 or 16, or 0 when `label` is not an address.
    static func parse(_ label: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        if parseV4(label, into: out) { return 4 }
        if parseV6(label, into: out) { return 16 }
        return 0
    }

    private static func parseV4(_ label: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
        var octet = 0
        var digits = 0
        var index = 0
        var leadingZero = false
        for byte in label {
            if byte == UInt8(ascii: "-") {
                guard digits > 0, index < 3 else { return false }
                out[index] = UInt8(octet)
                index += 1
                octet = 0
                digits = 0
                leadingZero = false
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                // A leading zero is refused, as Go's net.ParseIP (and so CoreDNS) refuses it.
                guard !leadingZero || digits == 0 else { return false }
                if digits == 0, byte == UInt8(ascii: "0") { leadingZero = true }
                octet = octet * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard octet <= 255, digits <= 3 else { return false }
            } else {
                return false
            }
        }
        guard digits > 0, index == 3 else { return false }
        out[3] = UInt8(octet)
        return true
    }

    private static func hexValue(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: -1
        }
    }

    /// RFC 4291 §2.2 text with `-` for `:`; `--` stands for `::` once.
    private static func parseV6(_ label: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
        let count = label.count
        guard count >= 2 else { return false }
        var groups = 0
        var gapAt = -1
        var index = 0
        if label[0] == UInt8(ascii: "-") {
            guard label[1] == UInt8(ascii: "-") else { return false }
            gapAt = 0
            index = 2
        }
        while index < count {
            var value = 0
            var digits = 0
            while index < count, digits < 5, case let digit = hexValue(label[index]), digit >= 0 {
                value = value << 4 | digit
                digits += 1
                index += 1
            }
            guard digits >= 1, digits <= 4, groups < 8 else { return false }
            out[groups * 2] = UInt8(value >> 8)
            out[groups * 2 + 1] = UInt8(value & 0xFF)
            groups += 1
            guard index < count else { break }
            guard label[index] == UInt8(ascii: "-") else { return false }
            index += 1
            if index < count, label[index] == UInt8(ascii: "-") {
                guard gapAt < 0 else { return false }
                gapAt = groups
                index += 1
            } else if index == count {
                return false
            }
        }
        if gapAt >= 0 {
            guard groups < 8 else { return false }
            let shift = 8 - groups
            var group = groups - 1
            while group >= gapAt {
                out[(group + shift) * 2] = out[group * 2]
                out[(group + shift) * 2 + 1] = out[group * 2 + 1]
                group -= 1
            }
            for zero in gapAt..<(gapAt + shift) {
                out[zero * 2] = 0
                out[zero * 2 + 1] = 0
            }
            return true
        }
        return groups == 8
    }
}
