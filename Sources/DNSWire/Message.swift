/// A whole DNS message (RFC 1035 §4.1), with the OPT pseudo-record lifted out into `edns` (RFC 6891 §6.1.1).
///
/// For tests, clients, the forwarder and the answer-table builder; the query hot path reads only the header and the
/// question itself.
public struct Message: Hashable, Sendable {
    public var header: Header
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    /// The additional section without the OPT record.
    public var additionals: [ResourceRecord]
    public var edns: EDNS?

    public init(
        header: Header = Header(),
        questions: [Question] = [],
        answers: [ResourceRecord] = [],
        authorities: [ResourceRecord] = [],
        additionals: [ResourceRecord] = [],
        edns: EDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// A standard query for `name`/`type` in class IN.
    public static func query(
        id: UInt16, name: Name, type: RecordType, recursionDesired: Bool = true, edns: EDNS? = nil
    ) -> Message {
        Message(
            header: Header(id: id, recursionDesired: recursionDesired),
            questions: [Question(name: name, type: type)],
            edns: edns)
    }

    /// The full 12-bit RCODE: the header's four bits plus OPT's eight extended bits (RFC 6891 §6.1.3).
    ///
    /// Setting a code above 15 (such as BADVERS) adds default EDNS when there is none, since only OPT can carry it.
    public var responseCode: ResponseCode {
        get {
            let extended = UInt16(edns?.extendedResponseCode ?? 0)
            return ResponseCode(rawValue: extended << 4 | UInt16(header.responseCode.headerBits))
        }
        set {
            header.responseCode = ResponseCode(rawValue: UInt16(newValue.headerBits))
            if newValue.extendedBits != 0, edns == nil { edns = EDNS() }
            edns?.extendedResponseCode = newValue.extendedBits
        }
    }

    /// Decodes a whole message.
    ///
    /// The header's counts are believed only as far as the bytes go: a count larger than the records present is
    /// `.truncated`, bytes after the last announced record are `.trailingBytes`. OPT may appear once, in the
    /// additional section, owned by the root (RFC 6891 §6.1.1), else `.badOPT`.
    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        let result: Result<Message, DecodeError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(DecodeError) in try Message(decoding: buffer) }
        }
        self = try result.get()
    }

    /// Decodes a whole message in place; `buffer` is only read during the call.
    public init(decoding buffer: UnsafeRawBufferPointer) throws(DecodeError) {
        var reader = WireReader(buffer)
        header = try Header(from: &reader)
        questions = []
        // Each pass consumes at least one byte or throws, so the loops are bounded by the bytes present, whatever
        // the counts claim.
        for _ in 0..<header.questionCount {
            questions.append(try Question(from: &reader))
        }
        answers = try Message.readSection(count: header.answerCount, from: &reader)
        authorities = try Message.readSection(count: header.authorityCount, from: &reader)
        additionals = []
        edns = nil
        for _ in 0..<header.additionalCount {
            let fixed = try ResourceRecord.readFixedPart(from: &reader)
            let record = try ResourceRecord.readData(of: fixed, from: &reader)
            guard fixed.type == .opt else {
                additionals.append(record)
                continue
            }
            guard edns == nil else { throw .badOPT }
            edns = try EDNS(record: record)
        }
        guard reader.isAtEnd else { throw .trailingBytes }
    }

    private static func readSection(count: UInt16, from reader: inout WireReader) throws(DecodeError)
        -> [ResourceRecord]
    {
        var records: [ResourceRecord] = []
        for _ in 0..<count {
            let fixed = try ResourceRecord.readFixedPart(from: &reader)
            guard fixed.type != .opt else { throw .badOPT }
            records.append(try ResourceRecord.readData(of: fixed, from: &reader))
        }
        return records
    }

    /// The message in wire form with names compressed; the counts come from the arrays, not from `header`, and OPT
    /// is written last in the additional section when `edns` is set.
    public func encoded() -> [UInt8] {
        var header = self.header
        header.questionCount = UInt16(questions.count)
        header.answerCount = UInt16(answers.count)
        header.authorityCount = UInt16(authorities.count)
        header.additionalCount = UInt16(additionals.count + (edns == nil ? 0 : 1))
        var writer = WireWriter()
        writer.write(header)
        for question in questions { writer.write(question) }
        for record in answers { writer.write(record) }
        for record in authorities { writer.write(record) }
        for record in additionals { writer.write(record) }
        if let edns { writer.write(edns.record) }
        return writer.bytes
    }
}
