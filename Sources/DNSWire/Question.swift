/// One entry of the question section (RFC 1035 §4.1.2).
public struct Question: Hashable, Sendable, CustomStringConvertible {
    public var name: Name
    public var type: RecordType
    public var recordClass: RecordClass

    public init(name: Name, type: RecordType, recordClass: RecordClass = .internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    public init(from reader: inout WireReader) throws(DecodeError) {
        name = try reader.readName()
        type = RecordType(rawValue: try reader.readUInt16())
        recordClass = RecordClass(rawValue: try reader.readUInt16())
    }

    /// As dig prints the question section: `web.default.svc.cluster.local. IN A`.
    public var description: String {
        "\(name) \(recordClass) \(type)"
    }
}
