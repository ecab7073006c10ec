/// RDATA, decoded for the types ClusterDNS reads or writes and kept opaque for every other type (RFC 3597).
public enum RecordData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case cname(Name)
    case ns(Name)
    case ptr(Name)
    case mx(MXData)
    case soa(SOAData)
    case srv(SRVData)
    /// The character-strings, each at most 255 octets when decoded (RFC 1035 §3.3.14).
    case txt([[UInt8]])
    /// OPT pseudo-record options (RFC 6891 §6.1.2); see `EDNS` for the fields kept in CLASS and TTL.
    case opt([EDNSOption])
    /// Any other type: RDATA as sent, except that names a compressing peer may have compressed (RFC 3597 §4) are
    /// stored decompressed, so the bytes mean the same wherever they are written.
    case unknown([UInt8])

    /// The record type the data belongs to; `nil` for `.unknown`, which does not say.
    public var type: RecordType? {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ns: .ns
        case .ptr: .ptr
        case .mx: .mx
        case .soa: .soa
        case .srv: .srv
        case .txt: .txt
        case .opt: .opt
        case .unknown: nil
        }
    }
}

extension RecordData {
    /// Decodes the RDATA under `reader` (limited to exactly RDLENGTH bytes) for `type` in `recordClass`.
    ///
    /// A, AAAA and SRV have these formats only in class IN (RFC 1035 §3.4, RFC 3596 §2.1, RFC 2782), so in other
    /// classes they stay opaque. RDATA that is shorter or longer than its type needs, or whose names run past it, is
    /// `DecodeError.badRecordData`; names may still point to earlier parts of the message.
    public init(type: RecordType, recordClass: RecordClass, from reader: inout WireReader) throws(DecodeError) {
        // RFC 2136 §2.4/§2.5: UPDATE uses class ANY and NONE with empty RDATA to mean "any RRset". (OPT's CLASS is a
        // payload size, not a class.)
        if reader.remaining == 0, type != .opt, recordClass == .any || recordClass == .none {
            self = .unknown([])
            return
        }
        do {
            self = try RecordData.decode(type: type, recordClass: recordClass, from: &reader)
        } catch .truncated {
            throw .badRecordData
        }
        guard reader.isAtEnd else { throw .badRecordData }
    }

    private static func decode(
        type: RecordType, recordClass: RecordClass, from reader: inout WireReader
    ) throws(DecodeError) -> RecordData {
        let isInternet = recordClass == .internet
        switch type {
        case .a where isInternet:
            guard reader.remaining == 4 else { throw .badRecordData }
            return .a(IPv4Address(try reader.readUInt32()))
        case .aaaa where isInternet:
            guard reader.remaining == 16 else { throw .badRecordData }
            return .aaaa(IPv6Address(high: try reader.readUInt64(), low: try reader.readUInt64()))
        case .cname:
            return .cname(try reader.readName())
        case .ns:
            return .ns(try reader.readName())
        case .ptr:
            return .ptr(try reader.readName())
        case .mx:
            return .mx(MXData(preference: try reader.readUInt16(), exchange: try reader.readName()))
        case .soa:
            return .soa(
                SOAData(
                    mname: try reader.readName(), rname: try reader.readName(), serial: try reader.readUInt32(),
                    refresh: try reader.readUInt32(), retry: try reader.readUInt32(),
                    expire: try reader.readUInt32(), minimum: try reader.readUInt32()))
        case .srv where isInternet:
            // RFC 2782 forbids compressing the target, but RFC 3597 §4 asks receivers to accept it anyway.
            return .srv(
                SRVData(
                    priority: try reader.readUInt16(), weight: try reader.readUInt16(), port: try reader.readUInt16(),
                    target: try reader.readName()))
        case .txt:
            // RFC 1035 §3.3.14: one or more character-strings.
            guard !reader.isAtEnd else { throw .badRecordData }
            var strings: [[UInt8]] = []
            while !reader.isAtEnd {
                strings.append(try reader.readCharacterString())
            }
            return .txt(strings)
        case .opt:
            var options: [EDNSOption] = []
            while !reader.isAtEnd {
                let code = try reader.readUInt16()
                let length = try reader.readUInt16()
                options.append(EDNSOption(code: code, data: try reader.readBytes(Int(length))))
            }
            return .opt(options)
        default:
            if let layout = CompressibleLayout.of(type) {
                return .unknown(try layout.decompress(from: &reader))
            }
            return .unknown(try reader.readBytes(reader.remaining))
        }
    }
}

/// Field layouts of the other types whose names a peer may compress: the rest of RFC 1035's types (receivers MUST
/// decompress them, RFC 3597 §4) and those RFC 3597 §4 says receivers SHOULD decompress. Stored uncompressed.
private enum CompressibleLayout {
    enum Field {
        case name
        case uint16
        case characterString
    }

    static func of(_ type: RecordType) -> [Field]? {
        switch type.rawValue {
        case 3, 4, 7, 8, 9: [.name]  // MD, MF, MB, MG, MR
        case 14, 17: [.name, .name]  // MINFO, RP
        case 18, 21: [.uint16, .name]  // AFSDB, RT
        case 26: [.uint16, .name, .name]  // PX
        case 35: [.uint16, .uint16, .characterString, .characterString, .characterString, .name]  // NAPTR
        default: nil
        }
    }
}

extension [CompressibleLayout.Field] {
    fileprivate func decompress(from reader: inout WireReader) throws(DecodeError) -> [UInt8] {
        var rdata: [UInt8] = []
        for field in self {
            switch field {
            case .name:
                rdata.append(contentsOf: try reader.readName().wire)
            case .uint16:
                rdata.append(contentsOf: try reader.readBytes(2))
            case .characterString:
                let string = try reader.readCharacterString()
                rdata.append(UInt8(string.count))
                rdata.append(contentsOf: string)
            }
        }
        return rdata
    }
}
