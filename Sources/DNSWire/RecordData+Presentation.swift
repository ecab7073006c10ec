extension RecordData: CustomStringConvertible {
    /// The RDATA as dig prints it; OPT and opaque data in the RFC 3597 §5 generic form `\# 3 010203`.
    public var description: String {
        switch self {
        case .a(let address):
            address.description
        case .aaaa(let address):
            address.description
        case .cname(let name), .ns(let name), .ptr(let name):
            name.description
        case .mx(let mx):
            "\(mx.preference) \(mx.exchange)"
        case .soa(let soa):
            "\(soa.mname) \(soa.rname) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .srv(let srv):
            "\(srv.priority) \(srv.weight) \(srv.port) \(srv.target)"
        case .txt(let strings):
            (strings.isEmpty ? [[]] : strings).map(RecordData.quoted).joined(separator: " ")
        case .opt, .unknown:
            genericDescription
        }
    }

    /// `\# <length> <hex>` over the uncompressed RDATA (RFC 3597 §5).
    var genericDescription: String {
        var writer = WireWriter()
        writer.write(self, compressNames: false)
        guard !writer.bytes.isEmpty else { return "\\# 0" }
        return "\\# \(writer.bytes.count) "
            + String(decoding: writer.bytes.flatMap(RecordData.hexDigits), as: UTF8.self)
    }

    private static func hexDigits(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
    }

    /// A character-string in quotes; `"` and `\` escaped, bytes outside printable ASCII as `\DDD` (RFC 1035 §5.1).
    private static func quoted(_ string: [UInt8]) -> String {
        var text = "\""
        for byte in string {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                text.append("\\")
                text.append(Character(Unicode.Scalar(byte)))
            case 0x20...0x7E:
                text.append(Character(Unicode.Scalar(byte)))
            default:
                let digits = String(byte)
                text.append("\\" + String(repeating: "0", count: 3 - digits.count) + digits)
            }
        }
        text.append("\"")
        return text
    }

    /// True when the typed form means this data for `type`/`recordClass`; otherwise only the generic form is exact.
    func hasTypedPresentation(type: RecordType, recordClass: RecordClass) -> Bool {
        guard let ownType = self.type, ownType == type, ownType != .opt else { return false }
        switch ownType {
        case .a, .aaaa, .srv: return recordClass == .internet
        default: return true
        }
    }

    /// Reads RDATA fields for `type`: the type's own text form, or the generic `\# <length> <hex>` for any type
    /// (decoded into the typed form when ClusterDNS knows the type, as RFC 3597 §5 makes the two equivalent).
    init(
        presentation fields: ArraySlice<PresentationScanner.Field>, type: RecordType, recordClass: RecordClass
    ) throws(PresentationError) {
        if let first = fields.first, !first.isQuoted, first.text == Array("\\#".utf8) {
            self = try RecordData.generic(fields.dropFirst(), type: type, recordClass: recordClass)
            return
        }
        let text = fields.map(\.string).joined(separator: " ")
        let isInternet = recordClass == .internet
        switch type {
        case .a where isInternet:
            let field = try RecordData.single(fields)
            guard let address = IPv4Address(field.string) else { throw .badRecordData(text) }
            self = .a(address)
        case .aaaa where isInternet:
            let field = try RecordData.single(fields)
            guard let address = IPv6Address(field.string) else { throw .badRecordData(text) }
            self = .aaaa(address)
        case .cname:
            self = .cname(try RecordData.name(try RecordData.single(fields)))
        case .ns:
            self = .ns(try RecordData.name(try RecordData.single(fields)))
        case .ptr:
            self = .ptr(try RecordData.name(try RecordData.single(fields)))
        case .mx:
            let values = try RecordData.exactly(2, fields)
            guard let preference = PresentationScanner.decimal(values[0], as: UInt16.self) else {
                throw .badRecordData(text)
            }
            self = .mx(MXData(preference: preference, exchange: try RecordData.name(values[1])))
        case .soa:
            let values = try RecordData.exactly(7, fields)
            let numbers = values[2...].compactMap { PresentationScanner.decimal($0, as: UInt32.self) }
            guard numbers.count == 5 else { throw .badRecordData(text) }
            self = .soa(
                SOAData(
                    mname: try RecordData.name(values[0]), rname: try RecordData.name(values[1]),
                    serial: numbers[0], refresh: numbers[1], retry: numbers[2], expire: numbers[3],
                    minimum: numbers[4]))
        case .srv where isInternet:
            let values = try RecordData.exactly(4, fields)
            let numbers = values[0..<3].compactMap { PresentationScanner.decimal($0, as: UInt16.self) }
            guard numbers.count == 3 else { throw .badRecordData(text) }
            self = .srv(
                SRVData(
                    priority: numbers[0], weight: numbers[1], port: numbers[2],
                    target: try RecordData.name(values[3])))
        case .txt:
            guard !fields.isEmpty else { throw .missingField("TXT character-string") }
            var strings: [[UInt8]] = []
            for field in fields {
                guard let string = PresentationScanner.characterString(field) else { throw .badRecordData(text) }
                strings.append(string)
            }
            self = .txt(strings)
        default:
            throw .badRecordData("\(type) in class \(recordClass) needs the generic form \\# <length> <hex>")
        }
    }

    private static func generic(
        _ fields: ArraySlice<PresentationScanner.Field>, type: RecordType, recordClass: RecordClass
    ) throws(PresentationError) -> RecordData {
        guard let lengthField = fields.first else { throw .missingField("RDATA length after \\#") }
        guard let length = PresentationScanner.decimal(lengthField, as: UInt16.self) else {
            throw .badRecordData(lengthField.string)
        }
        let hexText = fields.dropFirst().flatMap(\.text)
        guard let rdata = PresentationScanner.hexBytes(hexText), rdata.count == Int(length) else {
            throw .badRecordData(String(decoding: hexText, as: UTF8.self))
        }
        let result: Result<RecordData, DecodeError> = rdata.withUnsafeBytes { buffer in
            var reader = WireReader(buffer)
            return Result { () throws(DecodeError) in
                try RecordData(type: type, recordClass: recordClass, from: &reader)
            }
        }
        guard case .success(let data) = result else {
            throw .badRecordData("\(type) RDATA \(String(decoding: hexText, as: UTF8.self))")
        }
        return data
    }

    private static func single(
        _ fields: ArraySlice<PresentationScanner.Field>
    ) throws(PresentationError) -> PresentationScanner.Field {
        try exactly(1, fields)[0]
    }

    private static func exactly(
        _ count: Int, _ fields: ArraySlice<PresentationScanner.Field>
    ) throws(PresentationError) -> [PresentationScanner.Field] {
        guard fields.count >= count else { throw .missingField("\(count) RDATA fields") }
        guard fields.count == count else {
            throw .extraFields(fields.dropFirst(count).map(\.string).joined(separator: " "))
        }
        return Array(fields)
    }

    private static func name(_ field: PresentationScanner.Field) throws(PresentationError) -> Name {
        do {
            return try Name(field.string)
        } catch {
            throw .badName(field.string)
        }
    }
}
