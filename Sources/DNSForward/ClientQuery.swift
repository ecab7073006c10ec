import DNSWire

/// What the forwarder keeps of a client's query to answer it later: its ID, its question exactly as written (letter
/// case included), its RD and CD bits and its EDNS.
public struct ClientQuery: Sendable, Equatable {
    /// Without EDNS a UDP reply is at most 512 bytes (RFC 1035 §4.2.1).
    public static let classicUDPLimit = 512

    public var id: UInt16
    public var question: Question
    public var recursionDesired: Bool
    public var checkingDisabled: Bool
    /// `nil` when the query had no OPT record: then neither may the reply (RFC 6891 §7).
    public var edns: EDNS?

    public init(
        id: UInt16, question: Question, recursionDesired: Bool = true, checkingDisabled: Bool = false,
        edns: EDNS? = nil
    ) {
        self.id = id
        self.question = question
        self.recursionDesired = recursionDesired
        self.checkingDisabled = checkingDisabled
        self.edns = edns
    }

    public enum ParseError: Error, Sendable, Equatable {
        case malformed(DecodeError)
        /// QR=1: a response sent to us as a query; dropped, never answered (reflection).
        case notAQuery
        case unsupportedOpCode
        /// QDCOUNT other than 1 (RFC 9619).
        case questionCount
    }

    /// Reads a client's query.
    public init(decoding bytes: [UInt8]) throws(ParseError) {
        let message: Message
        do {
            message = try Message(decoding: bytes)
        } catch {
            throw .malformed(error)
        }
        guard !message.header.isResponse else { throw .notAQuery }
        guard message.header.opCode == .query else { throw .unsupportedOpCode }
        guard message.questions.count == 1 else { throw .questionCount }
        self.init(
            id: message.header.id, question: message.questions[0], recursionDesired: message.header.recursionDesired,
            checkingDisabled: message.header.checkingDisabled, edns: message.edns)
    }

    public var key: QueryKey {
        QueryKey(
            name: question.name, type: question.type, recordClass: question.recordClass,
            dnssecOK: edns?.dnssecOK ?? false, checkingDisabled: checkingDisabled)
    }

    /// The largest UDP reply this client takes: 512 without EDNS, else what it advertises (never below 512, RFC 6891
    /// §6.2.5) up to the 1232 we send at most. Over TCP the caller passes 65535 instead.
    public var udpLimit: Int {
        guard let edns else { return ClientQuery.classicUDPLimit }
        return min(edns.effectiveUDPPayloadSize, Int(ForwardPolicy.upstreamUDPPayload))
    }

    /// A reply carrying only `responseCode` (SERVFAIL when the budget is spent, REFUSED when over the limit): the
    /// client's ID, question and RD/CD bits, RA set, and OPT when the query had it.
    public func errorReply(_ responseCode: ResponseCode) -> [UInt8] {
        var header = Header(id: id, isResponse: true, recursionDesired: recursionDesired, recursionAvailable: true)
        header.checkingDisabled = checkingDisabled
        var message = Message(header: header, questions: [question])
        if let edns {
            message.edns = EDNS(udpPayloadSize: ForwardPolicy.upstreamUDPPayload, dnssecOK: edns.dnssecOK)
        }
        message.responseCode = responseCode
        return message.encoded()
    }
}
