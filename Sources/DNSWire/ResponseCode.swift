/// RCODE values (RFC 1035 §4.1.1, RFC 6891 §9 for the extended ones that need OPT).
public struct ResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// Up to 12 bits: 4 in the header, 8 more in the OPT record's TTL field.
    public let rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static let noError = ResponseCode(rawValue: 0)
    public static let formErr = ResponseCode(rawValue: 1)
    public static let servFail = ResponseCode(rawValue: 2)
    public static let nxDomain = ResponseCode(rawValue: 3)
    public static let notImp = ResponseCode(rawValue: 4)
    public static let refused = ResponseCode(rawValue: 5)
    public static let badVers = ResponseCode(rawValue: 16)

    /// The four bits carried in the header.
    public var headerBits: UInt8 { UInt8(rawValue & 0xF) }
    /// The upper eight bits carried in OPT (RFC 6891 §6.1.3).
    public var extendedBits: UInt8 { UInt8(rawValue >> 4 & 0xFF) }

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formErr: "FORMERR"
        case .servFail: "SERVFAIL"
        case .nxDomain: "NXDOMAIN"
        case .notImp: "NOTIMP"
        case .refused: "REFUSED"
        case .badVers: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

/// OPCODE values (RFC 1035 §4.1.1).
public struct OpCode: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let query = OpCode(rawValue: 0)
    public static let iquery = OpCode(rawValue: 1)
    public static let status = OpCode(rawValue: 2)
    public static let notify = OpCode(rawValue: 4)
    public static let update = OpCode(rawValue: 5)
}
