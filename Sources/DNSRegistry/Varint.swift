/// LEB128 unsigned varints: seven bits a byte, low bits first, the high bit set on every byte but the last. The
/// packed forms (`PackedNamespace`, a file's declaration sites) write counts, lengths and lines this way: nearly all
/// fit one byte.
enum Varint {
    static func append(_ value: Int, to bytes: inout [UInt8]) {
        var value = UInt(value)
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// The varint at `offset`, which moves past it. The bytes were written by this process: a short read traps.
    static func read(_ bytes: [UInt8], at offset: inout Int) -> Int {
        var value = 0
        var shift = 0
        while true {
            let byte = bytes[offset]
            offset += 1
            value |= Int(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
}
