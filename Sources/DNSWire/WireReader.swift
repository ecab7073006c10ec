/// Reads big-endian fields and (compressed) names from a DNS message (RFC 1035 §4.1).
///
/// Works over borrowed memory so that a receive buffer can be read in place: the caller must keep `message` alive and
/// unchanged for as long as the reader is used (typically inside one `withUnsafeBytes`). Every read checks its bounds
/// first and throws `DecodeError.truncated` instead of reading past `limit`.
public struct WireReader {
    /// The whole message: compression pointers may point anywhere before the name that uses them.
    public let message: UnsafeRawBufferPointer
    /// Where the next read starts.
    public private(set) var offset: Int
    /// Sequential reads stop here; below `message.count` while reading one record's RDATA.
    public let limit: Int

    /// A reader over all of `message`, starting at `offset`.
    public init(_ message: UnsafeRawBufferPointer, offset: Int = 0) {
        precondition(offset >= 0 && offset <= message.count, "reader offset outside the message")
        self.message = message
        self.offset = offset
        self.limit = message.count
    }

    private init(message: UnsafeRawBufferPointer, offset: Int, limit: Int) {
        self.message = message
        self.offset = offset
        self.limit = limit
    }

    /// Bytes left before `limit`.
    public var remaining: Int { limit - offset }

    public var isAtEnd: Bool { offset == limit }

    /// A reader over the next `count` bytes only (one RDATA), sharing this message for compression pointers.
    /// Does not advance `self`; call `skip(_:)` once the sub-reader is done.
    public func limited(to count: Int) throws(DecodeError) -> WireReader {
        guard count >= 0, count <= remaining else { throw .truncated }
        return WireReader(message: message, offset: offset, limit: offset + count)
    }

    public mutating func skip(_ count: Int) throws(DecodeError) {
        guard count >= 0, count <= remaining else { throw .truncated }
        offset += count
    }

    public mutating func readUInt8() throws(DecodeError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { offset += 1 }
        return message[offset]
    }

    public mutating func readUInt16() throws(DecodeError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated }
        defer { offset += 2 }
        return UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
    }

    public mutating func readUInt32() throws(DecodeError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated }
        defer { offset += 4 }
        return UInt32(message[offset]) << 24 | UInt32(message[offset + 1]) << 16 | UInt32(message[offset + 2]) << 8
            | UInt32(message[offset + 3])
    }

    public mutating func readUInt64() throws(DecodeError) -> UInt64 {
        let high = try readUInt32()
        return UInt64(high) << 32 | UInt64(try readUInt32())
    }

    public mutating func readBytes(_ count: Int) throws(DecodeError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw .truncated }
        defer { offset += count }
        return Array(message[offset..<(offset + count)])
    }

    /// A `<character-string>` (RFC 1035 §3.3): one length octet, then that many octets.
    public mutating func readCharacterString() throws(DecodeError) -> [UInt8] {
        let length = try readUInt8()
        return try readBytes(Int(length))
    }

    /// Reads a name, following compression pointers (RFC 1035 §4.1.4), and leaves `offset` just after the name's
    /// bytes at the current position (after the first pointer, if any).
    ///
    /// Rejects, so that a hostile message cannot loop or read outside itself:
    /// - a pointer whose target is not strictly before the pointer, and any further pointer whose target is not
    ///   strictly before the previous target (targets strictly decrease, so following them always ends);
    /// - the reserved label types 0b01 (RFC 6891 §5 retired the extended labels) and 0b10;
    /// - a name longer than 255 octets in uncompressed wire form (RFC 1035 §2.3.4).
    public mutating func readName() throws(DecodeError) -> Name {
        var wire: [UInt8] = []
        wire.reserveCapacity(32)
        var position = offset
        // Until the first pointer the name lies in this reader's range; after a jump, anywhere before the jump.
        var bound = limit
        var resumeAt: Int?
        var lowestTarget = Int.max
        while true {
            guard position < bound else { throw .truncated }
            let byte = message[position]
            switch byte >> 6 {
            case 0b00:
                let length = Int(byte)
                if length == 0 {
                    wire.append(0)
                    offset = resumeAt ?? position + 1
                    return Name(validatedWire: wire)
                }
                guard position + 1 + length <= bound else { throw .truncated }
                // Room must stay for this label and the root octet.
                guard wire.count + 1 + length + 1 <= Name.maxWireLength else { throw .nameTooLong }
                wire.append(contentsOf: message[position..<(position + 1 + length)])
                position += 1 + length
            case 0b11:
                guard position + 1 < bound else { throw .truncated }
                let target = Int(byte & 0x3F) << 8 | Int(message[position + 1])
                guard target < position, target < lowestTarget else { throw .badPointer }
                if resumeAt == nil { resumeAt = position + 2 }
                lowestTarget = target
                bound = message.count
                position = target
            default:
                throw .badLabel
            }
        }
    }
}
