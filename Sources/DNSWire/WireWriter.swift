/// Builds a DNS message in wire form, compressing names (RFC 1035 §4.1.4).
///
/// Every name written through `writeName` registers each of its suffixes at the offset where that suffix starts, so
/// that later names can point to it. A writer made with `init(prefix:)` knows nothing about names inside the prefix:
/// callers that want owners compressed to the question (`0xC00C`) write the question with `write(_:)` themselves.
public struct WireWriter {
    /// A compression pointer holds a 14-bit offset (RFC 1035 §4.1.4).
    static let maxPointerOffset = 0x3FFF

    /// The message so far. Patch fields in place if needed, but never move or change bytes of names already written:
    /// later names may point to them.
    public var bytes: [UInt8]
    /// Suffix → offset of its first occurrence. `Name` compares and hashes ignoring ASCII case, so the lookup is
    /// case-insensitive as RFC 4343 §2 requires of name comparison.
    private var suffixOffsets: [Name: Int] = [:]

    public init() {
        bytes = []
        bytes.reserveCapacity(512)
    }

    /// Starts after `prefix` (typically a header); names inside the prefix are not available for compression.
    public init(prefix: [UInt8]) {
        bytes = prefix
    }

    public var count: Int { bytes.count }

    public mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func writeUInt32(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8(value >> 16 & 0xFF))
        bytes.append(UInt8(value >> 8 & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func writeBytes(_ value: some Sequence<UInt8>) {
        bytes.append(contentsOf: value)
    }

    /// Overwrites two bytes already written (a count or an RDLENGTH known only later).
    public mutating func patchUInt16(_ value: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= bytes.count, "patch outside the written bytes")
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    /// Writes `name`, ending in a pointer to the longest suffix already written when `compress` is true.
    /// Either way the suffixes written out in full become targets for later names.
    public mutating func writeName(_ name: Name, compress: Bool = true) {
        let wire = name.wire
        var position = 0
        while wire[position] != 0 {
            let suffix = Name(validatedWire: Array(wire[position...]))
            if compress, let target = suffixOffsets[suffix] {
                writeUInt16(0xC000 | UInt16(target))
                return
            }
            if bytes.count <= WireWriter.maxPointerOffset, suffixOffsets[suffix] == nil {
                suffixOffsets[suffix] = bytes.count
            }
            let end = position + 1 + Int(wire[position])
            bytes.append(contentsOf: wire[position..<end])
            position = end
        }
        bytes.append(0)
    }

    /// A `<character-string>` (RFC 1035 §3.3); longer values are cut at 255 octets by the caller.
    mutating func writeCharacterString(_ value: ArraySlice<UInt8>) {
        precondition(value.count <= 255, "character-string longer than 255 octets")
        bytes.append(UInt8(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func write(_ header: Header) {
        writeUInt16(header.id)
        writeUInt16(header.flags)
        writeUInt16(header.questionCount)
        writeUInt16(header.answerCount)
        writeUInt16(header.authorityCount)
        writeUInt16(header.additionalCount)
    }

    public mutating func write(_ question: Question) {
        writeName(question.name)
        writeUInt16(question.type.rawValue)
        writeUInt16(question.recordClass.rawValue)
    }

    /// Writes one record; RDLENGTH is filled in after the RDATA.
    public mutating func write(_ record: ResourceRecord) {
        writeName(record.name)
        writeUInt16(record.type.rawValue)
        writeUInt16(record.recordClass.rawValue)
        writeUInt32(record.ttl)
        let lengthOffset = bytes.count
        writeUInt16(0)
        write(record.data, compressNames: true)
        let length = bytes.count - lengthOffset - 2
        precondition(length <= Int(UInt16.max), "RDATA longer than 65535 octets")
        patchUInt16(UInt16(length), at: lengthOffset)
    }

    /// RDATA names are compressed only for the RFC 1035 types that allow it (RFC 3597 §4); never SRV targets
    /// (RFC 2782: "name compression is not to be used for this field"). `compressNames: false` gives the canonical
    /// uncompressed RDATA used by the RFC 3597 generic presentation form.
    mutating func write(_ data: RecordData, compressNames: Bool) {
        switch data {
        case .a(let address):
            writeUInt32(address.value)
        case .aaaa(let address):
            writeBytes(address.bytes)
        case .cname(let name), .ns(let name), .ptr(let name):
            writeName(name, compress: compressNames)
        case .mx(let mx):
            writeUInt16(mx.preference)
            writeName(mx.exchange, compress: compressNames)
        case .soa(let soa):
            writeName(soa.mname, compress: compressNames)
            writeName(soa.rname, compress: compressNames)
            writeUInt32(soa.serial)
            writeUInt32(soa.refresh)
            writeUInt32(soa.retry)
            writeUInt32(soa.expire)
            writeUInt32(soa.minimum)
        case .srv(let srv):
            writeUInt16(srv.priority)
            writeUInt16(srv.weight)
            writeUInt16(srv.port)
            writeName(srv.target, compress: false)
        case .txt(let strings):
            // RFC 1035 §3.3.14: TXT holds one or more character-strings; an empty list is sent as one empty string.
            if strings.isEmpty { writeUInt8(0) }
            for string in strings {
                var rest = string[...]
                repeat {
                    let chunk = rest.prefix(255)
                    writeCharacterString(chunk)
                    rest = rest.dropFirst(chunk.count)
                } while !rest.isEmpty
            }
        case .opt(let options):
            for option in options {
                precondition(option.data.count <= Int(UInt16.max), "EDNS option longer than 65535 octets")
                writeUInt16(option.code)
                writeUInt16(UInt16(option.data.count))
                writeBytes(option.data)
            }
        case .unknown(let rdata):
            writeBytes(rdata)
        }
    }
}
