/// EDNS(0) as carried by the OPT pseudo-record (RFC 6891 §6.1): CLASS holds the requester's UDP payload size, TTL holds
/// the extended RCODE, the version and the DO bit (RFC 3225 §3); the other 15 Z bits are sent as zero and ignored.
public struct EDNS: Hashable, Sendable {
    /// RFC 6891 §6.2.5: a payload size below 512 is treated as 512.
    public static let minimumUDPPayloadSize: UInt16 = 512
    /// The size the DNS Flag Day 2020 settled on: fits an IPv6 minimum MTU without fragmenting.
    public static let defaultUDPPayloadSize: UInt16 = 1232

    public var udpPayloadSize: UInt16
    /// The upper eight bits of the 12-bit RCODE.
    public var extendedResponseCode: UInt8
    public var version: UInt8
    public var dnssecOK: Bool
    public var options: [EDNSOption]

    public init(
        udpPayloadSize: UInt16 = EDNS.defaultUDPPayloadSize,
        extendedResponseCode: UInt8 = 0,
        version: UInt8 = 0,
        dnssecOK: Bool = false,
        options: [EDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedResponseCode = extendedResponseCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }

    /// Reads EDNS from an OPT record; `DecodeError.badOPT` unless it is an OPT record owned by the root.
    public init(record: ResourceRecord) throws(DecodeError) {
        guard record.type == .opt, record.name.isRoot, case .opt(let options) = record.data else { throw .badOPT }
        udpPayloadSize = record.recordClass.rawValue
        extendedResponseCode = UInt8(record.ttl >> 24)
        version = UInt8(record.ttl >> 16 & 0xFF)
        dnssecOK = record.ttl & 0x8000 != 0
        self.options = options
    }

    /// The payload size a responder may use: never below 512 (RFC 6891 §6.2.5).
    public var effectiveUDPPayloadSize: Int {
        Int(max(udpPayloadSize, EDNS.minimumUDPPayloadSize))
    }

    /// The OPT pseudo-record carrying these fields.
    public var record: ResourceRecord {
        let ttl = UInt32(extendedResponseCode) << 24 | UInt32(version) << 16 | (dnssecOK ? 0x8000 : 0)
        return ResourceRecord(
            name: .root, type: .opt, recordClass: RecordClass(rawValue: udpPayloadSize), ttl: ttl, data: .opt(options))
    }
}
