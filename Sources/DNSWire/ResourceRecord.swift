/// A resource record (RFC 1035 §4.1.3).
public struct ResourceRecord: Hashable, Sendable {
    public var name: Name
    public var type: RecordType
    public var recordClass: RecordClass
    public var ttl: UInt32
    public var data: RecordData

    public init(name: Name, type: RecordType, recordClass: RecordClass = .internet, ttl: UInt32, data: RecordData) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// A record whose type is the one `data` belongs to; `data` must not be `.unknown`.
    public init(name: Name, recordClass: RecordClass = .internet, ttl: UInt32, data: RecordData) {
        guard let type = data.type else { preconditionFailure("opaque RDATA needs an explicit record type") }
        self.init(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data)
    }

    /// Reads one record; RDATA must fill RDLENGTH exactly.
    public init(from reader: inout WireReader) throws(DecodeError) {
        let header = try ResourceRecord.readFixedPart(from: &reader)
        self = try ResourceRecord.readData(of: header, from: &reader)
    }

    /// Owner, TYPE, CLASS, TTL and RDLENGTH: enough to decide where a record may appear before its RDATA is read.
    struct FixedPart {
        var name: Name
        var type: RecordType
        var recordClass: RecordClass
        var ttl: UInt32
        var dataLength: Int
    }

    static func readFixedPart(from reader: inout WireReader) throws(DecodeError) -> FixedPart {
        let name = try reader.readName()
        let type = RecordType(rawValue: try reader.readUInt16())
        let recordClass = RecordClass(rawValue: try reader.readUInt16())
        let ttl = try reader.readUInt32()
        let dataLength = Int(try reader.readUInt16())
        return FixedPart(name: name, type: type, recordClass: recordClass, ttl: ttl, dataLength: dataLength)
    }

    static func readData(of fixed: FixedPart, from reader: inout WireReader) throws(DecodeError) -> ResourceRecord {
        var dataReader = try reader.limited(to: fixed.dataLength)
        let data = try RecordData(type: fixed.type, recordClass: fixed.recordClass, from: &dataReader)
        try reader.skip(fixed.dataLength)
        return ResourceRecord(
            name: fixed.name, type: fixed.type, recordClass: fixed.recordClass, ttl: fixed.ttl, data: data)
    }
}
