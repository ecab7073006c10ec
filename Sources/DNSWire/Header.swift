/// The fixed 12-byte message header (RFC 1035 §4.1.1, AD and CD from RFC 4035 §3.2).
public struct Header: Hashable, Sendable {
    public static let byteCount = 12

    public var id: UInt16
    public var isResponse: Bool
    public var opCode: OpCode
    public var isAuthoritative: Bool
    public var isTruncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    public var authenticData: Bool
    public var checkingDisabled: Bool
    /// Only the four header bits are sent; `Message.responseCode` adds the eight extended bits kept in OPT.
    public var responseCode: ResponseCode
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    public init(
        id: UInt16 = 0,
        isResponse: Bool = false,
        opCode: OpCode = .query,
        isAuthoritative: Bool = false,
        isTruncated: Bool = false,
        recursionDesired: Bool = false,
        recursionAvailable: Bool = false,
        authenticData: Bool = false,
        checkingDisabled: Bool = false,
        responseCode: ResponseCode = .noError,
        questionCount: UInt16 = 0,
        answerCount: UInt16 = 0,
        authorityCount: UInt16 = 0,
        additionalCount: UInt16 = 0
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opCode = opCode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCode = responseCode
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    /// Reads the 12 header bytes. The Z bit (RFC 1035: "must be zero") is ignored.
    public init(from reader: inout WireReader) throws(DecodeError) {
        guard reader.remaining >= Header.byteCount else { throw .truncated }
        id = try reader.readUInt16()
        let flags = try reader.readUInt16()
        isResponse = flags & 0x8000 != 0
        opCode = OpCode(rawValue: UInt8(flags >> 11 & 0xF))
        isAuthoritative = flags & 0x0400 != 0
        isTruncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        authenticData = flags & 0x0020 != 0
        checkingDisabled = flags & 0x0010 != 0
        responseCode = ResponseCode(rawValue: flags & 0xF)
        questionCount = try reader.readUInt16()
        answerCount = try reader.readUInt16()
        authorityCount = try reader.readUInt16()
        additionalCount = try reader.readUInt16()
    }

    /// Reads a header from the first 12 bytes of `bytes`.
    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        let result: Result<Header, DecodeError> = bytes.withUnsafeBytes { buffer in
            var reader = WireReader(buffer)
            return Result { () throws(DecodeError) in try Header(from: &reader) }
        }
        self = try result.get()
    }

    /// The second 16-bit word: QR, OPCODE, AA, TC, RD, RA, Z (zero), AD, CD, RCODE.
    public var flags: UInt16 {
        var flags = UInt16(opCode.rawValue & 0xF) << 11 | UInt16(responseCode.headerBits)
        if isResponse { flags |= 0x8000 }
        if isAuthoritative { flags |= 0x0400 }
        if isTruncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        return flags
    }

    /// The 12 header bytes.
    public func encoded() -> [UInt8] {
        var writer = WireWriter()
        writer.write(self)
        return writer.bytes
    }
}
