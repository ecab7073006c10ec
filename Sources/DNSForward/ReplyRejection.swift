import DNSWire

/// Why an upstream reply was not accepted. Cheapest checks first: size, header, ID, source, then the full decode,
/// then the question (RFC 5452 §9.1: accept only a reply whose ID, source and question match the query sent).
public enum ReplyRejection: Int, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// Shorter than a header: garbage.
    case tooShort
    /// Larger than we allow: over UDP more than the payload size we advertised, over TCP more than 65535 bytes.
    case oversized
    /// QR=0: a query, not a reply.
    case notAResponse
    /// No query in flight has this ID (late, duplicate or forged).
    case unknownID
    /// The ID is ours but it came from another address or port than the one we sent to.
    case wrongSource
    /// The message ends before what its header announces.
    case truncated
    /// A compression pointer that points forward, at itself or into a loop.
    case compressionLoop
    /// Any other decoding failure: bad labels, bad RDATA, a misplaced OPT, trailing bytes, an OPCODE not QUERY.
    case malformed
    /// Not exactly one question, or not the question we asked.
    case wrongQuestion

    init(_ error: DecodeError) {
        switch error {
        case .truncated: self = .truncated
        case .badPointer: self = .compressionLoop
        case .badLabel, .nameTooLong, .badRecordData, .badOPT, .trailingBytes: self = .malformed
        }
    }

    public var description: String {
        switch self {
        case .tooShort: "too short"
        case .oversized: "oversized"
        case .notAResponse: "not a response"
        case .unknownID: "unknown ID"
        case .wrongSource: "wrong source"
        case .truncated: "truncated"
        case .compressionLoop: "compression loop"
        case .malformed: "malformed"
        case .wrongQuestion: "wrong question"
        }
    }
}

/// One counter per `ReplyRejection`, for metrics and tests.
public struct RejectionCounts: Sendable, Equatable {
    private var counts = [Int](repeating: 0, count: ReplyRejection.allCases.count)

    public init() {}

    public subscript(reason: ReplyRejection) -> Int {
        counts[reason.rawValue]
    }

    public var total: Int { counts.reduce(0, +) }

    mutating func record(_ reason: ReplyRejection) {
        counts[reason.rawValue] += 1
    }
}
